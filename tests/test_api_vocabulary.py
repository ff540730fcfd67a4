"""The embedders read as one library (issue #13): shared parameter names with
deprecated aliases, set_output on transform, warnings at the user's line,
progress bars, sample="auto"."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import make_pipeline

from skgraphemb import FastRPEmbedder, Node2VecEmbedder, ProNEEmbedder, SVDEmbedder, as_graph
from skgraphemb.skipgram._corpus import _keep_thresholds

FAST_N2V = dict(walk_length=10, num_walks=2, window=3, n_jobs=1, random_state=0)


def _graph_embedders():
    """(name, unfitted embedder, fit input) of every graph embedder available here."""
    out = [
        ("node2vec", Node2VecEmbedder(**FAST_N2V), None),
        ("svd", SVDEmbedder(random_state=0), None),
        ("prone", ProNEEmbedder(random_state=0), None),
        ("fastrp", FastRPEmbedder(random_state=0), None),
    ]
    try:
        import torch  # noqa: F401
        import torch_geometric  # noqa: F401
    except ImportError:
        pass
    else:
        from skgraphemb import GraphSAGEEmbedder

        sage = GraphSAGEEmbedder(hidden_dim=8, epochs=1, feature_source="structural", device="cpu", random_state=0)
        out.append(("graphsage", sage, None))
    return out


@pytest.fixture(scope="module")
def nations():
    pytest.importorskip("pykeen")
    from skgraphemb import load_kg

    return load_kg("nations")


# -- 1. one vocabulary ------------------------------------------------------------
def test_one_grid_of_n_components_covers_every_embedder(karate):
    grid = ParameterGrid({"n_components": [8, 16]})
    for name, est, _ in _graph_embedders():
        for params in grid:
            with warnings.catch_warnings():
                warnings.simplefilter("error", FutureWarning)  # the new names never warn
                fitted = clone(est).set_params(**params).fit(karate)
            assert fitted.embedding_.shape == (34, params["n_components"]), name


@pytest.mark.kg
def test_the_grid_covers_the_kg_embedder_too(nations):
    from skgraphemb import KGEmbedder

    est = KGEmbedder("DistMult", epochs=1, batch_size=512, device="cpu", random_state=0)
    for params in ParameterGrid({"n_components": [8, 16]}):
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            fitted = clone(est).set_params(**params).fit(nations.train)
        assert fitted.embedding_.shape[1] == params["n_components"]


@pytest.mark.parametrize(
    "old, new",
    [
        (dict(dimensions=8), dict(n_components=8)),
        (dict(alpha=0.05), dict(learning_rate=0.05)),
    ],
)
def test_node2vec_old_names_warn_and_give_the_same_embedding(karate, old, new):
    est_old = Node2VecEmbedder(**FAST_N2V, **old)
    assert est_old.get_params()[next(iter(old))] == next(iter(old.values()))
    with pytest.warns(FutureWarning, match=f"`{next(iter(old))}` was renamed `{next(iter(new))}`"):
        Z_old = clone(est_old).fit_transform(karate)  # clone keeps the old name
    Z_new = Node2VecEmbedder(**FAST_N2V, **new).fit_transform(karate)
    np.testing.assert_array_equal(Z_old, Z_new)


def test_the_name_set_last_wins(karate):
    est = Node2VecEmbedder(**FAST_N2V, dimensions=16)
    # a grid over the new name covers an embedder built with the old one
    assert clone(est).set_params(n_components=8).fit(karate).embedding_.shape[1] == 8
    assert est.set_params(n_components=8).get_params()["dimensions"] == "deprecated"
    # and the other way round (the old name in a grid, with a FutureWarning)
    with pytest.warns(FutureWarning, match="`dimensions` was renamed"):
        assert est.set_params(dimensions=4).fit(karate).embedding_.shape[1] == 4


def test_old_names_work_in_a_grid_search(karate):
    from sklearn.model_selection import GridSearchCV

    nodes = np.arange(34)
    y = np.array([0 if karate.nodes[v]["club"] == "Mr. Hi" else 1 for v in karate])
    pipe = make_pipeline(Node2VecEmbedder(**FAST_N2V, graph=karate), _logreg())
    search = GridSearchCV(pipe, {"node2vecembedder__dimensions": [4, 8]}, cv=2)
    with pytest.warns(FutureWarning, match="`dimensions` was renamed"):
        search.fit(nodes.reshape(-1, 1), y)
    assert search.best_estimator_[0].embedding_.shape[1] in (4, 8)


def _logreg():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=200)


@pytest.mark.torch
def test_graphsage_dimensions_is_a_deprecated_alias(karate):
    pytest.importorskip("torch_geometric")
    from skgraphemb import GraphSAGEEmbedder

    common = dict(hidden_dim=8, epochs=1, feature_source="structural", device="cpu", n_jobs=1, random_state=0)
    with pytest.warns(FutureWarning, match="`dimensions` was renamed `n_components`"):
        Z_old = GraphSAGEEmbedder(dimensions=4, **common).fit_transform(karate)
    Z_new = GraphSAGEEmbedder(n_components=4, **common).fit_transform(karate)
    np.testing.assert_array_equal(Z_old, Z_new)


@pytest.mark.kg
def test_kg_embedding_dim_and_num_epochs_are_deprecated_aliases(nations):
    from skgraphemb import KGEmbedder

    common = dict(batch_size=512, device="cpu", n_jobs=1, random_state=0)
    with pytest.warns(FutureWarning) as rec:
        old = KGEmbedder("DistMult", embedding_dim=8, num_epochs=2, **common).fit(nations.train)
    assert {"`embedding_dim` was renamed `n_components`", "`num_epochs` was renamed `epochs`"} <= {
        str(w.message).split(" in ")[0].split(": ", 1)[1] for w in rec if w.category is FutureWarning
    }
    new = KGEmbedder("DistMult", n_components=8, epochs=2, **common).fit(nations.train)
    assert old.n_epochs_ == new.n_epochs_ == 2
    np.testing.assert_array_equal(old.embedding_, new.embedding_)


# -- 2. set_output on transform ------------------------------------------------------
def _fitted_all(karate):
    out = []
    for name, est, _ in _graph_embedders():
        out.append((name, clone(est).set_params(n_components=4).fit(karate)))
    return out


@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_transform_follows_set_output_for_every_embedder(karate, container):
    if container == "polars":
        pl = pytest.importorskip("polars")
    nodes = [33, 0, 5]
    for name, est in _fitted_all(karate):
        Z = est.transform(nodes)  # default output: an array
        out = est.set_output(transform=container).transform(nodes)
        columns = list(est.get_feature_names_out())
        if container == "polars":
            assert isinstance(out, pl.DataFrame), name
        else:
            assert isinstance(out, pd.DataFrame), name
            assert out.index.tolist() == nodes, name
        assert list(out.columns) == columns, name
        # rows in the order of the ids asked for
        np.testing.assert_array_equal(out.to_numpy(), Z, err_msg=name)
        est.set_output(transform="default")


@pytest.mark.kg
@pytest.mark.parametrize("container", ["pandas", "polars"])
def test_kg_transform_follows_set_output(nations, container):
    if container == "polars":
        pl = pytest.importorskip("polars")
    from skgraphemb import KGEmbedder

    est = KGEmbedder("DistMult", n_components=4, epochs=1, device="cpu", random_state=0).fit(nations.train)
    ids = ["usa", "brazil"]
    Z = est.transform(ids)
    out = est.set_output(transform=container).transform(ids)
    assert isinstance(out, pl.DataFrame if container == "polars" else pd.DataFrame)
    assert list(out.columns) == list(est.get_feature_names_out())
    np.testing.assert_array_equal(out.to_numpy(), Z)


# -- 3. warnings at the user's line ---------------------------------------------------
def test_isolated_node_warning_points_at_the_callers_line():
    G = nx.path_graph(6)
    G.add_node("alone")
    with pytest.warns(UserWarning, match="isolated node") as rec:
        Node2VecEmbedder(**FAST_N2V).fit(G)
    isolated = [w for w in rec if "isolated node" in str(w.message)]
    assert isolated[0].filename == __file__
    # also through a Pipeline (more sklearn frames in between)
    with pytest.warns(UserWarning, match="isolated node") as rec:
        make_pipeline(Node2VecEmbedder(**FAST_N2V)).fit(G)
    assert [w for w in rec if "isolated node" in str(w.message)][0].filename == __file__


def test_deprecation_warning_points_at_the_callers_line(karate):
    with pytest.warns(FutureWarning, match="renamed") as rec:
        SVDEmbedder(n_components=4).fit(karate)  # no alias: nothing to warn
        Node2VecEmbedder(**FAST_N2V, dimensions=4).fit(karate)
    assert [w for w in rec if w.category is FutureWarning][0].filename == __file__


def test_alignment_warning_points_at_the_callers_line():
    from skgraphemb import ProcrustesAligner

    rng = np.random.default_rng(0)
    ref = pd.DataFrame(rng.normal(size=(10, 2)), index=range(10))
    X = pd.DataFrame(rng.normal(size=(10, 2)), index=range(6, 16))  # 4 shared of 10
    with pytest.warns(UserWarning, match="node ids are shared") as rec:
        ProcrustesAligner(reference=ref).fit(X)
    assert [w for w in rec if "shared" in str(w.message)][0].filename == __file__


# -- 4. progress bars -----------------------------------------------------------------
@pytest.mark.parametrize("verbose", [0, 1])
def test_svd_shows_power_iterations_when_verbose(karate, capsys, verbose):
    SVDEmbedder(n_components=4, n_iter=3, verbose=verbose, random_state=0).fit(karate)
    err = capsys.readouterr().err
    if verbose:
        assert "SVDEmbedder power iterations" in err and "3/3" in err
    else:
        assert err == ""


@pytest.mark.parametrize("verbose", [0, 1])
def test_gensim_trainer_shows_epochs_when_verbose(karate_graph, capsys, verbose):
    pytest.importorskip("gensim")
    from skgraphemb import random_walks
    from skgraphemb.skipgram import train_gensim

    walks = random_walks(karate_graph, walk_length=8, num_walks=2, random_state=0)
    train_gensim(walks, karate_graph.n_nodes, dimensions=4, epochs=3, n_jobs=1, verbose=verbose)
    err = capsys.readouterr().err
    if verbose:
        assert "train_gensim" in err and "3/3" in err
    else:
        assert err == ""


# -- 5. no torch.jit deprecation leaking out of a KG fit --------------------------------
@pytest.mark.kg
def test_kg_fit_leaks_no_torch_jit_deprecation():
    pytest.importorskip("pykeen")
    # A fresh interpreter: the warning comes from a first import (torch_geometric
    # inside PyKEEN), which an earlier test of this process may have done.
    code = textwrap.dedent(
        """
        import warnings
        from skgraphemb import KGEmbedder, load_kg
        nations = load_kg("nations")
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            KGEmbedder("TransE", n_components=4, epochs=1, device="cpu", random_state=0).fit(nations.train)
        bad = [str(w.message) for w in rec
               if issubclass(w.category, DeprecationWarning) and "torch.jit" in str(w.message)]
        print("LEAKED", bad)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "LEAKED []" in out.stdout, out.stdout


