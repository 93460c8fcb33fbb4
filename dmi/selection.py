"""Public entry point for feature selection: :func:`select_features`."""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Sequence
from typing import Unpack

import pandas as pd

from dmi._engine.request import DataLike
from dmi._engine.select import binned_options, select
from dmi._engine.signatures import WeightedBinnedKeywords, takes
from dmi._engine.validate import check_alpha, check_choice
from dmi._math.selection import METHODS


@takes(WeightedBinnedKeywords)
def select_features(
    data: DataLike,
    target: Hashable,
    k: int | None = None,
    *,
    method: str = "mrmr",
    alpha: float | None = 0.05,
    columns: Sequence[Hashable] | None = None,
    quotient: bool = False,
    **options: Unpack[WeightedBinnedKeywords],
) -> pd.DataFrame:
    """Choose features for ``target`` one at a time, with the evidence for each step.

    The criteria are those of Brown, Pocock, Zhao and Luján, "Conditional Likelihood
    Maximisation: A Unifying Framework for Information Theoretic Feature Selection",
    JMLR 13 (2012), for a candidate ``X``, the selected set ``S`` and the target ``Y``:

    ======== ====================================================== ==========================
    method   score of a candidate                                   passes over the data
    ======== ====================================================== ==========================
    ``mim``  ``I(X;Y)``: relevance only (redundant copies kept)     1
    ``mrmr`` ``I(X;Y) - mean_{s in S} I(X;X_s)`` (Peng et al.       1
             2005; ``quotient=True``: ``I(X;Y) / mean I(X;X_s)``)
    ``jmi``  ``mean_{s in S} I(X;Y|X_s)`` (Yang and Moody 1999)     1 + one per selected
                                                                    feature but the last
    ``cmim`` ``min_{s in S} I(X;Y|X_s)`` (Fleuret 2004)             as ``jmi``
    ======== ====================================================== ==========================

    With nothing selected yet every score is the relevance. Ties go to the earlier
    column. Every column is made discrete first: continuous columns (and integer
    columns with many values) are cut into ``bins`` quantile bins taken from a uniform
    sample (one more pass; the result's ``attrs["binned"]`` lists them), discrete ones
    stay as they are; then every term is the exact plug-in MI of counts over all rows.
    A continuous target is binned too.

    **Stopping.** Each step takes the best-scoring candidate whose G-test is
    significant: its p-value, adjusted by Benjamini-Hochberg over all remaining
    candidates' p-values at that step, is at most ``alpha``. A candidate that fails is
    passed over at that step, and the selection stops at ``k`` features, when the
    candidates run out, or when no remaining candidate is significant (``k=None``:
    until then). The test is

    - ``mim``, ``mrmr``, and the first step of every method: the G-test of independence
      of ``X`` and ``Y`` (``G = 2 N I(X;Y)``, ``(R-1)(C-1)`` degrees of freedom).
    - ``jmi``, ``cmim``: the G-test of conditional independence of ``X`` and ``Y`` given
      the one selected feature ``X_s`` that leaves the least of ``X``'s information about
      ``Y`` (the smallest ``I(X;Y|X_s)``; ``G = 2 N I(X;Y|X_s)``, ``sum_z (R_z-1)(C_z-1)``
      degrees of freedom over the values ``z`` of ``X_s``). Column ``given`` names it.

    Passing over rather than stopping at the best-scoring candidate matters for JMI,
    whose score averages over the selected features: an exact copy of a selected
    feature still scores high (it adds to the others what the original does), while its
    test given the original is 0, and a stop there would miss every feature after it.

    What the stop guarantees: at each step, among the remaining candidates' tests, the
    expected share of false discoveries is at most ``alpha`` (Benjamini-Hochberg under
    independence or positive dependence of the tests). What it does not: the tests of
    successive steps are not combined into one error rate, the G-test's chi-square
    approximation is poor for tables with many small expected counts, and with MIM and
    mRMR the test only asks whether a feature is related to the target at all, not
    whether it adds anything to the features already selected (a redundant copy of a
    selected feature still passes; JMI and CMIM test that). Binning a continuous column
    can only lose information (the data-processing inequality), so a dependence that
    does not show in the bins is not found.

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s), dmi.Scan or dmi.Summary
        The table, in any form :func:`dmi.mutual_info_matrix` takes. A :class:`dmi.Summary` (for
        example tonight's merged into yesterday's) serves ``mim`` and ``mrmr`` on its
        discrete columns from its counts, without reading data; continuous columns and
        JMI/CMIM need the rows.
    target : column name
        The column to explain.
    k : int, optional
        The most features to select (``None``: until the stop).
    method : {'mrmr', 'mim', 'jmi', 'cmim'}, default 'mrmr'
    alpha : float or None, default 0.05
        The level of the Benjamini-Hochberg stop, in (0, 1). ``None``: no stop: each step
        takes the best-scoring candidate, significant or not, until ``k`` (as the
        ``mrmr_selection`` package does); the tests are still reported. ``k=None`` with
        ``alpha=None`` is an error.
    columns : list of column names, optional
        The candidates (default: every column but ``target``).
    discrete, sample_size, random_state, split_every, progress, max_categories, weights
        As for :func:`dmi.mutual_info_matrix`; ``sample_size`` and ``random_state`` set
        the sample the quantile bins are taken from.
    bins : int or 'auto', default 'auto'
        Quantile bins of each continuous column. ``'auto'`` (the default) gives each
        column ``floor(sqrt(rows / 5))`` bins, from 2 to 32, so a table of two binned
        columns expects at least 5 rows per cell (32 from 5,120 rows on). The bins used
        are in the result's ``attrs["bins"]``.
    quotient : bool, default False
        ``method='mrmr'`` in its quotient form (MIQ) instead of the difference (MID).
    base : float, default math.e
        Logarithm base of the MI columns: ``math.e`` gives nats, ``2`` bits (``g`` is
        always ``2 N`` times MI in nats).
    dropna : bool, default True
        ``True``: each term over the rows where its columns have values. ``False``: a
        missing value is a category of its own.

    Returns
    -------
    pandas.DataFrame
        One row per selected feature, in order: ``step``, ``feature``, ``score`` (the
        criterion), ``relevance`` ``I(X;Y)``, ``redundancy`` (the criterion's redundancy
        term: ``relevance - score`` for MID, JMI and CMIM, the mean pairwise MI for MIQ,
        0 for MIM), ``conditional_mi`` (JMI's mean, CMIM's minimum of ``I(X;Y|X_s)``;
        the relevance at step 1; NaN for MIM and mRMR), ``given`` (the feature the
        test conditions on), ``g``, ``dof``, ``p_value`` and ``q_value`` of the step's
        test, and ``reason``: why it was taken (its q-value against ``alpha``, and a
        warning word where its score is negative: with mRMR and MIM the stop tests
        relevance to the target, so a feature more redundant than relevant can still be
        taken; give ``k`` to stop earlier). ``attrs``: ``not_selected`` (a DataFrame of
        the remaining candidates with their score and test at the last step evaluated,
        best score first: the margin),
        ``stopped`` (``'k'``, ``'not significant'``: no remaining candidate was, or
        ``'candidates'``: none left), ``passes``, ``binned``,
        ``bins``, ``method``, ``alpha``, ``target`` and ``unit``.

    Raises
    ------
    KeyError
        ``target`` or a column that does not exist.
    ValueError
        An unknown ``method``; ``alpha`` outside (0, 1); ``k`` below 1 or above the
        number of candidates; ``k=None`` with ``alpha=None``; no candidate columns; a
        summary with continuous columns, or with ``method='jmi'`` or ``'cmim'``.
    TypeError
        ``k`` or ``alpha`` of the wrong type.

    Examples
    --------
    Two features that tell ``y`` together, each with a copy, and noise: JMI takes one of
    each pair, then stops; MIM takes the copies.

    >>> import numpy as np, pandas as pd, dmi
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.integers(0, 2, 5_000), (rng.random(5_000) < 0.3).astype(int)
    >>> df = pd.DataFrame({"a": a, "a_copy": a, "b": b, "b_copy": b, "noise": rng.integers(0, 2, 5_000)})
    >>> df["y"] = a ^ b
    >>> dmi.select_features(df, "y", method="jmi")["feature"].tolist()
    ['a', 'b']
    >>> dmi.select_features(df, "y", k=2, method="mim")["feature"].tolist()
    ['a', 'a_copy']
    """
    check_choice("method", method, METHODS)
    alpha = check_alpha(alpha, optional=True)
    if k is None and alpha is None:
        raise ValueError(
            "k=None and alpha=None would select every candidate: give k (how many features) or "
            "alpha (the significance stop), or both"
        )
    if k is not None:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k must be a positive integer or None, got {type(k).__name__}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
    if not isinstance(quotient, bool):
        raise TypeError(f"quotient must be True or False, got {type(quotient).__name__}")
    opts = binned_options(**options)
    return select(data, target, columns, method, None if k is None else int(k), alpha, quotient, opts)
