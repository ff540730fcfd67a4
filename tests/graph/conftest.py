"""Helpers shared by the graph-layer tests.

They are served as fixtures (not imported), so the test modules do not depend
on how pytest puts folders on ``sys.path``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest


def _check_csr(g) -> None:
    """The invariants every Graph promises (see the Graph docstring)."""
    n, nnz = g.n_nodes, g.nnz
    assert g.indptr.dtype == np.int64 and g.indptr.shape == (n + 1,)
    assert g.indices.dtype == np.int32 and g.indices.shape == (nnz,)
    assert g.indptr[0] == 0 and g.indptr[-1] == nnz
    assert np.all(np.diff(g.indptr) >= 0)
    assert nnz == 0 or (g.indices.min() >= 0 and g.indices.max() < n)
    # Sorted within each row and no duplicate (row, col): the flat keys
    # row * n + col are strictly increasing.
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
    keys = rows * n + g.indices
    assert np.all(np.diff(keys) > 0)
    if g.weights is not None:
        assert g.weights.dtype == np.float64 and g.weights.shape == (nnz,)
        assert np.all(np.isfinite(g.weights)) and np.all(g.weights > 0)
    for a in (g.indptr, g.indices, g.weights, g.nodes, g.features):
        assert a is None or not a.flags.writeable
    if not g.directed:
        A = g.to_scipy()
        assert (A != A.T).nnz == 0


def _assert_matches_networkx(g, G, *, weight: str | None = "weight") -> None:
    """``g`` has the adjacency of networkx graph ``G`` in ``g``'s node order.

    networkx's own ``to_scipy_sparse_array`` is the reference, so the CSR
    conversion is checked against an independent implementation.
    """
    _check_csr(g)
    assert g.directed == G.is_directed()
    assert set(g.nodes.tolist()) == set(G.nodes())
    ref = nx.to_scipy_sparse_array(G, nodelist=g.nodes.tolist(), weight=weight, format="csr")
    diff = abs(g.to_scipy() - ref)
    assert diff.nnz == 0 or diff.max() < 1e-12


@pytest.fixture
def check_csr():
    return _check_csr


@pytest.fixture
def assert_matches_networkx():
    return _assert_matches_networkx


@pytest.fixture(scope="module")
def weighted_edges():
    """(u, v, w) triples of a random simple graph with non-contiguous int ids."""
    rng = np.random.default_rng(0)
    n = 25
    pairs = {(int(u), int(v)) for u, v in rng.integers(0, n, size=(80, 2)) if u < v}
    pairs = sorted(pairs)
    ids = 3 * np.arange(n) + 7  # 7, 10, 13, ...: not 0..n-1
    weights = rng.uniform(0.5, 3.0, size=len(pairs)).round(3)
    return [(int(ids[u]), int(ids[v]), float(w)) for (u, v), w in zip(pairs, weights)]
