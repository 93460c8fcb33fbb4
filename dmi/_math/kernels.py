"""Compiled counting kernel: the one hot loop of the discrete engine.

Measured on 1M rows x 14 columns (91 pairs, tables up to 1001 x 569 cells), one core:

* per-pair ``np.bincount(a * K_b + b)`` (the numpy floor): ~0.25 s, because it
  materializes a 1M-element key array per pair;
* this kernel, int32 codes and int64 counters, row blocks of 2048: 0.111 s;
* no row blocks (one streaming pass per pair; the prefetcher handles the codes, the
  cost is the random increments): 0.091 s;
* uint16 codes and int32 counters, no blocks: 0.071 s -- smaller tables stay in cache.

So codes are uint16 when every column has fewer than 65535 codes, and counters are
int32 when the partition has fewer than 2**31 rows (always, in practice: a partition's
counts cannot exceed its rows); :func:`dmi._math.counts.merge` accumulates in int64. The
kernel releases the GIL, so Dask's threads count partitions, or blocks of one partition's
pairs, in parallel. (Row blocks measured again on 200 columns x 1M rows: twice as slow,
the tables' increments leave the cache between blocks.)
"""

from __future__ import annotations

import numba
import numpy as np

from dmi._typing import IntArray


@numba.njit(nogil=True, cache=True)
def _count(
    codes: np.ndarray,
    marg_offsets: np.ndarray,
    marg_out: np.ndarray,
    pair_a: np.ndarray,
    pair_b: np.ndarray,
    widths: np.ndarray,
    offsets: np.ndarray,
    out: np.ndarray,
    marginals: bool,
    weights: np.ndarray,
) -> None:  # pragma: no cover - compiled
    ncols, n = codes.shape
    weighted = weights.shape[0] > 0
    for c in range(ncols if marginals else 0):
        off = marg_offsets[c]
        row = codes[c]
        if weighted:
            for i in range(n):
                marg_out[off + row[i]] += weights[i]
        else:
            for i in range(n):
                marg_out[off + row[i]] += 1
    for p in range(pair_a.shape[0]):
        ra = codes[pair_a[p]]
        rb = codes[pair_b[p]]
        w = widths[p]
        off = offsets[p]
        if weighted:
            for i in range(n):
                out[off + ra[i] * w + rb[i]] += weights[i]
        else:
            for i in range(n):
                out[off + ra[i] * w + rb[i]] += 1


