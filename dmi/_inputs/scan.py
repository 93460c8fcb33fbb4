"""What :func:`dmi.scan_parquet` and :func:`dmi.scan_csv` return: paths and how to read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False)
class Scan:
    """Files to read and how: what :func:`dmi.scan_parquet` and :func:`dmi.scan_csv` return.

    Pass it as ``data`` to any dmi function. It holds only the paths and options; the
    files are opened (footers, headers) when a function is called, and read in the pass.
    """

    format: str
    """``"parquet"`` or ``"csv"``."""
    paths: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = ", ".join(repr(p) for p in self.paths[:3]) + (", ..." if len(self.paths) > 3 else "")
        options = "".join(f", {k}={v!r}" for k, v in self.options.items() if k != "storage_options")
        return f"dmi.scan_{self.format}([{shown}]{options})"
