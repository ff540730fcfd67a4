"""The compiled walk kernels (``_walk_kernels``) on raw CSR arrays.

Distribution tests compare the empirical next-step frequencies of each
sampler with node2vec probabilities computed from the definition (and, for
one case per graph, by hand), with a chi-square test.  Seeds are fixed, so
the tests are deterministic, and one test checks that the chi-square test
tells a first-order sampler from a second-order one.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from walk_expectations import (
    N_DRAWS,
    StepDistributionTests,
    node2vec_probs,
    tables,
)

from skgraphemb._kernels._pool import KernelThreads, row_ranges
from skgraphemb.walks import _walk_kernels as k
from skgraphemb.walks._plan import build_alias_tables


def _draw(csr, t, v, p, q, method, weighted=True, seed=0):
    indptr, indices, weights, dense = csr
    arrays = tables(indptr, indices, weights if weighted else None)
    directed = bool((dense != dense.T).any())
    counts = k.sample_steps(indptr, indices, *arrays, directed, t, v, 1 / p, 1 / q, k.SAMPLERS[method], N_DRAWS, seed)
    assert counts[-1] == 0  # no draw ended the walk or ran out of trials
    return counts[:-1]


def test_reference_probabilities_by_hand(undirected, directed):
    # Undirected, t=0, v=1, p=0.5, q=2: N(1) = {0: 1.0, 1: 0.7 (self-loop),
    # 2: 0.5, 3: 3.0}; biases 1/p=2 (return), 1 (1 and 2 are neighbours of
    # 0), 1/q=0.5 (3 is not).
    xs, probs = node2vec_probs(undirected[3], 0, 1, 0.5, 2.0)
    np.testing.assert_array_equal(xs, [0, 1, 2, 3])
    np.testing.assert_allclose(probs, np.array([2.0, 0.7, 0.5, 1.5]) / 4.7)
    # Directed, t=0, v=1, p=0.5, q=2: out-edges of 1 to 0 (2.0), 2 (1.0),
    # 3 (1.5), 4 (2.0); 0 -> 2 exists (bias 1), 0 -> 3 does not although
    # 3 -> 0 does (bias 1/q), nor 0 -> 4.
    xs, probs = node2vec_probs(directed[3], 0, 1, 0.5, 2.0)
    np.testing.assert_array_equal(xs, [0, 2, 3, 4])
    np.testing.assert_allclose(probs, np.array([4.0, 1.0, 0.75, 1.0]) / 6.75)


class TestNativeSteps(StepDistributionTests):
    """The shared known-answer step tests, on the native engine's samplers."""

    draw = staticmethod(_draw)


def test_steps_from_a_sink_end_the_walk(directed):
    indptr, indices, weights, _ = directed
    arrays = tables(indptr, indices, weights)
    for method in ("first_order", "step"):  # node 5 has no out-edge: every draw ends the walk (the last bin)
        counts = k.sample_steps(indptr, indices, *arrays, True, 2, 5, 2.0, 0.5, k.SAMPLERS[method], 50, 0)
        assert counts[-1] == 50


def test_rejection_step_reports_exhausted_trials(undirected):
    indptr, indices, weights, _ = undirected
    arrays = tables(indptr, indices, weights)
    counts = k.sample_steps(indptr, indices, *arrays, False, 0, 1, 2.0, 0.5, k.SAMPLERS["rejection"], 20, 0, 0)
    assert counts[-1] == 20  # zero trials: every draw gives up (the full step then scans the row)


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
    prob, alias, strength = build_alias_tables(indptr, indices, A.data)
    # Rows are independent: tables built over row ranges in threads are the same.
    for n_threads in (2, 3):
        for got, want in zip(build_alias_tables(indptr, indices, A.data, n_threads), (prob, alias, strength)):
            np.testing.assert_array_equal(got, want)
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
    args = (indptr, indices, *tables(indptr, indices, weights), False, second_order, 2.0, 0.5)
    starts = np.tile(np.arange(6, dtype=np.int32), 50)
    serial = np.empty((starts.size, 12), dtype=np.int32)
    k.walk_chunk(*args, 11, 0, starts, serial)

    # Threads each generating a contiguous share (the walk driver's split),
    # run at once, reproduce the single call.
    for n_threads in (2, 3):
        split = np.empty_like(serial)
        with KernelThreads(n_threads) as threads:
            threads.map(
                k.walk_chunk,
                [(*args, 11, lo, starts[lo:hi], split[lo:hi]) for lo, hi in row_ranges(starts.size, n_threads)],
            )
        np.testing.assert_array_equal(split, serial)

    # Walk i draws from stream (seed, first_walk + i): a chunk that starts
    # at walk 100 reproduces rows 100.. of the whole run.
    tail = np.empty((starts.size - 100, 12), dtype=np.int32)
    k.walk_chunk(*args, 11, 100, starts[100:], tail)
    np.testing.assert_array_equal(tail, serial[100:])

    other_seed = np.empty_like(serial)
    k.walk_chunk(*args, 12, 0, starts, other_seed)
    assert not np.array_equal(other_seed, serial)


def test_table_and_walk_kernels_release_the_gil(runs_without_the_gil):
    """The driver's threads walk at once only if a kernel call lets Python run meanwhile."""
    A = sp.random(3000, 3000, density=0.01, random_state=0, format="csr")
    A = (A + A.T).tocsr()
    A.sort_indices()
    indptr, indices, weights = A.indptr.astype(np.int64), A.indices.astype(np.int32), A.data
    arrays = tables(indptr, indices, weights)
    starts = np.tile(np.arange(3000, dtype=np.int32), 10)
    out = np.empty((starts.size, 80), dtype=np.int32)
    runs_without_the_gil(lambda: k.walk_chunk(indptr, indices, *arrays, False, True, 2.0, 0.5, 1, 0, starts, out))
    big = sp.random(400, 30000, density=0.5, random_state=1, format="csr")  # long rows: a slow table build
    big.sort_indices()
    ip, ix = big.indptr.astype(np.int64), big.indices.astype(np.int32)
    nnz = len(ix)
    out_tables = np.empty(nnz), np.empty(nnz, np.int32), np.empty(400), np.empty(nnz, np.int32)
    runs_without_the_gil(lambda: k.alias_tables(ip, ix, big.data, *out_tables, 0, 400))


def test_walk_chunk_rows_follow_edges_and_stop_at_sinks(directed, check_walks):
    indptr, indices, weights, dense = directed
    arrays = tables(indptr, indices, weights)
    starts = np.repeat(np.arange(6, dtype=np.int32), 200)
    out = np.full((starts.size, 15), 99, dtype=np.int32)
    k.walk_chunk(indptr, indices, *arrays, True, True, 2.0, 0.5, 3, 0, starts, out)
    np.testing.assert_array_equal(out[:, 0], starts)
    check_walks(out, dense)  # node 5, the only sink, is the only place a walk ends early
