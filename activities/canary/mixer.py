"""Kayenta's ``MetricSetMixerService``: pair control and experiment series into metric set pairs.

Series are paired by their tags (one pair per tag set found on either side). A
side with no series for a tag set, or with fewer points than the other, is padded
with NaN, so "no data" reaches the judge as an all-NaN list, which it treats as
missing after NaN removal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from activities.canary.sources import Fetched, Series
from models.canary import MetricSetPair, MetricSetScope, MetricSetValues
from workflows.canary.messages import iso

__all__ = ["MixedMetric", "mix"]


@dataclass(frozen=True)
class MixedMetric:
    """One metric set pair, with the time grid of each side (for plots)."""

    pair: MetricSetPair
    control_ms: list[int]
    experiment_ms: list[int]


def _key(tags: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(tags.items()))


def _padded(series: Series | None, length: int) -> list[float]:
    values = list(series.values) if series is not None else []
    return values + [math.nan] * (length - len(values))


def _scope(grid: list[int], step_seconds: int) -> MetricSetScope:
    start = grid[0] if grid else 0
    return MetricSetScope(
        startTimeIso=iso(datetime.fromtimestamp(start / 1000, UTC)) if grid else None,
        startTimeMillis=start if grid else None,
        stepMillis=step_seconds * 1000,
    )


def mix(
    name: str, control: Fetched, experiment: Fetched, *, step_seconds: int
) -> list[MixedMetric]:
    """The metric set pairs of one metric, one per tag set, in a stable order."""
    control_by = {_key(s.tags): s for s in control.series}
    experiment_by = {_key(s.tags): s for s in experiment.series}
    keys = sorted(set(control_by) | set(experiment_by)) or [()]
    length = max(
        len(control.timestamps_ms),
        len(experiment.timestamps_ms),
        *(len(s.values) for s in (*control.series, *experiment.series)),
    )
    mixed = []
    for key in keys:
        tags = dict(key)
        suffix = ",".join(f"{k}={v}" for k, v in key)
        pair = MetricSetPair(
            name=name,
            id=f"{name}{{{suffix}}}" if suffix else name,
            tags=tags,
            values=MetricSetValues(
                control=_padded(control_by.get(key), length),
                experiment=_padded(experiment_by.get(key), length),
            ),
            scopes={
                "control": _scope(control.timestamps_ms, step_seconds),
                "experiment": _scope(experiment.timestamps_ms, step_seconds),
            },
            attributes={
                "control": {"query": control.query},
                "experiment": {"query": experiment.query},
            },
        )
        mixed.append(MixedMetric(pair, control.timestamps_ms, experiment.timestamps_ms))
    return mixed
