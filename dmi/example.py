"""Built-in example data with known dependencies, for the demo, docs and benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

_CITIES = np.array([f"city_{i:02d}" for i in range(40)], dtype=object)
_GRADES = np.array(list("ABCDE"), dtype=object)


def make_example(
    n_rows: int = 100_000,
    random_state: int = 0,
    *,
    n_int_columns: int = 12,
    max_cardinality: int = 1000,
    n_float_columns: int = 0,
) -> pd.DataFrame:
    """A table of discrete columns with known dependencies between some of them.

    Parameters
    ----------
    n_rows : int, default 100_000
        Number of rows.
    random_state : int, default 0
        Seed; the same seed gives the same table.
    n_int_columns : int, default 12
        Number of integer columns ``c00, c01, ...``; their cardinalities grow
        geometrically from 2 to ``max_cardinality``.
    max_cardinality : int, default 1000
        Cardinality of the last integer column.
    n_float_columns : int, default 0
        Number of continuous columns ``f00, f01, ...`` appended: ``f00`` is a noisy
        multiple of ``c05`` (a discrete-continuous dependence), ``f01`` is ``f00**2``
        plus noise and ``f02`` is ``sin(3 * f00)`` plus noise (non-linear
        continuous dependences); the rest are independent standard normals.

    Returns
    -------
    pandas.DataFrame
        Integer columns ``c00..`` with cardinalities 2 to ``max_cardinality``, and two
        string columns:
        ``city`` (40 values) and ``grade`` (5 values). Dependencies: ``c01`` is a
        noisy copy of ``c00``; ``c03`` is ``c02`` modulo its cardinality plus noise;
        ``city`` is a function of ``c05`` (mostly); ``grade`` depends on ``c00`` and
        ``city``. All other columns are independent.

    Examples
    --------
    >>> from dmi import make_example
    >>> df = make_example(1_000)
    >>> df.shape
    (1000, 14)
    """
    rng = np.random.default_rng(random_state)
    cards = np.unique(np.geomspace(2, max_cardinality, n_int_columns).round().astype(np.int64))
    while len(cards) < n_int_columns:  # tiny n_int_columns can collide after rounding
        cards = np.unique(np.append(cards, cards.max() + 1))
    cols: dict[str, np.ndarray] = {}
    for i, k in enumerate(cards):
        cols[f"c{i:02d}"] = rng.integers(0, k, n_rows)
    names = list(cols)
    if n_int_columns >= 2:
        flip = rng.random(n_rows) < 0.2
        cols[names[1]] = np.where(flip, cols[names[1]], cols[names[0]] % cards[1])
    if n_int_columns >= 4:
        noise = rng.random(n_rows) < 0.3
        cols[names[3]] = np.where(noise, cols[names[3]], cols[names[2]] % cards[3])
    driver = cols[names[min(5, n_int_columns - 1)]]
    city_code = np.where(
        rng.random(n_rows) < 0.75, driver % len(_CITIES), rng.integers(0, len(_CITIES), n_rows)
    )
    grade_code = (
        cols[names[0]] + city_code // 8 + (rng.random(n_rows) < 0.4) * rng.integers(0, 5, n_rows)
    ) % 5
    frame = pd.DataFrame(cols)
    frame["city"] = pd.array(_CITIES[city_code], dtype="str")
    frame["grade"] = pd.array(_GRADES[grade_code], dtype="str")
    for j in range(n_float_columns):
        if j == 0:
            f = 0.1 * driver + rng.normal(0.0, 0.05, n_rows)
        elif j == 1:
            f = frame["f00"].to_numpy() ** 2 + rng.normal(0.0, 0.01, n_rows)
        elif j == 2:
            f = np.sin(3 * frame["f00"].to_numpy()) + rng.normal(0.0, 0.1, n_rows)
        else:
            f = rng.standard_normal(n_rows)
        frame[f"f{j:02d}"] = f
    return frame


def sample_network(
    name: str, n_rows: int = 100_000, random_state: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of a standard Bayesian network, and its true arcs: data whose causal structure is known.

    The networks of the bnlearn repository that pgmpy ships (it must be installed; its
    files are read, pgmpy is not imported): discrete ones as ``.bif.gz`` (``"alarm"``,
    37 variables and 46 arcs; ``"insurance"``, ``"sachs"``, ``"child"``, ``"munin"``...) and
    linear Gaussian ones as ``.json`` (``"ecoli70"``, 46 variables and 70 arcs;
    ``"magic-niab"``...). Rows are drawn in topological order in numpy.

    Parameters
    ----------
    name : str
        The network's file name in ``pgmpy/utils/example_models``, without extension.
    n_rows : int, default 100_000
    random_state : int, default 0
        Seed; the same seed gives the same rows.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The rows (discrete networks: categoricals of the states' names; Gaussian ones:
        floats), and the true arcs as columns ``parent``, ``child``.

    Raises
    ------
    ImportError
        pgmpy is not installed.
    ValueError
        No network of that name (the message lists them).

    Examples
    --------
    >>> import dmi
    >>> rows, arcs = dmi.sample_network("alarm", 1_000)       # doctest: +SKIP
    >>> rows.shape, len(arcs)                                  # doctest: +SKIP
    ((1000, 37), 46)
    """
    from dmi._networks import forward_sample, gaussian_sample, network_text, read_bif, read_gaussian

    try:
        nodes = read_bif(network_text(name, ".bif.gz"))
    except ValueError:
        gaussian = read_gaussian(network_text(name, ".json"))
        frame = pd.DataFrame(gaussian_sample(gaussian, n_rows, random_state))
        arcs = [(p, v) for v, node in gaussian.items() for p in node.parents]
        return frame, pd.DataFrame(arcs, columns=["parent", "child"])
    codes = forward_sample(nodes, n_rows, random_state)
    frame = pd.DataFrame(
        {v: pd.Categorical.from_codes(c, categories=pd.Index(nodes[v].states)) for v, c in codes.items()}
    )
    arcs = [(p, v) for v, node in nodes.items() for p in node.parents]
    return frame, pd.DataFrame(arcs, columns=["parent", "child"])
