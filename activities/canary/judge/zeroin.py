"""Brent's root finder as R's ``R_zeroin2``, which Kayenta ports for the Mann–Whitney interval.

The function it is used on is a step function, so the exact path of the iteration
(tolerance, interpolation acceptance, bracket swaps, the 1-ulp zero test) decides
where in a flat region the answer lands. scipy's ``brentq`` takes other steps and
lands elsewhere; this module follows R's C code line by line instead.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["EPSILON", "MAX_ITERATIONS", "TOLERANCE", "is_zero", "zeroin"]

TOLERANCE = 1e-4
"""Absolute tolerance on the root (Kayenta's fixed value)."""

EPSILON = 2.220446049250313e-16
"""Machine epsilon, as a literal in R and Kayenta."""

MAX_ITERATIONS = 1000
"""Iteration budget; like R, the loop runs one more time than this."""

# The smallest subnormal: commons-math's Precision.equals(v, 0) (1 ulp) holds for
# exactly ±0 and ±this value.
_ONE_ULP_FROM_ZERO = 5e-324


def is_zero(value: float) -> bool:
    """Whether ``value`` equals 0 within one ulp, as ``Precision.equals(value, 0)``."""
    return abs(value) <= _ONE_ULP_FROM_ZERO


def zeroin(
    ax: float,
    bx: float,
    fa: float,
    fb: float,
    f: Callable[[float], float],
    *,
    tol: float = TOLERANCE,
    max_iterations: int = MAX_ITERATIONS,
) -> float:
    """Find a zero of ``f`` between ``ax`` and ``bx`` (R's ``R_zeroin2``).

    Args:
        ax: Lower end of the search interval.
        bx: Upper end of the search interval.
        fa: ``f(ax)``, already computed by the caller.
        fb: ``f(bx)``, already computed by the caller.
        f: The function; called only at new points.
        tol: Absolute tolerance on the root.
        max_iterations: Iteration budget.

    Returns:
        An approximation of the root. An endpoint whose value is zero is returned
        as it is; when the budget runs out, the current iterate is returned without
        an error, as R and Kayenta do.
    """
    a, b = ax, bx
    c, fc = a, fa
    if is_zero(fa):
        return a
    if is_zero(fb):
        return b
    remaining = max_iterations + 1
    while remaining > 0:
        remaining -= 1
        prev_step = b - a
        if abs(fc) < abs(fb):
            # Make b the best approximation so far.
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPSILON * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or is_zero(fb):
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            # Interpolation may be tried: p/q is the step, division delayed.
            cb = c - b
            if a == c:
                # Only two distinct points: linear interpolation.
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                # Inverse quadratic interpolation.
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0.0:
                q = -q
            else:
                p = -p
            # Accept the interpolation only if it falls inside [b, c] and is not
            # too large; otherwise bisection shrinks the bracket faster.
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            # Keep c on the other side of the root from b.
            c, fc = a, fa
    return b
