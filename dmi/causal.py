"""Conditional independence and causal structure: :func:`independence_test` of sets of
columns over all rows, and :func:`causal_skeleton` (PC-stable, one pass per level)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Unpack

import numpy as np
import pandas as pd

from dmi._engine.basis import Stored, basis_of
from dmi._engine.given_sets import check_disjoint, column_set, open_data
from dmi._engine.independence import METHODS, CiTest, Outcome, Settings, run_tests
from dmi._engine.keywords import Options
from dmi._engine.request import DataLike, check_options, unit
from dmi._engine.signatures import KnnKeywords, takes
from dmi._engine.skeleton import pc_stable
from dmi._engine.validate import check_choice, check_positive_int
from dmi._math import pc
from dmi._math.estimators import to_base


@dataclass(frozen=True)
class IndependenceResult:
    """The outcome of :func:`independence_test`."""

    x: tuple[Hashable, ...]
    y: tuple[Hashable, ...]
    given: tuple[Hashable, ...]
    mi: float
    """``I(X;Y|given)`` in units of ``base`` (not below 0)."""
    statistic: float
    """``G = 2 N I`` (I in nats) for counted tests; the k-NN estimate in nats (not clipped) otherwise."""
    p_value: float
    dof: float
    """``sum_z (R_z - 1)(C_z - 1)`` for counted tests; NaN for k-NN tests."""
    n: float
    """Rows used: all complete rows for counted tests (with weights, their sum), complete
    sample rows for k-NN tests."""
    method: str
    """``'g-test'``, ``'permutation'``, ``'knn-permutation'`` or ``'knn'`` (no p-value)."""
    unit: str

    def independent(self, alpha: float = 0.05) -> bool:
        """Whether the test does not reject independence at level ``alpha``."""
        return not self.p_value <= alpha


def settings_of(method: str, permutations: int, knn_permutations: int, k_perm: int) -> Settings:
    """The tests' settings, checked."""
    check_choice("method", method, METHODS)
    check_positive_int("permutations", permutations)
    check_positive_int("knn_permutations", knn_permutations, minimum=0)
    check_positive_int("k_perm", k_perm)
    return Settings(method, int(permutations), int(knn_permutations), int(k_perm))


@takes(KnnKeywords)
def independence_test(
    data: DataLike,
    x: Hashable | Sequence[Hashable],
    y: Hashable | Sequence[Hashable],
    given: Hashable | Sequence[Hashable] = (),
    *,
    method: str = "auto",
    permutations: int = 999,
    knn_permutations: int = 199,
    k_perm: int = 5,
    **options: Unpack[KnnKeywords],
) -> IndependenceResult:
    """Test whether ``x`` and ``y`` are independent given ``given``, over all rows.

    ``x``, ``y`` and ``given`` are columns or lists of columns (sets: ``x=["a", "b"]`` is
    the pair of columns as one variable).

    - Every column discrete (integer columns count as discrete): the exact joint counts
      of all rows, gathered in one pass; the G-test ``G = 2 N I(X;Y|Z)`` against
      chi-square with ``sum_z (R_z - 1)(C_z - 1)`` degrees of freedom (``R_z``, ``C_z``:
      the values of ``X`` and ``Y`` seen in stratum ``z``), or the permutation test within
      strata where the table is sparse.
    - A continuous column anywhere: on the uniform sample, the Frenzel-Pompe estimate of
      ``I(X;Y|Z)`` (k nearest neighbours in max-norm; discrete columns as strata) and the
      local-permutation test of Runge (2018): ``X`` shuffled among the ``k_perm`` points
      nearest in ``Z``, ``knn_permutations`` times.

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s) or dmi.Scan
        The table (not a :class:`dmi.Summary`: it holds no joint counts of sets).
    x, y : column name or list of column names
    given : column name or list of column names, default ()
        The conditioning set; empty for a test of (unconditional) independence.
    method : {'auto', 'g-test', 'permutation'}, default 'auto'
        How counted tests get their p-value: ``'auto'`` takes the permutation test where
        more than 20% of the expected counts of the strata are below 5 (Cochran's rule),
        the G-test elsewhere. k-NN tests always take the local permutation.
    permutations : int, default 999
        Random tables per permutation p-value of a counted test.
    knn_permutations : int, default 199
        Local permutations per k-NN test (0: no p-value, the estimate only).
    k_perm : int, default 5
        The neighbours in ``Z`` among which ``X`` is shuffled (k-NN tests).
    <keywords>

    Returns
    -------
    IndependenceResult
        ``mi``, ``statistic``, ``p_value``, ``dof``, ``n``, ``method``; see its fields.

    Raises
    ------
    KeyError
        A column that is not in the data.
    ValueError
        An empty ``x`` or ``y``; a column in two of ``x``, ``y`` and ``given``; a joint
        table too large to count (columns with very many values).

    Examples
    --------
    >>> import numpy as np, pandas as pd, dmi
    >>> rng = np.random.default_rng(0)
    >>> z = rng.integers(0, 3, 5000)
    >>> df = pd.DataFrame({"z": z, "x": z + rng.integers(0, 2, 5000), "y": z * rng.integers(1, 3, 5000)})
    >>> dmi.independence_test(df, "x", "y").p_value < 1e-10
    True
    >>> dmi.independence_test(df, "x", "y", given="z").p_value > 0.01
    True
    """
    opts = check_options(**options)
    settings = settings_of(method, permutations, knn_permutations, k_perm)
    basis = basis_of(data)  # data opened once
    available = basis.columns
    xs = column_set("x", x, available)
    ys = column_set("y", y, available)
    zs = column_set("given", given, available, empty_ok=True)
    check_disjoint(x=xs, y=ys, given=zs)
    test = CiTest(xs, ys, zs)
    source, kinds = open_data(basis, test.columns, opts, "independence_test")
    (out,) = run_tests(source, list(test.columns), kinds, [test], opts, settings).outcomes
    return result_of(test, out, opts)


