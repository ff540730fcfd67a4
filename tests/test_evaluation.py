"""``evaluate_node_classification``: known answers, the top-k protocol, alignment."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold

from skgraphemb import Node2VecEmbedder, UnknownNodeError, evaluate_node_classification


def _separable(n_per_class=20, n_classes=3, seed=0):
    """Features that are the one-hot class plus a little noise."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    X = 5.0 * np.eye(n_classes)[y] + 0.1 * rng.normal(size=(len(y), n_classes))
    return X, y


def test_separable_features_score_one():
    X, y = _separable()
    score = evaluate_node_classification(X, y, cv=5)
    mean, std = score
    assert mean == 1.0 and std == 0.0
    assert score.micro_mean == 1.0 and not score.multilabel
    assert len(score.scores) == 5
    # Random splits with a training fraction (node2vec's protocol).
    assert evaluate_node_classification(X, y, cv=3, train_size=0.5).mean == 1.0


def test_random_features_score_near_chance():
    rng = np.random.default_rng(0)
    n_classes = 4
    y = np.repeat(np.arange(n_classes), 100)
    X = rng.normal(size=(len(y), 16))
    score = evaluate_node_classification(X, y, cv=5)
    # Chance macro-F1 for 4 balanced classes is 0.25.
    assert 0.15 < score.mean < 0.35
    assert 0.15 < score.micro_mean < 0.35


def test_multilabel_top_k_protocol_hand_computed():
    """Each test node gets its k best-scored labels, k = its true label count.

    Type P nodes have features (1, 0); 70% of them carry labels {0, 1}, 30%
    carry {0, 2}.  Type Q nodes have features (0, 1) and carry {2}.  Whatever
    the fold, the classifier ranks labels 0 > 1 > 2 for P nodes (0 always
    present, 1 more often than 2) and 2 first for Q nodes.  So every P node
    (k = 2) is predicted {0, 1} and every Q node (k = 1) {2}, which gives
    each fold's F1 by hand.
    """
    rng = np.random.default_rng(0)
    label_sets = [(0, 1)] * 35 + [(0, 2)] * 15 + [(2,)] * 20
    order = rng.permutation(len(label_sets))
    label_sets = [label_sets[i] for i in order]
    X = np.array([[0.0, 1.0] if s == (2,) else [1.0, 0.0] for s in label_sets])
    Y = np.zeros((len(label_sets), 3), dtype=int)
    for i, s in enumerate(label_sets):
        Y[i, list(s)] = 1
    predicted = np.array([[0, 0, 1] if s == (2,) else [1, 1, 0] for s in label_sets])

    expected_macro, expected_micro = [], []
    for _, test in KFold(5, shuffle=True, random_state=0).split(X):
        expected_macro.append(f1_score(Y[test], predicted[test], average="macro", zero_division=0))
        expected_micro.append(f1_score(Y[test], predicted[test], average="micro", zero_division=0))

    score = evaluate_node_classification(X, label_sets, cv=5, random_state=0)
    assert score.multilabel
    np.testing.assert_allclose(score.scores, expected_macro)
    np.testing.assert_allclose(score.micro_scores, expected_micro)
    # Over all nodes, by hand: label 0 always right; label 1 35 TP, 15 FP;
    # label 2 20 TP, 15 FN; as many labels predicted as true (120), 105 right.
    assert f1_score(Y, predicted, average=None).tolist() == pytest.approx([1, 70 / 85, 40 / 55])
    assert f1_score(Y, predicted, average="micro") == pytest.approx(105 / 120)
    # An indicator matrix is the same labels in another form.
    same = evaluate_node_classification(X, Y, cv=5, random_state=0)
    np.testing.assert_allclose(same.scores, score.scores)


