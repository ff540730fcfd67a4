"""Node2VecEmbedder: the sklearn contract and embedding quality."""

from __future__ import annotations

import pickle
from pathlib import Path

import joblib
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skgraphemb import Node2VecEmbedder, as_graph, evaluate_node_classification

# Small, fast settings; quality tests raise them where needed.  sample=0: on
# graphs of a few dozen nodes every node is "frequent" by word2vec's
# sample=1e-3 rule and would be dropped from most contexts (see the docs).
FAST = dict(n_components=16, walk_length=20, num_walks=5, window=5, sample=0.0, n_jobs=1)


def test_fit_transform_shape_dtype_and_row_order(karate_graph):
    emb = Node2VecEmbedder(**FAST, random_state=0)
    Z = emb.fit_transform(karate_graph)
    assert Z.shape == (34, 16) and Z.dtype == np.float32
    assert np.array_equal(emb.nodes_, karate_graph.nodes)
    # rows of fit_transform are the nodes_ order; transform follows X's order
    np.testing.assert_array_equal(emb.transform(emb.nodes_), Z)
    np.testing.assert_array_equal(emb.transform([33, 0]), Z[[33, 0]])
    assert emb.transform(np.array([[5], [6]])).shape == (2, 16)
    assert emb.backend_ == "native" and emb.trainer_ == "native"
    assert emb.walk_time_ >= 0 and emb.train_time_ >= 0


def test_numba_engines_are_deprecated_names_of_native(karate_graph):
    """The walk and trainer kernels moved from numba to C: the old names still
    select the same engines (the same vectors), with a FutureWarning that names the new one."""
    with pytest.warns(FutureWarning, match="Node2VecEmbedder: backend='numba' is deprecated.*backend='native'"):
        with pytest.warns(FutureWarning, match="trainer='numba' is deprecated.*trainer='native'"):
            old = Node2VecEmbedder(**FAST, backend="numba", trainer="numba", random_state=1).fit(karate_graph)
    new = Node2VecEmbedder(**FAST, random_state=1).fit(karate_graph)
    assert old.backend_ == old.trainer_ == new.trainer_ == "native"
    np.testing.assert_array_equal(old.embedding_, new.embedding_)


def test_reproducible_with_integer_seed(karate_graph):
    a = Node2VecEmbedder(**FAST, random_state=3).fit_transform(karate_graph)
    b = Node2VecEmbedder(**FAST, random_state=3).fit_transform(karate_graph)
    c = Node2VecEmbedder(**FAST, random_state=4).fit_transform(karate_graph)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_same_embedding_for_any_n_jobs_and_walk_chunk_size(karate_graph, uncapped_threads):
    """An integer random_state fixes the embedding of the default trainer
    whatever the thread count and however the streamed walks are chunked
    (walks and training both)."""
    params = {**FAST, "q": 0.5, "sample": 1e-3, "random_state": 7}
    one = Node2VecEmbedder(**{**params, "n_jobs": 1}).fit_transform(karate_graph)
    for n_jobs, chunk in ((2, None), (3, 7), (2, 50)):
        est = Node2VecEmbedder(**{**params, "n_jobs": n_jobs, "walk_chunk_size": chunk})
        np.testing.assert_array_equal(est.fit_transform(karate_graph), one, err_msg=f"n_jobs={n_jobs}")
    assert 3 in uncapped_threads  # three threads ran, on any host


def test_deterministic_false_is_the_lock_free_trainer(karate_graph):
    """deterministic=False reaches the trainer: the lock-free mode's vectors, not the rounds'."""
    params = {**FAST, "q": 0.5, "n_jobs": 1, "random_state": 7}
    rounds = Node2VecEmbedder(**params).fit(karate_graph)
    free = Node2VecEmbedder(**params, deterministic=False).fit(karate_graph)
    assert not np.allclose(rounds.embedding_, free.embedding_)
    assert free.get_params()["deterministic"] is False
    # with one thread the lock-free mode is reproducible too
    again = Node2VecEmbedder(**params, deterministic=False).fit_transform(karate_graph)
    np.testing.assert_array_equal(free.embedding_, again)


def test_graph_param_equals_graph_as_X(karate, karate_graph):
    a = Node2VecEmbedder(**FAST, random_state=1).fit_transform(karate)
    est = Node2VecEmbedder(**FAST, graph=karate_graph, random_state=1)
    b = est.fit(np.arange(10)).transform(np.arange(34))
    np.testing.assert_array_equal(a, b)
    assert est.n_features_in_ == 1
    # with graph set, fit_transform returns the rows of X
    np.testing.assert_array_equal(est.fit_transform([3, 1]), a[[3, 1]])


