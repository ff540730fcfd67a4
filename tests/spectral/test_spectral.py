"""Known answers for the spectral family: ProNE, FastRP, SpectralPropagation.

Each kernel is compared with a dense float64 reference written from the
papers' formulas (not from our code): ProNE's proximity matrix as its
reference implementation builds it with scipy/scikit-learn, the propagation
as the matrix exponential it expands, FastRP as its sum of powers.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.linalg
import scipy.sparse as sp
import scipy.special
from sklearn.preprocessing import normalize, scale

from skgraphemb import FastRPEmbedder, Node2VecEmbedder, ProNEEmbedder, SpectralPropagation, SVDEmbedder, as_graph
from skgraphemb.spectral._operators import GraphProducts, chebyshev_propagate, svd_embedding
from skgraphemb.spectral.fastrp import sparse_projection
from skgraphemb.spectral.prone import _ProNEFactorOperator


def _weighted(directed: bool):
    rng = np.random.default_rng(0)
    G = nx.gnp_random_graph(40, 0.12, seed=1, directed=directed)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.5, 4.0))
    return as_graph(G)


GRAPHS = {
    "karate": lambda: as_graph(nx.karate_club_graph(), weight=None),
    "weighted": lambda: _weighted(False),
    "directed-weighted": lambda: _weighted(True),
}


@pytest.fixture(params=list(GRAPHS), scope="module")
def graph(request):
    return GRAPHS[request.param]()


def _dense(graph) -> np.ndarray:
    return graph.to_scipy().toarray().astype(np.float64)


def _apply(op_apply, n, transpose=False):
    X = np.eye(n, dtype=np.float32)
    T = np.empty_like(X)
    return op_apply(X, T, transpose=transpose).astype(np.float64)


def test_prone_proximity_matrix_is_the_reference_one(graph):
    """ProNE's pre_factorization, step by step with scipy and scikit-learn."""
    A = sp.csr_matrix(_dense(graph))
    C1 = normalize(A, "l1")  # D^-1 A
    neg = np.asarray(C1.sum(axis=0)).ravel() ** 0.75
    neg = neg / neg.sum()
    negm = A @ sp.diags(neg)  # the mask (A) times diag(P)
    C1.data = np.log(C1.data)
    negm.data = np.log(negm.data)
    F = (C1 - negm).toarray()
    op = _ProNEFactorOperator(graph)
    np.testing.assert_allclose(_apply(op.apply, graph.n_nodes), F, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_apply(op.apply, graph.n_nodes, transpose=True), F.T, rtol=1e-5, atol=1e-5)


def _chebyshev_term(Y, k):
    """T_k(Y), the Chebyshev polynomial of the first kind, densely (T_0 = I, T_1 = Y)."""
    prev, cur = np.eye(len(Y)), Y
    for _ in range(k - 1):
        prev, cur = cur, 2 * Y @ cur - prev
    return prev if k == 0 else cur


def test_propagation_is_the_band_pass_filter(graph):
    """(I + A)(X - exp(-theta (M^2/2 - I)) X) with M = (1 - mu) I - D'^-1 (I + A), densely."""
    A = _dense(graph)
    n = len(A)
    X = np.random.default_rng(2).standard_normal((n, 21)).astype(np.float32)  # 2 blocks of 16, one of 5
    mu, theta = 0.2, 0.5
    eye = np.eye(n)
    Ap = eye + A
    M = (1 - mu) * eye - Ap / Ap.sum(axis=1, keepdims=True)
    expected = Ap @ (X - scipy.linalg.expm(-theta * (M @ M / 2 - eye)) @ X)
    got = chebyshev_propagate(GraphProducts(graph), X.copy(), order=10, mu=mu, theta=theta)
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=2e-4 * np.abs(expected).max())
    # Columns are independent: blocks of 8, 8 and 5 columns (the buffers
    # reallocated for the last) give the same result as one block of 21.
    blocked = chebyshev_propagate(GraphProducts(graph), X.copy(), order=10, mu=mu, theta=theta, block=8)
    np.testing.assert_allclose(blocked, got, rtol=1e-6, atol=1e-6 * np.abs(got).max())
    for order in (2, 3, 4):  # every rotation of the three term buffers, against the dense filter
        series = sum(
            (1 if k == 0 else 2 * (-1) ** k) * scipy.special.iv(k, theta) * _chebyshev_term(M @ M / 2 - eye, k)
            for k in range(order)
        )
        short = chebyshev_propagate(GraphProducts(graph), X.copy(), order=order, mu=mu, theta=theta, block=8)
        np.testing.assert_allclose(short, Ap @ (X - series @ X), rtol=2e-4, atol=2e-4 * np.abs(expected).max())
    # Fewer Chebyshev terms approximate it less well, and never better.
    coarse = chebyshev_propagate(GraphProducts(graph), X.copy(), order=2, mu=mu, theta=theta)
    assert np.abs(coarse - expected).max() > 10 * np.abs(got - expected).max()


