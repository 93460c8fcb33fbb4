"""Arrow-shaped inputs as partitions: pyarrow ``Table``/``Dataset``, polars ``DataFrame``/``LazyFrame``.

No Dask here: :mod:`dmi._inputs.source` maps these readers over row ranges or fragments
with ``dask.dataframe.from_map``. Nothing is copied into pandas as a whole: each
partition converts its own slice (Arrow-backed pandas columns, as the Parquet reader
gives), so memory holds the user's table plus one partition's conversion.

* A pyarrow ``Table`` and a polars ``DataFrame`` (through ``DataFrame.to_arrow()``, which
  shares polars' memory) are cut into slices of rows; a row is identified by its position,
  exactly as in a pandas DataFrame, so the sample is the same rows as for the same data in
  pandas.
* A polars ``LazyFrame`` is never collected whole: each partition collects its own slice of
  the query (``lf.slice(start, n)``, with only the columns a call needs). This streams a
  scan; a query with a sort or a join would be run once per partition, so collect such a
  query first and pass the DataFrame.
* A ``pyarrow.dataset.Dataset`` of Parquet files is read as Parquet paths are (its
  partition columns included); of other formats, one fragment per partition.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa


def _plain(kind: pa.DataType) -> pa.DataType:
    """String and binary views (polars exports them) as the large types pandas knows."""
    if pa.types.is_dictionary(kind):
        return pa.dictionary(kind.index_type, _plain(kind.value_type), kind.ordered)
    if kind == pa.string_view():
        return pa.large_string()
    if kind == pa.binary_view():
        return pa.large_binary()
    return kind


def to_pandas(table: pa.Table, start: int = 0) -> pd.DataFrame:
    """An Arrow table as pandas (Arrow-backed columns), indexed by position from ``start``."""
    schema = pa.schema([pa.field(f.name, _plain(f.type)) for f in table.schema])
    if schema != table.schema:
        table = table.cast(schema)
    frame = table.to_pandas(types_mapper=pd.ArrowDtype, ignore_metadata=True)
    frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


class _Reader:
    """A picklable callable reading one partition of ``source``, only ``columns`` if set
    (Dask's column projection calls :meth:`project_columns`)."""

    def __init__(self, source: Any, columns: list[Hashable] | None = None) -> None:
        self.source = source
        self.columns = columns

    def project_columns(self, columns: list[Hashable]) -> _Reader:
        return type(self)(self.source, list(columns))

    def wanted(self, columns: list[Hashable] | None) -> list[Hashable] | None:
        return list(columns) if columns is not None else self.columns

    def __call__(self, part: Any, columns: list[Hashable] | None = None) -> pd.DataFrame:
        raise NotImplementedError  # each reader reads its own kind of part


class TableSlices(_Reader):
    """Rows ``[start, stop)`` of an Arrow table."""

    def __call__(self, bounds: tuple[int, int], columns: list[Hashable] | None = None) -> pd.DataFrame:
        start, stop = bounds
        wanted = self.wanted(columns)
        part = self.source.slice(start, stop - start)
        return to_pandas(part if wanted is None else part.select(wanted), start)


class LazySlices(_Reader):
    """Rows ``[start, stop)`` of a polars LazyFrame's query, collected on their own."""

    def __call__(self, bounds: tuple[int, int], columns: list[Hashable] | None = None) -> pd.DataFrame:
        start, stop = bounds
        wanted = self.wanted(columns)
        query = self.source.slice(start, stop - start)
        if wanted is not None:
            query = query.select(wanted)
        return to_pandas(query.collect().to_arrow(), start)


class Fragments(_Reader):
    """One fragment of a pyarrow Dataset (``source``: the dataset's schema)."""

    def __call__(self, fragment: Any, columns: list[Hashable] | None = None) -> pd.DataFrame:
        return to_pandas(fragment.to_table(schema=self.source, columns=self.wanted(columns)))


def kind_of(data: Any) -> str | None:
    """``"table"``, ``"polars"``, ``"lazy"`` or ``"dataset"`` for the inputs of this module,
    else None. polars is not imported unless the caller already did."""
    if isinstance(data, pa.Table):
        return "table"
    if "pyarrow.dataset" in sys.modules:
        import pyarrow.dataset as ds

        if isinstance(data, ds.Dataset):
            return "dataset"
    if "polars" in sys.modules:
        import polars as pl

        if isinstance(data, pl.DataFrame):
            return "polars"
        if isinstance(data, pl.LazyFrame):
            return "lazy"
    return None


def lazy_rows(query: Any) -> int:
    """The rows of a polars query (polars counts them; for a scan, from the files' metadata)."""
    import polars as pl

    return int(query.select(pl.len()).collect().item())


def lazy_meta(query: Any) -> pd.DataFrame:
    """A polars query's columns and pandas dtypes, without rows."""
    return to_pandas(query.limit(0).collect().to_arrow())


def dataset_partitions(dataset: Any) -> tuple[list[str], dict[str, dict[str, Any]] | None]:
    """A pyarrow Parquet dataset's files and each file's partition values."""
    import pyarrow.dataset as ds

    files, partitions = [], {}
    for fragment in dataset.get_fragments():
        files.append(fragment.path)
        partitions[fragment.path] = ds.get_partition_keys(fragment.partition_expression) or {}
    if not any(partitions.values()):
        return files, None
    return files, partitions


@dataclass(frozen=True)
class ParquetFiles:
    """A pyarrow Dataset of Parquet files, to be read as Parquet paths are: its files and
    each file's partition values (None: not partitioned)."""

    files: list[str]
    partitions: dict[str, dict[str, Any]] | None


def plan(data: Any, bounds: Callable[[int], list[int]]) -> ParquetFiles | Parts | None:
    """How to read ``data`` when it is one of this module's inputs (None otherwise): a
    Dataset of Parquet files as :class:`ParquetFiles`, anything else as its :class:`Parts`
    (:func:`parts_of`)."""
    kind = kind_of(data)
    if kind is None:
        return None
    if kind == "dataset":
        import pyarrow.dataset as ds

        if isinstance(data, ds.FileSystemDataset) and isinstance(data.format, ds.ParquetFileFormat):
            return ParquetFiles(*dataset_partitions(data))
    return parts_of(data, kind, bounds)


@dataclass(frozen=True, eq=False)
class Parts:
    """What the partitions of an Arrow-shaped input are made of (no Dask): the reader, what
    each partition reads (a range of rows, or a fragment), the columns without rows, each
    partition's rows when known, the Arrow table when there is one, and a task label."""

    reader: _Reader
    parts: list[Any]
    meta: pd.DataFrame
    lengths: tuple[int, ...] | None
    table: Any
    label: str
    fragments: bool = False
    """Whether each part is a Dataset's fragment (else a range of rows)."""


def parts_of(data: Any, kind: str, bounds: Callable[[int], list[int]]) -> Parts:
    """The partitions of a table, polars frame or query (cut at ``bounds(rows)``), or of a
    Dataset that is not of Parquet files (a fragment each)."""
    if kind == "dataset":
        fragments = list(data.get_fragments())
        if not fragments:
            raise ValueError("the pyarrow Dataset has no fragments")
        meta = to_pandas(data.schema.empty_table())
        return Parts(Fragments(data.schema), fragments, meta, None, None, "dmi-from-dataset", fragments=True)
    if kind == "lazy":
        n = lazy_rows(data)
        reader: _Reader = LazySlices(data)
        meta = lazy_meta(data)
        table = None
    else:
        table = data.to_arrow() if kind == "polars" else data
        n = table.num_rows
        reader = TableSlices(table)
        meta = to_pandas(table.slice(0, 0))
    ranges = list(itertools.pairwise(bounds(n)))
    return Parts(reader, ranges, meta, tuple(b - a for a, b in ranges), table, f"dmi-from-{kind}")
