"""Metric sources: the seam between the judge and a metrics store.

A source turns one metric's query and one side's scope (``scope``, ``location``,
a window and a step) into series of values on the window's time grid, with NaN
where the store had no point, as Kayenta's metric services and mixer do. Which
source serves a metric is decided by its ``query.type`` and the stage's
``metricsAccountName``, from the worker's ``metrics.accounts``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from models.canary import CanaryConfig, CanaryMetricConfig
from models.config import GennakerConfig, MetricsAccount
from models.errors import CanaryConfigError
from models.stages.canary import parse_instant
from workflows.canary.messages import ScopeWindowSpec

__all__ = [
    "Fetched",
    "MetricSource",
    "Series",
    "SourceScope",
    "Sources",
    "align",
    "time_grid",
]

Side = Literal["control", "experiment"]

_ACCOUNT_TYPES = frozenset({"prometheus", "cloudwatch"})
"""Source types served through a configured metrics account."""


@dataclass(frozen=True)
class SourceScope:
    """One side of one scope for one run: the query's ``${scope}``, ``${location}`` and window."""

    side: Side
    scope: str | None
    location: str | None
    start: datetime
    end: datetime
    step: int
    extended_scope_params: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, side: Side, spec: ScopeWindowSpec) -> SourceScope:
        """From the activity's scope spec."""
        return cls(
            side=side,
            scope=spec.scope,
            location=spec.location,
            start=parse_instant(spec.start),
            end=parse_instant(spec.end),
            step=spec.step,
            extended_scope_params=dict(spec.extended_scope_params),
        )

    def bindings(self, query: Mapping[str, Any] | None = None) -> dict[str, str]:
        """Template variables, as Kayenta builds them.

        ``scope`` and ``location`` (when set), then the query's ``project`` and
        ``resourceType``, then the extended scope params, which win.
        """
        values: dict[str, str] = {}
        if self.scope:
            values["scope"] = self.scope
        if self.location:
            values["location"] = self.location
        for key in ("project", "resourceType"):
            if query and query.get(key):
                values[key] = str(query[key])
        values.update(self.extended_scope_params)
        return values


@dataclass(frozen=True)
class Series:
    """One series of a metric (one tag set), on the window's grid."""

    tags: dict[str, str]
    values: list[float]


@dataclass(frozen=True)
class Fetched:
    """What a source returned for one metric and one side."""

    series: list[Series]
    query: str
    timestamps_ms: list[int]
    """The grid every series is aligned to."""


class MetricSource(Protocol):
    """Fetches one metric for one side of one run."""

    def fetch(
        self, config: CanaryConfig, metric: CanaryMetricConfig, scope: SourceScope
    ) -> Fetched:
        """The metric's series on ``scope``'s grid; NaN for missing points.

        Raises:
            CanaryConfigError: The query cannot be built (not worth retrying).
            ProviderError: The store refused or failed (``retryable`` says whether to retry).
        """
        ...


def _ms(moment: datetime) -> int:
    return round(moment.astimezone(UTC).timestamp() * 1000)


def time_grid(start: datetime, end: datetime, step: int, *, include_end: bool) -> list[int]:
    """Epoch milliseconds from ``start`` every ``step`` seconds, up to ``end``.

    Prometheus evaluates ``query_range`` at both ends (``include_end``); CloudWatch's
    buckets are ``[t, t + period)`` and stop before ``end``.
    """
    first, last, every = _ms(start), _ms(end), step * 1000
    if last < first:
        return []
    count = (last - first) // every + (1 if include_end else 0)
    return [first + every * k for k in range(count)]


def align(points: Iterable[tuple[int, float]], grid: list[int]) -> list[float]:
    """Values placed on ``grid`` by timestamp (ms); a missing point is NaN."""
    by_time = {ts: value for ts, value in points}
    return [by_time.get(ts, math.nan) for ts in grid]


class Sources:
    """Picks the source of each metric from the worker configuration (thread-safe).

    Args:
        config: The worker configuration (``metrics.accounts``, ``aws.accounts``).
        factories: Source type → a function ``(account, config) -> MetricSource``,
            added to (or replacing) the built-in ones: other stores and tests plug in here.
    """

    def __init__(
        self,
        config: GennakerConfig,
        factories: Mapping[str, Any] | None = None,
    ) -> None:
        self._config = config
        self._factories = {**_default_factories(), **(factories or {})}
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], MetricSource] = {}

    def account(self, source_type: str, account_name: str | None) -> MetricsAccount | None:
        """The metrics account a query of ``source_type`` uses (None when it needs none).

        Raises:
            CanaryConfigError: The account is unknown, of another type, or not given
                while several (or no) accounts of the type exist.
        """
        if source_type not in _ACCOUNT_TYPES:
            # Inline values (and plugged-in sources) need no account.
            return None
        accounts = [a for a in self._config.metrics.accounts if a.type == source_type]
        if account_name:
            for account in self._config.metrics.accounts:
                if account.name == account_name:
                    if account.type != source_type:
                        raise CanaryConfigError(
                            f"metrics account {account_name!r} is {account.type}, "
                            f"but the query type is {source_type}"
                        )
                    return account
            known = ", ".join(a.name for a in self._config.metrics.accounts) or "none configured"
            raise CanaryConfigError(f"unknown metrics account {account_name!r} (known: {known})")
        if len(accounts) == 1:
            return accounts[0]
        if not accounts:
            raise CanaryConfigError(f"no {source_type} metrics account is configured on the worker")
        names = ", ".join(a.name for a in accounts)
        raise CanaryConfigError(f"several {source_type} accounts ({names}): set metricsAccountName")

    def close(self) -> None:
        """Close the sources' connections (each source with a ``close`` method)."""
        with self._lock:
            sources, self._cache = list(self._cache.values()), {}
        for source in sources:
            closer = getattr(source, "close", None)
            if callable(closer):
                closer()

    def for_metric(self, metric: CanaryMetricConfig, account_name: str | None) -> MetricSource:
        """The source that serves ``metric``.

        Raises:
            CanaryConfigError: No such source type, or no usable account for it.
        """
        source_type = str(metric.query.get("type") or "")
        factory = self._factories.get(source_type)
        if factory is None:
            known = ", ".join(sorted(self._factories))
            raise CanaryConfigError(
                f"metric {metric.name!r}: query type {source_type!r} is not supported "
                f"(supported: {known})"
            )
        account = self.account(source_type, account_name)
        key = (source_type, account.name if account else "")
        with self._lock:
            source = self._cache.get(key)
            if source is None:
                source = factory(account, self._config)
                self._cache[key] = source
        return source


def _default_factories() -> dict[str, Any]:
    from activities.canary.cloudwatch import CloudWatchSource
    from activities.canary.inline import InlineSource
    from activities.canary.prometheus import PrometheusSource

    return {
        "prometheus": lambda account, config: PrometheusSource(account),
        "cloudwatch": CloudWatchSource,
        "inline": lambda account, config: InlineSource(),
    }