def test_svd_embedding_is_u_sqrt_s():
    X = np.random.default_rng(3).standard_normal((200, 12)).astype(np.float32)
    U, S, Vt = np.linalg.svd(X.astype(np.float64), full_matrices=False)
    # svd_flip(u_based_decision=False): the largest entry of each row of Vt positive
    signs = np.sign(Vt[np.arange(12), np.argmax(np.abs(Vt), axis=1)])
    expected = U * signs * np.sqrt(S)
    got, values = svd_embedding(X.copy())
    np.testing.assert_allclose(values, S, rtol=1e-5)
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4)


def test_prone_factorisation_matches_the_exact_svd(graph):
    """order=1: U sqrt(S) of F, unit rows; the randomized SVD finds the leading subspace."""
    op = _ProNEFactorOperator(graph)
    F = _apply(op.apply, graph.n_nodes)
    S_exact = np.linalg.svd(F, compute_uv=False)
    emb = ProNEEmbedder(n_components=4, order=1, n_iter=8, random_state=0).fit(graph)
    np.testing.assert_allclose(emb.singular_values_, S_exact[:4], rtol=1e-3)
    norms = np.linalg.norm(emb.embedding_, axis=1)
    np.testing.assert_allclose(norms[norms > 0], 1.0, rtol=1e-5)


def test_prone_is_factorisation_then_propagation(graph):
    base = ProNEEmbedder(n_components=6, order=1, random_state=4).fit(graph).embedding_
    X = chebyshev_propagate(GraphProducts(graph), base.copy(), order=10, mu=0.2, theta=0.5)
    expected = normalize(svd_embedding(X)[0])
    got = ProNEEmbedder(n_components=6, random_state=4).fit(graph).embedding_
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("normalize_powers", [False, True])
@pytest.mark.parametrize("one_block", [True, False])
def test_fastrp_is_its_formula(graph, normalize_powers, one_block, monkeypatch):
    """scale(sum_k w_k S^k D^beta R) with the estimator's own projection R.

    In one block of 20 columns (the powers kept for their row norms) and,
    with a budget of a single byte, in blocks of 16 and 4 (two passes)."""
    if not one_block:
        monkeypatch.setattr("skgraphemb.spectral._operators.BLOCK_BUDGET_BYTES", 1)
    A = _dense(graph)
    n, d, beta, weights = len(A), 20, -0.7, [0.5, 0.0, 1.0, 3.0]
    deg = A.sum(axis=1)
    inv = np.divide(1.0, deg, out=np.zeros(n), where=deg > 0)
    S = inv[:, None] * A
    node_scale = np.where(deg > 0, deg, 1.0) ** beta * (deg > 0)
    R = sparse_projection(n, d, 1 / np.sqrt(n), seed=11)
    N = S @ (node_scale[:, None] * R)
    total = np.zeros((n, d))
    for w in weights:
        total += w * (normalize(N) if normalize_powers else N)
        N = S @ N
    expected = scale(total)
    emb = FastRPEmbedder(n_components=d, weights=weights, beta=beta, normalize_powers=normalize_powers, random_state=11)
    got = emb.fit(graph).embedding_
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_fastrp_projection_is_very_sparse_and_scaled():
    n, d = 10_000, 64
    R = sparse_projection(n, d, density=0.01, seed=0)
    nonzero = np.count_nonzero(R)
    assert abs(nonzero / (n * d) - 0.01) < 0.001  # binomial: 6400 expected, sd 80
    values = np.unique(np.abs(R[R != 0]))
    np.testing.assert_allclose(values, [1 / np.sqrt(0.01 * d)])
    assert abs((R > 0).sum() - (R < 0).sum()) < 4 * np.sqrt(nonzero)
    # Each column is its own stream: the first 8 columns of a wider draw are the same.
    np.testing.assert_array_equal(sparse_projection(n, 8, 0.01, 0), R[:, :8] * np.sqrt(64 / 8))


