"""The strongest pairs of a wide table, without computing every pair: :func:`top_pairs`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Sequence
from typing import Unpack

import pandas as pd

from dmi._engine import wide
from dmi._engine.request import DataLike, check_options
from dmi._engine.signatures import KnnKeywords, takes


@takes(KnnKeywords)
def top_pairs(
    data: DataLike,
    columns: Sequence[Hashable] | None = None,
    *,
    k: int | None = 10,
    threshold: float | None = None,
    **options: Unpack[KnnKeywords],
) -> pd.DataFrame:
    """Each column's ``k`` strongest partners, and every pair with MI of at least
    ``threshold``: the answer a wide table needs, at the cost of the pairs it reports.

    All pairs of ``p`` columns cost ``p * (p - 1) / 2`` estimates: 500,000 at 1,000 columns,
    50 million at 10,000. ``top_pairs`` screens every pair cheaply, then computes only the
    candidates exactly:

    1. **Screen** (one pass): a uniform sample of 20,000 rows (at most ``sample_size``),
       every column coded into 8 bins (4 beyond 10,000 columns; a category keeps its 7 most
       frequent values and pools the rest), and every pair's binned MI, less its expected
       bias, from the rows each two codes share (bit sets of the sample's rows, counted a
       word of 64 rows at a time): one Dask task per block of columns, each
       keeping only its columns' best partners. The screen keeps each column's ``3 * k``
       best-scoring partners above the noise floor (a G-test of independence at 0.01 over
       the column's partners, Bonferroni: a column of independent ones has on average at
       most 0.01 partners above it; 0.0028 nats for 8 codes over 20,000 rows at 10,000
       columns), and, with
       ``threshold``, every pair scoring at least a quarter of it (binning can lose
       information, never add it). A column with fewer partners above the noise than
       ``k`` reports fewer.
    2. **Refine** (one more pass): the candidates only, with the estimators, sample and
       seed of :func:`dmi.mutual_info_matrix`, so **every reported value equals the
       matrix's value for that pair, bit for bit**.

    Memory is O(columns x k): no result holds every pair. Past a few hundred columns this
    is the better call; below, :func:`dmi.mutual_info_matrix` gives every pair at a cost
    that is still small.

    **What the screen can miss** (measured in ``benchmarks/bench_pairs.py``): a pair's
    rank is only defined above the noise floor (among independent columns the order is
    noise), so recall is measured over the pairs whose exact MI is at least 0.02 nats,
    ten times the k-NN estimators' noise at 100,000 rows. On 300 mixed columns (integer
    codes, strings, booleans, floats, rounded floats, 5% missing) x 1,000,000 rows, every
    one of the 2,566 places of a column's 10 strongest partners above 0.02 nats was filled
    by ``top_pairs``, computing 2,682 of the 44,850 pairs (25 s against 256 s for the dense
    matrix); on the MUNIN network (1,041 categorical columns) x 1,000,000 rows, every one of
    6,006 places (a partner tied with the 10th, with equal MI, filling its place), computing
    27,062 of 541,320 pairs (59 s against 437 s); on 1,000 mixed columns x 1,000,000
    rows, every one of 8,570 places, computing 20,074 of 499,500 pairs (155 s against 84
    minutes). The screen must look deep: those 8,570 partners ranked as low as 30th in
    their columns' screens, so ``2 * k`` candidates per column would have missed 20 of
    them (each with a continuous column, whose quantile bins lose the most), MUNIN's
    6, the 300 columns' none (``python benchmarks/run.py pairs --methods ranks/...``). A
    dependence the bins hide is missed: ``y = x mod 7`` in 8 quantile bins of ``x``, or a
    relation that lives between the rare values of a many-valued category (pooled).

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s), dmi.Scan or dmi.Summary
        The table, in any form :func:`dmi.mutual_info_matrix` takes. A summary holds
        every pair's counts already: its pairs are computed, not screened.
    columns : list of column names, optional
        The columns to relate (default: all).
    k : int or None, default 10
        Each column's strongest partners to report (``None``: only ``threshold``).
    threshold : float or None, default None
        Also report every pair with MI at least this, in the units of ``base``
        (``None``: only ``k``).
    <keywords>

    Returns
    -------
    pandas.DataFrame
        One row per reported pair, largest MI first, with the columns of
        :func:`dmi.mutual_info_table` (``x``, ``y``, ``estimator``, ``n``, ``mi``, and the
        statistics of counted pairs; ``q_value`` is Benjamini-Hochberg over all pairs of
        the columns, those not computed counted as p = 1, which keeps the false-discovery
        rate; ``mi_stderr`` is not computed). ``attrs``: ``unit``, ``k``, ``threshold``,
        ``n_columns``, ``pairs`` (all pairs of the columns), ``candidates`` (computed
        exactly), ``screen_rows``, ``screen_bins`` and ``seconds`` (of the screen and of
        the refinement).

    Raises
    ------
    TypeError
        ``k`` not an integer, ``threshold`` not a number.
    ValueError
        ``k`` below 1, ``threshold`` negative or not finite, both ``None``, fewer than two
        columns; and as :func:`dmi.mutual_info_matrix`.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dmi
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(5_000, 3))
    >>> df = pd.DataFrame({f"c{i}": z[:, i % 3] + 0.5 * rng.normal(size=5_000) for i in range(9)})
    >>> pairs = dmi.top_pairs(df, k=2)
    >>> sorted(map(tuple, pairs[pairs["x"] == "c0"][["x", "y"]].values))
    [('c0', 'c3'), ('c0', 'c6')]
    """
    if k is not None:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"k must be a positive integer or None, got {k!r}")
        if k < 1:
            raise ValueError(f"k must be at least 1 (or None), got {k}")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise TypeError(f"threshold must be a number >= 0 or None, got {threshold!r}")
        if not (math.isfinite(threshold) and threshold >= 0):
            raise ValueError(f"threshold must be a finite number >= 0 or None, got {threshold!r}")
    if k is None and threshold is None:
        raise ValueError("k=None and threshold=None would report nothing: give k, threshold, or both")
    opts = check_options(**options)
    return wide.top_pairs(data, columns, None if k is None else int(k), threshold, opts)
