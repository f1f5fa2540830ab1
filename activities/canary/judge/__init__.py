"""Kayenta's NetflixACAJudge-v1.0, ported: a pure canary judge (no Temporal, no I/O).

:func:`judge` classifies every metric of a canary run (Mann–Whitney interval
against ±0.25·|estimate| at 98 %, effect sizes, critical metrics) and scores the
run; :func:`judge_files` does the same from a config file and a metric-pairs file,
for the CLI. The building blocks are exposed for tests and reports.
"""

from __future__ import annotations

from activities.canary.judge.classifier import (
    JUDGE_CONF_LEVEL,
    JUDGE_TOLERANCE,
    Classification,
    ClassifierSettings,
    MetricClassification,
    classify,
)
from activities.canary.judge.effect_sizes import cles, mean_ratio
from activities.canary.judge.files import judge_files, load_canary_config, load_metric_set_pairs
from activities.canary.judge.judge import DEFAULT_SEED, JUDGE_NAME, json_safe, judge, metric_rng
from activities.canary.judge.mannwhitney import (
    MannWhitneyError,
    MannWhitneyResult,
    ShiftStatistic,
    mann_whitney,
)
from activities.canary.judge.quantile import normal_quantile
from activities.canary.judge.scoring import (
    GroupScore,
    MetricOutcome,
    ScoreResult,
    classify_score,
    round_half_up,
    score,
)
from activities.canary.judge.stats import SummaryStats, percentile, summary
from activities.canary.judge.transforms import (
    add_gaussian_noise,
    iqr_fences,
    iqr_outliers,
    remove_iqr_outliers,
    remove_nans,
    replace_nans,
)
from activities.canary.judge.zeroin import zeroin

__all__ = [
    "DEFAULT_SEED",
    "JUDGE_CONF_LEVEL",
    "JUDGE_NAME",
    "JUDGE_TOLERANCE",
    "Classification",
    "ClassifierSettings",
    "GroupScore",
    "MannWhitneyError",
    "MannWhitneyResult",
    "MetricClassification",
    "MetricOutcome",
    "ScoreResult",
    "ShiftStatistic",
    "SummaryStats",
    "add_gaussian_noise",
    "classify",
    "classify_score",
    "cles",
    "iqr_fences",
    "iqr_outliers",
    "json_safe",
    "judge",
    "judge_files",
    "load_canary_config",
    "load_metric_set_pairs",
    "mann_whitney",
    "mean_ratio",
    "metric_rng",
    "normal_quantile",
    "percentile",
    "remove_iqr_outliers",
    "remove_nans",
    "replace_nans",
    "round_half_up",
    "score",
    "summary",
    "zeroin",
]
