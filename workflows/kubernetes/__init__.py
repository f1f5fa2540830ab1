"""Pure logic of the Kubernetes provider: manifests, stability, target selection.

Nothing here imports Temporal or the Kubernetes client, so activities and
workflow code share it. The stage handlers live in
:mod:`workflows.kubernetes.stages` (registered by :mod:`workflows.stages`).
"""

from __future__ import annotations

from workflows.kubernetes.manifests import (
    LABEL_MANAGED_BY,
    MANAGED_BY,
    canonical_kind,
    created_artifact,
    deploy_order,
    lower_camel,
    names_by_namespace,
    parse_manifest_name,
    stamp,
    trimmed,
)
from workflows.kubernetes.status import pod_problems, stability
from workflows.kubernetes.targets import (
    CRITERIA,
    choose_by_criteria,
    in_cluster,
    label_selector_text,
    normalise_criteria,
    undo_target,
)

__all__ = [
    "CRITERIA",
    "LABEL_MANAGED_BY",
    "MANAGED_BY",
    "canonical_kind",
    "choose_by_criteria",
    "created_artifact",
    "deploy_order",
    "in_cluster",
    "label_selector_text",
    "lower_camel",
    "names_by_namespace",
    "normalise_criteria",
    "parse_manifest_name",
    "pod_problems",
    "stability",
    "stamp",
    "trimmed",
    "undo_target",
]
