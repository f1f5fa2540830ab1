"""Report pieces without a server: the page itself, and series fetched again for its metrics."""

from __future__ import annotations

from typing import Any

from activities.canary.report import CanaryReport, ReportMetric, ReportRun, render_report
from client.canary import report_metrics
from models.config import GennakerConfig

WINDOW = {"start": "2025-03-01T09:00:00Z", "end": "2025-03-01T09:30:00Z", "step": 60}
T0 = 1740819600  # 2025-03-01T09:00:00Z
LOW = [[T0 + 60 * m, 1.0 + 0.01 * (m % 7)] for m in range(31)]
HIGH = [[T0 + 60 * m, 3.0 + 0.01 * (m % 7)] for m in range(31)]
CONFIG: dict[str, Any] = {
    "name": "inline",
    "metrics": [
        {"name": "errors", "query": {"type": "inline", "points": {"control": LOW, "experiment": HIGH}},
         "groups": ["e"], "analysisConfigurations": {"canary": {"direction": "increase"}}},
        {"name": "cpu", "query": {"type": "inline", "points": {"control": LOW, "experiment": LOW}},
         "groups": ["c"]},
    ],
}  # fmt: skip
RUN = {
    "index": 1,
    "seed": 5,
    "scopes": {"default": {"controlScope": {**WINDOW, "scope": "a"},
                           "experimentScope": {**WINDOW, "scope": "b"}}},
}  # fmt: skip


def test_the_page_escapes_what_it_shows_and_says_when_nothing_was_judged() -> None:
    page = render_report(
        CanaryReport(
            execution_id="app/p/1",
            application="<app>",
            pipeline="p",
            stage_name="Canary",
            stage_ref="c",
            status="TERMINAL",
            passed=False,
            message='no saved canary config "x" <b>',
            thresholds=(None, 50.0),
        )
    )
    assert "FAIL: no saved canary config &quot;x&quot; &lt;b&gt;" in page
    assert "&lt;app&gt;" in page and "<app>" not in page
    assert "No interval was judged." in page
    assert "pass –, marginal 50" in page


def test_a_run_with_metrics_gets_a_table_and_a_plot_each() -> None:
    report = CanaryReport(
        execution_id="app/p/1", application="app", pipeline="p", stage_name="Canary",
        stage_ref="c", status="SUCCEEDED", passed=True, message="fine", thresholds=(95.0, 75.0),
        runs=[ReportRun(1, 100.0, "Pass", ("s", "e"), ("s", "e"))],
        metrics=[ReportMetric(key="cpu{zone=a}", verdict={"classification": "Pass", "ratio": "NaN"},
                              control_ms=[0, 60000], control=[1.0, float("nan")],
                              experiment_ms=[0, 60000], experiment=[1.0, 2.0])],
    )  # fmt: skip
    page = render_report(report)
    assert "<div id='verdict' class='verdict pass'>PASS: fine</div>" in page
    assert page.count("class='plot'") == 2
    assert "<td>NaN</td>" in page


def test_missing_numbers_are_recomputed_from_the_series_fetched_again() -> None:
    notes: list[str] = []
    outputs = {"metricsCompacted": True, "metrics": [{"name": "errors", "classification": "High",
                                                      "ratio": 2.9, "ciLower": 1.9}]}  # fmt: skip
    metrics = report_metrics(CONFIG, RUN, outputs, {}, GennakerConfig(), notes)
    by_key = {m.key: m for m in metrics}
    assert by_key["errors"].verdict["ciLower"] == 1.9  # recorded numbers win
    assert by_key["cpu"].verdict["classification"] == "Pass"
    assert by_key["cpu"].verdict["controlCount"] == 31  # recomputed
    assert len(by_key["errors"].experiment) == 31
    assert notes == ["Numbers of cpu were recomputed from the series fetched again."]


def test_a_source_that_cannot_be_reached_leaves_the_recorded_table_without_plots() -> None:
    notes: list[str] = []
    config = {"metrics": [{"name": "p", "query": {"type": "prometheus", "metricName": "x",
                                                  "customInlineTemplate": "g=${scope}"}}]}  # fmt: skip
    outputs = {"metrics": [{"name": "p", "classification": "Pass", "ratio": 1.0}]}
    metrics = report_metrics(
        config, RUN, outputs, {"metricsAccountName": "prom"}, GennakerConfig(), notes
    )
    assert [(m.key, m.verdict["classification"], m.control) for m in metrics] == [("p", "Pass", [])]
    assert notes[0].startswith("The series could not be fetched again, so there are no plots: ")
    assert "unknown metrics account 'prom'" in notes[0]
