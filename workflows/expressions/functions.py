"""The ``#name(...)`` helpers Spinnaker pipelines use, and providers' additions.

Built-in helpers follow Orca's ``ExpressionsSupport`` and kork's helper
functions: a missing stage is an error (not null), ``#judgment`` reads the
``judgmentInput`` of the first ``manualJudgment`` stage with that name,
``#toBoolean`` is Java's ``Boolean.valueOf`` (only ``"true"``, any case, is
true), ``#toInt``/``#toFloat`` parse strings as Java's ``valueOf`` does.
Arguments a helper expects as strings may be numbers or booleans, which are
converted as SpEL's type converter would (``#stageByRefId(1)`` finds ``"1"``).

Extra functions from :attr:`ExpressionScope.functions` receive plain copies of
their arguments and must return plain JSON-like data. They cannot replace a
built-in helper, so ``#stage`` means the same in every pipeline.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from models.errors import ExpressionError
from workflows.expressions.errors import SpelError
from workflows.expressions.limits import Budget
from workflows.expressions.values import (
    StageView,
    format_double,
    is_number,
    kind_of,
    plain_str,
    to_plain,
)

__all__ = ["BUILTIN_FUNCTIONS", "CallContext", "call_function"]


@dataclass(frozen=True)
class CallContext:
    """What helpers may read: the run's stages, the current stage, the budget."""

    stages: Sequence[Mapping[str, Any]]
    current_stage: Mapping[str, Any] | None
    budget: Budget


Helper = Callable[[CallContext, list[Any]], Any]

# Java's Integer.valueOf and Float.valueOf grammars (our own fixed patterns,
# applied to bounded input, so Python's re is safe here).
_JAVA_INT = re.compile(r"[+-]?[0-9]+")
_JAVA_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?")
_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1
_MAX_INT_TEXT = 25


