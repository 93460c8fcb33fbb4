"""Conditional MI ``I(X;Y|Z)`` of sets of columns by nearest neighbours (pure numpy/scipy).

The Frenzel-Pompe estimator (Frenzel and Pompe 2007; KSG's first estimator with a
conditioning set): for each point, ``eps`` is the max-norm distance to its k-th nearest
neighbour in the joint space of ``(X, Y, Z)``; ``n_xz``, ``n_yz`` and ``n_z`` count the
points strictly within ``eps`` in the ``(X, Z)``, ``(Y, Z)`` and ``Z`` subspaces (the point
itself included), and

    I(X;Y|Z) = psi(k) - < psi(n_xz) + psi(n_yz) - psi(n_z) >.

Each role (``x``, ``y``, ``z``) holds any number of continuous coordinates (scaled and
jittered by the caller, so no two points tie) and of discrete ones. A discrete coordinate
is a stratum: two points are neighbours in a space only where its discrete coordinates
are equal (the distance between different categories is infinite), so

- with ``Z`` discrete only, the estimate is ``sum_z p(z) I(X;Y|Z=z)``;
- with ``Z`` empty it is KSG's estimator (two continuous columns) or Ross's (a discrete
  and a continuous one);
- with ``X`` and ``Y`` discrete and ``Z`` continuous, the neighbours are searched in ``Z``
  among the points with the same ``(x, y)``.

A point whose joint stratum has ``k`` points or fewer has no k-th neighbour; it is left
out of the average (and :func:`fp_cmi` says how many were).

:func:`local_permutation` is the null of Runge (2018): ``X`` shuffled among points that
are near in ``Z``, which keeps the dependence of ``X`` on ``Z`` and breaks ``X``'s on ``Y``
given ``Z``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma


@dataclass(frozen=True)
class Role:
    """One of ``X``, ``Y``, ``Z``: its continuous coordinates and its discrete ones."""

    continuous: tuple[np.ndarray, ...] = ()
    """float64 columns, one value per point, no two points tied."""
    discrete: tuple[np.ndarray, ...] = ()
    """integer codes (or any values ``numpy.unique`` orders), one per point."""


@dataclass(frozen=True)
class FpEstimate:
    """An estimate in nats (not clipped at 0), the points it averages, and those left out."""

    mi: float
    n: int
    left_out: int


def strata(codes: Sequence[np.ndarray], n: int) -> np.ndarray:
    """One code per point (0..G-1) for the combination of ``codes`` (0 for all with none)."""
    if not codes:
        return np.zeros(n, dtype=np.int64)
    combined = np.zeros(n, dtype=np.int64)
    size = 1
    for c in codes:
        _, inverse = np.unique(np.asarray(c), return_inverse=True)
        width = int(inverse.max()) + 1 if inverse.size else 1
        if size * width >= 2**62:  # renumber before the code could overflow
            _, combined = np.unique(combined, return_inverse=True)
            size = int(combined.max()) + 1
        combined = combined * width + inverse.reshape(-1)
        size *= width
    return np.unique(combined, return_inverse=True)[1].reshape(-1)


def _points(columns: Sequence[np.ndarray], n: int) -> np.ndarray:
    return np.column_stack(columns) if columns else np.zeros((n, 0))


def _groups(codes: np.ndarray) -> list[np.ndarray]:
    """The points of each stratum (indices), strata in code order."""
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def _within(
    points: np.ndarray, codes: np.ndarray, radius: np.ndarray, keep: np.ndarray, workers: int
) -> np.ndarray:
    """Per kept point, the points of its stratum strictly closer than its ``radius`` in
    max-norm (itself included); a space without continuous coordinates counts the stratum."""
    out = np.zeros(codes.size, dtype=np.int64)
    for members in _groups(codes):
        asked = members[keep[members]]
        if asked.size == 0:
            continue
        if points.shape[1] == 0:
            out[asked] = members.size
            continue
        tree = cKDTree(points[members])
        strict = np.nextafter(radius[asked], 0.0)
        out[asked] = tree.query_ball_point(
            points[asked], strict, p=np.inf, return_length=True, workers=workers
        )
    return out


def fp_cmi(x: Role, y: Role, z: Role, k: int, *, workers: int = 1) -> FpEstimate:
    """``I(X;Y|Z)`` in nats by the Frenzel-Pompe estimator (see the module); not clipped.

    Raises ValueError when no continuous coordinate is in ``X``, ``Y`` or ``Z`` (the
    plug-in estimate of counts is exact there) or when no point has ``k`` neighbours.
    """
    roles = (x, y, z)
    n = next(
        (int(np.asarray(c).shape[0]) for r in roles for c in (*r.continuous, *r.discrete)),
        0,
    )
    if not any(r.continuous for r in roles):
        raise ValueError("the nearest-neighbour estimate needs a continuous column")
    joint = _points([*x.continuous, *y.continuous, *z.continuous], n)
    joint_codes = strata([*x.discrete, *y.discrete, *z.discrete], n)
    eps = np.full(n, np.inf)
    for members in _groups(joint_codes):
        if members.size <= k:
            continue
        distances, _ = cKDTree(joint[members]).query(joint[members], k=k + 1, p=np.inf, workers=workers)
        eps[members] = distances[:, k]
    keep = np.isfinite(eps)
    used = int(keep.sum())
    if used == 0:
        raise ValueError(f"no stratum of (x, y, given) has more than n_neighbors={k} points")
    counts = []
    for roles_in in ((x, z), (y, z), (z,)):
        points = _points([c for r in roles_in for c in r.continuous], n)
        codes = strata([c for r in roles_in for c in r.discrete], n)
        counts.append(_within(points, codes, eps, keep, workers)[keep])
    n_xz, n_yz, n_z = counts
    mi = float(digamma(k) - np.mean(digamma(n_xz) + digamma(n_yz) - digamma(n_z)))
    return FpEstimate(mi, used, n - used)


def local_permutation(z: Role, n: int, k_perm: int, rng: np.random.Generator) -> np.ndarray:
    """A permutation of ``n`` points that moves each point's ``X`` only among its
    ``k_perm`` nearest neighbours in ``Z`` (Runge 2018, algorithm 1), within its stratum
    of ``Z``'s discrete coordinates; a ``Z`` with no continuous coordinate shuffles each
    stratum freely (the exact permutation null). Returns ``perm``: ``X[perm]`` is the
    permuted column."""
    codes = strata(list(z.discrete), n)
    perm = np.arange(n)
    points = _points(list(z.continuous), n)
    for members in _groups(codes):
        if points.shape[1] == 0 or members.size <= 1:
            perm[members] = members[rng.permutation(members.size)]
            continue
        kk = min(k_perm, members.size)
        _, near = cKDTree(points[members]).query(points[members], k=kk, p=np.inf)
        near = near.reshape(members.size, kk).astype(np.int64)
        order = rng.permutation(members.size)
        for_point = rng.permuted(near, axis=1)
        fallback = rng.integers(0, kk, size=members.size)
        local = _assign(for_point, order, fallback)
        perm[members] = members[local]
    return perm


@numba.njit(cache=True)
def _assign(near: np.ndarray, order: np.ndarray, fallback: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Each point, taken in ``order``, gets the first of its (shuffled) neighbours not yet
    taken; when all are taken, a neighbour at random (``fallback``), as Runge's algorithm."""
    m, kk = near.shape
    taken = np.zeros(m, dtype=np.bool_)
    out = np.empty(m, dtype=np.int64)
    for i in order:
        chosen = -1
        for j in range(kk):
            c = near[i, j]
            if not taken[c]:
                chosen = c
                break
        if chosen < 0:
            chosen = near[i, fallback[i]]
        taken[chosen] = True
        out[i] = chosen
    return out


def permutation_p(
    x: Role, y: Role, z: Role, k: int, permutations: int, k_perm: int, rng: np.random.Generator
) -> tuple[FpEstimate, float]:
    """The estimate and its p-value under the local-permutation null:
    ``(1 + #{I* >= I}) / (1 + permutations)``."""
    observed = fp_cmi(x, y, z, k)
    n = observed.n + observed.left_out
    above = 0
    for _ in range(permutations):
        perm = local_permutation(z, n, k_perm, rng)
        shuffled = Role(tuple(c[perm] for c in x.continuous), tuple(c[perm] for c in x.discrete))
        if fp_cmi(shuffled, y, z, k).mi >= observed.mi:
            above += 1
    return observed, (1 + above) / (1 + permutations)
