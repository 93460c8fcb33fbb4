"""The command line's options: their types (each a clear usage error), the options the
commands share (from the one declaration of the API keywords), and the API keywords they
stand for.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from dmi._engine.keywords import KEYWORDS
from dmi._engine.validate import METHODS, NORMALIZE_METHODS
from dmi._math.streams import DEFAULT_SEED
from dmi._typing import FILE_FORMS

OUTPUT_FORMATS = (".csv", ".parquet", ".json")


# The data a command takes: the file forms of dmi._typing.DATA_FORMS (a command cannot take a DataFrame).
_PATHS_HELP = (
    f"The data: {' or '.join(FILE_FORMS[:-1])} files, directories or globs (CSV: .csv, .tsv, .tab, "
    f"compressed or not), or the .dmi file of a saved {FILE_FORMS[-1]}"
)


_ONE_PATH_HELP = f"{' or '.join(FILE_FORMS[:-1])} path or glob, or the .dmi file of a saved {FILE_FORMS[-1]}"


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
    weights: bool = True,
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
        what.add_argument("--method", choices=METHODS, **_keyword("method"))
    bins_help = "with --method binned: " + KEYWORDS["bins"].help if estimators else None
    if bins:
        what.add_argument("--bins", type=_bins, **_keyword("bins", helps.get("bins", bins_help)))
    if estimators:
        what.add_argument("--n-neighbors", type=_positive, **_keyword("n_neighbors"))
    what.add_argument("--bits", action="store_true", help="report bits instead of nats")
    if estimators:
        what.add_argument("--normalize", choices=NORMALIZE_METHODS, **_keyword("normalize"))
    what.add_argument("--sample-size", type=_positive, **_keyword("sample_size", helps.get("sample_size")))
    # the API's None is the fixed seed; the option shows it as the number it is
    seed_help = helps.get("random_state", KEYWORDS["random_state"].help.split(" (")[0])
    what.add_argument(
        "--seed", type=_seed, default=DEFAULT_SEED, help=f"{seed_help} (default {DEFAULT_SEED})"
    )
    what.add_argument("--max-categories", type=_cap, metavar="N", **_keyword("max_categories"))
    if weights:
        what.add_argument("--weights", metavar="COLUMN", **_keyword("weights"))
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
    if "weights" in args:
        keywords["weights"] = args.weights
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
