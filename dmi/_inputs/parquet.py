"""Parquet data sets with pyarrow: footers checked first, pieces of bounded size, a reader per piece.

No Dask here: :mod:`dmi._inputs.source` maps :class:`Reader` over the pieces with
``dask.dataframe.from_map``. dmi reads Parquet itself rather than through
``dask.dataframe.read_parquet``, for three reasons a user can see:

* **Errors name the file.** Every file's footer is read before any data; a file that is
  not Parquet, is truncated, or whose schema drifts (a column missing, a type changed)
  is reported by name and column before the computation starts. A corrupt data page
  found while reading is re-raised with the file's name.
* **Bounded memory.** A partition ("piece") is one file, or a run of row groups of a
  large file holding about ``PIECE_ROWS`` rows and at most ``PIECE_CELLS`` values (fewer
  rows for a wide file: 1,041 columns take about 48,000 rows a piece), so a worker holds
  a bounded slice of the data whatever the size and width of the files.
* **Row counts before reading.** The footers give each piece's rows, which
  ``sample='partitions'`` uses to choose pieces, and each row's position in its file,
  which a piece's index holds: the sample's row keys are made from the file and the
  position (:func:`file_id`), so they do not depend on how files are cut into pieces.

Column projection reaches the reader (``columns=``), so only the needed columns are read.
Columns come back Arrow-backed (``pd.ArrowDtype``): no copy into numpy blocks, and an
integer column with nulls stays an integer.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dmi._inputs.files import filesystem, find, matches
from dmi._math.streams import name_id

# A partition holds about this many rows (whole row groups; a file with fewer is one piece)
PIECE_ROWS = 1_000_000
# ... and about this many values (rows x the file's columns): 1M rows of 50 columns. A
# piece of a 1,041-column file of 1M rows in one piece held 8 GiB while it was counted.
PIECE_CELLS = 50_000_000
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
    values: tuple[tuple[str, Any], ...] = ()
    """The file's hive partition values, ``(key, value)`` in the folders' order."""


@dataclass(frozen=True)
class Dataset:
    """The files behind the user's paths, their common schema, and the pieces to read."""

    fs: Any
    schema: pa.Schema
    """The files' columns, then the hive partition columns."""
    pieces: tuple[Piece, ...]
    footers: tuple[pq.FileMetaData, ...] = ()
    partition_keys: tuple[str, ...] = ()
    """The hive partition columns (``year=2026/...`` folders), last in ``schema``; each
    piece holds its file's values."""
    filter: Any = None
    """The rows to keep: a ``pyarrow.compute.Expression`` (None: every row)."""
    filter_columns: tuple[str, ...] | None = None
    """The columns the filter reads (None: it may read any)."""

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


_NOT_PARQUET = {
    ".csv": "a CSV file: pass the path on its own (dmi reads .csv, .tsv and their compressed forms as CSV) "
    "or dmi.scan_csv(path, ...)",
    ".tsv": "a TSV file: pass the path on its own, or dmi.scan_csv(path, sep='\\t')",
    ".json": "JSON, which dmi does not read: use pandas.read_json or dask.dataframe.read_json "
    "(lines=True for JSON lines) and pass the DataFrame",
    ".jsonl": "JSON lines, which dmi does not read: use dask.dataframe.read_json(path, lines=True) and pass "
    "the DataFrame",
    ".ndjson": "JSON lines, which dmi does not read: use dask.dataframe.read_json(path, lines=True) and pass "
    "the DataFrame",
    ".xlsx": "an Excel file, which dmi does not read: use pandas.read_excel and pass the DataFrame",
    ".feather": "Arrow IPC (Feather): use pyarrow.feather.read_table and pass the Table",
    ".arrow": "Arrow IPC: use pyarrow.ipc or pyarrow.dataset.dataset(path, format='ipc') and pass it",
    ".orc": "ORC: use pyarrow.dataset.dataset(path, format='orc') and pass it",
}


def not_parquet_hint(path: str) -> str | None:
    """What a path's extension says it holds, when that is not Parquet, and what to use."""
    name = path.lower()
    for compressed in (".gz", ".bz2", ".xz", ".zst", ".zip"):
        name = name.removesuffix(compressed)
    for ext, hint in _NOT_PARQUET.items():
        if name.endswith(ext):
            return hint
    return None


