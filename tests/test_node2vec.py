"""Node2VecEmbedder: the sklearn contract and embedding quality."""

from __future__ import annotations

import pickle
from pathlib import Path

import joblib
import networkx as nx
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skgraphemb import Node2VecEmbedder, UnknownNodeError, as_graph, evaluate_node_classification

# Small, fast settings; quality tests raise them where needed.  sample=0: on
# graphs of a few dozen nodes every node is "frequent" by word2vec's
# sample=1e-3 rule and would be dropped from most contexts (see the docs).
FAST = dict(dimensions=16, walk_length=20, num_walks=5, window=5, sample=0.0, n_jobs=1)


def test_fit_transform_shape_dtype_and_row_order(karate_graph):
    emb = Node2VecEmbedder(**FAST, random_state=0)
    Z = emb.fit_transform(karate_graph)
    assert Z.shape == (34, 16) and Z.dtype == np.float32
    assert np.array_equal(emb.nodes_, karate_graph.nodes)
    # rows of fit_transform are the nodes_ order; transform follows X's order
    np.testing.assert_array_equal(emb.transform(emb.nodes_), Z)
    np.testing.assert_array_equal(emb.transform([33, 0]), Z[[33, 0]])
    assert emb.transform(np.array([[5], [6]])).shape == (2, 16)
    assert emb.backend_ == "numba" and emb.trainer_ == "numba"
    assert emb.walk_time_ >= 0 and emb.train_time_ >= 0


def test_reproducible_with_integer_seed(karate_graph):
    a = Node2VecEmbedder(**FAST, random_state=3).fit_transform(karate_graph)
    b = Node2VecEmbedder(**FAST, random_state=3).fit_transform(karate_graph)
    c = Node2VecEmbedder(**FAST, random_state=4).fit_transform(karate_graph)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_graph_param_equals_graph_as_X(karate, karate_graph):
    a = Node2VecEmbedder(**FAST, random_state=1).fit_transform(karate)
    est = Node2VecEmbedder(**FAST, graph=karate_graph, random_state=1)
    b = est.fit(np.arange(10)).transform(np.arange(34))
    np.testing.assert_array_equal(a, b)
    assert est.n_features_in_ == 1
    # with graph set, fit_transform returns the rows of X
    np.testing.assert_array_equal(est.fit_transform([3, 1]), a[[3, 1]])


@pytest.mark.parametrize("trainer", ["numba", "gensim"])
def test_karate_communities_are_recovered(karate_graph, karate_labels, trainer):
    emb = Node2VecEmbedder(
        dimensions=16, walk_length=20, num_walks=20, window=5, q=0.5, sample=0.0, n_jobs=1,
        trainer=trainer, random_state=0,
    ).fit(karate_graph)
    mean, _ = evaluate_node_classification(emb, karate_labels, cv=3)
    assert mean > 0.8



def test_planted_partition_quality_numba_matches_gensim(planted_partition):
    graph, labels = planted_partition
    scores = {}
    for trainer in ("numba", "gensim"):
        emb = Node2VecEmbedder(**{**FAST, "num_walks": 10}, trainer=trainer, random_state=0).fit(graph)
        scores[trainer] = evaluate_node_classification(emb, labels, cv=3).mean
    assert scores["numba"] >= 0.95
    assert scores["numba"] >= scores["gensim"] - 0.05


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


def test_unknown_ids_raise_naming_them(karate_graph):
    emb = Node2VecEmbedder(**FAST, random_state=0).fit(karate_graph)
    with pytest.raises(UnknownNodeError, match="'nope'"):
        emb.transform([0, "nope"])
    with pytest.raises(ValueError, match="99"):
        emb.transform([99])
    with pytest.raises(ValueError, match="not in the graph"):
        Node2VecEmbedder(**FAST, graph=karate_graph).fit([0, 1, 777])


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


def test_directed_dead_end_warns_and_walks_stop(directed_dead_end_graph):
    with pytest.warns(UserWarning, match="no out-edges.*'sink'"):
        emb = Node2VecEmbedder(**FAST, random_state=0).fit(directed_dead_end_graph)
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
        pytest.skip("PecanPy is installed here; tests/test_pecanpy.py covers the backend")
    with pytest.raises(ImportError, match=r'skgraphemb\[pecanpy\]'):
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


def test_no_cache_without_integer_seed(tmp_path, karate_graph):
    Node2VecEmbedder(**FAST, memory=str(tmp_path)).fit(karate_graph)
    assert _count_cached_embeddings(tmp_path) == 0


def test_users_day_pipeline_gridsearch_persist(tmp_path, karate, karate_labels):
    """The DESIGN.md workflow, end to end on karate."""
    emb = Node2VecEmbedder(dimensions=32, walk_length=30, num_walks=20, p=1.0, q=0.5,
                           window=10, sample=0.0, n_jobs=2, random_state=0)
    Z = emb.fit_transform(karate)
    assert Z.shape == (34, 32) and emb.transform([0]).shape == (1, 32)
    assert len(emb.most_similar(0, topn=5)) == 5
    pipe = Pipeline([("n2v", Node2VecEmbedder(**FAST, graph=as_graph(karate), random_state=0)),
                     ("clf", LogisticRegression(max_iter=1000))])
    search = GridSearchCV(pipe, {"n2v__p": [0.5, 1, 2], "n2v__q": [0.5, 1, 2]},
                          scoring="f1_macro", cv=3, n_jobs=1)
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
