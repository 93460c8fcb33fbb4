"""Continuous and mixed pairs: KSG and Ross against closed forms and scikit-learn."""

from __future__ import annotations

import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

import dmi
from dmi import LooksCategoricalWarning


def gaussian(n: int, rho: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    return pd.DataFrame({"x": x, "y": y})


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.6, 0.9])
def test_bivariate_gaussian_against_closed_form_and_sklearn(rho):
    df = gaussian(20_000, rho, seed=int(rho * 10))
    m = dmi.mutual_info_matrix(df, random_state=0)
    analytic = -0.5 * math.log(1 - rho**2)
    assert abs(m.loc["x", "y"] - analytic) < 0.03
    # same rows, no ties: equal to sklearn up to its 1e-10 tie-breaking noise
    sk = mutual_info_regression(df[["x"]], df["y"], n_neighbors=3, random_state=0)[0]
    assert m.loc["x", "y"] == pytest.approx(sk, rel=1e-6, abs=1e-9)
    assert math.isnan(m.loc["x", "x"])  # I(X;X) is infinite for a continuous X
    assert m.attrs["n_rows"] == m.attrs["sample_rows"] == 20_000


def test_sample_of_20000_from_200000_rows():
    df = gaussian(200_000, 0.6, seed=5)
    ddf = dd.from_pandas(df, npartitions=8, sort=False)
    m = dmi.mutual_info_matrix(ddf, sample_size=20_000, random_state=1)
    assert m.attrs["n_rows"] == m.attrs["sample_rows"] == 20_000  # every cell is on the sample
    assert abs(m.loc["x", "y"] - (-0.5 * math.log(1 - 0.36))) < 0.05


@pytest.mark.parametrize("k", [3, 5, 7])
def test_sklearn_ksg_case(k):
    # sklearn test_compute_mi_cc: sigma 1 and 10, corr 0.5, 1000 rows, rtol 0.1. sklearn runs
    # it on unscaled data through a private function; through the public API (which scales,
    # as dmi does) one 1000-row draw has a spread of ~25% of the value, so the closed form is
    # checked on the mean of 24 draws (standard error ~3%), and 4 draws against sklearn.
    cov = np.array([[1.0, 0.5 * 10], [0.5 * 10, 100.0]])
    theory = math.log(1) + math.log(10) - 0.5 * math.log(np.linalg.det(cov))
    estimates = []
    for seed in range(24):
        z = np.random.RandomState(seed).multivariate_normal(np.zeros(2), cov, size=1000)
        got = dmi.mutual_info_matrix(pd.DataFrame(z, columns=["x", "y"]), n_neighbors=k, random_state=0)
        if seed < 4:
            sk = mutual_info_regression(z[:, :1], z[:, 1], n_neighbors=k, random_state=0)[0]
            assert got.loc["x", "y"] == pytest.approx(sk, rel=1e-6)
        estimates.append(got.loc["x", "y"])
    assert np.mean(estimates) == pytest.approx(theory, rel=0.1)


