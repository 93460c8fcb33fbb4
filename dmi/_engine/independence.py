"""Many conditional tests ``X ⊥ Y | Z`` of sets of columns, in one pass over the data.

A test whose columns are all discrete is decided from the exact joint table of its
columns over all rows (:mod:`dmi._math.ci`); a test with a continuous column from the
uniform sample, by the Frenzel-Pompe estimator and Runge's local-permutation null
(:mod:`dmi._math.conditional_knn`). One pass (:mod:`dmi._pass.tables`) counts every table
the tests need and draws the sample: a level of the causal skeleton costs one pass
whatever its number of tests.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dmi._engine.columns import AUTO, AUTO_DISCRETE_MAX, CONTINUOUS, DISCRETE
from dmi._engine.keywords import Options
from dmi._engine.notes import Notes, warn_continuous_integers_named, warn_left_out, warn_sparse_tests
from dmi._inputs.source import Source
from dmi._math import ci
from dmi._math.codes import factorize
from dmi._math.conditional_knn import Role, fp_cmi, permutation_p
from dmi._math.knn_pairs import column_seed, looks_categorical
from dmi._math.sample import SampleSpec
from dmi._math.streams import Purpose, name_id, stream
from dmi._pass import tables as tables_pass
from dmi._pass.graph import map_shared
from dmi._pass.heap import heap_kept

METHODS = ("auto", "g-test", "permutation")
# k-NN tests worth spreading over threads or workers: (tests x estimates x sample rows)
_SHARE_WORK = 2_000_000
# sklearn's tie-breaking noise, after scaling to unit standard deviation
_NOISE = 1e-10


@dataclass(frozen=True)
class CiTest:
    """One test: ``x ⊥ y | given``, each a tuple of columns."""

    x: tuple[Hashable, ...]
    y: tuple[Hashable, ...]
    given: tuple[Hashable, ...] = ()

    @property
    def columns(self) -> tuple[Hashable, ...]:
        return (*self.x, *self.y, *self.given)

    @property
    def shown(self) -> str:
        """The test as ``x ⊥ y | z`` (for messages)."""

        def side(cols: tuple[Hashable, ...]) -> str:
            return ", ".join(map(repr, cols))

        return f"{side(self.x)} ⊥ {side(self.y)}" + (f" | {side(self.given)}" if self.given else "")


@dataclass(frozen=True)
class Outcome:
    """A test's result: ``I(X;Y|Z)`` (nats), its statistic, p-value, dof, rows and method."""

    mi: float
    statistic: float
    p_value: float
    dof: float
    n: int
    method: str
    left_out: int = 0
    """k-NN tests: sample rows whose stratum (of the discrete columns) has too few rows."""


@dataclass(frozen=True)
class Settings:
    """How tests are decided (public keywords, checked)."""

    method: str = "auto"
    permutations: int = 999
    knn_permutations: int = 199
    k_perm: int = 5
    decide_at: float | None = None
    """A level: permutation tests stop once their decision at it is known (Besag and
    Clifford 1991: once ``ceil(level * (permutations + 1))`` permuted statistics reached the
    observed one); None draws them all."""

    def stop_after(self, permutations: int) -> int | None:
        """The permuted statistics at or above the observed one that decide a test."""
        if self.decide_at is None:
            return None
        return max(1, math.ceil(self.decide_at * (permutations + 1)))


def _stream(seed: int, test: CiTest) -> np.random.Generator:
    return stream(seed, Purpose.CI_PERMUTATIONS, name_id((test.x, test.y, test.given)))


def is_counted(test: CiTest, kinds: dict[Hashable, str]) -> bool:
    """Whether a test may be decided from counts (no continuous column; an undecided
    integer column may turn out continuous, and the test then takes the sample)."""
    return all(kinds[c] != CONTINUOUS for c in test.columns)


def is_sampled(test: CiTest, kinds: dict[Hashable, str]) -> bool:
    """Whether a test may need the sample (a continuous or undecided column)."""
    return any(kinds[c] in (CONTINUOUS, AUTO) for c in test.columns)


def table_set(columns: Sequence[Hashable], order: dict[Hashable, int]) -> tuple[Hashable, ...]:
    """The columns of a joint table, in the request's order (tests over the same columns
    share one table)."""
    return tuple(sorted(set(columns), key=order.__getitem__))


@dataclass(frozen=True, eq=False)
class TestRun:
    """A pass's tests decided: their outcomes, the columns' kinds once the pass has seen
    the undecided ones, and the tables (for entropies of the same sets)."""

    outcomes: list[Outcome]
    kinds: dict[Hashable, str]
    tables: Any
    order: dict[Hashable, int]
    encoded: Any = None
    """Each partition's encoded rows, when asked to keep them (a later pass counts from them)."""

    def conditional_entropy(self, x: Sequence[Hashable], given: Sequence[Hashable]) -> tuple[float, int]:
        """``H(X|given)`` in nats and its rows, from a table the pass counted (NaN when
        a column turned out continuous)."""
        s = table_set([*x, *given], self.order)
        try:
            i = self.tables.sets.index(s) if self.tables is not None else -1
        except ValueError:
            i = -1
        if i < 0 or self.tables.counts[i] is None:
            return math.nan, 0
        return ci.conditional_entropy(ci.strata_table(self.tables.counts[i], s, x, (), given))


