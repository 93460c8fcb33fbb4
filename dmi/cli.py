"""The ``dmi`` command line: ``dmi matrix``, ``dmi with``, ``dmi select``, ``dmi drift`` and ``dmi demo``.

Exit codes: 0 success; 2 bad usage (argparse); 1 a data or connection error, reported
as one line on stderr (``--debug`` shows the traceback instead).

The commands import dmi's computing modules (and Dask, distributed, matplotlib) inside
their functions, not at the top: ``dmi --help`` and usage errors answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import re
import secrets
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from dmi._engine.keywords import KEYWORDS
from dmi._math.measures import MEASURES
from dmi._math.selection import METHODS
from dmi._math.streams import DEFAULT_SEED
from dmi._pass.faults import ClusterError
from dmi._typing import FILE_FORMS

OUTPUT_FORMATS = (".csv", ".parquet", ".json")
# The data a command takes: the file forms of dmi._typing.DATA_FORMS (a command cannot take a DataFrame).
_PATHS_HELP = (
    f"The data: {' or '.join(FILE_FORMS[:-1])} files, directories or globs (CSV: .csv, .tsv, .tab, "
    f"compressed or not), or the .dmi file of a saved {FILE_FORMS[-1]}"
)
_ONE_PATH_HELP = f"{' or '.join(FILE_FORMS[:-1])} path or glob, or the .dmi file of a saved {FILE_FORMS[-1]}"
NORMALIZE_CHOICES = ("arithmetic", "geometric", "min", "max")
# Seconds to wait for a scheduler before giving up.
DEFAULT_TIMEOUT = 10.0


class UsageError(Exception):
    """A problem with the arguments found after parsing (reported like argparse's, exit 2)."""


def _names(text: str) -> list[str]:
    """A comma-separated list of column names."""
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    return names


def _positive_number(text: str, cast: type, what: str) -> Any:
    """``text`` as a number above 0, or an argparse error naming ``what`` was expected."""
    try:
        value = cast(text)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _positive(text: str) -> int:
    return int(_positive_number(text, int, "a positive integer"))


def _whole(text: str, minimum: int, what: str) -> int:
    """``text`` as a whole number of at least ``minimum``, or an argparse error naming ``what``."""
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def _bins(text: str) -> int | str:
    """``--bins``: 'auto' or a whole number of at least 2."""
    return text if text == "auto" else _whole(text, 2, "'auto' or a whole number of at least 2")


def _nonnegative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _seed(text: str) -> int:
    return _whole(text, 0, "a seed: a whole number of at least 0")


def _cap(text: str) -> int | None:
    if text.lower() == "none":
        return None
    return int(_positive_number(text, int, "a positive integer or 'none'"))


_WORKERS_HELP = "start a local cluster of N worker processes (default, or 0: threads in this process)"


def _workers(text: str) -> int:
    """``--workers N``: N >= 1 local worker processes; 0 means threads (as leaving it out)."""
    return _whole(text, 0, "a number of worker processes (0: threads)")


def _seconds(text: str) -> float:
    return float(_positive_number(text, float, "a positive number of seconds"))


def _keyword(name: str, help: str | None = None) -> dict[str, Any]:
    """An option's default and help, from the one definition of the API keyword it sets
    (``help``: what the option does in this command, where that differs)."""
    keyword = KEYWORDS[name]
    shown = (
        "none"
        if keyword.default is None
        else f"{keyword.default:,}"
        if isinstance(keyword.default, int)
        else keyword.default
    )
    return {"default": keyword.default, "help": f"{help or keyword.help} (default {shown})"}


# What --bins and --sample-size do in the commands that bin every continuous column
# (select, drift) rather than only with --method binned (matrix, with).
_BINNED_HELP = {
    "bins": "quantile bins of each continuous column: every column is counted "
    "('auto': sqrt(rows / 5), from 2 to 32)",
    "sample_size": "rows of the uniform sample the quantile edges are taken from",
    "random_state": "seed of the sample the quantile edges are taken from",
}
_PAIRS_HELP = {
    "sample_size": "rows of the uniform sample for the k-NN estimators (the screen uses 20,000 of them)",
}
_DRIFT_HELP = {
    "bins": "quantile bins of each sampled column ('auto': sqrt(n / 5), from 2 to 32, n the smaller "
    "side's sample rows)",
    "sample_size": "rows of each side's uniform sample, on which continuous columns are compared",
    "random_state": "seed of the samples and of the permutation tests",
}


def _add_common(
    parser: argparse.ArgumentParser,
    *,
    estimators: bool = True,
    helps: dict[str, str] | None = None,
    bins: bool = True,
) -> None:
    """Options shared by ``dmi matrix``, ``dmi with``, ``dmi select`` and ``dmi drift``
    (``estimators``: the choice of estimator, which ``select`` and ``drift`` do not have:
    they bin and count; ``helps``: what an option does in this command)."""
    helps = helps or {}
    what = parser.add_argument_group("what to compute")
    what.add_argument("--columns", type=_names, metavar="A,B,...", help="only these columns")
    kinds = what.add_mutually_exclusive_group()
    kinds.add_argument(
        "--discrete", type=_names, metavar="A,B,...", help="these columns are discrete, all others continuous"
    )
    kinds.add_argument(
        "--all-discrete", action="store_true", help="every column is discrete (each value a category)"
    )
    if estimators:
        what.add_argument("--method", choices=("auto", "binned"), **_keyword("method"))
    bins_help = "with --method binned: " + KEYWORDS["bins"].help if estimators else None
    if bins:
        what.add_argument("--bins", type=_bins, **_keyword("bins", helps.get("bins", bins_help)))
    if estimators:
        what.add_argument("--n-neighbors", type=_positive, **_keyword("n_neighbors"))
    what.add_argument("--bits", action="store_true", help="report bits instead of nats")
    if estimators:
        what.add_argument("--normalize", choices=NORMALIZE_CHOICES, **_keyword("normalize"))
    what.add_argument("--sample-size", type=_positive, **_keyword("sample_size", helps.get("sample_size")))
    # the API's None is the fixed seed; the option shows it as the number it is
    seed_help = helps.get("random_state", KEYWORDS["random_state"].help.split(" (")[0])
    what.add_argument(
        "--seed", type=_seed, default=DEFAULT_SEED, help=f"{seed_help} (default {DEFAULT_SEED})"
    )
    what.add_argument("--max-categories", type=_cap, metavar="N", **_keyword("max_categories"))
    where = parser.add_argument_group("where to compute (default: threads in this process)")
    place = where.add_mutually_exclusive_group()
    place.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="address of a running Dask scheduler")
    place.add_argument("--workers", type=_workers, metavar="N", help=_WORKERS_HELP)
    where.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up connecting to --scheduler after this long (default {DEFAULT_TIMEOUT:g})",
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--out", type=Path, metavar="FILE", help="also write the result: .csv, .parquet or .json"
    )
    out.add_argument("--plot", type=Path, metavar="FILE.png", help="also draw the result (needs dmi[plot])")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    out.add_argument("--debug", action="store_true", help="show tracebacks")


