"""The tie-breaking jitter of the k-NN estimators, as a function of the sample's contents.

scikit-learn adds ``1e-10 * max(1, mean |x|)`` standard-normal noise to each scaled value
so that no two points sit at the same place. Which row gets which draw decides the
estimate wherever values tie (whole minutes, rounded measurements). If the draws follow
the rows' order in the sample, that order -- which follows the rows' identities (file and
position, or index label) -- decides it, and pandas, Parquet and CSV copies of one table
give different numbers even when every row is sampled.

Here a row's draw follows from the *contents* of the pair's rows only:

- each column's draws are one stream (seeded by the seed and the column's name), and the
  i-th smallest value takes the i-th draw;
- where values tie, the tied rows are ordered by the pair's *other* column (its value,
  or its category's content rank), so a row's draw depends on what it holds; rows equal
  in both columns of the pair are interchangeable, so their order cannot change the
  estimate.

So a pair's estimate is a function of the multiset of its (x, y) rows: bit-identical for
every input form and partitioning that samples the same rows, and independent of the other
columns of a request. Only a column with ties costs a pass per pair (:func:`axis`, O(n),
no sort: the rows are dealt into their tie groups in the partner's order, and each group's
draws were sorted once); a column without ties keeps one axis for all of its pairs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from dmi._math.neighbours import CELLS, SEGMENT, value_index
from dmi._math.sorting import argsort_float64, argsort_uint64

# sklearn's tie-breaking noise: 1e-10 * max(1, mean |x|) standard normal, after scaling.
_NOISE = 1e-10


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
    constant: bool
    """Whether the column takes one value on these rows (it then carries no information)."""

    @functools.cached_property
    def index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where a value falls among ``sorted``, nearly (:func:`value_index`): for KSG's
        marginal counts, made when first read (Ross's counts need none; two threads
        reading a shared axis's index at once may both make it, equal)."""
        return value_index(self.sorted, SEGMENT, CELLS)


@dataclass(frozen=True, eq=False)
class Prepared:
    """One continuous column of the sample, ranked once for all of its pairs."""

    raw: np.ndarray
    """float64 values, NaN where missing."""
    order: np.ndarray
    """The present rows, ascending by value (tied rows in row order, which no result reads)."""
    group: np.ndarray
    """Per row, the rank of its value among the distinct present values (-1 where missing)."""
    starts: np.ndarray
    """Where each group of equal values starts in ``order`` (and, last, the number of rows)."""
    draws: np.ndarray
    """The column's noise stream: the i-th position of ``order`` takes ``draws[i]``."""
    by_draw: np.ndarray
    """For each group, its positions relative to its start, ordered by their draws."""

    @property
    def tied(self) -> bool:
        """Whether two present rows share a value."""
        return self.starts.size - 1 < self.order.size


def prepare(x: np.ndarray, rng: np.random.Generator) -> Prepared:
    """Rank a continuous column once and draw its noise stream (one draw per present value)."""
    raw = np.asarray(x, dtype=np.float64)
    n_present = int(np.count_nonzero(~np.isnan(raw)))
    return ranked(raw, np.asarray(rng.standard_normal(size=n_present), dtype=np.float64))


