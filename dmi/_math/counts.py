"""Mergeable contingency counts: ``chunk(partition) -> CountState`` and ``merge(states)``.

A :class:`CountState` holds, for one slice of rows, each column's code domain and
marginal counts, and a joint count table for every requested pair of columns. Tables
are dense arrays when small (int32 in one partition's summary, whose counts cannot
exceed its rows; int64 once merged, or with integer weights; float64 with a float weights
column, :mod:`dmi._math.weights`), and sparse coordinate lists
(:class:`SparseTable`) when the dense table would be large compared with the rows it
counts, so memory is bounded by the distinct ``(x, y)`` pairs present.

``merge`` unites the domains, remaps codes and adds counts; it is associative and
commutative up to the order of codes, i.e. the counts *per value* do not depend on how
the rows were partitioned or in which order summaries were merged.

With ``CountSpec.max_categories`` set (or ``CountSpec.auto_cap`` for an integer column
whose kind the pass decides), a column with more distinct values than that
(in one partition, or once merged) is *folded*: its values are dropped and its codes
become present/missing (:class:`dmi._math.codes.Folded`), so its memory stops growing with
its values. Whether it is an identifier remains exactly known.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dmi._math.codes import Domain, Encoded, Folded, encode, encode_binned, fold, unite
from dmi._math.kernels import code_dtype, count_dense, pair_squares
from dmi._math.weights import WeightSums
from dmi._typing import IntArray

# A pair is counted densely when its table has at most this many cells...
_DENSE_MIN_CELLS = 1 << 16
# ...or at most this many cells per row counted, and never more than this in all.
_DENSE_CELLS_PER_ROW = 4
_DENSE_MAX_CELLS = 1 << 22


@dataclass(frozen=True, eq=False)
class SparseTable:
    """A joint count table in coordinate form: only the non-zero cells, unique and sorted."""

    rows: IntArray
    cols: IntArray
    counts: IntArray
    shape: tuple[int, int]


Table = np.ndarray | SparseTable


@dataclass(frozen=True)
class CountSpec:
    """What a partition must count: its columns (in order) and pairs of column positions."""

    columns: tuple[Hashable, ...]
    pairs: tuple[tuple[int, int], ...]
    edges: tuple[tuple[float, ...] | None, ...] | None = None
    """Per column, bin edges for a binned continuous column (``method="binned"``)."""
    max_categories: int | None = None
    """A column with more distinct values than this is folded (see :class:`Folded`)."""
    table_bytes: int | None = None
    """The most bytes one summary's pair tables may take; :class:`TablesTooLarge` is
    raised, before they are built, when more than one pair would need more."""
    auto: tuple[bool, ...] | None = None
    """Per column, whether its kind is decided by its number of values (an integer
    column under ``discrete='auto'``): such a column is folded past ``auto_cap`` values,
    which is how the pass tells it is continuous."""
    auto_cap: int = 0

    def cap(self, i: int) -> int | None:
        """The most distinct values column ``i`` keeps before it is folded (None: no cap)."""
        if self.auto is not None and self.auto[i]:
            m = self.max_categories
            return self.auto_cap if m is None else min(self.auto_cap, m)
        return self.max_categories

    def capped(self) -> bool:
        """Whether any column has a cap."""
        return self.max_categories is not None or (self.auto is not None and any(self.auto))


class TablesTooLarge(Exception):
    """A summary's pair tables would exceed ``CountSpec.table_bytes``.

    Carries an estimate of each pair's table bytes (aligned with ``CountSpec.pairs``),
    from which the caller plans smaller blocks of pairs.
    """

    def __init__(self, pair_bytes: tuple[int, ...], limit: int) -> None:
        super().__init__(pair_bytes, limit)
        self.pair_bytes = pair_bytes
        self.limit = limit

    def __str__(self) -> str:
        return f"pair tables of about {sum(self.pair_bytes):,} bytes exceed the limit of {self.limit:,}"


def _check_size(spec: CountSpec, pair_bytes: list[int]) -> None:
    if spec.table_bytes is not None and len(pair_bytes) > 1 and sum(pair_bytes) > spec.table_bytes:
        raise TablesTooLarge(tuple(pair_bytes), spec.table_bytes)


@dataclass(frozen=True, eq=False)
class CountState:
    """Exact counts for one slice of rows; see the module docstring."""

    spec: CountSpec
    n_rows: int
    domains: tuple[Domain, ...]
    marginals: tuple[IntArray, ...]
    tables: tuple[Table, ...]
    weights: WeightSums | None = None
    """The sums of the rows' weights (None: unweighted); ``n_rows`` is then their sum."""
    squares: np.ndarray | None = None
    """With a float weights column, per pair the sum of ``w**2`` over the rows where both
    columns have a value (Kish's effective rows of the pair); None otherwise."""

    def effective(self, n: float, pair: int | None = None) -> float:
        """The effective number of rows behind ``n`` counted rows: ``n`` itself unweighted
        or with whole-number weights; with fractional ones Kish's ``n**2 / sum w**2``, over
        the rows where both columns of ``pair`` have a value (``n`` their weights' sum), or
        else :meth:`dmi._math.weights.WeightSums.effective` (the whole table's ratio)."""
        if self.weights is None or not self.weights.fractional:
            return n
        if pair is not None and self.squares is not None and self.squares[pair] > 0:
            return n * n / float(self.squares[pair])
        return self.weights.effective(n)

    def pair_counts(self, k: int) -> dict[tuple[Any, Any], int]:
        """Counts of pair ``k`` keyed by ``(x value, y value)``; ``None`` stands for missing.

        A canonical, code-free view used to compare summaries built from different
        partitionings.
        """
        a, b = self.spec.pairs[k]
        rows, cols, counts = _nonzero(self.tables[k])
        xs = _labels(self.domains[a], rows)
        ys = _labels(self.domains[b], cols)
        return dict(zip(zip(xs, ys, strict=True), counts.tolist(), strict=True))

    def marginal_counts(self, c: int) -> dict[Any, int]:
        """Counts of column ``c`` keyed by value; ``None`` stands for missing."""
        m = self.marginals[c]
        (codes,) = np.nonzero(m)
        return dict(zip(_labels(self.domains[c], codes), m[codes].tolist(), strict=True))


