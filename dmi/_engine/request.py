"""A public call's request: options checked, data opened, columns planned, results finished.

Private to :mod:`dmi.api`, whose functions are the documented entry points.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, Union

import numpy as np
import pandas as pd

from dmi._engine.basis import Basis, basis_of
from dmi._engine.columns import AUTO, CONTINUOUS, counted
from dmi._engine.engine import Results
from dmi._engine.keywords import DefaultCap, Options, default
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
from dmi._typing import Discrete, Method, Normalize, PathLike, RandomState, SampleMode, SplitEvery
from dmi.summary import Summary

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
    weights: Hashable | None = default("weights"),
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
        weights=weights,
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


@dataclass(frozen=True, eq=False)
class Request:
    """A call planned: its checked options, what it computes from, its columns and their kinds."""

    opts: Options
    basis: Basis
    labels: list[Hashable]
    kinds: tuple[str, ...]


def prepare(
    data: Any,
    columns: Any,
    opts: Options,
    *,
    target: Hashable | None = None,
    given: Hashable | None = None,
    narrow: bool = True,
) -> Request:
    """Open the data (or take a stored summary) and plan a call's columns; reads no data.

    The columns are ``[target, *others]`` with a ``target`` (``mutual_info_with``), else the
    selection. ``narrow``: decide integer columns whose value range proves them discrete now
    (:func:`dmi._engine.columns.narrow`); a summary keeps them undecided, so that summaries
    of other rows, with other ranges, still merge.
    """
    basis = basis_of(data)
    opts, labels, kinds = basis.plan(columns, target, opts, given, narrow)
    return Request(opts, basis, labels, kinds)


def without_given(req: Request, given: Hashable) -> Request:
    """Check ``given=`` and leave it out of the columns."""
    req.basis.check_given(given, req.opts, check_given_dtype)
    keep = [i for i, c in enumerate(req.labels) if c != given]
    return replace(req, labels=[req.labels[i] for i in keep], kinds=tuple(req.kinds[i] for i in keep))


def compute(
    req: Request,
    pairs: Sequence[tuple[int, int]],
    *,
    diagonal: bool,
    stderr_splits: int = 0,
    knn_permutations: int = 0,
) -> Results:
    """Refuse impossible combinations, then compute the planned pairs from the call's basis
    (a pass over the data, or a stored summary)."""
    opts, labels, kinds = req.opts, req.labels, req.kinds
    if opts.normalize is not None and opts.method != "binned":
        knn = [(labels[i], labels[j]) for i, j in pairs if CONTINUOUS in (kinds[i], kinds[j])]
        if knn:
            raise _cannot_normalize(opts, *knn[0], "")
    res = req.basis.results(
        labels,
        kinds,
        pairs,
        opts,
        diagonal=diagonal,
        stderr_splits=stderr_splits,
        knn_permutations=knn_permutations,
        partitions_ok=partial(_check_partitions, labels, kinds, tuple(pairs), opts),
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
    req: Request, pairs: Sequence[tuple[int, int]], given: Hashable, *, diagonal: bool
) -> tuple[list[float], list[float], list[tuple[float, float]]]:
    """``I(a;b|given)`` of each pair (nats), rows used, and ``H(c|given)`` of each column with
    the rows it is over: from the data's conditioning pass, or from a summary made with
    ``given=``."""
    mi, rows, entropy_given, _ = req.basis.conditional(
        req.labels, req.kinds, pairs, given, req.opts, diagonal=diagonal
    )
    return mi, rows, entropy_given


def conditional_with_dof(
    req: Request, pairs: Sequence[tuple[int, int]], given: Hashable
) -> tuple[list[float], list[float], list[int]]:
    """``I(a;b|given)`` of each pair (nats), rows used, and the degrees of freedom of its
    G-test of conditional independence (counted pairs; 0 for k-NN pairs)."""
    mi, rows, _, dof = req.basis.conditional(req.labels, req.kinds, pairs, given, req.opts, diagonal=False)
    return mi, rows, dof
