"""Chaos Monkey's choice of victims (pure, given a deterministic random generator)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from models.errors import ValidationError

__all__ = ["Sampler", "termination_count", "victims"]


class Sampler(Protocol):
    """What is needed of a random generator (``workflow.random()`` in workflows)."""

    def sample(self, population: Sequence[str], k: int) -> list[str]:
        """``k`` distinct items of ``population``."""
        ...


def termination_count(
    total: int, *, count: int | None = None, percentage: float | None = None
) -> int:
    """How many of ``total`` instances to terminate: ``count``, or ``percentage`` rounded up.

    Raises:
        ValidationError: Neither or both are given, or the group has fewer instances.
    """
    if (count is None) == (percentage is None):
        raise ValidationError("give one of terminationCount or terminationPercentage")
    wanted = count if count is not None else math.ceil(total * (percentage or 0) / 100)
    if wanted > total:
        raise ValidationError(f"cannot terminate {wanted} instances: the group has {total}")
    return wanted


def victims(instance_ids: Sequence[str], how_many: int, rng: Sampler) -> list[str]:
    """``how_many`` instances chosen at random, in the order chosen.

    The candidates are sorted first, so the choice depends only on the generator's
    state, not on the order AWS listed the instances in.
    """
    return list(rng.sample(sorted(instance_ids), how_many))
