"""Rollback plans (pure): undo a failed or cancelled deploy, or roll back a server group.

A deploy's clean-up is planned from two views of the cluster: as it was before
the deploy (for the previous group's capacity) and as it is now (listed again
after the failure), so the plan only contains what is left to undo and can be
re-planned and re-run safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.aws import TAG_PREVIOUS_IMAGE, TAG_PREVIOUS_SERVER_GROUP, ServerGroup
from models.errors import NotFoundError
from workflows.aws.capacity import pin_min
from workflows.aws.steps import Destroy, Disable, Enable, Resize, Step, Wait, WaitForHealthy
from workflows.aws.strategies import RollingRedBlack, Strategy
from workflows.aws.targets import newest_first

__all__ = [
    "ClusterRollback",
    "RollbackConfig",
    "cluster_rollback",
    "deploy_rollback_plan",
    "previous_image",
    "rollback_server_group_plan",
]


@dataclass(frozen=True)
class RollbackConfig:
    """A deploy cluster's ``rollback`` block."""

    on_failure: bool = False
    destroy_latest: bool = False


def _previous_enabled(before: Sequence[ServerGroup], deployed: str) -> ServerGroup | None:
    # As Orca: roll back only to a group that was enabled; disabled ones were likely
    # disabled by hand for being bad.
    for group in newest_first([g for g in before if g.name != deployed]):
        if group.enabled:
            return group
    return None


def deploy_rollback_plan(
    strategy: Strategy,
    rollback: RollbackConfig,
    *,
    before: Sequence[ServerGroup],
    current: Sequence[ServerGroup],
    deployed: str,
    failed_while_launching: bool = True,
    cancelled: bool = False,
    target_healthy_percentage: int = 100,
) -> list[Step]:
    """The clean-up after a deploy failed (or was cancelled) once its new group existed.

    - ``rollingredblack`` always restores the source's capacity (it was pinned).
    - With ``rollback.onFailure``, when the strategy supports it (``rollingredblack``
      always; ``redblack`` when the failure came while launching, or on cancel), the
      previous enabled group is resized back to its capacity, enabled (every
      instance registered again) and waited for, then the new group is disabled.
    - ``rollback.destroyLatest`` destroys the new group.
    - A cancelled deploy is cleaned up as if ``rollback.onFailure`` were set, and its
      new group is disabled whenever another group serves (restored or untouched),
      so that nothing is left half-made.

    Args:
        strategy: The deploy's strategy.
        rollback: The ``rollback`` block.
        before: The cluster's groups before the deploy.
        current: The cluster's groups now.
        deployed: The new group's name.
        failed_while_launching: The failure came before the old groups were touched.
        cancelled: The run was cancelled (clean up as after a launch failure).
        target_healthy_percentage: How healthy the restored group must be.
    """
    on_failure = rollback.on_failure or cancelled
    now = {g.name: g for g in current}
    restore = _previous_enabled(before, deployed)
    restore_now = now.get(restore.name) if restore is not None else None
    new_now = now.get(deployed)
    steps: list[Step] = []
    restored = False
    if restore is not None and restore_now is not None:
        if restore_now.capacity != restore.capacity and (
            isinstance(strategy, RollingRedBlack) or on_failure
        ):
            steps.append(Resize(restore.name, restore.capacity, "restore"))
        supported = strategy.rolls_back(failed_while_launching=failed_while_launching or cancelled)
        if on_failure and supported:
            steps += [
                Enable(restore.name),
                WaitForHealthy(restore.name, target_healthy_percentage),
            ]
            restored = True
    if new_now is not None:
        serving = restored or any(g.enabled for g in current if g.name != deployed)
        if restored or rollback.destroy_latest or (cancelled and serving):
            steps.append(Disable(deployed))
        if rollback.destroy_latest:
            steps.append(Destroy(deployed))
    return steps


