"""How big a deterministic round may be: the busiest row's load against overshoot.

The deterministic numba trainer trains a round's shards from the same
start and adds their changes, so a node that every shard updates (a hub)
gets the sum of several independent steps.  ``_round_shape`` bounds the
learning rate times the gradient terms on the busiest row that a shard
does not see (its "load", ``_ROUND_LOAD``).  This benchmark trains, on
each graph's walks (80 x 10), the deterministic trainer with the rounds it
picks, with the fixed rounds of 8 shards x 8 walks used before the bound,
and Hogwild, and prints the largest absolute value of each result (healthy
training stays within 1-3 here) beside the load of those rounds:
divergence shows as 'diverged' or values of 1e2 and more.

    python benchmarks/bench_round_load.py                  # generated hubs + ../shared/data graphs
    python benchmarks/bench_round_load.py --alphas 0.025 0.05 --samples 0.001 0
    python benchmarks/bench_round_load.py --f1-shapes 8x8 8x4 8x2   # BlogCatalog macro-F1 per round size
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = ("cora", "citeseer", "ppi", "wikipedia-pos", "blogcatalog", "ego-facebook", "ca-grqc")


def _graphs(names):
    import networkx as nx

    yield "star(2000)", nx.star_graph(2000)
    yield "wheel(5000)", nx.wheel_graph(5000)
    yield "barabasi-albert(20000, 1)", nx.barabasi_albert_graph(20000, 1, seed=0)
    if not DATA.is_dir():
        print(f"bench_round_load: {DATA} not found; only generated graphs", file=sys.stderr)
        return
    for name in names:
        path = DATA / name / "edges.tsv"
        if not path.exists():
            path = path.with_suffix(".tsv.gz")
        if not path.exists():
            print(f"bench_round_load: {name} not found under {DATA}", file=sys.stderr)
            continue
        with gzip.open(path, "rt") if path.suffix == ".gz" else open(path) as f:
            edges = np.loadtxt(f, dtype=np.int64, delimiter="\t", ndmin=2)
        yield name, nx.convert_node_labels_to_integers(nx.Graph(edges.tolist()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(DATASETS))
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.025, 0.05])
    parser.add_argument("--samples", nargs="+", type=float, default=[1e-3, 0.0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--f1-shapes",
        nargs="+",
        metavar="SHARDSxWALKS",
        help="instead: BlogCatalog's macro-F1 and time with the rounds forced to these sizes, beside Hogwild",
    )
    parser.add_argument("--repeats", type=int, default=2, help="seeds per shape with --f1-shapes")
    args = parser.parse_args(argv)
    if args.f1_shapes:
        return _f1_shapes(args)

    from skgraphemb.exceptions import TrainingDivergedError
    from skgraphemb.skipgram import _native, train_skipgram
    from skgraphemb.skipgram._corpus import _keep_thresholds, _negative_weights
    from skgraphemb.walks import random_walks

    def largest(walks, n, shape=None, **kw):
        chosen = _native._round_shape
        if shape is not None:
            _native._round_shape = lambda *a: shape
        t = time.perf_counter()
        try:
            Z = train_skipgram(walks, n, seed=0, n_jobs=args.threads, **kw)
            return f"{np.abs(Z).max():9.3g} {time.perf_counter() - t:5.1f}s"
        except TrainingDivergedError:
            return f"{'diverged':>9s} {time.perf_counter() - t:5.1f}s"
        finally:
            _native._round_shape = chosen

    print(f"load limit _ROUND_LOAD = {_native._ROUND_LOAD:g}; walks 80 x 10, window 10, negative 5, d 128")
    print(
        f"{'graph':<26s} {'alpha':>6s} {'sample':>6s} | {'rounds':>6s} {'load':>5s} {'max|Z|':>16s} | "
        f"{'old 8x8':>7s} {'load':>5s} {'max|Z|':>16s} | {'Hogwild max|Z|':>16s}"
    )
    for name, graph in _graphs(args.datasets):
        n = graph.number_of_nodes()
        walks = random_walks(graph, walk_length=80, num_walks=10, random_state=0, n_jobs=args.threads)
        counts = np.bincount(walks[walks >= 0], minlength=n).astype(np.int64)
        n_seen, longest = int(np.count_nonzero(counts)), walks.shape[1]
        for sample in args.samples:
            keep = _keep_thresholds(counts, int(counts.sum()), sample)
            terms = _native.row_load(counts, keep, _negative_weights(counts, 0.75), 10, 5)
            for alpha in args.alphas:
                load = alpha * terms
                shards, size = _native._round_shape(n_seen, longest, 5, 128, load)
                unseen = (shards - 1) * size * longest * load
                old = (8, 8)
                old_unseen = 7 * 8 * longest * load
                kw = dict(alpha=alpha, sample=sample)
                print(
                    f"{name:<26s} {alpha:6g} {sample:6g} | {shards:>4d}x{size:<1d} {unseen:5.1f} "
                    f"{largest(walks, n, **kw):>16s} | {'8x8':>7s} {old_unseen:5.1f} "
                    f"{largest(walks, n, old, **kw):>16s} | {largest(walks, n, deterministic=False, **kw):>16s}",
                    flush=True,
                )
    return 0


def _f1_shapes(args) -> int:
    """BlogCatalog's macro-F1 and training time with the rounds forced to each shape."""
    if not (DATA / "blogcatalog" / "labels.tsv").exists():
        print(f"bench_round_load: {DATA / 'blogcatalog'} not found", file=sys.stderr)
        return 1
    import pandas as pd

    from skgraphemb import evaluate_node_classification, load_edgelist_dir
    from skgraphemb.skipgram import _native, train_skipgram
    from skgraphemb.walks import random_walks

    data = load_edgelist_dir(DATA / "blogcatalog")
    graph = data.graph
    walks = random_walks(graph, walk_length=80, num_walks=10, random_state=0, n_jobs=args.threads)
    train_skipgram(walks[:50], graph.n_nodes, n_jobs=args.threads)  # compile outside the timings
    chosen = _native._round_shape
    shapes = [tuple(int(x) for x in shape.split("x")) for shape in args.f1_shapes] + [None]
    for seed in range(args.repeats):
        for shape in shapes:
            _native._round_shape = (lambda *a, shape=shape: shape) if shape else chosen
            t, c = time.perf_counter(), time.process_time()
            try:
                Z = train_skipgram(walks, graph.n_nodes, seed=seed, n_jobs=args.threads, deterministic=bool(shape))
            finally:
                _native._round_shape = chosen
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            score = evaluate_node_classification(
                pd.DataFrame(Z, index=graph.nodes), data.labels, nodes=data.nodes, cv=5, train_size=0.5,
                random_state=0, n_jobs=args.threads,
            )  # fmt: skip
            name = f"{shape[0]}x{shape[1]}" if shape else "Hogwild"
            print(
                f"seed {seed} {name:>8s}: {wall:6.2f}s wall {cpu:6.2f}s CPU  macro-F1 {score.mean:.4f}  "
                f"micro-F1 {score.micro_mean:.4f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
