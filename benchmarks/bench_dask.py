"""A p/q grid search on a Dask cluster against the same search run serially.

``GridSearchCV(Pipeline([Node2VecEmbedder(graph=G, memory=cache), OneVsRest(LogisticRegression)]))``
over a 3 x 3 p/q grid with 5 folds on BlogCatalog (multi-label, macro-F1),
once with ``n_jobs=1`` and once under ``joblib.parallel_config(backend="dask")``
on a ``LocalCluster`` of 2 worker processes x 1 thread, in one run.  Each fit
uses one thread (``n_jobs=1``), so both runs give bitwise the same
embeddings.  The graph is saved once and opened memory-mapped, so the tasks
carry a reference to it; the cache folder is shared by the workers, and its
lock makes each candidate's embedding computed once.

Reports: both runs' scores (equal), the embeddings computed (cache entries
written), and the time ratio.

Run::

    python benchmarks/bench_dask.py                         # ../shared/data/blogcatalog
    python benchmarks/bench_dask.py --data ../shared/data/cora --folds 3
    python benchmarks/bench_dask.py --num-walks 2 --quick   # a smoke run
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _machine import describe_machine  # noqa: E402


def _count_entries(cache: Path) -> int:
    """Embeddings computed: joblib cache entries of the embedder's pure step."""
    return sum(1 for p in cache.rglob("output.pkl"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "blogcatalog")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--grid", type=float, nargs="+", default=[0.5, 1.0, 2.0], help="values of p and of q")
    parser.add_argument("--dimensions", type=int, default=128)
    parser.add_argument("--walk-length", type=int, default=80)
    parser.add_argument("--num-walks", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if not (args.data / "labels.tsv").exists():
        print(
            f"no labelled graph in {args.data} (edges.tsv[.gz] + labels.tsv): see ../shared/data/README.md",
            file=sys.stderr,
        )
        return 2
    import joblib
    from distributed import Client, LocalCluster
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MultiLabelBinarizer

    import skgraphemb as sge

    print(describe_machine())
    data = sge.load_edgelist_dir(args.data)
    labels = data.labels
    multilabel = not isinstance(labels, np.ndarray)
    y = MultiLabelBinarizer().fit_transform(labels) if multilabel else labels
    clf = LogisticRegression(max_iter=1000)
    clf = OneVsRestClassifier(clf) if multilabel else clf
    grid = {"n2v__p": args.grid, "n2v__q": args.grid}
    n_candidates = len(args.grid) ** 2
    print(
        f"{args.data.name}: {data.graph}, {n_candidates} candidates x {args.folds} folds; "
        f"node2vec d={args.dimensions}, walk_length={args.walk_length}, num_walks={args.num_walks}"
    )

    with tempfile.TemporaryDirectory(prefix="skgraphemb-bench-dask-") as tmp:
        tmp = Path(tmp)
        data.graph.save(tmp / "graph.skgraph")
        graph = sge.load_graph(tmp / "graph.skgraph")

        def search(cache: Path):
            emb = sge.Node2VecEmbedder(
                graph=graph,
                n_components=args.dimensions,
                walk_length=args.walk_length,
                num_walks=args.num_walks,
                random_state=args.seed,
                n_jobs=1,
                memory=str(cache),
            )
            return GridSearchCV(
                Pipeline([("n2v", emb), ("clf", clf)]),
                grid,
                scoring=make_scorer(f1_score, average="macro", zero_division=0),
                cv=KFold(args.folds, shuffle=True, random_state=args.seed),
                error_score="raise",
                n_jobs=-1,
            )

        results = {}
        start = time.perf_counter()
        serial = search(tmp / "cache-serial")
        serial.set_params(n_jobs=1).fit(data.nodes, y)
        results["serial"] = (time.perf_counter() - start, serial, _count_entries(tmp / "cache-serial"))

        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster),
        ):
            up = time.perf_counter() - start
            with joblib.parallel_config(backend="dask"):
                on_dask = search(tmp / "cache-dask").fit(data.nodes, y)
        results["dask"] = (time.perf_counter() - start, on_dask, _count_entries(tmp / "cache-dask"))

    print(f"{'run':<8} {'seconds':>8} {'embeddings':>10} {'best (p, q)':>12} {'best macro-F1':>14}")
    for name, (seconds, s, entries) in results.items():
        best = (s.best_params_["n2v__p"], s.best_params_["n2v__q"])
        print(f"{name:<8} {seconds:8.1f} {entries:10d} {str(best):>12} {s.best_score_:14.4f}")
    same = all(
        np.array_equal(
            results["serial"][1].cv_results_[f"split{k}_test_score"],
            results["dask"][1].cv_results_[f"split{k}_test_score"],
        )
        for k in range(args.folds)
    )
    print(
        f"fold scores equal: {same}; dask / serial time: {results['dask'][0] / results['serial'][0]:.2f} "
        f"({args.workers} workers x 1 thread; cluster start-up {up:.1f} s included)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
