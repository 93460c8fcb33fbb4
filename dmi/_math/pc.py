"""The PC-stable algorithm's graph steps, apart from its tests (pure Python).

* :func:`level_tests` -- the tests of one level of PC-stable (Colombo and Maathuis 2014):
  for each remaining edge ``a - b``, every set of ``level`` neighbours of ``a`` (without
  ``b``) and of ``b`` (without ``a``), all taken from the adjacencies at the start of the
  level, so the result does not depend on the order of the columns.
* :func:`orient` -- the CPDAG of a skeleton: v-structures ``a -> c <- b`` where ``a`` and
  ``b`` are not adjacent and ``c`` is not in their separating set, then Meek's rules 1-3
  until nothing changes. Where two v-structures disagree on an edge, the first one
  oriented (in the columns' order) keeps it, as causal-learn's ``uc_priority=2``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from itertools import combinations

Edge = tuple[Hashable, Hashable]


def complete(nodes: Sequence[Hashable]) -> dict[Hashable, set[Hashable]]:
    """Every node adjacent to every other."""
    return {v: {u for u in nodes if u != v} for v in nodes}


def edges_of(adjacency: dict[Hashable, set[Hashable]], order: dict[Hashable, int]) -> list[Edge]:
    """The edges, each once as ``(a, b)`` with ``a`` first in the columns' order."""
    return sorted(
        {(a, b) if order[a] < order[b] else (b, a) for a in adjacency for b in adjacency[a]},
        key=lambda e: (order[e[0]], order[e[1]]),
    )


def level_tests(
    adjacency: dict[Hashable, set[Hashable]], level: int, order: dict[Hashable, int]
) -> list[tuple[Edge, tuple[Hashable, ...]]]:
    """Each remaining edge with each conditioning set of size ``level`` (once per edge)."""
    out = []
    for a, b in edges_of(adjacency, order):
        seen: set[tuple[Hashable, ...]] = set()
        for side, other in ((a, b), (b, a)):
            candidates = sorted(adjacency[side] - {other}, key=order.__getitem__)
            for s in combinations(candidates, level):
                if s not in seen:
                    seen.add(s)
                    out.append(((a, b), s))
    return out


class Pdag:
    """A partially directed graph: arcs ``a -> b`` and undirected edges."""

    def __init__(self, adjacency: dict[Hashable, set[Hashable]]):
        self.adjacency = {v: set(n) for v, n in adjacency.items()}
        self.arcs: set[Edge] = set()

    def adjacent(self, a: Hashable, b: Hashable) -> bool:
        return b in self.adjacency[a]

    def directed(self, a: Hashable, b: Hashable) -> bool:
        return (a, b) in self.arcs

    def undirected(self, a: Hashable, b: Hashable) -> bool:
        return self.adjacent(a, b) and (a, b) not in self.arcs and (b, a) not in self.arcs

    def direct(self, a: Hashable, b: Hashable) -> bool:
        """Orient ``a - b`` as ``a -> b``; False when it is not undirected."""
        if not self.undirected(a, b):
            return False
        self.arcs.add((a, b))
        return True


def orient(
    adjacency: dict[Hashable, set[Hashable]],
    separating: dict[frozenset[Hashable], tuple[Hashable, ...]],
    order: dict[Hashable, int],
) -> Pdag:
    """The CPDAG of a skeleton and its separating sets (see the module)."""
    g = Pdag(adjacency)
    nodes = sorted(adjacency, key=order.__getitem__)
    for c in nodes:
        for a, b in combinations(sorted(adjacency[c], key=order.__getitem__), 2):
            if g.adjacent(a, b) or c in separating.get(frozenset((a, b)), ()):
                continue
            # an unshielded collider a -> c <- b; a reverse arc already oriented is kept
            if not g.directed(c, a) and not g.directed(c, b):
                g.direct(a, c)
                g.direct(b, c)
    _meek(g, nodes)
    return g


def _meek(g: Pdag, nodes: Iterable[Hashable]) -> None:
    """Meek's rules 1-3, applied until none orients an edge."""
    nodes = list(nodes)
    changed = True
    while changed:
        changed = False
        for a in nodes:
            for b in sorted(g.adjacency[a], key=nodes.index):
                if not g.undirected(a, b):
                    continue
                parents_of_a = [p for p in g.adjacency[a] if g.directed(p, a)]
                # R1: p -> a - b, p and b not adjacent
                if any(not g.adjacent(p, b) for p in parents_of_a if p != b):
                    changed |= g.direct(a, b)
                    continue
                # R2: a -> c -> b
                if any(g.directed(a, c) and g.directed(c, b) for c in g.adjacency[a]):
                    changed |= g.direct(a, b)
                    continue
                # R3: a - c -> b and a - d -> b, c and d not adjacent
                middles = [c for c in g.adjacency[a] if g.undirected(a, c) and g.directed(c, b)]
                if any(not g.adjacent(c, d) for c, d in combinations(middles, 2)):
                    changed |= g.direct(a, b)