@pytest.mark.parametrize(
    "make",
    [
        lambda: ProNEEmbedder(n_components=8, random_state=0),
        lambda: FastRPEmbedder(n_components=8, random_state=0),
        lambda: SpectralPropagation(SVDEmbedder(n_components=8), random_state=0),
    ],
    ids=["prone", "fastrp", "propagation"],
)
def test_same_embedding_for_any_thread_count(make, karate_graph):
    one = make().set_params(n_jobs=1).fit(karate_graph).embedding_
    two = make().set_params(n_jobs=2).fit(karate_graph).embedding_
    np.testing.assert_array_equal(one, two)


def test_spectral_methods_separate_the_karate_factions(karate_graph):
    """The two factions of Zachary's club are linearly separable in every embedding."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    G = nx.karate_club_graph()
    y = np.array([G.nodes[v]["club"] == "Officer" for v in karate_graph.nodes])
    for est in (
        ProNEEmbedder(n_components=8, random_state=0),
        FastRPEmbedder(n_components=16, weights=(1.0, 1.0), random_state=0),
        SpectralPropagation(SVDEmbedder(n_components=8), random_state=0),
    ):
        Z = est.fit(karate_graph).embedding_
        assert cross_val_score(LogisticRegression(), Z, y, cv=3).mean() >= 0.85, type(est).__name__


def test_propagation_wraps_any_embedder_and_tunes_through_it(karate_graph):
    from sklearn.base import clone

    model = SpectralPropagation(Node2VecEmbedder(n_components=8, walk_length=10, num_walks=2, window=3), random_state=3)
    model.set_params(embedder__p=0.5, order=4)
    fitted = clone(model).fit(karate_graph)
    assert fitted.embedder_.p == 0.5 and fitted.embedder_.random_state is not None
    assert fitted.embedding_.shape == (34, 8)
    inner = Node2VecEmbedder(
        n_components=8, walk_length=10, num_walks=2, window=3, p=0.5, random_state=fitted.embedder_.random_state
    ).fit(karate_graph)
    X = chebyshev_propagate(GraphProducts(karate_graph), normalize(inner.embedding_), order=4, mu=0.2, theta=0.5)
    # rows of unit length: float32 rounding of the two row normalisations, through an SVD
    np.testing.assert_allclose(fitted.embedding_, normalize(svd_embedding(X)[0]), rtol=1e-4, atol=2e-5)


def test_propagation_normalises_the_input_rows_unless_told_not_to(graph):
    """normalize_input: the filter sees unit rows (ProNE's footing); False propagates the raw rows."""
    inner = SVDEmbedder(n_components=5, random_state=1)
    base = inner.fit(graph).embedding_
    assert not np.allclose(np.linalg.norm(base, axis=1), 1.0)  # the SVD's rows are not unit length
    for flag, X in ((True, normalize(base)), (False, base.copy())):
        P = chebyshev_propagate(GraphProducts(graph), X.astype(np.float32), order=6, mu=0.2, theta=0.5)
        got = SpectralPropagation(inner, order=6, normalize_input=flag).fit(graph).embedding_
        np.testing.assert_allclose(got, normalize(svd_embedding(P)[0]), rtol=1e-4, atol=1e-5)
    # ProNE's factorisation has unit rows already: wrapping it is ProNE with propagation.
    prone = ProNEEmbedder(n_components=5, random_state=2).fit(graph).embedding_
    wrapped = SpectralPropagation(ProNEEmbedder(n_components=5, order=1, random_state=2)).fit(graph).embedding_
    np.testing.assert_allclose(wrapped, prone, rtol=1e-4, atol=1e-5)


def test_column_blocks_widen_within_their_memory_budget():
    from skgraphemb.spectral._operators import BLOCK_BUDGET_BYTES, MIN_BLOCK, column_block

    assert column_block(10_000, 128, 5) == 128  # 26 MB: one block
    assert column_block(10_000, 5, 5) == 5
    wide = column_block(200_000, 128, 5)
    per_column = 5 * 4 * 200_000
    assert wide % MIN_BLOCK == 0 and MIN_BLOCK < wide < 128
    assert per_column * wide <= BLOCK_BUDGET_BYTES < per_column * (wide + MIN_BLOCK)
    assert column_block(10_000_000, 128, 5) == MIN_BLOCK  # never narrower, even over the budget


def test_propagation_refuses_an_embedder_of_another_graph(karate_graph):
    other = nx.path_graph(40)
    model = SpectralPropagation(SVDEmbedder(n_components=4, graph=other))
    with pytest.raises(ValueError, match="differs from the graph given to SpectralPropagation"):
        model.fit(karate_graph)
    # The same graph set on the wrapped embedder is fine.
    SpectralPropagation(SVDEmbedder(n_components=4, graph=karate_graph), random_state=0).fit(karate_graph)


@pytest.mark.parametrize(
    "est, match",
    [
        (ProNEEmbedder(n_components=34), r"n_components=34 must be smaller than the number of nodes \(34\)"),
        (ProNEEmbedder(order=0), "'order' parameter of ProNEEmbedder must be an int in the range"),
        (ProNEEmbedder(theta=0.0), "'theta' parameter"),
        (FastRPEmbedder(weights=(0.0, 0.0)), "weights are all zero"),
        (FastRPEmbedder(weights=(1.0, float("nan"))), "finite floats"),
        (FastRPEmbedder(density=0.0), "'density' parameter"),
        (SpectralPropagation(SVDEmbedder(), order=1), "'order' parameter of SpectralPropagation"),
        (SpectralPropagation("svd"), "'embedder' parameter"),
    ],
)
def test_bad_parameters_are_named(est, match, karate_graph):
    with pytest.raises(ValueError, match=match):
        est.fit(karate_graph)


def _weighted_path(weight):
    G = nx.path_graph(10)
    G[0][1]["weight"] = weight
    return G


@pytest.mark.parametrize(
    "G, match",
    [
        (nx.empty_graph(10), "no edges"),
        (nx.Graph(), "no edges"),
        (_weighted_path(-1.0), "negative"),
        (_weighted_path(float("inf")), "NaN or infinite"),
        (_weighted_path(float("nan")), "NaN or infinite"),
    ],
    ids=["edgeless", "empty", "negative", "inf", "nan"],
)
@pytest.mark.parametrize(
    "make",
    [
        lambda: ProNEEmbedder(n_components=2),
        lambda: FastRPEmbedder(n_components=4),
        lambda: SpectralPropagation(SVDEmbedder(n_components=2)),
    ],
    ids=["prone", "fastrp", "propagation"],
)
def test_bad_graphs_get_the_named_errors_of_every_embedder(make, G, match):
    from skgraphemb.exceptions import GraphFormatError

    with pytest.raises(GraphFormatError, match=match):
        make().fit(G)
    with pytest.raises(GraphFormatError, match=match):  # the same as the other embedders
        Node2VecEmbedder(n_components=2).fit(G)


@pytest.mark.parametrize("embedder", [ProNEEmbedder, FastRPEmbedder])
def test_an_overflowing_input_is_named_without_a_learning_rate(embedder):
    """Before: an edge weight of 1e308 made these float32 methods raise
    TrainingDivergedError with "Lower the learning rate", a parameter
    neither has.  The message now points at the input's scale."""
    from skgraphemb import TrainingDivergedError

    G = nx.path_graph(5)
    G[1][2]["weight"] = 1e308
    with pytest.raises(TrainingDivergedError, match="no learning rate.*Divide the weights by the largest") as info:
        embedder(n_components=2, random_state=0).fit(G)
    assert "Lower the learning rate" not in str(info.value)