def ranked(raw: np.ndarray, draws: np.ndarray) -> Prepared:
    """The column ``raw`` ranked, with the noise stream ``draws`` (one per present value;
    a permutation test re-ranks permuted values with the column's own stream)."""
    # positions as int32 (a sample has far fewer than 2**31 rows): a wide table's sample
    # keeps one such column per column, so 4 bytes a row instead of 8 is most of its memory
    present = np.flatnonzero(~np.isnan(raw))
    order = present[argsort_float64(raw[present])].astype(np.int32)
    ordered = raw[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    starts = np.append(np.flatnonzero(new), order.size)
    group = np.full(raw.size, -1, dtype=np.int32)
    group[order] = np.cumsum(new) - 1
    return Prepared(raw, order, group, starts, draws, _by_draw(draws, starts))


@numba.njit(nogil=True, cache=True)
def _by_draw(draws: np.ndarray, starts: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Each group's positions (relative to its start), sorted by their draws."""
    out = np.empty(draws.shape[0], dtype=np.int32)
    for g in range(starts.shape[0] - 1):
        a, b = starts[g], starts[g + 1]
        if b - a == 1:
            out[a] = 0
        else:
            out[a:b] = np.argsort(draws[a:b], kind="mergesort")
    return out


def partner_order_of_labels(labels: np.ndarray, content: np.ndarray) -> np.ndarray:
    """A discrete column's present rows in an order its contents decide: by ``content[code]``
    (a rank of each code's value that does not depend on the sample's row order), rows of
    one value in row order (interchangeable)."""
    present = np.flatnonzero(labels >= 0)
    return present[argsort_uint64(content[labels[present]].astype(np.uint64))]


def content_rank(values: pd.Index) -> np.ndarray:
    """A rank of each of a discrete column's values that depends on the values only: by
    a hash of their text (any dtype; equal text, equal rank)."""
    text = np.asarray(values.astype(str), dtype=object)
    hashes = pd.util.hash_array(text, categorize=False)
    rank = np.empty(len(values), dtype=np.int64)
    rank[argsort_uint64(hashes)] = np.arange(len(values))
    return rank


@numba.njit(nogil=True, cache=True)
def _deal(
    group: np.ndarray,
    starts: np.ndarray,
    draws: np.ndarray,
    by_draw: np.ndarray,
    rows: np.ndarray,
    partner: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Deal the pair's rows (``rows``, a mask) into their groups in the partner's order
    (``partner``: rows in an order of the other column's contents), the k-th dealt to a
    group taking the group's k-th draw. Returns the dealt rows ascending by (value, draw)
    and their draws."""
    n_groups = starts.shape[0] - 1
    fill = np.zeros(n_groups, dtype=np.int64)
    member = np.empty(starts[n_groups], dtype=np.int64)
    for i in range(partner.shape[0]):
        r = partner[i]
        if rows[r]:
            g = group[r]
            member[starts[g] + fill[g]] = r
            fill[g] += 1
    walk = np.empty(starts[n_groups], dtype=np.int64)
    drawn = np.empty(starts[n_groups], dtype=np.float64)
    m = 0
    for g in range(n_groups):
        a, taken = starts[g], fill[g]
        # the group's first ``taken`` draws, in the order of their draws (by_draw sorts all of them)
        for j in range(a, starts[g + 1]):
            slot = by_draw[j]
            if slot < taken:
                walk[m] = member[a + slot]
                drawn[m] = draws[a + slot]
                m += 1
    return walk[:m], drawn[:m]


@numba.njit(nogil=True, cache=True)
def _laid_out(
    raw: np.ndarray, rows: np.ndarray, walk: np.ndarray, drawn: np.ndarray, scale: float, spread: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:  # pragma: no cover
    """The pair's jittered values ``raw * scale + spread * draw`` in row order and in the
    order of ``walk`` (rows in value order, each with its draw in ``drawn``; rows not in
    the mask ``rows`` are skipped), each sorted value's row, each row's sorted position, and
    whether the walk's values are ascending (values closer than the jitter may not be).
    Rows are numbered among ``rows``. One pass, no temporaries: the same floats as numpy's
    ``raw * scale + spread * noise``."""
    pos = np.empty(rows.shape[0], dtype=np.int64)
    m = 0
    for r in range(rows.shape[0]):
        pos[r] = m
        m += rows[r]
    values = np.empty(m)
    ordered = np.empty(m)
    by_value = np.empty(m, dtype=np.int64)
    rank = np.empty(m, dtype=np.int64)
    j = 0
    ascending = True
    previous = -np.inf
    for t in range(walk.shape[0]):
        r = walk[t]
        if rows[r]:
            v = raw[r] * scale + spread * drawn[t]
            q = pos[r]
            values[q] = v
            ordered[j] = v
            by_value[j] = q
            rank[q] = j
            if v < previous:
                ascending = False
            previous = v
            j += 1
    return values, ordered, by_value, rank, ascending


def axis(col: Prepared, rows: np.ndarray, partner: np.ndarray) -> Axis:
    """The column on ``rows`` (a boolean mask of present rows) of a pair, jittered as
    scikit-learn jitters it and sorted.

    Scaled to unit variance over exactly these rows (ddof=0, as
    ``sklearn.preprocessing.scale``; a constant column is left unscaled), then jittered
    by ``1e-10 * max(1, mean |x|)`` times the row's draw: the draws are dealt by value
    rank, tied rows in ``partner`` order (see the module docstring). A column without
    ties ignores ``partner``'s order (it must still hold every row of ``rows``): its i-th
    present row by value takes the i-th draw, read in the column's order.
    """
    if col.tied:
        walk, drawn = _deal(col.group, col.starts, col.draws, col.by_draw, rows, partner)
    else:  # each value its own group: what _deal deals, by sequential reads instead of its walk
        walk, drawn = col.order, col.draws
    return _axis(col.raw, rows, walk, drawn)


def noisy_axis(raw: np.ndarray, noise: np.ndarray, rows: np.ndarray) -> Axis:
    """The axis of ``raw`` on ``rows`` with a given noise draw per row (scikit-learn's own
    draw, to compare with it on the same noise)."""
    present = np.flatnonzero(rows)
    scale, spread = _scaling(raw[present])
    walk = present[argsort_float64(raw[present] * scale + spread * noise[present])]
    return _axis(raw, rows, walk, noise[walk])


def _scaling(r: np.ndarray) -> tuple[float, float]:
    """scikit-learn's scale and jitter spread of the values ``r``."""
    std = float(np.std(r))
    scale = 1.0 / std if std > 0 else 1.0
    return scale, _NOISE * max(1.0, float(np.mean(np.abs(r))) * scale)


def _axis(raw: np.ndarray, rows: np.ndarray, walk: np.ndarray, drawn: np.ndarray) -> Axis:
    """The axis of ``raw`` on ``rows``, jittered by the draws ``drawn`` of the rows ``walk``
    (in value order: checked, and sorted again only where values closer than the jitter
    changed places, in the values' own order)."""
    sub = raw[rows]
    scale, spread = _scaling(sub)
    values, ordered, by_value, rank, ascending = _laid_out(raw, rows, walk, drawn, scale, spread)
    if not ascending:
        by_value = argsort_float64(values)
        ordered = values[by_value]
        rank[by_value] = np.arange(by_value.size)
    constant = bool(sub.size) and bool(sub.min() == sub.max())
    return Axis(values, ordered, by_value, rank, constant)
