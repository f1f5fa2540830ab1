"""Judging from files, as ``gennaker canary judge`` will (thresholds, clear errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from activities.canary.judge import judge_files
from models.errors import CanaryConfigError, ValidationError

CONFIG: dict[str, Any] = {
    "name": "golden-signals",
    "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
    "metrics": [
        {
            "name": "errors",
            "query": {"type": "prometheus"},
            "groups": ["e"],
            "analysisConfigurations": {"canary": {"direction": "increase"}},
        },
        {
            "name": "latency",
            "query": {"type": "prometheus"},
            "groups": ["l"],
            "analysisConfigurations": {"canary": {}},
        },
    ],
    "classifier": {
        "groupWeights": {"e": 50, "l": 50},
        "scoreThresholds": {"pass": 95, "marginal": 75},
    },
}
PAIRS: list[dict[str, Any]] = [
    {
        "name": "errors",
        "tags": {},
        "values": {"control": [1.0, 2.0, 3.0, 4.0], "experiment": [1.0, None, 3.0, "NaN", 2.0]},
    },
    {
        "name": "latency",
        "tags": {"q": "p99"},
        "values": {"control": [10.0, 11.0, 12.0], "experiment": [10.5, 11.5, 12.5]},
    },
]


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path, "config.json", CONFIG), write(tmp_path, "pairs.json", PAIRS)


def test_thresholds_default_to_the_configs_score_thresholds(files: tuple[Path, Path]) -> None:
    result = judge_files(*files)
    assert result["score"] == {"score": 100.0, "classification": "Pass", "classificationReason": ""}


def test_flags_override_the_configs_thresholds(files: tuple[Path, Path]) -> None:
    assert (
        judge_files(*files, pass_score=100.5, marginal_score=100.1)["score"]["classification"]
        == "Fail"
    )
    assert judge_files(*files, pass_score=101)["score"]["classification"] == "Marginal"


def test_null_and_nan_strings_are_missing_points(files: tuple[Path, Path]) -> None:
    result = judge_files(*files)
    assert result["results"][0]["experimentMetadata"]["stats"]["count"] == 3


def test_missing_threshold_names_the_config_field_and_the_flag(tmp_path: Path) -> None:
    config = {**CONFIG, "classifier": {"scoreThresholds": {"pass": 95}}}
    paths = write(tmp_path, "config.json", config), write(tmp_path, "pairs.json", PAIRS)
    with pytest.raises(CanaryConfigError) as err:
        judge_files(*paths)
    message = str(err.value)
    assert "config.json: classifier.scoreThresholds.marginal" in message and "--marginal" in message
    assert [p.path for p in err.value.problems] == ["classifier.scoreThresholds.marginal"]
    assert judge_files(*paths, marginal_score=50)["score"]["classification"] == "Pass"


def test_no_thresholds_at_all_names_both(tmp_path: Path) -> None:
    config = {key: value for key, value in CONFIG.items() if key != "classifier"}
    paths = write(tmp_path, "config.json", config), write(tmp_path, "pairs.json", PAIRS)
    with pytest.raises(CanaryConfigError) as err:
        judge_files(*paths)
    assert [p.path for p in err.value.problems] == [
        "classifier.scoreThresholds.pass",
        "classifier.scoreThresholds.marginal",
    ]


def test_metric_without_config_is_named_with_the_pairs_file(tmp_path: Path) -> None:
    pairs = [*PAIRS, {"name": "disk", "values": {"control": [1.0], "experiment": [1.0]}}]
    paths = write(tmp_path, "config.json", CONFIG), write(tmp_path, "pairs.json", pairs)
    with pytest.raises(
        CanaryConfigError, match=r"pairs\.json: \[2\]\.name: no metric named 'disk'"
    ):
        judge_files(*paths)


def test_malformed_json_names_the_file_and_position(tmp_path: Path) -> None:
    paths = write(tmp_path, "config.json", '{"metrics": [}'), write(tmp_path, "pairs.json", PAIRS)
    with pytest.raises(
        CanaryConfigError, match=r"config\.json: not valid JSON: .* line 1, column 14"
    ):
        judge_files(*paths)


def test_wrong_config_field_names_its_path(tmp_path: Path) -> None:
    config = json.loads(json.dumps(CONFIG))
    config["metrics"][1]["analysisConfigurations"]["canary"]["critical"] = "yes"
    paths = write(tmp_path, "config.json", config), write(tmp_path, "pairs.json", PAIRS)
    with pytest.raises(
        CanaryConfigError,
        match=r"config\.json: metrics\[1\]\.analysisConfigurations\.canary\.critical: ",
    ):
        judge_files(*paths)


def test_wrong_pairs_field_names_its_path(tmp_path: Path) -> None:
    pairs = json.loads(json.dumps(PAIRS))
    pairs[1]["values"]["control"][2] = "twelve"
    paths = write(tmp_path, "config.json", CONFIG), write(tmp_path, "pairs.json", pairs)
    with pytest.raises(CanaryConfigError, match=r"pairs\.json: \[1\]\.values\.control\[2\]: "):
        judge_files(*paths)


def test_pairs_file_must_be_a_list(tmp_path: Path) -> None:
    paths = write(tmp_path, "config.json", CONFIG), write(tmp_path, "pairs.json", {"name": "x"})
    with pytest.raises(CanaryConfigError, match=r"pairs\.json: .*list"):
        judge_files(*paths)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CanaryConfigError, match=r"nope\.json: cannot read the file"):
        judge_files(tmp_path / "nope.json", write(tmp_path, "pairs.json", PAIRS))


def test_errors_are_validation_errors_for_the_cli_exit_code(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        judge_files(tmp_path / "nope.json", tmp_path / "nope.json")
