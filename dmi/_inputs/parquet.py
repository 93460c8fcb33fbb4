"""Parquet data sets with pyarrow: footers checked first, pieces of bounded size, a reader per piece.

No Dask here: :mod:`dmi._inputs.source` maps :class:`Reader` over the pieces with
``dask.dataframe.from_map``. dmi reads Parquet itself rather than through
``dask.dataframe.read_parquet``, for three reasons a user can see:

* **Errors name the file.** Every file's footer is read before any data; a file that is
  not Parquet, is truncated, or whose schema drifts (a column missing, a type changed)
  is reported by name and column before the computation starts. A corrupt data page
  found while reading is re-raised with the file's name.
* **Bounded memory.** A partition ("piece") is one file, or a run of row groups of a
  large file holding about ``PIECE_ROWS`` rows, so a worker holds a bounded slice of the
  data whatever the size of the files.
* **Row counts before reading.** The footers give each piece's rows, which
  ``sample='partitions'`` uses to choose pieces, and each row's position in its file,
  which a piece's index holds: the sample's row keys are made from the file and the
  position (:func:`file_id`), so they do not depend on how files are cut into pieces.

Column projection reaches the reader (``columns=``), so only the needed columns are read.
Columns come back Arrow-backed (``pd.ArrowDtype``): no copy into numpy blocks, and an
integer column with nulls stays an integer.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dmi._math.streams import name_id

# A partition holds about this many rows (whole row groups; a file with fewer is one piece).
PIECE_ROWS = 1_000_000
# Footers are read by this many threads (they are small reads; remote stores like many).
_FOOTER_THREADS = 16


class ParquetError(ValueError):
    """A Parquet file that cannot be read, or that does not match the others."""


@dataclass(frozen=True)
class Piece:
    """One partition: a file and some of its row groups."""

    path: str
    row_groups: tuple[int, ...]
    rows: int
    first_row: int = 0
    """The position of the piece's first row in its file."""


@dataclass(frozen=True)
class Dataset:
    """The files behind the user's paths, their common schema, and the pieces to read."""

    fs: Any
    schema: pa.Schema
    pieces: tuple[Piece, ...]
    footers: tuple[pq.FileMetaData, ...] = ()

    def value_range(self, column: str) -> tuple[int, int] | None:
        """The smallest and largest value of an integer column, from the row groups'
        statistics (no data read); None when a row group has none (or only nulls)."""
        lo = hi = None
        for meta in self.footers:
            names = [meta.schema.column(i).path for i in range(meta.num_columns)]
            if column not in names:
                return None
            i = names.index(column)
            for g in range(meta.num_row_groups):
                stats = meta.row_group(g).column(i).statistics
                if stats is None or not stats.has_min_max:
                    if meta.row_group(g).num_rows and (
                        stats is None or stats.null_count != meta.row_group(g).num_rows
                    ):
                        return None
                    continue
                lo = stats.min if lo is None else min(lo, stats.min)
                hi = stats.max if hi is None else max(hi, stats.max)
        return None if lo is None or hi is None else (int(lo), int(hi))


def expand(paths: Sequence[str]) -> tuple[Any, list[str]]:
    """The filesystem and the Parquet files behind paths, globs and directories.

    Raises FileNotFoundError naming a path (or glob) that matches no file.
    """
    import fsspec

    fs, _, _ = fsspec.core.get_fs_token_paths(list(paths))
    files: list[str] = []
    for p in paths:
        # full names as the filesystem gives them (relative local paths made absolute),
        # so a file is named the same however the user spelled it
        found = fs.glob(p) if any(ch in p for ch in "*?[") else ([fs.info(p)["name"]] if fs.exists(p) else [])
        matched: list[str] = []
        for f in sorted(found):
            if fs.isdir(f):
                matched += sorted(x for x in fs.find(f) if x.endswith((".parquet", ".parq", ".pq")))
            else:
                matched.append(f)
        if not matched:
            raise FileNotFoundError(f"no Parquet data found at {p!r}")
        files += matched
    return fs, files


def _footer(fs: Any, path: str) -> pq.FileMetaData:
    try:
        with fs.open(path, "rb") as fh:
            return pq.ParquetFile(fh).metadata
    except (OSError, pa.ArrowException) as err:
        raise ParquetError(f"{path!r} is not a readable Parquet file: {err}") from err


def _user_schema(meta: pq.FileMetaData) -> pa.Schema:
    """The file's columns as the user sees them (pandas index columns dropped)."""
    schema = meta.schema.to_arrow_schema()
    pandas_meta = schema.pandas_metadata or {}
    index = {c for c in pandas_meta.get("index_columns", []) if isinstance(c, str)}
    return pa.schema([f for f in schema if f.name not in index]) if index else schema


