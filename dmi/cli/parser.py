"""The argument parser of the ``dmi`` command: one subcommand per module of
:mod:`dmi.cli.commands`, in the order of :data:`COMMANDS`."""

from __future__ import annotations

import argparse

from dmi.cli.arguments import _PATHS_HELP
from dmi.cli.commands import demo, drift, matrix, pairs, select, with_

COMMANDS = (matrix, with_, pairs, select, drift, demo)
"""A command is a module with ``add(sub)`` (its parser, whose ``func`` default is its
``run``) and ``run(args) -> exit code``: a new command is one module and its place here."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dmi`` command."""
    parser = argparse.ArgumentParser(
        prog="dmi",
        description=f"Mutual information between the columns of a table, on Dask. {_PATHS_HELP}.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add(sub)
    return parser
