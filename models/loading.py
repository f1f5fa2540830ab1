"""Loading pipelines from JSON or YAML, with errors that name the file and field path."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pydantic
import yaml

import models.stages  # noqa: F401  (registers the core stage types)
from models.config import problems_from_pydantic
from models.errors import FieldProblem, PipelineError
from models.graph import StageGraph
from models.pipeline import Pipeline
from models.quartz import parse_quartz
from models.stage import STAGE_TYPES, StageConfig

__all__ = [
    "load_pipeline_files",
    "parse_pipeline",
    "parse_pipelines",
    "parse_stage",
    "pipeline_files",
    "read_document",
]

_EXPRESSION_MARK = "${"


def parse_stage(raw: dict[str, Any], path: str = "stage") -> StageConfig:
    """Validate one stage strictly (after its expressions are evaluated).

    Raises:
        PipelineError: Unknown type or a bad field, naming ``path`` and the field.
    """
    stage_type = raw.get("type")
    cls = STAGE_TYPES.get(stage_type) if isinstance(stage_type, str) else None
    if cls is None:
        raise PipelineError(
            [FieldProblem(f"{path}.type", f"unsupported stage type {stage_type!r}")]
        )
    try:
        return cls.model_validate(raw)
    except pydantic.ValidationError as err:
        raise PipelineError(problems_from_pydantic(err, path)) from None


def _strip_expressions(value: Any, path: tuple[Any, ...] = ()) -> tuple[Any, list[tuple[Any, ...]]]:
    """A copy of ``value`` without the strings that hold ``${...}``, and their paths.

    Fields written as expressions get their real value only when the stage starts,
    so load-time validation checks everything else and skips those.
    """
    if isinstance(value, str) and _EXPRESSION_MARK in value:
        return _REMOVED, [path]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        removed: list[tuple[Any, ...]] = []
        for key, item in value.items():
            cleaned, paths = _strip_expressions(item, (*path, key))
            removed.extend(paths)
            if cleaned is not _REMOVED:
                out[key] = cleaned
        return out, removed
    if isinstance(value, list):
        items: list[Any] = []
        removed = []
        for index, item in enumerate(value):
            cleaned, paths = _strip_expressions(item, (*path, index))
            removed.extend(paths)
            # Keep list positions stable so error paths still point at the right item.
            items.append(None if cleaned is _REMOVED else cleaned)
        return items, removed
    return value, []


_REMOVED = object()


def _validate_stage_lenient(raw: dict[str, Any], path: str) -> list[FieldProblem]:
    cls = STAGE_TYPES[raw["type"]]
    cleaned, removed = _strip_expressions(raw)
    try:
        cls.model_validate(cleaned)
    except pydantic.ValidationError as err:
        problems = []
        for item, problem in zip(
            err.errors(include_url=False), problems_from_pydantic(err, path), strict=True
        ):
            loc = tuple(item["loc"])
            if any(loc[: len(r)] == r or r[: len(loc)] == loc for r in removed):
                continue
            problems.append(problem)
        return problems
    return []


def _normalise_stage(raw: dict[str, Any]) -> dict[str, Any]:
    stage = dict(raw)
    ref = stage.get("refId")
    if isinstance(ref, int | float) and not isinstance(ref, bool):
        stage["refId"] = str(ref)
    requisites = stage.get("requisiteStageRefIds")
    if requisites is None:
        stage["requisiteStageRefIds"] = []
    elif isinstance(requisites, list):
        stage["requisiteStageRefIds"] = [
            str(r) if isinstance(r, int | float) and not isinstance(r, bool) else r
            for r in requisites
        ]
    if not stage.get("name") and isinstance(stage.get("type"), str):
        stage["name"] = stage["type"]
    return stage


def parse_pipeline(data: Any, source: str = "pipeline", prefix: str = "") -> Pipeline:
    """Validate one pipeline mapping and its stage graph; list every problem at once.

    Args:
        data: The pipeline as loaded from JSON or YAML.
        source: Where it came from (a file name), named in errors.
        prefix: A path prefix for errors, e.g. ``[2]`` for the third pipeline of a list.

    Raises:
        PipelineError: Naming ``source`` and each field path that is wrong.
    """
    if not isinstance(data, dict):
        raise PipelineError([FieldProblem(prefix, "a pipeline must be a mapping")], source)
    problems: list[FieldProblem] = []
    raw_stages = data.get("stages") or []
    if not isinstance(raw_stages, list):
        raise PipelineError([FieldProblem(_join(prefix, "stages"), "must be a list")], source)
    data = {**data, "stages": []}
    try:
        pipeline = Pipeline.model_validate(data)
    except pydantic.ValidationError as err:
        problems.extend(problems_from_pydantic(err, prefix))
        pipeline = None

    stages: list[dict[str, Any]] = []
    unsupported: dict[str, list[str]] = {}
    for index, raw in enumerate(raw_stages):
        path = _join(prefix, f"stages[{index}]")
        if not isinstance(raw, dict):
            problems.append(FieldProblem(path, "a stage must be a mapping"))
            continue
        stage = _normalise_stage(raw)
        stages.append(stage)
        stage_type = stage.get("type")
        if not isinstance(stage_type, str) or not stage_type:
            problems.append(FieldProblem(f"{path}.type", "every stage needs a type"))
        elif stage_type not in STAGE_TYPES:
            unsupported.setdefault(stage_type, []).append(path)
        else:
            problems.extend(_validate_stage_lenient(stage, path))
        if not isinstance(stage.get("refId"), str) or not stage.get("refId"):
            problems.append(FieldProblem(f"{path}.refId", "every stage needs a refId"))
    if unsupported:
        listed = "; ".join(
            f"{t!r} at {', '.join(paths)}" for t, paths in sorted(unsupported.items())
        )
        problems.append(FieldProblem(_join(prefix, "stages"), f"unsupported stage types: {listed}"))
    problems.extend(_graph_problems(stages, prefix))
    problems.extend(_trigger_problems(data.get("triggers"), prefix))
    if problems:
        raise PipelineError(problems, source)
    assert pipeline is not None
    pipeline.stages = stages
    return pipeline


def _graph_problems(stages: Sequence[dict[str, Any]], prefix: str) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for index, stage in enumerate(stages):
        ref = stage.get("refId")
        if isinstance(ref, str) and ref:
            if ref in seen:
                problems.append(
                    FieldProblem(
                        _join(prefix, f"stages[{index}].refId"),
                        f"duplicate refId {ref!r} (also stages[{seen[ref]}])",
                    )
                )
            else:
                seen[ref] = index
    for index, stage in enumerate(stages):
        requisites = stage.get("requisiteStageRefIds")
        if not isinstance(requisites, list):
            problems.append(
                FieldProblem(
                    _join(prefix, f"stages[{index}].requisiteStageRefIds"), "must be a list"
                )
            )
            continue
        for position, requisite in enumerate(requisites):
            if requisite not in seen:
                problems.append(
                    FieldProblem(
                        _join(prefix, f"stages[{index}].requisiteStageRefIds[{position}]"),
                        f'no stage has refId "{requisite}"',
                    )
                )
    if problems:
        return problems
    graph = StageGraph.build((s["refId"], s["requisiteStageRefIds"]) for s in stages)
    cycle = graph.find_cycle()
    if cycle:
        names = " -> ".join(cycle)
        problems.append(
            FieldProblem(_join(prefix, "stages"), f"requisiteStageRefIds form a cycle: {names}")
        )
    return problems


def _trigger_problems(triggers: Any, prefix: str) -> list[FieldProblem]:
    """Cron expressions must translate to Temporal Schedules; say so at validation time."""
    problems: list[FieldProblem] = []
    if not isinstance(triggers, list):
        return problems
    for index, trigger in enumerate(triggers):
        if not isinstance(trigger, dict) or trigger.get("type") != "cron":
            continue
        path = _join(prefix, f"triggers[{index}].cronExpression")
        expression = trigger.get("cronExpression")
        if not isinstance(expression, str) or not expression.strip():
            problems.append(FieldProblem(path, "a cron trigger needs a cronExpression"))
            continue
        try:
            parse_quartz(expression, hash_key=str(trigger.get("id") or index), path=path)
        except PipelineError as err:
            problems.extend(err.problems)
    return problems


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def read_document(path: Path) -> Any:
    """Read a JSON or YAML file (by extension; YAML also reads JSON).

    Raises:
        PipelineError: The file cannot be read or parsed, naming it.
    """
    try:
        text = path.read_text()
    except OSError as err:
        raise PipelineError(f"cannot read: {err.strerror}", str(path)) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as err:
        raise PipelineError(
            f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}", str(path)
        ) from None
    except yaml.YAMLError as err:
        raise PipelineError(f"not valid YAML: {err}", str(path)) from None


def parse_pipelines(data: Any, source: str) -> list[Pipeline]:
    """One pipeline, or a list of them, from a loaded document."""
    if isinstance(data, list):
        pipelines: list[Pipeline] = []
        problems: list[FieldProblem] = []
        for index, item in enumerate(data):
            try:
                pipelines.append(parse_pipeline(item, source, prefix=f"[{index}]"))
            except PipelineError as err:
                problems.extend(err.problems)
        if problems:
            raise PipelineError(problems, source)
        return pipelines
    return [parse_pipeline(data, source)]


def pipeline_files(paths: Sequence[str | Path]) -> Iterator[Path]:
    """Expand directories into their ``*.json``, ``*.yaml`` and ``*.yml`` files (sorted)."""
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.suffix.lower() in {".json", ".yaml", ".yml"} and child.is_file():
                    yield child
        else:
            yield path


def load_pipeline_files(paths: Sequence[str | Path]) -> list[tuple[Path, Pipeline]]:
    """Load every pipeline in ``paths`` (files or directories); report every bad file.

    Raises:
        PipelineError: One entry per problem, each naming its file and field.
    """
    loaded: list[tuple[Path, Pipeline]] = []
    problems: list[str] = []
    for path in pipeline_files(paths):
        try:
            loaded.extend((path, p) for p in parse_pipelines(read_document(path), str(path)))
        except PipelineError as err:
            problems.append(str(err))
    if problems:
        raise _combined(problems)
    return loaded


def _combined(messages: list[str]) -> PipelineError:
    err = PipelineError([FieldProblem("", m) for m in messages])
    return err
