"""What a call's numbers are computed from: a stored summary or the data, forked once.

:func:`basis_of` is the one place that tells them apart (a :class:`dmi.Summary`, the path
of a ``.dmi`` file, or anything else opened as data). Both kinds of basis answer the same
questions -- their columns, a call's columns and kinds, the counts and sample for a set of
pairs, the conditioning pass -- so no caller asks which one it holds:

- :class:`Data` runs the pass over the data (:func:`dmi._engine.engine.pass_results`);
- :class:`Stored` projects the summary onto the pairs and estimates on its sample, reading
  no data, and refuses the options that would need the data again.

scikit-learn's ``mutual_info_score(..., contingency=None)`` forks once on counts given or
not; a stored summary plays the contingency's part here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pandas as pd

from dmi._engine import engine
from dmi._engine.columns import (
    AUTO,
    Kind,
    check_known,
    narrow,
    resolve_kinds,
    select_columns,
)
from dmi._engine.conditional import matrix as conditional_matrix
from dmi._engine.engine import Results
from dmi._engine.keywords import Options
from dmi._engine.notes import Notes
from dmi._engine.projection import project, project_given
from dmi._inputs.source import Source, check_unique, open_data, sampled_partitions
from dmi.summary import Summary, load

Conditional = tuple[list[float], list[float], list[tuple[float, float]], list[int]]
"""Per pair ``I(a;b|given)`` (nats) and rows used; per column ``H(c|given)`` and its rows;
per pair the degrees of freedom of its G-test (see :func:`dmi._engine.conditional.matrix`)."""


def frame_columns(frame: Any) -> list[Hashable]:
    """The frame's column labels, which must be unique and not empty."""
    labels = list(frame.columns)
    check_unique(labels)
    if not labels:
        raise ValueError("data has no columns")
    return labels


def labels_of(columns: Any, target: Hashable | None, available: list[Hashable]) -> list[Hashable]:
    """The columns of a call: the selection, or ``[target, *others]`` with a target."""
    selected = select_columns(columns, available)
    if target is None:
        return selected
    check_known("target", [target], available)
    return [target, *(c for c in selected if c != target)]


def _without_weights(
    weights: Hashable,
    names: list[Hashable],
    dtypes: pd.Series,
    columns: Any,
    target: Hashable | None,
    given: Hashable | None,
) -> list[Hashable]:
    """The data's columns but the weights' (which must be a numeric column, and neither
    analysed nor conditioned on)."""
    check_known("weights", [weights], names)
    dtype = dtypes.iloc[names.index(weights)]
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise TypeError(f"weights column {weights!r} has dtype {dtype}; weights must be numbers")
    named = [columns] if isinstance(columns, str) else [] if columns is None else list(columns)
    clashes = {"columns": weights in named, "target": target == weights, "given": given == weights}
    for what, clash in clashes.items():
        if clash:
            raise ValueError(
                f"the weights column {weights!r} is also in {what}=; a column cannot weigh the rows "
                "and be analysed (leave it out)"
            )
    return [c for c in names if c != weights]


