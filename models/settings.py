"""Worker-side settings a run records once: the execution-window timezone and roles."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["RolesRequest", "WorkerSettings"]


class WorkerSettings(BaseModel):
    """What the workflow needs from the worker configuration (no secrets)."""

    timezone: str = "America/Los_Angeles"


class RolesRequest(BaseModel):
    """Which users hold any of ``roles``."""

    roles: list[str] = Field(default_factory=list)
