"""Regions deploy in parallel: one cluster to three regions against the same cluster to one.

Prints, measured in one run, the ratio of the median wall time of a ``deploy``
of one cluster to three regions over the median wall time of the same deploy to
one region (target: at most 1.3; 3.0 would mean the regions ran one after the
other). Every deploy is a red/black of a new server group of two instances, on
moto (a local stand-in for AWS), through the real pipelines and AWS workers.

Run: ``.venv/bin/python bench/aws.py [--rounds 7]``. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from client.client import GennakerClient
from emulators.moto import MotoServer, seed_network
from emulators.temporal import temporal_cli
from models.config import GennakerConfig
from models.loading import parse_pipeline
from models.run import TaskQueues
from models.search import SEARCH
from workers.build import WorkerOptions, build_workers

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
IMAGE = "ami-bb9a6bc2"  # a moto built-in image with this id in all three regions
TARGET = 1.3


def _pipeline(application: str, regions: tuple[str, ...], zones: dict[str, list[str]]) -> object:
    cluster = {
        "account": "bench",
        "application": application,
        "stack": "bench",
        "availabilityZones": {r: zones[r] for r in regions},
        "securityGroups": ["gennaker-default"],
        "capacity": {"min": 2, "desired": 2, "max": 2},
        "instanceType": "t3.micro",
        "imageId": IMAGE,
        "strategy": "redblack",
        # Old groups go, so every round deploys into a cluster of the same size.
        "maxRemainingAsgs": 2,
    }
    stage = {"refId": "deploy", "type": "deploy", "clusters": [cluster]}
    return parse_pipeline({"application": application, "name": "deploy", "stages": [stage]})


async def _deploy(gennaker: GennakerClient, pipeline: object) -> float:
    started = time.perf_counter()
    execution_id = await gennaker.run(pipeline)  # type: ignore[arg-type]
    view = await gennaker.wait(execution_id)
    elapsed = time.perf_counter() - started
    if view.status != "SUCCEEDED":
        errors = "; ".join(s.error or "" for s in view.stages)
        raise SystemExit(f"deploy {execution_id} ended {view.status}: {errors}")
    return elapsed


async def main(rounds: int) -> None:
    # moto takes any credentials; these keep boto3 and Packer from looking for real ones.
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    with MotoServer() as moto:
        zones = {r: list(seed_network(moto.url, r).availability_zones) for r in REGIONS}
        config = GennakerConfig.parse(
            {
                "aws": {
                    "accounts": [
                        {"name": "bench", "regions": list(REGIONS), "endpointUrl": moto.url}
                    ]
                }
            }
        )
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli(), search_attributes=SEARCH.all(), ui=False
        )
        async with env:
            settings = env.client.config()
            settings["data_converter"] = pydantic_data_converter
            client = Client(**settings)
            queues = TaskQueues.with_suffix("bench-aws")
            options = WorkerOptions(overrides={"aws": {"poll_interval": 0.2}})
            workers = build_workers(client, config, queues, ("pipelines", "aws"), options)
            tasks = [asyncio.create_task(w.run()) for w in workers]
            gennaker = GennakerClient(client, queues)
            one = _pipeline("benchone", REGIONS[:1], zones)
            three = _pipeline("benchthree", REGIONS, zones)
            # Warm up: imports, sandbox, boto3 clients, moto's first call per region.
            await _deploy(gennaker, one)
            await _deploy(gennaker, three)
            one_times, three_times = [], []
            for _ in range(rounds):
                one_times.append(await _deploy(gennaker, one))
                three_times.append(await _deploy(gennaker, three))
            for worker in workers:
                await worker.shutdown()
            for task in tasks:
                await task
    ratio = statistics.median(three_times) / statistics.median(one_times)
    print(f"deploy of one cluster (red/black, 2 instances), {rounds} rounds, moto as AWS")
    print(f"  1 region:  median {statistics.median(one_times):.3f}s  "
          f"({', '.join(f'{t:.2f}' for t in one_times)})")  # fmt: skip
    print(f"  3 regions: median {statistics.median(three_times):.3f}s  "
          f"({', '.join(f'{t:.2f}' for t in three_times)})")  # fmt: skip
    verdict = "ok" if ratio <= TARGET else "ABOVE TARGET"
    print(f"ratio 3 regions / 1 region: {ratio:.2f} (target <= {TARGET}: {verdict})")
    sys.stdout.flush()
    # The temporalio client may abort at interpreter exit; the work is done.
    os._exit(0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    asyncio.run(main(parser.parse_args().rounds))
