"""The public keywords, defined once (each one's default, meaning, CLI option and
documentation), and the typed request (:class:`Options`) that carries a call's checked
values to every layer.

The public functions take them through :mod:`dmi._engine.signatures`: a function declares
which it takes (a ``TypedDict`` of their types, for type checkers and IDEs) and the
``takes`` decorator gives it its full signature and the parameter docs from this table;
``check_options`` checks them, once. ``tests/api/test_keywords.py`` holds every public function,
the CLI and the summary file's metadata to this table.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
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
    """One public keyword: its default, its meaning in a line (the CLI's help), its CLI
    option, and its numpydoc entry (the type line after the name, then the text)."""

    default: Any
    help: str
    flag: str | None = None
    """The CLI option that sets it, if any."""
    doc: str = ""
    """The parameter's documentation: its numpydoc type line, then its description."""


KEYWORDS: dict[str, Keyword] = {
    "discrete": Keyword(
        "auto",
        "which columns are categories ('auto': by dtype; integers by their number of values)",
        doc="""'auto', bool or list of column names, default 'auto'
    Which columns are discrete. ``'auto'``: bool, string/object and categorical
    dtypes (pandas nullable and pyarrow-backed included) are discrete; floats,
    datetimes and durations are continuous; an integer column is discrete when it
    holds at most 64 distinct values (a month, an hour, a 0-9 code) and continuous
    otherwise (a distance, a count, a flight number), as scikit-learn treats
    numbers. The pass's own counts decide it (no extra read), the same way for
    every input, and a :class:`~dmi.ContinuousIntegersWarning` names the integer
    columns made continuous. ``True``: every column is discrete, each distinct
    value a category. ``False``: every column is continuous. A list: the listed
    columns are discrete, all others continuous (scikit-learn's
    ``discrete_features`` mask semantics).""",
    ),
    "method": Keyword(
        "auto",
        "'auto': counts and k-NN estimators; 'binned': quantile bins",
        "--method",
        doc="""{'auto', 'binned'}, default 'auto'
    ``'auto'``: a discrete pair takes the exact plug-in estimate from contingency
    counts of all rows; a continuous pair takes KSG (Kraskov et al. 2004,
    algorithm 1) and a discrete-continuous pair takes Ross (2014), both on a
    uniform sample of ``sample_size`` rows gathered in the same pass.
    ``'binned'``: continuous columns are cut into ``bins`` equal-frequency bins
    (edges: quantiles of the same seeded uniform sample; exact quantiles when the
    sample holds every row) and every pair takes the plug-in estimate over all
    rows. This needs a second pass over the data: the first gathers the sample
    for the edges. Discrete columns are untouched.""",
    ),
    "bins": Keyword(
        "auto",
        "quantile bins of each continuous column ('auto': sqrt(rows / 5), from 2 to 32)",
        "--bins",
        doc="""int or 'auto', default 'auto'
    Number of quantile bins for continuous columns with ``method='binned'``
    (fewer where heavy ties make quantiles repeat). ``'auto'`` (the default)
    gives each column ``floor(sqrt(rows / 5))`` bins, from 2 to 32, so a table of
    two binned columns expects at least 5 rows per cell (32 from 5,120 rows on). The
    bins used are in ``result.attrs["bins"]``.""",
    ),
    "n_neighbors": Keyword(
        3,
        "k of the k-NN estimators",
        "--n-neighbors",
        doc="""int, default 3
    k of the k-nearest-neighbour estimators (``method='auto'``). Must be below
    the rows a pair has in the sample.""",
    ),
    "sample_size": Keyword(
        100_000,
        "rows of the uniform sample for the k-NN estimators",
        "--sample-size",
        doc="""int, default 100_000
    Rows of the uniform sample that feeds the continuous estimators; all rows are
    used when the table has fewer. The sample is drawn without replacement by a
    seeded random key per row (copies of a row are separate rows). The same seed
    gives the same sample whatever the partitioning of a pandas DataFrame or of
    Parquet files, and whichever columns are requested; a Dask DataFrame gives the
    same sample for the same partitions (see ``docs/robustness.md``).""",
    ),
    "base": Keyword(
        math.e,
        "logarithm base of the result (e: nats, 2: bits)",
        doc="""float, default math.e
    Logarithm base of the result: ``math.e`` gives nats (scikit-learn's unit),
    ``2`` gives bits.""",
    ),
    "normalize": Keyword(
        None,
        "normalized MI with this mean of the two entropies",
        "--normalize",
        doc="""{None, 'arithmetic', 'geometric', 'min', 'max'}, default None
    Return normalized MI, ``I(X;Y) / mean(H(X), H(Y))`` with the named mean, as
    :func:`sklearn.metrics.normalized_mutual_info_score` with that
    ``average_method``. Unitless; the diagonal is 1.""",
    ),
    "dropna": Keyword(
        True,
        "each pair on its pairwise-complete rows (False: missing is a category)",
        doc="""bool, default True
    ``True``: each pair uses exactly its pairwise-complete rows (as
    :meth:`pandas.DataFrame.corr`), and its normalization uses the entropies of
    those same rows. ``False``: a missing value is a category of its own (for the
    plug-in pairs; the k-NN estimators always use the pairwise-complete sample rows).""",
    ),
    "random_state": Keyword(
        None,
        "seed of the sample and the tie-breaking noise (None: the seed 0)",
        "--seed",
        doc="""int, numpy.random.Generator or None, default None
    Seed of the sample and of the tie-breaking noise of the continuous
    estimators: the same seed and input give bit-identical results. ``None`` is
    the fixed default seed 0, so calls repeat and summaries made with default
    arguments merge; pass another int to draw another sample.""",
    ),
    "split_every": Keyword(
        None,
        "fan-in of the tree merge (None: dask config dmi.split-every)",
        doc="""int, False or None
    Fan-in of the tree merge of partition summaries. ``None`` reads the Dask
    config value ``dmi.split-every`` (default 8); ``False`` merges all at once.""",
    ),
    "sample": Keyword(
        "rows",
        "'rows': sample all rows; 'partitions': read some partitions only",
        doc="""{'rows', 'partitions'}, default 'rows'
    ``'rows'``: the k-NN sample is drawn uniformly from all rows, in the one pass
    that also counts the discrete pairs. ``'partitions'``: when no requested pair
    needs every row (no discrete-discrete pair, ``method='auto'``), read only a
    seeded random subset of partitions holding at least ``sample_size`` rows --
    Parquet files chosen by the row counts in their footers, or blocks of a pandas
    DataFrame -- and sample rows within them. Much less reading, but only as
    representative as the partitions are: data ordered by time, region, etc.
    biases it. A discrete column's diagonal entropy then describes the rows read.""",
    ),
    "progress": Keyword(
        False,
        "show a progress bar",
        doc="""bool, default False
    Show a progress bar while computing: with a ``distributed.Client``, its
    progress bar (a widget in a notebook, text on stderr in a console; the
    client's dashboard shows the tasks too); with a local scheduler,
    :class:`dask.diagnostics.ProgressBar` on stderr once the work has taken a
    second. For other displays, call without it inside your own context, e.g.
    ``with dask.diagnostics.ProgressBar(): dmi.mutual_info_matrix(...)``.""",
    ),
    "max_categories": Keyword(
        DefaultCap(1_000_000),
        "most distinct values a discrete column's counts keep ('none': no cap); columns with more are "
        "NaN, or exact if provably identifiers",
        "--max-categories",
        doc="""int or None, default 1_000_000
    The most distinct values a discrete column's counts keep. A column with more
    (an identifier, free text) is *folded*: its values are dropped, so memory stays
    bounded. When every row provably holds a value of its own (no value repeats
    within a partition, and the partitions' value ranges do not overlap, as for a
    row number), its MI is still exact: the other column's entropy, with an
    :class:`~dmi.IdentifierWarning`. Otherwise its cells and entropy are NaN, with a
    :class:`~dmi.MaxCategoriesWarning` naming it. ``None``: no cap, every column
    exact, memory growing with the distinct values (and value pairs) counted.""",
    ),
    "weights": Keyword(
        None,
        "a column of row weights: a row of weight w counts as w rows",
        "--weights",
        doc="""column name or None, default None
    A column of row weights. Whole numbers are frequency weights, as a pre-aggregated
    table holds them (one row per distinct combination and a count column): a row of
    weight ``w`` counts as ``w`` rows, and every result equals that of the table with
    each row repeated ``w`` times. Counts add the weights exactly; the k-NN sample
    draws rows in proportion to their weights (weighted bottom-k keys, Efraimidis and
    Spirakis 2006, a heavy row's copies entering as separate rows, so a row may fill
    several places of the sample).

    Fractional weights (survey or importance weights, in a float column) give
    weighted counts: MI and entropies are those of the weighted distribution, and
    tests take Kish's effective sample size ``(sum w)**2 / sum w**2`` in place of the
    rows, over the rows each test uses (the rows where a pair, or a conditional
    test's columns, have values).
    AMI is NaN with them, and permutation tests and :func:`dmi.drift` refuse them
    (they draw whole rows). Their k-NN sample is drawn without replacement in
    proportion to the weights, one key per row: close to the weighted distribution
    while the sample is a small share of the rows, and unweighted once it holds them
    all (a table of fewer rows than ``sample_size``).

    A row of weight 0 is left out; missing, negative or infinite weights raise
    ValueError naming the column. The column is not analysed itself (the default
    ``columns`` leave it out;
    naming it among them raises ValueError).""",
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
    weights: Hashable | None = None
    """The column of frequency weights, if any."""
