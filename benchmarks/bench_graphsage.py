"""GraphSAGEEmbedder: probe accuracy on Cora, inductive embedding, BlogCatalog.

Four sections, each a table (mean ± std over ``--seeds``):

- **cora** -- unsupervised embeddings of Cora (features included) probed by
  a logistic regression on the standard Planetoid split (train 140 /
  val 500 / test 1000; ``C`` picked on the validation nodes from
  ``{0.01, 0.1, 1, 10, 100}``), test accuracy and fit time, for
  GraphSAGE, GraphSAGE on structural features only, Node2VecEmbedder,
  SVDEmbedder and the raw bag-of-words features.
- **inductive** -- Cora with 20% of the nodes (and their edges) removed:
  GraphSAGE is fitted on the rest; a logistic regression trained on the
  seen nodes' embeddings (from the training graph) classifies the removed
  nodes, embedded afterwards by ``transform`` of the full graph.  Compared
  with the same probe when the model was fitted on the full graph
  (transductive).
- **paths** -- the sparse first-layer path against densified features, and
  SAGEConv's sparse-adjacency mean aggregation against ``edge_index``,
  timed side by side (forward + backward).
- **blogcatalog** -- no features: GraphSAGE on structural features
  (degree statistics + anchor proximities); fit time and macro/micro-F1
  of ``evaluate_node_classification`` (train_size=0.5, cv=5) next to
  node2vec.  Then the incremental case: the graph loses 1% of its nodes
  and 5% of the other edges, GraphSAGE is fitted on what is left, and
  the removed nodes are embedded by ``transform(full_graph, nodes=new)``
  (time reported); a probe trained on old nodes' embeddings scores them.

Data: ``../shared/data/{cora,blogcatalog}`` (``--data``).  The bundled
``skgraphemb.load_cora()`` holds the same files (checked byte for byte).

Run::

    nice -n 5 python benchmarks/bench_graphsage.py --sections cora inductive blogcatalog
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)


def _mean_std(values) -> str:
    a = np.asarray(values, dtype=float)
    return f"{a.mean():.4f} ± {a.std():.4f}"


def _load(args, name):
    import skgraphemb as sge

    folder = args.data / name
    if not folder.exists():
        sys.exit(f"{name} not found under {args.data}: pass --data pointing at the shared data folder")
    return sge.load_edgelist_dir(folder)


def _planetoid_probe(Z, nodes_of_rows, data) -> tuple[float, float]:
    """Test accuracy (C chosen on val) of a logistic regression on rows of Z."""
    from sklearn.linear_model import LogisticRegression

    from skgraphemb.graph import NodeIndex

    pos = NodeIndex(np.asarray(nodes_of_rows)).positions(data.nodes)
    X = np.asarray(Z)[pos]
    y = np.asarray(data.labels)
    split = np.array([data.split.get(int(v), "") for v in data.nodes])
    tr, va, te = (split == s for s in ("train", "val", "test"))
    best = None
    for C in C_GRID:
        clf = LogisticRegression(C=C, max_iter=3000).fit(X[tr], y[tr])
        score = clf.score(X[va], y[va])
        if best is None or score > best[0]:
            best = (score, C, clf.score(X[te], y[te]))
    return best[2], best[1]


def cora_methods(seed, n_jobs):
    import skgraphemb as sge

    return {
        "GraphSAGE (features)": sge.GraphSAGEEmbedder(device="cpu", random_state=seed, n_jobs=n_jobs),
        "GraphSAGE (structural only)": sge.GraphSAGEEmbedder(
            feature_source="structural", device="cpu", random_state=seed, n_jobs=n_jobs
        ),
        "Node2VecEmbedder": sge.Node2VecEmbedder(
            n_components=128,
            walk_length=40,
            num_walks=10,
            window=10,
            sample=0,
            random_state=seed,
            n_jobs=n_jobs,
        ),
        "SVDEmbedder": sge.SVDEmbedder(n_components=128, random_state=seed),
    }


def section_cora(args):
    data = _load(args, "cora")
    graph = data.graph
    rows: dict[str, dict[str, list]] = {}
    # Raw features: no fitting, one row.
    acc, C = _planetoid_probe(np.asarray(graph.features), graph.nodes, data)
    rows["raw bag-of-words features (LR)"] = {"acc": [acc], "fit": [0.0], "C": [C]}
    for seed in args.seeds:
        for name, est in cora_methods(seed, args.n_jobs).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                est.fit(graph)
                fit = time.perf_counter() - t0
            acc, C = _planetoid_probe(est.embedding_, est.nodes_, data)
            r = rows.setdefault(name, {"acc": [], "fit": [], "C": []})
            r["acc"].append(acc)
            r["fit"].append(fit)
            r["C"].append(C)
            print(f"  cora seed={seed} {name}: test acc {acc:.4f} (C={C}), fit {fit:.1f}s", flush=True)
    print(f"\n### Cora, Planetoid split, test accuracy over seeds {args.seeds}\n")
    print("| method | test accuracy | fit s (median) | C picked on val |")
    print("| --- | --: | --: | --- |")
    for name, r in rows.items():
        print(f"| {name} | {_mean_std(r['acc'])} | {np.median(r['fit']):.1f} | {sorted(set(r['C']))} |")


def _inductive_once(graph, labels, seed, n_jobs, params):
    from sklearn.linear_model import LogisticRegression

    import skgraphemb as sge

    rng = np.random.default_rng(seed)
    unseen = rng.choice(graph.nodes, size=graph.n_nodes // 5, replace=False)
    seen = np.setdiff1d(graph.nodes, unseen)
    y_seen = np.array([labels[v] for v in seen])
    y_unseen = np.array([labels[v] for v in unseen])
    out = {}
    t0 = time.perf_counter()
    est = sge.GraphSAGEEmbedder(device="cpu", random_state=seed, n_jobs=n_jobs, **params).fit(graph.subgraph(seen))
    out["fit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    Z_unseen = est.transform(graph, nodes=unseen)
    out["transform"] = time.perf_counter() - t0
    clf = LogisticRegression(max_iter=3000).fit(est.transform(seen), y_seen)
    out["inductive"] = clf.score(Z_unseen, y_unseen)
    full = sge.GraphSAGEEmbedder(device="cpu", random_state=seed, n_jobs=n_jobs, **params).fit(graph)
    clf = LogisticRegression(max_iter=3000).fit(full.transform(seen), y_seen)
    out["transductive"] = clf.score(full.transform(unseen), y_unseen)
    return out


def section_inductive(args):
    data = _load(args, "cora")
    labels = dict(zip(np.asarray(data.nodes).tolist(), np.asarray(data.labels).tolist()))
    settings = {"default settings": {}, "test settings (epochs=5, walk_length=3)": {"epochs": 5, "walk_length": 3}}
    print(f"\n### Cora inductive: 20% of nodes held out, seeds {args.seeds}\n")
    table = []
    for label, params in settings.items():
        res = [_inductive_once(data.graph, labels, s, args.n_jobs, params) for s in args.seeds]
        for s, r in zip(args.seeds, res):
            print(f"  inductive {label} seed={s}: {r}", flush=True)
        table.append((label, res))
    print("| GraphSAGE | unseen nodes, inductive | same nodes, transductive | fit s (80%) | transform s (full graph) |")
    print("| --- | --: | --: | --: | --: |")
    for label, res in table:
        get = lambda k, res=res: [r[k] for r in res]  # noqa: E731
        print(
            f"| {label} | {_mean_std(get('inductive'))} | {_mean_std(get('transductive'))} | "
            f"{np.median(get('fit')):.1f} | {np.median(get('transform')):.2f} |"
        )


def _grown_split(graph, seed, node_frac=0.01, edge_frac=0.05):
    """(old graph, new node ids): drop node_frac of nodes, then edge_frac of the other edges."""
    import skgraphemb as sge

    rng = np.random.default_rng(seed)
    new = rng.choice(graph.nodes, size=max(1, int(node_frac * graph.n_nodes)), replace=False)
    old_nodes = np.setdiff1d(graph.nodes, new)
    sub = graph.subgraph(old_nodes)
    A = sub.to_scipy()
    import scipy.sparse as sp

    upper = sp.triu(A, k=0).tocoo()
    keep = rng.random(upper.nnz) >= edge_frac
    edges = np.column_stack([sub.nodes[upper.row[keep]], sub.nodes[upper.col[keep]]])
    old = sge.as_graph(edges, nodes=sub.nodes)
    return old, new


def section_blogcatalog(args):
    import skgraphemb as sge

    data = _load(args, "blogcatalog")
    graph = data.graph
    label_of = dict(zip(np.asarray(data.nodes).tolist(), data.labels))
    rows = []
    configs = {
        "GraphSAGE structural, 128 anchors (defaults)": dict(feature_source="structural"),
        "GraphSAGE structural, 256 anchors, 2 epochs, walk_length=3, batch 1024": dict(
            feature_source="structural", n_anchors=256, epochs=2, walk_length=3, batch_size=1024
        ),
        "GraphSAGE structural, no anchors, 2 epochs, walk_length=3, batch 1024": dict(
            feature_source="structural", n_anchors=0, epochs=2, walk_length=3, batch_size=1024
        ),
    }
    for seed in args.seeds:
        ests = {
            name: sge.GraphSAGEEmbedder(device="cpu", random_state=seed, n_jobs=args.n_jobs, **p)
            for name, p in configs.items()
        }
        ests["Node2VecEmbedder (p=1, q=1, 10 x 80)"] = sge.Node2VecEmbedder(random_state=seed, n_jobs=args.n_jobs)
        for name, est in ests.items():
            t0 = time.perf_counter()
            est.fit(graph)
            fit = time.perf_counter() - t0
            for C in (1.0, 10.0):
                s = sge.evaluate_node_classification(
                    est, data.labels, nodes=data.nodes, cv=5, train_size=0.5, random_state=0, C=C
                )
                rows.append((name, seed, C, fit, s.mean, s.micro_mean))
                print(
                    f"  blogcatalog seed={seed} {name} C={C}: fit {fit:.1f}s macro {s.mean:.4f} "
                    f"micro {s.micro_mean:.4f}",
                    flush=True,
                )
    print(f"\n### BlogCatalog (no features), macro/micro-F1 at train_size=0.5, seeds {args.seeds}\n")
    print("| method | probe C | fit s (median) | macro-F1 | micro-F1 |")
    print("| --- | --: | --: | --: | --: |")
    for name in dict.fromkeys(r[0] for r in rows):
        for C in (1.0, 10.0):
            sel = [r for r in rows if r[0] == name and r[2] == C]
            print(
                f"| {name} | {C:g} | {np.median([r[3] for r in sel]):.1f} | "
                f"{_mean_std([r[4] for r in sel])} | {_mean_std([r[5] for r in sel])} |"
            )

    # Incremental: 1% new nodes, 5% new edges.
    print("\n### BlogCatalog grown by 1% new nodes and 5% new edges: inductive embedding\n")
    print(
        "| seed | fit s (old graph) | transform s (grown graph, new nodes) | new nodes | "
        "macro-F1 on new nodes | micro-F1 on new nodes |"
    )
    print("| --: | --: | --: | --: | --: | --: |")
    params = configs["GraphSAGE structural, 256 anchors, 2 epochs, walk_length=3, batch 1024"]
    for seed in args.seeds:
        old, new = _grown_split(graph, seed)
        t0 = time.perf_counter()
        est = sge.GraphSAGEEmbedder(device="cpu", random_state=seed, n_jobs=args.n_jobs, **params).fit(old)
        fit = time.perf_counter() - t0
        t0 = time.perf_counter()
        Z_new = est.transform(graph, nodes=new)
        tr = time.perf_counter() - t0
        macro, micro = _multilabel_probe(est.embedding_, est.nodes_, Z_new, new, label_of)
        print(f"| {seed} | {fit:.1f} | {tr:.2f} | {len(new)} | {macro:.4f} | {micro:.4f} |", flush=True)


def _multilabel_probe(Z_train, train_ids, Z_test, test_ids, label_of, C=10.0):
    """Top-k one-vs-rest probe (node2vec protocol) trained on old nodes, tested on new."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    def labs(ids):
        return [label_of.get(v.item() if hasattr(v, "item") else v) for v in ids]

    tr = [(z, y) for z, y in zip(Z_train, labs(train_ids)) if y is not None]
    te = [(z, y) for z, y in zip(Z_test, labs(test_ids)) if y is not None]
    as_set = lambda y: y if isinstance(y, (list, tuple)) else (y,)  # noqa: E731
    mlb = MultiLabelBinarizer().fit([as_set(y) for _, y in tr] + [as_set(y) for _, y in te])
    Ytr = mlb.transform([as_set(y) for _, y in tr])
    Yte = mlb.transform([as_set(y) for _, y in te])
    keep = Ytr.sum(0) > 0
    clf = OneVsRestClassifier(LogisticRegression(C=C, max_iter=2000)).fit(np.stack([z for z, _ in tr]), Ytr[:, keep])
    scores = np.full(Yte.shape, -np.inf)
    scores[:, keep] = clf.decision_function(np.stack([z for z, _ in te]))
    k = Yte.sum(1)
    ranks = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1)
    pred = (ranks < k[:, None]).astype(int)
    return (
        f1_score(Yte, pred, average="macro", zero_division=0),
        f1_score(Yte, pred, average="micro", zero_division=0),
    )


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.min(times)), float(np.median(times))