def expand(
    paths: Sequence[str], storage_options: dict[str, Any] | None = None
) -> tuple[Any, list[str], dict[str, str]]:
    """The filesystem, the Parquet files behind paths, globs and directories, and the
    directory each file's hive partitions (``key=value`` folders) are read below.

    Raises FileNotFoundError naming a path (or glob) that matches no file.
    """
    fs = filesystem(paths, storage_options)
    files: list[str] = []
    bases: dict[str, str] = {}
    for p in paths:
        matched, found_bases = find(fs, [p], lambda x: x.endswith((".parquet", ".parq", ".pq")))
        if not matched:
            holds = [x for x in matches(fs, p) if not_parquet_hint(x)][:1]
            if holds:
                raise FileNotFoundError(
                    f"no Parquet data found at {p!r}; it holds {holds[0]!r}, which looks like "
                    f"{not_parquet_hint(holds[0])}"
                )
            raise FileNotFoundError(f"no Parquet data found at {p!r}")
        files += matched
        bases.update(found_bases)
    return fs, files, bases


_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def hive_partitions(files: Sequence[str], bases: dict[str, str]) -> dict[str, dict[str, Any]] | None:
    """Each file's ``key=value`` folders below its base, with values typed as pyarrow's
    hive partitioning types them (integers when every value is one, else strings);
    None when no file has any. ParquetError when files disagree on the keys."""
    from urllib.parse import unquote

    raw: dict[str, dict[str, str | None]] = {}
    for f in files:
        base = bases.get(f)
        rel = f[len(base) :].strip("/") if base is not None and f.startswith(base) else ""
        folders = rel.split("/")[:-1] if rel else []
        pairs = [seg.split("=", 1) for seg in folders if "=" in seg]
        raw[f] = {unquote(k): (None if v == _HIVE_NULL else unquote(v)) for k, v in pairs}
    if not any(raw.values()):
        return None
    first = files[0]
    for f in files:
        if list(raw[f]) != list(raw[first]):
            raise ParquetError(
                f"{f!r} has hive partition folders {list(raw[f])} but {first!r} has {list(raw[first])}; "
                "every file of a data set must sit at the same depth of key=value folders"
            )
    out: dict[str, dict[str, Any]] = {f: {} for f in files}
    for key in raw[first]:
        values = [raw[f][key] for f in files]
        numbers = all(v is None or v.lstrip("-").isdigit() for v in values)
        for f, v in zip(files, values, strict=True):
            out[f][key] = None if v is None else int(v) if numbers else v
    return out


def partition_schema(partitions: dict[str, dict[str, Any]]) -> pa.Schema:
    """The partition columns' types: int64 where every value is an integer, else string."""
    first = next(iter(partitions.values()))
    fields = []
    for key in first:
        values = [p[key] for p in partitions.values() if p[key] is not None]
        kind = pa.int64() if values and all(isinstance(v, int) for v in values) else pa.string()
        fields.append(pa.field(key, kind))
    return pa.schema(fields)


def _footer(fs: Any, path: str) -> pq.FileMetaData:
    try:
        with fs.open(path, "rb") as fh:
            return pq.ParquetFile(fh).metadata
    except (OSError, pa.ArrowException) as err:
        hint = not_parquet_hint(path)
        if hint is not None:
            raise ParquetError(f"{path!r} is not a Parquet file; it looks like {hint}") from err
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


