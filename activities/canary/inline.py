"""The ``inline`` metric source: values written in the canary config itself.

For tests, demos and retrospective analysis of exported data. A metric's query
gives either fixed values, used as they are for every run::

    {"type": "inline", "values": {"control": [1, 2, null], "experiment": [1, 3, 2]}}

or timestamped points, cut to each run's window and placed on its grid (missing
points become NaN)::

    {"type": "inline", "points": {"control": [[1735689600, 1.0], ...], "experiment": [...]}}

Keys are looked up by the side's scope name first (``"myapp-v011"``), then by the
side (``"control"`` / ``"experiment"``). ``null`` and ``"NaN"`` are NaN; a side
with no key has no data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from activities.canary.sources import Fetched, Series, SourceScope, align, time_grid
from models.canary import CanaryConfig, CanaryMetricConfig
from models.errors import CanaryConfigError

__all__ = ["InlineSource"]


def _number(value: Any, where: str) -> float:
    if value is None or value == "NaN":
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CanaryConfigError(f"{where}: {value!r} is not a number")
    return float(value)


def _entry(table: Any, scope: SourceScope, where: str) -> tuple[str, Any] | None:
    if not isinstance(table, Mapping):
        raise CanaryConfigError(f"{where} must map a scope or side to a list")
    for key in (scope.scope, scope.side):
        if key is not None and key in table:
            return str(key), table[key]
    return None


class InlineSource:
    """Serves ``query.values`` or ``query.points`` of the config."""

    def fetch(
        self, config: CanaryConfig, metric: CanaryMetricConfig, scope: SourceScope
    ) -> Fetched:
        """The metric's inline values for ``scope``'s side."""
        query = metric.query
        base = f"metric {metric.name!r}: query"
        if "points" in query:
            grid = time_grid(scope.start, scope.end, scope.step, include_end=True)
            found = _entry(query["points"], scope, f"{base}.points")
            if found is None:
                return Fetched(series=[], query=f"inline points ({scope.side})", timestamps_ms=grid)
            key, raw = found
            where = f"{base}.points.{key}"
            if not isinstance(raw, list):
                raise CanaryConfigError(f"{where} must be a list of [epochSeconds, value]")
            points = []
            for index, item in enumerate(raw):
                if not isinstance(item, list | tuple) or len(item) != 2:
                    raise CanaryConfigError(f"{where}[{index}] must be [epochSeconds, value]")
                stamp = _number(item[0], f"{where}[{index}][0]")
                points.append((round(stamp * 1000), _number(item[1], f"{where}[{index}][1]")))
            values = align(points, grid)
            return Fetched(
                series=[Series(tags={}, values=values)],
                query=f"inline points[{key}]",
                timestamps_ms=grid,
            )
        if "values" not in query:
            raise CanaryConfigError(f"{base} needs values or points")
        found = _entry(query["values"], scope, f"{base}.values")
        start_ms = round(scope.start.timestamp() * 1000)
        if found is None:
            return Fetched(series=[], query=f"inline values ({scope.side})", timestamps_ms=[])
        key, raw = found
        where = f"{base}.values.{key}"
        if not isinstance(raw, list):
            raise CanaryConfigError(f"{where} must be a list of numbers")
        values = [_number(v, f"{where}[{i}]") for i, v in enumerate(raw)]
        stamps = [start_ms + scope.step * 1000 * k for k in range(len(values))]
        return Fetched(
            series=[Series(tags={}, values=values)],
            query=f"inline values[{key}]",
            timestamps_ms=stamps,
        )
