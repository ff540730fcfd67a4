"""Checks every public embedder must pass: scikit-learn's and our own.

scikit-learn's ``parametrize_with_checks`` runs in the mode where ``graph``
is set and X is a column of node ids.  Its generated data are float feature
matrices, which are not node ids of any graph, so the checks that fit on
such data fail by design; each is listed in ``EXPECTED_FAILED_CHECKS`` with
the reason.  Our own checks below cover the same ground with real node ids.
"""

from __future__ import annotations

import inspect
import pickle

import networkx as nx
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

import skgraphemb
from skgraphemb import (
    FastRPEmbedder,
    GraphSAGEEmbedder,
    Node2VecEmbedder,
    ProNEEmbedder,
    SpectralPropagation,
    SVDEmbedder,
    UnknownNodeError,
    as_graph,
)
from skgraphemb._optional import is_available
from skgraphemb.base import BaseGraphEmbedder
from tests._estimator_checks import expected_failures

_GRAPH = as_graph(nx.karate_club_graph())

#: Small, fast constructor settings per estimator (imblearn's INIT_PARAMS).
INIT_PARAMS: dict[type, dict] = {
    Node2VecEmbedder: dict(dimensions=8, walk_length=10, num_walks=2, window=3, n_jobs=1, random_state=0),
    SVDEmbedder: dict(n_components=4, random_state=0),
    ProNEEmbedder: dict(n_components=4, random_state=0),
    FastRPEmbedder: dict(n_components=8, random_state=0),
    SpectralPropagation: dict(embedder=SVDEmbedder(n_components=4), random_state=0),
}
#: Public embedders whose optional extra is not installed here: not checked.
MISSING_EXTRA = set()
if is_available("torch") and is_available("torch_geometric"):
    # karate has no node features: the structural fallback (set explicitly,
    # so fits do not warn).
    INIT_PARAMS[GraphSAGEEmbedder] = dict(
        dimensions=4,
        hidden_dim=8,
        epochs=1,
        batch_size=64,
        feature_source="structural",
        device="cpu",
        n_jobs=1,
        random_state=0,
    )
else:
    MISSING_EXTRA.add(GraphSAGEEmbedder)

_WIDE_X = (
    "the check fits on a float feature matrix with several columns; with `graph` set, "
    "X must be a single column of node ids, so fit raises a ValueError saying so"
)
_FLOAT_X = (
    "the check fits on one column of random floats, which are not node ids of the "
    "graph, so fit raises a ValueError naming the unknown ids"
)
EXPECTED_FAILED_CHECKS = expected_failures(_WIDE_X, check_fit2d_1feature=_FLOAT_X)


def _instances():
    for cls, params in INIT_PARAMS.items():
        yield cls(graph=_GRAPH, **params)


def _expected_failed(estimator):
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failed, xfail_strict=True)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# -- our own embedder checks -----------------------------------------------------
EMBEDDERS = list(INIT_PARAMS)


@pytest.fixture(params=EMBEDDERS, ids=lambda c: c.__name__)
def embedder_cls(request):
    return request.param


def _make(cls, **overrides):
    return cls(**{**INIT_PARAMS[cls], **overrides})


def test_every_public_embedder_is_checked():
    public = [getattr(skgraphemb, n) for n in skgraphemb.__all__ if n != "__version__"]
    estimators = {obj for obj in public if inspect.isclass(obj) and issubclass(obj, BaseGraphEmbedder)}
    assert estimators - MISSING_EXTRA == set(INIT_PARAMS)


def test_every_device_parameter_has_the_same_default():
    # One rule for every estimator and function with a `device` parameter
    # (docs/torch.rst): the CPU, so results never depend on whether the
    # machine has a GPU; "auto" is an explicit opt-in.
    from skgraphemb.skipgram import train_skipgram_torch
    from skgraphemb.utils._device import DEFAULT_DEVICE

    defaults = {}
    for obj in [getattr(skgraphemb, name) for name in skgraphemb.__all__] + [train_skipgram_torch]:
        if not callable(obj):
            continue
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        if "device" in params:
            defaults[obj.__name__] = params["device"].default
    expected = {"Node2VecEmbedder", "GraphSAGEEmbedder", "KGEmbedder", "random_walks", "iter_walk_chunks"}
    assert expected <= set(defaults), sorted(defaults)
    assert DEFAULT_DEVICE == "cpu"
    assert defaults == dict.fromkeys(defaults, DEFAULT_DEVICE)


def test_clone_shares_the_graph(embedder_cls, karate):
    for graph in (_GRAPH, karate):
        est = _make(embedder_cls, graph=graph)
        assert clone(est).graph is graph


def test_output_float32_rows_in_nodes_order(embedder_cls, string_graph):
    est = _make(embedder_cls).fit(string_graph)
    Z = est.fit_transform(string_graph)
    assert Z.dtype == np.float32 and Z.shape[0] == string_graph.n_nodes
    assert list(est.nodes_) == list(string_graph.nodes)
    np.testing.assert_array_equal(est.transform(list(est.nodes_)[::-1]), Z[::-1])


def test_unknown_ids_raise_valueerror_naming_them(embedder_cls):
    est = _make(embedder_cls).fit(_GRAPH)
    with pytest.raises(UnknownNodeError, match=r"\b1001\b.*\b1002\b") as info:
        est.transform([0, 1001, 1002])
    assert isinstance(info.value, ValueError) and info.value.missing == [1001, 1002]


def test_integer_seed_reproducible(embedder_cls):
    a = _make(embedder_cls, random_state=5).fit_transform(_GRAPH)
    b = _make(embedder_cls, random_state=5).fit_transform(_GRAPH)
    np.testing.assert_array_equal(a, b)


def test_pickle_roundtrip_transforms_identically(embedder_cls):
    est = _make(embedder_cls).fit(_GRAPH)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform([3, 2, 1]), est.transform([3, 2, 1]))


def test_pandas_output_index_is_node_ids(embedder_cls, string_graph):
    est = _make(embedder_cls).set_output(transform="pandas")
    df = est.fit_transform(string_graph)
    assert list(df.index) == list(string_graph.nodes)
    assert list(df.columns) == list(est.get_feature_names_out())


def test_fit_ignores_y(embedder_cls):
    nodes = np.arange(34)
    est = _make(embedder_cls, graph=_GRAPH)
    a = est.fit(nodes, nodes % 2).embedding_.copy()
    b = est.fit(nodes, np.zeros(34)).embedding_
    np.testing.assert_array_equal(a, b)


def test_is_a_graph_embedder(embedder_cls):
    assert issubclass(embedder_cls, BaseGraphEmbedder)
    # constructor stores parameters only (required ones, e.g. a wrapped
    # embedder, taken from INIT_PARAMS)
    required = [
        name for name, p in inspect.signature(embedder_cls).parameters.items() if p.default is inspect.Parameter.empty
    ]
    est = embedder_cls(**{name: INIT_PARAMS[embedder_cls][name] for name in required})
    assert set(vars(est)) == set(est.get_params(deep=False))