@pytest.mark.parametrize("trainer", ["native", "gensim"])
def test_karate_communities_are_recovered(karate_graph, karate_labels, trainer):
    emb = Node2VecEmbedder(
        n_components=16,
        walk_length=20,
        num_walks=20,
        window=5,
        q=0.5,
        sample=0.0,
        n_jobs=1,
        trainer=trainer,
        random_state=0,
    ).fit(karate_graph)
    mean, _ = evaluate_node_classification(emb, karate_labels, cv=3)
    assert mean > 0.8


def test_planted_partition_quality_native_matches_gensim(planted_partition):
    graph, labels = planted_partition
    scores = {}
    for trainer in ("native", "gensim"):
        emb = Node2VecEmbedder(**{**FAST, "num_walks": 10}, trainer=trainer, random_state=0).fit(graph)
        scores[trainer] = evaluate_node_classification(emb, labels, cv=3).mean
    assert scores["native"] >= 0.95
    assert scores["native"] >= scores["gensim"] - 0.05


def test_string_ids_and_most_similar(string_graph):
    emb = Node2VecEmbedder(**{**FAST, "num_walks": 20}, random_state=0).fit(string_graph)
    assert emb.nodes_.dtype == object and set(emb.nodes_) == {f"n{i}" for i in range(12)}
    top = emb.most_similar("n0", topn=4)
    assert len(top) == 4 and all(isinstance(n, str) for n, _ in top)
    assert "n0" not in [n for n, _ in top]
    # n0 sits in the first clique (n0..n5): its nearest neighbours are there
    assert sum(int(n[1:]) < 6 for n, _ in top) >= 3
    sims = [s for _, s in top]
    assert sims == sorted(sims, reverse=True) and all(-1 <= s <= 1 for s in sims)


def test_pandas_output_is_indexed_by_node_id(string_graph):
    emb = Node2VecEmbedder(**FAST, random_state=0).set_output(transform="pandas")
    df = emb.fit_transform(string_graph)
    assert list(df.index) == list(string_graph.nodes)
    assert list(df.columns) == list(emb.get_feature_names_out())
    assert df.columns[0] == "node2vecembedder0"
    part = emb.transform(["n3", "n1"])
    assert list(part.index) == ["n3", "n1"]
    np.testing.assert_array_equal(part.to_numpy(), emb.embedding_[[3, 1]])


def test_keyed_vectors_match_embedding(karate_graph):
    emb = Node2VecEmbedder(**FAST, random_state=0).fit(karate_graph)
    kv = emb.to_keyed_vectors()
    np.testing.assert_array_equal(kv["0"], emb.embedding_[0])
    assert kv.most_similar("0", topn=3)[0][0] == str(emb.most_similar(0, topn=1)[0][0])