def rollback_server_group_plan(
    restore: ServerGroup,
    rollback: ServerGroup,
    *,
    target_healthy_rollback_percentage: int = 100,
    delay_before_disable_seconds: float = 0,
    disable_only: bool = False,
    enable_and_disable_only: bool = False,
) -> list[Step]:
    """``rollbackServerGroup`` with ``rollbackType: EXPLICIT``.

    Enable the restore group, resize it to the bad group's capacity (min pinned so
    it cannot shrink while taking over), wait for it, disable the bad group, then
    unpin. ``enableAndDisableOnly`` skips the resizes; ``disableOnly`` only
    disables the bad group.
    """
    if disable_only:
        return [Disable(rollback.name)]
    steps: list[Step] = [Enable(restore.name)]
    target = rollback.capacity if rollback.capacity.desired > 0 else restore.capacity
    if not enable_and_disable_only:
        steps.append(Resize(restore.name, pin_min(target), "take over, min pinned"))
    steps.append(WaitForHealthy(restore.name, target_healthy_rollback_percentage))
    if delay_before_disable_seconds > 0:
        steps.append(Wait(delay_before_disable_seconds, "delayBeforeDisableSeconds"))
    steps.append(Disable(rollback.name))
    if not enable_and_disable_only:
        steps.append(Resize(restore.name, target, "unpin"))
    return steps


def previous_image(
    rollback: ServerGroup, groups: Sequence[ServerGroup], explicit: str | None = None
) -> str | None:
    """The image ``PREVIOUS_IMAGE`` restores, or None when there is none to be found.

    In order: the image named in the stage; the image the deploy recorded on the
    group (``gennaker:previous-image``, as Spinnaker's entity tags); the image of
    the newest older group of the cluster that runs a different image.
    """
    if explicit:
        return explicit
    recorded = rollback.tags.get(TAG_PREVIOUS_IMAGE)
    if recorded and recorded != rollback.image_id:
        return recorded
    for group in _older(rollback, groups):
        if group.image_id and group.image_id != rollback.image_id:
            return group.image_id
    return None


def _older(group: ServerGroup, groups: Sequence[ServerGroup]) -> list[ServerGroup]:
    """The cluster's groups created before ``group``, newest first."""
    return [
        g
        for g in newest_first(groups)
        if g.name != group.name and g.created_time < group.created_time
    ]


@dataclass(frozen=True)
class ClusterRollback:
    """What ``rollbackCluster`` does in one region.

    Attributes:
        rollback: The group rolled back (the newest enabled one).
        restore: The group traffic goes back to (``EXPLICIT``), or None.
        image_id: With no group to restore, the image a new group is made from
            (``PREVIOUS_IMAGE``).
    """

    rollback: ServerGroup
    restore: ServerGroup | None
    image_id: str | None = None

    @property
    def rollback_type(self) -> str:
        """``EXPLICIT`` or ``PREVIOUS_IMAGE``."""
        return "EXPLICIT" if self.restore is not None else "PREVIOUS_IMAGE"


def cluster_rollback(groups: Sequence[ServerGroup], cluster: str = "") -> ClusterRollback:
    """Choose the rollback of a cluster in one region, as Orca's rollback candidates do.

    The newest enabled group is rolled back to the group it replaced (recorded by
    the deploy as ``gennaker:previous-server-group``) if that still exists, else
    to the newest older group that runs a different image; failing both, a new
    group is made from the previous image.

    Raises:
        NotFoundError: No enabled group, or nothing to roll back to.
    """
    where = f"cluster {cluster!r}" if cluster else "the cluster"
    enabled = [g for g in newest_first(groups) if g.enabled]
    if not enabled:
        raise NotFoundError(f"{where} has no enabled server group to roll back")
    current = enabled[0]
    by_name = {g.name: g for g in groups}
    recorded = by_name.get(current.tags.get(TAG_PREVIOUS_SERVER_GROUP, ""))
    if recorded is not None and recorded.name != current.name:
        return ClusterRollback(current, recorded)
    for group in _older(current, groups):
        if group.image_id != current.image_id:
            return ClusterRollback(current, group)
    image = previous_image(current, groups)
    if image is None:
        raise NotFoundError(
            f"{where}: nothing to roll back {current.name} to (no older server group "
            "with another image, and no previous image recorded)"
        )
    return ClusterRollback(current, None, image)
