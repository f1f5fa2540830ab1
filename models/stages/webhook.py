"""The ``webhook`` stage: an HTTP call, optionally polled until it reports a final status."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from models.stage import StageConfig, stage_type

__all__ = ["WebhookStage", "csv_statuses"]


def csv_statuses(value: str | list[str] | None) -> list[str]:
    """Orca's status lists are CSV strings; also accept lists. Upper-cased, trimmed."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [str(item).strip().upper() for item in items if str(item).strip()]


@stage_type("webhook")
class WebhookStage(StageConfig):
    """Fields of Orca's ``WebhookStage``. Its only time limit is ``stageTimeoutMs``."""

    url: str = Field(default="", min_length=0)
    method: str = "POST"
    payload: Any = None
    custom_headers: dict[str, Any] = Field(default_factory=dict, alias="customHeaders")
    wait_for_completion: bool = Field(default=False, alias="waitForCompletion")
    monitor_only: bool = Field(default=False, alias="monitorOnly")
    status_url_resolution: Literal["getMethod", "locationHeader", "webhookResponse"] = Field(
        default="getMethod", alias="statusUrlResolution"
    )
    status_url_json_path: str | None = Field(default=None, alias="statusUrlJsonPath")
    status_endpoint: str | None = Field(default=None, alias="statusEndpoint")
    status_json_path: str | None = Field(default=None, alias="statusJsonPath")
    progress_json_path: str | None = Field(default=None, alias="progressJsonPath")
    success_statuses: str | list[str] | None = Field(default=None, alias="successStatuses")
    canceled_statuses: str | list[str] | None = Field(default=None, alias="canceledStatuses")
    terminal_statuses: str | list[str] | None = Field(default=None, alias="terminalStatuses")
    wait_before_monitor: float = Field(default=0, alias="waitBeforeMonitor", ge=0)
    retry_status_codes: list[int] = Field(default_factory=list, alias="retryStatusCodes")
    webhook_retry_status_codes: list[int] | None = Field(
        default=None, alias="webhookRetryStatusCodes"
    )
    fail_fast_status_codes: list[int] = Field(
        default_factory=lambda: [504], alias="failFastStatusCodes"
    )
    backoff_period_ms: int = Field(default=1000, alias="backoffPeriodMs", ge=0)
    cancel_endpoint: str | None = Field(default=None, alias="cancelEndpoint")
    cancel_method: str = Field(default="POST", alias="cancelMethod")
    cancel_payload: Any = Field(default=None, alias="cancelPayload")

    @field_validator(
        "custom_headers", "retry_status_codes", "fail_fast_status_codes", mode="before"
    )
    @classmethod
    def _null_is_default(cls, value: Any, info: Any) -> Any:
        if value is None:
            return (
                [504]
                if info.field_name == "fail_fast_status_codes"
                else ({} if info.field_name == "custom_headers" else [])
            )
        return value

    @field_validator("method", "cancel_method")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _needs_url(self) -> WebhookStage:
        if not self.url and not (self.monitor_only and self.status_endpoint):
            raise ValueError("a webhook stage needs 'url'")
        if self.wait_for_completion and not self.status_json_path:
            raise ValueError("'statusJsonPath' is required when waitForCompletion is true")
        return self

    @property
    def successes(self) -> list[str]:
        """``successStatuses`` as a list (Orca's CSV)."""
        return csv_statuses(self.success_statuses)

    @property
    def cancellations(self) -> list[str]:
        """``canceledStatuses`` as a list."""
        return csv_statuses(self.canceled_statuses)

    @property
    def terminals(self) -> list[str]:
        """``terminalStatuses`` as a list."""
        return csv_statuses(self.terminal_statuses)
