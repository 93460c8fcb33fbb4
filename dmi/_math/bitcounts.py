"""Compiled kernel of the wide-table screen: co-occurrence counts of row sets held as bits.

Every code of every column of the screen's sample is a set of rows, one bit a row
(``rows / 64`` words). The count of rows two codes share is ``popcount(a & b)`` summed over
the words, and a block of codes against another block gives every pair of columns'
contingency table at once (:func:`dmi._math.screen.block_scores`).

Measured against the one-hot float32 product with BLAS (``B_I.T @ B_J``), 20,000 rows,
1,024 x 1,024 codes, one core: BLAS 0.35 s, one code pair at a time 0.04 s, four codes of
the first block against one of the second per sweep of the words 0.026 s -- 13x: a word of
bits holds 64 rows, the float product reads one row per multiply-add. The scores are
computed in the same loop from each pair's table (:func:`pair_scores`), with a table of
``c log c`` instead of logarithms: scoring the tables with numpy, a (m, m, b, b) array at a
time, had become the screen's cost once the counts were cheap.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic


def _ctpop(typingctx: Any, x: Any) -> Any:  # pragma: no cover - compiled
    """LLVM's ``ctpop`` of a uint64 (the CPU's popcount instruction where it has one)."""
    sig = types.uint64(types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return sig, codegen


_popcount: Any = intrinsic(_ctpop)


@numba.njit(nogil=True, cache=True)
def _table(
    a: np.ndarray, b: np.ndarray, i: int, j: int, bins: int, out: np.ndarray
) -> None:  # pragma: no cover
    """``out[x, y]``: the rows where column ``i`` of ``a`` has code ``x`` and column ``j`` of
    ``b`` has code ``y`` (four codes of ``a`` per sweep over the words of a code of ``b``)."""
    words = a.shape[1]
    full = bins - bins % 4
    for x in range(0, full, 4):
        r = i * bins + x
        for y in range(bins):
            c0 = np.uint64(0)
            c1 = np.uint64(0)
            c2 = np.uint64(0)
            c3 = np.uint64(0)
            q = j * bins + y
            for w in range(words):
                v = b[q, w]
                c0 += _popcount(a[r, w] & v)
                c1 += _popcount(a[r + 1, w] & v)
                c2 += _popcount(a[r + 2, w] & v)
                c3 += _popcount(a[r + 3, w] & v)
            out[x, y] = c0
            out[x + 1, y] = c1
            out[x + 2, y] = c2
            out[x + 3, y] = c3
    for x in range(full, bins):
        for y in range(bins):
            c = np.uint64(0)
            for w in range(words):
                c += _popcount(a[i * bins + x, w] & b[j * bins + y, w])
            out[x, y] = c


@numba.njit(nogil=True, cache=True)
def pair_scores(
    a: np.ndarray, b: np.ndarray, bins: int, same: bool, xlogx: np.ndarray, crit: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Every pair of a column of ``a`` and a column of ``b`` (``bins`` codes each, a row of
    uint64 words per code; ``same``: one block, the pairs ``i < j`` only, the others
    ``-inf``): its plug-in MI in nats less the expected bias ``(R - 1)(C - 1) / (2 n)``, and
    its MI less the noise floor ``crit[dof] / (2 n)`` (``crit``: a G quantile for each
    number of degrees of freedom ``(R - 1)(C - 1)``). ``xlogx[c] = c log c`` for every count
    up to the rows: ``n I = sum t log t - sum r log r - sum c log c + n log n`` needs no
    logarithm."""
    m1 = a.shape[0] // bins
    m2 = b.shape[0] // bins
    score = np.full((m1, m2), -np.inf)
    less_noise = np.full((m1, m2), -np.inf)
    table = np.empty((bins, bins), dtype=np.int64)
    for i in range(m1):
        for j in range(i + 1 if same else 0, m2):
            _table(a, b, i, j, bins, table)
            n = 0
            cells = 0.0
            for x in range(bins):
                for y in range(bins):
                    n += table[x, y]
                    cells += xlogx[table[x, y]]
            if n == 0:
                continue
            margins = 0.0
            rows = 0
            for x in range(bins):
                t = 0
                for y in range(bins):
                    t += table[x, y]
                margins += xlogx[t]
                rows += t > 0
            cols = 0
            for y in range(bins):
                t = 0
                for x in range(bins):
                    t += table[x, y]
                margins += xlogx[t]
                cols += t > 0
            mi = (cells - margins + xlogx[n]) / n
            dof = (rows - 1) * (cols - 1)
            bias = dof / (2.0 * n)
            score[i, j] = mi - bias
            less_noise[i, j] = mi - crit[dof] / (2.0 * n)
    return score, less_noise


def xlogx_table(rows: int) -> np.ndarray:
    """``c log c`` (0 for 0) for every count ``c`` up to ``rows``."""
    c = np.arange(rows + 1, dtype=np.float64)
    out: np.ndarray = c * np.log(np.maximum(c, 1.0))
    return out
