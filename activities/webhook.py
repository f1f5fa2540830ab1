"""HTTP for webhook stages (httpx): one call, and polling a status URL until it is final."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.http import HttpCall, HttpResponse, MonitorRequest, MonitorResult
from models.jsonpath import read_path

__all__ = ["WebhookActivities"]

_MAX_BODY_BYTES = 16 * 1024
"""Bodies above this are summarised: activity results are stored in workflow history."""


def _body(response: httpx.Response) -> Any:
    """The body as JSON (or text), summarised when it is too big to keep in history."""
    content = response.content
    if len(content) > _MAX_BODY_BYTES:
        return {
            "truncated": True,
            "bytes": len(content),
            "contentType": response.headers.get("content-type"),
            "preview": content[:1024].decode(errors="replace"),
        }
    try:
        return json.loads(content) if content else None
    except (ValueError, UnicodeDecodeError):
        return content.decode(errors="replace")


class WebhookActivities:
    """Webhook activities sharing one connection pool.

    Args:
        client: An httpx client; one is made when not given.
    """

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(follow_redirects=False, timeout=60.0)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    @activity.defn(name="webhook.call")
    async def call(self, request: HttpCall) -> HttpResponse:
        """Make one request. Retry codes and network errors raise (Temporal retries them);
        every other answer is returned for the stage to judge.
        """
        try:
            response = await self._client.request(
                request.method,
                request.url,
                json=request.payload
                if request.payload is not None and request.method not in ("GET", "HEAD")
                else None,
                headers=request.headers,
                timeout=request.timeout_seconds,
            )
        except httpx.InvalidURL as err:
            raise ApplicationError(
                f"invalid URL {request.url!r}: {err}", non_retryable=True
            ) from None
        except httpx.HTTPError as err:
            raise ApplicationError(f"{request.method} {request.url} failed: {err!r}") from None
        status = response.status_code
        if status in request.retry_status_codes and status not in request.fail_fast_status_codes:
            raise ApplicationError(f"{request.method} {request.url} answered {status}; retrying")
        return HttpResponse(
            status_code=status,
            body=_body(response),
            location=response.headers.get("location"),
        )

    @activity.defn(name="webhook.monitor")
    async def monitor(self, request: MonitorRequest) -> MonitorResult:
        """GET ``url`` until its status is final, heartbeating each poll.

        Resumes its poll count from the last heartbeat after a worker restart.
        """
        details = activity.info().heartbeat_details
        polls = int(details[0]) if details else 0
        while True:
            polls += 1
            activity.heartbeat(polls)
            try:
                response = await self._client.get(request.url, headers=request.headers)
            except httpx.HTTPError as err:
                raise ApplicationError(f"GET {request.url} failed: {err!r}") from None
            code = response.status_code
            body = _body(response)
            if code in request.fail_fast_status_codes:
                return MonitorResult(status="TERMINAL", status_code=code, body=body, polls=polls)
            if code >= 300:
                if code in request.retry_status_codes or code >= 500 or code == 429:
                    await asyncio.sleep(request.poll_interval_seconds)
                    continue
                return MonitorResult(status="TERMINAL", status_code=code, body=body, polls=polls)
            try:
                remote = str(read_path(body, request.status_json_path)).upper()
            except (KeyError, ValueError) as err:
                raise ApplicationError(
                    f"status of {request.url} not readable at {request.status_json_path!r}: {err}",
                    non_retryable=True,
                ) from None
            progress = None
            if request.progress_json_path:
                try:
                    progress = read_path(body, request.progress_json_path)
                except (KeyError, ValueError):
                    progress = None
            for final, statuses in (
                ("SUCCEEDED", request.success_statuses),
                ("CANCELED", request.canceled_statuses),
                ("TERMINAL", request.terminal_statuses),
            ):
                if remote in statuses:
                    return MonitorResult(
                        status=final,
                        status_code=code,
                        body=body,
                        remote_status=remote,
                        progress=progress,
                        polls=polls,
                    )
            await asyncio.sleep(request.poll_interval_seconds)