def test_joblib_and_pickle_roundtrip(tmp_path, karate_graph):
    emb = Node2VecEmbedder(**FAST, random_state=0).fit(karate_graph)
    joblib.dump(emb, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    np.testing.assert_array_equal(loaded.transform([1, 2, 3]), emb.transform([1, 2, 3]))
    again = pickle.loads(pickle.dumps(emb))
    assert again.most_similar(0, topn=3) == emb.most_similar(0, topn=3)


def test_clone_keeps_output_config(karate):
    est = Node2VecEmbedder(graph=karate).set_output(transform="pandas")
    assert clone(est)._sklearn_output_config == {"transform": "pandas"}


def test_directed_dead_end_warns_naming_it_and_keeps_its_row(directed_dead_end_graph):
    # (that walks stop at the dead end is tested with the walk engines, tests/walks/)
    with pytest.warns(UserWarning, match="no out-edges.*'sink'"):
        emb = Node2VecEmbedder(**FAST, random_state=0).fit(directed_dead_end_graph)
    assert "sink" in list(emb.nodes_)
    assert np.all(np.isfinite(emb.embedding_))


def test_parameter_validation_messages(karate_graph):
    with pytest.raises(InvalidParameterError, match="'q' parameter of Node2VecEmbedder"):
        Node2VecEmbedder(q=-1).fit(karate_graph)
    with pytest.raises(InvalidParameterError, match="'trainer'"):
        Node2VecEmbedder(trainer="fast").fit(karate_graph)
    with pytest.raises(ValueError, match="word2vec_kwargs only apply"):
        Node2VecEmbedder(**FAST, word2vec_kwargs={"hs": 1}).fit(karate_graph)
    with pytest.raises(ValueError, match="needs a graph"):
        Node2VecEmbedder().fit(None)
    with pytest.raises(ValueError, match="single column of node ids"):
        Node2VecEmbedder(**FAST, graph=karate_graph).fit(np.zeros((3, 2), dtype=int))


def test_pecanpy_backend_missing_names_the_extra(karate_graph):
    pytest.importorskip("numpy")
    try:
        import pecanpy  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("PecanPy is installed here; tests/walks/test_pecanpy.py covers the backend")
    with pytest.raises(ImportError, match=r"skgraphemb\[pecanpy\]"):
        Node2VecEmbedder(**FAST, backend="pecanpy").fit(karate_graph)


def _count_cached_embeddings(location: Path) -> int:
    return sum(1 for _ in location.rglob("output.pkl"))


def test_memory_caches_embeddings_across_cv_folds(tmp_path, monkeypatch, karate_graph, karate_labels):
    """A 3x3 p/q grid with cv=5 computes 9 embeddings, not 45."""
    pipe = Pipeline(
        [
            ("n2v", Node2VecEmbedder(**FAST, graph=karate_graph, random_state=0, memory=str(tmp_path))),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    )
    calls = []
    original = Node2VecEmbedder._embed

    def counting_embed(self, graph, seed):
        calls.append((self.p, self.q))
        return original(self, graph, seed)

    grid = {"n2v__p": [0.5, 1.0, 2.0], "n2v__q": [0.5, 1.0, 2.0]}
    search = GridSearchCV(pipe, grid, cv=5, scoring="f1_macro")
    monkeypatch.setattr(Node2VecEmbedder, "_embed", counting_embed)
    search.fit(np.arange(34), karate_labels)
    # 9 candidates x 5 folds + the refit = 46 fits, but only 9 embeddings
    assert len(calls) == 9 and len(set(calls)) == 9
    assert _count_cached_embeddings(tmp_path) == 9
    assert 0 <= search.best_score_ <= 1
    # the cached embedding is the one a fresh fit computes
    best = search.best_estimator_.named_steps["n2v"]
    fresh = clone(best).set_params(memory=None).fit()
    np.testing.assert_array_equal(fresh.embedding_, best.embedding_)


def test_users_day_pipeline_gridsearch_persist(tmp_path, karate, karate_labels):
    """The DESIGN.md workflow, end to end on karate."""
    emb = Node2VecEmbedder(
        n_components=32, walk_length=30, num_walks=20, p=1.0, q=0.5, window=10, sample=0.0, n_jobs=2, random_state=0
    )
    Z = emb.fit_transform(karate)
    assert Z.shape == (34, 32) and emb.transform([0]).shape == (1, 32)
    assert len(emb.most_similar(0, topn=5)) == 5
    pipe = Pipeline(
        [
            ("n2v", Node2VecEmbedder(**FAST, graph=as_graph(karate), random_state=0)),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    )
    search = GridSearchCV(pipe, {"n2v__p": [0.5, 1, 2], "n2v__q": [0.5, 1, 2]}, scoring="f1_macro", cv=3, n_jobs=1)
    nodes = np.array(list(karate.nodes))
    search.fit(nodes, karate_labels)
    assert search.best_score_ > 0.7
    joblib.dump(search.best_estimator_, tmp_path / "model.joblib")
    pred = joblib.load(tmp_path / "model.joblib").predict(nodes[:5])
    np.testing.assert_array_equal(pred, search.best_estimator_.predict(nodes[:5]))


def test_disconnected_isolated_node_warns():
    G = nx.path_graph(5)
    G.add_node(99)
    with pytest.warns(UserWarning, match="isolated node"):
        emb = Node2VecEmbedder(**FAST, random_state=0).fit(G)
    assert 99 in list(emb.nodes_)


# -- torch engine and devices ------------------------------------------------------


@pytest.mark.torch
def test_torch_engine_recovers_karate_communities(karate_graph, karate_labels, no_cuda):
    emb = Node2VecEmbedder(
        n_components=16,
        walk_length=20,
        num_walks=20,
        window=5,
        q=0.5,
        sample=0.0,
        n_jobs=1,
        backend="torch",
        random_state=0,
    ).fit(karate_graph)
    assert (emb.backend_, emb.trainer_, emb.device_) == ("torch", "torch", "cpu")
    assert isinstance(emb.embedding_, np.ndarray) and emb.embedding_.dtype == np.float32
    assert evaluate_node_classification(emb, karate_labels, cv=3).mean > 0.8
    again = Node2VecEmbedder(**emb.get_params()).fit(karate_graph)
    np.testing.assert_array_equal(again.embedding_, emb.embedding_)  # seeded


@pytest.mark.torch
@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ("native", "native", "cpu")),  # the default never touches the GPU
        ({"device": "auto"}, ("torch", "torch", "cuda:0")),
        ({"device": "cuda"}, ("torch", "torch", "cuda:0")),
        ({"device": "auto", "backend": "native"}, ("native", "native", "cpu")),
        ({"device": "auto", "trainer": "gensim"}, ("torch", "gensim", "cuda:0")),
        ({"device": "auto", "backend": "native", "trainer": "torch"}, ("native", "torch", "cuda:0")),
        ({"backend": "torch"}, ("torch", "torch", "cpu")),
        ({"trainer": "torch"}, ("native", "torch", "cpu")),
    ],
)
def test_engines_and_device(fake_cuda, params, expected):
    assert Node2VecEmbedder(**params)._engines() == expected


