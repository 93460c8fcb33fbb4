"""The long-form result: one row per pair, each estimator stating its statistics (pure)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pandas as pd

from dmi._engine.engine import Results
from dmi._math import stats
from dmi._math.estimators import TableOptions, to_base
from dmi._math.streams import Purpose, stream

P_VALUE_METHODS = ("auto", "chi2", "permutation")


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
) -> pd.DataFrame:
    """The table of all ``pairs``, with Benjamini-Hochberg q-values over them."""
    opts = TableOptions(base, average, p_value, permutations)
    rows = []
    for k, ((i, j), r) in enumerate(zip(pairs, res.pairs, strict=True)):
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
    table.insert(columns.index("q_value"), "q_value", stats.benjamini_hochberg(table["p_value"].to_numpy()))
    table["dof"] = table["dof"].astype("Int64")
    return table
