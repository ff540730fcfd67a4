"""Throughput of the random-walk engine, variants side by side.

For each graph (BlogCatalog from the shared data folder, and a generated
heavy-tailed weighted graph) and each thread count, this times:

- ``p=q=1`` on the first-order fast path (what ``random_walks`` runs);
- ``p=q=1`` forced through the second-order kernel (what the fast path
  saves: the extra draw and bookkeeping of rejection sampling);
- node2vec with ``p != q``: ``q < 1``, ``q > 1`` and a small ``p`` (the
  return-edge outlier region of the rejection sampler).

Each variant is run once to warm up and then
``--repeats`` times; the table shows the minimum and median wall time of
one full call (graph preparation included) and steps per second at both.
A step is one entry of the walk matrix after the start node.

Run from the repository root::

    python benchmarks/bench_walks.py
    python benchmarks/bench_walks.py --n-jobs 1 2 --repeats 7
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from skgraphemb import as_graph  # noqa: E402
from skgraphemb.walks._plan import _generate, plan_walks  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "blogcatalog" / "edges.tsv.gz"

# (label, p, q, force the second-order kernel)
VARIANTS = [
    ("first-order fast path", 1.0, 1.0, False),
    ("second-order kernel", 1.0, 1.0, True),
    ("node2vec", 1.0, 0.5, False),
    ("node2vec", 1.0, 2.0, False),
    ("node2vec", 0.25, 1.0, False),
]


def generated_graph(n_nodes: int, avg_degree: float, seed: int):
    """Chung-Lu graph with power-law expected degrees (exponent 2.5) and
    log-normal weights: hubs and weighted rows, as in real social graphs."""
    rng = np.random.default_rng(seed)
    expected = np.arange(1, n_nodes + 1, dtype=np.float64) ** (-1 / 1.5)
    prob = expected / expected.sum()
    m = int(n_nodes * avg_degree / 2)
    src = rng.choice(n_nodes, m, p=prob)
    dst = rng.choice(n_nodes, m, p=prob)
    keep = src != dst
    weights = rng.lognormal(0.0, 1.0, keep.sum())
    return as_graph(np.c_[src[keep], dst[keep], weights])


def time_variant(graph, args, p, q, force_second_order, n_jobs):
    """Wall times of ``args.repeats`` full runs (after one warm-up run)."""

    def run():
        plan = plan_walks(graph, args.walk_length, args.num_walks, p, q, args.seed, n_jobs)
        if force_second_order:
            plan = dataclasses.replace(plan, second_order=True)
        out = np.empty((plan.n_walks, plan.walk_length), dtype=np.int32)
        for _ in _generate(plan, max(1, (1 << 22) // plan.walk_length), out, verbose=0):
            pass
        return out

    t0 = time.perf_counter()
    walks = run()
    first = time.perf_counter() - t0
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    steps = walks.shape[0] * (walks.shape[1] - 1)
    return first, times, steps


def bench_graph(name, graph, args):
    deg = np.diff(graph.indptr)
    print(
        f"\n{name}: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges, "
        f"{'weighted' if graph.weights is not None else 'unweighted'}, "
        f"{'directed' if graph.directed else 'undirected'}, max degree {deg.max():,}; "
        f"walk_length={args.walk_length}, num_walks={args.num_walks} "
        f"({graph.n_nodes * args.num_walks * (args.walk_length - 1) / 1e6:.1f}M steps a run)"
    )
    header = (
        f"{'variant':<24}{'p':>6}{'q':>6}{'threads':>9}{'first s':>9}"
        f"{'min s':>8}{'median s':>10}{'M steps/s (min)':>17}{'(median)':>10}"
    )
    print(header)
    print("-" * len(header))
    for n_jobs in args.n_jobs:
        for label, p, q, force in VARIANTS:
            first, times, steps = time_variant(graph, args, p, q, force, n_jobs)
            best, median = min(times), statistics.median(times)
            print(
                f"{label:<24}{p:>6g}{q:>6g}{n_jobs:>9}{first:>9.3f}{best:>8.3f}{median:>10.3f}"
                f"{steps / best / 1e6:>17.1f}{steps / median / 1e6:>10.1f}"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BlogCatalog edges.tsv.gz")
    parser.add_argument("--walk-length", type=int, default=80)
    parser.add_argument("--num-walks", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--gen-nodes", type=int, default=10_000, help="0 skips the generated graph")
    parser.add_argument("--gen-degree", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print(f"python {platform.python_version()}, numpy {np.__version__}; {os.cpu_count()} CPUs")
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        print(f"note: load average {os.getloadavg()[0]:.1f}; timings include contention")

    if args.data.exists():
        bench_graph("BlogCatalog", as_graph(args.data), args)
    else:
        print(
            f"\nBlogCatalog skipped: {args.data} not found. Pass --data PATH to an "
            "edges.tsv.gz (see shared/data/blogcatalog/README.md for the format)."
        )
    if args.gen_nodes > 0:
        graph = generated_graph(args.gen_nodes, args.gen_degree, args.seed)
        bench_graph("Generated power-law graph (Chung-Lu, log-normal weights)", graph, args)


if __name__ == "__main__":
    main()