@pytest.mark.torch
@pytest.mark.parametrize(
    "params, match",
    [
        ({"device": "cuda", "backend": "native"}, "backend='native' runs on the CPU only"),
        ({"device": "cuda:0", "trainer": "gensim"}, "trainer='gensim' runs on the CPU only"),
        ({"device": "cuda", "backend": "pecanpy"}, "backend='pecanpy' runs on the CPU only"),
        ({"device": "tpu"}, "device='tpu' is not"),
    ],
)
def test_cpu_only_stages_on_a_gpu_are_errors(fake_cuda, karate_graph, params, match):
    with pytest.raises(ValueError, match=match):
        Node2VecEmbedder(**FAST, **params).fit(karate_graph)


@pytest.mark.torch
def test_cuda_without_a_gpu_fails_at_fit(no_cuda, karate_graph):
    from skgraphemb import DeviceUnavailableError

    est = Node2VecEmbedder(**FAST, device="cuda")  # constructing is fine
    with pytest.raises(DeviceUnavailableError, match="Node2VecEmbedder was asked for device='cuda'"):
        est.fit(karate_graph)


def _child(code: str) -> str:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=180)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_default_fit_never_imports_torch():
    code = (
        "import sys, networkx as nx; from skgraphemb import Node2VecEmbedder; "
        "Node2VecEmbedder(n_components=4, walk_length=5, num_walks=2, sample=0).fit(nx.path_graph(6)); "
        "print('torch' in sys.modules)"
    )
    assert _child(code) == "False"


@pytest.mark.torch
def test_gpu_fitted_model_transforms_without_torch(tmp_path, karate_graph, pickle_as_if_on_cuda, no_cuda):
    """embedding_ is numpy: a model fitted on a GPU (device_ 'cuda:0') loads
    and transforms where torch cannot even be imported."""
    emb = Node2VecEmbedder(**FAST, backend="torch", random_state=0).fit(karate_graph)
    (tmp_path / "m.pkl").write_bytes(pickle_as_if_on_cuda(emb))
    np.save(tmp_path / "z.npy", emb.transform([3, 0]))
    code = f"""
import sys, pickle, numpy as np
class NoTorch:  # any import of torch fails, as on a machine without it
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch is not installed")
sys.meta_path.insert(0, NoTorch())
m = pickle.loads(open({str(tmp_path / "m.pkl")!r}, "rb").read())
assert np.array_equal(m.transform([3, 0]), np.load({str(tmp_path / "z.npy")!r}))
print(m.device_, "torch" in sys.modules)
"""
    assert _child(code) == "cuda:0 False"


@pytest.mark.gpu
def test_fit_on_a_gpu(karate_graph, karate_labels, cuda):
    params = dict(n_components=16, walk_length=20, num_walks=20, window=5, q=0.5, sample=0.0, random_state=0)
    emb = Node2VecEmbedder(**params, device="auto").fit(karate_graph)
    assert emb.device_.startswith("cuda") and emb.backend_ == emb.trainer_ == "torch"
    assert isinstance(emb.embedding_, np.ndarray) and np.isfinite(emb.embedding_).all()
    assert evaluate_node_classification(emb, karate_labels, cv=3).mean > 0.8
    again = Node2VecEmbedder(**params, device=cuda).fit(karate_graph)  # walks and training seeded on the GPU
    np.testing.assert_array_equal(again.embedding_, emb.embedding_)


# -- warm start -----------------------------------------------------------------

WARM = dict(n_components=16, walk_length=15, num_walks=8, window=4, q=0.5, sample=0.0, n_jobs=1, random_state=0)


def _cosines(a, b):
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="module")
def two_communities():
    """Planted partition (2 x 40 nodes), plus an update: 5 new nodes joined
    to community 0 only, and 6 new edges inside community 1."""
    G = nx.planted_partition_graph(2, 40, 0.3, 0.02, seed=4)
    H = G.copy()
    rng = np.random.default_rng(0)
    for k in range(5):
        H.add_edges_from((100 + k, int(v)) for v in rng.choice(40, 4, replace=False))
    # Six non-edges of community 1 with distinct endpoints.
    added, used = [], set()
    for u in range(40, 60):
        for v in range(60, 80):
            if len(added) < 6 and not G.has_edge(u, v) and not {u, v} & used:
                added.append((u, v))
                used |= {u, v}
    H.add_edges_from(added)
    return G, H


