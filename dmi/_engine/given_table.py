"""``mutual_info_table(..., given=...)``: each pair's ``I(X;Y|given)``, as the matrix gives
it, with its conditional test (:mod:`dmi._engine.independence`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dmi._engine.columns import CONTINUOUS, matrix_pairs
from dmi._engine.given_sets import checked_sets, given_columns, takes_sets
from dmi._engine.independence import CiTest, Settings, run_tests
from dmi._engine.matrix import matrix
from dmi._engine.request import Request, unit
from dmi._math.stats import benjamini_hochberg


def conditional_table(req: Request, given: Any, settings: Settings) -> pd.DataFrame:
    """Every pair's ``I(X;Y|given)`` (as :func:`dmi.mutual_info_matrix` gives it) and its
    conditional test (:func:`dmi.independence_test`'s), one row per pair."""
    givens = given_columns(given)
    assert givens is not None
    values = matrix(req, list(givens) if len(givens) > 1 else givens[0])
    source, labels, kinds = checked_sets(req, givens)
    labels = list(values.columns)
    pairs = matrix_pairs(len(labels))
    tests = [CiTest((labels[i],), (labels[j],), givens) for i, j in pairs]
    run = run_tests(source, [*labels, *givens], kinds, tests, req.opts, settings)
    cont = {c: run.kinds[c] == CONTINUOUS for c in labels}
    sets = takes_sets(req, givens)
    rows = []
    for (i, j), o in zip(pairs, run.outcomes, strict=True):
        a, b = labels[i], labels[j]
        counted = o.method in ("g-test", "permutation")
        kind = "dd" if not (cont[a] or cont[b]) else "cc" if cont[a] and cont[b] else "dc"
        knn = "frenzel-pompe" if sets else ("ksg" if kind == "cc" else "ross")
        rows.append(
            {
                "x": a,
                "y": b,
                "kind": kind,
                "estimator": "plug-in" if counted else knn,
                "n": o.n,
                "mi": values.iat[i, j],
                "g": o.statistic if counted else np.nan,
                "dof": o.dof if counted else np.nan,
                "p_value": o.p_value,
                "p_method": o.method if counted or not np.isnan(o.p_value) else None,
            }
        )
    table = pd.DataFrame(
        rows, columns=["x", "y", "kind", "estimator", "n", "mi", "g", "dof", "p_value", "p_method"]
    )
    table.insert(len(table.columns), "q_value", benjamini_hochberg(table["p_value"].to_numpy()))
    table["dof"] = table["dof"].astype("Int64")
    table.attrs.update(unit=unit(req.opts), given=list(givens))
    return table
