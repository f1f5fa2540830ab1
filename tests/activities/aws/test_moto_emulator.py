"""The moto launcher: free port, readiness, reset, stop by pid."""

from __future__ import annotations

import os
import urllib.request

import boto3
import pytest

from emulators.moto import MotoServer, seed_network
from models.errors import GennakerError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return False
    # A zombie still "exists" until reaped; Popen.wait in stop() reaps it.
    return True


def test_start_reset_stop(aws_credentials: None) -> None:
    server = MotoServer()
    with pytest.raises(GennakerError, match="not running"):
        _ = server.url
    with server:
        pid = server.pid
        assert pid is not None and _alive(pid)
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{server.url}/moto-api/", timeout=5) as response:
            assert response.status == 200

        network = seed_network(server.url, "us-east-1")
        assert len(network.subnet_ids) == 2 and len(set(network.availability_zones)) == 2
        assert seed_network(server.url, "us-east-1") == network  # idempotent

        ec2 = boto3.client("ec2", endpoint_url=server.url, region_name="us-east-1")
        ec2.create_security_group(GroupName="extra", Description="x", VpcId=network.vpc_id)
        server.reset()
        names = {g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]}
        assert "extra" not in names and "gennaker-default" not in names
    assert not _alive(pid)
    server.stop()  # a second stop is harmless


def test_two_servers_get_different_ports(moto_server: MotoServer) -> None:
    with MotoServer() as other:
        assert other.port != moto_server.port
