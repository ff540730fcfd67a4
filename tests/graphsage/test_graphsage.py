"""GraphSAGEEmbedder: inductive embeddings, features, devices, persistence, quality.

Properties tested rather than outputs: exact inference is deterministic and
equals the sampled forward pass when sampling keeps every neighbour; an
L-layer network's vector of a node depends only on its L-hop neighbourhood
(adding a node changes exactly the vectors within L hops); embeddings are
equivariant under relabelling and reordering the nodes; the sparse
first-layer path equals PyG's SAGEConv on dense input; structural features
match networkx; and on Cora a logistic regression trained on seen nodes
classifies nodes the model never saw.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import joblib
import networkx as nx
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_geometric")

import skgraphemb  # noqa: E402
from skgraphemb import (  # noqa: E402
    DeviceUnavailableError,
    GraphSAGEEmbedder,
    UnknownNodeError,
    as_graph,
    load_cora,
)
from skgraphemb.graphsage._sampler_kernels import layer_sizes, sample_subgraph  # noqa: E402
from skgraphemb.graphsage._structural_kernels import STRUCTURAL_FEATURES, structural_features  # noqa: E402
from skgraphemb.utils._device import DeviceMappingWarning  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.graphsage]

#: Small, fast settings (karate-sized graphs fit in well under a second).
SMALL = dict(
    n_components=8,
    hidden_dim=16,
    epochs=2,
    batch_size=64,
    n_anchors=8,
    device="cpu",
    n_jobs=1,
    random_state=0,
)


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request):
    """Each device the test runs on: the CPU, and a real GPU where there is one."""
    return request.getfixturevalue("cuda") if request.param == "cuda" else "cpu"


def _small(**overrides):
    return GraphSAGEEmbedder(**{**SMALL, "feature_source": "structural", **overrides})


@pytest.fixture(scope="module")
def featured_karate():
    """Karate club with 5 random features per node as the networkx attribute "x"."""
    G = nx.karate_club_graph()
    rng = np.random.default_rng(0)
    for v in G:
        G.nodes[v]["x"] = rng.normal(size=5)
    return G


@pytest.fixture(scope="module")
def fitted(karate):
    return _small().fit(karate)


# -- the import policy ------------------------------------------------------------
def test_fit_without_torch_geometric_names_the_extra():
    # In a child: torch_geometric may already be imported here.  Constructing,
    # cloning and get_params must work without it; fit must say what to install.
    root = str(Path(skgraphemb.__file__).resolve().parents[1])
    code = textwrap.dedent(
        """
        import sys
        sys.modules["torch_geometric"] = None
        import networkx as nx
        from sklearn.base import clone
        from skgraphemb import GraphSAGEEmbedder
        est = clone(GraphSAGEEmbedder(epochs=1, device="cpu"))
        est.get_params()
        try:
            est.fit(nx.karate_club_graph())
        except ImportError as e:
            print(e)
        else:
            raise SystemExit("no ImportError")
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert proc.returncode == 0, proc.stderr
    message = proc.stdout.strip()
    assert message.startswith("GraphSAGEEmbedder requires torch-geometric, which is not installed.")
    assert 'pip install "skgraphemb[graphsage]"' in message


# -- devices ------------------------------------------------------------------------
# (no_cuda / fake_cuda / pickle_as_if_on_cuda come from tests/conftest.py)
def test_device_errors_at_fit_not_construction(karate, no_cuda):
    est = _small(device="cuda")  # constructing is fine
    with pytest.raises(DeviceUnavailableError, match="device='cuda'.*device='cpu'"):
        est.fit(karate)
    with pytest.raises(ValueError, match="'auto', 'cpu', 'cuda' or 'cuda:N'"):
        _small(device="tpu0").fit(karate)


def test_auto_device_is_cpu_without_cuda(karate, no_cuda):
    assert _small(device="auto").fit(karate).device_ == "cpu"


