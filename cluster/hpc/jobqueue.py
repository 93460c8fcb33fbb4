#!/usr/bin/env python3
"""dmi on an HPC batch queue (SLURM or PBS) with dask-jobqueue.

    pip install dmi dask-jobqueue          # in a environment the compute nodes share
    python cluster/hpc/jobqueue.py slurm /scratch/table/ --jobs 4 --out mi.parquet
    python cluster/hpc/jobqueue.py pbs   /scratch/table/ --jobs 4 --queue workq
    python cluster/hpc/jobqueue.py slurm /scratch/table/ --print-job-script   # inspect, submit nothing

Each batch job runs Dask workers started with this same Python interpreter, so the
workers import the dmi installed here: install dmi into an environment on a shared
file system (or a module/conda environment the nodes load). Run this script on a login
node (or in a small job); it submits the worker jobs, computes, and cancels them.
"""

from __future__ import annotations

import argparse
import sys


def make_cluster(system: str, args: argparse.Namespace):
    """A dask-jobqueue cluster object for ``system`` ('slurm' or 'pbs'); submits nothing yet."""
    from dask_jobqueue import PBSCluster, SLURMCluster

    common = {
        "cores": args.cores,
        "processes": 1,
        "memory": args.memory,
        "walltime": args.walltime,
        "python": sys.executable,  # workers run this interpreter, which imports dmi
        "local_directory": args.local_directory,
        "log_directory": args.log_directory,
    }
    if system == "slurm":
        return SLURMCluster(queue=args.queue, account=args.account, **common)
    return PBSCluster(queue=args.queue, account=args.account, resource_spec=args.resource_spec, **common)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=("slurm", "pbs"))
    parser.add_argument("paths", nargs="+", help="Parquet files, directories or globs")
    parser.add_argument("--jobs", type=int, default=2, help="batch jobs, one worker process each")
    parser.add_argument("--cores", type=int, default=8, help="cores (worker threads) per job")
    parser.add_argument("--memory", default="32GiB", help="memory per job")
    parser.add_argument("--walltime", default="01:00:00")
    parser.add_argument("--queue", help="partition (SLURM) or queue (PBS)")
    parser.add_argument("--account", help="account/project to charge")
    parser.add_argument("--resource-spec", help="PBS only, e.g. select=1:ncpus=8:mem=32gb")
    parser.add_argument("--local-directory", default="$TMPDIR", help="worker spill space on the node")
    parser.add_argument("--log-directory", default="dask-logs")
    parser.add_argument("--out", help="write the matrix here (.csv or .parquet)")
    parser.add_argument("--print-job-script", action="store_true", help="show the job script and exit")
    args = parser.parse_args(argv)

    cluster = make_cluster(args.system, args)
    if args.print_job_script:
        print(cluster.job_script())
        cluster.close()
        return 0

    from distributed import Client

    import dmi

    with cluster, Client(cluster) as client:
        cluster.scale(jobs=args.jobs)
        client.wait_for_workers(1, timeout=3600)  # the queue decides when jobs start
        print(f"dashboard: {client.dashboard_link}", file=sys.stderr)
        mi = dmi.mutual_info_matrix(args.paths[0] if len(args.paths) == 1 else args.paths, progress=True)
    print(mi.round(4).to_string())
    if args.out:
        mi.to_parquet(args.out) if args.out.endswith(".parquet") else mi.to_csv(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
