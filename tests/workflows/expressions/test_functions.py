"""The '#' helpers, and functions a provider adds to the scope."""

from __future__ import annotations

import re
from typing import Any

import pytest

from models.errors import ExpressionError
from workflows.expressions import ExpressionScope, evaluate

from .conftest import make_scope


def ev(text: str, scope: ExpressionScope | None = None) -> Any:
    return evaluate(text, scope or make_scope())


def test_stage_finds_a_stage_by_exact_name() -> None:
    assert ev("#stage('Deploy').context.account") == "prod"
    assert ev("#stage('Deploy')['outputs']['serverGroups'][1]") == "app-v002"
    assert ev("#stage('Deploy').status") == "TERMINAL"
    assert ev("#stage('Bake').refId") == "1"


def test_stage_status_compares_as_a_string_with_or_without_to_string() -> None:
    assert ev("#stage('Bake').status == 'SUCCEEDED'") is True
    assert ev("#stage('Bake').status.toString() == 'SUCCEEDED'") is True


def test_stages_answer_has_succeeded_and_has_failed_like_orca() -> None:
    assert ev("#stage('Bake').hasSucceeded") is True
    assert ev("#stage('Bake').hasFailed") is False
    assert ev("#stage('Deploy').hasFailed") is True
    assert ev("#stage('Deploy')['hasSucceeded']") is False


def test_a_copied_stage_has_only_the_callers_keys() -> None:
    stage = ev("#stage('Bake')")
    assert stage == make_scope().stages[0]
    assert "hasSucceeded" not in stage


def test_stage_names_are_case_sensitive_and_a_missing_stage_is_an_error() -> None:
    with pytest.raises(
        ExpressionError, match=re.escape("#stage('deploy'): no stage has that name")
    ):
        ev("#stage('deploy')")


def test_stage_by_ref_id_finds_by_ref_id_and_converts_numbers() -> None:
    assert ev("#stageByRefId('3').name") == "Deploy"
    assert ev("#stageByRefId(3).name") == "Deploy"
    with pytest.raises(
        ExpressionError, match=re.escape("#stageByRefId('9'): no stage has that refId")
    ):
        ev("#stageByRefId('9')")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#stageExists('Deploy')", True),
        ("#stageExists('3')", True),
        ("#stageExists(2)", True),
        ("#stageExists('Nope')", False),
    ],
)
def test_stage_exists_checks_names_and_ref_ids(text: str, expected: bool) -> None:
    assert ev(text) is expected


def test_judgment_returns_the_input_of_the_manual_judgment_stage_with_that_name() -> None:
    assert ev("#judgment('Approve')") == "ship it"
    assert ev("#judgement('Approve')") == "ship it"  # the alias


def test_judgment_ignores_other_stage_types_with_a_judgment_input() -> None:
    # The Bake stage carries context.judgmentInput but is not a manualJudgment stage.
    with pytest.raises(ExpressionError, match="no manualJudgment stage with that name"):
        ev("#judgment('Bake')")


def test_judgment_without_an_input_yet_is_an_error() -> None:
    stages = [{"refId": "1", "name": "MJ", "type": "manualJudgment", "context": {}}]
    with pytest.raises(ExpressionError, match="no manualJudgment stage"):
        ev("#judgment('MJ')", ExpressionScope(stages=stages))


def test_judgment_uses_the_first_matching_stage_in_execution_order() -> None:
    stages = [
        {"name": "MJ", "type": "manualJudgment", "context": {"judgmentInput": "first"}},
        {"name": "MJ", "type": "manualJudgment", "context": {"judgmentInput": "second"}},
    ]
    assert ev("#judgment('MJ')", ExpressionScope(stages=stages)) == "first"