def run_tests(
    source: Source,
    labels: Sequence[Hashable],
    kinds: dict[Hashable, str],
    tests: Sequence[CiTest],
    opts: Options,
    settings: Settings,
    extra_sets: Sequence[Sequence[Hashable]] = (),
    *,
    keep: bool = False,
    encoded: Any = None,
) -> TestRun:
    """Every test's outcome, in order, from one pass over ``source``; ``extra_sets``: more
    joint tables to count in the same pass (for :meth:`TestRun.conditional_entropy`).
    ``keep`` and ``encoded``: a table in memory encoded once for several passes (see
    :func:`dmi._pass.tables.run`; only when no test needs the sample)."""
    order = {c: i for i, c in enumerate(labels)}
    of_test = [table_set(t.columns, order) if is_counted(t, kinds) else None for t in tests]
    wanted = [s for s in of_test if s is not None]
    wanted += [table_set(s, order) for s in extra_sets if all(kinds[c] != CONTINUOUS for c in s)]
    sets = tuple(dict.fromkeys(wanted))
    sampled: list[Hashable] = sorted(
        {col for t in tests if is_sampled(t, kinds) for col in t.columns}, key=order.__getitem__
    )
    sample = (
        SampleSpec(tuple(sampled), tuple(kinds[c] != DISCRETE for c in sampled), opts.sample_size, opts.seed)
        if sampled
        else None
    )
    auto = tuple(c for c in labels if kinds[c] == AUTO)
    spec = tables_pass.TablesSpec(sets, opts.dropna, sample, auto, AUTO_DISCRETE_MAX)
    reuse = sample is None and sets
    state = tables_pass.run(
        source,
        spec,
        opts.split_every,
        progress=opts.progress,
        keep=bool(keep and reuse),
        encoded=encoded if reuse else None,
    )
    folded = state.tables.folded if state.tables is not None else frozenset()
    resolved = {c: (CONTINUOUS if c in folded else DISCRETE) if k == AUTO else k for c, k in kinds.items()}
    if any(kinds[c] == AUTO and c in folded for c in kinds):
        warn_continuous_integers_named(
            [c for c in labels if kinds[c] == AUTO and c in folded], AUTO_DISCRETE_MAX
        )
    # a test of an integer column found continuous takes the sample
    changed = any(kinds[c] == AUTO for c in kinds)
    of_test = (
        [table_set(t.columns, order) if is_counted(t, resolved) else None for t in tests]
        if changed
        else of_test
    )
    outcomes = decide(state, sets, of_test, sampled, resolved, tests, opts, settings)
    return TestRun(outcomes, resolved, state.tables, order, state.encoded)


def decide(
    state: tables_pass.TablesState,
    sets: Sequence[tuple[Hashable, ...]],
    of_test: Sequence[tuple[Hashable, ...] | None],
    sampled: Sequence[Hashable],
    kinds: dict[Hashable, str],
    tests: Sequence[CiTest],
    opts: Options,
    settings: Settings,
) -> list[Outcome]:
    """The outcomes of ``tests`` from a pass's tables and sample (``of_test``: each counted
    test's table, None for a test on the sample)."""
    where = {s: i for i, s in enumerate(sets)}
    drawn = state.sample.sample if state.sample is not None else None
    sample = _SampleView(drawn.frame if drawn is not None else None, sampled, kinds, opts)
    out: list[Outcome | None] = [None] * len(tests)
    counted = [i for i, s in enumerate(of_test) if s is not None]
    tables, roles = [], []
    for i in counted:
        t, s = tests[i], of_test[i]
        assert state.tables is not None and s is not None
        table = state.tables.counts[where[s]]
        assert table is not None  # every column discrete
        tables.append(table)
        roles.append([ci.X if c in t.x else ci.Y if c in t.y else ci.Z for c in s])
    stats = ci.g_tests(tables, roles)
    p_values = ci.g_p_values(stats[:, 0], stats[:, 1])
    for row, i in enumerate(counted):
        g, d, n, sparse = stats[row]
        out[i] = _counted(
            tables[row],
            roles[row],
            tests[i],
            (float(g), int(d), int(n), float(p_values[row]), bool(sparse)),
            opts,
            settings,
        )
    knn = [(i, t) for i, t in enumerate(tests) if out[i] is None]
    if knn:
        sample.warn_few_values([c for _, t in knn for c in t.columns])
        for i, o in zip(
            [i for i, _ in knn], _knn_all(sample, [t for _, t in knn], opts, settings), strict=True
        ):
            out[i] = o
    done = [o for o in out if o is not None]
    sparse = [
        t.shown
        for t, o in zip(tests, done, strict=True)
        if o.method in ("g-test", "permutation") and 0 < o.n < 5 * o.dof
    ]
    if sparse:
        warn_sparse_tests(sparse, len(done))
    left = [(t, o) for t, o in zip(tests, done, strict=True) if o.left_out]
    if left:
        warn_left_out(
            len(left), len(done), max(o.left_out / (o.left_out + o.n) for _, o in left), opts.n_neighbors
        )
    return done


