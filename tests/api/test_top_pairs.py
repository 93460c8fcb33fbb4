"""dmi.top_pairs: the strongest pairs of a wide table, each value exactly the matrix's, the
screen's recall measured against the dense matrix above the noise floor."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import dmi
from dmi._math.screen import Candidates, best_partners, block_scores, codes_of, column_blocks, pack_codes

# nats: the floor above which a column's ranking of its partners is defined. The k-NN
# estimators' noise at the 8,000 rows of these tests is about 0.005 nats (0.02 is the
# benchmark's floor at 100,000 rows, where it is about 0.002).
TAU = 0.05


def wide_frame(p: int, n: int, seed: int = 0, groups: int = 6) -> pd.DataFrame:
    """A feature table as real ones look: 40% small integer codes, 10% strings, 10%
    booleans, 40% floats (a fifth of them rounded), 5% missing; each column a noisy function
    of one of ``groups`` latent factors (of varying strength), or (every seventh) noise."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, groups))
    cols = {}
    for j in range(p):
        strength = rng.uniform(0.2, 2.0) if j % 7 else 0.0
        v = strength * latent[:, j % groups] + rng.normal(size=n)
        kind = j % 10
        if kind < 4:  # small integer codes
            col = pd.Series(np.digitize(v, np.quantile(v, [0.2, 0.4, 0.6, 0.8])))
        elif kind == 4:
            col = pd.Series(np.array(list("abcdef"), dtype=object)[np.digitize(v, [-1.5, -0.5, 0, 0.5, 1.5])])
        elif kind == 5:
            col = pd.Series(v > 0.3)
        elif kind == 6 or kind == 9:
            col = pd.Series(np.round(v, 1))
        else:
            col = pd.Series(np.sin(v) if kind == 8 else v)
        if kind != 5:
            col = col.where(rng.random(n) >= 0.05)
        cols[f"c{j:03d}"] = col
    return pd.DataFrame(cols)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def table():
    df = wide_frame(60, 8_000, seed=1)
    dense = _quiet(dmi.mutual_info_matrix, df, sample_size=8_000)
    return df, dense


