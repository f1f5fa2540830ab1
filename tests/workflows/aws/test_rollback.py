"""Rollback plans: after a failed deploy, and rollbackServerGroup EXPLICIT."""

from __future__ import annotations

from collections.abc import Callable

from models.aws import Capacity, ServerGroup
from workflows.aws.rollback import (
    RollbackConfig,
    deploy_rollback_plan,
    rollback_server_group_plan,
)
from workflows.aws.steps import Destroy, Disable, Enable, Resize, Wait, WaitForHealthy
from workflows.aws.strategies import Highlander, NoStrategy, RedBlack, RollingRedBlack

Make = Callable[..., ServerGroup]
C = Capacity.of


class TestRollingRedBlack:
    def test_failure_midway_restores_the_source_and_disables_the_new_group(
        self, group: Make
    ) -> None:
        before = [group("app-v000", 1, capacity=(2, 4, 8))]
        # Halfway: the source is pinned and half disabled, the new group is at 50%.
        current = [
            group("app-v000", 1, capacity=(4, 4, 8)),
            group("app-v001", 2, capacity=(2, 2, 2)),
        ]
        plan = deploy_rollback_plan(
            RollingRedBlack(),
            RollbackConfig(on_failure=True),
            before=before,
            current=current,
            deployed="app-v001",
            failed_while_launching=False,
        )
        assert plan == [
            Resize("app-v000", C(2, 4, 8), "restore"),
            Enable("app-v000"),
            WaitForHealthy("app-v000"),
            Disable("app-v001"),
        ]

    def test_without_on_failure_it_still_unpins_the_source(self, group: Make) -> None:
        before = [group("app-v000", 1, capacity=(2, 4, 8))]
        current = [group("app-v000", 1, capacity=(4, 4, 8)), group("app-v001", 2)]
        plan = deploy_rollback_plan(
            RollingRedBlack(), RollbackConfig(), before=before, current=current, deployed="app-v001"
        )
        assert plan == [Resize("app-v000", C(2, 4, 8), "restore")]

    def test_destroy_latest(self, group: Make) -> None:
        before = [group("app-v000", 1)]
        current = [group("app-v000", 1), group("app-v001", 2)]
        plan = deploy_rollback_plan(
            RollingRedBlack(),
            RollbackConfig(on_failure=True, destroy_latest=True),
            before=before,
            current=current,
            deployed="app-v001",
            target_healthy_percentage=80,
        )
        assert plan == [
            Enable("app-v000"),
            WaitForHealthy("app-v000", 80),
            Disable("app-v001"),
            Destroy("app-v001"),
        ]


class TestRedBlack:
    def test_launch_failure_rolls_back(self, group: Make) -> None:
        before = [group("app-v000", 1)]
        current = [group("app-v000", 1), group("app-v001", 2)]
        plan = deploy_rollback_plan(
            RedBlack(),
            RollbackConfig(on_failure=True),
            before=before,
            current=current,
            deployed="app-v001",
            failed_while_launching=True,
        )
        assert plan == [Enable("app-v000"), WaitForHealthy("app-v000"), Disable("app-v001")]

    def test_cleanup_failure_does_not_roll_back(self, group: Make) -> None:
        before = [group("app-v000", 1)]
        current = [group("app-v000", 1, enabled=False), group("app-v001", 2)]
        plan = deploy_rollback_plan(
            RedBlack(),
            RollbackConfig(on_failure=True),
            before=before,
            current=current,
            deployed="app-v001",
            failed_while_launching=False,
        )
        assert plan == []

    def test_cancel_after_scale_down_restores_capacity(self, group: Make) -> None:
        before = [group("app-v000", 1, capacity=(1, 3, 5))]
        current = [
            group("app-v000", 1, enabled=False, capacity=(0, 0, 0)),
            group("app-v001", 2),
        ]
        plan = deploy_rollback_plan(
            RedBlack(scale_down=True),
            RollbackConfig(on_failure=True),
            before=before,
            current=current,
            deployed="app-v001",
            failed_while_launching=False,
            cancelled=True,
        )
        assert plan == [
            Resize("app-v000", C(1, 3, 5), "restore"),
            Enable("app-v000"),
            WaitForHealthy("app-v000"),
            Disable("app-v001"),
        ]


def test_only_an_enabled_previous_group_is_restored(group: Make) -> None:
    # v000 was disabled by hand before the deploy: it is not a rollback target.
    before = [group("app-v000", 1, enabled=False)]
    current = [group("app-v000", 1, enabled=False), group("app-v001", 2)]
    plan = deploy_rollback_plan(
        RollingRedBlack(),
        RollbackConfig(on_failure=True),
        before=before,
        current=current,
        deployed="app-v001",
    )
    assert plan == []


def test_strategies_without_rollback_only_destroy_latest(group: Make) -> None:
    before = [group("app-v000", 1)]
    current = [group("app-v000", 1), group("app-v001", 2)]
    for strategy in (NoStrategy(), Highlander()):
        plain = deploy_rollback_plan(
            strategy,
            RollbackConfig(on_failure=True),
            before=before,
            current=current,
            deployed="app-v001",
        )
        assert plain == []
        destroy = deploy_rollback_plan(
            strategy,
            RollbackConfig(on_failure=True, destroy_latest=True),
            before=before,
            current=current,
            deployed="app-v001",
        )
        assert destroy == [Disable("app-v001"), Destroy("app-v001")]


def test_a_destroyed_new_group_needs_no_clean_up(group: Make) -> None:
    before = [group("app-v000", 1)]
    plan = deploy_rollback_plan(
        RedBlack(),
        RollbackConfig(on_failure=True, destroy_latest=True),
        before=before,
        current=before,
        deployed="app-v001",
    )
    assert plan == [Enable("app-v000"), WaitForHealthy("app-v000")]


class TestRollbackServerGroup:
    def test_explicit(self, group: Make) -> None:
        restore = group("app-v000", 1, enabled=False, capacity=(0, 0, 0))
        bad = group("app-v001", 2, capacity=(2, 4, 6))
        plan = rollback_server_group_plan(
            restore, bad, target_healthy_rollback_percentage=90, delay_before_disable_seconds=30
        )
        assert plan == [
            Enable("app-v000"),
            Resize("app-v000", C(4, 4, 6), "take over, min pinned"),
            WaitForHealthy("app-v000", 90),
            Wait(30, "delayBeforeDisableSeconds"),
            Disable("app-v001"),
            Resize("app-v000", C(2, 4, 6), "unpin"),
        ]

    def test_enable_and_disable_only(self, group: Make) -> None:
        plan = rollback_server_group_plan(
            group("app-v000", 1), group("app-v001", 2), enable_and_disable_only=True
        )
        assert plan == [Enable("app-v000"), WaitForHealthy("app-v000"), Disable("app-v001")]

    def test_disable_only(self, group: Make) -> None:
        plan = rollback_server_group_plan(
            group("app-v000", 1), group("app-v001", 2), disable_only=True
        )
        assert plan == [Disable("app-v001")]
