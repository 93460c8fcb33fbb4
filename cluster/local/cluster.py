#!/usr/bin/env python3
"""Start or stop a Dask scheduler and N worker processes on this host.

    python cluster/local/cluster.py start --workers 2 --memory-limit 1GiB --dir /tmp/dmi-cluster
    python cluster/local/cluster.py stop --dir /tmp/dmi-cluster

``start`` runs ``dask scheduler`` and ``dask worker`` (one nanny + worker process each,
one thread, the given ``--memory-limit``) in the background, each in its own process
group with its log in ``DIR/<name>.log``; waits until every worker has registered;
writes ``DIR/cluster.json`` (address, dashboard, pids) and prints the scheduler
address. ``stop`` stops them (SIGTERM, then SIGKILL after a grace period) and removes
``cluster.json``. The test suite uses exactly this script.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STATE = "cluster.json"


def _dask(*args: str) -> list[str]:
    """The ``dask`` command of this interpreter (works inside a venv that is not activated)."""
    return [sys.executable, "-m", "dask", *args]


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(predicate, timeout: float, what: str, procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{what}: process {p.args!r} exited with {p.returncode}; see its log")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:g} s")
        time.sleep(0.1)


def _read_json(path: Path) -> dict | None:
    """The scheduler file once it is whole (the scheduler writes it in place, not atomically)."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def start(workers: int, memory_limit: str, directory: Path, host: str, port: int, timeout: float) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / STATE).exists():
        raise RuntimeError(f"{directory / STATE} exists: a cluster may be running; stop it first")
    scheduler_file = directory / "scheduler-file.json"
    scheduler_file.unlink(missing_ok=True)
    procs = [
        _spawn(
            _dask(
                "scheduler",
                "--host", host,
                "--port", str(port),
                "--dashboard-address", f"{host}:0",
                "--scheduler-file", str(scheduler_file),
            ),
            directory / "scheduler.log",
        )
    ]  # fmt: skip
    state = {"pids": [procs[0].pid], "scheduler_pid": procs[0].pid, "worker_pids": []}
    try:
        _wait_for(lambda: _read_json(scheduler_file) is not None, timeout, "scheduler", procs)
        info = _read_json(scheduler_file)
        assert info is not None
        address = info["address"]
        for i in range(workers):
            name = f"worker-{i}"
            worker = _spawn(
                _dask(
                    "worker", address,
                    "--name", name,
                    "--nworkers", "1",
                    "--nthreads", "1",
                    "--memory-limit", memory_limit,
                    "--local-directory", str(directory / name),
                    "--no-dashboard",
                ),
                directory / f"{name}.log",
            )  # fmt: skip
            procs.append(worker)
            state["pids"].append(worker.pid)
            state["worker_pids"].append(worker.pid)
        from distributed import Client

        with Client(address, timeout=f"{timeout}s") as client:
            client.wait_for_workers(workers, timeout=timeout)
            dashboard = client.dashboard_link
    except BaseException:
        _stop_pids(state["pids"])
        raise
    state.update(address=address, dashboard=dashboard, workers=workers, memory_limit=memory_limit)
    (directory / STATE).write_text(json.dumps(state, indent=1))
    return state


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of ours counts as gone
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def _stop_pids(pids: list[int], grace: float = 10.0) -> None:
    """SIGTERM each process group (workers first), then SIGKILL what is left after ``grace``."""
    for pid in reversed(pids):  # workers, then the scheduler
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop(directory: Path) -> bool:
    path = directory / STATE
    if not path.exists():
        return False
    _stop_pids(json.loads(path.read_text())["pids"])
    path.unlink()
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    go = sub.add_parser("start", help="start a scheduler and workers in the background")
    go.add_argument("--workers", type=int, default=2)
    go.add_argument("--memory-limit", default="2GiB", help="per worker, e.g. 512MiB, 4GiB")
    go.add_argument("--dir", type=Path, required=True, help="logs, worker spill space and cluster.json")
    go.add_argument("--host", default="127.0.0.1")
    go.add_argument("--port", type=int, default=0, help="scheduler port (0: any free port)")
    go.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the processes")
    halt = sub.add_parser("stop", help="stop the cluster started with the same --dir")
    halt.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "start":
        state = start(args.workers, args.memory_limit, args.dir, args.host, args.port, args.timeout)
        print(state["address"])
        print(f"dashboard: {state['dashboard']}; logs in {args.dir}", file=sys.stderr)
    elif not stop(args.dir):
        print(f"no cluster recorded in {args.dir}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
