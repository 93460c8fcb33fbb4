"""The benchmarks' one command line.

    python benchmarks/run.py                      # the benchmarks, one line each
    python benchmarks/run.py drift --repeat 3     # run one; its records and RESULTS.md section
    python benchmarks/run.py drift --help         # its options
    python benchmarks/run.py --render             # every declared section, drawn from its records
    python benchmarks/run.py ab --before <commit> --write   # the A/B of two commits (ab.py)

A benchmark ``NAME`` is the script ``bench_NAME.py``, which declares a :class:`_harness.Bench`:
they share the options (``--repeat``, ``--methods``, ``--render``), run their methods in
turn in fresh processes, keep their records in ``records/NAME.json`` and have their
RESULTS.md section drawn from them. ``ab`` is the A/B of two commits (``ab.py``: its rounds
alternate between two git worktrees), which keeps records and draws its section the same way.
"""

from __future__ import annotations

import importlib
import sys

from _harness import HERE, load_records, main, render, write_results


def _names() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def _module(name: str):
    if name == "ab":
        return importlib.import_module("ab")
    if name not in _names():
        raise SystemExit(f"no benchmark {name!r}; choose from {', '.join(_names())}")
    return importlib.import_module(f"bench_{name}")


def _listing() -> str:
    lines = []
    for name in _names():
        module = _module(name)
        bench = getattr(module, "BENCH", None)
        title = bench.title if bench is not None else (module.__doc__ or "").strip().splitlines()[0]
        kind = f"{len(load_records(name))} records" if bench is not None else "own runner"
        lines.append(f"{name:<12} {title}  [{kind}]")
    lines.append(f"{'ab':<12} {(_module('ab').__doc__ or '').strip().splitlines()[0]}")
    return "\n".join(lines)


def run(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help", "list"):
        print(__doc__.strip(), "", _listing(), sep="\n")
        return
    if argv[0] == "--render":
        for name in _names():
            bench = getattr(_module(name), "BENCH", None)
            records = load_records(name) if bench is not None else {}
            if records:  # a declared benchmark not yet run keeps the section it has
                write_results(f"bench_{name}", render(bench, records, None))
                print(f"drew bench_{name} from {len(records)} records")
        return
    name, rest = argv[0], argv[1:]
    module = _module(name)
    bench = getattr(module, "BENCH", None)
    if bench is not None:
        main(bench, rest)
        return
    sys.argv = [str(HERE / f"{'ab' if name == 'ab' else f'bench_{name}'}.py"), *rest]
    module.main()


if __name__ == "__main__":
    run(sys.argv[1:])
