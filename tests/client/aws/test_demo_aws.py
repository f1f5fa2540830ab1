"""The AWS part of ``make demo``: bake, red/black, a second release and a rollback, on moto."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from temporalio.client import Client

from client.client import GennakerClient
from client.demo_aws import CLUSTER, _cluster_state, run_aws_demo
from models.status import Status
from tests.activities.aws import conftest as moto_fixtures

moto_server = moto_fixtures.moto_server
moto_url = moto_fixtures.moto_url

pytestmark = pytest.mark.integration


async def test_the_demo_releases_twice_then_rolls_back(
    dev_client: Client, moto_url: str, tmp_home: object
) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200)
    views = await run_aws_demo(GennakerClient(dev_client), console=console, moto_url=moto_url)
    printed = out.getvalue()
    assert [v.status for v in views] == [Status.SUCCEEDED] * 3, printed
    assert [v.pipeline for v in views] == ["aws-release", "aws-release", "aws-rollback"]
    assert "LOCAL STAND-IN for AWS" in printed
    assert "no real AWS account is used" in printed
    baked = [v.stages[0].outputs["deploymentDetails"][0]["imageId"] for v in views[:2]]
    assert baked[0] != baked[1]
    state = {row["serverGroup"]: row for row in _cluster_state(moto_url)}
    v000, v001 = f"{CLUSTER}-v000", f"{CLUSTER}-v001"
    assert sorted(state) == [v000, v001]
    assert (state[v000]["imageId"], state[v000]["enabled"]) == (baked[0], True)
    assert (state[v001]["imageId"], state[v001]["enabled"]) == (baked[1], False)
    assert f"{CLUSTER} in moto after the rollback" in printed
