"""``dmi drift``: its options (:func:`add`) and its run (:func:`run`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dmi._engine.keywords import KEYWORDS
from dmi.cli.arguments import (
    _DRIFT_HELP,
    _ONE_PATH_HELP,
    _add_alpha,
    _add_common,
    _keywords,
    _positive,
    _readable,
)
from dmi.cli.cluster import _scheduler
from dmi.cli.output import (
    _check_outputs,
    _drift_axes,
    _savefig,
    _write,
    _write_table,
)


def add(sub: Any) -> None:
    """The ``dmi drift`` parser, in the subcommands ``sub``."""
    drift = sub.add_parser(
        "drift",
        help="what changed between two versions of a table",
        description="Which columns' distributions and which pairs' dependence differ between two versions "
        "of a table (see dmi.drift): each version is Parquet (a file, directory or glob) or a summary saved "
        "by dmi.Summary.save (a .dmi file), which is not read again as data.",
    )
    drift.add_argument("before", metavar="BEFORE", help=f"the earlier version: {_ONE_PATH_HELP}")
    drift.add_argument("after", metavar="AFTER", help=f"the later version: {_ONE_PATH_HELP}")
    compare = drift.add_argument_group("how to compare")
    _add_alpha(compare, "false-discovery rate of the flags")
    compare.add_argument(
        "--permutations",
        type=_positive,
        default=9_999,
        metavar="N",
        help="most permutations per pair (default 9,999)",
    )
    compare.add_argument("--no-pairs", action="store_true", help="compare the columns only")
    compare.add_argument(
        "--pairs-out", type=Path, metavar="FILE", help="also write the pairs table: .csv, .parquet or .json"
    )
    _add_common(drift, estimators=False, helps=_DRIFT_HELP)
    drift.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dmi.compare import drift

    _check_outputs(args)
    keywords = _keywords(args, estimators=False)
    if args.max_categories == KEYWORDS["max_categories"].default:
        del keywords["max_categories"]  # a saved summary's cap is used
    with _scheduler(args):
        result = drift(
            _readable(args.before),  # a .dmi path is loaded by drift itself, as any data path
            _readable(args.after),
            pairs=not args.no_pairs,
            alpha=args.alpha,
            permutations=args.permutations,
            **keywords,
        )
    cols, attrs = result.columns, result.columns.attrs
    print(f"{result!r}")
    print(f"\nColumns: I(column; version) and Jensen-Shannon divergence ({attrs['unit']})")
    print(cols.set_index("column").to_string(float_format=lambda v: f"{v:.4g}"))
    if attrs["only_before"] or attrs["only_after"]:
        print(f"Only before: {attrs['only_before']}; only after: {attrs['only_after']}")
    if len(result.pairs):
        moved = result.pairs.sort_values(
            ["q_value", "change"], key=lambda s: s.abs() if s.name == "change" else s
        )
        print(
            f"\nPairs, most significant change first (MI in {attrs['unit']}; "
            f"{min(20, len(moved))} of {len(moved)}):"
        )
        print(moved.head(20).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    table = cols.set_index("column")
    table.attrs = attrs
    _write(args, table, lambda path: _savefig(_drift_axes(result), path))
    if args.pairs_out is not None and len(result.pairs):
        _write_table(args, result.pairs, args.pairs_out)
    return 0
