"""``given=`` a set of columns (or a continuous one): the matrix, the target's series and
the scalar, from the conditional tests' pass (:mod:`dmi._engine.independence`).

A single discrete ``given`` keeps the conditioning pass of :mod:`dmi._engine.conditional`
(its composites also live in summaries); a list of two or more columns, or a float
column, takes the joint tables of the tests' engine: exact plug-in ``I(X;Y|Z)`` from the
counts of all rows when every column is discrete, the Frenzel-Pompe estimate on the
sample otherwise (discrete columns as strata, continuous ones in the k-NN space).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dmi._engine.basis import Data
from dmi._engine.columns import CONTINUOUS, check_known, matrix_pairs, target_pairs
from dmi._engine.independence import CiTest, Settings, TestRun, run_tests
from dmi._engine.keywords import Options
from dmi._engine.request import Request, prepare, unit
from dmi._engine.table import rows_attrs
from dmi._math.estimators import to_base

# Estimates only: no p-values (mutual_info_table asks for its own).
ESTIMATES = Settings(method="g-test", knn_permutations=0)


def given_columns(given: Any) -> tuple[Hashable, ...] | None:
    """``given=`` as a tuple of columns: None (or an empty list) for none, a name for one."""
    if given is None:
        return None
    if isinstance(given, str) or not isinstance(given, Sequence | pd.Index):
        return (given,)
    out = tuple(given)
    if len(set(out)) < len(out):
        raise ValueError(f"given names a column twice: {list(out)!r}")
    return out or None


def column_set(
    name: str, value: Any, available: Sequence[Hashable], *, empty_ok: bool = False
) -> tuple[Hashable, ...]:
    """A column or a list of columns as a tuple, checked: KeyError for a column not in the
    data, ValueError for an empty list (unless ``empty_ok``) or a column named twice."""
    if value is None:
        cols: tuple[Hashable, ...] = ()
    elif isinstance(value, str) or not isinstance(value, Sequence | pd.Index):
        cols = (value,)
    else:
        cols = tuple(value)
    if not cols and not empty_ok:
        raise ValueError(f"{name} must name at least one column")
    if len(set(cols)) < len(cols):
        raise ValueError(f"{name} names a column twice: {list(cols)!r}")
    check_known(name, list(cols), list(available))
    return cols


def check_disjoint(**sets: tuple[Hashable, ...]) -> None:
    """ValueError naming a column that is in two of the sets."""
    seen: dict[Hashable, str] = {}
    for name, cols in sets.items():
        for c in cols:
            if c in seen:
                raise ValueError(
                    f"column {c!r} is in both {seen[c]} and {name}; each column may be in one only"
                )
            seen[c] = name


def open_data(
    data: Any, columns: Sequence[Hashable], opts: Options, what: str
) -> tuple[Any, dict[Hashable, str]]:
    """The data's source and each column's kind (integer columns undecided until counted).
    TypeError for a stored summary: it holds no joint counts of sets."""
    req = prepare(data, list(columns), opts)
    if not isinstance(req.basis, Data):
        raise TypeError(
            f"{what} reads the data: a dmi.Summary holds pair counts (and three-way counts for one "
            "discrete given=), not the joint counts of sets of columns; pass the data (a frame, "
            "Parquet paths, ...)"
        )
    if req.basis.empty:
        raise ValueError("data has no rows")
    return req.basis.source, dict(zip(req.labels, req.kinds, strict=True))


def takes_sets(req: Request, givens: tuple[Hashable, ...]) -> bool:
    """Whether ``given=`` needs the tests' engine: two columns or more, or a float column
    that ``discrete`` does not name."""
    if len(givens) > 1:
        return True
    if not isinstance(req.basis, Data):  # a summary conditions on its one stored column
        return False
    check_known("given", list(givens), req.basis.columns)
    kinds = prepare(req.basis, list(givens), req.opts).kinds
    return kinds[0] == CONTINUOUS


def checked_sets(
    req: Request, givens: tuple[Hashable, ...]
) -> tuple[Any, list[Hashable], dict[Hashable, str]]:
    """The source, the request's columns without the given ones, and every column's kind."""
    opts = req.opts
    check_known("given", list(givens), req.basis.columns)
    if opts.normalize is not None or opts.method != "auto" or opts.sample != "rows":
        raise ValueError("given= works with normalize=None, method='auto' and sample='rows'")
    labels = [c for c in req.labels if c not in givens]
    source, kinds = open_data(req.basis, [*labels, *givens], opts, "given= with several columns")
    if not opts.dropna and any(k == CONTINUOUS for k in kinds.values()):
        raise ValueError("dropna=False needs discrete columns (a k-NN estimate has no 'missing' value)")
    return source, labels, kinds


def _run(
    source: Any,
    labels: list[Hashable],
    kinds: dict[Hashable, str],
    pairs: Any,
    givens: tuple[Hashable, ...],
    opts: Options,
    diagonal: bool,
) -> TestRun:
    tests = [CiTest((labels[i],), (labels[j],), givens) for i, j in pairs]
    extra = [(c, *givens) for c in labels] if diagonal else []
    return run_tests(source, [*labels, *givens], kinds, tests, opts, ESTIMATES, extra)


def set_matrix(req: Request, givens: tuple[Hashable, ...]) -> pd.DataFrame:
    """``I(X;Y|given)`` off the diagonal, ``H(X|given)`` on it (discrete columns and sets)."""
    source, labels, kinds = checked_sets(req, givens)
    pairs = matrix_pairs(len(labels))
    run = _run(source, labels, kinds, pairs, givens, req.opts, diagonal=True)
    p, base = len(labels), req.opts.base
    out = np.full((p, p), np.nan)
    used: list[float] = []
    for c, name in enumerate(labels):
        if run.kinds[name] != CONTINUOUS and all(run.kinds[g] != CONTINUOUS for g in givens):
            h, n = run.conditional_entropy((name,), givens)
            out[c, c] = to_base(h, base)
            used.append(n)
    sampled: float = 0
    for (i, j), o in zip(pairs, run.outcomes, strict=True):
        out[i, j] = out[j, i] = to_base(o.mi, base)
        used.append(o.n)
        if o.method.startswith("knn"):
            sampled = max(sampled, o.n)
    index = pd.Index(labels)
    result = pd.DataFrame(out, index=index, columns=index.copy())
    result.attrs.update(rows_attrs(used, sampled), unit=unit(req.opts), given=list(givens))
    return result


def set_with(req: Request, target: Hashable, givens: tuple[Hashable, ...]) -> pd.Series:
    """``I(target; X | given)`` for each other column of the request."""
    if target in givens:
        raise ValueError(f"given={list(givens)!r} holds the target {target!r}; condition on other columns")
    source, labels, kinds = checked_sets(req, givens)
    others = labels[1:]
    pairs = target_pairs(len(labels))
    run = _run(source, labels, kinds, pairs, givens, req.opts, diagonal=False)
    values = [to_base(o.mi, req.opts.base) for o in run.outcomes]
    result = pd.Series(values, index=pd.Index(others), dtype=np.float64, name=target)
    result.attrs.update(
        n_rows={c: o.n for c, o in zip(others, run.outcomes, strict=True)},
        unit=unit(req.opts),
        given=list(givens),
    )
    return result


def set_scalar(req: Request, x: Hashable, y: Hashable, givens: tuple[Hashable, ...]) -> float:
    """``I(x; y | given)`` in units of ``base``."""
    source, _, kinds = checked_sets(req, givens)
    run = run_tests(source, [x, y, *givens], kinds, [CiTest((x,), (y,), givens)], req.opts, ESTIMATES)
    return float(to_base(run.outcomes[0].mi, req.opts.base))
