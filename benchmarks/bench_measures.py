"""Association matrices of 300 columns x 100k rows: dmi beside dython's ``associations``.

The shape of dython issue 117: 200 categorical columns (2-30 values, some dependent on
others) and 100 numeric ones, 100,000 rows, in memory for both. Measured (median of
--repeat runs, each in a fresh process):

* dmi ``association_matrix(measure="uncertainty_coefficient")`` and ``"cramers_v"``, with
  ``method="binned"`` so the numeric columns are counted in 32 quantile bins (every
  one of the 44,850 pairs gets the measure);
* dython ``associations(nom_nom_assoc="theil")`` and ``"cramer"`` (``compute_only=True``)
  on 40 of the columns (27 categorical, 13 numeric: 780 pairs), its time per pair
  scaled to the 44,850 pairs of the whole table (said so in the table). dython uses
  the correlation ratio and Pearson's r for pairs with a numeric column, so only its
  categorical pairs are the same measure; those are checked against dmi's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _harness import Bench, Record, main

ROWS = 100_000
N_CAT, N_NUM = 200, 100
SUBSET = list(range(27)) + list(range(N_CAT, N_CAT + 13))


def table():
    import pandas as pd

    rng = np.random.default_rng(0)
    cols = {}
    for j in range(N_CAT):
        k = 2 + j % 29
        if j % 5 == 1:  # a noisy function of the previous column
            prev = cols[f"cat{j - 1:03d}"]
            cols[f"cat{j:03d}"] = np.where(
                rng.random(ROWS) < 0.7, prev.astype(np.int64) % k, rng.integers(0, k, ROWS)
            )
        else:
            cols[f"cat{j:03d}"] = rng.integers(0, k, ROWS)
    frame = pd.DataFrame({c: pd.Categorical(v) for c, v in cols.items()})
    for j in range(N_NUM):
        base = frame.iloc[:, j].cat.codes.to_numpy() if j % 4 == 0 else 0
        frame[f"num{j:03d}"] = base + rng.standard_normal(ROWS)
    return frame


def run(method: str) -> dict:
    frame = table()
    if method.startswith("dmi"):
        import dmi

        measure = "uncertainty_coefficient" if method == "dmi-theil" else "cramers_v"
        dmi.association_matrix(frame.iloc[:1000, [0, 1, N_CAT]], measure=measure, method="binned")  # warm
        start = time.perf_counter()
        result = dmi.association_matrix(frame, measure=measure, method="binned", random_state=0)
        seconds = time.perf_counter() - start
        sub = result.iloc[:27, :27].to_numpy()
        return {"seconds": seconds, "pairs": 44_850, "values": sub.tolist()}
    from dython.nominal import associations

    sub = frame.iloc[:, SUBSET]
    kind = "theil" if method == "dython-theil" else "cramer"
    start = time.perf_counter()
    out = associations(sub, nom_nom_assoc=kind, compute_only=True, cramers_v_bias_correction=True)
    seconds = time.perf_counter() - start
    corr = out["corr"].iloc[:27, :27].to_numpy(dtype=float)
    return {"seconds": seconds * 44_850 / 780, "measured": seconds, "pairs": 780, "values": corr.tolist()}


def _describe(args: argparse.Namespace | None) -> str:
    return (
        "300 columns (200 categorical, 100 numeric) x 100,000 rows in memory, every pair (44,850). "
        "Medians of the runs shown (dython: one run); each run a fresh process."
    )


def _table(records: dict[str, Record]) -> list[str]:
    lines = ["| method | median (s) | runs (s) | peak RSS (MiB) |", "| --- | ---: | --- | ---: |"]
    for method in BENCH.methods:
        if method not in records:
            continue
        r = records[method]
        if method.startswith("dython"):
            measured = r.reply["measured"]
            name = (
                f"dython `associations` ({method[7:]}): {measured:.1f} s for 40 columns (780 pairs), x 57.5"
            )
        else:
            measure = "uncertainty_coefficient" if "theil" in method else "cramers_v"
            name = f"dmi `association_matrix` ({measure}, binned)"
        lines.append(f"| {name} | {r.median:.1f} | {r.runs()} | {r.peak_mib:.0f} |")
    # dython's theils_u(x, y) is U(x|y): its matrix's (row, column) cell, as dmi's
    diff = {}
    for kind in ("theil", "cramer"):
        if f"dmi-{kind}" in records and f"dython-{kind}" in records:
            ours, theirs = (np.array(records[f"{m}-{kind}"].reply["values"]) for m in ("dmi", "dython"))
            diff[kind] = f"{float(np.nanmax(np.abs(ours - theirs))):.1e}"
    if diff:
        lines += [
            "",
            "On the 27 x 27 categorical pairs both compute, the largest difference from dython: "
            f"Theil's U {diff.get('theil', '-')}, Cramér's V {diff.get('cramer', '-')} (dython applies "
            "Yates' correction to 2 x 2 tables; dmi uses Pearson's X**2 without it).",
        ]
    return lines


BENCH = Bench(
    name="measures",
    title="Association measures (issue 16)",
    methods=["dmi-theil", "dython-theil", "dmi-cramer", "dython-cramer"],
    measure=lambda method, args: run(method),
    describe=_describe,
    table=_table,
    runs=lambda method, repeat: repeat if method.startswith("dmi") else 1,
)


if __name__ == "__main__":
    main(BENCH)
