"""dmi on real processes: scale in rows and columns, 1 vs 2 workers, scheduler vs threads.

    python benchmarks/bench_cluster.py [--data DIR] [--repeat 3] [--max-rows 100000000]

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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import PeakSampler, example_parquet, machine, run_child, write_results

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


def measure(path: Path, where: str, workers: int, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        cmd = [sys.executable, __file__, "--child", where, "--path", str(path), "--workers", str(workers)]
        reply, tree_peak = run_child(cmd)
        reply["tree_peak"] = tree_peak
        runs.append(reply)
    seconds = [r["seconds"] for r in runs]
    peak = max(r.get("workers_peak", r["tree_peak"]) for r in runs)
    return {
        "median": statistics.median(seconds),
        "runs": seconds,
        "peak_mib": peak / 2**20,
        "tasks": runs[0].get("tasks"),
    }


def _row(label: str, m: dict) -> str:
    runs = ", ".join(f"{s:.2f}" for s in m["runs"])
    return f"| {label} | {m['median']:.2f} | {runs} | {m['peak_mib']:.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-rows", type=int, default=100_000_000)
    parser.add_argument("--child")
    parser.add_argument("--path", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.path, args.child, args.workers)))
        return

    lines = [
        "## On real processes: rows, columns, workers (issue 4)",
        "",
        f"`python benchmarks/bench_cluster.py` on {time.strftime('%Y-%m-%d')}; {machine()}. "
        f"Processes: `cluster/local/cluster.py`, one thread and {WORKER_MEMORY} per worker; start-up and a "
        "warm-up call not timed. Memory: peak RSS of the whole process tree for threads; of the worker "
        "processes (nannies included) for the cluster. Medians of "
        f"{args.repeat} runs (one at 100M rows), each in a fresh process.",
        "",
        "### Scale in rows (14 discrete columns, 91 pairs; Parquet files of 1M rows)",
        "",
        "| rows, where | median time (s) | runs (s) | peak memory (MiB) |",
        "| --- | ---: | --- | ---: |",
    ]
    for rows in [r for r in (1_000_000, 10_000_000, 100_000_000) if r <= args.max_rows]:
        path = example_parquet(args.data, "discrete", rows)
        repeat = 1 if rows >= 100_000_000 else args.repeat
        for where, workers in (("threads", 0), ("processes", 2)):
            m = measure(path, where, workers, repeat)
            label = f"{rows:,}, {'threads (2)' if where == 'threads' else '2 worker processes'}"
            lines.append(_row(label, m))
            print(lines[-1], flush=True)

    lines += [
        "",
        "### Scale in columns (1M rows, cardinality 2..100, threads)",
        "",
        "| columns | pairs | median time (s) | runs (s) | peak memory (MiB) | Dask tasks |",
        "| ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for n_cols in (12, 50, 200):
        path = example_parquet(
            args.data, f"wide{n_cols}", 1_000_000, n_int_columns=n_cols - 2, max_cardinality=100
        )
        m = measure(path, "threads", 0, args.repeat)
        runs = ", ".join(f"{s:.2f}" for s in m["runs"])
        pairs = n_cols * (n_cols - 1) // 2
        lines.append(
            f"| {n_cols} | {pairs:,} | {m['median']:.2f} | {runs} | {m['peak_mib']:.0f} | {m['tasks']} |"
        )
        print(lines[-1], flush=True)

    lines += [
        "",
        "### Workers: the 10M-row matrix",
        "",
        "| where | median time (s) | runs (s) | peak memory (MiB) |",
        "| --- | ---: | --- | ---: |",
    ]
    path = example_parquet(args.data, "discrete", 10_000_000)
    for label, where, workers in (
        ("threads (2), no scheduler", "threads", 0),
        ("1 worker process (1 thread)", "processes", 1),
        ("2 worker processes (1 thread each)", "processes", 2),
    ):
        lines.append(_row(label, measure(path, where, workers, args.repeat)))
        print(lines[-1], flush=True)
    write_results("bench_cluster", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
