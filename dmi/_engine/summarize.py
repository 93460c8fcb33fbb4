"""``dmi.summarize``: one pass over the data, kept as a :class:`dmi.Summary`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Unpack

import pandas as pd
import pyarrow as pa

from dmi._engine import conditional
from dmi._engine.basis import Data
from dmi._engine.columns import AUTO, AUTO_DISCRETE_MAX, CONTINUOUS, DISCRETE, matrix_pairs
from dmi._engine.given_sets import given_columns
from dmi._engine.request import DataLike, check_options, prepare, without_given
from dmi._engine.signatures import SummaryKeywords, takes
from dmi._math.counts import CountSpec
from dmi._math.sample import SampleSpec
from dmi._pass import graph
from dmi._pass.onepass import PassSpec
from dmi.summary import Summary


@takes(SummaryKeywords)
def summarize(
    data: DataLike,
    columns: Sequence[Hashable] | None = None,
    *,
    given: Hashable | None = None,
    **options: Unpack[SummaryKeywords],
) -> Summary:
    """One pass over ``data``, kept: the counts of every discrete pair and a uniform sample.

    Parameters
    ----------
    data, columns, discrete, sample_size, split_every, progress, max_categories, weights
        As for :func:`dmi.mutual_info_matrix`. Results computed from the summary use
        its ``max_categories``; its counts and sample are weighted by ``weights``
        (recorded in the summary: a weighted summary merges only with summaries of the
        same weight column).
    random_state : int, numpy.random.Generator or None, default None
        The seed of the sample's row keys, recorded in the summary. Summaries to be
        merged must share it; ``None`` is the fixed default seed 0, so summaries made
        with default arguments merge.
    given : column name, optional
        Keep the three-way counts for conditioning on this discrete column instead (one
        column; several columns need the data itself):
        the summary then answers ``given=`` requests and
        :func:`dmi.conditional_mutual_info` with that ``given``, and nothing else.

    Returns
    -------
    Summary
        Pass it to any result function in place of ``data``, merge it with the
        summary of other rows, or save it.

    Examples
    --------
    >>> import pandas as pd, dmi
    >>> df = pd.DataFrame({"a": [0, 1, 1, 0] * 3, "b": list("xyyx" * 3)})
    >>> s = dmi.summarize(df.iloc[:6], random_state=1).merge(dmi.summarize(df.iloc[6:], random_state=1))
    >>> dmi.mutual_info_matrix(s).equals(dmi.mutual_info_matrix(df))
    True
    """
    req = prepare(data, columns, check_options(**options), narrow=False)
    givens = given_columns(given)
    if givens is not None and len(givens) > 1:
        raise ValueError(
            f"given={list(givens)!r}: a summary keeps the three-way counts of one discrete column; "
            "conditioning on several columns needs their joint counts, which a result function gathers "
            "from the data (pass the data with given=[...])"
        )
    given = givens[0] if givens is not None else None
    if given is not None:
        req = without_given(req, given)
    if not isinstance(req.basis, Data):
        raise TypeError("summarize takes data, and this is a summary already (Summary.merge combines them)")
    opts, source, labels, kinds = req.opts, req.basis.source, req.labels, req.kinds
    seed, sample_size = opts.seed, opts.sample_size
    if given is not None:
        pairs = matrix_pairs(len(labels))
        pass_spec, used = conditional.spec(labels, kinds, pairs, given, opts, diagonal=True)
        state = conditional.run(source, pass_spec, used, given, opts)
    else:
        state, _ = graph.run(
            source,
            full_spec(labels, kinds, sample_size, seed, opts.max_categories, opts.weights),
            opts.split_every,
            progress=opts.progress,
        )
    dtypes = tuple(_dtype_name(source.frame.dtypes[c]) for c in labels)
    return Summary(tuple(labels), tuple(kinds), dtypes, seed, sample_size, state, given, weights=opts.weights)


def _dtype_name(dtype: Any) -> str:
    """A column's dtype as a summary records it: every string storage is "string" (pandas'
    str, string[pyarrow], Arrow string and large_string hold the same values)."""
    if isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype):
        dtype = pd.ArrowDtype(dtype.pyarrow_dtype.value_type)
    if pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype):
        return "string"
    return str(dtype)


def full_spec(
    labels: Sequence[Hashable],
    kinds: Sequence[str],
    sample_size: int,
    seed: int,
    max_categories: int | None,
    weights: Hashable | None = None,
) -> PassSpec:
    """Counts of every pair of discrete (or undecided integer) columns; a sample of every
    column if any is continuous or undecided."""
    counted = [c for c, k in zip(labels, kinds, strict=True) if k != CONTINUOUS]
    auto = tuple(k == AUTO for k in kinds if k != CONTINUOUS)
    pairs = matrix_pairs(len(counted))
    counts = (
        CountSpec(
            tuple(counted),
            pairs,
            max_categories=max_categories,
            auto=auto if any(auto) else None,
            auto_cap=AUTO_DISCRETE_MAX,
        )
        if counted
        else None
    )
    continuous = tuple(k == CONTINUOUS for k in kinds)
    sample = (
        SampleSpec(tuple(labels), continuous, sample_size, seed)
        if any(k != DISCRETE for k in kinds)
        else None
    )
    return PassSpec(tuple(labels), counts, sample, weights)
