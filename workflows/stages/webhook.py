"""``webhook``: call a URL, then optionally poll its status until it is final.

There is no five-minute cap: the only time limit is the stage's ``stageTimeoutMs``.
Cancelling the stage (or its timeout) calls ``cancelEndpoint`` when one is set.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.http import HttpCall, HttpResponse, MonitorRequest, MonitorResult
    from models.jsonpath import read_path
    from models.stages import WebhookStage
    from models.status import Status

from workflows.stages.base import BaseHandler, StageFailed, StageResult, handles
from workflows.stages.context import StageContext

__all__ = ["WebhookHandler"]

_MONITOR_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)


def _headers(stage: WebhookStage) -> dict[str, str]:
    # Deck may store a header value as a list (multi-value headers).
    return {
        k: ", ".join(map(str, v)) if isinstance(v, list) else str(v)
        for k, v in stage.custom_headers.items()
    }


@handles("webhook")
class WebhookHandler(BaseHandler):
    """Orca's create-webhook and monitor-webhook tasks."""

    async def run(self, stage: WebhookStage, ctx: StageContext) -> StageResult:
        """Call, then monitor when ``waitForCompletion``."""
        headers = _headers(stage)
        response: HttpResponse | None = None
        if not stage.monitor_only:
            retry_codes = stage.webhook_retry_status_codes
            call = HttpCall(
                url=stage.url,
                method=stage.method,
                payload=stage.payload,
                headers=headers,
                fail_fast_status_codes=stage.fail_fast_status_codes,
                **({"retry_status_codes": retry_codes} if retry_codes is not None else {}),
            )
            response = await ctx.activity(
                "webhook.call",
                call,
                result_type=HttpResponse,
                target=f"{stage.method} {stage.url}",
                # One request's timeout plus a margin: a worker that dies mid-call is
                # noticed (and the call retried) in a minute or two, not five.
                start_to_close=timedelta(seconds=call.timeout_seconds + 30),
            )
            assert response is not None
            webhook: dict[str, Any] = {"statusCode": response.status_code, "body": response.body}
            ctx.outputs["webhook"] = webhook
            if not response.ok:
                raise StageFailed(
                    f"{stage.method} {stage.url} answered {response.status_code}: "
                    f"{str(response.body)[:300]}",
                    outputs={"webhook": webhook},
                )
        if not stage.wait_for_completion:
            return StageResult()
        url = self._status_url(stage, response)
        ctx.context["statusEndpoint"] = url
        if stage.wait_before_monitor:
            await ctx.sleep(stage.wait_before_monitor, skippable=False)
        ctx.show(f"polling {url}")
        result: MonitorResult = await ctx.activity(
            "webhook.monitor",
            MonitorRequest(
                url=url,
                headers=headers,
                status_json_path=stage.status_json_path or "",
                progress_json_path=stage.progress_json_path,
                success_statuses=stage.successes,
                canceled_statuses=stage.cancellations,
                terminal_statuses=stage.terminals,
                retry_status_codes=stage.retry_status_codes,
                fail_fast_status_codes=stage.fail_fast_status_codes,
                poll_interval_seconds=stage.backoff_period_ms / 1000,
            ),
            result_type=MonitorResult,
            target=f"GET {url}",
            start_to_close=timedelta(days=30),
            heartbeat=timedelta(seconds=max(30, 3 * stage.backoff_period_ms / 1000)),
            retry=_MONITOR_RETRY,
        )
        ctx.show(None)
        monitor = {
            "statusCode": result.status_code,
            "body": result.body,
            "status": result.remote_status,
            "progress": result.progress,
        }
        webhook = {**ctx.outputs.get("webhook", {}), "monitor": monitor}
        ctx.outputs["webhook"] = webhook
        if result.status == "SUCCEEDED":
            return StageResult(outputs={"webhook": webhook})
        if result.status == "CANCELED":
            return StageResult(outputs={"webhook": webhook}, status=Status.CANCELED)
        raise StageFailed(
            f"{url} reported {result.remote_status or result.status_code}",
            outputs={"webhook": webhook},
        )

    def _status_url(self, stage: WebhookStage, response: HttpResponse | None) -> str:
        if stage.monitor_only or stage.status_endpoint:
            return stage.status_endpoint or stage.url
        if stage.status_url_resolution == "locationHeader":
            if response is None or not response.location:
                raise StageFailed(
                    "statusUrlResolution is locationHeader but no Location header came back"
                )
            return response.location
        if stage.status_url_resolution == "webhookResponse":
            if not stage.status_url_json_path:
                raise StageFailed("statusUrlResolution webhookResponse needs statusUrlJsonPath")
            try:
                return str(
                    read_path(response.body if response else None, stage.status_url_json_path)
                )
            except (KeyError, ValueError) as err:
                raise StageFailed(
                    f"no status URL at {stage.status_url_json_path!r}: {err}"
                ) from None
        return stage.url

    async def on_cancel(self, stage: WebhookStage, ctx: StageContext) -> None:
        """Call ``cancelEndpoint`` (with ``cancelMethod`` and ``cancelPayload``) if set."""
        if not stage.cancel_endpoint:
            return
        response: HttpResponse = await ctx.activity(
            "webhook.call",
            HttpCall(
                url=stage.cancel_endpoint,
                method=stage.cancel_method,
                payload=stage.cancel_payload,
                headers=_headers(stage),
            ),
            result_type=HttpResponse,
            target=f"{stage.cancel_method} {stage.cancel_endpoint}",
            start_to_close=timedelta(minutes=1),
            retry=RetryPolicy(maximum_attempts=3),
        )
        ctx.context["cancelResponse"] = {"statusCode": response.status_code}
