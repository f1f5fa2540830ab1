"""Automated canary analysis: Kayenta's NetflixACAJudge, its metric sources and activities.

- :mod:`activities.canary.judge`: the judge itself, pure (no Temporal, no I/O
  besides :func:`activities.canary.judge.judge_files`).
- Metric sources: :class:`PrometheusSource` (``query_range``),
  :class:`CloudWatchSource` (``get_metric_data``) and :class:`InlineSource`
  (values in the config), chosen per metric by :class:`Sources`.
- :class:`CanaryActivities`: ``canary.prepare`` and ``canary.judge`` for the
  ``gennaker-canary`` worker.
"""

from __future__ import annotations

from activities.canary.activities import CanaryActivities
from activities.canary.analysis import collect, judge_run, parse_config, summarise
from activities.canary.cloudwatch import CloudWatchSource, metric_data_query
from activities.canary.inline import InlineSource
from activities.canary.mixer import MixedMetric, mix
from activities.canary.prometheus import PrometheusSource, build_query
from activities.canary.sources import Fetched, MetricSource, Series, Sources, SourceScope
from activities.canary.templates import custom_filter, expand_template

__all__ = [
    "CanaryActivities",
    "CloudWatchSource",
    "Fetched",
    "InlineSource",
    "MetricSource",
    "MixedMetric",
    "PrometheusSource",
    "Series",
    "SourceScope",
    "Sources",
    "build_query",
    "collect",
    "custom_filter",
    "expand_template",
    "judge_run",
    "metric_data_query",
    "mix",
    "parse_config",
    "summarise",
]
