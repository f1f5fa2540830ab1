"""A shared scope for expression tests: a small run with realistic stage views."""

from __future__ import annotations

from typing import Any

from workflows.expressions import ExpressionScope


def make_stages() -> list[dict[str, Any]]:
    return [
        {
            "refId": "1",
            "name": "Bake",
            "type": "bake",
            "status": "SUCCEEDED",
            "context": {"judgmentInput": "not a judgment", "amiName": "ami-123"},
            "outputs": {"imageId": "ami-123"},
        },
        {
            "refId": "2",
            "name": "Approve",
            "type": "manualJudgment",
            "status": "SUCCEEDED",
            "context": {"judgmentStatus": "continue", "judgmentInput": "ship it"},
            "outputs": {},
        },
        {
            "refId": "3",
            "name": "Deploy",
            "type": "deploy",
            "status": "TERMINAL",
            "context": {"account": "prod", "replicas": 3},
            "outputs": {"serverGroups": ["app-v001", "app-v002"]},
        },
    ]


def make_scope(**overrides: Any) -> ExpressionScope:
    stages = make_stages()
    variables: dict[str, Any] = {
        "execution": {"id": "01HX", "application": "app", "stages": stages},
        "trigger": {
            "type": "manual",
            "user": "alice",
            "parameters": {"env": "prod", "count": "3", "enabled": "true", "empty": ""},
            "buildInfo": {"number": 42, "url": "https://ci/job/42"},
        },
        "parameters": {"env": "prod", "count": "3", "enabled": "true"},
        "imageId": "ami-123",
        "numbers": [5, 1, 4, 2, 3],
        "ratio": 0.5,
        "nothing": None,
        "flags": {"a": True, "b": False},
    }
    fields: dict[str, Any] = {
        "variables": variables,
        "stages": stages,
        "current_stage": stages[2],
    }
    fields.update(overrides)
    return ExpressionScope(**fields)
