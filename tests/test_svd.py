"""SVDEmbedder: k-step SVD against explicit dense factorisations."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import subspace_angles

from skgraphemb import SVDEmbedder, as_graph, evaluate_node_classification, load_karate
from skgraphemb._kernels._linalg import normalize_adjacency, power_sum_operator


def _directed_graph():
    G = nx.gnp_random_graph(40, 0.12, seed=3, directed=True)
    G.add_nodes_from(range(40))
    return as_graph(G)


def _weighted_directed_graph():
    G = nx.gnp_random_graph(50, 0.1, seed=4, directed=True)
    for u, v in G.edges:
        G[u][v]["weight"] = 0.5 + (3 * u + v) % 4
    return as_graph(G)


def _weighted_graph():
    G = nx.les_miserables_graph()  # undirected, integer co-occurrence weights
    return as_graph(G)


GRAPHS = {
    "karate": lambda: load_karate().graph,
    "directed": _directed_graph,
    "weighted-directed": _weighted_directed_graph,
    "weighted": _weighted_graph,
}


def _dense_M(graph, order, normalization):
    A = graph.to_scipy().toarray()
    deg = A.sum(axis=1)
    if normalization == "transition":
        A = np.divide(A, deg[:, None], out=np.zeros_like(A), where=deg[:, None] > 0)
    elif normalization == "symmetric":
        inv = np.divide(1.0, np.sqrt(deg), out=np.zeros_like(deg), where=deg > 0)
        A = inv[:, None] * A * inv[None, :]
    M = np.zeros_like(A)
    P = np.eye(len(A))
    for _ in range(order):
        P = P @ A
        M += P
    return M


@pytest.mark.parametrize("name", list(GRAPHS))
# order 4 runs every product of the randomized path on column panels
@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("normalization", [None, "transition", "symmetric"])
@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_matches_dense_svd(name, order, normalization, algorithm):
    graph = GRAPHS[name]()
    k = 4
    M = _dense_M(graph, order, normalization)
    U, S, Vt = np.linalg.svd(M)
    # skip cases whose k-th gap is degenerate (subspace not unique)
    gap = (S[k - 1] - S[k]) / S[0]
    if gap < 1e-3:
        pytest.skip("degenerate singular value gap")
    est = SVDEmbedder(
        n_components=k,
        order=order,
        normalization=normalization,
        algorithm=algorithm,
        n_iter=15,
        random_state=0,
    ).fit(graph)
    np.testing.assert_allclose(est.singular_values_, S[:k], rtol=1e-4)
    angles = subspace_angles(est.embedding_.astype(np.float64), U[:, :k])
    assert np.max(angles) < 1e-2
    angles = subspace_angles(est.components_.astype(np.float64), Vt[:k].T)
    assert np.max(angles) < 1e-2
    # embedding_ @ components_.T is the rank-k approximation of M
    approx = (U[:, :k] * S[:k]) @ Vt[:k]
    np.testing.assert_allclose(est.embedding_ @ est.components_.T, approx, atol=1e-3 * S[0])


def test_matches_truncated_svd_karate():
    from sklearn.decomposition import TruncatedSVD

    graph = load_karate().graph
    A = graph.to_scipy()
    M = (A + A @ A).toarray()
    tsvd = TruncatedSVD(n_components=6, algorithm="arpack", random_state=0).fit(M)
    est = SVDEmbedder(n_components=6, order=2, algorithm="arpack", random_state=0).fit(graph)
    np.testing.assert_allclose(est.singular_values_, tsvd.singular_values_, rtol=1e-6)
    assert np.max(subspace_angles(est.embedding_.astype(float), tsvd.transform(M))) < 1e-3


@pytest.mark.parametrize("algorithm", ["arpack", "randomized"])
def test_singular_values_scaling_is_truncated_svd(algorithm):
    """scaling="singular_values" is the reference snippet's TruncatedSVD(...).fit_transform(A + A^2)."""
    from sklearn.decomposition import TruncatedSVD

    graph = as_graph(nx.les_miserables_graph(), weight=None)  # 77 nodes, a spread spectrum
    A = graph.to_scipy()
    M = (A + A @ A).toarray()
    k = 8
    expected = TruncatedSVD(n_components=k, algorithm="arpack", random_state=0).fit(M)
    Z_expected = expected.transform(M)
    kw = dict(n_components=k, order=2, algorithm=algorithm, random_state=0, n_iter=12)
    est = SVDEmbedder(scaling="singular_values", **kw).fit(graph)
    # column signs are a convention of each library: align them, then compare values
    signs = np.sign(np.sum(est.embedding_ * Z_expected, axis=0))
    np.testing.assert_allclose(est.embedding_ * signs, Z_expected, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(est.components_ * signs, expected.components_.T, atol=1e-4)
    # the other scalings are the same singular vectors, weighted by sqrt(S) and by 1
    S = est.singular_values_.astype(np.float32)
    for scaling, power in (("sqrt", 0.5), ("none", 0.0)):
        other = SVDEmbedder(scaling=scaling, **kw).fit(graph)
        np.testing.assert_allclose(other.embedding_ * S ** (1 - power), est.embedding_, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(other.embedding_ @ other.components_.T, M, atol=0.2 * S[0])
        np.testing.assert_allclose(
            other.embedding_ @ other.components_.T, est.embedding_ @ est.components_.T, rtol=1e-4, atol=1e-3
        )


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("normalization", [None, "transition", "symmetric"])
def test_operator_equals_dense_products(order, normalization):
    graph = _directed_graph()
    A = normalize_adjacency(graph.to_scipy(), normalization)
    op = power_sum_operator(A, order)
    M = _dense_M(graph, order, normalization)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(graph.n_nodes)
    X = rng.standard_normal((graph.n_nodes, 3))
    np.testing.assert_allclose(op @ x, M @ x, atol=1e-10)
    np.testing.assert_allclose(op @ X, M @ X, atol=1e-10)
    np.testing.assert_allclose(op.T @ X, M.T @ X, atol=1e-10)
    np.testing.assert_allclose(op.rmatvec(x), M.T @ x, atol=1e-10)


def test_zero_degree_rows_stay_zero():
    A = sp.csr_array(np.array([[0, 1, 0], [0, 0, 0], [1, 1, 0]], dtype=float))
    P = normalize_adjacency(A, "transition").toarray()
    np.testing.assert_allclose(P, [[0, 1, 0], [0, 0, 0], [0.5, 0.5, 0]])
    assert np.isfinite(normalize_adjacency(A, "symmetric").toarray()).all()


@pytest.fixture
def no_sparse_products(monkeypatch):
    """Every sparse @ sparse product of scipy (the way to form A^2) raises."""
    from scipy.sparse import _base, _bsr, _compressed, _coo, _dia

    def refuse(self, other):
        raise AssertionError("a sparse matrix product (a power of the adjacency matrix) was formed")

    for module in (_base, _bsr, _compressed, _coo, _dia):
        for cls in vars(module).values():
            if isinstance(cls, type) and "_matmul_sparse" in vars(cls):
                monkeypatch.setattr(cls, "_matmul_sparse", refuse)


def test_large_ring_never_forms_powers(no_sparse_products):
    n = 200_000
    rows = np.arange(n)
    edges = np.column_stack([rows, (rows + 1) % n])
    graph = as_graph(edges)
    A = graph.to_scipy()
    with pytest.raises(AssertionError, match="power of the adjacency"):
        A @ A  # the guard catches an explicit power
    # nor could a dense n x n matrix (320 GB) be allocated: M = A + A^2 + A^3 is applied
    # through products of A with blocks of vectors only
    est = SVDEmbedder(n_components=2, order=3, n_iter=2, random_state=0)
    Z, info = est._embed(graph, 0)
    assert Z.shape == (n, 2) and Z.dtype == np.float32
    # the ring is 2-regular: the top singular value of A + A^2 + A^3 is 2 + 4 + 8
    # (its spectrum is dense near the top, so 2 power iterations get close, not exact)
    assert 12 < info["singular_values_"][0] <= 14 + 1e-9


def test_arpack_and_randomized_agree(karate):
    a = SVDEmbedder(n_components=5, algorithm="arpack", random_state=0).fit(karate)
    r = SVDEmbedder(n_components=5, algorithm="randomized", n_iter=10, random_state=0).fit(karate)
    np.testing.assert_allclose(a.singular_values_, r.singular_values_, rtol=1e-5)
    # signs are fixed deterministically, so the vectors themselves agree
    np.testing.assert_allclose(a.embedding_, r.embedding_, atol=1e-3)


@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_reproducible_with_int_seed(karate, algorithm):
    a = SVDEmbedder(n_components=8, algorithm=algorithm, random_state=7).fit_transform(karate)
    b = SVDEmbedder(n_components=8, algorithm=algorithm, random_state=7).fit_transform(karate)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("normalization", [None, "symmetric"])
def test_karate_communities(normalization):
    data = load_karate()
    est = SVDEmbedder(n_components=4, order=2, normalization=normalization, random_state=0)
    est.fit(data.graph)
    score = evaluate_node_classification(est, data.labels, nodes=data.nodes, random_state=0)
    f1 = float(getattr(score, "mean", score))
    assert f1 >= 0.8


def test_n_components_must_be_below_n_nodes(karate):
    with pytest.raises(ValueError, match="n_components=34 must be smaller than the number of nodes"):
        SVDEmbedder(n_components=34).fit(karate)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(order=0), "order"),
        (dict(normalization="laplacian"), "normalization"),
        (dict(algorithm="lobpcg"), "algorithm"),
        (dict(n_components=0), "n_components"),
    ],
)
def test_bad_parameters(karate, params, match):
    with pytest.raises(ValueError, match=match):
        SVDEmbedder(**params).fit(karate)


