"""The per-metric decision procedure, steps A to G in order (spec §1.4)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from activities.canary.judge import (
    ClassifierSettings,
    MannWhitneyResult,
    MetricClassification,
    classify,
)
from activities.canary.judge import classifier as classifier_module
from models.canary import Direction, NanStrategy

A = np.array
JUDGE = ClassifierSettings()  # tolerance 0.25, confidence 0.98, limits 1.0, meanRatio


def run(
    control: list[float] | np.ndarray,
    experiment: list[float] | np.ndarray,
    *,
    direction: Direction = "either",
    critical: bool = False,
    must_have_data: bool = False,
    nan_strategy: NanStrategy = "remove",
    settings: ClassifierSettings = JUDGE,
    seed: int = 0,
) -> MetricClassification:
    return classify(
        np.asarray(control, dtype=np.float64),
        np.asarray(experiment, dtype=np.float64),
        name="latency",
        direction=direction,
        nan_strategy=nan_strategy,
        critical=critical,
        must_have_data=must_have_data,
        settings=settings,
        rng=np.random.default_rng(seed),
    )


SetInterval = Callable[[float, float, float], None]


@pytest.fixture
def interval(monkeypatch: pytest.MonkeyPatch) -> SetInterval:
    """Fix the Mann–Whitney result, to test the decision rule on exact numbers."""

    def set_interval(lower: float, upper: float, estimate: float) -> None:
        monkeypatch.setattr(
            classifier_module,
            "mann_whitney",
            lambda x, y, conf: MannWhitneyResult(lower, upper, estimate),
        )

    return set_interval


# Control mean 2, experiment mean 3: mean ratio 1.5.
CONTROL = [1.0, 2.0, 3.0]
HIGHER = [2.0, 3.0, 4.0]
# Experiment mean 1: mean ratio 0.5.
LOWER = [0.5, 1.0, 1.5]


# A. Missing data


@pytest.mark.parametrize(("control", "experiment"), [([1.0, 2.0], []), ([], [1.0, 2.0]), ([], [])])
def test_empty_side_with_nan_removal_is_nodata_with_reason(
    control: list[float], experiment: list[float]
) -> None:
    result = run(control, experiment)
    assert (result.classification, result.reason, result.ratio, result.critical) == (
        "Nodata",
        "Missing data for latency",
        1.0,
        False,
    )


def test_nodata_of_a_critical_metric_is_critical() -> None:
    result = run([1.0], [], critical=True)
    assert (result.classification, result.critical) == ("Nodata", True)


def test_must_have_data_on_a_non_critical_metric_gives_nodata_fail_metric() -> None:
    result = run([1.0], [], must_have_data=True)
    assert (result.classification, result.critical, result.reason) == (
        "NodataFailMetric",
        False,
        "Missing data for latency",
    )


def test_must_have_data_on_a_critical_metric_gives_critical_nodata() -> None:
    result = run([1.0], [], must_have_data=True, critical=True)
    assert (result.classification, result.critical) == ("Nodata", True)


def test_empty_side_with_nan_replacement_passes_even_when_critical_and_required() -> None:
    result = run([1.0, 2.0], [], nan_strategy="replace", critical=True, must_have_data=True)
    assert (result.classification, result.reason, result.ratio, result.critical) == (
        "Pass",
        None,
        1.0,
        False,
    )


def test_empty_check_comes_before_the_identical_check() -> None:
    assert run([], []).classification == "Nodata"


# B. Identical data


def test_identical_data_in_any_order_passes_with_reason() -> None:
    result = run([5.0, 4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert (result.classification, result.reason, result.ratio) == (
        "Pass",
        "The Canary and Baseline data are identical",
        1.0,
    )
    assert result.ci_lower is None and result.estimate is None


def test_identical_check_comes_before_the_single_value_check() -> None:
    assert run([1.0, 1.0], [1.0, 1.0]).reason == "The Canary and Baseline data are identical"


# C. A single distinct value overall


def test_single_distinct_value_over_both_sides_passes_without_reason() -> None:
    result = run([1.0, 1.0], [1.0, 1.0, 1.0])
    assert (result.classification, result.reason, result.ratio) == ("Pass", None, 1.0)


def test_single_value_check_comes_before_the_noise() -> None:
    assert run([7.0] * 2, [7.0] * 3).ci_lower is None


def test_negative_zero_counts_as_a_distinct_value_like_javas_distinct() -> None:
    # Not identical (lengths differ), not one distinct value (-0.0 != 0.0 for Java's
    # distinct), both constant: the noise is scaled by 0, so everything stays tied and
    # the classification fails, as in Kayenta.
    assert run([-0.0], [0.0, 0.0]).classification == "Error"


# D. Both sides constant but different


def test_constant_sides_get_noise_and_a_clear_increase_is_high() -> None:
    result = run([1.0] * 5, [10.0] * 5)
    assert result.classification == "High"
    assert result.estimate == pytest.approx(9.0, rel=1e-3)
    assert result.ci_lower is not None and result.ci_lower > 8.99


def test_noise_keeps_a_zero_side_at_zero_so_the_ratio_is_nan() -> None:
    result = run([0.0] * 5, [10.0] * 5)
    assert result.classification == "High"
    assert math.isnan(result.ratio)


def test_noise_is_replayable_with_the_same_seed_and_only_the_label_is_stable_across_seeds() -> None:
    first = run([1.0] * 8, [1.5] * 8, seed=3)
    again = run([1.0] * 8, [1.5] * 8, seed=3)
    other = run([1.0] * 8, [1.5] * 8, seed=4)
    assert first == again
    assert (first.ci_lower, first.estimate) != (other.ci_lower, other.estimate)
    assert first.classification == other.classification == "High"


def test_ratio_after_noise_is_computed_on_the_noisy_values() -> None:
    result = run([2.0] * 4, [4.0] * 4)
    assert result.ratio != 2.0
    assert result.ratio == pytest.approx(2.0, rel=1e-4)


# E. The Mann–Whitney comparison


def test_high_when_the_lower_bound_clears_a_quarter_of_the_absolute_estimate(
    interval: SetInterval,
) -> None:
    interval(1.0000001, 6.0, -4.0)  # bound = 0.25 * |-4| = 1
    result = run(CONTROL, HIGHER)
    assert (result.classification, result.reason, result.critical) == (
        "High",
        "latency was classified as High",
        False,
    )
    assert (result.ci_lower, result.ci_upper, result.estimate, result.effect_size) == (
        1.0000001,
        6.0,
        -4.0,
        1.5,
    )


def test_lower_bound_equal_to_the_tolerance_bound_is_not_high(interval: SetInterval) -> None:
    interval(1.0, 6.0, 4.0)
    assert run(CONTROL, HIGHER).classification == "Pass"


def test_lower_bound_above_zero_but_inside_the_tolerance_is_not_high(interval: SetInterval) -> None:
    interval(0.9, 6.0, 4.0)  # significant against 0, not against 0.25 * 4
    assert run(CONTROL, HIGHER).classification == "Pass"


def test_low_when_the_upper_bound_is_below_minus_a_quarter_of_the_estimate(
    interval: SetInterval,
) -> None:
    interval(-6.0, -1.0000001, 4.0)
    result = run(CONTROL, LOWER)
    assert (result.classification, result.reason) == ("Low", "latency was classified as Low")


def test_upper_bound_equal_to_minus_the_bound_is_not_low(interval: SetInterval) -> None:
    interval(-6.0, -1.0, -4.0)
    assert run(CONTROL, LOWER).classification == "Pass"


def test_zero_estimate_makes_the_bound_zero(interval: SetInterval) -> None:
    interval(1e-12, 1.0, 0.0)
    assert run(CONTROL, HIGHER).classification == "High"
    interval(0.0, 1.0, 0.0)
    assert run(CONTROL, HIGHER).classification == "Pass"


def test_direction_increase_lets_a_significant_decrease_pass(interval: SetInterval) -> None:
    interval(-6.0, -2.0, -4.0)
    assert run(CONTROL, LOWER, direction="increase").classification == "Pass"
    assert run(CONTROL, LOWER, direction="decrease").classification == "Low"
    assert run(CONTROL, LOWER, direction="either").classification == "Low"


def test_direction_decrease_lets_a_significant_increase_pass(interval: SetInterval) -> None:
    interval(2.0, 6.0, 4.0)
    assert run(CONTROL, HIGHER, direction="decrease").classification == "Pass"
    assert run(CONTROL, HIGHER, direction="increase").classification == "High"


def test_allowed_increase_is_inclusive(interval: SetInterval) -> None:
    interval(2.0, 6.0, 4.0)
    assert (
        run(CONTROL, HIGHER, settings=ClassifierSettings(allowed_increase=1.5)).classification
        == "High"
    )
    assert (
        run(CONTROL, HIGHER, settings=ClassifierSettings(allowed_increase=1.5000001)).classification
        == "Pass"
    )


def test_allowed_decrease_is_inclusive(interval: SetInterval) -> None:
    interval(-6.0, -2.0, -4.0)
    assert (
        run(CONTROL, LOWER, settings=ClassifierSettings(allowed_decrease=0.5)).classification
        == "Low"
    )
    assert (
        run(CONTROL, LOWER, settings=ClassifierSettings(allowed_decrease=0.4999999)).classification
        == "Pass"
    )


def test_rank_significant_increase_with_a_lower_mean_is_a_pass(interval: SetInterval) -> None:
    # The default allowedIncrease of 1.0 needs any increase of the mean for High.
    interval(2.0, 6.0, 4.0)
    result = run(CONTROL, LOWER)
    assert (result.classification, result.effect_size) == ("Pass", 0.5)


def test_nan_effect_size_skips_the_effect_gates(interval: SetInterval) -> None:
    strict = ClassifierSettings(allowed_increase=100.0, allowed_decrease=0.0)
    interval(2.0, 6.0, 4.0)
    result = run([0.0, 0.0, 0.0], [1.0, 2.0, 3.0], settings=strict)
    assert result.classification == "High" and math.isnan(result.effect_size or 0.0)
    interval(-6.0, -2.0, -4.0)
    assert run([1.0, 2.0, 3.0], [-1.0, 0.0, 1.0], settings=strict).classification == "Low"


def test_cles_measure_gates_on_cles_but_still_reports_the_mean_ratio(interval: SetInterval) -> None:
    interval(2.0, 6.0, 4.0)
    cles_settings = ClassifierSettings(measure="cles", allowed_increase=0.9)
    result = run(CONTROL, [10.0, 11.0, 0.5], settings=cles_settings)  # CLES 6/9, ratio 3.58
    assert result.classification == "Pass"
    assert result.effect_size == pytest.approx(6 / 9)
    assert result.ratio == pytest.approx((21.5 / 3) / 2.0)
    result = run(CONTROL, [10.0, 11.0, 12.0], settings=cles_settings)  # CLES 1
    assert (result.classification, result.effect_size) == ("High", 1.0)


def test_x_is_the_experiment_so_a_higher_canary_has_a_positive_interval() -> None:
    rng = np.random.default_rng(12)
    control = rng.normal(100, 5, 200)
    experiment = rng.normal(110, 5, 200)
    result = run(control, experiment)
    assert result.classification == "High"
    assert result.ci_lower is not None and result.ci_lower > 0
    assert result.ratio == pytest.approx(experiment.mean() / control.mean())
    assert run(experiment, control).classification == "Low"


def test_similar_samples_pass() -> None:
    rng = np.random.default_rng(13)
    assert run(rng.normal(100, 5, 200), rng.normal(100, 5, 200)).classification == "Pass"


def test_interval_is_at_the_configured_confidence_level() -> None:
    rng = np.random.default_rng(14)
    control, experiment = rng.normal(0, 1, 50), rng.normal(0.5, 1, 50)
    wide = run(control, experiment)
    narrow = run(control, experiment, settings=ClassifierSettings(conf_level=0.95))
    assert wide.ci_lower is not None and narrow.ci_lower is not None
    assert wide.ci_upper is not None and narrow.ci_upper is not None
    assert wide.ci_lower < narrow.ci_lower and wide.ci_upper > narrow.ci_upper
    assert wide.estimate == narrow.estimate


# F. Critical metrics


def test_critical_high_beyond_critical_increase_fails_critically(interval: SetInterval) -> None:
    interval(2.0, 6.0, 4.0)
    result = run(CONTROL, HIGHER, critical=True, settings=ClassifierSettings(critical_increase=1.5))
    assert (result.classification, result.critical, result.reason) == (
        "High",
        True,
        "The metric latency was classified as High (Critical)",
    )


def test_critical_high_below_critical_increase_is_ordinary_high(interval: SetInterval) -> None:
    interval(2.0, 6.0, 4.0)
    result = run(CONTROL, HIGHER, critical=True, settings=ClassifierSettings(critical_increase=1.6))
    assert (result.classification, result.critical, result.reason) == (
        "High",
        False,
        "latency was classified as High",
    )


def test_critical_low_beyond_critical_decrease_fails_critically(interval: SetInterval) -> None:
    interval(-6.0, -2.0, -4.0)
    result = run(CONTROL, LOWER, critical=True, settings=ClassifierSettings(critical_decrease=0.5))
    assert (result.classification, result.critical, result.reason) == (
        "Low",
        True,
        "The metric latency was classified as Low (Critical)",
    )


def test_critical_low_above_critical_decrease_is_ordinary_low(interval: SetInterval) -> None:
    interval(-6.0, -2.0, -4.0)
    result = run(CONTROL, LOWER, critical=True, settings=ClassifierSettings(critical_decrease=0.4))
    assert (result.classification, result.critical) == ("Low", False)


def test_critical_metric_with_nan_effect_fails_critically(interval: SetInterval) -> None:
    interval(2.0, 6.0, 4.0)
    result = run(
        [0.0, 0.0, 0.0], HIGHER, critical=True, settings=ClassifierSettings(critical_increase=50.0)
    )
    assert (result.classification, result.critical) == ("High", True)


def test_critical_metric_that_passes_is_not_critical(interval: SetInterval) -> None:
    interval(-1.0, 1.0, 0.1)
    result = run(CONTROL, HIGHER, critical=True)
    assert (result.classification, result.critical) == ("Pass", False)


def test_non_critical_metric_is_never_critical(interval: SetInterval) -> None:
    interval(2.0, 6.0, 4.0)
    assert run(CONTROL, HIGHER).critical is False


# G. Errors


def test_all_observations_tied_at_a_searched_shift_gives_error() -> None:
    result = run([5.0, 5.0], [1.0, 1.0 + 2.0**-52])
    assert (result.classification, result.reason, result.critical) == (
        "Error",
        "Metric Classification Failed",
        False,
    )
    assert result.ci_lower is None


def test_any_arithmetic_failure_gives_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> MannWhitneyResult:
        raise ArithmeticError("boom")

    monkeypatch.setattr(classifier_module, "mann_whitney", fail)
    result = run(CONTROL, HIGHER, critical=True)
    assert (result.classification, result.critical) == ("Error", False)
