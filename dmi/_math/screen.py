"""The screen of a wide table: every pair's MI in a few bins, at once, on a sample (pure numpy).

Every column of the sample is coded into at most ``bins`` codes (:func:`codes_of`): a
number with more distinct values than that into quantile bins, anything else into its
``bins - 1`` most frequent values and one code for the rest; a missing value has no code.
Each code is held as a set of rows, one bit a row (:func:`pack_codes`); the counts of rows
two codes share, for two blocks of columns at once (:mod:`dmi._math.bitcounts`, 13x the
one-hot float product with BLAS), give every pair's contingency table, and every pair's
plug-in MI from those tables at once (:func:`block_scores`).

A pair's *score* is that MI less its expected bias ``(R - 1)(C - 1) / (2 n)``, so pairs of
columns with few and many codes compare fairly. Binning and pooling can only lose
information (the data-processing inequality), so a pair's score is about a lower bound of
its MI: the screen keeps each column's ``keep`` best-scoring partners, which are then
computed exactly. What it can miss is a dependence the bins hide (``y = x mod 7`` in
quantile bins of x) or one weaker than ``keep`` others of the same column.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dmi._math.bitcounts import pair_scores, xlogx_table
from dmi._math.codes import as_float, factorize, is_decimal, is_time


@dataclass(frozen=True, eq=False)
class Candidates:
    """Scored pairs ``(i, j)``, ``i < j``, from the screen."""

    i: np.ndarray
    j: np.ndarray
    score: np.ndarray

    @staticmethod
    def concat(parts: list[Candidates]) -> Candidates:
        """All the pairs of ``parts`` in one."""
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return Candidates(empty, empty, np.zeros(0))
        return Candidates(*(np.concatenate([getattr(c, f) for c in parts]) for f in ("i", "j", "score")))


def _numeric(s: pd.Series) -> bool:
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return False
    return bool(pd.api.types.is_numeric_dtype(dtype) or is_time(dtype) or is_decimal(dtype))


def codes_of(s: pd.Series, bins: int) -> np.ndarray:
    """One column of the sample as int8 codes ``0..bins-1`` (-1 where missing): quantile bins
    of a number with more than ``bins`` distinct values; otherwise its values, the ``bins -
    1`` most frequent kept and the others pooled into one code."""
    if _numeric(s):
        x = as_float(s)
        present = ~np.isnan(x)
        values = np.unique(x[present])
        if values.size > bins:
            edges = np.unique(np.quantile(x[present], np.linspace(0, 1, bins + 1)[1:-1]))
            codes = np.searchsorted(edges, x, side="right")
            return np.where(present, codes, -1).astype(np.int8)
        codes = np.searchsorted(values, x)
        return np.where(present, codes, -1).astype(np.int8)
    labels, _ = factorize(s)
    counts = np.bincount(labels[labels >= 0])
    if counts.size <= bins:
        return labels.astype(np.int8)
    # the most frequent bins - 1 values keep a code each (ties by value order); the rest share one
    top = np.argsort(-counts, kind="stable")[: bins - 1]
    recode = np.full(counts.size, bins - 1, dtype=np.int8)
    recode[top] = np.arange(bins - 1, dtype=np.int8)
    return np.where(labels >= 0, recode[np.maximum(labels, 0)], -1).astype(np.int8)


def pack_codes(codes: np.ndarray, bins: int) -> np.ndarray:
    """``codes`` (rows x columns) as bit sets: row ``c * bins + b`` of the result holds, one
    bit a row (uint64 words, little-endian bits, the last word padded with 0), the rows
    where column ``c`` has code ``b``; a missing value (-1) is in none of its column's sets."""
    n, p = codes.shape
    pad = (-n) % 64
    out = np.empty((p * bins, (n + pad) // 64), dtype=np.uint64)
    step = max(1, 2**22 // max(1, n * bins))  # columns per slice: a few MiB of booleans
    for start in range(0, p, step):
        part = codes[:, start : start + step]
        hot = (part[:, :, None] == np.arange(bins, dtype=np.int8)).reshape(n, -1)
        hot = np.concatenate([hot, np.zeros((pad, hot.shape[1]), dtype=bool)])
        packed = np.ascontiguousarray(np.packbits(hot, axis=0, bitorder="little").T)
        out[start * bins : start * bins + hot.shape[1]] = packed.view(np.uint64)
    return out


NOISE_ALPHA = 0.01
"""The noise floor of a column's partners (``noise=`` in :func:`block_scores`): between
independent columns ``G = 2 n I`` is chi-square with ``(R-1)(C-1)`` degrees of freedom, and
a pair is above the floor when its G exceeds that distribution's ``1 - NOISE_ALPHA / m``
quantile, ``m`` the partners each column is scored against (Bonferroni): a column of a
table of independent columns has on average at most 0.01 partners above it, whatever the
width. (A floor of 4 standard deviations of G kept 4 chance partners per column at 10,000
columns, and the refine sampled every column: 22 GiB.) At 20,000 rows and 8 codes the floor
of 10,000 columns is 0.0028 nats, far below the 0.02 the recall is measured at."""


@functools.lru_cache(maxsize=4)
def _xlogx(rows: int) -> np.ndarray:
    return xlogx_table(rows)


@functools.lru_cache(maxsize=16)
def noise_quantiles(bins: int, partners: int) -> np.ndarray:
    """The floor's G for each number of degrees of freedom up to ``(bins - 1)**2`` (0: none)."""
    from scipy.stats import chi2

    dof = np.arange((bins - 1) ** 2 + 1)
    out: np.ndarray = np.where(dof > 0, chi2.isf(NOISE_ALPHA / max(1, partners), np.maximum(dof, 1)), 0.0)
    return out


def block_scores(
    bits: np.ndarray,
    first: range,
    second: range,
    bins: int,
    keep: int,
    floor: float | None = None,
    noise: int = 0,
) -> Candidates:
    """The screen of the pairs between the columns ``first`` and ``second`` (blocks of the
    columns of ``bits``, :func:`pack_codes`; the same block for the pairs within it): each
    column's ``keep`` best-scoring partners here (``noise``: the partners each column is
    scored against in all; then only those above the noise floor, :data:`NOISE_ALPHA`), and
    (``floor``) every pair scoring at least ``floor``."""
    a = bits[first.start * bins : first.stop * bins]
    same = first == second
    b = a if same else bits[second.start * bins : second.stop * bins]
    m1, m2 = len(first), len(second)
    crit = noise_quantiles(bins, noise)
    score, less_noise = pair_scores(a, b, bins, same, _xlogx(bits.shape[1] * 64), crit)
    above_noise = less_noise > 0 if noise else np.ones(score.shape, dtype=bool)
    ii, jj = np.meshgrid(
        np.arange(first.start, first.stop), np.arange(second.start, second.stop), indexing="ij"
    )
    valid = ii < jj if same else np.ones_like(ii, dtype=bool)
    score = np.where(valid, score, -np.inf)
    chosen = np.zeros(score.shape, dtype=bool)
    k = min(keep, m2)
    if k > 0:  # each row's (a column of ``first``) best partners in ``second``
        top = np.argpartition(-score, k - 1, axis=1)[:, :k]
        chosen[np.arange(m1)[:, None], top] = True
    k = min(keep, m1)
    if k > 0:  # and each column of ``second``'s best partners in ``first``
        top = np.argpartition(-score, k - 1, axis=0)[:k, :]
        chosen[top, np.arange(m2)[None, :]] = True
    chosen &= above_noise
    if floor is not None:
        chosen |= score >= floor
    chosen &= valid & np.isfinite(score)
    return Candidates(ii[chosen], jj[chosen], score[chosen])


def best_partners(found: Candidates, p: int, keep: int, floor: float | None = None) -> np.ndarray:
    """The pairs ``(i, j)`` (rows of an int64 array) among ``found`` that are one of
    column ``i``'s or column ``j``'s ``keep`` best-scoring, or score at least ``floor``."""
    if found.i.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    # each pair once (blocks do not overlap), then each column's view of it
    column = np.concatenate([found.i, found.j])
    index = np.concatenate([np.arange(found.i.size)] * 2)
    score = np.concatenate([found.score, found.score])
    order = np.lexsort((-score, column))  # by column, best first
    column, index = column[order], index[order]
    start = np.searchsorted(column, np.arange(p))
    rank = np.arange(column.size) - start[column]
    picked = np.zeros(found.i.size, dtype=bool)
    picked[index[rank < keep]] = True
    if floor is not None:
        picked |= found.score >= floor
    pairs = np.column_stack([found.i[picked], found.j[picked]])
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def column_blocks(p: int, size: int) -> list[tuple[range, range]]:
    """The block pairs ``(I, J)``, ``I <= J``, covering every pair of ``p`` columns cut into
    blocks of ``size``."""
    blocks = [range(s, min(s + size, p)) for s in range(0, p, size)]
    return [(blocks[a], blocks[b]) for a in range(len(blocks)) for b in range(a, len(blocks))]
