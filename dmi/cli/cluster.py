"""Where a command computes: threads in this process, a local cluster of worker processes
(``--workers``) or a running scheduler (``--scheduler``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator

from dmi._pass.faults import ClusterError


@contextlib.contextmanager
def _scheduler(args: argparse.Namespace) -> Iterator[None]:
    """Connect to ``--scheduler``, or start ``--workers`` local processes, for the block."""
    if args.scheduler is None and not args.workers:
        yield
        return
    from distributed import Client, LocalCluster

    if args.scheduler is not None:
        try:
            client = Client(args.scheduler, timeout=f"{args.timeout}s")
        except (OSError, TimeoutError) as err:
            raise ConnectionError(
                f"cannot reach the Dask scheduler at {args.scheduler!r} within {args.timeout:g} s ({err})"
            ) from err
        with client:
            _say(args, f"Connected to {args.scheduler}; dashboard: {client.dashboard_link}")
            try:
                yield
            except ClusterError:
                # closing the client logs its reconnect task's traceback: the one-line error
                # says it all (--debug keeps distributed's logs)
                if not args.debug:
                    logging.disable(logging.CRITICAL)
                raise
        return
    with (
        # any free ports: a busy 8787 (another cluster's dashboard) must not matter
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        _say(args, f"Local cluster of {args.workers} worker processes; dashboard: {client.dashboard_link}")
        yield


def _say(args: argparse.Namespace, message: str) -> None:
    """A status line on stderr (not with --quiet)."""
    if not args.quiet:
        print(message, file=sys.stderr, flush=True)
