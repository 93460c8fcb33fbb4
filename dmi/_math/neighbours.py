"""Exact neighbour searches on in-memory points (numba; no Dask): the k-th nearest
neighbour of every point of a pair in max-norm (:func:`kth_neighbor_distance`, a search in
quantile strips), and how many values of a sorted axis lie within a radius of each
(:func:`count_indexed` by a value index, for KSG; :func:`class_window_counts` between
the points of each one's class, for Ross). Every
comparison is made on the rounded difference ``|v - p|``, as a KD-tree makes it, so the
results equal ``scipy.spatial.cKDTree``'s; the KSG and Ross estimators (:mod:`dmi._math.knn`)
build on them.
"""

from __future__ import annotations

import math
import threading

import numba
import numpy as np

from dmi._math.parallel import run_pieces


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


# The value index of a sorted axis: segments of this many values, each cut into this
# many cells of equal width (measured at 1e5 points: marginal counts 2.5-4 ms, galloping
# from the previous point's edges 10-12 ms; building the index 1.9 ms per column).
SEGMENT = 1024
CELLS = 2048


@numba.njit(nogil=True, cache=True)
def value_index(
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


def value_index_nbytes(n: int, segment: int = SEGMENT, cells: int = CELLS) -> int:
    """The bytes :func:`value_index` makes for ``n`` sorted values (int32 positions, and
    each segment's float64 low and scale), without making it."""
    return -(-n // segment) * ((cells + 1) * 4 + 16)


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
def count_indexed(
    sv: np.ndarray,
    radius: np.ndarray,
    low: np.ndarray,
    scale: np.ndarray,
    table: np.ndarray,
    segment: int,
    out: np.ndarray,
    first: int = 0,
    last: int = -1,
) -> np.ndarray:  # pragma: no cover
    """For each sorted value ``p = sv[i]``, ``#{j : |sv[j] - p| <= radius[i]}`` by the
    value index (:func:`_window` for each value), into ``out``; for the values at positions
    ``first .. last - 1`` only (``last=-1``: to the end)."""
    last = sv.shape[0] if last < 0 else last
    for i in range(first, last):
        out[i] = _window(sv, i, radius[i], low, scale, table, segment)
    return out


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
def strip_layout(
    x: np.ndarray,
    y: np.ndarray,
    x_order: np.ndarray,
    y_rank: np.ndarray,
    y_sorted: np.ndarray,
    g: int,
    xs: np.ndarray,
    ys: np.ndarray,
    row: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """The points cut into ``g`` strips of equal count by their y rank, each held in x order.

    Writes the points, strip after strip, to ``xs``, ``ys`` and ``row`` (their rows; n
    each). Returns each strip's first position (``g + 2`` of them, the last two equal)
    and each strip's smallest and largest y.
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
    low = np.empty(g)
    high = np.empty(g)
    for r in range(g):
        low[r] = y_sorted[(r * n + g - 1) // g]
        high[r] = y_sorted[((r + 1) * n + g - 1) // g - 1]
    return start, low, high


@numba.njit(nogil=True, cache=True)
def query_strips(
    xs: np.ndarray,
    ys: np.ndarray,
    row: np.ndarray,
    start: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    kk: int,
    first: int,
    last: int,
    out: np.ndarray,
) -> None:  # pragma: no cover
    """Distance from each point of strips ``first .. last - 1`` to its ``kk``-th nearest
    point (itself included), max-norm, written to ``out`` at the point's row.

    A query searches its own strip outwards from itself, then the strips above and
    below in order of their y-distance, until a strip's nearest y is no closer than the
    k-th best distance found. In the strips next to its own, the position of the
    query's x comes from a pointer that only moves forward (queries run in x order
    within a strip). Quantile strips adapt to any density: a curve, a spike of ties or
    a heavy tail fills the strips as evenly as a Gaussian. The distances are
    ``max(|dx|, |dy|)`` of the same floats, so the result equals a KD-tree's. Strips are
    independent queries: disjoint ranges of them may run on different threads.
    """
    g = low.shape[0]
    best = np.empty(kk)
    for r in range(first, last):
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
    out: np.ndarray | None = None,
    threads: int = 1,
) -> np.ndarray:
    """Max-norm distance from each point of (x, y) to its k-th nearest *other* point.

    ``x_order`` (the rows by ascending x), ``y_rank`` (each row's position by y) and
    ``y_sorted``: when the caller has them (an :class:`Axis` does). ``out``: where to
    write the distances (n of them), else a new array. ``threads``: the strips' queries
    are shared among this many threads (:func:`dmi._math.parallel.run_pieces`). Equal to
    ``cKDTree.query(p=inf)``; see :func:`query_strips`. Measured at 1e5 points, k=3:
    15-20 ms for Gaussian, skewed, tied and curved data alike on one thread (the grid
    with KD-tree fallback it replaced: 40 ms, and 160-400 ms for curves and heavy tails).
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
    space = scratch(n)
    out = np.empty(n) if out is None else out
    xs, ys, row = space.xs, space.ys, space.row
    start, low, high = strip_layout(x, y, x_order, y_rank, y_sorted, g, xs, ys, row)

    def strips(first: int, last: int) -> None:  # k + 1: the point itself is its nearest
        query_strips(xs, ys, row, start, low, high, k + 1, first, last, out)

    run_pieces(strips, g, threads)
    return out


class Scratch(threading.local):
    """Per-thread work arrays of the k-NN kernels, reused from pair to pair.

    Worker processes of ``distributed`` set ``MALLOC_TRIM_THRESHOLD_``, which makes every
    large allocation a fresh mapping of zeroed pages: allocating a pair's arrays anew
    cost 15-20% of its time there (measured: 42 ms per pair in a worker, 34 ms here)."""

    size = -1

    def fit(self, n: int) -> Scratch:
        if self.size < n:
            self.size = n
            self.xs, self.ys, self.distance, self.gathered = (np.empty(n) for _ in range(4))
            self.row, self.counts = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
        return self


_SCRATCH = Scratch()


def scratch(n: int) -> Scratch:
    """This thread's work arrays, of at least ``n`` elements."""
    return _SCRATCH.fit(n)


@numba.njit(nogil=True, cache=True, inline="always")
def _left_edge(sv: np.ndarray, p: float, r: float, lo: int, hi: int) -> int:  # pragma: no cover
    """The first ``c`` in ``[lo, hi]`` with ``p - sv[c] <= r``, given that ``hi`` is one."""
    if hi - lo > 8:
        while lo < hi:
            mid = (lo + hi) >> 1
            if p - sv[mid] > r:
                lo = mid + 1
            else:
                hi = mid
        return lo
    while p - sv[lo] > r:
        lo += 1
    return lo


@numba.njit(nogil=True, cache=True, inline="always")
def _right_edge(sv: np.ndarray, p: float, r: float, lo: int, hi: int) -> int:  # pragma: no cover
    """The first ``c`` in ``[lo, hi]`` with ``sv[c] - p > r``, given that ``hi`` is one (or
    is ``len(sv)``)."""
    if hi - lo > 8:
        while lo < hi:
            mid = (lo + hi) >> 1
            if sv[mid] - p > r:
                hi = mid
            else:
                lo = mid + 1
        return lo
    while lo < hi and not (sv[lo] - p > r):
        lo += 1
    return lo


@numba.njit(nogil=True, cache=True)
def class_window_counts(
    sv: np.ndarray,
    values: np.ndarray,
    where: np.ndarray,
    starts: np.ndarray,
    k: int,
    out: np.ndarray,
    first: int = 0,
    last: int = -1,
) -> None:  # pragma: no cover
    """Ross's neighbour counts: for each point of a class, the values of ``sv`` (every
    class's, sorted) within its radius, the distance to its ``min(k, m - 1)``-th nearest
    other point of its class (m its class's points) moved one float towards 0.

    ``values``: the points class after class (``starts``: where each class begins, and
    last the number of points), each class's run ascending; ``where``: each point's
    position in ``sv``. Writes each count to ``out`` at the point's position in ``sv``;
    classes of one point are skipped. For the points ``first .. last - 1`` only
    (``last=-1``: to the end).

    The nearest points of its class bracket each edge of a point's window: the first of
    its class left untaken on a side lies outside the radius, the nearest taken one
    within it (or on its edge), so each edge is found among the few values of other
    classes between two points of the class (by bisection when there are many), instead
    of a search of the whole axis: the counts are exact (the test ``|v - p| <= r`` on the
    rounded difference, as :func:`count_indexed` makes it); where a bracket does not hold (a
    radius of 0: tied values) the edge is found by galloping from the point. Measured on
    the Ross pairs of a mixed table's 100,000-row sample: 4.2 ms a pair, against 7.6 ms for
    the class gaps, the axis's value index and :func:`count_indexed` it replaced."""
    n = sv.shape[0]
    last = values.shape[0] if last < 0 else last
    g = 0
    while starts[g + 1] <= first:  # the class of the first point
        g += 1
    for i in range(first, last):
        while starts[g + 1] <= i:
            g += 1
        s = starts[g]
        e = starts[g + 1]
        if e - s < 2:
            continue
        left = i - 1
        right = i + 1
        d = 0.0
        for _ in range(min(k, e - s - 1)):  # merge the two sorted runs of gaps
            if left < s:
                d = values[right] - values[i]
                right += 1
            elif right >= e:
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
        r = np.nextafter(d, 0.0)
        p = values[i]
        here = where[i]
        # left edge: past the first untaken point on the left (outside), at or before the
        # nearest taken one inside the radius (the point itself at the latest)
        lo = where[left] + 1 if left >= s else 0
        if lo > 0 and not (p - sv[lo - 1] > r):
            lo_edge = _first_not(sv, p, r, here, False)
        else:
            t = left + 1
            while p - sv[where[t]] > r:
                lo = where[t] + 1
                t += 1
            lo_edge = _left_edge(sv, p, r, lo, where[t])
        hi = where[right] if right < e else n
        if hi < n and not (sv[hi] - p > r):
            hi_edge = _first_not(sv, p, r, here, True)
        else:
            t = right - 1
            while sv[where[t]] - p > r:
                hi = where[t]
                t -= 1
            hi_edge = _right_edge(sv, p, r, where[t] + 1, hi)
        out[here] = hi_edge - lo_edge
