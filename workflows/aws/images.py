"""Which image a deploy uses (pure): explicit, or from upstream bake and findImage stages.

Spinnaker's deploy stage reads the ``deploymentDetails`` of bake and findImage
stages upstream of it and takes the entry for each region; the nearest upstream
stage wins.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["ancestors_nearest_first", "image_for_region", "upstream_deployment_details"]


def ancestors_nearest_first(stages: Sequence[Mapping[str, Any]], ref_id: str) -> list[str]:
    """The refIds upstream of ``ref_id``, nearest first (breadth-first over requisites).

    Args:
        stages: The pipeline's raw stages (``refId``, ``requisiteStageRefIds``).
        ref_id: The stage whose ancestors are wanted.
    """
    requisites = {
        str(s.get("refId")): [str(r) for r in s.get("requisiteStageRefIds") or []] for s in stages
    }
    seen: set[str] = set()
    order: list[str] = []
    queue = deque(requisites.get(ref_id, []))
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        order.append(current)
        queue.extend(requisites.get(current, []))
    return order


def upstream_deployment_details(
    stages: Sequence[Mapping[str, Any]],
    views: Iterable[Mapping[str, Any]],
    ref_id: str,
) -> list[Mapping[str, Any]]:
    """Every ``deploymentDetails`` entry of the stages upstream of ``ref_id``, nearest first.

    Args:
        stages: The pipeline's raw stages.
        views: The run's stage views (``refId``, ``outputs``), as the expression scope has them.
        ref_id: The deploy stage.
    """
    outputs = {str(v.get("refId")): v.get("outputs") or {} for v in views}
    found: list[Mapping[str, Any]] = []
    for ancestor in ancestors_nearest_first(stages, ref_id):
        details = outputs.get(ancestor, {}).get("deploymentDetails") or []
        found.extend(d for d in details if isinstance(d, Mapping))
    return found


def image_for_region(details: Iterable[Mapping[str, Any]], region: str) -> str | None:
    """The image id of the first entry for ``region`` (``imageId``, else ``ami``), or None."""
    for detail in details:
        if detail.get("region") == region:
            image = detail.get("imageId") or detail.get("ami")
            if image:
                return str(image)
    return None
