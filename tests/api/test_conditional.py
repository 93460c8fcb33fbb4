"""conditional_mutual_info: I(X;Y|Z) from three-way counts, against closed forms and sklearn per stratum."""

from __future__ import annotations

import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score

import dmi


def _reference(frame: pd.DataFrame, x, y, z, dropna=True) -> float:
    """sum over z of p(z) * I(X;Y | Z=z), each term by scikit-learn."""
    if dropna:
        frame = frame[[x, y, z]].dropna()
    else:
        frame = frame[[x, y, z]].astype(object).fillna("<missing>")
    total = 0.0
    for _, part in frame.groupby(frame[z].astype(str)):
        total += len(part) / len(frame) * mutual_info_score(part[x].astype(str), part[y].astype(str))
    return total


def test_xor_of_fair_bits():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.integers(0, 2, 20_000), "y": rng.integers(0, 2, 20_000)})
    frame["z"] = frame.x ^ frame.y
    assert dmi.mutual_info_matrix(frame, ["x", "y"], base=2).loc["x", "y"] < 1e-3
    cmi = dmi.conditional_mutual_info(frame, "x", "y", given="z", base=2)
    assert cmi == pytest.approx(1.0, abs=1e-3)  # given z, x determines y: H(x) = 1 bit
    assert dmi.conditional_mutual_info(frame, "x", "z", given="y", base=2) == pytest.approx(cmi, abs=1e-3)


