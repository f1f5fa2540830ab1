"""Kayenta's ``MannWhitneyClassifier``: one metric's verdict, steps A to G in order.

A. missing data → Nodata / NodataFailMetric (or Pass with nanStrategy ``replace``);
B. identical sorted data → Pass; C. a single distinct value overall → Pass;
D. both sides constant but different → tiny Gaussian noise on each side;
E. the Mann–Whitney interval against ±tolerance·|estimate|, gated by the effect size
   and the direction → High, Low or Pass; F. a critical metric whose effect passes
   the critical limit → critical High or Low; G. a failure inside → Error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from activities.canary.judge.effect_sizes import cles, mean_ratio
from activities.canary.judge.mannwhitney import (
    MannWhitneyResult,
    mann_whitney,
    order_keys,
    sort_in_java_order,
)
from activities.canary.judge.stats import FloatArray
from activities.canary.judge.transforms import add_gaussian_noise
from models.canary import Direction, EffectSizeMeasure, NanStrategy

__all__ = [
    "CONTROL_LABEL",
    "EXPERIMENT_LABEL",
    "JUDGE_CONF_LEVEL",
    "JUDGE_TOLERANCE",
    "NOISE_SCALE",
    "Classification",
    "ClassifierSettings",
    "MetricClassification",
    "classify",
]

Classification = Literal["Pass", "High", "Low", "Nodata", "NodataFailMetric", "Error"]

JUDGE_TOLERANCE = 0.25
"""Fraction of |estimate| the interval must clear; fixed in NetflixACAJudge."""

JUDGE_CONF_LEVEL = 0.98
"""Confidence level of the interval; fixed in NetflixACAJudge."""

NOISE_SCALE = 1e-5
"""Standard deviation of the step-D noise, relative to each side's constant."""

EXPERIMENT_LABEL = "Canary"
CONTROL_LABEL = "Baseline"


@dataclass(frozen=True)
class ClassifierSettings:
    """Thresholds of the classifier; the defaults are the judge's.

    Attributes:
        tolerance: The interval must clear ``tolerance·|estimate|`` to count.
        conf_level: Confidence level of the Mann–Whitney interval.
        allowed_increase: Smallest effect size for High (inclusive).
        allowed_decrease: Largest effect size for Low (inclusive).
        critical_increase: Smallest effect size for a critical High (inclusive).
        critical_decrease: Largest effect size for a critical Low (inclusive).
        measure: The effect size: ``meanRatio`` or ``cles``.
    """

    tolerance: float = JUDGE_TOLERANCE
    conf_level: float = JUDGE_CONF_LEVEL
    allowed_increase: float = 1.0
    allowed_decrease: float = 1.0
    critical_increase: float = 1.0
    critical_decrease: float = 1.0
    measure: EffectSizeMeasure = "meanRatio"


@dataclass(frozen=True)
class MetricClassification:
    """One metric's verdict.

    Attributes:
        classification: Pass, High, Low, Nodata, NodataFailMetric or Error.
        reason: Why, for anything but an ordinary Pass; None otherwise.
        ratio: mean(experiment) / mean(control) (NaN when a mean is 0); 1.0 for the
            early exits; NaN for Error.
        critical: Whether this result fails the whole canary.
        ci_lower: Lower end of the Mann–Whitney interval, when it was computed.
        ci_upper: Upper end of the interval, when it was computed.
        estimate: The location-shift estimate, when it was computed.
        effect_size: The configured effect size, when it was computed.
    """

    classification: Classification
    reason: str | None
    ratio: float
    critical: bool
    ci_lower: float | None = None
    ci_upper: float | None = None
    estimate: float | None = None
    effect_size: float | None = None


def _early(reason: str | None = None) -> MetricClassification:
    return MetricClassification("Pass", reason, 1.0, critical=False)


def _single_value(keys: npt.NDArray[np.int64]) -> bool:
    # On sorted keys: one distinct value (Java's distinct tells -0.0 from 0.0).
    return bool(keys[0] == keys[-1])


