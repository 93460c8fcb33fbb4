"""A long cluster job that survives repeated failures: a worker killed every few seconds.

    python benchmarks/run.py faults [--data DIR] [--rows 50000000] [--every 2.5] [--kills 8]

The discrete example table (12 integer + 2 string columns, 91 pairs; Parquet files of 1M
rows) on a real ``dask scheduler`` and 2 ``dask worker`` processes with nannies
(``cluster/local/cluster.py``). Measured, in one run:

1. the matrix on threads in this process (the reference result);
2. the matrix on the cluster, undisturbed;
3. the matrix on the cluster while a random worker process is SIGKILLed every
   ``--every`` seconds (at most ``--kills`` times), each restarted by its nanny.

It reports the kills survived, the slowdown against the undisturbed run, and whether the
result is bit for bit the threaded one. The scheduler is started with
``distributed.scheduler.allowed-failures`` at 10 (default 3): the benchmark kills
workers on purpose, and a task that happened to be on four killed workers would
otherwise stop the call (as ``dmi.ClusterError``, which is what a real, repeated
failure should do).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _harness import Bench, Record, example_parquet, main

HERE = Path(__file__).resolve().parent
CLUSTER = HERE.parent / "cluster" / "local" / "cluster.py"


def _start(directory: Path) -> dict:
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="10")
    cmd = [
        sys.executable,
        str(CLUSTER),
        "start",
        "--workers",
        "2",
        "--memory-limit",
        "4GiB",
        "--dir",
        str(directory),
    ]
    subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=180)
    return json.loads((directory / "cluster.json").read_text())


def _stop(directory: Path) -> None:
    subprocess.run([sys.executable, str(CLUSTER), "stop", "--dir", str(directory)], capture_output=True)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dmi-bench")
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--every", type=float, default=2.5, help="seconds between kills")
    parser.add_argument("--kills", type=int, default=8, help="the most workers killed")


def measure(method: str, args: argparse.Namespace) -> dict:
    """The three runs (threads, the cluster undisturbed, the cluster under kills), in one process."""
    import dask
    import pandas as pd
    from distributed import Client

    import dmi

    path = str(example_parquet(args.data, "discrete", args.rows))
    start = time.perf_counter()
    with dask.config.set(scheduler="threads"):
        expected = dmi.mutual_info_matrix(path, discrete=True)
    threads = time.perf_counter() - start
    print(f"threads: {threads:.1f} s", file=sys.stderr, flush=True)
    directory = Path(tempfile.mkdtemp(prefix="dmi-faults-"))
    state = _start(directory)
    try:
        with Client(state["address"], timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            dmi.mutual_info_matrix(path, columns=["c00", "c01"], discrete=True)  # warm the workers
            start = time.perf_counter()
            calm = dmi.mutual_info_matrix(path, discrete=True)
            undisturbed = time.perf_counter() - start
            print(f"cluster, undisturbed: {undisturbed:.1f} s", file=sys.stderr, flush=True)

            result: list[object] = []
            errors: list[BaseException] = []

            def run() -> None:
                try:
                    result.append(dmi.mutual_info_matrix(path, discrete=True))
                except BaseException as err:  # reported below
                    errors.append(err)

            rng = random.Random(0)
            worker = threading.Thread(target=run)
            start = time.perf_counter()
            worker.start()
            kills = []
            while worker.is_alive() and len(kills) < args.kills:
                worker.join(timeout=args.every)
                if not worker.is_alive():
                    break
                pids = client.run(os.getpid)  # the worker processes now up (not their nannies)
                if not pids:
                    continue
                address = rng.choice(sorted(pids))
                os.kill(pids[address], signal.SIGKILL)
                kills.append(round(time.perf_counter() - start, 1))
                print(f"killed {address} at {kills[-1]} s", file=sys.stderr, flush=True)
            worker.join()
            disturbed = time.perf_counter() - start
    finally:
        _stop(directory)
    if errors:
        raise SystemExit(f"the disturbed run failed after {len(kills)} kills: {errors[0]!r}")
    equal_calm = bool(calm.equals(expected))
    equal = bool(result[0].equals(expected))
    pd.testing.assert_frame_equal(result[0], expected, check_exact=True)
    return {
        "seconds": disturbed,
        "threads": threads,
        "undisturbed": undisturbed,
        "kills": kills,
        "equal_calm": equal_calm,
        "equal": equal,
        "rows": args.rows,
        "every": args.every,
    }


def _table(records: dict[str, Record]) -> list[str]:
    r = records["faults"]
    got = r.reply
    every = f"{got['every']:g}"
    return [
        "| run | time (s) | workers killed | result bit for bit the threaded one |",
        "| --- | ---: | ---: | --- |",
        f"| threads, this process | {got['threads']:.1f} | - | (reference) |",
        f"| cluster, undisturbed | {got['undisturbed']:.1f} | 0 | {'yes' if got['equal_calm'] else 'NO'} |",
        f"| cluster, a worker killed every {every} s | {r.median:.1f} | {len(got['kills'])} | "
        f"{'yes' if got['equal'] else 'NO'} |",
        "",
        f"Slowdown against the undisturbed cluster: {r.median / got['undisturbed']:.2f}x. Kills at "
        f"{', '.join(f'{k} s' for k in got['kills'])}.",
    ]


BENCH = Bench(
    name="faults",
    title="Repeated worker failures (issue 18)",
    methods=["faults"],
    measure=measure,
    describe=lambda args: (
        "The discrete example table (14 columns, 91 pairs) in Parquet files of 1M rows, on a "
        "`dask scheduler` and 2 `dask worker` processes with nannies (4 GiB each); a random worker "
        "process SIGKILLed every few seconds while the matrix is computed, its nanny restarting it. "
        "One run."
    ),
    table=_table,
    options=_options,
    prepare=lambda args: example_parquet(args.data, "discrete", args.rows),
    runs=lambda method, repeat: 1,
)


if __name__ == "__main__":
    main(BENCH)
