"""The only module that builds Dask graphs: input loading, one pass, tree merge, one compute.

The graph uses public Dask APIs only: ``DataFrame.to_delayed`` for the partitions,
``dask.delayed`` for the per-partition summaries and the merges (grouped with
``toolz.partition_all(split_every, ...)``), and a single ``dask.compute`` on whatever
scheduler is active (a ``distributed.Client`` if one is, Dask's default otherwise).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
from dask.base import get_scheduler, tokenize
from toolz import partition_all

from . import _parquet
from ._onepass import PassSpec, Summary, chunk, merge
from ._plan import check_unique
from ._sample import Sample

# pandas input is cut into partitions of about this many rows, so a local threaded
# scheduler counts them in parallel.
_PANDAS_PARTITION_ROWS = 1_000_000
# A local progress bar appears once the work has taken this many seconds.
_PROGRESS_AFTER = 1.0


def _is_path(value: Any) -> bool:
    """Whether ``value`` is one path (a string or ``os.PathLike``)."""
    return isinstance(value, str | os.PathLike)


def _paths(data: Any) -> list[str]:
    """The ``data`` argument as a list of path strings."""
    return [os.fspath(data)] if _is_path(data) else [os.fspath(p) for p in data]


def _pandas_blocks(n_rows: int) -> int:
    """How many partitions a pandas DataFrame of ``n_rows`` rows is cut into."""
    return max(1, math.ceil(n_rows / _PANDAS_PARTITION_ROWS))


def as_dask_frame(data: Any) -> dd.DataFrame:
    """Turn the ``data`` argument into a lazy Dask DataFrame without reading any rows.

    Accepts a Dask DataFrame, a pandas DataFrame, or a Parquet path/glob, ``Path`` or
    list of them.
    """
    if isinstance(data, dd.DataFrame):
        return data
    if isinstance(data, pd.DataFrame):
        check_unique(list(data.columns))
        # No string conversion: it would turn an object column's 1 and "1" into one
        # category, and lists or bytes into their text.
        with dask.config.set({"dataframe.convert-string": False}):
            return dd.from_pandas(data, npartitions=_pandas_blocks(len(data)), sort=False)
    if _is_path(data) or (
        isinstance(data, Sequence) and not isinstance(data, str) and data and all(_is_path(p) for p in data)
    ):
        return _parquet.read(_paths(data))
    if isinstance(data, pd.Series | dd.Series):
        raise TypeError("data must be a DataFrame, not a Series; use series.to_frame() for one column")
    raise TypeError(
        "data must be a pandas or dask DataFrame, or a Parquet path, glob, pathlib.Path or list of "
        f"paths; got {type(data).__name__}"
    )


def run(
    ddf: dd.DataFrame,
    spec: PassSpec,
    split_every: int | None,
    *,
    prepare: Callable[[Sample], Any] | None = None,
    estimate: Callable[[Any, Any], Any] | None = None,
    blocks: Sequence[Any] = (),
    progress: bool = False,
) -> tuple[Summary, list[Any]]:
    """One pass over ``ddf`` and the estimators that need its sample, in one compute.

    Each partition is summarized (``chunk``), the summaries are merged in a tree of
    fan-in ``split_every`` (``None``: all at once); then, if ``blocks`` is given,
    ``prepare(sample)`` runs once and ``estimate(prepared, block)`` once per block of
    pairs, as tasks that depend on the prepared sample only (so it is shipped to each
    worker once). Returns the merged summary and the per-block results.

    ``progress``: show a progress bar while computing (see :func:`compute`).
    """
    parts = ddf[list(spec.columns)].to_delayed()
    token = tokenize(ddf, spec, split_every)
    layer = [
        dask.delayed(_chunk_task, pure=True)(part, spec, dask_key_name=f"dmi-chunk-{token}-{i}")
        for i, part in enumerate(parts)
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


def _chunk_task(part: pd.DataFrame, spec: PassSpec) -> Summary:
    """Summarize one partition, then hand memory Arrow no longer uses back to the OS.

    Arrow's allocator (mimalloc) keeps freed pages: measured on a worker, about 170 MB
    after one 1M-row piece, which distributed counts as unmanaged memory against the
    worker's limit until it pauses the worker. Releasing them costs about a millisecond.
    """
    summary = chunk(part, spec)
    pa.default_memory_pool().release_unused()
    return summary


def _sample_of(summary: Summary) -> Sample | None:
    """The merged sample of a summary (its own task, so k-NN tasks depend on it alone)."""
    return summary.sample


def sampled_partitions(data: Any, rows_wanted: int, seed: int) -> dd.DataFrame:
    """A seeded random subset of the data's partitions holding at least ``rows_wanted`` rows.

    Parquet paths: pieces (files, or runs of row groups), chosen by the row counts in
    their footers (no data is read).
    A pandas DataFrame: blocks of rows. A Dask DataFrame has no known partition lengths
    without reading it, so it is refused.
    """
    rng = np.random.default_rng([seed, 1])  # a stream of its own, apart from the row keys
    if isinstance(data, pd.DataFrame):
        n_blocks = _pandas_blocks(len(data))
        bounds = np.linspace(0, len(data), n_blocks + 1).astype(int)
        lengths = np.diff(bounds)
        chosen = _choose(rng, lengths, rows_wanted)
        parts = [data.iloc[bounds[i] : bounds[i + 1]] for i in sorted(chosen)]
        with dask.config.set({"dataframe.convert-string": False}):
            return dd.from_pandas(pd.concat(parts), npartitions=len(parts), sort=False)
    if isinstance(data, dd.DataFrame):
        raise ValueError(
            "sample='partitions' needs the rows of each partition before reading it, which a Dask "
            "DataFrame does not know; pass the Parquet path(s) instead, or use sample='rows'"
        )
    paths = _paths(data)
    pieces = _parquet.open_dataset(paths).pieces
    chosen = _choose(rng, np.array([p.rows for p in pieces]), rows_wanted)
    return _parquet.read(paths, [pieces[i] for i in sorted(chosen)])


def _choose(rng: np.random.Generator, lengths: np.ndarray, rows_wanted: int) -> list[int]:
    """Partitions in seeded random order until they hold ``rows_wanted`` rows (or all)."""
    order = rng.permutation(len(lengths))
    enough = int(np.searchsorted(np.cumsum(lengths[order]), rows_wanted)) + 1
    return [int(i) for i in order[:enough]]