@numba.njit(nogil=True, cache=True)
def pair_squares(
    codes: np.ndarray, pair_a: np.ndarray, pair_b: np.ndarray, weights: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``out[p]``: the sum of ``weights[i] ** 2`` over the rows where both columns of pair
    ``p`` have a value (code 0 is missing), for Kish's effective rows of the pair."""
    for p in range(pair_a.shape[0]):
        ra = codes[pair_a[p]]
        rb = codes[pair_b[p]]
        s = 0.0
        for i in range(weights.shape[0]):
            if ra[i] != 0 and rb[i] != 0:
                w = float(weights[i])
                s += w * w
        out[p] = s


@numba.njit(nogil=True, cache=True)
def write_codes(
    source: np.ndarray, offset: int, mask: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover
    """``out[i] = source[i] + offset``, or 0 where ``mask[i]`` (an empty mask: none missing).

    One compiled loop without the GIL: numpy's ``np.add(..., out=uint16, dtype=int64)``
    goes through casting buffers and took 3 ms per column of 1M rows (measured), a
    third of a partition's counting time; this loop takes well under 1 ms.
    """
    if mask.shape[0]:
        for i in range(out.shape[0]):
            out[i] = 0 if mask[i] else source[i] + offset
    else:
        for i in range(out.shape[0]):
            out[i] = source[i] + offset


def code_dtype(sizes: IntArray) -> type[np.unsignedinteger] | type[np.signedinteger]:
    """The narrowest code dtype the kernel is compiled for that holds codes ``0..sizes``."""
    return np.uint16 if (sizes.size == 0 or int(sizes.max()) < np.iinfo(np.uint16).max) else np.int32


def count_dense(
    codes: np.ndarray,
    sizes: IntArray,
    pair_a: IntArray,
    pair_b: IntArray,
    *,
    marginals: bool = True,
    weights: np.ndarray | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Count every column's marginal and every listed pair's joint table in one pass.

    Parameters
    ----------
    codes : ndarray of uint16 or int32, shape (n_columns, n_rows)
        Codes ``0..sizes[c]`` per column (0 = missing), C-contiguous.
    sizes : ndarray of int64, shape (n_columns,)
        Number of value codes per column.
    pair_a, pair_b : ndarray of int64, shape (n_pairs,)
        Column indices of the pairs to tabulate densely.
    marginals : bool, default True
        Whether to count the marginals (a block of pairs other than the first leaves them
        to that one; they are then all zero).
    weights : ndarray of int64 or float64, shape (n_rows,), optional
        Row weights: row ``i`` counts ``weights[i]`` times (the counters are then of the
        weights' dtype). None counts each row once.

    Returns
    -------
    marginals : list of ndarray of int32 (int64 for partitions of 2**31 rows or more;
        the weights' dtype with weights)
        Per column, counts of codes ``0..sizes[c]``.
    tables : list of ndarray of int32 (or as the marginals)
        Per pair, a ``(sizes[a] + 1, sizes[b] + 1)`` table of joint counts.
    """
    n = codes.shape[1]
    if weights is not None:
        weights = np.ascontiguousarray(weights, dtype=np.float64 if weights.dtype.kind == "f" else np.int64)
    counter = weights.dtype if weights is not None else np.int32 if n < np.iinfo(np.int32).max else np.int64
    widths = (sizes + 1).astype(np.int64)
    marg_offsets = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(widths[:-1], out=marg_offsets[1:])
    marg_out = np.zeros(int(widths.sum()), dtype=counter)

    cells = widths[pair_a] * widths[pair_b]
    offsets = np.zeros(len(pair_a), dtype=np.int64)
    if len(pair_a):
        np.cumsum(cells[:-1], out=offsets[1:])
    out = np.zeros(int(cells.sum()), dtype=counter)

    _count(
        np.ascontiguousarray(codes),
        marg_offsets,
        marg_out,
        np.ascontiguousarray(pair_a, dtype=np.int64),
        np.ascontiguousarray(pair_b, dtype=np.int64),
        widths[pair_b],
        offsets,
        out,
        marginals,
        np.zeros(0, np.int64) if weights is None else weights,
    )
    margins = [marg_out[o : o + w] for o, w in zip(marg_offsets, widths, strict=True)]
    tables = [
        out[o : o + c].reshape(widths[a], widths[b])
        for o, c, a, b in zip(offsets, cells, pair_a, pair_b, strict=True)
    ]
    return margins, tables


@numba.njit(nogil=True, cache=True)
def dense_mi_sum(
    table: np.ndarray, row_sums: np.ndarray, col_sums: np.ndarray, n: int
) -> tuple[float, float]:  # pragma: no cover - compiled
    """``sum c * log(c * n / (r * s))`` over the non-zero cells, in row-major order, and
    ``sum c**2 / (r * s)`` (Pearson's X**2 is ``n`` times that sum less one).

    One pass, no temporaries. ``c * n`` and ``r * s`` are exact in float64 below 2**53,
    so an exactly independent table gives exactly 0 (sklearn zeroes such terms too).
    """
    acc = 0.0
    square = 0.0
    nf = float(n)
    for i in range(table.shape[0]):
        r = float(row_sums[i])
        if r == 0.0:
            continue
        for j in range(table.shape[1]):
            c = table[i, j]
            if c != 0:
                cf = float(c)
                rs = r * float(col_sums[j])
                acc += cf * np.log((cf * nf) / rs)
                square += cf * cf / rs
    return acc, square
