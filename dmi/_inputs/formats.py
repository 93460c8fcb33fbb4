"""The file formats dmi reads, in one registry: a new format is one record.

A :class:`FileFormat` says which paths it claims (by their names, without reading them),
how it opens a list of paths with its options as a :class:`~dmi._inputs.source.Source`,
and, optionally, what a path it does not read looks like (a hint for the error). Paths
given as ``data`` are opened by the one format that claims them all (:func:`format_of`);
``dmi.scan_<format>(...)`` names its format. Parquet claims what no other format claims.

To add a format: write its reader (a module of its own under :mod:`dmi._inputs`) and
:func:`register` it, as :mod:`dmi._inputs.source` registers Parquet and CSV.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FileFormat:
    """One file format: its name, which paths it claims, and how it opens them."""

    name: str
    claims: Callable[[str], bool]
    """Whether a path (a file, directory or glob) is of this format, from its name alone."""
    open: Callable[[list[str], dict[str, Any]], Any]
    """``open(paths, options)``: the files as a :class:`~dmi._inputs.source.Source`."""
    fallback: bool = False
    """Claims the paths no other format claims (Parquet)."""
    refuse: Callable[[str], str | None] | None = None
    """For a fallback format: what a path it cannot read looks like (None: nothing known)."""


FORMATS: dict[str, FileFormat] = {}
"""The registered formats by name, in the order they were registered."""


def register(fmt: FileFormat) -> FileFormat:
    """Add ``fmt`` to the formats dmi reads (replacing one of the same name)."""
    FORMATS[fmt.name] = fmt
    return fmt


def get(name: str) -> FileFormat:
    """The format named ``name``; ValueError naming the known ones."""
    if name not in FORMATS:
        raise ValueError(f"unknown file format {name!r}; dmi reads {sorted(FORMATS)}")
    return FORMATS[name]


def paths_of(data: Any) -> list[str] | None:
    """The ``data`` argument as path strings when it is a path (``str`` or ``os.PathLike``)
    or a non-empty list of them, else None."""
    if isinstance(data, str | os.PathLike):
        return [os.fspath(data)]
    if isinstance(data, Sequence) and data and all(isinstance(p, str | os.PathLike) for p in data):
        return [os.fspath(p) for p in data]
    return None


def open_scan(name: str | None, paths: Sequence[str], options: dict[str, Any]) -> Any:
    """The files ``paths`` as a :class:`~dmi._inputs.source.Source`, opened by the format
    named ``name`` (``dmi.scan_<format>``) or, for ``None``, by the one that claims them all
    (:func:`format_of`), with its ``options``."""
    fmt = format_of(paths) if name is None else get(name)
    return fmt.open(list(paths), options)


def format_of(paths: Sequence[str]) -> FileFormat:
    """The one format that claims every path: a format that claims some of them must claim
    all (ValueError naming two paths of different formats); the fallback takes the rest."""
    for fmt in FORMATS.values():
        if fmt.fallback:
            continue
        claimed = [fmt.claims(p) for p in paths]
        if all(claimed):
            return fmt
        if any(claimed):
            raise ValueError(
                f"data mixes {fmt.name.upper()} and other paths ({paths[claimed.index(True)]!r} and "
                f"{paths[claimed.index(False)]!r}); pass one kind of file"
            )
    fallback = next(f for f in FORMATS.values() if f.fallback)
    for p in paths:
        hint = fallback.refuse(p) if fallback.refuse is not None else None
        if hint is not None:
            raise ValueError(f"{p!r} is not a {fallback.name.capitalize()} file; it looks like {hint}")
    return fallback
