"""The canary part of ``make demo``: a good and a bad canary end to end, and a report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from temporalio.client import Client

from client.client import GennakerClient
from client.demo_canary import run_canary_demo
from models.status import Status

pytestmark = pytest.mark.integration


async def test_the_demo_passes_the_good_canary_fails_the_bad_one_and_says_what_is_local(
    dev_client: Client, tmp_path: Path
) -> None:
    printed = io.StringIO()
    console = Console(file=printed, width=400)
    # As `gennaker demo` calls it: a GennakerClient on the default queues, extra keywords.
    good, bad = await run_canary_demo(
        GennakerClient(dev_client), console=console, scratch=tmp_path, moto=None
    )
    assert good.status == Status.SUCCEEDED
    assert good.stages[0].outputs["canaryScores"] == [100.0, 100.0, 100.0]
    # The bad canary fails at its first interval; continuePipeline lets the run go on.
    assert bad.status == Status.SUCCEEDED
    canary, verdict = bad.stages
    assert canary.status == Status.FAILED_CONTINUE
    assert canary.outputs["canaryScores"] == [0.0]
    assert verdict.outputs["canaryVerdict"] == (
        "Canary score is not above the marginal score threshold."
    )
    page = (tmp_path / "canary-report.html").read_text()
    assert "Canary score is not above the marginal score threshold." in page
    text = printed.getvalue()
    assert "LOCAL STAND-IN" in text and "SYNTHETIC history" in text
    assert "scores per 30-minute interval [100, 100, 100]" in text
    assert "canary FAILED_CONTINUE, scores per 30-minute interval [0]" in text
