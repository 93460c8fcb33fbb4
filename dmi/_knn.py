"""k-nearest-neighbour MI estimators on in-memory samples (eager numpy/scipy/numba, no Dask).

* :func:`ksg` -- continuous-continuous, Kraskov, Stögbauer & Grassberger (2004),
  algorithm 1, doi:10.1103/PhysRevE.69.066138.
* :func:`ross` -- discrete-continuous, Ross (2014), doi:10.1371/journal.pone.0087357.

Both follow scikit-learn's ``_compute_mi_cc`` / ``_compute_mi_cd`` conventions: the
neighbour radius is the k-th neighbour's distance moved one float towards 0 (so the
marginal counts use a strict inequality), the estimate is clipped at 0. The k-th
neighbour distance in the joint space comes from ``scipy.spatial.cKDTree`` with the
max-norm; the marginal counts come from a sorted 1-D array by binary search, which is
cheaper than more tree queries, and each column is sorted once for all its pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from scipy.spatial import cKDTree
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
    """Present rows sorted by (value, noise): the order of the jittered values at any scale."""


def prepare(x: np.ndarray, rng: np.random.Generator) -> Prepared:
    """Draw the column's tie-breaking noise and sort it once, for all of its pairs.

    The noise is drawn for every row (present or not), so a row's jitter does not
    depend on which other rows are missing.
    """
    raw = np.asarray(x, dtype=np.float64)
    noise: np.ndarray = np.asarray(rng.standard_normal(size=raw.shape[0]))
    idx = np.flatnonzero(~np.isnan(raw))
    return Prepared(raw, noise, idx[np.lexsort((noise[idx], raw[idx]))])


def jittered(col: Prepared, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The column on ``rows`` (a boolean mask), as scikit-learn prepares it; and sorted.

    Scaled to unit variance over exactly these rows (ddof=0, as
    ``sklearn.preprocessing.scale``; a constant column is left unscaled), then jittered
    by ``1e-10 * max(1, mean |x|)`` times the row's noise. Scaling keeps the order, so
    the sorted values are the column's precomputed order restricted to ``rows``; only if
    the jitter reorders a near-tie (values within ~1e-10) is the subset sorted again.
    """
    r = col.raw[rows]
    std = float(np.std(r))
    scale = 1.0 / std if std > 0 else 1.0
    spread = _NOISE * max(1.0, float(np.mean(np.abs(r))) * scale)
    full = col.raw * scale + spread * col.noise
    values = full[rows]
    ordered = full[col.order[rows[col.order]]]
    if ordered.size > 1 and not bool(np.all(ordered[1:] >= ordered[:-1])):
        ordered = np.sort(values)
    return values, ordered


@numba.njit(nogil=True, cache=True)
def _count_within(
    sorted_vals: np.ndarray, points: np.ndarray, radius: np.ndarray
) -> np.ndarray:  # pragma: no cover
    """For each point, #{j : |sorted_vals[j] - point| <= radius} by two binary searches.

    The predicate is evaluated exactly as a KD-tree evaluates it, ``|v - p| <= r`` on the
    rounded difference (not ``v <= p + r``, whose rounding can cross the point that
    defined the radius). ``fl(v - p)`` is monotone in ``v``, so the matches are contiguous.
    """
    n = sorted_vals.shape[0]
    out = np.empty(points.shape[0], dtype=np.int64)
    for i in range(points.shape[0]):
        p = points[i]
        r = radius[i]
        lo, hi = 0, n  # first j with sorted_vals[j] - p >= -r
        while lo < hi:
            mid = (lo + hi) >> 1
            if sorted_vals[mid] - p >= -r:
                hi = mid
            else:
                lo = mid + 1
        start = lo
        lo, hi = start, n  # first j with sorted_vals[j] - p > r
        while lo < hi:
            mid = (lo + hi) >> 1
            if sorted_vals[mid] - p > r:
                hi = mid
            else:
                lo = mid + 1
        out[i] = lo - start
    return out