def test_gpu_pickle_loads_on_cpu_and_embeds_new_graphs_the_same(fitted, karate, pickle_as_if_on_cuda, no_cuda):
    H = karate.copy()
    H.add_edges_from([("new", 0), ("new", 5), (34, 33)])
    before = fitted.transform(H)
    blob = pickle_as_if_on_cuda(fitted)
    with pytest.warns(DeviceMappingWarning, match="GraphSAGEEmbedder was fitted on device 'cuda:0'"):
        again = pickle.loads(blob)
    assert again.device_ == "cpu"
    assert next(again.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(again.transform(H), before)
    np.testing.assert_array_equal(again.transform([3, 1]), fitted.transform([3, 1]))


def test_joblib_roundtrip(fitted, karate, tmp_path):
    joblib.dump(fitted, tmp_path / "sage.joblib")
    again = joblib.load(tmp_path / "sage.joblib")
    np.testing.assert_array_equal(again.transform(karate), fitted.transform(karate))


def test_memory_cache_returns_a_working_model(karate, tmp_path):
    a = _small(memory=str(tmp_path)).fit(karate)
    b = _small(memory=str(tmp_path)).fit(karate)  # from the cache
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    np.testing.assert_array_equal(b.transform(karate), a.embedding_)


# -- determinism and threads ------------------------------------------------------------
def test_integer_seed_reproducible_and_global_rng_untouched(karate, device):
    state = torch.random.get_rng_state()
    cuda_state = torch.cuda.get_rng_state() if device == "cuda" else None
    a = _small(random_state=3, dropout=0.5, device=device).fit(karate)
    assert torch.equal(torch.random.get_rng_state(), state)
    if cuda_state is not None:
        assert a.device_.startswith("cuda") and torch.equal(torch.cuda.get_rng_state(), cuda_state)
    b = _small(random_state=3, dropout=0.5, device=device).fit(karate)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert a.history_ == b.history_
    c = _small(random_state=4, dropout=0.5, device=device).fit(karate)
    assert not np.allclose(a.embedding_, c.embedding_)


def test_n_jobs_changes_at_most_float_rounding(karate):
    a = _small(n_jobs=1).fit(karate).embedding_
    b = _small(n_jobs=2).fit(karate).embedding_
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_n_jobs_sets_torch_threads_only_during_fit(karate, monkeypatch):
    seen = []
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (seen.append(n), real(n)))
    before = torch.get_num_threads()
    _small(n_jobs=2).fit(karate)
    assert seen[0] == 2 and seen[-1] == before
    assert torch.get_num_threads() == before