def classify(
    control: FloatArray,
    experiment: FloatArray,
    *,
    name: str,
    direction: Direction = "either",
    nan_strategy: NanStrategy = "remove",
    critical: bool = False,
    must_have_data: bool = False,
    settings: ClassifierSettings | None = None,
    rng: np.random.Generator | None = None,
) -> MetricClassification:
    """Classify a metric's transformed experiment against its transformed control.

    Args:
        control: The control (baseline) values after NaN and outlier handling.
        experiment: The experiment (canary) values after the same handling.
        name: The metric's name, used in the reasons.
        direction: Which change counts: ``increase``, ``decrease`` or ``either``.
        nan_strategy: How NaNs were handled; decides what an empty side means.
        critical: Whether the metric is critical.
        must_have_data: Whether missing data fails the metric (NodataFailMetric).
        settings: Thresholds; the judge's fixed ones when None.
        rng: Source of the step-D noise; a fresh unseeded generator when None (as
            Kayenta). The judge passes one seeded per metric.

    Returns:
        The verdict. Any arithmetic failure (for example all observations tied at
        a searched shift) gives ``Error``, as Kayenta's judge does.
    """
    settings = settings or ClassifierSettings()
    try:
        return _classify(
            control,
            experiment,
            name=name,
            direction=direction,
            nan_strategy=nan_strategy,
            critical=critical,
            must_have_data=must_have_data,
            settings=settings,
            rng=rng,
        )
    except (ArithmeticError, ValueError):
        return MetricClassification(
            "Error", "Metric Classification Failed", math.nan, critical=False
        )


def _classify(
    control: FloatArray,
    experiment: FloatArray,
    *,
    name: str,
    direction: Direction,
    nan_strategy: NanStrategy,
    critical: bool,
    must_have_data: bool,
    settings: ClassifierSettings,
    rng: np.random.Generator | None,
) -> MetricClassification:
    # A. Missing data.
    if experiment.size == 0 or control.size == 0:
        if nan_strategy == "replace":
            return _early()
        reason = f"Missing data for {name}"
        if must_have_data and not critical:
            return MetricClassification("NodataFailMetric", reason, 1.0, critical=False)
        return MetricClassification("Nodata", reason, 1.0, critical=critical)

    # B. Identical data (sorted, element by element, == on doubles).
    experiment_sorted = sort_in_java_order(experiment)
    control_sorted = sort_in_java_order(control)
    if experiment.size == control.size and bool(np.all(experiment_sorted == control_sorted)):
        return _early(f"The {EXPERIMENT_LABEL} and {CONTROL_LABEL} data are identical")

    # C. A single distinct value overall.
    experiment_keys = order_keys(experiment_sorted)
    control_keys = order_keys(control_sorted)
    experiment_constant = _single_value(experiment_keys)
    control_constant = _single_value(control_keys)
    if experiment_constant and control_constant and experiment_keys[0] == control_keys[0]:
        return _early()

    # D. Both sides constant but different: the ranks would all tie within each
    # side, so spread them with noise scaled to each side's value (zeros stay 0).
    if experiment_constant and control_constant:
        rng = rng if rng is not None else np.random.default_rng()
        experiment = add_gaussian_noise(experiment, float(experiment[0]) * NOISE_SCALE, rng)
        control = add_gaussian_noise(control, float(control[0]) * NOISE_SCALE, rng)

    # E. Mann–Whitney interval against ±tolerance·|estimate|.
    interval: MannWhitneyResult = mann_whitney(experiment, control, settings.conf_level)
    ratio = mean_ratio(control, experiment)
    effect = cles(control, experiment) if settings.measure == "cles" else ratio
    bound = settings.tolerance * abs(interval.estimate)
    effect_unknown = math.isnan(effect)
    is_high = (
        direction in ("increase", "either")
        and interval.lower > bound
        and (effect_unknown or effect >= settings.allowed_increase)
    )
    is_low = (
        direction in ("decrease", "either")
        and interval.upper < -bound
        and (effect_unknown or effect <= settings.allowed_decrease)
    )

    def result(
        label: Classification, reason: str | None, is_critical: bool
    ) -> MetricClassification:
        return MetricClassification(
            label,
            reason,
            ratio,
            critical=is_critical,
            ci_lower=interval.lower,
            ci_upper=interval.upper,
            estimate=interval.estimate,
            effect_size=effect,
        )

    # F. A critical metric fails the canary only past its critical limit.
    if is_high:
        if critical and (effect_unknown or effect >= settings.critical_increase):
            return result("High", f"The metric {name} was classified as High (Critical)", True)
        return result("High", f"{name} was classified as High", False)
    if is_low:
        if critical and (effect_unknown or effect <= settings.critical_decrease):
            return result("Low", f"The metric {name} was classified as Low (Critical)", True)
        return result("Low", f"{name} was classified as Low", False)
    return result("Pass", None, False)
