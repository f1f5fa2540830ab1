"""Spinnaker's pipeline expression language: a safe, deterministic SpEL subset.

Stage fields may contain ``${...}``; the engine renders them when the stage
starts, against the run's ``execution``, ``trigger``, ``parameters``, upstream
outputs and ``evaluateVariables`` keys (:class:`ExpressionScope`). This package
is pure: no Temporal, no clock, no randomness, no I/O; it runs inside workflow
code and gives the same answer on every replay.

Safety. Text is parsed by a hand-written recursive-descent parser and walked by
an interpreter over JSON-like values; nothing reaches Python's ``eval``,
attributes, imports or builtins. Properties are map keys, methods come from a
fixed allow-list, ``T(...)``, ``new``, ``@bean``, assignment and names starting
with ``__`` are refused. Length, nesting, work (a step budget), built string and
collection sizes, and regular expressions (a linear-time engine) are bounded;
see :class:`Limits`.

Semantics (SpEL as Spinnaker runs it, and where this differs):

- A string that is exactly one ``${...}`` renders to the typed value; mixed
  with text, each value becomes text: booleans ``true``/``false``, reals as Java
  prints them (``1.0``, ``1.0E7``), lists joined by ``,``, maps as ``{a=1}``.
- A failed expression stays in the string as written and is reported as an
  :class:`ExpressionFailure`. An expression that evaluates to null does too
  (Orca reports it as "not found" and keeps the text). Within a mixed string
  the other expressions still render (Orca keeps the whole string on an
  exception).
- A missing map key, by ``a.b`` or ``a['b']``, is null (Spinnaker's map
  accessor allows unknown keys); reading anything of null is an error unless
  written ``?.``, which protects one step only (``a?.b.c``).
- ``+`` with a string operand concatenates and prints null as ``null``.
- ``and``/``or``/``!``/``?:`` accept booleans and the strings ``true``,
  ``false``, ``yes``, ``no``, ``on``, ``off``, ``1``, ``0`` (Spring's
  conversion); ``==`` never converts (``'1' == 1`` is false, ``1 == 1.0``
  is true).
- Elvis ``a ?: b`` gives ``b`` when ``a`` is null or the empty string.
- Integers are 64-bit; overflow and division by zero are errors.
- Statuses are plain strings: ``#stage('Deploy').status == 'SUCCEEDED'`` and
  ``.status.toString() == 'SUCCEEDED'`` both work; stages also answer
  ``hasSucceeded`` and ``hasFailed`` (status ``TERMINAL``), as in Orca.
- ``stageEnabled`` (:func:`evaluate_condition`) must give a boolean or the
  string ``"true"``/``"false"``; anything else is an error.
- ``#this`` and ``#root`` are the only variables; any other ``#name`` without
  parentheses is an error (SpEL would give null). ``#stage``, ``#stageByRefId``
  and ``#judgment`` fail when nothing matches, as Orca's helpers do.
- ``matches`` and ``split`` use Java's regex syntax (a documented subset) on a
  linear-time engine: backreferences and lookaround are refused.
- Dict keys are never evaluated (Orca evaluates them too).
"""

from __future__ import annotations

from workflows.expressions.api import evaluate, evaluate_condition, expression_error
from workflows.expressions.limits import DEFAULT_LIMITS, Limits
from workflows.expressions.scope import ExpressionFailure, ExpressionScope
from workflows.expressions.template import contains_expression, render

__all__ = [
    "DEFAULT_LIMITS",
    "ExpressionFailure",
    "ExpressionScope",
    "Limits",
    "contains_expression",
    "evaluate",
    "evaluate_condition",
    "expression_error",
    "render",
]
