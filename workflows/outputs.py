"""Keeping stage outputs small, so long pipelines keep a small history (pure)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MAX_OUTPUT_BYTES", "cap_outputs", "fit_view", "json_size"]

MAX_OUTPUT_BYTES = 32 * 1024
"""A stage's outputs above this size are summarised."""

_MAX_VALUE_BYTES = 4 * 1024


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON (non-JSON values count by their ``str``)."""
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


def cap_outputs(outputs: dict[str, Any], limit: int = MAX_OUTPUT_BYTES) -> dict[str, Any]:
    """``outputs`` unchanged when small; else the biggest values replaced by summaries.

    A summary keeps the key and says what was there (type, size, a preview), so
    expressions that only test presence still work and people see what happened.
    """
    if json_size(outputs) <= limit:
        return outputs
    capped = dict(outputs)
    for key in sorted(capped, key=lambda k: json_size(capped[k]), reverse=True):
        if json_size(capped) <= limit:
            break
        capped[key] = _summary(capped[key])
    if json_size(capped) > limit:
        # Very many small keys: keep a listing only.
        keys = list(outputs)
        return {"truncated": True, "keys": keys[:200], "bytes": json_size(outputs)}
    capped["truncated"] = True
    return capped


def _summary(value: Any) -> dict[str, Any]:
    text = json.dumps(value, separators=(",", ":"), default=str)
    return {
        "truncated": True,
        "type": type(value).__name__,
        "bytes": len(text.encode()),
        "preview": text[: _MAX_VALUE_BYTES // 8],
    }


def fit_view(view: dict[str, Any], budget: int) -> dict[str, Any]:
    """``view`` (an execution view as JSON) made to fit in ``budget`` bytes.

    Query answers and workflow results travel in one gRPC message, so a very
    large execution (hundreds of stages with big outputs) is summarised: each
    stage's outputs and context are capped to an equal share, then, if that is
    not enough, contexts are dropped. ``view["truncated"]`` says it happened.
    """
    if json_size(view) <= budget:
        return view
    stages = view.get("stages") or []
    share = max(512, budget // (2 * max(1, len(stages))))
    fitted = dict(view)
    fitted["truncated"] = True
    fitted["stages"] = [
        {
            **stage,
            "outputs": cap_outputs(stage.get("outputs") or {}, share),
            "context": cap_outputs(stage.get("context") or {}, share),
        }
        for stage in stages
    ]
    if json_size(fitted) > budget:
        fitted["stages"] = [{**stage, "context": {}} for stage in fitted["stages"]]
    return fitted
