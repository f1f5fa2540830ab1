"""moto in server mode for the AWS activity tests: one server per session, reset per test."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from temporalio.testing import ActivityEnvironment

from activities.aws import AwsActivities, ElbTargetHealth, GroupMembers, RegionClients
from emulators.moto import MotoNetwork, MotoServer, seed_network
from models.aws import Capacity, CreateServerGroupRequest, Instance
from models.config import GennakerConfig

REGIONS = ("us-east-1", "us-west-2")
ACCOUNT = "test"


@pytest.fixture(scope="session")
def moto_server(aws_credentials: None) -> Iterator[MotoServer]:
    """One moto server for the whole session, on a free port."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def moto_url(moto_server: MotoServer) -> str:
    """The moto endpoint, with every resource from earlier tests gone."""
    moto_server.reset()
    return moto_server.url


class Networks(dict[str, MotoNetwork]):
    """A region's network, seeded the first time a test asks for it (seeding takes 0.1 s)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def __missing__(self, region: str) -> MotoNetwork:
        self[region] = seed_network(self.url, region)
        return self[region]


@pytest.fixture
def network(moto_url: str) -> Networks:
    """A VPC, two subnets and a security group per region, on demand."""
    return Networks(moto_url)


@pytest.fixture
def config(moto_url: str) -> GennakerConfig:
    """One account, ``test``, pointed at moto."""
    return GennakerConfig.parse(
        {
            "aws": {
                "accounts": [{"name": ACCOUNT, "regions": list(REGIONS), "endpointUrl": moto_url}]
            }
        }
    )


class FakeHealth:
    """Target health the tests decide: the real check, then overridden.

    ``unhealthy`` instances (or all, with ``everyone_unhealthy``) report unhealthy,
    and so do all instances of the ``unhealthy_groups``; with ``healthy_only`` set,
    only the instances it names can be healthy (replacements stay unhealthy).
    ``healthy_after`` makes every instance healthy only from that many checks on.
    """

    def __init__(self) -> None:
        self.real = ElbTargetHealth()
        self.unhealthy: set[str] = set()
        self.unhealthy_groups: set[str] = set()
        self.healthy_only: set[str] | None = None
        self.everyone_unhealthy = False
        self.healthy_after = 0
        self.checks = 0

    def _sick(self, group: str, instance_id: str) -> bool:
        only = self.healthy_only
        return (
            self.everyone_unhealthy
            or instance_id in self.unhealthy
            or group in self.unhealthy_groups
            or (only is not None and instance_id not in only)
        )

    def check(self, clients: RegionClients, group: GroupMembers) -> list[Instance]:
        self.checks += 1
        instances = self.real.check(clients, group)
        late = self.checks <= self.healthy_after
        return [
            i.model_copy(
                update={
                    "healthy": i.healthy
                    and not late
                    and not self._sick(group.server_group, i.instance_id)
                }
            )
            for i in instances
        ]


@pytest.fixture
def health() -> FakeHealth:
    return FakeHealth()


@pytest.fixture
def activities(config: GennakerConfig, health: FakeHealth) -> AwsActivities:
    return AwsActivities(
        config, health, poll_interval=0.02, packer_path=shutil.which("packer") or "/usr/bin/packer"
    )


@dataclass
class RecordingEnvironment:
    """An ActivityEnvironment that keeps the heartbeats."""

    env: ActivityEnvironment = field(default_factory=ActivityEnvironment)
    heartbeats: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env.on_heartbeat = lambda *details: self.heartbeats.append(
            details[0] if details else None
        )

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.env.run(fn, *args)


@pytest.fixture
def env() -> RecordingEnvironment:
    return RecordingEnvironment()


class Aws:
    """Direct boto3 access to moto, to check what the activities did."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._session = boto3.Session()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str = REGIONS[0]) -> Any:
        key = (service, region)
        if key not in self._clients:
            make: Any = self._session.client  # typed per service name; any one here
            self._clients[key] = make(service, endpoint_url=self.url, region_name=region)
        return self._clients[key]

    def group_names(self, region: str = REGIONS[0]) -> list[str]:
        groups = self.client("autoscaling", region).describe_auto_scaling_groups()
        return sorted(g["AutoScalingGroupName"] for g in groups["AutoScalingGroups"])

    def group(self, name: str, region: str = REGIONS[0]) -> dict[str, Any]:
        found = self.client("autoscaling", region).describe_auto_scaling_groups(
            AutoScalingGroupNames=[name]
        )["AutoScalingGroups"]
        assert found, f"no group {name}"
        return dict(found[0])

    def template_names(self, region: str = REGIONS[0]) -> list[str]:
        templates = self.client("ec2", region).describe_launch_templates()["LaunchTemplates"]
        return sorted(t["LaunchTemplateName"] for t in templates)

    def target_group(self, name: str, vpc_id: str, region: str = REGIONS[0]) -> str:
        created = self.client("elbv2", region).create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId=vpc_id, TargetType="instance"
        )
        return str(created["TargetGroups"][0]["TargetGroupArn"])

    def registered(self, arn: str, region: str = REGIONS[0]) -> set[str]:
        health = self.client("elbv2", region).describe_target_health(TargetGroupArn=arn)
        return {d["Target"]["Id"] for d in health["TargetHealthDescriptions"]}

    def image(
        self, name_pattern: str = "ubuntu/images/hvm-ssd/ubuntu-xenial-*", region: str = REGIONS[0]
    ) -> str:
        images = self.client("ec2", region).describe_images(
            Filters=[{"Name": "name", "Values": [name_pattern]}]
        )["Images"]
        assert images, f"moto has no image matching {name_pattern}"
        return str(sorted(i["ImageId"] for i in images)[0])

    def own_images(self, region: str = REGIONS[0]) -> list[dict[str, Any]]:
        return list(self.client("ec2", region).describe_images(Owners=["self"])["Images"])


@pytest.fixture(scope="session")
def _aws_session(moto_server: MotoServer) -> Aws:
    return Aws(moto_server.url)


@pytest.fixture
def aws(moto_url: str, _aws_session: Aws) -> Aws:
    """Direct boto3 access to the (freshly reset) moto server."""
    return _aws_session


@pytest.fixture
def make_request(
    network: dict[str, MotoNetwork], aws: Aws
) -> Callable[..., CreateServerGroupRequest]:
    """A valid create request in us-east-1; keyword arguments override fields."""
    image = aws.image()

    def make(**overrides: Any) -> CreateServerGroupRequest:
        region = overrides.get("region", REGIONS[0])
        fields: dict[str, Any] = {
            "account": ACCOUNT,
            "region": region,
            "application": "app",
            "stack": "prod",
            "image_id": image,
            "instance_type": "t3.micro",
            "capacity": Capacity.of(1, 2, 3),
            "subnet_ids": list(network[region].subnet_ids),
            "security_groups": [network[region].security_group_id],
            "execution_id": f"exec-{uuid.uuid4().hex[:8]}",
            "stage_ref_id": "1",
            "tags": {"team": "sail"},
        }
        fields.update(overrides)
        return CreateServerGroupRequest(**fields)

    return make
