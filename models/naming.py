"""Spinnaker (Frigga) naming for clusters and server groups.

A cluster is ``app``, ``app-stack``, ``app--detail`` or ``app-stack-detail``; a
server group is its cluster plus ``-vNNN``. The sequence is three digits and
wraps after 999, so the newest server group is told by its creation time, not
by the largest number.

This module is pure: workflows and activities share it.

Allowed characters (stricter than Frigga so that every name is also a valid
launch template name): the application is letters and digits; the stack is
letters, digits, ``.`` and ``_``; the detail may also hold ``-``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from models.errors import ValidationError

__all__ = [
    "MAX_SEQUENCE",
    "ClusterName",
    "ServerGroupName",
    "next_sequence",
]

MAX_SEQUENCE = 999
"""The largest sequence; the next server group after ``v999`` reuses the lowest free number."""

_APP = re.compile(r"^[A-Za-z0-9]+$")
_STACK = re.compile(r"^[A-Za-z0-9._]+$")
_DETAIL = re.compile(r"^[A-Za-z0-9._-]+$")
_SERVER_GROUP = re.compile(r"^(?P<cluster>.+)-v(?P<sequence>[0-9]{3,6})$")


def _check(field: str, value: str, pattern: re.Pattern[str], allowed: str) -> None:
    if not pattern.match(value):
        raise ValidationError(f"{field} {value!r} is not valid: use only {allowed}", None)


@dataclass(frozen=True, slots=True)
class ClusterName:
    """A cluster name: application, optional stack, optional free-form detail.

    Attributes:
        app: The application, letters and digits only.
        stack: The stack (``prod``, ``staging``), or None.
        detail: The free-form detail, or None.
    """

    app: str
    stack: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        # Empty strings are how Spinnaker stages spell "no stack"; keep one spelling.
        if self.stack == "":
            object.__setattr__(self, "stack", None)
        if self.detail == "":
            object.__setattr__(self, "detail", None)
        _check("application", self.app, _APP, "letters and digits")
        if self.stack is not None:
            _check("stack", self.stack, _STACK, "letters, digits, '.' and '_' (no '-')")
        if self.detail is not None:
            _check("freeFormDetails", self.detail, _DETAIL, "letters, digits, '.', '_' and '-'")

    @classmethod
    def build(cls, app: str, stack: str | None = None, detail: str | None = None) -> ClusterName:
        """Validate the parts and make a cluster name.

        Raises:
            ValidationError: A part holds a character that is not allowed.
        """
        return cls(app, stack, detail)

    @classmethod
    def parse(cls, name: str) -> ClusterName:
        """Split ``app[-stack[-detail]]`` into its parts.

        Raises:
            ValidationError: ``name`` is not a valid cluster name.
        """
        app, sep, rest = name.partition("-")
        if not sep:
            return cls(app)
        stack, sep, detail = rest.partition("-")
        if sep and not detail:
            raise ValidationError(f"cluster {name!r} is not valid: it ends with '-'")
        if not sep and not stack:
            raise ValidationError(f"cluster {name!r} is not valid: it ends with '-'")
        return cls(app, stack or None, detail if sep else None)

    def __str__(self) -> str:
        if self.stack and self.detail:
            return f"{self.app}-{self.stack}-{self.detail}"
        if self.detail:
            return f"{self.app}--{self.detail}"
        if self.stack:
            return f"{self.app}-{self.stack}"
        return self.app

    @property
    def name(self) -> str:
        """The cluster name as a string."""
        return str(self)

    def server_group(self, sequence: int) -> ServerGroupName:
        """The server group of this cluster with ``sequence``."""
        return ServerGroupName(self, sequence)

    def next_server_group(self, existing: Iterable[str]) -> ServerGroupName:
        """The next server group of this cluster, given the names already taken.

        Names of other clusters and names that do not parse are ignored, so the
        whole region's list can be passed.
        """
        mine = []
        for name in existing:
            parsed = ServerGroupName.try_parse(name)
            if parsed is not None and parsed.cluster == self:
                mine.append(parsed.sequence)
        return ServerGroupName(self, next_sequence(mine))


@dataclass(frozen=True, slots=True)
class ServerGroupName:
    """A server group name: a cluster and a sequence, ``app-stack-detail-v003``.

    Attributes:
        cluster: The cluster the group belongs to.
        sequence: 0 to 999.
    """

    cluster: ClusterName
    sequence: int

    def __post_init__(self) -> None:
        if not 0 <= self.sequence <= MAX_SEQUENCE:
            raise ValidationError(
                f"server group sequence {self.sequence} is out of range 0..{MAX_SEQUENCE}"
            )

    @classmethod
    def build(
        cls, app: str, stack: str | None = None, detail: str | None = None, *, sequence: int
    ) -> ServerGroupName:
        """Validate the parts and make a server group name.

        Raises:
            ValidationError: A part is not valid or the sequence is out of range.
        """
        return cls(ClusterName(app, stack, detail), sequence)

    @classmethod
    def parse(cls, name: str) -> ServerGroupName:
        """Split ``cluster-vNNN`` into its cluster and sequence.

        Raises:
            ValidationError: ``name`` is not a server group name.
        """
        match = _SERVER_GROUP.match(name)
        if match is None:
            raise ValidationError(
                f"server group {name!r} is not valid: expected <cluster>-vNNN, like app-prod-v001"
            )
        return cls(ClusterName.parse(match["cluster"]), int(match["sequence"]))

    @classmethod
    def try_parse(cls, name: str) -> ServerGroupName | None:
        """Like :meth:`parse`, but None when ``name`` is not a server group name."""
        try:
            return cls.parse(name)
        except ValidationError:
            return None

    def __str__(self) -> str:
        return f"{self.cluster}-v{self.sequence:03d}"

    @property
    def name(self) -> str:
        """The server group name as a string."""
        return str(self)

    @property
    def app(self) -> str:
        """The application the group belongs to."""
        return self.cluster.app


def next_sequence(existing: Iterable[str | int | ServerGroupName]) -> int:
    """The next free sequence for a cluster.

    The next number after the highest one taken; after 999 it wraps to the lowest
    free number. Strings that do not parse as server group names are ignored.

    Args:
        existing: Server group names (or sequences) already in the cluster.

    Raises:
        ValidationError: All 1000 sequences are taken.
    """
    taken: set[int] = set()
    for item in existing:
        if isinstance(item, int):
            taken.add(item)
        elif isinstance(item, ServerGroupName):
            taken.add(item.sequence)
        else:
            parsed = ServerGroupName.try_parse(item)
            if parsed is not None:
                taken.add(parsed.sequence)
    if not taken:
        return 0
    highest = max(taken)
    if highest < MAX_SEQUENCE:
        return highest + 1
    for candidate in range(MAX_SEQUENCE + 1):
        if candidate not in taken:
            return candidate
    raise ValidationError(
        f"the cluster already has {MAX_SEQUENCE + 1} server groups: no sequence is free"
    )