def result_of(test: CiTest, out: Outcome, opts: Options) -> IndependenceResult:
    """The public result of one outcome, in the call's unit."""
    return IndependenceResult(
        test.x,
        test.y,
        test.given,
        float(to_base(out.mi, opts.base)),
        out.statistic,
        out.p_value,
        out.dof,
        out.n,
        out.method,
        unit(opts),
    )


@dataclass(frozen=True, eq=False)
class CausalGraph:
    """The result of :func:`causal_skeleton`: a CPDAG and how each removed edge was removed."""

    columns: tuple[Hashable, ...]
    edges: pd.DataFrame
    """One row per edge kept: ``x``, ``y``, ``edge`` (``'->'``: x causes y; ``'--'``:
    undirected, either way is consistent with the tests), and the largest p-value of its tests."""
    removed: pd.DataFrame
    """One row per edge removed: ``x``, ``y``, ``given`` (the separating set, a tuple),
    ``p_value``, ``statistic``, ``dof``, ``n``, ``method`` and ``level`` (the set's size).
    A permutation test (k-NN, or a sparse table's) stops once its decision is known: its
    p-value is then Besag and Clifford's (1991), ``h / permutations drawn``, above ``alpha``."""
    tests: int
    """Conditional tests computed."""
    passes: int
    """Passes over the data (one per level)."""
    alpha: float

    def skeleton(self) -> set[frozenset[Hashable]]:
        """The undirected edges, as sets of two columns."""
        return {frozenset((x, y)) for x, y in zip(self.edges.x, self.edges.y, strict=True)}

    def to_networkx(self) -> Any:
        """A ``networkx.DiGraph``: an arc per directed edge, both arcs per undirected one
        (edge attribute ``undirected``)."""
        try:
            import networkx as nx
        except ImportError as err:  # pragma: no cover - networkx ships with the test extra
            raise ImportError("CausalGraph.to_networkx needs networkx: pip install networkx") from err
        g = nx.DiGraph()
        g.add_nodes_from(self.columns)
        for x, y, edge in zip(self.edges.x, self.edges.y, self.edges.edge, strict=True):
            g.add_edge(x, y, undirected=edge == "--")
            if edge == "--":
                g.add_edge(y, x, undirected=True)
        return g


