"""Deploy strategies as plans (pure): what happens after the new server group exists.

Given the cluster's groups before the deploy and the group just created, each
strategy returns an ordered list of steps (:mod:`workflows.aws.steps`) that a
workflow runs one by one. Cluster-wide choices (which groups to disable, scale
down or destroy) are made on a projection of the cluster as the earlier steps
leave it, with Orca's rules (:mod:`workflows.aws.targets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from models.aws import Capacity, ServerGroup
from models.errors import ValidationError
from workflows.aws.capacity import pin_min, rolling_percentages, rolling_step_capacity
from workflows.aws.steps import (
    Destroy,
    Disable,
    Enable,
    Resize,
    RunValidation,
    ScaleDown,
    Step,
    Wait,
    WaitForHealthy,
)
from workflows.aws.targets import (
    disable_cluster,
    scale_down_cluster,
    shrink_cluster,
    source_server_group,
)

__all__ = [
    "DeployContext",
    "Highlander",
    "NoStrategy",
    "PipelineBeforeCleanup",
    "RedBlack",
    "RollingRedBlack",
    "Strategy",
    "strategy_from_stage",
]


@dataclass(frozen=True)
class DeployContext:
    """What a strategy plans from.

    Attributes:
        before: The cluster's groups in this region before the deploy.
        deployed: The group the deploy just created.
        capacity: The full capacity the deploy aims for (see ``capacity.deploy_capacity``).
        target_healthy_percentage: ``targetHealthyDeployPercentage``.
    """

    before: tuple[ServerGroup, ...]
    deployed: ServerGroup
    capacity: Capacity
    target_healthy_percentage: int = 100

    @property
    def others(self) -> tuple[ServerGroup, ...]:
        """The groups before the deploy, without the deployed one (in case it was listed)."""
        return tuple(g for g in self.before if g.name != self.deployed.name)

    @property
    def source(self) -> ServerGroup | None:
        """The group the deploy replaces: the newest enabled one before it (else the newest)."""
        return source_server_group(self.others)


class Strategy(Protocol):
    """A deploy strategy: the capacity to create the new group with, then the steps after."""

    name: ClassVar[str]

    def creation_capacity(self, capacity: Capacity) -> Capacity:
        """The capacity to create the new group with, given the deploy's target capacity."""
        ...

    def plan(self, context: DeployContext) -> list[Step]:
        """The steps after the new group is created."""
        ...

    def rolls_back(self, *, failed_while_launching: bool) -> bool:
        """Whether ``rollback.onFailure`` restores the previous group after a failure."""
        ...


class _Projection:
    """The cluster as the steps planned so far will leave it."""

    def __init__(self, groups: Iterable[ServerGroup]) -> None:
        self._groups = {g.name: g for g in groups}

    @property
    def groups(self) -> list[ServerGroup]:
        return list(self._groups.values())

    def apply(self, step: Step) -> Step:
        group = self._groups.get(getattr(step, "server_group", ""))
        if group is None:
            return step
        if isinstance(step, Destroy):
            del self._groups[group.name]
        elif isinstance(step, Disable) and step.desired_percentage >= 100:
            self._groups[group.name] = group.model_copy(update={"enabled": False})
        elif isinstance(step, Enable):
            self._groups[group.name] = group.model_copy(update={"enabled": True})
        elif isinstance(step, ScaleDown):
            update = {"capacity": Capacity.zero(), "instances": []}
            self._groups[group.name] = group.model_copy(update=update)
        elif isinstance(step, Resize):
            self._groups[group.name] = group.model_copy(update={"capacity": step.capacity})
        return step


def _wait(seconds: float, reason: str) -> list[Step]:
    return [Wait(seconds, reason)] if seconds > 0 else []


@dataclass(frozen=True)
class NoStrategy:
    """``none``: create the new group, wait for it to be healthy, touch nothing else."""

    name: ClassVar[str] = "none"

    def creation_capacity(self, capacity: Capacity) -> Capacity:
        """The deploy's capacity, unchanged."""
        return capacity

    def plan(self, context: DeployContext) -> list[Step]:
        """Only wait for the new group."""
        return [WaitForHealthy(context.deployed.name, context.target_healthy_percentage)]

    def rolls_back(self, *, failed_while_launching: bool) -> bool:
        """Never: only ``destroyLatest`` cleans up."""
        return False


