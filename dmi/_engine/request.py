"""A public call's request: options checked, data opened, columns planned, results finished.

Private to :mod:`dmi.api`, whose functions are the documented entry points.
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, Union

import numpy as np
import pandas as pd

from dmi._engine import engine
from dmi._engine.columns import AUTO, CONTINUOUS, check_known, counted, narrow, resolve_kinds, select_columns
from dmi._engine.conditional import matrix as conditional_matrix
from dmi._engine.engine import Results
from dmi._engine.keywords import DefaultCap, Options, default
from dmi._engine.notes import Notes
from dmi._engine.projection import project, project_given
from dmi._engine.validate import (
    METHODS,
    NORMALIZE_METHODS,
    SAMPLE_MODES,
    check_base,
    check_choice,
    check_max_categories,
    check_positive_int,
    check_random_state,
    check_split_every,
)
from dmi._inputs.scan import Scan
from dmi._inputs.source import Source, check_unique, open_data, sampled_partitions
from dmi._math.entropy import normalized
from dmi._math.estimators import PairResult, to_base
from dmi._typing import Discrete, Method, Normalize, PathLike, RandomState, SampleMode, SplitEvery
from dmi.summary import Summary, load

if TYPE_CHECKING:
    import dask.dataframe as dd
    import polars as pl
    import pyarrow as pa
    import pyarrow.dataset as pads


def check_options(
    *,
    discrete: Discrete = default("discrete"),
    method: Method = default("method"),
    bins: int | str = default("bins"),
    n_neighbors: int = default("n_neighbors"),
    sample_size: int = default("sample_size"),
    base: float = default("base"),
    normalize: Normalize | None = default("normalize"),
    dropna: bool = default("dropna"),
    random_state: RandomState = default("random_state"),
    split_every: SplitEvery = default("split_every"),
    sample: SampleMode = default("sample"),
    progress: bool = default("progress"),
    max_categories: int | None = default("max_categories"),
) -> Options:
    """Validate every keyword of a public call and resolve its seed; reads no data.

    The defaults are the public ones (:mod:`dmi._engine.keywords`): a public function that
    does not take a keyword (``summarize`` has no ``method``) leaves it out here.
    """
    check_choice("method", method, METHODS)
    check_choice("sample", sample, SAMPLE_MODES)
    _check_bins(bins)
    check_positive_int("n_neighbors", n_neighbors)
    check_positive_int("sample_size", sample_size)
    if not (isinstance(discrete, str | bool | np.bool_) or isinstance(discrete, Sequence | pd.Index)):
        raise TypeError(f"discrete must be 'auto', True, False or a list of column names; got {discrete!r}")
    if normalize is not None:
        check_choice("normalize", normalize, (None, *NORMALIZE_METHODS))
    for name, flag in (("dropna", dropna), ("progress", progress)):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    return Options(
        discrete=discrete,
        base=check_base(base),
        normalize=normalize,
        dropna=bool(dropna),
        split_every=check_split_every(split_every),
        n_neighbors=int(n_neighbors),
        sample_size=int(sample_size),
        seed=check_random_state(random_state),
        method=method,
        bins=bins if isinstance(bins, str) else int(bins),
        sample=sample,
        progress=bool(progress),
        max_categories=check_max_categories(max_categories),
        seed_given=random_state is not None,
        cap_given=not isinstance(max_categories, DefaultCap),
    )


def _check_bins(bins: Any) -> None:
    """``bins``: ``"auto"`` or an integer of at least 2."""
    if isinstance(bins, str):
        if bins != "auto":
            raise ValueError(f"bins must be 'auto' or an integer >= 2, got {bins!r}")
        return
    try:
        check_positive_int("bins", bins, minimum=2)
    except (TypeError, ValueError) as err:
        raise type(err)(f"bins must be 'auto' or an integer >= 2, got {bins!r}") from None


def frame_columns(ddf: Any) -> list[Hashable]:
    """The frame's column labels, which must be unique and not empty."""
    frame_columns = list(ddf.columns)
    check_unique(frame_columns)
    if not frame_columns:
        raise ValueError("data has no columns")
    return frame_columns


