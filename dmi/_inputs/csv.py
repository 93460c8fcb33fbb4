"""CSV and TSV files as partitions: column types decided once, blocks of lines, errors that name the file.

No Dask here: :mod:`dmi._inputs.source` maps :class:`Reader` over the :class:`Block` list
with ``dask.dataframe.from_map``. Why not ``dask.dataframe.read_csv``: it infers each
column's type from a sample of the first block, and a later block that disagrees (a
missing value in an integer column, a word in a number column) fails deep inside the
computation with a message about ``dtype`` mismatches, or worse, a column read as
different types in different partitions. Here the types are decided once, up front
(:func:`decide_dtypes`), every block is parsed with them, and a block that does not fit
raises a ValueError naming the file, the byte range, the column, a value and the
``dtype=`` to pass.

A block is a byte range of an uncompressed file cut at line ends
(``fsspec.utils.read_block``), or a whole compressed file. A row is identified by its
file, its block's offset and its position in the block, so the sample is the same for
the same files and block size.
"""

from __future__ import annotations

import io
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from dmi._inputs.files import filesystem, find

CSV_SUFFIXES = (".csv", ".tsv", ".tab")
_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zip": "zip"}
# Keywords dmi sets itself when it calls pandas.read_csv.
_RESERVED = (
    "usecols",
    "names",
    "header",
    "nrows",
    "skiprows",
    "skipfooter",
    "chunksize",
    "iterator",
    "index_col",
    "delimiter",
    "compression",
)
# Distinct values tried, per column, to find one that does not fit a decided type.
_PROBE_VALUES = 10_000


def compression_of(path: str) -> str | None:
    """The compression a file's name says it has (None: not compressed)."""
    for suffix, name in _COMPRESSIONS.items():
        if path.lower().endswith(suffix):
            return name
    return None


def is_csv(path: str) -> bool:
    """Whether a path names CSV or TSV files (``.csv``, ``.tsv``, ``.tab``, compressed or not)."""
    name = path.lower()
    for suffix in _COMPRESSIONS:
        name = name.removesuffix(suffix)
    return name.endswith(CSV_SUFFIXES)


def check_options(
    *,
    sep: Any,
    dtype: Any,
    blocksize: Any,
    sample_rows: Any,
    storage_options: dict[str, Any] | None,
    read_csv_kwargs: dict[str, Any],
) -> dict[str, Any]:
    """The options of :func:`dmi.scan_csv`, checked; TypeError/ValueError naming the argument."""
    if sep is not None and (not isinstance(sep, str) or not sep):
        raise TypeError(f"sep must be a non-empty string or None, got {sep!r}")
    if dtype is not None and not isinstance(dtype, dict):
        raise TypeError(f"dtype must be a dict of column -> type, got {type(dtype).__name__}")
    if blocksize is not None and (
        isinstance(blocksize, bool) or not isinstance(blocksize, int) or blocksize < 1
    ):
        raise ValueError(f"blocksize must be a positive number of bytes or None, got {blocksize!r}")
    if isinstance(sample_rows, bool) or not isinstance(sample_rows, int) or sample_rows < 1:
        raise ValueError(f"sample_rows must be a positive integer, got {sample_rows!r}")
    reserved = [k for k in read_csv_kwargs if k in _RESERVED]
    if reserved:
        raise TypeError(
            f"scan_csv sets {reserved[0]!r} itself; it cannot be passed (to read some columns, pass "
            "columns= to the dmi function)"
        )
    return {
        "sep": sep,
        "dtype": dtype,
        "blocksize": blocksize,
        "sample_rows": sample_rows,
        "storage_options": storage_options,
        "read_csv_kwargs": dict(read_csv_kwargs),
    }


@dataclass(frozen=True)
class Block:
    """One partition: a byte range of a file (``length`` None: the whole file)."""

    path: str
    offset: int
    length: int | None


@dataclass(frozen=True, eq=False)
class CsvSet:
    """The files behind the user's paths, their columns and decided types, and the blocks."""

    fs: Any
    files: tuple[str, ...]
    names: tuple[Hashable, ...]
    dtypes: dict[Hashable, Any]
    blocks: tuple[Block, ...]
    sep: str
    kwargs: dict[str, Any]
    sampled_from: str

    def empty_frame(self) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=self.dtypes[c]) for c in self.names})


def _expand(fs: Any, paths: Sequence[str]) -> list[str]:
    files: list[str] = []
    for p in paths:
        matched, _ = find(fs, [p], is_csv)
        if not matched:
            raise FileNotFoundError(f"no CSV data found at {p!r}")
        files += matched
    return files


