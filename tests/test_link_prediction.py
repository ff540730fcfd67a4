"""Tests for skgraphemb.link_prediction."""

import networkx as nx
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgraphemb import (
    LinkPredictionScorer,
    Node2VecEmbedder,
    SVDEmbedder,
    UnknownNodeError,
    as_graph,
    evaluate_link_prediction,
    split_edges,
)
from tests._estimator_checks import expected_failures


def reference_evaluate_link_prediction(embeddings, test_edges, negative_edges):
    """Verbatim copy of the reference workflow's function."""

    def score(u, v):
        eu, ev = embeddings[u], embeddings[v]
        return np.dot(eu, ev) / (np.linalg.norm(eu) * np.linalg.norm(ev) + 1e-8)

    pos_scores = [score(u, v) for u, v in test_edges]
    neg_scores = [score(u, v) for u, v in negative_edges]

    labels = [1] * len(pos_scores) + [0] * len(neg_scores)
    scores = pos_scores + neg_scores

    auc = roc_auc_score(labels, scores)
    return auc


def _edge_set(graph, directed):
    G = as_graph(graph)
    rows = np.repeat(np.arange(G.n_nodes), np.diff(G.indptr))
    ids = G.nodes
    edges = set(zip(ids[rows].tolist(), ids[G.indices].tolist()))
    return edges


@pytest.fixture(scope="module")
def caveman():
    return nx.connected_caveman_graph(6, 6)


def _n2v(graph):
    return Node2VecEmbedder(graph=graph, n_components=16, walk_length=20, num_walks=10, sample=0, random_state=0)


@pytest.mark.parametrize("ratio", [1.0, 2.0, 0.5])
def test_split_edges_undirected(caveman, ratio):
    split = split_edges(caveman, test_size=0.2, negative_ratio=ratio, random_state=0)
    orig = _edge_set(caveman, False)
    train = _edge_set(split.train_graph, False)
    pos = split.test_pairs[split.test_labels == 1]
    neg = split.test_pairs[split.test_labels == 0]
    n_cand = caveman.number_of_edges()
    assert len(pos) == round(0.2 * n_cand)
    assert len(neg) == round(ratio * len(pos))
    # held-out positives are edges of the original graph, absent from train (both ways)
    for u, v in pos.tolist():
        assert (u, v) in orig and (u, v) not in train and (v, u) not in train
    assert len(train) == len(orig) - 2 * len(pos)
    # negatives: never edges, never self-pairs, no duplicates (either orientation)
    for u, v in neg.tolist():
        assert (u, v) not in orig and u != v
    canon = {tuple(sorted(p)) for p in neg.tolist()}
    assert len(canon) == len(neg)
    # same node set and ids
    assert list(split.train_graph.nodes) == list(as_graph(caveman).nodes)
    assert not split.train_graph.directed


def test_split_edges_directed_and_string_ids():
    rng = np.random.default_rng(1)
    D = nx.gnp_random_graph(40, 0.15, seed=1, directed=True)
    D = nx.relabel_nodes(D, {i: f"n{i}" for i in D})
    D.add_edge("n0", "n0")  # self-loop: never held out
    split = split_edges(D, test_size=0.3, negative_ratio=1.5, val_size=0.1, random_state=rng.integers(100))
    orig = _edge_set(D, True)
    train = _edge_set(split.train_graph, True)
    assert split.train_graph.directed
    assert ("n0", "n0") in train
    for pairs, labels in ((split.test_pairs, split.test_labels), (split.val_pairs, split.val_labels)):
        pos, neg = pairs[labels == 1], pairs[labels == 0]
        assert len(neg) == round(1.5 * len(pos))
        assert all((u, v) in orig and (u, v) not in train for u, v in pos.tolist())
        assert all((u, v) not in orig and u != v for u, v in neg.tolist())
        assert len(set(map(tuple, neg.tolist()))) == len(neg)
    all_neg = [
        tuple(p)
        for p in np.r_[split.test_pairs[split.test_labels == 0], split.val_pairs[split.val_labels == 0]].tolist()
    ]
    assert len(set(all_neg)) == len(all_neg)  # test and val negatives disjoint
    n_held = (split.test_labels == 1).sum() + (split.val_labels == 1).sum()
    assert len(train) == len(orig) - n_held


