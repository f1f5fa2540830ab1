"""Spinnaker/Frigga naming: clusters, server groups, sequences."""

from __future__ import annotations

import pytest

from models.errors import ValidationError
from models.naming import MAX_SEQUENCE, ClusterName, ServerGroupName, next_sequence


@pytest.mark.parametrize(
    ("app", "stack", "detail", "expected"),
    [
        ("app", None, None, "app"),
        ("app", "prod", None, "app-prod"),
        ("app", None, "canary", "app--canary"),
        ("app", "prod", "canary", "app-prod-canary"),
        ("app", "", "", "app"),
        ("app", "prod", "east-1", "app-prod-east-1"),
    ],
)
def test_cluster_build_and_parse_round_trip(
    app: str, stack: str | None, detail: str | None, expected: str
) -> None:
    cluster = ClusterName.build(app, stack, detail)
    assert str(cluster) == expected
    assert ClusterName.parse(expected) == cluster


def test_cluster_parse_splits_on_the_first_two_hyphens() -> None:
    cluster = ClusterName.parse("app-prod-east-1-blue")
    assert (cluster.app, cluster.stack, cluster.detail) == ("app", "prod", "east-1-blue")
    assert ClusterName.parse("app--x").stack is None


@pytest.mark.parametrize(
    ("app", "stack", "detail", "field"),
    [
        ("my-app", None, None, "application"),
        ("my_app", None, None, "application"),
        ("", None, None, "application"),
        ("app", "pr-od", None, "stack"),
        ("app", "pr od", None, "stack"),
        ("app", None, "has space", "freeFormDetails"),
        ("app", None, "tilde~", "freeFormDetails"),
    ],
)
def test_invalid_parts_are_refused_naming_the_field(
    app: str, stack: str | None, detail: str | None, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ClusterName.build(app, stack, detail)
    assert field in str(caught.value)


@pytest.mark.parametrize("name", ["app-", "app--", "app-prod-", "-app", ""])
def test_malformed_cluster_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        ClusterName.parse(name)


def test_server_group_build_and_parse() -> None:
    group = ServerGroupName.build("app", "prod", "canary", sequence=7)
    assert str(group) == "app-prod-canary-v007"
    parsed = ServerGroupName.parse("app-prod-canary-v007")
    assert parsed == group
    assert parsed.cluster == ClusterName("app", "prod", "canary")
    assert parsed.app == "app"
    assert ServerGroupName.parse("app-v000").cluster == ClusterName("app")
    assert ServerGroupName.parse("app--d-v123").cluster == ClusterName("app", None, "d")


@pytest.mark.parametrize("name", ["app", "app-prod", "app-v1", "app-vabc", "app-prod-v"])
def test_names_without_a_sequence_are_not_server_groups(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ServerGroupName.parse(name)
    assert "vNNN" in str(caught.value)
    assert ServerGroupName.try_parse(name) is None


def test_sequence_range_is_checked() -> None:
    with pytest.raises(ValidationError):
        ServerGroupName(ClusterName("app"), MAX_SEQUENCE + 1)
    with pytest.raises(ValidationError):
        ServerGroupName(ClusterName("app"), -1)


def test_next_sequence_follows_the_highest() -> None:
    assert next_sequence([]) == 0
    assert next_sequence(["app-v000"]) == 1
    assert next_sequence(["app-v000", "app-v005", "app-v002"]) == 6
    assert next_sequence([3, 1]) == 4


def test_next_sequence_wraps_after_999_to_the_lowest_free() -> None:
    assert next_sequence(["app-v998", "app-v999"]) == 0
    assert next_sequence(["app-v999", "app-v000", "app-v001"]) == 2
    assert next_sequence(["app-v999", "app-v001"]) == 0


def test_next_sequence_ignores_names_that_are_not_server_groups() -> None:
    assert next_sequence(["app", "something-else", "app-v004"]) == 5


def test_next_sequence_fails_when_all_are_taken() -> None:
    with pytest.raises(ValidationError, match="no sequence is free"):
        next_sequence(range(MAX_SEQUENCE + 1))


def test_next_server_group_only_counts_its_own_cluster() -> None:
    cluster = ClusterName("app", "prod")
    names = ["app-prod-v003", "app-v009", "app-prod-canary-v010", "app-staging-v020", "junk"]
    assert cluster.next_server_group(names) == ServerGroupName(cluster, 4)
    assert ClusterName("other").next_server_group(names).name == "other-v000"
