"""The ``dmi`` command line: ``dmi matrix``, ``with``, ``pairs``, ``select``, ``drift`` and ``demo``.

Exit codes: 0 success; 2 bad usage (argparse); 1 a data or connection error, reported
as one line on stderr (``--debug`` shows the traceback instead).

The commands import dmi's computing modules (and Dask, distributed, matplotlib) inside
their functions, not at the top: ``dmi --help`` and usage errors answer at once.

- :mod:`~dmi.cli.arguments`: option types and the options the commands share;
- :mod:`~dmi.cli.commands`: one module per command (its options and its run);
- :mod:`~dmi.cli.parser`: the parser, from the commands;
- :mod:`~dmi.cli.cluster`: threads, local worker processes or a running scheduler;
- :mod:`~dmi.cli.output`: files written and numbers printed;
- :mod:`~dmi.cli.app`: the entry point, errors and warnings in the command line's words.
"""

from dmi.cli.app import as_options, main
from dmi.cli.arguments import UsageError
from dmi.cli.parser import build_parser

__all__ = ["UsageError", "as_options", "build_parser", "main"]