def _long(dense: pd.DataFrame) -> pd.DataFrame:
    names = list(dense.columns)
    values = dense.to_numpy()
    rows = [(names[i], names[j], values[i, j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    return pd.DataFrame(rows, columns=["x", "y", "mi"])


def test_every_reported_value_is_the_matrix_value(table) -> None:
    df, dense = table
    got = _quiet(dmi.top_pairs, df, k=5, sample_size=8_000)
    assert len(got) > 0
    for x, y, mi in zip(got["x"], got["y"], got["mi"], strict=True):
        assert mi == dense.loc[x, y]  # bit for bit: the same estimator, sample and seed
    assert got["mi"].is_monotonic_decreasing
    assert got.attrs["candidates"] < got.attrs["pairs"] == 60 * 59 // 2


def test_recall_of_each_columns_top_k_above_the_noise_floor(table) -> None:
    df, dense = table
    k = 5
    got = _quiet(dmi.top_pairs, df, k=k, sample_size=8_000)
    found = {frozenset(p) for p in zip(got["x"], got["y"], strict=True)}
    pairs = _long(dense)
    expected = set()
    for c in dense.columns:
        mine = pairs[(pairs["x"] == c) | (pairs["y"] == c)]
        mine = mine[mine["mi"] >= TAU].nlargest(k, "mi")
        expected |= {frozenset(p) for p in zip(mine["x"], mine["y"], strict=True)}
    recall = len(expected & found) / len(expected)
    assert len(expected) > 100 and recall >= 0.99, recall


def test_threshold_reports_every_pair_above_it(table) -> None:
    df, dense = table
    got = _quiet(dmi.top_pairs, df, k=None, threshold=TAU, sample_size=8_000)
    pairs = _long(dense)
    expected = {frozenset(p) for p in zip(*pairs[pairs["mi"] >= TAU][["x", "y"]].values.T, strict=True)}
    found = {frozenset(p) for p in zip(got["x"], got["y"], strict=True)}
    assert (got["mi"] >= TAU).all()
    assert len(expected & found) / len(expected) >= 0.99


def test_planted_copies_are_found_among_noise() -> None:
    """Groups of noisy copies among independent columns: every column's partners are its group."""
    rng = np.random.default_rng(7)
    n, groups, size, noise = 5_000, 6, 5, 40
    latent = rng.normal(size=(n, groups))
    cols = {f"g{g}_{c}": latent[:, g] + 0.6 * rng.normal(size=n) for g in range(groups) for c in range(size)}
    cols |= {f"noise{j}": rng.normal(size=n) for j in range(noise)}
    df = pd.DataFrame(cols)
    got = dmi.top_pairs(df, k=size - 1)
    for g in range(groups):
        for c in range(size):
            mine = got[(got["x"] == f"g{g}_{c}") | (got["y"] == f"g{g}_{c}")]
            partners = set(mine["x"]) | set(mine["y"])
            assert {f"g{g}_{d}" for d in range(size)} <= partners


def test_a_summary_and_parquet_give_the_same_pairs(table, tmp_path) -> None:
    df, _ = table
    df.iloc[:, :20].to_parquet(tmp_path / "t.parquet", index=False)
    from_file = _quiet(dmi.top_pairs, tmp_path / "t.parquet", k=3)
    summary = _quiet(dmi.summarize, tmp_path / "t.parquet")
    from_summary = _quiet(dmi.top_pairs, summary, k=3)
    # a summary's pairs are all computed, the file's screened: the same above the noise floor
    file_mi = {
        frozenset(p): mi for p, mi in zip(from_file[["x", "y"]].values.tolist(), from_file["mi"], strict=True)
    }
    strong = from_summary[from_summary["mi"] >= TAU]
    assert len(strong) > 5
    for x, y, mi in strong[["x", "y", "mi"]].values:
        assert file_mi[frozenset((x, y))] == mi
    assert from_summary.attrs["candidates"] == from_summary.attrs["pairs"]  # nothing screened


def test_two_passes(table, passes) -> None:
    df, _ = table
    _quiet(dmi.top_pairs, df.iloc[:, :12], k=2)
    assert len(passes) == 2  # the screen's, and the candidates'


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"k": 0}, ValueError, r"k must be at least 1"),
        ({"k": 2.5}, TypeError, r"k must be a positive integer or None"),
        ({"k": True}, TypeError, r"k must be a positive integer"),
        ({"threshold": -0.1}, ValueError, r"threshold must be a finite number >= 0"),
        ({"threshold": float("nan")}, ValueError, r"threshold must be a finite number"),
        ({"threshold": "0.1"}, TypeError, r"threshold must be a number"),
        ({"k": None, "threshold": None}, ValueError, r"k=None and threshold=None"),
        ({"columns": ["c000"]}, ValueError, r"at least two columns"),
        ({"columns": ["c000", "nope"]}, KeyError, r"unknown column"),
    ],
)
def test_bad_input(table, kwargs, error, match) -> None:
    df, _ = table
    with pytest.raises(error, match=match):
        dmi.top_pairs(df, **kwargs)


def test_edges_are_answers_not_crashes() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.integers(0, 3, 300), "b": rng.normal(size=300), "flat": 1.0, "empty": np.nan})
    df["a2"] = df["a"]
    got = _quiet(dmi.top_pairs, df, k=2)
    assert {"a", "a2"} == set(got.iloc[0][["x", "y"]])
    assert not got["mi"].isna().any()  # an all-missing column has no pair to report
    wide = pd.DataFrame(rng.integers(0, 2, (10, 400)), columns=[f"w{j}" for j in range(400)])
    got = _quiet(dmi.top_pairs, wide, k=1)  # more columns than rows: the pairs above the noise, exact
    dense = _quiet(dmi.mutual_info_matrix, wide.iloc[:, :40])
    assert not got["mi"].isna().any() and got.attrs["candidates"] < got.attrs["pairs"]
    for x, y, mi in got[got["x"].isin(dense.columns) & got["y"].isin(dense.columns)][["x", "y", "mi"]].values:
        assert dense.loc[x, y] == mi
    with pytest.raises(ValueError, match="duplicate"):
        dmi.top_pairs(pd.DataFrame(np.zeros((5, 2)), columns=["x", "x"]), k=1)


