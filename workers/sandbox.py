"""The workflow sandbox, with Gennaker's deterministic modules passed through.

Passing the pure modules (models, expressions, DAG rules) through means they
are imported once per process instead of once per workflow run.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

__all__ = ["PASSTHROUGH_MODULES", "workflow_runner"]

PASSTHROUGH_MODULES = (
    "models",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "yaml",
    "jsonpath_ng",
    "ply",
    "zoneinfo",
    "workflows.expressions",
    "workflows.dag",
    "workflows.windows",
    "workflows.outputs",
    "workflows.runtime",
    "workflows.aws.capacity",
    "workflows.aws.targets",
    "workflows.aws.strategies",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandboxed runner every Gennaker worker uses."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
