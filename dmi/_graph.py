"""The one pass as a Dask graph: partitions summarized, a tree merge, the k-NN tasks, one compute.

The graph uses public Dask APIs only: ``DataFrame.to_delayed`` for the partitions,
``dask.delayed`` for the per-partition summaries and the merges (grouped with
``toolz.partition_all(split_every, ...)``), and a single ``dask.compute`` on whatever
scheduler is active (a ``distributed.Client`` if one is, Dask's default otherwise).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import dask
import pandas as pd
import pyarrow as pa
from dask.base import get_scheduler, tokenize
from toolz import partition_all

from ._inputs import Source
from ._onepass import PassSpec, Summary, chunk, merge
from ._sample import RowIds, Sample

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
    prepare: Callable[[Sample], Any] | None = None,
    estimate: Callable[[Any, Any], Any] | None = None,
    blocks: Sequence[Any] = (),
    progress: bool = False,
) -> tuple[Summary, list[Any]]:
    """One pass over ``source`` and the estimators that need its sample, in one compute.

    Each partition is summarized (``chunk``), the summaries are merged in a tree of
    fan-in ``split_every`` (``None``: all at once); then, if ``blocks`` is given,
    ``prepare(sample)`` runs once and ``estimate(prepared, block)`` once per block of
    pairs, as tasks that depend on the prepared sample only (so it is shipped to each
    worker once). Returns the merged summary and the per-block results.

    ``read``: the columns to read (default ``spec.columns``); ``transform``: a function
    each partition passes through before it is summarized (it may add columns and drop
    rows, never reorder them); the pass then summarizes its ``spec.columns``.
    ``progress``: show a progress bar while computing (see :func:`compute`).
    """
    columns = list(spec.columns if read is None else read)
    parts = source.frame[columns].to_delayed()
    token = tokenize(source.frame, columns, spec, split_every, transform)
    layer = [
        dask.delayed(_chunk_task, pure=True)(
            part, spec, rows, transform, dask_key_name=f"dmi-chunk-{token}-{i}"
        )
        for i, (part, rows) in enumerate(zip(parts, source.rows, strict=True))
    ]
    depth = 0
    while len(layer) > 1:
        groups = [layer] if split_every is None else list(partition_all(split_every, layer))
        layer = [
            dask.delayed(merge, pure=True)(list(group), dask_key_name=f"dmi-merge-{token}-{depth}-{i}")
            for i, group in enumerate(groups)
        ]
        depth += 1
    if not layer:
        raise ValueError("data has no partitions, so no rows to analyse")
    summary = layer[0]
    results: list[Any] = []
    if blocks and prepare is not None and estimate is not None:
        sample = dask.delayed(_sample_of, pure=True)(summary, dask_key_name=f"dmi-sample-{token}")
        prepared = dask.delayed(prepare, pure=True)(sample, dask_key_name=f"dmi-prepare-{token}")
        results = [
            dask.delayed(estimate, pure=True)(prepared, block, dask_key_name=f"dmi-knn-{token}-{i}")
            for i, block in enumerate(blocks)
        ]
    merged, *computed = compute([summary, *results], progress=progress)
    return merged, computed


def active_client() -> Any:
    """The ``distributed.Client`` that ``dask.compute`` would use now, or None."""
    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):  # distributed not installed, or no client
        return None
    return client if get_scheduler() == client.get else None


def compute(objs: Sequence[Any], *, progress: bool = False) -> list[Any]:
    """``dask.compute`` on the active scheduler, with a progress bar if asked.

    With a ``distributed.Client``: its progress bar (a widget in a notebook, text on
    stderr in a console; the client's dashboard shows the same). With a local
    scheduler: :class:`dask.diagnostics.ProgressBar` on stderr, shown once the work
    has taken a second.
    """
    if not progress:
        return list(dask.compute(*objs))
    client = active_client()
    if client is None:
        from dask.diagnostics import ProgressBar

        with ProgressBar(minimum=_PROGRESS_AFTER, dt=0.2, out=sys.stderr):
            return list(dask.compute(*objs))
    from distributed import progress as show_progress
    from distributed.utils import is_kernel

    futures = client.compute(list(objs))
    if is_kernel() and _has_widgets():
        show_progress(futures)  # a widget; gather() below waits for the result
    else:
        with contextlib.redirect_stdout(sys.stderr):  # the text bar writes to stdout
            show_progress(futures, notebook=False)
    return list(client.gather(futures))


def _has_widgets() -> bool:
    """Whether the notebook progress widget can be shown (it needs ipywidgets)."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def _chunk_task(part: pd.DataFrame, spec: PassSpec, rows: RowIds, transform: Transform | None) -> Summary:
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
        if list(part.columns) != list(spec.columns):
            part = part[list(spec.columns)]
    summary = chunk(part, spec, rows)
    pa.default_memory_pool().release_unused()
    return summary


def _sample_of(summary: Summary) -> Sample | None:
    """The merged sample of a summary (its own task, so k-NN tasks depend on it alone)."""
    return summary.sample
