"""R's zeroin root finder as Kayenta uses it (spec §1.5)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from activities.canary.judge import zeroin
from activities.canary.judge.zeroin import EPSILON, MAX_ITERATIONS, TOLERANCE, is_zero


def _solve(f: Callable[[float], float], a: float, b: float, max_iterations: int = 1000) -> float:
    return zeroin(a, b, f(a), f(b), f, max_iterations=max_iterations)


def test_constants_are_kayentas() -> None:
    assert (TOLERANCE, EPSILON, MAX_ITERATIONS) == (1e-4, 2.220446049250313e-16, 1000)


def test_endpoint_with_zero_value_is_returned_without_calling_the_function() -> None:
    def never(_: float) -> float:
        raise AssertionError("called")

    assert zeroin(1.0, 2.0, 0.0, -3.0, never) == 1.0
    assert zeroin(1.0, 2.0, 3.0, 0.0, never) == 2.0
    assert zeroin(1.0, 2.0, 0.0, 0.0, never) == 1.0


def test_a_value_within_one_ulp_of_zero_counts_as_zero() -> None:
    assert is_zero(0.0) and is_zero(-0.0) and is_zero(5e-324) and is_zero(-5e-324)
    assert not is_zero(1e-323) and not is_zero(1e-300)
    assert zeroin(1.0, 2.0, 5e-324, -1.0, lambda _: 1.0) == 1.0


def test_smooth_root_is_found_within_the_absolute_tolerance() -> None:
    root = _solve(lambda d: math.cos(d) - d, 0.0, 1.0)
    assert root == pytest.approx(0.7390851332151607, abs=TOLERANCE)


def test_step_function_root_lands_within_the_tolerance_of_the_step() -> None:
    calls: list[float] = []

    def step(d: float) -> float:
        calls.append(d)
        return 1.0 if d < 0.123456 else -1.0

    root = _solve(step, -10.0, 10.0)
    assert abs(root - 0.123456) <= TOLERANCE
    assert len(calls) < 60


def test_tolerance_is_absolute_not_relative() -> None:
    # A root near 1e-7 is only located to about 1e-4: far from it in relative terms.
    root = _solve(lambda d: 1.0 if d < 1e-7 else -1.0, -1.0, 1.0)
    assert abs(root - 1e-7) <= TOLERANCE
    assert abs(root - 1e-7) > 1e-7


def test_exhausted_iteration_budget_returns_the_current_iterate() -> None:
    calls: list[float] = []

    def f(d: float) -> float:
        calls.append(d)
        return 1.0 if d < 0.3 else -1.0

    root = _solve(f, 0.0, 1.0, max_iterations=2)
    # The two ends, then (like R's and Kayenta's loop) budget + 1 iterations, no error.
    assert len(calls) == 2 + 3
    assert root == calls[-1]


def test_root_is_exact_where_the_function_is_exactly_zero() -> None:
    assert _solve(lambda d: 0.5 - d, 0.0, 1.0) == 0.5


# Roots found by Kayenta's Brent solver on the JVM for the same functions and brackets.
# Polynomials only, so both sides evaluate them with the same IEEE operations.
JVM_ROOTS = [
    (lambda d: d * d * d - 2 * d - 5, 2.0, 3.0, "0x1.0c1a4182e31acp+1"),
    (lambda d: (d - 0.7) * (d - 0.7) * (d - 0.7) + 0.001 * d, -5.0, 5.0, "0x1.3adc821784f2bp-1"),
]


@pytest.mark.parametrize(("f", "lower", "upper", "root"), JVM_ROOTS)
def test_iteration_path_is_kayentas_bit_for_bit(
    f: Callable[[float], float], lower: float, upper: float, root: str
) -> None:
    assert _solve(f, lower, upper) == float.fromhex(root)
