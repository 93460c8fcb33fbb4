"""The statistics of mutual_info_table against scikit-learn and scipy, side by side.

    python benchmarks/run.py stats [--repeat 3]

Adjusted MI needs the expected MI under fixed margins. scikit-learn sums each cell's
whole hypergeometric support; dmi cuts each sum at 12 standard deviations (the tail
beyond holds less than 1e-30). Both from the same contingency table, values compared.
Also: the permutation p-value of a sparse table (scipy.stats.random_table on the
margins) against shuffling the rows and recomputing sklearn's MI.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _harness import Bench, Record, main
from sklearn.metrics import mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.metrics.cluster._expected_mutual_info_fast import expected_mutual_information

from dmi._math import stats
from dmi._math.entropy import pair_stats

SIZES = [(100_000, 50), (2_000_000, 200), (10_000_000, 200), (20_000, 3_000)]


def framed(table: np.ndarray) -> np.ndarray:
    out = np.zeros((table.shape[0] + 1, table.shape[1] + 1), dtype=np.int64)
    out[1:, 1:] = table
    return out


def _table_of(n: int, k: int) -> np.ndarray:
    rng = np.random.default_rng(n + k)
    x = rng.integers(0, k, n)
    return contingency_matrix(x, (x + rng.integers(0, 3, n)) % k)


def measure(method: str, args: argparse.Namespace) -> dict:
    """One run of one method, timed in the process (the table is made first, not timed)."""
    kind, *size, who = method.split("-")
    if kind == "emi":

        def emi(table: np.ndarray, n: int) -> float:
            if who == "dmi":
                s = pair_stats(framed(table))
                return stats.expected_mi(s.margins[0], s.margins[1], n)
            return expected_mutual_information(table, n)

        emi(_table_of(1_000, 5), 1_000)  # untimed: compiled kernels loaded
        n, k = (int(v) for v in size)
        table = _table_of(n, k)
        start = time.perf_counter()
        value = emi(table, n)
        return {"seconds": time.perf_counter() - start, "value": float(value)}
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 30, 200), rng.integers(0, 30, 200)
    s = pair_stats(framed(contingency_matrix(a, b)))
    stats.permutation_p(s, 9, 1)  # untimed: compiled kernels loaded
    start = time.perf_counter()
    if who == "dmi":
        p = stats.permutation_p(s, 999, 1)
    else:
        observed = mutual_info_score(a, b)
        hits = sum(mutual_info_score(a, rng.permutation(b)) >= observed - 1e-12 for _ in range(999))
        p = (1 + hits) / 1000
    return {"seconds": time.perf_counter() - start, "value": float(p), "chi2_p": float(stats.g_test(s)[2])}


def _table(records: dict[str, Record]) -> list[str]:
    lines = [
        "### Expected MI under fixed margins (for AMI)",
        "",
        "| rows | classes | dmi (s) | sklearn (s) | sklearn / dmi | relative difference |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, k in SIZES:
        ours, theirs = records.get(f"emi-{n}-{k}-dmi"), records.get(f"emi-{n}-{k}-sklearn")
        if ours is None or theirs is None:
            continue
        rel = abs(ours.reply["value"] - theirs.reply["value"]) / abs(theirs.reply["value"])
        ratio = theirs.median / ours.median
        lines.append(
            f"| {n:,} | {k:,} | {ours.median:.3f} | {theirs.median:.3f} | {ratio:.1f}x | {rel:.1e} |"
        )
    ours, theirs = records.get("perm-dmi"), records.get("perm-shuffle")
    if ours is not None and theirs is not None:
        p = theirs.reply["value"]
        lines += [
            "",
            "### Permutation p-value of a sparse table (200 rows, 30 x 30 values, 999 permutations)",
            "",
            "| method | p-value | median (s) |",
            "| --- | ---: | ---: |",
            f"| dmi: random tables with the margins | {ours.reply['value']:.3f} | {ours.median:.3f} |",
            f"| shuffle rows + sklearn MI | {p:.3f} | {theirs.median:.3f} |",
            f"| chi-square approximation of G (poor here) | {ours.reply['chi2_p']:.3f} | - |",
            "",
            f"Under independence the two permutation p-values estimate the same quantity (their difference "
            f"is Monte Carlo noise, sd about {np.sqrt(p * (1 - p) / 999):.3f}); the chi-square p differs "
            "because 900 cells hold 200 rows. The uniformity of both under independence is tested in "
            "tests/api/test_table.py (KS test).",
        ]
    return lines


BENCH = Bench(
    name="stats",
    title="Statistics of mutual_info_table (issue 6)",
    methods=[f"emi-{n}-{k}-{who}" for n, k in SIZES for who in ("dmi", "sklearn")]
    + ["perm-dmi", "perm-shuffle"],
    measure=measure,
    describe=lambda args: (
        "Each run a fresh process timing one call after an untimed call on a small table, the same "
        "table for both; medians of the runs shown "
        "(scikit-learn's expected MI from 2M rows: one run)."
    ),
    table=_table,
    runs=lambda method, repeat: (
        1 if method.endswith("sklearn") and int(method.split("-")[1]) >= 2_000_000 else repeat
    ),
)


if __name__ == "__main__":
    main(BENCH)