@numba.njit(nogil=True, cache=True)
def _kth_gap_1d(sorted_vals: np.ndarray, k: int) -> np.ndarray:  # pragma: no cover
    """Distance from each sorted point to its k-th nearest other point (1-D, k < n)."""
    n = sorted_vals.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        left = i - 1
        right = i + 1
        d = 0.0
        for _ in range(k):  # merge the two sorted runs of gaps, k steps
            if left < 0:
                d = sorted_vals[right] - sorted_vals[i]
                right += 1
            elif right >= n:
                d = sorted_vals[i] - sorted_vals[left]
                left -= 1
            else:
                dl = sorted_vals[i] - sorted_vals[left]
                dr = sorted_vals[right] - sorted_vals[i]
                if dl <= dr:
                    d = dl
                    left -= 1
                else:
                    d = dr
                    right += 1
        out[i] = d
    return out


def ksg(x: Prepared, y: Prepared, k: int, rows: np.ndarray) -> tuple[float, int]:
    """KSG estimate (algorithm 1) of I(X;Y) in nats over ``rows``, and the rows used.

    Raises ValueError when ``k`` is not below the number of rows.
    """
    xv, xs = jittered(x, rows)
    yv, ys = jittered(y, rows)
    n = xv.shape[0]
    if k >= n:
        raise ValueError(f"n_neighbors={k} must be less than the {n} rows available for this pair")
    joint = np.column_stack((xv, yv))
    # k + 1: the query point itself comes back at distance 0
    dist, _ = cKDTree(joint).query(joint, k=k + 1, p=np.inf)
    radius = np.nextafter(dist[:, -1], 0)  # strict inequality for the marginal counts
    nx = _count_within(xs, xv, radius) - 1
    ny = _count_within(ys, yv, radius) - 1
    mi = digamma(n) + digamma(k) - np.mean(digamma(nx + 1)) - np.mean(digamma(ny + 1))
    return max(0.0, float(mi)), n


def ross(c: Prepared, labels: np.ndarray, k: int, rows: np.ndarray) -> tuple[float, int]:
    """Ross (2014) estimate of I(C;D) in nats for continuous C and discrete labels D.

    ``labels`` are integer codes of D on the sample rows; ``rows`` a boolean mask of the
    pairwise-complete rows. Rows whose label occurs once are ignored, as in
    scikit-learn. Returns the estimate and the rows used.
    """
    cv, _ = jittered(c, rows)
    lv = labels[rows]
    order = np.argsort(lv, kind="stable")
    lv_sorted, cv_by_label = lv[order], cv[order]
    starts = np.flatnonzero(np.r_[True, lv_sorted[1:] != lv_sorted[:-1]])
    counts = np.diff(np.r_[starts, lv_sorted.size])
    keep = np.repeat(counts > 1, counts)
    n = int(keep.sum())
    if n == 0:
        return 0.0, 0
    biggest = int(counts.max())
    if k >= biggest:
        raise ValueError(f"n_neighbors={k} must be less than the {biggest} rows of the largest class")
    radius = np.empty(lv_sorted.size)
    k_all = np.empty(lv_sorted.size)
    for s, m in zip(starts, counts, strict=True):
        if m > 1:
            kk = min(k, m - 1)
            block = cv_by_label[s : s + m]
            within = np.argsort(block, kind="stable")
            gaps = np.empty(m)
            gaps[within] = _kth_gap_1d(block[within], kk)
            radius[s : s + m] = np.nextafter(gaps, 0)
            k_all[s : s + m] = kk
    label_counts = np.repeat(counts, counts)[keep]
    points, radius, k_all = cv_by_label[keep], radius[keep], k_all[keep]
    m_all = _count_within(np.sort(points), points, radius)
    mi = digamma(n) + np.mean(digamma(k_all)) - np.mean(digamma(label_counts)) - np.mean(digamma(m_all))
    return max(0.0, float(mi)), n
