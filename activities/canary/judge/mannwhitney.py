"""The Mann–Whitney confidence interval and estimate of Kayenta's judge.

For a shift d of the experiment x against the control y, Kayenta ranks the pooled
sample [x − d, y] (average ranks for ties) and forms R's normal approximation

    dz(d) = Σ ranks of x − nx(nx+1)/2 − nx·ny/2
    σ(d)  = sqrt(nx·ny/12 · ((nx+ny+1) − Σ(t³ − t) / ((nx+ny)(nx+ny−1))))
    f(d; zq) = (dz − 0.5·sign(dz)) / σ − zq

over tie groups of size t. The interval ends are the roots of f(·; ±zα) and the
estimate the root of f(·; 0), found with R's zeroin (:mod:`.zeroin`).

Re-ranking the pooled sample for every candidate shift is what makes a naive port
slow. Here both samples are sorted once; for each shift the rank sum comes from two
binary searches of x − d in y (Σ rank(x) = nx(nx+1)/2 + Σ #(y < x−d) + ½·#(y = x−d)),
and the tie term from the tie groups of y (fixed), the runs of equal values in
x − d, and the cross ties the searches reveal. All counts are integers, so the
statistic is bit-identical to ranking the pooled sample.

Values are compared in Java's ``Double.compare`` order, as commons-math's ranking
does: −0.0 ranks below 0.0 and the two are not tied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from activities.canary.judge.quantile import normal_quantile
from activities.canary.judge.stats import FloatArray
from activities.canary.judge.zeroin import zeroin

__all__ = [
    "MannWhitneyError",
    "MannWhitneyResult",
    "ShiftStatistic",
    "mann_whitney",
    "order_keys",
    "sort_in_java_order",
]

IntArray = npt.NDArray[np.int64]

_MAGNITUDE_BITS = np.int64(0x7FFFFFFFFFFFFFFF)


class MannWhitneyError(ValueError):
    """The statistic is undefined, for example when every observation is tied."""


@dataclass(frozen=True)
class MannWhitneyResult:
    """Confidence interval of the location shift experiment − control, and its estimate."""

    lower: float
    upper: float
    estimate: float


def order_keys(values: FloatArray) -> IntArray:
    """Integers ordered like ``values`` under Java's ``Double.compare`` (−0.0 < 0.0).

    Equal keys mean bit-identical doubles, which is also how Java's ``distinct``
    tells values apart.
    """
    bits = values.view(np.int64)
    # Negative doubles sort backwards as integers; flipping their magnitude bits
    # puts them in order below the non-negative ones.
    return bits ^ ((bits >> 63) & _MAGNITUDE_BITS)


def sort_in_java_order(values: FloatArray) -> FloatArray:
    """``values`` sorted as Java sorts doubles (−0.0 before 0.0)."""
    keys = np.sort(order_keys(np.ascontiguousarray(values, dtype=np.float64)))
    return (keys ^ ((keys >> 63) & _MAGNITUDE_BITS)).view(np.float64)


def _runs(keys: IntArray) -> tuple[IntArray, IntArray] | None:
    """(start, length) of each run of equal keys in a sorted array; None if all differ."""
    same = keys[1:] == keys[:-1]
    if not same.any():
        return None
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    return starts, np.diff(np.append(starts, keys.size))


def _tie_term(runs: IntArray) -> int:
    """Σ(t³ − t) over tie groups of sizes ``runs``."""
    return int((runs * runs * runs - runs).sum())


class ShiftStatistic:
    """The normal-approximation statistic of x − d against y, for many shifts d.

    Args:
        x: The experiment values, sorted in Java order (:func:`sort_in_java_order`).
        y: The control values, sorted in Java order.
    """

    def __init__(self, x: FloatArray, y: FloatArray) -> None:
        if x.size == 0 or y.size == 0:
            raise MannWhitneyError("both samples need at least one value")
        self._x = x
        self._y_keys = order_keys(y)
        self._nx = x.size
        self._nxny = x.size * y.size
        # Tie groups of y never change. For each y, the size of its group, so that
        # a search that lands on a group's first element knows how many it equals.
        y_runs = _runs(self._y_keys)
        self._y_ties = 0 if y_runs is None else _tie_term(y_runs[1])
        self._y_group_size = None if y_runs is None else np.repeat(y_runs[1], y_runs[1])
        # Tie groups of x − d are those of x, unless rounding merges neighbours.
        x_keys = order_keys(x)
        self._x_same = x_keys[1:] == x_keys[:-1]
        x_runs = _runs(x_keys)
        self._x_runs = None if x_runs is None else (*x_runs, _tie_term(x_runs[1]))
        nx, ny = float(x.size), float(y.size)
        # The parts of σ that do not depend on the shift, in Kayenta's order of
        # operations so σ rounds the same way.
        self._var_scale = nx * ny / 12
        self._var_base = nx + ny + 1
        self._var_denominator = (nx + ny) * (nx + ny - 1)
        self._sigma: dict[int, float] = {}
        self._ends: tuple[float, float] | None = None
        self.mu_min = float(x[0]) - float(y[-1])
        """Smallest shift worth searching: min(x) − max(y)."""
        self.mu_max = float(x[-1]) - float(y[0])
        """Largest shift worth searching: max(x) − min(y)."""

    def counts(self, d: float) -> tuple[int, int]:
        """(2·dz, Σ(t³ − t)) at shift ``d``: twice U_x − nx·ny/2, and the tie term."""
        shifted = order_keys(self._x - d)
        # One binary search per x − d: how many y lie below it; whether the y it
        # lands on equals it, and if so how many y do (its group's size).
        below = np.searchsorted(self._y_keys, shifted, "left")
        hit = self._y_keys.take(below, mode="clip") == shifted
        equal: IntArray | None = None
        n_equal = 0
        if hit.any():
            if self._y_group_size is None:
                equal = hit.astype(np.int64)
            else:
                equal = np.where(hit, self._y_group_size.take(below, mode="clip"), 0)
            n_equal = int(equal.sum())
        # Σ rank(x) − nx(nx+1)/2 = Σ #(y < x−d) + ½·#(y = x−d); doubled, an integer.
        two_dz = 2 * int(below.sum()) + n_equal - self._nxny

        same = shifted[1:] == shifted[:-1]
        if not same.any():
            if equal is None:
                return two_dz, self._y_ties
            # Each x − d joins the c values of y it equals: (1+c)³ − (1+c) − (c³ − c) = 3c(1+c).
            return two_dz, self._y_ties + 3 * int((equal * (equal + 1)).sum())
        if self._x_runs is not None and np.array_equal(same, self._x_same):
            starts, runs, x_ties = self._x_runs
        else:
            starts = np.flatnonzero(np.concatenate(([True], ~same)))
            runs = np.diff(np.append(starts, self._nx))
            x_ties = _tie_term(runs)
        ties = self._y_ties + x_ties
        if equal is not None:
            # A run of r equal x − d joining c equal y adds 3rc(r+c) to (r³ − r) + (c³ − c).
            joined = equal[starts]
            ties += 3 * int((runs * joined * (runs + joined)).sum())
        return two_dz, ties

    def z(self, d: float) -> float:
        """(dz − 0.5·sign(dz)) / σ at shift ``d``; f(d; zq) is this minus zq.

        Raises:
            MannWhitneyError: Every observation is tied at this shift (σ = 0).
        """
        two_dz, ties = self.counts(d)
        sigma = self._sigma.get(ties)
        if sigma is None:
            sigma = math.sqrt(self._var_scale * (self._var_base - ties / self._var_denominator))
            self._sigma[ties] = sigma
        if sigma == 0:
            raise MannWhitneyError(
                "cannot compute confidence interval when all observations are tied"
            )
        dz = two_dz / 2
        correction = 0.5 if dz > 0 else (-0.5 if dz < 0 else 0.0)
        return (dz - correction) / sigma

    def root(self, zq: float, *, endpoint_rule: bool = True) -> float:
        """A root of f(d; zq) = z(d) − zq in [mu_min, mu_max], found with zeroin.

        With ``endpoint_rule`` (the interval ends), an endpoint where f already has
        the sign of the far side is returned without a search: mu_min when
        f(mu_min) ≤ 0, else mu_max when f(mu_max) ≥ 0.
        """
        if self._ends is None:
            # Every search starts from the same two ends; evaluate them once.
            self._ends = (self.z(self.mu_min), self.z(self.mu_max))
        f_lower = self._ends[0] - zq
        f_upper = self._ends[1] - zq
        if endpoint_rule:
            if f_lower <= 0:
                return self.mu_min
            if f_upper >= 0:
                return self.mu_max
        return zeroin(self.mu_min, self.mu_max, f_lower, f_upper, lambda d: self.z(d) - zq)


def mann_whitney(x: FloatArray, y: FloatArray, conf_level: float) -> MannWhitneyResult:
    """Kayenta's Mann–Whitney confidence interval and estimate for x − y.

    Args:
        x: The experiment values (any order, no NaN).
        y: The control values (any order, no NaN).
        conf_level: Confidence level of the two-sided interval, e.g. 0.98.

    Returns:
        The interval [root of f(·; −zα), root of f(·; zα)], zα = Φ⁻¹((1 − conf)/2),
        and the estimate, the root of f(·; 0) searched without the endpoint rule.

    Raises:
        MannWhitneyError: A sample is empty or every observation is tied.
    """
    statistic = ShiftStatistic(sort_in_java_order(x), sort_in_java_order(y))
    z_alpha = normal_quantile((1.0 - conf_level) / 2)
    return MannWhitneyResult(
        lower=statistic.root(-z_alpha),
        upper=statistic.root(z_alpha),
        estimate=statistic.root(0.0, endpoint_rule=False),
    )