def call_function(
    name: str,
    args: list[Any],
    context: CallContext,
    extra: Mapping[str, Callable[..., Any]],
) -> Any:
    """Call helper ``#name`` with evaluated ``args``.

    Raises:
        SpelError: For unknown helpers, wrong arguments and helper failures.
    """
    builtin = BUILTIN_FUNCTIONS.get(name)
    if builtin is not None:
        low, high, helper = builtin
        if not low <= len(args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise SpelError(f"#{name}() takes {expected} argument(s), got {len(args)}")
        return helper(context, args)
    function = extra.get(name)
    if function is None:
        known = ", ".join(f"#{n}" for n in sorted({*BUILTIN_FUNCTIONS, *extra}))
        raise SpelError(f"unknown function #{name}() (known: {known})")
    plain_args = [to_plain(arg, context.budget) for arg in args]
    try:
        result = function(*plain_args)
    except ExpressionError as error:
        raise SpelError(f"#{name}() failed: {error}") from error
    except SpelError:
        raise
    except Exception as error:
        # A provider's helper is outside this package's control; its failure
        # must become an expression failure, never crash the workflow task.
        raise SpelError(f"#{name}() failed: {type(error).__name__}: {error}") from error
    return to_plain(result, context.budget)


def _text(value: Any, function: str) -> str:
    """A string argument, converted from a number or boolean as SpEL would."""
    if isinstance(value, str):
        return plain_str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    raise SpelError(f"#{function}() needs a string argument, got {kind_of(value)}")


def _stages_matching(
    context: CallContext, predicate: Callable[[Mapping[str, Any]], bool]
) -> Mapping[str, Any] | None:
    for stage in context.stages:
        context.budget.charge()
        if predicate(stage):
            return StageView(stage)
    return None


def _field(stage: Mapping[str, Any], key: str) -> Any:
    value = stage.get(key)
    return plain_str(value) if isinstance(value, str) else value


def _stage(context: CallContext, args: list[Any]) -> Any:
    name = _text(args[0], "stage")
    found = _stages_matching(context, lambda s: _field(s, "name") == name)
    if found is None:
        raise SpelError(f"#stage({name!r}): no stage has that name (names are case-sensitive)")
    return found


def _stage_by_ref_id(context: CallContext, args: list[Any]) -> Any:
    ref_id = _text(args[0], "stageByRefId")
    found = _stages_matching(context, lambda s: str(_field(s, "refId")) == ref_id)
    if found is None:
        raise SpelError(f"#stageByRefId({ref_id!r}): no stage has that refId")
    return found


def _stage_exists(context: CallContext, args: list[Any]) -> bool:
    key = _text(args[0], "stageExists")
    return (
        _stages_matching(
            context,
            lambda s: key in (_field(s, "name"), str(_field(s, "refId")), _field(s, "id")),
        )
        is not None
    )


def _judgment(context: CallContext, args: list[Any]) -> Any:
    name = _text(args[0], "judgment")

    def is_judged(stage: Mapping[str, Any]) -> bool:
        stage_context = stage.get("context")
        return (
            _field(stage, "name") == name
            and _field(stage, "type") == "manualJudgment"
            and isinstance(stage_context, Mapping)
            and stage_context.get("judgmentInput") is not None
        )

    found = _stages_matching(context, is_judged)
    if found is None:
        raise SpelError(
            f"#judgment({name!r}): no manualJudgment stage with that name has a judgment input"
        )
    return found["context"]["judgmentInput"]


def _current_stage(context: CallContext, args: list[Any]) -> Any:
    if context.current_stage is None:
        raise SpelError("#currentStage() is not available here: no stage is running")
    return StageView(context.current_stage)


def _to_int(context: CallContext, args: list[Any]) -> int:
    value = args[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value, "toInt")
    if len(text) > _MAX_INT_TEXT or not _JAVA_INT.fullmatch(text):
        raise SpelError(f"#toInt(): {text[:40]!r} is not an integer")
    number = int(text)
    if not _INT_MIN <= number <= _INT_MAX:
        raise SpelError(f"#toInt(): {text!r} does not fit in 64 bits")
    return number


def _to_float(context: CallContext, args: list[Any]) -> float:
    value = args[0]
    if is_number(value):
        return float(value)
    # Java's Float.valueOf ignores surrounding whitespace and control characters.
    text = _text(value, "toFloat").strip("".join(chr(c) for c in range(33)))
    if len(text) > 400 or not _JAVA_FLOAT.fullmatch(text):
        raise SpelError(f"#toFloat(): {text[:40]!r} is not a number")
    number = float(text.rstrip("fFdD"))
    if number in (float("inf"), float("-inf")):
        raise SpelError(f"#toFloat(): {text[:40]!r} is out of range")
    return number


def _to_boolean(context: CallContext, args: list[Any]) -> bool:
    value = args[0]
    if value is None:
        return False
    return _text(value, "toBoolean").lower() == "true"


def _to_json(context: CallContext, args: list[Any]) -> str:
    plain = to_plain(args[0], context.budget)
    try:
        # Jackson's compact form, with non-ASCII characters kept as they are.
        text = json.dumps(plain, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise SpelError(f"#toJson(): {error}") from error
    context.budget.string(len(text))
    return text


def _read_json(context: CallContext, args: list[Any]) -> Any:
    text = args[0]
    if not isinstance(text, str):
        raise SpelError(f"#readJson() needs a string, got {kind_of(text)}")
    budget = context.budget
    budget.string(len(text))
    _check_json_depth(text, budget.limits.max_value_depth)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        raise SpelError(f"#readJson(): not valid JSON: {error}") from error


def _check_json_depth(text: str, limit: int) -> None:
    # json.loads recurses per nesting level; refuse deep input before it can
    # exhaust the interpreter's stack.
    depth = 0
    in_string = False
    escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                raise SpelError(f"#readJson(): JSON is nested more than {limit} levels deep")
        elif ch in "]}":
            depth -= 1


def _refuse_constant(name: str) -> Any:
    raise SpelError(f"#readJson(): {name} is not a JSON number")


def _alphanumerical(context: CallContext, args: list[Any]) -> str:
    text = _text(_not_null(args[0], "alphanumerical"), "alphanumerical")
    return "".join(c for c in text if c.isascii() and c.isalnum())


def _to_base64(context: CallContext, args: list[Any]) -> str:
    text = _text(_not_null(args[0], "toBase64"), "toBase64")
    context.budget.string(len(text) * 2)
    return base64.b64encode(text.encode("utf-8", "replace")).decode("ascii")


def _from_base64(context: CallContext, args: list[Any]) -> str:
    text = _text(_not_null(args[0], "fromBase64"), "fromBase64")
    # Java's basic decoder accepts missing padding but no other characters.
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SpelError(f"#fromBase64(): not valid Base64: {error}") from error
    return raw.decode("utf-8", "replace")


def _not_null(value: Any, function: str) -> Any:
    if value is None:
        raise SpelError(f"#{function}() needs a value, got null")
    return value


BUILTIN_FUNCTIONS: dict[str, tuple[int, int, Helper]] = {
    "stage": (1, 1, _stage),
    "stageByRefId": (1, 1, _stage_by_ref_id),
    "stageExists": (1, 1, _stage_exists),
    "judgment": (1, 1, _judgment),
    "judgement": (1, 1, _judgment),
    "currentStage": (0, 0, _current_stage),
    "toInt": (1, 1, _to_int),
    "toFloat": (1, 1, _to_float),
    "toBoolean": (1, 1, _to_boolean),
    "toJson": (1, 1, _to_json),
    "readJson": (1, 1, _read_json),
    "alphanumerical": (1, 1, _alphanumerical),
    "toBase64": (1, 1, _to_base64),
    "fromBase64": (1, 1, _from_base64),
}
