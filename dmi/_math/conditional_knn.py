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


class _Space:
    """Points in one subspace: continuous coordinates, strata of the discrete ones, and a
    KD-tree per stratum, made when first asked (a permutation test asks the same spaces
    of ``Y`` and ``Z`` again and again)."""

    def __init__(self, roles: Sequence[Role], n: int):
        self.points = _points([c for r in roles for c in r.continuous], n)
        self.groups = _groups(strata([c for r in roles for c in r.discrete], n))
        self._trees: dict[int, cKDTree] = {}

    def tree(self, g: int) -> cKDTree:
        if g not in self._trees:
            self._trees[g] = cKDTree(self.points[self.groups[g]])
        return self._trees[g]

    def within(self, radius: np.ndarray, keep: np.ndarray, workers: int) -> np.ndarray:
        """Per kept point, the points of its stratum strictly closer than its ``radius`` in
        max-norm (itself included); a space without continuous coordinates counts the stratum."""
        out = np.zeros(keep.size, dtype=np.int64)
        for g, members in enumerate(self.groups):
            asked = members[keep[members]]
            if asked.size == 0:
                continue
            if self.points.shape[1] == 0:
                out[asked] = members.size
                continue
            strict = np.nextafter(radius[asked], 0.0)
            out[asked] = self.tree(g).query_ball_point(
                self.points[asked], strict, p=np.inf, return_length=True, workers=workers
            )
        return out


def _size(roles: Sequence[Role]) -> int:
    return next((int(np.asarray(c).shape[0]) for r in roles for c in (*r.continuous, *r.discrete)), 0)


def fp_cmi(
    x: Role, y: Role, z: Role, k: int, *, workers: int = 1, fixed: tuple[_Space, _Space] | None = None
) -> FpEstimate:
    """``I(X;Y|Z)`` in nats by the Frenzel-Pompe estimator (see the module); not clipped.

    ``fixed``: the spaces of ``(Y, Z)`` and ``Z``, when already made (they do not depend
    on ``X``). Raises ValueError when no continuous coordinate is in ``X``, ``Y`` or ``Z``
    (the plug-in estimate of counts is exact there) or when no point has ``k`` neighbours.
    """
    n = _size((x, y, z))
    if not any(r.continuous for r in (x, y, z)):
        raise ValueError("the nearest-neighbour estimate needs a continuous column")
    joint = _points([*x.continuous, *y.continuous, *z.continuous], n)
    eps = np.full(n, np.inf)
    for members in _groups(strata([*x.discrete, *y.discrete, *z.discrete], n)):
        if members.size <= k:
            continue
        distances, _ = cKDTree(joint[members]).query(joint[members], k=k + 1, p=np.inf, workers=workers)
        eps[members] = distances[:, k]
    keep = np.isfinite(eps)
    used = int(keep.sum())
    if used == 0:
        raise ValueError(f"no stratum of (x, y, given) has more than n_neighbors={k} points")
    yz, zs = fixed if fixed is not None else (_Space((y, z), n), _Space((z,), n))
    n_xz, n_yz, n_z = (space.within(eps, keep, workers)[keep] for space in (_Space((x, z), n), yz, zs))
    mi = float(digamma(k) - np.mean(digamma(n_xz) + digamma(n_yz) - digamma(n_z)))
    return FpEstimate(mi, used, n - used)


class LocalPermutations:
    """Runge's (2018, algorithm 1) local permutations of ``n`` points: each point's ``X``
    moves only among its ``k_perm`` nearest neighbours in ``Z``, within its stratum of
    ``Z``'s discrete coordinates; a ``Z`` with no continuous coordinate shuffles each
    stratum freely (the exact permutation null). The neighbours are found once; each
    :meth:`draw` is a new permutation ``perm`` (``X[perm]`` is the permuted column)."""

    def __init__(self, z: Role, n: int, k_perm: int):
        self.n = n
        self.groups = _groups(strata(list(z.discrete), n))
        points = _points(list(z.continuous), n)
        self.near: list[np.ndarray | None] = []
        for members in self.groups:
            if points.shape[1] == 0 or members.size <= 1:
                self.near.append(None)
                continue
            kk = min(k_perm, members.size)
            _, near = cKDTree(points[members]).query(points[members], k=kk, p=np.inf)
            self.near.append(near.reshape(members.size, kk).astype(np.int64))

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        perm = np.arange(self.n)
        for members, near in zip(self.groups, self.near, strict=True):
            if near is None:
                perm[members] = members[rng.permutation(members.size)]
                continue
            order = rng.permutation(members.size)
            for_point = rng.permuted(near, axis=1)
            fallback = rng.integers(0, near.shape[1], size=members.size)
            perm[members] = members[_assign(for_point, order, fallback)]
        return perm


def local_permutation(z: Role, n: int, k_perm: int, rng: np.random.Generator) -> np.ndarray:
    """One local permutation (see :class:`LocalPermutations`)."""
    return LocalPermutations(z, n, k_perm).draw(rng)


@numba.njit(nogil=True, cache=True)
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
    x: Role,
    y: Role,
    z: Role,
    k: int,
    permutations: int,
    k_perm: int,
    rng: np.random.Generator,
    stop_after: int | None = None,
) -> tuple[FpEstimate, float]:
    """The estimate and its p-value under the local-permutation null,
    ``(1 + #{I* >= I}) / (1 + permutations)``.

    ``stop_after``: stop once this many permuted estimates reached the observed one, with
    the p-value ``stop_after / permutations drawn`` (Besag and Clifford 1991: valid, and
    as exact where it matters, the small p-values, which always run to the end)."""
    n = _size((x, y, z))
    fixed = (_Space((y, z), n), _Space((z,), n))
    observed = fp_cmi(x, y, z, k, fixed=fixed)
    nulls = LocalPermutations(z, n, k_perm)
    above = 0
    for drawn in range(1, permutations + 1):
        perm = nulls.draw(rng)
        shuffled = Role(tuple(c[perm] for c in x.continuous), tuple(c[perm] for c in x.discrete))
        if fp_cmi(shuffled, y, z, k, fixed=fixed).mi >= observed.mi:
            above += 1
            if stop_after is not None and above >= stop_after:
                return observed, above / drawn
    return observed, (1 + above) / (1 + permutations)
