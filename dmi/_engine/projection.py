"""A stored summary answering a request: the part of it that the request's pass would have gathered.

:func:`project` for unconditional requests, :func:`project_given` for ``given=`` ones;
both return the one pass's state (:class:`dmi._pass.onepass.PassState`) for the engine to finish,
so a result from a summary is computed exactly as from the data.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

import numpy as np

from dmi._engine.conditional import composite_column
from dmi._math.counts import CountSpec, CountState, SparseTable, Table
from dmi._math.sample import Sample, SampleSpec
from dmi._pass import onepass
from dmi.summary import Summary


def transposed(table: Table) -> Table:
    if isinstance(table, SparseTable):
        order = np.lexsort((table.rows, table.cols))
        return SparseTable(table.cols[order], table.rows[order], table.counts[order], table.shape[::-1])
    return table.T


def _sample_columns(
    stored: Sample | None, stored_names: list[Hashable], wanted: SampleSpec | None
) -> Sample | None:
    """The stored sample's columns that a request's sample spec names, in its order."""
    if wanted is None:
        return None
    assert stored is not None
    picked = [stored_names.index(c) for c in wanted.columns]
    frame = stored.frame.iloc[:, picked].set_axis(range(len(picked)), axis=1)
    return Sample(stored.keys, frame, stored.size)


def project(summary: Summary, spec: onepass.PassSpec) -> onepass.PassState:
    """The part of a stored summary that a request's pass (``spec``) would have gathered."""
    state = summary.state
    counts = None
    if spec.counts is not None:
        stored = state.counts
        assert stored is not None  # the request's discrete columns are the summary's
        where = {c: i for i, c in enumerate(stored.spec.columns)}
        index = {pair: k for k, pair in enumerate(stored.spec.pairs)}
        cols = [where[c] for c in spec.counts.columns]
        tables: list[Table] = []
        picks: list[int] = []
        for a, b in spec.counts.pairs:
            sa, sb = cols[a], cols[b]
            picks.append(index[(min(sa, sb), max(sa, sb))])
            if sa < sb:
                tables.append(stored.tables[picks[-1]])
            else:
                tables.append(transposed(stored.tables[picks[-1]]))
        counts = CountState(
            replace(spec.counts, max_categories=stored.spec.max_categories),
            stored.n_rows,
            tuple(stored.domains[i] for i in cols),
            tuple(stored.marginals[i] for i in cols),
            tuple(tables),
            stored.weights,
            None if stored.squares is None else stored.squares[picks],
        )
    sample = _sample_columns(state.sample, list(summary.columns), spec.sample)
    return onepass.PassState(state.n_rows, counts, sample, state.weights)


def project_given(summary: Summary, z: Hashable, spec: onepass.PassSpec) -> onepass.PassState:
    """The part of a ``given=z`` summary that a conditioning request's pass would have gathered.

    The summary holds the (z, a) composite of each pair's first column in its own column
    order; a request listing the pair the other way round reads that table (the
    conditional MI is symmetric).
    """
    if summary.given != z:
        raise ValueError(
            f"this summary conditions on {summary.given!r}, not {z!r}; "
            f"summarize with given={z!r} (or pass the data)"
        )
    state = summary.state
    counts = None
    if spec.counts is not None:
        stored = state.counts
        assert stored is not None
        index = {
            (stored.spec.columns[a], stored.spec.columns[b]): k for k, (a, b) in enumerate(stored.spec.pairs)
        }
        position = {c: i for i, c in enumerate(stored.spec.columns)}
        names: list[Hashable] = []
        pairs: list[tuple[int, int]] = []
        tables: list[Table] = []
        picks: list[int] = []

        def slot(name: Hashable) -> int:
            if name not in names:
                names.append(name)
            return names.index(name)

        for a, b in spec.counts.pairs:
            comp, other = spec.counts.columns[a], spec.counts.columns[b]
            plain_a = next(c for c in summary.columns if composite_column(c) == comp)
            if (comp, other) in index:
                key = (comp, other)
            else:  # stored the other way round: (z, other) against plain a
                key = (composite_column(other), plain_a)
            tables.append(stored.tables[index[key]])
            picks.append(index[key])
            pairs.append((slot(key[0]), slot(key[1])))
        for c in spec.counts.columns:  # composites for the diagonal
            slot(c)
        picked = [position[c] for c in names]
        counts = CountState(
            CountSpec(tuple(names), tuple(pairs), max_categories=stored.spec.max_categories),
            stored.n_rows,
            tuple(stored.domains[i] for i in picked),
            tuple(stored.marginals[i] for i in picked),
            tuple(tables),
            stored.weights,
            None if stored.squares is None else stored.squares[picks],
        )
    # the sample of a given= summary holds every column, then z
    sample = _sample_columns(state.sample, [*summary.columns, z], spec.sample)
    return onepass.PassState(state.n_rows, counts, sample, state.weights)