def test_pipeline_with_graph_param(karate):
    data = load_karate()
    est = SVDEmbedder(n_components=4, graph=data.graph, random_state=0)
    Z = est.fit_transform(data.nodes[:10])
    assert Z.shape == (10, 4)
    np.testing.assert_array_equal(Z, est.embedding_[:10])


def _best_rank_k(M, k):
    U, S, Vt = np.linalg.svd(M)
    return S, (U[:, :k] * S[:k]) @ Vt[:k]


@pytest.mark.parametrize(
    "G, k",
    [
        (nx.path_graph(3), 2),  # k = n - 1: the random block is square
        (nx.star_graph(40), 10),  # rank 2: fewer non-zero singular values than p
        (nx.disjoint_union_all([nx.path_graph(6), nx.star_graph(5), nx.complete_graph(4)]), 8),
        (load_karate().graph, 33),  # k = n - 1 on a real graph
        (nx.complete_bipartite_graph(3, 30), 4),  # rank 2, repeated zero singular values
    ],
    ids=["path3-k2", "star-rank2", "disconnected", "karate-k33", "bipartite-rank2"],
)
@pytest.mark.parametrize("order", [1, 2, 5])
@pytest.mark.parametrize("normalization", [None, "symmetric"])
def test_rank_deficient_and_tiny_graphs(G, k, order, normalization):
    # The float32 range finder must orthonormalise rank-deficient blocks
    # (CholeskyQR alone fails there): singular values match a dense float64
    # SVD, and embedding_ @ components_.T is the best rank-k approximation
    # wherever that is unique (a gap after the k-th singular value).
    graph = as_graph(G)
    M = _dense_M(graph, order, normalization)
    S, approx = _best_rank_k(M, k)
    est = SVDEmbedder(n_components=k, order=order, normalization=normalization, n_iter=8, random_state=0).fit(graph)
    assert np.isfinite(est.embedding_).all() and np.isfinite(est.components_).all()
    np.testing.assert_allclose(est.singular_values_, S[:k], rtol=1e-5, atol=1e-6 * S[0])
    if k == len(S) or S[k - 1] - S[k] > 1e-3 * S[0]:
        np.testing.assert_allclose(est.embedding_ @ est.components_.T, approx, atol=1e-5 * S[0])
    # columns of zero singular value are zero; the others have norm sqrt(s)
    np.testing.assert_allclose(
        np.linalg.norm(est.embedding_, axis=0) ** 2, est.singular_values_, rtol=1e-5, atol=1e-6 * S[0]
    )


