"""The concurrency gate of one pipeline: Orca's ``limitConcurrent`` and waiting queue, race-free.

Runs ask for a slot with the ``enter`` signal (sent with signal-with-start, so
the gate exists on first use) and give it back with ``release``. One workflow
decides every grant in order, so two runs can never both take the last slot.

Orca's rules (``CompleteExecutionHandler``, ``StartWaitingExecutionsHandler``):

* at most ``limit`` runs hold a slot (1 for ``limitConcurrent``, N for
  ``maxConcurrentExecutions``); a paused run still holds its slot;
* when a slot frees up, ``keepWaitingPipelines: true`` grants the oldest waiting
  run; ``false`` grants the newest and tells every older waiting run it was
  ``superseded`` (it then ends CANCELED);
* "oldest" and "newest" are the order in which runs reached the gate.

A run that ends without releasing (terminated by an operator) is found by
asking the server which holders are still open (``gennaker.open_executions``),
first after a few seconds and then less often while nothing changes. A
waiting run that has gone is skipped when its turn comes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, FailureError

with workflow.unsafe.imports_passed_through():
    from models.run import GateTicket

__all__ = ["GRANTED", "SUPERSEDED", "ConcurrencyGateWorkflow", "GateState"]

GRANTED = "granted"
SUPERSEDED = "superseded"

_IDLE_SECONDS = 60.0
"""How long a gate with no holders and no waiting runs lives on (the next run starts a new one)."""
_RECONCILE_MIN_SECONDS = 5.0
_RECONCILE_MAX_SECONDS = 300.0
_REMEMBERED_TICKETS = 200
_MAX_HISTORY = 5000


class GateState(BaseModel):
    """Who holds a slot and who waits, carried across continue-as-new."""

    model_config = ConfigDict(populate_by_name=True)

    running: list[str] = Field(default_factory=list)
    """Execution ids holding a slot."""
    waiting: list[GateTicket] = Field(default_factory=list)
    """Tickets in the order they reached the gate (oldest first)."""
    limit: int = 1
    keep_waiting: bool = False
    granted_total: int = 0
    done: list[str] = Field(default_factory=list)
    """Keys of tickets already served (granted, superseded or released), newest last, so a
    repeated ``enter`` (a retried signal) is not queued twice."""


def _ticket_key(ticket: GateTicket) -> str:
    # A restarted execution enters again with the same id but a new queue time.
    return f"{ticket.execution_id}@{ticket.queued_at}"


@dataclass
class _Grant:
    """A decided grant not yet delivered, with the waiting runs it supersedes once delivered."""

    ticket: GateTicket
    passed_over: list[GateTicket] = field(default_factory=list)
    sent: bool = False


@workflow.defn(name="ConcurrencyGate")
class ConcurrencyGateWorkflow:
    """Grants slots to runs of one pipeline, in Orca's order.

    Slots are counted in the signal handlers, one arrival or release at a time, so
    a burst of arrivals is decided exactly as if they had come one by one: a run
    that finds a free slot takes it; only runs that had to wait are subject to
    ``keepWaitingPipelines``. The main loop delivers the decisions.
    """

    @workflow.init
    def __init__(self, state: GateState | None = None) -> None:
        self._state = state or GateState()
        self._grants: list[_Grant] = []
        self._changed = False
        self._reconcile_after = _RECONCILE_MIN_SECONDS

    @workflow.run
    async def run(self, state: GateState | None = None) -> None:
        """Serve until idle for a minute (then end; the next run starts a new gate)."""
        self._fill()
        while True:
            if any(not g.sent for g in self._grants):
                await self._deliver()
                continue
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._grants:
                    workflow.continue_as_new(self._state)
            idle = not self._state.running and not self._state.waiting
            self._changed = False
            try:
                await workflow.wait_condition(
                    lambda: self._changed,
                    timeout=_IDLE_SECONDS if idle else self._reconcile_after,
                )
            except TimeoutError:
                if not self._state.running and not self._state.waiting and not self._grants:
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    return
                if self._state.running:
                    await self._reconcile()

    @workflow.signal
    def enter(self, ticket: GateTicket) -> None:
        """A run asks for a slot (repeats of the same ticket are ignored)."""
        state = self._state
        if _ticket_key(ticket) in state.done or ticket.execution_id in self._known():
            return
        state.limit = max(1, ticket.limit)
        state.keep_waiting = ticket.keep_waiting
        state.waiting.append(ticket)
        self._fill()
        self._touch()

    @workflow.signal
    def release(self, execution_id: str) -> None:
        """A run ended, or was canceled while waiting."""
        state = self._state
        if execution_id in state.running:
            state.running.remove(execution_id)
        for ticket in [t for t in state.waiting if t.execution_id == execution_id]:
            state.waiting.remove(ticket)
            self._remember(ticket)
        for grant in self._grants:
            for ticket in [t for t in grant.passed_over if t.execution_id == execution_id]:
                grant.passed_over.remove(ticket)
                self._remember(ticket)
        self._fill()
        self._touch()

    @workflow.query
    def state(self) -> GateState:
        """Who holds a slot and who waits."""
        return self._state

    def _known(self) -> set[str]:
        known = set(self._state.running) | {t.execution_id for t in self._state.waiting}
        for grant in self._grants:
            known |= {t.execution_id for t in grant.passed_over}
        return known

    def _touch(self) -> None:
        self._changed = True
        self._reconcile_after = _RECONCILE_MIN_SECONDS

    def _remember(self, ticket: GateTicket) -> None:
        self._state.done = [*self._state.done, _ticket_key(ticket)][-_REMEMBERED_TICKETS:]

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > (
            _MAX_HISTORY
        )

    def _fill(self) -> None:
        """Give free slots to waiting runs: the oldest (``keepWaiting``), or the newest, which
        then supersede every older waiting run."""
        state = self._state
        free = state.limit - len(state.running)
        if free <= 0 or not state.waiting:
            return
        if state.keep_waiting:
            chosen, passed_over = state.waiting[:free], []
        else:
            chosen, passed_over = state.waiting[-free:], state.waiting[:-free]
        state.waiting = state.waiting[len(chosen) :] if state.keep_waiting else []
        for index, ticket in enumerate(chosen):
            state.running.append(ticket.execution_id)
            newest = index == len(chosen) - 1
            self._grants.append(_Grant(ticket, passed_over if newest else []))

    async def _deliver(self) -> None:
        """Send every decided grant (and then its supersessions) that is not sent yet."""
        todo = [g for g in self._grants if not g.sent]
        for grant in todo:
            grant.sent = True
        await asyncio.gather(*(self._deliver_one(g) for g in todo))

    async def _deliver_one(self, grant: _Grant) -> None:
        state = self._state
        ticket = grant.ticket
        granted = await self._tell(ticket.execution_id, GRANTED)
        self._remember(ticket)
        self._grants.remove(grant)
        if not granted:
            # The run has gone (terminated while waiting): the runs it passed over wait
            # again (they are older than any run that came since) and the slot is refilled.
            if ticket.execution_id in state.running:
                state.running.remove(ticket.execution_id)
            state.waiting[:0] = grant.passed_over
            self._fill()
            self._touch()
            return
        state.granted_total += 1
        for old in grant.passed_over:
            self._remember(old)
        await asyncio.gather(*(self._tell(t.execution_id, SUPERSEDED) for t in grant.passed_over))

    async def _tell(self, execution_id: str, decision: str) -> bool:
        try:
            await workflow.get_external_workflow_handle(execution_id).signal("gate", decision)
        except FailureError:  # not found, or already closed: the run cannot take the answer
            workflow.logger.info("run %s is gone; dropping it from the gate", execution_id)
            return False
        return True

    async def _reconcile(self) -> None:
        """Free the slots of holders that ended without releasing (terminated by an operator)."""
        holders = list(self._state.running)
        try:
            open_ids: list[str] = await workflow.execute_activity(
                "gennaker.open_executions",
                holders,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
                result_type=list[str],
            )
        except ActivityError as err:
            workflow.logger.warning("cannot check the holders of the gate: %s", err)
            open_ids = holders
        gone = [r for r in holders if r not in open_ids]
        if gone:
            workflow.logger.warning("releasing slots of runs that ended without release: %s", gone)
            self._state.running = [r for r in self._state.running if r not in gone]
            self._fill()
            self._touch()
        else:
            # Nothing changed: look again later, less and less often.
            self._reconcile_after = min(self._reconcile_after * 2, _RECONCILE_MAX_SECONDS)