def test_warm_start_walks_only_from_changed_nodes(two_communities, monkeypatch):
    from skgraphemb.walks import _plan as walks_module

    G, H = two_communities
    emb = Node2VecEmbedder(**WARM, warm_start=True).fit(G)
    assert emb.n_walks_ == 8 * 80 and emb.updated_nodes_ is None and not emb.warm_started_
    starts = []
    real = walks_module._walk_stream

    def spy(graph, **kwargs):
        stream = real(graph, **kwargs)
        first = np.concatenate([chunk[:, 0] for chunk in stream])  # an extra pass: same walks
        starts.append(set(graph.nodes[first].tolist()))
        return stream

    monkeypatch.setattr(walks_module, "_walk_stream", spy)
    emb.fit(H)
    # Changed = new nodes and the endpoints of new edges, from the edge lists.
    old_edges = {frozenset(e) for e in G.edges}
    expected = {v for e in H.edges if frozenset(e) not in old_edges for v in e}
    assert emb.warm_started_ and set(emb.updated_nodes_.tolist()) == expected == starts[-1]
    assert emb.n_walks_ == 8 * len(expected)
    # One hop further, and everything.
    emb.set_params(warm_start_walks=1).fit(G.copy())
    assert set(emb.updated_nodes_.tolist()) >= expected - set(range(100, 105))
    emb.set_params(warm_start_walks="all").fit(H)
    assert emb.updated_nodes_ is None and emb.n_walks_ == 8 * H.number_of_nodes() and starts[-1] == set(H)


def test_warm_start_keeps_unchanged_vectors_and_places_new_nodes(two_communities):
    G, H = two_communities
    emb = Node2VecEmbedder(**WARM, warm_start=True).fit(G)
    before = emb.get_embedding(as_frame=True)
    emb.fit(H)
    after = emb.get_embedding(as_frame=True)
    # (b) every node of the new graph, new ones included, has a vector.
    assert list(emb.nodes_) == list(H) and np.isfinite(emb.embedding_).all()
    # (a) nodes whose neighbourhood did not change stay where they were:
    # their vectors point the same way without any alignment, unlike those
    # of a cold refit with another seed.
    unchanged = sorted(set(G) - set(emb.updated_nodes_.tolist()))
    assert len(unchanged) > 50
    warm_cos = _cosines(after.loc[unchanged].to_numpy(), before.loc[unchanged].to_numpy())
    cold = Node2VecEmbedder(**{**WARM, "random_state": 1}).fit(H).get_embedding(as_frame=True)
    cold_cos = _cosines(cold.loc[unchanged].to_numpy(), before.loc[unchanged].to_numpy())
    assert np.median(warm_cos) > 0.8 and np.median(warm_cos) > np.median(cold_cos) + 0.5
    # (d) the new nodes, attached to community 0 only, land nearest to it.
    centroid = [after.loc[list(range(40))].mean().to_numpy(), after.loc[list(range(40, 80))].mean().to_numpy()]
    for v in range(100, 105):
        sims = _cosines(np.tile(after.loc[v].to_numpy(), (2, 1)), np.array(centroid))
        assert sims[0] > sims[1] + 0.2, (v, sims)


def test_nodes_out_of_reach_of_the_update_keep_their_vectors_exactly():
    """Two components; an update in one of them: no update walk enters the
    other, so its vectors are carried over bit for bit."""
    G = nx.disjoint_union(nx.barbell_graph(6, 2), nx.cycle_graph(9))
    emb = Node2VecEmbedder(**WARM, warm_start=True).fit(G)
    before = emb.get_embedding(as_frame=True)
    H = G.copy()
    H.add_edge(0, "new")
    emb.fit(H)
    other = [v for v in G if v >= 14]
    np.testing.assert_array_equal(emb.transform(other), before.loc[other].to_numpy())
    assert not np.allclose(emb.transform([0, 1]), before.loc[[0, 1]].to_numpy())
    # An unchanged graph: no walks at all, every vector carried over.
    emb.fit(H)
    assert emb.n_walks_ == 0 and len(emb.updated_nodes_) == 0


