"""Wide tables: screen every pair on a sample, then compute the candidates exactly.

1. **Screen** (one pass, :mod:`dmi._math.screen`): the pass draws a uniform sample of
   ``SCREEN_ROWS`` rows of every column; each column is coded into a few bins held as bit
   sets of rows, and every pair's binned MI comes from counting the rows two codes share,
   for blocks of columns at once, one Dask task per block of pairs,
   each keeping only its columns' best partners (memory per task bounded by the block).
2. **Refine** (one more pass, the engine of :func:`dmi.mutual_info_table`): the candidate
   pairs only, with the estimators and sample the full matrix uses, so every reported value
   equals the matrix's bit for bit.
3. **Report**: each column's ``k`` strongest partners among the candidates, and every
   candidate with ``mi >= threshold``.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from dmi._engine.basis import Data
from dmi._engine.columns import CONTINUOUS, matrix_pairs
from dmi._engine.engine import Results
from dmi._engine.keywords import Options
from dmi._engine.request import compute, prepare, unit
from dmi._engine.table import pair_table
from dmi._math.estimators import to_base
from dmi._math.sample import SampleSpec
from dmi._math.screen import Candidates, best_partners, block_scores, codes_of, column_blocks, pack_codes
from dmi._pass import graph
from dmi._pass.onepass import PassSpec, PassState

SCREEN_ROWS = 20_000
"""Rows of the screen's sample (at most ``sample_size``): the screen's noise floor between
independent 8-code columns (:data:`dmi._math.screen.NOISE_ALPHA`) is 0.0025 nats at 300
columns and 0.0028 at 10,000, far below the 0.02 nats the recall is measured at."""
KEEP_FACTOR = 3
"""The screen keeps ``KEEP_FACTOR * k`` candidate partners per column. Measured
(``python benchmarks/run.py pairs --methods ranks/...``): each column's 10 strongest partners above 0.02 nats
ranked at most 13th, 24th and 30th in the screens of 300 mixed columns, MUNIN and 1,000 mixed
columns (x 1M rows), so 3 is the smallest whole factor that finds them all."""
BLOCK_CODES = 2_048
"""Codes per block of columns: a task counts ``2,048 x 2,048`` code pairs (32 MiB of
counts, a few times that for their scores); the bit sets of every code (``rows / 8`` bytes
each: 2.5 KB at 20,000 rows) are shared by the tasks."""


def screen_bins(p: int) -> int:
    """Codes per column of the screen: 8 up to 10,000 columns, 4 beyond (a pair costs
    ``bins**2 x rows / 64`` popcounts: measured 2.3 us a pair in 8 bins over 20,000 rows,
    so the 50 million pairs of 10,000 columns take about 2 minutes of one core)."""
    return 8 if p <= 10_000 else 4


@dataclass(frozen=True)
class Screen:
    """What each of the screen's tasks keeps: codes per column, each column's best
    ``keep`` partners above the noise floor of ``partners`` comparisons, and every pair
    scoring at least ``floor`` (nats)."""

    bins: int
    keep: int
    floor: float | None
    partners: int


def _bits(state: PassState, bins: int, rows: int) -> np.ndarray:
    """The screen's codes as bit sets of rows (:func:`~dmi._math.screen.pack_codes`) from
    the pass's sample."""
    assert state.sample is not None
    frame = state.sample.frame.iloc[:rows]
    codes = np.column_stack([codes_of(frame.iloc[:, c], bins) for c in range(frame.shape[1])])
    return pack_codes(codes, bins)


def _block(bits: np.ndarray, block: tuple[range, range], screen: Screen) -> Candidates:
    return block_scores(bits, block[0], block[1], screen.bins, screen.keep, screen.floor, screen.partners)


