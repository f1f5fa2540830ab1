"""Markdown for the Temporal Web UI: the static summary and details, and live current details."""

from __future__ import annotations

import json
from collections.abc import Iterable

from models.pipeline import Pipeline
from models.status import Status
from workflows.runtime import StageRuntime

__all__ = ["current_details", "static_details", "static_summary"]

_ICONS = {
    Status.NOT_STARTED: "⚪",
    Status.BUFFERED: "⏳",
    Status.RUNNING: "🔵",
    Status.PAUSED: "⏸️",
    Status.SUCCEEDED: "✅",
    Status.FAILED_CONTINUE: "🟠",
    Status.SKIPPED: "⏭️",
    Status.STOPPED: "🟥",
    Status.TERMINAL: "❌",
    Status.CANCELED: "🚫",
}


_MAX_ROWS = 40
_QUIET = frozenset({Status.NOT_STARTED, Status.SUCCEEDED, Status.SKIPPED})


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def static_summary(pipeline: Pipeline, trigger_type: str) -> str:
    """One line: which pipeline, how many stages, what triggered it."""
    return f"{pipeline.application}/{pipeline.name}: {len(pipeline.stages)} stages, {trigger_type} trigger"


def static_details(pipeline: Pipeline) -> str:
    """A Markdown table of the stages as configured."""
    lines = [
        f"### {_cell(pipeline.application)} / {_cell(pipeline.name)}",
        "",
        "| refId | stage | type | after |",
        "|---|---|---|---|",
    ]
    for stage in pipeline.stages:
        after = ", ".join(stage.get("requisiteStageRefIds") or []) or "start"
        lines.append(
            f"| {_cell(str(stage.get('refId')))} | {_cell(str(stage.get('name') or stage.get('type')))} "
            f"| `{_cell(str(stage.get('type')))}` | {_cell(after)} |"
        )
    return "\n".join(lines)


def current_details(status: Status, stages: Iterable[StageRuntime], execution_id: str) -> str:
    """Live Markdown: the execution status, what runs now, and how to approve a waiting judgement."""
    stages = list(stages)
    lines = [f"**{_ICONS.get(status, '')} {status}**", ""]
    shown = stages
    if len(stages) > _MAX_ROWS:
        # A long pipeline: count the quiet stages, list the ones that need eyes.
        counts: dict[str, int] = {}
        for stage in stages:
            counts[stage.status] = counts.get(stage.status, 0) + 1
        lines += [", ".join(f"{n} {s}" for s, n in sorted(counts.items())), ""]
        shown = [s for s in stages if s.status not in _QUIET][:_MAX_ROWS]
    lines += ["| | stage | type | status | note |", "|---|---|---|---|---|"]
    for stage in shown:
        note = stage.details or (stage.error or "")
        lines.append(
            f"| {_ICONS.get(stage.status, '')} | {_cell(stage.spec.name)} ({_cell(stage.ref_id)}) "
            f"| `{_cell(stage.spec.type)}` | {stage.status} | {_cell(note[:200])} |"
        )
    waiting = [s for s in stages if s.context.get("awaitingJudgment")]
    for stage in waiting:
        payload = {"stage": stage.ref_id, "judgmentStatus": "continue", "user": "YOUR_NAME"}
        inputs = stage.raw.get("judgmentInputs") or []
        if inputs:
            payload["judgmentInput"] = str(inputs[0].get("value", ""))
        lines += [
            "",
            f"#### Waiting for judgement: {_cell(stage.spec.name)}",
            "",
            str(stage.raw.get("instructions") or "No instructions given."),
            "",
            "Approve from the UI: *Send a Signal* named `judge` with this JSON "
            '(`"judgmentStatus": "stop"` to stop):',
            "",
            "```json",
            json.dumps(payload),
            "```",
            "",
            f"or from a shell: `gennaker judge {execution_id} {stage.ref_id} --continue`",
        ]
    return "\n".join(lines)
