"""Orchestration cost of the pipeline engine, against bare Temporal on the same server.

Prints, measured in one run:

1. wall time of 200 runs of a 10-stage ``webhook`` pipeline over 200 bare Temporal
   workflows making the same 10 HTTP calls as activities (target: at most 1.25);
2. the median time from an accepted ``judge`` update to the next stage's start
   (target: under 100 ms);
3. history events per stage.

Run: ``.venv/bin/python bench/engine.py [--runs 200]``. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import httpx
from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import BareWebhooks

from client.client import GennakerClient
from emulators.http_stub import HttpStub
from emulators.temporal import temporal_cli
from models.config import GennakerConfig
from models.loading import parse_pipeline
from models.run import TaskQueues
from models.search import SEARCH
from workers.build import build_workers
from workers.sandbox import PASSTHROUGH_MODULES

STAGES = 10
BARE_QUEUE = "bench-bare"


class BareActivities:
    """The baseline's only activity: one HTTP POST, like a webhook stage's call."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(timeout=60)

    @activity.defn(name="bare.post")
    async def post(self, url: str) -> int:
        """POST and return the status code."""
        response = await self.http.post(url, json={"bench": True})
        return response.status_code


def webhook_pipeline(stub: HttpStub, application: str) -> object:
    stages = []
    for index in range(STAGES):
        stages.append(
            {
                "refId": str(index + 1),
                "name": f"call {index + 1}",
                "type": "webhook",
                "url": stub.url(f"/hook/{index + 1}"),
                "method": "POST",
                "payload": {"bench": True},
                "requisiteStageRefIds": [str(index)] if index else [],
            }
        )
    return parse_pipeline({"application": application, "name": "webhooks", "stages": stages})


async def bare_round(client: Client, stub: HttpStub, runs: int) -> float:
    urls = [stub.url(f"/hook/{i + 1}") for i in range(STAGES)]
    started = time.perf_counter()
    handles = await asyncio.gather(
        *(
            client.start_workflow(
                BareWebhooks.run, urls, id=f"bare-{time.time_ns()}-{i}", task_queue=BARE_QUEUE
            )
            for i in range(runs)
        )
    )
    await asyncio.gather(*(h.result() for h in handles))
    return time.perf_counter() - started


async def gennaker_round(
    gennaker: GennakerClient, stub: HttpStub, runs: int
) -> tuple[float, list[str]]:
    pipeline = webhook_pipeline(stub, "bench")
    started = time.perf_counter()
    ids = await asyncio.gather(*(gennaker.run(pipeline, user="bench") for _ in range(runs)))  # type: ignore[arg-type]
    views = await asyncio.gather(*(gennaker.wait(i) for i in ids))
    elapsed = time.perf_counter() - started
    bad = [v.id for v in views if v.status != "SUCCEEDED"]
    if bad:
        raise SystemExit(f"{len(bad)} runs did not succeed, e.g. {bad[0]}")
    return elapsed, list(ids)


async def judge_latency(gennaker: GennakerClient, stub: HttpStub, samples: int) -> list[float]:
    pipeline = parse_pipeline(
        {
            "application": "bench",
            "name": "judged",
            "stages": [
                {"refId": "1", "type": "manualJudgment", "name": "approve"},
                {
                    "refId": "2",
                    "type": "webhook",
                    "url": stub.url("/after-judge"),
                    "requisiteStageRefIds": ["1"],
                },
            ],
        }
    )
    latencies = []
    for _ in range(samples):
        execution_id = await gennaker.run(pipeline, user="bench")
        while True:
            view = await gennaker.status(execution_id)
            if view.stages[0].context.get("awaitingJudgment"):
                break
            await asyncio.sleep(0.02)
        before = len(stub.calls("POST", "/after-judge"))
        await gennaker.judge(execution_id, "1", "continue", user="bench")
        accepted = time.perf_counter()
        while len(stub.calls("POST", "/after-judge")) == before:
            await asyncio.sleep(0.001)
        latencies.append(time.perf_counter() - accepted)
        await gennaker.wait(execution_id)
    return latencies


async def events_per_stage(client: Client, execution_id: str) -> float:
    handle = client.get_workflow_handle(execution_id)
    events = [e async for e in handle.fetch_history_events()]
    return len(events) / STAGES


async def main(runs: int, rounds: int) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), search_attributes=SEARCH.all(), ui=False
    )
    async with env:
        config = env.client.config()
        config["data_converter"] = pydantic_data_converter
        client = Client(**config)
        queues = TaskQueues.with_suffix("bench")
        bare = BareActivities()
        workers = [
            Worker(
                client,
                task_queue=BARE_QUEUE,
                workflows=[BareWebhooks],
                activities=[bare.post],
                # Same sandbox, with the baseline's module passed through like ours.
                workflow_runner=SandboxedWorkflowRunner(
                    restrictions=SandboxRestrictions.default.with_passthrough_modules(
                        *PASSTHROUGH_MODULES, "baseline"
                    )
                ),
            ),
            *build_workers(client, GennakerConfig(), queues, kinds=("pipelines",)),
        ]
        tasks = [asyncio.create_task(w.run()) for w in workers]
        gennaker = GennakerClient(client, queues)
        with HttpStub() as stub:
            # Warm both paths (imports, sandbox caches, connections) before measuring.
            await bare_round(client, stub, 5)
            await gennaker_round(gennaker, stub, 5)
            bare_times, gennaker_times = [], []
            last_ids: list[str] = []
            for _ in range(rounds):
                bare_times.append(await bare_round(client, stub, runs))
                elapsed, last_ids = await gennaker_round(gennaker, stub, runs)
                gennaker_times.append(elapsed)
            latencies = await judge_latency(gennaker, stub, 30)
            per_stage = await events_per_stage(client, last_ids[0])
        for worker in workers:
            await worker.shutdown()
        for task in tasks:
            await task
    bare_best, gennaker_best = min(bare_times), min(gennaker_times)
    ratio = gennaker_best / bare_best
    median_ms = statistics.median(latencies) * 1000
    print(f"1. {runs} runs x {STAGES} webhook stages")
    print(f"   bare Temporal: {bare_best:.2f}s  ({', '.join(f'{t:.2f}' for t in bare_times)})")
    print(
        f"   Gennaker:      {gennaker_best:.2f}s  ({', '.join(f'{t:.2f}' for t in gennaker_times)})"
    )
    print(
        f"   ratio Gennaker/bare = {ratio:.2f}  (target <= 1.25: {'PASS' if ratio <= 1.25 else 'MISS'})"
    )
    print(
        f"2. judge update accepted -> next stage starts: median {median_ms:.1f} ms over {len(latencies)}"
        f"  (target < 100 ms: {'PASS' if median_ms < 100 else 'MISS'})"
    )
    print(f"3. history events per stage: {per_stage:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.rounds))
    sys.stdout.flush()
    os._exit(0)  # the temporalio client may abort at interpreter exit
