"""PC-stable's graph steps (:mod:`dmi._math.pc`) with a d-separation oracle: the true
skeleton and the true CPDAG's orientations come back."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from dmi._math import pc


def oracle_pc(dag: nx.DiGraph, max_given: int = 5):
    nodes = list(dag.nodes)
    order = {v: i for i, v in enumerate(nodes)}
    adjacency = pc.complete(nodes)
    separating = {}
    for level in range(max_given + 1):
        planned = pc.level_tests(adjacency, level, order)
        if not planned:
            break
        removed = {}
        for (a, b), s in planned:
            if (a, b) not in removed and nx.is_d_separator(dag, {a}, {b}, set(s)):
                removed[a, b] = s
        for (a, b), s in removed.items():
            adjacency[a].discard(b)
            adjacency[b].discard(a)
            separating[frozenset((a, b))] = s
    return adjacency, separating, order


def true_cpdag_arcs(dag: nx.DiGraph) -> set[tuple[str, str]]:
    """The arcs every DAG of the equivalence class shares (by enumerating the class of a
    small DAG: every acyclic orientation of the skeleton with the same v-structures)."""

    def vstructs(g):
        return {
            (a, c, b)
            for c in g
            for a, b in itertools.combinations(sorted(g.predecessors(c)), 2)
            if not g.has_edge(a, b) and not g.has_edge(b, a)
        }

    edges = [tuple(sorted(e)) for e in dag.to_undirected().edges]
    target = vstructs(dag)
    members = []
    for flips in itertools.product([False, True], repeat=len(edges)):
        g = nx.DiGraph()
        g.add_nodes_from(dag)
        g.add_edges_from((b, a) if f else (a, b) for (a, b), f in zip(edges, flips, strict=True))
        if nx.is_directed_acyclic_graph(g) and vstructs(g) == target:
            members.append(set(g.edges))
    return set.intersection(*members)


DAGS = {
    "collider": [("a", "c"), ("b", "c"), ("c", "d")],
    "chain": [("a", "b"), ("b", "c"), ("c", "d")],
    "meek-r2-r3": [("a", "b"), ("a", "c"), ("a", "d"), ("c", "b"), ("d", "b")],
    "diamond": [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e")],
    "mixed": [("x", "z"), ("y", "z"), ("z", "w"), ("w", "v"), ("u", "v"), ("x", "y")],
}


@pytest.mark.parametrize("name", list(DAGS))
def test_oracle_recovers_the_skeleton_and_the_cpdag(name):
    dag = nx.DiGraph(DAGS[name])
    adjacency, separating, order = oracle_pc(dag)
    got = {frozenset((a, b)) for a in adjacency for b in adjacency[a]}
    assert got == {frozenset(e) for e in dag.edges}
    g = pc.orient(adjacency, separating, order)
    assert g.arcs == true_cpdag_arcs(dag)


def test_level_tests_are_each_set_once_per_edge():
    adjacency = {"a": {"b", "c", "d"}, "b": {"a", "c"}, "c": {"a", "b"}, "d": {"a"}}
    order = {v: i for i, v in enumerate("abcd")}
    tests = pc.level_tests(adjacency, 1, order)
    assert tests == [
        (("a", "b"), ("c",)),
        (("a", "b"), ("d",)),
        (("a", "c"), ("b",)),
        (("a", "c"), ("d",)),
        (("a", "d"), ("b",)),
        (("a", "d"), ("c",)),
        (("b", "c"), ("a",)),
    ]
    assert pc.level_tests(adjacency, 3, order) == []


def test_orientation_does_not_depend_on_the_order_of_the_columns():
    dag = nx.DiGraph(DAGS["mixed"])
    adjacency, separating, order = oracle_pc(dag)
    reverse = {v: -i for v, i in order.items()}
    assert pc.orient(adjacency, separating, order).arcs == pc.orient(adjacency, separating, reverse).arcs
