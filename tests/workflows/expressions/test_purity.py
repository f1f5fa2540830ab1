"""The package is pure: no Temporal, no eval, deterministic, no shared state."""

from __future__ import annotations

import ast
import contextlib
import subprocess
import sys
from pathlib import Path

from models.errors import ExpressionError
from workflows.expressions import evaluate, render

from .conftest import make_scope

PACKAGE = Path(__file__).resolve().parents[3] / "workflows" / "expressions"
# Builtins that run or reach into code; called as bare names.
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__", "getattr", "setattr", "vars", "open"}
FORBIDDEN_METHODS = {"literal_eval", "system", "popen", "import_module"}
FORBIDDEN_MODULES = {"os", "subprocess", "random", "time", "datetime", "socket", "importlib"}


def test_the_package_never_imports_temporalio() -> None:
    code = (
        "import sys, workflows.expressions; "
        "sys.exit(1 if any(m.split('.')[0] == 'temporalio' for m in sys.modules) else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PACKAGE.parents[1], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_source_has_no_dynamic_evaluation_introspection_or_io() -> None:
    offences = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTINS:
                    offences.append(f"{path.name}:{node.lineno} calls {func.id}")
                if isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_METHODS:
                    offences.append(f"{path.name}:{node.lineno} calls {func.attr}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                for module in modules:
                    if module.split(".")[0] in FORBIDDEN_MODULES:
                        offences.append(f"{path.name}:{node.lineno} imports {module}")
    assert offences == []


def test_the_same_input_gives_the_same_output_every_time() -> None:
    context = {
        "a": "${execution.stages.![name]}",
        "b": "${#toJson(trigger)}-${flags.keySet()}",
        "c": "${'a1b2'.split('[0-9]')}",
    }
    first = render(context, make_scope())
    for _ in range(5):
        assert render(context, make_scope()) == first


def test_a_failed_evaluation_leaves_nothing_behind_for_the_next() -> None:
    scope = make_scope()
    for _ in range(3):
        with contextlib.suppress(ExpressionError):
            evaluate("numbers.![#root.numbers.![1 / 0]]", scope)
    assert evaluate("numbers.size()", scope) == 5