@dataclass(frozen=True)
class Highlander:
    """``highlander``: there can be only one. Every other group is disabled, then destroyed."""

    name: ClassVar[str] = "highlander"

    def creation_capacity(self, capacity: Capacity) -> Capacity:
        """The deploy's capacity, unchanged."""
        return capacity

    def plan(self, context: DeployContext) -> list[Step]:
        """Wait for the new group, then ``shrinkCluster`` to 1 with ``allowDeleteActive``."""
        new = context.deployed
        steps: list[Step] = [WaitForHealthy(new.name, context.target_healthy_percentage)]
        cluster = [*context.others, new]
        for group in shrink_cluster(
            cluster, shrink_to_size=1, allow_delete_active=True, exclude={new.name}
        ):
            if group.enabled:
                steps.append(Disable(group.name))
            steps.append(Destroy(group.name))
        return steps

    def rolls_back(self, *, failed_while_launching: bool) -> bool:
        """Never: the old groups may be gone."""
        return False


@dataclass(frozen=True)
class RedBlack:
    """``redblack`` (blue/green): the new group takes traffic, the old ones are disabled.

    Attributes:
        max_remaining_asgs: If above 0, first destroy disabled groups beyond this many.
        delay_before_disable_sec: Wait before disabling the old groups.
        scale_down: Scale the disabled groups down to 0 afterwards.
        delay_before_scale_down_sec: Wait before scaling down.
        allow_scale_down_active: Let the scale-down touch groups that are still enabled.
    """

    name: ClassVar[str] = "redblack"
    max_remaining_asgs: int = 0
    delay_before_disable_sec: float = 0
    scale_down: bool = False
    delay_before_scale_down_sec: float = 0
    allow_scale_down_active: bool = False

    def creation_capacity(self, capacity: Capacity) -> Capacity:
        """The deploy's capacity, unchanged."""
        return capacity

    def plan(self, context: DeployContext) -> list[Step]:
        """Wait for the new group; shrink, disable the others, optionally scale them down."""
        new = context.deployed
        steps: list[Step] = [WaitForHealthy(new.name, context.target_healthy_percentage)]
        if context.source is None:
            return steps
        cluster = _Projection([*context.others, new])
        if self.max_remaining_asgs > 0:
            for group in shrink_cluster(
                cluster.groups, shrink_to_size=self.max_remaining_asgs, exclude={new.name}
            ):
                steps.append(cluster.apply(Destroy(group.name)))
        steps += _wait(self.delay_before_disable_sec, "delayBeforeDisableSec")
        for group in disable_cluster(cluster.groups, exclude={new.name}):
            steps.append(cluster.apply(Disable(group.name)))
        if self.scale_down:
            steps += _wait(self.delay_before_scale_down_sec, "delayBeforeScaleDownSec")
            for group in scale_down_cluster(
                cluster.groups,
                allow_scale_down_active=self.allow_scale_down_active,
                exclude={new.name},
            ):
                if group.capacity != Capacity.zero():
                    steps.append(cluster.apply(ScaleDown(group.name)))
        return steps

    def rolls_back(self, *, failed_while_launching: bool) -> bool:
        """Only when the failure came while launching the new group, not while cleaning up."""
        return failed_while_launching


