"""The structure of a table from its MI: :func:`dependency_tree` (Chow-Liu) and
:func:`column_groups` (redundant columns)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Unpack

import numpy as np
import pandas as pd

from dmi._engine.basis import basis_of
from dmi._engine.notes import UntestedPairsWarning, first_names, warn
from dmi._engine.request import DataLike, check_options, unit_of_base
from dmi._engine.signatures import (
    AssociationKeywords,
    KnnKeywords,
    WeightedEstimatorKeywords,
    knn_only,
    takes,
)
from dmi._engine.validate import check_alpha
from dmi.api import mutual_info_table
from dmi.association import association_matrix
from dmi.pairs import top_pairs

WIDE = 300
"""Past this many columns, :func:`dependency_tree` builds its tree from :func:`dmi.top_pairs`."""
WIDE_K = 10


def _spanning_forest(n: int, edges: list[tuple[float, int, int]]) -> list[int]:
    """Kruskal: positions in ``edges`` (weight, a, b) of a maximum spanning forest of ``n``
    nodes; heavier edges first, equal weights in their given order."""
    parent = list(range(n))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    order = sorted(range(len(edges)), key=lambda k: -edges[k][0])  # stable: ties keep their order
    chosen = []
    for k in order:
        _, a, b = edges[k]
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            chosen.append(k)
    return chosen


@takes(WeightedEstimatorKeywords)
def dependency_tree(
    data: DataLike,
    columns: Sequence[Hashable] | None = None,
    *,
    alpha: float | None = None,
    knn_permutations: int = 0,
    **options: Unpack[WeightedEstimatorKeywords],
) -> pd.DataFrame:
    """The Chow-Liu tree of a table: the maximum spanning tree of its MI matrix.

    Chow and Liu (1968): of all trees over the columns, the one whose edges' MI sum is
    largest is the best tree-shaped approximation of the joint distribution (in
    Kullback-Leibler divergence). One pass over the data (as
    :func:`dmi.mutual_info_table`), then Kruskal's algorithm on the pairs' MI, heavier
    edges first, equal MI in the matrix's pair order.

    With ``alpha``, only edges whose G-test of independence is significant after
    Benjamini-Hochberg over all pairs (``q_value <= alpha``) are eligible, and the
    result is the maximum spanning *forest* of those: columns independent of the rest
    are left unlinked instead of being joined by the least bad edge. k-NN pairs
    (continuous columns) have a p-value only with ``knn_permutations > 0`` (or use
    ``method='binned'``); under ``alpha`` a pair without one is not eligible, and a
    :class:`dmi.UntestedPairsWarning` names those pairs.

    **Wide tables.** Past 300 columns (with ``method='auto'`` and no
    ``knn_permutations``), the candidate edges are each column's 10 strongest partners
    from :func:`dmi.top_pairs` instead of all pairs: two passes whatever the width, and
    the same tree whenever each of its edges is among the 10 strongest partners of one of
    its ends (as in tables made of groups of related columns).

    Parameters
    ----------
    data, columns, discrete, method, bins, n_neighbors, sample_size, base, dropna, \
