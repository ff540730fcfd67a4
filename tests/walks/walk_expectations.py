"""What every walk engine must reproduce: small weighted graphs, the node2vec
transition probabilities computed from the definition, and the chi-square
test that compares a sampler's next-step counts with them.

Shared by the kernel tests of the numba engine (``test_walks_numba.py``) and
the torch engine (``test_walks_torch.py``), so both are held to the same
known answers.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

# A chi-square p-value below this fails a test; with fixed seeds a correct
# sampler passes every case, and a wrong distribution lands far below it.
ALPHA = 1e-4
N_DRAWS = 40_000

# Weighted undirected graph: a self-loop at 1; 0-3 and 2-4 are not edges.
UNDIRECTED_EDGES = [
    (0, 1, 1.0),
    (0, 2, 2.0),
    (1, 2, 0.5),
    (1, 3, 3.0),
    (2, 3, 1.0),
    (3, 4, 2.0),
    (1, 1, 0.7),
    (4, 5, 1.5),
    (3, 5, 0.25),
]
# Weighted directed graph: 3 -> 0 exists but 0 -> 3 does not (so 3 is *not*
# a neighbour of 0 for node2vec); 4 has no edge back to 2; 5 is a sink.
DIRECTED_EDGES = [
    (0, 1, 1.0),
    (1, 0, 2.0),
    (1, 2, 1.0),
    (1, 3, 1.5),
    (1, 4, 2.0),
    (0, 2, 1.0),
    (3, 0, 1.0),
    (2, 4, 1.0),
    (2, 5, 1.0),
    (4, 1, 1.0),
    (4, 5, 3.0),
    (3, 4, 0.5),
]

PQ = [
    (1.0, 1.0),
    (0.5, 2.0),
    (2.0, 0.5),
    (0.25, 1.0),  # 1/p dominates: the return-edge outlier region
    (0.1, 4.0),  # outlier region with 1/q < 1
    (4.0, 0.25),
]
# Acceptance so rare that the step falls back to the exact scan; pure
# rejection sampling would need about a thousand trials a draw here.
PQ_EXTREME = [(1e-3, 1e3), (1e3, 1e-3)]

# (graph fixture, previous node t, current node v) of the step tests.
STEP_CASES = [
    ("undirected", 0, 1),
    ("undirected", 2, 3),
    ("undirected", 1, 1),  # arrived over the self-loop: t == v
    ("directed", 0, 1),  # return edge 1 -> 0 exists
    ("directed", 2, 4),  # no edge 4 -> 2: returning is impossible
]


def readonly(a):
    # Read-only like the driver's arrays (numba: one specialisation for all).
    a.flags.writeable = False
    return a


def csr(edges, n_nodes, directed):
    """CSR arrays (read-only, like a Graph's) and the dense weight matrix."""
    e = np.asarray(edges, dtype=np.float64)
    rows, cols, w = e[:, 0].astype(int), e[:, 1].astype(int), e[:, 2]
    if not directed:
        off = rows != cols  # a self-loop is stored once
        rows, cols, w = (np.r_[rows, cols[off]], np.r_[cols, rows[off]], np.r_[w, w[off]])
    A = sp.csr_matrix((w, (rows, cols)), shape=(n_nodes, n_nodes))
    A.sort_indices()
    arrays = (A.indptr.astype(np.int64), A.indices.astype(np.int32), A.data.astype(np.float64))
    return (*map(readonly, arrays), A.toarray())


def node2vec_probs(dense, t, v, p, q):
    """P(x | t, v) from the definition, on a dense weight matrix."""
    xs = np.flatnonzero(dense[v])
    alpha = np.where(xs == t, 1 / p, np.where(dense[t, xs] != 0, 1.0, 1 / q))
    mass = dense[v, xs] * alpha
    return xs, mass / mass.sum()


def chi2_pvalue(counts, xs, probs, min_expected=5.0):
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


def step_methods(p, q):
    """Samplers to check at (p, q): pure rejection needs ~1000 trials a draw
    at the extreme settings, which the full step hands to the exact scan."""
    return ["step", "exact"] if (p, q) in PQ_EXTREME else ["step", "rejection", "exact"]


def tables(indptr, indices, weights):
    """(weights, alias_prob, alias_node, strength); all empty if unweighted.

    The alias tables are the numba engine's; the torch engine uses the same.
    """
    from skgraphemb.walks._plan import build_alias_tables

    if weights is None:
        empty = readonly(np.empty(0))
        return empty, empty, readonly(np.empty(0, np.int32)), empty
    return (weights, *map(readonly, build_alias_tables(indptr, indices, weights)))


class StepDistributionTests:
    """Known-answer tests every walk engine's step samplers must pass.

    A test module subclasses this as ``Test...`` and defines
    ``draw(csr, t, v, p, q, method, weighted=True, seed=0)``: the counts per
    node of ``N_DRAWS`` draws of one step from ``v`` having come from ``t``
    (``t = -1`` for a first step), with ``method`` one of ``"step"`` (the
    engine's full node2vec step), ``"rejection"`` (rejection sampling alone,
    no fallback), ``"exact"`` (the exact fallback alone) or
    ``"first_order"``.
    """

    @staticmethod
    def draw(csr, t, v, p, q, method, weighted=True, seed=0):  # pragma: no cover
        raise NotImplementedError

    @pytest.mark.parametrize("p, q", PQ + PQ_EXTREME)
    @pytest.mark.parametrize("graph, t, v", STEP_CASES)
    def test_node2vec_step_distribution(self, request, graph, t, v, p, q):
        csr = request.getfixturevalue(graph)
        xs, probs = node2vec_probs(csr[3], t, v, p, q)
        for seed, method in enumerate(step_methods(p, q)):
            counts = self.draw(csr, t, v, p, q, method, seed=seed)
            assert chi2_pvalue(counts, xs, probs) > ALPHA, method

    @pytest.mark.parametrize("method", ["step", "rejection", "exact"])
    def test_node2vec_step_distribution_unweighted(self, undirected, method):
        # Unweighted rows take the uniform proposal and the w(v, t) = 1 shortcut.
        dense = (undirected[3] != 0).astype(float)
        for p, q in [(0.5, 2.0), (0.25, 1.0), (2.0, 0.5)]:
            xs, probs = node2vec_probs(dense, 0, 1, p, q)
            counts = self.draw(undirected, 0, 1, p, q, method, weighted=False)
            assert chi2_pvalue(counts, xs, probs) > ALPHA

    def test_chi_square_detects_a_first_order_sampler(self, undirected):
        # The test has power: first-order draws fail against node2vec
        # probabilities that differ from them.
        xs, probs = node2vec_probs(undirected[3], 0, 1, 0.5, 2.0)
        counts = self.draw(undirected, 0, 1, 1.0, 1.0, "first_order")
        assert chi2_pvalue(counts, xs, probs) < 1e-12

    @pytest.mark.parametrize("weighted", [True, False])
    @pytest.mark.parametrize("graph", ["undirected", "directed"])
    def test_first_order_step_distribution(self, request, graph, weighted):
        csr = request.getfixturevalue(graph)
        dense = csr[3] if weighted else (csr[3] != 0).astype(float)
        for v in range(5):  # node 5 of the directed graph is a sink
            xs = np.flatnonzero(dense[v])
            counts = self.draw(csr, -1, v, 1.0, 1.0, "first_order", weighted=weighted, seed=v)
            assert chi2_pvalue(counts, xs, dense[v, xs] / dense[v, xs].sum()) > ALPHA
