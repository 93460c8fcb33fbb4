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

from ._summary import SparseTable, Table


@dataclass(frozen=True)
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


def entropy(counts: np.ndarray) -> float:
    """Plug-in Shannon entropy in nats of a vector of counts; NaN when the counts sum to 0."""
    # Sorted, so the floating-point sum does not depend on the order of the codes,
    # which differs between partitionings: results are bit-identical across them.
    counts = np.sort(counts[counts > 0])
    n = counts.sum()
    if n == 0:
        return math.nan
    return float(entr(counts / n).sum())


def _cells(table: Table, dropna: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(table, SparseTable):
        rows, cols, counts = table.rows, table.cols, table.counts
    else:
        t = table[1:, 1:] if dropna else table
        rows, cols = np.nonzero(t)
        counts = t[rows, cols]
        if dropna:
            return rows + 1, cols + 1, counts
        return rows, cols, counts
    if dropna:
        keep = (rows > 0) & (cols > 0)
        rows, cols, counts = rows[keep], cols[keep], counts[keep]
    return rows, cols, counts


def pair_stats(table: Table, dropna: bool = True) -> PairStats:
    """MI and marginal entropies of one joint count table.

    With ``dropna`` the missing code (row and column 0) is dropped first, so every
    quantity uses exactly the pairwise-complete rows.
    """
    rows, cols, counts = _cells(table, dropna)
    n = int(counts.sum())
    if n == 0:
        return PairStats(0, math.nan, math.nan, math.nan, 0, 0)
    # Margins over the non-zero cells only; float64 sums are exact below 2**53 rows.
    _, ri = np.unique(rows, return_inverse=True)
    _, ci = np.unique(cols, return_inverse=True)
    c = counts.astype(np.float64)
    row_sums = np.bincount(ri, weights=c)
    col_sums = np.bincount(ci, weights=c)
    outer = row_sums[ri] * col_sums[ci]
    # Each term depends only on (count, row sum x column sum): summing in that order makes
    # the result independent of the codes' order, so bit-identical across partitionings.
    order = np.lexsort((outer, c))
    c, outer = c[order], outer[order]
    # log(c * N / (r * s)) as one ratio: for exactly independent tables the products are
    # exact in float64 and the ratio is exactly 1, so MI is exactly 0 (not 1e-17).
    mi = float(np.sum((c / n) * np.log((c * n) / outer)))
    return PairStats(
        n=n,
        mi=max(mi, 0.0),
        h_x=float(entr(np.sort(row_sums) / n).sum()),
        h_y=float(entr(np.sort(col_sums) / n).sum()),
        k_x=len(row_sums),
        k_y=len(col_sums),
    )


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