def test_zero_operator_gives_zero_embedding():
    # a directed star: only the hub has out-edges, so the symmetric
    # normalisation zeroes every column and M = 0
    graph = as_graph(nx.DiGraph([(0, i) for i in range(1, 12)]))
    est = SVDEmbedder(n_components=3, normalization="symmetric", random_state=0).fit(graph)
    np.testing.assert_array_equal(est.singular_values_, 0.0)
    np.testing.assert_array_equal(est.embedding_, 0.0)
    np.testing.assert_array_equal(est.components_, 0.0)


def test_randomized_path_reads_the_graph_without_a_scipy_copy(monkeypatch):
    from skgraphemb.graph import Graph

    graph = _weighted_directed_graph()
    expected = SVDEmbedder(n_components=4, random_state=0).fit(graph).embedding_

    def no_copy(self):
        raise AssertionError("the randomized path must not call Graph.to_scipy()")

    monkeypatch.setattr(Graph, "to_scipy", no_copy)
    np.testing.assert_array_equal(SVDEmbedder(n_components=4, random_state=0).fit(graph).embedding_, expected)


@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_embedding_is_returned_without_a_copy(karate, algorithm):
    # base.fit's np.ascontiguousarray(embedding, dtype=np.float32) must be a
    # no-op on what _embed returns (no extra n x k copy at fit's end)
    est = SVDEmbedder(n_components=5, algorithm=algorithm, random_state=0)
    Z, info = est._embed(as_graph(karate), 0)
    for arr in (Z, info["components_"]):
        assert arr.dtype == np.float32 and arr.flags.c_contiguous
        assert np.ascontiguousarray(arr, dtype=np.float32) is arr
    if algorithm == "randomized":  # the SVD's own block, shrunk to n x k
        assert Z.flags.owndata and info["components_"].flags.owndata