def test_new_node_starts_from_its_neighbours_mean(two_communities, monkeypatch):
    import skgraphemb.node2vec as n2v

    G, H = two_communities
    emb = Node2VecEmbedder(**WARM, warm_start=True).fit(G)
    before = emb.get_embedding(as_frame=True)
    before_out = pd.DataFrame(emb.context_embedding_, index=emb.nodes_)
    seen = {}
    real = n2v._warm_start_plan

    def spy(previous, graph, *args):
        seen["init"], seen["output"], updated = real(previous, graph, *args)
        seen["graph"] = graph
        return seen["init"], seen["output"], updated

    monkeypatch.setattr(n2v, "_warm_start_plan", spy)
    H2 = H.copy()
    H2.add_edge("lonely", "pair")  # new nodes with no known neighbour
    emb.fit(H2)
    graph = seen["graph"]
    for v in range(100, 105):
        (row,) = graph.positions([v])
        known = [u for u in H2[v] if u in G]
        np.testing.assert_allclose(seen["init"][row], before.loc[known].mean(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(seen["output"][row], before_out.loc[known].mean(), rtol=1e-5, atol=1e-7)
    rows = graph.positions(["lonely", "pair"])
    np.testing.assert_array_equal(seen["output"][rows], 0.0)
    assert 0 < np.abs(seen["init"][rows]).max() <= 1 / 16  # the default random start


def test_warm_start_false_refits_from_scratch(two_communities):
    G, H = two_communities
    est = Node2VecEmbedder(**WARM).fit(G)
    assert est.context_embedding_ is None and est.neighborhood_hash_ is None
    np.testing.assert_array_equal(est.fit(H).embedding_, Node2VecEmbedder(**WARM).fit(H).embedding_)
    warm = Node2VecEmbedder(**WARM, warm_start=True).fit(G).fit(H)
    assert warm.warm_started_
    warm.set_params(warm_start=False).fit(H)
    assert not warm.warm_started_ and warm.context_embedding_ is None
    np.testing.assert_array_equal(warm.embedding_, Node2VecEmbedder(**WARM).fit(H).embedding_)


def test_partial_fit(two_communities):
    G, H = two_communities
    a = Node2VecEmbedder(**WARM).partial_fit(G)  # unfitted: a plain fit
    np.testing.assert_array_equal(a.embedding_, Node2VecEmbedder(**WARM).fit(G).embedding_)
    assert a.context_embedding_ is not None  # kept, so that the next call can continue
    b = Node2VecEmbedder(**WARM, warm_start=True).fit(G)
    a.partial_fit(H)
    b.fit(H)
    assert a.warm_started_ and not hasattr(a, "_continue_training")
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    assert a.get_params()["warm_start"] is False  # parameters untouched


def test_warm_start_neither_reads_nor_writes_the_cache(tmp_path, two_communities):
    G, H = two_communities
    est = Node2VecEmbedder(**WARM, warm_start=True, memory=str(tmp_path)).fit(G)
    assert _count_cached_embeddings(tmp_path) == 1
    est.fit(H)
    est.fit(G)  # continues from H's vectors: must not come from the cache
    assert _count_cached_embeddings(tmp_path) == 1
    cached = Node2VecEmbedder(**WARM, warm_start=True, memory=str(tmp_path)).fit(G)
    assert cached.context_embedding_ is not None  # the cold fit's state was cached too
    assert not np.array_equal(est.embedding_, cached.embedding_)


def test_warm_start_directed_edge_changes_both_ends():
    G = nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 2), (4, 5), (5, 3)])
    emb = Node2VecEmbedder(**WARM, warm_start=True).fit(G)
    H = G.copy()
    H.add_edge(5, 0)
    emb.fit(H)
    assert sorted(emb.updated_nodes_.tolist()) == [0, 5]


def test_warm_start_removed_nodes_and_reweighted_edges(two_communities):
    G, _ = two_communities
    emb = Node2VecEmbedder(**WARM, warm_start=True).fit(G)
    H = G.copy()
    H.remove_node(3)
    u, v = next(iter(H.edges(10)))
    H[u][v]["weight"] = 5.0
    emb.fit(H)
    assert 3 not in set(emb.nodes_.tolist())
    expected = set(G[3]) | {u, v}
    assert set(emb.updated_nodes_.tolist()) == expected


def test_warm_start_warnings_and_errors(two_communities):
    G, H = two_communities
    est = Node2VecEmbedder(**WARM).fit(G)
    with pytest.warns(UserWarning, match="did not keep the state a warm start continues from"):
        est.partial_fit(H)
    assert est.updated_nodes_ is None and est.n_walks_ == 8 * H.number_of_nodes()
    with pytest.raises(ValueError, match="previous embedding has 16 dimensions but dimensions=8"):
        est.set_params(dimensions=8).partial_fit(H)
    with pytest.raises(InvalidParameterError, match="'warm_start_walks'"):
        Node2VecEmbedder(warm_start_walks="some").fit(G)


# -- streamed walks and the memory estimate -------------------------------------

# sample pinned: the materialised path trains at 1e-3, the estimator defaults to "auto".
STREAM = dict(
    n_components=16,
    walk_length=12,
    num_walks=3,
    window=4,
    p=2.0,
    q=0.5,
    epochs=2,
    sample=1e-3,
    n_jobs=1,
    random_state=5,
)


@pytest.fixture(scope="module")
def weighted_directed():
    """A weighted directed graph with a dead end: every walk-engine path is exercised."""
    rng = np.random.default_rng(3)
    G = nx.gnp_random_graph(150, 0.05, seed=3, directed=True)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.5, 3.0))
    G.add_edge(149, 150, weight=1.0)  # 150 has no out-edges
    return as_graph(G)


