"""A canary stage's report as one self-contained HTML page (pure: data in, HTML out).

The page has the verdict, the score of every interval, a table of the decisive
run's metrics (classification, mean ratio, the Mann–Whitney interval, reason),
and per metric a plot of control against experiment: the two series over the
window and their distributions. Plots are matplotlib figures embedded as PNG
``data:`` URIs; the page loads nothing from elsewhere. A two-line script marks
each plot ``data-rendered`` once the browser has loaded it (tests read that).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure

__all__ = ["CanaryReport", "ReportMetric", "ReportRun", "render_report"]

_COLOURS = {"control": "#1f77b4", "experiment": "#d62728"}
_CLASS_STYLE = {
    "Pass": "pass",
    "High": "fail",
    "Low": "fail",
    "NodataFailMetric": "fail",
    "Nodata": "nodata",
    "Error": "fail",
}


@dataclass
class ReportRun:
    """One interval: its windows and score."""

    index: int
    score: float
    classification: str
    experiment_window: tuple[str, str]
    control_window: tuple[str, str]
    warnings: list[str] = field(default_factory=list)
    not_passing: list[str] = field(default_factory=list)


@dataclass
class ReportMetric:
    """One metric set pair of the decisive run, with its series fetched again."""

    key: str
    verdict: dict[str, Any]
    control_ms: list[int] = field(default_factory=list)
    control: list[float] = field(default_factory=list)
    experiment_ms: list[int] = field(default_factory=list)
    experiment: list[float] = field(default_factory=list)
    queries: tuple[str, str] = ("", "")


@dataclass
class CanaryReport:
    """Everything the page shows."""

    execution_id: str
    application: str
    pipeline: str
    stage_name: str
    stage_ref: str
    status: str
    passed: bool
    message: str
    thresholds: tuple[float | None, float | None]
    runs: list[ReportRun] = field(default_factory=list)
    metrics: list[ReportMetric] = field(default_factory=list)
    config_name: str = ""
    notes: list[str] = field(default_factory=list)
    generated: str = ""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return _e(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    return f"{float(value):.{digits}g}"


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if isinstance(v, float | int) and math.isfinite(v)]


def _metric_plot(metric: ReportMetric) -> str:
    figure = Figure(figsize=(10, 3.2))
    series, spread = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    for side, stamps, values in (
        ("control", metric.control_ms, metric.control),
        ("experiment", metric.experiment_ms, metric.experiment),
    ):
        first = stamps[0] if stamps else 0
        minutes = [(t - first) / 60000 for t in stamps[: len(values)]]
        label = "control (baseline)" if side == "control" else "experiment (canary)"
        series.plot(minutes, values[: len(minutes)], color=_COLOURS[side], label=label, lw=1.2)
    series.set_xlabel("minutes into the window")
    series.set_title("time series")
    series.legend(loc="upper left", fontsize=8)
    series.grid(alpha=0.3)
    control, experiment = _finite(metric.control), _finite(metric.experiment)
    both = control + experiment
    if both:
        low, high = min(both), max(both)
        bins = 30 if high > low else 1
        for side, values in (("control", control), ("experiment", experiment)):
            if values:
                spread.hist(
                    values,
                    bins=bins,
                    range=(low, high) if high > low else None,
                    alpha=0.5,
                    color=_COLOURS[side],
                    label=side,
                )
        spread.legend(fontsize=8)
    else:
        spread.text(0.5, 0.5, "no data", ha="center", va="center", transform=spread.transAxes)
    spread.set_title("distributions")
    spread.grid(alpha=0.3)
    return _png(figure)


def _scores_plot(report: CanaryReport) -> str:
    figure = Figure(figsize=(6, 2.4))
    axes = figure.subplots()
    indexes = [run.index for run in report.runs]
    colours = ["#2ca02c" if run.classification == "Pass" else "#d62728" for run in report.runs]
    bars = axes.bar(indexes, [run.score for run in report.runs], color=colours)
    axes.bar_label(bars, labels=[f"{run.score:g}" for run in report.runs], fontsize=8)
    pass_, marginal = report.thresholds
    if pass_ is not None:
        axes.axhline(pass_, color="#2ca02c", ls="--", lw=1, label=f"pass {pass_:g}")
    if marginal is not None:
        axes.axhline(marginal, color="#ff7f0e", ls="--", lw=1, label=f"marginal {marginal:g}")
    axes.set_ylim(0, 105)
    axes.set_xticks(indexes)
    axes.set_xlabel("interval")
    axes.set_ylabel("score")
    if pass_ is not None or marginal is not None:
        axes.legend(fontsize=8, loc="lower right")
    return _png(figure)


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em}
.verdict{padding:.8em 1em;border-radius:6px;font-size:1.2em;font-weight:600}
.verdict.pass{background:#e6f4ea;color:#1e7e34} .verdict.fail{background:#fdecea;color:#b00020}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5} td.pass{color:#1e7e34;font-weight:600} td.fail{color:#b00020;font-weight:600}
td.nodata{color:#8a6d3b;font-weight:600} .muted{color:#888} code{font-size:.85em}
img.plot{max-width:100%;display:block;margin:.4em 0 1.2em}
"""