@dataclass(frozen=True)
class PipelineBeforeCleanup:
    """``pipelineBeforeCleanup``: a validation pipeline run at each rolling step."""

    application: str
    pipeline_id: str
    pipeline_parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RollingRedBlack:
    """``rollingredblack``: grow the new group step by step while disabling the source.

    The new group is created empty. The source's min is pinned to its desired
    count so it cannot scale in underneath; at each percentage p the new group
    grows to p% (pinned below 100%), becomes healthy, waits, runs the validation
    pipeline, and p% of the source's instances are taken out of traffic. Then the
    source is scaled down (``scaleDown``) or unpinned.

    Unlike Orca, the new group grows towards the deploy's capacity (which is the
    source's with ``useSourceCapacity``) rather than always the source's.
    """

    name: ClassVar[str] = "rollingredblack"
    target_percentages: tuple[int, ...] = ()
    delay_before_cleanup: float = 0
    pipeline_before_cleanup: PipelineBeforeCleanup | None = None
    scale_down: bool = False
    delay_before_scale_down_sec: float = 0

    def __post_init__(self) -> None:
        rolling_percentages(self.target_percentages)  # validate early

    @property
    def percentages(self) -> list[int]:
        """The steps, 100 appended if missing."""
        return rolling_percentages(self.target_percentages)

    def creation_capacity(self, capacity: Capacity) -> Capacity:
        """Empty: the plan grows it."""
        return Capacity.zero()

    def plan(self, context: DeployContext) -> list[Step]:
        """Pin the source, then grow / validate / disable per percentage, then clean up."""
        new = context.deployed
        source = context.source
        cluster = _Projection([*context.others, new])
        steps: list[Step] = []
        if source is not None:
            steps.append(cluster.apply(Resize(source.name, pin_min(source.capacity), "pin")))
        for pct in self.percentages:
            capacity = rolling_step_capacity(context.capacity, pct)
            steps.append(cluster.apply(Resize(new.name, capacity, f"grow to {pct}%")))
            steps.append(WaitForHealthy(new.name, context.target_healthy_percentage))
            steps += _wait(self.delay_before_cleanup, "delayBeforeCleanup")
            if self.pipeline_before_cleanup is not None:
                steps.append(self._validation(new, source, pct))
            if source is not None:
                steps.append(cluster.apply(Disable(source.name, desired_percentage=pct)))
        if source is None:
            return steps
        if self.scale_down:
            steps += _wait(self.delay_before_scale_down_sec, "delayBeforeScaleDownSec")
            for group in scale_down_cluster(cluster.groups, exclude={new.name}):
                if group.capacity != Capacity.zero():
                    steps.append(cluster.apply(ScaleDown(group.name)))
        else:
            steps.append(cluster.apply(Resize(source.name, source.capacity, "unpin")))
        return steps

    def _validation(self, new: ServerGroup, source: ServerGroup | None, pct: int) -> RunValidation:
        assert self.pipeline_before_cleanup is not None
        where = {"region": new.region, "account": new.account, "cloudProvider": "aws"}
        parameters = {
            **self.pipeline_before_cleanup.pipeline_parameters,
            "deployedServerGroup": {**where, "serverGroupName": new.name},
            "sourceServerGroup": {**where, "serverGroupName": source.name if source else None},
            "percentageComplete": pct,
        }
        return RunValidation(
            self.pipeline_before_cleanup.application,
            self.pipeline_before_cleanup.pipeline_id,
            parameters,
            pct,
        )

    def rolls_back(self, *, failed_while_launching: bool) -> bool:
        """Always, wherever the failure came."""
        return True


_UNSUPPORTED = {"custom", "monitored", "rollingpush", "cfrollingredblack"}


def _number(cluster: Mapping[str, Any], *keys: str) -> float:
    for key in keys:
        value = cluster.get(key)
        if value not in (None, ""):
            try:
                return float(value)
            except (TypeError, ValueError):
                raise ValidationError(f"{key} ({value!r}) must be a number") from None
    return 0


def strategy_from_stage(cluster: Mapping[str, Any]) -> Strategy:
    """The strategy of a deploy stage's ``clusters[]`` entry, from Spinnaker's field names.

    Raises:
        ValidationError: An unknown or unsupported ``strategy``, or a bad field.
    """
    key = cluster.get("strategy") or "none"
    if key == "none":
        return NoStrategy()
    if key == "highlander":
        return Highlander()
    if key == "redblack":
        return RedBlack(
            max_remaining_asgs=int(_number(cluster, "maxRemainingAsgs")),
            delay_before_disable_sec=_number(
                cluster, "delayBeforeDisableSec", "delayBeforeCleanup"
            ),
            scale_down=bool(cluster.get("scaleDown", False)),
            delay_before_scale_down_sec=_number(cluster, "delayBeforeScaleDownSec"),
            allow_scale_down_active=bool(cluster.get("allowScaleDownActive", False)),
        )
    if key == "rollingredblack":
        validation = cluster.get("pipelineBeforeCleanup") or {}
        before_cleanup = None
        if validation.get("application") and validation.get("pipelineId"):
            before_cleanup = PipelineBeforeCleanup(
                validation["application"],
                validation["pipelineId"],
                dict(validation.get("pipelineParameters") or {}),
            )
        return RollingRedBlack(
            target_percentages=tuple(int(p) for p in cluster.get("targetPercentages") or ()),
            delay_before_cleanup=_number(cluster, "delayBeforeCleanup"),
            pipeline_before_cleanup=before_cleanup,
            scale_down=bool(cluster.get("scaleDown", False)),
            delay_before_scale_down_sec=_number(cluster, "delayBeforeScaleDownSec"),
        )
    if key in _UNSUPPORTED:
        raise ValidationError(f"strategy {key!r} is not supported on AWS yet")
    known = "none, highlander, redblack, rollingredblack"
    raise ValidationError(f"unknown strategy {key!r} (known: {known})")
