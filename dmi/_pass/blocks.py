"""Pairs in blocks: when one summary's pair tables would not fit the memory budget, and
when one partition has more pairs than one core should count alone.

A request's pass counts every pair in one summary per partition, merged in a tree. Its
tables take, per pair, about ``cells x 8`` bytes (dense) or ``24`` bytes per distinct
``(x, y)`` present (sparse): small for columns of a few values, but many pairs of
high-cardinality columns (zip codes, product ids) can need more memory than a machine
has. Summaries built with ``CountSpec.table_bytes`` refuse, *before* allocating, to grow
past it (:class:`dmi._math.counts.TablesTooLarge`, with an estimate per pair); the engine then
splits the pairs into blocks that fit and runs one pass per block, reading only each
block's columns. Results are identical: every pair is still counted over all rows.

The budget is the Dask config value ``dmi.table-memory`` (bytes, or a string such as
``"2 GiB"``; default 2 GiB), shared by the ``split_every`` summaries a merge holds at once.
:func:`dmi.summarize` keeps every table by request, and conditioning (``given=``) counts
its three-way tables in one pass: neither is split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from dmi._pass.config import table_memory


def table_bytes(fan_in: int) -> int:
    """The most bytes one summary's pair tables may take: the budget over the number of
    summaries one merge holds at once (``split_every``; every partition for a flat merge)."""
    return max(1, table_memory() // max(1, fan_in))


@dataclass(frozen=True)
class Block:
    """Pairs (indices into the request's pairs) computed in one pass."""

    pairs: tuple[int, ...]
    diagonal: bool
    """Whether this pass also counts every discrete column for the diagonal."""


def split(
    block: Block,
    counted: Sequence[int],
    pair_bytes: Sequence[int],
    pairs: Sequence[tuple[int, int]],
    limit: int,
) -> list[Block]:
    """Split a block whose counted pairs (positions ``counted`` in ``block.pairs``) need
    about ``pair_bytes`` each, into blocks of at most about ``limit / 2`` bytes.

    Pairs are grouped by tiles of columns (pairs of column groups), so each pass reads
    few columns; a pair bigger than the target is a block of its own. The pairs that are
    not counted (k-NN pairs) and the diagonal stay with the first block.
    """
    if len(counted) < 2:
        raise ValueError("a block of one counted pair cannot be split")  # pragma: no cover - guarded
    target = max(1, limit // 2)
    counted_set = set(counted)
    others = tuple(block.pairs[i] for i in range(len(block.pairs)) if i not in counted_set)
    sized = [(block.pairs[i], b) for i, b in zip(counted, pair_bytes, strict=True)]
    columns = sorted({c for k, _ in sized for c in pairs[k]})
    n_blocks = max(2, math.ceil(sum(b for _, b in sized) / target))
    groups = min(len(columns), max(1, math.ceil(math.sqrt(2 * n_blocks))))
    group = {c: i * groups // len(columns) for i, c in enumerate(columns)}
    sized.sort(key=lambda kb: (group[pairs[kb[0]][0]], group[pairs[kb[0]][1]], kb[0]))

    out: list[list[int]] = []
    size = 0
    for k, b in sized:
        if not out or size + b > target:
            out.append([])
            size = 0
        out[-1].append(k)
        size += b
    if len(out) == 1:  # the estimate fits after all: halve, so the next attempt is smaller
        half = len(out[0]) // 2
        out = [out[0][:half], out[0][half:]]
    blocks = [Block(tuple(ks), False) for ks in out]
    blocks[0] = Block(others + blocks[0].pairs, block.diagonal)
    return blocks


# A block of a partition's pairs has at least this many: fewer are not worth a task.
_MIN_PAIRS_PER_TASK = 256


def within_partition(
    n_pairs: int, n_partitions: int, threads: int, minimum: int | None = None
) -> list[range]:
    """The blocks in which each partition counts its pairs: one block when there are at
    least as many partitions as threads to run them (the partitions already keep every
    thread busy), else enough blocks, of at least ``_MIN_PAIRS_PER_TASK`` pairs, for the
    threads to share each partition's pairs. Each block's task holds only its own tables.
    """
    per = math.ceil(threads / max(1, n_partitions))
    count = max(1, min(per, n_pairs // (_MIN_PAIRS_PER_TASK if minimum is None else minimum)))
    size = math.ceil(n_pairs / count) if n_pairs else 0
    return (
        [range(i, min(i + size, n_pairs)) for i in range(0, n_pairs, size)] if count > 1 else [range(n_pairs)]
    )
