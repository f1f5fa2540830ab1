"""Commands about executions: run, status, executions list, judge, pause, resume, cancel."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import click
from rich.live import Live

from client.cli.common import (
    EXIT_NOT_SUCCEEDED,
    EXIT_OK,
    Settings,
    connection_options,
    console,
    exit_now,
    fail,
    print_json,
    run_async,
)
from client.cli.output import executions_table, stage_table
from models.errors import PipelineError
from models.loading import parse_pipelines, read_document
from models.status import Status

__all__ = ["register"]


def _user(user: str | None) -> str:
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "anonymous"


def _parameters(pairs: tuple[str, ...]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"-p {pair!r}: expected KEY=VALUE")
        parameters[key] = value
    return parameters


async def _follow(client: Any, execution_id: str, as_json: bool) -> int:
    final = None
    if as_json:
        final = await client.wait(execution_id)
    else:
        with Live(console=console, refresh_per_second=4, transient=False) as live:
            async for view in client.follow(execution_id):
                live.update(stage_table(view))
                final = view
    assert final is not None
    if as_json:
        print_json(final.public())
    return EXIT_OK if final.status == Status.SUCCEEDED else EXIT_NOT_SUCCEEDED


@click.command("run")
@click.argument("application", required=False)
@click.argument("pipeline", required=False)
@click.option(
    "-f", "--file", "file", type=click.Path(path_type=Path), help="Run an unsaved pipeline file."
)
@click.option("-p", "--param", "params", multiple=True, help="Parameter KEY=VALUE (repeatable).")
@click.option("--follow", is_flag=True, help="Show live progress until the run ends.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--user", default=None, help="Who starts the run (default: your login).")
@connection_options
def run_command(
    application: str | None,
    pipeline: str | None,
    file: Path | None,
    params: tuple[str, ...],
    follow: bool,
    as_json: bool,
    user: str | None,
    settings: Settings,
) -> None:
    """Start a run of APPLICATION PIPELINE (saved) or of -f FILE (unsaved)."""
    if file is None and not (application and pipeline):
        fail("give APPLICATION PIPELINE of a saved pipeline, or -f FILE")
    target: Any
    if file is not None:
        try:
            pipelines = parse_pipelines(read_document(file), str(file))
        except PipelineError as err:
            fail(str(err))
        if len(pipelines) != 1:
            fail(f"{file}: holds {len(pipelines)} pipelines; run one file per pipeline")
        target = pipelines[0]
    else:
        target = (application, pipeline)

    async def go() -> int:
        client = await settings.client()
        execution_id = await client.run(target, _parameters(params), user=_user(user))
        if follow:
            return await _follow(client, execution_id, as_json)
        if as_json:
            print_json({"id": execution_id, "status": "RUNNING"})
        else:
            console.print(f"started [bold]{execution_id}[/]")
        return EXIT_OK

    exit_now(run_async(go()))


@click.command("status")
@click.argument("execution_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@connection_options
def status_command(execution_id: str, as_json: bool, settings: Settings) -> None:
    """Show one execution and its stages."""

    async def go() -> None:
        client = await settings.client()
        view = await client.status(execution_id)
        if as_json:
            print_json(view.public())
        else:
            console.print(stage_table(view))

    run_async(go())
    exit_now(EXIT_OK)


@click.group("executions")
def executions_group() -> None:
    """Executions across pipelines."""


@executions_group.command("list")
@click.option("--app", "application", default=None, help="Only this application.")
@click.option("--pipeline", default=None, help="Only this pipeline (name).")
@click.option("--status", default=None, help="Only this status (RUNNING, TERMINAL, ...).")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@connection_options
def executions_list(
    application: str | None,
    pipeline: str | None,
    status: str | None,
    limit: int,
    as_json: bool,
    settings: Settings,
) -> None:
    """List recent executions, newest first."""
    if status and status.upper() not in Status.__members__:
        fail(f"--status {status!r}: not one of {', '.join(Status.__members__)}")

    async def go() -> None:
        client = await settings.client()
        rows = await client.list_executions(application, pipeline, status, limit)
        if as_json:
            print_json(rows)
        else:
            console.print(executions_table(rows))

    run_async(go())
    exit_now(EXIT_OK)


@click.command("judge")
@click.argument("execution_id")
@click.argument("stage")
@click.option("--continue", "decision", flag_value="continue", help="Let the pipeline continue.")
@click.option("--stop", "decision", flag_value="stop", help="Stop the pipeline here.")
@click.option("--input", "judgment_input", default=None, help="One of the stage's judgment inputs.")
@click.option("--user", default=None, help="Who judges (default: your login).")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def judge_command(
    execution_id: str,
    stage: str,
    decision: str | None,
    judgment_input: str | None,
    user: str | None,
    as_json: bool,
    settings: Settings,
) -> None:
    """Continue or stop a manual judgement STAGE (refId or name)."""
    if decision is None:
        fail("say --continue or --stop")

    async def go() -> None:
        client = await settings.client()
        result = await client.judge(
            execution_id, stage, decision, judgment_input=judgment_input, user=_user(user)
        )
        if as_json:
            print_json(result)
        else:
            console.print(f"stage {result['name']} ({result['refId']}): judged {decision}")

    run_async(go())
    exit_now(EXIT_OK)


def _action(name: str, doc: str) -> click.Command:
    @click.command(name)
    @click.argument("execution_id")
    @click.option("--reason", default=None, help="Why (recorded on the execution).")
    @click.option("--user", default=None, help="Who (default: your login).")
    @click.option("--json", "as_json", is_flag=True)
    @connection_options
    def command(
        execution_id: str, reason: str | None, user: str | None, as_json: bool, settings: Settings
    ) -> None:
        async def go() -> None:
            client = await settings.client()
            result = await getattr(client, name)(execution_id, user=_user(user), reason=reason)
            if as_json:
                print_json(result)
            else:
                console.print(f"{execution_id}: {name} requested")

        run_async(go())
        exit_now(EXIT_OK)

    command.help = doc
    return command


@click.command("restart")
@click.argument("execution_id")
@click.argument("stage")
@click.option("--user", default=None)
@click.option("--json", "as_json", is_flag=True)
@connection_options
def restart_command(
    execution_id: str, stage: str, user: str | None, as_json: bool, settings: Settings
) -> None:
    """Run a completed STAGE and everything after it again."""

    async def go() -> None:
        client = await settings.client()
        view = await client.restart_stage(execution_id, stage, user=_user(user))
        if as_json:
            print_json(view.public())
        else:
            console.print(f"{execution_id}: stage {stage} restarted")

    run_async(go())
    exit_now(EXIT_OK)


@click.command("skip-wait")
@click.argument("execution_id")
@click.argument("stage")
@click.option("--user", default=None)
@connection_options
def skip_wait_command(execution_id: str, stage: str, user: str | None, settings: Settings) -> None:
    """End a wait or an execution window of STAGE now."""

    async def go() -> None:
        client = await settings.client()
        await client.skip_wait(execution_id, stage, user=_user(user))
        console.print(f"{execution_id}: stage {stage} no longer waits")

    run_async(go())
    exit_now(EXIT_OK)


def register(root: click.Group) -> None:
    """Add the execution commands to ``root``."""
    for command in (
        run_command,
        status_command,
        executions_group,
        judge_command,
        _action("pause", "Pause a running execution (its slot stays held)."),
        _action("resume", "Resume a paused execution."),
        _action("cancel", "Cancel an execution; running stages clean up."),
        restart_command,
        skip_wait_command,
    ):
        root.add_command(command)
