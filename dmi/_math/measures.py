"""Association measures of a pair from its MI and plug-in statistics (pure; no Dask).

=============================  =========================================  ===========  ==========
measure                        value of the cell (x, y)                   symmetric    k-NN pairs
=============================  =========================================  ===========  ==========
``mi``                         ``I(X;Y)`` (in the caller's base)          yes          yes
``nmi``                        ``I / mean(H(X), H(Y))`` (arithmetic)      yes          no
``variation_of_information``   ``H(X) + H(Y) - 2 I`` (a metric)           yes          no
``symmetric_uncertainty``      ``2 I / (H(X) + H(Y))``                    yes          no
``uncertainty_coefficient``    ``U(X|Y) = I / H(X)`` (Theil's U)          **no**       no
``cramers_v``                  Cramér's V, Bergsma's (2013) correction    yes          no
``information_correlation``    ``sqrt(1 - exp(-2 I))`` (Linfoot 1957)     yes          yes
=============================  =========================================  ===========  ==========

``uncertainty_coefficient``: the share of X's entropy that Y explains, as dython's
``theils_u(x, y)``; the matrix's cell (x, y) is U(x|y), so row x reads "how well each
column predicts x". ``information_correlation`` equals ``|rho|`` for a bivariate Gaussian
and exists for every pair kind (MI in nats). Measures that need entropies exist only for
counted (discrete or binned) pairs; a k-NN pair's MI has no entropies on the same scale.
"""

from __future__ import annotations

import math

from dmi._math.entropy import PairStats, normalized

MEASURES = (
    "mi",
    "nmi",
    "variation_of_information",
    "symmetric_uncertainty",
    "uncertainty_coefficient",
    "cramers_v",
    "information_correlation",
)
"""The measures :func:`dmi.association_matrix` computes, in the order the docs list them."""

NEED_COUNTS = frozenset(MEASURES) - {"mi", "information_correlation"}
"""Measures defined only for counted pairs (they need entropies or the table)."""

SYMMETRIC = frozenset(MEASURES) - {"uncertainty_coefficient"}

INFORMATION = frozenset({"mi", "variation_of_information"})
"""Measures in units of information (converted to the caller's base); the others have no unit."""


def cramers_v(s: PairStats, bias_correction: bool = True) -> float:
    """Cramér's V of a pair from its Pearson X**2 and table size.

    With ``bias_correction``, Bergsma's (2013) correction, as dython's
    ``cramers_v(bias_correction=True)``: ``phi2 = max(0, X**2/n - (r-1)(c-1)/(n-1))``,
    ``r~ = r - (r-1)**2/(n-1)``, ``c~`` alike, ``V = sqrt(phi2 / min(r~ - 1, c~ - 1))``.
    NaN without rows, or when a side takes one value (0 with the correction's
    denominator at 0, as dython).
    """
    n, r, c = s.n, s.k_x, s.k_y
    if n == 0 or math.isnan(s.chi2):
        return math.nan
    phi2 = s.chi2 / n
    if bias_correction:
        if n < 2:
            return math.nan
        phi2 = max(0.0, phi2 - (r - 1) * (c - 1) / (n - 1))
        r_t = r - (r - 1) ** 2 / (n - 1)
        c_t = c - (c - 1) ** 2 / (n - 1)
        denom = min(r_t - 1, c_t - 1)
        return 0.0 if denom <= 0 else math.sqrt(phi2 / denom)
    denom = min(r - 1, c - 1)
    return math.nan if denom <= 0 else math.sqrt(phi2 / denom)


def information_correlation(mi: float) -> float:
    """Linfoot's informational coefficient of correlation of MI in nats."""
    return math.nan if math.isnan(mi) else math.sqrt(1.0 - math.exp(-2.0 * max(mi, 0.0)))


def pair_value(
    measure: str, mi: float, stats: PairStats | None, *, reverse: bool = False, bias_correction: bool = True
) -> float:
    """One cell of the association matrix, information in nats.

    ``mi``: the pair's MI in nats; ``stats``: its plug-in statistics (None for a k-NN
    pair: NaN for a measure in :data:`NEED_COUNTS`). ``reverse``: the cell (y, x), for the
    asymmetric ``uncertainty_coefficient`` (``U(Y|X) = I / H(Y)``).
    """
    if measure == "mi":
        return mi
    if measure == "information_correlation":
        return information_correlation(mi)
    if stats is None or stats.n == 0:
        return math.nan
    h_x, h_y = (stats.h_y, stats.h_x) if reverse else (stats.h_x, stats.h_y)
    mi = stats.mi
    if measure == "variation_of_information":
        return max(h_x + h_y - 2.0 * mi, 0.0)
    if measure == "symmetric_uncertainty":
        return 1.0 if h_x + h_y == 0 else 2.0 * mi / (h_x + h_y)
    if measure == "nmi":
        return normalized(stats, "arithmetic")
    if measure == "uncertainty_coefficient":
        return 1.0 if h_x == 0 else mi / h_x
    if measure == "cramers_v":
        return cramers_v(stats, bias_correction)
    raise ValueError(f"unknown measure {measure!r}")


def self_value(measure: str, entropy: float) -> float:
    """The diagonal cell: a column with itself (``entropy`` in nats; NaN for a continuous
    column, whose I(X;X) is infinite)."""
    if math.isnan(entropy):
        return math.nan
    if measure == "mi":
        return entropy
    if measure == "variation_of_information":
        return 0.0
    return 1.0
