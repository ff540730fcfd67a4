"""This checkout's trainer and walks against another checkout's, alternating.

Runs the same job in fresh processes, alternating between this checkout and
``--tree`` (another checkout of skgraphemb, e.g. ``git worktree add
/tmp/old 684b8d3``), so that both sides see the same moments of a noisy
machine; prints each run and the medians.  Jobs, on BlogCatalog's walks (80
x 10, ``random_state=0``), each timed after a warm-up call in its process:

- ``det`` / ``hogwild``: ``train_skipgram(walks, n, seed=0, n_jobs=THREADS,
  deterministic=...)``, wall seconds;
- ``walks``: ``random_walks(graph, walk_length=80, num_walks=10, q=Q)``,
  the best of 5 calls, with the MD5 of the walk matrix (equal walks from
  both sides show the engines agree bit for bit).

Run from the repository root::

    python benchmarks/bench_against_tree.py --tree /tmp/old --rounds 3

``--other-jobs`` gives the other checkout its own jobs, paired with
``--jobs`` in order: ``--jobs det --other-jobs hogwild`` times this
checkout's deterministic trainer against the other's lock-free one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "blogcatalog"

_JOB = r"""
import hashlib, sys, time
import numpy as np
from skgraphemb import load_edgelist_dir
from skgraphemb.walks import random_walks
from skgraphemb.skipgram import train_skipgram
job, data, threads, q = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
graph = load_edgelist_dir(data).graph
walks = random_walks(graph, walk_length=80, num_walks=10, random_state=0, n_jobs=threads)
if job == "walks":
    random_walks(graph, walk_length=80, num_walks=1, q=q, random_state=0, n_jobs=threads)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        w = random_walks(graph, walk_length=80, num_walks=10, q=q, random_state=0, n_jobs=threads)
        best = min(best, time.perf_counter() - t)
    print(best, hashlib.md5(w.tobytes()).hexdigest()[:12])
else:
    det = job == "det"
    train_skipgram(walks[:500], graph.n_nodes, seed=0, n_jobs=threads, deterministic=det)
    t = time.perf_counter()
    train_skipgram(walks, graph.n_nodes, seed=0, n_jobs=threads, deterministic=det)
    print(time.perf_counter() - t, "-")
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, required=True, help="the other checkout's root")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BlogCatalog folder (edges.tsv.gz)")
    parser.add_argument("--jobs", nargs="+", default=["det", "hogwild", "walks"], choices=["det", "hogwild", "walks"])
    parser.add_argument(
        "--other-jobs", nargs="+", choices=["det", "hogwild", "walks"], help="the other side's jobs (default: --jobs)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--q", type=float, default=1.0, help="q of the walks job")
    args = parser.parse_args(argv)
    if not (args.data / "edges.tsv.gz").exists() and not (args.data / "edges.tsv").exists():
        print(f"bench_against_tree: no BlogCatalog edges under {args.data}; pass --data.", file=sys.stderr)
        return 1
    if not (args.tree / "skgraphemb").is_dir():
        print(f"bench_against_tree: {args.tree} is not a skgraphemb checkout.", file=sys.stderr)
        return 1
    other_jobs = args.other_jobs or args.jobs
    if len(other_jobs) != len(args.jobs):
        parser.error("--other-jobs needs as many jobs as --jobs")
    sides = {"this": ROOT, "other": args.tree.resolve()}
    times = {(job, side): [] for job in args.jobs for side in sides}
    for rnd in range(args.rounds):
        for job, other_job in zip(args.jobs, other_jobs, strict=True):
            for side, root in sides.items():
                env = {**os.environ, "PYTHONPATH": str(root)}
                run_job = job if side == "this" else other_job
                out = subprocess.run(
                    [sys.executable, "-c", _JOB, run_job, str(args.data), str(args.threads), str(args.q)],
                    env=env, cwd=root, capture_output=True, text=True, check=True,
                ).stdout.split()  # fmt: skip
                times[job, side].append(float(out[-2]))
                print(f"round {rnd + 1} {run_job:<8s} {side:<6s} {float(out[-2]):7.3f}s {out[-1]}", flush=True)
    print(f"\n{'job':<17s} {'this (median)':>14s} {'other (median)':>15s} {'this / other':>13s}")
    for job, other_job in zip(args.jobs, other_jobs, strict=True):
        a, b = statistics.median(times[job, "this"]), statistics.median(times[job, "other"])
        name = job if job == other_job else f"{job} / {other_job}"
        print(f"{name:<17s} {a:13.3f}s {b:14.3f}s {a / b:12.2f}x")
    print(f"\n{args.threads} threads; other: {sides['other']}; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
