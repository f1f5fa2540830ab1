"""The standard normal quantile exactly as Kayenta obtains it.

Kayenta calls commons-math's ``NormalDistribution(0, 1).inverseCumulativeProbability``,
which evaluates ``sqrt(2) * erfInv(2p - 1)`` with Mike Giles' polynomial
approximation of erfInv ("Approximating the erfinv function", GPU Computing Gems
vol. 2, 2010). scipy's ``norm.ppf`` differs from it by one ulp at p = 0.01, the
quantile of the judge's 98 % interval, so the same polynomial is evaluated here to
keep the confidence bounds bit-identical.
"""

from __future__ import annotations

import math

__all__ = ["normal_quantile"]

# Giles' coefficients, highest order first, for w < 6.25, w < 16 and beyond.
_CENTRAL = (
    -3.6444120640178196996e-21,
    -1.685059138182016589e-19,
    1.2858480715256400167e-18,
    1.115787767802518096e-17,
    -1.333171662854620906e-16,
    2.0972767875968561637e-17,
    6.6376381343583238325e-15,
    -4.0545662729752068639e-14,
    -8.1519341976054721522e-14,
    2.6335093153082322977e-12,
    -1.2975133253453532498e-11,
    -5.4154120542946279317e-11,
    1.051212273321532285e-09,
    -4.1126339803469836976e-09,
    -2.9070369957882005086e-08,
    4.2347877827932403518e-07,
    -1.3654692000834678645e-06,
    -1.3882523362786468719e-05,
    0.0001867342080340571352,
    -0.00074070253416626697512,
    -0.0060336708714301490533,
    0.24015818242558961693,
    1.6536545626831027356,
)
_TAIL = (
    2.2137376921775787049e-09,
    9.0756561938885390979e-08,
    -2.7517406297064545428e-07,
    1.8239629214389227755e-08,
    1.5027403968909827627e-06,
    -4.013867526981545969e-06,
    2.9234449089955446044e-06,
    1.2475304481671778723e-05,
    -4.7318229009055733981e-05,
    6.8284851459573175448e-05,
    2.4031110387097893999e-05,
    -0.0003550375203628474796,
    0.00095328937973738049703,
    -0.0016882755560235047313,
    0.0024914420961078508066,
    -0.0037512085075692412107,
    0.005370914553590063617,
    1.0052589676941592334,
    3.0838856104922207635,
)
_FAR_TAIL = (
    -2.7109920616438573243e-11,
    -2.5556418169965252055e-10,
    1.5076572693500548083e-09,
    -3.7894654401267369937e-09,
    7.6157012080783393804e-09,
    -1.4960026627149240478e-08,
    2.9147953450901080826e-08,
    -6.7711997758452339498e-08,
    2.2900482228026654717e-07,
    -9.9298272942317002539e-07,
    4.5260625972231537039e-06,
    -1.9681778105531670567e-05,
    7.5995277030017761139e-05,
    -0.00021503011930044477347,
    -0.00013871931833623122026,
    1.0103004648645343977,
    4.8499064014085844221,
)


def _horner(coefficients: tuple[float, ...], w: float) -> float:
    p = coefficients[0]
    for c in coefficients[1:]:
        p = c + p * w
    return p


def _erf_inv(x: float) -> float:
    # (1 - x)(1 + x), not 1 - x², which loses accuracy near ±1. At ±1 the product
    # is 0 and, as in Java, log gives -infinity.
    product = (1.0 - x) * (1.0 + x)
    w = -math.log(product) if product > 0 else math.inf
    if w < 6.25:
        p = _horner(_CENTRAL, w - 3.125)
    elif w < 16.0:
        p = _horner(_TAIL, math.sqrt(w) - 3.25)
    elif not math.isinf(w):
        p = _horner(_FAR_TAIL, math.sqrt(w) - 5.0)
    else:
        p = math.inf
    return p * x


def normal_quantile(p: float) -> float:
    """Φ⁻¹(p) of the standard normal distribution, as commons-math computes it.

    Args:
        p: A probability strictly between 0 and 1.

    Returns:
        The z such that P(Z ≤ z) = p, for example −2.326347874040841 for p = 0.01.

    Raises:
        ValueError: ``p`` is outside (0, 1).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability {p!r} is outside (0, 1)")
    return math.sqrt(2.0) * _erf_inv(2 * p - 1)
