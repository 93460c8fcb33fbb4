"""The estimators, one record each: what a pair needs from the pass, how it is
estimated, and which statistics its result carries (pure; no Dask).

=========  ====  ==================  ==========================================
record     kind  reads               statistics
=========  ====  ==================  ==========================================
PLUG_IN    dd    counts of all rows  entropies, NMI, AMI, Miller-Madow, G-test,
                                     chi-square or permutation p-value
KSG        cc    the uniform sample  standard error, permutation p-value
ROSS       dc    the uniform sample  standard error, permutation p-value
=========  ====  ==================  ==========================================

A pair takes the record its columns' kinds call for (:func:`for_pair`). Two other ways
of estimating are built from these records rather than being records of their own:

* ``method="binned"`` cuts continuous columns into quantile bins in a first pass
  (:func:`dmi._engine.engine.pass_results`), after which every pair is discrete and takes PLUG_IN.
* conditioning on a discrete ``Z`` (:mod:`dmi._engine.conditional`) sums each record's
  estimate over the strata of ``Z``, weighted by ``p(z)``: PLUG_IN on three-way counts,
  KSG and Ross on each stratum's sample rows (Frenzel & Pompe 2007).

Adding an estimator: its kernel in a math module (as :mod:`dmi._math.knn`), one record here,
and its place in :func:`for_pair`; the engine and the table read only the record.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from dmi._math import stats
from dmi._math.entropy import PairStats, normalized
from dmi._math.knn import ksg, ross


class Reads(Enum):
    """What an estimator needs from the one pass."""

    COUNTS = "counts"
    """The pair's contingency counts over every row."""
    SAMPLE = "sample"
    """The uniform sample of rows, gathered in the same pass."""


def to_base(nats: Any, base: float) -> Any:
    """Information in nats (a number or an array) in units of ``base`` (2: bits)."""
    return nats / math.log(base)


def in_units(result: PairResult, base: float, normalize: str | None) -> float:
    """A pair's result in the caller's units: MI in ``base``, or MI normalized by the
    ``normalize`` mean of its entropies (plug-in pairs only: they carry ``stats``)."""
    if normalize is not None:
        assert result.stats is not None  # checked before the pairs are computed
        return normalized(result.stats, normalize)
    return float(to_base(result.mi, base))


def entropy_in_units(h: float, base: float, normalize: str | None) -> float:
    """A column's own cell: H(X) in ``base``, or 1.0 when normalized (NaN without values)."""
    if normalize is not None:
        return math.nan if math.isnan(h) else 1.0
    return float(to_base(h, base))


@dataclass(frozen=True)
class PairResult:
    """One pair's estimate in nats, the rows it used, and what its estimator adds."""

    estimator: Estimator
    mi: float
    n: float
    stats: PairStats | None = None
    """A counted pair's plug-in statistics (entropies, margins, cells)."""
    stderr: float = math.nan
    """Standard error of a sample-based estimate (when asked for), in nats."""
    p_value: float = math.nan
    """Permutation p-value of a sample-based estimate (when asked for)."""


@dataclass(frozen=True)
class TableOptions:
    """How the long-form table states a pair's statistics."""

    base: float
    average: str
    """The generalized mean of NMI and AMI."""
    p_value: str
    """``"auto"``, ``"chi2"`` or ``"permutation"``: the test of a counted pair."""
    permutations: int


Statistics = Callable[[PairResult, TableOptions, np.random.Generator], dict[str, object]]
Kernel = Callable[[Any, Any, int, bool, int], tuple[float, int]]


@dataclass(frozen=True)
class Estimator:
    """One estimator of a pair's MI (see the module's table)."""

    name: str
    """Its name in the long-form table's ``estimator`` column."""
    kind: str
    """The pair's kinds in the table's ``kind`` column: ``dd``, ``dc`` or ``cc``."""
    reads: Reads
    statistics: Statistics
    """The table's statistics of a result, MI-like ones in the caller's base."""
    kernel: Kernel | None = None
    """Sample-based estimators: ``kernel(x, y, k, clip, threads) -> (nats, rows used)`` over
    a pair's rows, ``x`` a continuous column's :class:`~dmi._math.knn.Axis` on them, ``y``
    one too (KSG) or the discrete column's integer labels on them (Ross); ``threads``: how
    many threads the kernel may share its searches among."""

    @property
    def entropies(self) -> bool:
        """Whether its results carry the columns' entropies (so they can be normalized)."""
        return self.reads is Reads.COUNTS

    def rows_available(self, n_rows: float, sample_rows: int) -> float:
        """The rows a pair of this estimator could use: all rows, or the sample's."""
        return n_rows if self.reads is Reads.COUNTS else sample_rows


