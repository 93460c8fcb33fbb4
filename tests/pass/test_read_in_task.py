"""A partition read inside its summarizing task (``Source.pieces``) is exactly the frame's
partition, and the pass over it gives exactly the summary the frame's partitions give."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import dmi
from dmi._engine import basis
from dmi._inputs import source as source_module
from dmi._inputs.source import open_data


def _table(n: int = 3_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "code": rng.integers(0, 7, n),
            "city": rng.choice(["a", "b", "c", None], n),
            "x": np.round(rng.normal(size=n), 1),
            "y": rng.normal(size=n),
            "part": rng.choice(["north", "south"], n),
        }
    )
    frame.loc[::13, "x"] = np.nan
    return frame


def _mixed_object_frame(n: int = 2_500_000) -> pd.DataFrame:
    # an object column holding 1 and "1" (two categories, not one): what a string
    # conversion of the pieces would merge; over two partitions
    values = np.empty(n, dtype=object)
    values[::2], values[1::2] = 1, "1"
    return pd.DataFrame({"o": values, "b": np.arange(n) % 3})


def _parquet(tmp_path) -> str:
    frame = _table()
    frame.to_parquet(tmp_path, partition_cols=["part"], index=False)
    return str(tmp_path)


def _data(kind: str, tmp_path):
    """Each input form dmi builds a frame for, with 2 or more partitions."""
    if kind == "pandas":
        return _mixed_object_frame()
    if kind in ("parquet", "filtered"):
        path = _parquet(tmp_path)
        return path if kind == "parquet" else dmi.scan_parquet(path, filters=[("code", ">", 2)])
    import pyarrow as pa

    table = pa.Table.from_pandas(_table(2_500_000), preserve_index=False)  # large_string columns
    if kind == "large-strings":
        return table
    strings = pa.schema(
        [f.with_type(pa.string()) if pa.types.is_large_string(f.type) else f for f in table.schema]
    )
    table = table.cast(strings)
    if kind == "table":
        return table
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    import pyarrow.csv
    import pyarrow.dataset as ds

    for i in range(2):
        pyarrow.csv.write_csv(table.slice(i * 1000, 1000), tmp_path / f"part-{i}.csv")
    if kind == "dataset":  # a Dataset that is not of Parquet files: a fragment each
        return ds.dataset(str(tmp_path), format="csv")
    return str(tmp_path / "*.csv")


@pytest.mark.parametrize("kind", ["parquet", "filtered", "pandas", "table", "dataset"])
def test_each_piece_reads_as_the_frames_partition(tmp_path, kind):
    src = open_data(_data(kind, tmp_path))
    assert src.pieces is not None
    assert len(src.pieces.items) == src.frame.npartitions > 1
    columns = list(src.frame.columns)[::-1]  # a projection, in another order
    for i, piece in enumerate(src.pieces.items):
        expected = src.frame[columns].partitions[i].compute()
        pd.testing.assert_frame_equal(src.pieces.reader(piece, columns), expected, check_exact=True)


@pytest.mark.parametrize("kind", ["csv", "polars", "large-strings"])
def test_no_pieces_where_dask_converts_the_strings(tmp_path, kind):
    # Dask casts these forms' string columns (pandas' NaN-missing str, Arrow's large_string)
    # to its own string dtype, so a piece read without the frame would not be the frame's
    # partition: such a source has none, and the pass reads the frame's partitions
    import dask

    data = _data(kind, tmp_path)
    with dask.config.set({"dataframe.convert-string": True}):  # Dask's default
        src = open_data(data)
    assert str(src.frame.dtypes["city"]) == "string"
    assert src.pieces is None


def test_a_dask_frame_has_no_pieces():
    import dask.dataframe as dd

    assert open_data(dd.from_pandas(_table(), npartitions=3)).pieces is None


@pytest.mark.parametrize("kind", ["parquet", "pandas"])
def test_summaries_read_in_tasks_equal_summaries_of_the_frame(tmp_path, monkeypatch, kind):
    data = _parquet(tmp_path) if kind == "parquet" else _table(4_000, seed=2)
    keywords = dict(random_state=3, sample_size=500)
    in_tasks = dmi.summarize(data, **keywords)
    opened, stripped = source_module.open_data, []

    def without_pieces(d):
        stripped.append(d)
        return dataclasses.replace(opened(d), pieces=None)

    monkeypatch.setattr(basis, "open_data", without_pieces)
    from_frame = dmi.summarize(data, **keywords)
    assert stripped  # the second summary did read the frame's partitions
    assert in_tasks.n_rows == from_frame.n_rows
    a, b = in_tasks.state.counts, from_frame.state.counts
    for k in range(len(a.spec.pairs)):
        assert a.pair_counts(k) == b.pair_counts(k)
    np.testing.assert_array_equal(in_tasks.state.sample.keys, from_frame.state.sample.keys)
    sample_a, sample_b = in_tasks.state.sample.frame, from_frame.state.sample.frame
    pd.testing.assert_frame_equal(sample_a, sample_b, check_exact=True)
