"""PATCH flavours: JSON merge patch, strategic merge patch (approximated) and JSON patch.

Strategic merge is approximated without the OpenAPI schema: lists of objects
are merged by the first merge key every item carries (``name``,
``containerPort``, ``port``, ``mountPath``, ``type``, ``ip``), other lists are
replaced; ``$patch: delete`` removes a list item or a map, ``$patch: replace``
replaces a map, and other ``$`` directives are dropped.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch

from emulators.kubernetes.objects import ApiError

__all__ = ["MERGE_KEYS", "apply_patch", "merge_patch", "strategic_merge"]

MERGE_KEYS = ("name", "containerPort", "port", "mountPath", "type", "ip")

_CONTENT_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/json-patch+json": "json",
    "application/apply-patch+yaml": "apply",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: maps merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(items: list[Any]) -> str | None:
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in MERGE_KEYS:
        if all(key in item for item in items):
            return key
    return None


def _strategic_list(target: list[Any], patch: list[Any]) -> list[Any]:
    key = (
        _merge_key([*target, *[p for p in patch if p.get("$patch") != "delete"]])
        if all(isinstance(p, dict) for p in patch)
        else None
    )
    if key is None:
        return [_strip(copy.deepcopy(p)) for p in patch]
    result = [copy.deepcopy(item) for item in target]
    for item in patch:
        index = next((i for i, old in enumerate(result) if old.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append(_strip(copy.deepcopy(item)))
        else:
            result[index] = strategic_merge(result[index], item)
    return result


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def strategic_merge(target: Any, patch: Any) -> Any:
    """A strategic merge patch applied to ``target`` (see the module notes)."""
    if not isinstance(patch, dict):
        return _strip(copy.deepcopy(patch))
    if patch.get("$patch") == "replace":
        return _strip(copy.deepcopy(patch))
    if patch.get("$patch") == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _strategic_list(result[key], value)
        else:
            result[key] = _strip(copy.deepcopy(value))
    return result


def apply_patch(content_type: str, target: dict[str, Any], patch: Any) -> dict[str, Any]:
    """``target`` with ``patch`` applied in the flavour ``content_type`` names.

    ``apply`` (server-side apply) is approximated as: the applied object's labels
    and annotations merge over the live ones, everything else it sets replaces
    the live value; the server keeps status and the fields it manages.

    Raises:
        ApiError: 415 for an unknown content type, 422 for a JSON patch that fails.
    """
    flavour = _CONTENT_TYPES.get(content_type.split(";", maxsplit=1)[0].strip())
    if flavour is None:
        raise ApiError(
            415, "UnsupportedMediaType", f"the media type {content_type!r} is not supported"
        )
    if flavour == "json":
        if not isinstance(patch, list):
            raise ApiError(400, "BadRequest", "a JSON patch must be a list of operations")
        try:
            return dict(jsonpatch.apply_patch(target, patch))
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
            raise ApiError(422, "Invalid", f"the JSON patch could not be applied: {err}") from None
    if not isinstance(patch, dict):
        raise ApiError(400, "BadRequest", "a merge patch must be an object")
    if flavour == "merge":
        return dict(merge_patch(target, patch))
    if flavour == "strategic":
        return dict(strategic_merge(target, patch))
    applied = copy.deepcopy(target)
    meta = applied.setdefault("metadata", {})
    for field in ("labels", "annotations"):
        if field in patch.get("metadata", {}):
            meta[field] = {**meta.get(field, {}), **(patch["metadata"][field] or {})}
    for key, value in patch.items():
        if key not in ("metadata", "status", "apiVersion", "kind"):
            applied[key] = copy.deepcopy(value)
    return applied
