"""``dmi matrix``: its options (:func:`add`) and its run (:func:`run`)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from dmi._math.measures import MEASURES
from dmi.cli.arguments import (
    _PATHS_HELP,
    UsageError,
    _add_common,
    _data,
    _keywords,
)
from dmi.cli.cluster import _scheduler
from dmi.cli.output import (
    _check_outputs,
    _format,
    _plot_matrix,
    _strongest,
    _write,
)


def add(sub: Any) -> None:
    """The ``dmi matrix`` parser, in the subcommands ``sub``."""
    matrix = sub.add_parser(
        "matrix",
        help="MI between every pair of columns",
        description="Mutual information between every pair of columns (the diagonal is each column's "
        "entropy), over all rows, in one pass.",
    )
    matrix.add_argument("paths", nargs="+", metavar="PATH", help=_PATHS_HELP)
    matrix.add_argument(
        "--measure",
        choices=MEASURES,
        default="mi",
        help="the association measure (default mi; see dmi.association_matrix: "
        "uncertainty_coefficient is asymmetric, cell (row, column) = U(row | column))",
    )
    _add_common(matrix)
    matrix.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dmi.api import mutual_info_matrix
    from dmi.association import association_matrix

    _check_outputs(args)
    if args.measure != "mi" and args.normalize is not None:
        raise UsageError(
            "--normalize and --measure: choose one (--measure nmi is the arithmetic normalization)"
        )
    with _scheduler(args):
        start = time.perf_counter()
        if args.measure == "mi":
            mi = mutual_info_matrix(_data(args), **_keywords(args))
        else:
            keywords = {k: v for k, v in _keywords(args).items() if k != "normalize"}
            mi = association_matrix(_data(args), measure=args.measure, **keywords)
        elapsed = time.perf_counter() - start
    symmetric = args.measure == "mi" or bool(mi.attrs["symmetric"])
    if args.measure == "mi":
        print(f"Mutual information ({mi.attrs['unit']}); diagonal: entropy of each column")
    else:
        direction = "; cell (row, column) = U(row | column)" if not symmetric else ""
        print(f"{args.measure} ({mi.attrs['unit']}){direction}")
    if args.out is None:
        print(mi.to_string(float_format=_format))
    else:  # the file holds the matrix: a report, not a screenful of numbers
        print(f"{mi.shape[0]} x {mi.shape[1]} matrix in {elapsed:.2f} s, written to {args.out}")
        print("Strongest pairs:")
        for a, b, v in _strongest(mi, symmetric)[:10]:
            print(f"  {a} ~ {b}: {_format(v)}")
    _write(args, mi, lambda path: _plot_matrix(mi, path))
    return 0
