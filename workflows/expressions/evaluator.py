"""Walks a parsed expression over a scope and computes its value.

Name resolution follows SpEL's evaluation context:

- a bare name reads a key of the *active* object: the root (the scope's
  variables) at the top, the current element inside ``.?[...]`` / ``.![...]``;
  a missing key of a map is null (Spinnaker's ``MapPropertyAccessor`` with
  unknown keys allowed), reading anything of null is an error unless ``?.``;
- ``#this`` is the active object, ``#root`` the variables;
- method arguments are evaluated against the scope's root object (the element
  inside a selection), indexes against the root, as Spring does; ``map[name]``
  with a bare name means ``map['name']``.

Every node visit draws one step from the budget; the parser has already bounded
the tree's depth, so recursion here is bounded too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflows.expressions.errors import SpelError
from workflows.expressions.functions import CallContext, call_function
from workflows.expressions.limits import Budget
from workflows.expressions.methods import call_method
from workflows.expressions.nodes import (
    Arithmetic,
    Chain,
    Compare,
    Constant,
    Elvis,
    FunctionCall,
    Index,
    InlineList,
    InlineMap,
    Logical,
    MethodCall,
    Node,
    Power,
    Project,
    Property,
    Select,
    Ternary,
    Unary,
    Variable,
)
from workflows.expressions.operators import arithmetic, compare, negate, power
from workflows.expressions.parser import parse
from workflows.expressions.scope import ExpressionScope
from workflows.expressions.values import (
    MapEntry,
    is_list,
    is_number,
    kind_of,
    to_condition,
)

__all__ = ["Evaluator", "evaluate_text"]


def evaluate_text(text: str, scope: ExpressionScope, budget: Budget) -> Any:
    """Parse (cached) and evaluate one expression; the value may share scope data.

    Raises:
        SpelError: Why the expression cannot be parsed or evaluated.
    """
    limits = budget.limits
    node = parse(text, limits.max_expression_length, limits.max_nesting_depth)
    return Evaluator(scope, budget).run(node)


class Evaluator:
    """Evaluates trees against one scope, drawing on one budget.

    Args:
        scope: Variables, stages and extra functions.
        budget: The work and size budget to charge.
    """

    def __init__(self, scope: ExpressionScope, budget: Budget) -> None:
        self._root: Any = scope.variables
        self._budget = budget
        self._functions = scope.functions
        self._call_context = CallContext(scope.stages, scope.current_stage, budget)

    def run(self, node: Node) -> Any:
        """The value of ``node`` with the root as the active object."""
        return self._eval(node, self._root, self._root)

    def _eval(self, node: Node, active: Any, scope_root: Any) -> Any:
        self._budget.charge()
        try:
            return _HANDLERS[type(node)](self, node, active, scope_root)
        except SpelError as error:
            if error.position is None:
                error.position = node.pos
            raise

    # -- leaves and literals ---------------------------------------------------

    def _constant(self, node: Constant, active: Any, scope_root: Any) -> Any:
        return node.value

    def _variable(self, node: Variable, active: Any, scope_root: Any) -> Any:
        if node.name == "this":
            return active
        if node.name == "root":
            return self._root
        raise SpelError(
            f"unknown variable #{node.name} (only #this and #root exist; "
            "functions need parentheses, e.g. #stage('Deploy'))"
        )

    def _inline_list(self, node: InlineList, active: Any, scope_root: Any) -> Any:
        self._budget.collection(len(node.items))
        return [self._eval(item, active, scope_root) for item in node.items]

    def _inline_map(self, node: InlineMap, active: Any, scope_root: Any) -> Any:
        self._budget.collection(len(node.entries))
        result: dict[Any, Any] = {}
        for key_node, value_node in node.entries:
            # SpEL: a bare name as a key is that name, not a lookup.
            if isinstance(key_node, Property):
                key: Any = key_node.name
            else:
                key = self._eval(key_node, active, scope_root)
            if not (key is None or isinstance(key, (str, bool, int, float))):
                raise SpelError(f"a {kind_of(key)} cannot be a map key")
            result[key] = self._eval(value_node, active, scope_root)
        return result

    # -- navigation --------------------------------------------------------------

    def _head(
        self, node: Property | MethodCall | Index | Select | Project, active: Any, scope_root: Any
    ) -> Any:
        return self._apply(node, active, scope_root)

    def _chain(self, node: Chain, active: Any, scope_root: Any) -> Any:
        value = self._eval(node.head, active, scope_root)
        for step in node.steps:
            # "?." protects only its own step, as in SpEL: a?.b.c still fails
            # on .c when a is null.
            if step.null_safe and value is None:
                continue
            self._budget.charge()
            try:
                value = self._apply(step.node, value, scope_root)
            except SpelError as error:
                if error.position is None:
                    error.position = step.node.pos
                raise
        return value

    def _apply(
        self,
        node: Property | MethodCall | Index | Select | Project,
        target: Any,
        scope_root: Any,
    ) -> Any:
        if isinstance(node, Property):
            return _read_property(target, node.name)
        if isinstance(node, MethodCall):
            args = [self._eval(arg, scope_root, scope_root) for arg in node.args]
            return call_method(target, node.name, args, self._budget)
        if isinstance(node, Index):
            if isinstance(target, Mapping) and isinstance(node.index, Property):
                key: Any = node.index.name
            else:
                key = self._eval(node.index, self._root, scope_root)
            return _read_index(target, key)
        if isinstance(node, Select):
            return self._select(node, target)
        return self._project(node, target)

    def _elements(self, target: Any, what: str) -> list[Any]:
        if isinstance(target, Mapping):
            self._budget.charge(len(target))
            return [MapEntry(key, value) for key, value in target.items()]
        if is_list(target):
            return list(target)
        raise SpelError(f"{what} needs a list or a map, got {kind_of(target)}")

    def _select(self, node: Select, target: Any) -> Any:
        elements = self._elements(target, "selection")
        if node.mode == "last":
            elements.reverse()
        chosen: list[Any] = []
        for element in elements:
            self._budget.charge()
            keep = self._eval(node.criterion, element, element)
            if not isinstance(keep, bool):
                raise SpelError(f"a selection criterion must be true or false, got {kind_of(keep)}")
            if keep:
                chosen.append(element)
                if node.mode != "all":
                    break
        if isinstance(target, Mapping):
            # Selecting from a map gives a map, as SpEL (first/last: one entry).
            if node.mode != "all" and not chosen:
                return None
            return {entry.key: entry.value for entry in chosen}
        if node.mode == "all":
            self._budget.collection(len(chosen))
            return chosen
        return chosen[0] if chosen else None

    def _project(self, node: Project, target: Any) -> Any:
        elements = self._elements(target, "projection")
        self._budget.collection(len(elements))
        result = []
        for element in elements:
            self._budget.charge()
            result.append(self._eval(node.expr, element, element))
        return result

    def _function(self, node: FunctionCall, active: Any, scope_root: Any) -> Any:
        args = [self._eval(arg, active, scope_root) for arg in node.args]
        return call_function(node.name, args, self._call_context, self._functions)

    # -- operators ---------------------------------------------------------------

    def _unary(self, node: Unary, active: Any, scope_root: Any) -> Any:
        value = self._eval(node.operand, active, scope_root)
        for op in reversed(node.ops):
            if op == "!":
                value = not to_condition(value, "'!'")
            elif op == "-":
                value = negate(value)
            elif not is_number(value):
                raise SpelError(f"unary '+' needs a number, got {kind_of(value)}")
        return value

    def _logical(self, node: Logical, active: Any, scope_root: Any) -> Any:
        stop_at = node.op == "or"  # 'or' stops at the first true, 'and' at the first false
        for operand in node.operands:
            if to_condition(self._eval(operand, active, scope_root), f"'{node.op}'") is stop_at:
                return stop_at
        return not stop_at

    def _arithmetic(self, node: Arithmetic, active: Any, scope_root: Any) -> Any:
        value = self._eval(node.first, active, scope_root)
        for op, operand, position in node.rest:
            right = self._eval(operand, active, scope_root)
            try:
                value = arithmetic(op, value, right, self._budget)
            except SpelError as error:
                if error.position is None:
                    error.position = position
                raise
        return value

    def _compare(self, node: Compare, active: Any, scope_root: Any) -> Any:
        left = self._eval(node.left, active, scope_root)
        right = self._eval(node.right, active, scope_root)
        return compare(node.op, left, right, self._budget)

    def _power(self, node: Power, active: Any, scope_root: Any) -> Any:
        base = self._eval(node.base, active, scope_root)
        return power(base, self._eval(node.exponent, active, scope_root))

    def _ternary(self, node: Ternary, active: Any, scope_root: Any) -> Any:
        condition = self._eval(node.condition, active, scope_root)
        branch = node.then if to_condition(condition, "the '?' condition") else node.otherwise
        return self._eval(branch, active, scope_root)

    def _elvis(self, node: Elvis, active: Any, scope_root: Any) -> Any:
        value = self._eval(node.value, active, scope_root)
        # SpEL's Elvis also falls back on the empty string.
        if value is None or (isinstance(value, str) and value == ""):
            return self._eval(node.fallback, active, scope_root)
        return value


def _read_property(target: Any, name: str) -> Any:
    if isinstance(target, Mapping):
        try:
            return target.get(name)
        except TypeError as error:
            raise SpelError(f"cannot read property '{name}' of {kind_of(target)}") from error
    if isinstance(target, MapEntry):
        if name == "key":
            return target.key
        if name == "value":
            return target.value
    if target is None:
        raise SpelError(f"cannot read property '{name}' of null (use '?.' to allow null)")
    hint = " (use [index] or a method such as size())" if is_list(target) else ""
    raise SpelError(f"cannot read property '{name}' of {kind_of(target)}{hint}")


def _read_index(target: Any, key: Any) -> Any:
    if target is None:
        raise SpelError("cannot index into null")
    if isinstance(target, Mapping):
        try:
            return target.get(key)
        except TypeError as error:
            raise SpelError(f"a {kind_of(key)} cannot be a map key") from error
    if is_list(target) or isinstance(target, str):
        index = _as_index(key)
        if not 0 <= index < len(target):
            raise SpelError(
                f"index {index} is out of bounds for a {kind_of(target)} of size {len(target)}"
            )
        return target[index]
    raise SpelError(f"cannot index into {kind_of(target)}")


def _as_index(key: Any) -> int:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    # SpEL converts an index such as '0' to an integer.
    if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) < 19:
        return int(key)
    raise SpelError(f"a list index must be an integer, got {kind_of(key)}")


_HANDLERS: dict[type, Callable[[Evaluator, Any, Any, Any], Any]] = {
    Constant: Evaluator._constant,
    Variable: Evaluator._variable,
    InlineList: Evaluator._inline_list,
    InlineMap: Evaluator._inline_map,
    Property: Evaluator._head,
    MethodCall: Evaluator._head,
    Index: Evaluator._head,
    Select: Evaluator._head,
    Project: Evaluator._head,
    Chain: Evaluator._chain,
    FunctionCall: Evaluator._function,
    Unary: Evaluator._unary,
    Logical: Evaluator._logical,
    Arithmetic: Evaluator._arithmetic,
    Compare: Evaluator._compare,
    Power: Evaluator._power,
    Ternary: Evaluator._ternary,
    Elvis: Evaluator._elvis,
}
