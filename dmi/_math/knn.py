"""k-nearest-neighbour MI estimators on in-memory samples (eager numpy/scipy/numba, no Dask).

* :func:`ksg` -- continuous-continuous, Kraskov, Stögbauer & Grassberger (2004),
  algorithm 1, doi:10.1103/PhysRevE.69.066138.
* :func:`ross` -- discrete-continuous, Ross (2014), doi:10.1371/journal.pone.0087357.

Both follow scikit-learn's ``_compute_mi_cc`` / ``_compute_mi_cd`` conventions: the
neighbour radius is the k-th neighbour's distance moved one float towards 0 (so the
marginal counts use a strict inequality), the estimate is clipped at 0. Each column of a
pair is read as an :class:`Axis` (its values scaled and jittered over the pair's rows,
sorted once, with a value index; a column without missing values has one Axis for all of
its pairs). The exact neighbour searches are in :mod:`dmi._math.neighbours`: the k-th
neighbour distance in the joint space (max-norm) by a search in quantile strips, the
marginal counts by each axis's value index.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma

from dmi._math.neighbours import (
    CELLS,
    SEGMENT,
    Scratch,
    count_indexed,
    count_within,
    group_kth_gaps,
    kth_neighbor_distance,
    scratch,
    value_index,
)
from dmi._math.parallel import run_pieces
from dmi._math.sorting import argsort_float64

# sklearn's tie-breaking noise: 1e-10 * max(1, mean |x|) standard normal, after scaling.
_NOISE = 1e-10


@dataclass(frozen=True, eq=False)
class Prepared:
    """One continuous column of the sample: raw values, its noise draw, its sort order."""

    raw: np.ndarray
    """float64 values, NaN where missing."""
    noise: np.ndarray
    """One standard-normal draw per row: the tie-breaking jitter before its scale."""
    order: np.ndarray
    """Present rows in the order of their jittered values on all present rows (the order
    of (value, noise), but where distinct values lie within the jitter of each other)."""


def prepare(x: np.ndarray, rng: np.random.Generator) -> Prepared:
    """Draw the column's tie-breaking noise and sort it once, for all of its pairs.

    The noise is drawn for every row (present or not), so a row's jitter does not
    depend on which other rows are missing.
    """
    raw = np.asarray(x, dtype=np.float64)
    noise: np.ndarray = np.asarray(rng.standard_normal(size=raw.shape[0]))
    return Prepared(raw, noise, jitter_order(raw, noise))


def jitter_order(raw: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """The present rows in the order of their jittered values on all present rows (one
    radix sort; a lexsort of (value, noise) takes twice as long as numpy's argsort)."""
    present = ~np.isnan(raw)
    idx = np.flatnonzero(present)
    if idx.size == 0:
        return idx
    return idx[argsort_float64(_jittered(raw, noise, raw[idx])[idx])]


def _jittered(raw: np.ndarray, noise: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Every row's value scaled and jittered as scikit-learn does over the rows whose
    values are ``r`` (see :func:`axis`)."""
    std = float(np.std(r))
    scale = 1.0 / std if std > 0 else 1.0
    spread = _NOISE * max(1.0, float(np.mean(np.abs(r))) * scale)
    return raw * scale + spread * noise


@dataclass(frozen=True, eq=False)
class Axis:
    """One continuous column on one set of rows, as the k-NN kernels read it."""

    values: np.ndarray
    """Scaled and jittered values, in row order."""
    sorted: np.ndarray
    """The same values, ascending."""
    by_value: np.ndarray
    """The row of each sorted value (``values[by_value] == sorted``)."""
    rank: np.ndarray
    """The sorted position of each row (the inverse of ``by_value``)."""
    index: tuple[np.ndarray, np.ndarray, np.ndarray]
    """Where a value falls among ``sorted``, nearly (:func:`value_index`): for the
    marginal counts."""
    constant: bool
    """Whether the column takes one value on these rows (it then carries no information)."""


def axis(col: Prepared, rows: np.ndarray) -> Axis:
    """The column on ``rows`` (a boolean mask), as scikit-learn prepares it; and sorted.

    Scaled to unit variance over exactly these rows (ddof=0, as
    ``sklearn.preprocessing.scale``; a constant column is left unscaled), then jittered
    by ``1e-10 * max(1, mean |x|)`` times the row's noise. The sorted values are the
    column's precomputed order restricted to ``rows``; only if that is not in order (the
    jitter at another scale reorders values within ~1e-10 of each other) is the subset
    sorted again. Any order of equal values gives the same estimates.
    """
    raw = col.raw[rows]
    full = _jittered(col.raw, col.noise, raw)
    values = full[rows]
    picked = col.order[rows[col.order]]
    ordered = full[picked]
    if ordered.size > 1 and not bool(np.all(ordered[1:] >= ordered[:-1])):
        by_value = argsort_float64(values)
        ordered = values[by_value]
    else:
        by_value = (np.cumsum(rows) - 1)[picked]  # row position of each sorted value
    rank = np.empty(by_value.size, dtype=np.int64)
    rank[by_value] = np.arange(by_value.size)
    constant = bool(raw.size) and bool(raw.min() == raw.max())
    return Axis(values, ordered, by_value, rank, value_index(ordered, SEGMENT, CELLS), constant)


def _mean_digamma_of_counts(ax: Axis, radius: np.ndarray, space: Scratch, threads: int = 1) -> float:
    """``mean(digamma(count))`` over the axis's values, each count the values within the
    row's ``radius`` (itself included), computed in this thread's work arrays (the counts
    shared among ``threads`` threads)."""
    n = ax.sorted.shape[0]
    by_value = np.take(radius, ax.by_value, out=space.gathered[:n], mode="clip")  # clip: unbuffered
    counts = space.counts[:n]

    def count(first: int, last: int) -> None:
        count_indexed(ax.sorted, by_value, *ax.index, SEGMENT, counts, first, last)

    run_pieces(count, n, threads)
    return float(np.take(_digamma_of_counts(n), counts, out=space.gathered[:n], mode="clip").mean())


@functools.lru_cache(maxsize=4)
def _digamma_of_counts(n: int) -> np.ndarray:
    """``digamma(m)`` for m = 0..n (the same floats as calling it on each count)."""
    table: np.ndarray = digamma(np.arange(n + 1, dtype=np.float64))
    return table


def ksg(x: Axis, y: Axis, k: int, clip: bool = True, threads: int = 1) -> tuple[float, int]:
    """KSG estimate (algorithm 1) of I(X;Y) in nats over the axes' rows, and the rows used.

    ``clip``: negative estimates become 0, as in scikit-learn (a permutation test
    compares the unclipped ones). ``threads``: the neighbour searches are shared among
    this many threads (the estimate does not depend on it). Raises ValueError when ``k``
    is not below the number of rows.
    """
    n = x.values.shape[0]
    if k >= n:
        raise ValueError(f"n_neighbors={k} must be less than the {n} rows available for this pair")
    space = scratch(n)
    distance = kth_neighbor_distance(
        x.values, y.values, k, x.by_value, y.rank, y.sorted, space.distance[:n], threads
    )
    radius = np.nextafter(distance, 0, out=distance)  # a strict inequality for the marginal counts
    # each count includes the point itself: digamma(m + 1); (a + b) is exactly b + a, so
    # the estimate is bit-identical for (x, y) and (y, x)
    marginal = _mean_digamma_of_counts(x, radius, space, threads) + _mean_digamma_of_counts(
        y, radius, space, threads
    )
    mi = digamma(n) + digamma(k) - marginal
    return (max(0.0, float(mi)) if clip else float(mi)), n


def ross(c: Axis, labels: np.ndarray, k: int, clip: bool = True, threads: int = 1) -> tuple[float, int]:
    """Ross (2014) estimate of I(C;D) in nats for continuous C and discrete labels D.

    ``labels`` are integer codes of D on the axis's rows (in row order). Rows whose label
    occurs once are ignored and a class of m rows uses ``min(k, m - 1)`` neighbours, as in
    scikit-learn. ``threads``: the neighbour counts are shared among this many threads.
    Returns the estimate and the rows used; NaN and 0 when no label occurs twice.
    """
    cs = c.sorted
    lv = labels[c.by_value]
    # A stable sort of the labels over the value order leaves each class a sorted run;
    # narrow integer labels take numpy's radix sort (measured: 4x faster than lexsort).
    lv = lv.astype(np.int16 if lv.size and lv.max() < np.iinfo(np.int16).max else np.int64)
    order = np.argsort(lv, kind="stable")
    lv_sorted, cv_sorted = lv[order], cs[order]
    starts = np.flatnonzero(np.r_[True, lv_sorted[1:] != lv_sorted[:-1]])
    counts = np.diff(np.r_[starts, lv_sorted.size])
    if k >= lv.size:
        raise ValueError(f"n_neighbors={k} must be less than the {lv.size} rows available for this pair")
    keep = np.repeat(counts > 1, counts)
    n = int(keep.sum())
    if n == 0:  # every label seen once: nothing to estimate from (sklearn would say 0)
        return math.nan, 0
    gaps = group_kth_gaps(cv_sorted, starts, counts, k)
    # m_all: neighbours of every class within each point's radius, counted in value order
    # (the kept points are the value-sorted sample minus the singleton classes)
    radius = np.empty(cv_sorted.size)
    radius[order] = np.nextafter(gaps, 0)
    single = np.empty(cv_sorted.size, dtype=bool)
    single[order] = ~keep
    if single.any():  # the kept values are the sorted values less the singleton classes
        m_all = count_within(cs[~single], radius[~single])
    else:
        m_all = np.empty(cs.size, dtype=np.int64)

        def count(first: int, last: int) -> None:
            count_indexed(cs, radius, *c.index, SEGMENT, m_all, first, last)

        run_pieces(count, cs.size, threads)
    # the per-class terms are constant within a class: one digamma per class
    big = counts[counts > 1]
    k_terms = float(np.sum(big * digamma(np.minimum(k, big - 1))))
    label_terms = float(np.sum(big * digamma(big)))
    mi = digamma(n) + (k_terms - label_terms) / n - np.mean(_digamma_of_counts(cs.size)[m_all])
    return (max(0.0, float(mi)) if clip else float(mi)), n
