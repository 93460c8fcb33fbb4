"""The ``dmi`` console script: parse, run the command, and turn errors and warnings into
one line each in the command line's words (its options, not the API's keywords).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from dmi._pass.faults import ClusterError
from dmi.cli.arguments import (
    UsageError,
)
from dmi.cli.parser import build_parser

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
    (re.compile(r"\bweights=(?=\S)"), "--weights "),
    (re.compile(r"\bweights="), "--weights"),
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