MATRIX = object()  # the "no target" marker of prepare()


DataLike: TypeAlias = Union[
    "pd.DataFrame",
    "dd.DataFrame",
    "pl.DataFrame",
    "pl.LazyFrame",
    "pa.Table",
    "pads.Dataset",
    PathLike,
    Sequence[PathLike],
    Scan,
    Summary,
]
"""Every form of ``data`` (what :func:`stored_or_source` takes); ``dmi._typing.DATA_FORMS``
describes each, once, for the docstrings, the command line's help and the guide."""


def stored_or_source(data: Any) -> Summary | Source:
    """The one fork between a stored summary and data: a :class:`dmi.Summary` as it is, a
    path to a ``.dmi`` file loaded (:func:`dmi.load`), anything else opened as data."""
    if isinstance(data, Summary | Source):
        return data
    if isinstance(data, str | os.PathLike) and os.fspath(data).lower().endswith(".dmi"):
        return load(data)
    if isinstance(data, list | tuple) and any(
        isinstance(d, str | os.PathLike) and os.fspath(d).lower().endswith(".dmi") for d in data
    ):
        raise ValueError(
            "a list holding .dmi summary files: load and merge them first, "
            "dmi.load(a).merge(dmi.load(b)), and pass the merged summary"
        )
    return open_data(data)


def prepare(
    data: Any,
    columns: Any,
    target: Any,
    opts: Options,
    *,
    given: Hashable | None = None,
    narrow: bool = True,
) -> tuple[Options, Any, list[Hashable], tuple[str, ...]]:
    """Open the data (or take a stored summary) and plan a call's columns; reads no data.

    The columns are ``[target, *others]`` for ``mutual_info_with``, else the selection
    (``target`` is :data:`MATRIX`). ``narrow``: decide integer columns whose value range
    proves them discrete now (:func:`dmi._engine.columns.narrow`); a summary keeps them undecided,
    so that summaries of other rows, with other ranges, still merge.
    """
    data = stored_or_source(data)  # a caller may have opened it
    if isinstance(data, Summary):
        return _prepare_summary(data, columns, target, opts, given)
    source = data
    names = frame_columns(source.frame)
    labels = _labels(columns, target, names)
    kinds = resolve_kinds(opts.discrete, labels, source.frame.dtypes, names)
    if narrow:
        kinds = narrow_kinds(source, labels, kinds)
    return opts, source, labels, kinds


