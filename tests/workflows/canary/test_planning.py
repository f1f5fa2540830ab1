"""Interval planning and aggregation, rule by rule (``canary-judge.md`` §3), without Temporal."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from models.loading import parse_stage
from models.stages.canary import CanaryStageConfig, KayentaCanaryStage, parse_duration
from workflows.canary import (
    RUN_FAILED_MESSAGE,
    DeployedScope,
    PlanError,
    Thresholds,
    aggregate,
    format_score,
    plan_canary,
    run_fails,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def config(**fields: Any) -> CanaryStageConfig:
    scope = {"controlScope": "app-v010", "experimentScope": "app-v011", "step": 60}
    scope.update(fields.pop("scope", {}))
    data: dict[str, Any] = {"config": {"metrics": []}, "scopes": [scope]}
    data.update(fields)
    return CanaryStageConfig.model_validate(data)


def windows(
    plan: Any, scope: str = "default"
) -> list[tuple[datetime, datetime, datetime, datetime]]:
    out = []
    for run in plan.runs:
        control, experiment = run.scopes[scope]
        out.append((control.start, control.end, experiment.start, experiment.end))
    return out


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# -- 1. lifetime ------------------------------------------------------------------------------


def test_retrospective_lifetime_is_whole_minutes_from_start_to_end() -> None:
    plan = plan_canary(
        config(
            scope={"startTimeIso": "2025-03-01T09:00:00Z", "endTimeIso": "2025-03-01T10:30:59Z"},
            canaryAnalysisIntervalMins=30,
        ),
        NOW,
    )
    assert not plan.realtime
    assert plan.lifetime_minutes == 90
    assert len(plan.runs) == 3


def test_retrospective_without_start_counts_from_now() -> None:
    plan = plan_canary(
        config(scope={"endTimeIso": "2025-03-01T13:00:00Z"}, canaryAnalysisIntervalMins=20), NOW
    )
    assert plan.start == NOW
    assert plan.lifetime_minutes == 60
    assert len(plan.runs) == 3


def test_lifetime_duration_is_iso_8601() -> None:
    plan = plan_canary(config(lifetimeDuration="PT1H30M", canaryAnalysisIntervalMins=30), NOW)
    assert plan.realtime
    assert plan.lifetime_minutes == 90


def test_legacy_lifetime_hours_is_accepted_and_duration_wins_over_it() -> None:
    assert plan_canary(config(lifetimeHours=2), NOW).lifetime_minutes == 120
    assert plan_canary(config(lifetimeHours="1"), NOW).lifetime_minutes == 60
    both = plan_canary(config(lifetimeHours=5, lifetimeDuration="PT1H"), NOW)
    assert both.lifetime_minutes == 60


def test_neither_end_time_nor_lifetime_is_refused_with_orcas_message() -> None:
    message = "Canary stage configuration must include either `endTime` or `lifetimeDuration`."
    with pytest.raises(ValidationError, match="must include either"):
        config()
    # The planner says the same if it is ever handed such a config.
    bare = config(lifetimeDuration="PT1H").model_copy(update={"lifetime_duration": None})
    with pytest.raises(PlanError) as err:
        plan_canary(bare, NOW)
    assert str(err.value) == message


def test_an_empty_scope_list_is_refused() -> None:
    with pytest.raises(ValidationError, match="scopes"):
        CanaryStageConfig.model_validate({"config": {}, "scopes": [], "lifetimeDuration": "PT1H"})


def test_a_lifetime_under_a_minute_cannot_be_planned() -> None:
    with pytest.raises(PlanError, match="at least one minute"):
        plan_canary(config(lifetimeDuration="PT30S"), NOW)
    with pytest.raises(PlanError, match="at least one minute"):
        plan_canary(
            config(
                scope={"startTimeIso": "2025-03-01T10:00:00Z", "endTimeIso": "2025-03-01T09:00:00Z"}
            ),
            NOW,
        )


# -- 2. interval and 3. number of runs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "expected_runs", "expected_interval"),
    [(30, 4, 30), (None, 1, 120), (0, 1, 120), (180, 1, 120), (45, 2, 45), (120, 1, 120)],
    ids=["set", "missing", "zero", "longer", "remainder", "equal"],
)
def test_interval_defaults_to_the_lifetime_and_runs_are_the_floor(
    interval: int | None, expected_runs: int, expected_interval: int
) -> None:
    fields: dict[str, Any] = {"lifetimeDuration": "PT2H"}
    if interval is not None:
        fields["canaryAnalysisIntervalMins"] = interval
    plan = plan_canary(config(**fields), NOW)
    assert len(plan.runs) == expected_runs
    assert plan.interval_minutes == expected_interval
    assert [run.index for run in plan.runs] == list(range(1, expected_runs + 1))


def test_the_remainder_of_the_lifetime_is_never_analysed() -> None:
    plan = plan_canary(config(lifetimeDuration="PT100M", canaryAnalysisIntervalMins=30), NOW)
    assert len(plan.runs) == 3
    last_end = plan.runs[-1].scopes["default"][1].end
    assert last_end == NOW + minutes(90)


def test_a_sub_minute_remainder_keeps_javas_duration_arithmetic() -> None:
    # Orca: interval = lifetime (90 s); N = 1 // 1; the wait is the interval's seconds.
    plan = plan_canary(config(lifetimeDuration="PT90S"), NOW)
    assert len(plan.runs) == 1
    assert plan.runs[0].wait_seconds == 90


# -- 4. warm-up and 5. waits ------------------------------------------------------------------------


def test_real_time_waits_one_interval_before_every_run_after_the_warm_up() -> None:
    plan = plan_canary(
        config(
            lifetimeDuration="PT1H", canaryAnalysisIntervalMins=20, beginCanaryAnalysisAfterMins=15
        ),
        NOW,
    )
    assert plan.warmup_seconds == 15 * 60
    assert [run.wait_seconds for run in plan.runs] == [1200, 1200, 1200]
    assert [run.name for run in plan.runs] == ["Run Canary #1", "Run Canary #2", "Run Canary #3"]


def test_retrospective_has_no_interval_waits_but_keeps_the_warm_up() -> None:
    plan = plan_canary(
        config(
            scope={"startTimeIso": "2025-03-01T09:00:00Z", "endTimeIso": "2025-03-01T10:00:00Z"},
            canaryAnalysisIntervalMins=20,
            beginCanaryAnalysisAfterMins=10,
        ),
        NOW,
    )
    assert plan.warmup_seconds == 600
    assert [run.wait_seconds for run in plan.runs] == [0, 0, 0]


def test_no_warm_up_by_default() -> None:
    assert plan_canary(config(lifetimeDuration="PT1H"), NOW).warmup_seconds == 0


# -- 6. windows ---------------------------------------------------------------------------------------


def test_real_time_windows_grow_from_start_plus_warm_up() -> None:
    plan = plan_canary(
        config(
            scope={"startTimeIso": "2025-03-01T09:00:00Z"},
            lifetimeDuration="PT90M",
            canaryAnalysisIntervalMins=30,
            beginCanaryAnalysisAfterMins=10,
        ),
        NOW,
    )
    start = T0 + minutes(10)
    assert windows(plan) == [
        (start, start + minutes(30), start, start + minutes(30)),
        (start, start + minutes(60), start, start + minutes(60)),
        (start, start + minutes(90), start, start + minutes(90)),
    ]


def test_real_time_without_a_start_time_starts_now() -> None:
    plan = plan_canary(config(lifetimeDuration="PT1H", canaryAnalysisIntervalMins=30), NOW)
    assert plan.start == NOW
    assert windows(plan)[1][2:] == (NOW, NOW + minutes(60))


def test_retrospective_windows_grow_from_the_start_and_ignore_the_warm_up() -> None:
    plan = plan_canary(
        config(
            scope={"startTimeIso": "2025-03-01T09:00:00Z", "endTimeIso": "2025-03-01T10:00:00Z"},
            canaryAnalysisIntervalMins=30,
            beginCanaryAnalysisAfterMins=15,
        ),
        NOW,
    )
    assert [w[2:] for w in windows(plan)] == [(T0, T0 + minutes(30)), (T0, T0 + minutes(60))]


@pytest.mark.parametrize("retrospective", [False, True], ids=["real-time", "retrospective"])
def test_lookback_makes_the_window_slide(retrospective: bool) -> None:
    scope: dict[str, Any] = {"startTimeIso": "2025-03-01T09:00:00Z"}
    fields: dict[str, Any] = {"canaryAnalysisIntervalMins": 30, "lookbackMins": 20}
    if retrospective:
        scope["endTimeIso"] = "2025-03-01T10:30:00Z"
    else:
        fields["lifetimeDuration"] = "PT90M"
    plan = plan_canary(config(scope=scope, **fields), NOW)
    ends = [T0 + minutes(30 * i) for i in (1, 2, 3)]
    assert [w[2:] for w in windows(plan)] == [(end - minutes(20), end) for end in ends]


def test_the_control_window_is_shifted_back_by_the_baseline_offset() -> None:
    plan = plan_canary(
        config(
            scope={"startTimeIso": "2025-03-01T09:00:00Z"},
            lifetimeDuration="PT1H",
            canaryAnalysisIntervalMins=30,
            baselineAnalysisOffsetInMins=60,
        ),
        NOW,
    )
    control_start, control_end, experiment_start, experiment_end = windows(plan)[0]
    assert (experiment_start, experiment_end) == (T0, T0 + minutes(30))
    assert (control_start, control_end) == (T0 - minutes(60), T0 - minutes(30))


def test_a_scopes_own_control_offset_overrides_the_stage_offset() -> None:
    plan = plan_canary(
        config(
            scope={"startTimeIso": "2025-03-01T09:00:00Z", "controlOffsetInMinutes": 5},
            lifetimeDuration="PT30M",
            baselineAnalysisOffsetInMins=60,
        ),
        NOW,
    )
    assert windows(plan)[0][0] == T0 - minutes(5)


def test_every_scope_gets_its_windows_with_the_first_scopes_step_and_times() -> None:
    data = {
        "config": {"metrics": []},
        "lifetimeDuration": "PT1H",
        "scopes": [
            {"scopeName": "web", "controlScope": "a", "experimentScope": "b",
             "controlLocation": "us-east-1", "experimentLocation": "us-west-2", "step": 30,
             "startTimeIso": "2025-03-01T09:00:00Z"},
            {"scopeName": "db", "controlScope": "c", "experimentScope": "d", "step": 300,
             "extendedScopeParams": {"env": "prod", "shard": 3}},
        ],
    }  # fmt: skip
    plan = plan_canary(CanaryStageConfig.model_validate(data), NOW)
    web_control, web_experiment = plan.runs[0].scopes["web"]
    db_control, db_experiment = plan.runs[0].scopes["db"]
    assert (web_control.scope, web_control.location) == ("a", "us-east-1")
    assert (web_experiment.scope, web_experiment.location) == ("b", "us-west-2")
    assert (db_control.scope, db_experiment.scope) == ("c", "d")
    assert {web_control.step, db_control.step, db_experiment.step} == {30}
    assert db_experiment.start == T0
    assert dict(db_control.extended_scope_params) == {"env": "prod", "shard": "3"}


def test_deployed_server_groups_replace_the_scope_and_location() -> None:
    deployed = {
        "default": (
            DeployedScope("app-baseline-v000", "eu-west-1", "app-baseline"),
            DeployedScope("app-canary-v000", "eu-west-1", "app-canary", account_id="123"),
        )
    }
    plan = plan_canary(config(lifetimeDuration="PT1H"), NOW, deployed)
    control, experiment = plan.runs[0].scopes["default"]
    assert (control.scope, control.location) == ("app-baseline-v000", "eu-west-1")
    assert (experiment.scope, experiment.location) == ("app-canary-v000", "eu-west-1")
    assert dict(control.extended_scope_params) == {"dataset": "regional", "type": "asg"}
    assert dict(experiment.extended_scope_params)["accountId"] == "123"


def test_defaults_follow_orca() -> None:
    parsed = config(lifetimeDuration="PT1H", scope={"step": None, "scopeName": None})
    assert parsed.scopes[0].step == 60
    assert parsed.scopes[0].scope_name == "default"
    assert parsed.score_thresholds.pass_ == 75 and parsed.score_thresholds.marginal == 50
    assert parsed.begin_canary_analysis_after_mins == 0
    assert parsed.lookback_mins == 0 and parsed.baseline_analysis_offset_in_mins == 0
    assert parsed.canary_analysis_interval_mins is None
    partial = config(lifetimeDuration="PT1H", scoreThresholds={"pass": 90})
    assert (partial.score_thresholds.pass_, partial.score_thresholds.marginal) == (90, None)


def test_deck_stores_numbers_as_strings() -> None:
    parsed = config(
        lifetimeDuration="PT1H",
        canaryAnalysisIntervalMins="15",
        beginCanaryAnalysisAfterMins="5",
        scoreThresholds={"pass": "80", "marginal": "60"},
    )
    assert parsed.canary_analysis_interval_mins == 15
    assert parsed.begin_canary_analysis_after_mins == 5
    assert parsed.score_thresholds.pass_ == 80.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("PT1H0M", timedelta(hours=1)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("PT0.5S", timedelta(seconds=0.5)),
        ("pt45m", timedelta(minutes=45)),
        ("-PT5M", -timedelta(minutes=5)),
    ],
)
def test_iso_durations_read_as_java_reads_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["1h", "P", "PT", "P1Y", "P1W", "PT1H30", "P1DT"])
def test_durations_java_refuses_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration(text)


# -- aggregation (§3.2) -------------------------------------------------------------------------------

BOTH = Thresholds(pass_=95.0, marginal=75.0)


@pytest.mark.parametrize(
    ("score", "fails"), [(74.0, True), (75.0, True), (75.01, False), (90.0, False), (100.0, False)]
)
def test_a_run_fails_at_or_below_marginal_only(score: float, fails: bool) -> None:
    assert run_fails(score, BOTH) is fails
    assert RUN_FAILED_MESSAGE == "Canary score is not above the marginal score threshold."


def test_a_run_never_fails_early_without_a_marginal_threshold() -> None:
    assert run_fails(0.0, Thresholds(pass_=95.0, marginal=None)) is False


@pytest.mark.parametrize(
    ("scores", "thresholds", "succeeded", "message"),
    [
        ([100.0], Thresholds(None, None), True, "No score thresholds were specified."),
        ([75.0], BOTH, False, "Final canary score 75.0 is not above the marginal score threshold."),
        ([50.0], Thresholds(None, 60.0), False,
         "Final canary score 50.0 is not above the marginal score threshold."),
        ([70.0], Thresholds(None, 60.0), True, "No pass score threshold was specified."),
        ([94.99], BOTH, False, "Final canary score 94.99 is below the pass score threshold."),
        ([95.0], BOTH, True, "Final canary score 95.0 met or exceeded the pass score threshold."),
        ([10.0], Thresholds(95.0, None), False, "Final canary score 10.0 is below the pass score threshold."),
        ([100.0], BOTH, True, "Final canary score 100.0 met or exceeded the pass score threshold."),
    ],
    ids=["none", "marginal-equal", "marginal-only-fail", "no-pass", "below-pass", "pass-equal",
         "pass-only", "perfect"],
)  # fmt: skip
def test_the_final_verdict_follows_orcas_rules(
    scores: list[float], thresholds: Thresholds, succeeded: bool, message: str
) -> None:
    verdict = aggregate(scores, thresholds)
    assert (verdict.succeeded, verdict.message) == (succeeded, message)


def test_only_the_last_score_counts() -> None:
    assert aggregate([80.0, 80.0, 96.0], BOTH).succeeded
    assert aggregate([100.0, 100.0, 90.0], BOTH).message == (
        "Final canary score 90.0 is below the pass score threshold."
    )


def test_no_scores_is_not_a_pass() -> None:
    verdict = aggregate([], BOTH)
    assert not verdict.succeeded
    assert verdict.message == "There were no successful canary judgements to aggregate"


def test_scores_print_as_kotlin_doubles() -> None:
    assert [format_score(s) for s in (100, 66.67, 0.0, 85.5)] == ["100.0", "66.67", "0.0", "85.5"]


def test_planning_imports_no_temporal() -> None:
    code = (
        "import sys, workflows.canary, workflows.canary.planning, workflows.canary.results\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'temporalio')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


FIXTURE = (
    Path(__file__).parents[2]
    / "fixtures"
    / "spinnaker-istio-canary"
    / "canary-deploy-pipeline.json"
)


def test_exported_spinnaker_canary_stages_load_and_plan() -> None:
    stages = [s for s in json.loads(FIXTURE.read_text())["stages"] if s["type"] == "kayentaCanary"]
    assert len(stages) == 3
    for raw in stages:
        stage = parse_stage(raw)
        assert isinstance(stage, KayentaCanaryStage)
        settings = stage.canary_config
        assert settings.canary_config_id == "85d778fd-318a-4429-8a0a-d64d40139e9e"
        assert (settings.score_thresholds.pass_, settings.score_thresholds.marginal) == (95, 75)
        assert stage.continue_pipeline and not stage.fail_pipeline
        plan = plan_canary(settings, NOW)
        assert plan.realtime and plan.lifetime_minutes == 5 and plan.interval_minutes == 5
        assert [run.wait_seconds for run in plan.runs] == [300]
        control, experiment = plan.runs[0].scopes["default"]
        assert (control.scope, experiment.scope) == ("sampleapp-baseline", "sampleapp-canary")
        assert (experiment.start, experiment.end) == (NOW, NOW + minutes(5))
