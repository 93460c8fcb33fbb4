"""pandas columns to an Arrow IPC file and back, exactly: the same dtype and the same values.

A summary file stores its sample rows and its columns' value domains with this codec
(format version 5). pandas' own Parquet round trip is not exact and can fail outright:
its metadata names each column's dtype as a string that pandas must parse back, which it
cannot for an Arrow dictionary (``dictionary<values=string, indices=int8>[pyarrow]``, what
a categorical column read from Parquet becomes), and it turns a categorical of integer
categories holding NaN into float64, or an Arrow decimal into Python objects. A file that
was written and cannot be read is lost data, so:

- each column is written as one Arrow array with a small JSON *record* saying how to make
  the pandas column again (``as``: ``numpy``, ``object``, ``arrow``, ``category`` or
  ``pandas`` for pandas' other extension dtypes), and no pandas metadata;
- a categorical column is written as its codes and its categories (its own record), so
  unused categories, their order and their dtype survive;
- :func:`encode` decodes what it wrote and compares it with the input before the file is
  written: a column that would not come back equal is a TypeError at save time, naming
  the column, never a file that cannot be read.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

_AS = ("numpy", "object", "arrow", "category", "pandas")


class ColumnsFileError(ValueError):
    """Bytes or records that do not make the columns they claim to."""


def _encode_column(s: pd.Series) -> tuple[pa.Array, dict[str, Any]]:
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        categories, of_categories = _encode_column(pd.Series(dtype.categories))
        indices = pa.array(codes, mask=codes < 0)
        array = pa.DictionaryArray.from_arrays(indices, categories, ordered=bool(dtype.ordered))
        return array, {"as": "category", "ordered": bool(dtype.ordered), "categories": of_categories}
    if isinstance(dtype, pd.ArrowDtype):
        return _one_chunk(pa.array(s.array)), {"as": "arrow"}
    if isinstance(dtype, np.dtype):
        if dtype.kind == "O":
            # from_pandas: NaN, None, pd.NA and NaT all become null (pandas' missing values)
            return pa.array(s.to_numpy(), from_pandas=True), {"as": "object"}
        # not from_pandas: a float NaN stays a NaN value, as numpy holds it
        return pa.array(s.to_numpy()), {"as": "numpy", "dtype": dtype.str}
    record: dict[str, Any] = {"as": "pandas", "dtype": str(dtype)}
    if isinstance(dtype, pd.StringDtype):
        record |= {"storage": dtype.storage, "na": "nan" if dtype.na_value is not pd.NA else "NA"}
    return _one_chunk(pa.array(s.array)), record


def _one_chunk(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _pandas_dtype(record: dict[str, Any]) -> Any:
    if record.get("storage") is not None:
        na = np.nan if record.get("na") == "nan" else pd.NA
        return pd.StringDtype(storage=record["storage"], na_value=na)
    return pd.api.types.pandas_dtype(record["dtype"])


def _decode_column(array: pa.Array, record: dict[str, Any]) -> pd.Series:
    how = record.get("as") if isinstance(record, dict) else None
    if how not in _AS:
        raise ColumnsFileError(f"a column's record is malformed: {record!r}")
    problem = ""
    try:
        if how == "category":
            if not pa.types.is_dictionary(array.type):
                raise ColumnsFileError("a categorical column is not stored as a dictionary")
            categories = pd.Index(_decode_column(array.dictionary, record["categories"]))
            codes = array.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            dtype = pd.CategoricalDtype(categories, ordered=bool(record["ordered"]))
            return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))
        if how == "arrow":
            return pd.Series(pd.arrays.ArrowExtensionArray(array))
        if how == "object":
            return pd.Series(np.array([*array.to_pylist(), None], dtype=object)[:-1], dtype=object)
        if how == "numpy":
            dtype = np.dtype(record["dtype"])
            if dtype.kind == "O":
                raise ColumnsFileError("a numpy column record names the object dtype")
            return pd.Series(array.to_numpy(zero_copy_only=False).astype(dtype, copy=False))
        dtype = _pandas_dtype(record)
        return pd.Series(dtype.__from_arrow__(pa.chunked_array([array], type=array.type)), dtype=dtype)
    except ColumnsFileError:
        raise
    except Exception as err:  # pandas and pyarrow raise many kinds for a record that does not fit
        problem = f"a column does not decode as its record says ({type(err).__name__}: {err})"
    # raised here, not in the except block: the failed conversion's frames are freed now
    raise ColumnsFileError(problem)


def _same(a: pd.Series, b: pd.Series) -> bool:
    """Equal dtypes and values (missing values equal to missing values)."""
    if a.dtype != b.dtype or str(a.dtype) != str(b.dtype) or len(a) != len(b):
        return False
    if isinstance(a.dtype, pd.CategoricalDtype):
        return bool(
            a.cat.categories.equals(b.cat.categories)
            and a.cat.categories.dtype == b.cat.categories.dtype
            and np.array_equal(a.cat.codes.to_numpy(), b.cat.codes.to_numpy())
        )
    return bool(a.reset_index(drop=True).equals(b.reset_index(drop=True)))


def encode(frame: pd.DataFrame, what: str) -> tuple[bytes, list[dict[str, Any]]]:
    """An Arrow IPC file holding ``frame``'s columns (named ``"0"``, ``"1"``, ...) and one
    record per column, verified to decode to ``frame`` exactly.

    Raises TypeError naming ``what`` and the column when a column cannot be stored, or would
    not come back with the same dtype and values.
    """
    arrays, records = [], []
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        name = f"column {frame.columns[i]!r} of {what}"
        try:
            array, record = _encode_column(s)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as err:
            problem = f"cannot save {name} (dtype {s.dtype}): {err}"
        else:
            problem = ""
        if problem:
            raise TypeError(problem)
        try:
            back: pd.Series | None = _decode_column(array, record)
        except ColumnsFileError:
            back = None
        if back is None or not _same(back, s):
            raise TypeError(f"cannot save {name}: dtype {s.dtype} does not read back unchanged")
        arrays.append(array)
        records.append(record)
    table = pa.Table.from_arrays(arrays, names=[str(i) for i in range(len(arrays))])
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue(), records


def decode(data: bytes, records: list[dict[str, Any]]) -> pd.DataFrame:
    """The frame :func:`encode` wrote, its columns numbered 0, 1, ...; ColumnsFileError
    when the bytes are not a valid Arrow file or do not match the records."""
    try:
        table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
        table.validate(full=True)
    except (pa.ArrowException, OSError, ValueError) as err:
        problem = f"not a readable Arrow file ({type(err).__name__}: {err})"
    else:
        problem = ""
    if problem:
        raise ColumnsFileError(problem)
    if not isinstance(records, list) or table.num_columns != len(records):
        raise ColumnsFileError(f"{table.num_columns} columns stored for {len(records)} records")
    if table.column_names != [str(i) for i in range(len(records))]:
        raise ColumnsFileError(f"the columns are named {table.column_names[:8]}, not 0, 1, ...")
    columns = {i: _decode_column(_one_chunk(table.column(i)), r) for i, r in enumerate(records)}
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
