"""Hostile inputs to the estimators, evaluation, file writers and the CLI (issue 12).

Every case asserts a specific error type and a fragment of its message, or a
correct result (a known answer or an invariant): never a silent wrong answer,
a NaN embedding, a raw library traceback or a file written through a planted
symlink.  Fits are tiny (karate, 8 dimensions, short walks) so the module runs
in well under a minute.
"""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from skgraphemb import (
    GraphFormatError,
    Node2VecEmbedder,
    SVDEmbedder,
    TrainingDivergedError,
    UnknownNodeError,
    as_graph,
    evaluate_link_prediction,
    evaluate_node_classification,
    split_edges,
)
from skgraphemb.cli import main
from skgraphemb.export.files import read_embedding, write_embedding

N2V = dict(n_components=8, walk_length=10, num_walks=2, window=3, sample=0.0, n_jobs=1, random_state=0)


@pytest.fixture(scope="module")
def karate():
    return as_graph(nx.karate_club_graph())


@pytest.fixture(scope="module")
def n2v(karate):
    return Node2VecEmbedder(**N2V).fit(karate)


@pytest.fixture(scope="module")
def svd(karate):
    return SVDEmbedder(n_components=4, random_state=0).fit(karate)


def _weighted_karate(w):
    edges = np.array(list(nx.karate_club_graph().edges()))
    return np.column_stack([edges, np.full(len(edges), w)])


# == 1. bad parameters of each embedder: InvalidParameterError naming it ========
N2V_BAD = [
    ("dimensions", 0),
    ("dimensions", -3),
    ("dimensions", 1.5),
    ("dimensions", "8"),
    ("walk_length", 0),
    ("walk_length", 1),
    ("num_walks", 0),
    ("p", 0),
    ("p", -1.0),
    ("p", float("nan")),
    ("q", 0),
    ("q", float("inf")),
    ("window", 0),
    ("negative", 0),
    ("epochs", 0),
    ("alpha", 0),
    ("alpha", -0.1),
    ("alpha", float("inf")),
    ("alpha", float("nan")),
    ("min_alpha", -1e-3),
    ("sample", -1.0),
    ("backend", "gpu"),
    ("trainer", "w2v"),
    ("walk_chunk_size", 0),
    ("warm_start_walks", "some"),
    ("warm_start", "yes"),
    ("word2vec_kwargs", [1]),
    ("n_jobs", 1.5),
    ("max_memory", 0),
    ("random_state", "seed"),
]
SVD_BAD = [
    ("n_components", 0),
    ("n_components", 2.5),
    ("order", 0),
    ("normalization", "l2"),
    ("algorithm", "lanczos"),
    ("n_iter", -1),
    ("n_oversamples", -1),
    ("memory", 3),
]