def test_alignment_by_node_id():
    X, y = _separable(n_per_class=15, seed=1)
    ids = np.array([f"n{i}" for i in range(len(y))], dtype=object)
    aligned = evaluate_node_classification(X, y, cv=3)

    perm = np.random.default_rng(1).permutation(len(y))
    frame = pd.DataFrame(X[perm], index=ids[perm])  # rows shuffled, indexed by id
    by_frame = evaluate_node_classification(frame, y, nodes=ids, cv=3)
    np.testing.assert_allclose(by_frame.scores, aligned.scores)

    # A fitted embedder's embedding_/nodes_, rows in another order.
    fitted = SimpleNamespace(embedding_=X[perm], nodes_=ids[perm])
    by_embedder = evaluate_node_classification(fitted, y, nodes=ids, cv=3)
    np.testing.assert_allclose(by_embedder.scores, aligned.scores)

    # A {node: label} mapping and a Series carry the ids themselves.
    mapping = dict(zip(ids.tolist(), y.tolist()))
    np.testing.assert_allclose(evaluate_node_classification(frame, mapping, cv=3).scores, aligned.scores)
    series = pd.Series(y, index=ids)
    np.testing.assert_allclose(evaluate_node_classification(frame, series, cv=3).scores, aligned.scores)


def test_misaligned_rows_are_not_silently_accepted():
    # The same rows shuffled *without* ids would score worse: alignment matters.
    X, y = _separable(n_per_class=30, seed=2)
    shuffled = X[np.random.default_rng(0).permutation(len(y))]
    assert evaluate_node_classification(shuffled, y, cv=3).mean < 0.7


def test_subset_of_labelled_nodes_and_integer_ids():
    X, y = _separable(n_per_class=20)
    keep = np.arange(0, len(y), 2)  # every other node labelled
    score = evaluate_node_classification(X, y[keep], nodes=keep, cv=3)
    assert score.mean == 1.0


def test_result_object():
    X, y = _separable()
    score = evaluate_node_classification(X, y, cv=4)
    assert isinstance(score, tuple) and len(score) == 2
    assert score.mean == pytest.approx(np.mean(score.scores))
    assert "macro_f1=1.0000" in repr(score) and "folds=4" in repr(score)
    again = pickle.loads(pickle.dumps(score))
    assert tuple(again) == tuple(score) and again.micro_mean == score.micro_mean


def test_errors():
    X, y = _separable()
    with pytest.raises(ValueError, match="labels has 59 entries but the embedding has 60 rows"):
        evaluate_node_classification(X, y[:-1])
    with pytest.raises(ValueError, match="nodes has 3 ids but labels has 60"):
        evaluate_node_classification(X, y, nodes=[0, 1, 2])
    with pytest.raises(UnknownNodeError, match="999"):
        evaluate_node_classification(X, y[:3], nodes=[0, 1, 999])
    with pytest.raises(ValueError, match="Node2VecEmbedder is not fitted"):
        evaluate_node_classification(Node2VecEmbedder(), y)
    with pytest.raises(ValueError, match="2-d matrix"):
        evaluate_node_classification(np.zeros(5), y[:5])
    with pytest.raises(ValueError, match="at least 2 labelled nodes"):
        evaluate_node_classification(X[:1], y[:1])


# -- compare_embedders -------------------------------------------------------
def _two_methods():
    from skgraphemb import SVDEmbedder

    return {
        "node2vec": Node2VecEmbedder(n_components=8, walk_length=10, num_walks=10, sample=0, random_state=0),
        "svd": SVDEmbedder(n_components=8, random_state=0),
    }


def test_compare_embedders_node_classification():
    from skgraphemb import compare_embedders, load_karate

    karate = load_karate()
    table = compare_embedders(_two_methods(), karate.graph, labels=karate.labels, nodes=karate.nodes, cv=3)
    assert list(table.index) == ["node2vec", "svd"]
    assert {"fit_time_s", "f1_macro_mean", "f1_macro_std", "f1_micro_mean"} <= set(table.columns)
    assert "auc" not in table.columns
    assert ((table["f1_macro_mean"] >= 0) & (table["f1_macro_mean"] <= 1)).all()
    assert ((table["f1_micro_mean"] >= 0) & (table["f1_micro_mean"] <= 1)).all()
    assert (table["fit_time_s"] > 0).all()


