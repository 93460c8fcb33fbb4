"""The count summary is a monoid: merge(chunk(a), chunk(b)) == chunk(concat(a, b))."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import discrete_frame
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import mutual_info_score

from dmi._engine.columns import matrix_pairs
from dmi._math.codes import IntRange, Values
from dmi._math.counts import CountSpec, SparseTable, chunk, merge
from dmi._math.entropy import pair_stats


def _spec(frame: pd.DataFrame) -> CountSpec:
    return CountSpec(tuple(frame.columns), matrix_pairs(frame.shape[1]))


def _same_counts(s1, s2) -> None:
    assert s1.n_rows == s2.n_rows
    for c in range(len(s1.spec.columns)):
        assert s1.marginal_counts(c) == s2.marginal_counts(c)
    for k in range(len(s1.spec.pairs)):
        assert s1.pair_counts(k) == s2.pair_counts(k)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return discrete_frame(1_500, seed=11, missing=True)


def test_merge_of_chunks_equals_chunk_of_concat(frame):
    spec = _spec(frame)
    a, b, c = frame.iloc[:400], frame.iloc[400:1100], frame.iloc[1100:]
    whole = chunk(frame, spec)
    _same_counts(merge([chunk(a, spec), chunk(b, spec)]), chunk(pd.concat([a, b]), spec))
    # associative and commutative (per value; codes may be ordered differently)
    left = merge([merge([chunk(a, spec), chunk(b, spec)]), chunk(c, spec)])
    right = merge([chunk(c, spec), merge([chunk(b, spec), chunk(a, spec)])])
    _same_counts(left, whole)
    _same_counts(right, whole)


def test_counts_are_exact(frame):
    s = chunk(frame, _spec(frame))
    for c, name in enumerate(frame.columns):
        expected = frame[name].value_counts(dropna=False)
        got = s.marginal_counts(c)
        assert sum(got.values()) == len(frame)
        assert got.get(None, 0) == int(frame[name].isna().sum())
        for value, n in expected.items():
            if not pd.isna(value):
                assert got.get(value, 0) == n  # unused categories count 0


def test_small_range_ints_need_no_hashing():
    df = pd.DataFrame({"a": np.array([5, 7, 9, 5]), "b": pd.array([1, None, 3, 3], dtype="Int64")})
    s = chunk(df, _spec(df))
    assert isinstance(s.domains[0], IntRange) and (s.domains[0].lo, s.domains[0].hi) == (5, 9)
    assert isinstance(s.domains[1], IntRange)
    # a huge range falls back to hashing
    wide = pd.DataFrame({"a": np.array([0, 10**15, 5]), "b": [1, 2, 3]})
    assert isinstance(chunk(wide, _spec(wide)).domains[0], Values)


def test_categoricals_share_their_domain():
    cat = pd.CategoricalDtype(["lo", "mid", "hi"])
    df = pd.DataFrame({"c": pd.Series(["lo", "hi", "hi", None], dtype=cat), "k": [1, 2, 3, 4]})
    spec = _spec(df)
    s1, s2 = chunk(df.iloc[:2], spec), chunk(df.iloc[2:], spec)
    assert s1.domains[0].values.equals(s2.domains[0].values)
    merged = merge([s1, s2])
    assert merged.marginal_counts(0) == {"lo": 1, "hi": 2, None: 1}


def test_counts_beyond_int32_survive_merging():
    df = pd.DataFrame({"x": [0, 1, 1], "y": ["a", "b", "b"]})
    one = chunk(df, _spec(df))
    # merge a summary with itself 2**32 times by repeated doubling: counts go past 2**31
    s = one
    for _ in range(32):
        s = merge([s, s])
    assert s.n_rows == 3 * 2**32
    assert s.pair_counts(0) == {(0, "a"): 2**32, (1, "b"): 2**33}
    stats = pair_stats(s.tables[0])
    assert stats.n == 3 * 2**32
    assert stats.mi == pytest.approx(mutual_info_score(df.x, df.y), rel=1e-12)
    # probabilities from counts of 2**32 and 2**33 still sum to 1: the entropies are the
    # small table's, and MI stays within 0 <= MI <= min(H) up to rounding
    h = -(1 / 3 * np.log(1 / 3) + 2 / 3 * np.log(2 / 3))
    assert stats.h_x == pytest.approx(h, rel=1e-14) and stats.h_y == pytest.approx(h, rel=1e-14)
    assert 0 <= stats.mi <= min(stats.h_x, stats.h_y) + 1e-15


def test_high_cardinality_pairs_are_sparse():
    n = 200_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {"id": rng.permutation(n) * 7919, "g": rng.integers(0, 50, n), "s": rng.integers(0, 3, n)}
    )
    spec = _spec(df)
    s = chunk(df, spec)
    tables = dict(zip(spec.pairs, s.tables, strict=True))
    assert isinstance(tables[(0, 1)], SparseTable)  # id x g: 200k x 50 cells, 200k present
    assert tables[(0, 1)].counts.size == n
    assert isinstance(tables[(1, 2)], np.ndarray)  # g x s: small, dense
    parts = [chunk(df.iloc[i : i + 30_000], spec) for i in range(0, n, 30_000)]
    merged = merge(parts)
    _same_counts(merged, s)
    stats = pair_stats(dict(zip(spec.pairs, merged.tables, strict=True))[(0, 1)])
    assert stats.mi == pytest.approx(mutual_info_score(df.id, df.g), rel=1e-9)


def test_merge_rejects_different_specs(frame):
    s1 = chunk(frame, _spec(frame))
    sub = frame[["int", "str"]]
    s2 = chunk(sub, _spec(sub))
    with pytest.raises(ValueError, match="different columns"):
        merge([s1, s2])


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(["a", "b", "c", None])),
        min_size=1,
        max_size=40,
    ),
    st.data(),
)
def test_hypothesis_any_split_same_counts(rows, data):
    df = pd.DataFrame({"x": [r[0] for r in rows], "y": pd.array([r[1] for r in rows], dtype="str")})
    spec = _spec(df)
    cut = data.draw(st.integers(0, len(df)))
    order = data.draw(st.permutations(range(len(df))))
    shuffled = df.iloc[list(order)]
    merged = merge([chunk(shuffled.iloc[:cut], spec), chunk(shuffled.iloc[cut:], spec)])
    _same_counts(merged, chunk(df, spec))