def test_split_edges_reproducible(caveman):
    a = split_edges(caveman, random_state=3)
    b = split_edges(caveman, random_state=3)
    c = split_edges(caveman, random_state=4)
    np.testing.assert_array_equal(a.test_pairs, b.test_pairs)
    np.testing.assert_array_equal(a.test_labels, b.test_labels)
    assert a.train_graph == b.train_graph
    assert not np.array_equal(a.test_pairs, c.test_pairs)


def test_split_edges_keep_connected(caveman):
    split = split_edges(caveman, test_size=0.4, keep_connected=True, random_state=0)
    G = split.train_graph.to_networkx()
    assert nx.is_connected(G)
    with pytest.raises(ValueError, match="spanning forest"):
        split_edges(caveman, test_size=0.95, keep_connected=True, random_state=0)


def test_split_edges_weighted_keeps_weights():
    G = nx.Graph()
    G.add_weighted_edges_from([(i, (i + 1) % 10, float(i + 1)) for i in range(10)])
    G.add_weighted_edges_from([(i, (i + 3) % 10, 0.5) for i in range(10)])
    split = split_edges(G, test_size=5, random_state=0)
    T = split.train_graph.to_networkx()
    assert T.number_of_edges() == 15
    for u, v, w in T.edges(data="weight"):
        assert G[u][v]["weight"] == w


def test_split_edges_errors(caveman):
    with pytest.raises(ValueError, match="cannot hold out"):
        split_edges(caveman, test_size=10_000)
    with pytest.raises(ValueError, match="negative pairs"):
        split_edges(nx.complete_graph(6), test_size=3)
    with pytest.raises(ValueError, match="negative_ratio"):
        split_edges(caveman, negative_ratio=-1)


def test_evaluate_equals_reference():
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        E = rng.normal(size=(50, 8)).astype(dtype)
        pos = rng.integers(0, 50, size=(30, 2))
        neg = rng.integers(0, 50, size=(45, 2))
        assert evaluate_link_prediction(E, pos, neg) == reference_evaluate_link_prediction(E, pos, neg)
        assert evaluate_link_prediction(E, pos.tolist(), neg.tolist()) == reference_evaluate_link_prediction(
            E, pos, neg
        )


def test_evaluate_accepts_frame_and_embedder(caveman):
    pd = pytest.importorskip("pandas")
    split = split_edges(caveman, test_size=0.2, random_state=0)
    emb = _n2v(split.train_graph).fit()
    pos = split.test_pairs[split.test_labels == 1]
    neg = split.test_pairs[split.test_labels == 0]
    ids = list(emb.nodes_)
    rows = lambda p: np.array([[ids.index(u), ids.index(v)] for u, v in p.tolist()])  # noqa: E731
    expected = reference_evaluate_link_prediction(emb.embedding_, rows(pos), rows(neg))
    assert evaluate_link_prediction(emb, pos, neg) == expected
    frame = pd.DataFrame(emb.embedding_, index=[f"x{i}" for i in emb.nodes_])
    named = lambda p: np.array([[f"x{u}", f"x{v}"] for u, v in p.tolist()], dtype=object)  # noqa: E731
    assert evaluate_link_prediction(frame, named(pos), named(neg)) == expected
    with pytest.raises(UnknownNodeError, match="nope"):
        evaluate_link_prediction(frame, [["x0", "nope"]], named(neg))


def test_operators_against_numpy(caveman):
    split = split_edges(caveman, test_size=0.2, random_state=0)
    emb = _n2v(split.train_graph)
    X = split.test_pairs
    lp = LinkPredictionScorer(emb, operator="cosine").fit(X)
    E = lp.embedder_.embedding_
    a, b = E[X[:, 0]], E[X[:, 1]]  # caveman ids are 0..n-1 positions
    expected = {
        "hadamard": a * b,
        "average": (a + b) / 2,
        "l1": np.abs(a - b),
        "l2": (a - b) ** 2,
    }
    for op, feat in expected.items():
        lp.set_params(operator=op)
        out = lp.transform(X)
        assert out.shape == (len(X), 16)
        np.testing.assert_allclose(out, feat, rtol=1e-6)
        assert len(lp.get_feature_names_out()) == 16
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-8)
    lp.set_params(operator="dot")
    np.testing.assert_allclose(lp.transform(X), (a * b).sum(1)[:, None], rtol=1e-5)
    np.testing.assert_allclose(lp.decision_function(X), (a * b).sum(1), rtol=1e-5)
    lp.set_params(operator="cosine")
    np.testing.assert_allclose(lp.transform(X), cos[:, None], rtol=1e-5)
    np.testing.assert_allclose(lp.score_pairs(X), cos, rtol=1e-5)
    assert list(lp.get_feature_names_out()) == ["cosine"]