def _counted(
    table: np.ndarray,
    roles: list[int],
    t: CiTest,
    g_test: tuple[float, int, int, float, bool],
    opts: Options,
    settings: Settings,
) -> Outcome:
    """A counted test's outcome; the permutation test (by ``settings``, or where the table
    is sparse) draws from its strata's margins."""
    g, dof, n, p, sparse = g_test
    mi = g / (2.0 * n) if n else math.nan
    method = settings.method
    if method == "auto":
        method = "permutation" if dof > 0 and sparse else "g-test"
    if method == "permutation" and n:
        axes = list(range(table.ndim))
        pick = [[a for a in axes if roles[a] == r] for r in (ci.X, ci.Y, ci.Z)]
        counts = ci.strata_table(table, axes, *pick)
        stop = settings.stop_after(settings.permutations)
        p = ci.permutation_p(counts, settings.permutations, _stream(opts.seed, t), stop)
    return Outcome(mi, g, p, float(dof), n, method)


class _SampleView:
    """The sample's columns as the k-NN tests read them."""

    def __init__(self, frame: Any, names: Sequence[Hashable], kinds: dict[Hashable, str], opts: Options):
        self.frame, self.kinds, self.opts = frame, kinds, opts
        self.position = {c: i for i, c in enumerate(names)}
        self.names = list(names)

    def warn_few_values(self, columns: Sequence[Hashable]) -> None:
        """LooksCategoricalWarning for continuous columns with few distinct sampled values."""
        notes = Notes()
        for c in dict.fromkeys(columns):
            values = self.frame.iloc[:, self.position[c]]
            if self.kinds[c] == CONTINUOUS and looks_categorical(values.nunique(), int(values.notna().sum())):
                notes.suspicious.append(c)
        notes.emit()

    def present(self, columns: Sequence[Hashable]) -> np.ndarray:
        ok = np.ones(len(self.frame), dtype=bool)
        for c in columns:
            ok &= self.frame.iloc[:, self.position[c]].notna().to_numpy()
        return ok

    def role(self, columns: Sequence[Hashable], rows: np.ndarray) -> Role:
        cont, disc = [], []
        for c in columns:
            raw = self.frame.iloc[:, self.position[c]]
            if self.kinds[c] == CONTINUOUS:
                cont.append(_scaled(raw.to_numpy(dtype=np.float64), rows, column_seed(self.opts.seed, c)))
            else:
                disc.append(factorize(raw[rows])[0] if rows.any() else np.zeros(0, np.intp))
        return Role(tuple(cont), tuple(disc))


def _scaled(raw: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A continuous column on ``rows``: scaled to unit standard deviation, with
    scikit-learn's tie-breaking jitter (one draw per sample row, so it does not depend on
    which test reads the column)."""
    noise = rng.standard_normal(raw.size)[rows]
    x = raw[rows]
    sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    x = x / sd if sd > 0 else x - x.mean() if x.size else x
    return x + _NOISE * max(1.0, float(np.mean(np.abs(x))) if x.size else 1.0) * noise


def _knn_all(sample: _SampleView, tests: list[CiTest], opts: Options, settings: Settings) -> list[Outcome]:
    """The k-NN tests, in blocks spread over the active scheduler's threads or workers
    (the sample is sent to each worker once), when there is work enough to share."""
    heavy = len(tests) * (1 + settings.knn_permutations) * len(sample.frame)
    if heavy < _SHARE_WORK or len(tests) < 2:
        return [_knn(sample, t, opts, settings) for t in tests]
    return map_shared(_knn_block, sample, tests, opts, settings, name="ci-knn", blocks=min(len(tests), 256))


def _knn_block(sample: _SampleView, tests: list[CiTest], opts: Options, settings: Settings) -> list[Outcome]:
    with heap_kept():
        return [_knn(sample, t, opts, settings) for t in tests]


def _knn(sample: _SampleView, t: CiTest, opts: Options, settings: Settings) -> Outcome:
    rows = sample.present(t.columns)
    n = int(rows.sum())
    if n <= opts.n_neighbors:
        return Outcome(math.nan, math.nan, math.nan, math.nan, n, "knn")
    x, y, z = (sample.role(cols, rows) for cols in (t.x, t.y, t.given))
    if not settings.knn_permutations:
        est = fp_cmi(x, y, z, opts.n_neighbors)
        return Outcome(max(est.mi, 0.0), est.mi, math.nan, math.nan, est.n, "knn", est.left_out)
    rng = _stream(opts.seed, t)
    est, p = permutation_p(
        x,
        y,
        z,
        opts.n_neighbors,
        settings.knn_permutations,
        settings.k_perm,
        rng,
        settings.stop_after(settings.knn_permutations),
    )
    return Outcome(max(est.mi, 0.0), est.mi, p, math.nan, est.n, "knn-permutation", est.left_out)
