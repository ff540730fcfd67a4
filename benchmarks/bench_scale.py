"""Scale run: node2vec on a generated 1M-node / 10M-edge graph.

Generates (and caches) a Chung-Lu power-law graph with ``gen_graph.py``,
then fits ``Node2VecEmbedder`` at the PecanPy-paper settings (dimensions 128,
walk_length 80, num_walks 10, window 10, 1 epoch) in a fresh child process,
and reports the time of each stage and the child's peak resident memory
(``ru_maxrss``), which must stay within this machine's 24 GB.

Run::

    python benchmarks/bench_scale.py                       # 1M nodes, 10M edges, p=1 q=1
    python benchmarks/bench_scale.py --p 1 --q 0.5
    python benchmarks/bench_scale.py --nodes 100000 --edges 1000000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(args) -> dict:
    """Runs in the measured child process."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    from gen_graph import load_or_generate

    import skgraphemb as sge

    t0 = time.perf_counter()
    edges = load_or_generate(args.cache, args.nodes, args.edges, seed=args.seed)
    t1 = time.perf_counter()
    graph = sge.as_graph(edges)
    del edges
    t2 = time.perf_counter()
    emb = sge.Node2VecEmbedder(
        dimensions=args.dimensions, walk_length=args.walk_length, num_walks=args.num_walks,
        p=args.p, q=args.q, window=args.window, n_jobs=args.threads, random_state=args.seed,
        verbose=args.verbose,
    ).fit(graph)
    t3 = time.perf_counter()
    tokens = int(args.num_walks) * graph.n_nodes * args.walk_length
    return {
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "load_or_generate_s": t1 - t0,
        "as_graph_s": t2 - t1,
        "walk_s": emb.walk_time_,
        "train_s": emb.train_time_,
        "fit_s": t3 - t2,
        "walk_steps_per_s": tokens / max(emb.walk_time_, 1e-9),
        "train_tokens_per_s": tokens / max(emb.train_time_, 1e-9),
        "finite": bool(np.isfinite(emb.embedding_).all()),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--p", type=float, default=1.0)
    parser.add_argument("--q", type=float, default=1.0)
    parser.add_argument("--dimensions", type=int, default=128)
    parser.add_argument("--walk-length", type=int, default=80)
    parser.add_argument("--num-walks", type=int, default=10)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "skgraphemb-bench-graphs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args)))
        return 0
    print(f"scale run: {args.nodes:,} nodes, {args.edges:,} edges, p={args.p:g} q={args.q:g}, "
          f"{args.threads} threads (graph cached in {args.cache})", flush=True)
    cmd = [sys.executable, __file__, "--child", *(argv if argv is not None else sys.argv[1:])]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return out.returncode
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"graph: {r['nodes']:,} nodes, {r['edges']:,} edges")
    for key in ("load_or_generate_s", "as_graph_s", "walk_s", "train_s", "fit_s"):
        print(f"  {key:<20} {r[key]:9.1f}")
    print(f"  walk steps/s         {r['walk_steps_per_s'] / 1e6:9.1f} M")
    print(f"  train tokens/s       {r['train_tokens_per_s'] / 1e6:9.2f} M")
    print(f"  peak RSS             {r['peak_rss_gb']:9.2f} GB (machine: 24 GB)")
    print(f"  child wall time      {wall:9.1f} s; embedding finite: {r['finite']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
