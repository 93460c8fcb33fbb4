"""The long-form result: one row per pair with every statistic (pure; fed by the engine)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from . import _stats
from ._engine import PairResult, Results
from ._entropy import normalized
from ._knn_pairs import KSG, PLUG_IN
from ._random import Purpose, stream

P_VALUE_METHODS = ("auto", "chi2", "permutation")
KINDS = {PLUG_IN: "dd", KSG: "cc"}  # anything else (Ross) is "dc"


def pair_row(
    r: PairResult,
    *,
    total: int,
    base: float,
    average: str,
    p_value: str,
    permutations: int,
    seed: np.random.Generator,
) -> dict[str, object]:
    """The statistics of one pair; MI-like values in units of ``base``."""
    log_base = math.log(base)
    row: dict[str, object] = {
        "kind": KINDS.get(r.estimator, "dc"),
        "estimator": r.estimator,
        "n": r.n,
        "n_missing": total - r.n,
        "mi": r.mi / log_base,
    }
    s = r.stats
    if s is None:  # a sample-based estimator: no entropies, no test, a standard error
        nan = math.nan
        row.update(h_x=nan, h_y=nan, nmi=nan, ami=nan, mi_miller_madow=nan, g=nan, dof=pd.NA)
        tested = not math.isnan(r.p_value)
        row.update(
            p_value=r.p_value, p_method="permutation" if tested else None, mi_stderr=r.stderr / log_base
        )
        return row
    known = s.n > 0 and not math.isnan(s.mi)  # NaN: a column over max_categories
    g, dof, p_chi2 = _stats.g_test(s)
    # a folded identifier's margin is not kept in full, so its pairs take the G-test
    use_permutation = not any(s.singletons) and (
        p_value == "permutation" or (p_value == "auto" and _stats.is_sparse(s))
    )
    row.update(
        h_x=s.h_x / log_base,
        h_y=s.h_y / log_base,
        nmi=normalized(s, average),
        ami=_stats.adjusted(s, average),
        mi_miller_madow=_stats.miller_madow(s) / log_base,
        g=g,
        dof=dof if known else pd.NA,
        p_value=_stats.permutation_p(s, permutations, seed) if use_permutation else p_chi2,
        p_method=("permutation" if use_permutation else "chi2") if known else None,
        mi_stderr=math.nan,
    )
    return row


def build(
    labels: Sequence[Hashable],
    pairs: Sequence[tuple[int, int]],
    res: Results,
    *,
    base: float,
    average: str,
    p_value: str,
    permutations: int,
    seed: int,
) -> pd.DataFrame:
    """The table of all ``pairs``, with Benjamini-Hochberg q-values over them."""
    rows = []
    for k, ((i, j), r) in enumerate(zip(pairs, res.pairs, strict=True)):
        total = res.n_rows if r.estimator == PLUG_IN else res.sample_rows
        row = pair_row(
            r,
            total=total,
            base=base,
            average=average,
            p_value=p_value,
            permutations=permutations,
            seed=stream(seed, Purpose.TABLE_PERMUTATIONS, k),
        )
        rows.append({"x": labels[i], "y": labels[j], **row})
    columns = [
        "x", "y", "kind", "estimator", "n", "n_missing", "mi", "h_x", "h_y", "nmi", "ami",
        "mi_miller_madow", "g", "dof", "p_value", "p_method", "q_value", "mi_stderr",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=[c for c in columns if c != "q_value"])
    table.insert(columns.index("q_value"), "q_value", _stats.benjamini_hochberg(table["p_value"].to_numpy()))
    table["dof"] = table["dof"].astype("Int64")
    return table
