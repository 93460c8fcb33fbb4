"""Every discrete value against an independent reference: scikit-learn and scipy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from conftest import discrete_frame
from sklearn.metrics import mutual_info_score, normalized_mutual_info_score

import dmi

RTOL = 1e-9


def _labels(s: pd.Series) -> np.ndarray:
    """Labels sklearn can take: the column's values as a factorized int array."""
    return pd.factorize(s, use_na_sentinel=True)[0]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return discrete_frame(3_000, seed=1)


@pytest.fixture(scope="module")
def matrix(frame) -> pd.DataFrame:
    return dmi.mutual_info_matrix(frame)


def test_labels_and_shape(frame, matrix):
    assert list(matrix.index) == list(frame.columns)
    assert list(matrix.columns) == list(frame.columns)
    assert matrix.dtypes.eq(np.float64).all()
    np.testing.assert_array_equal(matrix.to_numpy(), matrix.to_numpy().T)


def test_off_diagonal_equals_sklearn(frame, matrix):
    cols = list(frame.columns)
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            expected = mutual_info_score(_labels(frame[a]), _labels(frame[b]))
            assert matrix.loc[a, b] == pytest.approx(expected, rel=RTOL, abs=1e-15), (a, b)
    # the data has real dependencies: the test is not comparing zeros
    assert matrix.loc["int", "str"] > 0.3


def test_diagonal_equals_scipy_entropy(frame, matrix):
    for c in frame.columns:
        expected = scipy.stats.entropy(frame[c].value_counts().to_numpy())
        assert matrix.loc[c, c] == pytest.approx(expected, rel=RTOL), c


def test_base_two_is_nats_over_ln2(frame, matrix):
    bits = dmi.mutual_info_matrix(frame, base=2)
    np.testing.assert_allclose(bits.to_numpy(), matrix.to_numpy() / math.log(2), rtol=1e-12)
    b10 = dmi.mutual_info_matrix(frame, base=10)
    np.testing.assert_allclose(b10.to_numpy(), matrix.to_numpy() / math.log(10), rtol=1e-12)


@pytest.mark.parametrize("average", ["arithmetic", "geometric", "min", "max"])
def test_normalize_equals_sklearn_nmi(frame, average):
    nmi = dmi.mutual_info_matrix(frame, normalize=average)
    cols = list(frame.columns)
    for i, a in enumerate(cols):
        assert nmi.loc[a, a] == 1.0
        for b in cols[i + 1 :]:
            expected = normalized_mutual_info_score(
                _labels(frame[a]), _labels(frame[b]), average_method=average
            )
            assert nmi.loc[a, b] == pytest.approx(expected, rel=RTOL, abs=1e-15), (a, b)


def test_mutual_info_with_equals_sklearn(frame):
    s = dmi.mutual_info_with(frame, "str")
    assert s.name == "str"
    assert list(s.index) == [c for c in frame.columns if c != "str"]
    for c in s.index:
        expected = mutual_info_score(_labels(frame["str"]), _labels(frame[c]))
        assert s[c] == pytest.approx(expected, rel=RTOL, abs=1e-15), c


def test_mutual_info_with_columns_subset(frame):
    s = dmi.mutual_info_with(frame, "int", columns=["bool", "int", "category"], base=2)
    assert list(s.index) == ["bool", "category"]
    m = dmi.mutual_info_matrix(frame, ["int", "bool", "category"], base=2)
    assert s["bool"] == m.loc["int", "bool"]
    assert s["category"] == m.loc["int", "category"]


def test_columns_keeps_requested_order(frame):
    m = dmi.mutual_info_matrix(frame, ["str", "int"])
    assert list(m.index) == ["str", "int"]


def test_sklearn_five_row_case():
    # sklearn's own doc example: mutual_info_score([0,1,1,0,0], [1,0,0,0,1])
    df = pd.DataFrame({"x": [0, 1, 1, 0, 0], "y": [1, 0, 0, 0, 1]})
    m = dmi.mutual_info_matrix(df)
    # by hand: p(x=0)=3/5, p(y=1)=2/5, cells (0,1)=2, (1,0)=2, (0,0)=1
    by_hand = (
        2 / 5 * math.log((2 / 5) / (3 / 5 * 2 / 5))
        + 2 / 5 * math.log((2 / 5) / (2 / 5 * 3 / 5))
        + 1 / 5 * math.log((1 / 5) / (3 / 5 * 3 / 5))
    )
    assert m.loc["x", "y"] == pytest.approx(by_hand, rel=1e-12)
    assert m.loc["x", "y"] == pytest.approx(mutual_info_score(df.x, df.y), rel=1e-12)


