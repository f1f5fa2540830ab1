"""What a canary stage records: compact run summaries, its outputs, and its live details.

Pure (no Temporal). Outputs stay small whatever the number of runs and metrics
(the engine caps a stage's outputs at 32 KB):

- every run keeps its score, windows, the count of each classification and the
  classification of every metric that did not pass (the others passed);
- only the latest run keeps each metric's numbers (ratio, interval, counts,
  reason), which is what the verdict rests on and what the report shows; with
  many metrics, passing metrics keep only their ratio (``metricsCompacted``), and
  with very many they are left out (``passingMetricsOmitted``); the report
  recomputes what is missing from the series.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from workflows.canary.messages import JudgementSummary, iso
from workflows.canary.planning import CanaryPlan, PlannedRun, ScopeWindow, Thresholds, format_score

__all__ = [
    "OUTPUT_BUDGET",
    "live_details",
    "metric_key",
    "run_record",
    "stage_outputs",
    "window_spec",
]

OUTPUT_BUDGET = 28 * 1024
"""Bytes of outputs above which passing metrics keep only their ratio (the cap is 32 KB)."""


def window_spec(window: ScopeWindow) -> dict[str, Any]:
    """A scope window as Kayenta's ``CanaryScope`` JSON."""
    return {
        "scope": window.scope,
        "location": window.location,
        "start": iso(window.start),
        "end": iso(window.end),
        "step": window.step,
        "extendedScopeParams": dict(window.extended_scope_params),
    }


def metric_key(name: str, tags: Mapping[str, str] | None = None) -> str:
    """``name`` or ``name{tag=value,...}``: one key per metric set pair."""
    if not tags:
        return name
    return name + "{" + ",".join(f"{k}={v}" for k, v in sorted(tags.items())) + "}"


def _duration(delta: timedelta) -> str:
    seconds = max(0.0, delta.total_seconds())
    return f"PT{seconds:g}S"


def run_record(
    summary: JudgementSummary, run: PlannedRun, started: datetime, ended: datetime
) -> dict[str, Any]:
    """One run's compact record (Orca's run-stage context, plus its classifications)."""
    return {
        "index": run.index,
        "name": run.name,
        "canaryScore": summary.score,
        "classification": summary.classification,
        "classificationReason": summary.classification_reason,
        "groupScores": dict(summary.group_scores),
        "classificationCounts": dict(
            sorted(Counter(m.classification for m in summary.metrics).items())
        ),
        "notPassing": {
            metric_key(m.name, m.tags): m.classification
            for m in summary.metrics
            if m.classification != "Pass"
        },
        "warnings": list(summary.warnings),
        "scopes": {
            name: {"controlScope": window_spec(c), "experimentScope": window_spec(e)}
            for name, (c, e) in run.scopes.items()
        },
        "seed": summary.seed,
        "canaryPipelineStatus": "SUCCEEDED",
        "lastUpdated": int(ended.timestamp() * 1000),
        "lastUpdatedIso": iso(ended),
        "durationString": _duration(ended - started),
    }


def _metric_details(last: JudgementSummary | None) -> list[dict[str, Any]]:
    if last is None:
        return []
    return [m.model_dump(mode="json", by_alias=True, exclude_defaults=True) for m in last.metrics]


def _compacted(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("name", "tags", "classification", "ratio")
    return [
        m if m.get("classification") != "Pass" else {k: m[k] for k in keep if k in m}
        for m in metrics
    ]


def stage_outputs(
    runs: Sequence[Mapping[str, Any]],
    last: JudgementSummary | None,
    message: str | None,
    *,
    passed: bool | None = None,
    extra: Mapping[str, Any] | None = None,
    budget: int = OUTPUT_BUDGET,
) -> dict[str, Any]:
    """The stage's outputs after ``runs`` (``canaryScores``, ``canaryScoreMessage``, ...)."""
    warnings: list[str] = []
    for run in runs:
        warnings.extend(w for w in run.get("warnings", []) if w not in warnings)
    outputs: dict[str, Any] = {
        "canaryScores": [run["canaryScore"] for run in runs],
        "canaryScore": runs[-1]["canaryScore"] if runs else None,
        "warnings": warnings,
        "hasWarnings": bool(warnings),
        "canaryRuns": [dict(run) for run in runs],
        "metrics": _metric_details(last),
    }
    if message is not None:
        outputs["canaryScoreMessage"] = message
    if passed is not None:
        outputs["didPassThresholds"] = passed
    outputs.update(extra or {})
    if _size(outputs) > budget:
        outputs["metrics"] = _compacted(outputs["metrics"])
        outputs["metricsCompacted"] = True
    if _size(outputs) > budget:
        # Very many metrics: keep the ones that did not pass, count the rest.
        kept = [m for m in outputs["metrics"] if m.get("classification") != "Pass"]
        outputs["passingMetricsOmitted"] = len(outputs["metrics"]) - len(kept)
        outputs["metrics"] = kept
    return outputs


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


def _threshold(value: float | None) -> str:
    return "not set" if value is None else format_score(value)


_MAX_DETAILS = 200
"""The engine shows a stage's details in one table cell of at most 200 characters."""


def live_details(
    plan: CanaryPlan,
    runs: Sequence[Mapping[str, Any]],
    thresholds: Thresholds,
    now_doing: str,
) -> str:
    """One line for the Web UI: what the stage does now and each interval's score so far.

    ``Interval Wait #3 (1800s) · scores #1 100.0 Pass, #2 66.67 Fail · pass 95.0,
    marginal 75.0 · 2 of 6 runs`` (the oldest scores give way when it gets long).
    """
    tail = (
        f"pass {_threshold(thresholds.pass_)}, marginal {_threshold(thresholds.marginal)}"
        f" · {len(runs)} of {len(plan.runs)} runs"
    )
    scores = [
        f"#{run['index']} {format_score(run['canaryScore'])} {run['classification']}"
        for run in runs
    ]
    while True:
        shown = ("…, " if len(scores) < len(runs) else "") + ", ".join(scores)
        line = " · ".join(
            part for part in (now_doing, f"scores {shown}" if runs else "", tail) if part
        )
        if len(line) <= _MAX_DETAILS or len(scores) <= 1:
            return line[:_MAX_DETAILS]
        scores = scores[1:]
