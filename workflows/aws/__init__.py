"""Pure planning for the AWS provider: capacity arithmetic, target selection, strategy plans.

Nothing here imports Temporal or boto3: stage handlers (workflow code) call these
functions deterministically and run the resulting steps as ``aws.*`` activities.
"""

from __future__ import annotations

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
from workflows.aws.rollback import (
    RollbackConfig,
    deploy_rollback_plan,
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

__all__ = [
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
    "cluster_size_matches",
    "deploy_capacity",
    "deploy_rollback_plan",
    "describe",
    "disable_cluster",
    "healthy_required",
    "instances_to_disable",
    "is_active",
    "newest_first",
    "pin_capacity",
    "pin_min",
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
    "unpin_min",
]
