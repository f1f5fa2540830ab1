"""Orca's scheduling rules on a stage graph: pure, no Temporal."""

from __future__ import annotations

import pytest

from models.graph import StageGraph
from models.status import Status
from workflows.dag import FailureFlags, failure_status, final_status, ready_stages, unreachable

S = Status


def graph(**edges: list[str]) -> StageGraph:
    return StageGraph.build((ref, requisites) for ref, requisites in edges.items())


def test_stages_without_requisites_start_together() -> None:
    g = graph(a=[], b=[], c=["a"])
    assert ready_stages(g, {"a": S.NOT_STARTED, "b": S.NOT_STARTED, "c": S.NOT_STARTED}) == [
        "a",
        "b",
    ]


@pytest.mark.parametrize("upstream", [S.SUCCEEDED, S.FAILED_CONTINUE, S.SKIPPED])
def test_a_join_runs_when_every_upstream_lets_it(upstream: Status) -> None:
    g = graph(a=[], b=[], join=["a", "b"])
    assert ready_stages(g, {"a": S.SUCCEEDED, "b": upstream, "join": S.NOT_STARTED}) == ["join"]


@pytest.mark.parametrize("upstream", [S.RUNNING, S.NOT_STARTED, S.STOPPED, S.TERMINAL, S.CANCELED])
def test_a_join_waits_or_never_runs_otherwise(upstream: Status) -> None:
    g = graph(a=[], b=[], join=["a", "b"])
    assert "join" not in ready_stages(g, {"a": S.SUCCEEDED, "b": upstream, "join": S.NOT_STARTED})


@pytest.mark.parametrize(
    ("flags", "status"),
    [
        (FailureFlags(), S.TERMINAL),
        (FailureFlags(fail_pipeline=False), S.STOPPED),
        (FailureFlags(fail_pipeline=False, complete_other_branches_then_fail=True), S.STOPPED),
        (FailureFlags(fail_pipeline=False, continue_pipeline=True), S.FAILED_CONTINUE),
        # continuePipeline wins even when failPipeline is left true (Orca checks it first).
        (FailureFlags(fail_pipeline=True, continue_pipeline=True), S.FAILED_CONTINUE),
    ],
)
def test_failure_status_follows_the_flags(flags: FailureFlags, status: Status) -> None:
    assert failure_status(flags) == status


def plain(*refs: str) -> dict[str, FailureFlags]:
    return dict.fromkeys(refs, FailureFlags())


def test_final_status_succeeds_when_all_succeed_skip_or_continue() -> None:
    assert (
        final_status(
            {"a": S.SUCCEEDED, "b": S.SKIPPED, "c": S.FAILED_CONTINUE}, plain("a", "b", "c")
        )
        == S.SUCCEEDED
    )


def test_final_status_terminal_wins_over_canceled_and_stopped() -> None:
    statuses = {"a": S.TERMINAL, "b": S.CANCELED, "c": S.STOPPED}
    assert final_status(statuses, plain("a", "b", "c")) == S.TERMINAL
    assert final_status({"b": S.CANCELED, "c": S.STOPPED}, plain("b", "c")) == S.CANCELED


def test_a_stopped_branch_succeeds_unless_it_asked_to_fail_later() -> None:
    statuses = {"a": S.STOPPED, "b": S.SUCCEEDED, "after-a": S.NOT_STARTED}
    assert final_status(statuses, plain(*statuses)) == S.SUCCEEDED
    flags = {
        **plain(*statuses),
        "a": FailureFlags(fail_pipeline=False, complete_other_branches_then_fail=True),
    }
    assert final_status(statuses, flags) == S.TERMINAL


def test_unreachable_lists_everything_behind_a_halted_stage() -> None:
    g = graph(a=[], b=["a"], c=["b"], d=[])
    statuses = {"a": S.STOPPED, "b": S.NOT_STARTED, "c": S.NOT_STARTED, "d": S.NOT_STARTED}
    assert unreachable(g, statuses) == ["b", "c"]


def test_graph_orders_and_finds_cycles() -> None:
    g = graph(c=["b"], b=["a"], a=[], d=["a", "c"])
    assert g.topological() == ["a", "b", "c", "d"]
    assert g.descendants("b") == ["c", "d"]
    assert g.ancestors("d") == ["a", "b", "c"]
    assert g.find_cycle() is None
    cyclic = graph(x=["z"], y=["x"], z=["y"], w=[])
    cycle = cyclic.find_cycle()
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"x", "y", "z"}