_SCRIPT = (
    "window.addEventListener('load',function(){"
    "document.querySelectorAll('img.plot').forEach(function(img){"
    "if(img.complete&&img.naturalWidth>0){"
    "img.dataset.rendered=img.naturalWidth+'x'+img.naturalHeight;}});});"
)
"""Marks every plot the browser loaded and measured (the load event waits for images)."""


def _runs_table(report: CanaryReport) -> list[str]:
    rows = [
        "<table id='intervals'><tr><th>interval</th><th>experiment window</th>"
        "<th>control window</th><th>score</th><th>result</th><th>not passing</th>"
        "<th>warnings</th></tr>"
    ]
    for run in report.runs:
        style = _CLASS_STYLE.get(run.classification, "fail")
        rows.append(
            f"<tr><td>#{run.index}</td><td>{_e(run.experiment_window[0])} → "
            f"{_e(run.experiment_window[1])}</td><td>{_e(run.control_window[0])} → "
            f"{_e(run.control_window[1])}</td><td>{_num(run.score)}</td>"
            f"<td class='{style}'>{_e(run.classification)}</td>"
            f"<td>{_e(', '.join(run.not_passing))}</td><td>{_e(' '.join(run.warnings))}</td></tr>"
        )
    rows.append("</table>")
    return rows


def _metrics_table(report: CanaryReport) -> list[str]:
    rows = [
        "<table id='metrics'><tr><th>metric</th><th>classification</th><th>ratio</th>"
        "<th>interval (experiment − control)</th><th>estimate</th><th>control mean (n)</th>"
        "<th>experiment mean (n)</th><th>reason</th></tr>"
    ]
    for metric in report.metrics:
        v = metric.verdict
        label = v.get("classification", "?")
        flags = [f for f, on in (("critical", v.get("critical")), ("muted", v.get("muted"))) if on]
        extra = f" <span class='muted'>({', '.join(flags)})</span>" if flags else ""
        rows.append(
            f"<tr><td>{_e(metric.key)}{extra}</td>"
            f"<td class='{_CLASS_STYLE.get(label, 'fail')}'>{_e(label)}</td>"
            f"<td>{_num(v.get('ratio'))}</td>"
            f"<td>[{_num(v.get('ciLower'))}, {_num(v.get('ciUpper'))}]</td>"
            f"<td>{_num(v.get('estimate'))}</td>"
            f"<td>{_num(v.get('controlMean'))} ({_e(v.get('controlCount', 0))})</td>"
            f"<td>{_num(v.get('experimentMean'))} ({_e(v.get('experimentCount', 0))})</td>"
            f"<td>{_e(v.get('reason') or '')}</td></tr>"
        )
    rows.append("</table>")
    return rows


def render_report(report: CanaryReport) -> str:
    """The report as one HTML document."""
    verdict = "PASS" if report.passed else "FAIL"
    pass_, marginal = report.thresholds
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Canary report: {_e(report.application)}/{_e(report.pipeline)} – "
        f"{_e(report.stage_name)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Canary report: {_e(report.application)} / {_e(report.pipeline)} – "
        f"{_e(report.stage_name)} ({_e(report.stage_ref)})</h1>",
        f"<div id='verdict' class='verdict {verdict.lower()}'>{verdict}: {_e(report.message)}</div>",
        "<table id='summary'>",
        f"<tr><th>execution</th><td><code>{_e(report.execution_id)}</code></td></tr>",
        f"<tr><th>stage status</th><td>{_e(report.status)}</td></tr>",
        f"<tr><th>canary config</th><td>{_e(report.config_name)}</td></tr>",
        f"<tr><th>thresholds</th><td>pass {_num(pass_)}, marginal {_num(marginal)}</td></tr>",
        f"<tr><th>scores</th><td>{_e(', '.join(_num(r.score) for r in report.runs)) or '–'}</td></tr>",
        "</table>",
        "<h2>Score per interval</h2>",
    ]
    if report.runs:
        parts += _runs_table(report)
        parts.append(
            f"<img class='plot' id='scores-plot' alt='score per interval' "
            f"src='data:image/png;base64,{_scores_plot(report)}'>"
        )
    else:
        parts.append("<p>No interval was judged.</p>")
    if report.metrics:
        last = report.runs[-1].index if report.runs else "?"
        parts += [
            f"<h2>Metrics of interval #{last} (the decisive one)</h2>",
            *_metrics_table(report),
        ]
        parts.append("<h2>Control against experiment</h2>")
        for number, metric in enumerate(report.metrics):
            parts.append(f"<h3>{_e(metric.key)}</h3>")
            parts.append(
                f"<img class='plot' id='plot-{number}' alt='{_e(metric.key)}: control and experiment' "
                f"src='data:image/png;base64,{_metric_plot(metric)}'>"
            )
            control_query, experiment_query = metric.queries
            parts.append(
                f"<p class='muted'>control: <code>{_e(control_query)}</code><br>"
                f"experiment: <code>{_e(experiment_query)}</code></p>"
            )
    if report.notes:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li>{_e(note)}</li>" for note in report.notes]
        parts.append("</ul>")
    parts.append(f"<p class='muted'>Generated {_e(report.generated)} by Gennaker.</p>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)
