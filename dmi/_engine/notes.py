"""dmi's warnings: their classes, the notes a request gathers, and a ``warn`` that points at
the caller's line.

A warning's stack level is computed, never hard-coded: :func:`warn` walks out of the
``dmi`` package and reports the first frame outside it, so the message names the user's
line whichever public function, and however deep, it came from.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dmi._math.codes import Folded

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # dmi/, above dmi/_engine/


class LooksCategoricalWarning(UserWarning):
    """A column treated as continuous has so few distinct values that it looks categorical."""


class IdentifierWarning(UserWarning):
    """A discrete column takes a different value in every row (an identifier)."""


class MaxCategoriesWarning(UserWarning):
    """A discrete column has more distinct values than ``max_categories``: its MI is NaN."""


class ContinuousIntegersWarning(UserWarning):
    """Integer columns with many distinct values are treated as continuous (``discrete='auto'``)."""


class EmptyColumnWarning(UserWarning):
    """A column has no values (all missing): every result with it is NaN."""


class UndefinedMeasureWarning(UserWarning):
    """An association measure that needs counts was asked of k-NN pairs: their cells are NaN."""


class SparseTableWarning(UserWarning):
    """A counted pair's table has fewer rows than cells: its plug-in MI is mostly bias."""


class TiedValuesWarning(UserWarning):
    """A column estimated by k-NN repeats each value in more rows than ``n_neighbors``."""


class UnweightedSampleWarning(UserWarning):
    """With fractional weights, the k-NN sample holds every row: it is not weighted."""


class UntestedPairsWarning(UserWarning):
    """A significance level was given, but some pairs have no p-value to compare with it."""


class ConstantColumnWarning(UserWarning):
    """A column takes one value: its MI with every column is 0."""


def _stacklevel() -> int:
    """The stack level of the first frame outside the dmi package (as ``warnings.warn`` counts)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and _in_package(frame.f_code.co_filename):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _in_package(filename: str) -> bool:
    folder = os.path.dirname(os.path.abspath(filename))
    return folder == _PACKAGE or folder.startswith(_PACKAGE + os.sep)


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` at the user's line (the first caller outside dmi)."""
    warnings.warn(message, category, stacklevel=_stacklevel())


def _bias(n: float, r: int, c: int) -> float:
    """The plug-in MI's expected upward bias in nats, (R-1)(C-1)/(2N) (Miller 1955)."""
    return (r - 1) * (c - 1) / (2 * n)


_MOST_NAMED = 12
"""A warning names this many columns at most (a wide table can have thousands), then counts."""


def _shown(columns: Sequence[Hashable]) -> str:
    return first_names(repr(c) for c in columns)


def first_names(names: Any, most: int = _MOST_NAMED, sep: str = ", ") -> str:
    """The first ``most`` names, joined by ``sep``, and how many more."""
    names = list(names)
    more = f" and {len(names) - most:,} more" if len(names) > most else ""
    return sep.join(names[:most]) + more


def warn_about_columns(
    identifiers: Sequence[Hashable], folded: Sequence[tuple[Hashable, Folded]], cap: int | None
) -> None:
    """Warn about identifier columns, and about columns over ``max_categories`` (NaN)."""
    if identifiers:
        warn(
            f"column(s) {_shown(identifiers)} take a different value in every row, like an identifier: MI "
            "with such a column is the entropy of the other column and says nothing about dependence; "
            "leave it out, or read AMI (mutual_info_table), which is about 0 for it",
            IdentifierWarning,
        )
    if folded:
        shown = ", ".join(f"{c!r} (at least {d.at_least:,})" for c, d in folded)
        unique = [c for c, d in folded if d.unique]
        hint = (
            f" Column(s) {_shown(unique)} never repeated a value within a partition: "
            "probably identifiers, whose MI with any column is that column's entropy."
            if unique
            else ""
        )
        limit = "the cap" if cap is None else f"max_categories={cap:,}"
        warn(
            f"column(s) {shown} have more distinct values than {limit}: their values "
            f"were not kept (so memory stays bounded) and their MI and entropy are NaN.{hint} Leave them "
            "out, or pass a larger max_categories (or None) to count them exactly, with memory growing "
            "with their distinct values",
            MaxCategoriesWarning,
        )


