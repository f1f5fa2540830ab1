"""The small steps a deploy plan is made of (pure data).

A workflow runs a plan one step at a time, each step with one activity (or a
timer, or a child pipeline). Steps name server groups; the account and region
are the plan's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models.aws import Capacity

__all__ = [
    "Destroy",
    "Disable",
    "Enable",
    "Resize",
    "RunValidation",
    "ScaleDown",
    "Step",
    "Wait",
    "WaitForHealthy",
    "describe",
]


@dataclass(frozen=True, slots=True)
class Resize:
    """Set a group's capacity (``aws.resizeServerGroup``)."""

    server_group: str
    capacity: Capacity
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Disable:
    """Take traffic away from a group, or from ``desired_percentage`` of its instances."""

    server_group: str
    desired_percentage: int = 100


@dataclass(frozen=True, slots=True)
class Enable:
    """Give a group traffic: register every instance, resume ``AddToLoadBalancer``."""

    server_group: str


@dataclass(frozen=True, slots=True)
class ScaleDown:
    """Resize a group to 0 instances (``scaleDownCluster``); it keeps its launch template."""

    server_group: str

    @property
    def capacity(self) -> Capacity:
        """The capacity a scaled-down group has."""
        return Capacity.zero()


@dataclass(frozen=True, slots=True)
class Destroy:
    """Delete a group and its launch template."""

    server_group: str


@dataclass(frozen=True, slots=True)
class Wait:
    """Sleep (a durable timer in the workflow)."""

    seconds: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class WaitForHealthy:
    """Wait until ``target_healthy_percentage`` of the group's desired instances are healthy."""

    server_group: str
    target_healthy_percentage: int = 100


@dataclass(frozen=True, slots=True)
class RunValidation:
    """Run a validation pipeline (``pipelineBeforeCleanup``); its failure fails the deploy.

    ``parameters`` already hold ``deployedServerGroup``, ``sourceServerGroup`` and
    ``percentageComplete``, as Orca passes them.
    """

    application: str
    pipeline_id: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    percentage_complete: int = 100


Step = Resize | Disable | Enable | ScaleDown | Destroy | Wait | WaitForHealthy | RunValidation
"""Any one step of a plan."""


def describe(step: Step) -> str:
    """One line saying what a step does, for logs and the execution view."""
    match step:
        case Resize(server_group, capacity, reason):
            why = f" ({reason})" if reason else ""
            return f"resize {server_group} to {capacity}{why}"
        case Disable(server_group, pct):
            return f"disable {server_group}" + (f" ({pct}% of instances)" if pct < 100 else "")
        case Enable(server_group):
            return f"enable {server_group}"
        case ScaleDown(server_group):
            return f"scale down {server_group} to 0"
        case Destroy(server_group):
            return f"destroy {server_group}"
        case Wait(seconds, reason):
            return f"wait {seconds:g}s" + (f" ({reason})" if reason else "")
        case WaitForHealthy(server_group, pct):
            return f"wait until {pct}% of {server_group} is healthy"
        case RunValidation(application, pipeline_id, _, pct):
            return f"run validation pipeline {application}/{pipeline_id} at {pct}%"
