"""``make demo``'s AWS part: bake → red/black deploy → second release → rollback, on MOTO.

:func:`run_aws_demo` uses a moto server (a LOCAL STAND-IN for AWS: its EC2, Auto
Scaling and ELBv2 APIs are emulated in one process; no real AWS account is
touched), seeds a VPC, subnets, a security group and a target group in it, runs
its own pipeline and AWS workers on fresh task queues, saves two pipelines and
runs them:

1. ``aws-release`` with version 1.0.0: ``bake`` (Packer really runs, against
   moto) then ``deploy`` with ``redblack``: server group ``webshop-prod-v000``;
2. ``aws-release`` with version 1.1.0: a new image and ``webshop-prod-v001``,
   which takes the traffic while v000 is disabled;
3. ``aws-rollback``: ``rollbackCluster`` gives the traffic back to v000.

Run it alone with ``python -m client.demo_aws``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import boto3
from rich.console import Console
from rich.table import Table

from client.client import GennakerClient
from emulators.moto import MotoServer, seed_network
from models.config import GennakerConfig
from models.execution import ExecutionView, StageView
from models.loading import parse_pipeline
from models.pipeline import Pipeline
from models.run import TaskQueues
from workers.build import WorkerOptions, build_workers

__all__ = ["APPLICATION", "DEMO_ACCOUNT", "DEMO_REGION", "demo_pipelines", "run_aws_demo"]

APPLICATION = "webshop"
DEMO_ACCOUNT = "demo-aws"
DEMO_REGION = "us-east-1"
CLUSTER = f"{APPLICATION}-prod"
TARGET_GROUP = "webshop-web"
BASE_IMAGE_NAME = "ubuntu/images/hvm-ssd/ubuntu-xenial-*"
VERSIONS = ("1.0.0", "1.1.0")


def demo_pipelines(base_ami: str, network: Any) -> list[Pipeline]:
    """``aws-release`` (bake, then a red/black deploy) and ``aws-rollback`` (rollbackCluster)."""
    release = {
        "application": APPLICATION,
        "name": "aws-release",
        "parameterConfig": [{"name": "version", "required": True}],
        "stages": [
            {
                "refId": "bake",
                "name": "Bake",
                "type": "bake",
                "account": DEMO_ACCOUNT,
                "package": "webshop-${parameters.version}",
                "baseAmi": base_ami,
                "baseLabel": "release",
                "regions": [DEMO_REGION],
                "amiSuffix": "${parameters.version}",
            },
            {
                "refId": "deploy",
                "name": "Deploy (red/black)",
                "type": "deploy",
                "requisiteStageRefIds": ["bake"],
                "clusters": [
                    {
                        "account": DEMO_ACCOUNT,
                        "application": APPLICATION,
                        "stack": "prod",
                        "availabilityZones": {DEMO_REGION: list(network.availability_zones)},
                        "subnetIds": list(network.subnet_ids),
                        "securityGroups": [network.security_group_id],
                        "targetGroups": [TARGET_GROUP],
                        "capacity": {"min": 2, "desired": 2, "max": 4},
                        "instanceType": "t3.micro",
                        "strategy": "redblack",
                        "rollback": {"onFailure": True},
                        "tags": {"version": "${parameters.version}"},
                    }
                ],
            },
        ],
    }
    rollback = {
        "application": APPLICATION,
        "name": "aws-rollback",
        "stages": [
            {
                "refId": "rollback",
                "name": "Roll back the cluster",
                "type": "rollbackCluster",
                "credentials": DEMO_ACCOUNT,
                "regions": [DEMO_REGION],
                "cluster": CLUSTER,
            }
        ],
    }
    return [parse_pipeline(release, "aws-release"), parse_pipeline(rollback, "aws-rollback")]


def _use_moto_credentials() -> None:
    # moto takes any keys; boto3 and Packer just need some. Real ones are never needed.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")


def _prepare(moto_url: str) -> tuple[str, Any]:
    """Seed the network and the target group; return the base image and the network."""
    network = seed_network(moto_url, DEMO_REGION)
    session = boto3.Session()
    ec2 = session.client("ec2", endpoint_url=moto_url, region_name=DEMO_REGION)
    elbv2 = session.client("elbv2", endpoint_url=moto_url, region_name=DEMO_REGION)
    images = ec2.describe_images(Filters=[{"Name": "name", "Values": [BASE_IMAGE_NAME]}])
    base = sorted(i["ImageId"] for i in images["Images"])[0]
    existing = elbv2.describe_target_groups()["TargetGroups"]
    if not any(t["TargetGroupName"] == TARGET_GROUP for t in existing):
        elbv2.create_target_group(
            Name=TARGET_GROUP, Protocol="HTTP", Port=80, VpcId=network.vpc_id, TargetType="instance"
        )
    return base, network


def _cluster_state(moto_url: str) -> list[dict[str, Any]]:
    """The cluster's server groups as moto holds them."""
    session = boto3.Session()
    autoscaling = session.client("autoscaling", endpoint_url=moto_url, region_name=DEMO_REGION)
    ec2 = session.client("ec2", endpoint_url=moto_url, region_name=DEMO_REGION)
    rows = []
    for group in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]:
        name = group["AutoScalingGroupName"]
        if not name.startswith(f"{CLUSTER}-v"):
            continue
        tags = {t["Key"]: t.get("Value", "") for t in group.get("Tags", [])}
        spec = group["LaunchTemplate"]
        data = ec2.describe_launch_template_versions(
            LaunchTemplateId=spec["LaunchTemplateId"], Versions=[spec["Version"]]
        )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        suspended = {p["ProcessName"] for p in group.get("SuspendedProcesses", [])}
        rows.append(
            {
                "serverGroup": name,
                "version": tags.get("version", ""),
                "imageId": data.get("ImageId"),
                "enabled": "AddToLoadBalancer" not in suspended,
                "capacity": (group["MinSize"], group["DesiredCapacity"], group["MaxSize"]),
            }
        )
    return sorted(rows, key=lambda r: r["serverGroup"])


