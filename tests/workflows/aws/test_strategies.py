"""Deploy strategy plans: the steps after the new server group exists."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from models.aws import Capacity, ServerGroup
from models.errors import ValidationError
from workflows.aws.steps import (
    Destroy,
    Disable,
    Resize,
    RunValidation,
    ScaleDown,
    Step,
    Wait,
    WaitForHealthy,
    describe,
)
from workflows.aws.strategies import (
    DeployContext,
    Highlander,
    NoStrategy,
    PipelineBeforeCleanup,
    RedBlack,
    RollingRedBlack,
    strategy_from_stage,
)

Make = Callable[..., ServerGroup]
C = Capacity.of


def context(
    before: list[ServerGroup], new: ServerGroup, capacity: Capacity | None = None, pct: int = 100
) -> DeployContext:
    return DeployContext(tuple(before), new, capacity or new.capacity, pct)


class TestNone:
    def test_only_waits_for_the_new_group(self, group: Make) -> None:
        new = group("app-v001", 2)
        plan = NoStrategy().plan(context([group("app-v000", 1)], new, pct=75))
        assert plan == [WaitForHealthy("app-v001", 75)]
        assert NoStrategy().creation_capacity(C(1, 2, 3)) == C(1, 2, 3)


class TestHighlander:
    def test_disables_then_destroys_every_other_group(self, group: Make) -> None:
        before = [group("app-v000", 1, enabled=False), group("app-v001", 2)]
        new = group("app-v002", 3)
        assert Highlander().plan(context(before, new)) == [
            WaitForHealthy("app-v002"),
            Disable("app-v001"),
            Destroy("app-v001"),
            Destroy("app-v000"),
        ]

    def test_first_deploy_has_nothing_to_remove(self, group: Make) -> None:
        assert Highlander().plan(context([], group("app-v000", 1))) == [WaitForHealthy("app-v000")]


class TestRedBlack:
    def test_no_source_only_waits(self, group: Make) -> None:
        plan = RedBlack(scale_down=True).plan(context([], group("app-v000", 1)))
        assert plan == [WaitForHealthy("app-v000")]

    def test_disables_the_previous_group(self, group: Make) -> None:
        plan = RedBlack().plan(context([group("app-v000", 1)], group("app-v001", 2)))
        assert plan == [WaitForHealthy("app-v001"), Disable("app-v000")]

    def test_second_deploy_disables_and_scales_down(self, group: Make) -> None:
        before = [group("app-v000", 1, enabled=False), group("app-v001", 2)]
        strategy = RedBlack(
            scale_down=True, delay_before_disable_sec=30, delay_before_scale_down_sec=60
        )
        assert strategy.plan(context(before, group("app-v002", 3))) == [
            WaitForHealthy("app-v002"),
            Wait(30, "delayBeforeDisableSec"),
            Disable("app-v001"),
            Wait(60, "delayBeforeScaleDownSec"),
            ScaleDown("app-v001"),
            ScaleDown("app-v000"),
        ]

    def test_already_empty_groups_are_not_scaled_down_again(self, group: Make) -> None:
        before = [group("app-v000", 1, enabled=False, capacity=(0, 0, 0)), group("app-v001", 2)]
        plan = RedBlack(scale_down=True).plan(context(before, group("app-v002", 3)))
        assert plan[-1] == ScaleDown("app-v001")
        assert ScaleDown("app-v000") not in plan

    def test_max_remaining_asgs_destroys_old_disabled_groups_first(self, group: Make) -> None:
        before = [
            group("app-v000", 1, enabled=False),
            group("app-v001", 2, enabled=False),
            group("app-v002", 3),
        ]
        plan = RedBlack(max_remaining_asgs=2).plan(context(before, group("app-v003", 4)))
        assert plan == [
            WaitForHealthy("app-v003"),
            Destroy("app-v001"),
            Destroy("app-v000"),
            Disable("app-v002"),
        ]

    def test_also_disables_older_groups_left_enabled(self, group: Make) -> None:
        before = [group("app-v000", 1), group("app-v001", 2)]
        plan = RedBlack().plan(context(before, group("app-v002", 3)))
        assert plan[1:] == [Disable("app-v001"), Disable("app-v000")]

    def test_rolls_back_only_when_launching_failed(self) -> None:
        assert RedBlack().rolls_back(failed_while_launching=True)
        assert not RedBlack().rolls_back(failed_while_launching=False)


class TestRollingRedBlack:
    def test_creates_the_new_group_empty(self) -> None:
        assert RollingRedBlack().creation_capacity(C(2, 4, 6)) == Capacity.zero()

    def test_steps_with_a_source(self, group: Make) -> None:
        source = group("app-v000", 1, capacity=(2, 4, 8))
        new = group("app-v001", 2, capacity=(0, 0, 0))
        plan = RollingRedBlack(target_percentages=(25, 50)).plan(
            context([source], new, capacity=C(2, 4, 8))
        )
        assert plan == [
            Resize("app-v000", C(4, 4, 8), "pin"),
            Resize("app-v001", C(1, 1, 1), "grow to 25%"),
            WaitForHealthy("app-v001"),
            Disable("app-v000", 25),
            Resize("app-v001", C(2, 2, 2), "grow to 50%"),
            WaitForHealthy("app-v001"),
            Disable("app-v000", 50),
            Resize("app-v001", C(2, 4, 8), "grow to 100%"),
            WaitForHealthy("app-v001"),
            Disable("app-v000", 100),
            Resize("app-v000", C(2, 4, 8), "unpin"),
        ]

    def test_capacity_grows_monotonically_to_the_target(self, group: Make) -> None:
        source = group("app-v000", 1, capacity=(3, 10, 10))
        new = group("app-v001", 2, capacity=(0, 0, 0))
        plan = RollingRedBlack(target_percentages=(10, 33, 66)).plan(
            context([source], new, capacity=C(3, 10, 10))
        )
        grown = [
            s.capacity.desired for s in plan if isinstance(s, Resize) and s.server_group == new.name
        ]
        assert grown == [1, 4, 7, 10]
        disabled = [s.desired_percentage for s in plan if isinstance(s, Disable)]
        assert disabled == [10, 33, 66, 100]

    def test_validation_and_delay_at_each_step(self, group: Make) -> None:
        source = group("app-v000", 1)
        new = group("app-v001", 2, capacity=(0, 0, 0))
        strategy = RollingRedBlack(
            target_percentages=(50,),
            delay_before_cleanup=10,
            pipeline_before_cleanup=PipelineBeforeCleanup("app", "validate", {"smoke": True}),
        )
        plan = strategy.plan(context([source], new, capacity=C(2, 2, 2)))
        validations = [s for s in plan if isinstance(s, RunValidation)]
        assert [v.percentage_complete for v in validations] == [50, 100]
        assert validations[0].parameters == {
            "smoke": True,
            "deployedServerGroup": {
                "region": "us-east-1",
                "account": "test",
                "cloudProvider": "aws",
                "serverGroupName": "app-v001",
            },
            "sourceServerGroup": {
                "region": "us-east-1",
                "account": "test",
                "cloudProvider": "aws",
                "serverGroupName": "app-v000",
            },
            "percentageComplete": 50,
        }
        # Order within a step: grow, healthy, wait, validate, disable.
        kinds = [type(s).__name__ for s in plan[1:6]]
        assert kinds == ["Resize", "WaitForHealthy", "Wait", "RunValidation", "Disable"]

    def test_scale_down_replaces_unpin(self, group: Make) -> None:
        before = [group("app-v000", 1, enabled=False), group("app-v001", 2)]
        new = group("app-v002", 3, capacity=(0, 0, 0))
        plan = RollingRedBlack(scale_down=True, delay_before_scale_down_sec=5).plan(
            context(before, new, capacity=C(2, 2, 2))
        )
        assert plan[-3:] == [
            Wait(5, "delayBeforeScaleDownSec"),
            ScaleDown("app-v001"),
            ScaleDown("app-v000"),
        ]
        assert not any(isinstance(s, Resize) and s.reason == "unpin" for s in plan)

    def test_without_a_source_grows_to_the_requested_capacity(self, group: Make) -> None:
        new = group("app-v000", 1, capacity=(0, 0, 0))
        plan = RollingRedBlack(target_percentages=(50,)).plan(context([], new, capacity=C(1, 4, 4)))
        assert plan == [
            Resize("app-v000", C(2, 2, 2), "grow to 50%"),
            WaitForHealthy("app-v000"),
            Resize("app-v000", C(1, 4, 4), "grow to 100%"),
            WaitForHealthy("app-v000"),
        ]

    def test_bad_percentages_fail_early(self) -> None:
        with pytest.raises(ValidationError, match="targetPercentages"):
            RollingRedBlack(target_percentages=(50, 20))

    def test_always_rolls_back(self) -> None:
        assert RollingRedBlack().rolls_back(failed_while_launching=False)


def test_deployed_group_listed_in_before_is_ignored(group: Make) -> None:
    new = group("app-v001", 2)
    plan = RedBlack().plan(context([group("app-v000", 1), new], new))
    assert plan == [WaitForHealthy("app-v001"), Disable("app-v000")]


class TestFromStage:
    def test_parses_spinnaker_fields(self) -> None:
        assert strategy_from_stage({}) == NoStrategy()
        assert strategy_from_stage({"strategy": ""}) == NoStrategy()
        assert strategy_from_stage({"strategy": "highlander"}) == Highlander()
        assert strategy_from_stage(
            {
                "strategy": "redblack",
                "maxRemainingAsgs": 3,
                "delayBeforeDisableSec": "15",
                "scaleDown": True,
                "delayBeforeScaleDownSec": 20,
            }
        ) == RedBlack(
            max_remaining_asgs=3,
            delay_before_disable_sec=15,
            scale_down=True,
            delay_before_scale_down_sec=20,
        )
        rolling = strategy_from_stage(
            {
                "strategy": "rollingredblack",
                "targetPercentages": [25, 50],
                "delayBeforeCleanup": 5,
                "pipelineBeforeCleanup": {
                    "application": "app",
                    "pipelineId": "p1",
                    "pipelineParameters": {"a": 1},
                },
            }
        )
        assert rolling == RollingRedBlack(
            target_percentages=(25, 50),
            delay_before_cleanup=5,
            pipeline_before_cleanup=PipelineBeforeCleanup("app", "p1", {"a": 1}),
        )

    def test_delay_before_cleanup_is_redblacks_other_spelling(self) -> None:
        strategy = strategy_from_stage({"strategy": "redblack", "delayBeforeCleanup": 9})
        assert strategy == RedBlack(delay_before_disable_sec=9)

    @pytest.mark.parametrize(
        ("cluster", "message"),
        [
            ({"strategy": "custom"}, "'custom' is not supported"),
            ({"strategy": "bluegreen"}, "unknown strategy 'bluegreen'"),
            ({"strategy": "redblack", "maxRemainingAsgs": "lots"}, "maxRemainingAsgs"),
        ],
    )
    def test_refuses_what_it_cannot_run(self, cluster: dict[str, object], message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            strategy_from_stage(cluster)


def test_every_step_describes_itself() -> None:
    steps: list[Step] = [
        Resize("a-v001", C(1, 2, 3), "pin"),
        Disable("a-v001", 50),
        ScaleDown("a-v000"),
        Destroy("a-v000"),
        Wait(5, "delay"),
        WaitForHealthy("a-v001", 90),
        RunValidation("app", "p", {}, 25),
    ]
    lines = [describe(s) for s in steps]
    assert lines == [
        "resize a-v001 to min 1 / desired 2 / max 3 (pin)",
        "disable a-v001 (50% of instances)",
        "scale down a-v000 to 0",
        "destroy a-v000",
        "wait 5s (delay)",
        "wait until 90% of a-v001 is healthy",
        "run validation pipeline app/p at 25%",
    ]
