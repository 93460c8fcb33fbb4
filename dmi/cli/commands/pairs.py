"""``dmi pairs``: its options (:func:`add`) and its run (:func:`run`)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from dmi.cli.arguments import (
    _PAIRS_HELP,
    _PATHS_HELP,
    UsageError,
    _add_common,
    _data,
    _keyword,
    _keywords,
    _nonnegative,
    _positive,
)
from dmi.cli.cluster import _scheduler
from dmi.cli.output import (
    _check_outputs,
    _format,
    _plot_pairs,
    _write,
)


def add(sub: Any) -> None:
    """The ``dmi pairs`` parser, in the subcommands ``sub``."""
    pairs = sub.add_parser(
        "pairs",
        help="each column's strongest partners, for wide tables",
        description="Each column's K strongest partners and every pair above a threshold, without computing "
        "every pair: a screen of all pairs on a sample, then the candidates exactly (see dmi.top_pairs). "
        "The better call than 'dmi matrix' past a few hundred columns.",
    )
    pairs.add_argument("paths", nargs="+", metavar="PATH", help=_PATHS_HELP)
    which = pairs.add_argument_group("which pairs")
    which.add_argument(
        "--k", type=_positive, default=10, metavar="K", help="partners per column (default 10)"
    )
    which.add_argument(
        "--threshold",
        type=_nonnegative,
        metavar="MI",
        help="also every pair with MI at least this (in the unit)",
    )
    which.add_argument(
        "--only-threshold", action="store_true", help="report only the pairs above --threshold"
    )
    _add_common(pairs, estimators=False, helps=_PAIRS_HELP, bins=False, weights=False)
    pairs.add_argument("--n-neighbors", type=_positive, **_keyword("n_neighbors"))
    pairs.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dmi.pairs import top_pairs

    _check_outputs(args)
    if args.only_threshold and args.threshold is None:
        raise UsageError("--only-threshold needs --threshold MI")
    keywords = {key: value for key, value in _keywords(args, estimators=False).items() if key != "bins"}
    with _scheduler(args):
        start = time.perf_counter()
        table = top_pairs(
            _data(args),
            k=None if args.only_threshold else args.k,
            threshold=args.threshold,
            n_neighbors=args.n_neighbors,
            **keywords,
        )
        elapsed = time.perf_counter() - start
    a = table.attrs
    print(
        f"{len(table):,} pairs of {a['n_columns']:,} columns ({a['unit']}; {a['candidates']:,} of "
        f"{a['pairs']:,} pairs computed exactly after the screen) in {elapsed:.2f} s"
    )
    shown = table if args.out is None else table.head(20)
    print(shown[["x", "y", "estimator", "n", "mi"]].to_string(index=False, float_format=_format))
    if len(shown) < len(table):
        print(f"... {len(table) - len(shown)} more in {args.out}")
    _write(args, table.set_index("x"), lambda path: _plot_pairs(table, path))
    return 0
