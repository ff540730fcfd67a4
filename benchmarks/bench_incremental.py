"""Updating node embeddings after the graph changes: retrain vs warm start.

The update: 1% of the nodes (with all their edges) and 5% of the remaining
edges are held out of the graph; an embedder is fitted on what is left (the
"old" graph); then the held-out nodes and edges come back (the "new" graph,
i.e. the whole dataset) and each contender produces an embedding of it:

- ``retrain``: a fresh ``Node2VecEmbedder`` fitted on the new graph from
  scratch (another seed), the baseline;
- ``warm, changed``: the old embedder, ``warm_start=True``, refitted on the
  new graph, walking only from the nodes whose neighbourhood changed
  (``warm_start_walks="changed"``);
- ``warm, all``: the same, walking from every node;
- ``warm, changed, r=<n>``: changed-node walks with fewer walks per node
  (``set_params(num_walks=n)`` before the update), the cheap variant;
- ``warm, changed, low lr``: changed-node walks at a lower learning rate,
  ``set_params(alpha=0.0125, min_alpha=0.0001)`` (half the first fit's
  initial rate, decayed nearly to zero: the docs' recommendation);
- ``graphsage, inductive``: a ``GraphSAGEEmbedder`` fitted on the old graph
  (the dataset's node features when it has them, as Cora; otherwise the
  structural fallback, as BlogCatalog; its fit is the "old fit" of this way
  and is not timed) embeds the new graph with ``transform``, no retraining.
  Its disparities are measured against its own old embedding.

Each contender is a function in ``CONTENDERS`` taking the fitted old
embedder and both graphs and returning an object with ``embedding_`` and
``nodes_`` (a fitted embedder, or an :class:`_Embedding` table), so that
further ways to update are one entry more.

Measured for each: the update's wall time (the old fit excluded), walks
generated, macro-/micro-F1 over all labelled nodes (node2vec protocol: 50%
labelled, 5 splits, top-k), macro-/micro-F1 of the *new* nodes alone (a
classifier trained on the old labelled nodes' vectors, scored on the new
nodes': how usable the new nodes' vectors are next to the old ones), and
the Procrustes disparity of the new embedding against the old one on the
nodes both have, before and after ``ProcrustesAligner`` (residual sum of
squares over the old embedding's, both centred): how far coordinates moved.

Run from the repository root::

    python benchmarks/bench_incremental.py --data ../shared/data/blogcatalog
    python benchmarks/bench_incremental.py --repeats 3 --contenders retrain "warm, changed"
"""

from __future__ import annotations

import argparse
import copy
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

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "blogcatalog"
SETTINGS = dict(n_components=128, walk_length=80, num_walks=10, window=10, epochs=1)


# ---------------------------------------------------------------------------
# The update
# ---------------------------------------------------------------------------


def make_update(graph, node_share, edge_share, seed):
    """(old graph, new graph, held-out node ids) of one simulated update.

    ``node_share`` of the nodes are removed with their edges, then
    ``edge_share`` of the remaining edges; the new graph is ``graph``.
    Nodes of the old graph that lose all their edges stay in it, isolated;
    node features, if any, stay with their nodes.
    """
    from skgraphemb import as_graph

    rng = np.random.default_rng(seed)
    A = graph.to_scipy().tocoo()
    upper = A.row <= A.col  # each undirected edge once
    src, dst = graph.nodes[A.row[upper]], graph.nodes[A.col[upper]]
    held_nodes = rng.choice(graph.nodes, size=max(1, round(node_share * graph.n_nodes)), replace=False)
    held = np.isin(src, held_nodes) | np.isin(dst, held_nodes)
    rest = np.flatnonzero(~held)
    dropped = rng.choice(rest, size=round(edge_share * len(rest)), replace=False)
    keep = np.ones(len(src), dtype=bool)
    keep[held] = False
    keep[dropped] = False
    kept_rows = ~np.isin(graph.nodes, held_nodes)
    old_nodes = graph.nodes[kept_rows]
    features = None if graph.features is None else graph.features[kept_rows]
    old = as_graph(np.c_[src[keep], dst[keep]], nodes=old_nodes, features=features)
    return old, graph, held_nodes, int(keep.sum()), int(len(dropped))


# ---------------------------------------------------------------------------
# Contenders: (old fitted embedder, old graph, new graph) -> fitted embedder
# ---------------------------------------------------------------------------


def retrain(old_est, old_graph, new_graph, seed):
    from skgraphemb import Node2VecEmbedder

    params = {**old_est.get_params(), "warm_start": False, "random_state": seed + 1000}
    return Node2VecEmbedder(**params).fit(new_graph)