def narrow_kinds(source: Any, labels: Sequence[Hashable], kinds: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`dmi._engine.columns.narrow` with the ranges the source knows without reading data."""
    ranges = [source.value_range(c) if k == AUTO else None for c, k in zip(labels, kinds, strict=True)]
    return narrow(kinds, ranges)


def _labels(columns: Any, target: Any, frame_columns: list[Hashable]) -> list[Hashable]:
    """The columns of a request: the selection, or ``[target, *others]``."""
    selected = select_columns(columns, frame_columns)
    if target is MATRIX:
        return selected
    check_known("target", [target], frame_columns)
    return [target, *(c for c in selected if c != target)]


def _prepare_summary(
    summary: Summary, columns: Any, target: Any, opts: Options, given: Hashable | None
) -> tuple[Options, Any, list[Hashable], tuple[str, ...]]:
    """:func:`prepare` for a :class:`dmi.summary.Summary` in place of data: its columns,
    kinds and seed are fixed, and options that would need the data again are refused."""
    if summary.given is not None and given != summary.given:
        raise ValueError(
            f"this summary holds the counts for given={summary.given!r} only; pass given={summary.given!r} "
            "(or summarize without given= for unconditional results)"
        )
    if not (isinstance(opts.discrete, str) and opts.discrete == "auto"):
        raise ValueError(
            "discrete= cannot be changed for a summary: its kinds were fixed by dmi.summarize(); "
            "summarize again with the discrete= you want"
        )
    if opts.method != "auto" or opts.sample != "rows":
        raise ValueError("method='binned' and sample='partitions' need the data, not a summary")
    stored = summary.max_categories
    capped = summary.state.counts is not None
    if capped and opts.cap_given and opts.max_categories != stored:
        raise ValueError(
            f"max_categories={opts.max_categories!r} differs from the summary's {stored!r}: a summary's "
            "counts were capped when it was made; summarize again with the max_categories you want"
        )
    if opts.seed_given and opts.seed != summary.seed:
        raise ValueError(
            f"random_state={opts.seed!r} differs from the summary's seed {summary.seed}; "
            "a summary's sample was drawn with its own seed (leave random_state out)"
        )
    labels = _labels(columns, target, list(summary.columns))
    kind_of = dict(zip(summary.columns, summary.kinds, strict=True))
    opts = replace(opts, seed=summary.seed, sample_size=summary.sample_size, max_categories=stored)
    return opts, summary, labels, tuple(kind_of[c] for c in labels)


def without_given(
    given: Hashable, ddf: Any, labels: list[Hashable], kinds: tuple[str, ...], opts: Options
) -> tuple[list[Hashable], tuple[str, ...]]:
    """Check ``given=`` and leave it out of the columns."""
    if isinstance(ddf, Summary):
        if ddf.given != given:
            raise ValueError(
                f"given={given!r} needs three-way counts: summarize the data with given={given!r} "
                f"(this summary's given is {ddf.given!r})"
            )
        return labels, kinds
    dtypes = ddf.frame.dtypes
    check_known("given", [given], list(dtypes.index))
    check_given_dtype(given, dtypes[given], opts.discrete)
    if opts.normalize is not None or opts.method != "auto" or opts.sample != "rows":
        raise ValueError("given= works with normalize=None, method='auto' and sample='rows'")
    keep = [i for i, c in enumerate(labels) if c != given]
    return [labels[i] for i in keep], tuple(kinds[i] for i in keep)


def compute(
    data: Any,
    ddf: Any,
    labels: list[Hashable],
    kinds: tuple[str, ...],
    pairs: tuple[tuple[int, int], ...],
    opts: Options,
    *,
    diagonal: bool,
    stderr_splits: int = 0,
    knn_permutations: int = 0,
) -> Results:
    """Refuse impossible combinations, then run the engine for the planned pairs: on a
    stored summary (no data read), or on the data."""
    if opts.normalize is not None and opts.method != "binned":
        knn = [(labels[i], labels[j]) for i, j in pairs if CONTINUOUS in (kinds[i], kinds[j])]
        if knn:
            raise _cannot_normalize(opts, *knn[0], "")
    if isinstance(ddf, Summary):
        pl = engine.plan(labels, kinds, pairs, diagonal=diagonal, sample_size=ddf.sample_size, seed=ddf.seed)
        state = project(ddf, pl.spec)
        blocks = engine.estimate_locally(
            pl,
            state,
            n_neighbors=opts.n_neighbors,
            seed=ddf.seed,
            stderr_splits=stderr_splits,
            knn_permutations=knn_permutations,
        )
        notes = Notes(n_neighbors=opts.n_neighbors)
        res = engine.finish(pl, state, blocks, labels, dropna=opts.dropna, notes=notes)
        notes.emit()
    else:
        if isinstance(data, pd.DataFrame) and len(data) == 0:
            raise ValueError("data has no rows")
        if opts.sample == "partitions":
            _check_partitions(labels, kinds, pairs, opts)
            ddf = sampled_partitions(ddf, opts.sample_size, opts.seed)
        res = engine.compute(
            ddf,
            labels,
            kinds,
            pairs,
            opts,
            diagonal=diagonal,
            stderr_splits=stderr_splits,
            knn_permutations=knn_permutations,
        )
    if opts.normalize is not None:  # integer columns with many values turned continuous
        results = zip(pairs, res.pairs, strict=True)
        knn = [(labels[i], labels[j]) for (i, j), r in results if not r.estimator.entropies]
        if knn:
            raise _cannot_normalize(opts, *knn[0], " (integers with many values are continuous)")
    return res


def _cannot_normalize(opts: Options, a: Hashable, b: Hashable, why: str) -> ValueError:
    return ValueError(
        f"normalize={opts.normalize!r} needs the entropies of both columns, which the k-NN estimators of "
        f"continuous columns do not give (e.g. pair {a!r}, {b!r}{why}); use method='binned', or list the "
        "columns in discrete=[...]"
    )


def _check_partitions(
    labels: list[Hashable], kinds: tuple[str, ...], pairs: tuple[tuple[int, int], ...], opts: Options
) -> None:
    """ValueError when ``sample='partitions'`` cannot serve: a pair (or ``method='binned'``)
    needs every row."""
    full = [(i, j) for i, j in pairs if counted(kinds[i]) and counted(kinds[j])]
    if full or opts.method == "binned":
        shown = "method='binned' counts"
        if full:
            i, j = full[0]
            what = (
                "may be discrete (integers with few values are)"
                if AUTO in (kinds[i], kinds[j])
                else "is discrete"
            )
            shown = f"pair {labels[i]!r}, {labels[j]!r} {what}"
        raise ValueError(
            f"sample='partitions' reads only some partitions, but {shown} and needs every row; "
            "use sample='rows' (the default), leave the discrete pairs out, or pass discrete=False"
        )


def value(result: PairResult, opts: Options) -> float:
    """A pair's result in the caller's units: MI in ``base``, or normalized MI."""
    if opts.normalize is not None:
        assert result.stats is not None  # plug-in pairs only: checked in compute()
        return normalized(result.stats, opts.normalize)
    return float(to_base(result.mi, opts.base))


def diagonal(h: float, opts: Options) -> float:
    """A diagonal cell: H(X) in ``base``, or 1.0 when normalized (NaN without values)."""
    if opts.normalize is not None:
        return math.nan if math.isnan(h) else 1.0
    return float(to_base(h, opts.base))


def unit(opts: Options) -> str:
    """What a result's numbers measure: 'nats', 'bits', 'log base b' or 'normalized, <mean>'."""
    if opts.normalize is not None:
        return f"normalized, {opts.normalize}"
    return unit_of_base(opts.base)


def unit_of_base(base: float) -> str:
    """The unit of information in logarithms of ``base``: 'nats', 'bits' or 'log base b'."""
    if base == math.e:
        return "nats"
    if base == 2:
        return "bits"
    return f"log base {base:g}"


def check_given_dtype(given: Hashable, dtype: Any, discrete: Any = "auto") -> None:
    """ValueError when the column to condition on is a float column (it has no strata),
    unless ``discrete`` names it (or is True): a column the user calls discrete is
    discrete, whatever its dtype (whole numbers stored as floats because of NaN)."""
    named = discrete is True or (
        not isinstance(discrete, str | bool) and given in list(discrete)  # a list of names
    )
    if pd.api.types.is_float_dtype(dtype) and not named:
        raise ValueError(
            f"given={given!r} is a float column ({dtype}); conditioning needs discrete strata. If its "
            f"values are categories (whole numbers stored as floats), name it: discrete=[..., {given!r}]; "
            "else bin it first (e.g. pandas.cut or qcut into a few intervals)"
        )


def conditional(
    data: Any,
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    given: Hashable,
    opts: Options,
    *,
    diagonal: bool,
) -> tuple[list[float], list[int], list[tuple[float, int]]]:
    """``I(a;b|given)`` of each pair (nats), rows used, and ``H(c|given)`` of each column with
    the rows it is over: from the data's conditioning pass, or from a summary made with
    ``given=``."""
    stored = partial(project_given, data, given) if isinstance(data, Summary) else None
    mi, rows, entropy_given, _ = conditional_matrix(
        data, labels, kinds, pairs, given, opts, diagonal=diagonal, stored=stored
    )
    return mi, rows, entropy_given


def conditional_with_dof(
    data: Any,
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    given: Hashable,
    opts: Options,
) -> tuple[list[float], list[int], list[int]]:
    """``I(a;b|given)`` of each pair (nats), rows used, and the degrees of freedom of its
    G-test of conditional independence (counted pairs; 0 for k-NN pairs), from the data's
    conditioning pass."""
    mi, rows, _, dof = conditional_matrix(data, labels, kinds, pairs, given, opts, diagonal=False)
    return mi, rows, dof
