"""Instance health: InService in the Auto Scaling group and healthy in every target group.

Health goes through the small :class:`TargetHealth` protocol because emulators
cannot be trusted with it (moto reports every target healthy forever and never
registers replacement instances); tests pass a fake that decides which
instances are healthy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from activities.aws.clients import RegionClients
from models.aws import Instance

__all__ = ["ElbTargetHealth", "GroupMembers", "Member", "TargetHealth"]


@dataclass(frozen=True)
class Member:
    """An instance as the Auto Scaling group lists it."""

    instance_id: str
    lifecycle_state: str
    health_status: str
    availability_zone: str | None = None


@dataclass(frozen=True)
class GroupMembers:
    """What a health check needs to know about a server group."""

    server_group: str
    members: tuple[Member, ...]
    target_group_arns: tuple[str, ...]


class TargetHealth(Protocol):
    """Decides, per instance, whether a server group's instances are healthy."""

    def check(self, clients: RegionClients, group: GroupMembers) -> list[Instance]:
        """One :class:`Instance` per member, with ``healthy`` set.

        Args:
            clients: The account's clients in the group's region.
            group: The group's instances and target groups.
        """
        ...


def in_service(member: Member) -> bool:
    """InService and Healthy in the Auto Scaling group."""
    return member.lifecycle_state == "InService" and member.health_status == "Healthy"


class ElbTargetHealth:
    """The real check: ``describe_target_health`` in each of the group's target groups."""

    def check(self, clients: RegionClients, group: GroupMembers) -> list[Instance]:
        """Healthy = InService in the group and ``healthy`` in every target group."""
        states = self._states(clients, group.target_group_arns)
        return [
            Instance(
                instance_id=m.instance_id,
                availability_zone=m.availability_zone,
                lifecycle_state=m.lifecycle_state,
                health_status=m.health_status,
                target_health={
                    arn: states[arn].get(m.instance_id, "unregistered") for arn in states
                },
                healthy=in_service(m)
                and all(states[arn].get(m.instance_id) == "healthy" for arn in states),
            )
            for m in group.members
        ]

    @staticmethod
    def _states(clients: RegionClients, arns: Sequence[str]) -> dict[str, dict[str, str]]:
        states: dict[str, dict[str, str]] = {}
        for arn in arns:
            response = clients.elbv2.describe_target_health(TargetGroupArn=arn)
            states[arn] = {
                d["Target"]["Id"]: d.get("TargetHealth", {}).get("State", "unavailable")
                for d in response["TargetHealthDescriptions"]
            }
        return states
