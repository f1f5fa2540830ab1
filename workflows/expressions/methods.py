"""The methods an expression may call on a value: a fixed allow-list.

Each entry reimplements one Java method over expression values; nothing is
looked up on Python objects, so ``''.__class__`` or ``x.exec('...')`` has no
way in. Every type has ``toString()`` and ``equals(other)``; then:

- string: ``toLowerCase toUpperCase trim contains startsWith endsWith
  equalsIgnoreCase isEmpty length substring indexOf replace split matches
  charAt``
- list: ``size isEmpty contains get``
- map (and stage): ``size isEmpty containsKey get keySet values``
- map entry: ``getKey getValue``
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflows.expressions.errors import SpelError
from workflows.expressions.limits import Budget
from workflows.expressions.regex import compile_regex
from workflows.expressions.values import (
    MapEntry,
    is_list,
    is_number,
    java_string,
    kind_of,
    plain_str,
    spel_equals,
)

__all__ = ["call_method"]

Method = Callable[[Any, list[Any], Budget], Any]


def call_method(target: Any, name: str, args: list[Any], budget: Budget) -> Any:
    """Call the allow-listed method ``name`` of ``target``.

    Raises:
        SpelError: For null targets, unknown methods and bad arguments.
    """
    if target is None:
        raise SpelError(f"cannot call method '{name}()' on null")
    table = _table_for(target)
    entry = table.get(name) or _COMMON.get(name)
    if entry is None:
        allowed = ", ".join(sorted({*table, *_COMMON}))
        raise SpelError(
            f"method '{name}()' is not available on {kind_of(target)} (allowed: {allowed})"
        )
    low, high, method = entry
    if not low <= len(args) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        raise SpelError(f"method '{name}()' takes {expected} argument(s), got {len(args)}")
    result = method(target, args, budget)
    if isinstance(result, str):
        # Pay for what was built, so repeating a method over many elements
        # cannot pile up unbounded memory.
        budget.string(len(result))
    return result


def _table_for(target: Any) -> dict[str, tuple[int, int, Method]]:
    if isinstance(target, str):
        return _STRING
    if isinstance(target, Mapping):
        return _MAP
    if is_list(target):
        return _LIST
    if isinstance(target, MapEntry):
        return _ENTRY
    return {}


def _text_arg(args: list[Any], i: int, method: str) -> str:
    value = args[i]
    if not isinstance(value, str):
        raise SpelError(f"method '{method}()' needs a string argument, got {kind_of(value)}")
    return plain_str(value)


def _int_arg(args: list[Any], i: int, method: str) -> int:
    value = args[i]
    if not (is_number(value) and isinstance(value, int)):
        raise SpelError(f"method '{method}()' needs an integer argument, got {kind_of(value)}")
    return int(value)


def _java_trim(text: str) -> str:
    # Java's trim() strips every character up to and including U+0020.
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _substring(s: str, args: list[Any], budget: Budget) -> str:
    begin = _int_arg(args, 0, "substring")
    end = _int_arg(args, 1, "substring") if len(args) > 1 else len(s)
    if not 0 <= begin <= end <= len(s):
        raise SpelError(
            f"substring({begin}, {end}) is out of range for a string of length {len(s)}"
        )
    return s[begin:end]


def _index_of(s: str, args: list[Any], budget: Budget) -> int:
    needle = _text_arg(args, 0, "indexOf")
    start = _int_arg(args, 1, "indexOf") if len(args) > 1 else 0
    return s.find(needle, max(start, 0))


def _replace(s: str, args: list[Any], budget: Budget) -> str:
    old = _text_arg(args, 0, "replace")
    new = _text_arg(args, 1, "replace")
    # Size the result before building it: "x".replace("", big) multiplies.
    count = s.count(old) if old else len(s) + 1
    budget.string(len(s) + count * (len(new) - len(old)))
    return s.replace(old, new)


def _split(s: str, args: list[Any], budget: Budget) -> list[str]:
    pattern = _text_arg(args, 0, "split")
    limit = _int_arg(args, 1, "split") if len(args) > 1 else 0
    limits = budget.limits
    regex = compile_regex(pattern, limits.max_regex_length, limits.max_regex_program)
    return regex.split(s, limit, budget)


def _matches(s: str, args: list[Any], budget: Budget) -> bool:
    pattern = _text_arg(args, 0, "matches")
    limits = budget.limits
    regex = compile_regex(pattern, limits.max_regex_length, limits.max_regex_program)
    return regex.fullmatch(s, budget)


def _char_at(s: str, args: list[Any], budget: Budget) -> str:
    index = _int_arg(args, 0, "charAt")
    if not 0 <= index < len(s):
        raise SpelError(f"charAt({index}) is out of range for a string of length {len(s)}")
    return s[index]


def _starts_with(s: str, args: list[Any], budget: Budget) -> bool:
    prefix = _text_arg(args, 0, "startsWith")
    offset = _int_arg(args, 1, "startsWith") if len(args) > 1 else 0
    return 0 <= offset <= len(s) and s.startswith(prefix, offset)


def _equals_ignore_case(s: str, args: list[Any], budget: Budget) -> bool:
    other = args[0]
    return isinstance(other, str) and s.lower() == other.lower() and s.upper() == other.upper()


def _list_get(items: Any, args: list[Any], budget: Budget) -> Any:
    index = _int_arg(args, 0, "get")
    if not 0 <= index < len(items):
        raise SpelError(f"get({index}) is out of range for a list of size {len(items)}")
    return items[index]


def _list_contains(items: Any, args: list[Any], budget: Budget) -> bool:
    for item in items:
        budget.charge()
        if spel_equals(item, args[0], budget):
            return True
    return False


def _map_get(mapping: Mapping[Any, Any], args: list[Any], budget: Budget) -> Any:
    try:
        return mapping.get(args[0])
    except TypeError as error:  # an unhashable key, e.g. a list
        raise SpelError(f"a {kind_of(args[0])} cannot be a map key") from error


def _map_contains_key(mapping: Mapping[Any, Any], args: list[Any], budget: Budget) -> bool:
    try:
        return args[0] in mapping
    except TypeError as error:
        raise SpelError(f"a {kind_of(args[0])} cannot be a map key") from error


def _keys(mapping: Mapping[Any, Any], args: list[Any], budget: Budget) -> list[Any]:
    budget.collection(len(mapping))
    return list(mapping.keys())


def _values(mapping: Mapping[Any, Any], args: list[Any], budget: Budget) -> list[Any]:
    budget.collection(len(mapping))
    return list(mapping.values())


_STRING: dict[str, tuple[int, int, Method]] = {
    "toLowerCase": (0, 0, lambda s, a, b: s.lower()),
    "toUpperCase": (0, 0, lambda s, a, b: s.upper()),
    "trim": (0, 0, lambda s, a, b: _java_trim(s)),
    "contains": (1, 1, lambda s, a, b: _text_arg(a, 0, "contains") in s),
    "startsWith": (1, 2, _starts_with),
    "endsWith": (1, 1, lambda s, a, b: s.endswith(_text_arg(a, 0, "endsWith"))),
    "equalsIgnoreCase": (1, 1, _equals_ignore_case),
    "isEmpty": (0, 0, lambda s, a, b: len(s) == 0),
    "length": (0, 0, lambda s, a, b: len(s)),
    "substring": (1, 2, _substring),
    "indexOf": (1, 2, _index_of),
    "replace": (2, 2, _replace),
    "split": (1, 2, _split),
    "matches": (1, 1, _matches),
    "charAt": (1, 1, _char_at),
}
_LIST: dict[str, tuple[int, int, Method]] = {
    "size": (0, 0, lambda v, a, b: len(v)),
    "isEmpty": (0, 0, lambda v, a, b: len(v) == 0),
    "contains": (1, 1, _list_contains),
    "get": (1, 1, _list_get),
}
_MAP: dict[str, tuple[int, int, Method]] = {
    "size": (0, 0, lambda m, a, b: len(m)),
    "isEmpty": (0, 0, lambda m, a, b: len(m) == 0),
    "containsKey": (1, 1, _map_contains_key),
    "get": (1, 1, _map_get),
    "keySet": (0, 0, _keys),
    "values": (0, 0, _values),
}
_ENTRY: dict[str, tuple[int, int, Method]] = {
    "getKey": (0, 0, lambda e, a, b: e.key),
    "getValue": (0, 0, lambda e, a, b: e.value),
}
_COMMON: dict[str, tuple[int, int, Method]] = {
    "toString": (0, 0, lambda v, a, b: java_string(v, b)),
    "equals": (1, 1, lambda v, a, b: spel_equals(v, a[0], b)),
}
