"""``dmi with``: its options (:func:`add`) and its run (:func:`run`)."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from dmi.cli.arguments import (
    _PATHS_HELP,
    _add_common,
    _data,
    _keywords,
)
from dmi.cli.cluster import _scheduler
from dmi.cli.output import (
    _check_outputs,
    _format,
    _plot_series,
    _write,
)


def add(sub: Any) -> None:
    """The ``dmi with`` parser, in the subcommands ``sub``."""
    with_ = sub.add_parser(
        "with",
        help="MI of one target column with every other column",
        description="Mutual information of a target column with every other column, largest first "
        "(--column-order keeps the columns' order, as dmi.mutual_info_with does by default).",
    )
    with_.add_argument("paths", nargs="+", metavar="PATH", help=_PATHS_HELP)
    with_.add_argument("--target", required=True, help="the target column")
    with_.add_argument(
        "--column-order",
        action="store_true",
        help="keep the columns' order (default: largest first; dmi.mutual_info_with(..., sort=True))",
    )
    _add_common(with_)
    with_.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dmi.api import mutual_info_with

    _check_outputs(args)
    with _scheduler(args):
        mi = mutual_info_with(_data(args), args.target, sort=not args.column_order, **_keywords(args))
    assert isinstance(mi, pd.Series)  # no lags: one value per column
    order = "in the columns' order" if args.column_order else "largest first"
    print(f"Mutual information with {args.target!r} ({mi.attrs['unit']}), {order}")
    shown = mi if args.out is None else mi.head(20)
    print(shown.to_string(float_format=_format))
    if len(shown) < len(mi):
        print(f"... {len(mi) - len(shown)} more in {args.out}")
    _write(args, mi, lambda path: _plot_series(mi, path))
    return 0