def _check_same_schema(first_path: str, first: pa.Schema, path: str, schema: pa.Schema) -> None:
    """ParquetError naming the first column that differs between two files."""
    names, other = first.names, set(schema.names)
    for name in names:
        if name not in other:
            raise ParquetError(
                f"column {name!r} is in {first_path!r} but missing from {path!r}; "
                "every file of a data set must have the same columns"
            )
        a, b = first.field(name).type, schema.field(name).type
        if a != b and not (_same_kind(a, b)):
            raise ParquetError(
                f"column {name!r} is {a} in {first_path!r} but {b} in {path!r}; "
                "every file of a data set must give a column the same type"
            )
    known = set(names)
    extra = [n for n in schema.names if n not in known]
    if extra:
        raise ParquetError(
            f"column {extra[0]!r} is in {path!r} but missing from {first_path!r}; "
            "every file of a data set must have the same columns"
        )


def _same_kind(a: pa.DataType, b: pa.DataType) -> bool:
    """Types that read as the same values: string vs large_string, a dictionary vs its values."""

    def plain(t: pa.DataType) -> pa.DataType:
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_large_string(t):
            return pa.string()
        if pa.types.is_large_binary(t):
            return pa.binary()
        return t

    return bool(plain(a) == plain(b))


def _pieces(path: str, meta: pq.FileMetaData) -> list[Piece]:
    """Row groups of one file grouped into pieces of about ``PIECE_ROWS`` rows."""
    pieces: list[Piece] = []
    group: list[int] = []
    rows = first = 0
    for i in range(meta.num_row_groups):
        n = meta.row_group(i).num_rows
        if group and rows + n > PIECE_ROWS:
            pieces.append(Piece(path, tuple(group), rows, first))
            group, first, rows = [], first + rows, 0
        group.append(i)
        rows += n
    if group or not pieces:
        pieces.append(Piece(path, tuple(group), rows, first))
    return pieces


def file_id(path: str) -> int:
    """The identity of a file's rows in the sample keys: its full path, hashed."""
    return name_id(path)


def open_dataset(paths: Sequence[str]) -> Dataset:
    """Read every file's footer and check the files agree; reads no data.

    Raises FileNotFoundError for a path that matches nothing, and ParquetError
    (a ValueError) naming the file for an unreadable file or a schema that drifts.
    """
    fs, files = expand(paths)
    with ThreadPoolExecutor(min(_FOOTER_THREADS, len(files))) as pool:
        footers = list(pool.map(lambda f: _footer(fs, f), files))
    schemas = [_user_schema(m) for m in footers]
    for path, schema in zip(files[1:], schemas[1:], strict=True):
        _check_same_schema(files[0], schemas[0], path, schema)
    pieces = [p for f, m in zip(files, footers, strict=True) for p in _pieces(f, m)]
    return Dataset(fs, schemas[0], tuple(pieces), tuple(footers))


class Reader:
    """Reads one piece (a picklable callable: it is shipped to the workers)."""

    def __init__(self, fs: Any, schema: pa.Schema, columns: list[Hashable] | None = None) -> None:
        self.fs = fs
        self.schema = schema
        self.columns = columns

    def project_columns(self, columns: list[Hashable]) -> Reader:
        return Reader(self.fs, self.schema, list(columns))

    def __call__(self, piece: Piece, columns: list[Hashable] | None = None) -> pd.DataFrame:
        wanted = list(columns if columns is not None else (self.columns or self.schema.names))
        try:
            with self.fs.open(piece.path, "rb") as fh:
                table = pq.ParquetFile(fh).read_row_groups(list(piece.row_groups), columns=wanted)
        except (OSError, pa.ArrowException) as err:
            raise ParquetError(f"cannot read {piece.path!r}: {err}") from err
        expected = pa.schema([self.schema.field(c) for c in wanted])
        _check_same_schema(piece.path, expected, piece.path, table.schema)
        return _to_pandas(table, piece.first_row)


def empty_frame(dataset: Dataset) -> pd.DataFrame:
    """The data set's columns and dtypes, with no rows (a lazy frame's ``meta``)."""
    return _to_pandas(dataset.schema.empty_table())


def _to_pandas(table: pa.Table, first_row: int = 0) -> pd.DataFrame:
    """The table as pandas, indexed by each row's position in its file."""
    frame = table.to_pandas(types_mapper=pd.ArrowDtype, ignore_metadata=True)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    return frame
