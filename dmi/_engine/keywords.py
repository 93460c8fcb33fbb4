"""The public keywords, defined once (each one's default and meaning), and the typed
request (:class:`Options`) that carries a call's checked values to every layer.

The public functions keep explicit signatures (for users and IDEs) and the CLI its own
flags; ``tests/test_keywords.py`` holds both, and the summary file's metadata, to this
table, so a keyword cannot change in one place and be forgotten in another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dmi._typing import Discrete


class DefaultCap(int):
    """The default ``max_categories``: an int like any other, which a stored summary can
    tell apart from the same number chosen by the caller (a summary's cap is fixed)."""

    def __repr__(self) -> str:
        return f"{int(self):_}"


@dataclass(frozen=True)
class Keyword:
    """One public keyword: its default, and its meaning in a line (the CLI's help)."""

    default: Any
    help: str
    flag: str | None = None
    """The CLI option that sets it, if any."""


KEYWORDS: dict[str, Keyword] = {
    "discrete": Keyword(
        "auto", "which columns are categories ('auto': by dtype; integers by their number of values)"
    ),
    "method": Keyword("auto", "'auto': counts and k-NN estimators; 'binned': quantile bins", "--method"),
    "bins": Keyword(
        "auto",
        "quantile bins of each continuous column ('auto': sqrt(rows / 5), from 2 to 32)",
        "--bins",
    ),
    "n_neighbors": Keyword(3, "k of the k-NN estimators", "--n-neighbors"),
    "sample_size": Keyword(100_000, "rows of the uniform sample for the k-NN estimators", "--sample-size"),
    "base": Keyword(math.e, "logarithm base of the result (e: nats, 2: bits)"),
    "normalize": Keyword(None, "normalized MI with this mean of the two entropies", "--normalize"),
    "dropna": Keyword(True, "each pair on its pairwise-complete rows (False: missing is a category)"),
    "random_state": Keyword(
        None, "seed of the sample and the tie-breaking noise (None: the seed 0)", "--seed"
    ),
    "split_every": Keyword(None, "fan-in of the tree merge (None: dask config dmi.split-every)"),
    "sample": Keyword("rows", "'rows': sample all rows; 'partitions': read some partitions only"),
    "progress": Keyword(False, "show a progress bar"),
    "max_categories": Keyword(
        DefaultCap(1_000_000),
        "most distinct values a discrete column's counts keep ('none': no cap); columns with more are "
        "NaN, or exact if provably identifiers",
        "--max-categories",
    ),
}


def default(name: str) -> Any:
    """The default of public keyword ``name``."""
    return KEYWORDS[name].default


@dataclass(frozen=True)
class Options:
    """A public call's keywords, checked and resolved (by ``dmi._engine.request.check_options``):
    the typed request every internal layer receives."""

    discrete: Discrete
    base: float
    normalize: str | None
    dropna: bool
    split_every: int | None
    n_neighbors: int
    sample_size: int
    seed: int
    method: str
    bins: int | str
    """A number of quantile bins, or ``"auto"`` (resolved from the rows, :func:`auto_bins`)."""
    sample: str
    progress: bool
    max_categories: int | None = KEYWORDS["max_categories"].default
    seed_given: bool = False
    """Whether the caller chose the seed (``random_state`` not None)."""
    cap_given: bool = False
    """Whether the caller chose ``max_categories`` (not its default)."""
