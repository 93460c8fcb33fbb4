"""The one pass as a Dask graph: partitions summarized, a tree merge, the k-NN tasks, one compute.

The graph uses public Dask APIs only: the partitions are read inside the tasks that
summarize them when dmi built the frame (:class:`~dmi._inputs.source.Pieces`), else taken
with ``DataFrame.to_delayed``;
``dask.delayed`` for the per-partition summaries and the merges (grouped with
``toolz.partition_all(split_every, ...)``), and a single ``dask.compute`` on whatever
scheduler is active (a ``distributed.Client`` if one is, Dask's default otherwise).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any

import dask
import pandas as pd
import pyarrow as pa
from dask.base import get_scheduler, tokenize
from toolz import partition_all

from dmi._inputs.source import Source
from dmi._math.counts import CountState, TablesTooLarge
from dmi._math.parallel import cores
from dmi._math.sample import RowIds, is_complete, key_threshold
from dmi._pass.blocks import within_partition
from dmi._pass.config import num_workers
from dmi._pass.faults import cluster_errors
from dmi._pass.heap import heap_kept
from dmi._pass.onepass import Encoded, PassSpec, PassState, chunk, count_block, encode, join, merge, stack
from dmi._pass.progress import has_widgets, in_notebook, text_output

_log = logging.getLogger("dmi")

# A local progress bar appears once the work has taken this many seconds.
_PROGRESS_AFTER = 1.0

Transform = Callable[[pd.DataFrame], pd.DataFrame]


def run(
    source: Source,
    spec: PassSpec,
    split_every: int | None,
    *,
    read: Sequence[Hashable] | None = None,
    transform: Transform | None = None,
    prepare: Callable[[PassState], Any] | None = None,
    estimate: Callable[[Any, Any], Any] | None = None,
    blocks: Sequence[Any] = (),
    progress: bool = False,
) -> tuple[PassState, list[Any]]:
    """One pass over ``source`` and the estimators that need its sample, in one compute.

    Each partition is summarized (``chunk``), the summaries are merged in a tree of
    fan-in ``split_every`` (``None``: all at once); then, if ``blocks`` is given,
    ``prepare(merged summary)`` runs once and ``estimate(prepared, block)`` once per block of
    pairs, as tasks that depend on the prepared sample only (so it is shipped to each
    worker once). Returns the merged summary and the per-block results.

    When a summary's pair tables would exceed their memory limit
    (:class:`~dmi._math.counts.TablesTooLarge`), the tasks return that exception instead of
    raising it -- it is a normal re-plan, not a failure, and must not be logged by
    workers as one -- and ``run`` raises it here, in the caller's process.

    ``read``: the columns to read (default ``spec.columns``); ``transform``: a function
    each partition passes through before it is summarized (it may add columns and drop
    rows, never reorder them); the pass then summarizes its ``spec.columns``.
    ``progress``: show a progress bar while computing (see :func:`compute_all`).
    """
    kw: dict[str, Any] = dict(
        read=read, transform=transform, prepare=prepare, estimate=estimate, blocks=blocks, progress=progress
    )
    n_rows = source.n_rows
    if (
        spec.sample is None
        or spec.sample.threshold is not None
        or n_rows is None
        or transform is not None  # (a transform may drop rows: n_rows unknown)
        or spec.weights is not None  # (the weighted keys are not uniform)
    ):
        return _run(source, spec, split_every, **kw)
    # The sample's rows are those with the smallest keys: when the rows are known in
    # advance, each partition keeps only keys below a threshold that the smallest keys
    # lie under almost surely -- checked after the pass, and the pass is redone without
    # it in the (about 1e-20) case that too few rows fell below it.
    bounded = replace(spec, sample=replace(spec.sample, threshold=key_threshold(spec.sample.size, n_rows)))
    merged, computed = _run(source, bounded, split_every, **kw)
    if merged.sample is None or is_complete(merged.sample, merged.n_rows):
        return merged, computed
    _log.info("dmi: fewer sample rows than expected fell below the key threshold; sampling again without it")
    return _run(source, spec, split_every, **kw)


def _run(
    source: Source,
    spec: PassSpec,
    split_every: int | None,
    *,
    read: Sequence[Hashable] | None = None,
    transform: Transform | None = None,
    prepare: Callable[[PassState], Any] | None = None,
    estimate: Callable[[Any, Any], Any] | None = None,
    blocks: Sequence[Any] = (),
    progress: bool = False,
) -> tuple[PassState, list[Any]]:
    """:func:`run`, with the sample as ``spec`` says."""
    columns = list(spec.read if read is None else read)
    # The plan's objects (specs, functions holding a plan, blocks of pairs) enter the graph
    # once each, as literals under their own keys: tasks refer to them by key, so Dask
    # neither walks nor tokenizes them per task (a 500-column request has 124,750 pairs),
    # and a worker receives each once. The graph's token hashes them pickled, at C speed.
    token = tokenize(source.frame, columns, split_every, pickle.dumps((spec, transform, prepare, estimate)))

    def static(obj: Any, what: str) -> Any:
        return dask.delayed(obj, name=f"dmi-{what}-{token}", traverse=False)

    spec_key, transform_key = static(spec, "spec"), static(transform, "transform")
    n_pairs = len(spec.counts.pairs) if spec.counts is not None else 0
    n_parts = source.frame.npartitions
    pair_blocks = within_partition(n_pairs, n_parts, threads())
    blocks_key = static(pair_blocks, "pair-blocks")
    # a partition's pairs in blocks: only for the plain pass (a transform adds columns)
    split = len(pair_blocks) > 1 and transform is None and spec.counts is not None
    if split:
        assert spec.counts is not None
        column_runs = within_partition(len(spec.counts.columns), 1, len(pair_blocks), minimum=1)
    # A partition that one task summarizes is read inside that task when dmi knows how
    # (source.pieces), so it is never a stored result; else it is the frame's partition.
    pieces = source.pieces if not split else None
    if pieces is not None:
        reader_key, columns_key = static(pieces.reader, "reader"), static(columns, "columns")
    else:
        parts = source.frame[columns].to_delayed()
    layer = []
    for i, rows in enumerate(source.rows):
        key = f"{token}-{i}"
        if pieces is not None:
            layer.append(
                dask.delayed(_read_chunk_task, pure=True)(
                    reader_key,
                    static(pieces.items[i], f"piece-{i}"),
                    columns_key,
                    spec_key,
                    rows,
                    transform_key,
                    dask_key_name=f"dmi-chunk-{key}",
                )
            )
            continue
        part = parts[i]
        if not split:
            layer.append(
                dask.delayed(_chunk_task, pure=True)(
                    part, spec_key, rows, transform_key, dask_key_name=f"dmi-chunk-{key}"
                )
            )
            continue
        # the partition's columns encoded in runs and its pairs counted in blocks, a task each
        encoded = [
            dask.delayed(_encode_task, pure=True)(
                part, spec_key, rows, static(run, f"columns-{g}"), dask_key_name=f"dmi-encode-{key}-{g}"
            )
            for g, run in enumerate(column_runs)
        ]
        # stacked once: every block reads the same codes
        codes = dask.delayed(_stack_task, pure=True)(encoded, dask_key_name=f"dmi-codes-{key}")
        counted = [
            dask.delayed(_count_task, pure=True)(codes, blocks_key, b, dask_key_name=f"dmi-count-{key}-{b}")
            for b in range(len(pair_blocks))
        ]
        layer.append(
            dask.delayed(_join_task, pure=True)(codes, counted, blocks_key, dask_key_name=f"dmi-chunk-{key}")
        )
    depth = 0
    while len(layer) > 1:
        groups = [layer] if split_every is None else list(partition_all(split_every, layer))
        layer = [
            dask.delayed(_merge_task, pure=True)(list(group), dask_key_name=f"dmi-merge-{token}-{depth}-{i}")
            for i, group in enumerate(groups)
        ]
        depth += 1
    if not layer:
        raise ValueError("data has no partitions, so no rows to analyse")
    summary = layer[0]
    results: list[Any] = []
    if blocks and prepare is not None and estimate is not None:
        # prepare runs where the merged summary is, and only its result (the prepared
        # sample) is shipped to the workers that estimate
        prepared = dask.delayed(_apply, pure=True)(
            static(prepare, "prepare-fn"), summary, dask_key_name=f"dmi-prepare-{token}"
        )
        estimate_key = static(estimate, "estimate-fn")
        results = [
            dask.delayed(_estimate_task, pure=True)(
                estimate_key, prepared, static(block, f"block-{i}"), dask_key_name=f"dmi-knn-{token}-{i}"
            )
            for i, block in enumerate(blocks)
        ]
    merged, *computed = compute_all([summary, *results], progress=progress)
    if isinstance(merged, TablesTooLarge):
        raise merged
    return merged, computed


def active_client() -> Any:
    """The ``distributed.Client`` that ``dask.compute`` would use now, or None."""
    try:  # imported when asked (dask's own get_scheduler imports it too, to look for a client)
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):  # distributed not installed, or no client
        return None
    return client if get_scheduler() == client.get else None


def compute_all(objs: Sequence[Any], *, progress: bool = False) -> list[Any]:
    """``dask.compute`` on the active scheduler, with progress if asked (see
    :mod:`dmi._pass.progress`): with a ``distributed.Client``, its progress bar (a widget
    in a notebook with ipywidgets; the client's dashboard shows the same); with a local
    scheduler, :class:`dask.diagnostics.ProgressBar`, shown once the work has taken a
    second. Text bars go to stderr, or replace one output line in a notebook."""
    client = active_client()
    if client is None:
        return _compute(objs, progress, None)
    with cluster_errors(client):
        return _compute(objs, progress, client)


def _compute(objs: Sequence[Any], progress: bool, client: Any) -> list[Any]:
    if not progress:
        return list(dask.compute(*objs))
    if client is None:
        from dask.diagnostics import ProgressBar

        with text_output() as out, ProgressBar(minimum=_PROGRESS_AFTER, dt=0.2, out=out):
            return list(dask.compute(*objs))
    from distributed import progress as show_progress

    futures = client.compute(list(objs))
    if in_notebook() and has_widgets():
        show_progress(futures)  # a widget; gather() below waits for the result
    else:
        with text_output() as out, contextlib.redirect_stdout(out):  # the text bar writes to stdout
            show_progress(futures, notebook=False)
    return list(client.gather(futures))


def map_shared(
    func: Callable[..., Any],
    shared: Any,
    items: Sequence[Any],
    *args: Any,
    name: str,
    blocks: int = 64,
    progress: bool = False,
) -> list[Any]:
    """``func(shared, block, *args)`` for ``items`` cut into at most ``blocks`` blocks, as Dask
    tasks on the active scheduler (``shared`` sent to each worker once), the results in
    order, concatenated."""
    from dmi._math.parallel import ranges

    held = dask.delayed(shared, traverse=False)
    token = uuid.uuid4().hex
    tasks = [
        dask.delayed(func)(held, items[first:last], *args, dask_key_name=f"dmi-{name}-{k}-{token}")
        for k, (first, last) in enumerate(ranges(len(items), blocks))
    ]
    return [out for block in compute_all(tasks, progress=progress) for out in block]


def _apply(func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)``: a task whose function is itself a key of the graph. An oversized
    pass (:class:`TablesTooLarge`) is passed on instead."""
    for a in args:
        if isinstance(a, TablesTooLarge):
            return a
    return func(*args)


def _estimate_task(estimate: Callable[[Any, Any], Any], prepared: Any, block: Any) -> Any:
    """One block of pairs estimated on the prepared sample, its temporary arrays kept on the
    heap (:mod:`dmi._pass.heap`: in a ``distributed`` worker, 1.4 times faster)."""
    with heap_kept():
        return _apply(estimate, prepared, block)


def _chunk_task(
    part: pd.DataFrame, spec: PassSpec, rows: RowIds, transform: Transform | None
) -> PassState | TablesTooLarge:
    """Summarize one partition, then hand memory Arrow no longer uses back to the OS.

    Arrow's allocator (mimalloc) keeps freed pages: measured on a worker, about 170 MB
    after one 1M-row piece, which distributed counts as unmanaged memory against the
    worker's limit until it pauses the worker. Releasing them costs about a millisecond.
    """
    if transform is not None:
        if not rows.from_index:  # number the rows before the transform may drop some
            part = part.set_axis(pd.RangeIndex(len(part)), axis=0)
            rows = RowIds(rows.source, True)
        part = transform(part)
        if list(part.columns) != list(spec.read):
            part = part[list(spec.read)]
    try:
        return chunk(part, spec, rows)
    except TablesTooLarge as too_large:  # a normal re-plan, not a failure: no error in the logs
        return too_large
    finally:
        pa.default_memory_pool().release_unused()


def _read_chunk_task(
    reader: Callable[[Any, list[Hashable]], pd.DataFrame],
    piece: Any,
    columns: list[Hashable],
    spec: PassSpec,
    rows: RowIds,
    transform: Transform | None,
) -> PassState | TablesTooLarge:
    """Read one partition's ``columns`` and summarize it (:func:`_chunk_task`), in one task."""
    return _chunk_task(reader(piece, columns), spec, rows, transform)


def _encode_task(part: pd.DataFrame, spec: PassSpec, rows: RowIds, columns: range) -> Encoded:
    """Encode one run of a partition's counted columns (the first run also draws its
    sample rows); see :func:`_chunk_task` for the memory released."""
    try:
        return encode(part, spec, rows, columns)
    finally:
        pa.default_memory_pool().release_unused()


def _stack_task(parts: list[Encoded]) -> Encoded | TablesTooLarge:
    """The partition's encoded runs of columns as one, or the re-plan its tables need."""
    try:
        return stack(parts)
    except TablesTooLarge as too_large:  # a normal re-plan, not a failure: no error in the logs
        return too_large


def _count_task(part: Encoded | TablesTooLarge, blocks: list[range], b: int) -> CountState | TablesTooLarge:
    """Count block ``b`` of the partition's pairs (an oversized partition is passed on)."""
    if isinstance(part, TablesTooLarge):
        return part
    return count_block(part, blocks[b], first=b == 0)


def _join_task(
    part: Encoded | TablesTooLarge, counted: list[CountState | TablesTooLarge], blocks: list[range]
) -> PassState | TablesTooLarge:
    """The partition's summary from its blocks of pairs."""
    if isinstance(part, TablesTooLarge):
        return part
    return join(part, counted, blocks)  # type: ignore[arg-type]


def threads() -> int:
    """The threads that will run the graph: the active client's, or the local pool's."""
    client = active_client()
    if client is not None:
        return max(1, sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))
    return local_threads()


def local_threads() -> int:
    """The threads of this process's Dask pool (``num_workers``, else its cores)."""
    return num_workers() or cores()


def _merge_task(summaries: list[PassState | TablesTooLarge]) -> PassState | TablesTooLarge:
    """Merge partition summaries; an oversized one (or an oversized merge) is passed on."""
    for s in summaries:
        if isinstance(s, TablesTooLarge):
            return s
    try:
        return merge(summaries)  # type: ignore[arg-type]
    except TablesTooLarge as too_large:
        return too_large
