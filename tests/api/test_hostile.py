"""Hostile inputs: each gets the right value or a clear error naming the column (issue 7).

docs/robustness.md lists every case with the test that shows it.
"""

from __future__ import annotations

import decimal
import itertools
import warnings

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_mutual_info_score, mutual_info_score

import dmi

N = 600
RNG = np.random.default_rng(7)
K = RNG.integers(0, 4, N)
NOISE = RNG.random(N) < 0.3
DEPENDENT = np.where(NOISE, RNG.integers(0, 4, N), K)  # depends on K


def _mi(col) -> float:
    return float(dmi.mutual_info_matrix(pd.DataFrame({"k": K, "c": col}), random_state=0).loc["k", "c"])


def _reference(values) -> float:
    return mutual_info_score(K, [repr(v) for v in values])


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda d: pd.Series([decimal.Decimal(int(v)) / 4 for v in d], dtype=object), id="Decimal"
        ),
        pytest.param(
            lambda d: pd.array(
                pa.array(np.array(list("abcd"))[d]).dictionary_encode(),
                dtype=pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string())),
            ),
            id="arrow-dictionary",
        ),
        pytest.param(
            lambda d: pd.Series([v if v % 2 else str(v) for v in d.tolist()], dtype=object), id="1-and-'1'"
        ),
        pytest.param(lambda d: pd.Series([bytes([v]) for v in d.tolist()], dtype=object), id="bytes"),
        pytest.param(
            lambda d: pd.Series(["x" * 100_000 + str(v) for v in d.tolist()]), id="100k-char-strings"
        ),
        pytest.param(lambda d: pd.Series(pd.to_datetime(d, unit="D")), id="datetime-as-categories"),
    ],
)
def test_discrete_odd_dtypes_equal_sklearn(make):
    col = make(DEPENDENT)
    frame = pd.DataFrame({"k": K, "c": col})
    got = dmi.mutual_info_matrix(frame, discrete=True).loc["k", "c"]
    values = pd.Series(col).astype(object).tolist()
    assert got == pytest.approx(_reference(values), rel=1e-9)
    assert got > 0.3  # the dependence is seen


def test_one_and_the_string_one_are_different_values():
    col = pd.Series([1 if v else "1" for v in (K % 2).tolist()], dtype=object)
    # k determines the parity, so the column is a function of k: MI = H(parity), not 0
    from scipy.stats import entropy

    assert _mi(col) == pytest.approx(entropy(np.bincount(K % 2)), rel=1e-9)


@pytest.mark.parametrize(
    ("make", "as_seconds"),
    [
        (lambda x: pd.Series(pd.Timestamp("2026-01-01") + pd.to_timedelta(x, unit="s")), lambda x: x),
        (
            lambda x: pd.Series(pd.Timestamp("2026-01-01", tz="Europe/Paris") + pd.to_timedelta(x, unit="s")),
            lambda x: x,
        ),
        (lambda x: pd.Series(pd.to_timedelta(x, unit="s")), lambda x: x),
        (
            lambda x: pd.array(
                [decimal.Decimal(f"{v:.2f}") for v in x], dtype=pd.ArrowDtype(pa.decimal128(18, 2))
            ),
            lambda x: np.round(x, 2),
        ),
    ],
    ids=["datetime", "datetime-tz", "timedelta", "arrow-decimal"],
)
def test_time_and_decimal_columns_are_continuous(make, as_seconds):
    x = np.round(RNG.uniform(0, 1e6, N), 2)
    y = x + RNG.normal(0, 1e5, N)
    frame = pd.DataFrame({"t": make(x), "y": y})
    floats = pd.DataFrame({"t": as_seconds(x).astype(float), "y": y})
    got = dmi.mutual_info_matrix(frame, random_state=3)
    same = dmi.mutual_info_matrix(floats, random_state=3)
    # seconds since the epoch differ from x by a constant: KSG ignores shifts and scales
    assert got.loc["t", "y"] == pytest.approx(same.loc["t", "y"], rel=1e-6)
    assert got.loc["t", "y"] > 0.5


@pytest.mark.parametrize(
    "col",
    [
        pd.Series([[1, 2]] * N, dtype=object),
        pd.Series([(1, 2)] * N, dtype=object),
        pd.Series([{"a": 1}] * N, dtype=object),
        pd.array([[1, 2]] * N, dtype=pd.ArrowDtype(pa.list_(pa.int64()))),
        pd.array([{"a": 1}] * N, dtype=pd.ArrowDtype(pa.struct([("a", pa.int64())]))),
    ],
    ids=["list", "tuple", "dict", "arrow-list", "arrow-struct"],
)
def test_nested_columns_are_a_type_error_naming_the_column(col):
    for discrete in ("auto", True, ["nest"]):  # Arrow's own error must not leak through
        with pytest.raises(TypeError, match=r"column 'nest' "):
            dmi.mutual_info_matrix(pd.DataFrame({"k": K, "nest": col}), discrete=discrete)


