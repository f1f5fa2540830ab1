"""Workflow ids that read well in the Web UI: ``app/pipeline/<unique>``."""

from __future__ import annotations

import re

__all__ = ["config_workflow_id", "execution_id", "gate_workflow_id", "slug"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str) -> str:
    """``Deploy to Prod`` -> ``deploy-to-prod``: safe in ids and shells."""
    cleaned = _UNSAFE.sub("-", text.strip()).strip("-").lower()
    return cleaned or "pipeline"


def execution_id(application: str, pipeline: str, unique: str) -> str:
    """The id of one execution: ``app/pipeline-slug/unique``."""
    return f"{slug(application)}/{slug(pipeline)}/{unique}"


def config_workflow_id(application: str, pipeline: str) -> str:
    """The registry entity workflow of a saved pipeline."""
    return f"gennaker-config/{application}/{pipeline}"


def gate_workflow_id(application: str, pipeline: str) -> str:
    """The concurrency gate of a pipeline."""
    return f"gennaker-gate/{application}/{pipeline}"
