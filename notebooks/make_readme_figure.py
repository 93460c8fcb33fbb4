#!/usr/bin/env python3
"""Draw the README's heatmap: dmi's example table, every pair of columns.

    python notebooks/make_readme_figure.py [OUT.png]

Writes notebooks/images/example-heatmap.png by default. The README shows that file;
rerun this script (it is deterministic) when the plot or the example changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import dmi

DEFAULT = Path(__file__).resolve().parent / "images" / "example-heatmap.png"


def matrix():
    """The MI matrix the figure shows."""
    # integer codes of up to 60 values: categories under discrete="auto" (at most 64 values)
    frame = dmi.make_example(200_000, random_state=0, max_cardinality=60, n_float_columns=4)
    return dmi.mutual_info_matrix(frame, base=2, random_state=0)


def main(out: Path = DEFAULT) -> Path:
    mi = matrix()
    ax = dmi.plot.heatmap(mi, title="dmi.mutual_info_matrix(make_example(...), base=2)")
    out.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(out, dpi=90, bbox_inches="tight", metadata={"Software": None})
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))
