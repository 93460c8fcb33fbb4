"""A block-permutation test of conditional independence for ordered rows.

A permutation test shuffles the source to draw the statistic under independence; shuffling
single rows also destroys the source's autocorrelation, and the test then reads ordinary
persistence (two slowly changing series that never meet) as dependence. Shuffling blocks
of consecutive rows keeps the autocorrelation within a block (Künsch 1989; the circular
and moving-block bootstraps follow the same idea): the source's blocks are put in a random
order within each series, then ``I(Y; X | Z)`` is computed again from the counts.
"""

from __future__ import annotations

import numpy as np


def conditional_mi(z: np.ndarray, y: np.ndarray, x: np.ndarray) -> float:
    """Plug-in ``I(X;Y|Z)`` in nats of integer codes (>= 0), from their counts."""
    n = z.size
    if n == 0:
        return float("nan")
    ny, nx = int(y.max()) + 1, int(x.max()) + 1
    zyx = np.bincount((z.astype(np.int64) * ny + y) * nx + x)
    zy = np.bincount(z.astype(np.int64) * ny + y)
    zx = np.bincount(z.astype(np.int64) * nx + x)
    zz = np.bincount(z)

    def xlogx(c: np.ndarray) -> float:
        c = c[c > 0].astype(np.float64)
        return float(np.sum(c * np.log(c)))

    return max((xlogx(zyx) + xlogx(zz) - xlogx(zy) - xlogx(zx)) / n, 0.0)


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
    observed = conditional_mi(z, y, x)
    floor = observed - 1e-9 * max(1.0, observed)  # the rounding of sums of logs
    runs = blocks_of(series, block)
    starts = np.flatnonzero(np.r_[True, series[1:] != series[:-1]])
    owner = np.searchsorted(starts, [r[0] for r in runs], side="right") - 1  # each block's series
    above = 0
    for _ in range(permutations):
        order = np.concatenate([rng.permutation(np.flatnonzero(owner == s)) for s in range(starts.size)])
        shuffled = x[np.concatenate([runs[k] for k in order])]
        above += conditional_mi(z, y, shuffled) >= floor
    return observed, (1 + above) / (permutations + 1)
