"""The ``dmi`` command line: demo, matrix and with; outputs, exit codes and errors."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import dmi
from dmi.cli import main


def test_demo_prints_matrix_and_known_dependencies(capsys):
    assert main(["demo", "--rows", "20000"]) == 0  # threads in this process by default
    out, err = capsys.readouterr()
    assert "Local cluster" not in err
    assert "Mutual information (bits)" in out and "Planted: " in out
    assert "on threads in this process: one pass over 20,000 rows" in out
    for name in ["c00", "c07", "city", "grade", "f00", "f02"]:
        assert name in out
    strongest = out.split("Strongest dependencies:")[1].strip().splitlines()[:8]
    found = {frozenset(line.split(":")[0].strip().split(" ~ ")) for line in strongest}
    # the planted dependencies come first, among them city ~ c05 and f00 ~ f01
    assert frozenset({"c05", "city"}) in found and frozenset({"f00", "f01"}) in found


def test_demo_on_a_local_cluster(capsys):
    assert main(["demo", "--rows", "5000", "--workers", "2"]) == 0
    out, err = capsys.readouterr()
    assert "Local cluster of 2 worker processes" in err and "100% Completed" in err
    assert "on a local cluster of 2 processes" in out


def test_workers_zero_means_threads_everywhere(tmp_path, capsys):
    dmi.make_example(2_000, n_int_columns=3, max_cardinality=60).to_parquet(tmp_path / "t.parquet")
    for argv in (["demo", "--rows", "2000"], ["matrix", str(tmp_path / "t.parquet")]):
        assert main([*argv, "--workers", "0", "--quiet"]) == 0
        assert "Local cluster" not in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["matrix", str(tmp_path / "t.parquet"), "--workers", "-1"])
    assert "expected a number of worker processes (0: threads), got '-1'" in capsys.readouterr().err


def test_example_has_its_planted_dependencies():
    frame = dmi.make_example(50_000, random_state=3, max_cardinality=60)
    m = dmi.mutual_info_matrix(frame, base=2)  # codes of at most 60 values: categories
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


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A small mixed Parquet data set in three files."""
    root = tmp_path_factory.mktemp("cli")
    frame = dmi.make_example(6_000, random_state=5, n_int_columns=4, max_cardinality=20, n_float_columns=2)
    for i in range(3):
        frame.iloc[i * 2000 : (i + 1) * 2000].to_parquet(root / f"part-{i}.parquet", index=False)
    return root


def test_matrix_writes_the_api_result(table, tmp_path, capsys):
    root = table
    out = tmp_path / "mi.parquet"
    argv = ["matrix", str(root / "*.parquet"), "--bits", "--seed", "4", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    expected = dmi.mutual_info_matrix(str(root / "*.parquet"), base=2, random_state=4)
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_exact=True, check_names=False)
    stdout, stderr = capsys.readouterr()
    assert stdout.startswith("Mutual information (bits)")
    # with --out a report, not the matrix: its shape and the strongest pairs, largest first
    assert f"{expected.shape[0]} x {expected.shape[1]} matrix in " in stdout
    upper = expected.where(np.triu(np.ones(expected.shape, dtype=bool), k=1)).stack()
    a, b = upper.idxmax()
    assert stdout.splitlines()[3] == f"  {a} ~ {b}: {upper.max():.4f}"
    assert f"{expected.loc['c00', 'c02']:.4f}" not in stdout  # an independent pair: not listed
    assert "Wrote" not in stderr  # --quiet
    assert [p.name for p in tmp_path.iterdir()] == ["mi.parquet"]  # no temporary file left


def test_output_files_get_the_users_file_mode(table, tmp_path):
    old = os.umask(0o022)
    try:
        for umask, mode in ((0o022, 0o644), (0o002, 0o664)):
            os.umask(umask)
            out = tmp_path / f"mi-{umask:o}.csv"
            assert main(["matrix", str(table / "*.parquet"), "--out", str(out), "--quiet"]) == 0
            assert stat.S_IMODE(out.stat().st_mode) == mode  # as any new file, not 0600
    finally:
        os.umask(old)


