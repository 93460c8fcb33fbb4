"""Joint tables of sets of columns (:mod:`dmi._math.joint_tables`): against pandas
``crosstab``/``groupby``, and the same merged tables for every partitioning."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dmi._math.joint_tables import (
    MAX_CELLS,
    TooManyCombinations,
    canonical,
    count_tables,
    distinct_rows,
    marginal,
    merge_tables,
)


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, n)
    words = np.array(["x", "y", "z"], dtype=object)
    f = pd.DataFrame(
        {
            "a": a,
            "b": pd.array(words[(a + rng.integers(0, 2, n)) % 3], dtype="str"),
            "c": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "mid", "hi"]),
            "d": np.where(rng.random(n) < 0.1, np.nan, (a % 2).astype(float)),  # a float with NaN
        }
    )
    return f


def _groupby(frame: pd.DataFrame, cols: list[str], dropna: bool) -> pd.Series:
    frame = frame.astype({"c": "str"})  # a categorical's values, sorted as values (not by category)
    out = frame.groupby(cols, dropna=dropna, observed=True).size()
    return out[out > 0].sort_index()


def _as_series(tables, i: int) -> pd.Series:
    s = tables.sets[i]
    t = tables.counts[i]
    idx = np.nonzero(t)
    values = [tables.domains[c][k] for c, k in zip(s, idx, strict=True)]
    index = pd.MultiIndex.from_arrays(values, names=list(s)) if len(s) > 1 else pd.Index(values[0], name=s[0])
    return pd.Series(t[idx], index=index).sort_index()


@pytest.mark.parametrize("dropna", [True, False])
def test_tables_equal_pandas_groupby(dropna):
    f = _frame(3_000, 0)
    sets = [("a", "b"), ("b", "c", "d"), ("d",), ("a", "b", "c", "d")]
    tables = canonical(count_tables(f, sets, dropna))
    for i, s in enumerate(sets):
        got = _as_series(tables, i)
        want = _groupby(f, list(s), dropna)
        assert got.sum() == want.sum()
        pd.testing.assert_series_equal(
            got, want, check_names=False, check_index_type=False, check_dtype=False
        )


@given(st.lists(st.integers(1, 2_999), max_size=6, unique=True), st.booleans())
def test_merged_tables_do_not_depend_on_the_partitioning(cuts, dropna):
    f = _frame(3_000, 1)
    sets = [("a", "b", "c"), ("d", "b")]
    bounds = [0, *sorted(cuts), len(f)]
    parts = [count_tables(f.iloc[lo:hi], sets, dropna) for lo, hi in itertools.pairwise(bounds)]
    merged = canonical(merge_tables(parts))
    whole = canonical(count_tables(f, sets, dropna))
    for c in whole.domains:
        assert merged.domains[c].equals(whole.domains[c])
    for m, w in zip(merged.counts, whole.counts, strict=True):
        np.testing.assert_array_equal(m, w)
    assert merged.n_rows == len(f)


def test_a_value_absent_from_a_partition_and_an_empty_partition():
    f = pd.DataFrame({"a": [1, 1, 2, 3], "b": ["u", "v", "u", "w"]})
    parts = [
        count_tables(f.iloc[:2], [("a", "b")]),
        count_tables(f.iloc[2:2], [("a", "b")]),
        count_tables(f.iloc[2:], [("a", "b")]),
    ]
    merged = canonical(merge_tables(parts))
    assert list(merged.domains["a"]) == [1, 2, 3] and list(merged.domains["b"]) == ["u", "v", "w"]
    np.testing.assert_array_equal(merged.counts[0], [[1, 1, 0], [1, 0, 0], [0, 0, 1]])


def test_marginal_sums_and_orders_axes():
    t = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(marginal(t, ["a", "b", "c"], ["c", "a"]), t.sum(axis=1).T)
    np.testing.assert_array_equal(marginal(t, ["a", "b", "c"], ["a", "b", "c"]), t)


def test_too_many_combinations_names_the_columns():
    n = 5_000
    f = pd.DataFrame({"id1": np.arange(n), "id2": np.arange(n) + 1, "id3": np.arange(n) * 2})
    assert n**3 > MAX_CELLS
    with pytest.raises(TooManyCombinations, match=r"\['id1', 'id2', 'id3'\]"):
        count_tables(f, [("id1", "id2", "id3")])


@pytest.mark.parametrize("missing", [False, True])
def test_distinct_rows_count_the_same_tables(missing):
    rng = np.random.default_rng(5)
    n, p = 20_000, 30
    codes = rng.integers(0, 3, (p, n)).astype(np.int32)
    codes[1] = codes[0]  # dependent columns: fewer distinct rows
    codes[5:] = codes[:1]
    if missing:
        codes[2, ::17] = -1
    frame = pd.DataFrame({f"c{i}": np.where(codes[i] < 0, np.nan, codes[i]) for i in range(p)})
    sets = [(f"c{a}", f"c{b}", f"c{c}") for a in range(7) for b in range(a + 1, 8) for c in range(b + 1, 9)]
    assert len(sets) >= 64  # enough sets that the rows are grouped first
    kept, weights = distinct_rows(codes, [3] * p)
    assert weights.sum() == n and kept.shape[1] < n
    grouped = count_tables(frame, sets)
    for s, table in zip(sets, grouped.counts, strict=True):
        alone = count_tables(frame, [s])  # one set: every row counted as it is
        np.testing.assert_array_equal(table, alone.counts[0])


@pytest.mark.parametrize("sets_count", [1, 84])
def test_frequency_weights_count_as_repeated_rows(sets_count):
    rng = np.random.default_rng(6)
    n = 3_000
    frame = pd.DataFrame({f"c{i}": rng.integers(0, 2, n) for i in range(9)})  # few distinct rows:
    frame["c1"] = frame["c0"]  # the many sets group them first
    weights = rng.integers(1, 5, n)
    sets = [(f"c{a}", f"c{b}", f"c{c}") for a in range(7) for b in range(a + 1, 8) for c in range(b + 1, 9)]
    sets = sets[:sets_count]
    weighted = count_tables(frame, sets, weights=weights)
    repeated = count_tables(frame.loc[frame.index.repeat(weights)].reset_index(drop=True), sets)
    assert weighted.n_rows == repeated.n_rows == weights.sum()
    for got, want in zip(weighted.counts, repeated.counts, strict=True):
        np.testing.assert_array_equal(got, want)
    codes = frame.to_numpy(np.int32).T.copy()
    kept, summed = distinct_rows(codes, [2] * 9, weights)
    assert summed.sum() == weights.sum() and kept.shape[1] < n
