"""Judging from files, for ``gennaker canary judge --config CONFIG.json --metrics PAIRS.json``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pydantic

from activities.canary.judge.judge import judge
from models.canary import CanaryConfig, ConfiguredScoreThresholds, MetricSetPair, ScoreThresholds
from models.config import problems_from_pydantic
from models.errors import CanaryConfigError, FieldProblem

__all__ = ["judge_files", "load_canary_config", "load_metric_set_pairs"]

_PAIRS = pydantic.TypeAdapter(list[MetricSetPair])


def _read_json(path: str | os.PathLike[str]) -> Any:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise CanaryConfigError(f"cannot read the file: {err.strerror or err}", source) from err
    try:
        # json accepts the bare NaN token that some exporters write, as well as
        # null and "NaN", which the models turn into NaN.
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise CanaryConfigError(
            f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}", source
        ) from err


def load_canary_config(path: str | os.PathLike[str]) -> CanaryConfig:
    """Read and validate a Kayenta canary config file.

    Raises:
        CanaryConfigError: The file cannot be read, is not JSON, or has a wrong
            field; the message names the file and the field path.
    """
    data = _read_json(path)
    try:
        return CanaryConfig.model_validate(data)
    except pydantic.ValidationError as err:
        raise CanaryConfigError(problems_from_pydantic(err), str(path)) from err


def load_metric_set_pairs(path: str | os.PathLike[str]) -> list[MetricSetPair]:
    """Read and validate a JSON list of metric set pairs.

    Raises:
        CanaryConfigError: The file cannot be read, is not JSON, or an entry is
            wrong; the message names the file and the path, e.g. ``[2].values.control``.
    """
    data = _read_json(path)
    try:
        return _PAIRS.validate_python(data)
    except pydantic.ValidationError as err:
        raise CanaryConfigError(problems_from_pydantic(err), str(path)) from err


def _thresholds(
    config: CanaryConfig, source: str, pass_score: float | None, marginal_score: float | None
) -> ScoreThresholds:
    configured = config.classifier.score_thresholds
    if configured is None:
        configured = ConfiguredScoreThresholds()
    values = {
        "pass": configured.pass_ if pass_score is None else pass_score,
        "marginal": configured.marginal if marginal_score is None else marginal_score,
    }
    missing = [
        FieldProblem(
            f"classifier.scoreThresholds.{key}",
            f"no {key} threshold: give --{key} or set classifier.scoreThresholds.{key}",
        )
        for key, value in values.items()
        if value is None
    ]
    if missing:
        raise CanaryConfigError(missing, source)
    try:
        return ScoreThresholds.model_validate(values)
    except pydantic.ValidationError as err:
        raise CanaryConfigError(problems_from_pydantic(err, "thresholds"), source) from err


def judge_files(
    config_path: str | os.PathLike[str],
    metrics_path: str | os.PathLike[str],
    pass_score: float | None = None,
    marginal_score: float | None = None,
    *,
    seed: int | None = None,
) -> dict[str, Any]:
    """Judge the metric set pairs of one file against the canary config of another.

    The thresholds are ``pass_score`` and ``marginal_score`` when given, else the
    config's ``classifier.scoreThresholds`` (a convenience of the CLI: Kayenta's
    judge itself only takes the run's thresholds).

    Args:
        config_path: A Kayenta canary config (JSON).
        metrics_path: A JSON list of ``{"name", "tags", "values": {"control",
            "experiment"}}``; missing points may be ``null`` or ``"NaN"``.
        pass_score: The pass threshold, or None to take the config's.
        marginal_score: The marginal threshold, or None to take the config's.
        seed: See :func:`activities.canary.judge.judge`.

    Returns:
        The judge's ``CanaryJudgeResult`` JSON (see :func:`activities.canary.judge.judge`).

    Raises:
        CanaryConfigError: A file cannot be read or is malformed (naming the file
            and field path), a pair names a metric the config does not have
            (naming the metric), or a threshold is neither given nor in the config.
    """
    config = load_canary_config(config_path)
    pairs = load_metric_set_pairs(metrics_path)

    unknown = [
        FieldProblem(
            f"[{i}].name", f"no metric named {pair.name!r} in the canary config {config_path}"
        )
        for i, pair in enumerate(pairs)
        if config.metric(pair.name) is None
    ]
    if unknown:
        raise CanaryConfigError(unknown, str(metrics_path))

    thresholds = _thresholds(config, str(config_path), pass_score, marginal_score)
    try:
        return judge(config, thresholds, pairs, seed=seed)
    except CanaryConfigError as err:
        raise err.with_source(str(config_path)) from err
