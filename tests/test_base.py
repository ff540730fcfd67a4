"""The contract of :class:`~skgraphemb.base.BaseGraphEmbedder`, checked on every public embedder.

What the base class gives every embedder: parameters only in the
constructor, cheap clones that share the graph, float32 rows in ``nodes_``
order, id-aware ``transform`` (unknown ids named), ``fit_transform`` equal
to ``fit().transform``, reproducible integer seeds, the ``memory`` cache,
pickling, pandas output, ``y`` ignored, non-finite embeddings refused.
scikit-learn's own checks are in ``tests/test_common.py``.
"""

from __future__ import annotations

import inspect
import pickle

import networkx as nx
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from skgraphemb import TrainingDivergedError, UnknownNodeError
from skgraphemb.base import BaseGraphEmbedder
from tests._estimator_checks import GRAPH, INIT_PARAMS, make


@pytest.fixture(params=list(INIT_PARAMS), ids=lambda c: c.__name__)
def embedder_cls(request):
    return request.param


def test_is_a_graph_embedder(embedder_cls):
    assert issubclass(embedder_cls, BaseGraphEmbedder)
    # constructor stores parameters only (required ones, e.g. a wrapped
    # embedder, taken from INIT_PARAMS)
    required = [
        name for name, p in inspect.signature(embedder_cls).parameters.items() if p.default is inspect.Parameter.empty
    ]
    est = embedder_cls(**{name: INIT_PARAMS[embedder_cls][name] for name in required})
    assert set(vars(est)) == set(est.get_params(deep=False))


def test_clone_shares_the_graph(embedder_cls, karate):
    for graph in (GRAPH, karate):
        est = make(embedder_cls, graph=graph)
        assert clone(est).graph is graph


def test_output_float32_rows_in_nodes_order(embedder_cls, string_graph):
    est = make(embedder_cls).fit(string_graph)
    Z = est.fit_transform(string_graph)
    assert Z.dtype == np.float32 and Z.shape[0] == string_graph.n_nodes
    assert list(est.nodes_) == list(string_graph.nodes)
    np.testing.assert_array_equal(est.transform(list(est.nodes_)[::-1]), Z[::-1])


def test_fit_transform_equals_fit_then_transform(embedder_cls, string_graph):
    # graph as X: one row per node; graph as a parameter: one row per id of X
    Z = make(embedder_cls).fit_transform(string_graph)
    np.testing.assert_array_equal(Z, make(embedder_cls).fit(string_graph).transform(list(string_graph.nodes)))
    ids = ["n3", "n0", "n11", "n3"]
    est = make(embedder_cls, graph=string_graph)
    np.testing.assert_array_equal(
        est.fit_transform(ids), make(embedder_cls, graph=string_graph).fit(ids).transform(ids)
    )


def test_unknown_ids_raise_valueerror_naming_them(embedder_cls, string_graph):
    est = make(embedder_cls).fit(GRAPH)
    with pytest.raises(UnknownNodeError, match=r"\b1001\b.*\b1002\b") as info:
        est.transform([0, 1001, 1002])
    assert isinstance(info.value, ValueError) and info.value.missing == [1001, 1002]
    with pytest.raises(UnknownNodeError, match="'nope'"):
        est.transform([0, "nope"])
    # with graph= set, fit checks the ids of X too
    with pytest.raises(ValueError, match="not in the graph"):
        make(embedder_cls, graph=string_graph).fit(["n0", "n1", "n777"])


def test_integer_seed_reproducible(embedder_cls):
    a = make(embedder_cls, random_state=5).fit_transform(GRAPH)
    b = make(embedder_cls, random_state=5).fit_transform(GRAPH)
    np.testing.assert_array_equal(a, b)


