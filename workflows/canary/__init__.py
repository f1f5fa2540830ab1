"""The ``kayentaCanary`` stage: pure interval planning and the messages of its activities.

This package's top level has no Temporal in it (planning is tested directly). The
stage handler lives in :mod:`workflows.canary.stage` and the saved-config entity
workflow in :mod:`workflows.canary.configs`; import those explicitly.
"""

from __future__ import annotations

from workflows.canary.planning import (
    FEWER_POINTS_WARNING,
    RUN_FAILED_MESSAGE,
    CanaryPlan,
    DeployedScope,
    PlanError,
    PlannedRun,
    ScopeWindow,
    Thresholds,
    Verdict,
    aggregate,
    format_score,
    plan_canary,
    run_fails,
)

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
