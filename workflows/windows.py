"""Execution-window arithmetic for ``restrictExecutionDuringTimeWindow``.

Spinnaker lets a stage run only inside whitelisted times of day on chosen days
of the week (``restrictedExecutionWindow``). This module answers one question,
"when may this stage start?", as pure, deterministic code so the pipeline
workflow can call it with ``workflow.now()`` and sleep until the answer.

Semantics (matching Orca's ``RestrictExecutionDuringTimeWindow``):

* Times are wall-clock times in one IANA time zone (Orca's
  ``tasks.execution-window.timezone``, default ``America/Los_Angeles``).
* ``days`` uses Spinnaker's numbering: 1 = Sunday ... 7 = Saturday. No days
  means every day; no windows means all day on the allowed days.
* A window that wraps midnight, such as 22:00-02:00, is split into 22:00-24:00
  and 00:00-02:00 **of the same calendar day**, and the ``days`` filter applies
  to the calendar day of the instant being tested. With ``days=[2]`` (Monday)
  the stage may start on Monday 00:00-02:00 and Monday 22:00-24:00, but not on
  Tuesday 00:30. That is what Orca does (it normalises a wrapped window into
  two same-day windows and checks the day of the current instant); we keep it
  so that an exported pipeline behaves the same here.
* Windows are half-open: 09:00-10:00 admits 09:00:00 up to 09:59:59.999999.
  Orca compares hours and minutes only and includes the end minute, so it would
  still admit 10:00:30; we deliberately stop at the end time.
* A window whose start equals its end is refused: it is empty here (Orca reads
  it as the single minute ``start``), and Deck's "add window" button creates
  00:00-00:00, so a forgotten one is better reported than silently kept.
* DST: an instant is allowed when its local wall-clock time is inside a window
  on an allowed local day. A window starting in the spring-forward gap opens at
  the end of the gap; during the fall-back hour the repeated wall times are
  inside the window both times round.

Nothing here imports Temporal; it reads the clock only through its arguments.
Workflow code must import it inside ``workflow.unsafe.imports_passed_through()``
(as DESIGN.md asks for models): the sandbox wraps ``zoneinfo.ZoneInfo`` in a
proxy that ``datetime`` does not accept as a time zone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TIMEZONE",
    "TimeWindow",
    "jitter_seconds",
    "next_allowed_time",
]

DEFAULT_TIMEZONE = "America/Los_Angeles"
"""Orca's default for ``tasks.execution-window.timezone``."""

# Scan this many local days ahead of ``now``. Every allowed weekday comes round
# within 7 days; the extra day covers a window that falls in a DST gap (or a
# day a zone skipped) on its first occurrence.
_SCAN_DAYS = 8 + 1

_MICROSECONDS_PER_MINUTE = 60 * 1_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TimeWindow:
    """One entry of ``restrictedExecutionWindow.whitelist``: a time-of-day range.

    The range is half-open, ``[start, end)``. An end earlier than the start
    wraps midnight (22:00-02:00); see the module docstring for how such a
    window combines with the ``days`` filter.

    Args:
        start_hour: Hour the window opens, 0-23 (Spinnaker ``startHour``).
        start_min: Minute the window opens, 0-59 (``startMin``).
        end_hour: Hour the window closes, 0-23 (``endHour``).
        end_min: Minute the window closes, 0-59 (``endMin``).

    Raises:
        ValueError: A field is out of range, not an integer, or the window is
            empty (start equals end).
    """

    start_hour: int
    start_min: int
    end_hour: int
    end_min: int

    def __post_init__(self) -> None:
        for name, value, upper in (
            ("startHour", self.start_hour, 23),
            ("startMin", self.start_min, 59),
            ("endHour", self.end_hour, 23),
            ("endMin", self.end_min, 59),
        ):
            # bool is an int subclass; True as an hour is a mistake, not 1.
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"execution window {name} must be an integer, got {value!r}")
            if not 0 <= value <= upper:
                raise ValueError(
                    f"execution window {name} must be between 0 and {upper}, got {value}"
                )
        if self.start_minute_of_day == self.end_minute_of_day:
            raise ValueError(
                f"execution window {self} is empty: its start equals its end"
                " (for all day, leave the whitelist empty)"
            )

    @property
    def start_minute_of_day(self) -> int:
        """Minutes after midnight at which the window opens."""
        return self.start_hour * 60 + self.start_min

    @property
    def end_minute_of_day(self) -> int:
        """Minutes after midnight at which the window closes."""
        return self.end_hour * 60 + self.end_min

    @property
    def wraps_midnight(self) -> bool:
        """Whether the window closes on the clock's next turn (end before start)."""
        return self.end_minute_of_day < self.start_minute_of_day

    def __str__(self) -> str:
        return f"{self.start_hour:02d}:{self.start_min:02d}-{self.end_hour:02d}:{self.end_min:02d}"