def _alpha_or_none(text: str) -> float | None:
    return None if text.lower() == "none" else _alpha(text)


def _add_alpha(group: Any, what: str, *, optional: bool = False) -> None:
    group.add_argument(
        "--alpha",
        type=_alpha_or_none if optional else _alpha,
        default=0.05,
        metavar="A",
        help=f"{what} (default 0.05)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dmi`` command."""
    parser = argparse.ArgumentParser(
        prog="dmi",
        description=f"Mutual information between the columns of a table, on Dask. {_PATHS_HELP}.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

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
    matrix.set_defaults(func=_matrix)

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
    with_.set_defaults(func=_with)

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
    _add_common(pairs, estimators=False, helps=_PAIRS_HELP, bins=False)
    pairs.add_argument("--n-neighbors", type=_positive, **_keyword("n_neighbors"))
    pairs.set_defaults(func=_pairs)

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
    select.set_defaults(func=_select)

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
    drift.set_defaults(func=_drift)

    demo = sub.add_parser("demo", help="the MI matrix of built-in example data")
    demo.add_argument("--rows", type=_positive, default=1_000_000, help="rows of example data (default 1M)")
    demo.add_argument("--seed", type=_seed, default=0, help="seed of the example data")
    demo.add_argument("--workers", type=_workers, metavar="N", help=_WORKERS_HELP)
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.add_argument("--debug", action="store_true", help="show tracebacks")
    demo.set_defaults(func=_demo, scheduler=None)
    return parser


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse output files dmi cannot write before any work is done."""
    tables = [("--out", args.out), ("--pairs-out", getattr(args, "pairs_out", None))]  # pairs: dmi drift
    for option, table in tables:
        if table is not None and table.suffix.lower() not in OUTPUT_FORMATS:
            raise UsageError(
                f"{option}: unknown format {table.suffix or '(none)'!r}; use one of {OUTPUT_FORMATS}"
            )
    if args.plot is not None:
        if args.plot.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise UsageError(f"--plot: use a .png, .svg or .pdf file, got {str(args.plot)!r}")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'dmi[plot]'") from None
    for path in (*(table for _, table in tables), args.plot):
        if path is not None and not path.parent.is_dir():
            raise UsageError(f"cannot write {str(path)!r}: no directory {str(path.parent)!r}")


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


def _keywords(args: argparse.Namespace, *, estimators: bool = True) -> dict[str, Any]:
    """The API keywords the common options stand for."""
    keywords = {
        "columns": args.columns,
        "discrete": True if args.all_discrete else (args.discrete if args.discrete else "auto"),
        "bins": getattr(args, "bins", None),
        "sample_size": args.sample_size,
        "base": 2 if args.bits else math.e,
        "random_state": args.seed,
        "progress": not args.quiet,
        "max_categories": args.max_categories,
    }
    if estimators:
        keywords.update(method=args.method, n_neighbors=args.n_neighbors, normalize=args.normalize)
    return keywords


_JSON = (".json", ".jsonl", ".ndjson")


def _readable(path: str) -> str:
    """``path``, or a ValueError saying how to convert a format the command line cannot read
    (the Python API takes a DataFrame; a command takes files)."""
    suffix = Path(path).suffix.lower()
    if suffix in _JSON:
        lines = ", lines=True" if suffix != ".json" else ""
        target = str(Path(path).with_suffix(".parquet"))
        raise ValueError(
            f"{path!r} is JSON, which dmi does not read, and a command takes files, not DataFrames: "
            f'convert it once to Parquet, python -c "import pandas as pd; pd.read_json({path!r}{lines})'
            f'.to_parquet({target!r})", then run dmi on {target!r}'
        )
    return path


def _data(args: argparse.Namespace) -> str | list[str]:
    paths = [_readable(p) for p in args.paths]
    return paths[0] if len(paths) == 1 else paths


def _format(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4f}"


def _matrix(args: argparse.Namespace) -> int:
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


def _strongest(mi: pd.DataFrame, symmetric: bool) -> list[tuple[str, str, float]]:
    """The off-diagonal cells (each pair once when ``symmetric``), largest first, NaN left out."""
    names, values = [str(c) for c in mi.columns], mi.to_numpy(dtype=float)
    cells = [
        (names[i], names[j], float(values[i, j]))
        for i in range(len(names))
        for j in range(len(names))
        if (j > i or (not symmetric and j != i)) and not math.isnan(values[i, j])
    ]
    return sorted(cells, key=lambda cell: -cell[2])


def _with(args: argparse.Namespace) -> int:
    from dmi.api import mutual_info_with

    _check_outputs(args)
    with _scheduler(args):
        mi = mutual_info_with(_data(args), args.target, sort=not args.column_order, **_keywords(args))
    order = "in the columns' order" if args.column_order else "largest first"
    print(f"Mutual information with {args.target!r} ({mi.attrs['unit']}), {order}")
    shown = mi if args.out is None else mi.head(20)
    print(shown.to_string(float_format=_format))
    if len(shown) < len(mi):
        print(f"... {len(mi) - len(shown)} more in {args.out}")
    _write(args, mi, lambda path: _plot_series(mi, path))
    return 0


def _pairs(args: argparse.Namespace) -> int:
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


def _plot_pairs(table: pd.DataFrame, path: Path) -> None:
    from . import plot

    top = table.head(30)
    series = pd.Series(
        top["mi"].to_numpy(), index=[f"{x} ~ {y}" for x, y in zip(top["x"], top["y"], strict=True)]
    )
    series.attrs = {"unit": table.attrs["unit"]}
    _savefig(plot.bar(series), path)


def _select(args: argparse.Namespace) -> int:
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


def _drift(args: argparse.Namespace) -> int:
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


def _drift_axes(result: Any) -> Any:
    from . import plot

    return plot.drift(result)[0]


def _write(args: argparse.Namespace, result: pd.DataFrame | pd.Series, plot: Any) -> None:
    if args.out is not None:
        _write_table(args, result, args.out)
    if args.plot is not None:
        with _atomic(args.plot) as tmp:
            plot(tmp)
        _say(args, f"Drew {args.plot}")


def _write_table(args: argparse.Namespace, result: pd.DataFrame | pd.Series, path: Path) -> None:
    with _atomic(path) as tmp:
        _save(result, tmp, path.suffix.lower())
    _say(args, f"Wrote {path}")


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path``, renamed onto it only when the block succeeds."""
    # Not mkstemp, which makes the file private (0600): created with 0666 less the
    # user's umask, the result gets the mode of any other file the user writes.
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}{path.suffix}"
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _save(result: pd.DataFrame | pd.Series, path: Path, fmt: str) -> None:
    frame = result.to_frame("mi") if isinstance(result, pd.Series) else result
    frame = frame.copy()
    frame.attrs = {}
    frame.index = frame.index.map(str)
    frame.columns = frame.columns.map(str)
    if fmt == ".csv":
        frame.to_csv(path)
    elif fmt == ".parquet":
        frame.to_parquet(path)
    elif not all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes):  # a table of records
        records = [
            {k: _plain(v) for k, v in row.items()} for row in frame.reset_index().to_dict(orient="records")
        ]
        doc_records = {"unit": result.attrs.get("unit"), "records": records}
        path.write_text(json.dumps(doc_records, indent=1) + "\n")
    else:  # exact floats (pandas' to_json keeps 15 digits), NaN as null
        rows = [[None if math.isnan(v) else v for v in row] for row in frame.to_numpy(dtype=float).tolist()]
        doc = {
            "unit": result.attrs.get("unit"),
            "index": list(frame.index),
            "columns": list(frame.columns),
            "data": rows,
        }
        path.write_text(json.dumps(doc, indent=1) + "\n")


