"""k-nearest-neighbour MI estimators on in-memory samples (eager numpy/scipy/numba, no Dask).

* :func:`ksg` -- continuous-continuous, Kraskov, Stögbauer & Grassberger (2004),
  algorithm 1, doi:10.1103/PhysRevE.69.066138.
* :func:`ross` -- discrete-continuous, Ross (2014), doi:10.1371/journal.pone.0087357.

Both follow scikit-learn's ``_compute_mi_cc`` / ``_compute_mi_cd`` conventions: the
neighbour radius is the k-th neighbour's distance moved one float towards 0 (so the
marginal counts use a strict inequality), the estimate is clipped at 0. Each column of a
pair is read as an :class:`Axis` (its values scaled and jittered over the pair's rows,
sorted once; a column without missing values has one Axis for all of its pairs). The
k-th neighbour distance in the joint space (max-norm) comes from a search in quantile
strips of one axis (:func:`kth_neighbor_distance`); the marginal counts from each sorted
axis and its value index (:func:`_window`).
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

import numba
import numpy as np
from scipy.special import digamma

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
    sort; a lexsort of (value, noise) takes twice as long)."""
    present = ~np.isnan(raw)
    idx = np.flatnonzero(present)
    if idx.size == 0:
        return idx
    return idx[np.argsort(_jittered(raw, noise, present)[idx])]