# --- the screen's math, directly --------------------------------------------------------------


def test_codes_bin_numbers_and_pool_rare_categories() -> None:
    x = pd.Series(np.arange(100, dtype=float))
    codes = codes_of(x, 4)
    assert sorted(np.bincount(codes)) == [25, 25, 25, 25]
    few = codes_of(pd.Series([3, 1, 1, None, 3], dtype="Int64"), 4)
    np.testing.assert_array_equal(few, [1, 0, 0, -1, 1])
    words = pd.Series([*"aaaabbbccd", None])
    np.testing.assert_array_equal(codes_of(words, 3), [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, -1])


def test_block_scores_equal_the_plug_in_mi_less_its_bias() -> None:
    from sklearn.metrics import mutual_info_score

    rng = np.random.default_rng(5)
    codes = rng.integers(0, 4, (2_000, 6)).astype(np.int8)
    codes[:, 1] = (codes[:, 0] + (rng.random(2_000) < 0.3)) % 4
    codes[rng.random(2_000) < 0.1, 2] = -1
    found = Candidates.concat(
        [block_scores(pack_codes(codes, 4), a, b, 4, keep=6, floor=-np.inf) for a, b in column_blocks(6, 4)]
    )
    assert len(found.i) == 15  # every pair, once
    for i, j, s in zip(found.i, found.j, found.score, strict=True):
        both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        mi = mutual_info_score(codes[both, i], codes[both, j])
        r, c = np.unique(codes[both, i]).size, np.unique(codes[both, j]).size
        assert s == pytest.approx(mi - (r - 1) * (c - 1) / (2 * both.sum()), rel=1e-9, abs=1e-12)
    best = best_partners(found, 6, keep=1)
    assert [0, 1] in best.tolist()


def test_a_wide_tree_is_built_from_the_strongest_partners(monkeypatch) -> None:
    """Past dmi.structure.WIDE columns, dependency_tree takes its edges from top_pairs: on a
    table of groups (chains of noisy copies), the same tree as from every pair."""
    from dmi import structure

    rng = np.random.default_rng(9)
    n, groups, size = 3_000, 8, 6
    cols = {}
    for g in range(groups):
        prev = rng.integers(0, 4, n)
        for c in range(size):
            prev = np.where(rng.random(n) < 0.25 + 0.05 * c, rng.integers(0, 4, n), prev)
            cols[f"g{g}_{c}"] = prev
    df = pd.DataFrame(cols)
    monkeypatch.setattr(structure, "WIDE", 10**6)
    dense = dmi.dependency_tree(df, alpha=0.01)  # the forest of the groups' chains
    monkeypatch.setattr(structure, "WIDE", 20)
    wide = dmi.dependency_tree(df, alpha=0.01)
    same = ["x", "y", "mi", "n", "p_value"]  # q-values: over all pairs, the unscreened as p = 1
    key = ["x", "y"]
    both = wide[same].merge(dense[same], on=key, suffixes=("", "_dense"))
    assert len(both) == len(wide) >= groups * (size - 1)  # every chain edge, each a dense edge
    for c in ("mi", "n", "p_value"):
        assert (both[c] == both[f"{c}_dense"]).all(), c
    # a dense edge the wide tree lacks is one the screen's noise floor leaves out: not
    # significant at 0.01 over a column's 47 partners (Bonferroni)
    from dmi._math.screen import NOISE_ALPHA

    missing = dense.merge(wide[key], on=key, how="left", indicator=True).query("_merge == 'left_only'")
    assert (missing["p_value"] > NOISE_ALPHA / (groups * size - 1)).all()


