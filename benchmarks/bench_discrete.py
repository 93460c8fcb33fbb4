"""Discrete all-pairs MI: dmi against what users would use instead, side by side, in one run.

Generates a Parquet data set (``dmi.make_example``: 12 integer columns with
cardinalities 2..1000 and planted dependencies, plus two string columns), then runs
each method in a fresh subprocess while the parent samples the resident memory (RSS)
of the whole process tree, workers included:

* ``dmi-threads``   -- ``dmi.mutual_info_matrix(glob, discrete=True)`` on Dask's threaded scheduler
* ``dmi-cluster``   -- the same on a 2-worker ``distributed.LocalCluster`` (processes);
  cluster start-up is excluded from the time, its memory is not
* ``numpy-floor``   -- hand-written, single process: read all into pandas,
  ``pd.factorize`` each column, ``np.bincount`` per pair
* ``polars``        -- lazy ``group_by([a, b]).len()`` for every pair, one ``collect_all``
* ``duckdb``        -- ``SELECT a, b, count(*) ... GROUP BY a, b`` per pair
* ``sklearn``       -- ``sklearn.metrics.mutual_info_score`` per pair on in-memory data

Every method's matrix must agree with dmi's to 1e-9 relative, or 1e-13 nats absolute
for values near 0 (``np.isclose(rtol=1e-9, atol=1e-13)``): at 10M rows sklearn's
log-difference formula loses ~1e-15 nats to cancellation, which is 4e-9 relative for an
independent pair's MI of ~6e-8 nats (``precision_check.py`` measures it against a
50-digit reference: dmi is within 1.4e-10 there). The MI of the group-by methods is computed here
from their counts, independently of dmi's code.
Results go to ``benchmarks/RESULTS.md`` (the section between this script's markers).

Usage::

    python benchmarks/bench_discrete.py                  # 10M rows, 3 repeats
    python benchmarks/bench_discrete.py --rows 1000000 --repeat 5 --skip sklearn
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

METHODS = ["dmi-threads", "dmi-cluster", "numpy-floor", "polars", "duckdb", "sklearn"]


# ---------------------------------------------------------------- data and helpers


def ensure_data(rows: int, root: Path) -> Path:
    """The discrete benchmark table: 12 int columns (cardinality 2..1000) + 2 strings."""
    return example_parquet(root, "discrete", rows)


def mi_from_group_counts(a: np.ndarray, b: np.ndarray, n: np.ndarray) -> float:
    """Plug-in MI (nats) from (a, b, count) rows of a GROUP BY -- independent of dmi."""
    n = n.astype(np.float64)
    total = n.sum()
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    pa_ = np.bincount(ia, weights=n) / total
    pb_ = np.bincount(ib, weights=n) / total
    p = n / total
    return float(max(np.sum(p * (np.log(p) - np.log(pa_[ia]) - np.log(pb_[ib]))), 0.0))


def entropy_from_counts(n: np.ndarray) -> float:
    p = n[n > 0].astype(np.float64) / n.sum()
    return float(-np.sum(p * np.log(p)))


# ---------------------------------------------------------------- the methods (in a child)


def run_method(method: str, path: Path, out: Path) -> float:
    """Compute the MI matrix with one method; save it to ``out``; return seconds."""
    glob = str(path / "*.parquet")
    files = sorted(path.glob("*.parquet"))
    if method in ("dmi-threads", "dmi-cluster"):
        import dmi

        client = None
        if method == "dmi-cluster":
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
            client = Client(cluster)
            client.run(
                lambda: dmi.mutual_info_matrix(str(files[0]), columns=["c00", "c01"], discrete=True)
            )  # warm workers
        else:
            dmi.mutual_info_matrix(
                str(files[0]), columns=["c00", "c01"], discrete=True
            )  # compile/load the kernel
        start = time.perf_counter()
        m = dmi.mutual_info_matrix(glob, discrete=True).to_numpy()  # integer codes, not numbers
        elapsed = time.perf_counter() - start
        if client is not None:
            client.close()
            cluster.close()
        np.save(out, m)
        return elapsed

    import pandas as pd

    start = time.perf_counter()
    if method == "numpy-floor":
        frame = pd.read_parquet(path)
        codes = [pd.factorize(frame[c])[0] for c in frame.columns]
        del frame
        ks = [int(c.max()) + 1 for c in codes]
        p = len(codes)
        m = np.empty((p, p))
        for i in range(p):
            m[i, i] = entropy_from_counts(np.bincount(codes[i]))
            for j in range(i + 1, p):
                t = np.bincount(codes[i] * ks[j] + codes[j], minlength=ks[i] * ks[j])
                nz = np.flatnonzero(t)
                m[i, j] = m[j, i] = mi_from_group_counts(nz // ks[j], nz % ks[j], t[nz])
    elif method == "sklearn":
        from sklearn.metrics import mutual_info_score

        frame = pd.read_parquet(path)
        cols = list(frame.columns)
        m = np.empty((len(cols), len(cols)))
        for i, a in enumerate(cols):
            m[i, i] = mutual_info_score(frame[a], frame[a])
            for j in range(i + 1, len(cols)):
                m[i, j] = m[j, i] = mutual_info_score(frame[a], frame[cols[j]])
    elif method == "polars":
        import polars as pl

        lf = pl.scan_parquet(glob)
        cols = lf.collect_schema().names()
        pairs = [(i, j) for i in range(len(cols)) for j in range(i + 1, len(cols))]
        queries = [lf.group_by(cols[i], cols[j]).len() for i, j in pairs]
        results = pl.collect_all(queries)
        m = np.empty((len(cols), len(cols)))
        for (i, j), r in zip(pairs, results, strict=True):
            a = r[cols[i]].to_numpy()
            b = r[cols[j]].to_numpy()
            n = r["len"].to_numpy()
            m[i, j] = m[j, i] = mi_from_group_counts(a, b, n)
            if j == i + 1 or (i == len(cols) - 2):
                _, ia = np.unique(a, return_inverse=True)
                m[i, i] = entropy_from_counts(np.bincount(ia, weights=n))
                _, ib = np.unique(b, return_inverse=True)
                m[j, j] = entropy_from_counts(np.bincount(ib, weights=n))
    elif method == "duckdb":
        import duckdb

        con = duckdb.connect()
        cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [glob]).fetchall()]
        m = np.empty((len(cols), len(cols)))
        for i, a in enumerate(cols):
            for j in range(i + 1, len(cols)):
                b = cols[j]
                sql = f'SELECT "{a}" AS a, "{b}" AS b, count(*) AS n FROM read_parquet(?) GROUP BY 1, 2'
                r = con.execute(sql, [glob]).fetchnumpy()
                m[i, j] = m[j, i] = mi_from_group_counts(r["a"], r["b"], r["n"])
                if j == i + 1:
                    _, ia = np.unique(r["a"], return_inverse=True)
                    m[i, i] = entropy_from_counts(np.bincount(ia, weights=r["n"]))
                if i == len(cols) - 2:
                    _, ib = np.unique(r["b"], return_inverse=True)
                    m[j, j] = entropy_from_counts(np.bincount(ib, weights=r["n"]))
    else:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    elapsed = time.perf_counter() - start
    np.save(out, m)
    return elapsed


def measure(method: str, path: Path, workdir: Path) -> dict:
    """Run one method in a child process; return its time, peak tree RSS and matrix."""
    out = workdir / f"{method}-{time.monotonic_ns()}.npy"
    reply, peak = run_child(
        [sys.executable, __file__, "--child", method, "--path", str(path), "--out", str(out)]
    )
    return {"seconds": reply["seconds"], "peak": peak, "matrix": np.load(out)}


def counting_only(path: Path, repeat: int) -> dict[str, float]:
    """Counting alone on one in-memory 1M-row partition: fused kernel vs bincount per pair."""
    import pyarrow.parquet as pq

    from dmi._engine.columns import matrix_pairs
    from dmi._math.counts import CountSpec, chunk

    frame = pq.read_table(sorted(path.glob("*.parquet"))[0]).to_pandas()
    spec = CountSpec(tuple(frame.columns), matrix_pairs(frame.shape[1]))
    chunk(frame.iloc[:10], spec)
    times: dict[str, list[float]] = {
        "dmi chunk (encode + fused kernel)": [],
        "pd.factorize + np.bincount per pair": [],
    }
    for _ in range(repeat):
        t = time.perf_counter()
        chunk(frame, spec)
        times["dmi chunk (encode + fused kernel)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        import pandas as pd

        codes = [pd.factorize(frame[c])[0] for c in frame.columns]
        ks = [int(c.max()) + 1 for c in codes]
        for i, j in spec.pairs:
            np.bincount(codes[i] * ks[j] + codes[j], minlength=ks[i] * ks[j])
        times["pd.factorize + np.bincount per pair"].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


# ---------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (sklearn runs once)")
    parser.add_argument("--skip", nargs="*", default=[], choices=METHODS)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")
    parser.add_argument(
        "--memory-rows",
        type=int,
        nargs="*",
        default=[1_000_000, 10_000_000, 30_000_000],
        help="row counts for the dmi memory-vs-rows table",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps({"seconds": run_method(args.child, args.path, args.out)}))
        return

    lines = [
        "## Discrete all-pairs MI (issue 2)",
        "",
        f"`python benchmarks/bench_discrete.py` on {time.strftime('%Y-%m-%d')}; {machine()}.",
        "Data: `dmi.make_example` -- 12 int columns (cardinality 2..1000) + 2 string columns "
        "(40 and 5 values), 91 pairs, Parquet files of 1M rows. Time: median of the runs, "
        "from the call to the matrix (data read included). Peak RSS: whole process tree "
        "(workers included), sampled every 10 ms, max over the runs.",
        "",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # Timing-sensitive runs first; sklearn (minutes, single-threaded) runs last.
        early: list[str] = []
        counting = counting_only(ensure_data(args.rows[0], args.data), args.repeat)
        early += [
            "### Counting alone, one 1M-row partition in memory, one thread (why numba)",
            "",
            "| what | median time (s) |",
            "| --- | ---: |",
            *[f"| {k} | {v:.3f} |" for k, v in counting.items()],
            "",
        ]
        if args.memory_rows:
            early += [
                "### dmi memory vs rows (threaded scheduler, 2 threads, 1M-row partitions)",
                "",
                "| rows | median time (s) | peak RSS (MiB) |",
                "| ---: | ---: | ---: |",
            ]
            for rows in args.memory_rows:
                path = ensure_data(rows, args.data)
                results = [measure("dmi-threads", path, workdir) for _ in range(args.repeat)]
                med = statistics.median(r["seconds"] for r in results)
                peak = max(r["peak"] for r in results)
                print(f"memory {rows:>11,}: {med:.2f} s, peak {peak / 2**20:.0f} MiB", flush=True)
                early.append(f"| {rows:,} | {med:.2f} | {peak / 2**20:.0f} |")
            early.append("")

        for rows in args.rows:
            path = ensure_data(rows, args.data)
            rows_table = []
            reference = None
            for method in [m for m in METHODS if m not in args.skip]:
                runs = 1 if method == "sklearn" else args.repeat
                results = [measure(method, path, workdir) for _ in range(runs)]
                seconds = [r["seconds"] for r in results]
                matrix = results[-1]["matrix"]
                if reference is None:
                    reference = matrix
                absdiff = np.abs(matrix - reference)
                diff = float(np.max(absdiff / np.maximum(np.abs(reference), 1e-300)))
                agree = bool(np.all(np.isclose(matrix, reference, rtol=1e-9, atol=1e-13)))
                rows_table.append(
                    (
                        method,
                        statistics.median(seconds),
                        seconds,
                        max(r["peak"] for r in results),
                        diff,
                        float(absdiff.max()),
                    )
                )
                print(
                    f"{rows:>11,} {method:<12} {statistics.median(seconds):8.2f} s  "
                    f"peak {max(r['peak'] for r in results) / 2**20:7.0f} MiB  max rel diff {diff:.1e}",
                    flush=True,
                )
                if not agree:
                    raise SystemExit(f"{method} disagrees with dmi: max relative difference {diff:.3e}")
            floor = next((t for m, t, *_ in rows_table if m == "numpy-floor"), math.nan)
            lines += [
                f"### {rows:,} rows x 14 columns",
                "",
                "| method | median time (s) | runs (s) | x numpy floor | peak RSS (MiB) "
                "| max rel. diff vs dmi | max abs. diff (nats) |",
                "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
            ]
            for method, med, seconds, peak, diff, adiff in rows_table:
                runs_s = ", ".join(f"{s:.2f}" for s in seconds)
                peak_mib = peak / 2**20
                cells = [method, f"{med:.2f}", runs_s, f"{med / floor:.2f}", f"{peak_mib:.0f}"]
                lines.append("| " + " | ".join([*cells, f"{diff:.1e}", f"{adiff:.1e}"]) + " |")
            lines.append("")

        lines += early
    write_results("bench_discrete", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