@pytest.mark.gpu
def test_fitted_on_a_gpu_loads_on_a_cpu_and_embeds_the_same(karate, cuda, monkeypatch):
    est = _small(device=cuda).fit(karate)
    assert est.device_.startswith("cuda") and next(est.module_.parameters()).is_cuda
    H = karate.copy()
    H.add_edges_from([("new", 0), ("new", 5)])
    before = est.transform(H)
    blob = pickle.dumps(est)
    np.testing.assert_array_equal(pickle.loads(blob).transform(H), before)  # back on the GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(DeviceMappingWarning, match="GraphSAGEEmbedder was fitted on device 'cuda:0'"):
        on_cpu = pickle.loads(blob)
    assert on_cpu.device_ == "cpu" and next(on_cpu.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(on_cpu.transform(H), before, atol=1e-5)


def test_exact_inference_is_transform_of_the_fitted_graph(fitted, karate):
    # embedding_ comes from the same exact, sampling-free inference as
    # transform(graph): equal bit for bit, and independent of the batch size.
    np.testing.assert_array_equal(fitted.transform(karate), fitted.embedding_)
    small_batches = fitted.set_params(inference_batch_size=5)
    try:
        np.testing.assert_allclose(small_batches.transform(karate), fitted.embedding_, atol=1e-6)
    finally:
        fitted.set_params(inference_batch_size=SMALL.get("inference_batch_size", 4096))


def test_training_lowers_the_loss(karate):
    est = _small(epochs=8, learning_rate=0.01).fit(karate)
    assert len(est.history_) == 8
    assert np.mean(est.history_[-3:]) < est.history_[0]


# -- the model: sampled forward, exact inference, sparse path ---------------------------------
@pytest.mark.parametrize("aggr", ["mean", "max", "pool"])
@pytest.mark.parametrize("sparse", [False, True])
def test_sampled_forward_equals_inference_when_keeping_all_neighbours(aggr, sparse, device):
    from skgraphemb.graphsage import _torch_kernels as sage

    G = nx.gnm_random_graph(60, 200, seed=1)
    g = as_graph(G)
    rng = np.random.default_rng(0)
    X = (rng.random((60, 40)) < 0.05).astype(np.float32)  # sparse bag of words
    mean, scale = X.mean(0), np.where(X.std(0) > 0, X.std(0), 1).astype(np.float32)
    inputs = sage.NodeInput(X, mean, scale, torch.device(device), allow_sparse=sparse)
    assert inputs.sparse == sparse
    torch.manual_seed(0)
    model = sage.SAGEModel(40, 12, 6, 3, aggr, 0.0, True).eval().to(device)
    exact = model.inference(inputs, g.indptr, g.indices, batch_size=7)
    seeds = np.array([5, 0, 59, 17])
    sub = sample_subgraph(g.indptr, g.indices, seeds, (100, 100, 100), seed=0)
    with torch.no_grad():
        z = model(inputs, sub.n_id, sub.edge_index, [layer_sizes(sub, i) for i in range(3)])
    np.testing.assert_allclose(z.cpu().numpy(), exact[seeds].cpu().numpy(), atol=1e-5)


def test_sparse_first_layer_matches_sageconv_values_and_gradients():
    from torch_geometric.nn import SAGEConv

    from skgraphemb.graphsage import _torch_kernels as sage

    rng = np.random.default_rng(1)
    X = ((rng.random((30, 50)) < 0.1) * rng.random((30, 50))).astype(np.float32)
    mean = X.mean(0)
    scale = np.where(X.std(0) > 0, X.std(0), 1).astype(np.float32)
    src = rng.integers(0, 30, 80)
    dst = rng.integers(0, 12, 80)  # targets 0..11; some have no neighbour
    torch.manual_seed(0)
    conv = SAGEConv(50, 7, aggr="mean")
    inputs = sage.NodeInput(X, mean, scale, torch.device("cpu"), allow_sparse=True)
    out = sage.sparse_first_layer(conv, *inputs.mean_block(np.arange(30), np.arange(12), src, dst))
    out.square().sum().backward()
    grads = [p.grad.clone() for p in conv.parameters()]
    conv.zero_grad()
    x = torch.from_numpy((X - mean) / scale)
    ref = conv((x, x[:12]), torch.from_numpy(np.stack([src, dst])))
    ref.square().sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-5)
    for g_sparse, p in zip(grads, conv.parameters()):
        np.testing.assert_allclose(g_sparse.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-4)


# -- inductive transform ------------------------------------------------------------------------
@pytest.mark.parametrize("n_anchors, radius", [(0, 3), (4, 4)])
def test_new_node_changes_only_vectors_near_it(n_anchors, radius):
    # Path 0 - 1 - ... - 11, then a new node attached to 0.  Degree features
    # of v depend on v's 1-hop ball, so they change at 0 and 1; anchor
    # proximities (walks of <= 3 steps) change for nodes within 2 hops of 0.
    # Two layers widen either by 2 hops: vectors farther away stay equal.
    P = nx.path_graph(12)
    est = _small(n_anchors=n_anchors).fit(P)
    Q = P.copy()
    Q.add_edge("new", 0)
    grown = est.set_output(transform="pandas").transform(Q)
    est.set_output(transform="default")
    changed = {v for v in P if not np.allclose(grown.loc[v].to_numpy(), est.embedding_[v], atol=1e-6)}
    assert {0, 1} <= changed <= set(range(radius + 1))
    assert grown.shape == (13, 8) and "new" in grown.index


def test_reordered_graph_gives_the_same_vectors(fitted, karate):
    perm = np.random.default_rng(0).permutation(34)
    H = nx.Graph()
    H.add_nodes_from(perm.tolist())  # the same ids in another order
    H.add_edges_from(karate.edges(data=True))
    Z = fitted.transform(H, nodes=list(range(34)))
    np.testing.assert_allclose(Z, fitted.embedding_, atol=1e-6)


