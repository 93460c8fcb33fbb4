"""Exact joint counts of sets of discrete columns, per partition and merged (pure numpy/pandas).

A conditional test ``X ⊥ Y | S`` on discrete columns needs the counts of every
combination of the values of the columns of ``X``, ``Y`` and ``S``. :func:`count_tables`
counts, in one partition, one dense table per set of columns (a column's axis is its
values in that partition, in a local order); :func:`merge_tables` unions the values seen
and adds the tables into the union's order. The merged result is the same for every
partitioning of the rows once :func:`canonical` sorts each column's values.

Rows where a column of the set is missing are left out of that set's table
(``dropna=True``), or the missing value is a value like any other (``dropna=False``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from dmi._math.codes import factorize
from dmi._math.weights import WeightSums

# A dense table holds at most this many cells (int64: 128 MiB).
MAX_CELLS = 1 << 24


class TooManyCombinations(ValueError):
    """A set of columns has more combinations of values than a dense table may hold."""


@dataclass(frozen=True, eq=False)
class Tables:
    """Joint counts of sets of columns over some rows.

    ``domains[c]``: column ``c``'s values, in the order of its axis in every table;
    ``counts[i]``: the table of ``sets[i]``, one axis per column in the set's order."""

    sets: tuple[tuple[Hashable, ...], ...]
    domains: dict[Hashable, pd.Index]
    counts: tuple[np.ndarray | None, ...]
    """None for a set with a folded column."""
    n_rows: float
    """Rows counted (with weights: their sum)."""
    folded: frozenset[Hashable] = frozenset()
    """Undecided columns (integers) seen with more than ``cap`` values: continuous; the
    sets that hold one are not counted."""
    weights: WeightSums | None = None
    """The sums of the rows' weights (None: unweighted), for Kish's effective rows."""
    squares: tuple[float, ...] | None = None
    """With a float weights column, per set the sum of ``w**2`` over its complete rows."""

    def kish(self, i: int, n: float) -> float:
        """The factor from set ``i``'s ``n`` counted rows (the weights' sum over its complete
        rows) to its effective rows: 1 unless the weights are fractional; then Kish's
        ``n / sum w**2`` over those rows (or the whole table's ratio, without them)."""
        if self.weights is None or not self.weights.fractional:
            return 1.0
        sq = math.nan if self.squares is None else self.squares[i]
        return n / sq if sq > 0 else self.weights.effective(1.0)


def check_size(columns: Sequence[Hashable], sizes: Sequence[int]) -> None:
    """TooManyCombinations when a table of these columns (of these many values) is too large."""
    cells = 1
    for s in sizes:
        cells *= max(int(s), 1)
    if cells > MAX_CELLS:
        raise TooManyCombinations(
            f"the columns {list(columns)!r} have {cells:,} combinations of values "
            f"({' x '.join(map(str, sizes))}); "
            f"a joint table holds at most {MAX_CELLS:,}: condition on fewer columns or on columns with fewer "
            "values (an identifier has as many values as rows)"
        )


def _raw_codes(
    part: pd.DataFrame, column: Hashable, dropna: bool
) -> tuple[np.ndarray, pd.Index, np.ndarray | None]:
    """A column's codes in the order its values were met, its values sorted, and the
    ``rank`` that maps a code to its value's sorted place (None when already in order;
    ``rank[-1]`` is -1, so a missing code stays -1)."""
    s = part[column]
    if dropna and isinstance(s.dtype, pd.CategoricalDtype):  # its codes, without hashing
        codes, uniques = np.asarray(s.array.codes), pd.Index(np.asarray(s.dtype.categories))
    elif dropna:
        codes, uniques = factorize(s)
    else:
        codes, found = pd.factorize(s, use_na_sentinel=False)
        uniques = pd.Index(found)
    if isinstance(uniques, pd.CategoricalIndex):
        uniques = pd.Index(np.asarray(uniques))
    order = _sorting(uniques)
    if order is None:
        return codes, uniques, None
    rank = np.empty(order.size + 1, dtype=np.int32)  # the last slot: missing (-1) stays -1
    rank[order] = np.arange(order.size, dtype=np.int32)
    rank[-1] = -1
    return codes, uniques[order], rank


def _sorting(values: pd.Index) -> np.ndarray | None:
    """The order that sorts ``values`` (their ``repr`` where they do not compare), or None
    when they are sorted already."""
    try:
        order = np.asarray(values.argsort(), dtype=np.int64)
    except TypeError:  # values of mixed types: by their repr
        order = np.argsort(np.array([repr(v) for v in values], dtype=object), kind="stable")
    return None if bool((order == np.arange(order.size)).all()) else order