random_state, split_every, progress, max_categories, knn_permutations, weights
        As for :func:`dmi.mutual_info_table`; ``data`` may be a :class:`dmi.Summary`.
    alpha : float, optional
        Keep only edges significant at this false-discovery rate, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row per edge, heaviest first: ``x``, ``y``, ``mi`` (units of ``base``),
        ``n`` (rows used), ``p_value``, ``q_value``. ``attrs``: ``columns`` (every
        node), ``alpha``, ``unit``. A tree has one edge fewer than columns; a forest
        fewer still.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dmi
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 4, 5_000)
    >>> b = np.where(rng.random(5_000) < 0.8, a, rng.integers(0, 4, 5_000))
    >>> c = np.where(rng.random(5_000) < 0.8, b, rng.integers(0, 4, 5_000))
    >>> df = pd.DataFrame({"a": a, "b": b, "c": c, "noise": rng.integers(0, 4, 5_000)})
    >>> dmi.dependency_tree(df, alpha=0.05)[["x", "y"]].values.tolist()  # a chain; noise alone
    [['a', 'b'], ['b', 'c']]
    """
    check_alpha(alpha, optional=True)
    opened = basis_of(data)
    all_names = opened.columns
    width = len(all_names) if columns is None else len(columns)
    opts = check_options(**options)  # every keyword checked once, before any data is read
    if width > WIDE and opts.method == "auto" and knn_permutations == 0:
        # a wide table: the maximum spanning tree of each column's WIDE_K strongest partners
        # (dmi.top_pairs). It is the tree of all pairs whenever each tree edge is among the
        # strongest partners of one of its ends, as in tables of groups; else a lighter tree
        table = top_pairs(opened, columns, k=WIDE_K, **knn_only(options))
        return _tree(table, list(all_names if columns is None else columns), alpha, opts.base)
    table = mutual_info_table(opened, columns, knn_permutations=knn_permutations, p_value="chi2", **options)
    names = list(dict.fromkeys([*table["x"], *table["y"]]))
    if len(names) < 2 and columns is not None:
        names = list(columns)
    return _tree(table, names, alpha, opts.base)


def _tree(table: pd.DataFrame, names: list[Hashable], alpha: float | None, base: float) -> pd.DataFrame:
    """The maximum spanning forest of ``table``'s pairs over ``names`` (with ``alpha``: of its
    significant pairs only)."""
    node = {c: i for i, c in enumerate(names)}
    eligible = table["mi"].notna()
    if alpha is not None:
        untested = table[eligible & table["p_value"].isna()]
        if len(untested):
            pairs = (f"{x!r} ~ {y!r}" for x, y in zip(untested["x"], untested["y"], strict=True))
            shown = first_names(pairs, most=6)
            warn(
                f"alpha={alpha:g} leaves out {len(untested)} pair(s) that have no p-value: {shown} (k-NN "
                "pairs of continuous columns are tested only with knn_permutations > 0, e.g. 199; or "
                "use method='binned'), so those columns may be left unlinked however strong the pair",
                UntestedPairsWarning,
            )
        eligible &= table["q_value"] <= alpha
    picked = table[eligible]
    edges = [
        (float(m), node[x], node[y]) for x, y, m in zip(picked["x"], picked["y"], picked["mi"], strict=True)
    ]
    chosen = _spanning_forest(len(names), edges)
    tree = picked.iloc[chosen][["x", "y", "mi", "n", "p_value", "q_value"]].reset_index(drop=True)
    tree.attrs.update(columns=names, alpha=alpha, unit=unit_of_base(base))
    return tree


@takes(AssociationKeywords)
def column_groups(
    data: DataLike | pd.DataFrame,
    threshold: float = 0.2,
    *,
    columns: Sequence[Hashable] | None = None,
    **options: Unpack[AssociationKeywords],
) -> pd.Series:
    """Groups of redundant columns: hierarchical clustering on a normalized distance.

    The distance of two columns is ``1 - SU``, where ``SU = 2 I / (H(X) + H(Y))`` is the
    symmetric uncertainty: the variation of information ``H(X) + H(Y) - 2 I`` divided by
    ``H(X) + H(Y)``, so 0 for columns that determine each other and 1 for independent
    ones. Average linkage (scipy), cut at ``threshold``: every two columns of a group
    are on average closer than it. Continuous columns need ``method="binned"`` (their SU
    needs entropies).

    Parameters
    ----------
    data : DataFrame, paths, dmi.Summary, or an association matrix
        The table, or a result of :func:`dmi.association_matrix` with
        ``measure="symmetric_uncertainty"`` (reused, no pass).
    threshold : float, default 0.2
        The largest average distance within a group, in (0, 1].
    columns : list, optional
        The columns to group (default: all).
    <keywords>

    **Wide tables.** Past 300 columns (``method='auto'``), SU is computed for each column's
    10 strongest partners (:func:`dmi.top_pairs`) and taken as 0 (distance 1) for the pairs
    the screen left out, which are weaker: the groups of redundant columns are the same
    whenever each column's group-mates are among its 10 strongest partners.

    Returns
    -------
    pandas.Series
        The group number of each column (1 = the largest group), indexed by column,
        sorted by group; a column unlike every other is a group of its own.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    if isinstance(data, pd.DataFrame) and data.attrs.get("measure") == "symmetric_uncertainty":
        su = data if columns is None else data.loc[list(columns), list(columns)]
    else:
        opened = basis_of(data)
        names = opened.columns
        names = names if columns is None else list(columns)
        if len(names) > WIDE and options.get("method", "auto") == "auto":
            su = _sparse_su(opened, names, knn_only(options))
        else:
            su = association_matrix(opened, columns, measure="symmetric_uncertainty", **options)
    values = su.to_numpy(dtype=np.float64)
    missing = [str(c) for c, row in zip(su.index, values, strict=True) if np.isnan(row).any()]
    if missing:
        raise ValueError(
            f"column(s) {missing} have no symmetric uncertainty with every other column (continuous "
            "columns need method='binned'; empty columns have none)"
        )
    names = list(su.index)
    if len(names) == 1:
        return pd.Series([1], index=pd.Index(names), name="group")
    distance = 1.0 - (values + values.T) / 2
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(np.clip(distance, 0, 1), checks=False), "average")
    labels = list(fcluster(tree, threshold, "distance"))
    sizes = pd.Series(labels).value_counts()
    by_size = sorted(sizes.index, key=lambda g: (-sizes[g], labels.index(g)))  # ties: the first column's
    rank = {g: i + 1 for i, g in enumerate(by_size)}
    groups = pd.Series([rank[g] for g in labels], index=pd.Index(names), name="group")
    return groups.sort_values(kind="stable")


def _sparse_su(opened: Any, names: list[Hashable], options: KnnKeywords) -> pd.DataFrame:
    """Symmetric uncertainty of each column's strongest partners (``top_pairs``), 0 for the
    pairs it did not compute, 1 on the diagonal; NaN where a computed pair has none (k-NN)."""
    table = top_pairs(opened, names, k=WIDE_K, **options)
    position = {c: i for i, c in enumerate(names)}
    su = np.zeros((len(names), len(names)))
    np.fill_diagonal(su, 1.0)
    i = table["x"].map(position).to_numpy()
    j = table["y"].map(position).to_numpy()
    # nmi with the arithmetic mean of the entropies is 2 I / (H(X) + H(Y)): SU
    su[i, j] = su[j, i] = table["nmi"].to_numpy(dtype=np.float64)
    return pd.DataFrame(su, index=pd.Index(names), columns=pd.Index(names))
