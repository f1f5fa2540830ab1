"""The workflow sandbox, with Gennaker's own deterministic modules passed through.

The sandbox re-imports every module a workflow uses for each new workflow run
unless the module is passed through; for Gennaker's workflow package that was
the largest cost of a short run. Our workflow code is deterministic by design
(and reviewed for it: no clock, randomness or I/O outside ``workflow.*``), and
it keeps no state at module level besides the stage-type registries, which are
filled at import and never changed; so it is imported once per process.
Third-party code still runs under the sandbox's restrictions.
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
    "workflows",
)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandboxed runner every Gennaker worker uses."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )
