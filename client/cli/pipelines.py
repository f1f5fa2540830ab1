"""``gennaker pipeline ...``: validate, apply, list, show, disable, enable, delete."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.syntax import Syntax
from rich.table import Table

from client.cli.common import (
    EXIT_OK,
    Settings,
    connection_options,
    console,
    exit_now,
    fail,
    print_json,
    run_async,
)
from client.cli.output import pipelines_table
from models.errors import PipelineError
from models.loading import load_pipeline_files
from models.pipeline import Pipeline
from models.registry import PipelineRecord
from workflows.registry import config_text

__all__ = ["pipeline_group"]


@click.group("pipeline")
def pipeline_group() -> None:
    """Saved pipelines (kept in Temporal, versioned)."""


def _load(paths: tuple[Path, ...]) -> list[tuple[Path, Pipeline]]:
    try:
        return load_pipeline_files(paths)
    except PipelineError as err:
        fail(str(err))


@pipeline_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def validate(files: tuple[Path, ...], as_json: bool) -> None:
    """Check pipeline files (JSON or YAML, Spinnaker format) without saving them."""
    loaded = _load(files)
    if as_json:
        print_json(
            [
                {
                    "file": str(path),
                    "application": p.application,
                    "name": p.name,
                    "stages": len(p.stages),
                }
                for path, p in loaded
            ]
        )
    else:
        for path, pipeline in loaded:
            console.print(f"[green]ok[/] {path}: {pipeline.key} ({len(pipeline.stages)} stages)")
    exit_now(EXIT_OK)


@pipeline_group.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--user", default=None, help="Who applies (default: your login).")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def apply(paths: tuple[Path, ...], user: str | None, as_json: bool, settings: Settings) -> None:
    """Save or update pipelines from FILES or DIRs; unchanged ones are no-ops."""
    loaded = _load(paths)
    who = user or getpass.getuser()

    async def go() -> list[dict[str, Any]]:
        client = await settings.client()
        results = []
        for path, pipeline in loaded:
            result = await client.registry.apply(pipeline, who, source=str(path))
            results.append(
                {
                    "file": str(path),
                    "application": pipeline.application,
                    "name": pipeline.name,
                    "changed": result.changed,
                    "created": result.created,
                    "version": result.version,
                }
            )
        return results

    results = run_async(go())
    if as_json:
        print_json(results)
    else:
        for row in results:
            state = "created" if row["created"] else "updated" if row["changed"] else "unchanged"
            console.print(f"{row['application']}/{row['name']}: {state} (v{row['version']})")
    exit_now(EXIT_OK)


@pipeline_group.command("list")
@click.option("--app", "application", default=None)
@click.option("--json", "as_json", is_flag=True)
@connection_options
def list_pipelines(application: str | None, as_json: bool, settings: Settings) -> None:
    """List saved pipelines."""

    async def go() -> list[dict[str, Any]]:
        client = await settings.client()
        rows: list[dict[str, Any]] = await client.registry.list(application)
        return rows

    rows = run_async(go())
    if as_json:
        print_json(rows)
    else:
        console.print(pipelines_table(rows))
    exit_now(EXIT_OK)


@pipeline_group.command("show")
@click.argument("application")
@click.argument("pipeline")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def show(application: str, pipeline: str, as_json: bool, settings: Settings) -> None:
    """Show a saved pipeline's config and its version history."""

    async def go() -> PipelineRecord:
        client = await settings.client()
        found: PipelineRecord = await client.registry.get(application, pipeline)
        return found

    record = run_async(go())
    if as_json:
        print_json(record.model_dump(mode="json", by_alias=True))
        exit_now(EXIT_OK)
    console.print(
        f"[bold]{record.application}/{record.name}[/] v{record.version}"
        + (" [yellow](disabled)[/]" if record.disabled else "")
    )
    console.print(Syntax(config_text(record.pipeline), "json"))
    history = Table(title="versions", title_justify="left")
    for column in ("version", "user", "time", "changed lines"):
        history.add_column(column)
    for version in record.versions:
        lines = sum(
            1
            for line in version.diff.splitlines()
            if line[:1] in "+-" and line[:3] not in ("+++", "---")
        )
        history.add_row(
            f"v{version.version}",
            version.user,
            datetime.fromtimestamp(version.time / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S"),
            str(lines),
        )
    console.print(history)
    exit_now(EXIT_OK)


def _toggle(name: str, disabled: bool) -> click.Command:
    @click.command(name)
    @click.argument("application")
    @click.argument("pipeline")
    @click.option("--user", default=None, help="Who (default: your login).")
    @connection_options
    def command(application: str, pipeline: str, user: str | None, settings: Settings) -> None:
        async def go() -> None:
            client = await settings.client()
            await client.registry.set_disabled(
                application, pipeline, disabled, user=user or getpass.getuser()
            )

        run_async(go())
        console.print(f"{application}/{pipeline}: {name}d")
        exit_now(EXIT_OK)

    command.help = (
        "Disable a pipeline: triggers and manual runs are refused, schedules pause."
        if disabled
        else "Enable a disabled pipeline."
    )
    return command


pipeline_group.add_command(_toggle("disable", True))
pipeline_group.add_command(_toggle("enable", False))


@pipeline_group.command("delete")
@click.argument("application")
@click.argument("pipeline")
@click.option("--user", default=None, help="Who (default: your login).")
@connection_options
def delete(application: str, pipeline: str, user: str | None, settings: Settings) -> None:
    """Delete a saved pipeline and its cron schedules (its executions stay)."""

    async def go() -> None:
        client = await settings.client()
        await client.registry.delete(application, pipeline, user=user or getpass.getuser())

    run_async(go())
    console.print(f"{application}/{pipeline}: deleted")
    exit_now(EXIT_OK)
