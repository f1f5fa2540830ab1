"""Which server groups of a cluster a stage acts on (pure).

Dynamic targets (``current_asg_dynamic`` and friends) and Orca's cluster-wide
stages (``disableCluster``, ``scaleDownCluster``, ``shrinkCluster``). Each
cluster-wide function returns the groups to act on; the groups it keeps are
chosen as Orca does:

- groups just deployed by this run (``exclude``), and any group newer than them,
  are never touched and count towards the number to keep;
- "active" means enabled (taking traffic);
- the groups kept are the newest (or, with the *larger* options, those with the
  most instances, then the newest).

All functions take the groups of one cluster in one region.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Sequence
from enum import StrEnum

from models.aws import ServerGroup
from models.errors import NotFoundError, ValidationError
from models.naming import ServerGroupName

__all__ = [
    "Target",
    "cluster_size_matches",
    "disable_cluster",
    "is_active",
    "newest_first",
    "resolve_target",
    "scale_down_cluster",
    "shrink_cluster",
    "source_server_group",
]


class Target(StrEnum):
    """Dynamic targets of server group stages."""

    CURRENT = "current_asg_dynamic"
    """The newest server group."""
    ANCESTOR = "ancestor_asg_dynamic"
    """The one before the newest."""
    OLDEST = "oldest_asg_dynamic"
    """The oldest server group."""


def _sequence(group: ServerGroup) -> int:
    parsed = ServerGroupName.try_parse(group.name)
    return parsed.sequence if parsed else -1


def _newest_key(group: ServerGroup) -> tuple[float, int, str]:
    # Sequences wrap after 999, so creation time decides; the sequence only breaks ties.
    return (group.created_time.timestamp(), _sequence(group), group.name)


def newest_first(groups: Sequence[ServerGroup]) -> list[ServerGroup]:
    """The groups sorted newest first (by creation time, then sequence)."""
    return sorted(groups, key=_newest_key, reverse=True)


def is_active(group: ServerGroup) -> bool:
    """Whether a group takes traffic (Orca's ``isActive`` for AWS: not disabled)."""
    return group.enabled


def resolve_target(
    groups: Sequence[ServerGroup],
    target: Target | str | None = None,
    *,
    server_group_name: str | None = None,
    only_enabled: bool = False,
    cluster: str | None = None,
) -> ServerGroup:
    """The group a server group stage acts on: an explicit name or a dynamic target.

    Args:
        groups: The cluster's groups in one region.
        target: ``current_asg_dynamic``, ``ancestor_asg_dynamic`` or ``oldest_asg_dynamic``.
        server_group_name: An explicit group; wins over ``target``.
        only_enabled: Consider enabled groups only.
        cluster: The cluster name, for error messages.

    Raises:
        NotFoundError: No group matches (the message names the cluster and target).
        ValidationError: Neither a target nor a name, or an unknown target.
    """
    where = f"cluster {cluster!r}" if cluster else "the cluster"
    candidates = [g for g in groups if g.enabled] if only_enabled else list(groups)
    if server_group_name:
        for group in candidates:
            if group.name == server_group_name:
                return group
        raise NotFoundError(f"server group {server_group_name!r} not found in {where}")
    if target is None:
        raise ValidationError("a target or a serverGroupName is required")
    try:
        chosen = Target(target)
    except ValueError:
        known = ", ".join(t.value for t in Target)
        raise ValidationError(f"unknown target {target!r} (known: {known})") from None
    ordered = newest_first(candidates)
    index = {Target.CURRENT: 0, Target.ANCESTOR: 1, Target.OLDEST: -1}[chosen]
    needed = 2 if chosen is Target.ANCESTOR else 1
    if len(ordered) < needed:
        kind = "enabled server groups" if only_enabled else "server groups"
        raise NotFoundError(f"{chosen.value}: {where} has {len(ordered)} {kind}, needs {needed}")
    return ordered[index]


def source_server_group(groups: Sequence[ServerGroup]) -> ServerGroup | None:
    """The group a deploy replaces: the newest enabled one, else the newest, else None."""
    ordered = newest_first(groups)
    for group in ordered:
        if group.enabled:
            return group
    return ordered[0] if ordered else None


def _excluded(groups: Sequence[ServerGroup], exclude: Collection[str]) -> set[str]:
    """The just-deployed groups and every group newer than the oldest of them."""
    deployed = [g for g in groups if g.name in exclude]
    if not deployed:
        return set()
    oldest = min(g.created_time for g in deployed)
    return {g.name for g in groups if g.name in exclude or g.created_time > oldest}


def _keep_order(
    *, active_first: bool, larger_first: bool
) -> Callable[[ServerGroup], tuple[int, int, float, int]]:
    def key(group: ServerGroup) -> tuple[int, int, float, int]:
        # Sorted ascending, so negate what should come first.
        return (
            -int(is_active(group)) if active_first else 0,
            -len(group.instances) if larger_first else 0,
            -group.created_time.timestamp(),
            -_sequence(group),
        )

    return key


def _select(
    groups: Sequence[ServerGroup],
    *,
    keep: int,
    exclude: Collection[str],
    include_active: bool,
    active_first: bool,
    larger_first: bool,
) -> list[ServerGroup]:
    if keep < 0:
        raise ValidationError(f"the number of server groups to keep ({keep}) must not be negative")
    skipped = _excluded(groups, exclude)
    candidates = [g for g in groups if g.name not in skipped]
    if not include_active:
        candidates = [g for g in candidates if not is_active(g)]
    # Groups left out (just deployed, or active when those are spared) count as kept.
    drop = max(0, keep - (len(groups) - len(candidates)))
    order = _keep_order(active_first=active_first, larger_first=larger_first)
    return sorted(candidates, key=order)[drop:]


def disable_cluster(
    groups: Sequence[ServerGroup],
    *,
    remaining_enabled_server_groups: int = 1,
    prefer_larger_over_newer: bool = False,
    exclude: Collection[str] = (),
) -> list[ServerGroup]:
    """``disableCluster``: the enabled groups to disable so that N stay enabled.

    The count of groups kept includes ``exclude`` (the groups this run deployed).
    """
    if remaining_enabled_server_groups < 0:
        raise ValidationError("remainingEnabledServerGroups must not be negative")
    # Unlike the other two, Orca counts only the just-deployed groups as kept here.
    skipped = _excluded(groups, exclude)
    candidates = [g for g in groups if g.name not in skipped and is_active(g)]
    drop = max(0, remaining_enabled_server_groups - len(skipped))
    order = _keep_order(active_first=False, larger_first=prefer_larger_over_newer)
    return sorted(candidates, key=order)[drop:]


def scale_down_cluster(
    groups: Sequence[ServerGroup],
    *,
    remaining_full_size_server_groups: int = 1,
    prefer_larger_over_newer: bool = False,
    allow_scale_down_active: bool = False,
    exclude: Collection[str] = (),
) -> list[ServerGroup]:
    """``scaleDownCluster``: the groups to scale to 0 so that N stay full size.

    Active groups are spared (and count as kept) unless ``allow_scale_down_active``.
    """
    return _select(
        groups,
        keep=remaining_full_size_server_groups,
        exclude=exclude,
        include_active=allow_scale_down_active,
        active_first=allow_scale_down_active,
        larger_first=prefer_larger_over_newer,
    )


def shrink_cluster(
    groups: Sequence[ServerGroup],
    *,
    shrink_to_size: int = 1,
    retain_larger_over_newer: bool = False,
    allow_delete_active: bool = False,
    exclude: Collection[str] = (),
) -> list[ServerGroup]:
    """``shrinkCluster``: the groups to destroy so that the newest N remain.

    Active groups are spared (and count as kept) unless ``allow_delete_active``;
    when they may go, active groups are kept before inactive ones.
    """
    return _select(
        groups,
        keep=shrink_to_size,
        exclude=exclude,
        include_active=allow_delete_active,
        active_first=allow_delete_active,
        larger_first=retain_larger_over_newer,
    )


_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    ">=": operator.ge,
    ">": operator.gt,
}


def cluster_size_matches(
    groups: Sequence[ServerGroup],
    *,
    comparison: str = "==",
    expected: int = 1,
    only_enabled: bool = False,
) -> bool:
    """The ``clusterSize`` precondition: compare the number of groups with ``expected``.

    Raises:
        ValidationError: An unknown comparison.
    """
    try:
        compare = _COMPARISONS[comparison]
    except KeyError:
        known = ", ".join(_COMPARISONS)
        raise ValidationError(f"unknown comparison {comparison!r} (known: {known})") from None
    count = sum(1 for g in groups if g.enabled) if only_enabled else len(groups)
    return compare(count, expected)
