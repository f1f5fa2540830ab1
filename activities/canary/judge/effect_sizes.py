"""How large the difference between experiment and control is (Kayenta's ``EffectSizes``)."""

from __future__ import annotations

import math

import numpy as np

from activities.canary.judge.mannwhitney import order_keys, sort_in_java_order
from activities.canary.judge.stats import FloatArray, mean

__all__ = ["cles", "mean_ratio"]


def mean_ratio(control: FloatArray, experiment: FloatArray) -> float:
    """mean(experiment) / mean(control); NaN when either mean is exactly 0.

    This is both the ``meanRatio`` effect size and the ``ratio`` Kayenta reports.
    """
    control_mean = mean(control)
    experiment_mean = mean(experiment)
    if control_mean == 0.0 or experiment_mean == 0.0:
        return math.nan
    return experiment_mean / control_mean


def cles(control: FloatArray, experiment: FloatArray) -> float:
    """Common-language effect size P(E > C) + ½·P(E = C) (Vargha and Delaney).

    Kayenta computes (2·R1 − m(m+1)) / (2nm) from the average ranks R1 of the
    experiment in the pooled sample; 2·R1 − m(m+1) is twice the experiment's U
    statistic, counted here directly. 0.5 means no difference, 1 that the
    experiment is always higher.

    Raises:
        ValueError: A series is empty.
    """
    m, n = experiment.size, control.size
    if m == 0 or n == 0:
        raise ValueError("the common-language effect size needs values on both sides")
    control_keys = order_keys(sort_in_java_order(control))
    experiment_keys = order_keys(np.ascontiguousarray(experiment, dtype=np.float64))
    below = int(np.searchsorted(control_keys, experiment_keys, "left").sum())
    not_above = int(np.searchsorted(control_keys, experiment_keys, "right").sum())
    # Both sides are exact integers, so this rounds once, like Kayenta's division.
    return (below + not_above) / (2 * n * m)
