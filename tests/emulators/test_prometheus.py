"""Debian's Prometheus over promtool-backfilled history: start on a free port, query, stop by pid."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from emulators.prometheus import (
    OpenMetricsSeries,
    PrometheusServer,
    openmetrics_text,
    web_service_history,
)
from models.errors import GennakerError

START = (int(time.time()) // 3600) * 3600 - 2 * 3600


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_openmetrics_text_groups_families_and_keeps_full_timestamps() -> None:
    text = openmetrics_text(
        [
            OpenMetricsSeries("req_total", {"code": "500"}, [(1_700_000_060, 2), (1_700_000_000, 1)], "counter"),
            OpenMetricsSeries("lat", {"path": 'a"b'}, [(1_700_000_000.5, float("nan"))]),
            OpenMetricsSeries("req_total", {"code": "200"}, [(1_700_000_000, 9)], "counter"),
        ]
    )  # fmt: skip
    assert text.splitlines() == [
        "# TYPE req counter",
        'req_total{code="500"} 1.0 1700000000',
        'req_total{code="500"} 2.0 1700000060',
        'req_total{code="200"} 9.0 1700000000',
        "# TYPE lat gauge",
        'lat{path="a\\"b"} NaN 1700000000.5',
        "# EOF",
    ]


def test_the_synthetic_service_is_the_same_every_time() -> None:
    first = web_service_history({"g": "a"}, START, START + 600, error_rate=0.05, seed=4)
    again = web_service_history({"g": "a"}, START, START + 600, error_rate=0.05, seed=4)
    other = web_service_history({"g": "a"}, START, START + 600, error_rate=0.05, seed=5)
    assert first == again != other
    ok, errors, latency = first
    assert len(ok.points) == len(errors.points) == len(latency.points) == 60
    share = errors.points[-1][1] / (errors.points[-1][1] + ok.points[-1][1])
    assert 0.04 < share < 0.06


def test_backfilled_history_answers_range_queries_and_the_server_stops_by_pid() -> None:
    series = web_service_history(
        {"server_group": "app-v001"}, START, START + 3600, error_rate=0.02, seed=1
    )
    server = PrometheusServer(series)
    with server:
        pid = server.pid
        assert pid is not None and _alive(pid)
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        flag = "--storage.tsdb.path="
        data_dir = Path(next(a for a in arguments if a.startswith(flag))[len(flag) :])
        assert any(data_dir.iterdir())  # the backfilled blocks
        response = httpx.get(
            f"{server.url}/api/v1/query_range",
            params={
                "query": 'sum(rate(http_requests_total{code="500"}[1m])) / sum(rate(http_requests_total[1m]))',
                "start": START + 600,
                "end": START + 1200,
                "step": 60,
            },
        )
        result = response.json()["data"]["result"]
        assert len(result) == 1
        values = [float(v) for _, v in result[0]["values"]]
        assert len(values) == 11
        assert all(0.01 < v < 0.03 for v in values)
    assert not _alive(pid)
    assert server.pid is None
    with pytest.raises(GennakerError, match="not running"):
        _ = server.url
    server.stop()  # twice is fine
    assert not data_dir.exists()  # the scratch data went with it


def test_a_history_promtool_refuses_is_reported() -> None:
    bad = OpenMetricsSeries("9starts_with_a_digit", {}, [(START, 1.0)])
    with pytest.raises(GennakerError, match="promtool could not backfill"):
        PrometheusServer([bad]).start()


def test_an_empty_history_still_starts(tmp_path: Path) -> None:
    log = tmp_path / "prometheus.log"
    with PrometheusServer(log_path=log) as server:
        assert httpx.get(f"{server.url}/-/ready").status_code == 200
    assert log.exists()