def test_memory_caches_the_embedding(embedder_cls, tmp_path, monkeypatch):
    calls = []
    original = embedder_cls._embed

    def counting_embed(self, graph, seed):
        calls.append(seed)
        return original(self, graph, seed)

    monkeypatch.setattr(embedder_cls, "_embed", counting_embed)
    first = make(embedder_cls, memory=str(tmp_path)).fit(GRAPH)
    again = make(embedder_cls, memory=str(tmp_path), n_jobs=None, verbose=0).fit(GRAPH)
    assert len(calls) == 1  # the second fit (only run settings differ) loads the first's result
    np.testing.assert_array_equal(again.embedding_, first.embedding_)
    np.testing.assert_array_equal(again.nodes_, first.nodes_)
    make(embedder_cls, memory=str(tmp_path), random_state=6).fit(GRAPH)
    assert len(calls) == 2  # another seed is another embedding


def test_no_cache_without_integer_seed(embedder_cls, tmp_path):
    make(embedder_cls, memory=str(tmp_path), random_state=None).fit(GRAPH)
    assert not list(tmp_path.rglob("output.pkl"))


def test_pickle_roundtrip_transforms_identically(embedder_cls):
    est = make(embedder_cls).fit(GRAPH)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform([3, 2, 1]), est.transform([3, 2, 1]))
    assert again.most_similar(0, topn=3) == est.most_similar(0, topn=3)
    assert list(again.get_feature_names_out()) == list(est.get_feature_names_out())


@pytest.mark.parametrize("attribute", ["embedding_", "nodes_"])
def test_pickle_missing_a_fitted_attribute_says_so(embedder_cls, attribute):
    est = make(embedder_cls).fit(GRAPH)
    state = dict(est.__getstate__())
    del state[attribute]
    broken = embedder_cls.__new__(embedder_cls)
    broken.__setstate__(state)
    broken = pickle.loads(pickle.dumps(broken))
    for use in (lambda: broken.transform([0]), broken.get_embedding, lambda: broken.most_similar(0)):
        with pytest.raises(NotFittedError, match=f"incomplete or incompatible.*{attribute}.*Fit it again"):
            use()


def test_pandas_output_index_is_node_ids(embedder_cls, string_graph):
    est = make(embedder_cls).set_output(transform="pandas")
    df = est.fit_transform(string_graph)
    assert list(df.index) == list(string_graph.nodes)
    assert list(df.columns) == list(est.get_feature_names_out())


def test_fit_ignores_y(embedder_cls):
    nodes = np.arange(34)
    est = make(embedder_cls, graph=GRAPH)
    a = est.fit(nodes, nodes % 2).embedding_.copy()
    b = est.fit(nodes, np.zeros(34)).embedding_
    np.testing.assert_array_equal(a, b)


# -- the shared fit and transform paths refuse non-finite vectors ---------------------
class _NaNEmbedder(BaseGraphEmbedder):
    """An embedder whose pure step returns a NaN: the shared fit path must refuse it."""

    def __init__(self, *, graph=None, memory=None, verbose=0, random_state=None, n_jobs=None):
        self.graph, self.memory, self.verbose = graph, memory, verbose
        self.random_state, self.n_jobs = random_state, n_jobs

    def _embed(self, graph, seed):
        Z = np.ones((graph.n_nodes, 2))
        Z[3, 1] = np.inf if seed % 2 else np.nan
        return Z, {}


@pytest.mark.parametrize("seed", [0, 1])
def test_base_fit_refuses_non_finite_embeddings(karate, seed):
    est = _NaNEmbedder(random_state=seed)
    with pytest.raises(TrainingDivergedError, match="NaN or infinite values in 1 of 34 rows"):
        est.fit(karate)


class _InductiveNaN(_NaNEmbedder):
    """Finite at fit; its vectors of a new graph (inductive transform) hold a NaN."""

    def _embed(self, graph, seed):
        return np.ones((graph.n_nodes, 2)), {}

    def transform(self, X):
        if isinstance(X, nx.Graph):
            Z = np.ones((X.number_of_nodes(), 2), dtype=np.float32)
            Z[0, 0] = np.nan
            return self._output(Z, list(X))
        return super().transform(X)


def test_inductive_output_is_checked(karate):
    est = _InductiveNaN(random_state=0).fit(karate)
    assert np.isfinite(est.transform([0, 1])).all()
    with pytest.raises(TrainingDivergedError, match="the transform produced NaN"):
        est.transform(nx.path_graph(3))