@pytest.mark.parametrize("fmt", [".csv", ".json"])
def test_matrix_text_formats_round_trip(table, tmp_path, fmt):
    root = table
    out = tmp_path / f"mi{fmt}"
    argv = ["matrix", str(root), "--all-discrete", "--columns", "c00,c01,city", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    expected = dmi.mutual_info_matrix(str(root), columns=["c00", "c01", "city"], discrete=True)
    if fmt == ".csv":
        got = pd.read_csv(out, index_col=0)
    else:
        doc = json.loads(out.read_text())
        assert doc["unit"] == "nats"
        got = pd.DataFrame(doc["data"], index=doc["index"], columns=doc["columns"], dtype=float)
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_names=False)


def test_with_ranks_against_the_target(table, tmp_path, capsys):
    root = table
    out = tmp_path / "with.parquet"
    argv = [
        "with",
        str(root),
        "--target",
        "city",
        "--normalize",
        "max",
        "--discrete",
        "c00,c01,c02,c03,city,grade",
    ]
    assert main([*argv, "--method", "binned", "--out", str(out), "--quiet"]) == 0
    expected = dmi.mutual_info_with(
        str(root),
        "city",
        normalize="max",
        method="binned",
        random_state=0,
        discrete=["c00", "c01", "c02", "c03", "city", "grade"],
    )
    got = pd.read_parquet(out)["mi"]
    pd.testing.assert_series_equal(
        got, expected.sort_values(ascending=False), check_exact=True, check_names=False
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Mutual information with 'city' (normalized, max), largest first"
    assert lines[1].split()[0] == expected.idxmax()


def test_plot_draws_a_png(table, tmp_path):
    root = table
    png = tmp_path / "mi.png"
    assert main(["matrix", str(root), "--plot", str(png), "--quiet"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    bars = tmp_path / "bars.png"
    assert main(["with", str(root), "--target", "c00", "--plot", str(bars), "--quiet"]) == 0
    assert bars.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _run(*argv):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "dmi", *argv], capture_output=True, text=True, timeout=120)
    return proc, time.perf_counter() - start


def test_data_errors_exit_1_with_the_message_only(table, tmp_path):
    root = table
    proc, _ = _run("matrix", str(tmp_path / "nothing*.parquet"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("dmi: error: no Parquet data found at") and "nothing*" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    (tmp_path / "bad.parquet").write_text("not parquet")
    proc, _ = _run("matrix", str(tmp_path / "bad.parquet"), "--quiet")
    assert proc.returncode == 1 and "bad.parquet' is not a readable Parquet file" in proc.stderr
    proc, _ = _run("with", str(root), "--target", "nope", "--quiet")
    assert proc.returncode == 1 and "target: unknown column(s) 'nope'" in proc.stderr
    proc, _ = _run("with", str(root), "--target", "nope", "--quiet", "--debug")
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "KeyError" in proc.stderr


def test_usage_errors_exit_2(table, tmp_path):
    root = table
    proc, _ = _run("matrix", str(root), "--out", str(tmp_path / "mi.xlsx"))
    assert proc.returncode == 2 and "--out: unknown format '.xlsx'" in proc.stderr
    proc, _ = _run("matrix", str(root), "--discrete", "a", "--all-discrete")
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr
    proc, _ = _run("matrix", str(root), "--sample-size", "0")
    assert proc.returncode == 2 and "expected a positive integer" in proc.stderr


def test_max_categories(table, tmp_path):
    root = table
    cols = ["c00", "c01", "city"]
    for cap, text in [(3, "3"), (None, "none")]:
        out = tmp_path / f"mi-{text}.parquet"
        argv = ["matrix", str(root), "--all-discrete", "--columns", ",".join(cols), "--out", str(out)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dmi.MaxCategoriesWarning)
            assert main([*argv, "--quiet", "--max-categories", text]) == 0
            expected = dmi.mutual_info_matrix(str(root), columns=cols, discrete=True, max_categories=cap)
        got = pd.read_parquet(out)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_names=False)
        assert got.isna().any().any() == (cap is not None)  # a column over 3 values is NaN
    proc, _ = _run("matrix", str(root), "--max-categories", "0")
    assert proc.returncode == 2 and "expected a positive integer or 'none'" in proc.stderr


def test_nothing_half_written_when_the_computation_fails(table, tmp_path):
    root = table
    out = tmp_path / "mi.csv"
    assert main(["matrix", str(root), "--columns", "c00,zz", "--out", str(out), "--quiet"]) == 1
    assert list(tmp_path.iterdir()) == []


def test_unreachable_scheduler_fails_fast(table):
    root = table
    with socket.socket() as s:  # a free port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc, elapsed = _run("matrix", str(root), "--scheduler", f"tcp://127.0.0.1:{port}", "--timeout", "2")
    assert proc.returncode == 1
    assert f"cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}' within 2 s" in proc.stderr
    assert elapsed < 30  # the 2 s timeout plus interpreter start-up, not a hang


BAD_VALUES = [
    *[
        (command, option, value)
        for command in ("matrix", "with", "select", "drift")
        for option, value in (
            ("--bins", "1"),
            ("--bins", "many"),
            ("--sample-size", "0"),
            ("--seed", "-1"),
            ("--seed", "x"),
            ("--max-categories", "0"),
            ("--timeout", "0"),
            ("--workers", "-1"),
            ("--columns", ","),
            ("--discrete", ","),
        )
    ],
    *[(command, "--n-neighbors", "0") for command in ("matrix", "with")],
    *[(command, "--method", "kde") for command in ("matrix", "with", "select")],
    *[(command, "--normalize", "mean") for command in ("matrix", "with")],
    ("matrix", "--measure", "pearson"),
    ("select", "--k", "0"),
    ("select", "--alpha", "0"),
    ("select", "--alpha", "1.5"),
    ("drift", "--alpha", "no"),
    ("drift", "--permutations", "0"),
    ("demo", "--rows", "0"),
    ("demo", "--seed", "-3"),
]


@pytest.mark.parametrize(("command", "option", "value"), BAD_VALUES)
def test_every_bad_option_value_exits_2(command, option, value, capsys):
    """Bad usage is exit 2 everywhere (--bins 1 gave 1 while --k 0 gave 2), before any data is read."""
    argv = {
        "matrix": ["matrix", "absent.parquet"],
        "with": ["with", "absent.parquet", "--target", "t"],
        "select": ["select", "absent.parquet", "--target", "t"],
        "drift": ["drift", "a.parquet", "b.parquet"],
        "demo": ["demo"],
    }[command]
    with pytest.raises(SystemExit) as exc:
        main([*argv, option, value])
    assert exc.value.code == 2
    assert option in capsys.readouterr().err


def test_usage_found_after_parsing_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["select", "absent.parquet", "--target", "t", "--alpha", "none"])
    assert exc.value.code == 2
    assert "--alpha none (no significance stop) needs --k N" in capsys.readouterr().err


def test_each_command_describes_its_own_options(capsys):
    helps = {}
    for command in ("matrix", "select", "drift"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps[command] = " ".join(capsys.readouterr().out.split())
    assert "with --method binned: quantile bins" in helps["matrix"]
    assert "rows of the uniform sample for the k-NN estimators" in helps["matrix"]
    for command in ("select", "drift"):
        assert "with --method binned" not in helps[command] and "k-NN" not in helps[command]
    assert "rows of the uniform sample the quantile edges are taken from" in helps["select"]
    assert "rows of each side's uniform sample" in helps["drift"]
    assert "'none': no stop" in helps["select"]


def test_json_input_says_how_to_convert(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"a": 1}\n')
    proc, _ = _run("matrix", str(tmp_path / "rows.jsonl"))
    assert proc.returncode == 1
    assert "pd.read_json(" in proc.stderr and "lines=True" in proc.stderr and ".to_parquet(" in proc.stderr


def test_with_out_prints_a_report_not_everything(table, tmp_path, capsys):
    assert main(["with", str(table), "--target", "c00", "--out", str(tmp_path / "w.csv"), "--quiet"]) == 0
    assert "Mutual information with 'c00'" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "w.csv")) > 0
