"""PC-stable over a table larger than memory: one pass over the data per level.

Level ``l`` tests every remaining edge against every set of ``l`` neighbours
(:func:`dmi._math.pc.level_tests`); all of them are gathered in one pass
(:func:`dmi._engine.independence.run_tests`) and decided together, then the edges found
independent are removed. The levels stop at ``max_given`` or when no edge has enough
neighbours left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from dmi._engine.independence import CiTest, Outcome, Outcomes, Settings, run_tests
from dmi._engine.keywords import Options
from dmi._inputs.source import Source
from dmi._math import pc
from dmi._pass.graph import active_client

_log = logging.getLogger("dmi")


@dataclass
class Found:
    """What PC-stable found: adjacencies, each removed edge's separating set and outcome."""

    adjacency: dict[Hashable, set[Hashable]]
    separating: dict[frozenset[Hashable], tuple[tuple[Hashable, ...], Outcome]] = field(default_factory=dict)
    removed: dict[tuple[Hashable, Hashable], tuple[tuple[Hashable, ...], Outcome]] = field(
        default_factory=dict
    )
    kept_p: dict[tuple[Hashable, Hashable], float] = field(default_factory=dict)
    """Each remaining edge ``(a, b)`` (``a`` first in the columns' order): its tests' largest p."""
    tests: int = 0
    passes: int = 0


def pc_stable(
    source: Source | None,
    columns: Sequence[Hashable],
    kinds: dict[Hashable, str],
    opts: Options,
    settings: Settings,
    alpha: float,
    max_given: int,
    level_zero: Callable[[list[CiTest]], list[Outcome]] | None = None,
) -> Found:
    """The skeleton and separating sets of ``columns`` (see the module). ``level_zero``:
    the unconditional tests' outcomes from elsewhere (a stored summary's pair counts)."""
    order = {c: i for i, c in enumerate(columns)}
    found = Found(pc.complete(columns))
    # a table in memory (a pandas DataFrame) is encoded once, at level 0, for every level;
    # a table read from files is read again at each level
    in_memory = source is not None and source.pandas is not None and active_client() is None
    encoded = None
    for level in range(max_given + 1):
        planned = pc.level_tests(found.adjacency, level, order)
        if not planned:
            break
        tests = [CiTest((a,), (b,), s) for (a, b), s in planned]
        outcomes: Outcomes | list[Outcome]
        if level == 0 and level_zero is not None:
            outcomes = level_zero(tests)
        else:
            assert source is not None  # only a summary's level 0 comes without the data
            run = run_tests(
                source, columns, kinds, tests, opts, settings, keep=in_memory and level == 0, encoded=encoded
            )
            kinds, outcomes = run.kinds, run.outcomes  # undecided integer columns decided at level 0
            encoded = run.encoded if level == 0 else encoded
            found.passes += 1
        found.tests += len(tests)
        removed = _remove(found, planned, outcomes, alpha)
        _log.info("dmi: causal_skeleton level %d: %d tests, %d edges removed", level, len(tests), removed)
    return found


def _remove(
    found: Found,
    planned: Sequence[tuple[tuple[Hashable, Hashable], tuple[Hashable, ...]]],
    outcomes: Outcomes | Sequence[Outcome],
    alpha: float,
) -> int:
    """Remove the edges some test of the level found independent (PC-stable: after the
    whole level), each with the set of its largest p-value; returns how many."""
    p_values = outcomes.p_value.tolist() if isinstance(outcomes, Outcomes) else [o.p_value for o in outcomes]
    best: dict[tuple[Hashable, Hashable], tuple[float, int]] = {}
    kept = found.kept_p
    for k, ((edge, _), p) in enumerate(zip(planned, p_values, strict=True)):
        if p > kept.get(edge, 0.0):
            kept[edge] = p
        if p > alpha and (edge not in best or p > best[edge][0]):
            best[edge] = (p, k)
    for (a, b), (_, k) in best.items():
        found.adjacency[a].discard(b)
        found.adjacency[b].discard(a)
        separated = (planned[k][1], outcomes[k])
        found.separating[frozenset((a, b))] = separated
        found.removed[a, b] = separated
        kept.pop((a, b), None)
    return len(best)
