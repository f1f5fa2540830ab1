"""Execution statuses, as Orca names them."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Status"]


class Status(StrEnum):
    """The status of a stage or a whole execution.

    ``complete`` statuses are final; ``halt`` statuses stop their branch.
    """

    NOT_STARTED = "NOT_STARTED"
    BUFFERED = "BUFFERED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    SUCCEEDED = "SUCCEEDED"
    FAILED_CONTINUE = "FAILED_CONTINUE"
    SKIPPED = "SKIPPED"
    STOPPED = "STOPPED"
    TERMINAL = "TERMINAL"
    CANCELED = "CANCELED"

    @property
    def complete(self) -> bool:
        """True once the stage or execution will not change by itself any more."""
        return self in _COMPLETE

    @property
    def halt(self) -> bool:
        """True for statuses that stop their branch."""
        return self in _HALT

    @property
    def lets_downstream_run(self) -> bool:
        """True when stages that depend on this one may start."""
        return self in _DOWNSTREAM_OK


_COMPLETE = frozenset(
    {
        Status.SUCCEEDED,
        Status.FAILED_CONTINUE,
        Status.SKIPPED,
        Status.STOPPED,
        Status.TERMINAL,
        Status.CANCELED,
    }
)
_HALT = frozenset({Status.STOPPED, Status.TERMINAL, Status.CANCELED})
_DOWNSTREAM_OK = frozenset({Status.SUCCEEDED, Status.FAILED_CONTINUE, Status.SKIPPED})