def _materialised(graph, trainer, seed, **engine):
    """Today's materialised path: the whole walk matrix, then the trainer."""
    from skgraphemb import skipgram
    from skgraphemb.utils._random_state import seed_from_random_state
    from skgraphemb.walks import random_walks

    seed = seed_from_random_state(seed)
    walks = random_walks(
        graph,
        walk_length=STREAM["walk_length"],
        num_walks=STREAM["num_walks"],
        p=STREAM["p"],
        q=STREAM["q"],
        random_state=seed,
        **engine,
    )
    train = {
        "native": skipgram.train_skipgram,
        "gensim": skipgram.train_gensim,
        "torch": skipgram.train_skipgram_torch,
    }[trainer]
    return train(
        walks,
        graph.n_nodes,
        dimensions=STREAM["n_components"],
        window=STREAM["window"],
        negative=5,
        epochs=STREAM["epochs"],
        alpha=0.025,
        min_alpha=0.0125,
        sample=STREAM["sample"],
        seed=seed,
        n_jobs=STREAM["n_jobs"],
    )


@pytest.mark.filterwarnings("ignore:The directed graph has")
@pytest.mark.parametrize("chunk", [None, 1, 37, 10_000])
@pytest.mark.parametrize("trainer", ["native", "gensim"])
def test_streamed_fit_is_bitwise_the_materialised_one(weighted_directed, trainer, chunk):
    emb = Node2VecEmbedder(**STREAM, trainer=trainer, walk_chunk_size=chunk).fit(weighted_directed)
    np.testing.assert_array_equal(emb.embedding_, _materialised(weighted_directed, trainer, 5))
    assert emb.n_walks_ == 3 * 151 and emb.walk_time_ > 0 and emb.train_time_ > 0


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:The directed graph has")
def test_streamed_torch_fit_is_bitwise_the_materialised_one(weighted_directed, no_cuda):
    emb = Node2VecEmbedder(**STREAM, backend="torch").fit(weighted_directed)
    expected = _materialised(weighted_directed, "torch", 5, backend="torch")
    np.testing.assert_array_equal(emb.embedding_, expected)
    # The native walks with the torch trainer: the trainer's blocks do not
    # depend on how the stream is chunked either.
    mixed = [Node2VecEmbedder(**STREAM, trainer="torch", walk_chunk_size=c).fit(weighted_directed) for c in (7, 400)]
    np.testing.assert_array_equal(mixed[0].embedding_, mixed[1].embedding_)
    np.testing.assert_array_equal(mixed[0].embedding_, _materialised(weighted_directed, "torch", 5))


def test_streamed_warm_start_is_bitwise_the_materialised_one(two_communities):
    from skgraphemb import skipgram
    from skgraphemb.node2vec import _warm_start_plan
    from skgraphemb.utils._random_state import seed_from_random_state
    from skgraphemb.walks import random_walks

    G, H = two_communities
    emb = Node2VecEmbedder(**WARM, warm_start=True, walk_chunk_size=13).fit(G)
    previous = emb._previous_state()
    graph, seed = as_graph(H), seed_from_random_state(WARM["random_state"])
    init, init_output, updated = _warm_start_plan(previous, graph, "changed", 16, seed)
    walks = random_walks(graph, walk_length=15, num_walks=8, q=0.5, random_state=seed, start_nodes=graph.nodes[updated])
    expected = skipgram.train_skipgram(
        walks,
        graph.n_nodes,
        dimensions=16,
        window=4,
        epochs=1,
        alpha=0.025,
        min_alpha=0.0125,
        sample=0.0,
        seed=seed,
        n_jobs=1,
        init=init,
        init_output=init_output,
    )
    emb.fit(H)
    np.testing.assert_array_equal(emb.embedding_, expected)


def test_peak_memory_does_not_grow_with_the_number_of_walks():
    """Walks are streamed: the largest numpy allocation is a chunk, not the walk matrix."""
    import tracemalloc

    graph = as_graph(nx.barabasi_albert_graph(2000, 3, seed=0))
    peaks = {}
    for num_walks in (20, 80):
        emb = Node2VecEmbedder(
            n_components=8,
            walk_length=40,
            num_walks=num_walks,
            window=3,
            random_state=0,
            walk_chunk_size=50,
            max_memory=None,
        )
        tracemalloc.start()
        emb.fit(graph)
        peaks[num_walks] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    matrix = 80 * 2000 * 40 * 4  # the walk matrix of 80 walks per node: 25.6 MB
    # Four times the walks, the same peak: a chunk and a trainer block (1 MB).
    assert peaks[80] < 1.2 * peaks[20] < matrix / 4, peaks


