"""Quartz cron expressions, as Spinnaker's ``cron`` triggers write them.

Spinnaker (echo-scheduler) fires cron triggers with Quartz, whose expressions
carry seconds and an optional year::

    second minute hour day-of-month month day-of-week [year]
    0      0/12   *    *            *     ?
    0      30     9    ?            *     MON-FRI

Gennaker turns a trigger into a Temporal Schedule, so this module parses the
expression into per-field inclusive ranges that map one to one onto
``temporalio.client.ScheduleCalendarSpec`` / ``ScheduleRange`` (Temporal's
numbering: day of week 0-6 with 0 = Sunday, where Quartz uses 1-7 with
1 = Sunday). It stays free of Temporal so it can be tested, and used by the
CLI's ``validate``, without a server.

What is accepted, as Quartz accepts it: ``*``, ``?`` (day-of-month or
day-of-week only), lists ``a,b``, ranges ``a-b`` including ones that wrap
(``22-2`` hours, ``FRI-MON``), steps ``*/n``, ``/n``, ``a/n`` (from ``a`` to the
field's maximum) and ``a-b/n``, names ``JAN``-``DEC`` and ``SUN``-``SAT`` in any
case, and ``H`` in the second, minute and hour fields (see below).

What is refused, with a :class:`~models.errors.PipelineError` naming the
expression and the reason:

* ``L``, ``W``, ``LW`` and ``#`` (last day, nearest weekday, nth weekday): a
  Temporal calendar cannot express them.
* Day-of-month and day-of-week both given, or both ``?``. Quartz requires
  exactly one ``?``; that includes ``* *``, which Quartz (and so Spinnaker's
  trigger validation) refuses with "Support for specifying both a day-of-week
  AND a day-of-month parameter is not implemented". We refuse it too, so a
  pipeline accepted here is one Spinnaker accepts, and say which ``?`` to write.
* A step after a name (``MON/2``): Quartz silently drops the step, which is
  never what the author meant.
* Wrong field counts, values out of range, steps of 0 or wider than Quartz
  allows, unknown names, anything else that does not parse.

``H`` (hashed value) follows echo's ``CronExpressionFuzzer`` exactly: in the
second and minute fields it becomes ``abs(javaHash(id)) % 59`` and in the hour
field ``abs(javaHash(id)) % 23``, where ``javaHash`` is Java's
``String.hashCode`` of the trigger id. That hash is stable (it is defined by
the Java language, not seeded per process), and using it means a trigger moved
from Spinnaker keeps firing at the same second, minute and hour.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.errors import FieldProblem, PipelineError

__all__ = [
    "QuartzSchedule",
    "Range",
    "describe",
    "parse_quartz",
    "to_calendar_spec_kwargs",
]


@dataclass(frozen=True)
class Range:
    """Inclusive range of matching values, like Temporal's ``ScheduleRange``.

    Matches ``start, start + step, ...`` up to and including ``end``.

    Args:
        start: First matching value.
        end: Last value that may match (inclusive), at least ``start``.
        step: Distance between matching values, at least 1.

    Raises:
        ValueError: ``end`` is below ``start`` or ``step`` is below 1.
    """

    start: int
    end: int
    step: int = 1

    def __post_init__(self) -> None:
        # Temporal silently rewrites end < start to end = start and step 0 to
        # 1; refusing both here keeps the mapping to ScheduleRange one to one.
        if self.end < self.start:
            raise ValueError(f"range end {self.end} is below its start {self.start}")
        if self.step < 1:
            raise ValueError(f"range step must be at least 1, got {self.step}")

    def as_tuple(self) -> tuple[int, int, int]:
        """Return ``(start, end, step)``, the arguments of ``ScheduleRange``."""
        return (self.start, self.end, self.step)


@dataclass(frozen=True)
class QuartzSchedule:
    """A parsed Quartz expression, in Temporal's calendar numbering.

    Every field holds at least one :class:`Range` and matches when any of its
    ranges does, except ``year``, which is empty when every year matches.

    Attributes:
        expression: The expression as written.
        second: 0-59.
        minute: 0-59.
        hour: 0-23.
        day_of_month: 1-31.
        month: 1-12.
        day_of_week: 0-6, 0 = Sunday (Quartz's 1-7 shifted down by one).
        year: Years; empty for every year.
    """

    expression: str
    second: tuple[Range, ...]
    minute: tuple[Range, ...]
    hour: tuple[Range, ...]
    day_of_month: tuple[Range, ...]
    month: tuple[Range, ...]
    day_of_week: tuple[Range, ...]
    year: tuple[Range, ...] = ()


@dataclass(frozen=True)
class _Field:
    name: str  # Temporal's name for the field
    label: str  # how an error message names it
    low: int  # Quartz numbering
    high: int
    max_step: int | None  # Quartz's increment limit; None for the year
    names: Mapping[str, int]
    hashable: bool  # whether H is allowed


_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
_DAY_NAMES = {
    name: number
    for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)
}

# Quartz's year limit is documented as 2199 (newer releases derive it from the
# current year, which would make parsing depend on the clock).
_MAX_YEAR = 2199

_SECOND = _Field("second", "second", 0, 59, 59, {}, hashable=True)
_MINUTE = _Field("minute", "minute", 0, 59, 59, {}, hashable=True)
_HOUR = _Field("hour", "hour", 0, 23, 23, {}, hashable=True)
_DAY_OF_MONTH = _Field("day_of_month", "day-of-month", 1, 31, 31, {}, hashable=False)
_MONTH = _Field("month", "month", 1, 12, 12, _MONTH_NAMES, hashable=False)
_DAY_OF_WEEK = _Field("day_of_week", "day-of-week", 1, 7, 7, _DAY_NAMES, hashable=False)
_YEAR = _Field("year", "year", 1970, _MAX_YEAR, None, {}, hashable=False)
_FIELDS = (_SECOND, _MINUTE, _HOUR, _DAY_OF_MONTH, _MONTH, _DAY_OF_WEEK, _YEAR)

# echo's CronExpressionFuzzer: H becomes hash % 59 in seconds and minutes and
# hash % 23 in hours (so never 59 or 23; kept for identical firing times).
_HASH_MODULUS = {"second": 59, "minute": 59, "hour": 23}

_ELEMENT = re.compile(
    r"""
    (?:
        (?P<star>\*)
      | (?P<start>[0-9]+|[A-Z]+) (?: - (?P<end>[0-9]+|[A-Z]+) )?
    )?
    (?: / (?P<step>[0-9]+) )?
    """,
    re.VERBOSE,
)


class _RefusedError(Exception):
    """One reason an expression cannot be used; becomes a PipelineError."""


def parse_quartz(expression: str, *, hash_key: str | None = None, path: str = "") -> QuartzSchedule:
    """Parse a Quartz cron expression into Temporal calendar ranges.

    Args:
        expression: ``second minute hour day-of-month month day-of-week [year]``.
        hash_key: What ``H`` hashes: the trigger's id, as echo uses. Required
            only when the expression contains ``H``.
        path: Field path to report in errors, e.g. ``triggers[0].cronExpression``.

    Returns:
        The schedule, with day of week already in Temporal's 0 = Sunday numbering.

    Raises:
        PipelineError: The expression is invalid or uses a form a Temporal
            calendar cannot express; the message names the expression and why.
    """
    try:
        return _parse(expression, hash_key)
    except _RefusedError as refused:
        message = f"cron expression {expression!r}: {refused}"
        raise PipelineError([FieldProblem(path, message)]) from None


def to_calendar_spec_kwargs(schedule: QuartzSchedule) -> dict[str, list[tuple[int, int, int]]]:
    """Return the keyword arguments of a ``ScheduleCalendarSpec``, as plain tuples.

    Each value is a list of ``(start, end, step)`` tuples, one per
    ``ScheduleRange``: ``ScheduleCalendarSpec(**{k: [ScheduleRange(*t) for t in v]
    for k, v in kwargs.items()})``. ``year`` is omitted when every year matches.

    Args:
        schedule: A parsed expression.

    Returns:
        A dict keyed by ``second, minute, hour, day_of_month, month, year,
        day_of_week``.
    """
    kwargs: dict[str, list[tuple[int, int, int]]] = {}
    for name in ("second", "minute", "hour", "day_of_month", "month", "year", "day_of_week"):
        ranges: tuple[Range, ...] = getattr(schedule, name)
        if name == "year" and not ranges:
            continue
        kwargs[name] = [r.as_tuple() for r in ranges]
    return kwargs


def describe(schedule: QuartzSchedule) -> str:
    """Return a one-line human summary, such as ``at 09:30 on Mon-Fri``.

    Args:
        schedule: A parsed expression.

    Returns:
        The summary, in the trigger's own time zone (which it does not name).
    """
    seconds, minutes, hours = schedule.second, schedule.minute, schedule.hour
    single = [_single(ranges) for ranges in (seconds, minutes, hours)]
    if single[0] is not None and single[1] is not None and single[2] is not None:
        clock = f"{single[2]:02d}:{single[1]:02d}"
        when = f"at {clock}:{single[0]:02d}" if single[0] else f"at {clock}"
    else:
        parts = []
        finer_is_every = False
        for ranges, field, unit in (
            (seconds, _SECOND, "second"),
            (minutes, _MINUTE, "minute"),
            (hours, _HOUR, "hour"),
        ):
            if unit == "second" and _single(ranges) == 0:
                pass  # the usual "on the minute": not worth saying
            elif not (finer_is_every and _is_every(ranges, field.low, field.high)):
                # "every 5 seconds" already implies every minute and hour.
                parts.append(_phrase(ranges, field, unit))
            finer_is_every = _spans(ranges, field.low, field.high)
        when = " of ".join(parts)

    days: list[str] = []
    if not _is_every(schedule.day_of_month, 1, 31):
        days.append(f"on day {_ranges_text(schedule.day_of_month)} of the month")
    if not _is_every(schedule.day_of_week, 0, 6):
        days.append(f"on {_ranges_text(schedule.day_of_week, _WEEKDAY_TEXT)}")
    if not _is_every(schedule.month, 1, 12):
        days.append(f"in {_ranges_text(schedule.month, _MONTH_TEXT)}")
    if schedule.year:
        days.append(f"in {_ranges_text(schedule.year)}")
    if not days and when.startswith("at "):
        days.append("every day")
    return " ".join([when, *days])


# -- parsing ------------------------------------------------------------------


def _parse(expression: str, hash_key: str | None) -> QuartzSchedule:
    if not isinstance(expression, str):
        raise _RefusedError(f"it must be a string, not {type(expression).__name__}")
    if not expression.strip():
        raise _RefusedError("it is empty")
    texts = expression.upper().split()
    if len(texts) not in (6, 7):
        hint = (
            "; a 5-field Unix cron expression needs a seconds field first and '?' in one day field"
            if len(texts) == 5
            else ""
        )
        raise _RefusedError(
            "expected 6 or 7 fields (second minute hour day-of-month month day-of-week [year]),"
            f" got {len(texts)}{hint}"
        )
    if len(texts) == 6:
        texts.append("*")

    parsed: dict[str, tuple[Range, ...]] = {}
    for field, text in zip(_FIELDS, texts, strict=True):
        hashed = _substitute_hash(text, field, hash_key) if field.hashable and "H" in text else text
        parsed[field.name] = _parse_field(hashed, field)

    day_of_month_text, day_of_week_text = texts[3], texts[5]
    if day_of_month_text == "?" and day_of_week_text == "?":
        raise _RefusedError("'?' may be used in day-of-month or in day-of-week, not in both")
    if "?" not in (day_of_month_text, day_of_week_text):
        raise _RefusedError(_both_days_message(texts))

    # Quartz's 1 = Sunday becomes Temporal's 0 = Sunday: a plain shift, so
    # steps and range shapes carry over unchanged.
    day_of_week = tuple(Range(r.start - 1, r.end - 1, r.step) for r in parsed["day_of_week"])
    year = parsed["year"]
    if _is_every(year, _YEAR.low, _YEAR.high):
        year = ()  # '*' means every year, and Temporal spells that as no ranges
    return QuartzSchedule(
        expression=expression,
        second=parsed["second"],
        minute=parsed["minute"],
        hour=parsed["hour"],
        day_of_month=parsed["day_of_month"],
        month=parsed["month"],
        day_of_week=day_of_week,
        year=year,
    )


def _both_days_message(texts: Sequence[str]) -> str:
    message = (
        "Quartz needs '?' in exactly one of day-of-month and day-of-week"
        f" (got {texts[3]!r} and {texts[5]!r})"
    )
    fixed = list(texts[:6]) + ([texts[6]] if texts[6] != "*" else [])
    if texts[5] == "*":
        fixed[5] = "?"
    elif texts[3] == "*":
        fixed[3] = "?"
    else:
        return message + "; a schedule cannot restrict both the day of the month and the weekday"
    return message + f"; write {' '.join(fixed)!r}"


def _substitute_hash(text: str, field: _Field, hash_key: str | None) -> str:
    if hash_key is None:
        raise _RefusedError(
            f"'H' in the {field.label} field needs a trigger id to hash, and none was given"
        )
    value = abs(_java_string_hash(hash_key)) % _HASH_MODULUS[field.name]
    return text.replace("H", str(value))


def _java_string_hash(text: str) -> int:
    """Java's ``String.hashCode``: 31-based over UTF-16 code units, 32-bit signed."""
    encoded = text.encode("utf-16-be")
    value = 0
    for index in range(0, len(encoded), 2):
        unit = (encoded[index] << 8) | encoded[index + 1]
        value = (31 * value + unit) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _parse_field(text: str, field: _Field) -> tuple[Range, ...]:
    if text == "?":
        # "No specific value": the other day field decides, so match every day.
        if field not in (_DAY_OF_MONTH, _DAY_OF_WEEK):
            raise _RefusedError(
                f"'?' is only allowed in day-of-month or day-of-week, not {field.label}"
            )
        return (Range(field.low, field.high),)
    ranges: list[Range] = []
    for element in text.split(","):
        ranges.extend(_parse_element(element, field))
    return tuple(ranges)


def _parse_element(element: str, field: _Field) -> list[Range]:
    unsupported = _unsupported_feature(element, field)
    if unsupported is not None:
        raise _RefusedError(unsupported)
    match = _ELEMENT.fullmatch(element)
    if element == "" or match is None:
        raise _RefusedError(f"cannot parse {element!r} in the {field.label} field")
    star, start_text, end_text, step_text = match.group("star", "start", "end", "step")

    step = 1
    if step_text is not None:
        if any(_is_name(part) for part in (start_text, end_text)):
            raise _RefusedError(
                f"a step after a name ({element!r} in {field.label}) is ignored by Quartz;"
                " use numbers"
            )
        step = int(step_text)
        if step < 1:
            raise _RefusedError(f"the step in {element!r} ({field.label}) must be at least 1")
        if field.max_step is not None and step > field.max_step:
            raise _RefusedError(
                f"the step in {element!r} ({field.label}) must be at most {field.max_step}"
            )

    if star is not None or start_text is None:
        # '*', '*/n', and Quartz's bare '/n', which means the same as '*/n'.
        return [Range(field.low, field.high, step)]

    if end_text is not None and _is_name(start_text) != _is_name(end_text):
        raise _RefusedError(
            f"a range mixes a name and a number ({element!r} in {field.label}),"
            " which Quartz does not accept"
        )
    start = _value(start_text, field, element)
    if end_text is not None:
        end = _value(end_text, field, element)
    elif step_text is not None:
        end = field.high  # 'a/n': from a up to the field's maximum
    else:
        end = start
    if end >= start:
        return [Range(start, end, step)]
    return _wrapped(start, end, step, field, element)


def _wrapped(start: int, end: int, step: int, field: _Field, element: str) -> list[Range]:
    """Split an overflowing range such as hours ``22-2`` into two, keeping the step phase."""
    if field is _YEAR:
        raise _RefusedError(f"the year range {element!r} ends before it starts")
    # Quartz counts on past the maximum and wraps modulo the field's size, so
    # FRI-MON is 6,7,1,2 and hours 22-2/3 are 22,1.
    size = field.high - field.low + 1
    ranges = [Range(start, field.high, step)]
    steps_to_wrap = -(-(field.high + 1 - start) // step)  # ceiling division
    first_wrapped = start + steps_to_wrap * step - size
    if first_wrapped <= end:
        ranges.append(Range(first_wrapped, end, step))
    return ranges


def _value(text: str, field: _Field, element: str) -> int:
    if _is_name(text):
        if text not in field.names:
            known = f" (one of {', '.join(field.names)})" if field.names else ""
            raise _RefusedError(f"unknown {field.label} name {text!r}{known}")
        return field.names[text]
    value = int(text)
    if not field.low <= value <= field.high:
        within = f" in {element!r}" if element != text else ""
        raise _RefusedError(
            f"{field.label} value {value}{within} is out of range {field.low}-{field.high}"
        )
    return value


def _is_name(text: str | None) -> bool:
    return text is not None and text.isalpha()


def _unsupported_feature(element: str, field: _Field) -> str | None:
    """Name the Quartz feature in ``element`` that a Temporal calendar lacks, if any."""
    # Take names out first so that JUL is not read as 'L' nor WED as 'W'.
    rest = element
    for name in (*_MONTH_NAMES, *_DAY_NAMES):
        rest = rest.replace(name, "")
    where = f"{element!r} in {field.label}"
    if "#" in rest:
        return f"'#' (nth weekday of the month, {where}) cannot be expressed as a Temporal schedule"
    if "LW" in rest:
        return (
            f"'LW' (last weekday of the month, {where}) cannot be expressed as a Temporal schedule"
        )
    if "L" in rest:
        return f"'L' (last day, {where}) cannot be expressed as a Temporal schedule"
    if "W" in rest:
        return f"'W' (nearest weekday, {where}) cannot be expressed as a Temporal schedule"
    if "H" in rest:
        return (
            f"'H' (hashed value, {where}) is only supported in the second, minute and hour fields"
        )
    if "?" in rest:
        return f"'?' must stand alone in day-of-month or day-of-week ({where})"
    return None


# -- describing ---------------------------------------------------------------

_WEEKDAY_TEXT = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTH_TEXT = (
    "",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


def _single(ranges: Sequence[Range]) -> int | None:
    if len(ranges) == 1 and ranges[0].start == ranges[0].end:
        return ranges[0].start
    return None


def _spans(ranges: Sequence[Range], low: int, high: int) -> bool:
    """Whether the ranges are one range from the field's first to its last value, any step."""
    return len(ranges) == 1 and ranges[0].start == low and ranges[0].end == high


def _is_every(ranges: Sequence[Range], low: int, high: int) -> bool:
    """Whether the ranges match every value of the field."""
    return _spans(ranges, low, high) and ranges[0].step == 1


def _phrase(ranges: Sequence[Range], field: _Field, unit: str) -> str:
    if _spans(ranges, field.low, field.high):
        step = ranges[0].step
        return f"every {unit}" if step == 1 else f"every {step} {unit}s"
    value = _single(ranges)
    if value is not None:
        return f"{unit} {value}"
    return f"{unit}s {_ranges_text(ranges)}"


def _ranges_text(ranges: Sequence[Range], labels: Sequence[str] | None = None) -> str:
    def label(value: int) -> str:
        return labels[value] if labels is not None else str(value)

    texts = []
    for r in ranges:
        if r.start == r.end:
            texts.append(label(r.start))
        elif r.step == 1:
            texts.append(f"{label(r.start)}-{label(r.end)}")
        else:
            texts.append(f"{label(r.start)}-{label(r.end)}/{r.step}")
    return ",".join(texts)
