"""The ``dmi`` command line (a small one for now: ``dmi demo``)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def _demo(args: argparse.Namespace) -> int:
    from .api import mutual_info_matrix
    from .example import make_example

    with tempfile.TemporaryDirectory(prefix="dmi-demo-") as tmp:
        path = Path(tmp) / "example"
        path.mkdir()
        # Cardinalities up to 100 keep the plug-in bias of independent pairs small at demo sizes.
        frame = make_example(args.rows, random_state=args.seed, max_cardinality=100)
        n_files = 4
        step = -(-len(frame) // n_files)
        for i in range(n_files):
            frame.iloc[i * step : (i + 1) * step].to_parquet(path / f"part-{i}.parquet", index=False)
        print(f"Example data: {len(frame):,} rows x {frame.shape[1]} columns in {n_files} Parquet files\n")
        start = time.perf_counter()
        mi = mutual_info_matrix(str(path / "*.parquet"), base=2)
        elapsed = time.perf_counter() - start
    print("Mutual information (bits); diagonal = entropy H(X):")
    print(mi.to_string(float_format=lambda v: f"{v:.3f}"))
    names = list(mi.columns)
    values = mi.to_numpy()
    pairs = [
        (float(values[i, j]), str(names[i]), str(names[j]))
        for i in range(len(names))
        for j in range(i + 1, len(names))
    ]
    print("\nStrongest dependencies:")
    for value, a, b in sorted(pairs, key=lambda t: t[0], reverse=True)[:5]:
        print(f"  {a} ~ {b}: {value:.3f} bits")
    print(f"\nComputed in {elapsed:.2f} s, one pass over the data.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dmi`` command."""
    parser = argparse.ArgumentParser(
        prog="dmi", description="Mutual information between all columns of a table."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="compute the MI matrix of built-in example data")
    demo.add_argument("--rows", type=int, default=1_000_000, help="rows of example data (default 1,000,000)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the example data")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dmi`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
