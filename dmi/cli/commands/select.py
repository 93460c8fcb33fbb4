"""``dmi select``: its options (:func:`add`) and its run (:func:`run`)."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from dmi._math.selection import METHODS
from dmi.cli.arguments import (
    _BINNED_HELP,
    _PATHS_HELP,
    UsageError,
    _add_alpha,
    _add_common,
    _data,
    _keywords,
    _positive,
)
from dmi.cli.cluster import _scheduler
from dmi.cli.output import (
    _check_outputs,
    _plot_selection,
    _write,
)


def add(sub: Any) -> None:
    """The ``dmi select`` parser, in the subcommands ``sub``."""
    select = sub.add_parser(
        "select",
        help="choose features for a target column, step by step",
        description="Feature selection by mutual information (MIM, mRMR, JMI or CMIM) on exact counts "
        "(continuous columns in quantile bins), with each step's G-test and a Benjamini-Hochberg stop.",
    )
    select.add_argument("paths", nargs="+", metavar="PATH", help=_PATHS_HELP)
    select.add_argument("--target", required=True, help="the target column")
    how = select.add_argument_group("how to select")
    how.add_argument("--k", type=_positive, metavar="N", help="at most N features (default: until the stop)")
    how.add_argument(
        "--method", choices=METHODS, default="mrmr", help="the selection criterion (default mrmr)"
    )
    _add_alpha(
        how,
        "the level of the significance stop; 'none': no stop, the best score at each step until --k",
        optional=True,
    )
    how.add_argument("--quotient", action="store_true", help="mRMR in its quotient form (MIQ)")
    _add_common(select, estimators=False, helps=_BINNED_HELP)
    select.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dmi.selection import select_features

    _check_outputs(args)
    if args.alpha is None and args.k is None:
        raise UsageError("--alpha none (no significance stop) needs --k N: how many features to select")
    with _scheduler(args):
        steps = select_features(
            _data(args),
            args.target,
            args.k,
            method=args.method,
            alpha=args.alpha,
            quotient=args.quotient,
            **_keywords(args, estimators=False),
        )
    binned = steps.attrs["binned"]
    print(
        f"Features for {args.target!r} by {args.method} ({steps.attrs['unit']}; stopped: "
        f"{steps.attrs['stopped']}; {steps.attrs['passes']} passes over the data"
        + (f"; {len(binned)} columns in {steps.attrs['bins']} quantile bins" if binned else "")
        + ")"
    )
    shown = steps.drop(columns=["step", "reason"]).set_index(pd.Index(steps["step"], name="step"))
    print(shown.to_string(float_format=lambda v: f"{v:.4g}") if len(steps) else "(none selected)")
    if len(steps):
        print("\nWhy each was taken:")
        for step, feature, reason in zip(steps["step"], steps["feature"], steps["reason"], strict=True):
            print(f"  {step}. {feature}: {reason}")
        negative = steps["step"][steps["score"] < 0].tolist() if not args.quotient else []
        if negative and args.method in ("mim", "mrmr"):
            print(
                f"Steps {', '.join(map(str, negative))} have negative {args.method} scores: each was taken "
                "because its test of relevance to the target is significant, and "
                f"{args.method}'s stop tests relevance, not the score; --k stops earlier, and --method jmi "
                "tests what a feature adds to the ones selected."
            )
    rest = steps.attrs["not_selected"]
    if len(rest):
        print("\nBest of the rest (score, q-value at the last step):")
        print(rest.head(5).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    table = steps.set_index("step")
    table.attrs = steps.attrs
    _write(args, table, lambda path: _plot_selection(steps, path))
    return 0
