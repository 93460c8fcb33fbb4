"""A block-permutation test of conditional independence for ordered rows.

A permutation test shuffles the source to draw the statistic under independence; shuffling
single rows also destroys the source's autocorrelation, and the test then reads ordinary
persistence (two slowly changing series that never meet) as dependence. Shuffling blocks
of consecutive rows keeps the autocorrelation within a block (Künsch 1989; the circular
and moving-block bootstraps follow the same idea): the source's blocks are put in a random
order within each series, then ``I(Y; X | Z)`` is computed again from the counts
(:func:`dmi._math.ci.conditional_mi`).
"""

from __future__ import annotations

import numpy as np

from dmi._math.ci import conditional_mi


def _cmi(z: np.ndarray, y: np.ndarray, x: np.ndarray, sizes: tuple[int, int, int]) -> float:
    """``I(X;Y|Z)`` in nats of codes (>= 0, below ``sizes``), from their three-way table."""
    nz, nx, ny = sizes
    table = np.bincount((z * nx + x) * ny + y, minlength=nz * nx * ny).reshape(nz, nx, ny)
    return conditional_mi(table)[0]


def blocks_of(series: np.ndarray, block: int) -> list[np.ndarray]:
    """The row positions of each series (runs of equal ``series`` codes, in order) cut into
    consecutive blocks of ``block`` rows (a series' last block may be shorter)."""
    starts = np.flatnonzero(np.r_[True, series[1:] != series[:-1]])
    ends = np.r_[starts[1:], series.size]
    return [
        np.arange(b, min(b + block, end))
        for start, end in zip(starts, ends, strict=True)
        for b in range(start, end, block)
    ]


def block_permutation_p(
    z: np.ndarray,
    y: np.ndarray,
    x: np.ndarray,
    series: np.ndarray,
    block: int,
    permutations: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """``I(X;Y|Z)`` and its p-value when ``x``'s blocks of ``block`` rows are put in a
    random order within each series (``permutations`` times): ``(1 + #{I* >= I}) /
    (permutations + 1)``."""
    z = z.astype(np.int64)
    sizes = (int(z.max(initial=0)) + 1, int(x.max(initial=0)) + 1, int(y.max(initial=0)) + 1)
    observed = _cmi(z, y, x, sizes)
    floor = observed - 1e-9 * max(1.0, observed)  # the rounding of sums of logs
    runs = blocks_of(series, block)
    starts = np.flatnonzero(np.r_[True, series[1:] != series[:-1]])
    owner = np.searchsorted(starts, [r[0] for r in runs], side="right") - 1  # each block's series
    above = 0
    for _ in range(permutations):
        order = np.concatenate([rng.permutation(np.flatnonzero(owner == s)) for s in range(starts.size)])
        shuffled = x[np.concatenate([runs[k] for k in order])]
        above += _cmi(z, y, shuffled, sizes) >= floor
    return observed, (1 + above) / (permutations + 1)
