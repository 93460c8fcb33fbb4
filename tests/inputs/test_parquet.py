"""Parquet paths: dtypes survive the read, dictionaries may differ per file, one pass."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import mutual_info_score

import dmi
from dmi._inputs.source import open_data


def _codes(s: pd.Series) -> np.ndarray:
    return pd.factorize(s, use_na_sentinel=True)[0]


def test_foreign_parquet_with_nullable_ints_and_dictionaries(tmp_path):
    """Files written without pandas metadata, as other tools (Spark, DuckDB, polars) write them."""
    rng = np.random.default_rng(4)
    n = 3_000
    ints = rng.integers(0, 7, n)
    int_null = rng.random(n) < 0.1
    words = np.array(["red", "green", "blue", "teal"])
    colour = words[(ints + rng.integers(0, 2, n)) % 4]
    flags = ints % 2 == 0
    for i, part in enumerate(np.array_split(np.arange(n), 3)):
        # each file's dictionary holds only the values it sees, in its own order
        dict_col = pa.array(colour[part]).dictionary_encode()
        table = pa.table(
            {
                "ints": pa.array(ints[part], mask=int_null[part], type=pa.int64()),
                "colour": dict_col,
                "flag": pa.array(flags[part]),
                "label": pa.array(np.where(ints[part] > 3, "hi", "lo")),
            }
        )
        pq.write_table(table, tmp_path / f"f{i}.parquet")
    m = dmi.mutual_info_matrix(tmp_path)
    # integer column with nulls is discrete (not float64), and dropna uses complete rows
    keep = ~int_null
    assert m.loc["ints", "colour"] == pytest.approx(
        mutual_info_score(ints[keep], _codes(pd.Series(colour[keep]))), rel=1e-9
    )
    assert m.loc["colour", "flag"] == pytest.approx(
        mutual_info_score(_codes(pd.Series(colour)), flags), rel=1e-9
    )
    assert m.loc["ints", "ints"] == pytest.approx(
        -np.sum((p := np.bincount(ints[keep]) / keep.sum())[p > 0] * np.log(p[p > 0])), rel=1e-9
    )
    # the same table from pandas, with matching dtypes, gives bit-identical numbers
    frame = pd.DataFrame(
        {
            "ints": pd.array(np.where(int_null, None, ints), dtype="Int64"),
            "colour": pd.Categorical(colour),
            "flag": flags,
            "label": np.where(ints > 3, "hi", "lo"),
        }
    )
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(frame), m, check_exact=True)


def test_pandas_categoricals_round_trip_through_parquet(tmp_path):
    cat = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(
        {"level": pd.Series(rng.choice(["low", "mid", "high"], 500), dtype=cat), "n": rng.integers(0, 3, 500)}
    )
    frame.iloc[:250].to_parquet(tmp_path / "a.parquet", index=False)
    frame.iloc[250:].to_parquet(tmp_path / "b.parquet", index=False)
    pd.testing.assert_frame_equal(
        dmi.mutual_info_matrix(str(tmp_path / "*.parquet")), dmi.mutual_info_matrix(frame), check_exact=True
    )


def test_columns_are_pruned_at_read(tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3, 1], "b": list("xyxy"), "when": pd.date_range("2026", periods=4)})
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    # 'when' has a dtype dmi does not analyse yet, but it is never read when not asked for
    m = dmi.mutual_info_matrix(tmp_path / "t.parquet", columns=["a", "b"])
    assert list(m.columns) == ["a", "b"]


def _write_parts(tmp_path, frames):
    for i, frame in enumerate(frames):
        frame.to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    return str(tmp_path / "*.parquet")


def _frame(n=1_000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.integers(0, 5, n), "b": pd.array(rng.choice(list("xyz"), n), dtype="str")})


def test_a_file_that_is_not_parquet_is_named(tmp_path):
    glob = _write_parts(tmp_path, [_frame(), _frame(seed=1)])
    (tmp_path / "part-9.parquet").write_text("a,b\n1,x\n")
    with pytest.raises(ValueError, match=r"part-9\.parquet' is not a readable Parquet file"):
        dmi.mutual_info_matrix(glob)


def test_a_truncated_file_is_named(tmp_path):
    glob = _write_parts(tmp_path, [_frame(), _frame(seed=1)])
    data = (tmp_path / "part-1.parquet").read_bytes()
    (tmp_path / "part-1.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"part-1\.parquet' is not a readable Parquet file"):
        dmi.mutual_info_matrix(glob)


def test_a_corrupt_data_page_is_named(tmp_path):
    frame = pd.DataFrame({"a": np.random.default_rng(0).integers(0, 1000, 50_000)})
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path, index=False, compression="snappy")
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8  # the footer stays readable
    for i in range(200, len(data) - footer - 200, 97):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"cannot read '.*bad\.parquet'"):
        dmi.mutual_info_matrix(str(path))


def test_a_column_missing_from_some_files_is_named(tmp_path):
    glob = _write_parts(tmp_path, [_frame(), _frame(seed=1).drop(columns="b"), _frame(seed=2)])
    with pytest.raises(ValueError, match=r"column 'b' is in .*part-0\.parquet' but missing from .*part-1"):
        dmi.mutual_info_matrix(glob)
    (tmp_path / "more").mkdir()
    extra = _write_parts(tmp_path / "more", [_frame(), _frame().assign(c=1)])
    with pytest.raises(ValueError, match=r"column 'c' is in .*part-1\.parquet' but missing from .*part-0"):
        dmi.mutual_info_matrix(extra)


def test_a_column_whose_type_changes_is_named(tmp_path):
    glob = _write_parts(tmp_path, [_frame(), _frame(seed=1).assign(a=lambda d: d.a.astype(str))])
    with pytest.raises(
        ValueError, match=r"column 'a' is int64 in .*part-0\.parquet' but (large_)?string in .*part-1"
    ):
        dmi.mutual_info_matrix(glob)


def test_string_and_large_string_files_mix(tmp_path):
    frame = _frame(2_000)
    pq.write_table(pa.Table.from_pandas(frame.iloc[:1000], preserve_index=False), tmp_path / "p0.parquet")
    large = pa.Table.from_pandas(frame.iloc[1000:], preserve_index=False)
    large = large.cast(pa.schema([("a", pa.int64()), ("b", pa.large_string())]))
    pq.write_table(large, tmp_path / "p1.parquet")
    got = dmi.mutual_info_matrix(str(tmp_path / "*.parquet"))
    assert got.loc["a", "b"] == pytest.approx(mutual_info_score(frame.a, frame.b), rel=1e-9)


def test_large_files_are_read_in_pieces_of_row_groups(tmp_path, monkeypatch):
    from dmi._inputs import parquet

    frame = _frame(10_000, seed=3)
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "big.parquet", row_group_size=1_000
    )
    monkeypatch.setattr(parquet, "PIECE_ROWS", 2_500)
    pieces = parquet.open_dataset([str(tmp_path / "big.parquet")]).pieces
    assert [p.rows for p in pieces] == [2_000] * 5  # whole row groups, at most PIECE_ROWS rows
    assert open_data(str(tmp_path / "big.parquet")).frame.npartitions == 5
    got = dmi.mutual_info_matrix(tmp_path / "big.parquet")
    assert got.loc["a", "b"] == pytest.approx(mutual_info_score(frame.a, frame.b), rel=1e-9)
    assert got.attrs["n_rows"] == 10_000


def test_pandas_index_columns_are_not_analysed(tmp_path):
    frame = _frame().set_index(pd.Index(np.arange(1_000) * 7, name="idx"))
    frame.to_parquet(tmp_path / "with-index.parquet")  # the index is stored as a column
    got = dmi.mutual_info_matrix(tmp_path / "with-index.parquet")
    assert list(got.columns) == ["a", "b"]


def test_a_wide_file_is_read_in_pieces_of_bounded_values(tmp_path, monkeypatch):
    """A partition holds at most PIECE_CELLS values: a wide file's pieces have fewer rows."""
    from dmi._inputs import parquet

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"c{j}": rng.integers(0, 3, 4_000) for j in range(40)})
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "w.parquet", row_group_size=500
    )
    monkeypatch.setattr(parquet, "PIECE_CELLS", 40 * 1_000)  # 1,000 rows of 40 columns
    pieces = parquet.open_dataset([str(tmp_path / "w.parquet")]).pieces
    assert [p.rows for p in pieces] == [1_000] * 4
    monkeypatch.setattr(parquet, "PIECE_CELLS", 1)  # never less than one row group
    assert [p.rows for p in parquet.open_dataset([str(tmp_path / "w.parquet")]).pieces] == [500] * 8