@pytest.mark.parametrize("p", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("k", [3, 5, 7])
def test_sklearn_ross_case(p, k):
    # sklearn test_compute_mi_cd: X ~ Bernoulli, Y|0 ~ U(-1, 1), Y|1 ~ U(0, 2)
    rng = np.random.RandomState(0)
    x = rng.uniform(size=1000) > p
    y = np.where(x == 0, rng.uniform(-1, 1, size=1000), rng.uniform(0, 2, size=1000))
    theory = -0.5 * ((1 - p) * np.log(0.5 * (1 - p)) + p * np.log(0.5 * p) + np.log(0.5)) - np.log(2)
    s = dmi.mutual_info_with(pd.DataFrame({"x": x, "y": y}), "x", n_neighbors=k, random_state=0)
    assert s["y"] == pytest.approx(theory, rel=0.1)


def test_label_seen_once_does_not_change_ross():
    rng = np.random.default_rng(3)
    x = (rng.uniform(size=100) > 0.5).astype(int)
    y = np.where(x == 0, rng.uniform(-1, 1, 100), rng.uniform(0, 2, 100))
    before = dmi.mutual_info_with(pd.DataFrame({"x": x, "y": y}), "x", random_state=0)["y"]
    after = dmi.mutual_info_with(pd.DataFrame({"x": np.r_[x, 2], "y": np.r_[y, 10.0]}), "x", random_state=0)[
        "y"
    ]
    assert after == pytest.approx(before, rel=1e-12)


def test_ross_analytic_separated_classes_give_ln2():
    rng = np.random.default_rng(4)
    y = rng.choice([0, 2], size=5000)
    x = y + rng.uniform(size=5000)  # x ~ U(y, y + 1): the classes never overlap
    s = dmi.mutual_info_with(pd.DataFrame({"y": y, "x": x}), "y", random_state=0)
    assert s["x"] == pytest.approx(math.log(2), abs=0.01)


def test_nonlinear_dependence_that_pearson_misses():
    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, 10_000)
    df = pd.DataFrame(
        {"x": x, "y": x**2 + 0.01 * rng.standard_normal(10_000), "z": rng.standard_normal(10_000)}
    )
    assert abs(df["x"].corr(df["y"])) < 0.05
    m = dmi.mutual_info_matrix(df, random_state=0)
    assert m.loc["x", "y"] > 0.5
    assert m.loc["x", "z"] < 0.02 and m.loc["y", "z"] < 0.02


def test_mixed_matrix_uses_each_estimator():
    rng = np.random.default_rng(7)
    n = 5_000
    c = rng.standard_normal(n)
    df = pd.DataFrame(
        {"c": c, "d": (c > 0).astype(int), "e": pd.array(np.where(c > 1, "hi", "lo"), dtype="str"), "w": c**3}
    )
    m = dmi.mutual_info_matrix(df, random_state=0)
    # discrete-discrete: exact plug-in over all rows
    from sklearn.metrics import mutual_info_score

    assert m.loc["d", "e"] == pytest.approx(mutual_info_score(df.d, df.e), rel=1e-9)
    # discrete-continuous: Ross, as mutual_info_classif
    assert m.loc["c", "d"] == pytest.approx(
        mutual_info_classif(df[["c"]], df.d, n_neighbors=3, random_state=0)[0], rel=1e-6
    )
    # continuous-continuous: KSG, as mutual_info_regression (c and c**3: a strong dependence)
    assert m.loc["c", "w"] == pytest.approx(
        mutual_info_regression(df[["c"]], df.w, n_neighbors=3, random_state=0)[0], rel=1e-6
    )
    assert not math.isnan(m.loc["d", "d"]) and math.isnan(m.loc["c", "c"])


def test_sample_identical_across_partitionings_and_repeatable(monkeypatch):
    from dmi._inputs import source

    df = gaussian(30_000, 0.5, seed=9).assign(g=lambda f: (f.x > 0.3).astype(int))
    ref = dmi.mutual_info_matrix(df, sample_size=5_000, random_state=42)
    for rows, split_every in [(10_000, 2), (2_999, False), (750, None)]:
        monkeypatch.setattr(source, "_PANDAS_PARTITION_ROWS", rows)
        got = dmi.mutual_info_matrix(df, sample_size=5_000, random_state=42, split_every=split_every)
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
    again = dmi.mutual_info_matrix(df, sample_size=5_000, random_state=42)
    pd.testing.assert_frame_equal(again, ref, check_exact=True)
    other = dmi.mutual_info_matrix(df, sample_size=5_000, random_state=43)
    assert other.loc["x", "y"] != ref.loc["x", "y"]
    # A Dask DataFrame: repeatable for the same frame (its partition lengths are unknown,
    # so its rows are numbered within partitions)
    ddf = dd.from_pandas(df, npartitions=7, sort=False)
    a = dmi.mutual_info_matrix(ddf, sample_size=5_000, random_state=42)
    b = dmi.mutual_info_matrix(ddf, sample_size=5_000, random_state=42, split_every=3)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.loc["x", "y"] == pytest.approx(ref.loc["x", "y"], abs=0.05)  # another uniform sample