@dataclass(frozen=True, eq=False)
class Data:
    """The data, opened lazily: the pass computes what a call needs."""

    source: Source
    empty: bool = False
    """A pandas DataFrame with no rows (a Dask frame does not know it before reading)."""

    @property
    def columns(self) -> list[Hashable]:
        return frame_columns(self.source.frame)

    def plan(
        self, columns: Any, target: Hashable | None, opts: Options, given: Hashable | None, narrow_ints: bool
    ) -> tuple[Options, list[Hashable], tuple[str, ...]]:
        """A call's options, columns and kinds; ``narrow_ints``: decide integer columns whose
        value range proves them discrete now (:func:`dmi._engine.columns.narrow`)."""
        names = self.columns
        if opts.weights is not None:
            names = _without_weights(opts.weights, names, self.source.frame.dtypes, columns, target, given)
            if opts.sample != "rows":
                raise ValueError(
                    "weights= needs sample='rows': sample='partitions' picks partitions, not rows "
                    "in proportion to their weights"
                )
        labels = labels_of(columns, target, names)
        kinds = resolve_kinds(opts.discrete, labels, self.source.frame.dtypes, names)
        return opts, labels, self.narrowed(labels, kinds) if narrow_ints else kinds

    def narrowed(self, labels: Sequence[Hashable], kinds: tuple[str, ...]) -> tuple[str, ...]:
        """:func:`dmi._engine.columns.narrow` with the ranges the source knows without reading."""
        ranges = [
            self.source.value_range(c) if k == AUTO else None for c, k in zip(labels, kinds, strict=True)
        ]
        return narrow(kinds, ranges)

    def check_given(self, given: Hashable, opts: Options, check_dtype: Callable[..., None]) -> None:
        """ValueError (or KeyError) when the data cannot be conditioned on ``given`` here."""
        dtypes = self.source.frame.dtypes
        check_known("given", [given], list(dtypes.index))
        check_dtype(given, dtypes[given], opts.discrete)
        if opts.normalize is not None or opts.method != "auto" or opts.sample != "rows":
            raise ValueError("given= works with normalize=None, method='auto' and sample='rows'")

    def results(
        self,
        labels: list[Hashable],
        kinds: tuple[str, ...],
        pairs: Sequence[tuple[int, int]],
        opts: Options,
        *,
        diagonal: bool,
        stderr_splits: int = 0,
        knn_permutations: int = 0,
        partitions_ok: Callable[[], None] | None = None,
    ) -> Results:
        """One pass over the data for ``pairs`` (``partitions_ok`` checks that
        ``sample='partitions'`` can serve them, before its partitions are chosen)."""
        if self.empty:
            raise ValueError("data has no rows")
        source = self.source
        if opts.sample == "partitions":
            if partitions_ok is not None:
                partitions_ok()
            source = sampled_partitions(source, opts.sample_size, opts.seed)
        return engine.pass_results(
            source,
            labels,
            kinds,
            tuple(pairs),
            opts,
            diagonal=diagonal,
            stderr_splits=stderr_splits,
            knn_permutations=knn_permutations,
        )

    def conditional(
        self,
        labels: Sequence[Hashable],
        kinds: Sequence[str],
        pairs: Sequence[tuple[int, int]],
        given: Hashable,
        opts: Options,
        *,
        diagonal: bool,
    ) -> Conditional:
        """The conditioning pass over the data."""
        return conditional_matrix(self.source, labels, kinds, pairs, given, opts, diagonal=diagonal)


