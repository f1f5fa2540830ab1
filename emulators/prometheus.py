"""Prometheus (Debian ``prometheus`` 2.42) as a plain binary, over a backfilled history.

Canary tests and the demo need metric history that is the same on every run.
:class:`PrometheusServer` writes series as OpenMetrics text, turns them into TSDB
blocks with ``promtool tsdb create-blocks-from openmetrics`` (well under a
second), then starts ``prometheus`` on a free port of 127.0.0.1 over those blocks
with nothing to scrape, so ``query_range`` answers from the history at once. It
stops exactly the process it started, by its pid, and removes its scratch data.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emulators.process import HttpService
from models.errors import GennakerError

__all__ = ["OpenMetricsSeries", "PrometheusServer", "openmetrics_text", "web_service_history"]

_COUNTER = "counter"
_CONFIG = "global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\nscrape_configs: []\n"


def _binary(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
    )
    if not found:
        raise GennakerError(f"cannot find {name!r}: install the Debian package 'prometheus'")
    return found


@dataclass(frozen=True)
class OpenMetricsSeries:
    """One series to backfill: a sample name, labels, and ``(epoch seconds, value)`` points.

    For a ``counter`` the sample name ends in ``_total`` (the family is the name
    without it), as OpenMetrics requires.
    """

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    points: Sequence[tuple[float, float]] = ()
    type: str = "gauge"

    @property
    def family(self) -> str:
        """The metric family the ``# TYPE`` line names."""
        if self.type == "counter" and self.name.endswith("_total"):
            return self.name[: -len("_total")]
        return self.name


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _stamp(seconds: float) -> str:
    # Full precision: "{:g}" would round epoch seconds to six digits.
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


def openmetrics_text(series: Iterable[OpenMetricsSeries]) -> str:
    """OpenMetrics exposition of ``series`` with timestamps, ending in ``# EOF``.

    Series of one family are written together and each series' points in time
    order, as the format requires.
    """
    families: dict[str, list[OpenMetricsSeries]] = {}
    types: dict[str, str] = {}
    for item in series:
        families.setdefault(item.family, []).append(item)
        if types.setdefault(item.family, item.type) != item.type:
            raise GennakerError(f"metric family {item.family!r} has two types")
    lines: list[str] = []
    for family, members in families.items():
        lines.append(f"# TYPE {family} {types[family]}")
        for member in members:
            labels = ",".join(f'{k}="{_label_value(str(v))}"' for k, v in member.labels.items())
            selector = f"{member.name}{{{labels}}}" if labels else member.name
            for stamp, value in sorted(member.points):
                lines.append(f"{selector} {_number(value)} {_stamp(stamp)}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def web_service_history(
    labels: Mapping[str, str],
    start: float,
    end: float,
    *,
    error_rate: float,
    requests_per_second: float = 100.0,
    latency_seconds: float = 0.120,
    scrape_seconds: int = 10,
    seed: int = 0,
) -> list[OpenMetricsSeries]:
    """Synthetic history of one web service, as a Prometheus would have scraped it.

    ``http_requests_total{code="200"|"500", ...labels}`` counters (a share
    ``error_rate`` of requests fail, with binomial-like noise) and an
    ``http_request_duration_seconds`` gauge around ``latency_seconds``, every
    ``scrape_seconds`` from ``start`` to ``end`` (epoch seconds). The same
    arguments always give the same history.
    """
    rng = random.Random(seed)
    per_scrape = requests_per_second * scrape_seconds
    spread = math.sqrt(per_scrape * error_rate * (1 - error_rate))
    ok = errors = 0.0
    ok_points: list[tuple[float, float]] = []
    error_points: list[tuple[float, float]] = []
    latency: list[tuple[float, float]] = []
    stamp = float(start)
    while stamp < end:
        failed = max(0.0, round(rng.gauss(per_scrape * error_rate, spread)))
        errors += failed
        ok += per_scrape - failed
        ok_points.append((stamp, ok))
        error_points.append((stamp, errors))
        latency.append((stamp, max(0.001, rng.gauss(latency_seconds, latency_seconds * 0.05))))
        stamp += scrape_seconds
    return [
        OpenMetricsSeries("http_requests_total", {**labels, "code": "200"}, ok_points, "counter"),
        OpenMetricsSeries(
            "http_requests_total", {**labels, "code": "500"}, error_points, "counter"
        ),
        OpenMetricsSeries("http_request_duration_seconds", dict(labels), latency, "gauge"),
    ]


class PrometheusServer(HttpService):
    """A ``prometheus`` process on a free port, over a backfilled TSDB; a context manager.

    Args:
        series: History to backfill before the server starts.
        host: The address to listen on.
        startup_timeout: Seconds to wait for ``/-/ready``.
        log_path: Where the server's output goes (discarded when None).
    """

    name = "prometheus"
    ready_path = "/-/ready"

    def __init__(
        self,
        series: Iterable[OpenMetricsSeries] = (),
        *,
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(host, startup_timeout=startup_timeout, log_path=log_path)
        self._series = list(series)
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    @property
    def _root(self) -> Path:
        assert self._scratch is not None
        return Path(self._scratch.name)

    def _prepare(self) -> None:
        """Write the config and backfill the history (before the server starts)."""
        self._scratch = tempfile.TemporaryDirectory(prefix="gennaker-prometheus-")
        (self._root / "prometheus.yml").write_text(_CONFIG)
        data = self._root / "data"
        data.mkdir()
        if self._series:
            self._backfill(self._root, data)

    def _backfill(self, root: Path, data: Path) -> None:
        history = root / "history.om"
        history.write_text(openmetrics_text(self._series))
        result = subprocess.run(
            [
                _binary("promtool"),
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                str(history),
                str(data),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:]
            raise GennakerError(f"promtool could not backfill the history: {' '.join(detail)}")

    def _command(self, port: int) -> list[str]:
        return [
            _binary("prometheus"),
            f"--config.file={self._root / 'prometheus.yml'}",
            f"--storage.tsdb.path={self._root / 'data'}",
            # Retention counts back from the newest block; keep whatever was backfilled.
            "--storage.tsdb.retention.time=3650d",
            f"--web.listen-address={self.host}:{port}",
            "--log.level=warn",
        ]

    def _cleanup(self) -> None:
        """Remove the server's data."""
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