def test_scorer_auc_on_community_graph(caveman):
    split = split_edges(caveman, test_size=0.2, random_state=0)
    lp = LinkPredictionScorer(_n2v(split.train_graph)).fit(split.test_pairs)
    auc = lp.score(split.test_pairs, split.test_labels)
    assert auc > 0.75
    assert auc == pytest.approx(
        evaluate_link_prediction(
            lp.embedder_,
            split.test_pairs[split.test_labels == 1],
            split.test_pairs[split.test_labels == 0],
        )
    )


def test_pipeline_and_grid_search(caveman):
    split = split_edges(caveman, test_size=0.3, negative_ratio=1.0, random_state=0)
    pipe = Pipeline(
        [
            ("lp", LinkPredictionScorer(_n2v(split.train_graph), operator="hadamard")),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    )
    search = GridSearchCV(pipe, {"lp__operator": ["hadamard", "l2"]}, scoring="roc_auc", cv=3)
    search.fit(split.test_pairs, split.test_labels)
    assert search.best_params_["lp__operator"] in ("hadamard", "l2")
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # no classifier: the scorer's own score() ranks operators
    search = GridSearchCV(LinkPredictionScorer(_n2v(split.train_graph)), {"operator": ["cosine", "dot"]}, cv=3)
    search.fit(split.test_pairs, split.test_labels)
    assert search.best_score_ > 0.75


def test_scorer_errors(caveman):
    split = split_edges(caveman, test_size=0.2, random_state=0)
    lp = LinkPredictionScorer(_n2v(split.train_graph))
    with pytest.raises(ValueError, match=r"shape \(m, 2\)"):
        lp.fit(np.zeros((4, 3), dtype=int))
    with pytest.raises(UnknownNodeError, match=r"\b1001\b.*\b1002\b"):
        lp.fit([[0, 1001], [1002, 1]])
    lp.fit(split.test_pairs)
    with pytest.raises(UnknownNodeError, match=r"\b999\b"):
        lp.transform([[0, 999]])
    with pytest.raises(ValueError, match=r"shape \(m, 2\)"):
        lp.transform([0, 1, 2])
    with pytest.raises(ValueError, match="graph="):
        LinkPredictionScorer(Node2VecEmbedder()).fit(split.test_pairs)
    with pytest.raises(ValueError, match="operator"):
        LinkPredictionScorer(_n2v(split.train_graph), operator="max").fit(split.test_pairs)


# -- scikit-learn's estimator checks ------------------------------------------------
_NOT_PAIRS = (
    "the check fits on generated float matrices: X must be (m, 2) node-id pairs of the "
    "embedder's graph, so fit raises a ValueError about the shape or an UnknownNodeError "
    "naming the floats that are not node ids"
)
LP_EXPECTED_FAILED_CHECKS = expected_failures(
    _NOT_PAIRS,
    check_complex_data="node ids may be any hashable, complex numbers included: complex "
    "pairs are looked up in the graph and rejected as unknown ids, not as complex data",
    check_estimators_empty_data_messages="an (n, 0) X is rejected for its shape, "
    "'X must have shape (m, 2)', not with the wording the check looks for",
)


@parametrize_with_checks(
    [LinkPredictionScorer(SVDEmbedder(graph=as_graph(nx.karate_club_graph()), n_components=4, random_state=0))],
    expected_failed_checks=lambda est: LP_EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_sparse_pairs_are_rejected_with_their_own_message():
    import scipy.sparse as sp

    lp = LinkPredictionScorer(SVDEmbedder(graph=as_graph(nx.karate_club_graph()), n_components=4))
    with pytest.raises(TypeError, match="sparse input is not supported"):
        lp.fit(sp.csr_array(np.array([[0, 1], [2, 3]])))


# -- trust: positions validated, split unpacks, ratios finite -------------------
@pytest.mark.parametrize(
    "pairs, match",
    [
        ([[0.9, 1.7]], "integer row positions.*got 0.9"),  # was truncated to (0, 1): AUC 0.5
        (np.array([[0.0, 1.0]]), "integer row positions"),  # float dtype, even when integral
        ([[-1, 2]], "0 <= i < 4.*got -1"),  # was wrapped to row 3
        ([[0, 4]], "0 <= i < 4.*got 4"),
        (np.array([[0, 2**40]]), "0 <= i < 4"),
        ([[True, 1]], "integer row positions.*True"),
        ([["a", "b"]], "integer row positions.*'a'.*fitted embedder or a DataFrame"),
    ],
)
def test_evaluate_on_plain_array_validates_positions(pairs, match):
    E = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(ValueError, match="test_edges.*" + match):
        evaluate_link_prediction(E, pairs, [[2, 3]])
    with pytest.raises(ValueError, match="negative_edges.*" + match):
        evaluate_link_prediction(E, [[2, 3]], pairs)


def test_evaluate_valid_positions_unchanged():
    E = np.random.default_rng(1).normal(size=(6, 3))
    pos, neg = np.array([[0, 5], [1, 2]]), np.array([[3, 4], [0, 1]])
    for cast in (np.int32, np.uint8, np.int64):
        assert evaluate_link_prediction(E, pos.astype(cast), neg.astype(cast)) == reference_evaluate_link_prediction(
            E, pos, neg
        )


@pytest.mark.parametrize("E", [np.zeros(5), np.zeros((2, 2, 2)), np.array([["a", "b"]])])
def test_evaluate_rejects_non_matrix_embeddings(E):
    with pytest.raises(ValueError, match="2-d numeric matrix"):
        evaluate_link_prediction(E, [[0, 1]], [[1, 0]])


def test_split_unpacks_like_train_test_split(caveman):
    """Before: ``g, pairs, y = split_edges(...)`` silently gave the key names."""
    split = split_edges(caveman, test_size=0.2, random_state=0)
    g_train, pairs, y = split_edges(caveman, test_size=0.2, random_state=0)
    assert isinstance(g_train, type(split.train_graph)) and g_train == split.train_graph
    np.testing.assert_array_equal(pairs, split.test_pairs)
    np.testing.assert_array_equal(y, split.test_labels)
    # attribute, key and position access all agree
    assert split["test_pairs"] is split.test_pairs is split[1]
    assert list(split.keys()) == ["train_graph", "test_pairs", "test_labels"]
    assert len(split) == 3 and dict(split)["test_labels"] is split.test_labels


def test_split_with_validation_unpacks_in_documented_order(caveman):
    split = split_edges(caveman, test_size=0.2, val_size=0.1, random_state=0)
    g_train, test_pairs, test_labels, val_pairs, val_labels = split
    assert test_pairs is split.test_pairs and val_pairs is split.val_pairs
    assert test_labels is split.test_labels and val_labels is split.val_labels
    with pytest.raises(ValueError, match="too many values to unpack|not enough values"):
        g, p, y = split


def test_split_pickles(caveman):
    import pickle

    split = split_edges(caveman, test_size=0.2, random_state=0)
    back = pickle.loads(pickle.dumps(split))
    np.testing.assert_array_equal(back.test_pairs, split.test_pairs)
    g, p, y = back


@pytest.mark.parametrize("ratio", [float("inf"), float("nan"), -0.5, "1", True, None])
def test_split_negative_ratio_must_be_finite(caveman, ratio):
    """Before: inf gave 'OverflowError: cannot convert float infinity to integer'."""
    with pytest.raises(
        ValueError, match="'negative_ratio' parameter of split_edges must be a float in the range \\[0\\.0, inf\\)"
    ):
        split_edges(caveman, negative_ratio=ratio)


def test_scorer_state_without_its_index_still_scores(caveman):
    import pickle

    split = split_edges(caveman, test_size=0.2, random_state=0)
    lp = LinkPredictionScorer(SVDEmbedder(graph=split.train_graph, n_components=4, random_state=0)).fit()
    expected = lp.decision_function(split.test_pairs)
    state = dict(lp.__dict__)
    del state["_index"]
    restored = LinkPredictionScorer.__new__(LinkPredictionScorer)
    restored.__setstate__(state)
    restored = pickle.loads(pickle.dumps(restored))
    np.testing.assert_array_equal(restored.decision_function(split.test_pairs), expected)