@pytest.mark.parametrize("name, value", N2V_BAD, ids=[f"{n}={v!r}" for n, v in N2V_BAD])
def test_node2vec_bad_parameter(karate, name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of Node2VecEmbedder"):
        Node2VecEmbedder(**{**N2V, name: value}).fit(karate)


@pytest.mark.parametrize("name, value", SVD_BAD, ids=[f"{n}={v!r}" for n, v in SVD_BAD])
def test_svd_bad_parameter(karate, name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of SVDEmbedder"):
        SVDEmbedder(**{"n_components": 4, name: value}).fit(karate)


KG_BAD = [
    ("num_epochs", 0),
    ("batch_size", 0),
    ("learning_rate", 0.0),
    ("embedding_dim", 0),
    ("validation_fraction", 1.0),
    ("handle_unknown", "explode"),
]


@pytest.mark.parametrize("name, value", KG_BAD, ids=[f"{n}={v!r}" for n, v in KG_BAD])
def test_kg_bad_parameter(name, value):
    pytest.importorskip("pykeen")
    from skgraphemb import KGEmbedder

    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of KGEmbedder"):
        KGEmbedder(**{"num_epochs": 1, "device": "cpu", name: value}).fit([("a", "r", "b")])


SAGE_BAD = [
    ("dimensions", 0),
    ("num_layers", 0),
    ("aggr", "sum"),
    ("dropout", 1.0),
    ("learning_rate", -1.0),
    ("walk_length", 1),
]


@pytest.mark.parametrize("name, value", SAGE_BAD, ids=[f"{n}={v!r}" for n, v in SAGE_BAD])
def test_graphsage_bad_parameter(karate, name, value):
    pytest.importorskip("torch_geometric")
    from skgraphemb import GraphSAGEEmbedder

    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of GraphSAGEEmbedder"):
        GraphSAGEEmbedder(**{name: value}).fit(karate)


N2V_MISUSE = [
    ("w2v-reserved", dict(trainer="gensim", word2vec_kwargs={"sg": 0}), ValueError, "may not set 'sg'"),
    ("w2v-unknown", dict(trainer="gensim", word2vec_kwargs={"bogus": 1}), ValueError, "'bogus' not an argument"),
    (
        "w2v-wrong-trainer",
        dict(word2vec_kwargs={"shrink_windows": False}),
        ValueError,
        "only apply to trainer='gensim'",
    ),
    ("max-memory-str", dict(max_memory="lots"), ValueError, "memory size"),
    ("max-memory-tiny", dict(max_memory="1KB"), MemoryError, "max_memory='1KB'"),
]


@pytest.mark.parametrize("kwargs, exc, match", [c[1:] for c in N2V_MISUSE], ids=[c[0] for c in N2V_MISUSE])
def test_node2vec_misuse(karate, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Node2VecEmbedder(**{**N2V, **kwargs}).fit(karate)


# == 2. numbers out of range: an error, never NaN or inf =======================
@pytest.mark.parametrize("trainer", ["native", "torch"])
@pytest.mark.parametrize("alpha", [2.0, 50.0])
def test_divergence_raises(karate, trainer, alpha):
    if trainer == "torch":
        pytest.importorskip("torch")
    est = Node2VecEmbedder(**{**N2V, "alpha": alpha, "trainer": trainer})
    with pytest.raises(TrainingDivergedError, match="too high.*lower alpha"):
        est.fit(karate)
    assert not hasattr(est, "embedding_")


@pytest.mark.parametrize("trainer", ["native", "torch", "gensim"])
def test_default_alpha_is_finite(karate, trainer):
    if trainer == "torch":
        pytest.importorskip("torch")
    Z = Node2VecEmbedder(**{**N2V, "trainer": trainer}).fit_transform(karate)
    assert Z.shape == (34, 8) and np.isfinite(Z).all()


@pytest.mark.parametrize(
    "w, order, algorithm",
    [
        (1e100, 1, "arpack"),
        (1e100, 1, "randomized"),
        (1e20, 4, "arpack"),
        (1e20, 4, "randomized"),
        (1e200, 2, "arpack"),
        (1e38, 3, "randomized"),
    ],
)
def test_svd_out_of_range_is_refused(w, order, algorithm):
    with pytest.raises(FloatingPointError, match="too large for float32"):
        SVDEmbedder(n_components=4, order=order, algorithm=algorithm, random_state=0).fit(_weighted_karate(w))


@pytest.mark.parametrize("w", [1e-12, 1e12, 1e30])
def test_svd_order_1_scales_exactly(w):
    unit = SVDEmbedder(n_components=4, order=1, random_state=0).fit(_weighted_karate(1.0))
    big = SVDEmbedder(n_components=4, order=1, random_state=0).fit(_weighted_karate(w))
    np.testing.assert_allclose(big.embedding_ / np.sqrt(w), unit.embedding_, atol=1e-4)


# == 3. bad X for fit / transform ==============================================
TRANSFORM_BAD = [
    ("unknown-id", [0, 999], UnknownNodeError, "999"),
    ("unknown-str", ["zz"], UnknownNodeError, "'zz'"),
    ("two-columns", np.array([[0, 1], [1, 2]]), ValueError, "single column of node ids"),
    ("3d", np.zeros((2, 1, 1), dtype=int), ValueError, "1-d sequence of node ids"),
    ("empty", [], ValueError, "no node ids"),
    ("complex", np.array([1 + 1j]), ValueError, "Complex data not supported"),
    ("zero-features", np.zeros((3, 0)), ValueError, "0 feature"),
    ("unknown-graph", nx.path_graph([100, 101]), UnknownNodeError, "100"),
]


@pytest.mark.parametrize("X, exc, match", [c[1:] for c in TRANSFORM_BAD], ids=[c[0] for c in TRANSFORM_BAD])
def test_transform_bad_X(n2v, X, exc, match):
    with pytest.raises(exc, match=match):
        n2v.transform(X)


def test_transform_sparse_X(n2v):
    import scipy.sparse as sp

    with pytest.raises(TypeError, match="sparse"):
        n2v.transform(sp.csr_matrix(np.eye(3)))


@pytest.mark.parametrize("method", ["transform", "get_embedding", "most_similar", "to_keyed_vectors"])
def test_use_before_fit(method):
    est = Node2VecEmbedder()
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(est, method)(*([[0]] if method in ("transform", "most_similar") else []))


@pytest.mark.parametrize("topn", [0, -1, 1.5, "3"])
def test_most_similar_bad_topn(n2v, topn):
    with pytest.raises(ValueError, match="'topn' parameter of .*most_similar must be an int in the range \\[1, inf\\)"):
        n2v.most_similar(0, topn=topn)


def test_fit_without_graph():
    with pytest.raises(ValueError, match="needs a graph"):
        Node2VecEmbedder().fit(None)


def test_fit_graph_twice(karate):
    with pytest.raises(ValueError, match="not both"):
        Node2VecEmbedder(graph=karate).fit(karate)


def test_pickle_round_trip_is_exact(n2v):
    back = pickle.loads(pickle.dumps(n2v))
    np.testing.assert_array_equal(back.transform([0, 33]), n2v.transform([0, 33]))
    assert hasattr(n2v, "embedding_") and n2v.transform([1]).shape == (1, 8)  # source untouched


def test_svd_one_node_graph_is_too_small():
    with pytest.raises(ValueError, match="graph is too small"):
        SVDEmbedder(n_components=1).fit(nx.Graph([(0, 0)]))


def test_svd_n_components_at_least_n_nodes(karate):
    with pytest.raises(ValueError, match="use n_components <= 33"):
        SVDEmbedder(n_components=34).fit(karate)


# == 4. knowledge graphs ========================================================
@pytest.fixture(scope="module")
def kge():
    pytest.importorskip("pykeen")
    from skgraphemb import KGEmbedder

    triples = [("alice", "likes", "bob"), ("bob", "likes", "carol"), ("carol", "hates", "alice")]
    return KGEmbedder(embedding_dim=4, num_epochs=2, random_state=0, device="cpu").fit(triples)


@pytest.mark.parametrize("X", [[("a", "r", "a")], [("a", "r", "a"), ("a", "s", "a")]])
def test_kg_single_entity(X):
    pytest.importorskip("pykeen")
    from skgraphemb import KGEmbedder

    with pytest.raises(ValueError, match="single entity.*at least 2 entities"):
        KGEmbedder(num_epochs=1, device="cpu").fit(X)


@pytest.mark.parametrize(
    "X, match",
    [(["alise"], "Did you mean 'alice'"), (["bobb", "carl"], "2 unknown entities"), ([42], "1 unknown entity")],
)
def test_kg_transform_unknown_label(kge, X, match):
    from skgraphemb import UnknownLabelError

    with pytest.raises(UnknownLabelError, match=match) as info:
        kge.transform(X)
    assert info.value.kind == "entity" and info.value.missing == list(X)


def test_kg_transform_triples(kge):
    with pytest.raises(ValueError, match="takes entity labels"):
        kge.transform(np.array([["alice", "likes", "bob"]]))


@pytest.mark.parametrize(
    "X, match",
    [
        ([("a", "r")], "sequence of \\(head, relation, tail\\) triples"),
        ([], "no triples"),
        ([("a", None, "b")], "missing values"),
    ],
)
def test_kg_bad_triples(X, match):
    pytest.importorskip("pykeen")
    from skgraphemb import KGEmbedder

    with pytest.raises(ValueError, match=match):
        KGEmbedder(num_epochs=1, device="cpu").fit(X)


# == 5. evaluation inputs =======================================================
E4 = np.random.default_rng(0).normal(size=(4, 3))
POSITIONS_BAD = [
    ("float", [[0.9, 1.7]], "integer row positions.*0.9"),
    ("float-dtype", np.array([[0.0, 1.0]]), "integer row positions"),
    ("negative", [[-1, 2]], "0 <= i < 4.*got -1"),
    ("too-big", [[0, 4]], "0 <= i < 4.*got 4"),
    ("huge", np.array([[0, 2**62]]), "0 <= i < 4"),
    ("bool", [[True, False]], "integer row positions.*True"),
    ("str", [["a", "b"]], "integer row positions.*'a'"),
    ("none", [[None, 1]], "integer row positions.*None"),
    ("nan", np.array([[np.nan, 1.0]]), "integer row positions"),
    ("one-column", np.array([[0], [1]]), "shape \\(m, 2\\)"),
    ("three-columns", [[0, 1, 2]], "shape \\(m, 2\\)"),
    ("empty", np.empty((0, 2), dtype=int), "no pairs"),
]


@pytest.mark.parametrize("pairs, match", [c[1:] for c in POSITIONS_BAD], ids=[c[0] for c in POSITIONS_BAD])
def test_link_prediction_positions(pairs, match):
    with pytest.raises(ValueError, match=match):
        evaluate_link_prediction(E4, pairs, [[2, 3]])


def test_link_prediction_correct_result():
    rng = np.random.default_rng(1)
    E = rng.normal(size=(20, 5))
    pos, neg = rng.integers(0, 20, (15, 2)), rng.integers(0, 20, (15, 2))

    def cos(p):
        return [E[u] @ E[v] / (np.linalg.norm(E[u]) * np.linalg.norm(E[v]) + 1e-8) for u, v in p]

    expected = roc_auc_score([1] * 15 + [0] * 15, cos(pos) + cos(neg))
    assert evaluate_link_prediction(E, pos, neg) == pytest.approx(expected)
    assert evaluate_link_prediction(E, pos.astype(np.int16), neg.tolist()) == pytest.approx(expected)


def test_link_prediction_by_id_unknown(n2v):
    with pytest.raises(UnknownNodeError, match="999"):
        evaluate_link_prediction(n2v, [[0, 999]], [[1, 2]])


SPLIT_BAD = [
    ("ratio-inf", dict(negative_ratio=float("inf")), "'negative_ratio' parameter of split_edges must be"),
    ("ratio-nan", dict(negative_ratio=float("nan")), "'negative_ratio' parameter of split_edges must be"),
    ("ratio-neg", dict(negative_ratio=-1), "'negative_ratio' parameter of split_edges must be"),
    ("ratio-bool", dict(negative_ratio=True), "'negative_ratio' parameter of split_edges must be"),
    ("ratio-str", dict(negative_ratio="1"), "'negative_ratio' parameter of split_edges must be"),
    ("test-1.5", dict(test_size=1.5), "'test_size' parameter of split_edges must be"),
    ("test-neg", dict(test_size=-1), "'test_size' parameter of split_edges must be"),
    ("test-inf", dict(test_size=float("inf")), "'test_size' parameter of split_edges must be"),
    ("test-nan", dict(test_size=float("nan")), "'test_size' parameter of split_edges must be"),
    ("test-too-many", dict(test_size=10_000), "cannot hold out"),
    ("val-1.0", dict(val_size=1.0), "'val_size' parameter of split_edges must be"),
    ("complete", dict(test_size=0.5, negative_ratio=100), "negative pairs"),
]


@pytest.mark.parametrize("kwargs, match", [c[1:] for c in SPLIT_BAD], ids=[c[0] for c in SPLIT_BAD])
def test_split_edges_bad(kwargs, match):
    with pytest.raises(ValueError, match=match):
        split_edges(nx.karate_club_graph(), **kwargs)


def test_split_edges_test_size_bool():
    with pytest.raises(TypeError, match="'test_size' parameter of split_edges must be a float"):
        split_edges(nx.karate_club_graph(), test_size=True)


@pytest.mark.parametrize("val_size, n_values", [(0.0, 3), (0.1, 5)])
def test_split_edges_unpacks(val_size, n_values):
    split = split_edges(nx.karate_club_graph(), test_size=0.2, val_size=val_size, random_state=0)
    values = list(split)
    assert len(values) == n_values
    g_train, test_pairs, test_labels = values[:3]
    assert g_train is split.train_graph and test_pairs is split.test_pairs and test_labels is split.test_labels
    assert g_train.n_edges == 78 - int(split.test_labels.sum()) - (int(split.val_labels.sum()) if val_size else 0)
    assert set(np.unique(test_labels)) == {0, 1}


NODE_CLS_BAD = [
    (
        "length-mismatch",
        lambda e: evaluate_node_classification(e, np.zeros(5), nodes=np.arange(6)),
        "6 ids but labels has 5",
    ),
    ("one-labelled", lambda e: evaluate_node_classification(e, np.zeros(1), nodes=[0]), "at least 2"),
    ("unknown-node", lambda e: evaluate_node_classification(e, np.arange(2), nodes=[0, 999]), "999"),
]


@pytest.mark.parametrize("call, match", [c[1:] for c in NODE_CLS_BAD], ids=[c[0] for c in NODE_CLS_BAD])
def test_node_classification_bad(n2v, call, match):
    with pytest.raises(ValueError, match=match):
        call(n2v)


@pytest.mark.parametrize(
    "nodes, shown",
    [
        ([-1, 0, 1, 2], "-1"),
        ([0.9, 1.7, 2, 3], "0.9, 1.7"),
        ([0, 1, 2, 10], "10"),
        ([True, False, True, False], "True"),
    ],
)
def test_node_classification_on_array_positions(nodes, shown):
    """On a plain array, ids are row numbers 0..n-1: negative, float or bool ids never wrap or truncate."""
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(UnknownNodeError, match=shown):
        evaluate_node_classification(X, [0, 1, 0, 1], nodes=nodes, cv=2)


@pytest.mark.parametrize(
    "embedders, exc, match",
    [
        ({}, TypeError, "non-empty dict"),
        ([SVDEmbedder()], TypeError, "non-empty dict"),
        ({"x": 3}, TypeError, "not an estimator"),
        ({"svd": SVDEmbedder(n_components=2)}, ValueError, "pass labels="),
    ],
)
def test_compare_embedders_bad(karate, embedders, exc, match):
    from skgraphemb import compare_embedders

    with pytest.raises(exc, match=match):
        compare_embedders(embedders, karate)


@pytest.mark.parametrize("normalization", ["transition", "symmetric"])
@pytest.mark.parametrize("w", [1e-40, 1e300])
def test_svd_normalized_is_scale_free(normalization, w):
    kw = dict(n_components=3, order=2, normalization=normalization, random_state=0)
    unit = SVDEmbedder(**kw).fit(_weighted_karate(1.0))
    scaled = SVDEmbedder(**kw).fit(_weighted_karate(w))
    np.testing.assert_allclose(scaled.singular_values_, unit.singular_values_, rtol=1e-4)


# == 6. file writers ============================================================
def _string_svd(ids):
    G = nx.relabel_nodes(nx.path_graph(len(ids)), dict(enumerate(ids)))
    return SVDEmbedder(n_components=2, random_state=0).fit(G)


TEXT_IDS_BAD = [
    (".txt", "a b"),
    (".txt", "a\tb"),
    (".txt", "a\nb"),
    (".txt", ""),
    (".txt", "x\u3000y"),
    (".emb", "a b"),
    (".emb", "end "),
    (".npy", "a\nb"),
    (".npy", "a\rb"),
    (".npy", "a\u2029b"),
]


@pytest.mark.parametrize("suffix, bad", TEXT_IDS_BAD, ids=[f"{s}-{b!r}" for s, b in TEXT_IDS_BAD])
def test_text_writers_refuse_ids(tmp_path, suffix, bad):
    emb = _string_svd(["x", bad, "y"])
    with pytest.raises(ValueError, match="Write .npz or .parquet"):
        write_embedding(emb, tmp_path / f"e{suffix}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".txt", ".emb", ".npy", ".npz"])
def test_writers_round_trip_plain_ids(tmp_path, suffix):
    emb = _string_svd(["x", "café", "y-1", "z_2"])
    write_embedding(emb, tmp_path / f"e{suffix}")
    Z, nodes, _ = read_embedding(tmp_path / f"e{suffix}")
    assert nodes.tolist() == emb.nodes_.tolist()
    np.testing.assert_allclose(Z, emb.embedding_, rtol=1e-6)


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".kv", ".txt", ".emb"])
def test_writers_do_not_follow_planted_symlinks(tmp_path, svd, suffix):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / f"e{suffix}").symlink_to(victim)
    (out / "e.nodes.txt").symlink_to(victim)
    write_embedding(svd, out / f"e{suffix}")
    assert victim.read_text() == "keep"
    assert not (out / f"e{suffix}").is_symlink()


def test_write_unknown_suffix(tmp_path, svd):
    with pytest.raises(ValueError, match="unknown output format '.csv'"):
        write_embedding(svd, tmp_path / "e.csv")


def test_read_pickle_refused(tmp_path, svd):
    write_embedding(svd, tmp_path / "e.kv")
    with pytest.raises(ValueError, match="pickles"):
        read_embedding(tmp_path / "e.kv")


# == 7. the command line: exit 2, one line on stderr, no traceback ==============
def _cli_files(tmp: Path) -> None:
    good = b"a\tb\nb\tc\nc\ta\n"
    data = gzip.compress(good * 40)
    (tmp / "g.tsv").write_bytes(good)
    (tmp / "trunc.tsv.gz").write_bytes(data[: len(data) // 2])
    (tmp / "corrupt.tsv.gz").write_bytes(data[:12] + b"\x00" * 8 + data[20:])
    (tmp / "plain.tsv.gz").write_bytes(good)
    (tmp / "latin1.tsv").write_bytes("café\tb\n".encode("latin-1"))
    (tmp / "binary.tsv").write_bytes(bytes(range(256)))
    (tmp / "empty.tsv").write_bytes(b"")
    (tmp / "onecol.tsv").write_bytes(b"a\nb\n")
    (tmp / "spaces.tsv").write_bytes(b"new york\tboston\nboston\tparis\n")
    (tmp / "folder.tsv").mkdir()
    (tmp / "out.npz").mkdir()
    (tmp / "labels.tsv").write_bytes("a\t\xff\n".encode("latin-1"))


CLI_BAD = [
    ("truncated-gz", ["embed", "{t}/trunc.tsv.gz", "-o", "{t}/x.npz"], "trunc.tsv.gz"),
    ("corrupt-gz", ["embed", "{t}/corrupt.tsv.gz", "-o", "{t}/x.npz"], "corrupt.tsv.gz"),
    ("not-gzip", ["embed", "{t}/plain.tsv.gz", "-o", "{t}/x.npz"], "plain.tsv.gz"),
    ("latin1", ["embed", "{t}/latin1.tsv", "-o", "{t}/x.npz"], "latin1.tsv"),
    ("binary", ["embed", "{t}/binary.tsv", "-o", "{t}/x.npz"], "binary.tsv"),
    ("empty", ["embed", "{t}/empty.tsv", "-o", "{t}/x.npz"], "empty.tsv"),
    ("one-column", ["embed", "{t}/onecol.tsv", "-o", "{t}/x.npz"], "onecol.tsv"),
    ("folder-as-file", ["embed", "{t}/folder.tsv", "-o", "{t}/x.npz"], "folder.tsv"),
    ("missing", ["embed", "{t}/nope.tsv", "-o", "{t}/x.npz"], "no such edge-list file"),
    ("under-a-file", ["embed", "{t}/g.tsv/x.tsv", "-o", "{t}/x.npz"], "no such edge-list file"),
    ("output-folder", ["embed", "{t}/g.tsv", "-o", "{t}/out.npz"], "is a folder"),
    ("output-under-file", ["embed", "{t}/g.tsv", "-o", "{t}/g.tsv/x.npz"], "cannot create its folder"),
    ("output-suffix", ["embed", "{t}/g.tsv", "-o", "{t}/x.csv"], "unknown output format"),
    ("spaces-txt", ["embed", "{t}/spaces.tsv", "-o", "{t}/x.txt"], "'new york'"),
    ("spaces-emb", ["embed", "{t}/spaces.tsv", "-o", "{t}/x.emb"], "Write .npz or .parquet"),
    ("diverges", ["embed", "karate", "--alpha", "50", "-o", "{t}/x.npz"], "lower alpha"),
    (
        "svd-too-many",
        ["embed", "{t}/g.tsv", "--method", "svd", "--n-components", "5", "-o", "{t}/x.npz"],
        "n_components",
    ),
    ("walk-length-1", ["embed", "karate", "--walk-length", "1", "-o", "{t}/x.npz"], "walk_length"),
    ("bad-alpha", ["embed", "karate", "--alpha", "-1", "-o", "{t}/x.npz"], "'alpha' parameter"),
    ("labels-encoding", ["evaluate", "karate", "--labels", "{t}/labels.tsv"], "labels.tsv"),
    ("labels-missing", ["evaluate", "karate", "--labels", "{t}/nolabels.tsv"], "no such labels file"),
    ("plot-suffix", ["evaluate", "karate", "--plot", "{t}/p.xyz"], "image suffix"),
    ("export-missing", ["export", "{t}/nope.npz", "--redis-url", "redis://127.0.0.1:1/0"], "no such embedding file"),
    ("export-no-url", ["export", "{t}/g.tsv"], "export needs a Redis URL"),
    ("export-bad-url", ["export", "{t}/g.tsv", "--redis-url", "http://x"], "url must start with redis://"),
]


@pytest.mark.parametrize("argv", [c[1] for c in CLI_BAD], ids=[c[0] for c in CLI_BAD])
def test_cli_user_errors(capsys, monkeypatch, tmp_path, argv):
    monkeypatch.delenv("SKGRAPHEMB_REDIS_URL", raising=False)
    message = dict((tuple(c[1]), c[2]) for c in CLI_BAD)[tuple(argv)]
    _cli_files(tmp_path)
    fast = ["--dimensions", "8", "--walk-length", "5", "--num-walks", "2"] if argv[0] != "export" else []
    if "--walk-length" in argv or "--alpha" in argv:  # their own settings (defaults diverge at 50)
        fast = []
    rc = main([a.format(t=tmp_path) for a in argv] + fast)
    out, err = capsys.readouterr()
    assert rc == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"skgraphemb {argv[0]}: error:"), err
    assert message in lines[0]
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "x.txt").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_cli_unreadable_file(capsys, tmp_path):
    path = tmp_path / "secret.tsv"
    path.write_text("a\tb\n")
    path.chmod(0)
    rc = main(["embed", str(path), "-o", str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert rc == 2 and "Permission denied" in err and "secret.tsv" in err


def test_cli_output_replaces_planted_symlink(capsys, tmp_path):
    _cli_files(tmp_path)
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "x.npz").symlink_to(victim)
    rc = main(
        ["embed", str(tmp_path / "g.tsv"), "--dimensions", "4", "--walk-length", "5", "-o", str(tmp_path / "x.npz")]
    )
    assert rc == 0, capsys.readouterr().err
    assert victim.read_text() == "keep" and not (tmp_path / "x.npz").is_symlink()
    Z, nodes, _ = read_embedding(tmp_path / "x.npz")
    assert Z.shape == (3, 4) and sorted(nodes.tolist()) == ["a", "b", "c"]


# == 8. graph inputs that already behave (the estimator's view) ================
GRAPH_BAD = [
    ("nan-weight", [(0, 1, float("nan"))], "finite|NaN"),
    ("negative-weight", [(0, 1, -1.0)], "negative|positive"),
    ("no-edges", nx.empty_graph(3), "no edges"),
]


@pytest.mark.parametrize("X, match", [c[1:] for c in GRAPH_BAD], ids=[c[0] for c in GRAPH_BAD])
def test_bad_graphs(X, match):
    with pytest.raises(GraphFormatError, match=match):
        SVDEmbedder(n_components=1).fit(X)
