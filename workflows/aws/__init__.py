"""Pure planning for the AWS provider: capacity arithmetic, target selection, strategy plans.

Nothing here imports Temporal or boto3: stage handlers (workflow code) call these
functions deterministically and run the resulting steps as ``aws.*`` activities.
The stage handlers themselves live in :mod:`workflows.aws.stages`.

The names below are loaded on first use rather than at import. The workflow
sandbox imports this package as the parent of the handler modules; importing the
planning modules here would give the sandbox its own copies of them, whose step
classes would not match the ones the (passed-through) strategies return.
Handlers import the planning modules inside ``imports_passed_through()``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflows.aws.capacity import (
        deploy_capacity,
        healthy_required,
        instances_to_disable,
        pin_capacity,
        pin_min,
        rolling_percentages,
        rolling_step_capacity,
        scale_down,
        scale_exact,
        scale_pct,
        scale_to_cluster,
        scale_up,
        unpin_min,
    )
    from workflows.aws.chaos import (
        termination_count,
        victims,
    )
    from workflows.aws.expressions import (
        deployed_server_groups,
    )
    from workflows.aws.images import (
        ancestors_nearest_first,
        image_for_region,
        upstream_deployment_details,
    )
    from workflows.aws.rollback import (
        ClusterRollback,
        RollbackConfig,
        cluster_rollback,
        deploy_rollback_plan,
        previous_image,
        rollback_server_group_plan,
    )
    from workflows.aws.steps import (
        Destroy,
        Disable,
        Enable,
        Resize,
        RunValidation,
        ScaleDown,
        Step,
        Wait,
        WaitForHealthy,
        describe,
    )
    from workflows.aws.strategies import (
        DeployContext,
        Highlander,
        NoStrategy,
        PipelineBeforeCleanup,
        RedBlack,
        RollingRedBlack,
        Strategy,
        strategy_from_stage,
    )
    from workflows.aws.targets import (
        Target,
        cluster_size_matches,
        disable_cluster,
        is_active,
        newest_first,
        resolve_target,
        scale_down_cluster,
        shrink_cluster,
        source_server_group,
    )

_SOURCES: dict[str, str] = {
    "deploy_capacity": "workflows.aws.capacity",
    "healthy_required": "workflows.aws.capacity",
    "instances_to_disable": "workflows.aws.capacity",
    "pin_capacity": "workflows.aws.capacity",
    "pin_min": "workflows.aws.capacity",
    "rolling_percentages": "workflows.aws.capacity",
    "rolling_step_capacity": "workflows.aws.capacity",
    "scale_down": "workflows.aws.capacity",
    "scale_exact": "workflows.aws.capacity",
    "scale_pct": "workflows.aws.capacity",
    "scale_to_cluster": "workflows.aws.capacity",
    "scale_up": "workflows.aws.capacity",
    "unpin_min": "workflows.aws.capacity",
    "termination_count": "workflows.aws.chaos",
    "victims": "workflows.aws.chaos",
    "deployed_server_groups": "workflows.aws.expressions",
    "ancestors_nearest_first": "workflows.aws.images",
    "image_for_region": "workflows.aws.images",
    "upstream_deployment_details": "workflows.aws.images",
    "ClusterRollback": "workflows.aws.rollback",
    "RollbackConfig": "workflows.aws.rollback",
    "cluster_rollback": "workflows.aws.rollback",
    "deploy_rollback_plan": "workflows.aws.rollback",
    "previous_image": "workflows.aws.rollback",
    "rollback_server_group_plan": "workflows.aws.rollback",
    "Destroy": "workflows.aws.steps",
    "Disable": "workflows.aws.steps",
    "Enable": "workflows.aws.steps",
    "Resize": "workflows.aws.steps",
    "RunValidation": "workflows.aws.steps",
    "ScaleDown": "workflows.aws.steps",
    "Step": "workflows.aws.steps",
    "Wait": "workflows.aws.steps",
    "WaitForHealthy": "workflows.aws.steps",
    "describe": "workflows.aws.steps",
    "DeployContext": "workflows.aws.strategies",
    "Highlander": "workflows.aws.strategies",
    "NoStrategy": "workflows.aws.strategies",
    "PipelineBeforeCleanup": "workflows.aws.strategies",
    "RedBlack": "workflows.aws.strategies",
    "RollingRedBlack": "workflows.aws.strategies",
    "Strategy": "workflows.aws.strategies",
    "strategy_from_stage": "workflows.aws.strategies",
    "Target": "workflows.aws.targets",
    "cluster_size_matches": "workflows.aws.targets",
    "disable_cluster": "workflows.aws.targets",
    "is_active": "workflows.aws.targets",
    "newest_first": "workflows.aws.targets",
    "resolve_target": "workflows.aws.targets",
    "scale_down_cluster": "workflows.aws.targets",
    "shrink_cluster": "workflows.aws.targets",
    "source_server_group": "workflows.aws.targets",
}

__all__ = [
    "ClusterRollback",
    "DeployContext",
    "Destroy",
    "Disable",
    "Enable",
    "Highlander",
    "NoStrategy",
    "PipelineBeforeCleanup",
    "RedBlack",
    "Resize",
    "RollbackConfig",
    "RollingRedBlack",
    "RunValidation",
    "ScaleDown",
    "Step",
    "Strategy",
    "Target",
    "Wait",
    "WaitForHealthy",
    "ancestors_nearest_first",
    "cluster_rollback",
    "cluster_size_matches",
    "deploy_capacity",
    "deploy_rollback_plan",
    "deployed_server_groups",
    "describe",
    "disable_cluster",
    "healthy_required",
    "image_for_region",
    "instances_to_disable",
    "is_active",
    "newest_first",
    "pin_capacity",
    "pin_min",
    "previous_image",
    "resolve_target",
    "rollback_server_group_plan",
    "rolling_percentages",
    "rolling_step_capacity",
    "scale_down",
    "scale_down_cluster",
    "scale_exact",
    "scale_pct",
    "scale_to_cluster",
    "scale_up",
    "shrink_cluster",
    "source_server_group",
    "strategy_from_stage",
    "termination_count",
    "unpin_min",
    "upstream_deployment_details",
    "victims",
]


def __getattr__(name: str) -> Any:
    """Load ``name`` from its planning module on first use."""
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