def screen_scores(
    source: Any, labels: Sequence[Hashable], kinds: Sequence[str], opts: Options, screen: Screen
) -> tuple[Candidates, int]:
    """The pairs each screen task kept, with their scores, and the rows screened on."""
    rows = min(opts.sample_size, SCREEN_ROWS)
    continuous = tuple(k == CONTINUOUS for k in kinds)
    spec = PassSpec(tuple(labels), None, SampleSpec(tuple(labels), continuous, rows, opts.seed))
    blocks = column_blocks(len(labels), max(1, BLOCK_CODES // screen.bins))
    state, found = graph.run(
        source,
        spec,
        opts.split_every,
        prepare=partial(_bits, bins=screen.bins, rows=rows),
        estimate=partial(_block, screen=screen),
        blocks=blocks,
        progress=opts.progress,
    )
    if state.n_rows == 0:
        raise ValueError("data has no rows")
    screened = len(state.sample.frame.iloc[:rows]) if state.sample is not None else 0
    return Candidates.concat(found), screened


def candidates(
    source: Any, labels: Sequence[Hashable], kinds: Sequence[str], opts: Options, screen: Screen
) -> tuple[np.ndarray, int, int]:
    """The screen's candidate pairs (an ``(m, 2)`` array of column positions, ``i < j``), the
    rows it screened on and the pairs it scored."""
    found, screened = screen_scores(source, labels, kinds, opts, screen)
    p = len(labels)
    return best_partners(found, p, screen.keep, screen.floor), screened, p * (p - 1) // 2


def top_pairs(
    data: Any,
    columns: Any,
    k: int | None,
    threshold: float | None,
    opts: Options,
) -> pd.DataFrame:
    """:func:`dmi.top_pairs` once its arguments are checked."""
    req = prepare(data, columns, opts)
    opts, labels, kinds = req.opts, req.labels, req.kinds
    p = len(labels)
    if p < 2:
        raise ValueError(f"top_pairs needs at least two columns, got {p}")
    floor = None if threshold is None else _nats(threshold, opts.base) / 4
    started = time.perf_counter()
    if isinstance(req.basis, Data):
        bins = screen_bins(p)
        keep = 0 if k is None else KEEP_FACTOR * k
        pairs, screened, scored = candidates(
            req.basis.source, labels, kinds, opts, Screen(bins, keep, floor, p - 1)
        )
    else:  # a summary holds every pair's counts (and its sample): nothing to screen
        pairs = np.array(matrix_pairs(p), dtype=np.int64).reshape(-1, 2)
        screened, scored, bins = 0, len(pairs), None
    screened_at = time.perf_counter()
    chosen = tuple((int(i), int(j)) for i, j in pairs)
    res = compute(req, chosen, diagonal=False) if chosen else Results([], [], [])
    # the statistics (AMI, p-values) of the reported pairs only: each column's k best and
    # those above the threshold; a pair's permutation stream is its place in the matrix,
    # so its p-value is mutual_info_table's
    mi = np.asarray(to_base(np.array([r.mi for r in res.pairs], dtype=np.float64), opts.base))
    shown_at = _reported(np.array(chosen, dtype=np.int64).reshape(-1, 2), mi, k, threshold)
    shown = [chosen[i] for i in shown_at]
    table = pair_table(
        labels,
        shown,
        replace(res, pairs=[res.pairs[i] for i in shown_at]),
        base=opts.base,
        average="arithmetic",
        p_value="auto",
        permutations=999,
        seed=opts.seed,
        hypotheses=scored,
        streams=[i * p - i * (i + 1) // 2 + (j - i - 1) for i, j in shown],
    )
    reported = table.sort_values("mi", ascending=False, kind="stable").reset_index(drop=True)
    reported.attrs.update(
        unit=unit(opts),
        k=k,
        threshold=threshold,
        n_columns=len(labels),
        candidates=len(chosen),
        pairs=scored,
        screen_rows=screened,
        screen_bins=bins,
        seconds={"screen": screened_at - started, "refine": time.perf_counter() - screened_at},
    )
    return reported


def _nats(value: float, base: float) -> float:
    """``value`` in units of ``base``, in nats."""
    return float(value) / float(to_base(1.0, base))


def _reported(pairs: np.ndarray, mi: np.ndarray, k: int | None, threshold: float | None) -> np.ndarray:
    """The positions (ascending) of the ``pairs`` (rows ``(i, j)``) that are one of a
    column's ``k`` largest ``mi`` (among its pairs, earlier pairs first on ties) or at least
    ``threshold``; NaN never."""
    keep = np.zeros(mi.size, dtype=bool)
    if threshold is not None:
        keep |= mi >= threshold
    if k is not None and mi.size:
        both = pd.DataFrame(
            {"column": np.concatenate([pairs[:, 0], pairs[:, 1]]), "row": np.tile(np.arange(mi.size), 2)}
        )
        both["mi"] = np.tile(mi, 2)
        both = both[~np.isnan(both["mi"])]
        ranked = both.sort_values(["mi", "row"], ascending=[False, True], kind="stable")
        best = ranked.groupby("column", sort=False).head(k)
        keep[best["row"].to_numpy()] = True
    keep &= ~np.isnan(mi)
    return np.flatnonzero(keep)