def _show_state(console: Console, moto_url: str, title: str) -> list[dict[str, Any]]:
    rows = _cluster_state(moto_url)
    table = Table(title=title, title_justify="left")
    for column in ("server group", "version", "image", "traffic", "min/desired/max"):
        table.add_column(column)
    for row in rows:
        traffic = "[green]enabled[/]" if row["enabled"] else "[dim]disabled[/]"
        table.add_row(
            row["serverGroup"],
            row["version"],
            str(row["imageId"]),
            traffic,
            "/".join(map(str, row["capacity"])),
        )
    console.print(table)
    return rows


async def run_aws_demo(
    gennaker: GennakerClient,
    *,
    console: Console | None = None,
    follow: Callable[[str], Awaitable[ExecutionView]] | None = None,
    moto: MotoServer | None = None,
    moto_url: str | None = None,
    **_: Any,
) -> list[ExecutionView]:
    """Bake, deploy with red/black, release again, roll back: all on moto.

    Args:
        gennaker: A client of the demo's Temporal server. The demo runs its own
            pipeline and AWS workers on fresh task queues there, configured with one
            account (``demo-aws``) that points at moto.
        console: Where progress goes (a new rich console by default).
        follow: Shows a run while it goes and returns its final view
            (``wait`` by default).
        moto: The moto server to use; or give ``moto_url``; else one is started.
        moto_url: The endpoint of a running moto server.

    Returns:
        The execution views of the three runs, in order.
    """
    console = console or Console()
    _use_moto_credentials()
    with contextlib.ExitStack() as stack:
        if moto_url is None:
            moto = moto or stack.enter_context(MotoServer())
            moto_url = moto.url
        console.print(
            f"  AWS stand-in: [bold]moto[/] at {moto_url}, a LOCAL STAND-IN for AWS "
            "(EC2, Auto Scaling and ELBv2 emulated in one process; no real AWS account is "
            "used). Packer really runs, against moto."
        )
        base, network = await asyncio.to_thread(_prepare, moto_url)
        config = GennakerConfig.model_validate(
            {
                "aws": {
                    "accounts": [
                        {"name": DEMO_ACCOUNT, "regions": [DEMO_REGION], "endpointUrl": moto_url}
                    ]
                }
            }
        )
        queues = TaskQueues.with_suffix(f"awsdemo{uuid.uuid4().hex[:6]}")
        options = WorkerOptions(overrides={"aws": {"poll_interval": 0.5}})
        workers = build_workers(gennaker.temporal, config, queues, ("pipelines", "aws"), options)
        tasks = [asyncio.create_task(worker.run()) for worker in workers]
        views: list[ExecutionView] = []
        try:
            ours = GennakerClient(gennaker.temporal, queues)
            for pipeline in demo_pipelines(base, network):
                await ours.registry.apply(pipeline, user="demo")
            wait = follow or ours.wait
            runs: list[tuple[str, dict[str, Any], str, str]] = [
                ("aws-release", {"version": v}, f"release {v}", "bake, then red/black deploy")
                for v in VERSIONS
            ]
            runs.append(("aws-rollback", {}, "rollback", "back to the previous server group"))
            for name, parameters, label, what in runs:
                execution_id = await ours.run((APPLICATION, name), parameters, user="demo")
                console.print(f"  {label}: started [bold]{execution_id}[/] ({what})")
                view = await wait(execution_id)
                views.append(view)
                for stage in view.stages:
                    console.print(f"    {stage.name}: {stage.status} {_detail(stage)}")
                title = f"{CLUSTER} in moto after the {label}"
                await asyncio.to_thread(_show_state, console, moto_url, title)
                if view.status != "SUCCEEDED":
                    break
        finally:
            for worker in workers:
                await worker.shutdown()
            for task in tasks:
                with contextlib.suppress(Exception):
                    await task
    return views


def _detail(stage: StageView) -> str:
    if stage.error:
        return stage.error
    outputs = stage.outputs
    if "deploymentDetails" in outputs:
        baked = ", ".join(f"{d['region']}: {d['imageId']}" for d in outputs["deploymentDetails"])
        return f"({baked}{', reused' if outputs.get('reused') else ''})"
    if "deploy.server.groups" in outputs:
        groups = outputs["deploy.server.groups"]
        return "(" + ", ".join(f"{r}: {', '.join(n)}" for r, n in groups.items()) + ")"
    if "rollbacks" in outputs:
        return (
            "("
            + ", ".join(
                f"{r}: {d['rollbackServerGroupName']} → "
                f"{d.get('restoreServerGroupName') or d.get('deployedServerGroup')}"
                for r, d in outputs["rollbacks"].items()
            )
            + ")"
        )
    return ""


async def _main() -> None:
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    from emulators.temporal import DevServer, free_port

    with DevServer(port=free_port(), ui_port=None) as server:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        views = await run_aws_demo(GennakerClient(client))
        print("demo", ", ".join(str(v.status) for v in views))


if __name__ == "__main__":
    asyncio.run(_main())
    os._exit(0)
