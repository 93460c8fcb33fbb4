"""Transfer entropy ``I(Y_t; X_{t-lag} | Y_{t-1..t-history})``: against the formula written
out with pandas ``shift`` and scikit-learn per stratum (discrete, 1e-9), against ennemi's
conditional ``estimate_mi`` (continuous, within sampling noise); the direction of a
planted coupling found, its reverse not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score

import dmi


def _coupled(n: int = 30_000, seed: int = 0) -> pd.DataFrame:
    """x drives y two rows later; y also remembers its own last value; x does not listen to y."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, n)
    y = np.zeros(n, dtype=np.int64)
    for t in range(2, n):
        y[t] = (x[t - 2] + (y[t - 1] if rng.random() < 0.5 else 0) + (rng.random() < 0.1)) % 3
    return pd.DataFrame({"x": x, "y": y})


def _reference(df: pd.DataFrame, source: str, target: str, lag: int, history: int) -> float:
    """``sum_z p(z) I(Y; X_lag | z)`` over the rows with every lagged value."""
    frame = pd.DataFrame({"y": df[target], "x": df[source].shift(lag)})
    for h in range(1, history + 1):
        frame[f"z{h}"] = df[target].shift(h)
    frame = frame.dropna()
    z = [f"z{h}" for h in range(1, history + 1)]
    if not z:
        return mutual_info_score(frame.y, frame.x)
    return sum(len(g) / len(frame) * mutual_info_score(g.y, g.x) for _, g in frame.groupby(z))


@pytest.mark.parametrize(("lag", "history"), [(2, 1), (2, 2), (1, 1), (3, 0)])
def test_discrete_transfer_entropy_is_the_formula(lag, history):
    df = _coupled()
    got = dmi.transfer_entropy(df, "x", "y", lag=lag, history=history, discrete=True)
    assert got.mi == pytest.approx(_reference(df, "x", "y", lag, history), rel=1e-9, abs=1e-12)
    assert got.n == len(df) - max(lag, history) and got.method == "g-test"
    assert got.x == (f"x (t-{lag})",) and got.y == ("y",) and len(got.given) == history


def test_the_planted_direction_is_found_and_its_reverse_is_not():
    df = _coupled()
    forward = dmi.transfer_entropy(df, "x", "y", lag=2, discrete=True)
    backward = dmi.transfer_entropy(df, "y", "x", lag=2, discrete=True)
    assert forward.mi > 0.3 and forward.p_value < 1e-12
    assert backward.mi < 1e-3 and backward.p_value > 0.001
    # history 0 is the lagged MI of the lags= matrix
    with_lags = dmi.mutual_info_with(df, "y", columns=["x"], lags=[2], discrete=True)
    assert dmi.transfer_entropy(df, "x", "y", lag=2, history=0, discrete=True).mi == pytest.approx(
        with_lags.loc[2, "x"], rel=1e-12
    )


def test_continuous_transfer_entropy_agrees_with_ennemi():
    ennemi = pytest.importorskip("ennemi")
    rng = np.random.default_rng(1)
    n = 3_000
    x = rng.normal(size=n)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.6 * y[t - 1] + 0.5 * x[t - 1] + 0.5 * rng.normal()
    df = pd.DataFrame({"x": x, "y": y})
    got = dmi.transfer_entropy(df, "x", "y", lag=1, history=1, knn_permutations=99)
    theirs = float(np.asarray(ennemi.estimate_mi(y, x, lag=1, cond=y, cond_lag=1, k=3)).ravel()[0])
    assert got.mi == pytest.approx(theirs, abs=0.03)
    assert got.method == "knn-permutation" and got.p_value < 0.05
    back = dmi.transfer_entropy(df, "y", "x", lag=1, history=1, knn_permutations=99)
    assert back.mi < 0.03 and back.p_value > 0.01


