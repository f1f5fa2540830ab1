"""Preprocessing of a metric's series before it is judged: NaNs, outliers, noise."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from activities.canary.judge.stats import FloatArray, percentile

__all__ = [
    "add_gaussian_noise",
    "iqr_fences",
    "iqr_outliers",
    "remove_iqr_outliers",
    "remove_nans",
    "replace_nans",
]


def remove_nans(values: FloatArray) -> FloatArray:
    """The values that are not NaN, in their order (nanStrategy ``remove``)."""
    return values[~np.isnan(values)]


def replace_nans(values: FloatArray, value: float = 0.0) -> FloatArray:
    """A copy with each NaN replaced by ``value`` (nanStrategy ``replace`` uses 0.0)."""
    return np.where(np.isnan(values), value, values)


def iqr_fences(
    values: FloatArray, factor: float = 1.5, *, reduce_sensitivity: bool = False
) -> tuple[float, float]:
    """The (lower, upper) fences of Kayenta's ``IQRDetector``.

    Tukey's fences Q1 − f·IQR and Q3 + f·IQR. With ``reduce_sensitivity`` (the
    judge's setting) they widen to at least the 1st and 99th percentiles, so that a
    series with a tiny IQR does not lose its tails. Percentiles are R-7.

    Raises:
        ValueError: ``factor`` is not positive.
    """
    if not factor > 0.0:
        raise ValueError(f"outlier factor must be greater than zero, not {factor!r}")
    p25 = percentile(values, 25)
    p75 = percentile(values, 75)
    iqr = p75 - p25
    lower = p25 - (factor * iqr)
    upper = p75 + (factor * iqr)
    if reduce_sensitivity:
        lower = min(percentile(values, 1), lower)
        upper = max(percentile(values, 99), upper)
    return lower, upper


def iqr_outliers(
    values: FloatArray, factor: float = 1.5, *, reduce_sensitivity: bool = False
) -> npt.NDArray[np.bool_]:
    """Which values lie strictly outside the IQR fences (see :func:`iqr_fences`)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.bool_)
    lower, upper = iqr_fences(values, factor, reduce_sensitivity=reduce_sensitivity)
    return (values > upper) | (values < lower)


def remove_iqr_outliers(
    values: FloatArray, factor: float = 3.0, *, reduce_sensitivity: bool = True
) -> FloatArray:
    """The values that are not IQR outliers, in their order (outliers ``remove``).

    The defaults are the judge's: factor 3.0 and reduced sensitivity.
    """
    if values.size == 0:
        # Kayenta still checks the factor on an empty series.
        iqr_fences(values, factor)
        return values
    return values[~iqr_outliers(values, factor, reduce_sensitivity=reduce_sensitivity)]


def add_gaussian_noise(
    values: FloatArray, stdev: float, rng: np.random.Generator, mean: float = 0.0
) -> FloatArray:
    """``values`` plus independent N(mean, stdev²) noise, one draw per value.

    ``stdev`` may be negative (the judge scales it by a possibly negative value);
    like Kayenta, each draw is ``gaussian · stdev + mean``, so the sign only flips
    the draws and a ``stdev`` of 0 leaves the values exactly as they were.
    """
    return values + (rng.standard_normal(values.size) * stdev + mean)