def test_sample_is_uniform_over_partitions():
    from dmi._math.sample import RowIds, SampleSpec
    from dmi._pass.onepass import PassSpec, chunk, merge

    n, parts, k = 100_000, 10, 5_000
    df = pd.DataFrame(
        {"v": np.random.default_rng(0).standard_normal(n), "part": np.repeat(np.arange(parts), n // parts)}
    )
    spec = PassSpec(("v", "part"), None, SampleSpec(("v", "part"), (True, False), k, 123))
    summaries = [chunk(df[df.part == p], spec, RowIds((7,), True)) for p in range(parts)]
    merged = merge(summaries)
    sample = merged.sample
    counts = np.bincount(sample.frame.iloc[:, 1].astype(int), minlength=parts)
    assert counts.sum() == k and merged.n_rows == n
    # each partition holds a tenth of the rows: the sampled rows must be spread evenly
    assert stats.chisquare(counts).pvalue > 0.001


def test_row_keys_come_from_identity_not_content():
    from dmi._math.sample import RowIds, row_keys

    same = pd.DataFrame({"x": [1.5] * 1_000})
    other = pd.DataFrame({"x": np.arange(1_000.0)})
    ids = RowIds((3,), True)
    keys = row_keys(same, 0, ids)
    assert np.unique(keys).size == 1_000  # copies of a row are separate rows
    np.testing.assert_array_equal(keys, row_keys(other, 0, ids))  # content plays no part
    shifted = same.set_axis(pd.RangeIndex(500, 1_500))
    np.testing.assert_array_equal(row_keys(shifted, 0, ids)[:500], keys[500:])  # position is identity
    assert not np.isin(row_keys(same, 0, RowIds((4,), True)), keys).any()  # another source
    assert not np.isin(row_keys(same, 1, ids), keys).any()  # another seed
    local = RowIds((3,), False)  # numbered within the partition, whatever its index
    np.testing.assert_array_equal(row_keys(shifted, 0, local), keys)


@pytest.mark.parametrize(
    ("loader", "name"), [(load_iris, "iris"), (load_wine, "wine"), (load_breast_cancer, "breast_cancer")]
)
def test_real_data_feature_vs_class(loader, name):
    data = loader(as_frame=True)
    frame = data.frame.rename(columns={"target": "class"})
    frame["class"] = frame["class"].astype("category")
    mine = [dmi.mutual_info_with(frame, "class", random_state=s) for s in range(10)]
    got = mine[0]
    features = data.feature_names
    runs = np.array([mutual_info_classif(frame[features], frame["class"], random_state=s) for s in range(10)])
    for i, f in enumerate(features):
        col = frame[f].to_numpy()
        if np.unique(col).size == col.size:  # no ties: equal to sklearn
            assert got[f] == pytest.approx(runs[0, i], rel=1e-6), f
        else:  # ties: the tie-breaking noise's draws, 10 seeds each, agree in mean
            # (dmi deals its draws by content, sklearn by row: the same distribution; on wine's
            # proanthocyanins, 40 seeds each: sklearn 0.289 +- 0.012, dmi 0.294 +- 0.013)
            ours = np.array([m[f] for m in mine])
            error = np.sqrt((ours.var(ddof=1) + runs[:, i].var(ddof=1)) / 10)
            assert abs(ours.mean() - runs[:, i].mean()) <= 4 * error + 1e-3, (f, ours, runs[:, i])


def test_n_neighbors_must_be_below_rows():
    df = gaussian(10, 0.5, seed=1)
    with pytest.raises(ValueError, match=r"n_neighbors=10 must be less than the 10 rows"):
        dmi.mutual_info_matrix(df, n_neighbors=10)


def test_infinite_values_name_the_column():
    df = gaussian(100, 0.5, seed=1)
    df.loc[37, "y"] = np.inf
    with pytest.raises(ValueError, match=r"column 'y' contains infinite values"):
        dmi.mutual_info_matrix(df, sample_size=10)  # found even when the row is not sampled


def test_constant_continuous_column_gives_zero():
    df = gaussian(500, 0.5, seed=2).assign(k=3.5, d=lambda f: (f.x > 0).astype(int))
    m = dmi.mutual_info_matrix(df, random_state=0)
    assert m.loc["k", "x"] == 0.0 and m.loc["k", "d"] == 0.0


def test_float_column_with_few_values_warns():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"grade": rng.integers(1, 6, 1000).astype(float), "y": rng.standard_normal(1000)})
    with pytest.warns(LooksCategoricalWarning, match=r"'grade' .*discrete=\[...\]"):
        dmi.mutual_info_matrix(df, random_state=0)


