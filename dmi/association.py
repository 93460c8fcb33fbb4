"""Public entry point for association measures beyond MI: :func:`association_matrix`."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Unpack

import pandas as pd

from dmi._engine.columns import matrix_pairs
from dmi._engine.notes import UndefinedMeasureWarning, warn
from dmi._engine.request import DataLike, check_options, compute, prepare, unit
from dmi._engine.signatures import AssociationKeywords, takes
from dmi._engine.table import square
from dmi._engine.validate import check_choice
from dmi._math.estimators import PairResult
from dmi._math.measures import INFORMATION, MEASURES, NEED_COUNTS, SYMMETRIC, pair_value, self_value

# The pairs a warning names before it says "and N more".
_SHOWN = 5


@takes(AssociationKeywords)
def association_matrix(
    data: DataLike,
    columns: Sequence[Hashable] | None = None,
    *,
    measure: str = "mi",
    bias_correction: bool = True,
    **options: Unpack[AssociationKeywords],
) -> pd.DataFrame:
    """Every pair of columns by one association measure, from the one pass of the MI matrix.

    A function of its own rather than a keyword of :func:`dmi.mutual_info_matrix`: that
    one returns MI, symmetric and in a unit of information; these measures may be
    asymmetric (Theil's U) or unitless (Cramér's V), and the result says which in
    ``attrs``.

    =============================  ==========================================  =========  ==========
    ``measure``                    cell (x, y)                                 symmetric  k-NN pairs
    =============================  ==========================================  =========  ==========
    ``mi``                         ``I(X;Y)`` in units of ``base``             yes        yes
    ``nmi``                        ``I / mean(H(X), H(Y))`` (arithmetic)       yes        NaN
    ``variation_of_information``   ``H(X) + H(Y) - 2 I``, a metric (``base``)  yes        NaN
    ``symmetric_uncertainty``      ``2 I / (H(X) + H(Y))``                     yes        NaN
    ``uncertainty_coefficient``    Theil's ``U(X|Y) = I / H(X)``               **no**     NaN
    ``cramers_v``                  Cramér's V (Bergsma's bias correction)      yes        NaN
    ``information_correlation``    ``sqrt(1 - exp(-2 I))``, I in nats          yes        yes
    =============================  ==========================================  =========  ==========

    ``uncertainty_coefficient`` is asymmetric: the cell in row ``x``, column ``y`` is
    ``U(x|y)``, the share of ``x``'s entropy that ``y`` explains (dython's
    ``theils_u(x, y)``); read a row to see how well each column predicts it.
    ``information_correlation`` (Linfoot's informational coefficient of correlation)
    equals ``|rho|`` for a bivariate Gaussian and exists for every kind of pair. The
    measures marked NaN need entropies or the contingency table, which counted pairs
    have (discrete columns, or ``method="binned"``) and k-NN pairs do not: their cells
    are NaN, with one :class:`dmi.UndefinedMeasureWarning` naming them -- never a number
    on another scale.

    Parameters
    ----------
    data, columns, discrete, method, bins, n_neighbors, sample_size, base, dropna, \
random_state, split_every, sample, progress, max_categories, weights
        As for :func:`dmi.mutual_info_matrix` (``base`` applies to ``mi`` and
        ``variation_of_information``, the measures in units of information).
    measure : str, default 'mi'
        One of the measures above.
    bias_correction : bool, default True
        ``cramers_v`` with Bergsma's (2013) correction; ``False``: the plain
        ``sqrt(X**2 / (n min(r - 1, c - 1)))``.

    Returns
    -------
    pandas.DataFrame
        Square, columns x columns. The diagonal is a column with itself (``H(X)`` for
        ``mi``, 0 for ``variation_of_information``, 1 for the others; NaN for a
        continuous column). ``attrs``: ``measure``, ``symmetric``, ``unit`` (the base's
        unit, or ``'unitless'``), ``n_rows`` (the most rows a cell used) and ``sample_rows``
        (of the k-NN cells' sample, when there are such cells); each pair's rows are in
        :func:`dmi.mutual_info_table`.

    Raises
    ------
    ValueError
        An unknown ``measure``; other keywords as for :func:`dmi.mutual_info_matrix`.

    Examples
    --------
    >>> import pandas as pd, dmi
    >>> df = pd.DataFrame({"city": list("aabbcc"), "country": list("xxxxyy")})
    >>> u = dmi.association_matrix(df, measure="uncertainty_coefficient")
    >>> u.round(3)  # country explains 58% of city's entropy; city all of country's
             city  country
    city      1.0    0.579
    country   1.0    1.000
    """
    check_choice("measure", measure, MEASURES)
    if not isinstance(bias_correction, bool):
        raise TypeError(f"bias_correction must be True or False, got {type(bias_correction).__name__}")
    request = check_options(**options)
    req = prepare(data, columns, request)
    opts, labels = req.opts, req.labels
    pairs = matrix_pairs(len(labels))
    res = compute(req, pairs, diagonal=True)
    undefined = [
        (labels[i], labels[j])
        for (i, j), r in zip(pairs, res.pairs, strict=True)
        if not r.estimator.entropies and measure in NEED_COUNTS and not math.isnan(r.mi)
    ]
    scale = math.log(opts.base) if measure in INFORMATION else 1.0  # nats to the caller's base

    def cell(r: PairResult, reverse: bool) -> float:
        stats = r.stats if r.estimator.entropies else None
        return pair_value(measure, r.mi, stats, reverse=reverse, bias_correction=bias_correction) / scale

    result = square(labels, pairs, res, cell, lambda h: self_value(measure, h) / scale)
    if undefined:
        shown = ", ".join(f"({a!r}, {b!r})" for a, b in undefined[:_SHOWN])
        more = f" and {len(undefined) - _SHOWN} more" if len(undefined) > _SHOWN else ""
        warn(
            f"measure={measure!r} needs counted pairs; the k-NN pair(s) {shown}{more} get NaN. "
            "Use method='binned' (continuous columns in quantile bins) or name discrete columns "
            "with discrete=[...]",
            UndefinedMeasureWarning,
        )
    shown_unit = unit(opts) if measure in INFORMATION else "unitless"
    result.attrs.update(measure=measure, symmetric=measure in SYMMETRIC, unit=shown_unit)
    return result
