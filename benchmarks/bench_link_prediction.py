"""Link prediction AUC of node2vec, SVD, ProNE and FastRP on ego-Facebook and ca-AstroPh.

Protocol (node2vec paper, Sec. 4.4): remove 50% of the edges at random while
keeping the residual graph connected (``split_edges(..., keep_connected=True)``),
draw as many non-edges as negatives, embed the residual graph only, and score
held-out pairs.  Of the removed 50%, 40 points are test edges and 10 points
validation edges (each with as many negatives):

- ``cosine``: ROC AUC of the cosine similarity of the two node embeddings
  (no classifier);
- ``hadamard + LR``: ``LinkPredictionScorer(emb, operator="hadamard")``
  features and a ``LogisticRegression`` fitted on the validation pairs,
  AUC on the test pairs.

Methods: ``Node2VecEmbedder`` at its defaults (d=128, walk_length 80,
num_walks 10, window 10, p=q=1; ``n_jobs=2``, ``random_state=0``) and
``SVDEmbedder(n_components=128, order=2, random_state=0)``, and the
spectral family at its defaults (128 dimensions): ``ProNEEmbedder``,
``FastRPEmbedder`` and ``SpectralPropagation(SVDEmbedder())``.  ``--methods``
picks a subset.

Run::

    python benchmarks/bench_link_prediction.py
    python benchmarks/bench_link_prediction.py --datasets ego-facebook
    python benchmarks/bench_link_prediction.py --methods prone fastrp
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
PAPER = {("ego-facebook", "node2vec", "hadamard + LR"): 0.9680}
#: name -> builder(skgraphemb module, common parameters)
METHODS = {
    "node2vec": lambda sge, common: sge.Node2VecEmbedder(**common),
    "svd": lambda sge, common: sge.SVDEmbedder(n_components=128, order=2, **common),
    "prone": lambda sge, common: sge.ProNEEmbedder(**common),
    "fastrp": lambda sge, common: sge.FastRPEmbedder(**common),
    "svd+propagation": lambda sge, common: sge.SpectralPropagation(sge.SVDEmbedder(), **common),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["ego-facebook", "ca-astroph"])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--methods", nargs="+", default=None, choices=list(METHODS), help="default: all (" + " ".join(METHODS) + ")"
    )
    args = parser.parse_args(argv)

    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    import skgraphemb as sge

    karate = sge.load_karate().graph  # compile every method's kernels before timing anything
    for method in args.methods or list(METHODS):
        est = METHODS[method](sge, dict(random_state=0))
        est.set_params(**{("embedder__" if "embedder" in est.get_params() else "") + "n_components": 8})
        if "walk_length" in est.get_params():
            est.set_params(walk_length=10, num_walks=1)
        est.fit(karate)

    rows = []
    for name in args.datasets:
        path = args.data / name
        if not path.exists():
            print(f"{name}: not found under {args.data}; skipping", file=sys.stderr)
            continue
        graph = sge.load_edgelist_dir(path).graph
        t = time.perf_counter()
        split = sge.split_edges(graph, test_size=0.4, val_size=0.1, keep_connected=True, random_state=args.seed)
        print(
            f"{name}: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges; residual graph "
            f"{split.train_graph.n_edges:,} edges; {len(split.test_pairs):,} test / "
            f"{len(split.val_pairs):,} validation pairs (split {time.perf_counter() - t:.1f}s)",
            flush=True,
        )
        common = dict(graph=split.train_graph, n_jobs=args.n_jobs, random_state=args.seed)
        for method in args.methods or list(METHODS):
            emb = METHODS[method](sge, common)
            t = time.perf_counter()
            scorer = sge.LinkPredictionScorer(emb, operator="hadamard").fit(split.test_pairs)
            fit_s = time.perf_counter() - t
            clf = LogisticRegression(max_iter=1000).fit(scorer.transform(split.val_pairs), split.val_labels)
            auc_lr = roc_auc_score(split.test_labels, clf.decision_function(scorer.transform(split.test_pairs)))
            scorer.operator = "cosine"  # same fitted embedding, similarity score
            auc_cos = roc_auc_score(split.test_labels, np.ravel(scorer.transform(split.test_pairs)))
            for op, auc in (("hadamard + LR", auc_lr), ("cosine", auc_cos)):
                rows.append((name, method, op, auc, fit_s))
                print(f"  {method:<9} {op:<14} AUC {auc:.4f}  fit {fit_s:.1f}s", flush=True)

    print("\n| dataset | method | operator | AUC | fit s | node2vec paper |")
    print("| --- | --- | --- | --: | --: | --: |")
    for name, method, op, auc, fit_s in rows:
        ref = PAPER.get((name, method, op))
        print(f"| {name} | {method} | {op} | {auc:.4f} | {fit_s:.1f} | {'' if ref is None else f'{ref:.4f}'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
