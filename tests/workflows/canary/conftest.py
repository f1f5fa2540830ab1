"""Real stand-ins for the canary tests: Prometheus over backfilled history, moto's CloudWatch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.moto import MotoServer
from emulators.prometheus import PrometheusServer
from models.config import GennakerConfig
from tests.workflows.canary.history import (
    History,
    history_window,
    prometheus_series,
    put_cloudwatch_history,
)


@pytest.fixture(scope="session")
def history() -> History:
    return history_window()


@pytest.fixture(scope="session")
def prometheus(history: History) -> Iterator[PrometheusServer]:
    """Debian's prometheus on a free port over three hours of backfilled history."""
    with PrometheusServer(prometheus_series(history)) as server:
        yield server


@pytest.fixture(scope="session")
def moto(aws_credentials: None, history: History) -> Iterator[MotoServer]:
    """moto in server mode, with the same history in CloudWatch."""
    with MotoServer() as server:
        put_cloudwatch_history(server.url, history)
        yield server


@pytest.fixture
def metrics_config(prometheus: PrometheusServer) -> GennakerConfig:
    return GennakerConfig.parse(
        {"metrics": {"accounts": [{"name": "prom", "type": "prometheus", "url": prometheus.url}]}}
    )


@pytest.fixture
def cloudwatch_config(moto: MotoServer) -> GennakerConfig:
    return GennakerConfig.parse(
        {
            "aws": {
                "accounts": [{"name": "test", "regions": ["us-east-1"], "endpointUrl": moto.url}]
            },
            "metrics": {"accounts": [{"name": "cw", "type": "cloudwatch", "awsAccount": "test"}]},
        }
    )
