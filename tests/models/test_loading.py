"""Loading pipelines: Spinnaker exports load as they are; bad input names file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.errors import PipelineError
from models.loading import load_pipeline_files, parse_pipeline, parse_pipelines, parse_stage
from models.pipeline import resolve_parameters
from models.stages import ManualJudgmentStage, WaitStage, WebhookStage

FIXTURES = Path(__file__).parent.parent / "fixtures" / "spinnaker"
SHARED = Path(__file__).parents[1] / "fixtures" / "spinnaker-istio-canary"


def pipeline(*stages: dict[str, object], **fields: object) -> dict[str, object]:
    return {"application": "app", "name": "p", "stages": list(stages), **fields}


def problems(data: object, source: str = "pipeline.json") -> list[str]:
    with pytest.raises(PipelineError) as caught:
        parse_pipelines(data, source)
    return str(caught.value).splitlines()


def test_exported_fixtures_load_with_ui_fields_ignored() -> None:
    loaded = load_pipeline_files([FIXTURES])
    names = sorted(p.name for _, p in loaded)
    assert names == ["Nightly maintenance", "Regional rollout", "Release with approval"]
    release = next(p for _, p in loaded if p.name == "Release with approval")
    assert release.limit_concurrent and release.id == "4f6a7c1e-2b1d-4a0e-9a51-0d4c3f0e8a11"
    assert [s["refId"] for s in release.stages] == ["1", "2", "3", "4", "5", "6"]


def test_numeric_ref_ids_become_strings() -> None:
    loaded = parse_pipeline(
        pipeline(
            {"refId": 1, "type": "wait"}, {"refId": 2, "type": "wait", "requisiteStageRefIds": [1]}
        )
    )
    assert loaded.stages[1]["requisiteStageRefIds"] == ["1"]
    assert loaded.stages[0]["name"] == "wait"


def test_unknown_requisite_names_file_and_path() -> None:
    lines = problems(
        pipeline(
            *[{"refId": str(i), "type": "wait"} for i in range(3)],
            {"refId": "x", "type": "wait", "requisiteStageRefIds": ["9"]},
        )
    )
    assert lines == ['pipeline.json: stages[3].requisiteStageRefIds[0]: no stage has refId "9"']


def test_duplicate_ref_ids_are_refused() -> None:
    lines = problems(pipeline({"refId": "1", "type": "wait"}, {"refId": "1", "type": "wait"}))
    assert lines == ["pipeline.json: stages[1].refId: duplicate refId '1' (also stages[0])"]


def test_a_cycle_is_named() -> None:
    lines = problems(
        pipeline(
            {"refId": "a", "type": "wait", "requisiteStageRefIds": ["c"]},
            {"refId": "b", "type": "wait", "requisiteStageRefIds": ["a"]},
            {"refId": "c", "type": "wait", "requisiteStageRefIds": ["b"]},
        )
    )
    assert lines == ["pipeline.json: stages: requisiteStageRefIds form a cycle: a -> b -> c -> a"]


def test_every_unsupported_stage_type_is_listed_in_one_message() -> None:
    lines = problems(
        pipeline(
            {"refId": "1", "type": "bakeManifest"},
            {"refId": "2", "type": "wait"},
            {"refId": "3", "type": "jenkinsX"},
            {"refId": "4", "type": "bakeManifest"},
        )
    )
    assert lines == [
        "pipeline.json: stages: unsupported stage types: 'bakeManifest' at stages[0], stages[3]; "
        "'jenkinsX' at stages[2]"
    ]


def test_shared_istio_fixtures_name_their_unsupported_types() -> None:
    with pytest.raises(PipelineError) as caught:
        load_pipeline_files([SHARED / "canary-deploy-pipeline.json"])
    message = str(caught.value)
    assert "canary-deploy-pipeline.json: stages: unsupported stage types:" in message
    assert "'findArtifactFromExecution' at stages[2]" in message
    # Kubernetes manifest stages and kayentaCanary are supported: not named.
    for supported in ("deployManifest", "deleteManifest", "kayentaCanary"):
        assert f"'{supported}'" not in message


def test_bad_window_hours_and_negative_waits_are_refused() -> None:
    lines = problems(
        pipeline(
            {"refId": "1", "type": "wait", "waitTime": -5},
            {
                "refId": "2",
                "type": "wait",
                "restrictExecutionDuringTimeWindow": True,
                "restrictedExecutionWindow": {
                    "whitelist": [{"startHour": 25, "endHour": 3}],
                    "days": [0],
                },
            },
        )
    )
    assert "pipeline.json: stages[0].waitTime: Input should be greater than or equal to 0" in lines
    assert any(
        line.startswith(
            "pipeline.json: stages[1].restrictedExecutionWindow.whitelist[0].startHour:"
        )
        for line in lines
    )
    assert any(
        "stages[1].restrictedExecutionWindow.days: day 0 is not in 1 (Sunday) .. 7 (Saturday)"
        in line
        for line in lines
    )


def test_fields_written_as_expressions_are_checked_when_the_stage_starts() -> None:
    loaded = parse_pipeline(
        pipeline({"refId": "1", "type": "wait", "waitTime": "${parameters.seconds}"})
    )
    with pytest.raises(PipelineError, match=r"stage 1\.waitTime"):
        parse_stage({**loaded.stages[0], "waitTime": "soon"}, "stage 1")
    assert isinstance(parse_stage({**loaded.stages[0], "waitTime": "7"}), WaitStage)


def test_an_untranslatable_cron_trigger_is_refused_at_load() -> None:
    lines = problems(pipeline(triggers=[{"type": "cron", "cronExpression": "0 0 12 L * ?"}]))
    assert len(lines) == 1 and lines[0].startswith(
        "pipeline.json: triggers[0].cronExpression: cron expression '0 0 12 L * ?'"
    )


def test_a_list_of_pipelines_reports_each_by_index(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(
        json.dumps([pipeline({"refId": "1", "type": "wait"}), {"name": "no app", "stages": []}])
    )
    with pytest.raises(PipelineError) as caught:
        load_pipeline_files([path])
    assert f"{path}: [1].application: Field required" in str(caught.value)


def test_malformed_json_names_the_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"application": "a",, }')
    with pytest.raises(PipelineError, match=r"broken\.json: not valid JSON: .* line 1 column 21"):
        load_pipeline_files([path])


def test_webhook_and_judgment_fields_parse_as_spinnaker_writes_them() -> None:
    loaded = load_pipeline_files([FIXTURES / "release-with-approval.json"])[0][1]
    webhook = parse_stage({**loaded.stages[0], "url": "http://ci/x", "payload": {}})
    assert isinstance(webhook, WebhookStage)
    assert webhook.terminals == ["FAILURE", "ABORTED"] and webhook.cancellations == []
    judgment = parse_stage(loaded.stages[2])
    assert isinstance(judgment, ManualJudgmentStage)
    assert [i.value for i in judgment.judgment_inputs] == ["rollout", "hold"]


def test_parameters_fill_defaults_and_refuse_bad_values() -> None:
    loaded = load_pipeline_files([FIXTURES / "release-with-approval.json"])[0][1]
    assert resolve_parameters(loaded, {})["environment"] == "staging"
    with pytest.raises(Exception, match=r"parameters\.environment: 'qa' is not one of the options"):
        resolve_parameters(loaded, {"environment": "qa"})
    loaded.parameter_config[0].default = None
    with pytest.raises(Exception, match=r"parameters\.ciUrl: required parameter has no value"):
        resolve_parameters(loaded, {})
