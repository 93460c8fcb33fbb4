"""Every Python block in the README runs, in order, in a fresh folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "churned" in out and "plan" in out
    assert namespace["mi"].loc["plan", "churned"] > 0


def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, flags=re.S).group(1).strip().splitlines()
    assert first_block[0].startswith("python3 -m pip install . && python3 -m dmi demo")
    assert first_block[1].startswith('python3 -m pip install ".[test]" && python3 -m pytest')
    ci = (README.parent / ".ci" / "run").read_text()
    assert 'python3 -m pip install ".[test]" && python3 -m pytest' in ci


@pytest.mark.slow
def test_readme_shell_blocks_run(tmp_path):
    """Every bash block that does not install anything runs, with this interpreter's dmi."""
    import shlex
    import subprocess
    import sys

    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    runnable = [b for b in blocks if "pip install" not in b]
    assert runnable, "the README should show the command line at work"
    python = shlex.quote(sys.executable)
    for block in runnable:
        for line in block.strip().splitlines():
            command = re.sub(r"^dmi ", f"{python} -m dmi ", line)
            command = re.sub(r"^python3? ", f"{python} ", command)
            proc = subprocess.run(
                command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300
            )
            assert proc.returncode == 0, f"{line}\n{proc.stderr[-2000:]}"
    assert (tmp_path / "mi.parquet").exists() and (tmp_path / "mi.png").exists()


def test_readme_figure_is_drawn_by_the_script(tmp_path):
    import runpy

    text = README.read_text()
    assert "](notebooks/images/example-heatmap.png)" in text
    committed = README.parent / "notebooks" / "images" / "example-heatmap.png"
    script = runpy.run_path(str(README.parent / "notebooks" / "make_readme_figure.py"))
    drawn = script["main"](tmp_path / "heatmap.png")
    import matplotlib.pyplot as plt

    fresh, kept = plt.imread(drawn), plt.imread(committed)
    assert fresh.shape == kept.shape  # the committed picture is this script's output
    assert abs(float(fresh.mean()) - float(kept.mean())) < 0.01


# The example table's planted dependencies (dmi.make_example): pairs within these groups.
_PLANTED = [{"c00", "c01", "grade", "city", "c05", "f00", "f01", "f02"}, {"c02", "c03"}]


def test_readme_numbers_about_independent_columns_are_the_figures():
    import runpy

    text = " ".join(README.read_text().split())
    claimed = float(
        re.search(r"Everything else is independent, and shows at most ([\d.]+) bits", text).group(1)
    )
    mi = runpy.run_path(str(README.parent / "notebooks" / "make_readme_figure.py"))["matrix"]()
    names = list(mi.columns)
    independent = [
        mi.loc[a, b]
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if not any({a, b} <= group for group in _PLANTED)
    ]
    assert round(max(independent), 2) <= claimed  # as the heatmap prints them
    assert min(mi.loc["f00", "f01"], mi.loc["c02", "c03"], mi.loc["city", "c05"]) > 10 * claimed
