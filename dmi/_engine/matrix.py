"""The square matrix and the target's series of a request: what :func:`dmi.mutual_info_matrix`
and :func:`dmi.mutual_info_with` return, with or without ``given=``."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from dmi._engine.columns import matrix_pairs, target_pairs
from dmi._engine.given_sets import given_columns, set_matrix, set_with, takes_sets
from dmi._engine.request import Request, compute, conditional, unit, without_given
from dmi._engine.table import rows_attrs, square
from dmi._math.estimators import entropy_in_units, in_units, to_base


def matrix(req: Request, given: Any) -> pd.DataFrame:
    """Every pair of the request's columns as a columns x columns frame: MI (or I(X;Y|given))
    off the diagonal, H(X) (or H(X|given)) on it; ``attrs``: rows, unit, bins or given."""
    givens = given_columns(given)
    if givens is not None:
        if takes_sets(req, givens):
            return set_matrix(req, givens)
        return _conditional_matrix(without_given(req, givens[0]), givens[0])
    labels, pairs = req.labels, matrix_pairs(len(req.labels))
    res = compute(req, pairs, diagonal=True)
    attrs = {"unit": unit(req.opts)} | ({"bins": res.bins} if res.bins is not None else {})
    base, normalize = req.opts.base, req.opts.normalize
    result = square(
        labels,
        pairs,
        res,
        lambda r, _: in_units(r, base, normalize),
        lambda h: entropy_in_units(h, base, normalize),
    )
    result.attrs.update(attrs)
    return result


def _conditional_matrix(req: Request, given: Hashable) -> pd.DataFrame:
    labels, pairs = req.labels, matrix_pairs(len(req.labels))
    mi, rows, h_given = conditional(req, pairs, given, diagonal=True)
    attrs = {"unit": unit(req.opts), "given": given}
    p, base = len(labels), req.opts.base
    out = np.full((p, p), np.nan)
    for c in range(p):
        out[c, c] = to_base(h_given[c][0], base)
    for (i, j), cmi in zip(pairs, mi, strict=True):
        out[i, j] = out[j, i] = to_base(cmi, base)
    index = pd.Index(labels)
    result = pd.DataFrame(out, index=index, columns=index.copy())
    result.attrs.update(rows_attrs([n for _, n in h_given] + list(rows)), **attrs)
    return result


def with_target(req: Request, target: Hashable, given: Any) -> pd.Series:
    """MI (or I(X;Y|given)) of the request's first column, ``target``, with each of the others,
    in their order; ``attrs``: each one's rows, unit, bins or given."""
    givens = given_columns(given)
    if givens is not None and takes_sets(req, givens):
        return set_with(req, target, givens)
    given = givens[0] if givens is not None else None
    if given is not None:
        if given == target:
            raise ValueError(f"given={given!r} is the target; condition on another column")
        req = without_given(req, given)
    others = req.labels[1:]
    pairs = target_pairs(len(req.labels))
    if not pairs:
        return pd.Series([], index=pd.Index([], dtype=object), dtype=np.float64, name=target)
    attrs: dict[str, Any] = {"unit": unit(req.opts)}
    if given is not None:
        mi, rows, _ = conditional(req, pairs, given, diagonal=False)
        result = pd.Series(to_base(np.array(mi), req.opts.base), index=pd.Index(others), name=target)
        result.attrs.update(n_rows=dict(zip(others, rows, strict=True)), **attrs, given=given)
        return result
    res = compute(req, pairs, diagonal=False)
    if res.bins is not None:
        attrs["bins"] = res.bins
    base, normalize = req.opts.base, req.opts.normalize
    values = [in_units(r, base, normalize) for r in res.pairs]
    result = pd.Series(values, index=pd.Index(others), dtype=np.float64, name=target)
    result.attrs.update(n_rows={c: int(r.n) for c, r in zip(others, res.pairs, strict=True)}, **attrs)
    return result
