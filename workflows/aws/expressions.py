"""``#deployedServerGroups(...)``: Orca's expression helper, from the run's deploy stages (pure).

The engine passes helpers to expressions through ``ExpressionScope.functions``;
this one needs the run's stage views, so it is made per scope::

    functions={"deployedServerGroups": deployed_server_groups(stage_views)}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["deployed_server_groups"]


def deployed_server_groups(
    stages: Sequence[Mapping[str, Any]],
) -> Callable[..., list[dict[str, Any]]]:
    """The ``#deployedServerGroups`` helper over ``stages`` (the scope's stage views).

    ``#deployedServerGroups()`` lists every server group the run's ``deploy``
    stages made, in stage order, as Orca does: ``account``, ``region``,
    ``serverGroup``, ``ami``, ``capacity`` and ``parentStage`` (the refId);
    ``#deployedServerGroups('us-east-1', ...)`` keeps only those regions.
    """

    def helper(*regions: Any) -> list[dict[str, Any]]:
        wanted = {str(r) for r in regions}
        found = []
        for stage in stages:
            if stage.get("type") != "deploy":
                continue
            for group in (stage.get("outputs") or {}).get("deployedServerGroups") or []:
                if wanted and group.get("region") not in wanted:
                    continue
                found.append(
                    {
                        "account": group.get("account"),
                        "region": group.get("region"),
                        "serverGroup": group.get("serverGroupName"),
                        "ami": group.get("imageId"),
                        "capacity": group.get("capacity"),
                        "parentStage": stage.get("refId"),
                    }
                )
        return found

    return helper
