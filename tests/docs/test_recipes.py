"""The cluster/ recipes: what can be checked without Docker, Kubernetes or a batch queue is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CLUSTER = Path(__file__).resolve().parents[2] / "cluster"
IMAGE = "dmi:latest"


def test_dockerfile_installs_dmi_from_the_checkout():
    text = (CLUSTER / "docker" / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]", text, re.M)
    assert "COPY dmi ./dmi" in text and "COPY pyproject.toml README.md ./" in text
    assert re.search(r'pip install "\.\[plot\]"', text)  # the package itself, with plotting
    assert "import dmi, distributed" in text  # the build fails if dmi cannot be imported
    assert "EXPOSE 8786 8787" in text
    root = CLUSTER.parent
    for copied in ("pyproject.toml", "README.md", "dmi/__init__.py"):
        assert (root / copied).exists()


def test_compose_runs_scheduler_workers_and_notebook_from_the_image():
    doc = yaml.safe_load((CLUSTER / "docker" / "docker-compose.yml").read_text())
    services = doc["services"]
    assert set(services) == {"scheduler", "worker", "notebook"}
    assert all(s["image"] == IMAGE for s in services.values())
    assert services["scheduler"]["command"][:2] == ["dask", "scheduler"]
    assert "8786:8786" in services["scheduler"]["ports"] and "8787:8787" in services["scheduler"]["ports"]
    worker = services["worker"]["command"]
    assert worker[:3] == ["dask", "worker", "tcp://scheduler:8786"]
    assert worker[worker.index("--memory-limit") + 1].endswith("GiB")
    assert services["notebook"]["environment"]["DASK_SCHEDULER_ADDRESS"] == "tcp://scheduler:8786"
    assert "8888:8888" in services["notebook"]["ports"]


def test_kubernetes_daskcluster_uses_one_image_and_the_dask_ports():
    doc = yaml.safe_load((CLUSTER / "kubernetes" / "daskcluster.yaml").read_text())
    assert doc["apiVersion"] == "kubernetes.dask.org/v1" and doc["kind"] == "DaskCluster"
    worker = doc["spec"]["worker"]["spec"]["containers"][0]
    scheduler = doc["spec"]["scheduler"]["spec"]["containers"][0]
    assert worker["image"] == scheduler["image"] and worker["image"].endswith("/dmi:latest")
    assert worker["args"][:2] == ["dask", "worker"] and "--memory-limit" in worker["args"]
    assert scheduler["args"][:4] == ["dask", "scheduler", "--port", "8786"]
    ports = {p["name"]: p["port"] for p in doc["spec"]["scheduler"]["service"]["ports"]}
    assert ports == {"tcp-comm": 8786, "http-dashboard": 8787}


@pytest.mark.parametrize(("system", "directive"), [("slurm", "#SBATCH"), ("pbs", "#PBS")])
def test_jobqueue_recipe_writes_job_scripts_that_run_this_python(system, directive):
    cmd = [sys.executable, str(CLUSTER / "hpc" / "jobqueue.py"), system, "/data/table/"]
    proc = subprocess.run(
        [*cmd, "--print-job-script", "--queue", "short", "--memory", "16GiB"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    script = proc.stdout
    assert directive in script
    assert sys.executable in script  # the workers import the dmi installed with this interpreter
    assert "--memory-limit 16.00GiB" in script and "distributed.cli.dask_worker" in script


def test_local_cluster_script_stop_without_a_cluster(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(CLUSTER / "local" / "cluster.py"), "stop", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "no cluster recorded" in proc.stderr


def test_every_recipe_has_a_readme_section():
    readme = (CLUSTER / "README.md").read_text()
    for part in (
        "local/cluster.py",
        "docker/Dockerfile",
        "docker-compose.yml",
        "daskcluster.yaml",
        "jobqueue.py",
    ):
        assert part in readme
