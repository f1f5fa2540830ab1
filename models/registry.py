"""The pipeline registry's records: saved configs, their versions, and lookups."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from models.pipeline import Pipeline

__all__ = [
    "ApplyRequest",
    "ApplyResult",
    "LoadPipelineRequest",
    "LoadedPipeline",
    "PipelineRecord",
    "PipelineVersion",
]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class PipelineVersion(_Model):
    """One saved version: who, when, what changed."""

    version: int
    user: str
    time: int
    digest: str
    diff: str = ""


class PipelineRecord(_Model):
    """A saved pipeline: its current config, whether it is disabled, and its history."""

    application: str
    name: str
    pipeline: Pipeline
    disabled: bool = False
    versions: list[PipelineVersion] = Field(default_factory=list)

    @property
    def version(self) -> int:
        """The current version number (0 before the first apply)."""
        return self.versions[-1].version if self.versions else 0


class ApplyRequest(_Model):
    """Save ``pipeline`` as a new version (a no-op when nothing changed)."""

    pipeline: Pipeline
    user: str = "anonymous"


class ApplyResult(_Model):
    """What ``apply`` did."""

    changed: bool
    version: int
    diff: str = ""
    created: bool = False


class LoadPipelineRequest(_Model):
    """Find a saved pipeline by application and name or config id."""

    application: str
    pipeline: str
    allow_disabled: bool = False
    extra: dict[str, Any] = Field(default_factory=dict)


class LoadedPipeline(_Model):
    """A saved pipeline's current config and version."""

    pipeline: Pipeline
    version: int
