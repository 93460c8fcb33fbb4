"""dmi.dependency_tree against networkx's maximum spanning tree of scikit-learn's pairwise
MI; the significance forest; dmi.column_groups on planted groups."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mutual_info_score

import dmi


def _chain(seed: int, n: int = 4_000, noise_columns: int = 3) -> pd.DataFrame:
    """A Markov chain a -> b -> c -> d (each a noisy copy of the last) and independent noise."""
    rng = np.random.default_rng(seed)
    cols = {"a": rng.integers(0, 4, n)}
    for prev, name, keep in [("a", "b", 0.8), ("b", "c", 0.6), ("c", "d", 0.7)]:
        cols[name] = np.where(rng.random(n) < keep, cols[prev], rng.integers(0, 4, n))
    for i in range(noise_columns):
        cols[f"noise{i}"] = rng.integers(0, 3 + i, n)
    return pd.DataFrame(cols)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tree_equals_networkx_on_sklearn_mi(seed: int) -> None:
    df = _chain(seed)
    graph = nx.Graph()
    for a, b in itertools.combinations(df.columns, 2):
        graph.add_edge(a, b, weight=mutual_info_score(df[a], df[b]))
    want = {frozenset(e) for e in nx.maximum_spanning_tree(graph).edges()}
    tree = dmi.dependency_tree(df, discrete=True)
    assert {frozenset(e) for e in zip(tree["x"], tree["y"], strict=True)} == want
    assert len(tree) == df.shape[1] - 1
    for x, y, mi in zip(tree["x"], tree["y"], tree["mi"], strict=True):
        assert mi == pytest.approx(mutual_info_score(df[x], df[y]), rel=1e-9)
    assert list(tree["mi"]) == sorted(tree["mi"], reverse=True)


def test_with_alpha_independent_columns_are_not_linked_in_most_seeds() -> None:
    # measured over 100 seeds: noise linked in 11 at alpha=0.05 (BH bounds the share of
    # false edges, not the chance of one), in 2 at alpha=0.01; the chain never broken
    seeds = range(40)
    clean = 0
    for seed in seeds:
        tree = dmi.dependency_tree(_chain(seed, n=2_000), discrete=True, alpha=0.01)
        linked = set(tree["x"]) | set(tree["y"])
        clean += not any(c.startswith("noise") for c in linked) and {"a", "b", "c", "d"} <= linked
    assert clean / len(seeds) >= 0.95


def test_the_tree_takes_one_pass_over_parquet(tmp_path, count_computes) -> None:
    df = _chain(0)
    for i in range(2):
        df.iloc[i * 2_000 : (i + 1) * 2_000].to_parquet(tmp_path / f"p{i}.parquet", index=False)
    tree = dmi.dependency_tree(tmp_path, discrete=True)
    assert count_computes.calls == 1
    pd.testing.assert_frame_equal(tree, dmi.dependency_tree(df, discrete=True), check_exact=False, rtol=1e-12)


def test_tree_bad_alpha() -> None:
    with pytest.raises(ValueError, match=r"alpha must be None or a number in \(0, 1\)"):
        dmi.dependency_tree(_chain(0), alpha=1.5)


def test_column_groups_find_the_planted_groups() -> None:
    rng = np.random.default_rng(0)
    n = 5_000
    a, b = rng.integers(0, 5, n), rng.integers(0, 3, n)
    df = pd.DataFrame(
        {
            "a": a,
            "a_copy": a,
            "a_renamed": (a * 7 + 1) % 5,  # a bijection of a
            "b": b,
            "b_mostly": np.where(rng.random(n) < 0.97, b, rng.integers(0, 3, n)),
            "noise": rng.integers(0, 4, n),
        }
    )
    groups = dmi.column_groups(df, threshold=0.3, discrete=True)
    assert groups["a"] == groups["a_copy"] == groups["a_renamed"] == 1
    assert groups["b"] == groups["b_mostly"] == 2
    assert groups["noise"] == 3
    su = dmi.association_matrix(df, measure="symmetric_uncertainty", discrete=True)
    pd.testing.assert_series_equal(dmi.column_groups(su, threshold=0.3), groups)  # from the matrix, no pass
    with pytest.raises(ValueError, match="threshold must be in"):
        dmi.column_groups(su, threshold=0)
    with pytest.warns(dmi.UndefinedMeasureWarning), pytest.raises(ValueError, match="need method='binned'"):
        dmi.column_groups(df.assign(x=rng.standard_normal(n)), discrete=list(df.columns), random_state=0)


def test_plot_tree_draws_every_column_and_edge(tmp_path) -> None:
    from dmi import plot

    tree = dmi.dependency_tree(_chain(0), discrete=True, alpha=0.01)
    ax = plot.tree(tree)
    names = {t.get_text() for t in ax.texts}
    assert set(tree.attrs["columns"]) <= names  # the noise columns stand alone
    assert len(ax.lines) == len(tree) == 3
    assert ax.get_title() == "Dependency forest (MI in nats)"
    ax.figure.savefig(tmp_path / "tree.png")
    assert (tmp_path / "tree.png").stat().st_size > 5_000


def test_tree_and_groups_from_a_merged_summary_equal_the_data() -> None:
    df = _chain(3)
    merged = dmi.summarize(df.iloc[:1_500], random_state=0).merge(
        dmi.summarize(df.iloc[1_500:], random_state=0)
    )
    want = dmi.dependency_tree(df, alpha=0.01)  # integers with few values: discrete under "auto"
    pd.testing.assert_frame_equal(
        dmi.dependency_tree(merged, alpha=0.01), want, check_exact=False, rtol=1e-12
    )
    pd.testing.assert_series_equal(dmi.column_groups(merged), dmi.column_groups(df))
