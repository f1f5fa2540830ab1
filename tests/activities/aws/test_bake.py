"""Baking with the real Packer (amazon-ebs, communicator none) against moto."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError, CancelledError

from activities.aws import AwsActivities
from activities.aws.bake import bake_key
from activities.aws.packer import PackerBuild, parse_artifacts, parse_manifest, render_template
from models.aws import BakeRequest
from tests.activities.aws.conftest import ACCOUNT, Aws, RecordingEnvironment

REGIONS = ["us-east-1", "us-west-2"]


def request(aws: Aws, **fields: Any) -> BakeRequest:
    values: dict[str, Any] = {
        "account": ACCOUNT,
        "regions": REGIONS,
        "package": "shop",
        "base_ami": aws.image(),
        "execution_id": "exec-1",
        "stage_ref_id": "bake",
    }
    values.update(fields)
    return BakeRequest(**values)


def own_image_ids(aws: Aws) -> set[str]:
    return {i["ImageId"] for region in REGIONS for i in aws.own_images(region)}


def test_bake_builds_copies_and_tags(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    bake = request(aws, extended_attributes={"build_number": "42"})
    result = env.run(activities.bake, bake)

    assert not result.reused
    assert [d.region for d in result.deployment_details] == REGIONS
    for detail in result.deployment_details:
        assert detail.ami == detail.image_id and detail.image_id.startswith("ami-")
        assert detail.package == "shop"
        assert detail.image_name.startswith("shop-all-") and detail.image_name.endswith("-ebs")
        [image] = [i for i in aws.own_images(detail.region) if i["ImageId"] == detail.image_id]
        tags = {t["Key"]: t["Value"] for t in image["Tags"]}
        assert tags["gennaker:package"] == "shop"
        assert tags["gennaker:base-ami"] == bake.base_ami
        assert tags["gennaker:bake-key"] == result.bake_key
    assert len({d.image_id for d in result.deployment_details}) == 2
    # Packer reported progress while it ran.
    assert any(isinstance(h, dict) and h.get("bake") == "shop" for h in env.heartbeats)


def test_same_inputs_reuse_the_image_and_rebake_makes_a_new_one(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    first = env.run(activities.bake, request(aws))
    images = own_image_ids(aws)

    again = env.run(activities.bake, request(aws, execution_id="exec-2"))
    assert again.reused and again.deployment_details == first.deployment_details
    assert own_image_ids(aws) == images

    rebake = request(aws, execution_id="exec-3", rebake=True)
    rebaked = env.run(activities.bake, rebake)
    assert not rebaked.reused and rebaked.bake_key == first.bake_key
    new_ids = {d.image_id for d in rebaked.deployment_details}
    assert new_ids.isdisjoint(images) and len(own_image_ids(aws)) == 4

    # A retried rebake of the same stage finds what its first try made.
    retried = env.run(activities.bake, rebake)
    assert retried.reused and {d.image_id for d in retried.deployment_details} == new_ids
    assert len(own_image_ids(aws)) == 4


def test_base_os_picks_the_newest_catalogue_image(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    result = env.run(
        activities.bake, request(aws, base_ami=None, base_os="ubuntu", regions=["us-east-1"])
    )
    [detail] = result.deployment_details
    [image] = [i for i in aws.own_images() if i["ImageId"] == detail.image_id]
    base = {t["Key"]: t["Value"] for t in image["Tags"]}["gennaker:base-ami"]
    # moto's newest Ubuntu server image is xenial.
    assert base == aws.image("ubuntu/images/hvm-ssd/ubuntu-xenial-*")
    assert detail.image_name.endswith("-ubuntu-ebs")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"base_ami": None, "base_os": "plan9"}, "unknown baseOs 'plan9'"),
        ({"base_ami": "ami-00000000"}, "base image 'ami-00000000' not found"),
        ({"regions": ["us-east-1", "eu-west-3"]}, "region 'eu-west-3' is not configured"),
    ],
)
def test_bad_bakes_fail_without_images(
    activities: AwsActivities,
    env: RecordingEnvironment,
    aws: Aws,
    fields: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(ApplicationError, match=message) as caught:
        env.run(activities.bake, request(aws, **fields))
    assert caught.value.non_retryable
    assert own_image_ids(aws) == set()


def test_an_ami_name_in_use_is_refused(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    named = {"ami_name": "shop-release", "ami_suffix": "1", "regions": ["us-east-1"]}
    env.run(activities.bake, request(aws, **named))
    with pytest.raises(ApplicationError, match="'shop-release-1' exists already") as caught:
        env.run(activities.bake, request(aws, rebake=True, execution_id="exec-9", **named))
    assert caught.value.non_retryable


def test_cancel_stops_packer(
    activities: AwsActivities, env: RecordingEnvironment, aws: Aws
) -> None:
    def cancel(details: object) -> None:
        env.heartbeats.append(details)
        env.env.cancel()

    env.env.on_heartbeat = cancel
    started = time.monotonic()
    with pytest.raises(CancelledError, match="baking 'shop'"):
        env.run(activities.bake, request(aws))
    assert time.monotonic() - started < 30
    assert len(env.heartbeats) == 1


def test_bake_key_is_stable_and_covers_the_inputs(aws: Aws) -> None:
    base = request(aws)
    assert bake_key(base, "ami-1") == bake_key(request(aws, regions=REGIONS[::-1]), "ami-1")
    assert bake_key(base, "ami-1") == bake_key(request(aws, execution_id="other"), "ami-1")
    assert bake_key(base, "ami-1") != bake_key(base, "ami-2")
    assert bake_key(base, "ami-1") != bake_key(request(aws, package="cart"), "ami-1")
    changed = request(aws, extended_attributes={"flavour": "mint"})
    assert bake_key(base, "ami-1") != bake_key(changed, "ami-1")


def test_packer_output_parsing(tmp_path: Path) -> None:
    output = "\n".join(
        [
            "1,,ui,say,==> amazon-ebs: Creating AMI",
            "2,amazon-ebs,artifact-count,1",
            "3,amazon-ebs,artifact,0,builder-id,mitchellh.amazonebs",
            "4,amazon-ebs,artifact,0,id,us-east-1:ami-111%!(PACKER_COMMA)us-west-2:ami-222",
            "5,amazon-ebs,artifact,0,end",
        ]
    )
    assert parse_artifacts(output) == {"us-east-1": "ami-111", "us-west-2": "ami-222"}
    assert parse_artifacts("no artifacts here") == {}
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"builds": [{"artifact_id": "us-east-1:ami-333"}]}))
    assert parse_manifest(manifest) == {"us-east-1": "ami-333"}
    assert parse_manifest(tmp_path / "missing.json") == {}


def test_template_uses_communicator_none_and_keeps_credentials_out() -> None:
    build = PackerBuild(
        region="us-east-1",
        copy_regions=("us-west-2",),
        source_ami="ami-1",
        instance_type="t3.micro",
        ami_name="shop-1",
        package="shop",
        tags={"a": "b"},
        variables={"build_number": "7"},
        endpoint_url="http://127.0.0.1:5000",
    )
    template = render_template(build, "/tmp/manifest.json")
    [builder] = template["builders"]
    assert builder["communicator"] == "none"
    assert builder["ami_regions"] == ["us-west-2"]
    assert builder["custom_endpoint_ec2"] == "http://127.0.0.1:5000"
    assert template["variables"] == {"build_number": "7", "package": "shop"}
    assert "build_number={{user `build_number`}}" in template["provisioners"][0]["environment_vars"]
    text = json.dumps(template)
    assert "access_key" not in text and "secret" not in text
    real_aws = render_template(PackerBuild("us-east-1", (), "ami-1", "t3.micro", "n", "p"), "m")
    assert "custom_endpoint_ec2" not in real_aws["builders"][0]
