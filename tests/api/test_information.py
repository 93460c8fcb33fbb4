"""Information of sets: dmi.mutual_info, dmi.total_correlation and
dmi.interaction_information against pyitlib's definitions written out with pandas counts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score

import dmi


def H(frame: pd.DataFrame, cols: list[str]) -> float:
    """Plug-in joint entropy (nats) of ``cols`` over the frame's rows."""
    p = frame.groupby(cols, observed=True).size().to_numpy(dtype=float) / len(frame)
    return float(-(p * np.log(p)).sum())


def _frame(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, n)
    b = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "a": a,
            "b": pd.array(np.array(["u", "v"])[b], dtype="str"),
            "c": (a + b + (rng.random(n) < 0.2)) % 3,
            "d": pd.Categorical(np.where(rng.random(n) < 0.7, a, rng.integers(0, 3, n))),
        }
    )


def test_mutual_info_of_sets_is_pyitlib_definition():
    f = _frame()
    got = dmi.mutual_info(f, ["a", "b"], "c")
    want = H(f, ["a", "b"]) + H(f, ["c"]) - H(f, ["a", "b", "c"])
    assert got == pytest.approx(want, rel=1e-9)
    # each alone tells less than the two together
    assert dmi.mutual_info(f, "a", "c") + dmi.mutual_info(f, "b", "c") < got
    cond = dmi.mutual_info(f, "a", ["c", "d"], given="b", base=2)
    want = (H(f, ["a", "b"]) + H(f, ["c", "d", "b"]) - H(f, ["a", "b", "c", "d"]) - H(f, ["b"])) / math.log(2)
    assert cond == pytest.approx(want, rel=1e-9)
    # one column each: the matrix's cell
    assert dmi.mutual_info(f, "a", "d") == pytest.approx(mutual_info_score(f.a, f.d.astype(int)), rel=1e-9)


def test_total_correlation_is_pyitlib_information_multi():
    f = _frame()
    got = dmi.total_correlation(f)
    want = sum(H(f, [c]) for c in f.columns) - H(f, list(f.columns))
    assert got == pytest.approx(want, rel=1e-9)
    two = dmi.total_correlation(f, ["a", "c"])
    assert two == pytest.approx(dmi.mutual_info_matrix(f, ["a", "c"]).loc["a", "c"], rel=1e-12)


def test_interaction_information_is_pyitlib_definition():
    f = _frame()
    got = dmi.interaction_information(f, "a", "b", "c")
    cols = ["a", "b", "c"]
    want = -sum((-1) ** (3 - k) * H(f, list(t)) for k in range(1, 4) for t in itertools.combinations(cols, k))
    assert got == pytest.approx(want, rel=1e-9)
    # = I(a;b|c) - I(a;b): a and b are independent, c reveals them (synergy)
    assert got == pytest.approx(
        dmi.conditional_mutual_info(f, "a", "b", "c") - dmi.mutual_info(f, "a", "b"), rel=1e-9
    )
    assert got > 0
    # symmetric in the three; a common cause (a of c and d) makes it negative
    assert dmi.interaction_information(f, "c", "a", "b") == pytest.approx(got, rel=1e-12)
    assert dmi.interaction_information(f, "c", "d", "a") < 0


def test_xor_and_penguins():
    xor = pd.DataFrame({"a": [0, 0, 1, 1] * 50, "b": [0, 1, 0, 1] * 50})
    xor["c"] = xor.a ^ xor.b
    assert dmi.total_correlation(xor, base=2) == pytest.approx(1.0, abs=1e-12)
    assert dmi.interaction_information(xor, "a", "b", "c", base=2) == pytest.approx(1.0, abs=1e-12)
    penguins = pytest.importorskip("palmerpenguins").load_penguins()
    cols = ["species", "island", "sex"]
    got = dmi.total_correlation(penguins, cols)
    complete = penguins[cols].dropna()  # every entropy over the same complete rows
    want = sum(H(complete, [c]) for c in cols) - H(complete, cols)
    assert got == pytest.approx(want, rel=1e-9)


def test_continuous_columns():
    rng = np.random.default_rng(3)
    n = 20_000
    x = rng.normal(size=n)
    y = x + rng.normal(size=n)
    z = rng.normal(size=n)
    f = pd.DataFrame({"x": x, "y": y, "z": z})
    truth = -0.5 * math.log(1 - 0.5)
    assert dmi.mutual_info(f, "x", "y", sample_size=n) == pytest.approx(truth, abs=0.02)  # KSG
    assert dmi.mutual_info(f, ["x", "z"], "y", sample_size=n) == pytest.approx(truth, abs=0.03)
    binned = dmi.mutual_info(f, "x", "y", method="binned", bins=10)
    assert binned == pytest.approx(
        dmi.mutual_info_matrix(f, ["x", "y"], method="binned", bins=10).loc["x", "y"], rel=1e-12
    )
    tc = dmi.total_correlation(f, ["x", "y"], bins=10)
    assert tc == pytest.approx(binned, rel=1e-12)
    assert abs(dmi.interaction_information(f, "x", "z", "y", bins=8)) < 0.3


def test_bad_input():
    f = _frame(500)
    with pytest.raises(ValueError, match="at least two columns"):
        dmi.total_correlation(f, ["a"])
    with pytest.raises(ValueError, match="'a' is in both x and z"):
        dmi.interaction_information(f, "a", "b", ["a", "c"])
    with pytest.raises(ValueError, match="'a' is in both x and y"):
        dmi.mutual_info(f, "a", ["a", "b"])
    with pytest.raises(KeyError, match="nope"):
        dmi.mutual_info(f, "a", "nope")
    ids = f.assign(i=np.arange(500), j=np.arange(500) + 7, k=np.arange(500) * 2)
    with pytest.raises(ValueError, match="combinations"):
        dmi.total_correlation(ids, ["i", "j", "k"], discrete=True)