def _jittered(raw: np.ndarray, noise: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Every row's value scaled and jittered as scikit-learn does over ``rows`` (see :func:`axis`)."""
    r = raw[rows]
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
    """Where a value falls among ``sorted``, nearly (:func:`_value_index`): for the
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
    full = _jittered(col.raw, col.noise, rows)
    values = full[rows]
    picked = col.order[rows[col.order]]
    ordered = full[picked]
    if ordered.size > 1 and not bool(np.all(ordered[1:] >= ordered[:-1])):
        by_value = np.argsort(values, kind="stable")
        ordered = values[by_value]
    else:
        by_value = (np.cumsum(rows) - 1)[picked]  # row position of each sorted value
    rank = np.empty(by_value.size, dtype=np.int64)
    rank[by_value] = np.arange(by_value.size)
    raw = col.raw[rows]
    constant = bool(raw.size) and bool(raw.min() == raw.max())
    return Axis(values, ordered, by_value, rank, _value_index(ordered, _SEGMENT, _CELLS), constant)


@numba.njit(nogil=True, cache=True)
def _first_not(v: np.ndarray, p: float, r: float, j: int, upper: bool) -> int:  # pragma: no cover
    """From a start ``j``, the first index whose value is past the window's edge.

    ``upper``: first j with ``v[j] - p > r``; else first j with ``v[j] - p >= -r``.
    Gallops from ``j`` in whichever direction the edge lies, then bisects.
    """
    n = v.shape[0]

    def inside(idx: int) -> bool:  # the predicate is monotone in idx: True then False
        return (v[idx] - p <= r) if upper else (v[idx] - p < -r)

    if j < n and inside(j):  # the edge is to the right of j
        lo, step = j, 1
        while lo + step < n and inside(lo + step):
            lo += step
            step <<= 1
        hi = min(lo + step, n)
        lo += 1
    else:  # the edge is at or left of j
        hi, step = min(j, n), 1
        while hi - step >= 0 and not inside(hi - step):
            hi -= step
            step <<= 1
        lo = max(hi - step + 1, 0)  # hi - step is inside, or the galloping hit index 0
    while lo < hi:  # first index in [lo, hi) that is not inside
        mid = (lo + hi) >> 1
        if inside(mid):
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(nogil=True, cache=True)
def _count_within(sorted_vals: np.ndarray, radius: np.ndarray) -> np.ndarray:  # pragma: no cover
    """For each sorted point p = sorted_vals[i], #{j : |sorted_vals[j] - p| <= radius[i]}.

    The predicate is evaluated exactly as a KD-tree evaluates it, ``|v - p| <= r`` on the
    rounded difference (not ``v <= p + r``, whose rounding can cross the point that
    defined the radius). ``fl(v - p)`` is monotone in ``v``, so the matches are a
    contiguous run around the point. Points are visited in sorted order and each search
    gallops from the previous point's edges, which move little between neighbours
    (only the mean of a function of the counts is needed, so their order is free).
    Measured at 1e5 points: 0.7 ms for KSG-sized windows, 13 ms for Ross-sized ones
    (vectorized searchsorted plus an exact fix-up: 3.8 and 14 ms).
    """
    n = sorted_vals.shape[0]
    out = np.empty(n, dtype=np.int64)
    right = 0
    left = 0
    for i in range(n):
        p = sorted_vals[i]
        r = radius[i]
        right = _first_not(sorted_vals, p, r, max(right, i), True)
        left = _first_not(sorted_vals, p, r, min(left, i), False)
        out[i] = right - left
    return out


# The value index of a sorted axis: segments of this many values, each cut into this
# many cells of equal width (measured at 1e5 points: marginal counts 2.5-4 ms, galloping
# from the previous point's edges 10-12 ms; building the index 1.9 ms per column).
_SEGMENT = 1024
_CELLS = 2048


@numba.njit(nogil=True, cache=True)
def _value_index(
    sv: np.ndarray, segment: int, cells: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """A two-level index of the sorted values ``sv``: segments of ``segment`` values (equal
    counts, so it adapts to any density), each cut into ``cells`` cells of equal width
    (within a segment the density is nearly even). For each cell, the first position at
    or after its left edge. Returns each segment's lowest value, its cells per unit of
    value (0 for a segment of one value) and the table of positions."""
    n = sv.shape[0]
    g = (n + segment - 1) // segment
    low = np.empty(g)
    scale = np.empty(g)
    table = np.empty(g * (cells + 1), dtype=np.int32)
    for s in range(g):
        a = s * segment
        b = min(a + segment, n)
        lo = sv[a]
        hi = sv[b - 1]
        per = cells / (hi - lo) if hi > lo else 0.0
        low[s] = lo
        scale[s] = per
        j = a
        for c in range(cells + 1):
            edge = (lo + c / per) if per > 0 else (lo if c == 0 else np.inf)
            while j < b and sv[j] < edge:
                j += 1
            table[s * (cells + 1) + c] = j
    return low, scale, table


@numba.njit(nogil=True, cache=True, inline="always")
def _near(
    low: np.ndarray, scale: np.ndarray, table: np.ndarray, cells: int, v: float, s: int
) -> int:  # pragma: no cover
    """A position near the first sorted value >= ``v``: the segment holding ``v`` is found
    by galloping from segment ``s`` (a window of a few segments, as KSG's, takes a step or
    two; Ross's wider ones a few more), then the cell within it."""
    g = low.shape[0]
    step = 1
    if low[s] > v:  # gallop down to a segment whose low is <= v (or to segment 0)
        while s - step > 0 and low[s - step] > v:
            s -= step
            step <<= 1
        lo, hi = max(s - step, 0), s
    else:  # gallop up to a segment whose low is > v (or past the last)
        while s + step < g and low[s + step] <= v:
            s += step
            step <<= 1
        lo, hi = s, min(s + step, g)
    while hi - lo > 1:  # the last segment in [lo, hi) whose low is <= v
        mid = (lo + hi) >> 1
        if low[mid] > v:
            hi = mid
        else:
            lo = mid
    s = lo
    c = min(max(int((v - low[s]) * scale[s]), 0), cells)
    return int(table[s * (cells + 1) + c])


@numba.njit(nogil=True, cache=True, inline="always")
def _window(
    sv: np.ndarray, i: int, r: float, low: np.ndarray, scale: np.ndarray, table: np.ndarray, segment: int
) -> int:  # pragma: no cover
    """How many sorted values v lie within ``|v - sv[i]| <= r`` (on the rounded difference,
    as a KD-tree tests it). Each edge is looked up near its place in the value index, then
    moved one value at a time to where the exact test says (usually by none or one)."""
    n = sv.shape[0]
    cells = table.shape[0] // low.shape[0] - 1
    p = sv[i]
    s = i // segment
    c = _near(low, scale, table, cells, p - r, s)  # left: the first j with p - v_j <= r
    while c > 0 and not (p - sv[c - 1] > r):
        c -= 1
    while c < n and p - sv[c] > r:
        c += 1
    left = c
    c = _near(low, scale, table, cells, p + r, s)  # right: the first j with v_j - p > r
    while c < n and not (sv[c] - p > r):
        c += 1
    while c > 0 and sv[c - 1] - p > r:
        c -= 1
    return c - left


@numba.njit(nogil=True, cache=True)
def _count_indexed(
    sv: np.ndarray,
    radius: np.ndarray,
    low: np.ndarray,
    scale: np.ndarray,
    table: np.ndarray,
    segment: int,
    out: np.ndarray,
) -> np.ndarray:  # pragma: no cover
    """:func:`_count_within` by the value index (:func:`_window` for each value), into ``out``."""
    for i in range(sv.shape[0]):
        out[i] = _window(sv, i, radius[i], low, scale, table, segment)
    return out


def _mean_digamma_of_counts(ax: Axis, radius: np.ndarray, space: _Scratch) -> float:
    """``mean(digamma(count))`` over the axis's values, each count the values within the
    row's ``radius`` (itself included), computed in this thread's work arrays."""
    n = ax.sorted.shape[0]
    by_value = np.take(radius, ax.by_value, out=space.gathered[:n], mode="clip")  # clip: unbuffered
    counts = _count_indexed(ax.sorted, by_value, *ax.index, _SEGMENT, space.counts[:n])
    return float(np.take(_digamma_of_counts(n), counts, out=space.gathered[:n], mode="clip").mean())


@numba.njit(nogil=True, cache=True, inline="always")
def _push(best: np.ndarray, d: float) -> None:  # pragma: no cover
    """Insert ``d`` into the ascending ``best`` (its largest value drops out), without branches."""
    for t in range(best.shape[0] - 1, 0, -1):
        best[t] = min(best[t], max(best[t - 1], d))
    best[0] = min(best[0], d)


@numba.njit(nogil=True, cache=True, inline="always")
def _walk(
    xs: np.ndarray, ys: np.ndarray, j: int, end: int, step: int, px: float, py: float, best: np.ndarray
) -> None:  # pragma: no cover
    """Offer ``best`` the points ``j, j + step, ...`` (before ``end``) of a strip held in x
    order, until their x-distance alone is no better than the k-th best.

    ``fl(v - p)`` is monotone in ``v``, so once a point's x-distance reaches the current
    k-th best, every point beyond it in that direction is at least as far."""
    kth = best.shape[0] - 1
    while j != end:
        dx = abs(xs[j] - px)
        if dx >= best[kth]:
            break
        d = max(dx, abs(ys[j] - py))
        if d < best[kth]:
            _push(best, d)
        j += step


@numba.njit(nogil=True, cache=True, inline="always")
def _expand(
    xs: np.ndarray, ys: np.ndarray, lo: int, hi: int, c: int, px: float, py: float, best: np.ndarray
) -> None:  # pragma: no cover
    """Offer ``best`` the points of one strip ``[lo, hi)``, outwards from position ``c``
    (``lo <= c <= hi``) in both directions (:func:`_walk`)."""
    _walk(xs, ys, c, hi, 1, px, py, best)
    _walk(xs, ys, c - 1, lo - 1, -1, px, py, best)


@numba.njit(nogil=True, cache=True)
def _kth_in_strips(
    x: np.ndarray,
    y: np.ndarray,
    x_order: np.ndarray,
    y_rank: np.ndarray,
    y_sorted: np.ndarray,
    g: int,
    kk: int,
    out: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    row: np.ndarray,
) -> None:  # pragma: no cover
    """Distance from each point to its ``kk``-th nearest point (itself included), max-norm.

    The points are cut into ``g`` strips of equal count by their y rank, each held in x
    order. A query searches its own strip outwards from itself, then the strips above
    and below in order of their y-distance, until a strip's nearest y is no closer
    than the k-th best distance found. In the strips next to its own, the position of
    the query's x comes from a pointer that only moves forward (queries run in x order
    within a strip). Quantile strips adapt to any density: a curve, a spike of ties or
    a heavy tail fills the strips as evenly as a Gaussian. The distances are
    ``max(|dx|, |dy|)`` of the same floats, so the result equals a KD-tree's.
    Writes the distances to ``out``; ``xs``, ``ys`` and ``row`` are scratch space (n each).
    """
    n = x.shape[0]
    start = np.zeros(g + 2, dtype=np.int64)
    for i in range(n):
        start[y_rank[i] * g // n + 1] += 1
    for r in range(g):
        start[r + 1] += start[r]
    start[g + 1] = start[g]
    fill = start[:-1].copy()
    for t in range(n):  # a stable counting sort by strip, of the points in x order
        i = x_order[t]
        r = y_rank[i] * g // n
        p = fill[r]
        fill[r] += 1
        xs[p] = x[i]
        ys[p] = y[i]
        row[p] = i
    low = np.empty(g)  # the smallest and largest y of each strip
    high = np.empty(g)
    for r in range(g):
        low[r] = y_sorted[(r * n + g - 1) // g]
        high[r] = y_sorted[((r + 1) * n + g - 1) // g - 1]
    best = np.empty(kk)
    for r in range(g):
        lo_r = start[r]
        hi_r = start[r + 1]
        below = start[r - 1] if r > 0 else lo_r
        above = hi_r
        for p in range(lo_r, hi_r):
            px = xs[p]
            py = ys[p]
            while below < lo_r and xs[below] < px:
                below += 1
            while above < start[r + 2] and xs[above] < px:
                above += 1
            best[:] = np.inf
            _expand(xs, ys, lo_r, hi_r, p, px, py, best)
            up = r + 1
            down = r - 1
            while True:
                gap_up = low[up] - py if up < g else np.inf
                gap_down = py - high[down] if down >= 0 else np.inf
                if min(gap_up, gap_down) >= best[kk - 1]:
                    break
                if gap_up <= gap_down:
                    q = up
                    up += 1
                else:
                    q = down
                    down -= 1
                lo = start[q]
                hi = start[q + 1]
                if q == r + 1:
                    c = above
                elif q == r - 1:
                    c = below
                else:  # a farther strip: bisect for the query's x
                    c = lo
                    end = hi
                    while c < end:
                        m = (c + end) >> 1
                        if xs[m] < px:
                            c = m + 1
                        else:
                            end = m
                _expand(xs, ys, lo, hi, c, px, py, best)
            out[row[p]] = best[kk - 1]


def kth_neighbor_distance(
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    x_order: np.ndarray | None = None,
    y_rank: np.ndarray | None = None,
    y_sorted: np.ndarray | None = None,
) -> np.ndarray:
    """Max-norm distance from each point of (x, y) to its k-th nearest *other* point.

    ``x_order`` (the rows by ascending x), ``y_rank`` (each row's position by y) and
    ``y_sorted``: when the caller has them (an :class:`Axis` does). Equal to
    ``cKDTree.query(p=inf)``; see :func:`_kth_in_strips`. Measured at 1e5 points, k=3:
    15-20 ms for Gaussian, skewed, tied and curved data alike (the grid with KD-tree
    fallback it replaced: 40 ms, and 160-400 ms for curves and heavy tails).
    """
    n = x.shape[0]
    if x_order is None:
        x_order = np.argsort(x, kind="stable")
    if y_rank is None or y_sorted is None:
        by_y = np.argsort(y, kind="stable")
        y_rank = np.empty(n, dtype=np.int64)
        y_rank[by_y] = np.arange(n)
        y_sorted = y[by_y]
    g = max(1, int(math.sqrt(n / (k + 1))))  # strips of about sqrt(n (k + 1)) points
    space = _scratch(n)
    out = np.empty(n)
    _kth_in_strips(
        x, y, x_order, y_rank, y_sorted, g, k + 1, out, space.xs, space.ys, space.row
    )  # k + 1: itself
    return out


class _Scratch(threading.local):
    """Per-thread work arrays of the k-NN kernels, reused from pair to pair.

    Worker processes of ``distributed`` set ``MALLOC_TRIM_THRESHOLD_``, which makes every
    large allocation a fresh mapping of zeroed pages: allocating a pair's arrays anew
    cost 15-20% of its time there (measured: 42 ms per pair in a worker, 34 ms here)."""

    size = -1

    def fit(self, n: int) -> _Scratch:
        if self.size < n:
            self.size = n
            self.xs, self.ys, self.distance, self.gathered = (np.empty(n) for _ in range(4))
            self.row, self.counts = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        return self


_SCRATCH = _Scratch()


def _scratch(n: int) -> _Scratch:
    """This thread's work arrays, of at least ``n`` elements."""
    return _SCRATCH.fit(n)


@functools.lru_cache(maxsize=4)
def _digamma_of_counts(n: int) -> np.ndarray:
    """``digamma(m)`` for m = 0..n (the same floats as calling it on each count)."""
    table: np.ndarray = digamma(np.arange(n + 1, dtype=np.float64))
    return table


@numba.njit(nogil=True, cache=True)
def _group_kth_gaps(
    values: np.ndarray, starts: np.ndarray, counts: np.ndarray, k: int
) -> np.ndarray:  # pragma: no cover
    """Within each group (a run of ``values`` sorted ascending), each point's distance to
    its ``min(k, m - 1)``-th nearest other point of the group. Groups of one point get 0
    (they are dropped, as in scikit-learn)."""
    n = values.shape[0]
    gaps = np.zeros(n)
    for g in range(starts.shape[0]):
        s = starts[g]
        m = counts[g]
        if m < 2:
            continue
        kk = min(k, m - 1)
        for i in range(s, s + m):
            left = i - 1
            right = i + 1
            d = 0.0
            for _ in range(kk):  # merge the two sorted runs of gaps, kk steps
                if left < s:
                    d = values[right] - values[i]
                    right += 1
                elif right >= s + m:
                    d = values[i] - values[left]
                    left -= 1
                else:
                    dl = values[i] - values[left]
                    dr = values[right] - values[i]
                    if dl <= dr:
                        d = dl
                        left -= 1
                    else:
                        d = dr
                        right += 1
            gaps[i] = d
    return gaps


def ksg(x: Axis, y: Axis, k: int, clip: bool = True) -> tuple[float, int]:
    """KSG estimate (algorithm 1) of I(X;Y) in nats over the axes' rows, and the rows used.

    ``clip``: negative estimates become 0, as in scikit-learn (a permutation test
    compares the unclipped ones). Raises ValueError when ``k`` is not below the number
    of rows.
    """
    n = x.values.shape[0]
    if k >= n:
        raise ValueError(f"n_neighbors={k} must be less than the {n} rows available for this pair")
    space = _scratch(n)
    distance = space.distance[:n]
    g = max(1, int(math.sqrt(n / (k + 1))))
    _kth_in_strips(
        x.values, y.values, x.by_value, y.rank, y.sorted, g, k + 1, distance, space.xs, space.ys, space.row
    )
    radius = np.nextafter(distance, 0, out=distance)  # a strict inequality for the marginal counts
    # each count includes the point itself: digamma(m + 1); (a + b) is exactly b + a, so
    # the estimate is bit-identical for (x, y) and (y, x)
    marginal = _mean_digamma_of_counts(x, radius, space) + _mean_digamma_of_counts(y, radius, space)
    mi = digamma(n) + digamma(k) - marginal
    return (max(0.0, float(mi)) if clip else float(mi)), n


def ross(c: Axis, labels: np.ndarray, k: int, clip: bool = True) -> tuple[float, int]:
    """Ross (2014) estimate of I(C;D) in nats for continuous C and discrete labels D.

    ``labels`` are integer codes of D on the axis's rows (in row order). Rows whose label
    occurs once are ignored and a class of m rows uses ``min(k, m - 1)`` neighbours, as in
    scikit-learn. Returns the estimate and the rows used; NaN and 0 when no label occurs
    twice.
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
    gaps = _group_kth_gaps(cv_sorted, starts, counts, k)
    # m_all: neighbours of every class within each point's radius, counted in value order
    # (the kept points are the value-sorted sample minus the singleton classes)
    radius = np.empty(cv_sorted.size)
    radius[order] = np.nextafter(gaps, 0)
    single = np.empty(cv_sorted.size, dtype=bool)
    single[order] = ~keep
    if single.any():  # the kept values are the sorted values less the singleton classes
        m_all = _count_within(cs[~single], radius[~single])
    else:
        m_all = _count_indexed(cs, radius, *c.index, _SEGMENT, np.empty(cs.size, dtype=np.int64))
    # the per-class terms are constant within a class: one digamma per class
    big = counts[counts > 1]
    k_terms = float(np.sum(big * digamma(np.minimum(k, big - 1))))
    label_terms = float(np.sum(big * digamma(big)))
    mi = digamma(n) + (k_terms - label_terms) / n - np.mean(_digamma_of_counts(cs.size)[m_all])
    return (max(0.0, float(mi)) if clip else float(mi)), n
