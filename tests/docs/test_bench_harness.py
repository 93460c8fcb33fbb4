"""The benchmarks' harness (benchmarks/_harness.py): methods run in turn in fresh processes,
records kept, and the RESULTS.md section drawn from the records -- on a toy benchmark."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

TOY = '''
"""A toy benchmark."""
import argparse
import time
from pathlib import Path

from _harness import Bench, main


def measure(method, args):
    with open(args.log, "a") as log:
        log.write(method + "\\n")
    return {"seconds": {"fast": 0.5, "slow": 2.0}[method], "answer": len(method)}


def table(records):
    return [f"| {m} | {r.median:.1f} | {r.runs()} | {r.reply['answer']} |" for m, r in records.items()]


def options(parser):
    parser.add_argument("--log", type=Path, required=True)


BENCH = Bench(
    name="toy",
    title="A toy",
    methods=["fast", "slow"],
    measure=measure,
    describe=lambda args: "Two methods.",
    table=table,
    options=options,
    runs=lambda method, repeat: 1 if method == "slow" else repeat,
)

if __name__ == "__main__":
    main(BENCH)
'''


@pytest.fixture
def harness(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(BENCHMARKS))  # the toy's child processes import _harness
    import _harness

    monkeypatch.setattr(_harness, "HERE", tmp_path)
    (tmp_path / "bench_toy.py").write_text(TOY)
    monkeypatch.delitem(sys.modules, "bench_toy", raising=False)
    import bench_toy

    return _harness, bench_toy.BENCH


def test_methods_run_in_turn_and_the_section_is_drawn_from_the_records(harness, tmp_path):
    h, bench = harness
    log = tmp_path / "runs.log"
    h.main(bench, ["--repeat", "3", "--log", str(log)])
    # round after round, each method in turn; the slow baseline gets one run
    assert log.read_text().split() == ["fast", "slow", "fast", "fast"]
    kept = json.loads((tmp_path / "records" / "toy.json").read_text())
    assert [(r["method"], r["seconds"], r["reply"]) for r in kept] == [
        ("fast", [0.5, 0.5, 0.5], {"answer": 4}),
        ("slow", [2.0], {"answer": 4}),
    ]
    assert all(r["peak_bytes"] > 0 for r in kept)
    results = (tmp_path / "RESULTS.md").read_text()
    section = results[results.index("<!-- bench_toy:start -->") : results.index("<!-- bench_toy:end -->")]
    assert "## A toy" in section and "Two methods." in section
    assert "| fast | 0.5 | 0.5, 0.5, 0.5 | 4 |" in section
    assert "| slow | 2.0 | 2.0 | 4 |" in section


def test_methods_not_run_keep_their_records_and_render_runs_nothing(harness, tmp_path):
    h, bench = harness
    log = tmp_path / "runs.log"
    h.main(bench, ["--repeat", "1", "--log", str(log)])
    first = json.loads((tmp_path / "records" / "toy.json").read_text())
    h.main(bench, ["--repeat", "2", "--methods", "fast", "--log", str(log)])
    assert log.read_text().split() == ["fast", "slow", "fast", "fast"]
    second = {r["method"]: r for r in json.loads((tmp_path / "records" / "toy.json").read_text())}
    assert second["slow"] == first[1]  # kept as it was
    assert second["fast"]["seconds"] == [0.5, 0.5]
    (tmp_path / "RESULTS.md").write_text("# Benchmark results\n")
    h.main(bench, ["--render", "--log", str(log)])
    assert log.read_text().split() == ["fast", "slow", "fast", "fast"]  # nothing ran
    assert "| fast | 0.5 | 0.5, 0.5 | 4 |" in (tmp_path / "RESULTS.md").read_text()


def test_an_unknown_method_is_refused_naming_the_choices(harness, tmp_path, capsys):
    h, bench = harness
    with pytest.raises(SystemExit):
        h.main(bench, ["--methods", "fastest", "--log", str(tmp_path / "runs.log")])
    assert "unknown method(s) fastest; choose from fast, slow" in capsys.readouterr().err


def test_every_benchmark_script_declares_a_bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import importlib

    names = sorted(p.stem for p in BENCHMARKS.glob("bench_*.py"))
    assert len(names) >= 12
    for name in names:
        bench = importlib.import_module(name).BENCH
        assert f"bench_{bench.name}" == name
        assert len(set(bench.methods)) == len(bench.methods) > 0


def test_the_ab_section_is_drawn_from_its_records(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import ab
    from _harness import Record

    def record(case: str, side: str, seconds: list[float], values: list[float]) -> Record:
        rev = {"before": "abc1234", "after": "HEAD"}[side]
        reply = {"values": values, "rev": rev, "rounds": 3}
        return Record("ab-abc1234", f"{case}/{side}", seconds, 0, reply, "python benchmarks/ab.py", "d", "m")

    records = {
        r.method: r
        for r in [
            record("same", "before", [1.0, 3.0, 2.0], [0.5, float("nan")]),
            record("same", "after", [1.5, 1.0, 1.2], [0.5, float("nan")]),
            record("moved", "before", [1.0, 1.0, 1.0], [0.5]),
            record("moved", "after", [2.0, 2.0, 2.0], [0.5000001]),
        ]
    }
    text = ab.section(records, ["same", "moved"])
    assert "### A/B: HEAD against abc1234, 3 alternating rounds" in text
    assert "| same | 2.000 | 1.200 | 0.600 | 1.00, 3.00, 2.00 | 1.50, 1.00, 1.20 | yes, bit for bit |" in text
    assert "| moved | 1.000 | 2.000 | 2.000 | 1.00, 1.00, 1.00 | 2.00, 2.00, 2.00 | NO |" in text
