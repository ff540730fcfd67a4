"""node2vec on torch against the CPU engines: quality parity and speed.

One table of contenders, each a ``Node2VecEmbedder`` configuration fitted on
the same graph with the same settings (dimensions 128, walk_length 80,
num_walks 10, window 10, one epoch; every other parameter at its default):

- ``numba``: numba walks + numba skip-gram (the CPU default);
- ``gensim``: numba walks + gensim ``Word2Vec`` (``trainer="gensim"``), the
  reference implementation;
- ``torch-cpu``: torch walks + torch skip-gram on the CPU
  (``backend="torch", device="cpu"``);
- ``torch-cuda``: the same on a GPU (``device="cuda"``; with ``--device
  cuda`` only);
- ``torch-cuda-atomic``: the same with ``deterministic=False``: each step's
  updates summed with atomic additions instead of in a fixed order.

Each contender is fitted ``--repeats`` times with seeds 0, 1, ... and scored
by node classification (``evaluate_node_classification(train_size=0.5,
cv=5)``: one-vs-rest logistic regression, 5 random 50% splits, top-k
prediction: the DeepWalk / node2vec protocol).  The table shows the median
fit, walk and training times, and the mean macro-/micro-F1 with the standard
deviation over seeds; ``dF1 vs gensim`` is the difference of mean macro-F1.

A second table times the walk engines alone (``random_walks``, once to warm
up and then ``--repeats`` times) in millions of steps per second.

Run from the repository root::

    python benchmarks/bench_node2vec_torch.py --data ../shared/data/blogcatalog
    python benchmarks/bench_node2vec_torch.py --device cuda --repeats 3           # on a GPU machine
    python benchmarks/bench_node2vec_torch.py --gen-nodes 1000000 --gen-edges 10000000 \\
        --device cuda --contenders torch-cuda --no-eval                           # the 1M-node graph

``--gen-nodes/--gen-edges`` embed a Chung-Lu graph from ``gen_graph.py``
(cached under ``--cache``) instead of ``--data``; it has no labels, so only
times are reported.  ``--max-batch`` overrides the torch trainer's largest
batch (``skgraphemb.skipgram._torch.TORCH_BATCH_SIZE``) for batch-size studies on
a GPU.  Everything runs in this one process, contenders one after another.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _machine import describe_machine  # sibling module (benchmarks/ is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "blogcatalog"
SETTINGS = dict(n_components=128, walk_length=80, num_walks=10, window=10, epochs=1)

#: name -> (Node2VecEmbedder parameters, needs a GPU)
CONTENDERS = {
    "numba": (dict(backend="numba", trainer="native"), False),
    "gensim": (dict(backend="numba", trainer="gensim"), False),
    "torch-cpu": (dict(backend="torch", trainer="torch", device="cpu"), False),
    "torch-cuda": (dict(backend="torch", trainer="torch", device="cuda"), True),
    "torch-cuda-atomic": (dict(backend="torch", trainer="torch", device="cuda", deterministic=False), True),
}
#: walk engine -> random_walks arguments
WALK_ENGINES = {
    "numba": (dict(backend="numba"), False),
    "torch-cpu": (dict(backend="torch", device="cpu"), False),
    "torch-cuda": (dict(backend="torch", device="cuda"), True),
}


def load_graph(args):
    """(graph, labelled node positions, labels) of ``--data`` or a generated graph."""
    from skgraphemb import as_graph
    from skgraphemb.datasets import load_edgelist_dir

    if args.gen_nodes:
        from gen_graph import load_or_generate

        edges = load_or_generate(args.cache, args.gen_nodes, args.gen_edges)
        return as_graph(edges), None, None, f"Chung-Lu {args.gen_nodes} nodes"
    if not args.data.is_dir():
        sys.exit(
            f"bench_node2vec_torch: no dataset folder at {args.data} (expected the "
            "../shared/data/<name>/ format); pass --data DIR or --gen-nodes N --gen-edges M"
        )
    data = load_edgelist_dir(args.data)
    if data.labels is None:
        return data.graph, None, None, data.name
    return data.graph, data.graph.positions(data.nodes), data.labels, data.name


def synchronize():
    """Wait for queued GPU work, so that times include it."""
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def run_contender(name, params, graph, rows, labels, args, seed):
    from skgraphemb import Node2VecEmbedder, evaluate_node_classification

    est = Node2VecEmbedder(**SETTINGS, **params, p=args.p, q=args.q, n_jobs=args.threads, random_state=seed)
    synchronize()
    t0 = time.perf_counter()
    est.fit(graph)
    synchronize()
    run = {
        "name": name,
        "seed": seed,
        "fit": time.perf_counter() - t0,
        "walks": est.walk_time_,
        "train": est.train_time_,
        "device": est.device_,
        "loadavg": os.getloadavg()[0],
    }
    # Walk positions trained on (walks cut short by a dead end count in full).
    run["mtokens_per_s"] = est.n_walks_ * SETTINGS["walk_length"] / run["train"] / 1e6
    if rows is not None and not args.no_eval:
        score = evaluate_node_classification(
            est.embedding_[rows], labels, cv=5, train_size=0.5, random_state=0, n_jobs=args.threads
        )
        run.update(macro=score.mean, micro=score.micro_mean)
    print(
        f"  {name} seed {seed}: fit {run['fit']:.1f}s (walks {run['walks']:.1f}s, train {run['train']:.1f}s, "
        f"{run['mtokens_per_s']:.2f} M tokens/s) "
        f"on {run['device']}, macro-F1 {run.get('macro', float('nan')):.4f}, load {run['loadavg']:.1f}",
        flush=True,
    )
    return run


def summarise(runs):
    row = {"name": runs[0]["name"], "device": runs[0]["device"], "runs": len(runs)}
    for key in ("fit", "walks", "train"):
        row[key] = statistics.median(r[key] for r in runs)
    for key in ("macro", "micro"):
        vals = [r[key] for r in runs if key in r]
        if vals:
            row[key] = float(np.mean(vals))
            row[key + "_std"] = float(np.std(vals))
    return row


def time_walks(name, kwargs, graph, args):
    from skgraphemb.walks import random_walks

    call = dict(
        walk_length=SETTINGS["walk_length"],
        num_walks=SETTINGS["num_walks"],
        p=args.p,
        q=args.q,
        n_jobs=args.threads,
        random_state=0,
        **kwargs,
    )
    walks = random_walks(graph, **call)  # warm-up: compilation, CUDA context
    steps = int((walks[:, 1:] >= 0).sum())
    times = []
    for _ in range(args.repeats):
        synchronize()
        t0 = time.perf_counter()
        random_walks(graph, **call)
        synchronize()
        times.append(time.perf_counter() - t0)
    best, median = min(times), statistics.median(times)
    return {
        "name": name,
        "min": best,
        "median": median,
        "steps": steps,
        "msteps_min": steps / best / 1e6,
        "msteps_median": steps / median / 1e6,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset folder (edges.tsv[.gz], labels.tsv)")
    parser.add_argument("--gen-nodes", type=int, default=0, help="embed a generated Chung-Lu graph instead")
    parser.add_argument("--gen-edges", type=int, default=10_000_000)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/skgraphemb-graphs"))
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="cuda adds the GPU contenders")
    parser.add_argument("--contenders", nargs="+", choices=sorted(CONTENDERS), help="default: all for --device")
    parser.add_argument(
        "--num-walks", type=int, default=SETTINGS["num_walks"], help="walks per node (fewer: a quicker throughput run)"
    )
    parser.add_argument("--p", type=float, default=1.0)
    parser.add_argument("--q", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=1, help="seeds per contender; timed walk runs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-eval", action="store_true", help="times only")
    parser.add_argument("--no-walks", action="store_true", help="skip the walk-throughput table")
    parser.add_argument(
        "--walk-engines",
        nargs="+",
        choices=sorted(WALK_ENGINES),
        help="walk-throughput table (default: all for --device)",
    )
    parser.add_argument("--no-fit", action="store_true", help="only the walk-throughput table")
    parser.add_argument("--max-batch", type=int, help="torch trainer's largest batch (centres per step)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    if args.max_batch:
        import skgraphemb.skipgram._torch as sg

        sg.TORCH_BATCH_SIZE = args.max_batch
    SETTINGS["num_walks"] = args.num_walks
    gpu = args.device == "cuda"
    names = args.contenders or [n for n, (_, needs_gpu) in CONTENDERS.items() if gpu or not needs_gpu]
    graph, rows, labels, title = load_graph(args)
    print(
        f"{title}: {graph.n_nodes} nodes, {graph.n_edges} edges; {SETTINGS}, p={args.p:g}, q={args.q:g}, "
        f"threads={args.threads}, repeats={args.repeats}; {describe_machine()}",
        flush=True,
    )

    rows_out = []
    for name in [] if args.no_fit else names:
        params, _ = CONTENDERS[name]
        runs = [run_contender(name, params, graph, rows, labels, args, seed) for seed in range(args.repeats)]
        rows_out.append(summarise(runs))
    ref = next((r for r in rows_out if r["name"] == "gensim" and "macro" in r), None)
    print()
    if rows_out:
        print(
            f"{'contender':<18}{'device':<8}{'fit s':>8}{'walks s':>9}{'train s':>9}{'macro-F1':>18}"
            f"{'micro-F1':>10}{'dF1 vs gensim':>15}"
        )
    for r in rows_out:
        macro = f"{r['macro']:.4f} ± {r['macro_std']:.4f}" if "macro" in r else "-"
        micro = f"{r['micro']:.4f}" if "micro" in r else "-"
        delta = f"{r['macro'] - ref['macro']:+.4f}" if ref and "macro" in r else "-"
        print(
            f"{r['name']:<18}{r['device']:<8}{r['fit']:>8.1f}{r['walks']:>9.1f}{r['train']:>9.1f}"
            f"{macro:>18}{micro:>10}{delta:>15}"
        )

    walk_rows = []
    if not args.no_walks:
        engines = args.walk_engines or [n for n, (_, needs_gpu) in WALK_ENGINES.items() if gpu or not needs_gpu]
        walk_rows = [time_walks(n, WALK_ENGINES[n][0], graph, args) for n in engines]
        print()
        print(f"{'walk engine':<12}{'min s':>8}{'median s':>10}{'M steps/s (min / median)':>28}")
        for r in walk_rows:
            rate = f"{r['msteps_min']:.1f} / {r['msteps_median']:.1f}"
            print(f"{r['name']:<12}{r['min']:>8.2f}{r['median']:>10.2f}{rate:>28}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "settings": SETTINGS,
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "fits": rows_out,
                    "walks": walk_rows,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
