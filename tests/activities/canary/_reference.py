"""Straightforward reference versions of the judge's statistics, written from the spec.

They re-rank the pooled sample for every shift, exactly as the definition reads;
the judge's fast versions must agree with them bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata

from activities.canary.judge import normal_quantile, zeroin

FloatArray = np.ndarray


def java_order(values: FloatArray) -> FloatArray:
    """Integers ordered as Java's Double.compare orders doubles (-0.0 below 0.0)."""
    bits = np.asarray(values, dtype=np.float64).view(np.int64)
    magnitude = bits & np.int64(0x7FFFFFFFFFFFFFFF)
    return np.where(bits >= 0, bits, -magnitude - 1)


def wilcoxon_diff(d: float, zq: float, x: FloatArray, y: FloatArray) -> float:
    """f(d; zq) of the spec: rank [x - d, y], tie-corrected sigma, continuity correction."""
    nx, ny = float(len(x)), float(len(y))
    ranks = rankdata(java_order(np.concatenate([x - d, y])), method="average")
    _, tie_sizes = np.unique(ranks, return_counts=True)
    dz = float(ranks[: len(x)].sum()) - nx * (nx + 1) / 2 - nx * ny / 2
    correction = 0.5 * (1.0 if dz > 0 else -1.0 if dz < 0 else 0.0)
    ties = float(sum(float(t) ** 3 - float(t) for t in tie_sizes))
    sigma = math.sqrt((nx * ny / 12) * ((nx + ny + 1) - ties / ((nx + ny) * (nx + ny - 1))))
    if sigma == 0:
        raise ZeroDivisionError("all observations tied")
    return (dz - correction) / sigma - zq


def interval(x: FloatArray, y: FloatArray, conf_level: float) -> tuple[float, float, float]:
    """(lower, upper, estimate) by the spec's root rules on the reference statistic."""
    mu_min = float(np.min(x)) - float(np.max(y))
    mu_max = float(np.max(x)) - float(np.min(y))
    z_alpha = normal_quantile((1.0 - conf_level) / 2)

    def root(zq: float, endpoint_rule: bool) -> float:
        f_lower = wilcoxon_diff(mu_min, zq, x, y)
        f_upper = wilcoxon_diff(mu_max, zq, x, y)
        if endpoint_rule and f_lower <= 0:
            return mu_min
        if endpoint_rule and f_upper >= 0:
            return mu_max
        return zeroin(mu_min, mu_max, f_lower, f_upper, lambda d: wilcoxon_diff(d, zq, x, y))

    return root(-z_alpha, True), root(z_alpha, True), root(0.0, False)


def samples(kind: str, scale: float, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Random experiment and control samples of one kind, at one scale."""
    n, m = (int(v) for v in rng.integers(3, 60, size=2))
    if kind == "continuous":
        x = rng.normal(0.3, 1.0, n) * scale
        y = rng.normal(0.0, 1.0, m) * scale
    elif kind == "rounded":
        x = np.round(rng.normal(0.3, 1.0, n), 1) * scale
        y = np.round(rng.normal(0.0, 1.0, m), 1) * scale
    elif kind == "few-values":
        x = rng.integers(0, 4, n).astype(np.float64) * scale
        y = rng.integers(0, 4, m).astype(np.float64) * scale
    elif kind == "signed-zeros":
        x = np.where(rng.random(n) < 0.4, -0.0, rng.normal(0.0, 1.0, n) * scale)
        y = np.where(rng.random(m) < 0.4, 0.0, rng.normal(0.0, 1.0, m) * scale)
        y = np.where(rng.random(m) < 0.3, -0.0, y)
    else:
        raise ValueError(kind)
    return x, y