def _mixed(seed, n=6_000):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 4, n)
    x = (z + rng.integers(0, 3, n)) % 5
    y = np.where(rng.random(n) < 0.6, (x + z) % 4, rng.integers(0, 4, n))
    frame = pd.DataFrame(
        {
            "x": pd.array(np.array(list("abcde"), dtype=object)[x], dtype="str"),
            "y": pd.array(y, dtype="Int64"),
            "z": pd.Categorical(z),
            "w": rng.integers(0, 3, n),
        }
    )
    for col in ("x", "y"):
        frame.loc[rng.choice(n, n // 10, replace=False), col] = None
    return frame


@pytest.mark.parametrize("dropna", [True, False])
def test_equals_sklearn_per_stratum_for_any_partitioning(dropna):
    frame = _mixed(3)
    expected = _reference(frame, "x", "y", "z", dropna=dropna)
    got = dmi.conditional_mutual_info(frame, "x", "y", given="z", dropna=dropna)
    assert got == pytest.approx(expected, rel=1e-9)
    for parts in (1, 3, 8):
        ddf = dd.from_pandas(frame, npartitions=parts, sort=False)
        assert dmi.conditional_mutual_info(ddf, "x", "y", "z", dropna=dropna) == pytest.approx(got, rel=1e-12)
    # independent given z: near 0; and in bits
    assert dmi.conditional_mutual_info(frame, "w", "y", "z") < 5e-3
    assert dmi.conditional_mutual_info(frame, "x", "y", "z", base=2, dropna=dropna) == pytest.approx(
        got / math.log(2)
    )


def test_from_parquet(tmp_path):
    frame = _mixed(4)
    for i in range(3):
        frame.iloc[i * 2000 : (i + 1) * 2000].to_parquet(tmp_path / f"p{i}.parquet", index=False)
    got = dmi.conditional_mutual_info(str(tmp_path / "*.parquet"), "x", "y", "z")
    assert got == pytest.approx(_reference(frame, "x", "y", "z"), rel=1e-9)


def test_bad_input():
    frame = _mixed(5).assign(f=np.linspace(0, 1, 6_000))
    with pytest.raises(ValueError, match=r"must be different columns"):
        dmi.conditional_mutual_info(frame, "x", "x", given="z")
    with pytest.raises(KeyError, match=r"unknown column\(s\) 'q'"):
        dmi.conditional_mutual_info(frame, "x", "q", given="z")


def _gaussian_strata(n, seed):
    """z in {0, 1, 2}; within each, (x, y) bivariate normal with correlation rho_z, shifted by z."""
    rng = np.random.default_rng(seed)
    rhos = np.array([0.0, 0.5, 0.9])
    z = rng.integers(0, 3, n)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    x = 3 * z + a
    y = 3 * z + rhos[z] * a + np.sqrt(1 - rhos[z] ** 2) * b
    truth = float(np.mean([-0.5 * math.log(1 - r**2) for r in rhos]))  # p(z) = 1/3 each
    return pd.DataFrame({"x": x, "y": y, "z": z, "label": np.where(a > 0, "hi", "lo")}), truth


def test_continuous_conditional_mi_against_closed_form_and_sklearn():
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    frame, truth = _gaussian_strata(30_000, 0)
    got = dmi.conditional_mutual_info(frame, "x", "y", given="z", random_state=0)
    assert got == pytest.approx(truth, abs=0.03)
    # Frenzel-Pompe with a discrete Z: each stratum's KSG weighted by p(z), as sklearn per stratum
    reference = sum(
        len(part) / len(frame) * mutual_info_regression(part[["x"]], part["y"], random_state=0)[0]
        for _, part in frame.groupby("z")
    )
    assert got == pytest.approx(reference, abs=1e-4)
    # unconditionally x and y are strongly dependent through z
    assert dmi.mutual_info_matrix(frame, ["x", "y"], random_state=0).loc["x", "y"] > 1.0
    # a discrete x with a continuous y takes Ross within each stratum
    ross = dmi.conditional_mutual_info(frame, "label", "y", given="z", random_state=0)
    reference = sum(
        len(part) / len(frame) * mutual_info_classif(part[["y"]], part["label"], random_state=0)[0]
        for _, part in frame.groupby("z")
    )
    assert ross == pytest.approx(reference, abs=1e-4)


def test_continuous_conditional_mi_refusals():
    frame, _ = _gaussian_strata(2_000, 1)
    frame["id"] = np.arange(len(frame)) // 2  # strata of two rows each
    with pytest.raises(ValueError, match=r"given='id' has strata with too few sample rows for n_neighbors=3"):
        dmi.conditional_mutual_info(frame, "x", "y", given="id")
    with pytest.raises(ValueError, match=r"dropna=False needs discrete columns"):
        dmi.conditional_mutual_info(frame, "x", "y", given="z", dropna=False)


def test_given_on_the_matrix_functions_equals_pairwise_conditional_mi():
    frame = _mixed(6)
    frame["f"] = frame["w"] * 1.5 + np.random.default_rng(6).standard_normal(len(frame))
    discrete = ["x", "y", "w"]
    got = dmi.mutual_info_matrix(frame, columns=[*discrete, "z"], given="z")
    assert list(got.columns) == discrete and got.attrs["given"] == "z"  # given itself left out
    for a in discrete:
        for b in discrete:
            if a != b:
                assert got.loc[a, b] == pytest.approx(_reference(frame, a, b, "z"), rel=1e-9)
        rows = frame[[a, "z"]].dropna()
        h_given = _reference(rows.assign(copy=rows[a]), a, "copy", "z")  # I(X;X|Z) = H(X|Z)
        assert got.loc[a, a] == pytest.approx(h_given, rel=1e-9)
    ddf = dd.from_pandas(frame, npartitions=5, sort=False)
    again = dmi.mutual_info_matrix(ddf, columns=discrete, given="z")
    pd.testing.assert_frame_equal(again, got, check_exact=False, rtol=1e-12)
    # mixed: a continuous column takes the stratified k-NN estimate, as the scalar function
    mixed = dmi.mutual_info_matrix(frame, columns=["x", "f", "w"], given="z", random_state=2)
    scalar = dmi.conditional_mutual_info(frame, "f", "w", given="z", random_state=2)
    assert mixed.loc["f", "w"] > 0.1 and np.isnan(mixed.loc["f", "f"])
    assert mixed.loc["f", "w"] == pytest.approx(scalar, abs=0.05)  # samples keyed on other columns
    series = dmi.mutual_info_with(frame, "x", columns=discrete, given="z")
    assert series["y"] == pytest.approx(got.loc["x", "y"], rel=1e-9)


def test_given_refusals():
    frame = _mixed(7).assign(f=np.linspace(0, 1, 6_000))
    with pytest.raises(KeyError, match=r"given: unknown column\(s\) 'nope'"):
        dmi.mutual_info_matrix(frame, given="nope")
    with pytest.raises(ValueError, match=r"given= works with normalize=None"):
        dmi.mutual_info_matrix(frame, given="z", normalize="max")
    with pytest.raises(ValueError, match=r"dropna=False needs discrete columns"):
        dmi.mutual_info_matrix(frame, columns=["x", "f"], given="z", dropna=False)
    with pytest.raises(ValueError, match=r"given='x' is the target"):
        dmi.mutual_info_with(frame, "x", given="x")
    summary = dmi.summarize(frame, random_state=1)
    with pytest.raises(
        ValueError, match=r"given='z' needs three-way counts: summarize the data with given='z'"
    ):
        dmi.mutual_info_matrix(summary, given="z")
    with pytest.raises(ValueError, match=r"needs three-way counts: summarize the data with given='z'"):
        dmi.conditional_mutual_info(summary, "x", "y", "z")
