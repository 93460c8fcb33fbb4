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
import json
import statistics
import sys
import time

import numpy as np
from _harness import machine, run_child, write_results

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(args.child)))
        return
    rows, values = [], {}
    for method in ["dmi-theil", "dython-theil", "dmi-cramer", "dython-cramer"]:
        repeat = args.repeat if method.startswith("dmi") else 1
        replies = [run_child([sys.executable, __file__, "--child", method]) for _ in range(repeat)]
        seconds = statistics.median(r["seconds"] for r, _ in replies)
        peak = max(p for _, p in replies) / 2**20
        values[method] = np.array(replies[0][0]["values"])
        rows.append((method, seconds, [r["seconds"] for r, _ in replies], replies[0][0], peak))
        print(f"{method}: {seconds:.1f} s", flush=True)
    # dython's theils_u(x, y) is U(x|y): its matrix's (row, column) cell, as dmi's
    diff = {
        kind: float(np.nanmax(np.abs(values[f"dmi-{kind}"] - values[f"dython-{kind}"])))
        for kind in ("theil", "cramer")
    }
    lines = [
        "## Association measures (issue 16)",
        "",
        f"`python benchmarks/bench_measures.py` on {time.strftime('%Y-%m-%d')}; {machine()}. 300 columns "
        "(200 categorical, 100 numeric) x 100,000 rows in memory, every pair (44,850).",
        "",
        "| method | median (s) | runs (s) | peak RSS (MiB) |",
        "| --- | ---: | --- | ---: |",
    ]
    for method, seconds, runs, reply, peak in rows:
        if method.startswith("dython"):
            measured = reply["measured"]
            name = (
                f"dython `associations` ({method[7:]}): {measured:.1f} s for 40 columns (780 pairs), x 57.5"
            )
        else:
            measure = "uncertainty_coefficient" if "theil" in method else "cramers_v"
            name = f"dmi `association_matrix` ({measure}, binned)"
        lines.append(f"| {name} | {seconds:.1f} | {', '.join(f'{s:.1f}' for s in runs)} | {peak:.0f} |")
    lines += [
        "",
        f"On the 27 x 27 categorical pairs both compute, the largest difference from dython: Theil's U "
        f"{diff['theil']:.1e}, Cramér's V {diff['cramer']:.1e} (dython applies Yates' correction to 2 x 2 "
        "tables; dmi uses Pearson's X**2 without it).",
        "",
    ]
    write_results("bench_measures", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