def test_compare_embedders_link_prediction():
    import networkx as nx

    from skgraphemb import compare_embedders, split_edges

    G = nx.connected_caveman_graph(6, 6)
    table = compare_embedders(_two_methods(), G, link_prediction={"test_size": 0.2})
    assert list(table.columns) == ["fit_time_s", "auc"]
    assert (table["auc"] > 0.5).all() and (table["fit_time_s"] > 0).all()
    split = split_edges(G, test_size=0.2, random_state=0)
    again = compare_embedders(_two_methods(), G, link_prediction=split)
    np.testing.assert_allclose(again["auc"].to_numpy(), table["auc"].to_numpy())


def test_compare_embedders_errors():
    from skgraphemb import compare_embedders, load_karate

    karate = load_karate()
    with pytest.raises(ValueError, match="labels= .*link_prediction="):
        compare_embedders(_two_methods(), karate.graph)
    with pytest.raises(TypeError, match="non-empty dict"):
        compare_embedders([Node2VecEmbedder()], karate.graph, labels=karate.labels)
    with pytest.raises(TypeError, match="not an estimator"):
        compare_embedders({"x": 3}, karate.graph, labels=karate.labels)
    with pytest.raises(TypeError, match="'link_prediction' parameter of compare_embedders must be"):
        compare_embedders(_two_methods(), karate.graph, link_prediction="yes")


# -- grid search of embedder parameters (skgraphemb tune) ---------------------
def test_numeric_params_are_the_searchable_ones():
    from skgraphemb import SVDEmbedder
    from skgraphemb.evaluation import _numeric_params

    params = _numeric_params(Node2VecEmbedder(p=2.0))
    assert params["p"] is float and params["dimensions"] is int and params["walk_length"] is int
    # run settings, booleans and strings are not searched
    assert not {"random_state", "n_jobs", "verbose", "trainer", "backend"} & set(params)
    assert "n_components" in _numeric_params(SVDEmbedder())


def test_numeric_params_of_a_wrapper_include_the_wrapped_embedders():
    """SpectralPropagation (no default for ``embedder``): its own numbers, then ``embedder__*`` ones."""
    from skgraphemb import SpectralPropagation
    from skgraphemb.evaluation import _numeric_params

    params = _numeric_params(SpectralPropagation(Node2VecEmbedder()))
    assert params["order"] is int and params["mu"] is float
    assert params["embedder__q"] is float and params["embedder__walk_length"] is int
    assert "embedder" not in params and "normalize_input" not in params


def test_classifier_binarises_multilabel_targets():
    from skgraphemb.evaluation import _classifier

    y, clf, multilabel = _classifier(np.array(["a", "b", "a"]))
    assert not multilabel and type(clf).__name__ == "LogisticRegression" and list(y) == ["a", "b", "a"]
    y, clf, multilabel = _classifier([("a",), ("a", "b"), ("b",)])
    assert multilabel and type(clf).__name__ == "OneVsRestClassifier"
    assert y.tolist() == [[1, 0], [1, 1], [0, 1]]


def test_grid_search_scores_every_candidate():
    from skgraphemb import load_karate
    from skgraphemb.evaluation import _grid_search

    karate = load_karate()
    est = Node2VecEmbedder(n_components=8, walk_length=10, num_walks=4, window=3, random_state=0)
    search = _grid_search(est, karate.graph, np.asarray(karate.nodes), karate.labels, {"p": [0.5, 2.0]}, 2, 0)
    assert [p["embedder__p"] for p in search.cv_results_["params"]] == [0.5, 2.0]
    assert np.all((search.cv_results_["mean_test_score"] >= 0) & (search.cv_results_["mean_test_score"] <= 1))
    best = search.best_estimator_.named_steps["embedder"]
    assert best.embedding_.shape == (karate.graph.n_nodes, 8)