def warm(walks_from, **params):
    """Warm start from a copy of the old embedder, with ``params`` changed."""

    def update(old_est, old_graph, new_graph, seed):
        est = copy.deepcopy(old_est)  # keep the old one for the other contenders
        est.set_params(warm_start=True, warm_start_walks=walks_from, **params)
        return est.fit(new_graph)

    return update


class _Embedding:
    """A fitted-embedder look-alike around a computed table, for the measures.

    ``old_frame_`` is the embedding the disparities are measured against
    when it is not the old node2vec embedding; ``probe_C_`` the inverse
    regularisation of the logistic-regression probes when it is not 1.
    """

    def __init__(self, frame, old_frame=None, probe_C=1.0):
        from skgraphemb.graph import NodeIndex

        self.embedding_ = frame.to_numpy(np.float32)
        self.nodes_ = frame.index.to_numpy()
        self.old_frame_ = old_frame
        self.probe_C_ = probe_C
        self._index = NodeIndex(self.nodes_)

    def _node_index(self):
        return self._index


#: GraphSAGE settings (the GraphSAGE docs' for BlogCatalog; "auto" uses the
#: graph's node features when it has them, else the structural fallback).
SAGE_SETTINGS = dict(feature_source="auto", n_anchors=256, epochs=2, walk_length=3, batch_size=1024)


def graphsage_inductive(old_est, old_graph, new_graph, seed):
    """Fit GraphSAGE on the old graph (untimed), then time ``transform(new graph)``."""
    from skgraphemb import GraphSAGEEmbedder

    t0 = time.perf_counter()
    sage = GraphSAGEEmbedder(**SAGE_SETTINGS, device="cpu", n_jobs=1, random_state=seed)
    sage.set_output(transform="pandas").fit(old_graph)
    old_frame = sage.transform(old_graph)
    elapsed = time.perf_counter() - t0
    print(f"  graphsage old fit (not counted): {elapsed:.1f}s", flush=True)
    _UNTIMED.append(elapsed)
    # C=10: GraphSAGE's vectors have unit length, which C=1 over-regularises
    # (GraphSAGE docs: BlogCatalog macro-F1 0.157 at C=1, 0.188 at C=10).
    return _Embedding(sage.transform(new_graph), old_frame=old_frame, probe_C=10.0)


#: Seconds a contender spent on work that is not the update (subtracted).
_UNTIMED: list[float] = []

CONTENDERS = {
    "retrain": retrain,
    "warm, changed": warm("changed"),
    "warm, all": warm("all"),
    "warm, changed, r=3": warm("changed", num_walks=3),
    "warm, changed, low lr": warm("changed", alpha=0.0125, min_alpha=0.0001),
    "graphsage, inductive": graphsage_inductive,
}


# ---------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------


def frame(est):
    import pandas as pd

    return pd.DataFrame(est.embedding_, index=est.nodes_)


def disparities(old, new):
    """Procrustes disparity of ``new`` against ``old`` on shared ids: before
    (identity map, both centred) and after ``ProcrustesAligner``."""
    from skgraphemb import ProcrustesAligner

    shared = old.index.intersection(new.index)
    R = old.loc[shared].to_numpy(np.float64)
    X = new.loc[shared].to_numpy(np.float64)
    Rc, Xc = R - R.mean(axis=0), X - X.mean(axis=0)
    before = float(np.sum((Xc - Rc) ** 2) / np.sum(Rc**2))
    after = ProcrustesAligner(reference=old).fit(new).disparity_
    return before, after


class _OneSplit:
    """A splitter with one split: train on ``train``, test on ``test``."""

    def __init__(self, train, test):
        self.train, self.test = train, test

    def split(self, X, Y):
        yield self.train, self.test


def new_node_scores(est, labelled_nodes, labels, held_nodes, n_jobs, C=1.0):
    """Macro/micro-F1 on the held-out nodes of a classifier trained on the others."""
    from sklearn.preprocessing import MultiLabelBinarizer
    from threadpoolctl import threadpool_limits

    from skgraphemb.evaluation import _cross_validate

    rows = est._node_index().positions(labelled_nodes)
    X = est.embedding_[rows]
    Y = MultiLabelBinarizer().fit_transform([v if isinstance(v, (list, tuple)) else (v,) for v in labels])
    is_new = np.isin(labelled_nodes, held_nodes)
    split = _OneSplit(np.flatnonzero(~is_new), np.flatnonzero(is_new))
    with threadpool_limits(limits=1, user_api="blas"):
        macro, micro = _cross_validate(X, Y, split, True, C, n_jobs)
    return macro[0], micro[0], int(is_new.sum())