def test_missing_values_use_pairwise_complete_sample_rows():
    df = gaussian(4_000, 0.7, seed=8)
    df.loc[df.index[:1000], "x"] = np.nan
    m = dmi.mutual_info_matrix(df, random_state=0)
    table = dmi.mutual_info_table(df, random_state=0)
    assert table["n"].tolist() == [3_000] and table["mi"].iloc[0] == m.loc["x", "y"]
    complete = df.dropna()
    sk = mutual_info_regression(complete[["x"]], complete["y"], random_state=0)[0]
    assert m.loc["x", "y"] == pytest.approx(sk, rel=1e-6)


@pytest.mark.parametrize(
    "case", ["gaussian", "outlier", "deterministic", "ties", "tiny", "skewed", "curve", "identity", "spikes"]
)
@pytest.mark.parametrize("k", [1, 3, 7])
def test_strip_knn_equals_kdtree(case, k):
    from scipy.spatial import cKDTree

    from dmi._math.neighbours import kth_neighbor_distance

    rng = np.random.default_rng(k)
    n = 5 if case == "tiny" else 20_000
    x = rng.standard_normal(n)
    y = 0.6 * x + 0.8 * rng.standard_normal(n)
    if case == "outlier":
        x[0] = 1e6  # one far point
    elif case == "deterministic":
        y = x**3
    elif case == "ties":
        x, y = np.round(x, 1), np.round(y, 1)
    elif case == "skewed":
        x, y = np.exp(2 * x), y**2  # heavy right tails
    elif case == "curve":
        y = np.sin(3 * x) + 1e-3 * rng.standard_normal(n)  # a strip crosses the curve several times
    elif case == "identity":
        y = x + 1e-9 * rng.standard_normal(n)
    elif case == "spikes":
        x, y = np.round(x), np.round(x + rng.standard_normal(n))  # integers: a few values each
    k = min(k, n - 1)
    pts = np.column_stack((x, y))
    expected = cKDTree(pts).query(pts, k=k + 1, p=np.inf)[0][:, -1]
    np.testing.assert_array_equal(kth_neighbor_distance(x, y, k), expected)
    np.testing.assert_array_equal(kth_neighbor_distance(x, y, k, threads=2), expected)  # strips split


@given(
    st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=2, max_size=60),
    st.integers(0, 2),
    st.integers(1, 4),
)
def test_strip_knn_equals_brute_force(points, digits, k):
    from dmi._math.neighbours import kth_neighbor_distance

    pts = np.round(np.array(points), digits)  # rounding makes ties and duplicates
    k = min(k, len(pts) - 1)
    d = np.max(np.abs(pts[:, None, :] - pts[None, :, :]), axis=2)
    expected = np.sort(d, axis=1)[:, k]  # column 0 is the point itself
    np.testing.assert_array_equal(kth_neighbor_distance(pts[:, 0].copy(), pts[:, 1].copy(), k), expected)


