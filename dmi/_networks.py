"""Standard Bayesian networks, read from the files pgmpy ships and forward-sampled in numpy.

The bnlearn repository's networks (ALARM, INSURANCE, SACHS, MUNIN...; and Gaussian ones
such as ecoli70) come inside the pgmpy package as ``.bif.gz`` (discrete) and ``.json``
(linear Gaussian) files. :func:`read_bif` parses the subset of BIF those files use
(discrete variables, ``table`` and per-parent-state rows) and :func:`read_gaussian` the
JSON; :func:`forward_sample` and :func:`gaussian_sample` draw rows in topological
order, so the generating structure (each variable's parents) is known.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Node:
    """One variable: its states, parents, and CPT (parent configurations x states)."""

    states: tuple[str, ...]
    parents: tuple[str, ...]
    cpt: np.ndarray


def network_text(name: str, suffix: str) -> str:
    """The text of ``pgmpy/utils/example_models/{name}{suffix}`` of the installed pgmpy."""
    try:
        import importlib.resources

        files = importlib.resources.files("pgmpy").joinpath("utils", "example_models")
    except ModuleNotFoundError as err:
        raise ImportError(
            "the standard networks' files ship with pgmpy: pip install pgmpy (it is not imported, only read)"
        ) from err
    path = files.joinpath(f"{name}{suffix}")
    if not path.is_file():
        known = sorted(p.name.split(".")[0] for p in files.iterdir() if p.name.endswith((".bif.gz", ".json")))
        raise ValueError(f"no network {name!r} among pgmpy's example models; choose from {', '.join(known)}")
    data = path.read_bytes()
    return (gzip.decompress(data) if suffix.endswith(".gz") else data).decode()


_VARIABLE = re.compile(r"variable\s+(\S+)\s*\{\s*type\s+discrete\s*\[\s*\d+\s*\]\s*\{([^}]*)\}", re.S)
_PROBABILITY = re.compile(r"probability\s*\(\s*([^|)]+?)\s*(?:\|\s*([^)]*))?\)\s*\{([^}]*)\}", re.S)


def read_bif(text: str) -> dict[str, Node]:
    """The network of a BIF text, its variables in the file's order."""
    states = {m[1]: tuple(s.strip() for s in m[2].split(",")) for m in _VARIABLE.finditer(text)}
    nodes = {}
    for m in _PROBABILITY.finditer(text):
        child = m[1].strip()
        parents = tuple(p.strip() for p in m[2].split(",")) if m[2] else ()
        shape = [len(states[p]) for p in parents]
        cpt = np.zeros((int(np.prod(shape)) if shape else 1, len(states[child])))
        for line in m[3].split(";"):
            line = line.strip()
            if not line:
                continue
            if line.startswith("table"):
                if parents:  # the files sampled here give a row per parent configuration
                    raise ValueError(f"{child}: a 'table' with parents is not read")
                cpt[0] = np.array(line[5:].split(","), dtype=float)
                continue
            config, probs = line[1:].split(")", 1)
            index = [states[p].index(s.strip()) for p, s in zip(parents, config.split(","), strict=True)]
            cpt[np.ravel_multi_index(index, shape)] = np.array(probs.split(","), dtype=float)
        nodes[child] = Node(states[child], parents, cpt / cpt.sum(axis=1, keepdims=True))
    return {v: nodes[v] for v in states}


def topological(nodes: dict[str, Node]) -> list[str]:
    """The variables, each after its parents."""
    done: list[str] = []
    seen: set[str] = set()
    for v in nodes:
        stack = [(v, False)]
        while stack:
            u, expanded = stack.pop()
            if u in seen:
                continue
            if expanded:
                seen.add(u)
                done.append(u)
                continue
            stack.append((u, True))
            stack.extend((p, False) for p in nodes[u].parents if p not in seen)
    return done


def forward_sample(nodes: dict[str, Node], rows: int, seed: int) -> dict[str, np.ndarray]:
    """``rows`` draws of the network: each variable's state codes (int8), in the file's order."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for v in topological(nodes):
        node = nodes[v]
        if node.parents:
            shape = [len(nodes[p].states) for p in node.parents]
            config = np.ravel_multi_index([out[p] for p in node.parents], shape)
        else:
            config = np.zeros(rows, dtype=np.int64)
        cumulative = np.cumsum(node.cpt, axis=1)
        cumulative[:, -1] = 1.0
        u = rng.random(rows)
        code = np.zeros(rows, dtype=np.int8)
        for s in range(len(node.states) - 1):  # states below the draw's cumulative probability
            code += (u >= cumulative[config, s]).astype(np.int8)
        out[v] = code
    return {v: out[v] for v in nodes}


@dataclass(frozen=True)
class GaussianNode:
    """One variable of a linear Gaussian network: intercept, parents' coefficients, variance."""

    intercept: float
    parents: tuple[str, ...]
    coefficients: tuple[float, ...]
    variance: float


def read_gaussian(text: str) -> dict[str, GaussianNode]:
    """A linear Gaussian network from pgmpy's JSON (``ecoli70``, ``magic-niab``...)."""
    spec = json.loads(text)
    nodes = {}
    for v in spec["nodes"]:
        cpd = spec["cpds"][v]
        coef = cpd["coefficients"]
        parents = tuple(cpd["parents"])
        nodes[v] = GaussianNode(
            float(coef["(Intercept)"][0]),
            parents,
            tuple(float(coef[p][0]) for p in parents),
            float(cpd["variance"][0]),
        )
    return nodes


def gaussian_sample(nodes: dict[str, GaussianNode], rows: int, seed: int) -> dict[str, np.ndarray]:
    """``rows`` draws of a linear Gaussian network, in topological order."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    as_discrete = {v: Node((), n.parents, np.zeros((1, 1))) for v, n in nodes.items()}
    for v in topological(as_discrete):
        n = nodes[v]
        value = np.full(rows, n.intercept) + rng.normal(scale=np.sqrt(n.variance), size=rows)
        for p, c in zip(n.parents, n.coefficients, strict=True):
            value += c * out[p]
        out[v] = value
    return {v: out[v] for v in nodes}
