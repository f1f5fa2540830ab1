"""Summary statistics computed the way commons-math computes them for Kayenta.

Kayenta's means and variances come from commons-math's ``StatUtils``, which sums
sequentially and then corrects the mean with a second pass. numpy's pairwise
summation can differ in the last bits, which would move the reported ``ratio`` and
the effect-size comparisons made with it, so the same passes are made here.
"""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "SummaryStats", "mean", "percentile", "summary", "variance"]

FloatArray = npt.NDArray[np.float64]


class SummaryStats(TypedDict):
    """``experimentMetadata.stats`` / ``controlMetadata.stats`` of a metric result."""

    min: float
    max: float
    mean: float
    std: float
    count: int


def _sequential_sum(values: FloatArray) -> float:
    # cumsum adds strictly left to right, as commons-math's Sum does; the + 0.0
    # reproduces its 0.0 starting value for the sign of a zero total.
    return float(np.cumsum(values)[-1]) + 0.0


def mean(values: FloatArray) -> float:
    """Arithmetic mean as commons-math ``StatUtils.mean``: NaN for an empty array."""
    n = values.size
    if n == 0:
        return math.nan
    xbar = _sequential_sum(values) / n
    correction = _sequential_sum(values - xbar)
    return xbar + correction / n


def variance(values: FloatArray) -> float:
    """Sample variance (n − 1) as commons-math ``StatUtils.variance``; 0 for one value."""
    n = values.size
    if n == 0:
        return math.nan
    if n == 1:
        return 0.0
    deviations = values - mean(values)
    accum = _sequential_sum(deviations * deviations)
    accum2 = _sequential_sum(deviations)
    return (accum - (accum2 * accum2 / n)) / (n - 1.0)


def percentile(values: FloatArray, p: float) -> float:
    """The ``p``-th percentile (0 < p ≤ 100) by the R-7 (linear interpolation) rule.

    Follows commons-math ``Percentile`` with ``EstimationType.R_7``, the estimator
    Kayenta's outlier detector uses; it agrees with ``numpy.percentile``'s default
    up to rounding.

    Raises:
        ValueError: ``p`` is not in (0, 100].
    """
    if not 0.0 < p <= 100.0:
        raise ValueError(f"percentile {p!r} is outside (0, 100]")
    n = values.size
    if n == 0:
        return math.nan
    if n == 1:
        return float(values[0])
    ordered = np.sort(values)
    q = p / 100.0
    pos = float(n) if q == 1.0 else 1 + (n - 1) * q
    if pos < 1:
        return float(ordered[0])
    if pos >= n:
        return float(ordered[n - 1])
    floor_pos = math.floor(pos)
    lower = float(ordered[floor_pos - 1])
    upper = float(ordered[floor_pos])
    return lower + (pos - floor_pos) * (upper - lower)


def summary(values: FloatArray) -> SummaryStats:
    """Kayenta's ``DescriptiveStatistics.summary``: all zeros for an empty array."""
    if values.size == 0:
        return {"min": 0.0, "max": 0.0, "mean": 0.0, "std": 0.0, "count": 0}
    return {
        "min": float(np.min(values)),
        "max": float(np.max(values)),
        "mean": mean(values),
        "std": math.sqrt(variance(values)),
        "count": int(values.size),
    }
