"""The numba walk kernels on raw CSR arrays.

Distribution tests compare the empirical next-step frequencies of each
sampler with node2vec probabilities computed from the definition (and, for
one case per graph, by hand), with a chi-square test.  Seeds are fixed, so
the tests are deterministic, and one test checks that the chi-square test
tells a first-order sampler from a second-order one.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from skgraphemb._kernels import _walks_numba as k
from skgraphemb._kernels._random import item_state

# A chi-square p-value below this fails a test; with fixed seeds a correct
# sampler passes every case, and a wrong distribution lands far below it.
ALPHA = 1e-4
N_DRAWS = 40_000

# Weighted undirected graph: a self-loop at 1; 0-3 and 2-4 are not edges.
UNDIRECTED_EDGES = [
    (0, 1, 1.0), (0, 2, 2.0), (1, 2, 0.5), (1, 3, 3.0), (2, 3, 1.0),
    (3, 4, 2.0), (1, 1, 0.7), (4, 5, 1.5), (3, 5, 0.25),
]  # fmt: skip
# Weighted directed graph: 3 -> 0 exists but 0 -> 3 does not (so 3 is *not*
# a neighbour of 0 for node2vec); 4 has no edge back to 2; 5 is a sink.
DIRECTED_EDGES = [
    (0, 1, 1.0), (1, 0, 2.0), (1, 2, 1.0), (1, 3, 1.5), (1, 4, 2.0),
    (0, 2, 1.0), (3, 0, 1.0), (2, 4, 1.0), (2, 5, 1.0), (4, 1, 1.0),
    (4, 5, 3.0), (3, 4, 0.5),
]  # fmt: skip

PQ = [
    (1.0, 1.0),
    (0.5, 2.0),
    (2.0, 0.5),
    (0.25, 1.0),  # 1/p dominates: the return-edge outlier region
    (0.1, 4.0),  # outlier region with 1/q < 1
    (4.0, 0.25),
]
# Acceptance so rare that node2vec_step falls back to the exact scan; pure
# rejection sampling would need about a thousand trials a draw here.
PQ_EXTREME = [(1e-3, 1e3), (1e3, 1e-3)]


def _readonly(a):
    # Read-only like the driver's arrays: one numba specialisation for all.
    a.flags.writeable = False
    return a


def _csr(edges, n_nodes, directed):
    """CSR arrays (read-only, like a Graph's) and the dense weight matrix."""
    e = np.asarray(edges, dtype=np.float64)
    rows, cols, w = e[:, 0].astype(int), e[:, 1].astype(int), e[:, 2]
    if not directed:
        off = rows != cols  # a self-loop is stored once
        rows, cols, w = (np.r_[rows, cols[off]], np.r_[cols, rows[off]], np.r_[w, w[off]])
    A = sp.csr_matrix((w, (rows, cols)), shape=(n_nodes, n_nodes))
    A.sort_indices()
    arrays = (A.indptr.astype(np.int64), A.indices.astype(np.int32), A.data.astype(np.float64))
    return (*map(_readonly, arrays), A.toarray())


@pytest.fixture(scope="module")
def undirected():
    return _csr(UNDIRECTED_EDGES, 6, directed=False)


@pytest.fixture(scope="module")
def directed():
    return _csr(DIRECTED_EDGES, 6, directed=True)


def _tables(indptr, indices, weights):
    """(weights, alias_prob, alias_node, strength); all empty if unweighted."""
    if weights is None:
        empty = _readonly(np.empty(0))
        return empty, empty, _readonly(np.empty(0, np.int32)), empty
    return (weights, *map(_readonly, k.alias_tables(indptr, indices, weights)))


def _node2vec_probs(dense, t, v, p, q):
    """P(x | t, v) from the definition, on a dense weight matrix."""
    xs = np.flatnonzero(dense[v])
    alpha = np.where(xs == t, 1 / p, np.where(dense[t, xs] != 0, 1.0, 1 / q))
    mass = dense[v, xs] * alpha
    return xs, mass / mass.sum()


# Sampler codes of the helper kernel below.
METHODS = {"step": 0, "rejection": 1, "exact": 2, "first_order": 3}


@numba.njit(cache=True)
def _sample_counts(
    indptr, indices, weights, alias_prob, alias_node, strength,
    directed, t, v, inv_p, inv_q, method, n, seed,
):  # fmt: skip
    """Histogram of ``n`` draws of one step from ``v`` (previous node ``t``)."""
    counts = np.zeros(indptr.shape[0] - 1, dtype=np.int64)
    for i in range(n):
        state = item_state(seed, i)
        if method == 0:
            x = k.node2vec_step(
                indptr, indices, weights, alias_prob, alias_node, strength,
                directed, t, v, inv_p, inv_q, state,
            )  # fmt: skip
        elif method == 1:
            # Unbounded trials: pure rejection sampling, no fallback.
            x = k.node2vec_rejection_step(
                indptr, indices, weights, alias_prob, alias_node, strength,
                directed, t, v, inv_p, inv_q, 1 << 40, state,
            )  # fmt: skip
        elif method == 2:
            x = k.node2vec_exact_step(indptr, indices, weights, directed, t, v, inv_p, inv_q, state)
        else:
            x = k.first_order_step(indptr, indices, alias_prob, alias_node, v, state)
        counts[x] += 1
    return counts


def _draw(csr, t, v, p, q, method, weighted=True, seed=0):
    indptr, indices, weights, dense = csr
    tables = _tables(indptr, indices, weights if weighted else None)
    directed = bool((dense != dense.T).any())
    return _sample_counts(
        indptr, indices, *tables, directed, t, v, 1 / p, 1 / q, METHODS[method], N_DRAWS, seed
    )


def _chi2_pvalue(counts, xs, probs, min_expected=5.0):
    """Chi-square p-value of ``counts[xs]`` against ``probs``.

    Cells expected fewer than ``min_expected`` times are pooled (with the
    next smallest cell if the pool is still too small): the chi-square
    approximation breaks down for tiny expected counts, where one draw of a
    1e-6 event would otherwise fail the test.
    """
    assert counts.sum() == counts[xs].sum(), "a draw left the row of v"
    observed = counts[xs].astype(np.float64)
    expected = counts.sum() * np.asarray(probs)
    order = np.argsort(expected)
    observed, expected = observed[order], expected[order]
    cut = np.searchsorted(np.cumsum(expected), min_expected, side="right") + 1
    cut = min(cut, len(expected))
    observed = np.r_[observed[:cut].sum(), observed[cut:]]
    expected = np.r_[expected[:cut].sum(), expected[cut:]]
    if len(expected) < 2:
        return 1.0  # one cell holds everything: nothing to test
    return stats.chisquare(observed, expected).pvalue


def test_reference_probabilities_by_hand(undirected, directed):
    # Undirected, t=0, v=1, p=0.5, q=2: N(1) = {0: 1.0, 1: 0.7 (self-loop),
    # 2: 0.5, 3: 3.0}; biases 1/p=2 (return), 1 (1 and 2 are neighbours of
    # 0), 1/q=0.5 (3 is not).
    xs, probs = _node2vec_probs(undirected[3], 0, 1, 0.5, 2.0)
    np.testing.assert_array_equal(xs, [0, 1, 2, 3])
    np.testing.assert_allclose(probs, np.array([2.0, 0.7, 0.5, 1.5]) / 4.7)
    # Directed, t=0, v=1, p=0.5, q=2: out-edges of 1 to 0 (2.0), 2 (1.0),
    # 3 (1.5), 4 (2.0); 0 -> 2 exists (bias 1), 0 -> 3 does not although
    # 3 -> 0 does (bias 1/q), nor 0 -> 4.
    xs, probs = _node2vec_probs(directed[3], 0, 1, 0.5, 2.0)
    np.testing.assert_array_equal(xs, [0, 2, 3, 4])
    np.testing.assert_allclose(probs, np.array([4.0, 1.0, 0.75, 1.0]) / 6.75)


@pytest.mark.parametrize("p, q", PQ + PQ_EXTREME)
@pytest.mark.parametrize(
    "graph, t, v",
    [
        ("undirected", 0, 1),
        ("undirected", 2, 3),
        ("undirected", 1, 1),  # arrived over the self-loop: t == v
        ("directed", 0, 1),  # return edge 1 -> 0 exists
        ("directed", 2, 4),  # no edge 4 -> 2: returning is impossible
    ],
)
def test_node2vec_step_distribution(request, graph, t, v, p, q):
    csr = request.getfixturevalue(graph)
    xs, probs = _node2vec_probs(csr[3], t, v, p, q)
    # Pure rejection is exact too, but needs ~1000 trials a draw for the
    # extreme p, q that node2vec_step hands over to the exact scan.
    methods = ["step", "exact"] if (p, q) in PQ_EXTREME else ["step", "rejection", "exact"]
    for seed, method in enumerate(methods):
        counts = _draw(csr, t, v, p, q, method, seed=seed)
        assert _chi2_pvalue(counts, xs, probs) > ALPHA, method


@pytest.mark.parametrize("method", ["step", "rejection", "exact"])
def test_node2vec_step_distribution_unweighted(undirected, method):
    # Unweighted rows take the uniform proposal and the w(v, t) = 1 shortcut.
    dense = (undirected[3] != 0).astype(float)
    for p, q in [(0.5, 2.0), (0.25, 1.0), (2.0, 0.5)]:
        xs, probs = _node2vec_probs(dense, 0, 1, p, q)
        counts = _draw(undirected, 0, 1, p, q, method, weighted=False)
        assert _chi2_pvalue(counts, xs, probs) > ALPHA


def test_chi_square_detects_a_first_order_sampler(undirected):
    # The test has power: first-order draws fail against node2vec
    # probabilities that differ from them.
    xs, probs = _node2vec_probs(undirected[3], 0, 1, 0.5, 2.0)
    counts = _draw(undirected, 0, 1, 1.0, 1.0, "first_order")
    assert _chi2_pvalue(counts, xs, probs) < 1e-12


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("graph", ["undirected", "directed"])
def test_first_order_step_distribution(request, graph, weighted):
    csr = request.getfixturevalue(graph)
    dense = csr[3] if weighted else (csr[3] != 0).astype(float)
    for v in range(5):  # node 5 of the directed graph is a sink
        xs = np.flatnonzero(dense[v])
        counts = _draw(csr, -1, v, 1.0, 1.0, "first_order", weighted=weighted, seed=v)
        assert _chi2_pvalue(counts, xs, dense[v, xs] / dense[v, xs].sum()) > ALPHA


def test_steps_from_a_sink_end_the_walk(directed):
    indptr, indices, weights, _ = directed
    weights, prob, alias, strength = _tables(indptr, indices, weights)
    state = item_state(0, 0)
    assert k.first_order_step(indptr, indices, prob, alias, 5, state) == -1
    x = k.node2vec_step(indptr, indices, weights, prob, alias, strength, True, 2, 5, 2.0, 0.5, state)
    assert x == -1


def test_rejection_step_reports_exhausted_trials(undirected):
    indptr, indices, weights, _ = undirected
    tables = _tables(indptr, indices, weights)
    x = k.node2vec_rejection_step(
        indptr, indices, *tables, False, 0, 1, 2.0, 0.5, 0, item_state(0, 0)
    )
    assert x == -1


def _alias_law(indptr, indices, prob, alias, v, n_nodes):
    """The exact law of one alias draw from row ``v``."""
    row = slice(indptr[v], indptr[v + 1])
    law = np.bincount(indices[row], weights=prob[row], minlength=n_nodes)
    law += np.bincount(alias[row], weights=1.0 - prob[row], minlength=n_nodes)
    return law / (indptr[v + 1] - indptr[v])


@pytest.mark.parametrize("weight_law", ["lognormal", "one heavy edge in seven", "equal"])
def test_alias_tables_encode_the_weights(weight_law):
    rng = np.random.default_rng(0)
    n = 60
    A = sp.random(n, n, density=0.3, random_state=1, format="lil")
    A[0, 0] = 1.0  # a self-loop
    A[1, 7] = 1.0  # a row with one edge
    A[2, :] = 0  # a row without edges
    A = A.tocsr()
    A.eliminate_zeros()
    A.sort_indices()
    if weight_law == "lognormal":
        A.data = rng.lognormal(0, 2, A.nnz)
    elif weight_law == "one heavy edge in seven":
        A.data = np.where(np.arange(A.nnz) % 7 == 0, 1e9, 1e-9)
    else:
        A.data[:] = 2.5
    indptr, indices = A.indptr.astype(np.int64), A.indices.astype(np.int32)
    prob, alias, strength = k.alias_tables(indptr, indices, A.data)
    assert prob.dtype == np.float64 and alias.dtype == np.int32
    # 0 happens where a slot's exact share is below rounding (1e-9 weights
    # next to 1e9 ones); (a + b) - 1 with a >= 1 never goes negative.
    assert ((prob >= 0) & (prob <= 1)).all()
    np.testing.assert_allclose(strength, np.asarray(A.sum(axis=1)).ravel())
    dense = A.toarray()
    for v in range(n):
        row = slice(indptr[v], indptr[v + 1])
        if indptr[v + 1] == indptr[v]:
            continue
        assert np.isin(alias[row], indices[row]).all()  # aliases stay in the row
        law = _alias_law(indptr, indices, prob, alias, v, n)
        np.testing.assert_allclose(law, dense[v] / dense[v].sum(), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("graph", ["undirected", "directed"])
def test_edge_position(request, graph):
    indptr, indices, _, dense = request.getfixturevalue(graph)
    n = len(indptr) - 1
    for u in range(n):
        for x in range(-1, n + 1):  # ids outside the graph are never found
            j = k.edge_position(indptr, indices, u, x)
            if 0 <= x < n and dense[u, x] != 0:
                assert indptr[u] <= j < indptr[u + 1] and indices[j] == x
            else:
                assert j == -1


def test_start_permutation():
    perm = k.start_permutation(1000, 7, 0)
    assert perm.dtype == np.int32
    np.testing.assert_array_equal(np.sort(perm), np.arange(1000))
    np.testing.assert_array_equal(perm, k.start_permutation(1000, 7, 0))
    assert not np.array_equal(perm, k.start_permutation(1000, 7, 1))
    assert not np.array_equal(perm, k.start_permutation(1000, 8, 0))
    assert k.start_permutation(0, 7, 0).shape == (0,)
    np.testing.assert_array_equal(k.start_permutation(1, 7, 3), [0])


@pytest.mark.parametrize("second_order", [False, True])
def test_walk_chunk_same_for_any_thread_count_and_split(undirected, second_order):
    indptr, indices, weights, _ = undirected
    args = (indptr, indices, *_tables(indptr, indices, weights), False, second_order, 2.0, 0.5)
    starts = np.tile(np.arange(6, dtype=np.int32), 50)
    serial = np.empty((starts.size, 12), dtype=np.int32)
    k.walk_chunk(*args, 11, 0, starts, serial)

    before = numba.get_num_threads()
    try:
        for n_threads in (1, 2):
            numba.set_num_threads(n_threads)
            parallel = np.empty_like(serial)
            k.walk_chunk_parallel(*args, 11, 0, starts, parallel)
            np.testing.assert_array_equal(parallel, serial)
    finally:
        numba.set_num_threads(before)

    # Walk i draws from stream (seed, first_walk + i): a chunk that starts
    # at walk 100 reproduces rows 100.. of the whole run.
    tail = np.empty((starts.size - 100, 12), dtype=np.int32)
    k.walk_chunk(*args, 11, 100, starts[100:], tail)
    np.testing.assert_array_equal(tail, serial[100:])

    other_seed = np.empty_like(serial)
    k.walk_chunk(*args, 12, 0, starts, other_seed)
    assert not np.array_equal(other_seed, serial)


def test_walk_chunk_rows_follow_edges_and_stop_at_sinks(directed):
    indptr, indices, weights, dense = directed
    tables = _tables(indptr, indices, weights)
    starts = np.repeat(np.arange(6, dtype=np.int32), 200)
    out = np.full((starts.size, 15), 99, dtype=np.int32)
    k.walk_chunk(indptr, indices, *tables, True, True, 2.0, 0.5, 3, 0, starts, out)
    np.testing.assert_array_equal(out[:, 0], starts)
    for row in out:
        valid = row[row >= 0]
        assert (row[len(valid) :] == -1).all()  # -1 only as a suffix
        assert all(dense[a, b] != 0 for a, b in zip(valid[:-1], valid[1:]))
        # Only the sink ends a walk early, and nothing follows it.
        assert 5 not in valid[:-1]
        if len(valid) < len(row):
            assert valid[-1] == 5
