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
from collections.abc import Hashable, Iterator, Sequence
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
from dmi._math.weights import as_rows as _rows
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
    n: float
    method: str
    left_out: int = 0
    """k-NN tests: sample rows whose stratum (of the discrete columns) has too few rows."""


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Many tests' outcomes, one entry per test in each column, read one at a time as an
    :class:`Outcome` (a level of the causal skeleton has thousands: kept as arrays, its
    decisions are made without an object per test)."""

    mi: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    dof: np.ndarray
    n: np.ndarray
    method: list[str]
    left_out: np.ndarray

    @classmethod
    def empty(cls, size: int) -> Outcomes:
        """``size`` undecided outcomes (NaN, no rows)."""
        nan = np.full(size, math.nan)
        return cls(
            nan,
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.zeros(size),  # rows, or with fractional weights their (fractional) sum
            [""] * size,
            np.zeros(size, np.int64),
        )

    def put(self, i: int, o: Outcome) -> None:
        """Set test ``i``'s outcome."""
        self.mi[i], self.statistic[i], self.p_value[i], self.dof[i] = o.mi, o.statistic, o.p_value, o.dof
        self.n[i], self.method[i], self.left_out[i] = o.n, o.method, o.left_out

    def __len__(self) -> int:
        return len(self.method)

    def __getitem__(self, i: int) -> Outcome:
        return Outcome(
            float(self.mi[i]),
            float(self.statistic[i]),
            float(self.p_value[i]),
            float(self.dof[i]),
            _rows(self.n[i]),
            self.method[i],
            int(self.left_out[i]),
        )

    def __iter__(self) -> Iterator[Outcome]:
        return (self[i] for i in range(len(self)))


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


def table_set(columns: Sequence[Hashable], order: dict[Hashable, int]) -> tuple[Hashable, ...]:
    """The columns of a joint table, in the request's order (tests over the same columns
    share one table)."""
    return tuple(sorted(set(columns), key=order.__getitem__))


@dataclass(frozen=True, eq=False)
class TestRun:
    """A pass's tests decided: their outcomes, the columns' kinds once the pass has seen
    the undecided ones, and the tables (for entropies of the same sets)."""

    outcomes: Outcomes
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
    of_test = _tables_of(tests, kinds, order)
    wanted = [s for s in of_test if s is not None]
    wanted += [table_set(s, order) for s in extra_sets if all(kinds[c] != CONTINUOUS for c in s)]
    sets = tuple(dict.fromkeys(wanted))
    maybe = {c for c, k in kinds.items() if k in (CONTINUOUS, AUTO)}  # may need the sample
    sampled: list[Hashable] = sorted(
        {col for t in tests if not maybe.isdisjoint(t.columns) for col in t.columns} if maybe else set(),
        key=order.__getitem__,
    )
    sample = (
        SampleSpec(tuple(sampled), tuple(kinds[c] != DISCRETE for c in sampled), opts.sample_size, opts.seed)
        if sampled
        else None
    )
    auto = tuple(c for c in labels if kinds[c] == AUTO)
    spec = tables_pass.TablesSpec(sets, opts.dropna, sample, auto, AUTO_DISCRETE_MAX, opts.weights)
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
    of_test = _tables_of(tests, resolved, order) if changed else of_test
    outcomes = decide(state, sets, of_test, sampled, resolved, tests, opts, settings)
    return TestRun(outcomes, resolved, state.tables, order, state.encoded)


def _tables_of(
    tests: Sequence[CiTest], kinds: dict[Hashable, str], order: dict[Hashable, int]
) -> list[tuple[Hashable, ...] | None]:
    """Each test's joint table (:func:`table_set`), None for a test with a continuous column
    (an undecided integer column is counted; if it turns out continuous, its tests are
    planned again and take the sample)."""
    continuous = {c for c, k in kinds.items() if k == CONTINUOUS}
    return [
        None if continuous and not continuous.isdisjoint(t.columns) else table_set(t.columns, order)
        for t in tests
    ]


