"""``gennaker canary ...``: judge files, report on a canary stage, keep canary configs.

.. code-block:: text

    gennaker canary judge --config CONFIG.json --metrics PAIRS.json [--pass N --marginal N]
    gennaker canary report EXECUTION_ID STAGE -o report.html [--config WORKER.yaml]
    gennaker canary config apply FILE... | list | show ID | delete ID
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml
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
from models.config import load_config
from models.errors import CanaryConfigError, ConfigError

__all__ = ["canary_group"]


@click.group("canary")
def canary_group() -> None:
    """Automated canary analysis: the judge, reports, saved canary configs."""


@canary_group.command("judge")
@click.option(
    "--config", "config_path", required=True, type=click.Path(path_type=Path),
    help="A Kayenta canary config (JSON).",
)  # fmt: skip
@click.option(
    "--metrics", "metrics_path", required=True, type=click.Path(path_type=Path),
    help='Metric set pairs (JSON list of {"name", "tags", "values": {"control", "experiment"}}).',
)  # fmt: skip
@click.option("--pass", "pass_score", type=float, default=None, help="Pass threshold.")
@click.option("--marginal", "marginal_score", type=float, default=None, help="Marginal threshold.")
@click.option("--seed", type=int, default=None, help="Seed of the constant-series noise.")
def judge_command(
    config_path: Path,
    metrics_path: Path,
    pass_score: float | None,
    marginal_score: float | None,
    seed: int | None,
) -> None:
    """Judge metric set pairs as Kayenta's NetflixACAJudge-v1.0; print its JSON.

    Thresholds default to the config's classifier.scoreThresholds. Exits 0 when the
    judge ran, whatever the score; 2 for bad input (naming the file and field).
    """
    from activities.canary.judge import judge_files

    try:
        result = judge_files(config_path, metrics_path, pass_score, marginal_score, seed=seed)
    except CanaryConfigError as err:
        fail(str(err).replace("\n", "; "))
    print_json(result)
    exit_now(EXIT_OK)


@canary_group.command("report")
@click.argument("execution_id")
@click.argument("stage")
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="The HTML file to write."
)
@click.option(
    "--config", "config_path", default=None,
    help="Worker configuration (metrics accounts) used to fetch the series again.",
)  # fmt: skip
@connection_options
def report_command(
    execution_id: str, stage: str, output: Path, config_path: str | None, settings: Settings
) -> None:
    """Write the HTML report of canary STAGE (refId or name) of EXECUTION_ID."""
    try:
        worker_config = load_config(config_path)
    except ConfigError as err:
        fail(str(err))

    async def go() -> str:
        from client.canary import canary_report

        client = await settings.client()
        return await canary_report(client, execution_id, stage, worker_config)

    page = run_async(go())
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as err:
        fail(f"{output}: {err.strerror or err}")
    console.print(f"wrote {output}")
    exit_now(EXIT_OK)


@canary_group.group("config")
def config_group() -> None:
    """Canary configs saved in Temporal (versioned), for canaryConfigId."""


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        fail(f"{path}: cannot read: {err.strerror or err}")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as err:
        fail(f"{path}: not valid JSON: {err.msg} at line {err.lineno} column {err.colno}")
    except yaml.YAMLError as err:
        fail(f"{path}: not valid YAML: {err}")
    items = data if isinstance(data, list) else [data]
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            where = f"[{index}]" if isinstance(data, list) else "(top level)"
            fail(f"{path}: {where}: a canary config must be a mapping")
    return items


@config_group.command("apply")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--user", default=None, help="Who applies (default: your login).")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def apply_command(
    files: tuple[Path, ...], user: str | None, as_json: bool, settings: Settings
) -> None:
    """Save or update canary configs from FILES (JSON or YAML; id, else name, is the key)."""
    loaded = [(path, config) for path in files for config in _read(path)]
    who = user or getpass.getuser()

    async def go() -> list[dict[str, Any]]:
        from client.canary import CanaryConfigs

        client = await settings.client()
        configs = CanaryConfigs(client.temporal, client.queues)
        rows = []
        for path, config in loaded:
            result = await configs.apply(config, user=who, source=str(path))
            rows.append({"file": str(path), **result.model_dump(mode="json", by_alias=True)})
        return rows

    rows = run_async(go())
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            state = "created" if row["created"] else "updated" if row["changed"] else "unchanged"
            console.print(f"{row['id']}: {state} (v{row['version']})")
    exit_now(EXIT_OK)


@config_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def list_command(as_json: bool, settings: Settings) -> None:
    """List saved canary configs."""

    async def go() -> list[dict[str, Any]]:
        from client.canary import CanaryConfigs

        client = await settings.client()
        return await CanaryConfigs(client.temporal, client.queues).list()

    rows = run_async(go())
    if as_json:
        print_json(rows)
        exit_now(EXIT_OK)
    table = Table()
    for column in ("id", "name", "applications", "metrics", "version", "updated by"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.get("id")),
            str(row.get("name") or ""),
            ", ".join(row.get("applications") or []),
            str(row.get("metrics", "")),
            f"v{row.get('version')}",
            str(row.get("updatedBy") or ""),
        )
    console.print(table)
    exit_now(EXIT_OK)


@config_group.command("show")
@click.argument("config_id")
@click.option("--json", "as_json", is_flag=True)
@connection_options
def show_command(config_id: str, as_json: bool, settings: Settings) -> None:
    """Show a saved canary config and its versions."""

    async def go() -> Any:
        from client.canary import CanaryConfigs

        client = await settings.client()
        return await CanaryConfigs(client.temporal, client.queues).get(config_id)

    record = run_async(go())
    if as_json:
        print_json(record.model_dump(mode="json", by_alias=True, exclude={"previous"}))
        exit_now(EXIT_OK)
    console.print(f"[bold]{record.id}[/] v{record.version}")
    console.print(Syntax(json.dumps(record.config, indent=2), "json"))
    history = Table(title="versions", title_justify="left")
    for column in ("version", "user", "time"):
        history.add_column(column)
    for version in record.versions:
        stamp = datetime.fromtimestamp(version.time / 1000, tz=UTC)
        history.add_row(f"v{version.version}", version.user, stamp.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(history)
    exit_now(EXIT_OK)


@config_group.command("delete")
@click.argument("config_id")
@connection_options
def delete_command(config_id: str, settings: Settings) -> None:
    """Delete a saved canary config (stages naming it then fail)."""

    async def go() -> None:
        from client.canary import CanaryConfigs

        client = await settings.client()
        await CanaryConfigs(client.temporal, client.queues).delete(config_id)

    run_async(go())
    console.print(f"{config_id}: deleted")
    exit_now(EXIT_OK)
