"""Reading a value out of a JSON document by a JSONPath (``$.status``, ``data.items[0].state``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonpath_ng.ext import parse  # type: ignore[attr-defined]

__all__ = ["read_path"]


@lru_cache(maxsize=256)
def _compiled(path: str) -> Any:
    text = path.strip()
    if not text.startswith("$"):
        text = "$." + text
    return parse(text)


def read_path(document: Any, path: str) -> Any:
    """The first value at ``path`` in ``document``.

    Raises:
        KeyError: Nothing is at that path.
        ValueError: The path is not valid JSONPath.
    """
    try:
        expression = _compiled(path)
    except Exception as err:  # noqa: BLE001 - jsonpath-ng raises plain Exception on bad syntax
        raise ValueError(f"invalid JSONPath {path!r}: {err}") from None
    matches = expression.find(document)
    if not matches:
        raise KeyError(f"nothing at {path!r}")
    return matches[0].value
