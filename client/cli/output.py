"""Tables people read: stages of a run, executions, saved pipelines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from models.execution import ExecutionView
from models.status import Status

__all__ = ["executions_table", "pipelines_table", "stage_table", "status_text"]

_STYLES = {
    Status.SUCCEEDED: "green",
    Status.RUNNING: "cyan",
    Status.PAUSED: "yellow",
    Status.BUFFERED: "yellow",
    Status.TERMINAL: "bold red",
    Status.STOPPED: "red",
    Status.CANCELED: "magenta",
    Status.FAILED_CONTINUE: "dark_orange",
    Status.SKIPPED: "dim",
    Status.NOT_STARTED: "dim",
}


def status_text(status: str | None) -> Text:
    """A status, coloured."""
    if not status:
        return Text("-")
    try:
        style = _STYLES.get(Status(status), "")
    except ValueError:
        style = ""
    return Text(status, style=style)


def _time(ms: int | None) -> str:
    if not ms:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(start: int | None, end: int | None) -> str:
    if not start:
        return "-"
    stop = end or int(datetime.now(tz=UTC).timestamp() * 1000)
    seconds = max(0, (stop - start) // 1000)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def stage_table(view: ExecutionView) -> Table:
    """The stages of an execution, with status, duration and what went wrong."""
    table = Table(
        title=f"{view.application}/{view.pipeline}  {view.id}",
        caption=f"status {view.status}",
        title_justify="left",
    )
    table.add_column("refId", style="dim")
    table.add_column("stage")
    table.add_column("type", style="dim")
    table.add_column("status")
    table.add_column("took", justify="right")
    table.add_column("note", overflow="fold")
    for stage in view.stages:
        note = stage.error or ""
        if stage.context.get("awaitingJudgment"):
            note = "waiting for judgement: gennaker judge " + f"{view.id} {stage.ref_id} --continue"
        table.add_row(
            stage.ref_id,
            stage.name,
            stage.type,
            status_text(stage.status),
            _duration(stage.start_time, stage.end_time),
            note,
        )
    return table


def executions_table(rows: list[dict[str, Any]]) -> Table:
    """Executions, newest first."""
    table = Table(title="executions", title_justify="left")
    for column in ("id", "status", "trigger", "started", "took"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["id"],
            status_text(row.get("status")),
            str(row.get("trigger") or "-"),
            _time(row.get("startTime")),
            _duration(row.get("startTime"), row.get("endTime")),
        )
    return table


def pipelines_table(rows: list[dict[str, Any]]) -> Table:
    """Saved pipelines."""
    table = Table(title="pipelines", title_justify="left")
    for column in ("application", "name", "version", "stages", "triggers", "state", "updated by"):
        table.add_column(column)
    for row in rows:
        triggers = ", ".join(t.get("type", "?") for t in row.get("triggers") or []) or "-"
        table.add_row(
            str(row.get("application")),
            str(row.get("name")),
            f"v{row.get('version')}",
            str(row.get("stages")),
            triggers,
            Text("disabled", style="yellow")
            if row.get("disabled")
            else Text("enabled", style="green"),
            str(row.get("updatedBy") or "-"),
        )
    return table
