"""Continuous and mixed MI: dmi against scikit-learn and ennemi, side by side, in one run.

1. One KSG pair (bivariate Gaussian, rho = 0.6) at n = 1e4, 1e5, 1e6: dmi's public API
   (the whole call: hashing, sample, Dask) and its kernel alone, against
   ``sklearn.feature_selection.mutual_info_regression`` and ``ennemi.estimate_mi``;
   values and times.
2. One Ross pair (1e5 rows) with 16 and with 1000 classes against
   ``mutual_info_classif``; sklearn's own seed-to-seed spread is shown beside the
   difference (at 1e5 points the closest pairs are ~1e-10 apart, the size of the
   tie-breaking jitter).
3. The whole mixed matrix, 12 discrete + 6 continuous columns, 10M rows from Parquet,
   sample 100,000, end to end with peak memory (process tree), against the
   discrete-only matrix (the 12 discrete columns) on the same files.

Writes its section of ``benchmarks/RESULTS.md``. Usage::

    python benchmarks/bench_continuous.py [--rows 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import example_parquet, machine, run_child, write_results

DISCRETE_COLUMNS = [f"c{i:02d}" for i in range(10)] + ["city", "grade"]


def ensure_mixed_data(rows: int, root: Path) -> Path:
    """The mixed benchmark table: 10 int + 2 string + 6 float columns."""
    return example_parquet(root, "mixed", rows, n_int_columns=10, n_float_columns=6)


def ksg_kernel(px, py, rows):
    """The KSG kernel of one pair, its axes included (what one pair of a matrix costs)."""
    from dmi._math.jitter import axis
    from dmi._math.knn import ksg

    return ksg(axis(px, rows, py.order), axis(py, rows, px.order), 3)


def ross_kernel(pc, labels, rows):
    from dmi._math.jitter import axis
    from dmi._math.knn import ross

    return ross(axis(pc, rows, np.flatnonzero(rows)), labels, 3)


def timed(repeat: int, fn, *args, **kwargs) -> tuple[float, object]:
    """Median seconds of ``repeat`` calls of ``fn(*args, **kwargs)``, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def ksg_pairs(sizes: list[int], repeat: int) -> list[str]:
    import ennemi
    import pandas as pd
    from sklearn.feature_selection import mutual_info_regression

    import dmi
    from dmi._math.jitter import prepare

    lines = [
        "### One KSG pair (bivariate Gaussian, rho = 0.6, k = 3)",
        "",
        "| n | closed form | dmi | sklearn | ennemi | dmi API (s) | dmi kernel (s) | sklearn (s) "
        "| ennemi (s) | sklearn / dmi API | sklearn / dmi kernel |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rng = np.random.default_rng(0)
    for n in sizes:
        x = rng.standard_normal(n)
        y = 0.6 * x + 0.8 * rng.standard_normal(n)
        df = pd.DataFrame({"x": x, "y": y})
        reps = 1 if n >= 1_000_000 else repeat
        dmi.mutual_info_matrix(df.iloc[:1000], random_state=0)  # compile/load the kernels
        t_api, m = timed(reps, dmi.mutual_info_matrix, df, sample_size=n, random_state=0)
        px, py = prepare(x, np.random.default_rng(1)), prepare(y, np.random.default_rng(2))
        everything = np.ones(n, dtype=bool)
        t_kernel, _ = timed(reps, ksg_kernel, px, py, everything)
        t_sk, sk_out = timed(reps, mutual_info_regression, x[:, None], y, n_neighbors=3, random_state=0)
        t_en, en_out = timed(reps, ennemi.estimate_mi, y, x, k=3)
        value, sk, en = m.loc["x", "y"], float(sk_out[0]), float(np.ravel(en_out)[0])
        print(
            f"KSG n={n}: dmi {value:.6f} ({t_api:.3f} s, kernel {t_kernel:.3f} s), sklearn {sk:.6f} "
            f"({t_sk:.3f} s), ennemi {en:.6f} ({t_en:.3f} s)",
            flush=True,
        )
        lines.append(
            f"| {n:,} | {-0.5 * math.log(1 - 0.36):.6f} | {value:.6f} | {sk:.6f} | {en:.6f} | {t_api:.3f} "
            f"| {t_kernel:.3f} | {t_sk:.3f} | {t_en:.3f} | {t_sk / t_api:.1f}x | {t_sk / t_kernel:.1f}x |"
        )
    return [*lines, ""]


def ross_pairs(n: int, classes_list: list[int], repeat: int) -> list[str]:
    import pandas as pd
    from sklearn.feature_selection import mutual_info_classif

    import dmi
    from dmi._math.jitter import prepare

    lines = [
        f"### One Ross pair ({n:,} rows, k = 3)",
        "",
        "| classes | dmi | sklearn | rel. diff | sklearn seed spread | dmi API (s) | dmi kernel (s) "
        "| sklearn (s) | sklearn / dmi API | sklearn / dmi kernel |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rng = np.random.default_rng(1)
    for classes in classes_list:
        d = rng.integers(0, classes, n)
        c = d / classes + 0.3 * rng.standard_normal(n)
        df = pd.DataFrame({"d": d, "c": c})
        kw = {"sample_size": n, "random_state": 0, "discrete": ["d"]}  # d: class labels
        t_api, s = timed(repeat, dmi.mutual_info_with, df, "d", **kw)
        pc = prepare(c, np.random.default_rng(1))
        t_kernel, _ = timed(repeat, ross_kernel, pc, d, np.ones(n, dtype=bool))
        t_sk, sk_out = timed(repeat, mutual_info_classif, c[:, None], d, n_neighbors=3, random_state=0)
        sk = float(sk_out[0])
        seeds = [mutual_info_classif(c[:, None], d, n_neighbors=3, random_state=r)[0] for r in range(1, 4)]
        spread = (max([sk, *seeds]) - min([sk, *seeds])) / sk
        value = s["c"]
        print(
            f"Ross {classes} classes: dmi {value:.6f} ({t_api:.3f} s), sklearn {sk:.6f} ({t_sk:.3f} s)",
            flush=True,
        )
        lines.append(
            f"| {classes} | {value:.6f} | {sk:.6f} | {abs(value - sk) / sk:.1e} | {spread:.1e} | {t_api:.3f} "
            f"| {t_kernel:.3f} | {t_sk:.3f} | {t_sk / t_api:.1f}x | {t_sk / t_kernel:.1f}x |"
        )
    return [*lines, ""]


def run_matrix(path: Path, which: str) -> dict[str, float]:
    """In a child: the mixed or the discrete-only matrix of the Parquet files."""
    import dmi

    glob = str(sorted(path.glob("*.parquet"))[0])
    columns = DISCRETE_COLUMNS if which == "discrete-only" else None
    # the c columns are integer codes (categories), as are city and grade; the f columns numbers
    codes = DISCRETE_COLUMNS
    dmi.mutual_info_matrix(glob, columns=["c00", "f00"], discrete=["c00"], random_state=0)  # compile/load

    from dask.diagnostics import Profiler

    with Profiler() as prof:
        start = time.perf_counter()
        dmi.mutual_info_matrix(str(path / "*.parquet"), columns=columns, discrete=codes, random_state=0)
        seconds = time.perf_counter() - start
    # Where the time went: the pass ends with the last merge; the k-NN stage is the rest.
    t0 = min(r.start_time for r in prof.results)
    end = {}
    for r in prof.results:
        name = str(r.key[0] if isinstance(r.key, tuple) else r.key)
        stage = "pass" if name.startswith(("read", "dmi-chunk", "dmi-merge")) else "knn"
        end[stage] = max(end.get(stage, 0.0), r.end_time - t0)
    return {"seconds": seconds, "pass": end["pass"], "knn": end.get("knn", end["pass"]) - end["pass"]}


def matrices(rows: int, data: Path, repeat: int) -> list[str]:
    path = ensure_mixed_data(rows, data)
    lines = [
        f"### Whole matrix, {rows:,} rows from Parquet (sample 100,000 for the k-NN pairs)",
        "",
        "| matrix | pairs | median time (s) | runs (s) | the pass (s) | k-NN stage (s) | peak RSS (MiB) |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    medians = {}
    for which, pairs in [("discrete-only", 66), ("mixed", 153)]:
        runs = []
        for _ in range(repeat):
            reply, peak = run_child([sys.executable, __file__, "--child", which, "--path", str(path)])
            runs.append((reply, peak))
        med = {k: statistics.median(r[k] for r, _ in runs) for k in ("seconds", "pass", "knn")}
        medians[which] = med
        peak_mib = max(p for _, p in runs) / 2**20
        print(f"{which}: {med['seconds']:.2f} s, peak {peak_mib:.0f} MiB", flush=True)
        each = ", ".join(f"{r['seconds']:.2f}" for r, _ in runs)
        lines.append(
            f"| {which} | {pairs} | {med['seconds']:.2f} | {each} "
            f"| {med['pass']:.2f} | {med['knn']:.2f} | {peak_mib:.0f} |"
        )
    mixed, discrete = medians["mixed"], medians["discrete-only"]
    lines += [
        "",
        f"Mixed / discrete-only time: {mixed['seconds'] / discrete['seconds']:.2f}x. "
        "'The pass' ends when the last merge of counts and sample finishes (reading included); "
        "the k-NN stage is the rest: preparing the sample and its 87 KSG/Ross pairs "
        f"(medians per stage, so they need not add up). The mixed pass alone is "
        f"{mixed['pass'] / discrete['pass']:.2f}x the discrete-only pass.",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the whole-matrix table")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ksg-sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_matrix(args.path, args.child)))
        return
    lines = [
        "## Continuous and mixed MI (issue 3)",
        "",
        f"`python benchmarks/bench_continuous.py` on {time.strftime('%Y-%m-%d')}; {machine()}. "
        f"Times are medians of {args.repeat} runs (one run at 1e6 rows) in one process; every method on "
        "the same rows. 'dmi API' is the whole public call (row keys, sample, Dask graph); "
        "'dmi kernel' the estimator alone, as sklearn's time is its estimator.",
        "",
    ]
    lines += matrices(args.rows, args.data, args.repeat)
    lines += ksg_pairs(args.ksg_sizes, args.repeat)
    lines += ross_pairs(100_000, [16, 1000], args.repeat)
    write_results("bench_continuous", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