@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=80),
    st.lists(st.floats(0, 3, allow_nan=False), min_size=80, max_size=80),
    st.integers(0, 3),
)
def test_neighbour_counts_equal_brute_force(values, radii, digits):
    from dmi._math.neighbours import count_indexed, value_index

    v = np.sort(np.round(np.array(values), digits))  # rounding makes ties
    r = np.array(radii[: v.size])
    want = np.array([np.sum(np.abs(v - v[i]) <= r[i]) for i in range(v.size)])
    for segment, cells in [(1, 1), (3, 2), (16, 64), (1024, 2048)]:  # tiny segments: many lookups
        index = value_index(v, segment, cells)
        np.testing.assert_array_equal(count_indexed(v, r, *index, segment, np.empty(v.size, np.int64)), want)


@given(
    st.lists(st.tuples(st.floats(-5, 5, allow_nan=False), st.integers(0, 6)), min_size=2, max_size=120),
    st.integers(0, 3),
    st.integers(1, 5),
)
def test_ross_class_counts_equal_brute_force(points, digits, k):
    """Ross's counts between the points of each one's class equal a brute-force count:
    rounding makes ties (radii of 0), label 6 is often a class of one point."""
    from dmi._math.neighbours import class_window_counts

    v = np.round(np.array([p[0] for p in points]), digits)
    labels = np.array([p[1] for p in points])
    by_value = np.argsort(v, kind="stable")
    v, labels = v[by_value], labels[by_value]
    sizes = np.bincount(labels)
    kept = sizes[labels] > 1
    want = []
    for i in np.flatnonzero(kept):
        same = np.sort(np.abs(v[labels == labels[i]] - v[i]))  # the point itself first
        r = np.nextafter(same[min(k, sizes[labels[i]] - 1)], 0)
        want.append(np.sum(np.abs(v[kept] - v[i]) <= r))
    order = np.argsort(labels, kind="stable")
    bounds = np.append(np.flatnonzero(np.r_[True, np.diff(labels[order]) != 0]), v.size)
    where = (np.cumsum(kept) - 1)[order]
    got = np.full(int(kept.sum()), -1, dtype=np.int64)
    class_window_counts(v[kept], v[order], where, bounds, k, got)
    np.testing.assert_array_equal(got, np.array(want, dtype=np.int64))


def test_continuous_target_equals_mutual_info_regression():
    rng = np.random.default_rng(12)
    n = 8_000
    x1, x2 = rng.standard_normal(n), rng.standard_normal(n)
    df = pd.DataFrame(
        {
            "t": np.sin(x1) + 0.3 * x2 + 0.2 * rng.standard_normal(n),
            "x1": x1,
            "x2": x2,
            "z": rng.standard_normal(n),
        }
    )
    got = dmi.mutual_info_with(df, "t", random_state=0)
    expected = mutual_info_regression(df[["x1", "x2", "z"]], df["t"], n_neighbors=3, random_state=0)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-6, atol=1e-9)
    assert list(got.attrs["n_rows"].values()) == [n, n, n]


def test_ross_small_classes_and_unusable_labels():
    rng = np.random.default_rng(13)
    c = rng.standard_normal(60)
    # classes of 2 rows: k = 5 is above every class, as in sklearn each uses min(k, m - 1)
    d = np.repeat(np.arange(30), 2)
    got = dmi.mutual_info_with(pd.DataFrame({"d": d, "c": c}), "d", n_neighbors=5, random_state=0)["c"]
    assert got == pytest.approx(
        mutual_info_classif(c[:, None], d, n_neighbors=5, random_state=0)[0], rel=1e-6
    )
    # every label seen once (an identifier): no usable rows, NaN rather than a made-up 0
    ids = dmi.mutual_info_with(pd.DataFrame({"id": np.arange(60), "c": c}), "id", random_state=0)
    assert math.isnan(ids["c"]) and ids.attrs["n_rows"]["c"] == 0
