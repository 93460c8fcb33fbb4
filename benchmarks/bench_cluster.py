"""dmi on real processes: scale in rows and columns, 1 vs 2 workers, scheduler vs threads.

    python benchmarks/run.py cluster [--data DIR] [--repeat 3] [--methods rows-1000000-threads,...]

1. Rows: the discrete example table (12 int + 2 string columns, 91 pairs) at 1M, 10M
   and 100M rows, on threads and on 2 worker processes (cluster/local/cluster.py):
   wall time and peak memory (the whole process tree for threads; the workers' own
   RSS, sampled every 10 ms, for processes).
2. Columns: 12, 50 and 200 discrete columns at 1M rows (cardinality 2..100):
   time, memory, and the number of Dask tasks, which must not grow with the pairs.
3. Workers: the 10M-row matrix on 1 and 2 worker processes and on threads.

Every configuration runs in a fresh child process; the cluster is started before and
stopped after the timed call (its start-up and a warm-up call are not timed). Data is
generated once under --data (outside the repository).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import Bench, PeakSampler, Record, example_parquet, main

HERE = Path(__file__).resolve().parent
CLUSTER = HERE.parent / "cluster" / "local" / "cluster.py"
WORKER_MEMORY = "4GiB"


def _worker_rss(state: dict) -> int:
    """Summed RSS of the cluster's worker processes (nannies and their worker children)."""
    import psutil

    total = 0
    for pid in state["worker_pids"]:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _warm_up(path: str) -> None:
    """Import dmi and load its compiled kernels in this (worker) process."""
    import dask

    import dmi

    with dask.config.set(scheduler="sync"):
        dmi.mutual_info_matrix(path, discrete=True)


def child(path: Path, where: str, workers: int) -> dict:
    """Time one matrix call (after a warm-up) on threads or on ``workers`` processes."""
    import dask
    from dask.diagnostics import Profiler

    import dmi

    files = sorted(path.glob("*.parquet"))
    if where == "threads":
        dmi.mutual_info_matrix(str(files[0]), discrete=True)  # compile/load the kernels
        with Profiler() as prof, dask.config.set(scheduler="threads"):
            start = time.perf_counter()
            dmi.mutual_info_matrix(str(path), discrete=True)
            seconds = time.perf_counter() - start
        return {"seconds": seconds, "tasks": len(prof.results)}

    from distributed import Client

    with tempfile.TemporaryDirectory(prefix="dmi-bench-cluster-") as tmp:
        cmd = [sys.executable, str(CLUSTER)]
        started = subprocess.run(
            [*cmd, "start", "--workers", str(workers), "--memory-limit", WORKER_MEMORY, "--dir", tmp],
            capture_output=True,
            text=True,
            check=True,
        )
        state = json.loads((Path(tmp) / "cluster.json").read_text())
        try:
            with Client(started.stdout.strip()) as client:
                # warm-up on every worker: imports (about 0.8 s a worker, measured) and kernels
                client.run(_warm_up, str(files[0]))
                dmi.mutual_info_matrix(str(files[0]), discrete=True)
                baseline = _worker_rss(state)
                with PeakSampler(lambda: _worker_rss(state)) as memory:
                    start = time.perf_counter()
                    dmi.mutual_info_matrix(str(path), discrete=True)
                    seconds = time.perf_counter() - start
                peak = memory.peak
        finally:
            subprocess.run([*cmd, "stop", "--dir", tmp], capture_output=True, check=False)
    return {"seconds": seconds, "workers_peak": peak, "workers_baseline": baseline}


ROWS = (1_000_000, 10_000_000, 100_000_000)
COLUMNS = (12, 50, 200)
WORKERS = {
    "workers-threads": "threads (2), no scheduler",
    "workers-1": "1 worker process (1 thread)",
    "workers-2": "2 worker processes (1 thread each)",
}


def _methods() -> list[str]:
    rows = [f"rows-{n}-{where}" for n in ROWS for where in ("threads", "processes")]
    return [*rows, *(f"columns-{c}" for c in COLUMNS), *WORKERS]


def _path(method: str, args: argparse.Namespace) -> Path:
    """The data set a method reads (made once)."""
    kind, what, *_ = method.split("-")
    if kind == "columns":
        n = int(what)
        return example_parquet(args.data, f"wide{n}", 1_000_000, n_int_columns=n - 2, max_cardinality=100)
    rows = int(what) if kind == "rows" else 10_000_000
    return example_parquet(args.data, "discrete", rows)


def _where(method: str) -> tuple[str, int]:
    """Threads, or processes and how many."""
    if method.endswith("processes"):
        return "processes", 2
    if method in ("workers-1", "workers-2"):
        return "processes", int(method[-1])
    return "threads", 0


def _measure(method: str, args: argparse.Namespace) -> dict:
    where, workers = _where(method)
    return child(_path(method, args), where, workers)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")


def _prepare(args: argparse.Namespace) -> None:
    for method in [m for m in args.methods.split(",") if m] or _methods():
        _path(method, args)


def _row(label: str, r: Record) -> str:
    peak = r.reply.get("workers_peak", r.peak_bytes) / 2**20
    return f"| {label} | {r.median:.2f} | {r.runs(2)} | {peak:.0f} |"


def _table(records: dict[str, Record]) -> list[str]:
    lines = [
        "### Scale in rows (14 discrete columns, 91 pairs; Parquet files of 1M rows)",
        "",
        "| rows, where | median time (s) | runs (s) | peak memory (MiB) |",
        "| --- | ---: | --- | ---: |",
    ]
    for n in ROWS:
        for where in ("threads", "processes"):
            if (r := records.get(f"rows-{n}-{where}")) is not None:
                lines.append(
                    _row(f"{n:,}, {'threads (2)' if where == 'threads' else '2 worker processes'}", r)
                )
    lines += [
        "",
        "### Scale in columns (1M rows, cardinality 2..100, threads)",
        "",
        "| columns | pairs | median time (s) | runs (s) | peak memory (MiB) | Dask tasks |",
        "| ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for c in COLUMNS:
        if (r := records.get(f"columns-{c}")) is not None:
            cells = [f"{c}", f"{c * (c - 1) // 2:,}", f"{r.median:.2f}", r.runs(2), f"{r.peak_mib:.0f}"]
            lines.append(f"| {' | '.join(cells)} | {r.reply['tasks']} |")
    lines += [
        "",
        "### Workers: the 10M-row matrix",
        "",
        "| where | median time (s) | runs (s) | peak memory (MiB) |",
        "| --- | ---: | --- | ---: |",
    ]
    lines += [_row(label, records[m]) for m, label in WORKERS.items() if m in records]
    return lines


BENCH = Bench(
    name="cluster",
    title="On real processes: rows, columns, workers (issue 4)",
    methods=_methods(),
    measure=_measure,
    describe=lambda args: (
        f"Processes: `cluster/local/cluster.py`, one thread and {WORKER_MEMORY} per worker; start-up and a "
        "warm-up call not timed. Memory: peak RSS of the whole process tree for threads; of the worker "
        "processes (nannies included) for the cluster. Medians of the runs shown (one at 100M rows), each "
        "in a fresh process."
    ),
    table=_table,
    options=_options,
    prepare=_prepare,
    runs=lambda method, repeat: 1 if method.startswith("rows-100000000") else repeat,
)


if __name__ == "__main__":
    main(BENCH)