_WHOLE = r"^\s*[+-]?\d+\s*$"


def decide_dtypes(head: pd.DataFrame, texts: pd.DataFrame | None = None) -> dict[Hashable, Any]:
    """The type every block is read with, from the first rows as pandas inferred them:
    integers as nullable ``Int64`` (a missing value further down is not an error),
    booleans as ``boolean``, text as ``str``; floats and the rest as inferred.

    ``texts``: the same rows of the float columns as text. A float column whose every
    present value is written as a whole number (``3``, not ``3.0``) is an integer column
    with missing values, which pandas reads as float: it becomes ``Int64`` too, so a file
    with a missing value types the column as a file without one does. Likewise a column of
    booleans with missing values (which pandas reads as objects) becomes ``boolean``."""
    out: dict[Hashable, Any] = {}
    for name, kind in head.dtypes.items():
        if pd.api.types.is_bool_dtype(kind) or (pd.api.types.is_object_dtype(kind) and _booleans(head[name])):
            out[name] = "boolean"
        elif pd.api.types.is_integer_dtype(kind) or (
            texts is not None and name in texts.columns and _whole_numbers(texts[name])
        ):
            out[name] = "Int64"
        elif pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind):
            out[name] = "str"
        else:
            out[name] = kind
    return out


def _booleans(values: pd.Series) -> bool:
    present = values.dropna()
    return bool(len(present)) and all(isinstance(v, bool | np.bool_) for v in present)


def _whole_numbers(text: pd.Series) -> bool:
    present = text.dropna()
    return bool(len(present)) and bool(present.str.fullmatch(_WHOLE).all())


def _open(fs: Any, path: str) -> Any:
    return fs.open(path, "rb", compression=compression_of(path))


def open_csv(
    paths: Sequence[str],
    *,
    sep: str | None = None,
    dtype: dict[str, Any] | None = None,
    blocksize: int | None = 64 * 2**20,
    sample_rows: int = 10_000,
    storage_options: dict[str, Any] | None = None,
    read_csv_kwargs: dict[str, Any] | None = None,
) -> CsvSet:
    """Find the files, read the first file's first rows and every file's header, decide
    the types and cut the files into blocks; reads no other data.

    Raises FileNotFoundError for a path that matches nothing, KeyError for a ``dtype``
    column the files do not have, and ValueError naming the file for a header that
    differs from the first file's or a file pandas cannot parse.
    """
    fs = filesystem(paths, storage_options)
    files = _expand(fs, paths)
    kwargs = dict(read_csv_kwargs or {})
    if sep is None:
        name = files[0].lower()
        for suffix in _COMPRESSIONS:
            name = name.removesuffix(suffix)
        sep = "\t" if name.endswith((".tsv", ".tab")) else ","
    try:
        with _open(fs, files[0]) as fh:
            head = pd.read_csv(fh, sep=sep, nrows=sample_rows, **kwargs)
        floats = [c for c, kind in head.dtypes.items() if pd.api.types.is_float_dtype(kind)]
        texts = None
        if floats and "dtype" not in kwargs and "converters" not in kwargs:
            with _open(fs, files[0]) as fh:
                texts = pd.read_csv(fh, sep=sep, nrows=sample_rows, usecols=floats, dtype=str, **kwargs)
    except (ValueError, TypeError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise ValueError(f"cannot read {files[0]!r} as CSV (sep={sep!r}): {err}") from err
    names = list(head.columns)
    dups = sorted({str(c) for c in names if names.count(c) > 1})
    if dups:
        raise ValueError(f"{files[0]!r} has duplicate column names: {dups}; rename them first")
    dtypes = decide_dtypes(head, texts)
    for column, kind in (dtype or {}).items():
        if column not in dtypes:
            raise KeyError(f"dtype: unknown column {column!r}; the columns of {files[0]!r} are {names}")
        dtypes[column] = kind
    for f in files[1:]:
        try:
            with _open(fs, f) as fh:
                theirs = list(pd.read_csv(fh, sep=sep, nrows=0, **kwargs).columns)
        except (ValueError, TypeError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
            raise ValueError(f"cannot read {f!r} as CSV (sep={sep!r}): {err}") from err
        if theirs != names:
            raise ValueError(
                f"{f!r} has columns {theirs} but {files[0]!r} has {names}; every file must have the same "
                "header"
            )
    blocks: list[Block] = []
    for f in files:
        size = fs.size(f)
        if blocksize is None or compression_of(f) is not None or not size or size <= blocksize:
            blocks.append(Block(f, 0, None))
        else:
            blocks += [Block(f, start, blocksize) for start in range(0, size, blocksize)]
    return CsvSet(fs, tuple(files), tuple(names), dtypes, tuple(blocks), sep, kwargs, files[0])


_ARROW_TYPES = {"Int64": pa.int64(), "boolean": pa.bool_(), "str": pa.large_string(), "float64": pa.float64()}
_PANDAS_TYPES = {
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
    pa.large_string(): pd.StringDtype("pyarrow", na_value=float("nan")),
}


def _arrow_parse(
    data: bytes, sep: str, names: list[Hashable] | None, wanted: list[Hashable], dtypes: dict[Hashable, Any]
) -> pd.DataFrame:
    """A block parsed by ``pyarrow.csv`` into the decided pandas types (``names``: the
    header, for a block that has none)."""
    kinds = {str(c): _ARROW_TYPES.get(str(d)) for c, d in dtypes.items()}
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=None if names is None else [str(n) for n in names]),
        parse_options=pacsv.ParseOptions(delimiter=sep),
        convert_options=pacsv.ConvertOptions(
            include_columns=[str(c) for c in wanted],
            column_types={c: k for c, k in kinds.items() if k is not None},
            strings_can_be_null=True,
        ),
    )
    frame = table.to_pandas(types_mapper=_PANDAS_TYPES.get)
    frame.columns = pd.Index(wanted)
    return frame.astype(dtypes)