def main(argv=None):
    from skgraphemb import Node2VecEmbedder, evaluate_node_classification
    from skgraphemb.datasets import load_edgelist_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset folder (edges.tsv[.gz], labels.tsv)")
    parser.add_argument("--contenders", nargs="+", choices=sorted(CONTENDERS), default=list(CONTENDERS))
    parser.add_argument("--node-share", type=float, default=0.01, help="share of nodes held out (default 1%%)")
    parser.add_argument("--edge-share", type=float, default=0.05, help="share of remaining edges held out (5%%)")
    parser.add_argument("--repeats", type=int, default=1, help="updates (seeds) to average over")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--p", type=float, default=1.0)
    parser.add_argument("--q", type=float, default=1.0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        sys.exit(f"bench_incremental: no dataset folder at {args.data}; pass --data DIR (../shared/data/<name>)")

    data = load_edgelist_dir(args.data)
    graph = data.graph
    print(
        f"{data.name}: {graph.n_nodes} nodes, {graph.n_edges} edges; update: {args.node_share:.0%} nodes, "
        f"{args.edge_share:.0%} edges; {SETTINGS}, p={args.p:g}, q={args.q:g}, threads={args.threads}, "
        f"{describe_machine()}",
        flush=True,
    )
    runs = []
    for rep in range(args.repeats):
        old_graph, new_graph, held, n_old_edges, n_dropped = make_update(
            graph, args.node_share, args.edge_share, seed=rep
        )
        print(
            f" update {rep}: old graph {old_graph.n_nodes} nodes, {n_old_edges} edges; "
            f"{len(held)} new nodes, {n_dropped} edges added between old nodes",
            flush=True,
        )
        old_est = Node2VecEmbedder(
            **SETTINGS, p=args.p, q=args.q, n_jobs=args.threads, random_state=rep, warm_start=True
        )
        t0 = time.perf_counter()
        old_est.fit(old_graph)
        print(f"  old fit: {time.perf_counter() - t0:.1f}s", flush=True)
        old_frame = frame(old_est)
        for name in args.contenders:
            _UNTIMED.clear()
            t0 = time.perf_counter()
            est = CONTENDERS[name](old_est, old_graph, new_graph, rep)
            elapsed = time.perf_counter() - t0 - sum(_UNTIMED)
            C = getattr(est, "probe_C_", 1.0)
            score = evaluate_node_classification(
                est, data.labels, nodes=data.nodes, cv=5, train_size=0.5, random_state=0, n_jobs=args.threads, C=C
            )
            new_macro, new_micro, n_new = new_node_scores(est, data.nodes, data.labels, held, args.threads, C=C)
            reference = getattr(est, "old_frame_", None)
            before, after = disparities(old_frame if reference is None else reference, frame(est))
            run = {
                "name": name,
                "repeat": rep,
                "time": elapsed,
                "walks": getattr(est, "n_walks_", None),
                "macro": score.mean,
                "micro": score.micro_mean,
                "new_macro": new_macro,
                "new_micro": new_micro,
                "n_new_labelled": n_new,
                "disparity_before": before,
                "disparity_after": after,
                "loadavg": os.getloadavg()[0],
            }
            runs.append(run)
            print(
                f"  {name}: {elapsed:.1f}s, {run['walks']} walks, macro-F1 {score.mean:.4f}, new nodes "
                f"{new_macro:.4f}, disparity {before:.3f} -> {after:.3f}, load {run['loadavg']:.1f}",
                flush=True,
            )

    print()
    print(
        f"{'contender':<22}{'time s':>8}{'x retrain':>10}{'walks':>9}{'macro-F1':>10}{'micro-F1':>10}"
        f"{'new macro':>11}{'new micro':>11}{'disp. before':>14}{'disp. after':>13}"
    )
    rows = []
    for name in args.contenders:
        mine = [r for r in runs if r["name"] == name]
        row = {"name": name, "time": statistics.median(r["time"] for r in mine)}
        for key in ("walks", "macro", "micro", "new_macro", "new_micro", "disparity_before", "disparity_after"):
            vals = [r[key] for r in mine if r[key] is not None]
            row[key] = float(np.mean(vals)) if vals else None
        rows.append(row)
    base = next((r["time"] for r in rows if r["name"] == "retrain"), None)
    for r in rows:
        ratio = f"{r['time'] / base:.2f}" if base else "-"
        walks = f"{r['walks']:.0f}" if r["walks"] is not None else "-"
        print(
            f"{r['name']:<22}{r['time']:>8.1f}{ratio:>10}{walks:>9}{r['macro']:>10.4f}{r['micro']:>10.4f}"
            f"{r['new_macro']:>11.4f}{r['new_micro']:>11.4f}{r['disparity_before']:>14.3f}"
            f"{r['disparity_after']:>13.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"settings": SETTINGS, "runs": runs, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