def decide(
    state: tables_pass.TablesState,
    sets: Sequence[tuple[Hashable, ...]],
    of_test: Sequence[tuple[Hashable, ...] | None],
    sampled: Sequence[Hashable],
    kinds: dict[Hashable, str],
    tests: Sequence[CiTest],
    opts: Options,
    settings: Settings,
) -> Outcomes:
    """The outcomes of ``tests`` from a pass's tables and sample (``of_test``: each counted
    test's table, None for a test on the sample)."""
    where = {s: i for i, s in enumerate(sets)}
    drawn = state.sample.sample if state.sample is not None else None
    sample = _SampleView(drawn.frame if drawn is not None else None, sampled, kinds, opts)
    out = Outcomes.empty(len(tests))
    counted = [i for i, s in enumerate(of_test) if s is not None]
    if counted:
        _decide_counted(out, counted, state, where, of_test, tests, opts, settings)
    knn = [i for i, s in enumerate(of_test) if s is None]
    if knn:
        sample.warn_few_values([c for i in knn for c in tests[i].columns])
        for i, o in zip(knn, _knn_all(sample, [tests[i] for i in knn], opts, settings), strict=True):
            out.put(i, o)
    counts = np.array([m in ("g-test", "permutation") for m in out.method], dtype=bool)
    sparse = np.flatnonzero(counts & (out.n > 0) & (out.n < 5 * out.dof))
    if len(sparse):
        warn_sparse_tests([tests[i].shown for i in sparse.tolist()], len(tests))
    left = np.flatnonzero(out.left_out)
    if len(left):
        share = out.left_out[left] / (out.left_out[left] + out.n[left])
        warn_left_out(len(left), len(tests), float(share.max()), opts.n_neighbors)
    return out


def _decide_counted(
    out: Outcomes,
    counted: list[int],
    state: tables_pass.TablesState,
    where: dict[tuple[Hashable, ...], int],
    of_test: Sequence[tuple[Hashable, ...] | None],
    tests: Sequence[CiTest],
    opts: Options,
    settings: Settings,
) -> None:
    """The counted tests' outcomes into ``out``: their G-tests at once (tests over the same
    columns share a table), then the permutation test of those that take it (by
    ``settings``, or where the table is sparse), drawn from its strata's margins."""
    assert state.tables is not None
    present = [k for k, t in enumerate(state.tables.counts) if t is not None]  # no folded column
    tables: list[np.ndarray] = [t for t in state.tables.counts if t is not None]
    slot = {k: j for j, k in enumerate(present)}
    which = [slot[where[of_test[i]]] for i in counted]  # type: ignore[index]
    roles = [
        [ci.X if c in t.x else ci.Y if c in t.y else ci.Z for c in s]
        for t, s in ((tests[i], of_test[i]) for i in counted)
        if s is not None
    ]
    stats = ci.g_tests(tables, roles, which)
    g, dof, n, sparse = stats.T
    rows = np.asarray(counted)
    with np.errstate(invalid="ignore", divide="ignore"):
        out.mi[rows] = np.where(n > 0, g / (2.0 * n), math.nan)
    # fractional weights: G in each table's effective rows (a factor of 1: counts are rows)
    kish = np.array([state.tables.kish(present[which[k]], n[k]) for k in range(len(counted))])
    g = g * kish
    out.statistic[rows], out.dof[rows], out.n[rows] = g, dof, n
    out.p_value[rows] = ci.g_p_values(g, dof)
    if settings.method == "auto":
        permuted = (dof > 0) & (sparse > 0) & (kish == 1.0)
    else:
        permuted = np.full(len(counted), settings.method == "permutation")
        if settings.method == "permutation" and (kish != 1.0).any():
            raise ValueError(
                "a permutation test draws tables of whole rows; with fractional weights use the G-test "
                "(method='g-test'), which takes Kish's effective sample size"
            )
    for k, i in enumerate(counted):
        out.method[i] = "permutation" if permuted[k] else "g-test"
    stop = settings.stop_after(settings.permutations)
    for k in np.flatnonzero(permuted & (n > 0)).tolist():
        table, r = tables[which[k]], roles[k]
        axes = list(range(table.ndim))
        pick = [[a for a in axes if r[a] == role] for role in (ci.X, ci.Y, ci.Z)]
        counts = ci.strata_table(table, axes, *pick)
        i = counted[k]
        out.p_value[i] = ci.permutation_p(counts, settings.permutations, _stream(opts.seed, tests[i]), stop)


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
