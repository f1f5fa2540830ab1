"""Tests for execution-window arithmetic (``workflows.windows``)."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from workflows import windows
from workflows.windows import DEFAULT_TIMEZONE, TimeWindow, jitter_seconds, next_allowed_time

ROOT = Path(__file__).resolve().parents[2]
LA = "America/Los_Angeles"
LA_ZONE = ZoneInfo(LA)

# Spinnaker day numbers.
SUN, MON, TUE, WED, THU, FRI, SAT = range(1, 8)

NINE_TO_FIVE = TimeWindow(9, 0, 17, 0)
OVERNIGHT = TimeWindow(22, 0, 2, 0)


def local(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    *,
    second: int = 0,
    microsecond: int = 0,
    zone: str = LA,
    fold: int = 0,
) -> datetime:
    """A wall-clock time in ``zone``, as the aware UTC instant the workflow sees."""
    wall = datetime(year, month, day, hour, minute, second, microsecond, tzinfo=ZoneInfo(zone))
    return wall.replace(fold=fold).astimezone(UTC)


def in_la(instant: datetime) -> datetime:
    return instant.astimezone(LA_ZONE)


# 2025-06-02 is a Monday; Los Angeles is on PDT (UTC-7) all that week.


class TestInsideOrOutside:
    def test_inside_a_window_returns_now_itself(self) -> None:
        now = local(2025, 6, 2, 10, 15, second=7, microsecond=123)
        result = next_allowed_time(now, [NINE_TO_FIVE], [], LA)
        assert result == now
        assert result.tzinfo is UTC

    def test_before_the_window_waits_for_it_to_open_today(self) -> None:
        now = local(2025, 6, 2, 6, 30)
        assert next_allowed_time(now, [NINE_TO_FIVE], [], LA) == local(2025, 6, 2, 9, 0)

    def test_after_the_window_it_opens_tomorrow(self) -> None:
        now = local(2025, 6, 2, 18, 0)
        result = next_allowed_time(now, [NINE_TO_FIVE], [], LA)
        assert result == local(2025, 6, 3, 9, 0)
        assert result == datetime(2025, 6, 3, 16, 0, tzinfo=UTC)

    def test_start_is_inclusive(self) -> None:
        now = local(2025, 6, 2, 9, 0)
        assert next_allowed_time(now, [NINE_TO_FIVE], [], LA) == now

    def test_end_is_exclusive(self) -> None:
        at_end = local(2025, 6, 2, 17, 0)
        assert next_allowed_time(at_end, [NINE_TO_FIVE], [], LA) == local(2025, 6, 3, 9, 0)

    def test_last_microsecond_before_the_end_is_inside(self) -> None:
        just_before = local(2025, 6, 2, 16, 59, second=59, microsecond=999_999)
        assert next_allowed_time(just_before, [NINE_TO_FIVE], [], LA) == just_before

    def test_earliest_of_several_unsorted_windows(self) -> None:
        windows = [TimeWindow(20, 0, 21, 0), TimeWindow(13, 30, 14, 0), NINE_TO_FIVE]
        assert next_allowed_time(local(2025, 6, 2, 17, 30), windows, [], LA) == local(
            2025, 6, 2, 20, 0
        )
        assert next_allowed_time(local(2025, 6, 2, 7, 0), windows, [], LA) == local(
            2025, 6, 2, 9, 0
        )

    def test_no_windows_and_no_days_is_always_allowed(self) -> None:
        now = local(2025, 6, 2, 3, 4, second=5)
        assert next_allowed_time(now, [], [], LA) == now

    def test_non_utc_aware_now_is_accepted_and_answered_in_utc(self) -> None:
        now = datetime(2025, 6, 2, 6, 30, tzinfo=LA_ZONE)
        result = next_allowed_time(now, [NINE_TO_FIVE], [], LA)
        assert result.tzinfo is UTC
        assert result == datetime(2025, 6, 2, 16, 0, tzinfo=UTC)

    def test_default_time_zone_is_los_angeles(self) -> None:
        assert DEFAULT_TIMEZONE == LA
        now = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # 05:00 in Los Angeles
        assert next_allowed_time(now, [NINE_TO_FIVE], []) == datetime(2025, 6, 2, 16, 0, tzinfo=UTC)


class TestMidnightWrap:
    def test_evening_part_is_inside(self) -> None:
        now = local(2025, 6, 2, 23, 30)
        assert next_allowed_time(now, [OVERNIGHT], [], LA) == now

    def test_after_midnight_part_is_inside(self) -> None:
        now = local(2025, 6, 3, 1, 59, second=59)
        assert next_allowed_time(now, [OVERNIGHT], [], LA) == now

    def test_at_the_end_it_waits_for_the_evening(self) -> None:
        now = local(2025, 6, 3, 2, 0)
        assert next_allowed_time(now, [OVERNIGHT], [], LA) == local(2025, 6, 3, 22, 0)

    def test_midday_waits_for_the_evening(self) -> None:
        now = local(2025, 6, 3, 12, 0)
        assert next_allowed_time(now, [OVERNIGHT], [], LA) == local(2025, 6, 3, 22, 0)

    def test_days_filter_applies_to_the_calendar_day_of_each_part(self) -> None:
        # Orca splits 22:00-02:00 into two windows of the same day and checks the
        # day of the instant: Monday's early hours are allowed, Tuesday's are not.
        monday_early = local(2025, 6, 2, 1, 0)
        assert next_allowed_time(monday_early, [OVERNIGHT], [MON], LA) == monday_early
        tuesday_early = local(2025, 6, 3, 0, 30)
        assert next_allowed_time(tuesday_early, [OVERNIGHT], [MON], LA) == local(2025, 6, 9, 0, 0)

    def test_late_sunday_waits_for_monday_midnight(self) -> None:
        sunday_late = local(2025, 6, 1, 23, 0)
        assert next_allowed_time(sunday_late, [OVERNIGHT], [MON], LA) == local(2025, 6, 2, 0, 0)

    def test_monday_afternoon_waits_for_monday_evening(self) -> None:
        now = local(2025, 6, 2, 15, 0)
        assert next_allowed_time(now, [OVERNIGHT], [MON], LA) == local(2025, 6, 2, 22, 0)


class TestDays:
    def test_days_only_means_all_day_on_those_days(self) -> None:
        saturday = local(2025, 6, 7, 12, 0)
        assert next_allowed_time(saturday, [], [MON, TUE], LA) == local(2025, 6, 9, 0, 0)
        monday = local(2025, 6, 9, 23, 59, second=59)
        assert next_allowed_time(monday, [], [MON, TUE], LA) == monday

    def test_window_on_a_later_weekday(self) -> None:
        wednesday = local(2025, 6, 4, 10, 0)
        assert next_allowed_time(wednesday, [NINE_TO_FIVE], [FRI], LA) == local(2025, 6, 6, 9, 0)

    def test_todays_window_has_passed_so_the_same_weekday_next_week(self) -> None:
        monday_evening = local(2025, 6, 2, 18, 0)
        assert next_allowed_time(monday_evening, [NINE_TO_FIVE], [MON], LA) == local(
            2025, 6, 9, 9, 0
        )

    def test_sunday_is_one_and_saturday_is_seven(self) -> None:
        friday = local(2025, 6, 6, 12, 0)
        assert next_allowed_time(friday, [], [SUN], LA) == local(2025, 6, 8, 0, 0)
        assert next_allowed_time(friday, [], [SAT], LA) == local(2025, 6, 7, 0, 0)

    def test_weekday_is_the_local_one_not_the_utc_one(self) -> None:
        # Monday 20:00 in Los Angeles is already Tuesday 03:00 in UTC.
        monday_evening = local(2025, 6, 2, 20, 0)
        assert monday_evening.weekday() == 1  # Tuesday in UTC
        assert next_allowed_time(monday_evening, [], [MON], LA) == monday_evening

    @pytest.mark.parametrize("bad_day", [0, 8, -1, True])
    def test_days_outside_one_to_seven_are_refused(self, bad_day: int) -> None:
        with pytest.raises(ValueError, match=r"1 \(Sunday\) to 7 \(Saturday\)"):
            next_allowed_time(local(2025, 6, 2), [NINE_TO_FIVE], [MON, bad_day], LA)


class TestTimeZones:
    def test_same_instant_differs_by_zone(self) -> None:
        now = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # 13:00 London, 05:00 Los Angeles
        assert next_allowed_time(now, [NINE_TO_FIVE], [], "Europe/London") == now
        assert next_allowed_time(now, [NINE_TO_FIVE], [], LA) == datetime(
            2025, 6, 2, 16, 0, tzinfo=UTC
        )

    def test_half_hour_offset_zone(self) -> None:
        now = datetime(2025, 6, 2, 0, 0, tzinfo=UTC)  # 05:30 in Kolkata
        assert next_allowed_time(now, [NINE_TO_FIVE], [], "Asia/Kolkata") == datetime(
            2025, 6, 2, 3, 30, tzinfo=UTC
        )

    def test_unknown_zone_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus_Mons'"):
            next_allowed_time(local(2025, 6, 2), [NINE_TO_FIVE], [], "Mars/Olympus_Mons")

    def test_sandbox_proxied_zone_gets_a_clear_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # Temporal's sandbox returns ZoneInfo instances wrapped in a proxy that
        # passes isinstance() but that datetime rejects; stand one in here.
        class _RestrictedProxy:
            def __init__(self, wrapped: ZoneInfo) -> None:
                self.wrapped = wrapped

            @property  # type: ignore[misc]
            def __class__(self) -> type:  # imitates the proxy
                return type(self.wrapped)

        monkeypatch.setattr(windows, "ZoneInfo", lambda key: _RestrictedProxy(ZoneInfo(key)))
        with pytest.raises(RuntimeError, match=r"imports_passed_through\(\)"):
            next_allowed_time(local(2025, 6, 2), [NINE_TO_FIVE], [], LA)

    def test_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            next_allowed_time(datetime(2025, 6, 2, 12, 0), [NINE_TO_FIVE], [], LA)


class TestDaylightSaving:
    # Los Angeles springs forward on Sunday 2024-03-10 (02:00 PST -> 03:00 PDT)
    # and falls back on Sunday 2024-11-03 (02:00 PDT -> 01:00 PST).

    def test_opening_tomorrow_across_spring_forward_uses_the_new_offset(self) -> None:
        saturday_evening = local(2024, 3, 9, 18, 0)  # PST, UTC-8
        result = next_allowed_time(saturday_evening, [NINE_TO_FIVE], [], LA)
        assert result == datetime(2024, 3, 10, 16, 0, tzinfo=UTC)  # 09:00 PDT, UTC-7
        assert in_la(result).hour == 9

    def test_window_starting_in_the_gap_opens_when_the_gap_ends(self) -> None:
        result = next_allowed_time(local(2024, 3, 10, 1, 0), [TimeWindow(2, 30, 4, 0)], [], LA)
        assert result == datetime(2024, 3, 10, 10, 0, tzinfo=UTC)
        assert in_la(result).strftime("%H:%M %Z") == "03:00 PDT"

    def test_window_entirely_in_the_gap_opens_the_next_day(self) -> None:
        result = next_allowed_time(local(2024, 3, 10, 1, 0), [TimeWindow(2, 0, 2, 30)], [], LA)
        assert result == local(2024, 3, 11, 2, 0)
        assert result == datetime(2024, 3, 11, 9, 0, tzinfo=UTC)

    def test_window_entirely_in_the_gap_on_the_only_allowed_day_waits_a_week(self) -> None:
        result = next_allowed_time(local(2024, 3, 10, 1, 0), [TimeWindow(2, 0, 2, 30)], [SUN], LA)
        assert result == local(2024, 3, 17, 2, 0)

    def test_window_wrapping_midnight_across_spring_forward(self) -> None:
        # 01:00-03:30 on the night of the change is 01:00-01:59 PST, then 03:00-03:29 PDT.
        window = TimeWindow(1, 0, 3, 30)
        inside_after_gap = datetime(2024, 3, 10, 10, 15, tzinfo=UTC)  # 03:15 PDT
        assert next_allowed_time(inside_after_gap, [window], [], LA) == inside_after_gap
        past_end = datetime(2024, 3, 10, 10, 30, tzinfo=UTC)  # 03:30 PDT
        assert next_allowed_time(past_end, [window], [], LA) == local(2024, 3, 11, 1, 0)

    def test_fall_back_repeats_the_window_when_the_clock_returns_into_it(self) -> None:
        # At 01:45 PDT the 00:30-01:30 window has closed, but at 02:00 PDT the
        # clock goes back to 01:00 PST, which is inside it again.
        now = local(2024, 11, 3, 1, 45, fold=0)
        result = next_allowed_time(now, [TimeWindow(0, 30, 1, 30)], [], LA)
        assert result == datetime(2024, 11, 3, 9, 0, tzinfo=UTC)
        assert in_la(result).strftime("%H:%M %Z") == "01:00 PST"

    def test_fall_back_window_starting_in_the_repeated_hour(self) -> None:
        now = local(2024, 11, 3, 1, 45, fold=0)  # 01:45 PDT, after the first 01:30-01:40
        result = next_allowed_time(now, [TimeWindow(1, 30, 1, 40)], [], LA)
        assert result == local(2024, 11, 3, 1, 30, fold=1)
        assert in_la(result).strftime("%H:%M %Z") == "01:30 PST"

    def test_fall_back_day_opening_tomorrow_uses_the_new_offset(self) -> None:
        result = next_allowed_time(local(2024, 11, 2, 18, 0), [NINE_TO_FIVE], [], LA)
        assert result == datetime(2024, 11, 3, 17, 0, tzinfo=UTC)  # 09:00 PST, UTC-8


def _reference_next_allowed(
    now: datetime, windows: list[TimeWindow], days: list[int], zone: ZoneInfo
) -> datetime:
    """Brute force: step minute by minute, test the wall clock directly."""
    instant = now
    for _ in range(15 * 24 * 60):
        wall = instant.astimezone(zone)
        day_ok = not days or (wall.isoweekday() % 7 + 1) in days
        minute = wall.hour * 60 + wall.minute
        in_window = not windows or any(
            (w.start_minute_of_day <= minute < w.end_minute_of_day)
            if w.start_minute_of_day < w.end_minute_of_day
            else (minute >= w.start_minute_of_day or minute < w.end_minute_of_day)
            for w in windows
        )
        if day_ok and in_window:
            return instant
        instant += timedelta(minutes=1)
    raise AssertionError("reference found no allowed time")


@pytest.mark.parametrize("zone_name", [LA, "Europe/London", "Australia/Lord_Howe", "UTC"])
def test_agrees_with_a_minute_by_minute_reference(zone_name: str) -> None:
    # Lord Howe shifts by 30 minutes; the other zones by an hour or not at all.
    rng = random.Random(f"windows-{zone_name}")
    zone = ZoneInfo(zone_name)
    # Start times cluster around DST changes in both hemispheres.
    anchors = [datetime(2024, 3, 9, tzinfo=UTC), datetime(2024, 10, 5, tzinfo=UTC)]
    for _ in range(40):
        windows: list[TimeWindow] = []
        while len(windows) < rng.randint(0, 3):
            start, end = rng.randrange(24 * 60), rng.randrange(24 * 60)
            if start != end:
                windows.append(TimeWindow(start // 60, start % 60, end // 60, end % 60))
        days = rng.sample(range(1, 8), rng.randint(0, 3))
        now = rng.choice(anchors) + timedelta(minutes=rng.randrange(30 * 24 * 60))
        expected = _reference_next_allowed(now, windows, days, zone)
        assert next_allowed_time(now, windows, days, zone_name) == expected, (windows, days, now)


class TestTimeWindow:
    def test_text_and_wrap(self) -> None:
        assert str(OVERNIGHT) == "22:00-02:00"
        assert OVERNIGHT.wraps_midnight
        assert not NINE_TO_FIVE.wraps_midnight
        assert NINE_TO_FIVE.start_minute_of_day == 540
        assert NINE_TO_FIVE.end_minute_of_day == 1020

    def test_is_frozen(self) -> None:
        with pytest.raises(AttributeError):
            NINE_TO_FIVE.start_hour = 10  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ((24, 0, 17, 0), "startHour must be between 0 and 23, got 24"),
            ((-1, 0, 17, 0), "startHour must be between 0 and 23, got -1"),
            ((9, 60, 17, 0), "startMin must be between 0 and 59, got 60"),
            ((9, 0, 25, 0), "endHour must be between 0 and 23, got 25"),
            ((9, 0, 17, -5), "endMin must be between 0 and 59, got -5"),
        ],
    )
    def test_out_of_range_fields_are_refused(
        self, fields: tuple[int, int, int, int], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            TimeWindow(*fields)

    def test_non_integer_fields_are_refused(self) -> None:
        with pytest.raises(ValueError, match="startHour must be an integer, got '9'"):
            TimeWindow("9", 0, 17, 0)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="endMin must be an integer, got True"):
            TimeWindow(9, 0, 17, True)

    def test_empty_window_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"00:00-00:00 is empty"):
            TimeWindow(0, 0, 0, 0)


class TestJitter:
    def test_scales_between_min_and_max(self) -> None:
        assert jitter_seconds(10, 70, 0.0) == 10
        assert jitter_seconds(10, 70, 0.5) == 40
        assert jitter_seconds(10, 70, 1.0) == 70

    def test_equal_bounds_is_a_fixed_delay(self) -> None:
        assert jitter_seconds(30, 30, 0.7) == 30

    @pytest.mark.parametrize(
        ("min_delay", "max_delay", "fraction", "message"),
        [
            (-1, 10, 0.5, "must not be negative"),
            (0, -10, 0.5, "must not be negative"),
            (20, 10, 0.5, r"minDelay \(20\) must not be greater than maxDelay \(10\)"),
            (0, 10, -0.1, r"within \[0, 1\]"),
            (0, 10, 1.5, r"within \[0, 1\]"),
            (0, 10, float("nan"), r"within \[0, 1\]"),
        ],
    )
    def test_bad_input_is_refused(
        self, min_delay: int, max_delay: int, fraction: float, message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            jitter_seconds(min_delay, max_delay, fraction)


def test_module_does_not_import_temporal() -> None:
    # A fresh interpreter, so modules other tests imported do not count.
    probe = (
        "import sys, workflows.windows; "
        "sys.exit(any(m.split('.')[0] == 'temporalio' for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], check=False, cwd=ROOT)
    assert result.returncode == 0
