"""The HTML report of a failed canary, opened in headless Chromium, by API and by the CLI."""

from __future__ import annotations

import asyncio
import base64
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml
from temporalio.client import Client

from client.canary import canary_report
from client.client import GennakerClient
from emulators.chromium import dump_dom
from emulators.prometheus import PrometheusServer
from models.config import GennakerConfig
from models.loading import parse_pipeline
from models.run import TaskQueues
from models.status import Status
from tests.client.helpers import gennaker
from tests.conftest import make_pipeline, running_workers
from tests.workflows.canary.history import (
    BAD_CANARY,
    History,
    history_window,
    prometheus_canary_config,
    prometheus_series,
    retrospective_canary,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def history() -> History:
    return history_window()


@pytest.fixture(scope="module")
def prometheus(history: History) -> Iterator[PrometheusServer]:
    with PrometheusServer(prometheus_series(history)) as server:
        yield server


@pytest.fixture(scope="module")
def worker_config(prometheus: PrometheusServer) -> GennakerConfig:
    return GennakerConfig.parse(
        {"metrics": {"accounts": [{"name": "prom", "type": "prometheus", "url": prometheus.url}]}}
    )


@pytest.fixture(scope="module")
async def failed_canary(
    dev_client: Client, history: History, worker_config: GennakerConfig
) -> AsyncIterator[tuple[GennakerClient, str]]:
    """A pipeline whose canary (5 % errors against 1 %) failed; workers stay up for queries."""
    queues = TaskQueues.with_suffix(uuid.uuid4().hex[:8])
    stage = retrospective_canary(
        prometheus_canary_config(), history, BAD_CANARY, account="prom", name="Canary shop"
    )
    async with running_workers(
        dev_client, config=worker_config, kinds=("pipelines", "canary"), queues=queues
    ) as client:
        execution_id = await client.run(parse_pipeline(make_pipeline([stage])))
        view = await client.wait(execution_id)
        assert view.stages[0].status == Status.TERMINAL
        yield client, execution_id


def _plots(dom: str) -> list[str]:
    return re.findall(r"<img[^>]*class=\"plot\"[^>]*>", dom)


async def test_the_report_of_a_failed_canary_opens_in_chromium_with_verdict_and_plots(
    failed_canary: tuple[GennakerClient, str], worker_config: GennakerConfig, tmp_path: Path
) -> None:
    client, execution_id = failed_canary
    page = await canary_report(client, execution_id, "Canary shop", worker_config)
    path = tmp_path / "report.html"
    path.write_text(page)
    # Self-contained: nothing is loaded from anywhere else.
    assert not re.search(r"(src|href)=['\"](https?:|//)", page)
    dom = dump_dom(path.as_uri())
    verdict = re.search(r"<div id=\"verdict\" class=\"verdict fail\">(.*?)</div>", dom)
    assert verdict, dom[:2000]
    assert verdict.group(1) == "FAIL: Canary score is not above the marginal score threshold."
    plots = _plots(dom)
    # The score chart and one plot per metric, each decoded by the browser.
    assert len(plots) == 3
    for plot in plots:
        rendered = re.search(r'data-rendered="(\d+)x(\d+)"', plot)
        assert rendered and int(rendered.group(1)) > 300 and int(rendered.group(2)) > 100, plot[
            :200
        ]
    png = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", page)
    assert png and base64.b64decode(png.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
    # The metrics table of the decisive interval.
    table = dom[dom.index('id="metrics"') :]
    assert "error rate" in table and ">High<" in table
    assert "error rate was classified as High" in table or "(Critical)" in table
    assert re.search(r"<td>\[[0-9.e-]+, [0-9.e-]+\]</td>", table)
    assert "#1" in dom[dom.index('id="intervals"') :]


async def test_the_cli_writes_the_report_naming_the_stage_by_ref(
    failed_canary: tuple[GennakerClient, str],
    worker_config: GennakerConfig,
    dev_client: Client,
    tmp_path: Path,
) -> None:
    _, execution_id = failed_canary
    (tmp_path / "worker.yaml").write_text(
        yaml.safe_dump(worker_config.model_dump(mode="json", by_alias=True))
    )
    address = dev_client.service_client.config.target_host
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    # In a thread: the workers answering the CLI's query run on this event loop.
    result = await asyncio.to_thread(
        gennaker,
        "canary", "report", execution_id, "canary", "-o", out, "--config", "worker.yaml",
        "--address", address, home=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert "FAIL: Canary score is not above the marginal score threshold." in page
    assert page.count("data:image/png;base64,") == 3
    missing = await asyncio.to_thread(
        gennaker,
        "canary", "report", execution_id, "nope", "-o", out, "--address", address, home=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: execution {execution_id} has no stage 'nope'"