# -- 6. sample="auto" ---------------------------------------------------------------------
def _kept_fraction(graph, sample, walk_length=80, num_walks=10):
    from skgraphemb import random_walks

    walks = random_walks(graph, walk_length=walk_length, num_walks=num_walks, random_state=0)
    counts = np.bincount(walks[walks >= 0].ravel(), minlength=graph.n_nodes).astype(np.int64)
    keep = _keep_thresholds(counts, int(counts.sum()), sample).astype(np.float64) / 2.0**32
    return float((counts * keep).sum() / counts.sum())


def test_sample_auto_keeps_nearly_all_tokens_on_karate(karate, karate_graph):
    est = Node2VecEmbedder(n_components=4, walk_length=80, num_walks=10, n_jobs=1, random_state=0).fit(karate)
    assert est.sample == "auto" and est.sample_ > 1e-3
    assert _kept_fraction(karate_graph, est.sample_) >= 0.95
    assert _kept_fraction(karate_graph, 1e-3) < 0.5  # word2vec's rule on 34 nodes


def test_sample_auto_is_word2vec_on_large_graphs():
    from skgraphemb.node2vec import _auto_sample

    big = as_graph(nx.barabasi_albert_graph(10_000, 3, seed=0))
    assert _auto_sample(big, 80) == 1e-3
    # below the size threshold a graph whose 1e-3 already keeps 95% keeps it too
    ring = as_graph(nx.cycle_graph(5_000))
    assert _auto_sample(ring, 80) == 1e-3


def test_explicit_sample_is_used_as_given(karate):
    est = Node2VecEmbedder(n_components=4, sample=1e-3, **FAST_N2V).fit(karate)
    assert est.sample_ == 1e-3
    est0 = Node2VecEmbedder(n_components=4, sample=0, **FAST_N2V).fit(karate)
    assert est0.sample_ == 0.0


def test_cli_sample_option_takes_auto_or_a_number():
    import argparse

    from skgraphemb.cli._methods import _REGISTRY

    parser = argparse.ArgumentParser()
    next(m for m in _REGISTRY if m.name == "node2vec").add_options(parser)
    assert parser.parse_args(["--sample", "auto"]).sample == "auto"
    assert parser.parse_args(["--sample", "0.001"]).sample == 0.001
    assert parser.parse_args(["--dimensions", "8"]).n_components == 8
    with pytest.raises(SystemExit):
        parser.parse_args(["--sample", "often"])
