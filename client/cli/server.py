"""``gennaker up`` (embedded Temporal, Web UI and every worker) and ``gennaker worker``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence
from pathlib import Path

import click
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from client.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_NOT_SUCCEEDED,
    EXIT_OK,
    Settings,
    connection_options,
    console,
    error_line,
    exit_now,
    fail,
    run_async,
)
from client.cli.doctor import doctor_command
from emulators.temporal import DevServer, PortsTaken
from models.config import GennakerConfig, load_config
from models.errors import ConfigError, GennakerError, NotFoundError
from models.run import TaskQueues
from workers.build import QUEUE_KINDS, build_workers

__all__ = ["build_served", "doctor_command", "serve_workers", "up_command", "worker_command"]


def _config(path: str | None) -> GennakerConfig:
    """The worker configuration; a bad file ends the command naming the key path."""
    try:
        return load_config(path)
    except ConfigError as err:
        fail(str(err))


def build_served(
    client: Client, config: GennakerConfig, queues: TaskQueues, kinds: Sequence[str]
) -> tuple[list[Worker], list[str]]:
    """Workers for ``kinds``, and the kinds this install cannot serve.

    ``build_workers`` skips a kind whose provider packages are not installed; building
    one kind at a time tells which ones were skipped so that we can say so.
    """
    workers: list[Worker] = []
    missing: list[str] = []
    for kind in kinds:
        built = build_workers(client, config, queues, kinds=(kind,))
        if built:
            workers.extend(built)
        else:
            missing.append(kind)
    return workers, missing


def _not_served_line(queues: TaskQueues, missing: Sequence[str]) -> str:
    names = ", ".join(queues.all()[kind] for kind in missing)
    return (
        f"[yellow]not served[/] {names}: this install has no worker for them (provider "
        "packages not installed); their stages wait until a worker for the queue runs"
    )


async def serve_workers(workers: Sequence[Worker], stop: asyncio.Event) -> None:
    """Run ``workers`` until ``stop`` is set or one of them fails, then shut all down.

    Raises:
        Exception: The failure of the first worker that failed.
    """
    runs = [asyncio.create_task(worker.run()) for worker in workers]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([*runs, stopper], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for worker in workers:
        # A worker that already failed cannot be shut down again; the others must be.
        with contextlib.suppress(Exception):
            await worker.shutdown()
    failure: BaseException | None = None
    for run in runs:
        try:
            await run
        except Exception as err:  # noqa: BLE001 - every worker must stop; the first failure is raised
            failure = failure or err
    if failure is not None:
        raise failure


def _stop_event() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM (must run inside the event loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


async def _require_namespace(client: Client, settings: Settings) -> None:
    """Refuse a namespace the server does not have, in one line, before any worker starts."""
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=settings.namespace)
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise NotFoundError(
                f"namespace {settings.namespace!r} does not exist on {settings.address}"
            ) from None
        raise


@click.command("worker")
@click.option(
    "--queue",
    "queue",
    type=click.Choice([*QUEUE_KINDS, "all"]),
    required=True,
    help="Which task queue to serve (all: every queue this install has a worker for).",
)
@click.option("--config", "config_path", default=None, help="Worker configuration file.")
@connection_options
def worker_command(queue: str, config_path: str | None, settings: Settings) -> None:
    """Run the worker of one task queue against any Temporal, until Ctrl-C or SIGTERM."""
    config = _config(config_path)

    async def go() -> int:
        stop = _stop_event()
        client = await settings.client()
        await _require_namespace(client.temporal, settings)
        kinds = QUEUE_KINDS if queue == "all" else (queue,)
        workers, missing = build_served(client.temporal, config, settings.queues, kinds)
        if not workers:
            raise GennakerError(
                f"queue {queue!r}: this install has no worker for it "
                "(its provider packages are not installed)"
            )
        if missing:
            console.print(_not_served_line(settings.queues, missing), soft_wrap=True)
        names = ", ".join(w.task_queue for w in workers)
        console.print(f"serving {names} on {settings.address} (namespace {settings.namespace})")
        try:
            await serve_workers(workers, stop)
        except Exception as err:  # noqa: BLE001 - one line for the operator, not a traceback
            error_line(f"worker stopped: {_first_line(err)}")
            return EXIT_NOT_SUCCEEDED
        return EXIT_OK

    code = run_async(go())
    console.print("stopped")
    exit_now(code)


async def _connect(address: str, attempts: int = 40) -> Client:
    """Connect to the server we just started (its port may open before gRPC answers)."""
    for attempt in range(attempts):
        try:
            return await Client.connect(address, data_converter=pydantic_data_converter)
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.25)
    raise AssertionError("unreachable")


async def _serve_all(server: DevServer, config: GennakerConfig, queues: TaskQueues) -> None:
    stop = _stop_event()
    client = await _connect(server.address)
    workers, missing = build_served(client, config, queues, QUEUE_KINDS)
    store = "in memory" if server.db_file is None else f"SQLite {server.db_file}"
    console.print(f"Temporal   {server.address}  ({store})")
    console.print(f"Web UI     [bold link={server.ui_url}]{server.ui_url}[/]")
    console.print(f"workers    {', '.join(w.task_queue for w in workers)}")
    if missing:
        console.print(_not_served_line(queues, missing), soft_wrap=True)
    if server.port != 7233:
        console.print(f"connect    export TEMPORAL_ADDRESS={server.address}")
    console.print("Ctrl-C stops everything.")
    await serve_workers(workers, stop)


@click.command("up")
@click.option("--port", default=7233, show_default=True, help="Temporal gRPC port.")
@click.option("--ui-port", default=8233, show_default=True, help="Web UI port.")
@click.option(
    "--db",
    "db",
    default=None,
    type=click.Path(path_type=Path, dir_okay=False),
    help="SQLite file (default ~/.gennaker/temporal.db).",
)
@click.option("--memory", is_flag=True, help="Keep nothing when stopped.")
@click.option("--config", "config_path", default=None, help="Worker configuration file.")
@click.option("--queue-suffix", envvar="GENNAKER_QUEUE_SUFFIX", default="", hidden=True)
def up_command(
    port: int,
    ui_port: int,
    db: Path | None,
    memory: bool,
    config_path: str | None,
    queue_suffix: str,
) -> None:
    """Run the embedded Temporal server, its Web UI and every worker, until Ctrl-C."""
    if db and memory:
        fail("--db and --memory exclude each other")
    if port == ui_port:
        fail(f"--port and --ui-port are both {port}; they must differ")
    config = _config(config_path)  # a bad file is refused before anything starts
    home = Path.home() / ".gennaker"
    server = DevServer(
        port=port,
        ui_port=ui_port,
        db_file=None if memory else (db.expanduser() if db else home / "temporal.db"),
        log_file=home / "temporal.log",
        die_with_parent=True,
    )
    # Until the event loop takes over, SIGTERM acts like Ctrl-C so that the server we
    # are starting is stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    code = EXIT_OK
    try:
        server.start()
        asyncio.run(_serve_all(server, config, TaskQueues.with_suffix(queue_suffix)))
    except PortsTaken as err:
        error_line(str(err))
        code = EXIT_BAD_INPUT
    except KeyboardInterrupt:
        pass  # stopped while starting: a clean stop all the same
    except Exception as err:  # noqa: BLE001 - one line, and the server is still stopped below
        error_line(f"gennaker up: {_first_line(err)}")
        code = EXIT_NOT_SUCCEEDED
    finally:
        # A second Ctrl-C while stopping must not leave the server behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.stop()
    if code != EXIT_BAD_INPUT:
        console.print("stopped: workers and Temporal server")
    exit_now(code)
