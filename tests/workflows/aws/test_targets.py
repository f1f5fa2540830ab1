"""Target selection in a cluster: dynamic targets and the cluster-wide stages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from models.aws import ServerGroup
from models.errors import NotFoundError, ValidationError
from workflows.aws.targets import (
    Target,
    cluster_size_matches,
    disable_cluster,
    newest_first,
    resolve_target,
    scale_down_cluster,
    shrink_cluster,
    source_server_group,
)

Make = Callable[..., ServerGroup]


def names(groups: list[ServerGroup]) -> list[str]:
    return [g.name for g in groups]


@pytest.fixture
def wrapped(group: Make) -> list[ServerGroup]:
    """A cluster whose sequence wrapped: v998 is the oldest, v001 the newest."""
    return [
        group("app-v000", 3),
        group("app-v998", 1),
        group("app-v001", 4),
        group("app-v999", 2),
    ]


def test_newest_first_uses_creation_time_not_sequence(wrapped: list[ServerGroup]) -> None:
    assert names(newest_first(wrapped)) == ["app-v001", "app-v000", "app-v999", "app-v998"]


def test_dynamic_targets(wrapped: list[ServerGroup]) -> None:
    assert resolve_target(wrapped, Target.CURRENT).name == "app-v001"
    assert resolve_target(wrapped, "ancestor_asg_dynamic").name == "app-v000"
    assert resolve_target(wrapped, "oldest_asg_dynamic").name == "app-v998"


def test_explicit_name_wins(wrapped: list[ServerGroup]) -> None:
    chosen = resolve_target(wrapped, Target.CURRENT, server_group_name="app-v999")
    assert chosen.name == "app-v999"
    with pytest.raises(NotFoundError, match="app-v555"):
        resolve_target(wrapped, server_group_name="app-v555", cluster="app")


def test_only_enabled_skips_disabled_groups(group: Make) -> None:
    groups = [group("app-v000", 1), group("app-v001", 2, enabled=False)]
    assert resolve_target(groups, Target.CURRENT, only_enabled=True).name == "app-v000"
    assert resolve_target(groups, Target.CURRENT).name == "app-v001"


def test_ancestor_needs_two_groups(group: Make) -> None:
    with pytest.raises(NotFoundError, match=r"ancestor_asg_dynamic: cluster 'app' has 1"):
        resolve_target([group("app-v000", 1)], Target.ANCESTOR, cluster="app")
    with pytest.raises(NotFoundError, match="has 0"):
        resolve_target([], Target.CURRENT)


def test_unknown_or_missing_target(group: Make) -> None:
    with pytest.raises(ValidationError, match="unknown target 'newest'"):
        resolve_target([group("app-v000", 1)], "newest")
    with pytest.raises(ValidationError, match="required"):
        resolve_target([group("app-v000", 1)])


def test_source_is_newest_enabled_else_newest(group: Make) -> None:
    groups = [group("app-v000", 1), group("app-v001", 2, enabled=False)]
    assert source_server_group(groups).name == "app-v000"  # type: ignore[union-attr]
    disabled = [group("app-v000", 1, enabled=False), group("app-v001", 2, enabled=False)]
    assert source_server_group(disabled).name == "app-v001"  # type: ignore[union-attr]
    assert source_server_group([]) is None


class TestDisableCluster:
    def test_keeps_the_newest_enabled(self, group: Make) -> None:
        groups = [group("app-v000", 1), group("app-v001", 2), group("app-v002", 3)]
        assert names(disable_cluster(groups)) == ["app-v001", "app-v000"]

    def test_just_deployed_counts_as_the_one_kept(self, group: Make) -> None:
        groups = [group("app-v000", 1), group("app-v001", 2), group("app-v002", 3)]
        assert names(disable_cluster(groups, exclude={"app-v002"})) == ["app-v001", "app-v000"]
        two = disable_cluster(groups, exclude={"app-v002"}, remaining_enabled_server_groups=2)
        assert names(two) == ["app-v000"]

    def test_groups_newer_than_the_deployed_one_are_spared(self, group: Make) -> None:
        groups = [group("app-v000", 1), group("app-v001", 2), group("app-v002", 3)]
        assert names(disable_cluster(groups, exclude={"app-v001"})) == ["app-v000"]

    def test_disabled_groups_are_not_disabled_again(self, group: Make) -> None:
        groups = [group("app-v000", 1, enabled=False), group("app-v001", 2), group("app-v002", 3)]
        assert names(disable_cluster(groups)) == ["app-v001"]

    def test_prefer_larger_over_newer(self, group: Make) -> None:
        groups = [group("app-v000", 1, capacity=(5, 5, 5)), group("app-v001", 2)]
        assert names(disable_cluster(groups, prefer_larger_over_newer=True)) == ["app-v001"]
        assert names(disable_cluster(groups)) == ["app-v000"]


class TestScaleDownCluster:
    def test_spares_active_groups(self, group: Make) -> None:
        groups = [
            group("app-v000", 1, enabled=False),
            group("app-v001", 2, enabled=False),
            group("app-v002", 3),
        ]
        # The active v002 is the one kept full size.
        assert names(scale_down_cluster(groups)) == ["app-v001", "app-v000"]

    def test_remaining_counts_spared_groups(self, group: Make) -> None:
        groups = [
            group("app-v000", 1, enabled=False),
            group("app-v001", 2, enabled=False),
            group("app-v002", 3),
        ]
        kept_two = scale_down_cluster(groups, remaining_full_size_server_groups=2)
        assert names(kept_two) == ["app-v000"]

    def test_allow_scale_down_active_keeps_active_first(self, group: Make) -> None:
        groups = [
            group("app-v000", 1),
            group("app-v001", 2, enabled=False),
            group("app-v002", 3),
        ]
        chosen = scale_down_cluster(groups, allow_scale_down_active=True)
        assert names(chosen) == ["app-v000", "app-v001"]

    def test_prefer_larger(self, group: Make) -> None:
        groups = [
            group("app-v000", 1, enabled=False, capacity=(4, 4, 4)),
            group("app-v001", 2, enabled=False),
        ]
        chosen = scale_down_cluster(
            groups, prefer_larger_over_newer=True, allow_scale_down_active=True
        )
        assert names(chosen) == ["app-v001"]


class TestShrinkCluster:
    def test_keeps_the_newest_n(self, group: Make) -> None:
        groups = [group(f"app-v00{n}", n, enabled=False) for n in range(5)]
        assert names(shrink_cluster(groups, shrink_to_size=2)) == [
            "app-v002",
            "app-v001",
            "app-v000",
        ]

    def test_active_groups_are_spared_unless_allowed(self, group: Make) -> None:
        groups = [group("app-v000", 1), group("app-v001", 2, enabled=False), group("app-v002", 3)]
        assert names(shrink_cluster(groups, shrink_to_size=1)) == ["app-v001"]
        allowed = shrink_cluster(groups, shrink_to_size=1, allow_delete_active=True)
        # Active groups are kept first: v002 (active, newest) stays.
        assert names(allowed) == ["app-v000", "app-v001"]

    def test_retain_larger_over_newer(self, group: Make) -> None:
        groups = [
            group("app-v000", 1, enabled=False, capacity=(6, 6, 6)),
            group("app-v001", 2, enabled=False),
        ]
        chosen = shrink_cluster(groups, shrink_to_size=1, retain_larger_over_newer=True)
        assert names(chosen) == ["app-v001"]

    def test_zero_destroys_everything_allowed(self, group: Make) -> None:
        groups = [group("app-v000", 1, enabled=False), group("app-v001", 2, enabled=False)]
        assert len(shrink_cluster(groups, shrink_to_size=0)) == 2

    def test_negative_is_refused(self, group: Make) -> None:
        with pytest.raises(ValidationError):
            shrink_cluster([group("app-v000", 1)], shrink_to_size=-1)


@pytest.mark.parametrize(
    ("comparison", "expected", "only_enabled", "result"),
    [
        ("==", 2, False, True),
        ("==", 1, True, True),
        ("<", 3, False, True),
        (">=", 3, False, False),
        (">", 0, True, True),
        ("<=", 0, True, False),
    ],
)
def test_cluster_size_precondition(
    group: Make, comparison: str, expected: int, only_enabled: bool, result: bool
) -> None:
    groups = [group("app-v000", 1, enabled=False), group("app-v001", 2)]
    assert (
        cluster_size_matches(
            groups, comparison=comparison, expected=expected, only_enabled=only_enabled
        )
        is result
    )


def test_cluster_size_unknown_comparison(group: Make) -> None:
    with pytest.raises(ValidationError, match="unknown comparison '!='"):
        cluster_size_matches([], comparison="!=")
