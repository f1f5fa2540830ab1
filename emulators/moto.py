"""moto in server mode: the local AWS stand-in for the demo and the tests.

:class:`MotoServer` starts ``moto_server`` (PyPI ``moto[server]``) on a free
port of 127.0.0.1, waits until it answers, resets its state on demand and stops
exactly the process it started. :func:`seed_network` makes sure a region has a
VPC, subnets and a security group to launch into.

moto's quirks (see the project's notes): instances are healthy at once and stay
so, suspended processes are ignored, replacements are not registered in target
groups. Never test health-gated logic against moto's own health.
"""

from __future__ import annotations

import functools
import shutil
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3

from emulators.process import HttpService
from models.errors import GennakerError

__all__ = ["MotoNetwork", "MotoServer", "seed_network"]

# moto accepts any credentials; these only keep boto3 from looking for real ones.
_DUMMY_KEY = "testing"
_SECURITY_GROUP = "gennaker-default"


@functools.cache
def _session() -> boto3.Session:
    # One session: it caches service models, which makes each client ten times cheaper.
    return boto3.Session()


def _moto_server() -> str:
    beside_python = Path(sys.executable).parent / "moto_server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("moto_server")
    if found:
        return found
    raise GennakerError("cannot find 'moto_server': install the PyPI package moto[server]")


class MotoServer(HttpService):
    """A ``moto_server`` process on a free port; a context manager.

    Args:
        host: The address to listen on.
        startup_timeout: Seconds to wait for the server to answer.
        log_path: Where the server's output goes (discarded when None).
    """

    name = "moto"
    ready_path = "/moto-api/"

    def _command(self, port: int) -> list[str]:
        return [_moto_server(), "-H", self.host, "-p", str(port)]

    def reset(self) -> None:
        """Forget every resource (``POST /moto-api/reset``)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


@dataclass(frozen=True)
class MotoNetwork:
    """A region's network to launch into."""

    region: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]
    security_group_id: str


def seed_network(url: str, region: str, *, subnets: int = 2) -> MotoNetwork:
    """A VPC (the default one), ``subnets`` subnets in distinct zones and a security group.

    Creates what is missing and is safe to call again.

    Args:
        url: The moto endpoint.
        region: The region to seed.
        subnets: How many subnets (in distinct availability zones) to return.
    """
    ec2 = _session().client(
        "ec2",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=_DUMMY_KEY,
        aws_secret_access_key=_DUMMY_KEY,
    )
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    vpc_id = vpcs[0]["VpcId"] if vpcs else ec2.create_default_vpc()["Vpc"]["VpcId"]
    found = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    by_zone: dict[str, str] = {}
    for subnet in sorted(found, key=lambda s: s.get("AvailabilityZone", "")):
        by_zone.setdefault(subnet.get("AvailabilityZone", ""), subnet["SubnetId"])
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    for index, zone in enumerate(zones):
        if len(by_zone) >= subnets:
            break
        if zone not in by_zone:
            cidr = f"172.31.{200 + index}.0/24"
            created = ec2.create_subnet(VpcId=vpc_id, AvailabilityZone=zone, CidrBlock=cidr)
            by_zone[zone] = created["Subnet"]["SubnetId"]
    chosen = sorted(by_zone.items())[:subnets]
    groups = ec2.describe_security_groups(
        Filters=[
            {"Name": "group-name", "Values": [_SECURITY_GROUP]},
            {"Name": "vpc-id", "Values": [vpc_id]},
        ]
    )["SecurityGroups"]
    if groups:
        group_id = groups[0]["GroupId"]
    else:
        group_id = ec2.create_security_group(
            GroupName=_SECURITY_GROUP, Description="Gennaker test instances", VpcId=vpc_id
        )["GroupId"]
    return MotoNetwork(
        region=region,
        vpc_id=vpc_id,
        subnet_ids=tuple(subnet for _, subnet in chosen),
        availability_zones=tuple(zone for zone, _ in chosen),
        security_group_id=group_id,
    )