def warn_continuous_integers(
    columns: Sequence[tuple[Hashable, Folded]], limit: int, how: str = "k-NN estimators on the sample"
) -> None:
    """Say which integer columns ``discrete='auto'`` made continuous (``how`` they are then
    estimated), and how to override it."""
    if columns:
        shown = first_names(f"{c!r} (more than {limit} values)" for c, _ in columns)
        warn(
            f"integer column(s) {shown} are treated as continuous ({how}), "
            f"as discrete='auto' does for integers with more than {limit} distinct values; to count "
            "them as categories, pass discrete=[...] naming them (or discrete=True)",
            ContinuousIntegersWarning,
        )


def warn_continuous_integers_named(columns: Sequence[Hashable], limit: int) -> None:
    """ContinuousIntegersWarning for integer columns a conditional test found continuous."""
    warn(
        f"integer column(s) {_shown(columns)} have more than {limit} distinct values and are treated as "
        "continuous (their tests take the k-NN estimate on the sample); to count them as categories, "
        "pass discrete=[...] naming them (or discrete=True)",
        ContinuousIntegersWarning,
    )


def warn_left_out(tests: int, total: int, worst: float, k: int) -> None:
    """SparseTableWarning: k-NN estimates that left out sample rows of small strata."""
    warn(
        f"{tests} of {total} k-NN estimates left out sample rows whose stratum (a combination of the "
        f"discrete columns' values) has no more than n_neighbors={k} rows (up to {worst:.0%} of the rows); "
        "the estimate is over the rows left. Fewer discrete columns, columns with fewer values, or a "
        "larger sample_size keep more",
        SparseTableWarning,
    )


def warn_sparse_tests(sparse: Sequence[str], total: int) -> None:
    """SparseTableWarning: conditional tests whose strata leave few rows per cell (``sparse``:
    the tests, as ``x ⊥ y | z``)."""
    warn(
        f"{len(sparse)} of {total} conditional tests have fewer than 5 rows per degree of freedom "
        f"({first_names(sparse, sep='; ')}): their "
        "strata leave few rows per cell, so a test rarely rejects independence there (its p-value is "
        "valid, its power is low); condition on fewer columns (max_given) or on columns with fewer values",
        SparseTableWarning,
    )