@dataclass(frozen=True, eq=False)
class EncodedRows:
    """A partition's columns as codes (columns x rows; its distinct rows, each with its
    multiplicity, when that saves work), ready for any of its sets to be counted."""

    codes: np.ndarray
    weights: np.ndarray
    position: dict[Hashable, int]
    domains: dict[Hashable, pd.Index]
    folded: frozenset[Hashable]
    n_rows: float
    weights_sums: WeightSums | None = None


def _each(frequency: np.ndarray) -> np.ndarray:
    """Row weights as the counting kernels take them: int64, or float64 weighted sums."""
    return np.ascontiguousarray(frequency, dtype=np.float64 if frequency.dtype.kind == "f" else np.int64)


def encode_rows(
    part: pd.DataFrame,
    sets: Sequence[tuple[Hashable, ...]],
    dropna: bool = True,
    auto: Sequence[Hashable] = (),
    cap: int = 64,
    weights: np.ndarray | None = None,
) -> EncodedRows:
    """Encode the columns of ``sets`` (see :func:`count_tables`)."""
    columns = list(dict.fromkeys(c for s in sets for c in s))
    domains: dict[Hashable, pd.Index] = {}
    found: dict[Hashable, np.ndarray] = {}
    ranks: dict[Hashable, np.ndarray | None] = {}
    folded = set()
    for c in columns:
        found[c], domains[c], ranks[c] = _raw_codes(part, c, dropna)
        if c in auto and len(domains[c]) > cap:
            folded.add(c)
            domains[c] = pd.Index([])
    used = list(dict.fromkeys(c for s in sets if not folded.intersection(s) for c in s))
    position = {c: i for i, c in enumerate(used)}
    codes = np.empty((len(used), len(part)), dtype=np.int32)
    for c in used:
        codes[position[c]] = found[c]
    frequency = weights
    # (fractional weights are not grouped: each set needs the sum of w**2 of its rows)
    if len(sets) >= _DISTINCT_SETS and (frequency is None or frequency.dtype.kind != "f"):
        codes, weights = distinct_rows(codes, [len(domains[c]) for c in used], frequency)
    else:
        weights = np.ones(codes.shape[1], dtype=np.int64) if frequency is None else _each(frequency)
    for c in used:  # codes in the sorted values' order (after grouping: fewer rows to map)
        rank = ranks[c]
        if rank is not None:
            codes[position[c]] = rank[codes[position[c]]]
    n_rows = len(part) if frequency is None else frequency.sum().item()
    sums = None if frequency is None else WeightSums.of(frequency)
    return EncodedRows(codes, weights, position, domains, frozenset(folded), n_rows, sums)


def count_encoded(rows: EncodedRows, sets: Sequence[tuple[Hashable, ...]]) -> Tables:
    """The joint table of each of ``sets`` (whose columns ``rows`` holds) over its rows."""
    kept = [s for s in sets if not rows.folded.intersection(s)]
    members, radix, offsets, shapes = _layout(kept, rows.position, rows.domains)
    flat = np.zeros(int(offsets[-1]), dtype=rows.weights.dtype)
    _count(rows.codes, rows.weights, members, radix, offsets, flat)
    by_set = {tuple(s): flat[offsets[i] : offsets[i + 1]].reshape(shapes[i]) for i, s in enumerate(kept)}
    counts = tuple(by_set.get(tuple(s)) for s in sets)
    domains = {c: rows.domains[c] for s in sets for c in s}
    squares = None
    if rows.weights.dtype.kind == "f":  # each set's sum of w**2 over its complete rows
        found = np.zeros(len(kept))
        _set_squares(rows.codes, rows.weights, members, found)
        of_set = dict(zip(map(tuple, kept), found.tolist(), strict=True))
        squares = tuple(of_set.get(tuple(s), math.nan) for s in sets)
    return Tables(
        tuple(tuple(s) for s in sets),
        domains,
        counts,
        rows.n_rows,
        rows.folded & set(domains),
        rows.weights_sums,
        squares,
    )


