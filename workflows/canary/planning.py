"""Planning and aggregating a multi-interval canary (Orca's ``RunCanaryIntervalsStage``).

Pure: no Temporal, no I/O. The stage handler plans once when it starts, then waits
and judges run by run; these functions decide every window and every verdict.

The rules (``canary-judge.md`` §3):

- lifetime: from ``startTimeIso`` (or now) to ``scopes[0].endTimeIso`` in whole
  minutes (retrospective), else ``lifetimeDuration`` / ``lifetimeHours``;
- interval: ``canaryAnalysisIntervalMins``, or the lifetime when missing, 0 or longer;
- N = ⌊lifetime minutes / interval minutes⌋ runs;
- a warm-up wait first when ``beginCanaryAnalysisAfterMins`` > 0 (in both modes);
- real time: an interval wait before every run, windows growing from T0 + warm-up;
  retrospective: no waits, windows growing from T0;
- ``lookbackMins`` makes the window slide: start = end − lookback;
- the control window is shifted back by the baseline offset;
- a run whose score is ≤ marginal fails the stage at once; the final verdict
  compares only the last score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.stages.canary import NO_LIFETIME, CanaryStageConfig

__all__ = [
    "FEWER_POINTS_WARNING",
    "RUN_FAILED_MESSAGE",
    "CanaryPlan",
    "DeployedScope",
    "PlanError",
    "PlannedRun",
    "ScopeWindow",
    "Thresholds",
    "Verdict",
    "aggregate",
    "format_score",
    "plan_canary",
    "run_fails",
]

RUN_FAILED_MESSAGE = "Canary score is not above the marginal score threshold."
"""Orca's ``canaryScoreMessage`` for a run whose score is ≤ marginal."""

FEWER_POINTS_WARNING = (
    "One of the metrics returned fewer than 50 data points, which can reduce confidence "
    "in the final canary score."
)
"""Orca's warning when a metric's control has fewer than 50 points."""

NO_SCORES_MESSAGE = "There were no successful canary judgements to aggregate"


class PlanError(ValueError):
    """The stage's fields do not make a runnable plan (no lifetime, a zero-minute one)."""


@dataclass(frozen=True)
class Thresholds:
    """The stage's ``scoreThresholds``; None means "not specified"."""

    pass_: float | None
    marginal: float | None


@dataclass(frozen=True)
class ScopeWindow:
    """One side of one scope in one run: what to query and over which window."""

    scope: str | None
    location: str | None
    start: datetime
    end: datetime
    step: int
    extended_scope_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeployedScope:
    """A server group deployed for ``realTimeAutomatic``: it replaces a scope's name and place."""

    name: str
    location: str
    cluster: str
    account_id: str | None = None


@dataclass(frozen=True)
class PlannedRun:
    """``Run Canary #index``: wait ``wait_seconds`` first, then judge these windows."""

    index: int
    wait_seconds: int
    scopes: Mapping[str, tuple[ScopeWindow, ScopeWindow]]
    """Scope name → (control, experiment)."""

    @property
    def name(self) -> str:
        """The run's name as Orca shows it."""
        return f"Run Canary #{self.index}"


