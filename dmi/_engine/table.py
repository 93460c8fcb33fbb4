"""The long-form result: one row per pair, each estimator stating its statistics (pure)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from dmi._engine.engine import Results
from dmi._math import stats
from dmi._math.estimators import PairResult, TableOptions, to_base
from dmi._math.streams import Purpose, stream
from dmi._math.weights import as_rows

P_VALUE_METHODS = ("auto", "chi2", "permutation")


def square(
    labels: Sequence[Hashable],
    pairs: Sequence[tuple[int, int]],
    res: Results,
    cell: Callable[[PairResult, bool], float],
    self_cell: Callable[[float], float],
) -> pd.DataFrame:
    """A columns x columns result: ``cell(pair, reverse)`` at (i, j) and, reversed, at
    (j, i); ``self_cell(H(X))`` on the diagonal; ``attrs``: :func:`rows_attrs`."""
    p = len(labels)
    out = np.empty((p, p), dtype=np.float64)
    for c in range(p):
        out[c, c] = self_cell(res.entropy[c])
    for (i, j), r in zip(pairs, res.pairs, strict=True):
        out[i, j] = cell(r, False)
        out[j, i] = cell(r, True)
    index = pd.Index(list(labels))
    result = pd.DataFrame(out, index=index, columns=index.copy())
    used = itertools.chain(res.n_present, (r.n for r in res.pairs))
    result.attrs.update(rows_attrs(used, res.sample_rows))
    return result


def rows_attrs(used: Iterable[float], sample_rows: float = 0) -> dict[str, float]:
    """A square result's ``attrs`` on rows, from the rows each cell used (the diagonal's and
    the pairs'): ``n_rows``, the most rows a cell used, and ``sample_rows`` when some cell
    was estimated on the sample.

    Per-cell rows are not kept: pandas deep-copies ``attrs`` on every operation (a column
    read, ``round``, ``to_parquet`` once per column), so a columns x columns mapping made a
    1,000-column matrix's ``to_parquet`` take minutes and tens of GB. Each pair's rows are
    the ``n`` column of :func:`dmi.mutual_info_table`.
    """
    out: dict[str, float] = {"n_rows": as_rows(max(used, default=0))}
    if sample_rows:
        out["sample_rows"] = int(sample_rows)
    return out


def pair_table(
    labels: Sequence[Hashable],
    pairs: Sequence[tuple[int, int]],
    res: Results,
    *,
    base: float,
    average: str,
    p_value: str,
    permutations: int,
    seed: int,
    hypotheses: int | None = None,
    streams: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The table of all ``pairs``, with Benjamini-Hochberg q-values over them (over
    ``hypotheses`` pairs, when these are some of them: the others count as p = 1).
    ``streams``: each pair's permutation stream (default: its place in ``pairs``)."""
    opts = TableOptions(base, average, p_value, permutations)
    rows = []
    places = range(len(pairs)) if streams is None else streams
    for k, (i, j), r in zip(places, pairs, res.pairs, strict=True):
        est = r.estimator
        rows.append(
            {
                "x": labels[i],
                "y": labels[j],
                "kind": est.kind,
                "estimator": est.name,
                "n": r.n,
                "n_missing": est.rows_available(res.n_rows, res.sample_rows) - r.n,
                "mi": to_base(r.mi, base),
                **est.statistics(r, opts, stream(seed, Purpose.TABLE_PERMUTATIONS, k)),
            }
        )
    columns = [
        "x", "y", "kind", "estimator", "n", "n_missing", "mi", "h_x", "h_y", "nmi", "ami",
        "mi_miller_madow", "g", "dof", "p_value", "p_method", "q_value", "mi_stderr",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=[c for c in columns if c != "q_value"])
    table.insert(
        columns.index("q_value"), "q_value", stats.benjamini_hochberg(table["p_value"].to_numpy(), hypotheses)
    )
    table["dof"] = table["dof"].astype("Int64")
    return table
