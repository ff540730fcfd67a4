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

``--in-process`` runs both trainers in one process instead, call after
call, on ``--fraction`` of the walks: this checkout's ``train_skipgram``
against the other's ``skipgram/_native.py`` driving its own compiled
``_sgns`` (the rest of the package is this checkout's, so the other
checkout must take the same helpers).  Pairs of calls a second apart see
the same moments of the host, where fresh processes minutes apart saw its
speed swing by 1.5x; it prints each side's min and median, the median of
the pairs' ratios, and whether the two sides' vectors are bitwise equal::

    python benchmarks/bench_against_tree.py --tree /tmp/old --in-process --jobs det --threads 2 --rounds 8
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _data import missing_dataset  # sibling module (benchmarks/ is on sys.path)

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


def _other_trainer(tree: Path):
    """The other checkout's ``train_skipgram``: its driver module, with its
    compiled kernels in place of this checkout's."""
    import importlib.machinery
    import importlib.util
    import types

    import skgraphemb.skipgram as package
    from skgraphemb.skipgram import _sgns as ours

    folder = tree / "skgraphemb" / "skipgram"
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    built = [folder / f"_sgns{suffix}" for suffix in suffixes if (folder / f"_sgns{suffix}").exists()]
    source = (folder / "_native.py").read_text()
    marker = "from skgraphemb.skipgram import _sgns as kernels"
    if not built or marker not in source:
        raise SystemExit(f"bench_against_tree: {tree} has no built _sgns kernels or another driver layout")
    # The extension module's init function is named after _sgns: load it
    # under that name, then put this checkout's back.
    spec = importlib.util.spec_from_file_location("skgraphemb.skipgram._sgns", built[0])
    kernels = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kernels)
    package._sgns = ours
    sys.modules["skgraphemb.skipgram._sgns"] = ours
    module = types.ModuleType("skgraphemb.skipgram._native_other")
    module.__package__ = "skgraphemb.skipgram"
    module._OTHER_KERNELS = kernels
    sys.modules[module.__name__] = module
    exec(
        compile(source.replace(marker, "kernels = _OTHER_KERNELS"), str(folder / "_native.py"), "exec"), module.__dict__
    )
    return module.train_skipgram


def _in_process(args, jobs, other_jobs) -> int:
    import time

    import numpy as np

    from skgraphemb import load_edgelist_dir
    from skgraphemb.skipgram._native import train_skipgram
    from skgraphemb.walks import random_walks

    if "walks" in jobs or "walks" in other_jobs:
        print("bench_against_tree: --in-process times the trainers only (det, hogwild)", file=sys.stderr)
        return 1
    other = _other_trainer(args.tree.resolve())
    graph = load_edgelist_dir(args.data).graph
    walks = random_walks(graph, walk_length=80, num_walks=10, random_state=0, n_jobs=args.threads)
    walks = np.ascontiguousarray(walks[: max(1, int(len(walks) * args.fraction))])
    trainers = {"this": train_skipgram, "other": other}
    print(f"{len(walks)} walks; {args.rounds} pairs per job, alternating which side goes first")
    for job, other_job in zip(jobs, other_jobs, strict=True):
        runs = {"this": job, "other": other_job}
        times, vectors = {"this": [], "other": []}, {}
        for side, trainer in trainers.items():  # warm-up: first calls allocate and fault in pages
            trainer(walks[:500], graph.n_nodes, seed=0, n_jobs=args.threads, deterministic=runs[side] == "det")
        for pair in range(args.rounds):
            for side in ("this", "other") if pair % 2 == 0 else ("other", "this"):
                start = time.perf_counter()
                vectors[side] = trainers[side](
                    walks, graph.n_nodes, seed=1, n_jobs=args.threads, deterministic=runs[side] == "det"
                )
                times[side].append(time.perf_counter() - start)
        ratios = [a / b for a, b in zip(times["this"], times["other"], strict=True)]
        same = "bitwise equal" if np.array_equal(vectors["this"], vectors["other"]) else "differ"
        name = job if job == other_job else f"{job} / {other_job}"
        print(
            f"{name:<17s} this min {min(times['this']):.3f}s median {statistics.median(times['this']):.3f}s; "
            f"other min {min(times['other']):.3f}s median {statistics.median(times['other']):.3f}s; "
            f"this / other: median of pairs {statistics.median(ratios):.3f}, "
            f"of mins {min(times['this']) / min(times['other']):.3f}; vectors {same}"
        )
    print(f"\n{args.threads} threads; other: {args.tree.resolve()}; load average {os.getloadavg()[0]:.2f}")
    return 0


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
    parser.add_argument("--in-process", action="store_true", help="both trainers in this process, call after call")
    parser.add_argument("--fraction", type=float, default=0.25, help="share of the walks per call (--in-process)")
    args = parser.parse_args(argv)
    if missing_dataset("bench_against_tree", args.data, labels=False):
        return 1
    if not (args.tree / "skgraphemb").is_dir():
        print(f"bench_against_tree: {args.tree} is not a skgraphemb checkout.", file=sys.stderr)
        return 1
    other_jobs = args.other_jobs or args.jobs
    if len(other_jobs) != len(args.jobs):
        parser.error("--other-jobs needs as many jobs as --jobs")
    if args.in_process:
        return _in_process(args, args.jobs, other_jobs)
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