class Reader:
    """Parses one block with the decided types (a picklable callable: it is shipped to the workers)."""

    def __init__(self, csv: CsvSet, columns: list[Hashable] | None = None) -> None:
        self.csv = csv
        self.columns = columns

    def project_columns(self, columns: list[Hashable]) -> Reader:
        return Reader(self.csv, list(columns))

    def _bytes(self, block: Block) -> bytes:
        from fsspec.utils import read_block

        with _open(self.csv.fs, block.path) as fh:
            if block.length is None:
                return bytes(fh.read())
            return bytes(read_block(fh, block.offset, block.length, delimiter=b"\n"))

    def _parse(
        self, data: bytes, block: Block, wanted: list[Hashable], dtypes: dict[Hashable, Any]
    ) -> pd.DataFrame:
        header: dict[str, Any] = (
            {"header": 0} if block.offset == 0 else {"header": None, "names": list(self.csv.names)}
        )
        if not self.csv.kwargs:  # pyarrow's parser: about twice as fast; other options need pandas'
            names = None if block.offset == 0 else list(self.csv.names)
            return _arrow_parse(data, self.csv.sep, names, wanted, dtypes)
        frame = pd.read_csv(
            io.BytesIO(data), sep=self.csv.sep, usecols=wanted, dtype=dtypes, **header, **self.csv.kwargs
        )
        return frame[wanted]

    def __call__(self, block: Block, columns: list[Hashable] | None = None) -> pd.DataFrame:
        wanted = list(columns if columns is not None else (self.columns or self.csv.names))
        dtypes = {c: self.csv.dtypes[c] for c in wanted}
        try:
            data = self._bytes(block)
        except OSError as err:
            raise ValueError(f"cannot read {block.path!r}: {err}") from err
        try:
            return self._parse(data, block, wanted, dtypes)
        except (ValueError, TypeError, OverflowError, pd.errors.ParserError, pa.ArrowException) as err:
            raise self._explain(data, block, wanted, err) from err

    def _explain(self, data: bytes, block: Block, wanted: list[Hashable], err: Exception) -> ValueError:
        """The error to raise for a block that does not parse: which column, which value."""
        where = f"{block.path!r}" + (
            "" if block.length is None else f" (bytes {block.offset:,} to {block.offset + block.length:,})"
        )
        try:
            text = self._parse(data, block, wanted, dict.fromkeys(wanted, "str"))
        except (ValueError, TypeError, pd.errors.ParserError, pa.ArrowException):
            return ValueError(f"cannot parse {where} as CSV: {err}")
        for c in wanted:
            kind = self.csv.dtypes[c]
            values = text[c].dropna().unique()[:_PROBE_VALUES]
            for v in values:
                try:
                    pd.Series([v], dtype="str").astype(kind)
                except (ValueError, TypeError, OverflowError):
                    return ValueError(
                        f"column {c!r} was read as {kind} (decided from the first rows of "
                        f"{self.csv.sampled_from!r}), but {where} holds {v!r}; pass dtype={{{c!r}: 'str'}} "
                        "(or the type it should have) to dmi.scan_csv"
                    )
        return ValueError(f"cannot parse {where} with the decided column types: {err}")
