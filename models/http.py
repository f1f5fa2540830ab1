"""Inputs and results of the HTTP activities (webhook calls and status polling)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HttpCall", "HttpResponse", "MonitorRequest", "MonitorResult"]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class HttpCall(_Model):
    """One HTTP request of a webhook stage."""

    url: str
    method: str = "POST"
    payload: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    retry_status_codes: list[int] = Field(default_factory=lambda: [429, 500, 502, 503])
    fail_fast_status_codes: list[int] = Field(default_factory=lambda: [504])
    timeout_seconds: float = 60.0


class HttpResponse(_Model):
    """What came back (the body is parsed JSON when it is JSON, and capped in size)."""

    status_code: int = Field(alias="statusCode")
    body: Any = None
    location: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status_code < 300


class MonitorRequest(_Model):
    """Poll ``url`` until ``status_json_path`` shows a success, canceled or terminal status."""

    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    status_json_path: str
    progress_json_path: str | None = None
    success_statuses: list[str] = Field(default_factory=list)
    canceled_statuses: list[str] = Field(default_factory=list)
    terminal_statuses: list[str] = Field(default_factory=list)
    retry_status_codes: list[int] = Field(default_factory=list)
    fail_fast_status_codes: list[int] = Field(default_factory=lambda: [504])
    poll_interval_seconds: float = 1.0


class MonitorResult(_Model):
    """The final status seen: ``SUCCEEDED``, ``CANCELED`` or ``TERMINAL``."""

    status: str
    status_code: int = Field(alias="statusCode")
    body: Any = None
    remote_status: str | None = Field(default=None, alias="remoteStatus")
    progress: Any = None
    polls: int = 0
