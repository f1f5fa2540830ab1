"""``gennaker up``, ``gennaker worker`` and ``gennaker doctor``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import click
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from client.cli.common import (
    EXIT_NOT_SUCCEEDED,
    EXIT_OK,
    Settings,
    connection_options,
    console,
    exit_now,
    fail,
    run_async,
)
from models.config import GennakerConfig, load_config
from models.errors import ConfigError
from models.run import TaskQueues
from workers.build import QUEUE_KINDS, build_workers

__all__ = ["doctor_command", "up_command", "worker_command"]


def _config(path: str | None) -> GennakerConfig:
    try:
        return load_config(path)
    except ConfigError as err:
        fail(str(err))


async def serve_workers(workers: list[Worker], stop: asyncio.Event) -> None:
    """Run ``workers`` until ``stop`` is set, then shut them down cleanly."""
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    for worker in workers:
        await worker.shutdown()
    for task in tasks:
        with contextlib.suppress(Exception):
            await task
    stopper.cancel()
    for task in done:
        if task is not stopper and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


@click.command("worker")
@click.option(
    "--queue",
    "queue",
    type=click.Choice([*QUEUE_KINDS, "all"]),
    required=True,
    help="Which task queue to serve.",
)
@click.option("--config", "config_path", default=None, help="Worker configuration file.")
@connection_options
def worker_command(queue: str, config_path: str | None, settings: Settings) -> None:
    """Run the worker of one task queue against any Temporal."""
    config = _config(config_path)

    async def go() -> None:
        client = await settings.client()
        kinds = QUEUE_KINDS if queue == "all" else (queue,)
        workers = build_workers(client.temporal, config, settings.queues, kinds)
        if not workers:
            fail(f"queue {queue!r}: its provider packages are not installed")
        stop = _stop_event()
        names = ", ".join(w.task_queue for w in workers)
        console.print(f"serving {names} on {settings.address} (namespace {settings.namespace})")
        await serve_workers(workers, stop)

    run_async(go())
    exit_now(EXIT_OK)


@click.command("up")
@click.option("--port", default=7233, show_default=True, help="Temporal gRPC port.")
@click.option("--ui-port", default=8233, show_default=True, help="Web UI port.")
@click.option(
    "--db",
    "db",
    default=None,
    type=click.Path(path_type=Path),
    help="SQLite file (default ~/.gennaker/temporal.db).",
)
@click.option("--memory", is_flag=True, help="Keep nothing when stopped.")
@click.option("--config", "config_path", default=None, help="Worker configuration file.")
def up_command(
    port: int, ui_port: int, db: Path | None, memory: bool, config_path: str | None
) -> None:
    """Run the embedded Temporal server, its Web UI and every worker, until Ctrl-C."""
    from emulators.temporal import DevServer, PortsTaken

    if db and memory:
        fail("--db and --memory exclude each other")
    config = _config(config_path)
    db_file = None if memory else (db or Path.home() / ".gennaker" / "temporal.db")
    server = DevServer(
        port=port,
        ui_port=ui_port,
        db_file=db_file,
        log_file=Path.home() / ".gennaker" / "temporal.log",
    )
    (Path.home() / ".gennaker").mkdir(parents=True, exist_ok=True)
    try:
        server.start()
    except PortsTaken as err:
        fail(str(err))

    async def go() -> None:
        client = await Client.connect(server.address, data_converter=pydantic_data_converter)
        workers = build_workers(client, config, TaskQueues())
        console.print(
            f"Temporal  {server.address}  ({'in memory' if db_file is None else db_file})"
        )
        console.print(f"Web UI    [bold link={server.ui_url}]{server.ui_url}[/]")
        console.print(f"workers   {', '.join(w.task_queue for w in workers)}")
        console.print("Ctrl-C stops everything.")
        await serve_workers(workers, _stop_event())

    try:
        run_async(go())
    finally:
        server.stop()
    console.print("stopped")
    exit_now(EXIT_OK)


async def diagnose(client: Client, queues: TaskQueues, namespace: str) -> list[tuple[bool, str]]:
    """Check the server, namespace, search attributes and a poller per task queue."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import (
        DescribeNamespaceRequest,
        DescribeTaskQueueRequest,
    )

    from models.search import SEARCH

    lines: list[tuple[bool, str]] = [
        (True, f"server reachable at {client.service_client.config.target_host}")
    ]
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace)
        )
        lines.append((True, f"namespace {namespace!r} exists"))
    except Exception as err:
        lines.append((False, f"namespace {namespace!r}: {err}"))
        return lines
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    known = set(listed.custom_attributes)
    for key in SEARCH.all():
        if key.name in known:
            lines.append((True, f"search attribute {key.name} registered"))
        else:
            lines.append(
                (
                    False,
                    f"search attribute {key.name} missing: temporal operator search-attribute create --name {key.name} --type {'Bool' if key.name.endswith('Judgment') else 'Keyword'}",
                )
            )
    for kind, queue in queues.all().items():
        kinds = [TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]
        if kind == "pipelines":
            kinds.insert(0, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
        for queue_type in kinds:
            described = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=queue_type,
                )
            )
            what = (
                "workflow" if queue_type == TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW else "activity"
            )
            if described.pollers:
                lines.append(
                    (True, f"queue {queue} ({what}): {len(described.pollers)} worker(s) polling")
                )
            else:
                lines.append(
                    (
                        False,
                        f"queue {queue} ({what}): no worker polls it; start `gennaker worker --queue {kind}`",
                    )
                )
    return lines


@click.command("doctor")
@click.option(
    "--skip",
    "skip",
    multiple=True,
    type=click.Choice(QUEUE_KINDS),
    help="Queue kinds not deployed here.",
)
@connection_options
def doctor_command(skip: tuple[str, ...], settings: Settings) -> None:
    """Check the server, namespace, search attributes and that each queue has a worker."""

    async def go() -> list[tuple[bool, str]]:
        client = await settings.client()
        queues = (
            TaskQueues(**{k: v for k, v in settings.queues.all().items() if k not in skip})
            if skip
            else settings.queues
        )
        lines = await diagnose(client.temporal, queues, settings.namespace)
        return [line for line in lines if not any(f"gennaker-{k}" in line[1] for k in skip)]

    lines = run_async(go())
    for ok, text in lines:
        console.print(("[green]✓[/] " if ok else "[red]✗[/] ") + text, soft_wrap=True)
    exit_now(EXIT_OK if all(ok for ok, _ in lines) else EXIT_NOT_SUCCEEDED)