def _labels(domain: Domain, codes: np.ndarray) -> list[Any]:
    values = domain.index()
    return [None if c == 0 else values[c - 1] for c in codes.tolist()]


def use_dense(cells: int, n_rows: int) -> bool:
    """Whether a table of ``cells`` cells counting ``n_rows`` rows should be dense."""
    return cells <= _DENSE_MIN_CELLS or (cells <= _DENSE_CELLS_PER_ROW * n_rows and cells <= _DENSE_MAX_CELLS)


def _cells(table: Table) -> int:
    """Non-zero cells of a sparse table; all cells of a dense one (an upper bound, no scan)."""
    return table.counts.size if isinstance(table, SparseTable) else table.size


def _nonzero(table: Table) -> tuple[IntArray, IntArray, IntArray]:
    if isinstance(table, SparseTable):
        return table.rows, table.cols, table.counts
    rows, cols = np.nonzero(table)
    return rows.astype(np.int64), cols.astype(np.int64), wide(table[rows, cols])


def wide(counts: np.ndarray) -> np.ndarray:
    """Counts in the dtype merged counts take: int64, or float64 for weighted sums."""
    return counts.astype(np.float64 if counts.dtype.kind == "f" else np.int64, copy=False)


def count_dtype(states: Sequence[CountState]) -> type[np.integer] | type[np.floating]:
    """The dtype of counts merged from ``states``: float64 if any counts weighted sums."""
    floats = any(s.marginals and s.marginals[0].dtype.kind == "f" for s in states)
    return np.float64 if floats else np.int64


