"""k-nearest-neighbour MI estimators on in-memory samples (eager numpy/scipy/numba, no Dask).

* :func:`ksg` -- continuous-continuous, Kraskov, Stögbauer & Grassberger (2004),
  algorithm 1, doi:10.1103/PhysRevE.69.066138.
* :func:`ross` -- discrete-continuous, Ross (2014), doi:10.1371/journal.pone.0087357.

Both follow scikit-learn's ``_compute_mi_cc`` / ``_compute_mi_cd`` conventions: the
neighbour radius is the k-th neighbour's distance moved one float towards 0 (so the
marginal counts use a strict inequality), the estimate is clipped at 0. Each column of a
pair is read as an :class:`~dmi._math.jitter.Axis` (its values scaled and jittered over the
pair's rows, as :mod:`dmi._math.jitter` deals the draws, sorted, with a value index). The
estimates depend on the axes' values and orders only, never on the rows' order in the
sample: sums run in value order, and Ross's classes are numbered by their first value.
The exact neighbour searches are in :mod:`dmi._math.neighbours`: the k-th
neighbour distance in the joint space (max-norm) by a search in quantile strips, the
marginal counts by each axis's value index.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from scipy.special import digamma

from dmi._math.jitter import Axis
from dmi._math.neighbours import (
    SEGMENT,
    Scratch,
    class_window_counts,
    count_indexed,
    kth_neighbor_distance,
    scratch,
)
from dmi._math.parallel import run_pieces


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
    # classes numbered by their first row in value order (not by the labels' own codes,
    # which follow the sample's row order): the per-class sums then run in an order the
    # rows' contents decide
    lv = pd.factorize(labels[c.by_value])[0]
    # A stable sort of the labels over the value order leaves each class a sorted run;
    # narrow integer labels take numpy's radix sort (measured: 4x faster than lexsort).
    lv = lv.astype(np.int16 if lv.size and lv.max() < np.iinfo(np.int16).max else np.int64)
    order = np.argsort(lv, kind="stable")
    lv_sorted, cv_sorted = lv[order], cs[order]
    bounds = np.append(np.flatnonzero(np.r_[True, lv_sorted[1:] != lv_sorted[:-1]]), lv_sorted.size)
    counts = np.diff(bounds)  # each class's points; it starts at bounds[c]
    if k >= lv.size:
        raise ValueError(f"n_neighbors={k} must be less than the {lv.size} rows available for this pair")
    keep = np.repeat(counts > 1, counts)
    n = int(keep.sum())
    if n == 0:  # every label seen once: nothing to estimate from (sklearn would say 0)
        return math.nan, 0
    # m_all: neighbours of every class within each point's radius, counted among the kept
    # points in value order (the value-sorted sample less the singleton classes)
    single = np.empty(cv_sorted.size, dtype=bool)
    single[order] = ~keep
    if single.any():
        sv, where = cs[~single], (np.cumsum(~single) - 1)[order]
    else:
        sv, where = cs, order
    m_all = np.empty(sv.size, dtype=np.int64)

    def count(first: int, last: int) -> None:
        class_window_counts(sv, cv_sorted, where, bounds, k, m_all, first, last)

    run_pieces(count, cv_sorted.size, threads)
    # the per-class terms are constant within a class: one digamma per class
    big = counts[counts > 1]
    k_terms = float(np.sum(big * digamma(np.minimum(k, big - 1))))
    label_terms = float(np.sum(big * digamma(big)))
    mi = digamma(n) + (k_terms - label_terms) / n - np.mean(_digamma_of_counts(cs.size)[m_all])
    return (max(0.0, float(mi)) if clip else float(mi)), n
