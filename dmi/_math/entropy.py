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

from dmi._math.codes import Domain, Folded
from dmi._math.counts import SparseTable, Table, _nonzero, wide
from dmi._math.kernels import dense_mi_sum
from dmi._typing import IntArray


@dataclass(frozen=True, eq=False)
class PairStats:
    """Plug-in statistics of one pair over the rows it uses, in nats."""

    n: float
    """Rows used (pairwise-complete rows when missing values are dropped); with weights,
    the sum of their weights."""
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
    singletons: tuple[int, int] = (0, 0)
    """Values of x (of y) known only as singletons: a folded identifier's present rows,
    each a value of its own, and not listed in ``margins`` (so they take no memory)."""
    chi2: float = math.nan
    """Pearson's X**2 of independence (``scipy.stats.chi2_contingency(correction=False)``);
    NaN where the table is not kept (a folded side)."""
    n_eff: float | None = None
    """With fractional weights, the effective rows a test takes instead of ``n``
    (Kish's, :meth:`dmi._math.weights.WeightSums.effective`); None: ``n`` rows."""

    @property
    def rows(self) -> float:
        """The number of rows a test takes: ``n_eff`` when set, else ``n``."""
        return self.n if self.n_eff is None else self.n_eff


def entropy(counts: np.ndarray) -> float:
    """Plug-in Shannon entropy in nats of a vector of counts; NaN when the counts sum to 0."""
    n = counts.sum()
    return math.nan if n == 0 else _plogp(counts, n)


def _plogp(counts: np.ndarray, n: float) -> float:
    """``-sum c/n log(c/n)`` over the non-zero ``counts``.

    Summed in sorted order, so the floating-point sum does not depend on the order of
    the codes, which differs between partitionings: results are bit-identical across them.
    """
    c = np.sort(counts[counts > 0])
    return float(entr(c / n).sum())


def _full_index(order: IntArray | None, dropna: bool) -> IntArray | None:
    """Row/column index into a table (missing code 0 included unless ``dropna``) in value order."""
    if order is None:
        return None
    return order if dropna else np.r_[0, order + 1]


def _stats(
    n: float, mi_sum: float, row_sums: np.ndarray, col_sums: np.ndarray, cells: int, square: float
) -> PairStats:
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
        margins=(wide(rows), wide(cols)),
        chi2=max(n * (square - 1.0), 0.0),
    )


_EMPTY = PairStats(0, math.nan, math.nan, math.nan, 0, 0)


def _dense_stats(table: np.ndarray, dropna: bool, ia: IntArray | None, ib: IntArray | None) -> PairStats:
    t = table[1:, 1:] if dropna else table
    if ia is not None or ib is not None:
        t = t[
            np.ix_(np.arange(t.shape[0]) if ia is None else ia, np.arange(t.shape[1]) if ib is None else ib)
        ]
    dtype = np.float64 if t.dtype.kind == "f" else np.int64
    row_sums = t.sum(axis=1, dtype=dtype)
    col_sums = t.sum(axis=0, dtype=dtype)
    n = row_sums.sum().item()
    if n == 0:
        return _EMPTY
    mi_sum, square = dense_mi_sum(np.ascontiguousarray(t), row_sums, col_sums, n)
    return _stats(n, mi_sum, row_sums, col_sums, int(np.count_nonzero(t)), square)


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
    n = wide(counts).sum().item()
    if n == 0:
        return _EMPTY
    c = counts.astype(np.float64)
    # float64 sums of integer counts are exact below 2**53 rows
    row_sums = np.bincount(rows, weights=c)
    col_sums = np.bincount(cols, weights=c)
    # one ratio, as in dense_mi_sum: exactly independent tables give exactly 0
    expected = row_sums[rows] * col_sums[cols]
    mi_sum = float(np.sum(c * np.log((c * n) / expected)))
    square = float(np.sum(c * c / expected))
    return _stats(n, mi_sum, row_sums, col_sums, int(np.count_nonzero(counts)), square)


def pair_stats(
    table: Table, dropna: bool = True, order_x: IntArray | None = None, order_y: IntArray | None = None
) -> PairStats:
    """MI and marginal entropies of one joint count table.

    With ``dropna`` the missing code (row and column 0) is dropped first, so every
    quantity uses exactly the pairwise-complete rows. ``order_x``/``order_y`` (from
    :func:`dmi._math.codes.value_order`) read the table in value order, so the floating-point
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


def folded_entropy(domain: Folded, marginal: np.ndarray, dropna: bool) -> float:
    """Entropy in nats of a folded column: exact for an identifier, else NaN (unknown)."""
    missing, present = int(marginal[0]), int(marginal[1])
    n = present if dropna else present + missing
    if not domain.identifier or n == 0:
        return math.nan
    # each present row is a value of its own: n_present terms of 1/n log n
    return present / n * math.log(n) + (0.0 if dropna else _plogp(np.array([missing]), n))


def folded_pair_stats(table: Table, dropna: bool, x: Domain, y: Domain) -> PairStats:
    """Plug-in statistics of a pair with a folded side (:class:`dmi._math.codes.Folded`).

    A folded identifier's present code stands for rows that each hold a value of their
    own, so every quantity is exact from the two-row table: cells on that code are
    singletons (``1/n log n`` each). A folded column that is not proven an identifier
    has unknown entropies and MI: NaN, with the rows the pair uses.
    """
    rows, cols, counts = _nonzero(table)
    if dropna:
        keep = (rows > 0) & (cols > 0)
        rows, cols, counts = rows[keep], cols[keep], counts[keep]
    n = counts.sum().item()
    if not all(d.identifier for d in (x, y) if isinstance(d, Folded)):
        return PairStats(n, math.nan, math.nan, math.nan, 0, 0)
    if n == 0:
        return _EMPTY
    ones_x, ones_y = isinstance(x, Folded), isinstance(y, Folded)
    single = ((rows == 1) & ones_x) | ((cols == 1) & ones_y)
    c = wide(counts)
    row_sums = wide(np.bincount(rows, weights=c).astype(c.dtype))
    col_sums = wide(np.bincount(cols, weights=c).astype(c.dtype))
    # rows in singleton cells (or margins): each contributes 1/n log n
    s_x = int(row_sums[1]) if ones_x and row_sums.size > 1 else 0
    s_y = int(col_sums[1]) if ones_y and col_sums.size > 1 else 0
    s_xy = int(c[single].sum())
    rest_x = np.delete(row_sums, 1) if s_x else row_sums
    rest_y = np.delete(col_sums, 1) if s_y else col_sums
    log_n_over_n = math.log(n) / n
    r_x, r_y = _plogp(rest_x, n), _plogp(rest_y, n)
    h_x = s_x * log_n_over_n + r_x
    h_y = s_y * log_n_over_n + r_y
    # the singleton parts cancel in integers first: an identifier's MI is exactly H(other)
    mi = (s_x + s_y - s_xy) * log_n_over_n + (r_x + r_y - _plogp(c[~single], n))
    rx, ry = rest_x[rest_x > 0], rest_y[rest_y > 0]
    return PairStats(
        n=n,
        mi=max(mi, 0.0),
        h_x=h_x,
        h_y=h_y,
        k_x=s_x + rx.size,
        k_y=s_y + ry.size,
        cells=s_xy + int(np.count_nonzero(c[~single])),
        margins=(np.sort(rx), np.sort(ry)),
        singletons=(s_x, s_y),
    )
