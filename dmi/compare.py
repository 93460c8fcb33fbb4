"""Drift between two versions of a table: :func:`drift` and its result, :class:`Drift`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Unpack

import pandas as pd

from dmi._engine import drift as engine
from dmi._engine.basis import Basis, Stored, basis_of
from dmi._engine.columns import check_known, select_columns
from dmi._engine.request import DataLike, unit_of_base
from dmi._engine.select import binned_options
from dmi._engine.signatures import WeightedBinnedKeywords, takes
from dmi._engine.summarize import summarize
from dmi._engine.validate import check_alpha, check_positive_int
from dmi.summary import Summary


@dataclass(frozen=True, eq=False)
class Drift:
    """What changed between two versions of a table: the result of :func:`dmi.drift`.

    Attributes
    ----------
    columns : pandas.DataFrame
        One row per column, in the table's order: ``column``, ``mi`` (``I(column;
        version)``), ``js_divergence``, ``g``, ``dof``, ``p_value``, ``q_value``,
        ``n_before``, ``n_after``, ``basis``, ``drifted`` (``q_value <= alpha``).
    pairs : pandas.DataFrame
        One row per pair (empty with ``pairs=False``): ``x``, ``y``, ``mi_before``,
        ``mi_after``, ``change`` (after minus before), ``p_value``, ``q_value``,
        ``n_before``, ``n_after``, ``basis``, ``changed`` (``q_value <= alpha``).
    """

    columns: pd.DataFrame
    pairs: pd.DataFrame

    def __repr__(self) -> str:
        a = self.columns.attrs
        cols = self.columns
        text = (
            f"dmi.Drift({a['n_before']:,} rows before, {a['n_after']:,} after; "
            f"{int(cols['drifted'].sum())} of {len(cols)} columns drifted"
        )
        if len(self.pairs):
            text += f", {int(self.pairs['changed'].sum())} of {len(self.pairs)} pairs changed"
        return text + f" at q <= {a['alpha']})"


def _check_weights(opened: list[Basis], weights: Hashable, columns: Sequence[Hashable] | None) -> None:
    """ValueError when a side cannot be weighed by ``weights``: a summary made otherwise,
    or the weight column among ``columns``; KeyError when a side lacks it."""
    if columns is not None and weights in list(columns):
        raise ValueError(f"the weights column {weights!r} is also in columns=; leave it out")
    for name, side in zip(("before", "after"), opened, strict=True):
        if isinstance(side, Stored):
            if side.summary.weights != weights:
                made = "without weights" if side.summary.weights is None else f"with {side.summary.weights!r}"
                raise ValueError(f"weights={weights!r}, but the {name} summary was made {made}")
        else:
            check_known(f"weights ({name})", [weights], side.columns)


@takes(WeightedBinnedKeywords)
def drift(
    before: DataLike,
    after: DataLike,
    columns: Sequence[Hashable] | None = None,
    *,
    pairs: bool = True,
    alpha: float = 0.05,
    permutations: int = 9_999,
    **options: Unpack[WeightedBinnedKeywords],
) -> Drift:
    """Which columns' distributions, and which pairs' dependence, differ between two versions.

    Each side is data (as for :func:`dmi.mutual_info_matrix`: a pandas or Dask
    DataFrame, Parquet paths) or a :class:`dmi.Summary`; data is summarized first (one
    pass per side) and everything is computed from the two summaries, so a saved summary
    of last month's table is compared with this month's without reading last month's
    rows again, and ``drift(a, b)`` equals ``drift(dmi.summarize(a), dmi.summarize(b))``.

    **Columns.** For each column ``X`` and the version ``V`` (before or after):
    ``I(X; V)``, the information the version carries about the column, with the G-test
    of homogeneity (``G = 2 N I`` in nats over both sides' ``N`` rows, ``dof = K - 1``
    for the ``K`` values seen) and its Benjamini-Hochberg q-value over the columns.
    ``I(X; V)`` depends on the share of rows each side has; ``js_divergence``, the
    Jensen-Shannon divergence of the two distributions (in ``[0, ln 2]`` nats), does not,
    and is the effect size to compare across tables.

    **Pairs.** MI before and after, and a permutation test of the change: under the
    null hypothesis that the pair's joint distribution is the same in both versions,
    the pooled table's rows are dealt out again to the two sides, each keeping its
    number of rows (a multivariate hypergeometric draw over the cells, from the counts
    alone), ``permutations`` times; the statistic is ``|MI_after - MI_before|`` and
    ``p = (1 + #{permuted >= observed}) / (1 + permutations)``. A shift of one column's
    distribution that leaves the dependence alone seldom moves it; a change in
    dependence does.

    ============================= ========================== ==========================
    column kind                   compared on                rows (``n_before``, ...)
    ============================= ========================== ==========================
    discrete; integer with at     the exact counts           every row (missing ones
    most 64 values                                           dropped with ``dropna``)
    continuous; integer with      ``bins`` quantile bins of  each side's sample
    more values                   the pooled samples         (``sample_size`` rows)
    discrete with more than       not compared (NaN)         0
    ``max_categories`` values
    ============================= ========================== ==========================

    A pair is compared on counts when both its columns are, otherwise on the samples.
    The ``basis`` column says which.

    Parameters
    ----------
    before, after : DataFrame, path(s) or dmi.Summary
        The two versions.
    columns : list, optional
        The columns to compare; by default those both sides have (the others are listed
        in ``attrs["only_before"]`` and ``attrs["only_after"]``).
    pairs : bool, default True
        Also compare every pair's dependence.
    alpha : float, default 0.05
        The false-discovery rate of the ``drifted`` and ``changed`` flags.
    permutations : int, default 199
        Permutations per pair; the smallest p-value is ``1 / (1 + permutations)``.
    bins : int or 'auto', default 'auto'
        Quantile bins of a sampled column. ``'auto'``: ``floor(sqrt(n / 5))`` from 2 to 32,
        n the smaller side's sample rows; the bins used are in ``attrs["bins"]``.
    base : float, default e
        Unit of ``mi``, ``js_divergence`` and the pairs' MI (2: bits).
    dropna : bool, default True
        Leave missing values out (else missing is a value of its own).
    discrete, sample_size, split_every, progress, max_categories, weights
        As for :func:`dmi.summarize`, for a side given as data. With a summary on one
        side, the other is summarized with its ``max_categories`` unless given. Both
        sides are weighted by ``weights`` (a summary must have been made with it).
    random_state : int, Generator or None
        Seed of the data sides' samples and of the permutations (None: 0).

    Returns
    -------
    Drift
        ``.columns`` and ``.pairs`` tables; both carry ``attrs``: ``unit``, ``alpha``,
        ``n_before``, ``n_after``, ``only_before``, ``only_after``, ``edges`` (each
        binned column's bin edges), ``permutations``.

    Raises
    ------
    KeyError
        A column in ``columns`` that a side lacks (naming the side).
    ValueError
        A column whose kind differs between the sides (say ``discrete=[...]``), summaries
        with different ``max_categories``, or a summary made with ``given=``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dmi
    >>> rng = np.random.default_rng(0)
    >>> old = pd.DataFrame({"plan": rng.choice(["a", "b"], 5_000), "x": rng.normal(size=5_000)})
    >>> new = pd.DataFrame({"plan": rng.choice(["a", "b"], 5_000, p=[0.3, 0.7]),
    ...                     "x": rng.normal(size=5_000)})
    >>> result = dmi.drift(old, new)
    >>> result.columns[["column", "drifted"]].values.tolist()
    [['plan', True], ['x', False]]
    """
    check_alpha(alpha)
    check_positive_int("permutations", permutations)
    if not isinstance(pairs, bool):
        raise TypeError(f"pairs must be True or False, got {pairs!r}")
    opts = binned_options(**options)
    # each side opened once (files' footers, headers): its columns now, its pass below
    opened = [basis_of(side) for side in (before, after)]
    names = [[c for c in side.columns if c != opts.weights] for side in opened]
    if opts.weights is not None:
        _check_weights(opened, opts.weights, columns)
    if columns is None:
        theirs = set(names[1])
        labels = [c for c in names[0] if c in theirs]
        if not labels:
            raise ValueError(f"the two sides have no column in common: {names[0]!r} and {names[1]!r}")
    else:
        labels = select_columns(columns, names[0])
        check_known("columns (after)", labels, names[1])
    stored = [side.summary for side in opened if isinstance(side, Stored)]
    cap = stored[0].max_categories if stored and not opts.cap_given else opts.max_categories

    def summary_of(side: Basis) -> Summary:
        if isinstance(side, Stored):
            return side.summary
        return summarize(
            side.source,
            labels,
            discrete=opts.discrete,
            sample_size=opts.sample_size,
            random_state=opts.seed,
            split_every=opts.split_every,
            progress=opts.progress,
            max_categories=cap,
            weights=opts.weights,
        )

    sides = summary_of(opened[0]), summary_of(opened[1])
    engine.check_sides(*sides, labels)
    plan = engine.plan(*sides, labels, opts.bins)
    table = engine.columns_table(plan, opts.dropna, opts.base)
    table["drifted"] = table["q_value"] <= alpha
    if pairs and len(labels) > 1:
        changes = engine.pairs_table(plan, opts.dropna, opts.base, permutations, opts.seed, opts.progress)
    else:
        changes = engine.empty_pairs()
    changes["changed"] = changes["q_value"] <= alpha
    attrs = {
        "unit": unit_of_base(opts.base),
        "alpha": alpha,
        "n_before": sides[0].n_rows,
        "n_after": sides[1].n_rows,
        "only_before": [c for c in names[0] if c not in set(names[1])],
        "only_after": [c for c in names[1] if c not in set(names[0])],
        "edges": dict(plan.edges),
        "bins": plan.bins,
        "permutations": permutations,
    }
    table.attrs.update(attrs)
    changes.attrs.update(attrs)
    return Drift(table, changes)
