"""The standard Bayesian networks for the benchmarks: dmi's reader and sampler
(:mod:`dmi._networks`), with the files taken from an installed pgmpy or, failing that,
from its wheel downloaded once with ``pip download --no-deps pgmpy`` (no install).
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import zipfile
from pathlib import Path

from dmi._networks import (  # noqa: F401  (re-exported for the benchmark scripts)
    GaussianNode,
    Node,
    forward_sample,
    gaussian_sample,
    network_text,
    read_bif,
    read_gaussian,
)


def _text(name: str, suffix: str, cache: Path) -> str:
    try:
        return network_text(name, suffix)
    except ImportError:
        pass
    wheels = sorted(cache.glob("pgmpy-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), "pgmpy"]
        subprocess.run(cmd, check=True)
        wheels = sorted(cache.glob("pgmpy-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as z:
        data = z.read(f"pgmpy/utils/example_models/{name}{suffix}")
    return (gzip.decompress(data) if suffix.endswith(".gz") else data).decode()


def bif_text(name: str, cache: Path) -> str:
    """The text of ``pgmpy/utils/example_models/{name}.bif.gz``."""
    return _text(name, ".bif.gz", cache)


def gaussian_json(name: str, cache: Path) -> dict[str, GaussianNode]:
    """A linear Gaussian network of pgmpy's example models (``ecoli70``...)."""
    return read_gaussian(_text(name, ".json", cache))
