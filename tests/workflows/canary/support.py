"""Canary configs, stages and history checks shared by the canary stage tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client

from models.loading import parse_pipeline
from models.pipeline import Pipeline
from tests.conftest import make_pipeline


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def inline_metric(name: str, query: dict[str, Any], **canary: Any) -> dict[str, Any]:
    """A metric config with an inline query."""
    return {
        "name": name,
        "query": {"type": "inline", **query},
        "groups": [canary.pop("group", "main")],
        "analysisConfigurations": {"canary": canary},
    }


def kayenta_config(*metrics: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A Kayenta canary config with ``metrics``."""
    return {
        "name": extra.pop("name", "test-config"),
        "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
        "metrics": list(metrics),
        "templates": extra.pop("templates", {}),
        "classifier": {"groupWeights": extra.pop("groupWeights", {})},
        **extra,
    }


def canary_stage(
    canary_config: dict[str, Any], ref: str = "canary", **fields: Any
) -> dict[str, Any]:
    """A ``kayentaCanary`` stage."""
    return {
        "refId": ref,
        "name": fields.pop("name", "Canary analysis"),
        "type": "kayentaCanary",
        "analysisType": fields.pop("analysisType", "realTime"),
        "canaryConfig": canary_config,
        **fields,
    }


def canary_pipeline(*stages: dict[str, Any]) -> Pipeline:
    return parse_pipeline(make_pipeline(list(stages)))


async def scheduled_activities(client: Client, execution_id: str, name: str) -> int:
    """How many times the run scheduled activity ``name`` (from its history)."""
    count = 0
    async for event in client.get_workflow_handle(execution_id).fetch_history_events():
        scheduled = event.activity_task_scheduled_event_attributes
        if event.HasField("activity_task_scheduled_event_attributes") and (
            scheduled.activity_type.name == name
        ):
            count += 1
    return count