@dataclass
class Notes:
    """What one request should warn about, gathered over its passes and emitted once."""

    identifiers: list[Hashable] = field(default_factory=list)
    folded: list[tuple[Hashable, Folded]] = field(default_factory=list)
    """Columns over ``max_categories`` that are not proven identifiers (their MI is NaN)."""
    suspicious: list[Hashable] = field(default_factory=list)
    """Continuous columns with few distinct values in the sample."""
    auto_continuous: list[tuple[Hashable, Folded]] = field(default_factory=list)
    """Integer columns that ``discrete='auto'`` made continuous."""
    empty: list[tuple[Hashable, str]] = field(default_factory=list)
    """Columns without a single value (and where: "" for all rows, or in the sample)."""
    sparse: list[tuple[Hashable, Hashable, float, int, int]] = field(default_factory=list)
    """Counted pairs with fewer rows than cells: (x, y, rows, values of x, values of y)."""
    tied: list[tuple[Hashable, int, int]] = field(default_factory=list)
    """k-NN columns with more sampled rows per value than ``n_neighbors``: (column, values, rows)."""
    constant: list[Hashable] = field(default_factory=list)
    """Columns with one value among their present rows."""
    unweighted: int = 0
    """With fractional weights, the rows of a k-NN sample that holds every row (0: none)."""
    n_neighbors: int = 3
    cap: int | None = None
    auto_limit: int = 0
    continuous_as: str = "k-NN estimators on the sample"
    """How the request estimates continuous columns (``method="binned"``: in quantile bins)."""

    def emit(self) -> None:
        """Warn, once per column, about everything noted."""
        warn_about_columns(list(dict.fromkeys(self.identifiers)), list(dict(self.folded).items()), self.cap)
        auto = list(dict(self.auto_continuous).items())
        warn_continuous_integers(auto, self.auto_limit, self.continuous_as)
        suspicious = list(dict.fromkeys(self.suspicious))
        if suspicious:
            warn(
                f"column(s) {_shown(suspicious)} are treated as continuous but have fewer than 20 distinct "
                "values in the sample; if they are categories, pass discrete=[...] naming them (or "
                "discrete=True)",
                LooksCategoricalWarning,
            )
        self._emit_weak()
        if self.unweighted:
            warn(
                f"the k-NN sample holds every row ({self.unweighted:,}), so its estimates do not "
                "see the fractional weights: such a sample is drawn without replacement in "
                "proportion to the weights, which only a sample that is a small share of the rows "
                "follows (a sample with replacement would repeat rows, which k-NN reads as "
                "dependence). Pass a sample_size of at most a tenth of the rows, or method='binned' "
                "to count the continuous columns in bins with their weights",
                UnweightedSampleWarning,
            )
        empty = dict(self.empty)
        if empty:
            shown = ", ".join(f"{c!r}{where}" for c, where in empty.items())
            warn(
                f"column(s) {shown} have no values (every row is missing): their results are NaN",
                EmptyColumnWarning,
            )

    def _emit_weak(self) -> None:
        """The warnings that say a number is weak: constant columns, sparse tables, ties."""
        # a column another warning already names is not named again
        identifiers = set(self.identifiers)
        auto = {c for c, _ in self.auto_continuous}
        constant = list(dict.fromkeys(self.constant))
        if constant:
            warn(
                f"column(s) {_shown(constant)} take a single value: their MI with every column is 0 "
                "(they carry no information); leave them out",
                ConstantColumnWarning,
            )
        sparse = [
            s
            for s in {(x, y): (x, y, n, r, c) for x, y, n, r, c in self.sparse}.values()
            if not {s[0], s[1]} & identifiers
        ]
        if sparse:
            sparse.sort(key=lambda s: s[2] / (s[3] * s[4]))  # the sparsest first
            shown = first_names(
                (
                    f"{x!r} ~ {y!r} ({n:,} rows, {r} x {c} values, bias about {_bias(n, r, c):.3g} nats)"
                    for x, y, n, r, c in sparse
                ),
                most=5,
                sep="; ",
            )
            warn(
                f"{len(sparse)} counted pair(s) have fewer rows than cells in their table: {shown}. "
                "Their plug-in MI is mostly its upward bias, about (R-1)(C-1)/(2N) nats for R and C values "
                "over N rows, not dependence. Read mi_miller_madow (bias-corrected), ami (adjusted for "
                "chance) and p_value in dmi.mutual_info_table, or use fewer categories",
                SparseTableWarning,
            )
        tied = [t for t in {c: (c, u, n) for c, u, n in self.tied}.values() if t[0] not in auto]
        if tied:
            shown = first_names(f"{c!r} ({u:,} values in {n:,} sampled rows)" for c, u, n in tied)
            warn(
                f"continuous column(s) {shown} repeat each value in more rows than "
                f"n_neighbors={self.n_neighbors} on average: the k-NN estimators tell the copies apart "
                "only by random jitter and see dependence only at the scale of a few neighbours, so a "
                "pattern between the repeated values (the hour within a timestamp) can read as about 0. "
                "If the values are categories or whole counts, pass discrete=[...] naming them to count "
                "them exactly over all rows; method='binned' is the other choice",
                TiedValuesWarning,
            )