@takes(KnnKeywords)
def causal_skeleton(
    data: DataLike,
    columns: Sequence[Hashable] | None = None,
    *,
    alpha: float = 0.01,
    max_given: int = 3,
    method: str = "g-test",
    permutations: int = 999,
    knn_permutations: int = 99,
    k_perm: int = 5,
    **options: Unpack[KnnKeywords],
) -> CausalGraph:
    """The causal structure a table's conditional independences allow: PC-stable's
    skeleton and its CPDAG, with every test of one level counted in one pass over the data.

    PC-stable (Colombo and Maathuis 2014) starts from every pair of columns joined and
    removes ``x - y`` when a test finds them independent given some set of their
    neighbours, levels of 0, 1, ..., ``max_given`` conditioning columns in turn; the
    tests of a level use the neighbours at the start of the level, so the result does not
    depend on the order of the columns. Each level's tests (every edge with every set of
    that size) are gathered in one pass (:func:`independence_test` describes the tests),
    so the data is read at most ``max_given + 1`` times whatever the number of tests.
    Where several sets separate a pair, the one with the largest p-value is its separating
    set. The v-structures ``x -> z <- y`` (``x``, ``y`` not adjacent, ``z`` not in their
    separating set) are then oriented, and Meek's rules 1-3 orient what follows.

    Parameters
    ----------
    data : DataFrame, LazyFrame, Table, Dataset, path(s) or dmi.Scan
    columns : list of column names, optional
        The columns (default: all).
    alpha : float, default 0.01
        The level of each test: ``p > alpha`` removes an edge.
    max_given : int, default 3
        The largest conditioning set tested.
    method : {'g-test', 'auto', 'permutation'}, default 'g-test'
        How counted tests get their p-value, as for :func:`independence_test`. The
        default is the G-test everywhere, as causal-learn's ``gsq`` and pgmpy's ``g_sq``:
        ``'auto'`` takes the permutation test where a table is sparse, which is exact
        there but costs ``permutations`` random tables per such test (ALARM at 60,000
        rows: 1,907 of 8,309 tests, and 30 times the time).
    permutations, knn_permutations, k_perm
        As for :func:`independence_test` (``knn_permutations`` of at least
        ``1 / alpha - 1`` is needed for a k-NN test to reject at ``alpha``).
    <keywords>

    Returns
    -------
    CausalGraph
        ``edges`` (the CPDAG), ``removed`` (separating sets and p-values), ``tests``,
        ``passes``; ``to_networkx()``.

    Raises
    ------
    ValueError
        ``alpha`` not in (0, 1); ``max_given`` negative; fewer than two columns.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dmi
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 2, 20000)
    >>> b = rng.integers(0, 2, 20000)
    >>> c = (a + b + (rng.random(20000) < 0.1)) % 3          # a -> c <- b
    >>> d = (c + (rng.random(20000) < 0.2)) % 3               # c -> d
    >>> g = dmi.causal_skeleton(pd.DataFrame({"a": a, "b": b, "c": c, "d": d}))
    >>> g.edges[["x", "y", "edge"]]
       x  y edge
    0  a  c   ->
    1  b  c   ->
    2  c  d   ->
    """
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    if isinstance(max_given, bool) or not isinstance(max_given, int) or max_given < 0:
        raise ValueError(f"max_given must be an integer >= 0, got {max_given!r}")
    opts = check_options(**options)
    # a permutation test stops once its decision at alpha is known (Besag-Clifford)
    settings = replace(settings_of(method, permutations, knn_permutations, k_perm), decide_at=alpha)
    basis = basis_of(data)  # data opened once
    available = basis.columns
    cols = column_set("columns", available if columns is None else columns, available)
    if len(cols) < 2:
        raise ValueError(f"causal_skeleton needs at least two columns, got {list(cols)!r}")
    if isinstance(basis, Stored):  # its pair counts answer level 0, and only it
        if max_given:
            raise ValueError(
                f"max_given={max_given}: a dmi.Summary holds the counts of pairs, which answer the "
                "unconditional tests (max_given=0) only; pass the data for conditioning sets"
            )
        zero = partial(_summary_tests, data, opts, method, permutations, knn_permutations)
        found = pc_stable(None, list(cols), {}, opts, settings, alpha, 0, level_zero=zero)
        return _graph(cols, found, alpha, opts)
    source, kinds = open_data(basis, cols, opts, "causal_skeleton")
    found = pc_stable(source, list(cols), kinds, opts, settings, alpha, max_given)
    return _graph(cols, found, alpha, opts)


def _summary_tests(
    summary: Any, opts: Options, method: str, permutations: int, knn_permutations: int, tests: list[CiTest]
) -> list[Outcome]:
    """Unconditional tests from a stored summary's pair counts (and sample), by
    :func:`dmi.mutual_info_table`."""
    from dmi.api import mutual_info_table

    columns = list(dict.fromkeys(c for t in tests for c in t.columns))
    p_value = {"g-test": "chi2"}.get(method, method)
    table = mutual_info_table(
        summary,
        columns,
        p_value=p_value,
        permutations=permutations,
        knn_permutations=knn_permutations,
        random_state=opts.seed,
        n_neighbors=opts.n_neighbors,
    )
    records: list[dict[Any, Any]] = table.to_dict("records")
    by_pair = {frozenset((r["x"], r["y"])): r for r in records}
    out = []
    for t in tests:
        row = by_pair[frozenset((*t.x, *t.y))]
        counted = row["estimator"] == "plug-in"
        statistic = row["g"] if counted else row["mi"]
        dof = float(row["dof"]) if counted and not pd.isna(row["dof"]) else math.nan
        used = (
            {"chi2": "g-test"}.get(row["p_method"], row["p_method"])
            if isinstance(row["p_method"], str)
            else "knn"
        )
        out.append(Outcome(math.nan, float(statistic), float(row["p_value"]), dof, int(row["n"]), used))
    return out


def _graph(cols: tuple[Hashable, ...], found: Any, alpha: float, opts: Options) -> CausalGraph:
    order = {c: i for i, c in enumerate(cols)}
    pdag = pc.orient(found.adjacency, {k: v[0] for k, v in found.separating.items()}, order)
    rows = []
    for a, b in pc.edges_of(found.adjacency, order):
        p = found.kept_p.get((a, b), np.nan)
        if pdag.directed(b, a):
            a, b = b, a
        rows.append((a, b, "->" if pdag.directed(a, b) else "--", p))
    edges = pd.DataFrame(rows, columns=["x", "y", "edge", "max_p_value"])
    removed = pd.DataFrame(
        [
            (a, b, s, o.p_value, o.statistic, o.dof, o.n, o.method, len(s))
            for (a, b), (s, o) in sorted(
                found.removed.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]])
            )
        ],
        columns=["x", "y", "given", "p_value", "statistic", "dof", "n", "method", "level"],
    )
    return CausalGraph(cols, edges, removed, found.tests, found.passes, alpha)
