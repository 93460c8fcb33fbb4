"""Files behind the user's paths: globs and directories expanded on any fsspec file system."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def filesystem(paths: Sequence[str], storage_options: dict[str, Any] | None) -> Any:
    """The fsspec filesystem of ``paths`` (``s3://``, ``gs://``, ``memory://``, local...)."""
    import fsspec

    fs, _, _ = fsspec.core.get_fs_token_paths(list(paths), storage_options=storage_options or {})
    return fs


def find(fs: Any, paths: Sequence[str], wanted: Callable[[str], bool]) -> tuple[list[str], dict[str, str]]:
    """The files behind ``paths``, each named as the file system names it (relative local
    paths made absolute, so a file is named the same however the user spelled it), and
    the folder each was found below: the directory given, or a glob's fixed part.

    A directory is searched recursively for the files ``wanted`` accepts; a glob or a
    file is taken as it is. A path that matches nothing gives an empty list for the
    caller to name.
    """
    files: list[str] = []
    bases: dict[str, str] = {}
    for p in paths:
        magic = any(ch in p for ch in "*?[")
        found = fs.glob(p) if magic else ([fs.info(p)["name"]] if fs.exists(p) else [])
        for f in sorted(found):
            if fs.isdir(f):
                inside = sorted(x for x in fs.find(f) if wanted(x))
                files += inside
                bases.update(dict.fromkeys(inside, f))
            else:
                files.append(f)
                if magic:
                    fixed = p[: min(p.index(ch) for ch in "*?[" if ch in p)]
                    bases[f] = fs.info(fixed.rsplit("/", 1)[0] or "/")["name"] if "/" in fixed else ""
    return files, bases


def matches(fs: Any, path: str) -> list[str]:
    """What one path expands to (for naming a path that matches nothing)."""
    files, _ = find(fs, [path], lambda _: True)
    return files
