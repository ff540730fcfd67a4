"""Kernels of the float32 randomized SVD against scipy / numpy float64 references."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.extmath import svd_flip

from skgraphemb._kernels import _linalg as _svd
from skgraphemb._kernels._linalg import (
    PANEL_WIDTH,
    PowerSumOperator,
    orthonormalize,
    randomized_svd_blocks,
    spmm,
    svd_memory_bytes,
    transpose_csr,
)

# float32 blocks: products and factorisations are checked to float32 precision
RTOL32 = 2e-5


def _random_csr(n, density, seed, weighted=True, empty_rows=(0, 5)):
    rng = np.random.default_rng(seed)
    A = sp.random_array((n, n), density=density, rng=rng, format="csr")
    A.data = rng.uniform(0.5, 2.0, size=A.nnz)
    A = A.tolil()
    for i in empty_rows:
        A[i, :] = 0
    A = sp.csr_array(A)
    A.sort_indices()
    indptr, indices = A.indptr.astype(np.int64), A.indices.astype(np.int32)
    data = A.data.astype(np.float64) if weighted else None
    dense = A.toarray() if weighted else (A.toarray() != 0).astype(float)
    return indptr, indices, data, dense


def _scales(dense, normalization):
    deg = dense.sum(axis=1)
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    if normalization == "transition":
        return inv, None
    if normalization == "symmetric":
        return np.sqrt(inv), np.sqrt(inv)
    return None, None


def _dense_power_sum(dense, order, normalization):
    left, right = _scales(dense, normalization)
    A = dense * (1.0 if left is None else left[:, None]) * (1.0 if right is None else right[None, :])
    M, P = np.zeros_like(A), np.eye(len(A))
    for _ in range(order):
        P = P @ A
        M += P
    return M


@pytest.mark.parametrize("data_dtype", [None, np.float32, np.float64])
@pytest.mark.parametrize("normalization", [None, "transition", "symmetric"])
@pytest.mark.parametrize("with_add", [False, True])
def test_spmm_matches_scipy(data_dtype, normalization, with_add):
    indptr, indices, data, dense = _random_csr(60, 0.1, 0, weighted=data_dtype is not None)
    data = None if data is None else data.astype(data_dtype)
    left, right = _scales(dense, normalization)
    rng = np.random.default_rng(1)
    src = rng.standard_normal((60, 7)).astype(np.float32)
    out = np.full((60, 9), np.nan, dtype=np.float32)
    add = rng.standard_normal((60, 11)).astype(np.float32) if with_add else None
    bounds = _svd._task_bounds(indptr, 4)
    # a window: 4 columns of src from column 2, into out from column 5, plus add from column 6
    spmm(bounds, indptr, indices, data, left, right, src, 2, add, 6, out, 5, 4)
    A = dense * (1.0 if left is None else left[:, None]) * (1.0 if right is None else right[None, :])
    want = A @ src[:, 2:6].astype(np.float64) + (add[:, 6:10] if with_add else 0.0)
    np.testing.assert_allclose(out[:, 5:9], want, rtol=RTOL32, atol=RTOL32 * np.abs(want).max())
    assert np.isnan(out[:, :5]).all()  # nothing outside the window is written


def test_spmm_add_may_be_out_and_hubs_sum_in_float64():
    # one hub row of 10,000 neighbours: float32 partial sums of 32 neighbours
    # flushed into float64 bound its error by the partial sums' (32 u32),
    # where one float32 running sum drifts by orders of magnitude more
    n = 10_001
    indptr = np.full(n + 1, n - 1, dtype=np.int64)
    indptr[0] = 0
    indices = np.arange(1, n, dtype=np.int32)
    src = np.full((n, 3), 0.1, dtype=np.float32)
    out = np.ones((n, 3), dtype=np.float32)  # add is out itself: read row by row
    spmm(_svd._task_bounds(indptr, 8), indptr, indices, None, None, None, src, 0, out, 0, out, 0, 3)
    exact = 10_000 * np.float64(np.float32(0.1)) + 1.0
    running = np.cumsum(np.full(10_000, np.float32(0.1)), dtype=np.float32)[-1] + np.float32(1)
    assert abs(out[0, 0] - exact) < abs(running - exact) / 10
    np.testing.assert_allclose(out[0], exact, rtol=32 * 2.0**-24)
    np.testing.assert_array_equal(out[1:], 1.0)  # rows without neighbours: 0 + add


@pytest.mark.parametrize("weighted", [False, True])
def test_transpose_csr_matches_scipy(weighted):
    indptr, indices, data, dense = _random_csr(50, 0.08, 2, weighted=weighted)
    t_indptr, t_indices, t_data = transpose_csr(indptr, indices, data)
    assert t_indptr.dtype == np.int64 and t_indices.dtype == np.int32
    assert (t_data is None) == (not weighted)
    if weighted:
        assert t_data.dtype == np.float32
    ones = np.ones(len(t_indices)) if t_data is None else t_data
    got = sp.csr_array((ones, t_indices, t_indptr), shape=(50, 50)).toarray()
    np.testing.assert_allclose(got, dense.T, rtol=1e-7)
    for i in range(50):  # rows come out sorted
        row = t_indices[t_indptr[i] : t_indptr[i + 1]]
        assert np.all(np.diff(row) > 0)


@pytest.mark.parametrize("n_tasks", [1, 3, 64, 500])
def test_task_bounds_cover_every_row_once(n_tasks):
    indptr, *_ = _random_csr(100, 0.05, 3)
    b = _svd._task_bounds(indptr, n_tasks)
    assert b[0] == 0 and b[-1] == 100 and len(b) == n_tasks + 1
    assert np.all(np.diff(b) >= 0)
    if n_tasks <= 64:  # balanced: no range costs much more than its share
        cost = indptr[b[1:]] + b[1:] - indptr[b[:-1]] - b[:-1]
        assert cost.max() <= (indptr[-1] + 100) / n_tasks + np.diff(indptr).max() + 1


@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("normalization", [None, "transition", "symmetric"])
@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("keep_input", [False, True])
def test_power_sum_operator_matches_dense(order, normalization, directed, keep_input):
    indptr, indices, data, dense = _random_csr(80, 0.06, 4)
    if not directed:
        A = sp.csr_array(dense + dense.T)
        A.sort_indices()
        indptr, indices = A.indptr.astype(np.int64), A.indices.astype(np.int32)
        data, dense = A.data, A.toarray()
    op = PowerSumOperator(indptr, indices, data, order=order, normalization=normalization, symmetric=not directed)
    M = _dense_power_sum(dense, order, normalization)
    p = PANEL_WIDTH * 2 + 5  # two full panels and a ragged one
    X0 = np.random.default_rng(5).standard_normal((80, p)).astype(np.float32)
    for transpose, want in [(False, M @ X0), (True, M.T @ X0)]:
        X, T = X0.copy(), np.empty_like(X0)
        out = op.apply(X, T, transpose=transpose, keep_input=keep_input)
        assert out is X or out is T
        np.testing.assert_allclose(out, want, rtol=RTOL32, atol=RTOL32 * np.abs(want).max())
        if keep_input or order == 1 or order > 3:
            assert out is T
            np.testing.assert_array_equal(X, X0)


def test_power_sum_operator_shares_a_for_undirected_graphs():
    indptr, indices, data, dense = _random_csr(30, 0.1, 6)
    A = sp.csr_array(dense + dense.T)
    sym = PowerSumOperator(A.indptr.astype(np.int64), A.indices.astype(np.int32), A.data, order=2, symmetric=True)
    assert sym._at.indices is sym._a.indices  # A^T is A: not stored twice
    directed = PowerSumOperator(indptr, indices, data, order=2, symmetric=False)
    assert directed._at.indices is not directed._a.indices
    assert directed._at.data.dtype == np.float32


def test_zero_degree_rows_and_columns_stay_zero():
    A = np.array([[0, 1, 0], [0, 0, 0], [1, 1, 0]], dtype=float)
    csr = sp.csr_array(A)
    for normalization, want in [
        ("transition", [[0, 1, 0], [0, 0, 0], [0.5, 0.5, 0]]),
        ("symmetric", [[0, 0, 0], [0, 0, 0], [np.sqrt(0.5), 0, 0]]),
    ]:
        op = PowerSumOperator(
            csr.indptr.astype(np.int64),
            csr.indices.astype(np.int32),
            None,
            order=1,
            normalization=normalization,
            symmetric=False,
        )
        got = op.apply(np.eye(3, dtype=np.float32), np.empty((3, 3), dtype=np.float32))
        np.testing.assert_allclose(got, want, rtol=1e-6)


def _well_conditioned(rng):
    return rng.standard_normal((300, 12))


def _ill_conditioned(rng, kappa):
    U, _ = np.linalg.qr(rng.standard_normal((300, 12)))
    V, _ = np.linalg.qr(rng.standard_normal((12, 12)))
    return (U * np.logspace(0, -np.log10(kappa), 12)) @ V


BLOCKS = {
    "gaussian": (_well_conditioned, False),
    "kappa 1e5": (lambda rng: _ill_conditioned(rng, 1e5), False),
    "kappa 1e9": (lambda rng: _ill_conditioned(rng, 1e9), True),
    "rank 3": (lambda rng: rng.standard_normal((300, 3)) @ rng.standard_normal((3, 12)), True),
    "repeated column": (lambda rng: np.repeat(rng.standard_normal((300, 6)), 2, axis=1), True),
    "zero column": (lambda rng: np.where(np.arange(12) == 4, 0.0, _well_conditioned(rng)), True),
    "all zero": (lambda rng: np.zeros((300, 12)), True),
    "columns 1e-15..1e15": (lambda rng: _well_conditioned(rng) * np.logspace(-15, 15, 12), False),
    "square": (lambda rng: rng.standard_normal((12, 12)), False),
    "square, rank 5": (lambda rng: rng.standard_normal((12, 5)) @ rng.standard_normal((5, 12)), True),
}


@pytest.mark.parametrize("name", list(BLOCKS))
def test_orthonormalize(name, monkeypatch):
    make, deficient = BLOCKS[name]
    deflations = []
    real = _svd._deflate
    monkeypatch.setattr(_svd, "_deflate", lambda *a: deflations.append(1) or real(*a))
    Y0 = make(np.random.default_rng(0)).astype(np.float32)
    Y = Y0.copy()
    C = orthonormalize(Y, np.random.default_rng(1))
    Q = Y.astype(np.float64)
    np.testing.assert_allclose(Q.T @ Q, np.eye(12), atol=1e-6)
    scale = max(np.abs(Y0).max(), 1e-300)
    # deflation drops directions below 1e-6 of the largest singular value
    np.testing.assert_allclose(Q @ C, Y0, atol=(3e-6 if deficient else 1e-6) * scale)
    assert bool(deflations) == deficient  # CholeskyQR2 alone where it is enough
    if not deficient:
        np.testing.assert_allclose(np.tril(C, -1), 0.0, atol=1e-12)


def test_orthonormalize_rejects_non_finite():
    Y = np.ones((10, 2), dtype=np.float32)
    Y[3, 1] = np.inf
    with pytest.raises(FloatingPointError, match="arpack"):
        orthonormalize(Y)


@pytest.mark.parametrize("order", [1, 2, 4])
@pytest.mark.parametrize("symmetric", [False, True])
def test_randomized_svd_blocks_matches_numpy(order, symmetric):
    # A dense symmetric A = Q diag(lam) Q^T stored as CSR: M = A + ... + A^order
    # has the well separated singular values f(lam_i), so the randomized SVD
    # converges and the vectors are unique up to sign.  symmetric=False
    # builds and uses the transposed CSR.
    n, k = 120, 5
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    dense = (Q * (1.5 * 0.85 ** np.arange(n))) @ Q.T
    A = sp.csr_array(dense)
    op = PowerSumOperator(
        A.indptr.astype(np.int64), A.indices.astype(np.int32), A.data, order=order, symmetric=symmetric
    )
    U_ref, S_ref, Vt_ref = np.linalg.svd(_dense_power_sum(dense, order, None))
    U, S, V = randomized_svd_blocks(op, k, n_oversamples=10, n_iter=5, seed=0)
    for arr in (U, V):
        assert arr.dtype == np.float32 and arr.shape == (n, k)
        assert arr.flags.c_contiguous and arr.flags.owndata  # the shrunk block itself
        assert np.ascontiguousarray(arr, dtype=np.float32) is arr
        np.testing.assert_allclose(arr.T.astype(float) @ arr, np.eye(k), atol=1e-5)
    np.testing.assert_allclose(S, S_ref[:k], rtol=1e-5)
    U_flip, Vt_flip = svd_flip(U_ref[:, :k].copy(), Vt_ref[:k].copy(), u_based_decision=True)
    np.testing.assert_allclose(U, U_flip, atol=1e-5)  # signs as svd_flip's
    np.testing.assert_allclose(V, Vt_flip.T, atol=1e-5)


@pytest.mark.parametrize("order, directed, weighted", [(1, False, False), (2, False, True), (4, True, True)])
def test_memory_estimate_matches_traced_peak(order, directed, weighted):
    # numpy reports its allocations to tracemalloc: the traced peak of the
    # operator and the SVD is what svd_memory_bytes must predict
    def graph(n, deg=4):
        rng = np.random.default_rng(8)
        A = sp.csr_array((np.ones(n * deg), (np.repeat(np.arange(n), deg), rng.integers(0, n, n * deg))), shape=(n, n))
        if not directed:
            A = A + A.T
        A.sort_indices()
        data = A.data.astype(np.float64) if weighted else None
        return A.indptr.astype(np.int64), A.indices.astype(np.int32), data

    def fit(indptr, indices, data):
        op = PowerSumOperator(indptr, indices, data, order=order, normalization="transition", symmetric=not directed)
        return randomized_svd_blocks(op, k, n_oversamples=10, n_iter=1, seed=0)

    n, k = 300_000, 24
    fit(*graph(100))  # compiles the kernels first: compiling allocates Python objects too
    indptr, indices, data = graph(n)
    tracemalloc.start()
    try:
        fit(indptr, indices, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    est = svd_memory_bytes(
        n, len(indices), k, 10, order, directed=directed, weighted=weighted, normalization="transition"
    )
    assert 0.8 * peak <= est <= 1.2 * peak, (est, peak)


def test_small_factorisations_run_on_one_blas_thread(monkeypatch):
    """The p x p LAPACK steps between the big products run with one BLAS thread, whatever the pool.

    With two threads on a busy two-core machine a 138 x 138 Cholesky took 150 ms instead of 0.1 ms.
    """
    import scipy.linalg
    from threadpoolctl import threadpool_info, threadpool_limits

    from skgraphemb._kernels import _linalg

    seen = {}

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            seen.setdefault(name, set()).update(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
            return fn(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(scipy.linalg, "cholesky", spy("cholesky", scipy.linalg.cholesky))
    monkeypatch.setattr(scipy.linalg, "svd", spy("svd", scipy.linalg.svd))
    monkeypatch.setattr(scipy.linalg, "eigh", spy("eigh", scipy.linalg.eigh))
    Y = np.random.default_rng(0).standard_normal((500, 12)).astype(np.float32)
    with threadpool_limits(limits=2, user_api="blas"):
        if not any(i["num_threads"] == 2 for i in threadpool_info() if i["user_api"] == "blas"):
            pytest.skip("no multi-threaded BLAS to limit")
        _linalg.orthonormalize(Y.copy())
        _linalg._small_svd(Y[:12].astype(np.float64))
        _linalg._deflate(Y.copy(), _linalg.gram(Y), np.random.default_rng(1))
        from skgraphemb.spectral._operators import svd_embedding

        svd_embedding(Y.copy())
        after = {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    assert set(seen) == {"cholesky", "svd", "eigh"}
    assert all(threads == {1} for threads in seen.values()), seen
    assert 2 in after  # the pool's own limit is restored afterwards