@numba.njit(nogil=True, cache=True)
def _set_squares(
    codes: np.ndarray, weights: np.ndarray, members: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``out[t]``: the sum of ``weights[r] ** 2`` over the rows where no column of set
    ``t`` is missing (-1)."""
    for t in range(members.shape[0]):
        s = 0.0
        for r in range(codes.shape[1]):
            ok = True
            for j in range(members.shape[1]):
                m = members[t, j]
                if m < 0:
                    break
                if codes[m, r] < 0:
                    ok = False
                    break
            if ok:
                s += weights[r] * weights[r]
        out[t] = s


def count_tables(
    part: pd.DataFrame,
    sets: Sequence[tuple[Hashable, ...]],
    dropna: bool = True,
    auto: Sequence[Hashable] = (),
    cap: int = 64,
    weights: np.ndarray | None = None,
) -> Tables:
    """The joint table of each set of columns over one partition's rows.

    ``auto``: undecided columns; one with more than ``cap`` values here is folded (see
    :class:`Tables`), and its domain is not kept. ``weights``: frequency weights, one per
    row (positive; int64, or float64 for weighted sums): a row counts that many times."""
    return count_encoded(encode_rows(part, sets, dropna, auto, cap, weights), sets)


# Rows are first grouped into distinct rows (of the counted columns) when the many sets to
# count make it pay: each set then walks the distinct rows, with their multiplicities.
_DISTINCT_SETS = 64
# ... and when they are at most this share of the rows (else the rows are counted as they are).
_DISTINCT_SHARE = 0.6


def distinct_rows(
    codes: np.ndarray, sizes: Sequence[int], frequency: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``codes`` (columns x rows, -1 missing), in order of first
    appearance, and how often each occurs (the sum of their ``frequency`` weights, if
    given), when they are few enough to save work (see ``_DISTINCT_SHARE``); else the
    rows as they are, each with its weight. Counting either gives the same tables.
    (``sizes``: each column's number of values.)"""
    n = codes.shape[1]
    each = np.ones(n, dtype=np.int64) if frequency is None else _each(frequency)
    if n == 0 or codes.shape[0] == 0:
        return codes, each
    small = max(sizes, default=0) < 127  # rows of bytes: less to read and to hash
    rows = np.ascontiguousarray(codes.T, dtype=np.int8 if small else codes.dtype)
    first, weights = _group_rows(rows, each, _DISTINCT_SHARE)
    if first.size == 0:  # too many distinct rows to be worth it
        return codes, each
    return np.ascontiguousarray(rows[first].T, dtype=codes.dtype), weights


@numba.njit(nogil=True, cache=True)
def _group_rows(
    rows: np.ndarray, each: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Each distinct row's first position and its count (the sum of ``each`` over its
    copies), by an open-addressing hash table
    of row positions (rows compared in full on a hash match); empty arrays once the
    distinct rows pass ``share`` of the rows."""
    n, width = rows.shape
    size = 1
    while size < 2 * n:
        size *= 2
    mask = size - 1
    slots = np.full(size, -1, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    counts = np.zeros_like(each)
    group = 0
    limit = int(share * n)
    for r in range(n):
        h = np.uint64(1469598103934665603)
        for j in range(width):
            h = (h ^ np.uint64(rows[r, j] + 1)) * np.uint64(1099511628211)
        k = np.int64(h & np.uint64(mask))
        while True:
            g = slots[k]
            if g < 0:
                slots[k] = group
                first[group] = r
                counts[group] = each[r]
                group += 1
                break
            f = first[g]
            same = True
            for j in range(width):
                if rows[f, j] != rows[r, j]:
                    same = False
                    break
            if same:
                counts[g] += each[r]
                break
            k = (k + 1) & mask
        if group > limit:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return first[:group].copy(), counts[:group].copy()


def _layout(
    sets: Sequence[tuple[Hashable, ...]], position: dict[Hashable, int], domains: dict[Hashable, pd.Index]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, ...]]]:
    """Per set: its columns' rows in the code matrix, their radices, and its slice of the
    flat counts (``members`` and ``radix`` padded with -1 to the largest set)."""
    width = max((len(s) for s in sets), default=0)
    members = np.full((len(sets), width), -1, dtype=np.int64)
    radix = np.ones((len(sets), width), dtype=np.int64)
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    shapes = []
    for i, s in enumerate(sets):
        shape = tuple(max(len(domains[c]), 1) for c in s)
        check_size(s, shape)
        members[i, : len(s)] = [position[c] for c in s]
        radix[i, : len(s)] = shape
        offsets[i + 1] = offsets[i] + int(np.prod(shape, dtype=np.int64))
        shapes.append(shape)
    return members, radix, offsets, shapes


@numba.njit(nogil=True, cache=True)
def _count(
    codes: np.ndarray,
    weights: np.ndarray,
    members: np.ndarray,
    radix: np.ndarray,
    offsets: np.ndarray,
    out: np.ndarray,
) -> None:  # pragma: no cover
    """Each set's cells counted over the rows where none of its columns is missing (-1),
    a row counting ``weights[row]`` times.

    A set's cell of every row is built a column at a time (loops the compiler vectorizes),
    then counted; rows with a missing value are masked only for sets with such a column."""
    n_rows = codes.shape[1]
    width = members.shape[1]
    missing = np.zeros(codes.shape[0], dtype=np.bool_)
    for m in range(codes.shape[0]):
        for r in range(n_rows):
            if codes[m, r] < 0:
                missing[m] = True
                break
    cell = np.empty(n_rows, dtype=np.int64)
    valid = np.empty(n_rows, dtype=np.bool_)
    for t in range(members.shape[0]):
        m0 = members[t, 0]
        masked = missing[m0]
        for r in range(n_rows):
            cell[r] = codes[m0, r]
        for j in range(1, width):
            m = members[t, j]
            if m < 0:
                break
            masked |= missing[m]
            rad = radix[t, j]
            for r in range(n_rows):
                cell[r] = cell[r] * rad + codes[m, r]
        base = offsets[t]
        if not masked:
            for r in range(n_rows):
                out[base + cell[r]] += weights[r]
            continue
        valid[:] = True
        for j in range(width):
            m = members[t, j]
            if m < 0:
                break
            for r in range(n_rows):
                valid[r] &= codes[m, r] >= 0
        for r in range(n_rows):
            if valid[r]:
                out[base + cell[r]] += weights[r]


def merge_tables(parts: Sequence[Tables], auto: Sequence[Hashable] = (), cap: int = 64) -> Tables:
    """The tables of all the parts' rows (the parts count the same sets); ``auto`` and
    ``cap`` as for :func:`count_tables`, over the union of the parts' values."""
    if len(parts) == 1:
        return parts[0]
    sets = parts[0].sets
    dtype = (
        np.float64
        if any(t is not None and t.dtype.kind == "f" for p in parts for t in p.counts)
        else np.int64
    )
    folded = set().union(*(p.folded for p in parts))
    domains: dict[Hashable, pd.Index] = {}
    for c in parts[0].domains:
        union = parts[0].domains[c]
        for p in parts[1:]:
            extra = p.domains[c][~p.domains[c].isin(union)]
            if len(extra):
                union = union.append(extra)
        if c in folded or (c in auto and len(union) > cap):
            folded.add(c)
            union = pd.Index([])
        domains[c] = union
    counts: list[np.ndarray | None] = []
    for i, s in enumerate(sets):
        if folded.intersection(s):
            counts.append(None)
            continue
        check_size(s, [len(domains[c]) for c in s])
        table = np.zeros(tuple(max(len(domains[c]), 1) for c in s), dtype=dtype)
        for p in parts:
            maps = [_where(domains[c], p.domains[c]) for c in s]
            part = p.counts[i]
            assert part is not None  # a set is folded in the merge when it is in a part
            table[np.ix_(*maps)] += part
        counts.append(table)
    squared = [p.squares for p in parts if p.squares is not None]
    return Tables(
        sets,
        domains,
        tuple(counts),
        sum(p.n_rows for p in parts),
        frozenset(folded),
        WeightSums.merge([p.weights for p in parts]),
        tuple(map(sum, zip(*squared, strict=True))) if len(squared) == len(parts) else None,
    )


def _where(union: pd.Index, values: pd.Index) -> np.ndarray:
    """The position in ``union`` of each of ``values`` (an empty domain has one empty cell)."""
    if len(values) == 0:
        return np.zeros(1, dtype=np.int64)
    return union.get_indexer(values).astype(np.int64)


def canonical(tables: Tables) -> Tables:
    """The tables with each column's values sorted (where they sort), so the result does
    not depend on the order the partitions met them."""
    order: dict[Hashable, np.ndarray] = {}
    domains: dict[Hashable, pd.Index] = {}
    for c, d in tables.domains.items():
        o = _sorting(d)
        if o is not None:  # values met in another order (a partition's new values come last)
            order[c], domains[c] = o, d[o]
        else:
            domains[c] = d
    counts: list[np.ndarray | None] = []
    for s, t in zip(tables.sets, tables.counts, strict=True):
        if t is None or not any(c in order for c in s):
            counts.append(t)
            continue
        axes = [
            order.get(c, np.arange(len(domains[c]))) if len(domains[c]) else np.zeros(1, np.int64) for c in s
        ]
        counts.append(t[np.ix_(*axes)])
    return Tables(
        tables.sets, domains, tuple(counts), tables.n_rows, tables.folded, tables.weights, tables.squares
    )


def marginal(table: np.ndarray, columns: Sequence[Hashable], keep: Sequence[Hashable]) -> np.ndarray:
    """The table summed over every column not in ``keep``, its axes in ``keep``'s order."""
    axes = [columns.index(c) for c in keep]
    drop = tuple(i for i in range(len(columns)) if i not in axes)
    summed = table.sum(axis=drop) if drop else table
    remaining = [i for i in range(len(columns)) if i not in drop]
    return np.transpose(summed, [remaining.index(a) for a in axes])