def test_memory_estimate_parts_and_formula(karate_graph):
    emb = Node2VecEmbedder(n_components=32, walk_length=10, num_walks=2, random_state=0)
    est = emb.estimate_memory(karate_graph)
    n = karate_graph.n_nodes
    assert est.parts["vectors"] == 2 * n * 32 * 4
    assert est.total == sum(est.parts.values()) and est.peak >= est.total
    assert est.parts["walk buffers"] >= 2 * n * 10 * 4  # a chunk (here all 68 walks), twice
    assert (
        Node2VecEmbedder(n_components=32, trainer="gensim").estimate_memory(karate_graph).parts["vectors"]
        == 4 * n * 32 * 4
    )
    assert Node2VecEmbedder(graph=karate_graph).estimate_memory().parts["vectors"] == 2 * n * 128 * 4
    with pytest.raises(ValueError, match="needs a graph"):
        Node2VecEmbedder().estimate_memory()
    # Weighted walks need alias tables: 12 bytes per stored edge and more.
    unweighted = as_graph(nx.karate_club_graph(), weight=None)
    assert est.parts["walk tables"] - emb.estimate_memory(unweighted).parts["walk tables"] >= 12 * karate_graph.nnz


def test_fit_refuses_what_does_not_fit_before_any_work(karate_graph, monkeypatch):
    from skgraphemb import InsufficientMemoryError
    from skgraphemb.utils import _memory
    from skgraphemb.walks import _plan as walks_module

    def no_walks(*args, **kwargs):
        raise AssertionError("walks were generated")

    monkeypatch.setattr(walks_module, "_walk_stream", no_walks)
    with pytest.raises(InsufficientMemoryError, match=r"needs about .* but max_memory='1kB' allows 1.00 kB") as info:
        Node2VecEmbedder(n_components=64, max_memory="1kB").fit(karate_graph)
    message = str(info.value)
    assert "vectors 17.41 kB" in message and "lower dimensions (each dimension costs 272 B here)" in message
    assert isinstance(info.value, MemoryError) and info.value.required > 17_000
    # "auto": against the memory available now.
    monkeypatch.setattr(_memory, "available_memory", lambda: 5_000)
    with pytest.raises(InsufficientMemoryError, match="only 5.00 kB is available on this machine"):
        Node2VecEmbedder(n_components=64).fit(karate_graph)
    with pytest.raises(InsufficientMemoryError, match="use trainer='native'"):
        Node2VecEmbedder(n_components=64, trainer="gensim").fit(karate_graph)
    # max_memory=None: no check (the walks are reached).
    with pytest.raises(AssertionError, match="walks were generated"):
        Node2VecEmbedder(n_components=64, max_memory=None).fit(karate_graph)


def test_memory_estimate_is_logged_and_shown_with_verbose(karate_graph, caplog, capsys):
    import logging

    with caplog.at_level(logging.INFO, logger="skgraphemb.node2vec"):
        emb = Node2VecEmbedder(**FAST, random_state=0).fit(karate_graph)
    assert "Node2VecEmbedder needs about" in caplog.text
    assert emb.memory_estimate_.parts["vectors"] == 2 * 34 * 16 * 4
    assert "needs about" not in capsys.readouterr().err
    Node2VecEmbedder(**FAST, random_state=0, verbose=1).fit(karate_graph)
    assert "[Node2VecEmbedder] Node2VecEmbedder needs about" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["lots", "-3GB", 0, 1.5])
def test_max_memory_validation(karate_graph, bad):
    with pytest.raises((ValueError, InvalidParameterError), match="max_memory|memory size"):
        Node2VecEmbedder(**FAST, max_memory=bad).fit(karate_graph)


# -- trust: never NaN, no silent untrained vectors, clear state errors ----------
@pytest.mark.parametrize("trainer", ["native", "torch"])
@pytest.mark.parametrize("alpha", [0.2, 1.0])
def test_divergence_is_an_error_not_nan_rows(karate_graph, trainer, alpha):
    """Before: alpha=0.2 returned 34 NaN rows on karate (numba from 1.0, torch from 0.2)."""
    from skgraphemb import TrainingDivergedError

    est = Node2VecEmbedder(alpha=alpha, trainer=trainer, window=10, sample=0, random_state=0, n_jobs=1)
    try:
        Z = est.fit_transform(karate_graph)
    except TrainingDivergedError as e:
        assert "lower alpha" in str(e)
        assert not hasattr(est, "embedding_")
    else:  # converged: then every value is finite
        assert np.isfinite(Z).all()


@pytest.mark.parametrize("trainer", ["native", "torch"])
def test_alpha_far_too_high_always_raises(karate_graph, trainer):
    from skgraphemb import TrainingDivergedError

    with pytest.raises(TrainingDivergedError, match="alpha=5 is too high"):
        Node2VecEmbedder(alpha=5.0, trainer=trainer, random_state=0, n_jobs=1).fit(karate_graph)


def test_walk_length_1_is_refused(karate_graph):
    """Before: walk_length=1 returned the random initial vectors, silently."""
    with pytest.raises(InvalidParameterError, match="walk_length.*range \\[2, inf\\)"):
        Node2VecEmbedder(walk_length=1).fit(karate_graph)
