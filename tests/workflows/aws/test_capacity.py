"""Resize arithmetic and the capacity rules of the strategies."""

from __future__ import annotations

import pydantic
import pytest

from models.aws import Capacity
from models.errors import ValidationError
from workflows.aws.capacity import (
    deploy_capacity,
    healthy_required,
    instances_to_disable,
    pin_capacity,
    pin_min,
    rolling_percentages,
    rolling_step_capacity,
    scale_down,
    scale_exact,
    scale_pct,
    scale_to_cluster,
    scale_up,
    unpin_min,
)

C = Capacity.of


def test_capacity_refuses_disorder_naming_the_field() -> None:
    with pytest.raises(
        pydantic.ValidationError, match=r"capacity.min \(5\) must not exceed capacity.max \(3\)"
    ):
        Capacity(min=5, max=3, desired=4)
    with pytest.raises(pydantic.ValidationError, match=r"capacity.desired \(0\) must not be below"):
        Capacity(min=1, max=3, desired=0)
    with pytest.raises(pydantic.ValidationError, match=r"capacity.desired \(4\) must not exceed"):
        Capacity(min=1, max=3, desired=4)
    with pytest.raises(pydantic.ValidationError):
        Capacity(min=-1, max=3, desired=1)


def test_capacity_serialises_and_reads_back() -> None:
    capacity = C(1, 2, 3)
    assert capacity.model_dump() == {"min": 1, "max": 3, "desired": 2}
    assert Capacity.model_validate_json(capacity.model_dump_json()) == capacity


class TestScaleExact:
    def test_all_given(self) -> None:
        assert scale_exact(C(1, 2, 3), min=2, desired=4, max=5) == C(2, 4, 5)

    def test_only_desired_keeps_bounds(self) -> None:
        assert scale_exact(C(1, 2, 5), desired=4) == C(1, 4, 5)

    def test_missing_desired_is_clamped_into_new_bounds(self) -> None:
        assert scale_exact(C(1, 2, 3), min=3, max=6) == C(3, 3, 6)
        assert scale_exact(C(2, 8, 10), max=5) == C(2, 5, 5)

    def test_configured_max_lowers_current_min(self) -> None:
        assert scale_exact(C(4, 4, 8), max=2) == C(2, 2, 2)

    def test_missing_max_rises_to_min(self) -> None:
        assert scale_exact(C(1, 1, 2), min=5) == C(5, 5, 5)

    def test_contradiction_is_a_validation_error(self) -> None:
        with pytest.raises(ValidationError, match=r"scale_exact: capacity\.min \(5\)"):
            scale_exact(C(1, 1, 1), min=5, max=3, desired=4)


class TestRelative:
    def test_scale_up_by_percentage_rounds_up(self) -> None:
        assert scale_up(C(1, 3, 5), pct=50) == C(2, 5, 8)

    def test_scale_up_by_increment(self) -> None:
        assert scale_up(C(1, 3, 5), incr=2) == C(3, 5, 7)

    def test_scale_down_by_percentage_rounds_the_change_up(self) -> None:
        assert scale_down(C(1, 3, 5), pct=50) == C(0, 1, 2)

    def test_scale_down_never_goes_below_zero(self) -> None:
        assert scale_down(C(1, 2, 3), incr=5) == C(0, 0, 0)
        assert scale_down(C(1, 2, 3), pct=200) == C(0, 0, 0)

    def test_nothing_asked_changes_nothing(self) -> None:
        assert scale_up(C(1, 2, 3)) == C(1, 2, 3)

    def test_both_or_negative_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="not both"):
            scale_up(C(1, 2, 3), pct=10, incr=1)
        with pytest.raises(ValidationError, match="negative"):
            scale_down(C(1, 2, 3), incr=-1)


class TestScaleToCluster:
    def test_takes_the_largest_of_each(self) -> None:
        assert scale_to_cluster([C(1, 2, 3), C(2, 2, 2), C(0, 4, 6)]) == C(2, 4, 6)

    def test_increment_is_capped_at_max(self) -> None:
        assert scale_to_cluster([C(1, 2, 3)], incr=5) == C(1, 3, 3)
        assert scale_to_cluster([C(1, 4, 10)], pct=50) == C(1, 6, 10)

    def test_empty_cluster_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="at least one"):
            scale_to_cluster([])


def test_scale_pct_changes_desired_and_widens_bounds() -> None:
    assert scale_pct(C(2, 4, 4), 50) == C(2, 2, 4)
    assert scale_pct(C(2, 4, 4), 25) == C(1, 1, 4)
    assert scale_pct(C(2, 4, 4), 150) == C(2, 6, 6)


def test_pinning() -> None:
    assert pin_capacity(C(1, 3, 5)) == C(3, 3, 3)
    assert pin_min(C(1, 3, 5)) == C(3, 3, 5)
    assert unpin_min(C(3, 3, 5), 1) == C(1, 3, 5)
    # Orca refuses to unpin upwards.
    assert unpin_min(C(1, 3, 5), 2) == C(1, 3, 5)


class TestRolling:
    def test_100_is_appended_when_missing(self) -> None:
        assert rolling_percentages([25, 50]) == [25, 50, 100]
        assert rolling_percentages([25, 50, 100]) == [25, 50, 100]
        assert rolling_percentages(None) == [100]
        assert rolling_percentages([]) == [100]

    @pytest.mark.parametrize("bad", [[0], [50, 50], [60, 40], [120]])
    def test_bad_percentages_are_refused(self, bad: list[int]) -> None:
        with pytest.raises(ValidationError, match="targetPercentages"):
            rolling_percentages(bad)

    def test_step_capacities_are_pinned_below_100(self) -> None:
        target = C(2, 4, 6)
        steps = [rolling_step_capacity(target, p) for p in rolling_percentages([25, 50])]
        assert steps == [C(1, 1, 1), C(2, 2, 2), C(2, 4, 6)]

    def test_a_single_instance_rounds_up(self) -> None:
        assert rolling_step_capacity(C(1, 1, 1), 10) == C(1, 1, 1)


@pytest.mark.parametrize(
    ("total", "already", "pct", "expected"),
    [
        (4, 0, 100, 4),
        (4, 0, 25, 1),
        (7, 0, 10, 1),
        (4, 4, 100, 0),
        (3, 3, 10, 0),
        (9, 9, 60, 0),
        (0, 0, 100, 0),
        (18, 9, 60, 2),
        (10, 7, 10, 0),
        (15, 5, 0, 0),
        (19, 9, 90, 9),
    ],
)
def test_instances_to_disable(total: int, already: int, pct: int, expected: int) -> None:
    count = instances_to_disable(total, already, pct)
    assert count == expected
    if total:
        assert (count + already) / total >= pct / 100


def test_instances_to_disable_refuses_bad_percentages() -> None:
    with pytest.raises(ValidationError, match="desiredPercentage"):
        instances_to_disable(4, 0, 101)


def test_healthy_required_rounds_up() -> None:
    assert healthy_required(4, 100) == 4
    assert healthy_required(4, 50) == 2
    assert healthy_required(3, 50) == 2
    assert healthy_required(0, 100) == 0
    assert healthy_required(5, 0) == 0


def test_deploy_capacity_with_and_without_source() -> None:
    requested, source = C(1, 2, 3), C(4, 4, 8)
    assert deploy_capacity(requested, source) == requested
    assert deploy_capacity(requested, source, use_source_capacity=True) == source
    assert deploy_capacity(requested, None, use_source_capacity=True) == requested
    assert deploy_capacity(None, source) == source
    with pytest.raises(ValidationError, match="capacity is required"):
        deploy_capacity(None, None)
