"""Bake AMIs with Packer, reusing an earlier bake of the same inputs (Rosco for AWS).

The bake key is a stable hash of everything that shapes the image (package,
resolved base AMI, labels, instance type, regions, name parts, extra variables).
Every AMI is tagged with it; a bake whose key already has an image in every
region reuses them unless ``rebake`` is set. A rebake that ran before in the
same stage (a retried activity) is found by its idempotency tag instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from activities.aws.clients import RegionClients
from activities.aws.images import TAG_PACKAGE, describe_image, detail, newest
from activities.aws.packer import PackerBuild, run_packer
from models.aws import BakeRequest, BakeResult
from models.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import FilterTypeDef, ImageTypeDef

__all__ = [
    "DEFAULT_BASE_IMAGES",
    "TAG_BAKE_KEY",
    "BaseImage",
    "bake",
    "bake_key",
    "resolve_base_image",
]

TAG_BAKE_KEY = "gennaker:bake-key"
TAG_BASE_AMI = "gennaker:base-ami"
TAG_BASE_OS = "gennaker:base-os"
TAG_BASE_LABEL = "gennaker:base-label"
TAG_BAKE_RUN = "gennaker:bake-run"


@dataclass(frozen=True)
class BaseImage:
    """How to find a base image for ``baseOs``: the newest image matching a name pattern.

    Attributes:
        name: An ``describe_images`` name filter (``*`` wildcards).
        owners: Owner account ids or aliases; empty means any.
    """

    name: str
    owners: tuple[str, ...] = ()


DEFAULT_BASE_IMAGES: Mapping[str, BaseImage] = {
    "ubuntu": BaseImage("ubuntu/images/hvm-ssd*/ubuntu-*-amd64-server-*", ("099720109477",)),
    "debian": BaseImage("debian-12-amd64-*", ("136693071363",)),
    "amazonlinux": BaseImage("al2023-ami-2023.*-x86_64", ("137112412989",)),
}
"""``baseOs`` → base image; ``"os:label"`` keys pick a different image per ``baseLabel``."""


def resolve_base_image(
    clients: RegionClients, request: BakeRequest, catalogue: Mapping[str, BaseImage]
) -> str:
    """The source AMI: ``baseAmi`` if given (checked to exist), else the catalogue's newest.

    Raises:
        NotFoundError: The base AMI does not exist, or nothing matches ``baseOs``.
        ValidationError: ``baseOs`` is not in the catalogue.
    """
    if request.base_ami:
        images = clients.ec2.describe_images(
            Filters=[{"Name": "image-id", "Values": [request.base_ami]}]
        )["Images"]
        if not images:
            raise NotFoundError(f"base image {request.base_ami!r} not found")
        return request.base_ami
    assert request.base_os is not None
    base = catalogue.get(f"{request.base_os}:{request.base_label}") or catalogue.get(
        request.base_os
    )
    if base is None:
        known = ", ".join(sorted(catalogue)) or "none configured"
        raise ValidationError(f"unknown baseOs {request.base_os!r} (known: {known})")
    kwargs: dict[str, Any] = {"Filters": [{"Name": "name", "Values": [base.name]}]}
    if base.owners:
        kwargs["Owners"] = list(base.owners)
    chosen = newest(
        [
            i
            for i in clients.ec2.describe_images(**kwargs)["Images"]
            if i.get("State") == "available"
        ]
    )
    if chosen is None:
        raise NotFoundError(f"no base image for baseOs {request.base_os!r} matches {base.name!r}")
    return chosen["ImageId"]


def bake_key(request: BakeRequest, base_ami: str) -> str:
    """A stable hash of the inputs that shape the image."""
    inputs = {
        "package": request.package,
        "baseAmi": base_ami,
        "baseOs": request.base_os,
        "baseLabel": request.base_label,
        "vmType": request.vm_type,
        "storeType": request.store_type,
        "instanceType": request.instance_type,
        "regions": sorted(request.regions),
        "amiName": request.ami_name,
        "amiSuffix": request.ami_suffix,
        "extendedAttributes": dict(sorted(request.extended_attributes.items())),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _run_tag(request: BakeRequest) -> str:
    return f"{request.execution_id}/{request.stage_ref_id}"


def _baked(
    clients: Mapping[str, RegionClients], key: str, run: str | None
) -> dict[str, ImageTypeDef] | None:
    """The images with ``key`` (and ``run``, if given) in every region, or None."""
    found = {}
    for region, region_clients in clients.items():
        filters: list[FilterTypeDef] = [{"Name": f"tag:{TAG_BAKE_KEY}", "Values": [key]}]
        if run is not None:
            filters.append({"Name": f"tag:{TAG_BAKE_RUN}", "Values": [run]})
        images = region_clients.ec2.describe_images(Owners=["self"], Filters=filters)["Images"]
        chosen = newest([i for i in images if i.get("State", "available") == "available"])
        if chosen is None:
            return None
        found[region] = chosen
    return found


def _ami_name(request: BakeRequest) -> str:
    suffix = request.ami_suffix or datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:-3]
    if request.ami_name:
        return f"{request.ami_name}-{suffix}"
    base = request.base_os or "custom"
    return f"{request.package}-all-{suffix}-{base}-{request.store_type}"


def _name_taken(clients: Mapping[str, RegionClients], name: str) -> bool:
    return any(
        c.ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": [name]}])[
            "Images"
        ]
        for c in clients.values()
    )


def bake(
    clients: Mapping[str, RegionClients],
    request: BakeRequest,
    *,
    packer: str,
    catalogue: Mapping[str, BaseImage],
    on_progress: Callable[[str], None],
    interrupted: Callable[[], None],
    poll_interval: float = 1.0,
) -> BakeResult:
    """Bake (or reuse) the AMI of ``request`` in every one of its regions.

    Args:
        clients: The account's clients for each of ``request.regions``, in order.
        request: The bake.
        packer: The Packer executable.
        catalogue: ``baseOs`` → base image.
        on_progress: Receives Packer's progress messages.
        interrupted: Raises when the bake must stop (cancel, shutdown).
        poll_interval: Seconds between progress checks while Packer runs.

    Raises:
        NotFoundError: The base image cannot be found.
        ValidationError: An unknown ``baseOs`` or an AMI name already in use.
        ProviderError: Packer failed.
    """
    first = request.regions[0]
    base_ami = resolve_base_image(clients[first], request, catalogue)
    key = bake_key(request, base_ami)
    run = _run_tag(request)
    existing = _baked(clients, key, run if request.rebake else None)
    if existing is None:
        name = _ami_name(request)
        if _name_taken(clients, name):
            raise ValidationError(f"an AMI called {name!r} exists already: change amiSuffix")
        tags = {
            TAG_PACKAGE: request.package,
            "appversion": request.package,  # Rosco's tag, which Spinnaker's UI reads
            TAG_BASE_AMI: base_ami,
            TAG_BASE_OS: request.base_os or "",
            TAG_BASE_LABEL: request.base_label,
            TAG_BAKE_KEY: key,
            TAG_BAKE_RUN: run,
        }
        build = PackerBuild(
            region=first,
            copy_regions=tuple(request.regions[1:]),
            source_ami=base_ami,
            instance_type=request.instance_type,
            ami_name=name,
            package=request.package,
            tags=tags,
            variables=request.extended_attributes,
            endpoint_url=clients[first].endpoint_url,
        )
        amis = run_packer(
            packer,
            build,
            clients[first].credential_environment(),
            on_progress=on_progress,
            interrupted=interrupted,
            poll_interval=poll_interval,
        )
        existing = {region: describe_image(clients[region], ami) for region, ami in amis.items()}
        reused = False
    else:
        reused = True
    return BakeResult(
        deployment_details=[detail(existing[r], r) for r in request.regions],
        bake_key=key,
        reused=reused,
    )