@dataclass(frozen=True, eq=False)
class Stored:
    """A stored summary: its counts and sample answer, no data is read."""

    summary: Summary

    @property
    def columns(self) -> list[Hashable]:
        return list(self.summary.columns)

    def plan(
        self, columns: Any, target: Hashable | None, opts: Options, given: Hashable | None, narrow_ints: bool
    ) -> tuple[Options, list[Hashable], tuple[str, ...]]:
        """A call's options, columns and kinds from the summary: its columns, kinds and
        seed are fixed, and options that would need the data again are refused."""
        summary = self.summary
        if summary.given is not None and given != summary.given:
            raise ValueError(
                f"this summary holds the counts for given={summary.given!r} only; pass "
                f"given={summary.given!r} (or summarize without given= for unconditional results)"
            )
        if not (isinstance(opts.discrete, str) and opts.discrete == "auto"):
            raise ValueError(
                "discrete= cannot be changed for a summary: its kinds were fixed by dmi.summarize(); "
                "summarize again with the discrete= you want"
            )
        if opts.method != "auto" or opts.sample != "rows":
            raise ValueError("method='binned' and sample='partitions' need the data, not a summary")
        if opts.weights is not None and opts.weights != summary.weights:
            made = "without weights" if summary.weights is None else f"with weights={summary.weights!r}"
            raise ValueError(
                f"weights={opts.weights!r}: this summary's counts were made {made}, and a summary cannot "
                "weigh its rows again (leave weights out, or summarize the data with the weights you want)"
            )
        stored = summary.max_categories
        if summary.state.counts is not None and opts.cap_given and opts.max_categories != stored:
            raise ValueError(
                f"max_categories={opts.max_categories!r} differs from the summary's {stored!r}: a summary's "
                "counts were capped when it was made; summarize again with the max_categories you want"
            )
        if opts.seed_given and opts.seed != summary.seed:
            raise ValueError(
                f"random_state={opts.seed!r} differs from the summary's seed {summary.seed}; "
                "a summary's sample was drawn with its own seed (leave random_state out)"
            )
        labels = labels_of(columns, target, self.columns)
        kind_of = dict(zip(summary.columns, summary.kinds, strict=True))
        opts = replace(opts, seed=summary.seed, sample_size=summary.sample_size, max_categories=stored)
        return opts, labels, tuple(Kind(kind_of[c]) for c in labels)

    def narrowed(self, labels: Sequence[Hashable], kinds: tuple[str, ...]) -> tuple[str, ...]:
        return kinds  # a summary's kinds were decided when it was made

    def check_given(self, given: Hashable, opts: Options, check_dtype: Callable[..., None]) -> None:
        """ValueError when the summary was not made with ``given=`` (it has no three-way counts)."""
        if self.summary.given != given:
            raise ValueError(
                f"given={given!r} needs three-way counts: summarize the data with given={given!r} "
                f"(this summary's given is {self.summary.given!r})"
            )

    def results(
        self,
        labels: list[Hashable],
        kinds: tuple[str, ...],
        pairs: Sequence[tuple[int, int]],
        opts: Options,
        *,
        diagonal: bool,
        stderr_splits: int = 0,
        knn_permutations: int = 0,
        partitions_ok: Callable[[], None] | None = None,
    ) -> Results:
        """The summary projected onto ``pairs``, the k-NN pairs estimated on its sample."""
        summary = self.summary
        pl = engine.plan(
            labels, kinds, tuple(pairs), diagonal=diagonal, sample_size=summary.sample_size, seed=summary.seed
        )
        state = project(summary, pl.spec)
        blocks = engine.estimate_locally(
            pl,
            state,
            n_neighbors=opts.n_neighbors,
            seed=summary.seed,
            stderr_splits=stderr_splits,
            knn_permutations=knn_permutations,
        )
        notes = Notes(n_neighbors=opts.n_neighbors)
        res = engine.finish_pass(pl, state, blocks, labels, dropna=opts.dropna, notes=notes)
        notes.emit()
        return res

    def conditional(
        self,
        labels: Sequence[Hashable],
        kinds: Sequence[str],
        pairs: Sequence[tuple[int, int]],
        given: Hashable,
        opts: Options,
        *,
        diagonal: bool,
    ) -> Conditional:
        """The summary's three-way counts (made with ``given=``)."""
        stored = partial(project_given, self.summary, given)
        return conditional_matrix(
            self.summary, labels, kinds, pairs, given, opts, diagonal=diagonal, stored=stored
        )


Basis = Data | Stored


def basis_of(data: Any) -> Basis:
    """The one fork between a stored summary and data: a :class:`dmi.Summary` as it is, a
    path to a ``.dmi`` file loaded (:func:`dmi.load`), anything else opened as data."""
    if isinstance(data, Data | Stored):
        return data
    if isinstance(data, Summary):
        return Stored(data)
    if isinstance(data, str | os.PathLike) and os.fspath(data).lower().endswith(".dmi"):
        return Stored(load(data))
    if isinstance(data, list | tuple) and any(
        isinstance(d, str | os.PathLike) and os.fspath(d).lower().endswith(".dmi") for d in data
    ):
        raise ValueError(
            "a list holding .dmi summary files: load and merge them first, "
            "dmi.load(a).merge(dmi.load(b)), and pass the merged summary"
        )
    if isinstance(data, Source):
        return Data(data)
    return Data(open_data(data), empty=isinstance(data, pd.DataFrame) and len(data) == 0)
