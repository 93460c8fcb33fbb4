"""Drift between two versions of a table, from counts (pure numpy/scipy).

* :func:`column_shift` -- has a column's distribution changed? ``I(X; V)``, the MI of the
  column and the version ``V`` (before or after), and its G-test (``G = 2 N I``,
  ``dof = K - 1`` for ``K`` values seen): the pair statistics of the 2 x K table of version
  by value, as for any pair of counted columns; and the Jensen-Shannon
  divergence of the two distributions (which, unlike ``I(X; V)``, does not depend on how
  many rows each side has).
* :func:`change_p` -- has a pair's dependence changed? A permutation test over versions:
  under the null hypothesis that the pair's joint distribution is the same in both
  versions, the rows of the pooled table are exchangeable between them. Each permutation
  deals the pooled table's rows out again, ``n_before`` to before and the rest to after
  (a multivariate hypergeometric draw over the cells, so no row is materialised), and the
  statistic is ``|I_after - I_before|``. Keeping each side's rows fixed keeps the plug-in
  bias of each side's MI, so unequal sides are compared fairly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.special import entr, xlogy

from dmi._math.counts import Table, _nonzero
from dmi._math.entropy import pair_stats
from dmi._math.stats import g_test
from dmi._typing import IntArray

# Permuted tables held at once: cells x permutations (memory bound, 8 bytes each).
_BATCH_VALUES = 1 << 21
# Sequential permutation tests stop once this many permutations reach the observed statistic.
STOP_AFTER = 10
# Relative slack when comparing a permuted statistic with the observed one: equal tables
# give equal statistics up to floating-point rounding, and a tie counts as "as large".
_TIE = 1e-9


@dataclass(frozen=True)
class Shift:
    """How one column's distribution differs between versions; information in nats."""

    mi: float
    """``I(X; V)``: the information the version carries about the column."""
    js: float
    """Jensen-Shannon divergence of the two distributions (equal weights), in [0, ln 2]."""
    g: float
    dof: int
    p: float
    n_before: int
    n_after: int


def column_shift(before: IntArray, after: IntArray) -> Shift:
    """The shift between two count vectors over the same values (missing ones left out
    by the caller, or counted as a value of their own)."""
    nb, na = int(before.sum()), int(after.sum())
    if nb == 0 or na == 0:
        return Shift(math.nan, math.nan, math.nan, 0, math.nan, nb, na)
    # I(X;V) and its G-test are those of the 2 x K table of version by value
    stats = pair_stats(np.stack([before, after]).astype(np.int64), dropna=False)
    g, dof, p = g_test(stats)
    seen = (before + after) > 0
    pb, pa = before[seen] / nb, after[seen] / na
    js = float(entr((pb + pa) / 2).sum() - (entr(pb).sum() + entr(pa).sum()) / 2)
    return Shift(stats.mi, max(js, 0.0), g, dof, p, nb, na)


@dataclass(frozen=True)
class Cells:
    """A pair's two tables on the cells either has: the union of their non-zero cells
    (row code, column code) and each side's count there."""

    rows: IntArray
    cols: IntArray
    before: IntArray
    after: IntArray


def cells(before: Table, after: Table, dropna: bool) -> Cells:
    """The pooled cells of two tables of one shape (code 0 is missing: with ``dropna``
    its row and column are left out)."""
    if before.shape != after.shape:
        raise ValueError(f"tables of different shapes: {before.shape} and {after.shape}")
    width = before.shape[1]
    parts = [_nonzero(t) for t in (before, after)]
    keys = np.concatenate([r * width + c for r, c, _ in parts])
    counts = np.concatenate([v.astype(np.int64) for _, _, v in parts])
    side = np.repeat([0, 1], [parts[0][0].size, parts[1][0].size])
    uniq, inverse = np.unique(keys, return_inverse=True)
    b = np.bincount(inverse[side == 0], weights=counts[side == 0], minlength=uniq.size).astype(np.int64)
    a = np.bincount(inverse[side == 1], weights=counts[side == 1], minlength=uniq.size).astype(np.int64)
    rows, cols = uniq // width, uniq % width
    keep = (rows > 0) & (cols > 0) if dropna else np.ones(uniq.size, dtype=bool)
    return Cells(rows[keep], cols[keep], b[keep], a[keep])


def dense_table(rows: IntArray, cols: IntArray, shape: tuple[int, int]) -> np.ndarray:
    """The joint counts of two code columns as a dense ``shape`` table."""
    flat = np.bincount(rows.astype(np.int64) * shape[1] + cols, minlength=shape[0] * shape[1])
    return flat.reshape(shape).astype(np.int64)


def _margin(codes: IntArray) -> scipy.sparse.csr_array:
    """The cells x values indicator of a margin, to sum many tables' cells at once."""
    values, index = np.unique(codes, return_inverse=True)
    ones = np.ones(codes.size)
    return scipy.sparse.csr_array((ones, (np.arange(codes.size), index)), shape=(codes.size, values.size))


def _mi_of(x: np.ndarray, by_row: scipy.sparse.csr_array, by_col: scipy.sparse.csr_array) -> np.ndarray:
    """Plug-in MI (nats) of each row of ``x`` (tables as counts over the same cells)."""
    n = x.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = (
            xlogy(x, x).sum(axis=1)
            - xlogy(r := x @ by_row, r).sum(axis=1)
            - xlogy(c := x @ by_col, c).sum(axis=1)
            + xlogy(n, n)
        ) / n
    return np.where(n > 0, np.maximum(total, 0.0), np.nan)


def change_p(pair: Cells, permutations: int, rng: np.random.Generator, stop_after: int = STOP_AFTER) -> float:
    """The permutation p-value of ``|I_after - I_before|`` (see the module docstring);
    NaN when a side has no rows.

    Sequential (Besag and Clifford 1991): permutations are drawn until ``stop_after`` of
    them reach the observed statistic, at the ``L``-th, giving ``p = stop_after / L``; or
    until ``permutations``, giving ``(1 + reached) / (1 + permutations)``. Both are valid
    p-values; a pair that did not change stops after a few dozen permutations, and one
    that did can reach ``1 / (1 + permutations)``, small enough for Benjamini-Hochberg
    over many pairs.
    """
    nb, na = int(pair.before.sum()), int(pair.after.sum())
    if nb == 0 or na == 0:
        return math.nan
    by_row, by_col = _margin(pair.rows), _margin(pair.cols)
    pooled = pair.before + pair.after

    def statistic(before: np.ndarray) -> np.ndarray:
        return np.abs(_mi_of(pooled - before, by_row, by_col) - _mi_of(before, by_row, by_col))

    observed = float(statistic(pair.before[None, :].astype(np.float64))[0])
    largest = max(1, _BATCH_VALUES // max(pooled.size, 1))
    reached = done = 0
    batch = min(2 * stop_after, largest)
    while done < permutations:
        size = min(batch, permutations - done)
        drawn = rng.multivariate_hypergeometric(pooled, nb, size=size, method="marginals")
        hits = statistic(drawn.astype(np.float64)) >= observed * (1 - _TIE) - 1e-15
        total = np.cumsum(hits) + reached
        if total[-1] >= stop_after:
            at = int(np.argmax(total >= stop_after)) + 1  # the permutation that reached stop_after
            return stop_after / (done + at)
        reached, done = int(total[-1]), done + size
        batch = min(2 * batch, largest)
    return (1 + reached) / (1 + permutations)
