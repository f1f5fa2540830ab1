"""``make demo``'s canary part: two short canary pipelines end to end, and a report.

:func:`run_canary_demo` judges a good canary (1 % errors, like its baseline) and a
bad one (5 % errors) with the ``kayentaCanary`` stage over Prometheus, prints what
happened, and writes the HTML report of the failed one. It says plainly which
parts are local stand-ins. ``gennaker demo`` calls it; run it alone with
``python -m client.demo_canary`` (it starts its own Temporal dev server).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from temporalio.client import Client

from client.canary import canary_report
from client.client import GennakerClient
from emulators.prometheus import PrometheusServer, web_service_history
from models.config import GennakerConfig
from models.execution import ExecutionView
from models.loading import parse_pipeline
from models.run import TaskQueues
from workers.build import build_workers

__all__ = ["run_canary_demo"]

_REGION = "us-east-1"
_BASELINE = "shop-baseline-v041"
_CANARIES = {"good": ("shop-canary-v042", 0.01, 2), "bad": ("shop-canary-v043", 0.05, 3)}
# Kayenta's escaped template form ($\{...}): an inline config is a stage field, so the
# pipeline engine would evaluate a plain ${scope}; the metric source expands $\{scope}.
_ERROR_RATE = (
    'PromQL:sum(rate(http_requests_total{server_group="$\\{scope}",code="500"}[1m]))'
    ' / sum(rate(http_requests_total{server_group="$\\{scope}"}[1m]))'
)


def _config(source: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "shop golden signals",
        "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
        "metrics": [
            {
                "name": "error rate",
                "query": source["errors"],
                "groups": ["errors"],
                "analysisConfigurations": {
                    "canary": {"direction": "increase", "critical": True, "nanStrategy": "replace"}
                },
            },
            {
                "name": "latency",
                "query": source["latency"],
                "groups": ["latency"],
                "analysisConfigurations": {"canary": {"direction": "increase"}},
            },
        ],
        "templates": {"by-group": 'server_group="$\\{scope}"'},
        "classifier": {"groupWeights": {"errors": 70, "latency": 30}},
    }


def _pipeline(
    name: str, canary: str, start: datetime, config: dict[str, Any], account: str | None
) -> Any:
    def at(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    stage: dict[str, Any] = {
        "refId": "canary",
        "name": "Canary analysis",
        "type": "kayentaCanary",
        "analysisType": "retrospective",
        "canaryConfig": {
            "config": config,
            "metricsAccountName": account,
            "scopes": [
                {"controlScope": _BASELINE, "controlLocation": _REGION, "experimentScope": canary,
                 "experimentLocation": _REGION, "startTimeIso": at(0), "endTimeIso": at(90),
                 "step": 30}
            ],
            "scoreThresholds": {"pass": 95, "marginal": 75},
            "canaryAnalysisIntervalMins": 30,
        },
    }  # fmt: skip
    stages: list[dict[str, Any]] = [stage]
    if name == "bad":
        # Orca's continuePipeline: the canary fails (FAILED_CONTINUE), the pipeline goes on.
        stage["continuePipeline"] = True
        stages.append(
            {
                "refId": "verdict",
                "name": "Record verdict",
                "type": "evaluateVariables",
                "requisiteStageRefIds": ["canary"],
                "variables": [
                    {
                        "key": "canaryVerdict",
                        "value": "${#stage('Canary analysis')['outputs']['canaryScoreMessage']}",
                    }
                ],
            }
        )
    return parse_pipeline({"application": "shop", "name": f"canary-demo-{name}", "stages": stages})


def _inline_points(start: float, end: float) -> dict[str, Any]:
    """The same synthetic service as inline points, for machines without Prometheus."""
    errors: dict[str, list[list[float]]] = {}
    latency: dict[str, list[list[float]]] = {}
    groups = {_BASELINE: (0.01, 1), **{g: (rate, seed) for g, rate, seed in _CANARIES.values()}}
    for group, (rate, seed) in groups.items():
        series = web_service_history(
            {"server_group": group}, start, end, error_rate=rate, seed=seed, scrape_seconds=30
        )
        ok, failed, slow = (s.points for s in series)
        errors[group] = [
            [t, (f1 - f0) / ((f1 - f0) + (o1 - o0))]
            for (t, f1), (_, f0), (_, o1), (_, o0) in zip(
                failed[1:], failed[:-1], ok[1:], ok[:-1], strict=False
            )
        ]
        latency[group] = [[t, v] for t, v in slow]
    return {
        "errors": {"type": "inline", "points": errors},
        "latency": {"type": "inline", "points": latency},
    }


@contextlib.contextmanager
def _source(
    start: datetime, end: datetime, say: Callable[[str], None]
) -> Iterator[tuple[GennakerConfig, dict[str, Any], str | None]]:
    if shutil.which("prometheus") and shutil.which("promtool"):
        history = []
        groups = {_BASELINE: (0.01, 1), **{g: (rate, seed) for g, rate, seed in _CANARIES.values()}}
        for group, (rate, seed) in groups.items():
            history += web_service_history(
                {"server_group": group, "region": _REGION},
                start.timestamp(),
                end.timestamp(),
                error_rate=rate,
                seed=seed,
            )
        with PrometheusServer(history) as server:
            say(
                f"- Prometheus: LOCAL STAND-IN. Debian's prometheus binary on {server.url} "
                f"(pid {server.pid}), over two hours of SYNTHETIC history backfilled with promtool "
                "(no service is running; nothing is scraped)."
            )
            config = GennakerConfig.parse(
                {
                    "metrics": {
                        "accounts": [{"name": "prom", "type": "prometheus", "url": server.url}]
                    }
                }
            )
            queries = {
                "errors": {"type": "prometheus", "customInlineTemplate": _ERROR_RATE},
                "latency": {"type": "prometheus", "metricName": "http_request_duration_seconds",
                            "customFilterTemplate": "by-group"},
            }  # fmt: skip
            yield config, queries, "prom"
        return
    say(
        "- Prometheus is not installed: the metrics are SYNTHETIC inline values in the canary "
        "config instead (install the Debian package 'prometheus' for the real query path)."
    )
    yield GennakerConfig(), _inline_points(start.timestamp(), end.timestamp()), None


async def run_canary_demo(
    gennaker: GennakerClient | Client,
    *,
    console: Console | None = None,
    follow: Callable[[str], Awaitable[ExecutionView]] | None = None,
    scratch: Path | None = None,
    **_: Any,
) -> list[ExecutionView]:
    """Judge a good and a bad canary end to end; write the bad one's report.

    The bad canary's stage has ``continuePipeline``: it ends FAILED_CONTINUE at its
    first interval and the pipeline goes on to record the verdict, so both runs
    end SUCCEEDED while showing both outcomes.

    Args:
        gennaker: A client of the demo's Temporal server. The demo runs its own
            pipeline and canary workers on fresh task queues there, configured with
            a metrics account for its Prometheus stand-in.
        console: Where progress goes (a new rich console by default).
        follow: Shows a run while it goes and returns its final view (``wait`` by default).
        scratch: Where the report goes (a new temporary directory by default).

    Returns:
        The execution views of the good and the bad canary's runs.
    """
    console = console or Console()

    def say(line: str) -> None:
        console.print(line, markup=False, highlight=False)

    temporal = gennaker.temporal if isinstance(gennaker, GennakerClient) else gennaker
    scratch = scratch or Path(tempfile.mkdtemp(prefix="gennaker-canary-demo-"))
    end = datetime.fromtimestamp((int(time.time()) // 60) * 60, UTC) - timedelta(minutes=5)
    start = end - timedelta(hours=2)
    say("Canary analysis (kayentaCanary) with Kayenta's NetflixACAJudge ported to scipy:")
    say("- Temporal: the demo's server; pipeline and canary workers run in this process.")
    views: list[ExecutionView] = []
    with _source(start, end, say) as (config, queries, account):
        queues = TaskQueues.with_suffix(f"canary{uuid.uuid4().hex[:6]}")
        workers = build_workers(temporal, config, queues, kinds=("pipelines", "canary"))
        tasks = [asyncio.create_task(worker.run()) for worker in workers]
        try:
            runner = GennakerClient(temporal, queues)
            canary_config = _config(queries)
            for name, (group, rate, _seed) in _CANARIES.items():
                say(f"- {name} canary {group}: {rate * 100:g} % errors, the baseline 1 %")
                pipeline = _pipeline(
                    name, group, start + timedelta(minutes=15), canary_config, account
                )
                execution_id = await runner.run(pipeline, user="demo")
                view = await (follow or runner.wait)(execution_id)
                views.append(view)
                stage = view.stages[0]
                scores = ", ".join(f"{s:g}" for s in stage.outputs.get("canaryScores", []))
                say(
                    f"  {execution_id}: canary {stage.status}, scores per 30-minute interval "
                    f"[{scores}]: {stage.outputs.get('canaryScoreMessage') or stage.error}"
                )
            report = scratch / "canary-report.html"
            page = await canary_report(runner, views[-1].id, "canary", config)
            report.write_text(page, encoding="utf-8")
            say(f"- report of the failed canary: {report} (open it in a browser)")
        finally:
            for worker in workers:
                await worker.shutdown()
            for task in tasks:
                with contextlib.suppress(Exception):
                    await task
    return views


async def _main() -> None:
    from temporalio.contrib.pydantic import pydantic_data_converter

    from emulators.temporal import DevServer, free_port

    with DevServer(port=free_port(), ui_port=None) as server:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        await run_canary_demo(client, scratch=Path.cwd())


if __name__ == "__main__":
    asyncio.run(_main())
