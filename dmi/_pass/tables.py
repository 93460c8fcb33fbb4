"""A pass that counts joint tables of sets of columns (and draws the uniform sample).

The conditional tests of one level of the causal skeleton, or a set's information, need
the exact counts of many sets of discrete columns: each partition counts all of them at
once (:func:`dmi._math.joint_tables.count_tables`), the partitions' tables are merged in
a tree, and one ``dask.compute`` runs it on the active scheduler. The same pass may draw
the uniform sample of the one pass (:mod:`dmi._pass.onepass`) for the tests of continuous
columns, so a level costs one pass over the data whatever its number of tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import dask
import pandas as pd
import pyarrow as pa
from toolz import partition_all

from dmi._inputs.source import Source
from dmi._math.joint_tables import (
    EncodedRows,
    Tables,
    canonical,
    count_encoded,
    count_tables,
    encode_rows,
    merge_tables,
)
from dmi._math.sample import RowIds, SampleSpec
from dmi._math.weights import weighed
from dmi._pass.blocks import within_partition
from dmi._pass.graph import compute_all, threads
from dmi._pass.onepass import PassSpec, PassState, chunk, merge

# A block of sets worth a task of its own (about 10 ms of counting per 100,000 rows).
_MIN_SETS_PER_TASK = 100


@dataclass(frozen=True)
class TablesSpec:
    """What a tables pass gathers: joint tables of ``sets`` and, optionally, a sample."""

    sets: tuple[tuple[Hashable, ...], ...]
    dropna: bool
    sample: SampleSpec | None = None
    auto: tuple[Hashable, ...] = ()
    """Undecided (integer) columns: continuous past ``cap`` values (their sets not counted)."""
    cap: int = 64
    weights: Hashable | None = None
    """A column of frequency weights (:mod:`dmi._math.weights`), read last."""

    @property
    def columns(self) -> list[Hashable]:
        """Every column the pass reads, in a fixed order (the weights' last)."""
        sampled = self.sample.columns if self.sample is not None else ()
        weights = () if self.weights is None else (self.weights,)
        return list(dict.fromkeys([*(c for s in self.sets for c in s), *sampled, *weights]))


@dataclass(frozen=True, eq=False)
class TablesState:
    """What a tables pass gathered: the tables (canonical once merged) and the sample."""

    tables: Tables | None
    sample: PassState | None
    encoded: tuple[EncodedRows, ...] | None = None
    """Each partition's encoded rows, when the pass was asked to keep them (``keep``)."""


def _sample(part: pd.DataFrame, spec: TablesSpec, rows: RowIds) -> PassState | None:
    if spec.sample is None:
        return None
    pass_spec = PassSpec(tuple(spec.sample.columns), None, spec.sample, spec.weights)
    return chunk(part[list(pass_spec.read)], pass_spec, rows)


def _weighed(part: pd.DataFrame, spec: TablesSpec) -> tuple[pd.DataFrame, Any]:
    """The partition's rows of weight > 0 and their weights (None: no weights)."""
    if spec.weights is None:
        return part, None
    return weighed(part, part[spec.weights], spec.weights)


def _summarize(part: pd.DataFrame, spec: TablesSpec, rows: RowIds) -> TablesState:
    """One partition's tables and sample rows."""
    try:
        kept, weights = _weighed(part, spec)
        tables = (
            count_tables(kept, spec.sets, spec.dropna, spec.auto, spec.cap, weights) if spec.sets else None
        )
        return TablesState(tables, _sample(part, spec, rows))
    finally:
        pa.default_memory_pool().release_unused()


def _encode_task(part: pd.DataFrame, spec: TablesSpec, rows: RowIds) -> tuple[EncodedRows, PassState | None]:
    """One partition encoded once, for its blocks of sets to count (and its sample rows)."""
    try:
        kept, weights = _weighed(part, spec)
        encoded = encode_rows(kept, spec.sets, spec.dropna, spec.auto, spec.cap, weights)
        return encoded, _sample(part, spec, rows)
    finally:
        pa.default_memory_pool().release_unused()


def _count_task(encoded: tuple[EncodedRows, PassState | None], spec: TablesSpec, block: range) -> TablesState:
    """One block of a partition's sets counted from its encoded rows."""
    return TablesState(count_encoded(encoded[0], spec.sets[block.start : block.stop]), None)


def _read_task(
    reader: Callable[[Any, list[Hashable]], pd.DataFrame],
    piece: Any,
    columns: list[Hashable],
    spec: TablesSpec,
    rows: RowIds,
) -> TablesState:
    return _summarize(reader(piece, columns), spec, rows)


def _join_task(blocks: list[TablesState], encoded: tuple[EncodedRows, PassState | None]) -> TablesState:
    """One partition's tables from its blocks of sets (the same rows: the same values)."""
    parts = [b.tables for b in blocks if b.tables is not None]
    first = parts[0]
    domains = dict(first.domains)
    for p in parts[1:]:
        domains.update(p.domains)
    joined = Tables(
        tuple(s for p in parts for s in p.sets),
        domains,
        tuple(c for p in parts for c in p.counts),
        first.n_rows,
        weights=first.weights,
        squares=None if any(p.squares is None for p in parts) else tuple(q for p in parts for q in p.squares),  # type: ignore[union-attr]
    )
    return TablesState(joined, blocks[0].sample)


def _merge_task(states: list[TablesState], spec: TablesSpec) -> TablesState:
    tables = [s.tables for s in states if s.tables is not None]
    samples = [s.sample for s in states if s.sample is not None]
    merged = merge_tables(tables, spec.auto, spec.cap) if tables else None
    return TablesState(merged, merge(samples) if samples else None)


def _counted_in_blocks(enc: Any, spec: Any, blocks: Sequence[range], key: str) -> Any:
    """One encoded partition's sets counted in ``blocks`` (a task each), then joined."""
    counted = [
        dask.delayed(_count_task, pure=True)(enc, spec, b, dask_key_name=f"dmi-tables-{key}-{k}")
        for k, b in enumerate(blocks)
    ]
    return dask.delayed(_join_task, pure=True)(counted, enc, dask_key_name=f"dmi-tables-join-{key}")


def run(
    source: Source,
    spec: TablesSpec,
    split_every: int | None,
    progress: bool = False,
    *,
    keep: bool = False,
    encoded: Sequence[EncodedRows] | None = None,
) -> TablesState:
    """One pass over ``source`` gathering ``spec``; the tables come back canonical
    (:func:`dmi._math.joint_tables.canonical`: independent of the partitioning).

    For a table held in memory, a search of several passes may encode it once: ``keep``
    returns each partition's encoded rows (``TablesState.encoded``), and ``encoded``
    counts from them instead of reading the partitions (their columns must hold the
    sets' columns; a sample cannot come from them)."""
    columns = spec.columns
    token = uuid.uuid4().hex
    held = dask.delayed(spec, name=f"dmi-tables-spec-{token}", traverse=False)
    blocks = within_partition(len(spec.sets), len(source.rows), threads(), minimum=_MIN_SETS_PER_TASK)
    pieces = (
        source.pieces if len(blocks) == 1 and not keep else None
    )  # a partition shared by blocks is read once
    layer = []
    kept = []
    if encoded is not None:
        assert spec.sample is None and len(encoded) == len(source.rows)
        for i, rows_encoded in enumerate(encoded):
            enc = dask.delayed((rows_encoded, None), name=f"dmi-tables-encoded-{token}-{i}", traverse=False)
            layer.append(_counted_in_blocks(enc, held, blocks, f"{token}-{i}"))
    elif pieces is not None:
        reader = dask.delayed(pieces.reader, name=f"dmi-tables-reader-{token}", traverse=False)
        for i, rows in enumerate(source.rows):
            layer.append(
                dask.delayed(_read_task, pure=True)(
                    reader, pieces.items[i], columns, held, rows, dask_key_name=f"dmi-tables-{token}-{i}"
                )
            )
    else:
        parts = source.frame[columns].to_delayed()
        for i, (part, rows) in enumerate(zip(parts, source.rows, strict=True)):
            if len(blocks) == 1 and not keep:
                layer.append(
                    dask.delayed(_summarize, pure=True)(
                        part, held, rows, dask_key_name=f"dmi-tables-{token}-{i}"
                    )
                )
                continue
            # encoded once (codes and distinct rows), its sets counted in blocks
            enc = dask.delayed(_encode_task, pure=True)(
                part, held, rows, dask_key_name=f"dmi-tables-encode-{token}-{i}"
            )
            kept.append(enc)
            layer.append(_counted_in_blocks(enc, held, blocks, f"{token}-{i}"))
    if not layer:
        raise ValueError("data has no partitions, so no rows to analyse")
    depth = 0
    while len(layer) > 1:
        groups = [layer] if split_every is None else list(partition_all(split_every, layer))
        layer = [
            dask.delayed(_merge_task, pure=True)(
                list(g), held, dask_key_name=f"dmi-tables-merge-{token}-{depth}-{i}"
            )
            for i, g in enumerate(groups)
        ]
        depth += 1
    state, *encodings = compute_all([*layer, *(kept if keep else [])], progress=progress)
    tables = canonical(state.tables) if state.tables is not None else None
    return TablesState(tables, state.sample, tuple(e[0] for e in encodings) if keep else None)