def _counted_statistics(r: PairResult, opts: TableOptions, rng: np.random.Generator) -> dict[str, object]:
    """Entropies, NMI, AMI, Miller-Madow and a G-test from the pair's exact counts."""
    s = r.stats
    assert s is not None
    known = s.n > 0 and not math.isnan(s.mi)  # NaN: a column over max_categories
    g, dof, p_chi2 = stats.g_test(s)
    # a folded identifier's margin is not kept in full, so its pairs take the G-test, as
    # do those of fractional weights unless a permutation test is asked for (which refuses)
    use_permutation = not any(s.singletons) and (
        opts.p_value == "permutation" or (opts.p_value == "auto" and s.n_eff is None and stats.is_sparse(s))
    )
    return {
        "h_x": to_base(s.h_x, opts.base),
        "h_y": to_base(s.h_y, opts.base),
        "nmi": normalized(s, opts.average),
        "ami": stats.adjusted(s, opts.average),
        "mi_miller_madow": to_base(stats.miller_madow(s), opts.base),
        "g": g,
        "dof": dof if known else pd.NA,
        "p_value": stats.permutation_p(s, opts.permutations, rng) if use_permutation else p_chi2,
        "p_method": ("permutation" if use_permutation else "chi2") if known else None,
        "mi_stderr": math.nan,
    }


def _sampled_statistics(r: PairResult, opts: TableOptions, rng: np.random.Generator) -> dict[str, object]:
    """A sample-based estimate has no entropies and no G-test; it may have a standard
    error and a permutation p-value, computed with the estimate."""
    nan = math.nan
    tested = not math.isnan(r.p_value)
    return {
        "h_x": nan,
        "h_y": nan,
        "nmi": nan,
        "ami": nan,
        "mi_miller_madow": nan,
        "g": nan,
        "dof": pd.NA,
        "p_value": r.p_value,
        "p_method": "permutation" if tested else None,
        "mi_stderr": to_base(r.stderr, opts.base),
    }


PLUG_IN = Estimator("plug-in", "dd", Reads.COUNTS, _counted_statistics)
"""Exact plug-in MI of two discrete columns from their counts over every row."""
KSG = Estimator("ksg", "cc", Reads.SAMPLE, _sampled_statistics, ksg)
"""Kraskov-Stögbauer-Grassberger (2004), algorithm 1, for two continuous columns."""
ROSS = Estimator("ross", "dc", Reads.SAMPLE, _sampled_statistics, ross)
"""Ross (2014) for a continuous column and a discrete one."""

ESTIMATORS: dict[str, Estimator] = {}
"""The estimator of each kind of pair (``dd``, ``dc``, ``cc``): the engine plans, the
pass gathers and the table states a pair by its record alone."""


def register(estimator: Estimator) -> Estimator:
    """Make ``estimator`` the one of its kind of pair (``estimator.kind``); returns the one
    it replaces (the default, at import). A sample-based estimator needs a ``kernel``."""
    if estimator.kind not in ("dd", "dc", "cc"):
        raise ValueError(f"an estimator serves 'dd', 'dc' or 'cc' pairs, not {estimator.kind!r}")
    if estimator.reads is Reads.SAMPLE and estimator.kernel is None:
        raise ValueError(f"the sample-based estimator {estimator.name!r} needs a kernel")
    if estimator.reads is Reads.COUNTS and estimator.kind != "dd":
        raise ValueError(f"{estimator.name!r}: only a pair of discrete columns is counted")
    before = ESTIMATORS.get(estimator.kind, estimator)
    ESTIMATORS[estimator.kind] = estimator
    return before


for _default in (PLUG_IN, ROSS, KSG):
    register(_default)


def for_pair(n_continuous: int) -> Estimator:
    """The estimator of a pair with ``n_continuous`` (0, 1 or 2) continuous columns."""
    return ESTIMATORS[("dd", "dc", "cc")[n_continuous]]
