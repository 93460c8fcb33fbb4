"""Opening the user's data: a lazy Dask DataFrame, and how each partition's rows are identified.

Every input becomes a :class:`Source`: the frame the one pass maps over, plus one
:class:`~dmi._math.sample.RowIds` per partition, which the sample's row keys are made from.
What each input guarantees about the sample (the same seed gives the same sample...):

* **Parquet paths** -- for any cutting of the files into pieces and any worker count:
  a row is identified by its file's path and its position in the file (from the footers).
  Summaries of different files merge into exactly the summary of all of them.
* **A pandas DataFrame** -- for any partitioning, and whichever columns are passed: a
  row is identified by its index label when the index is a ``RangeIndex`` (the default
  one, or a slice of it such as ``df.iloc[1000:]``), else by its position. So
  ``summarize(df.iloc[:n])`` merged with ``summarize(df.iloc[n:])`` is exactly
  ``summarize(df)``. Two frames that both number their rows from 0 share identities:
  :meth:`dmi.Summary.merge` refuses them (give each its own
  ``pd.RangeIndex(start, start + len(df))``).
* **A Dask DataFrame** -- for the same frame with the same partitions only: its
  partition lengths are unknown before reading, so a row is identified by the frame's
  token, its partition's number and its position there. Repartitioning draws a
  different, equally uniform sample. Counts are exact whatever the input.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from dask.base import tokenize

from dmi._inputs import arrow, csv, formats, parquet
from dmi._inputs.scan import Scan
from dmi._math.sample import RowIds
from dmi._math.streams import Purpose, name_id, stream

# pandas input is cut into partitions of about this many rows, so a local threaded
# scheduler counts them in parallel.
_PANDAS_PARTITION_ROWS = 1_000_000
# Every pandas DataFrame's rows are identified by their RangeIndex labels.
_PANDAS_ROWS = RowIds((name_id("pandas.DataFrame"),), True)


@dataclass(frozen=True, eq=False)
class Pieces:
    """How dmi itself reads each partition of a frame it built: ``reader(piece, columns)``
    gives exactly what the frame's partition of those columns holds. A task that reads its
    piece itself holds it only while it runs; as a partition of the frame, a piece is a
    stored result, which a ``distributed`` worker may write to disk before the next task
    reads it."""

    reader: Callable[[Any, list[Hashable]], pd.DataFrame]
    items: tuple[Any, ...]
    """One per partition of the frame."""


def _mapped(
    reader: Callable[..., pd.DataFrame],
    items: Sequence[Any],
    meta: pd.DataFrame,
    label: str,
    *,
    keep_strings: bool = False,
    divisions: tuple[Any, ...] | None = None,
) -> tuple[dd.DataFrame, Pieces | None]:
    """The lazy frame of ``reader(item)`` for each item, as dmi builds every frame it reads,
    and its :class:`Pieces`. Dask converts string columns to its own string dtype unless
    ``keep_strings``; the pieces are given only when the frame's partitions are the reader's
    output as it is (no column's dtype changed), which is what they promise."""
    convert = {"dataframe.convert-string": False} if keep_strings else {}
    with dask.config.set(convert):
        frame = dd.from_map(
            reader, list(items), meta=meta, divisions=divisions, enforce_metadata=False, label=label
        )
    same = frame.dtypes.equals(meta.dtypes)
    return frame, Pieces(reader, tuple(items)) if same else None


@dataclass(frozen=True, eq=False)
class Source:
    """The data of a request: a lazy frame and the identity of each partition's rows."""

    frame: dd.DataFrame
    rows: tuple[RowIds, ...]
    """One per partition of ``frame``."""
    pandas: pd.DataFrame | None = None
    """The user's pandas DataFrame (with a RangeIndex), when that is what was passed."""
    dataset: parquet.Dataset | None = None
    """The Parquet data set behind the user's paths, when that is what was passed."""
    lengths: tuple[int, ...] | None = None
    """The rows of each partition, when known before reading (pandas; Parquet footers)."""
    table: Any = None
    """The user's Arrow table (a pyarrow Table, or a polars DataFrame's), when that is what was passed."""
    pieces: Pieces | None = None
    """How to read each partition without the frame, when dmi built the frame and Dask
    reads its partitions as they are (:func:`_mapped`)."""

    def partitions(self, chosen: Sequence[int]) -> Source:
        """The same source restricted to some partitions (their rows keep their identity)."""
        picked = sorted(chosen)
        pieces = self.pieces
        if pieces is not None:
            pieces = Pieces(pieces.reader, tuple(pieces.items[i] for i in picked))
        return Source(
            self.frame.partitions[picked],
            tuple(self.rows[i] for i in picked),
            self.pandas,
            self.dataset,
            None if self.lengths is None else tuple(self.lengths[i] for i in picked),
            self.table,
            pieces,
        )

    @property
    def n_rows(self) -> int | None:
        """The rows of the source, when known before reading it."""
        return None if self.lengths is None else sum(self.lengths)

    def value_range(self, column: Hashable) -> tuple[int, int] | None:
        """The smallest and largest value of an integer column when they are cheap to know
        (a pandas column in memory; Parquet statistics), else None."""
        if self.pandas is not None:
            values = self.pandas[column]
            lo, hi = values.min(), values.max()
            return None if pd.isna(lo) or pd.isna(hi) else (int(lo), int(hi))
        if self.dataset is not None and isinstance(column, str):
            return self.dataset.value_range(column)
        if self.table is not None and pa.types.is_integer(self.table.schema.field(column).type):
            bounds = pc.min_max(self.table.column(column))
            lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
            return None if lo is None or hi is None else (int(lo), int(hi))
        return None


def _token_id(frame: dd.DataFrame) -> int:
    """A Dask collection's token as an integer (its graph name: cheap, and deterministic
    for the same data and construction)."""
    return int(tokenize(frame), 16)


def open_data(data: Any) -> Source:
    """Turn the ``data`` argument into a :class:`Source` without reading any rows.

    Accepts a Dask DataFrame, a pandas DataFrame, or a Parquet path/glob, ``Path`` or
    list of them.
    """
    if isinstance(data, dd.DataFrame):
        token = _token_id(data)
        return Source(data, tuple(RowIds((token, i), False) for i in range(data.npartitions)))
    if isinstance(data, pd.DataFrame):
        check_unique(list(data.columns))
        # Row identities in the index (a RangeIndex: no copy of the data). No string
        # conversion: it would turn an object column's 1 and "1" into one category, and
        # lists or bytes into their text.
        index = data.index
        frame = data if isinstance(index, pd.RangeIndex) and index.step > 0 else data.reset_index(drop=True)
        return _pandas_source(frame)
    if isinstance(data, Scan):
        return formats.open_scan(data.format, data.paths, data.options)
    paths = formats.paths_of(data)
    if paths is not None:
        return formats.open_scan(None, paths, {})
    read = arrow.plan(data, _pandas_bounds)
    if read is not None:
        return _arrow_source(data, read)
    if isinstance(data, pd.Series | dd.Series):
        raise TypeError("data must be a DataFrame, not a Series; use series.to_frame() for one column")
    raise TypeError(
        "data must be a pandas, Dask or polars DataFrame, a polars LazyFrame, a pyarrow Table or Dataset, "
        "Parquet or CSV path(s) (a path, glob, pathlib.Path or list of them), dmi.scan_parquet(...) or "
        f"dmi.scan_csv(...); got {type(data).__name__}"
    )


def _arrow_source(data: Any, parts: arrow.ParquetFiles | arrow.Parts) -> Source:
    """A pyarrow Table or Dataset, or a polars DataFrame or LazyFrame, as a Source, read as
    :func:`dmi._inputs.arrow.plan` says."""
    if isinstance(parts, arrow.ParquetFiles):
        return _parquet_dataset_source(data, parts.files, parts.partitions)
    check_unique(list(parts.meta.columns))
    frame, pieces = _mapped(parts.reader, parts.parts, parts.meta, parts.label)
    if parts.fragments:  # a fragment's rows: its file's (or its place's) and their positions
        rows = tuple(RowIds((name_id(getattr(f, "path", str(i))),), True) for i, f in enumerate(parts.parts))
    else:  # as a pandas DataFrame's: by position
        rows = (_PANDAS_ROWS,) * len(parts.parts)
    return Source(frame, rows, lengths=parts.lengths, table=parts.table, pieces=pieces)


def _parquet_dataset_source(
    data: Any, files: list[str], partitions: dict[str, dict[str, Any]] | None
) -> Source:
    """A pyarrow Dataset of Parquet files, read as Parquet paths are (its partition columns
    included)."""
    import fsspec
    import fsspec.implementations.arrow
    import pyarrow.fs as pafs

    if not files:
        raise ValueError("the pyarrow Dataset has no files")
    if isinstance(data.filesystem, pafs.LocalFileSystem):  # named as a path names them
        fs = fsspec.filesystem("file")
        named = {f: fs.info(os.path.abspath(f))["name"] for f in files}
        files = [named[f] for f in files]
        partitions = None if partitions is None else {named[f]: v for f, v in partitions.items()}
    else:
        fs = fsspec.implementations.arrow.ArrowFSWrapper(data.filesystem)
    extra = None
    if partitions is not None:
        keys = list(next(iter(partitions.values())))
        extra = pa.schema([data.schema.field(k) for k in keys])
    dataset = parquet.files_dataset(fs, files, partitions, extra)
    return _parquet_source(dataset, dataset.pieces)


def _open_parquet(paths: list[str], options: dict[str, Any]) -> Source:
    dataset = parquet.open_dataset(paths, **options)
    return _parquet_source(dataset, dataset.pieces)


def _open_csv(paths: list[str], options: dict[str, Any]) -> Source:
    return _csv_source(csv.open_csv(paths, **options))


def _csv_source(files: csv.CsvSet) -> Source:
    """CSV blocks as a Source: each row is its file's, its block's and its place in the block."""
    frame, pieces = _mapped(csv.Reader(files), files.blocks, files.empty_frame(), "dmi-read-csv")
    rows = tuple(RowIds((name_id(b.path), b.offset), False) for b in files.blocks)
    return Source(frame, rows, pieces=pieces)


def _pandas_bounds(n: int) -> list[int]:
    """Where the partitions of a pandas DataFrame of ``n`` rows start, and ``n``."""
    parts = max(1, math.ceil(n / _PANDAS_PARTITION_ROWS))
    return [n * i // parts for i in range(parts + 1)]


def _rows(piece: pd.DataFrame, columns: list[Hashable] | None = None) -> pd.DataFrame:
    """One partition of a pandas DataFrame (a slice of it), its ``columns`` only."""
    return piece if columns is None else piece[columns]


def _pandas_source(frame: pd.DataFrame) -> Source:
    """A pandas DataFrame (with an increasing RangeIndex) as a Source of row slices.

    Built with ``from_map`` over slices (views, no copy) whose divisions are known from
    the RangeIndex: ``dd.from_pandas`` lists the whole index in Python to find them
    (8 ms of a 50 ms call at 1e5 rows). No string conversion: it would turn an object
    column's 1 and "1" into one category, and lists or bytes into their text.
    """
    bounds = _pandas_bounds(len(frame))
    index = frame.index
    divisions = None if len(frame) == 0 else (*(index[b] for b in bounds[:-1]), index[-1])
    slices = [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    ddf, pieces = _mapped(
        _rows, slices, frame.iloc[:0], "dmi-from-pandas", keep_strings=True, divisions=divisions
    )
    lengths = tuple(b - a for a, b in itertools.pairwise(bounds))
    return Source(ddf, (_PANDAS_ROWS,) * len(lengths), pandas=frame, lengths=lengths, pieces=pieces)


def _parquet_source(dataset: parquet.Dataset, pieces: Sequence[parquet.Piece]) -> Source:
    """Parquet pieces as a Source: each row is its file's and its position in the file."""
    reader = parquet.Reader(dataset)
    # No conversion of Arrow string columns to pandas' string dtype: the values are the
    # same, and the cast (large_string -> string) took about 0.1 s per 1M-row partition.
    frame, read = _mapped(reader, pieces, parquet.empty_frame(dataset), "dmi-read-parquet", keep_strings=True)
    rows = tuple(RowIds((parquet.file_id(p.path),), True) for p in pieces)
    lengths = None if dataset.filter is not None else tuple(p.rows for p in pieces)  # rows filtered out
    return Source(frame, rows, dataset=dataset, lengths=lengths, pieces=read)


def sampled_partitions(source: Source, rows_wanted: int, seed: int) -> Source:
    """A seeded random subset of the source's partitions holding at least ``rows_wanted`` rows.

    Parquet paths: pieces (files, or runs of row groups), chosen by the row counts in
    their footers (no data is read). A pandas DataFrame: its blocks of rows. A Dask
    DataFrame has no known partition lengths without reading it, so it is refused.
    The rows of the chosen partitions keep their identity, hence their sample keys.
    """
    rng = stream(seed, Purpose.PARTITIONS)
    if source.pandas is not None:
        starts = _pandas_bounds(len(source.pandas))
        return source.partitions(_choose(rng, np.diff(starts), rows_wanted))
    if source.dataset is not None:
        pieces = source.dataset.pieces
        chosen = sorted(_choose(rng, np.array([p.rows for p in pieces]), rows_wanted))
        return _parquet_source(source.dataset, [pieces[i] for i in chosen])
    raise ValueError(
        "sample='partitions' needs the rows of each partition before reading it, which a Dask "
        "DataFrame does not know; pass the Parquet path(s) instead, or use sample='rows'"
    )


def _choose(rng: np.random.Generator, lengths: np.ndarray, rows_wanted: int) -> list[int]:
    """Partitions in seeded random order until they hold ``rows_wanted`` rows (or all)."""
    order = rng.permutation(len(lengths))
    enough = int(np.searchsorted(np.cumsum(lengths[order]), rows_wanted)) + 1
    return [int(i) for i in order[:enough]]


def check_unique(frame_columns: Sequence[Hashable]) -> None:
    """Raise ValueError naming every duplicated column label."""
    dup = pd.Index(list(frame_columns), dtype=object)
    dups = list(dict.fromkeys(dup[dup.duplicated()]))
    if dups:
        shown = ", ".join(repr(n) for n in dups)
        raise ValueError(f"data has duplicate column names: {shown}; rename them first")


formats.register(
    formats.FileFormat(
        "parquet", lambda path: True, _open_parquet, fallback=True, refuse=parquet.not_parquet_hint
    )
)
formats.register(formats.FileFormat("csv", csv.is_csv, _open_csv))
