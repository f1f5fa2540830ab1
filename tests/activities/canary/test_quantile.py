"""The normal quantile behind the confidence level (spec §1.5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from activities.canary.judge import normal_quantile


def test_quantiles_are_commons_maths_to_the_last_bit() -> None:
    # Values from commons-math 3.6.1 on the JVM; scipy's norm.ppf(0.01) is one ulp
    # away from the first, which would move the interval ends in their last bits.
    assert normal_quantile((1.0 - 0.98) / 2) == -2.326347874040841
    assert normal_quantile((1.0 - 0.95) / 2) == -1.959963984540054
    assert normal_quantile((1.0 - 0.9) / 2) == -1.644853626951473


def test_judge_and_test_confidence_levels_give_the_documented_quantiles() -> None:
    assert normal_quantile((1.0 - 0.98) / 2) == pytest.approx(-2.3263478740, abs=1e-10)
    assert normal_quantile((1.0 - 0.95) / 2) == pytest.approx(-1.9599639845, abs=1e-10)


def test_agrees_with_scipy_for_every_usable_confidence_level() -> None:
    for p in np.concatenate([np.geomspace(1e-3, 0.5, 400), 1 - np.geomspace(1e-3, 0.5, 400)]):
        assert normal_quantile(float(p)) == pytest.approx(float(norm.ppf(p)), rel=1e-13), p


def test_probability_too_small_for_two_p_minus_one_gives_minus_infinity_as_in_java() -> None:
    # 2p - 1 rounds to -1 and erfInv(-1) is -infinity in commons-math.
    assert normal_quantile(1e-300) == -math.inf


def test_is_antisymmetric_around_one_half() -> None:
    for p in (0.01, 0.025, 0.2, 0.4):
        assert normal_quantile(p) == pytest.approx(-normal_quantile(1 - p), rel=1e-14)
    assert normal_quantile(0.5) == 0.0


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5, math.nan])
def test_probability_outside_the_open_unit_interval_is_refused(p: float) -> None:
    with pytest.raises(ValueError):
        normal_quantile(p)
