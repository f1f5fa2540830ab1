"""Reading and updating entity workflows (saved pipelines, canary configs) through a client."""

from __future__ import annotations

from typing import Any, TypeVar

from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

__all__ = ["query_if_running", "update_failure", "visibility_quote"]

_T = TypeVar("_T")


def visibility_quote(value: str) -> str:
    """``value`` as a string literal of a visibility query."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def update_failure(err: WorkflowUpdateFailedError) -> ApplicationError | None:
    """The application error an update handler or validator raised, if any."""
    cause: BaseException | None = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__
    return cause


async def query_if_running(
    handle: WorkflowHandle[Any, Any], query: str, result_type: type[_T]
) -> _T | None:
    """Ask a running entity workflow ``query``; None when it does not exist or has ended."""
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise
    if description.status != WorkflowExecutionStatus.RUNNING:
        return None
    try:
        result: _T = await handle.query(query, result_type=result_type)
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError):
        return None  # ended while we asked
    return result
