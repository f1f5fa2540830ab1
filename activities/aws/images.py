"""Find images: the one a cluster runs (``findImage``) or the newest by tags.

``findImageFromTags`` matches a package name and tags among this account's images.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from activities.aws.clients import RegionClients
from activities.aws.describe import list_cluster
from activities.aws.health import TargetHealth
from models.aws import DeploymentDetail, SelectionStrategy, ServerGroup
from models.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import FilterTypeDef, ImageTypeDef

__all__ = [
    "TAG_PACKAGE",
    "describe_image",
    "detail",
    "find_by_tags",
    "find_in_cluster",
    "newest",
]

TAG_PACKAGE = "gennaker:package"
"""The tag baked images carry their package name in."""


def _tags(image: ImageTypeDef) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in image.get("Tags", []) if "Key" in t}


def detail(
    image: ImageTypeDef, region: str, *, server_group: str | None = None
) -> DeploymentDetail:
    """An image as a ``deploymentDetails`` entry."""
    tags = _tags(image)
    return DeploymentDetail(
        ami=image["ImageId"],
        image_id=image["ImageId"],
        image_name=image.get("Name", ""),
        region=region,
        package=tags.get(TAG_PACKAGE),
        server_group=server_group,
        tags=tags,
    )


def describe_image(clients: RegionClients, image_id: str) -> ImageTypeDef:
    """One image by id.

    Raises:
        NotFoundError: The image does not exist in the region.
    """
    try:
        images = clients.ec2.describe_images(ImageIds=[image_id])["Images"]
    except ClientError as err:
        if str(err.response.get("Error", {}).get("Code", "")).startswith("InvalidAMIID"):
            images = []
        else:
            raise
    if not images:
        raise NotFoundError(f"image {image_id!r} not found")
    return images[0]


def newest(images: list[ImageTypeDef]) -> ImageTypeDef | None:
    """The newest image; names break ties (creation dates have only second precision)."""
    ordered = sorted(images, key=lambda i: (i.get("CreationDate", ""), i.get("Name", "")))
    return ordered[-1] if ordered else None


def _choose(groups: list[ServerGroup], strategy: SelectionStrategy, cluster: str) -> ServerGroup:
    if strategy is SelectionStrategy.NEWEST:
        return groups[0]
    if strategy is SelectionStrategy.OLDEST:
        return groups[-1]
    if strategy is SelectionStrategy.LARGEST:
        # max() keeps the first of equals, and the list is newest first.
        return max(groups, key=lambda g: len(g.instances))
    images = sorted({g.image_id for g in groups if g.image_id})
    if len(images) > 1:
        raise ValidationError(
            f"cluster {cluster!r} runs several images ({', '.join(images)}) "
            "and selectionStrategy is FAIL"
        )
    return groups[0]


def find_in_cluster(
    clients: RegionClients,
    cluster: str,
    health: TargetHealth,
    *,
    only_enabled: bool = True,
    strategy: SelectionStrategy = SelectionStrategy.NEWEST,
) -> DeploymentDetail:
    """The image of a cluster's server group in one region, chosen by ``strategy``.

    Raises:
        NotFoundError: No (enabled) server group, or its image is gone.
        ValidationError: ``FAIL`` and the groups run different images.
    """
    groups = list_cluster(clients, cluster, health)
    if only_enabled:
        groups = [g for g in groups if g.enabled]
    if not groups:
        kind = "enabled server groups" if only_enabled else "server groups"
        raise NotFoundError(f"cluster {cluster!r} has no {kind}")
    chosen = _choose(groups, strategy, cluster)
    if not chosen.image_id:
        raise NotFoundError(f"server group {chosen.name!r} has no image in its launch template")
    return detail(
        describe_image(clients, chosen.image_id), clients.region, server_group=chosen.name
    )


def find_by_tags(
    clients: RegionClients, package_name: str | None, tags: Mapping[str, str]
) -> DeploymentDetail:
    """The newest image of this account with the tags and the package.

    The package matches images tagged with it (``gennaker:package``) or whose name
    starts with ``<package>-`` (Rosco's and our AMI naming).

    Raises:
        NotFoundError: No image matches.
    """
    base: list[FilterTypeDef] = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    queries: list[list[FilterTypeDef]] = [base]
    if package_name:
        queries = [
            [*base, {"Name": f"tag:{TAG_PACKAGE}", "Values": [package_name]}],
            [*base, {"Name": "name", "Values": [f"{package_name}-*"]}],
        ]
    found: dict[str, Any] = {}
    for filters in queries:
        for image in clients.ec2.describe_images(Owners=["self"], Filters=filters)["Images"]:
            if image.get("State", "available") == "available":
                found[image["ImageId"]] = image
    chosen = newest(list(found.values()))
    if chosen is None:
        wanted = ", ".join(
            [
                *(f"{k}={v}" for k, v in tags.items()),
                *([f"package {package_name}"] * bool(package_name)),
            ]
        )
        raise NotFoundError(f"no image matches {wanted}")
    return detail(chosen, clients.region)
