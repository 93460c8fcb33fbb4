"""The statistics of mutual_info_table against scikit-learn and scipy, side by side.

    python benchmarks/bench_stats.py [--repeat 3]

Adjusted MI needs the expected MI under fixed margins. scikit-learn sums each cell's
whole hypergeometric support; dmi cuts each sum at 12 standard deviations (the tail
beyond holds less than 1e-30). Both from the same contingency table, values compared.
Also: the permutation p-value of a sparse table (scipy.stats.random_table on the
margins) against shuffling the rows and recomputing sklearn's MI.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _harness import machine, write_results
from sklearn.metrics import mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.metrics.cluster._expected_mutual_info_fast import expected_mutual_information

from dmi._math import stats
from dmi._math.entropy import pair_stats


def timed(repeat: int, fn, *args):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), out


def framed(table: np.ndarray) -> np.ndarray:
    out = np.zeros((table.shape[0] + 1, table.shape[1] + 1), dtype=np.int64)
    out[1:, 1:] = table
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    lines = [
        "## Statistics of mutual_info_table (issue 6)",
        "",
        f"`python benchmarks/bench_stats.py` on {time.strftime('%Y-%m-%d')}; {machine()}. "
        f"Medians of {args.repeat} runs in one process, same table for both.",
        "",
        "### Expected MI under fixed margins (for AMI)",
        "",
        "| rows | classes | dmi (s) | sklearn (s) | sklearn / dmi | relative difference |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, k in [(100_000, 50), (2_000_000, 200), (10_000_000, 200), (20_000, 3_000)]:
        x = rng.integers(0, k, n)
        y = (x + rng.integers(0, 3, n)) % k
        table = contingency_matrix(x, y)
        s = pair_stats(framed(table))
        t_dmi, e_dmi = timed(args.repeat, stats.expected_mi, s.margins[0], s.margins[1], n)
        t_sk, e_sk = timed(1 if n >= 2_000_000 else args.repeat, expected_mutual_information, table, n)
        rel = abs(e_dmi - e_sk) / abs(e_sk)
        lines.append(f"| {n:,} | {k:,} | {t_dmi:.3f} | {t_sk:.3f} | {t_sk / t_dmi:.1f}x | {rel:.1e} |")
        print(lines[-1], flush=True)

    lines += [
        "",
        "### Permutation p-value of a sparse table (200 rows, 30 x 30 values, 999 permutations)",
        "",
        "| method | p-value | time (s) |",
        "| --- | ---: | ---: |",
    ]
    a, b = rng.integers(0, 30, 200), rng.integers(0, 30, 200)
    s = pair_stats(framed(contingency_matrix(a, b)))
    t_dmi, p_dmi = timed(args.repeat, stats.permutation_p, s, 999, 1)
    observed = mutual_info_score(a, b)

    def shuffled() -> float:
        hits = sum(mutual_info_score(a, rng.permutation(b)) >= observed - 1e-12 for _ in range(999))
        return (1 + hits) / 1000

    t_sh, p_sh = timed(args.repeat, shuffled)
    chi2_p = stats.g_test(s)[2]
    lines += [
        f"| dmi: random tables with the margins | {p_dmi:.3f} | {t_dmi:.3f} |",
        f"| shuffle rows + sklearn MI | {p_sh:.3f} | {t_sh:.3f} |",
        f"| chi-square approximation of G (poor here) | {chi2_p:.3f} | - |",
        "",
        f"Under independence the two permutation p-values estimate the same quantity "
        f"(their difference is Monte Carlo noise, sd about {np.sqrt(p_sh * (1 - p_sh) / 999):.3f}); "
        "the chi-square p differs because 900 cells hold 200 rows. The uniformity of both under "
        "independence is tested in tests/api/test_table.py (KS test).",
    ]
    write_results("bench_stats", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