def _pieces(
    path: str, meta: pq.FileMetaData, kept: Sequence[int] | None = None, values: dict[str, Any] | None = None
) -> list[Piece]:
    """Row groups of one file (those ``kept``; default all) grouped into pieces of about
    ``PIECE_ROWS`` rows and ``PIECE_CELLS`` values; a piece is a run of consecutive row
    groups. ``values``: the file's partition values, which every piece carries."""
    held = tuple((values or {}).items())
    limit = min(PIECE_ROWS, max(1, PIECE_CELLS // max(1, meta.num_columns)))
    starts = [0]
    for i in range(meta.num_row_groups):
        starts.append(starts[-1] + meta.row_group(i).num_rows)
    groups = range(meta.num_row_groups) if kept is None else sorted(kept)
    pieces: list[Piece] = []
    group: list[int] = []
    rows = 0
    for i in groups:
        n = meta.row_group(i).num_rows
        if group and (rows + n > limit or i != group[-1] + 1):
            pieces.append(Piece(path, tuple(group), rows, starts[group[0]], held))
            group, rows = [], 0
        group.append(i)
        rows += n
    if group or (not pieces and kept is None):
        pieces.append(Piece(path, tuple(group), rows, starts[group[0]] if group else 0, held))
    return pieces


def filter_expression(filters: Any, schema: pa.Schema) -> tuple[Any, tuple[str, ...] | None]:
    """``filters`` as a pyarrow expression, and the columns it reads (None: unknown).

    Accepts what ``pyarrow.parquet.read_table`` and ``dask.dataframe.read_parquet``
    accept: a list of ``(column, op, value)`` tuples (all must hold), a list of such
    lists (any must hold), or a ``pyarrow.compute.Expression``. Raises KeyError for a
    column the data does not have and ValueError for a malformed filter.
    """
    import pyarrow.compute as pc

    if isinstance(filters, pc.Expression):
        return filters, None
    if not isinstance(filters, list) or not filters:
        raise ValueError(
            "filters must be a non-empty list of (column, op, value) tuples, a list of such lists, or a "
            f"pyarrow.compute.Expression; got {filters!r}"
        )
    groups = filters if isinstance(filters[0], list) else [filters]
    columns: list[str] = []
    for group in groups:
        for term in group if isinstance(group, list) else [group]:
            if not isinstance(term, tuple) or len(term) != 3:
                raise ValueError(f"filters: each condition must be a (column, op, value) tuple, got {term!r}")
            if term[0] not in schema.names:
                raise KeyError(f"filters: unknown column {term[0]!r}; available columns are {schema.names}")
            columns.append(term[0])
    try:
        expression = pq.filters_to_expression(filters)
    except (TypeError, ValueError, NotImplementedError, pa.ArrowException) as err:
        raise ValueError(f"filters: {err}") from err
    return expression, tuple(dict.fromkeys(columns))


def _arrow_fs(fs: Any) -> Any:
    """An fsspec filesystem as a pyarrow one (for pyarrow.dataset)."""
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    return PyFileSystem(FSSpecHandler(fs))


def _partition_expression(values: dict[str, Any] | None) -> Any:
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    expression = pc.scalar(True)
    for key, value in (values or {}).items():
        expression &= ds.field(key).is_null() if value is None else ds.field(key) == value
    return expression


def _kept_row_groups(
    fs: Any, path: str, schema: pa.Schema, values: dict[str, Any] | None, where: Any
) -> list[int]:
    """The row groups of a file that may hold rows matching ``where``: the file's partition
    values and each row group's statistics decide (pyarrow.dataset), no data is read."""
    import pyarrow.dataset as ds

    fragment = ds.ParquetFileFormat().make_fragment(
        path, filesystem=_arrow_fs(fs), partition_expression=_partition_expression(values)
    )
    try:
        return [g.id for part in fragment.split_by_row_group(where, schema=schema) for g in part.row_groups]
    except (OSError, pa.ArrowException) as err:
        raise ParquetError(f"cannot apply the filters to {path!r}: {err}") from err


def file_id(path: str) -> int:
    """The identity of a file's rows in the sample keys: its full path, hashed."""
    return name_id(path)


def open_dataset(
    paths: Sequence[str], *, filters: Any = None, storage_options: dict[str, Any] | None = None
) -> Dataset:
    """Read every file's footer and check the files agree; reads no data.

    Hive partition folders (``year=2026/month=11/part.parquet`` below a directory or a
    glob's fixed part) become columns. ``filters`` prunes files and row groups by their
    partition values and statistics, and keeps only the matching rows when reading.

    Raises FileNotFoundError for a path that matches nothing, and ParquetError
    (a ValueError) naming the file for an unreadable file or a schema that drifts.
    """
    fs, files, bases = expand(paths, storage_options)
    partitions = hive_partitions(files, bases)
    return files_dataset(
        fs, files, partitions, None if partitions is None else partition_schema(partitions), filters
    )


def files_dataset(
    fs: Any,
    files: Sequence[str],
    partitions: dict[str, dict[str, Any]] | None,
    extra: pa.Schema | None,
    filters: Any = None,
) -> Dataset:
    """:func:`open_dataset` for files already found, with their partition values and types."""
    with ThreadPoolExecutor(max(1, min(_FOOTER_THREADS, len(files)))) as pool:
        footers = list(pool.map(lambda f: _footer(fs, f), files))
    schemas = [_user_schema(m) for m in footers]
    for path, schema in zip(files[1:], schemas[1:], strict=True):
        _check_same_schema(files[0], schemas[0], path, schema)
    schema = schemas[0]
    if partitions is not None and extra is not None:
        clash = [n for n in extra.names if n in schema.names]
        if clash:
            raise ParquetError(
                f"column {clash[0]!r} is both in the files and a partition folder ({clash[0]}=...) of "
                f"{files[0]!r}; rename one"
            )
        schema = pa.schema([*schema, *extra])
    where, filter_columns = (None, None) if filters is None else filter_expression(filters, schema)
    pieces = []
    for f, m in zip(files, footers, strict=True):
        values = None if partitions is None else partitions[f]
        kept = None if where is None else _kept_row_groups(fs, f, schema, values, where)
        pieces += _pieces(f, m, kept, values)
    if not pieces:  # every row group pruned: one empty piece keeps the frame's columns
        pieces = [Piece(files[0], (), 0, 0)]
    keys = () if extra is None else tuple(extra.names)
    return Dataset(fs, schema, tuple(pieces), tuple(footers), keys, where, filter_columns)


class Reader:
    """Reads one piece (a picklable callable: it is shipped to the workers)."""

    def __init__(self, dataset: Dataset, columns: list[Hashable] | None = None) -> None:
        # only what reading needs: not the footers and pieces of every file, which would
        # travel with each task
        self.fs = dataset.fs
        self.schema = dataset.schema
        self.keys = dataset.partition_keys
        self.filter = dataset.filter
        self.filter_columns = dataset.filter_columns
        self.columns = columns

    def project_columns(self, columns: list[Hashable]) -> Reader:
        projected = copy.copy(self)
        projected.columns = list(columns)
        return projected

    def __call__(self, piece: Piece, columns: list[Hashable] | None = None) -> pd.DataFrame:
        wanted = list(columns if columns is not None else (self.columns or self.schema.names))
        keys = self.keys
        needed = list(wanted)
        if self.filter is not None:
            more = self.filter_columns if self.filter_columns is not None else self.schema.names
            needed += [c for c in more if c not in needed]
        in_file = [c for c in needed if c not in keys]
        try:
            with self.fs.open(piece.path, "rb") as fh:
                table = pq.ParquetFile(fh).read_row_groups(list(piece.row_groups), columns=in_file)
        except (OSError, pa.ArrowException) as err:
            raise ParquetError(f"cannot read {piece.path!r}: {err}") from err
        expected = pa.schema([self.schema.field(c) for c in in_file])
        _check_same_schema(piece.path, expected, piece.path, table.schema)
        if not keys and self.filter is None:
            return _to_pandas(table.select(wanted), piece.first_row)
        values = dict(piece.values)
        for key in keys:
            if key in needed:
                kind = self.schema.field(key).type
                table = table.append_column(key, pa.repeat(pa.scalar(values[key], kind), table.num_rows))
        positions = np.arange(piece.first_row, piece.first_row + table.num_rows, dtype=np.int64)
        if self.filter is not None:
            table = table.append_column(_POSITION, pa.array(positions))
            try:
                table = table.filter(self.filter)
            except (pa.ArrowException, TypeError, ValueError) as err:
                raise ParquetError(f"cannot apply the filters to {piece.path!r}: {err}") from err
            positions = table.column(_POSITION).to_numpy()
        return _to_pandas(table.select(wanted), positions=positions)


# The column holding each row's position in its file while a filter is applied.
_POSITION = "__dmi_position__"


def empty_frame(dataset: Dataset) -> pd.DataFrame:
    """The data set's columns and dtypes, with no rows (a lazy frame's ``meta``)."""
    return _to_pandas(dataset.schema.empty_table())


def _to_pandas(table: pa.Table, first_row: int = 0, positions: np.ndarray | None = None) -> pd.DataFrame:
    """The table as pandas, indexed by each row's position in its file (``positions``, or
    consecutive from ``first_row``)."""
    frame = table.to_pandas(types_mapper=pd.ArrowDtype, ignore_metadata=True)
    if positions is None:
        frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    else:
        frame.index = pd.Index(positions, dtype=np.int64)
    return frame