def test_series_stay_apart():
    one, two = _coupled(8_000, seed=2), _coupled(8_000, seed=3)
    both = pd.concat([one.assign(unit="a"), two.assign(unit="b")], ignore_index=True)
    got = dmi.transfer_entropy(both, "x", "y", lag=2, by="unit", discrete=True)
    assert got.n == len(both) - 2 * 2  # each series loses its first two rows, not one
    assert got.mi > 0.3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(source="x", target="x"), ValueError, "both 'x'"),
        (dict(source="x", target="y", lag=0), ValueError, "lag must be an integer >= 1"),
        (dict(source="x", target="y", history=-1), ValueError, "history must be an integer >= 0"),
        (dict(source="x", target="nope"), KeyError, "nope"),
        (dict(source="x", target="y", method="fast"), ValueError, "method"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        dmi.transfer_entropy(_coupled(100), **kwargs)


def _persistent(n: int, stay: float, rng: np.random.Generator, memory: int = 1) -> np.ndarray:
    """A slowly changing series of 3 values: each row repeats the one ``memory`` rows back."""
    s = np.zeros(n, dtype=np.int64)
    for t in range(memory, n):
        s[t] = s[t - memory] if rng.random() < stay else rng.integers(0, 3)
    return s


def test_block_permutations_keep_independent_persistent_series_apart():
    """Two independent slowly changing series: the G-test (rows taken as independent)
    reads their persistence as coupling most of the time; the block permutation keeps
    the source's persistence and rejects far less often (not exactly 5%: measured over
    60 seeds, 10-15% at 0.05 with blocks of 100 to 200 rows)."""
    from scipy import stats

    g_tests, blocks = [], []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        df = pd.DataFrame({"x": _persistent(2_000, 0.97, rng), "y": _persistent(2_000, 0.9, rng, memory=3)})
        g = dmi.transfer_entropy(df, "x", "y", discrete=True, random_state=seed)
        b = dmi.transfer_entropy(df, "x", "y", discrete=True, block=200, permutations=99, random_state=seed)
        assert b.mi == pytest.approx(g.mi, rel=1e-9) and b.method == "block-permutation"
        g_tests.append(g.p_value)
        blocks.append(b.p_value)
    fooled, rejected = np.mean(np.array(g_tests) < 0.05), np.mean(np.array(blocks) < 0.05)
    assert fooled > 0.5 and rejected <= 0.2 and rejected < fooled / 3
    assert stats.kstest(blocks, "uniform").pvalue > 0.001


def test_block_permutations_find_a_real_coupling_and_respect_series():
    from dmi._math.block_permutation import blocks_of

    df = _coupled(6_000)
    got = dmi.transfer_entropy(df, "x", "y", lag=2, discrete=True, block=50, permutations=99)
    assert got.p_value == pytest.approx(1 / 100)
    series = np.array([0] * 7 + [1] * 5)
    assert [b.tolist() for b in blocks_of(series, 3)] == [[0, 1, 2], [3, 4, 5], [6], [7, 8, 9], [10, 11]]
    both = pd.concat(
        [_coupled(3_000, 2).assign(unit="a"), _coupled(3_000, 3).assign(unit="b")], ignore_index=True
    )
    by_unit = dmi.transfer_entropy(both, "x", "y", lag=2, by="unit", discrete=True, block=50, permutations=49)
    assert by_unit.p_value == pytest.approx(1 / 50) and by_unit.n == len(both) - 4


def test_block_permutations_need_discrete_columns_in_memory(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300)})
    with pytest.raises(ValueError, match="block= counts the permuted rows, which needs discrete columns"):
        dmi.transfer_entropy(df, "x", "y", block=10)
    _coupled(300).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(ValueError, match="block= permutes rows in memory"):
        dmi.transfer_entropy(tmp_path / "t.parquet", "x", "y", block=10, discrete=True)
    with pytest.raises(ValueError, match="block must be an integer >= 1"):
        dmi.transfer_entropy(_coupled(300), "x", "y", block=0, discrete=True)