def test_floats_holding_integers_and_infinities():
    with pytest.warns(dmi.LooksCategoricalWarning, match=r"'c'"):
        dmi.mutual_info_matrix(pd.DataFrame({"k": K, "c": DEPENDENT.astype(float)}), random_state=0)
    exact = dmi.mutual_info_matrix(pd.DataFrame({"k": K, "c": DEPENDENT.astype(float)}), discrete=True)
    assert exact.loc["k", "c"] == pytest.approx(mutual_info_score(K, DEPENDENT), rel=1e-9)
    for bad in (np.inf, -np.inf):
        col = RNG.standard_normal(N)
        col[5] = bad
        with pytest.raises(ValueError, match=r"column 'c' contains infinite values"):
            dmi.mutual_info_matrix(pd.DataFrame({"k": K, "c": col}))


def _frame():
    return pd.DataFrame(
        {
            "a": K,
            "b": pd.array(np.array(list("wxyz"))[DEPENDENT], dtype="str"),
            "f": K + RNG.standard_normal(N),
        }
    )


def test_odd_partitions_give_the_one_partition_result():
    frame = _frame()
    expected = dmi.mutual_info_matrix(frame, random_state=1)
    pieces = [
        frame.iloc[:0],
        frame.iloc[:1],
        frame.iloc[1:1],
        frame.iloc[1:300],
        frame.iloc[300:301],
        frame.iloc[301:],
    ]
    delayed = dd.from_delayed([dask.delayed(lambda p=p: p)() for p in pieces], meta=frame.iloc[:0])
    unknown = dd.from_pandas(frame, npartitions=7, sort=False).clear_divisions()
    for ddf in (delayed, unknown):
        got = dmi.mutual_info_matrix(ddf, random_state=1)
        # counts exactly; the k-NN pair on the same rows (the sample holds all of them) in
        # another order, hence another draw of the 1e-10 tie-breaking jitter
        pd.testing.assert_frame_equal(
            got.loc[["a", "b"], ["a", "b"]], expected.loc[["a", "b"], ["a", "b"]], check_exact=True
        )
        assert len(frame) < 100_000 and got.loc["b", "f"] == pytest.approx(expected.loc["b", "f"], rel=1e-6)


def test_a_partition_whose_rows_are_all_missing():
    frame = _frame().astype({"a": "Int64"})
    frame.loc[:99, ["a", "b"]] = None
    ddf = dd.from_pandas(frame, npartitions=6, sort=False)  # the first partition: a and b all missing
    got = dmi.mutual_info_matrix(ddf, random_state=1)
    rest = frame.iloc[100:]
    assert got.loc["a", "b"] == pytest.approx(mutual_info_score(rest.a, rest.b), rel=1e-9)
    table = dmi.mutual_info_table(ddf, ["a", "b"], random_state=1)
    assert table["n"].tolist() == [N - 100] and table["mi"].iloc[0] == got.loc["a", "b"]


def test_one_row_and_no_rows():
    one = _frame().iloc[:1]
    got = dmi.mutual_info_matrix(one, random_state=0)
    assert got.loc["a", "b"] == 0.0 and got.loc["a", "a"] == 0.0  # one row: no information
    for empty in (_frame().iloc[:0], dd.from_pandas(_frame().iloc[:0], npartitions=1)):
        with pytest.raises(ValueError, match="data has no rows"):
            dmi.mutual_info_matrix(empty)


def test_identifier_columns():
    n = 5_000
    other = RNG.integers(0, 7, n)
    frame = pd.DataFrame({"id": np.arange(n) * 13 + 5, "other": other})
    # an integer column with many values is a number under discrete='auto'...
    with pytest.warns(dmi.ContinuousIntegersWarning, match=r"'id' \(more than 64 values\)"):
        assert dmi.mutual_info_with(frame, "other")["id"] < 0.01
    # ...and an identifier when counted as categories
    with pytest.warns(dmi.IdentifierWarning, match=r"'id' take a different value in every row"):
        got = dmi.mutual_info_matrix(frame, discrete=True)
    h_other = got.loc["other", "other"]
    assert got.loc["id", "other"] == pytest.approx(h_other, rel=1e-12)  # MI = H(other), honestly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dmi.IdentifierWarning)
        table = dmi.mutual_info_table(frame, discrete=True)
    assert abs(table.loc[0, "ami"]) < 0.01
    assert table.loc[0, "ami"] == pytest.approx(adjusted_mutual_info_score(frame.id, frame.other), abs=1e-9)