def test_modular_arithmetic_cases():
    n = np.arange(150)
    df = pd.DataFrame({"m10": n % 10, "m5": n % 5, "m3": n % 3})
    m = dmi.mutual_info_matrix(df)
    # n%5 is a function of n%10: I = H(n%5) = ln 5
    assert m.loc["m10", "m5"] == pytest.approx(math.log(5), rel=1e-12)
    # 150 = lcm(3, 5) * 10: the table is exactly uniform, so independent
    assert m.loc["m3", "m5"] == 0.0
    assert m.loc["m10", "m10"] == pytest.approx(math.log(10), rel=1e-12)


def test_mutual_info_with_counts_only_the_pairs_it_needs(frame, passes):
    dmi.mutual_info_with(frame, "str", discrete=True)
    ((_, spec),) = passes
    p = frame.shape[1]
    assert len(spec.counts.pairs) == p - 1
    assert all(spec.counts.columns[a] == "str" for a, _ in spec.counts.pairs)
    assert spec.sample is None  # all discrete: no sample is gathered
    # discrete='auto': integer columns whose range proves them to have few values are
    # decided up front; int_wide (6 values spread over millions) is decided by the pass,
    # so it alone is sampled, in case it turns out continuous
    passes.clear()
    dmi.mutual_info_with(frame, "str")
    ((_, spec),) = passes
    assert spec.sample.columns == ("str", "int_wide")


def test_never_starts_a_cluster(frame):
    import distributed

    dmi.mutual_info_matrix(frame)
    with pytest.raises(ValueError, match="No global client found"):
        distributed.get_client()


def test_results_survive_ordinary_pandas_operations():
    """attrs hold plain values: pandas compares attrs with == in concat, nlargest, etc."""
    frame = pd.DataFrame({"a": [0, 1, 1, 0, 2, 2], "b": list("xyyxzz"), "c": [1, 1, 0, 0, 1, 0]})
    mi = dmi.mutual_info_matrix(frame)
    top = mi.stack().nlargest(2)
    assert len(top) == 2
    both = pd.concat([mi, mi])
    assert both.shape == (6, 3)
    assert mi.attrs["n_rows"] == 6
    with_c = dmi.mutual_info_with(frame, "c")
    assert with_c.nlargest(1).index[0] in {"a", "b"} and with_c.attrs["n_rows"] == {"a": 6, "b": 6}


def test_a_new_estimator_is_one_registered_record() -> None:
    """A toy estimator for continuous pairs (the Gaussian MI of the pair's correlation),
    registered as one record, serves every continuous pair of a matrix end to end; the
    default comes back when it is registered again."""
    from dmi._math import estimators

    def gaussian(x, y, k, clip, threads):  # the kernel reads the pair's axes
        r = np.corrcoef(x.values, y.values)[0, 1]
        return -0.5 * np.log1p(-(r * r)), x.values.size

    toy = estimators.Estimator("gaussian", "cc", estimators.Reads.SAMPLE, estimators.KSG.statistics, gaussian)
    rng = np.random.default_rng(4)
    z = rng.standard_normal((3_000, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]])
    frame = pd.DataFrame({"a": z[:, 0], "b": z[:, 1], "d": rng.integers(0, 3, 3_000)})
    default = estimators.register(toy)
    try:
        table = dmi.mutual_info_table(frame)
    finally:
        assert estimators.register(default) is toy
    row = table[(table["x"] == "a") & (table["y"] == "b")].iloc[0]
    r = np.corrcoef(z[:, 0], z[:, 1])[0, 1]
    assert row["estimator"] == "gaussian"
    assert row["mi"] == pytest.approx(-0.5 * np.log(1 - r * r), rel=1e-6)  # jitter moves r by ~1e-10
    assert set(table.loc[table["x"] != "a", "estimator"]) <= {"ross", "plug-in"}  # the others as before
    assert dmi.mutual_info_table(frame).query("x == 'a' and y == 'b'")["estimator"].item() == "ksg"
    with pytest.raises(ValueError, match="needs a kernel"):
        estimators.register(
            estimators.Estimator("bad", "cc", estimators.Reads.SAMPLE, estimators.KSG.statistics)
        )
