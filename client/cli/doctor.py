"""``gennaker doctor``: can this Temporal run Gennaker?

Checks, each with one line: the server answers, the namespace exists, the five
search attributes are registered with the right types, and every task queue has a
worker polling it. A worker that stopped keeps showing in the server's poller list
for minutes (``matching.PollerHistoryTTL``); its last heartbeat (servers 1.29+,
``ListWorkers``) says it shut down, so doctor does not count it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import click
from rich.markup import escape
from temporalio.api.enums.v1 import IndexedValueType, TaskQueueType, WorkerStatus
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.taskqueue.v1 import PollerInfo, TaskQueue
from temporalio.api.worker.v1 import WorkerHeartbeat
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    DescribeTaskQueueRequest,
    GetSystemInfoRequest,
    ListWorkersRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from client.cli.common import (
    EXIT_NOT_SUCCEEDED,
    EXIT_OK,
    Settings,
    connection_options,
    console,
    exit_now,
    fail,
    print_json,
)
from models.errors import ConnectionError, GennakerError
from models.run import TaskQueues
from models.search import SEARCH
from workers.build import QUEUE_KINDS

__all__ = ["Check", "diagnose", "doctor_command"]

_STOPPED = (WorkerStatus.WORKER_STATUS_SHUTTING_DOWN, WorkerStatus.WORKER_STATUS_SHUTDOWN)


@dataclass(frozen=True)
class Check:
    """The outcome of one check.

    Attributes:
        ok: Nothing to fix.
        subject: What was checked (``server``, ``namespace``, ``search attribute X``,
            ``queue Q``).
        message: What was found and, when something is wrong, how to fix it.
        skipped: Not checked on request (``--skip``).
    """

    ok: bool
    subject: str
    message: str
    skipped: bool = False

    def line(self) -> str:
        """The line people read (rich markup)."""
        mark = "[dim]-[/]" if self.skipped else "[green]✓[/]" if self.ok else "[red]✗[/]"
        return f"{mark} {escape(self.subject)}: {escape(self.message)}"

    def public(self) -> dict[str, Any]:
        """The JSON shape of ``doctor --json``."""
        return {
            "ok": self.ok,
            "check": self.subject,
            "message": self.message,
            "skipped": self.skipped,
        }


async def diagnose(
    client: Client, namespace: str, queues: TaskQueues, skip: Collection[str] = ()
) -> list[Check]:
    """Check the server, namespace, search attributes and a live poller per task queue.

    Args:
        client: A connected client (reaching the server is the caller's first check).
        namespace: The namespace Gennaker runs in.
        queues: The task queues of this install.
        skip: Queue kinds not deployed here on purpose.
    """
    checks = [await _server(client)]
    namespace_check = await _namespace(client, namespace)
    checks.append(namespace_check)
    if not namespace_check.ok:
        return checks  # search attributes and queues live inside the namespace
    checks += await _search_attributes(client, namespace)
    for kind, queue in queues.all().items():
        if kind in skip:
            checks.append(Check(True, f"queue {queue}", f"skipped (--skip {kind})", True))
        else:
            checks.append(await _queue(client, namespace, kind, queue))
    return checks


async def _server(client: Client) -> Check:
    info = await client.workflow_service.get_system_info(GetSystemInfoRequest())
    version = info.server_version or "unknown version"
    return Check(True, "server", f"{client.service_client.config.target_host} answers ({version})")


async def _namespace(client: Client, namespace: str) -> Check:
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return Check(
                False,
                "namespace",
                f"{namespace!r} does not exist; create it with "
                f"`temporal operator namespace create --namespace {namespace}`",
            )
        return Check(False, "namespace", f"{namespace!r} cannot be read: {err.message}")
    return Check(True, "namespace", f"{namespace!r} exists")


async def _search_attributes(client: Client, namespace: str) -> list[Check]:
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    except RPCError as err:
        return [Check(False, "search attributes", f"cannot be listed: {err.message}")]
    checks = []
    for key in SEARCH.all():
        wanted = IndexedValueType.Name(IndexedValueType.ValueType(int(key.indexed_value_type)))
        kind = wanted.removeprefix("INDEXED_VALUE_TYPE_").title()
        registered = listed.custom_attributes.get(key.name)
        subject = f"search attribute {key.name}"
        if registered is None:
            checks.append(
                Check(
                    False,
                    subject,
                    "not registered; run `temporal operator search-attribute create "
                    f"--namespace {namespace} --name {key.name} --type {kind}`",
                )
            )
        elif IndexedValueType.Name(registered) != wanted:
            found = IndexedValueType.Name(registered).removeprefix("INDEXED_VALUE_TYPE_").title()
            checks.append(Check(False, subject, f"is {found}, Gennaker needs {kind}"))
        else:
            checks.append(Check(True, subject, f"registered ({kind})"))
    return checks


async def _queue(client: Client, namespace: str, kind: str, queue: str) -> Check:
    # The pipelines queue runs the workflows as well as activities; the others only
    # run activities.
    types = {"activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}
    if kind == "pipelines":
        types = {"workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, **types}
    heartbeats = await _heartbeats(client, namespace, queue)
    live: set[str] = set()
    unserved: list[str] = []
    stopped: set[str] = set()
    for what, queue_type in types.items():
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=namespace, task_queue=TaskQueue(name=queue), task_queue_type=queue_type
            )
        )
        polling = [p for p in described.pollers if not _stopped(p, heartbeats)]
        stopped |= {p.identity for p in described.pollers} - {p.identity for p in polling}
        live |= {p.identity for p in polling}
        if not polling:
            unserved.append(what)
    subject = f"queue {queue}"
    if not unserved:
        return Check(True, subject, f"{len(live)} worker(s) polling ({', '.join(sorted(live))})")
    gone = f" (stopped: {', '.join(sorted(stopped))})" if stopped else ""
    tasks = "" if len(unserved) == len(types) else f" for its {' and '.join(unserved)} tasks"
    return Check(
        False,
        subject,
        f"no worker polls it{tasks}{gone}; start `gennaker worker --queue {kind}`",
    )


async def _heartbeats(client: Client, namespace: str, queue: str) -> list[WorkerHeartbeat]:
    """The workers' own heartbeats for ``queue`` (empty when the server has none)."""
    beats: list[WorkerHeartbeat] = []
    token = b""
    try:
        while True:
            page = await client.workflow_service.list_workers(
                ListWorkersRequest(
                    namespace=namespace,
                    page_size=200,
                    next_page_token=token,
                    query=f'TaskQueue = "{queue}"',
                )
            )
            beats += [info.worker_heartbeat for info in page.workers_info]
            token = page.next_page_token
            if not token:
                return beats
    except RPCError:
        # Older servers, or heartbeats disabled: trust the poller list alone.
        return beats


def _stopped(poller: PollerInfo, heartbeats: list[WorkerHeartbeat]) -> bool:
    """True when the worker behind ``poller`` said, last, that it shut down after its last poll."""
    mine = [beat for beat in heartbeats if beat.worker_identity == poller.identity]
    if not mine:
        return False
    # Only the newest heartbeat counts: an older RUNNING one is from before the shutdown,
    # and a worker that came back under the same identity sends a newer RUNNING one. (Its
    # last polls can land just after the shutdown heartbeat, so poll times prove nothing.)
    latest = max(mine, key=lambda beat: beat.heartbeat_time.ToDatetime())
    return latest.status in _STOPPED


@click.command("doctor")
@click.option(
    "--skip",
    "skip",
    multiple=True,
    type=click.Choice(QUEUE_KINDS),
    help="Queue kinds not deployed here on purpose (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@connection_options
def doctor_command(skip: tuple[str, ...], as_json: bool, settings: Settings) -> None:
    """Check the server, namespace, search attributes and that each queue has a worker.

    Exits 0 when everything is in place and 1 when something is missing.
    """

    async def go() -> list[Check]:
        try:
            client = await settings.client()
        except ConnectionError as err:
            return [Check(False, "server", str(err))]
        try:
            return await diagnose(client.temporal, settings.namespace, settings.queues, skip)
        except RPCError as err:
            return [Check(False, "server", f"{settings.address} refused: {err.message}")]

    try:
        checks = asyncio.run(go())
    except GennakerError as err:  # bad TLS options and the like: bad input
        fail(str(err))
    ok = all(check.ok for check in checks)
    if as_json:
        print_json({"ok": ok, "checks": [check.public() for check in checks]})
    else:
        for check in checks:
            console.print(check.line(), soft_wrap=True)
    exit_now(EXIT_OK if ok else EXIT_NOT_SUCCEEDED)