@dataclass(frozen=True)
class CanaryPlan:
    """Every wait and run of one ``kayentaCanary`` stage, decided when it starts."""

    realtime: bool
    start: datetime
    lifetime_minutes: int
    interval_minutes: int
    warmup_seconds: int
    runs: Sequence[PlannedRun]

    def summary(self) -> dict[str, object]:
        """A small JSON-ready description for the stage context."""
        return {
            "mode": "realTime" if self.realtime else "retrospective",
            "startTimeIso": _iso(self.start),
            "lifetimeMinutes": self.lifetime_minutes,
            "intervalMinutes": self.interval_minutes,
            "warmupSeconds": self.warmup_seconds,
            "runs": len(self.runs),
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _whole_minutes(delta: timedelta) -> int:
    # Java's Duration.toMinutes() and Instant.until(MINUTES) truncate toward zero.
    seconds = delta.total_seconds()
    return int(seconds // 60) if seconds >= 0 else -int(-seconds // 60)


def plan_canary(
    config: CanaryStageConfig,
    now: datetime,
    deployed: Mapping[str, tuple[DeployedScope, DeployedScope]] | None = None,
) -> CanaryPlan:
    """Plan a canary stage's runs.

    Args:
        config: The stage's ``canaryConfig``.
        now: The time the stage plans (workflow time); T0 when no ``startTimeIso``.
        deployed: For ``realTimeAutomatic``, scope name → the (control, experiment)
            server groups deployed for it.

    Raises:
        PlanError: No lifetime and no end time, or a lifetime under one minute.
    """
    start = config.start_time or now
    end = config.end_time
    if end is not None:
        lifetime = timedelta(minutes=_whole_minutes(end - start))
    elif config.lifetime is not None:
        lifetime = config.lifetime
    else:
        raise PlanError(NO_LIFETIME)
    lifetime_minutes = _whole_minutes(lifetime)
    interval = (
        timedelta(minutes=config.canary_analysis_interval_mins)
        if config.canary_analysis_interval_mins is not None
        else lifetime
    )
    if interval == timedelta() or interval > lifetime:
        interval = lifetime
    interval_minutes = _whole_minutes(interval)
    if lifetime_minutes <= 0 or interval_minutes <= 0:
        where = "the end time is not after the start time" if end else "lifetimeDuration"
        raise PlanError(
            f"the canary lifetime must be at least one minute ({where}: {lifetime_minutes} minutes)"
        )
    count = lifetime_minutes // interval_minutes
    warmup = timedelta(minutes=config.begin_canary_analysis_after_mins)
    realtime = end is None
    runs = [
        PlannedRun(
            index=index,
            wait_seconds=int(interval.total_seconds()) if realtime else 0,
            scopes=_windows(config, start, warmup, interval * index, realtime, deployed or {}),
        )
        for index in range(1, count + 1)
    ]
    return CanaryPlan(
        realtime=realtime,
        start=start,
        lifetime_minutes=lifetime_minutes,
        interval_minutes=interval_minutes,
        warmup_seconds=int(warmup.total_seconds()),
        runs=runs,
    )


def _windows(
    config: CanaryStageConfig,
    start: datetime,
    warmup: timedelta,
    offset: timedelta,
    realtime: bool,
    deployed: Mapping[str, tuple[DeployedScope, DeployedScope]],
) -> dict[str, tuple[ScopeWindow, ScopeWindow]]:
    if realtime:
        begin, end = start + warmup, start + warmup + offset
    else:
        begin, end = start, start + offset
    if config.lookback_mins > 0:
        begin = end - timedelta(minutes=config.lookback_mins)
    step = config.scopes[0].step
    windows: dict[str, tuple[ScopeWindow, ScopeWindow]] = {}
    for scope in config.scopes:
        offset_minutes = (
            scope.control_offset_in_minutes
            if scope.control_offset_in_minutes is not None
            else config.baseline_analysis_offset_in_mins
        )
        shift = timedelta(minutes=offset_minutes)
        control_name, control_location = scope.control_scope, scope.control_location
        experiment_name, experiment_location = scope.experiment_scope, scope.experiment_location
        control_params = dict(scope.extended_scope_params)
        experiment_params = dict(scope.extended_scope_params)
        pair = deployed.get(scope.scope_name)
        if pair is not None:
            control, experiment = pair
            control_name, control_location = control.name, control.location
            experiment_name, experiment_location = experiment.name, experiment.location
            for params, group in ((control_params, control), (experiment_params, experiment)):
                # What Orca adds for a deployed server group (Atlas reads these).
                params.update({"dataset": "regional", "type": "asg"})
                if group.account_id:
                    params["accountId"] = group.account_id
        windows[scope.scope_name] = (
            ScopeWindow(
                control_name, control_location, begin - shift, end - shift, step, control_params
            ),
            ScopeWindow(experiment_name, experiment_location, begin, end, step, experiment_params),
        )
    return windows


def run_fails(score: float, thresholds: Thresholds) -> bool:
    """True when one run's score fails the stage at once: score ≤ marginal."""
    return thresholds.marginal is not None and score <= thresholds.marginal


@dataclass(frozen=True)
class Verdict:
    """The stage's result after its last run (``AggregateCanaryResultsTask``)."""

    succeeded: bool
    message: str
    final_score: float | None


def format_score(score: float) -> str:
    """A score as Orca's messages print a Kotlin Double (``100.0``, ``66.67``)."""
    return repr(float(score))


def aggregate(scores: Sequence[float], thresholds: Thresholds) -> Verdict:
    """The final verdict: only the last score counts.

    ≤ marginal fails, < pass fails, otherwise it succeeds; an unset threshold is
    skipped, with Orca's messages.
    """
    if not scores:
        return Verdict(False, NO_SCORES_MESSAGE, None)
    final = scores[-1]
    shown = format_score(final)
    if thresholds.pass_ is None and thresholds.marginal is None:
        return Verdict(True, "No score thresholds were specified.", final)
    if thresholds.marginal is not None and final <= thresholds.marginal:
        return Verdict(
            False, f"Final canary score {shown} is not above the marginal score threshold.", final
        )
    if thresholds.pass_ is None:
        return Verdict(True, "No pass score threshold was specified.", final)
    if final < thresholds.pass_:
        return Verdict(
            False, f"Final canary score {shown} is below the pass score threshold.", final
        )
    return Verdict(
        True, f"Final canary score {shown} met or exceeded the pass score threshold.", final
    )
