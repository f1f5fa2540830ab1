"""The AWS provider's activities (boto3 and Packer), served on the ``gennaker-aws`` queue.

``AwsActivities(config).all()`` lists them for the worker; run them with a
thread-pool ``activity_executor`` (they are synchronous) and the pydantic data
converter. ``TargetHealth`` is the seam for instance health.
"""

from __future__ import annotations

from activities.aws.activities import AwsActivities
from activities.aws.bake import DEFAULT_BASE_IMAGES, BaseImage
from activities.aws.clients import ClientFactory, RegionClients
from activities.aws.errors import classify
from activities.aws.health import ElbTargetHealth, GroupMembers, Member, TargetHealth
from activities.aws.waiting import HEALTH_TIMEOUT

__all__ = [
    "DEFAULT_BASE_IMAGES",
    "HEALTH_TIMEOUT",
    "AwsActivities",
    "BaseImage",
    "ClientFactory",
    "ElbTargetHealth",
    "GroupMembers",
    "Member",
    "RegionClients",
    "TargetHealth",
    "classify",
]
