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
    with pytest.raises(ValueError, match=r"given='f' is a float column .*Bin it first"):
        dmi.conditional_mutual_info(frame, "x", "y", given="f")
    with pytest.raises(ValueError, match=r"three different columns"):
        dmi.conditional_mutual_info(frame, "x", "x", given="z")
    with pytest.raises(KeyError, match=r"unknown column\(s\) 'q'"):
        dmi.conditional_mutual_info(frame, "x", "q", given="z")