@pytest.mark.parametrize("normalization", [None, "transition"])
def test_same_embedding_for_any_n_jobs(normalization):
    graph = as_graph(nx.barabasi_albert_graph(3000, 3, seed=0))
    runs = [
        SVDEmbedder(n_components=16, normalization=normalization, random_state=0, n_jobs=n_jobs).fit(graph).embedding_
        for n_jobs in (1, 2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_memory_estimate_is_logged(karate, caplog):
    from skgraphemb._kernels._linalg import svd_memory_bytes

    graph = as_graph(karate)
    with caplog.at_level("INFO", logger="skgraphemb.svd"):
        SVDEmbedder(n_components=4, random_state=0).fit(graph)
    need = svd_memory_bytes(graph.n_nodes, graph.nnz, 4, 10, 2, directed=False, weighted=True)
    assert f"about {need / 1e9:.2f} GB beyond the graph" in caplog.text


def test_float32_overflow_has_a_clear_message():
    graph = as_graph([(0, 1, 1e30), (1, 2, 1e30), (2, 0, 2e30)])
    with pytest.raises(FloatingPointError, match="normalization='transition'.*arpack"):
        SVDEmbedder(n_components=2, random_state=0).fit(graph)
    # the float64 path still handles it
    assert np.isfinite(
        SVDEmbedder(n_components=2, algorithm="arpack", random_state=0).fit(graph).singular_values_
    ).all()


# -- values out of range: scaled when exact, refused otherwise, never inf ------
def _karate_weighted(karate, w):
    edges = np.array(list(karate.edges()))
    return np.column_stack([edges, np.full(len(edges), w)])


@pytest.mark.parametrize("w", [1e-30, 1e15, 1e30])
@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_order_1_weights_far_from_one_are_scaled_exactly(karate, w, algorithm):
    # M = A scales with the weights: the embedding is sqrt(w) times the unit one.
    unit = SVDEmbedder(n_components=4, order=1, algorithm=algorithm, random_state=0).fit(_karate_weighted(karate, 1.0))
    big = SVDEmbedder(n_components=4, order=1, algorithm=algorithm, random_state=0).fit(_karate_weighted(karate, w))
    np.testing.assert_allclose(big.singular_values_ / w, unit.singular_values_, rtol=1e-4)
    np.testing.assert_allclose(big.embedding_ / np.sqrt(w), unit.embedding_, atol=1e-4)


@pytest.mark.parametrize("w, order", [(1e100, 1), (1e200, 1), (1e20, 4), (1e38, 2), (1e60, 4), (1e100, 2)])
@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_embedding_out_of_float32_range_is_refused(karate, w, order, algorithm):
    # Before: arpack returned inf vectors (1e100 at order 1, 1e20 at order 4).
    est = SVDEmbedder(n_components=4, order=order, algorithm=algorithm, random_state=0)
    with pytest.raises(FloatingPointError, match="too large for float32.*Divide the edge weights"):
        est.fit(_karate_weighted(karate, w))
    assert not hasattr(est, "embedding_")


def test_one_node_graph_is_too_small():
    with pytest.raises(ValueError, match="graph is too small: it has 1 node"):
        SVDEmbedder(n_components=2).fit(nx.Graph([(0, 0)]))


@pytest.mark.parametrize("normalization", ["transition", "symmetric"])
@pytest.mark.parametrize("w", [1e-40, 1e307])
@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_normalized_matrices_do_not_depend_on_the_weight_scale(karate, normalization, w, algorithm):
    """Before: degree sums of 1e307 weights overflowed to inf and zeroed rows."""
    kw = dict(n_components=4, order=2, normalization=normalization, algorithm=algorithm, random_state=0)
    unit = SVDEmbedder(**kw).fit(_karate_weighted(karate, 1.0))
    scaled = SVDEmbedder(**kw).fit(_karate_weighted(karate, w))
    np.testing.assert_allclose(scaled.singular_values_, unit.singular_values_, rtol=1e-4)
    np.testing.assert_allclose(np.abs(scaled.embedding_), np.abs(unit.embedding_), atol=1e-4)