def test_current_stage_returns_the_running_stage() -> None:
    assert ev("#currentStage().name") == "Deploy"
    assert ev("#currentStage().hasFailed") is True
    with pytest.raises(ExpressionError, match="no stage is running"):
        ev("#currentStage()", ExpressionScope())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#toInt('42')", 42),
        ("#toInt('-7')", -7),
        ("#toInt('+7')", 7),
        ("#toInt(trigger.parameters.count) + 1", 4),
        ("#toInt(5)", 5),
        ("#toFloat('1.5')", 1.5),
        ("#toFloat(' 2 ')", 2.0),
        ("#toFloat('1e3')", 1000.0),
        ("#toFloat('2.5f')", 2.5),
        ("#toFloat(3)", 3.0),
        ("#toBoolean('true')", True),
        ("#toBoolean('TRUE')", True),
        ("#toBoolean('yes')", False),  # Java's Boolean.valueOf
        ("#toBoolean(null)", False),
        ("#toBoolean(true)", True),
        ("#toBoolean(parameters.enabled)", True),
    ],
)
def test_conversion_helpers_parse_like_java(text: str, expected: Any) -> None:
    result = ev(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("#toInt('4.5')", "#toInt(): '4.5' is not an integer"),
        ("#toInt(' 4')", "is not an integer"),  # Integer.valueOf does not trim
        ("#toInt(4.0)", "'4.0' is not an integer"),
        ("#toInt('99999999999999999999')", "does not fit in 64 bits"),
        ("#toInt(null)", "#toInt() needs a string argument, got null"),
        ("#toFloat('abc')", "#toFloat(): 'abc' is not a number"),
        ("#toFloat('NaN')", "is not a number"),
        ("#toFloat('1e999')", "is out of range"),
    ],
)
def test_conversion_helpers_reject_what_java_would(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        ev(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#toJson({a: 1, b: {true, null, 'é'}})", '{"a":1,"b":[true,null,"é"]}'),
        ("#toJson(trigger.buildInfo)", '{"number":42,"url":"https://ci/job/42"}'),
        ("#toJson('x')", '"x"'),
        ("#toJson(#stage('Bake').outputs)", '{"imageId":"ami-123"}'),
        ("#readJson('{\"a\": [1, 2.5, null]}')", {"a": [1, 2.5, None]}),
        ("#readJson('[1, 2]')[1]", 2),
        ("#readJson(#toJson(trigger.parameters)) == trigger.parameters", True),
        ("#alphanumerical('my-app_v1.2!')", "myappv12"),
        ("#toBase64('hello')", "aGVsbG8="),
        ("#fromBase64('aGVsbG8=')", "hello"),
        ("#fromBase64('aGVsbG8')", "hello"),  # Java accepts missing padding
        ("#fromBase64(#toBase64('héllo wörld'))", "héllo wörld"),
    ],
)
def test_json_text_and_base64_helpers(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("#readJson('{bad')", "#readJson(): not valid JSON"),
        ("#readJson('[NaN]')", "NaN is not a JSON number"),
        ("#readJson(1)", "#readJson() needs a string, got integer"),
        ("#readJson('" + "[" * 100 + "]" * 100 + "')", "nested more than 64 levels deep"),
        ("#fromBase64('a$b=')", "#fromBase64(): not valid Base64"),
        ("#alphanumerical(null)", "#alphanumerical() needs a value, got null"),
        ("#stage()", "#stage() takes 1 argument(s), got 0"),
        ("#stage('a', 'b')", "#stage() takes 1 argument(s), got 2"),
        ("#currentStage(1)", "#currentStage() takes 0 argument(s), got 1"),
        ("#stage({1})", "#stage() needs a string argument, got list"),
        ("#nope()", "unknown function #nope()"),
    ],
)
def test_helpers_report_bad_input(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(reason)):
        ev(text)


def test_extra_functions_receive_plain_copies_and_return_plain_data() -> None:
    received: list[Any] = []

    def deployed_server_groups(stage_name: str, options: dict[str, Any]) -> list[dict[str, Any]]:
        received.append((stage_name, dict(options)))
        options["mutated"] = True  # must not leak back into the scope
        return [{"name": "app-v003", "region": "us-east-1"}]

    scope = make_scope(functions={"deployedServerGroups": deployed_server_groups})
    assert ev("#deployedServerGroups('Deploy', trigger.buildInfo)[0].name", scope) == "app-v003"
    assert received == [("Deploy", {"number": 42, "url": "https://ci/job/42"})]
    assert "mutated" not in scope.variables["trigger"]["buildInfo"]


def test_a_failing_extra_function_becomes_an_expression_error() -> None:
    def broken() -> None:
        raise KeyError("region")

    with pytest.raises(ExpressionError, match=re.escape("#broken() failed: KeyError: 'region'")):
        ev("#broken()", make_scope(functions={"broken": broken}))


def test_extra_functions_cannot_return_arbitrary_objects() -> None:
    with pytest.raises(ExpressionError, match="cannot be used in an expression"):
        ev("#leak()", make_scope(functions={"leak": object}))


def test_extra_functions_cannot_replace_built_in_helpers() -> None:
    scope = make_scope(functions={"stage": lambda name: {"name": "impostor"}})
    assert ev("#stage('Deploy').name", scope) == "Deploy"
