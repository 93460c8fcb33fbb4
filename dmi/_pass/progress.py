"""Progress of a computation: a bar on stderr in a console, one updating line in a notebook.

With a ``distributed.Client``: its progress bar (a widget in a notebook with ipywidgets).
Otherwise, and in a notebook without ipywidgets, a text bar. In a console it is written to
stderr with carriage returns; in a notebook the same text replaces one output line in
place (an IPython display handle, no ipywidgets needed), so a long run leaves one line,
not a stream of hundreds of partial lines.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import Any


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel."""
    from distributed.utils import is_kernel

    return bool(is_kernel())


def has_widgets() -> bool:
    """Whether the notebook progress widget can be shown (it needs ipywidgets)."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


class NotebookLine(io.TextIOBase):
    """A text file whose content is one line of notebook output, replaced on each write.

    Progress bars write ``"\\r[###   ] | 40% Completed | 2.1s"`` again and again; each
    write here updates one display output with the last line written.
    """

    def __init__(self) -> None:
        self._handle: Any = None
        self._last = ""

    def write(self, text: str) -> int:
        from IPython.display import Pretty, display

        line = text.replace("\33[2K", "").split("\r")[-1].strip("\n")
        if line.strip() and line != self._last:
            self._last = line
            if self._handle is None:  # shown at the first line: a quick run shows none
                self._handle = display(Pretty(line), display_id=True)
            else:
                self._handle.update(Pretty(line))
        return len(text)

    def writable(self) -> bool:
        return True


@contextlib.contextmanager
def text_output() -> Iterator[Any]:
    """Where a text progress bar writes: stderr in a console, one updating line in a notebook."""
    if in_notebook():
        yield NotebookLine()
    else:
        yield sys.stderr
