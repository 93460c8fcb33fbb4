"""Every Python block in the README runs, in order, in a fresh folder."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


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
