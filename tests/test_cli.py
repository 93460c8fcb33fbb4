"""The small CLI: ``dmi demo`` runs the main job on built-in example data."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import dmi
from dmi.cli import main


def test_demo_prints_matrix_and_known_dependencies(capsys):
    assert main(["demo", "--rows", "20000"]) == 0
    out = capsys.readouterr().out
    assert "Mutual information (bits)" in out
    for name in ["c00", "c11", "city", "grade"]:
        assert name in out
    # the example plants city ~ c05 as its strongest dependency
    strongest = out.split("Strongest dependencies:")[1].strip().splitlines()[0]
    assert "city" in strongest and "c05" in strongest


def test_example_has_its_planted_dependencies():
    frame = dmi.make_example(50_000, random_state=3, max_cardinality=100)
    m = dmi.mutual_info_matrix(frame, base=2)
    assert m.loc["city", "c05"] > 2.0  # planted dependencies
    assert m.loc["c02", "c03"] > 0.8
    assert m.loc["c00", "c01"] > 0.4
    # independent columns: plug-in MI is only its small-sample bias, (Kx-1)(Ky-1)/(2N ln 2) bits
    k4, k6 = frame["c04"].nunique(), frame["c06"].nunique()
    bias = (k4 - 1) * (k6 - 1) / (2 * len(frame) * np.log(2))
    assert m.loc["c04", "c06"] < 2 * bias


def test_console_script_usage_error():
    proc = subprocess.run([sys.executable, "-m", "dmi.cli", "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "dmi" in capsys.readouterr().out