def test_relabelled_graph_gives_the_same_vectors_without_anchors(karate):
    # Without anchors, features and vectors depend on structure only: a
    # graph with other ids (another type, another order) embeds the same.
    est = _small(n_anchors=0).fit(karate)
    perm = np.random.default_rng(0).permutation(34)
    H = nx.Graph()
    H.add_nodes_from(f"v{i}" for i in perm)
    H.add_edges_from((f"v{u}", f"v{v}", d) for u, v, d in karate.edges(data=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no anchors: nothing missing
        Z = est.transform(H, nodes=[f"v{i}" for i in range(34)])
    np.testing.assert_allclose(Z, est.embedding_, atol=1e-6)


def test_missing_anchors_warn(fitted):
    with pytest.warns(UserWarning, match=r"8 of the 8 anchor nodes \(anchors_\) are not in this graph"):
        fitted.transform(nx.relabel_nodes(nx.path_graph(5), str))


def test_transform_by_id_and_by_graph(fitted, karate):
    np.testing.assert_array_equal(fitted.transform([33, 0]), fitted.embedding_[[33, 0]])
    with pytest.raises(UnknownNodeError, match="'nope'"):
        fitted.transform(karate, nodes=[0, "nope"])
    with pytest.raises(ValueError, match="nodes= selects nodes of a graph X"):
        fitted.transform([0, 1], nodes=[0])
    df = fitted.set_output(transform="pandas").transform(karate, nodes=[3, 2])
    fitted.set_output(transform="default")
    assert list(df.index) == [3, 2]


# -- features ---------------------------------------------------------------------------------
def test_networkx_attribute_features(featured_karate):
    est = GraphSAGEEmbedder(**SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # features found: no fallback warning
        est.fit(featured_karate)
    assert est.feature_source_ == "graph" and est.n_graph_features_ == 5
    # The features matter: changing them changes the vectors.
    G2 = featured_karate.copy()
    for v in G2:
        G2.nodes[v]["x"] = np.zeros(5)
    assert not np.allclose(est.transform(G2), est.embedding_)
    # feature_key=None ignores the attribute.
    with pytest.warns(UserWarning, match="no node features"):
        est = GraphSAGEEmbedder(**{**SMALL, "feature_key": None}).fit(featured_karate)
    assert est.feature_source_ == "structural"


def test_pyg_data_and_graph_features_agree(featured_karate):
    from torch_geometric.data import Data

    g = as_graph(featured_karate, features="x")  # weighted: karate has weights
    edges = np.vstack([np.repeat(np.arange(34), np.diff(g.indptr)), g.indices]).astype(np.int64)
    data = Data(
        x=torch.tensor(g.features),
        edge_index=torch.from_numpy(edges),
        edge_weight=torch.tensor(g.weights),
    )
    a = GraphSAGEEmbedder(**SMALL).fit(g)
    b = GraphSAGEEmbedder(**SMALL).fit(data)
    c = GraphSAGEEmbedder(**SMALL).fit(featured_karate)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    np.testing.assert_array_equal(a.embedding_, c.embedding_)
    np.testing.assert_array_equal(a.transform(data), a.embedding_)


def test_feature_errors(featured_karate, karate):
    with pytest.raises(ValueError, match="feature_source='graph'.*has none"):
        GraphSAGEEmbedder(**{**SMALL, "feature_source": "graph"}).fit(karate)
    est = GraphSAGEEmbedder(**SMALL).fit(featured_karate)
    with pytest.raises(ValueError, match="fitted with the graph's own node features.*has none"):
        est.transform(karate)
    wide = as_graph(karate, features=np.ones((34, 6)))
    with pytest.raises(ValueError, match="fitted on 5 node features, but this graph's nodes have 6"):
        est.transform(wide)


def test_auto_falls_back_to_structural_with_a_warning(karate):
    with pytest.warns(UserWarning, match="no node features, so structural features") as record:
        est = GraphSAGEEmbedder(**SMALL).fit(karate)
    assert record[0].filename == __file__  # points at the caller
    assert est.feature_source_ == "structural" and est.n_graph_features_ == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _small().fit(karate)


def test_both_concatenates_graph_and_structural(featured_karate):
    est = GraphSAGEEmbedder(**{**SMALL, "feature_source": "both", "standardize": True, "n_anchors": 0})
    est.fit(featured_karate)
    assert est.module_.config["in_channels"] == 5 + len(STRUCTURAL_FEATURES)
    # standardize=True: every column of the fitted graph has mean 0, std 1.
    X = np.hstack([as_graph(featured_karate, features="x").features, structural_features(*_csr(featured_karate))])
    Xs = (X - est.feature_mean_) / est.feature_scale_
    np.testing.assert_allclose(Xs.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(Xs.std(0), 1, atol=1e-4)


def _csr(G):
    g = as_graph(G)
    return g.indptr, g.indices


def test_anchors_are_fitted_graph_nodes(fitted, karate):
    assert len(fitted.anchors_) == 8 == len(set(fitted.anchors_.tolist()))
    assert set(fitted.anchors_.tolist()) <= set(karate)
    np.testing.assert_array_equal(_small().fit(karate).anchors_, fitted.anchors_)
    assert _small(n_anchors=0).fit(karate).anchors_.size == 0


def test_directed_graph_with_a_dead_end(directed_dead_end_graph):
    est = _small().fit(directed_dead_end_graph)
    assert est.embedding_.shape == (4, 8) and np.isfinite(est.embedding_).all()


# -- parameters ---------------------------------------------------------------------------------
def test_fanouts(karate):
    assert _small(fanouts=3, num_layers=3).fit(karate).module_.config["num_layers"] == 3
    with pytest.raises(ValueError, match=r"fanouts must be one positive int or 2 of them.*\(25, 10, 5\)"):
        _small(fanouts=(25, 10, 5)).fit(karate)


@pytest.mark.parametrize("aggr", ["max", "pool"])
def test_other_aggregators_fit(karate, aggr):
    est = _small(aggr=aggr).fit(karate)
    np.testing.assert_array_equal(est.transform(karate), est.embedding_)


# -- quality --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cora():
    return load_cora()


def test_cora_inductive_probe_on_unseen_nodes(cora, device):
    """Train on 80% of Cora; nodes removed with their edges are classified well.

    Protocol of Hamilton et al.: the model and a logistic regression are
    trained on the seen nodes only (the probe on their embeddings *from the
    training graph*); the held-out nodes are then embedded by
    ``transform`` of the full graph and classified.  Measured with these
    settings, seeds 0/1/2: 0.830/0.854/0.854 accuracy on unseen nodes,
    against 0.845/0.841/0.856 when the model was fitted on the full graph
    (same probe, same test nodes); the majority class is 0.30.  See
    benchmarks/README.md for more seeds.
    """
    from sklearn.linear_model import LogisticRegression

    g = cora.graph
    labels = dict(zip(cora.nodes.tolist(), np.asarray(cora.labels).tolist()))
    rng = np.random.default_rng(0)
    unseen = rng.choice(g.nodes, size=g.n_nodes // 5, replace=False)
    seen = np.setdiff1d(g.nodes, unseen)
    params = dict(epochs=5, walk_length=3, device=device, n_jobs=1, random_state=0)
    est = GraphSAGEEmbedder(**params).fit(g.subgraph(seen))
    Z_unseen = est.transform(g, nodes=unseen)
    y_seen = np.array([labels[v] for v in seen])
    y_unseen = np.array([labels[v] for v in unseen])
    clf = LogisticRegression(max_iter=2000).fit(est.transform(seen), y_seen)
    inductive = clf.score(Z_unseen, y_unseen)

    full = GraphSAGEEmbedder(**params).fit(g)
    clf_full = LogisticRegression(max_iter=2000).fit(full.transform(seen), y_seen)
    transductive = clf_full.score(full.transform(unseen), y_unseen)
    assert inductive >= 0.75, (inductive, transductive)
    assert inductive >= transductive - 0.05, (inductive, transductive)


def test_pipeline_grid_search_and_joblib(featured_karate, karate_labels, tmp_path):
    # The user's day with GraphSAGE: the graph (with features) is a
    # parameter, X holds node ids, the search tunes the network.
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    g = as_graph(featured_karate, features="x")
    pipe = Pipeline(
        [
            ("sage", GraphSAGEEmbedder(**{**SMALL, "graph": g, "memory": str(tmp_path / "cache")})),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    )
    search = GridSearchCV(pipe, {"sage__aggr": ["mean", "max"]}, cv=2)
    nodes = np.arange(34)
    search.fit(nodes, karate_labels)
    assert search.best_estimator_.named_steps["sage"].graph is g  # not copied
    joblib.dump(search.best_estimator_, tmp_path / "model.joblib")
    again = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(again.predict(nodes[:5]), search.best_estimator_.predict(nodes[:5]))


def test_verbose_shows_epoch_progress(karate, capsys):
    _small(verbose=1).fit(karate)
    assert "Training GraphSAGE epochs on cpu" in capsys.readouterr().err
