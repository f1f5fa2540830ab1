"""The baseline workflow of ``bench/engine.py``: bare Temporal making the same HTTP calls."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow


@workflow.defn(name="BareWebhooks")
class BareWebhooks:
    """One activity per HTTP call, in sequence: what a 10-stage webhook pipeline does."""

    @workflow.run
    async def run(self, urls: list[str]) -> int:
        """Call each URL in turn."""
        for url in urls:
            await workflow.execute_activity(
                "bare.post", url, start_to_close_timeout=timedelta(seconds=60)
            )
        return len(urls)
