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
independent pair's MI of ~6e-8 nats (``bench_precision.py`` measures it against a
50-digit reference: dmi is within 1.4e-10 there). The MI of the group-by methods is computed here
from their counts, independently of dmi's code.
Records go to ``benchmarks/records/discrete.json``; the section of ``RESULTS.md`` is drawn
from them.

Usage::

    python benchmarks/run.py discrete                    # 10M rows, 3 repeats
    python benchmarks/run.py discrete --rows 1000000 --repeat 5 --methods dmi-threads,polars,duckdb
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _harness import Bench, Record, example_parquet, main

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


COUNTING = {
    "counting-dmi": "dmi chunk (encode + fused kernel)",
    "counting-bincount": "pd.factorize + np.bincount per pair",
}
MEMORY_ROWS = (1_000_000, 10_000_000, 30_000_000)


def counting_only(path: Path, which: str) -> dict:
    """Counting alone on one in-memory 1M-row partition, one thread: dmi's fused kernel, or
    ``pd.factorize`` + ``np.bincount`` per pair (after an untimed first call)."""
    import pandas as pd
    import pyarrow.parquet as pq

    from dmi._engine.columns import matrix_pairs
    from dmi._math.counts import CountSpec, chunk

    frame = pq.read_table(sorted(path.glob("*.parquet"))[0]).to_pandas()
    spec = CountSpec(tuple(frame.columns), matrix_pairs(frame.shape[1]))

    def bincounts() -> None:
        codes = [pd.factorize(frame[c])[0] for c in frame.columns]
        ks = [int(c.max()) + 1 for c in codes]
        for i, j in spec.pairs:
            np.bincount(codes[i] * ks[j] + codes[j], minlength=ks[i] * ks[j])

    count = (lambda: chunk(frame, spec)) if which == "counting-dmi" else bincounts
    count()
    start = time.perf_counter()
    count()
    return {"seconds": time.perf_counter() - start}


def measure(method: str, args: argparse.Namespace) -> dict:
    """One run of a method, in this (child) process."""
    if method in COUNTING:
        return counting_only(ensure_data(args.rows, args.data), method)
    if method.startswith("memory-"):
        rows = int(method.removeprefix("memory-"))
        with tempfile.TemporaryDirectory() as tmp:
            seconds = run_method("dmi-threads", ensure_data(rows, args.data), Path(tmp) / "m.npy")
        return {"seconds": seconds}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "m.npy"
        seconds = run_method(method, ensure_data(args.rows, args.data), out)
        return {"seconds": seconds, "matrix": np.load(out).tolist(), "rows": args.rows}


def _table(records: dict[str, Record]) -> list[str]:
    lines: list[str] = []
    reference = records.get("dmi-threads")
    floor = records.get("numpy-floor")
    if reference is not None:
        ref = np.array(reference.reply["matrix"])
        lines += [
            f"### {reference.reply['rows']:,} rows x 14 columns",
            "",
            "| method | median time (s) | runs (s) | x numpy floor | peak RSS (MiB) "
            "| max rel. diff vs dmi | max abs. diff (nats) | agrees (rtol 1e-9, atol 1e-13) |",
            "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for method in METHODS:
            if method not in records:
                continue
            r = records[method]
            m = np.array(r.reply["matrix"])
            absdiff = np.abs(m - ref)
            rel = float(np.max(absdiff / np.maximum(np.abs(ref), 1e-300)))
            agree = bool(np.all(np.isclose(m, ref, rtol=1e-9, atol=1e-13)))
            times = f"{r.median / floor.median:.2f}" if floor is not None else "-"
            cells = [method, f"{r.median:.2f}", r.runs(2), times, f"{r.peak_mib:.0f}"]
            cells += [f"{rel:.1e}", f"{float(absdiff.max()):.1e}", "yes" if agree else "NO"]
            lines.append(f"| {' | '.join(cells)} |")
        lines.append("")
    if any(m in records for m in COUNTING):
        lines += [
            "### Counting alone, one 1M-row partition in memory, one thread (why numba)",
            "",
            "| what | median time (s) | runs (s) |",
            "| --- | ---: | --- |",
            *(
                f"| {label} | {records[m].median:.3f} | {records[m].runs(3)} |"
                for m, label in COUNTING.items()
                if m in records
            ),
            "",
        ]
    if any(f"memory-{n}" in records for n in MEMORY_ROWS):
        lines += [
            "### dmi memory vs rows (threaded scheduler, 2 threads, 1M-row partitions)",
            "",
            "| rows | median time (s) | runs (s) | peak RSS (MiB) |",
            "| ---: | ---: | --- | ---: |",
        ]
        for n in MEMORY_ROWS:
            if (r := records.get(f"memory-{n}")) is not None:
                lines.append(f"| {n:,} | {r.median:.2f} | {r.runs(2)} | {r.peak_mib:.0f} |")
    return lines


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the side-by-side table")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")


def _prepare(args: argparse.Namespace) -> None:
    chosen = [m for m in args.methods.split(",") if m] or BENCH.methods
    for m in chosen:
        ensure_data(int(m.removeprefix("memory-")) if m.startswith("memory-") else args.rows, args.data)


BENCH = Bench(
    name="discrete",
    title="Discrete all-pairs MI (issue 2)",
    methods=[*METHODS, *COUNTING, *(f"memory-{n}" for n in MEMORY_ROWS)],
    measure=measure,
    describe=lambda args: (
        "Data: `dmi.make_example` -- 12 int columns (cardinality 2..1000) + 2 string columns (40 and 5 "
        "values), 91 pairs, Parquet files of 1M rows. Time: median of the runs, from the call to the matrix "
        "(data read included); sklearn runs once. Peak RSS: whole process tree (workers included), sampled "
        "every 10 ms, max over the runs."
    ),
    table=_table,
    options=_options,
    prepare=_prepare,
    runs=lambda method, repeat: 1 if method == "sklearn" else repeat,
)


if __name__ == "__main__":
    main(BENCH)
