"""Scale edges: a 500-column table, and an identifier column with millions of values.

    python benchmarks/bench_hostile.py [--repeat 3]

Each configuration runs in a fresh child process; time from the call to the result,
peak RSS of the process tree (threaded scheduler, 2 threads).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from _harness import machine, run_child, write_results


def child(which: str) -> dict:
    import numpy as np
    import pandas as pd

    import dmi

    rng = np.random.default_rng(0)
    if which.startswith("wide"):
        n = 100_000
        frame = pd.DataFrame({f"c{i:03d}": rng.integers(0, 5, n).astype(np.int8) for i in range(500)})
        start = time.perf_counter()
        if which == "wide-with":
            dmi.mutual_info_with(frame, "c000")
        else:
            dmi.mutual_info_matrix(frame)
    else:
        n = int(which.split("-")[1])
        frame = pd.DataFrame(
            {"id": rng.permutation(n), "city": rng.integers(0, 40, n), "flag": rng.integers(0, 2, n)}
        )
        start = time.perf_counter()
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dmi.IdentifierWarning)
            dmi.mutual_info_matrix(frame)
    return {"seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    lines = [
        "## Scale edges (issue 7)",
        "",
        f"`python benchmarks/bench_hostile.py` on {time.strftime('%Y-%m-%d')}; {machine()}. "
        f"Medians of {args.repeat} runs, each in a fresh process; peak RSS of the process (data included).",
        "",
        "| case | median time (s) | runs (s) | peak RSS (MiB) |",
        "| --- | ---: | --- | ---: |",
    ]
    cases = [
        ("wide", "500 int8 columns x 100,000 rows, all 124,750 pairs"),
        ("wide-with", "the same table, mutual_info_with one target (499 pairs)"),
        ("id-1000000", "identifier x 40 cities x flag, 1,000,000 rows"),
        ("id-4000000", "identifier x 40 cities x flag, 4,000,000 rows"),
    ]
    for which, label in cases:
        runs = [run_child([sys.executable, __file__, "--child", which]) for _ in range(args.repeat)]
        seconds = [r["seconds"] for r, _ in runs]
        peak = max(p for _, p in runs) / 2**20
        each = ", ".join(f"{s:.2f}" for s in seconds)
        lines.append(f"| {label} | {statistics.median(seconds):.2f} | {each} | {peak:.0f} |")
        print(lines[-1], flush=True)
    write_results("bench_hostile", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
