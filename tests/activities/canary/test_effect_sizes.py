"""Effect sizes: mean ratio and CLES (spec §1.6)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from activities.canary.judge import cles, mean_ratio

A = np.array


def test_mean_ratio_is_experiment_mean_over_control_mean() -> None:
    assert mean_ratio(A([1.0, 2.0, 3.0]), A([4.0, 6.0, 8.0])) == 3.0
    assert mean_ratio(A([100.0] * 5), A([10.0] * 5)) == 0.1


@pytest.mark.parametrize(
    ("control", "experiment"),
    [([0.0, 0.0], [10.0, 10.0]), ([10.0, 10.0], [0.0, 0.0]), ([-1.0, 1.0], [3.0])],
)
def test_mean_ratio_is_nan_when_either_mean_is_zero(
    control: list[float], experiment: list[float]
) -> None:
    assert math.isnan(mean_ratio(A(control), A(experiment)))


def test_cles_is_the_probability_experiment_beats_control_counting_ties_half() -> None:
    rng = np.random.default_rng(9)
    for _ in range(50):
        control = rng.integers(0, 6, rng.integers(1, 40)).astype(float)
        experiment = rng.integers(0, 6, rng.integers(1, 40)).astype(float)
        greater = sum(int(e > c) for e in experiment for c in control)
        equal = sum(int(e == c) for e in experiment for c in control)
        want = (2 * greater + equal) / (2 * control.size * experiment.size)
        assert cles(control, experiment) == want


def test_cles_of_identical_samples_is_one_half() -> None:
    assert cles(A([1.0, 2.0, 3.0, 4.0, 5.0]), A([5.0, 4.0, 3.0, 2.0, 1.0])) == 0.5


def test_cles_is_one_when_the_experiment_dominates_and_zero_when_dominated() -> None:
    low, high = A([1.0, 2.0, 3.0]), A([10.0, 11.0])
    assert cles(low, high) == 1.0
    assert cles(high, low) == 0.0


def test_cles_orders_negative_zero_below_zero_as_kayentas_ranking_does() -> None:
    assert cles(A([-0.0]), A([0.0])) == 1.0


def test_cles_needs_both_sides() -> None:
    with pytest.raises(ValueError):
        cles(A([]), A([1.0]))
