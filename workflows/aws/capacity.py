"""Capacity arithmetic for resize stages and deploy strategies (pure).

The rules follow Orca's resize strategies: relative resizes round the change up
(``ceil``) and never go below zero; ``scale_to_cluster`` takes the largest
capacity in the cluster; rolling red/black pins the new group at each step.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable, Sequence

import pydantic

from models.aws import Capacity
from models.errors import ValidationError

__all__ = [
    "deploy_capacity",
    "healthy_required",
    "instances_to_disable",
    "pin_capacity",
    "pin_min",
    "rolling_percentages",
    "rolling_step_capacity",
    "scale_down",
    "scale_exact",
    "scale_pct",
    "scale_to_cluster",
    "scale_up",
    "unpin_min",
]


def _step(value: int, pct: float | None, incr: int | None) -> int:
    """The change for one of min/desired/max: ceil of a percentage, or a fixed count."""
    if pct is not None and incr is not None:
        raise ValidationError("resize takes scalePct or scaleNum, not both")
    if pct is not None:
        if pct < 0:
            raise ValidationError(f"scalePct ({pct}) must not be negative")
        return math.ceil(value * pct / 100)
    if incr is not None:
        if incr < 0:
            raise ValidationError(f"scaleNum ({incr}) must not be negative")
        return incr
    return 0


def scale_exact(
    current: Capacity,
    *,
    min: int | None = None,
    max: int | None = None,
    desired: int | None = None,
) -> Capacity:
    """``scale_exact``: the configured values, the current ones for what is left out.

    As Orca: an unset min keeps the current min (lowered to a configured max); an
    unset max keeps the current max (raised to the min); an unset desired keeps
    the current desired, clamped into the new bounds.

    Raises:
        ValidationError: The configured values contradict each other.
    """
    # The parameters shadow min/max, hence builtins.min/builtins.max in this function.
    new_min = min if min is not None else current.min
    if max is not None:
        new_max = max
        if min is None:
            new_min = builtins.min(new_min, max)
    else:
        new_max = builtins.max(new_min, current.max)
    if desired is not None:
        new_desired = desired
    else:
        new_desired = builtins.min(builtins.max(current.desired, new_min), new_max)
    return _capacity(new_min, new_desired, new_max, "scale_exact")


def scale_up(current: Capacity, *, pct: float | None = None, incr: int | None = None) -> Capacity:
    """``scale_up`` by ``pct`` percent (rounded up) or by ``incr`` instances.

    Min, desired and max all grow.
    """
    return Capacity(
        min=current.min + _step(current.min, pct, incr),
        desired=current.desired + _step(current.desired, pct, incr),
        max=current.max + _step(current.max, pct, incr),
    )


def scale_down(current: Capacity, *, pct: float | None = None, incr: int | None = None) -> Capacity:
    """``scale_down`` by ``pct`` percent (rounded up) or by ``incr`` instances, never below 0."""
    return Capacity(
        min=max(0, current.min - _step(current.min, pct, incr)),
        desired=max(0, current.desired - _step(current.desired, pct, incr)),
        max=max(0, current.max - _step(current.max, pct, incr)),
    )


def scale_to_cluster(
    capacities: Iterable[Capacity], *, pct: float | None = None, incr: int | None = None
) -> Capacity:
    """``scale_to_cluster``: the largest min, desired and max in the cluster.

    The desired count is then raised by ``pct`` percent or ``incr`` instances, but
    never above the resulting max.

    Raises:
        ValidationError: The cluster has no server groups.
    """
    items = list(capacities)
    if not items:
        raise ValidationError("scale_to_cluster needs at least one server group in the cluster")
    new_min = max(c.min for c in items)
    new_max = max(*(c.max for c in items), new_min)
    desired = max(*(c.desired for c in items), new_min)
    increment = _step(desired, pct, None) if pct is not None else (incr or 0)
    if increment < 0:
        raise ValidationError(f"scaleNum ({incr}) must not be negative")
    return Capacity(min=new_min, desired=min(desired + increment, new_max), max=new_max)


def scale_pct(capacity: Capacity, pct: float) -> Capacity:
    """Desired scaled to ``pct`` percent (rounded up); min and max widened to fit."""
    desired = math.ceil(capacity.desired * pct / 100)
    return Capacity(
        min=min(capacity.min, desired),
        desired=desired,
        max=max(capacity.max, desired),
    )


def pin_capacity(capacity: Capacity) -> Capacity:
    """min = max = desired: the group neither grows nor shrinks on its own."""
    return Capacity(min=capacity.desired, desired=capacity.desired, max=capacity.desired)


def pin_min(capacity: Capacity) -> Capacity:
    """min raised to desired, so the group cannot scale in (rolling red/black pins its source)."""
    return Capacity(min=capacity.desired, desired=capacity.desired, max=capacity.max)


def unpin_min(capacity: Capacity, original_min: int) -> Capacity:
    """Restore the original min; a min that would rise is left as it is (as Orca)."""
    if original_min > capacity.min:
        return capacity
    return Capacity(min=original_min, desired=capacity.desired, max=capacity.max)


def rolling_percentages(target_percentages: Sequence[int | float] | None) -> list[int]:
    """The rolling red/black steps: ``targetPercentages`` with 100 appended if missing.

    Raises:
        ValidationError: A percentage is outside 1..100 or the list does not increase.
    """
    steps = [int(p) for p in (target_percentages or [])]
    for index, pct in enumerate(steps):
        if not 0 < pct <= 100:
            raise ValidationError(f"targetPercentages[{index}] ({pct}) must be within 1..100")
        if index and pct <= steps[index - 1]:
            raise ValidationError(f"targetPercentages must increase: {steps}")
    if not steps or steps[-1] != 100:
        steps.append(100)
    return steps


def rolling_step_capacity(target: Capacity, pct: int) -> Capacity:
    """The new group's capacity at one rolling red/black step.

    Below 100% the group is pinned at ``ceil(desired * pct / 100)`` instances so
    that nothing scales it behind the strategy's back; at 100% it gets the full
    target capacity, min included.
    """
    if pct >= 100:
        return target
    return pin_capacity(scale_pct(target, pct))


def instances_to_disable(total: int, already_disabled: int, desired_percentage: int) -> int:
    """How many more instances to take out of traffic so ``desired_percentage`` of ``total`` is.

    The target count is rounded up; nothing is re-enabled when more are already out.

    Raises:
        ValidationError: ``desired_percentage`` is outside 0..100.
    """
    if not 0 <= desired_percentage <= 100:
        raise ValidationError(f"desiredPercentage ({desired_percentage}) must be within 0..100")
    target = math.ceil(total * desired_percentage / 100)
    return max(0, min(target, total) - already_disabled)


def healthy_required(desired: int, target_healthy_percentage: int) -> int:
    """How many healthy instances make ``target_healthy_percentage`` of ``desired`` (rounded up)."""
    return math.ceil(desired * target_healthy_percentage / 100)


def deploy_capacity(
    requested: Capacity | None, source: Capacity | None, *, use_source_capacity: bool = False
) -> Capacity:
    """The capacity a deploy aims for: the source's with ``useSourceCapacity``, else the stage's.

    Raises:
        ValidationError: Neither a capacity nor a source capacity to copy.
    """
    if use_source_capacity and source is not None:
        return source
    if requested is None:
        if source is not None:
            return source
        raise ValidationError("capacity is required when there is no source server group to copy")
    return requested


def _capacity(min_: int, desired: int, max_: int, what: str) -> Capacity:
    try:
        return Capacity(min=min_, desired=desired, max=max_)
    except pydantic.ValidationError as err:
        message = "; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())
        raise ValidationError(f"{what}: {message}") from None
