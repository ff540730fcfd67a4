"""Every embedding method on the labelled benchmark graphs: macro/micro-F1 against fit time.

For each dataset (``../shared/data/<name>``: edges + labels) and method, in
one run and one process: fit the embedder (2 threads, integer seed), time
it, and score it with :func:`skgraphemb.evaluate_node_classification` (50%
of the nodes labelled, one-vs-rest logistic regression predicting each test
node's top-k labels for multi-label data, 5 random splits).  Every method's
kernels are compiled on a small graph first, so no fit pays numba's
compilation.  Prints one table per dataset with the ratios the spectral
issue asks for (ProNE and FastRP fit time over node2vec's, macro-F1
differences, SpectralPropagation's lift over SVD), writes the rows to a
JSON file, and draws macro-F1 against fit time (log scale) into a PNG.

Run::

    python benchmarks/bench_methods.py                                  # blogcatalog
    python benchmarks/bench_methods.py --datasets blogcatalog cora ppi wikipedia-pos \\
        --json benchmarks/methods.json --plot docs/_static/methods.png
    python benchmarks/bench_methods.py --methods prone fastrp --repeats 3
    python benchmarks/bench_methods.py --from-json benchmarks/results/methods.json --plot docs/_static/methods.png
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _machine import describe_machine  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data"


def _methods(threads: int, seed: int) -> dict:
    import skgraphemb as sge

    common = dict(random_state=seed, n_jobs=threads)
    methods = {
        "node2vec": lambda: sge.Node2VecEmbedder(**common),
        "svd": lambda: sge.SVDEmbedder(**common),
        "prone": lambda: sge.ProNEEmbedder(**common),
        "fastrp": lambda: sge.FastRPEmbedder(**common),
        "svd+propagation": lambda: sge.SpectralPropagation(sge.SVDEmbedder(n_jobs=threads), **common),
        "node2vec+propagation": lambda: sge.SpectralPropagation(sge.Node2VecEmbedder(n_jobs=threads), **common),
    }
    from skgraphemb._optional import is_available

    if is_available("torch") and is_available("torch_geometric"):
        methods["graphsage"] = lambda: sge.GraphSAGEEmbedder(device="cpu", **common)
    return methods


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["blogcatalog"])
    parser.add_argument("--methods", nargs="+", default=None, help="default: all")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="fits per method (time: min and median)")
    parser.add_argument(
        "--repeat-below", type=float, default=30.0, help="repeat only fits faster than this many seconds"
    )
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--from-json", type=Path, default=None, help="draw --plot from the rows of an earlier --json")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        if args.plot is None:
            parser.error("--from-json needs --plot")
        _plot(json.loads(args.from_json.read_text())["rows"], args.plot)
        return 0

    import networkx as nx
    import numpy as np

    import skgraphemb as sge
    from skgraphemb.datasets import load_edgelist_dir

    print(describe_machine())
    methods = _methods(args.threads, args.seed)
    names = args.methods or list(methods)
    unknown = set(names) - set(methods)
    if unknown:
        print(f"unknown methods {sorted(unknown)}; choose from {list(methods)}", file=sys.stderr)
        return 2
    warm = sge.as_graph(nx.barabasi_albert_graph(300, 3, seed=0))
    for name in names:  # compile every kernel before timing anything
        methods[name]().set_params(**_small(name)).fit(warm)

    rows = []
    for dataset in args.datasets:
        folder = DATA / dataset
        if not folder.exists():
            print(f"{folder} does not exist: see ../shared/data/README.md", file=sys.stderr)
            return 2
        data = load_edgelist_dir(folder)
        graph = sge.as_graph(data.graph)
        print(
            f"\n{dataset}: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges; {args.threads} threads, "
            f"50% labelled, {args.splits} splits"
        )
        print(f"{'method':<22} {'fit s (min/med)':>16} {'macro-F1':>16} {'micro-F1':>16}")
        for name in names:
            times, est = [], None
            for _ in range(args.repeats):
                est = methods[name]()
                t0 = time.perf_counter()
                est.fit(graph)
                times.append(time.perf_counter() - t0)
                if times[0] > args.repeat_below:  # a slow fit is timed once
                    break
            score = sge.evaluate_node_classification(
                est, data.labels, nodes=data.nodes, cv=args.splits, train_size=0.5, random_state=args.seed
            )
            row = {
                "dataset": dataset,
                "method": name,
                "fit_min_s": min(times),
                "fit_median_s": float(np.median(times)),
                "fits": len(times),
                "macro_f1": score.mean,
                "macro_f1_std": score.std,
                "micro_f1": score.micro_mean,
                "micro_f1_std": score.micro_std,
            }
            rows.append(row)
            print(
                f"{name:<22} {min(times):7.2f} / {np.median(times):6.2f} "
                f"{score.mean:9.4f} ± {score.std:.4f} {score.micro_mean:9.4f} ± {score.micro_std:.4f}",
                flush=True,
            )
        _ratios([r for r in rows if r["dataset"] == dataset])
    if args.json:
        args.json.write_text(json.dumps({"machine": describe_machine(), "rows": rows}, indent=1))
    if args.plot:
        _plot(rows, args.plot)
    return 0


def _small(name: str) -> dict:
    if "node2vec" in name and "propagation" not in name:
        return dict(n_components=8, walk_length=10, num_walks=1)
    if name == "graphsage":
        return dict(n_components=8, epochs=1)
    if "propagation" in name:
        return dict(order=3)
    return dict(n_components=8)


def _ratios(rows: list) -> None:
    by = {r["method"]: r for r in rows}
    base = by.get("node2vec")
    if base:
        for name in ("prone", "fastrp"):
            if name in by:
                r = by[name]
                print(
                    f"  {name}: fit time {r['fit_min_s'] / base['fit_min_s']:.3f} x node2vec's, "
                    f"macro-F1 {r['macro_f1'] - base['macro_f1']:+.4f}"
                )
    if "svd" in by and "svd+propagation" in by:
        print(
            "  SpectralPropagation lifts SVD's macro-F1 by "
            f"{by['svd+propagation']['macro_f1'] - by['svd']['macro_f1']:+.4f}"
        )


def _plot(rows: list, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(r["dataset"] for r in rows))  # in the order measured
    cols = min(2, len(datasets))
    nrows = -(-len(datasets) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(5.5 * cols, 4 * nrows), squeeze=False)
    for ax in axes.flat[len(datasets) :]:
        ax.set_visible(False)
    for ax, dataset in zip(axes.flat, datasets):
        for r in (r for r in rows if r["dataset"] == dataset):
            ax.scatter(r["fit_min_s"], r["macro_f1"], s=40)
            ax.annotate(
                r["method"], (r["fit_min_s"], r["macro_f1"]), textcoords="offset points", xytext=(4, 4), fontsize=8
            )
        ax.set_xscale("log")
        ax.set_xlabel("fit time (s, log scale)")
        ax.set_ylabel("macro-F1 (50% labelled)")
        ax.set_title(dataset)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"chart written to {path}")


if __name__ == "__main__":
    raise SystemExit(main())
