"""Parquet paths: dtypes survive the read, dictionaries may differ per file, one pass."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import mutual_info_score

import dmi


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
