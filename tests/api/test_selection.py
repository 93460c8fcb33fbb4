"""dmi.select_features against a plain reference written here from scikit-learn's
mutual_info_score, scipy's chi-square and Benjamini-Hochberg, and the formulas of Brown
et al. (2012); planted structure; synergy; every input form; bad input."""

from __future__ import annotations

import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import mutual_info_score

import dmi


def _cmi(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[float, int]:
    """I(X;Y|Z) in nats as sum_z p(z) I(X;Y|Z=z), and sum_z (R_z - 1)(C_z - 1)."""
    total, dof = 0.0, 0
    for v in np.unique(z):
        at = z == v
        total += at.mean() * mutual_info_score(x[at], y[at])
        dof += (len(np.unique(x[at])) - 1) * (len(np.unique(y[at])) - 1)
    return total, dof


def reference(df: pd.DataFrame, target: str, method: str, k: int | None, alpha: float, quotient=False):
    """The greedy selection, written from the paper's formulas (discrete columns, no NaN)."""
    y = df[target].to_numpy()
    cands = [c for c in df.columns if c != target]
    cols = {c: df[c].to_numpy() for c in cands}
    n = len(df)
    rel = {c: mutual_info_score(y, cols[c]) for c in cands}

    def marginal_p(c: str) -> float:
        dof = (len(np.unique(cols[c])) - 1) * (len(np.unique(y)) - 1)
        return stats.chi2.sf(2 * n * rel[c], dof) if dof > 0 else 1.0

    chosen: list[str] = []
    out = []
    while len(chosen) < (k or len(cands)):
        left = [c for c in cands if c not in chosen]
        if not left:
            break
        score, pvals = {}, {}
        for c in left:
            if method == "mim" or not chosen:
                score[c], pvals[c] = rel[c], marginal_p(c)
            elif method == "mrmr":
                red = np.mean([mutual_info_score(cols[c], cols[s]) for s in chosen])
                score[c] = rel[c] / red if quotient else rel[c] - red
                pvals[c] = marginal_p(c)
            else:
                terms = [_cmi(cols[c], y, cols[s]) for s in chosen]
                values = [t[0] for t in terms]
                score[c] = np.mean(values) if method == "jmi" else min(values)
                g_mi, dof = terms[int(np.argmin(values))]
                pvals[c] = stats.chi2.sf(2 * n * g_mi, dof) if dof > 0 else 1.0
        q = dict(zip(left, stats.false_discovery_control([pvals[c] for c in left], method="bh"), strict=True))
        significant = [c for c in left if q[c] <= alpha]
        if not significant:
            break
        pick = max(significant, key=lambda c: (score[c], -cands.index(c)))  # ties: the earlier column
        out.append((pick, score[pick], rel[pick], pvals[pick], q[pick]))
        chosen.append(pick)
    return out


def _table(seed: int, n: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, n)
    b = rng.integers(0, 4, n)
    noisy_a = np.where(rng.random(n) < 0.2, rng.integers(0, 3, n), a)
    y = (a + (b > 1) + (rng.random(n) < 0.15)) % 3
    return pd.DataFrame(
        {
            "a": a,
            "b": b,
            "noisy_a": noisy_a,
            "a_copy": a,
            "weak": np.where(rng.random(n) < 0.9, rng.integers(0, 2, n), y % 2),
            "noise": rng.integers(0, 5, n),
            "y": y,
        }
    )


@pytest.mark.parametrize("method", ["mim", "mrmr", "jmi", "cmim"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_the_reference(method: str, seed: int) -> None:
    df = _table(seed)
    for k, alpha in [(None, 0.05), (4, 0.5), (6, 0.999)]:
        want = reference(df, "y", method, k, alpha)
        got = dmi.select_features(df, "y", k, method=method, alpha=alpha)
        assert got["feature"].tolist() == [w[0] for w in want], (k, alpha)
        np.testing.assert_allclose(got["score"], [w[1] for w in want], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(got["relevance"], [w[2] for w in want], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(got["p_value"], [w[3] for w in want], rtol=1e-9, atol=1e-300)
        np.testing.assert_allclose(got["q_value"], [w[4] for w in want], rtol=1e-9, atol=1e-300)
        np.testing.assert_array_equal(got["step"], np.arange(1, len(want) + 1))


def test_mrmr_quotient_equals_the_reference() -> None:
    df = _table(4)
    want = reference(df, "y", "mrmr", 5, 0.999, quotient=True)
    got = dmi.select_features(df, "y", 5, method="mrmr", alpha=0.999, quotient=True)
    assert got["feature"].tolist() == [w[0] for w in want]
    # a near-zero redundancy in the denominator turns 1e-16 nats of rounding into 3e-11 relative
    np.testing.assert_allclose(got["score"], [w[1] for w in want], rtol=1e-9)


def test_redundancy_and_conditional_columns() -> None:
    df = _table(5)
    got = dmi.select_features(df, "y", 3, method="cmim", alpha=0.999, base=2)
    np.testing.assert_allclose(got["relevance"] - got["redundancy"], got["conditional_mi"], rtol=1e-12)
    np.testing.assert_allclose(got["score"], got["conditional_mi"], rtol=1e-12)
    assert got["given"].iloc[0] is None and got["given"].iloc[1] == got["feature"].iloc[0]
    assert got.attrs["unit"] == "bits"
    assert (got["g"] > 0).all() and (got["dof"] > 0).all()


def _planted(seed: int, n: int = 4_000) -> pd.DataFrame:
    """Two informative features, an exact and a noisy copy of each, and pure noise."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.integers(0, 4, n), rng.integers(0, 4, n)
    y = np.where(rng.random(n) < 0.3, rng.integers(0, 7, n), x1 + x2)
    cols = {"x1": x1, "x2": x2, "x1_copy": x1.copy(), "x2_copy": x2.copy()}
    cols["x1_noisy"] = np.where(rng.random(n) < 0.1, rng.integers(0, 4, n), x1)
    cols["x2_noisy"] = np.where(rng.random(n) < 0.1, rng.integers(0, 4, n), x2)
    for i in range(6):
        cols[f"noise{i}"] = rng.integers(0, 4, n)
    return pd.DataFrame({**cols, "y": y})


@pytest.mark.parametrize("method", ["mrmr", "jmi", "cmim"])
def test_one_of_each_copy_group_before_any_second_copy(method: str) -> None:
    df = _planted(0)
    got = dmi.select_features(df, "y", 2, method=method)["feature"].tolist()
    assert {f[:2] for f in got} == {"x1", "x2"}  # one of each group first


def test_mim_takes_the_copies() -> None:
    got = dmi.select_features(_planted(0), "y", 4, method="mim")["feature"].tolist()
    assert sorted(got) == ["x1", "x1_copy", "x2", "x2_copy"]  # the exact copies tie with the originals


@pytest.mark.slow
def test_significance_stop_ends_before_the_noise_in_most_seeds() -> None:
    early = 0
    seeds = range(50)
    for seed in seeds:
        got = dmi.select_features(_planted(seed, 2_000), "y", method="cmim")["feature"].tolist()
        early += not any(f.startswith("noise") for f in got) and {f[:2] for f in got} == {"x1", "x2"}
    assert early / len(seeds) >= 0.9  # measured: 50 of 50


def test_synergy_jmi_finds_the_pair_mim_does_not() -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    x1 = rng.integers(0, 2, n)
    x2 = (rng.random(n) < 0.3).astype(int)  # y = x1 xor x2: x2 alone says nothing about y
    y = x1 ^ x2
    noise = {f"n{i}": np.where(rng.random(n) < 0.95, rng.integers(0, 2, n), y) for i in range(3)}
    df = pd.DataFrame({**noise, "x1": x1, "x2": x2, "y": y})
    assert mutual_info_score(x2, y) < 1e-3
    jmi = dmi.select_features(df, "y", 2, method="jmi")["feature"].tolist()
    assert jmi == ["x1", "x2"]
    mim = dmi.select_features(df, "y", 2, method="mim", alpha=0.999)["feature"].tolist()
    assert "x2" not in mim


def test_continuous_columns_are_binned_and_said_so() -> None:
    rng = np.random.default_rng(0)
    n = 6_000
    x = rng.standard_normal(n)
    df = pd.DataFrame({"x": x, "x_noisy": x + 0.3 * rng.standard_normal(n), "z": rng.standard_normal(n)})
    df["y"] = (x > 0.5).astype(int)
    got = dmi.select_features(df, "y", 2, method="jmi", bins=8, random_state=0)
    assert got["feature"].tolist() == ["x", "x_noisy"]  # x's bins leave some of y for x_noisy
    assert got.attrs["binned"] == ["x", "x_noisy", "z"] and got.attrs["bins"] == 8
    assert got.attrs["passes"] >= 2  # the quantile edges, then the counts


def test_every_input_form_gives_the_same_result(tmp_path) -> None:
    df = _table(3)
    want = dmi.select_features(df, "y", 4, method="jmi", alpha=0.5)
    for i, start in enumerate(range(0, len(df), 1_000)):
        df.iloc[start : start + 1_000].to_parquet(tmp_path / f"part-{i}.parquet", index=False)
    forms = {
        "dask 1": dd.from_pandas(df, npartitions=1),
        "dask 5": dd.from_pandas(df, npartitions=5),
        "parquet": tmp_path,
        "shuffled rows": df.sample(frac=1.0, random_state=1).reset_index(drop=True),
    }
    for name, data in forms.items():
        got = dmi.select_features(data, "y", 4, method="jmi", alpha=0.5)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, obj=name)


def test_not_selected_candidates_show_the_margin() -> None:
    got = dmi.select_features(_planted(1), "y", method="cmim")
    rest = got.attrs["not_selected"]
    assert got.attrs["stopped"] == "not significant"
    assert set(rest["feature"]) | set(got["feature"]) == set(_planted(1).columns) - {"y"}
    assert (rest["q_value"] > 0.05).all()  # no candidate left was significant
    assert list(rest["score"]) == sorted(rest["score"], reverse=True)


def test_the_input_is_not_modified() -> None:
    df = _table(0)
    before = df.copy()
    dmi.select_features(df, "y", 3, method="cmim")
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"target": "nope"}, KeyError, "nope"),
        ({"k": 99}, ValueError, "k=99 is larger than the 6 candidate"),
        ({"k": 0}, ValueError, "k must be at least 1"),
        ({"k": 2.5}, TypeError, "k must be a positive integer"),
        ({"method": "relief"}, ValueError, "method.*'mim'"),
        ({"alpha": 0.0}, ValueError, r"alpha must be None or a number in \(0, 1\)"),
        ({"alpha": 1.5}, ValueError, r"alpha must be None or a number in \(0, 1\)"),
        ({"alpha": "0.05"}, TypeError, "alpha must be None or a number"),
        ({"alpha": None}, ValueError, r"k=None and alpha=None would select every candidate"),
        ({"columns": ["a", "missing"]}, KeyError, "missing"),
        ({"bins": 1}, ValueError, "bins"),
    ],
)
def test_bad_input_gets_a_clear_error(kwargs, error, match) -> None:
    args = {"target": "y", **kwargs}
    with pytest.raises(error, match=match):
        dmi.select_features(_table(0), **args)


@pytest.mark.parametrize("method", ["mim", "mrmr"])
def test_a_merged_summary_gives_the_data_s_result(method: str) -> None:
    df = _table(0)
    whole = dmi.select_features(df, "y", method=method)
    # two nights' summaries, rows numbered by their place in the table, merged
    merged = dmi.summarize(df.iloc[:1_200], random_state=0).merge(
        dmi.summarize(df.iloc[1_200:], random_state=0)
    )
    got = dmi.select_features(merged, "y", method=method)
    pd.testing.assert_frame_equal(got, whole, check_exact=False, rtol=1e-12)
    assert got.attrs["passes"] == 0


def test_a_summary_cannot_serve_what_it_does_not_hold() -> None:
    df = _table(0)
    with pytest.raises(ValueError, match="method='jmi' needs three-way counts"):
        dmi.select_features(dmi.summarize(df, random_state=0), "y", method="jmi")
    mixed = df.assign(x=np.random.default_rng(0).standard_normal(len(df)))
    with pytest.raises(ValueError, match=r"\['x'\] are continuous: a summary keeps only a sample"):
        dmi.select_features(dmi.summarize(mixed, random_state=0), "y", method="mrmr")
    with pytest.raises(ValueError, match="discrete= cannot be changed for a summary"):
        dmi.select_features(dmi.summarize(df, random_state=0), "y", discrete=True)
    many = dmi.summarize(df.assign(many=np.arange(len(df)) % 500), random_state=0)  # sampled, not counted
    with (
        pytest.warns(dmi.ContinuousIntegersWarning),
        pytest.raises(ValueError, match=r"\['many'\] have too many values to be counted in this summary"),
    ):
        dmi.select_features(many, "y", method="mim")


def test_no_candidates() -> None:
    with pytest.raises(ValueError, match="no candidate columns"):
        dmi.select_features(_table(0)[["y"]], "y")


def test_ln_and_bits_agree() -> None:
    nats = dmi.select_features(_table(2), "y", 3, method="mrmr")
    bits = dmi.select_features(_table(2), "y", 3, method="mrmr", base=2)
    np.testing.assert_allclose(bits["relevance"], nats["relevance"] / math.log(2), rtol=1e-12)
    np.testing.assert_allclose(bits["g"], nats["g"], rtol=1e-12)


def _copy_then_x(n: int = 20_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a, b, x = rng.integers(0, 4, n), rng.integers(0, 3, n), rng.standard_normal(n)
    df = pd.DataFrame({"a": a, "a_copy": a, "b": b, "x": x, "noise": rng.integers(0, 5, n)})
    df["y"] = np.where(rng.random(n) < 0.3, rng.integers(0, 6, n), a + b + (x > 1))
    return df


def test_jmi_passes_over_a_copy_of_a_selected_feature() -> None:
    got = dmi.select_features(_copy_then_x(), "y", method="jmi", random_state=0)
    # after a and b, a_copy has the best JMI score (it adds to b what a does) but adds
    # nothing given a: it is passed over, and x, which does add, is taken
    assert got["feature"].tolist() == ["a", "b", "x"]
    rest = got.attrs["not_selected"]
    assert rest["feature"].iloc[0] == "a_copy" and rest["p_value"].iloc[0] == 1.0


def test_cli_select_prints_and_writes_the_steps(tmp_path, capsys) -> None:
    from dmi.cli import main

    _copy_then_x().to_parquet(tmp_path / "t.parquet", index=False)
    want = dmi.select_features(tmp_path / "t.parquet", "y", method="cmim")
    out, png = tmp_path / "steps.csv", tmp_path / "steps.png"
    argv = ["select", str(tmp_path / "t.parquet"), "--target", "y", "--method", "cmim"]
    assert main([*argv, "--out", str(out), "--plot", str(png), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "by cmim" in printed and "1 columns in 32 quantile bins" in printed
    written = pd.read_csv(out)
    assert written["feature"].tolist() == want["feature"].tolist()
    np.testing.assert_allclose(written["score"], want["score"], rtol=1e-12)
    assert png.stat().st_size > 10_000
    assert main([*argv, "--out", str(tmp_path / "steps.json"), "--quiet"]) == 0
    with pytest.raises(SystemExit) as exc:  # argparse: usage error
        main([*argv, "--alpha", "2"])
    assert exc.value.code == 2


def test_plot_selection_draws_the_steps(tmp_path) -> None:
    from dmi import plot

    steps = dmi.select_features(_copy_then_x(), "y", method="jmi", random_state=0)
    ax = plot.selection(steps)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["a", "b", "x", "(a_copy)"]
    assert ax.get_ylabel() == "information (nats)"
    assert ax.get_title() == "jmi selection for y"
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["score"].get_ydata(), steps["score"])
    ax.figure.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 5_000


def test_integers_with_many_values_are_said_to_be_binned() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"d": rng.integers(0, 500, 3_000), "y": rng.integers(0, 2, 3_000)})
    with pytest.warns(dmi.ContinuousIntegersWarning, match=r"continuous \(cut into quantile bins\)"):
        got = dmi.select_features(df, "y", 1, alpha=0.999, random_state=0)
    assert got.attrs["binned"] == ["d"]