def section_paths(args):
    """The two fast paths against the plain ones, side by side, forward + backward.

    1. Cora's sparse features: the first layer through ``sparse_first_layer``
       (sparse aggregated features times the layer's weights) against
       SAGEConv on the densified standardised features, on one training
       mini-batch (512 pairs, 5 negatives, fanouts (25, 10)).
    2. Mean aggregation of a BlogCatalog-sized layer (256 -> 128 wide):
       SAGEConv given a sparse CSR adjacency (one sparse-dense product)
       against SAGEConv given ``edge_index`` (a message per edge).
    """
    import torch

    from skgraphemb.graphsage import _torch_kernels as sage
    from skgraphemb.graphsage._sampler_kernels import layer_sizes, sample_subgraph

    torch.set_num_threads(args.n_jobs)
    data = _load(args, "cora")
    g = data.graph
    X = np.asarray(g.features)
    mean, scale = X.mean(0), np.where(X.std(0) > 0, X.std(0), 1).astype(np.float32)
    rng = np.random.default_rng(0)
    seeds = np.unique(rng.integers(0, g.n_nodes, 512 * 7))
    sub = sample_subgraph(g.indptr, g.indices, seeds, (25, 10), seed=0)
    sizes = [layer_sizes(sub, i) for i in range(2)]
    torch.manual_seed(0)
    model = sage.SAGEModel(X.shape[1], 256, 128, 2, "mean", 0.0, True)
    rows = []
    for label, sparse in (("dense features", False), ("sparse first layer", True)):
        inputs = sage.NodeInput(X, mean, scale, torch.device("cpu"), allow_sparse=sparse)

        def step(inputs=inputs):
            model.zero_grad()
            model(inputs, sub.n_id, sub.edge_index, sizes).square().sum().backward()

        step()  # warm-up
        rows.append(("Cora mini-batch, first layer: " + label, *_median_time(step, args.repeats)))

    from torch_geometric.nn import SAGEConv

    n_src, n_dst, n_e = 8600, 5155, 87000
    src = rng.integers(0, n_src, n_e)
    dst = np.sort(rng.integers(0, n_dst, n_e))
    pairs = np.unique(np.stack([dst, src]), axis=1)
    dst, src = pairs
    h = torch.randn(n_src, 256, requires_grad=True)
    conv = SAGEConv(256, 128)
    edge_index = torch.from_numpy(np.stack([src, dst]))
    adj = model._adjacency(src, dst, n_src, n_dst, torch.device("cpu"))
    outs = {}
    for label, what in (("edge_index (message per edge)", edge_index), ("sparse CSR adjacency", adj)):

        def step(what=what, label=label):
            h.grad = None
            out = conv((h, h[:n_dst]), what)
            out.square().sum().backward()
            outs[label] = out.detach()

        step()
        rows.append((f"mean aggregation, {n_e:,} edges, 256 -> 128: {label}", *_median_time(step, args.repeats)))
    diff = (outs["edge_index (message per edge)"] - outs["sparse CSR adjacency"]).abs().max().item()
    print(f"\n### Fast paths, forward + backward, {args.repeats} repeats, {args.n_jobs} thread(s)\n")
    print("| case | min s | median s |")
    print("| --- | --: | --: |")
    for label, best, med in rows:
        print(f"| {label} | {best:.3f} | {med:.3f} |")
    print(f"\nlargest difference between the two aggregations' outputs: {diff:.2e}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sections", nargs="+", default=["cora", "inductive"], choices=["cora", "inductive", "blogcatalog", "paths"]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-jobs", type=int, default=1, help="threads (1 is fastest on a shared 2-core machine)")
    parser.add_argument("--repeats", type=int, default=7, help="repeats of each timed case (paths)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    for name in args.sections:
        globals()[f"section_{name}"](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