@pytest.mark.slow
def test_a_500_column_table(count_computes):
    rng = np.random.default_rng(3)
    n = 5_000
    frame = pd.DataFrame({f"c{i:03d}": rng.integers(0, 4, n).astype(np.int8) for i in range(500)})
    frame["c499"] = (frame["c000"] + rng.integers(0, 2, n)) % 4  # one planted dependence
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    got = dmi.mutual_info_matrix(ddf)  # 124,750 pairs
    assert count_computes.calls == 1  # one graph of partition tasks, not one per pair
    assert got.shape == (500, 500) and (got.to_numpy() == got.to_numpy().T).all()
    for a, b in [("c000", "c499"), ("c123", "c321"), ("c010", "c011")]:
        assert got.loc[a, b] == pytest.approx(mutual_info_score(frame[a], frame[b]), rel=1e-9)
    with_c000 = dmi.mutual_info_with(ddf, "c000")  # 499 pairs only
    assert with_c000.idxmax() == "c499" and len(with_c000) == 499


def test_the_task_graph_does_not_grow_with_the_pairs():
    from dask.diagnostics import Profiler

    rng = np.random.default_rng(4)
    tasks = []
    for n_cols in (10, 200):
        frame = pd.DataFrame({f"c{i}": rng.integers(0, 3, 2_000) for i in range(n_cols)})
        with Profiler() as prof, dask.config.set(scheduler="threads"):
            dmi.mutual_info_matrix(dd.from_pandas(frame, npartitions=4, sort=False), discrete=True)
        tasks.append(len(prof.results))
    assert tasks[0] == tasks[1]  # 45 pairs or 19,900: the same partition and merge tasks


_KINDS = ("int", "Int64", "str", "bool", "category", "float")


@st.composite
def _hostile_frames(draw):
    n_unique = draw(st.integers(1, 25))
    repeats = draw(st.integers(1, 3))  # duplicate rows
    names = draw(st.lists(st.sampled_from(_KINDS), min_size=2, max_size=5))
    cols = {}
    for i, kind in enumerate(names):
        raw = draw(st.lists(st.integers(0, 3), min_size=n_unique, max_size=n_unique))
        missing = draw(st.lists(st.booleans(), min_size=n_unique, max_size=n_unique))
        values = np.array(raw * repeats)
        holes = np.array(missing * repeats) & (kind not in ("int", "bool"))
        if kind in ("int", "bool"):
            col = values if kind == "int" else values % 2 == 0
        elif kind == "Int64":
            col = pd.array(np.where(holes, None, values), dtype="Int64")
        elif kind == "str":
            col = pd.array(np.where(holes, None, np.array(list("pqrs"))[values]), dtype="str")
        elif kind == "category":
            col = pd.Categorical(np.where(holes, None, np.array(list("pqrs"))[values]))
        else:
            col = np.where(holes, np.nan, values + 0.5 * np.arange(values.size) / values.size)
        cols[f"{kind}_{i}"] = col
    frame = pd.DataFrame(cols)
    cuts = sorted(draw(st.lists(st.integers(0, len(frame)), max_size=4)))
    return frame, cuts


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hostile_frames())
def test_fuzz_mixed_frames(drawn):
    frame, cuts = drawn
    bounds = [0, *cuts, len(frame)]
    pieces = [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    ddf = dd.from_delayed([dask.delayed(lambda p=p: p)() for p in pieces], meta=frame.iloc[:0])
    kw = {"random_state": 0, "n_neighbors": 1}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dmi.LooksCategoricalWarning)
            warnings.simplefilter("ignore", dmi.EmptyColumnWarning)  # a drawn column may be all missing
            one = dmi.mutual_info_matrix(frame, **kw)
            cut = dmi.mutual_info_matrix(ddf, **kw)
    except ValueError as err:  # the only refusals: too few rows for a k-NN pair
        assert "n_neighbors=1 must be less than" in str(err)
        return
    m = one.to_numpy()
    assert np.array_equal(m, m.T, equal_nan=True)  # symmetric
    discrete = [c for c in frame.columns if not c.startswith("float")]
    # counts are independent of the partitioning (the k-NN sample of a Dask DataFrame
    # numbers rows within partitions: see test_sample_identity.py for the sample)
    assert np.array_equal(cut.loc[discrete, discrete], one.loc[discrete, discrete], equal_nan=True)
    for a in discrete:
        for b in discrete:
            if a >= b:
                continue
            both = frame[[a, b]].dropna()
            mi = one.loc[a, b]
            if len(both) == 0:
                assert np.isnan(mi)
                continue
            assert mi == pytest.approx(mutual_info_score(both[a].astype(str), both[b].astype(str)), abs=1e-12)
            assert -1e-15 <= mi <= min(one.loc[a, a], one.loc[b, b]) + 1e-12 or len(both) < len(frame)
