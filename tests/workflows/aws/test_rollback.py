"""Rollback plans: after a failed deploy, and rollbackServerGroup EXPLICIT."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from models.aws import TAG_PREVIOUS_IMAGE, TAG_PREVIOUS_SERVER_GROUP, Capacity, ServerGroup
from models.errors import NotFoundError
from workflows.aws.rollback import (
    RollbackConfig,
    cluster_rollback,
    deploy_rollback_plan,
    previous_image,
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


class TestCancel:
    def test_cancel_rolls_back_even_without_on_failure(self, group: Make) -> None:
        before = [group("app-v000", 1)]
        current = [group("app-v000", 1), group("app-v001", 2)]
        plan = deploy_rollback_plan(
            RedBlack(),
            RollbackConfig(),
            before=before,
            current=current,
            deployed="app-v001",
            cancelled=True,
        )
        assert plan == [Enable("app-v000"), WaitForHealthy("app-v000"), Disable("app-v001")]

    def test_cancel_disables_the_new_group_while_another_serves(self, group: Make) -> None:
        before = [group("app-v000", 1)]
        current = [group("app-v000", 1), group("app-v001", 2)]
        plan = deploy_rollback_plan(
            NoStrategy(), RollbackConfig(), before=before, current=current,
            deployed="app-v001", cancelled=True,
        )  # fmt: skip
        assert plan == [Disable("app-v001")]

    def test_cancel_keeps_the_only_serving_group(self, group: Make) -> None:
        # Highlander already destroyed the old group: the new one is all there is.
        before = [group("app-v000", 1)]
        current = [group("app-v001", 2)]
        plan = deploy_rollback_plan(
            Highlander(), RollbackConfig(), before=before, current=current,
            deployed="app-v001", cancelled=True,
        )  # fmt: skip
        assert plan == []


class TestPreviousImage:
    def test_explicit_then_recorded_then_older_groups(self, group: Make) -> None:
        old = group("app-v000", 1).model_copy(update={"image_id": "ami-old"})
        mid = group("app-v001", 2).model_copy(update={"image_id": "ami-bad"})
        bad = group("app-v002", 3).model_copy(update={"image_id": "ami-bad"})
        assert previous_image(bad, [old, mid, bad], "ami-given") == "ami-given"
        assert previous_image(bad, [old, mid, bad]) == "ami-old"
        tagged = bad.model_copy(update={"tags": {TAG_PREVIOUS_IMAGE: "ami-recorded"}})
        assert previous_image(tagged, [tagged]) == "ami-recorded"
        assert previous_image(bad, [mid, bad]) is None


class TestClusterRollback:
    def test_back_to_the_recorded_group(self, group: Make) -> None:
        v000 = group("app-v000", 1, enabled=False).model_copy(update={"image_id": "ami-a"})
        v001 = group("app-v001", 2, enabled=False).model_copy(update={"image_id": "ami-b"})
        v002 = group("app-v002", 3).model_copy(
            update={"image_id": "ami-c", "tags": {TAG_PREVIOUS_SERVER_GROUP: "app-v000"}}
        )
        choice = cluster_rollback([v000, v001, v002])
        assert (choice.rollback.name, choice.restore and choice.restore.name) == (
            "app-v002",
            "app-v000",
        )
        assert choice.rollback_type == "EXPLICIT"

    def test_else_the_newest_older_group_with_another_image(self, group: Make) -> None:
        v000 = group("app-v000", 1, enabled=False).model_copy(update={"image_id": "ami-a"})
        v001 = group("app-v001", 2, enabled=False).model_copy(update={"image_id": "ami-b"})
        v002 = group("app-v002", 3).model_copy(update={"image_id": "ami-b"})
        choice = cluster_rollback([v000, v001, v002])
        assert choice.restore is not None and choice.restore.name == "app-v000"

    def test_else_a_new_group_from_the_recorded_image(self, group: Make) -> None:
        v002 = group("app-v002", 3).model_copy(
            update={"image_id": "ami-c", "tags": {TAG_PREVIOUS_IMAGE: "ami-a"}}
        )
        choice = cluster_rollback([v002])
        assert (choice.restore, choice.image_id, choice.rollback_type) == (
            None,
            "ami-a",
            "PREVIOUS_IMAGE",
        )

    def test_nothing_to_roll_back(self, group: Make) -> None:
        with pytest.raises(NotFoundError, match="no enabled server group"):
            cluster_rollback([group("app-v000", 1, enabled=False)], "app")
        with pytest.raises(NotFoundError, match="nothing to roll back app-v000 to"):
            cluster_rollback([group("app-v000", 1)], "app")