def _plain(value: Any) -> Any:
    """A cell as JSON holds it: NaN and NA as null, numpy numbers as Python numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _plot_matrix(mi: pd.DataFrame, path: Path) -> None:
    from . import plot

    _savefig(plot.heatmap(mi), path)


def _plot_series(mi: pd.Series, path: Path) -> None:
    from . import plot

    _savefig(plot.bar(mi), path)


def _plot_selection(steps: pd.DataFrame, path: Path) -> None:
    from . import plot

    _savefig(plot.selection(steps), path)


def _savefig(ax: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    figure = ax.figure
    figure.savefig(path, dpi=120, bbox_inches="tight", format=path.suffix.lstrip(".").lower())
    plt.close(figure)


# The demo's table: integer codes of 2 to 60 values (categories under discrete="auto"),
# two string columns and three numbers, with these dependencies planted.
_DEMO_COLUMNS = {"n_int_columns": 8, "max_cardinality": 60, "n_float_columns": 3}
_PLANTED = (
    "c01 is a noisy copy of c00; c03 follows c02; city is mostly a function of c05; grade depends "
    "on c00 and city; f00 is 0.1 * c05 plus noise, f01 = f00**2 and f02 = sin(3 * f00), plus "
    "noise (non-linear: Pearson misses f00 ~ f01); every other pair is independent"
)


def _demo(args: argparse.Namespace) -> int:
    from dmi.api import mutual_info_matrix
    from dmi.example import make_example

    with tempfile.TemporaryDirectory(prefix="dmi-demo-") as tmp:
        path = Path(tmp) / "example"
        path.mkdir()
        frame = make_example(args.rows, random_state=args.seed, **_DEMO_COLUMNS)
        n_files = 4
        step = -(-len(frame) // n_files)
        for i in range(n_files):
            frame.iloc[i * step : (i + 1) * step].to_parquet(path / f"part-{i}.parquet", index=False)
        print(f"Example data: {len(frame):,} rows x {frame.shape[1]} columns in {n_files} Parquet files.")
        print(f"Planted: {_PLANTED}.\n")
        with _scheduler(args):
            start = time.perf_counter()
            mi = mutual_info_matrix(str(path / "*.parquet"), base=2, progress=not args.quiet)
            elapsed = time.perf_counter() - start
    print("Mutual information (bits); diagonal = entropy H(X), NaN for continuous columns:")
    print(mi.to_string(float_format=lambda v: f"{v:.3f}"))
    names = list(mi.columns)
    values = mi.to_numpy()
    pairs = [
        (float(values[i, j]), str(names[i]), str(names[j]))
        for i in range(len(names))
        for j in range(i + 1, len(names))
    ]
    print("\nStrongest dependencies:")
    for value, a, b in sorted(pairs, key=lambda t: t[0], reverse=True)[:8]:
        print(f"  {a} ~ {b}: {value:.3f} bits")
    where = "threads in this process" if not args.workers else f"a local cluster of {args.workers} processes"
    sample = min(len(frame), 100_000)
    print(
        f"\nComputed in {elapsed:.2f} s on {where}: one pass over {len(frame):,} rows (exact counts "
        f"for the categorical pairs; KSG and Ross on a uniform sample of {sample:,} rows for the "
        "pairs with f00-f02). Independent pairs show small positive values, the plug-in estimate's "
        "bias; mutual_info_table reports ami and p_value to tell them apart."
    )
    return 0


# Python keywords in dmi's messages, and the options that set them on the command line.
_AS_OPTIONS = (
    (re.compile(r"discrete=\[\.\.\.\]( naming them)?"), "--discrete A,B,... naming them"),
    (re.compile(r"\(or discrete=True\)"), "(or --all-discrete)"),
    (re.compile(r"discrete=True"), "--all-discrete"),
    (re.compile(r"as discrete='auto' does"), "as dmi does by default"),
    (re.compile(r"discrete='auto'"), "dmi's default"),
    (re.compile(r"\bdiscrete= "), "--discrete "),
    (re.compile(r"method='binned'"), "--method binned"),
    (re.compile(r"n_neighbors=(\d+)"), r"--n-neighbors \1"),
    (re.compile(r"\bmax_categories=([\d,_]+)"), r"--max-categories \1"),
    (re.compile(r"a larger max_categories \(or None\)"), "a larger --max-categories (or none)"),
    (re.compile(r"\bmax_categories\b"), "--max-categories"),
    (re.compile(r"\bsample_size\b"), "--sample-size"),
    (re.compile(r"\brandom_state\b"), "--seed"),
    (re.compile(r"columns=\[\.\.\.\]"), "--columns A,B,..."),
    (re.compile(r"alpha=([\d.]+)"), r"--alpha \1"),
    (re.compile(r"^(target|columns|discrete):"), r"--\1:"),
)


def as_options(message: str) -> str:
    """A message of dmi's Python API in the command line's words (its options, not keywords)."""
    for pattern, option in _AS_OPTIONS:
        message = pattern.sub(option, message)
    return message


@contextlib.contextmanager
def _cli_warnings() -> Iterator[None]:
    """Show each warning once, as one line ``dmi: warning: ...`` in the CLI's words (not
    Python's ``file:line: Category: message`` and source line)."""
    seen: set[str] = set()

    def show(
        message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
    ) -> None:
        text = as_options(str(message))
        if text not in seen:
            seen.add(text)
            print(f"dmi: warning: {text}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dmi`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _cli_warnings():
            return int(args.func(args))
    except BrokenPipeError:  # the reader went away (``dmi matrix ... | head``): not an error
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UsageError as err:
        if args.debug:
            raise
        parser.exit(2, f"{parser.prog} {args.command}: error: {err}\n")
    except (ValueError, TypeError, KeyError, OSError, ImportError, ClusterError) as err:
        if args.debug:
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        print(f"dmi: error: {as_options(str(message))}", file=sys.stderr)
        return 1
    return 0  # pragma: no cover - parser.exit raises


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