def next_allowed_time(
    now: datetime,
    windows: Sequence[TimeWindow],
    days: Sequence[int],
    timezone: str = DEFAULT_TIMEZONE,
) -> datetime:
    """Return the earliest instant at or after ``now`` when a stage may start.

    Args:
        now: The current time, timezone-aware (normally ``workflow.now()``).
        windows: The whitelist; empty means all day.
        days: Allowed days, 1 = Sunday ... 7 = Saturday; empty means every day.
        timezone: IANA name of the zone the windows are written in.

    Returns:
        ``now`` (in UTC) if it is inside an allowed window, else the UTC instant
        the next allowed window opens.

    Raises:
        ValueError: ``now`` is naive, a day is outside 1-7, the time zone is
            unknown, or no allowed time exists within the scan horizon.
        RuntimeError: This module was imported into Temporal's workflow
            sandbox rather than through ``imports_passed_through()``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got naive {now.isoformat()}")
    allowed_days = _check_days(days)
    zone = _zone(timezone)
    now_utc = now.astimezone(UTC)

    if _is_allowed(now_utc, windows, allowed_days, zone):
        return now_utc

    # The allowed set is a union of half-open intervals of instants, so the
    # answer is the left edge of one of them. Membership can only turn true
    # where the wall clock reaches a window start or midnight (continuous
    # movement) or where it jumps (a DST transition), so testing exactly those
    # instants finds the answer without stepping through time.
    start_date = now_utc.astimezone(zone).date()
    horizon = now_utc + timedelta(days=_SCAN_DAYS + 1)
    candidates = sorted(
        instant
        for instant in _candidate_instants(start_date, windows, zone, now_utc, horizon)
        if instant > now_utc
    )
    for instant in candidates:
        if _is_allowed(instant, windows, allowed_days, zone):
            return instant
    window_text = ", ".join(str(window) for window in windows) or "all day"
    raise ValueError(
        f"no allowed execution time within {_SCAN_DAYS} days of {now_utc.isoformat()}"
        f" (windows {window_text}; days {list(days) or 'all'}; time zone {timezone})"
    )


def jitter_seconds(min_delay: int, max_delay: int, random_fraction: float) -> float:
    """Return the extra wait, in seconds, of an enabled ``jitter`` block.

    Orca draws a whole number of seconds uniformly from ``[minDelay, maxDelay]``.
    Here the randomness comes from the caller (``workflow.random().random()``)
    so the workflow stays deterministic on replay.

    Args:
        min_delay: ``jitter.minDelay``, seconds, at least 0.
        max_delay: ``jitter.maxDelay``, seconds, at least ``min_delay``.
        random_fraction: A number in ``[0, 1]``.

    Returns:
        ``min_delay + (max_delay - min_delay) * random_fraction``.

    Raises:
        ValueError: A delay is negative, ``min_delay > max_delay``, or the
            fraction is outside ``[0, 1]`` or not finite.
    """
    if min_delay < 0 or max_delay < 0:
        raise ValueError(
            f"jitter delays must not be negative, got minDelay={min_delay}, maxDelay={max_delay}"
        )
    if min_delay > max_delay:
        raise ValueError(
            f"jitter minDelay ({min_delay}) must not be greater than maxDelay ({max_delay})"
        )
    if not (math.isfinite(random_fraction) and 0.0 <= random_fraction <= 1.0):
        raise ValueError(f"jitter random fraction must be within [0, 1], got {random_fraction}")
    return min_delay + (max_delay - min_delay) * random_fraction


def _check_days(days: Sequence[int]) -> frozenset[int]:
    for day in days:
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
            raise ValueError(
                f"execution window days must be 1 (Sunday) to 7 (Saturday), got {day!r}"
            )
    return frozenset(days)


def _zone(timezone: str) -> ZoneInfo:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {timezone!r}") from error
    # Imported into Temporal's workflow sandbox instead of passed through, this
    # module gets a proxied ZoneInfo whose instances datetime refuses as tzinfo
    # ("not type '_RestrictedProxy'"); say how to fix it instead.
    if not issubclass(type(zone), tzinfo):
        raise RuntimeError(
            "workflows.windows must be imported inside"
            " workflow.unsafe.imports_passed_through() in workflow code:"
            f" the sandbox hands it a {type(zone).__name__} instead of a ZoneInfo"
        )
    return zone


def _spinnaker_day(local: datetime) -> int:
    # isoweekday: Monday 1 ... Sunday 7; Spinnaker: Sunday 1 ... Saturday 7.
    return local.isoweekday() % 7 + 1


def _microsecond_of_day(wall: time) -> int:
    # Whole numbers keep the end-exclusive comparison exact (no float rounding).
    seconds = (wall.hour * 60 + wall.minute) * 60 + wall.second
    return seconds * 1_000_000 + wall.microsecond


def _is_allowed(
    instant: datetime, windows: Sequence[TimeWindow], days: frozenset[int], zone: ZoneInfo
) -> bool:
    local = instant.astimezone(zone)
    if days and _spinnaker_day(local) not in days:
        return False
    if not windows:
        return True
    now = _microsecond_of_day(local.time())
    for window in windows:
        start = window.start_minute_of_day * _MICROSECONDS_PER_MINUTE
        end = window.end_minute_of_day * _MICROSECONDS_PER_MINUTE
        if window.wraps_midnight:
            # Orca's split: [start, 24:00) and [00:00, end) of the same day.
            if now >= start or now < end:
                return True
        elif start <= now < end:
            return True
    return False


def _candidate_instants(
    start_date: date,
    windows: Sequence[TimeWindow],
    zone: ZoneInfo,
    scan_from: datetime,
    scan_to: datetime,
) -> Iterator[datetime]:
    """Yield every instant where being allowed may switch from false to true."""
    opening_minutes = {0} | {window.start_minute_of_day for window in windows}
    for offset in range(_SCAN_DAYS + 1):
        day = start_date + timedelta(days=offset)
        for minute in opening_minutes:
            yield from _wall_time_instants(day, time(minute // 60, minute % 60), zone)
    yield from _offset_transitions(zone, scan_from, scan_to)


def _wall_time_instants(day: date, wall: time, zone: ZoneInfo) -> Iterator[datetime]:
    """Yield the instants showing ``wall`` on ``day``: none in a gap, two in a fold."""
    for fold in (0, 1):
        local = datetime.combine(day, wall, tzinfo=zone).replace(fold=fold)
        instant = local.astimezone(UTC)
        # A wall time in a spring-forward gap does not round-trip; skip it, the
        # transition instant (the end of the gap) is a candidate of its own.
        if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
            yield instant


def _offset_transitions(
    zone: ZoneInfo, scan_from: datetime, scan_to: datetime
) -> Iterator[datetime]:
    """Yield each instant in the range at which the zone's UTC offset changes."""
    step = timedelta(hours=1)
    previous = scan_from.replace(microsecond=0)
    while previous < scan_to:
        current = previous + step
        if previous.astimezone(zone).utcoffset() != current.astimezone(zone).utcoffset():
            yield _bisect_transition(zone, previous, current)
        previous = current


def _bisect_transition(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    # tzdata transitions fall on whole seconds, so bisect on whole seconds to
    # find the first instant that carries the new offset.
    low = int((before - _EPOCH).total_seconds())
    high = int((after - _EPOCH).total_seconds())
    old_offset = before.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if _from_epoch(middle).astimezone(zone).utcoffset() == old_offset:
            low = middle
        else:
            high = middle
    return _from_epoch(high)


def _from_epoch(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)