def _reduce_coo(rows: IntArray, cols: IntArray, counts: IntArray, shape: tuple[int, int]) -> SparseTable:
    """Sum duplicate coordinates; the result is sorted by (row, col)."""
    if rows.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return SparseTable(empty, empty.copy(), empty.copy(), shape)
    if shape[0] * shape[1] < (1 << 62):
        keys = rows * shape[1] + cols
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        summed = np.add.reduceat(counts[order], starts)
        uniq = keys[starts]
        return SparseTable(uniq // shape[1], uniq % shape[1], summed, shape)
    # Keys would overflow int64: sort on the two coordinates instead.
    order = np.lexsort((cols, rows))
    r, c = rows[order], cols[order]
    starts = np.flatnonzero(np.r_[True, (r[1:] != r[:-1]) | (c[1:] != c[:-1])])
    return SparseTable(r[starts], c[starts], np.add.reduceat(counts[order], starts), shape)


def _count_sparse(
    ca: np.ndarray, cb: np.ndarray, shape: tuple[int, int], weights: IntArray | None = None
) -> SparseTable:
    if weights is not None:
        return _reduce_coo(ca.astype(np.int64), cb.astype(np.int64), weights, shape)
    keys = ca.astype(np.int64) * shape[1] + cb
    uniq, counts = np.unique(keys, return_counts=True)
    return SparseTable(uniq // shape[1], uniq % shape[1], counts.astype(np.int64), shape)


def encode_columns(df: pd.DataFrame, spec: CountSpec, columns: range | None = None) -> list[Encoded]:
    """Encode every column of a partition (``df`` holds exactly ``spec.columns``, in order;
    or the run ``columns`` of them)."""
    run = range(len(spec.columns)) if columns is None else columns
    edges = spec.edges or (None,) * len(spec.columns)
    return [
        encode(df.iloc[:, j]) if edges[i] is None else encode_binned(df.iloc[:, j], edges[i])  # type: ignore[arg-type]
        for j, i in enumerate(run)
    ]


def chunk(df: pd.DataFrame, spec: CountSpec) -> CountState:
    """Summarize one partition: encode its columns and count marginals and pairs.

    ``df`` holds exactly ``spec.columns``, in that order.
    """
    return count(encode_columns(df, spec), len(df), spec)


@dataclass(frozen=True, eq=False)
class Codes:
    """One partition's columns as codes, ready for counting any of the spec's pairs."""

    spec: CountSpec
    n_rows: int
    domains: tuple[Domain, ...]
    sizes: IntArray
    """Value codes per column (a folded column has one: present)."""
    codes: np.ndarray
    """Shape (n_columns, n_rows), the kernel's dtype; 0 is missing."""
    weights: np.ndarray | None = None
    """Row weights (int64 or float64, one per row, none zero), or None: each row counts once."""
    sums: WeightSums | None = None
    """The sums of ``weights`` (computed once, where the weights enter: :func:`codes_of`)."""


def count(encoded: list[Encoded], n: int, spec: CountSpec) -> CountState:
    """Count marginals and pairs of ``n`` rows whose columns are already encoded."""
    c = codes_of(encoded, n, spec)
    return count_pairs(c, range(len(spec.pairs)), marginals=True)


def codes_of(
    encoded: list[Encoded],
    n: int,
    spec: CountSpec,
    columns: range | None = None,
    weights: IntArray | None = None,
) -> Codes:
    """Fold the columns over their cap and write every column's codes. ``encoded`` may be
    the run ``columns`` of the spec's columns only (see :func:`stack_codes`); for all of
    them, raise :class:`TablesTooLarge`, before any table is built, if the pair tables
    would not fit ``spec.table_bytes``."""
    run = range(len(encoded)) if columns is None else columns
    domains: list[Domain] = [e.domain for e in encoded]
    sizes = np.array([d.size for d in domains], dtype=np.int64)
    caps = [spec.cap(i) for i in run]
    over = {i: _raw_codes(encoded[i], n) for i, cap in enumerate(caps) if cap is not None and sizes[i] > cap}
    for i, raw in list(over.items()):
        counts = np.bincount(raw, minlength=int(sizes[i]) + 1)
        if np.count_nonzero(counts[1:]) > caps[i]:  # type: ignore[operator]
            domains[i], sizes[i] = fold(domains[i], counts), 1
        else:  # a wide domain (e.g. a range of integers) with few values present
            del over[i]
    codes = np.empty((len(encoded), n), dtype=code_dtype(sizes))
    for i, e in enumerate(encoded):
        if i in over:
            np.greater(over[i], 0, out=codes[i], casting="unsafe")
        else:
            e.write(codes[i])
    out = Codes(
        spec, n, tuple(domains), sizes, codes, weights, None if weights is None else WeightSums.of(weights)
    )
    if columns is None:
        check_tables(out)
    return out


def stack_codes(parts: Sequence[Codes]) -> Codes:
    """The codes of all of a partition's columns from runs of them (in order), checked
    as :func:`codes_of` checks them."""
    if len(parts) == 1:
        return parts[0]
    sizes = np.concatenate([p.sizes for p in parts])
    codes = np.concatenate([p.codes for p in parts]).astype(code_dtype(sizes), copy=False)
    domains = tuple(d for p in parts for d in p.domains)
    out = Codes(parts[0].spec, parts[0].n_rows, domains, sizes, codes, parts[0].weights, parts[0].sums)
    check_tables(out)
    return out


def check_tables(c: Codes) -> None:
    """:class:`TablesTooLarge` if the pair tables of these codes would not fit the budget."""
    # int32 counters when dense; a sparse table has at most one (row, col, count) per row
    n, sizes = c.n_rows, c.sizes
    counter = 4 if n < np.iinfo(np.int32).max and c.weights is None else 8  # int64 or float64
    cells = [int((sizes[a] + 1) * (sizes[b] + 1)) for a, b in c.spec.pairs]
    _check_size(c.spec, [x * counter if use_dense(x, n) else 24 * min(x, n) for x in cells])


def count_pairs(c: Codes, pair_ids: Sequence[int] | range, *, marginals: bool) -> CountState:
    """The joint tables of the pairs ``pair_ids`` (positions in ``c.spec.pairs``), and the
    marginals when asked: a :class:`CountState` whose tables other than those are empty
    (:func:`join_pairs` puts blocks of pairs together)."""
    n, sizes, spec = c.n_rows, c.sizes, c.spec
    ids = list(pair_ids)
    cells = {k: int((sizes[spec.pairs[k][0]] + 1) * (sizes[spec.pairs[k][1]] + 1)) for k in ids}
    dense_ids = [k for k in ids if use_dense(cells[k], n)]
    pair_a = np.array([spec.pairs[k][0] for k in dense_ids], dtype=np.int64)
    pair_b = np.array([spec.pairs[k][1] for k in dense_ids], dtype=np.int64)
    margins, dense_tables = count_dense(
        c.codes, sizes, pair_a, pair_b, marginals=marginals, weights=c.weights
    )
    tables: list[Table | None] = [None] * len(spec.pairs)
    for k, table in zip(dense_ids, dense_tables, strict=True):
        tables[k] = table
    for k in ids:
        if tables[k] is None:
            a, b = spec.pairs[k]
            shape = (int(sizes[a]) + 1, int(sizes[b]) + 1)
            tables[k] = _count_sparse(c.codes[a], c.codes[b], shape, c.weights)
    empty = np.zeros((0, 0), dtype=np.int64)
    full = tuple(empty if t is None else t for t in tables)
    sums = c.sums if marginals else None
    return CountState(spec, n, c.domains, tuple(margins), full, sums, _squares(c, ids))


def _squares(c: Codes, ids: Sequence[int]) -> np.ndarray | None:
    """Per pair (those of ``ids``; NaN for the others), the sum of ``w**2`` over the rows
    where both columns have a value: with a float weights column only."""
    if c.weights is None or c.weights.dtype.kind != "f":
        return None
    w = np.ascontiguousarray(c.weights, dtype=np.float64)
    out = np.full(len(c.spec.pairs), np.nan)
    gaps = (c.codes == 0).any(axis=1)  # columns with a missing value here
    every = c.sums.squares if c.sums is not None else float(np.square(w).sum())
    scan = [k for k in ids if gaps[c.spec.pairs[k][0]] or gaps[c.spec.pairs[k][1]]]
    out[[k for k in ids if k not in set(scan)]] = every
    if scan:
        found = np.empty(len(scan))
        pa = np.array([c.spec.pairs[k][0] for k in scan], dtype=np.int64)
        pb = np.array([c.spec.pairs[k][1] for k in scan], dtype=np.int64)
        pair_squares(np.ascontiguousarray(c.codes), pa, pb, w, found)
        out[scan] = found
    return out


def join_pairs(blocks: Sequence[CountState], pair_ids: Sequence[Sequence[int]]) -> CountState:
    """One partition's counts from blocks of its pairs (:func:`count_pairs`; the first
    block holds the marginals)."""
    tables = list(blocks[0].tables)
    squares = None if blocks[0].squares is None else blocks[0].squares.copy()
    for block, ids in zip(blocks[1:], pair_ids[1:], strict=True):
        for k in ids:
            tables[k] = block.tables[k]
            if squares is not None and block.squares is not None:
                squares[k] = block.squares[k]
    first = blocks[0]
    return CountState(
        first.spec, first.n_rows, first.domains, first.marginals, tuple(tables), first.weights, squares
    )


def _raw_codes(e: Encoded, n: int) -> IntArray:
    out = np.empty(n, dtype=np.int64)
    e.write(out)
    return out


def _collapse(table: Table, fold_a: bool, fold_b: bool, n_rows: int) -> Table:
    """A pair table with the folded side(s) reduced to two codes: missing and present."""
    rows, cols, counts = _nonzero(table)
    shape = table.shape
    if fold_a:
        rows, shape = np.minimum(rows, 1), (2, shape[1])
    if fold_b:
        cols, shape = np.minimum(cols, 1), (shape[0], 2)
    if use_dense(shape[0] * shape[1], n_rows):
        out = np.zeros(shape, dtype=counts.dtype)
        np.add.at(out, (rows, cols), counts)
        return out
    return _reduce_coo(rows, cols, counts, shape)


def _fold_columns(s: CountState, columns: set[int]) -> CountState:
    """``s`` with ``columns`` folded: values dropped, present/missing counts kept."""
    todo = {c for c in columns if not isinstance(s.domains[c], Folded)}
    if not todo:
        return s
    domains = list(s.domains)
    marginals = list(s.marginals)
    for c in todo:
        domains[c] = fold(s.domains[c], s.marginals[c])
        m = s.marginals[c]
        marginals[c] = wide(np.array([m[0], m[1:].sum()]))
    tables = [
        _collapse(t, a in todo, b in todo, s.n_rows) if (a in todo or b in todo) else t
        for t, (a, b) in zip(s.tables, s.spec.pairs, strict=True)
    ]
    return CountState(s.spec, s.n_rows, tuple(domains), tuple(marginals), tuple(tables), s.weights, s.squares)


def _to_fold(
    summaries: Sequence[CountState], n_rows: int
) -> tuple[set[int], dict[int, tuple[Domain, list[IntArray | None]]]]:
    """Columns whose values over all ``summaries`` exceed their cap (:meth:`CountSpec.cap`),
    and the united domains computed on the way for columns that stay (for reuse)."""
    spec = summaries[0].spec
    out = set()
    united: dict[int, tuple[Domain, list[IntArray | None]]] = {}
    for c in range(len(spec.columns)):
        cap = spec.cap(c)
        domains = [s.domains[c] for s in summaries]
        if any(isinstance(d, Folded) for d in domains):
            out.add(c)
        elif cap is not None and sum(int(np.count_nonzero(s.marginals[c][1:])) for s in summaries) > cap:
            if _more_values_than(cap, [(s.domains[c], s.marginals[c]) for s in summaries]):
                out.add(c)
            else:
                united[c] = unite(domains, n_rows)
    return out, united


def _more_values_than(cap: int, columns: list[tuple[Domain, IntArray]]) -> bool:
    """Whether slices of one column (domain, marginal) hold more than ``cap`` distinct values.

    The values present are united one slice at a time, stopping as soon as they exceed
    ``cap``: memory stays about ``cap`` values, not the sum over all the slices.
    """
    seen: pd.Index | None = None
    for domain, marginal in columns:
        values = domain.index()[np.flatnonzero(marginal[1:])]
        seen = values if seen is None else seen.append(values).unique()
        if len(seen) > cap:
            return True
    return False


def _remap_into_dense(out: np.ndarray, table: Table, ma: IntArray | None, mb: IntArray | None) -> None:
    if isinstance(table, SparseTable):
        rows = table.rows if ma is None else ma[table.rows]
        cols = table.cols if mb is None else mb[table.cols]
        np.add.at(out, (rows, cols), table.counts)
    elif ma is None and mb is None:
        out += table
    else:
        ia = np.arange(table.shape[0]) if ma is None else ma
        ib = np.arange(table.shape[1]) if mb is None else mb
        # Code maps are injective, so a fancy-indexed += never drops a count.
        out[np.ix_(ia, ib)] += table


def _united(
    summaries: Sequence[CountState],
) -> tuple[Sequence[CountState], list[Domain], list[list[IntArray | None]], int]:
    """The common ground of summaries of one spec: the summaries (columns folded where
    their values over all of them exceed the cap), each column's united domain and each
    summary's code map into it, and the rows of all."""
    spec = summaries[0].spec
    for s in summaries[1:]:
        if s.spec != spec:
            raise ValueError("cannot merge count summaries of different columns, pairs or max_categories")
    n_rows = sum(s.n_rows for s in summaries)
    folding, united = _to_fold(summaries, n_rows)
    if folding:
        summaries = [_fold_columns(s, folding) for s in summaries]
    domains: list[Domain] = []
    maps: list[list[IntArray | None]] = []
    for c in range(len(spec.columns)):
        domain, column_maps = united.get(c) or unite([s.domains[c] for s in summaries], n_rows)
        domains.append(domain)
        maps.append(column_maps)
    return summaries, domains, maps, n_rows


def _remapped_marginal(marginal: IntArray, size: int, m: IntArray | None) -> IntArray:
    out = np.zeros(size + 1, dtype=wide(marginal[:0]).dtype)
    if m is None:
        out += marginal
    else:
        out[m] += marginal
    return out


def align(summaries: Sequence[CountState]) -> list[CountState]:
    """Summaries of the same spec on the domains their :func:`merge` would have: a code
    means the same value in each, and each keeps its own counts (and rows).

    For comparing slices of rows (:func:`dmi.drift`): ``merge(align(s))`` equals
    ``merge(s)``.
    """
    summaries, domains, maps, n_rows = _united(summaries)
    spec = summaries[0].spec
    dtype = count_dtype(summaries)
    out = []
    for i, s in enumerate(summaries):
        marginals = tuple(
            _remapped_marginal(s.marginals[c], domains[c].size, maps[c][i]) for c in range(len(domains))
        )
        tables: list[Table] = []
        for k, (a, b) in enumerate(spec.pairs):
            shape = (domains[a].size + 1, domains[b].size + 1)
            ma, mb = maps[a][i], maps[b][i]
            if use_dense(shape[0] * shape[1], n_rows):
                dense = np.zeros(shape, dtype=dtype)
                _remap_into_dense(dense, s.tables[k], ma, mb)
                tables.append(dense)
            else:
                rows, cols, counts = _nonzero(s.tables[k])
                rows = rows if ma is None else ma[rows]
                cols = cols if mb is None else mb[cols]
                tables.append(_reduce_coo(rows, cols, counts.astype(dtype), shape))
        out.append(CountState(spec, s.n_rows, tuple(domains), marginals, tuple(tables), s.weights, s.squares))
    return out


def merge(summaries: Sequence[CountState]) -> CountState:
    """Merge summaries of disjoint row sets into one summary of all their rows."""
    if len(summaries) == 1:
        return summaries[0]
    spec = summaries[0].spec
    summaries, domains, maps, n_rows = _united(summaries)
    dtype = count_dtype(summaries)
    marginals = [
        sum(
            (_remapped_marginal(s.marginals[c], d.size, m) for s, m in zip(summaries, maps[c], strict=True)),
            start=np.zeros(d.size + 1, dtype=dtype),
        )
        for c, d in enumerate(domains)
    ]

    shapes = [(domains[a].size + 1, domains[b].size + 1) for a, b in spec.pairs]
    _check_size(
        spec,
        [
            8 * r * c
            if use_dense(r * c, n_rows)
            else 24 * min(r * c, sum(_cells(s.tables[k]) for s in summaries))
            for k, (r, c) in enumerate(shapes)
        ],
    )
    tables: list[Table] = []
    for k, (a, b) in enumerate(spec.pairs):
        shape = shapes[k]
        if use_dense(shape[0] * shape[1], n_rows):
            out = np.zeros(shape, dtype=dtype)
            for i, s in enumerate(summaries):
                _remap_into_dense(out, s.tables[k], maps[a][i], maps[b][i])
            tables.append(out)
        else:
            parts = []
            for i, s in enumerate(summaries):
                rows, cols, counts = _nonzero(s.tables[k])
                ma, mb = maps[a][i], maps[b][i]
                parts.append(
                    (rows if ma is None else ma[rows], cols if mb is None else mb[cols], counts.astype(dtype))
                )
            tables.append(
                _reduce_coo(
                    np.concatenate([p[0] for p in parts]),
                    np.concatenate([p[1] for p in parts]),
                    np.concatenate([p[2] for p in parts]),
                    shape,
                )
            )
    weights = WeightSums.merge([s.weights for s in summaries])
    squared = [s.squares for s in summaries if s.squares is not None]
    squares = np.sum(squared, axis=0) if len(squared) == len(summaries) else None
    return CountState(spec, n_rows, tuple(domains), tuple(marginals), tuple(tables), weights, squares)