def test_a_dependence_the_bins_hide_is_missed_as_documented() -> None:
    """``y = x mod 7`` is nearly invisible once x's 140 values are pooled into the screen's 8
    codes: when x and y each have stronger-looking partners, the screen misses x ~ y, the
    strongest pair of both. The documented weakness, kept visible by this test."""
    rng = np.random.default_rng(4)
    n = 20_000
    x = rng.integers(0, 140, n)
    y = x % 7
    cols = {"x": x, "y": y.astype(str)}
    for i in range(4):
        cols[f"v{i}"] = x + rng.normal(0, 20, n)  # x's look-alikes, in the bins
        cols[f"u{i}"] = np.where(rng.random(n) < 0.2, rng.integers(0, 7, n), y).astype(str)
    df = pd.DataFrame(cols)
    discrete = ["x", "y", *(f"u{i}" for i in range(4))]
    dense = _quiet(dmi.mutual_info_matrix, df, discrete=discrete)
    assert dense.loc["x", "y"] == pytest.approx(np.log(7), rel=1e-3)
    assert dense.loc["x"].drop("x").idxmax() == "y" and dense.loc["y"].drop("y").idxmax() == "x"
    got = _quiet(dmi.top_pairs, df, k=1, discrete=discrete)
    assert not (((got["x"] == "x") & (got["y"] == "y")) | ((got["x"] == "y") & (got["y"] == "x"))).any()


def test_wide_column_groups_from_the_strongest_partners(monkeypatch) -> None:
    """Past dmi.structure.WIDE columns, column_groups takes SU from top_pairs (0 for the pairs
    the screen left out): on a table of redundant groups, the same groups."""
    from dmi import structure

    rng = np.random.default_rng(12)
    n, groups, size = 4_000, 6, 4
    cols = {}
    for g in range(groups):
        base = rng.integers(0, 6, n)
        for c in range(size):
            cols[f"g{g}_{c}"] = np.where(rng.random(n) < 0.1, rng.integers(0, 6, n), base)
    cols |= {f"noise{j}": rng.integers(0, 6, n) for j in range(10)}
    df = pd.DataFrame(cols)
    monkeypatch.setattr(structure, "WIDE", 10**6)
    dense = dmi.column_groups(df, threshold=0.5)
    monkeypatch.setattr(structure, "WIDE", 10)
    wide = dmi.column_groups(df, threshold=0.5)
    pd.testing.assert_series_equal(wide, dense)
    assert wide.nunique() == groups + 10


def test_bit_sets_hold_each_codes_rows() -> None:
    """A code's bit set holds its rows (little-endian bits, 64 rows a word), across a row
    count that is not a multiple of 64; a missing value is in none of its column's sets."""
    rng = np.random.default_rng(2)
    codes = rng.integers(-1, 5, (1_001, 7)).astype(np.int8)
    bits = pack_codes(codes, 5)
    assert bits.shape == (35, 16) and bits.dtype == np.uint64
    rows = np.unpackbits(bits.view(np.uint8), axis=1, bitorder="little")
    hot = np.zeros((1_001, 35), dtype=np.uint8)
    r, c = np.nonzero(codes >= 0)
    hot[r, c * 5 + codes[r, c]] = 1
    np.testing.assert_array_equal(rows[:, :1_001], hot.T)
    assert not rows[:, 1_001:].any()  # the padding


def test_reported_statistics_are_the_tables(table) -> None:
    """Each reported pair's statistics, p-value included, are mutual_info_table's."""
    df, _ = table
    got = _quiet(dmi.top_pairs, df, k=2)
    full = _quiet(dmi.mutual_info_table, df).set_index(["x", "y"])
    for row in got.itertuples():
        ref = full.loc[(row.x, row.y)]
        assert row.mi == ref["mi"] and row.estimator == ref["estimator"]
        assert row.p_value == ref["p_value"] or (np.isnan(row.p_value) and np.isnan(ref["p_value"]))
