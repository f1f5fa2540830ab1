"""From metric verdicts to the canary score (spec §1.8)."""

from __future__ import annotations

import pytest

from activities.canary.judge import MetricOutcome, classify_score, round_half_up, score
from activities.canary.judge.scoring import summary_score


def m(
    classification: str,
    *groups: str,
    critical: bool = False,
    muted: bool = False,
    reason: str | None = None,
) -> MetricOutcome:
    return MetricOutcome(
        classification, groups or ("g",), critical=critical, muted=muted, reason=reason
    )


def total(results: list[MetricOutcome], weights: dict[str, float] | None = None) -> float:
    return summary_score(results, weights or {})[1]


def test_group_score_is_pass_share_of_pass_high_low_and_nodata_fail_metric() -> None:
    groups, value, reason = summary_score(
        [m("Pass"), m("High"), m("Low"), m("NodataFailMetric"), m("Pass")], {}
    )
    assert [(g.name, g.score, g.no_data) for g in groups] == [("g", 40.0, False)]
    assert (value, reason) == (40.0, None)


def test_nodata_and_error_do_not_count_in_a_group() -> None:
    assert total(
        [m("Pass"), m("Pass"), m("Error"), m("High"), m("Nodata", "other"), m("Pass", "other")]
    ) == pytest.approx((200 / 3 + 100) / 2, abs=0.005)
    assert summary_score([m("Pass"), m("Error"), m("Error")], {})[0][0].score == 100.0


def test_group_with_only_nodata_or_error_reports_zero_but_counts_as_full_marks() -> None:
    groups, value, _ = summary_score(
        [m("Pass", "a"), m("High", "a"), m("Error", "b"), m("Nodata", "c"), m("Pass", "c")], {}
    )
    by_name = {g.name: g for g in groups}
    assert (by_name["b"].score, by_name["b"].no_data) == (0.0, True)
    assert value == pytest.approx((50 + 100 + 100) / 3, abs=0.005)


def test_a_metric_counts_in_each_of_its_groups() -> None:
    groups, _, _ = summary_score([m("High", "a", "b"), m("Pass", "a")], {})
    assert {g.name: g.score for g in groups} == {"a": 50.0, "b": 0.0}


def test_without_weights_every_group_has_an_equal_share() -> None:
    assert total([m("Pass", "a"), m("High", "b"), m("Pass", "c"), m("Pass", "d")]) == 75.0


def test_unweighted_groups_share_what_the_weights_leave() -> None:
    # a: 100 at 60 %; b (0) and c (100) share the remaining 40 %.
    assert total([m("Pass", "a"), m("High", "b"), m("Pass", "c")], {"a": 60.0}) == 80.0


def test_weighted_group_without_metrics_contributes_nothing() -> None:
    assert total([m("Pass", "a")], {"a": 70.0, "missing": 30.0}) == 70.0


def test_weights_over_one_hundred_give_unweighted_groups_a_negative_weight() -> None:
    assert total([m("Pass", "a"), m("Pass", "b")], {"a": 120.0}) == 100.0
    assert total([m("Pass", "a"), m("Pass", "b"), m("High", "c")], {"a": 120.0}) == 110.0


def test_critical_non_pass_zeroes_the_score_with_its_reason() -> None:
    groups, value, reason = summary_score(
        [
            m("Pass"),
            m("High", critical=True, reason="The metric cpu was classified as High (Critical)"),
        ],
        {},
    )
    assert value == 0.0
    assert reason == "Canary Failed: The metric cpu was classified as High (Critical)"
    assert groups[0].score == 50.0  # group scores are still reported


def test_critical_nodata_zeroes_the_score() -> None:
    assert (
        total(
            [
                m("Pass"),
                m("Pass"),
                m("Pass"),
                m("Nodata", critical=True, reason="Missing data for x"),
            ]
        )
        == 0.0
    )


def test_critical_pass_does_not_zero_the_score() -> None:
    assert total([m("Low"), m("Pass", critical=True)]) == 50.0


def test_half_or_more_nodata_zeroes_the_score() -> None:
    _, value, reason = summary_score([m("Pass"), m("Nodata", "other")], {})
    assert (value, reason) == (0.0, "Canary Failed: 50% or more metrics returned NODATA")
    assert total([m("Pass"), m("Pass"), m("Nodata", "other")]) == 100.0


def test_nodata_fail_metric_does_not_count_towards_the_nodata_rule() -> None:
    assert total([m("Pass", "a"), m("NodataFailMetric", "b")]) == 50.0


def test_muted_metrics_take_no_part_in_scoring() -> None:
    results = [
        m("Pass", "a"),
        m("High", "a", muted=True),
        m("High", "b", critical=True, muted=True, reason="x"),
        m("Nodata", "c", muted=True),
        m("Nodata", "d", muted=True),
    ]
    scored = score(results, {}, 95.0, 75.0)
    assert (scored.score, scored.classification, scored.reason) == (100.0, "Pass", "")
    assert [g.name for g in scored.group_scores] == ["a"]


def test_no_results_score_zero() -> None:
    scored = score([], {}, 95.0, 75.0)
    assert (scored.score, scored.classification, scored.reason, scored.group_scores) == (
        0.0,
        "Fail",
        "",
        [],
    )


def test_summary_is_rounded_half_up_to_two_decimals() -> None:
    assert total([m("Pass"), m("High"), m("Low")]) == 33.33
    assert total([m("Pass"), m("Pass"), m("High")]) == 66.67
    assert round_half_up(33.335) == 33.34
    assert (
        round_half_up(2.675) == 2.68
    )  # from the decimal digits, as Java does, not the binary value
    assert round_half_up(0.125) == 0.13
    assert round_half_up(-0.125) == -0.13
    assert round_half_up(99.994999) == 99.99


def test_score_classification_is_pass_at_or_above_pass_then_marginal_at_or_above_marginal() -> None:
    assert classify_score(95.0, 95.0, 75.0) == "Pass"
    assert classify_score(94.99, 95.0, 75.0) == "Marginal"
    assert classify_score(75.0, 95.0, 75.0) == "Marginal"
    assert classify_score(74.99, 95.0, 75.0) == "Fail"


def test_zeroed_score_carries_its_reason_into_the_classification() -> None:
    scored = score([m("Nodata")], {}, 95.0, 75.0)
    assert (scored.score, scored.classification, scored.reason) == (
        0.0,
        "Fail",
        "Canary Failed: 50% or more metrics returned NODATA",
    )
