"""Orca's scheduling rules over a stage graph (pure; no Temporal in here).

What may start now, which status a failed stage takes, and what status the
whole execution ends with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.graph import StageGraph
from models.status import Status

__all__ = ["FailureFlags", "failure_status", "final_status", "ready_stages", "unreachable"]


@dataclass(frozen=True)
class FailureFlags:
    """A stage's "if stage fails" options."""

    fail_pipeline: bool = True
    continue_pipeline: bool = False
    complete_other_branches_then_fail: bool = False


def failure_status(flags: FailureFlags) -> Status:
    """The status of a failed stage, as Orca's ``failureStatus()``: continue, halt or stop."""
    if flags.continue_pipeline:
        return Status.FAILED_CONTINUE
    if flags.fail_pipeline:
        return Status.TERMINAL
    return Status.STOPPED


def ready_stages(graph: StageGraph, statuses: Mapping[str, Status]) -> list[str]:
    """Stages that have not started and whose every requisite lets them run, in file order."""
    return [
        ref
        for ref in graph.order
        if statuses[ref] == Status.NOT_STARTED
        and all(statuses[up].lets_downstream_run for up in graph.upstream[ref])
    ]


def unreachable(graph: StageGraph, statuses: Mapping[str, Status]) -> list[str]:
    """NOT_STARTED stages that can never run because a requisite halted."""
    blocked: set[str] = set()
    for ref in graph.topological():
        if statuses[ref] != Status.NOT_STARTED:
            continue
        for up in graph.upstream[ref]:
            if up in blocked or statuses[up].halt:
                blocked.add(ref)
                break
    return [ref for ref in graph.order if ref in blocked]


def final_status(statuses: Mapping[str, Status], flags: Mapping[str, FailureFlags]) -> Status:
    """The status an execution ends with once nothing runs (``determineFinalStatus``).

    SUCCEEDED when every stage succeeded, was skipped or failed-and-continued; else
    TERMINAL if any is TERMINAL; else CANCELED if any is CANCELED; else, with a
    STOPPED branch, SUCCEEDED unless a stopped stage asked to fail the pipeline
    once the other branches finished.
    """
    values: Sequence[Status] = list(statuses.values())
    if all(s in (Status.SUCCEEDED, Status.SKIPPED, Status.FAILED_CONTINUE) for s in values):
        return Status.SUCCEEDED
    if Status.TERMINAL in values:
        return Status.TERMINAL
    if Status.CANCELED in values:
        return Status.CANCELED
    stopped = [ref for ref, s in statuses.items() if s == Status.STOPPED]
    if stopped:
        if any(flags[ref].complete_other_branches_then_fail for ref in stopped):
            return Status.TERMINAL
        return Status.SUCCEEDED
    # Nothing failed, yet not everything ran: only possible if the caller stopped early.
    return Status.TERMINAL
