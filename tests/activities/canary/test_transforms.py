"""Preprocessing and summary statistics (spec §1.3)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from activities.canary.judge import (
    add_gaussian_noise,
    iqr_fences,
    iqr_outliers,
    percentile,
    remove_iqr_outliers,
    remove_nans,
    replace_nans,
    summary,
)
from activities.canary.judge.stats import mean, variance

A = np.array


def test_remove_nans_drops_them_and_keeps_the_order() -> None:
    assert remove_nans(A([3.0, math.nan, 1.0, math.nan, 2.0])).tolist() == [3.0, 1.0, 2.0]


def test_all_nan_series_becomes_empty() -> None:
    assert remove_nans(A([math.nan] * 4)).size == 0


def test_replace_nans_sets_each_nan_to_zero() -> None:
    assert replace_nans(A([math.nan, 1.5, math.nan])).tolist() == [0.0, 1.5, 0.0]


def test_percentiles_are_r7_linear_interpolation_like_numpy() -> None:
    rng = np.random.default_rng(1)
    for n in (2, 3, 10, 97, 1000):
        values = rng.normal(0, 10, n)
        for p in (1, 5, 25, 50, 75, 90, 99, 100):
            assert percentile(values, p) == pytest.approx(
                np.percentile(values, p), rel=1e-12, abs=1e-12
            )


def test_percentile_of_one_value_is_that_value_and_of_none_is_nan() -> None:
    assert percentile(A([4.0]), 1) == 4.0
    assert math.isnan(percentile(A([]), 50))
    with pytest.raises(ValueError):
        percentile(A([1.0, 2.0]), 0)


def test_reduced_sensitivity_fences_widen_to_the_1st_and_99th_percentiles() -> None:
    values = np.arange(100.0)
    q1, q3 = np.percentile(values, [25, 75])
    plain = iqr_fences(values, 0.1)
    reduced = iqr_fences(values, 0.1, reduce_sensitivity=True)
    assert plain == pytest.approx((q1 - 0.1 * (q3 - q1), q3 + 0.1 * (q3 - q1)))
    assert reduced == pytest.approx((np.percentile(values, 1), np.percentile(values, 99)))
    # Tukey's fences alone would drop 0..19 and 80..99; reduced sensitivity only the tails.
    assert remove_iqr_outliers(values, 0.1).tolist() == list(range(1, 99))


def test_reduced_sensitivity_keeps_tukeys_fences_when_they_are_wider() -> None:
    values = np.arange(100.0)  # Q1 - 3 IQR = -123.75 < P1, Q3 + 3 IQR = 222.75 > P99
    assert iqr_fences(values, 3.0, reduce_sensitivity=True) == iqr_fences(values, 3.0)
    assert iqr_fences(values, 3.0) == pytest.approx((-123.75, 222.75))


def test_outliers_are_strictly_outside_the_fences() -> None:
    # Q1 = 2, Q3 = 4: with factor 3 the upper fence is exactly 10, which stays.
    values = A([1.0, 2.0, 3.0, 4.0, 10.0])
    assert iqr_outliers(values, 3.0).tolist() == [False] * 5
    assert iqr_outliers(values, 2.9).tolist() == [False] * 4 + [True]


def test_outliers_on_both_sides_are_detected() -> None:
    values = A([1.0, 1.0, 1.0, 5.0, -1.0, -1.0, -1.0, -5.0])
    assert iqr_outliers(values, 1.5).tolist() == [
        False,
        False,
        False,
        True,
        False,
        False,
        False,
        True,
    ]


def test_outlier_removal_keeps_an_empty_series_empty() -> None:
    assert remove_iqr_outliers(A([]), 3.0).size == 0


@pytest.mark.parametrize("factor", [0.0, -1.0])
def test_outlier_factor_must_be_positive(factor: float) -> None:
    with pytest.raises(ValueError, match="greater than zero"):
        remove_iqr_outliers(A([1.0, 2.0]), factor)


def test_summary_of_an_empty_series_is_all_zeros() -> None:
    assert summary(A([])) == {"min": 0.0, "max": 0.0, "mean": 0.0, "std": 0.0, "count": 0}


def test_summary_of_one_value_has_zero_std() -> None:
    assert summary(A([4.0])) == {"min": 4.0, "max": 4.0, "mean": 4.0, "std": 0.0, "count": 1}


def test_summary_std_is_the_sample_standard_deviation() -> None:
    stats = summary(A([1.0, 1.0, 1.0, 10.0, 10.0, 10.0]))
    assert (stats["min"], stats["max"], stats["mean"], stats["count"]) == (1.0, 10.0, 5.5, 6)
    assert stats["std"] == pytest.approx(np.std([1, 1, 1, 10, 10, 10], ddof=1))


def test_mean_is_the_two_pass_corrected_sequential_mean() -> None:
    rng = np.random.default_rng(2)
    values = rng.normal(1e6, 1.0, 1001)
    xbar = math.fsum(values) / values.size
    assert mean(values) == pytest.approx(xbar, rel=1e-15)
    total = 0.0
    for v in values:  # commons-math: sequential sum, then a correction pass
        total += v
    first = total / values.size
    correction = 0.0
    for v in values:
        correction += v - first
    assert mean(values) == first + correction / values.size
    assert variance(values) == pytest.approx(np.var(values, ddof=1), rel=1e-12)


def test_noise_leaves_a_zero_series_exactly_zero() -> None:
    zeros = np.zeros(50)
    assert add_gaussian_noise(zeros, 0.0 * 1e-5, np.random.default_rng(0)).tolist() == [0.0] * 50


def test_noise_has_the_requested_spread_and_accepts_a_negative_scale() -> None:
    base = np.full(20000, 10.0)
    noisy = add_gaussian_noise(base, 10.0 * 1e-5, np.random.default_rng(1))
    assert np.std(noisy - base) == pytest.approx(1e-4, rel=0.05)
    flipped = add_gaussian_noise(base, -1e-4, np.random.default_rng(1))
    assert np.allclose(flipped - base, -(noisy - base))


def test_noise_is_reproducible_from_the_generator() -> None:
    values = np.full(10, 3.0)
    first = add_gaussian_noise(values, 3e-5, np.random.default_rng(42))
    again = add_gaussian_noise(values, 3e-5, np.random.default_rng(42))
    assert first.tolist() == again.tolist()
