"""Parameter validation: one rule per shared parameter name, applied everywhere."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

import skgraphemb.walks
import skgraphemb.walks._pecanpy
from skgraphemb import KGEmbedder, Node2VecEmbedder, compare_embedders, evaluate_node_classification, random_walks
from skgraphemb.skipgram import train_skipgram
from skgraphemb.utils._validation import COMMON_CONSTRAINTS, Real, StrictInterval, constraints
from skgraphemb.walks._pecanpy import pecanpy_walks

#: Values around every bound a shared parameter can have.
BOUNDARY_VALUES = [
    0,
    1,
    2,
    -1,
    0.5,
    1e-300,
    1e300,
    math.inf,
    -math.inf,
    math.nan,
    np.int64(3),
    np.float64(0.25),
    True,
    "1",
    None,
]


class _Accepted(Exception):
    """Raised by a stand-in for the work that follows a passed validation."""


def _raise_accepted(*args, **kwargs):
    raise _Accepted


def _accepts(func, *args, **kwargs) -> bool:
    try:
        func(*args, **kwargs)
    except InvalidParameterError:
        return False
    except _Accepted:
        return True
    return True


def _validate_node2vec(**params):
    Node2VecEmbedder(**params)._validate_params()


def test_constraints_takes_common_rules_and_overrides():
    got = constraints("p", "n_jobs", walk_length=["x"])
    assert got == {"p": COMMON_CONSTRAINTS["p"], "n_jobs": COMMON_CONSTRAINTS["n_jobs"], "walk_length": ["x"]}
    with pytest.raises(KeyError, match="no common constraint for \\['nope'\\]"):
        constraints("nope")


def test_strict_interval_refuses_bools():
    strict = StrictInterval(Real, 0, math.inf, closed="left")
    assert strict.is_satisfied_by(1) and strict.is_satisfied_by(0.5) and strict.is_satisfied_by(np.int64(2))
    assert not strict.is_satisfied_by(True) and not strict.is_satisfied_by(np.bool_(True))
    assert not strict.is_satisfied_by(math.inf) and not strict.is_satisfied_by(math.nan)


def _shared_walk_names():
    names = set(Node2VecEmbedder._parameter_constraints) & set(inspect.signature(random_walks).parameters)
    # graph: checked by as_graph; backend: each function has its own engines.
    return sorted(names - {"graph", "backend"})


def test_shared_walk_names_are_found():
    assert {"walk_length", "num_walks", "p", "q", "random_state", "n_jobs", "verbose"} <= set(_shared_walk_names())


@pytest.mark.parametrize("name", _shared_walk_names())
def test_node2vec_and_walk_functions_judge_shared_parameters_alike(name, monkeypatch, karate_graph):
    """The same value is accepted or refused alike by the estimator and the walk functions.

    Before one dict held the rules, ``Node2VecEmbedder(p=inf)`` passed its
    checks while ``random_walks(p=inf)`` refused them.
    """
    monkeypatch.setattr(skgraphemb.walks, "plan_walks", _raise_accepted)
    monkeypatch.setattr(skgraphemb.walks._pecanpy, "import_optional", _raise_accepted)
    base = {"walk_length": 5, "num_walks": 1}
    for value in BOUNDARY_VALUES:
        estimator = _accepts(_validate_node2vec, **{name: value})
        walks = _accepts(random_walks, karate_graph, **{**base, name: value})
        if name == "walk_length" and not isinstance(value, str) and value == 1:
            # The one deliberate narrowing: a one-node walk has no pair to train on.
            assert walks and not estimator
            continue
        assert estimator == walks, f"{name}={value!r}: Node2VecEmbedder {estimator}, random_walks {walks}"
        if name in inspect.signature(pecanpy_walks).parameters:
            pecanpy = _accepts(pecanpy_walks, karate_graph, **{**base, name: value})
            assert pecanpy == walks, f"{name}={value!r}: pecanpy_walks {pecanpy}, random_walks {walks}"


def _shared_trainer_names():
    names = set(Node2VecEmbedder._parameter_constraints) & set(inspect.signature(train_skipgram).parameters)
    return sorted(names)


def test_shared_trainer_names_are_found():
    assert {"dimensions", "window", "negative", "epochs", "alpha", "min_alpha", "sample"} <= set(
        _shared_trainer_names()
    )


@pytest.mark.parametrize("name", _shared_trainer_names())
def test_node2vec_and_skipgram_trainer_judge_shared_parameters_alike(name):
    for value in BOUNDARY_VALUES:
        estimator = _accepts(_validate_node2vec, **{name: value})
        try:
            # Walks that are not walks: the trainer fails right after validation.
            train_skipgram(42, 3, **{name: value})
        except InvalidParameterError:
            trainer = False
        except TypeError as exc:
            assert "walks must be" in str(exc)
            trainer = True
        assert estimator == trainer, f"{name}={value!r}: Node2VecEmbedder {estimator}, train_skipgram {trainer}"


@pytest.mark.parametrize("name", ["p", "q", "alpha"])
def test_infinite_rates_are_refused(name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of Node2VecEmbedder"):
        Node2VecEmbedder(**{name: math.inf})._validate_params()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: Node2VecEmbedder().most_similar(0, topn=0), "topn"),
        (lambda: Node2VecEmbedder().to_keyed_vectors(keys="bytes"), "keys"),
        (lambda: Node2VecEmbedder().get_embedding(as_frame="yes"), "as_frame"),
        (lambda: KGEmbedder().predict_target("a", "r", top_k=0), "top_k"),
        (lambda: KGEmbedder().predict_target("a", "r", remove_known="no"), "remove_known"),
    ],
    ids=["most_similar", "to_keyed_vectors", "get_embedding", "predict_target-top_k", "predict_target-remove_known"],
)
def test_methods_validate_their_parameters_first(call, name):
    # Checked before the fitted state: the message names the parameter.
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of"):
        call()


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: evaluate_node_classification(np.eye(4), [0, 1, 0, 1], cv=0), "cv"),
        (lambda: evaluate_node_classification(np.eye(4), [0, 1, 0, 1], train_size=1.0), "train_size"),
        (lambda: evaluate_node_classification(np.eye(4), [0, 1, 0, 1], C=-1.0), "C"),
        (lambda: compare_embedders({"n2v": Node2VecEmbedder()}, None, labels=[0], cv=1.5), "cv"),
        (lambda: compare_embedders({"n2v": Node2VecEmbedder()}, None, link_prediction="yes"), "link_prediction"),
    ],
)
def test_evaluation_functions_validate_their_parameters(call, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of"):
        call()


@pytest.mark.parametrize(
    "func, kwargs, name",
    [
        ("as_graph", dict(directed="yes"), "directed"),
        ("as_graph", dict(header="auto"), "header"),
        ("read_edgelist", dict(header="yes"), "header"),
        ("read_edgelist", dict(weighted=1.5), "weighted"),
        ("read_labels", dict(comments=3), "comments"),
        ("load_graph", dict(mmap="no"), "mmap"),
        ("load_edgelist_dir", dict(directed="no"), "directed"),
        ("choose_pecanpy_mode", dict(p=0, q=1), "p"),
    ],
)
def test_graph_readers_validate_their_parameters(tmp_path, func, kwargs, name):
    import networkx as nx

    import skgraphemb
    from skgraphemb.walks._pecanpy import choose_pecanpy_mode

    path = tmp_path / "g.tsv"
    path.write_text("0\t1\n")
    first = nx.path_graph(3) if func in ("as_graph", "choose_pecanpy_mode") else path
    call = choose_pecanpy_mode if func == "choose_pecanpy_mode" else getattr(skgraphemb, func)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of {func}"):
        call(first, **kwargs)
