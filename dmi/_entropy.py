"""Entropy step: plug-in entropies and mutual information from exact counts (pure numpy).

All quantities are computed in nats and converted to the caller's ``base`` once, at
the end. MI uses the non-zero cells only and is clipped at 0, as
``sklearn.metrics.mutual_info_score`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import entr

from ._kernels import dense_mi_sum
from ._summary import SparseTable, Table
from ._typing import IntArray


@dataclass(frozen=True, eq=False)
class PairStats:
    """Plug-in statistics of one pair over the rows it uses, in nats."""

    n: int
    """Rows used (pairwise-complete rows when missing values are dropped)."""
    mi: float
    h_x: float
    h_y: float
    k_x: int
    """Distinct values of x among the rows used."""
    k_y: int
    cells: int = 0
    """Non-zero cells of the joint table."""
    margins: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
    """The non-zero row and column sums (value order), for tests that need the margins."""


def entropy(counts: np.ndarray) -> float:
    """Plug-in Shannon entropy in nats of a vector of counts; NaN when the counts sum to 0."""
    # Sorted, so the floating-point sum does not depend on the order of the codes,
    # which differs between partitionings: results are bit-identical across them.
    counts = np.sort(counts[counts > 0])
    n = counts.sum()
    if n == 0:
        return math.nan
    return float(entr(counts / n).sum())


def _full_index(order: IntArray | None, dropna: bool) -> IntArray | None:
    """Row/column index into a table (missing code 0 included unless ``dropna``) in value order."""
    if order is None:
        return None
    return order if dropna else np.r_[0, order + 1]


def _stats(n: int, mi_sum: float, row_sums: np.ndarray, col_sums: np.ndarray, cells: int) -> PairStats:
    rows = row_sums[row_sums > 0]
    cols = col_sums[col_sums > 0]
    return PairStats(
        n=n,
        mi=max(mi_sum / n, 0.0),
        h_x=float(entr(rows / n).sum()),
        h_y=float(entr(cols / n).sum()),
        k_x=len(rows),
        k_y=len(cols),
        cells=cells,
        margins=(rows.astype(np.int64), cols.astype(np.int64)),
    )


_EMPTY = PairStats(0, math.nan, math.nan, math.nan, 0, 0)


def _dense_stats(table: np.ndarray, dropna: bool, ia: IntArray | None, ib: IntArray | None) -> PairStats:
    t = table[1:, 1:] if dropna else table
    if ia is not None or ib is not None:
        t = t[
            np.ix_(np.arange(t.shape[0]) if ia is None else ia, np.arange(t.shape[1]) if ib is None else ib)
        ]
    row_sums = t.sum(axis=1, dtype=np.int64)
    col_sums = t.sum(axis=0, dtype=np.int64)
    n = int(row_sums.sum())
    if n == 0:
        return _EMPTY
    mi_sum = dense_mi_sum(np.ascontiguousarray(t), row_sums, col_sums, n)
    return _stats(n, mi_sum, row_sums, col_sums, int(np.count_nonzero(t)))


def _sparse_stats(table: SparseTable, dropna: bool, ia: IntArray | None, ib: IntArray | None) -> PairStats:
    rows, cols, counts = table.rows, table.cols, table.counts
    if dropna:
        keep = (rows > 0) & (cols > 0)
        rows, cols, counts = rows[keep] - 1, cols[keep] - 1, counts[keep]
    # rank of each code in value order; cells re-sorted by (rank_x, rank_y) when needed
    if ia is not None:
        rows = np.argsort(ia)[rows]
    if ib is not None:
        cols = np.argsort(ib)[cols]
    if ia is not None or ib is not None:
        order = np.lexsort((cols, rows))
        rows, cols, counts = rows[order], cols[order], counts[order]
    n = int(counts.sum())
    if n == 0:
        return _EMPTY
    c = counts.astype(np.float64)
    # float64 sums of integer counts are exact below 2**53 rows
    row_sums = np.bincount(rows, weights=c)
    col_sums = np.bincount(cols, weights=c)
    # one ratio, as in dense_mi_sum: exactly independent tables give exactly 0
    mi_sum = float(np.sum(c * np.log((c * n) / (row_sums[rows] * col_sums[cols]))))
    return _stats(n, mi_sum, row_sums, col_sums, int(np.count_nonzero(counts)))


def pair_stats(
    table: Table, dropna: bool = True, order_x: IntArray | None = None, order_y: IntArray | None = None
) -> PairStats:
    """MI and marginal entropies of one joint count table.

    With ``dropna`` the missing code (row and column 0) is dropped first, so every
    quantity uses exactly the pairwise-complete rows. ``order_x``/``order_y`` (from
    :func:`dmi._codes.value_order`) read the table in value order, so the floating-point
    sums, and hence the results, are bit-identical for every partitioning.
    """
    ia, ib = _full_index(order_x, dropna), _full_index(order_y, dropna)
    if isinstance(table, SparseTable):
        return _sparse_stats(table, dropna, ia, ib)
    return _dense_stats(table, dropna, ia, ib)


def normalized(stats: PairStats, average: str) -> float:
    """Normalized MI with sklearn's conventions (``normalized_mutual_info_score``).

    Two columns that each take a single value are a perfect match (1.0); otherwise
    MI = 0 gives 0.0 and MI > 0 is divided by the generalized mean of the entropies.
    """
    if stats.n == 0:
        return math.nan
    if stats.k_x == stats.k_y == 1:
        return 1.0
    if stats.mi == 0:
        return 0.0
    hx, hy = stats.h_x, stats.h_y
    if average == "arithmetic":
        denom = (hx + hy) / 2
    elif average == "geometric":
        denom = math.sqrt(hx * hy)
    elif average == "min":
        denom = min(hx, hy)
    elif average == "max":
        denom = max(hx, hy)
    else:  # pragma: no cover - validated at the boundary
        raise ValueError(f"unknown average method {average!r}")
    return stats.mi / denom
