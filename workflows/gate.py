"""The concurrency gate of one pipeline: Orca's ``limitConcurrent`` and waiting queue, race-free.

Runs ask for a slot with ``enter`` (signal-with-start, so the gate exists on
first use) and give it back with ``release``. Because one workflow decides in
order, two runs can never both hold the last slot. A paused run keeps its slot.
When a slot frees up, ``keepWaitingPipelines: true`` starts the oldest waiting
run; ``false`` starts the newest and cancels the older ones as superseded.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.run import GateTicket

__all__ = ["ConcurrencyGateWorkflow", "GateState"]

_IDLE_SECONDS = 60
_RECONCILE_SECONDS = 60


class GateState(BaseModel):
    """Who holds a slot and who waits, carried across continue-as-new."""

    model_config = ConfigDict(populate_by_name=True)

    running: list[str] = Field(default_factory=list)
    waiting: list[GateTicket] = Field(default_factory=list)
    limit: int = 1
    keep_waiting: bool = False
    granted_total: int = 0


@workflow.defn(name="ConcurrencyGate")
class ConcurrencyGateWorkflow:
    """Grants slots to runs of one pipeline, in Orca's order."""

    @workflow.init
    def __init__(self, state: GateState | None = None) -> None:
        self._state = state or GateState()
        self._changed = False

    @workflow.run
    async def run(self, state: GateState | None = None) -> None:
        """Serve until idle for a minute (then end; the next run starts a new gate)."""
        while True:
            await self._dispatch()
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._state)
            idle = not self._state.running and not self._state.waiting
            self._changed = False
            try:
                await workflow.wait_condition(
                    lambda: self._changed,
                    timeout=_IDLE_SECONDS if idle else _RECONCILE_SECONDS,
                )
            except TimeoutError:
                if not self._state.running and not self._state.waiting:
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    return
                if self._state.waiting:
                    await self._reconcile()

    @workflow.signal
    def enter(self, ticket: GateTicket) -> None:
        """A run asks for a slot."""
        if ticket.execution_id in self._state.running or any(
            t.execution_id == ticket.execution_id for t in self._state.waiting
        ):
            return
        self._state.limit = max(1, ticket.limit)
        self._state.keep_waiting = ticket.keep_waiting
        self._state.waiting.append(ticket)
        self._changed = True

    @workflow.signal
    def release(self, execution_id: str) -> None:
        """A run ended (or was canceled while waiting)."""
        if execution_id in self._state.running:
            self._state.running.remove(execution_id)
        self._state.waiting = [t for t in self._state.waiting if t.execution_id != execution_id]
        self._changed = True

    @workflow.query
    def state(self) -> GateState:
        """Who runs and who waits."""
        return self._state

    async def _dispatch(self) -> None:
        state = self._state
        while state.waiting and len(state.running) < state.limit:
            if state.keep_waiting:
                ticket = state.waiting.pop(0)
                superseded: list[GateTicket] = []
            else:
                ticket = state.waiting.pop()
                superseded, state.waiting = state.waiting, []
            state.running.append(ticket.execution_id)
            state.granted_total += 1
            if not await self._tell(ticket.execution_id, "granted"):
                state.running.remove(ticket.execution_id)
            for old in superseded:
                await self._tell(old.execution_id, "superseded")

    async def _tell(self, execution_id: str, decision: str) -> bool:
        try:
            await workflow.get_external_workflow_handle(execution_id).signal("gate", decision)
        except Exception:
            workflow.logger.info("run %s is gone; dropping it from the gate", execution_id)
            return False
        return True

    async def _reconcile(self) -> None:
        """Drop holders that ended without releasing (terminated by an operator)."""
        open_ids: list[str] = await workflow.execute_activity(
            "gennaker.open_executions",
            self._state.running,
            start_to_close_timeout=timedelta(seconds=30),
            result_type=list[str],
        )
        gone = [r for r in self._state.running if r not in open_ids]
        if gone:
            workflow.logger.warning("releasing slots of ended runs: %s", gone)
            self._state.running = [r for r in self._state.running if r in open_ids]
