"""The torch walk engine, held to the numba engine's known answers.

The step tests draw one node2vec step for 40,000 walkers that all stand at
the same (previous, current) pair, and compare the counts with the node2vec
probabilities of ``walk_expectations.py`` (the same hand-checked graphs,
the same eight (p, q) settings and the same chi-square test as
``test_walks_numba.py``).  A two-sample test then checks that whole walks of
the two engines agree in distribution.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from walk_expectations import (
    ALPHA,
    DIRECTED_EDGES,
    N_DRAWS,
    UNDIRECTED_EDGES,
    StepDistributionTests,
    chi2_pvalue,
    node2vec_probs,
    tables,
)

torch = pytest.importorskip("torch")

from skgraphemb import as_graph  # noqa: E402
from skgraphemb.walks import _torch_kernels as kt  # noqa: E402
from skgraphemb.walks import random_walks  # noqa: E402

# Kernels are called directly here, outside the drivers that set torch's
# threads from n_jobs.
pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]


def _walker(csr, p, q, weighted=True, seed=0):
    indptr, indices, weights, dense = csr
    directed = bool((dense != dense.T).any())
    arrays = tables(indptr, indices, weights if weighted else None)
    return kt.TorchWalker(indptr, indices, *arrays, directed, p, q, torch.device("cpu"), seed)


def _draw(csr, t, v, p, q, method, weighted=True, seed=0):
    """Counts of N_DRAWS draws of one step from ``v`` (previous node ``t``)."""
    walker = _walker(csr, p, q, weighted, seed)
    tt = torch.full((N_DRAWS,), t, dtype=torch.int64)
    vv = torch.full((N_DRAWS,), v, dtype=torch.int64)
    if method == "step":
        x = walker.node2vec_step(tt, vv)
    elif method == "rejection":
        x = walker.node2vec_step(tt, vv, max_rounds=None)  # no exact fallback
    elif method == "exact":
        x = walker.node2vec_exact_step(tt, vv)
    else:
        x = walker.first_order_step(vv)
    return np.bincount(x.numpy(), minlength=len(csr[0]) - 1)


class TestTorchSteps(StepDistributionTests):
    """The shared known-answer step tests, on the torch engine's samplers."""

    draw = staticmethod(_draw)


def test_exact_step_in_small_batches_is_exact(undirected, monkeypatch):
    """Walkers split into groups of at most 4,000 row entries (40 groups
    here) draw from the same law as in one group."""
    monkeypatch.setattr(kt, "_EXACT_BATCH_ENTRIES", 4000)
    walker = _walker(undirected, 0.5, 2.0)
    # Mixed pairs in one call: (0 -> 1) and (2 -> 3), alternating.
    t = torch.tensor([0, 2] * (N_DRAWS // 2))
    v = torch.tensor([1, 3] * (N_DRAWS // 2))
    x = walker.node2vec_exact_step(t, v).numpy()
    for k, (tk, vk) in enumerate([(0, 1), (2, 3)]):
        xs, probs = node2vec_probs(undirected[3], tk, vk, 0.5, 2.0)
        counts = np.bincount(x[k::2], minlength=6)
        assert chi2_pvalue(counts, xs, probs) > ALPHA


def test_edge_position(directed):
    indptr, indices, _, dense = directed
    walker = _walker(directed, 1.0, 1.0)
    u, x = np.meshgrid(np.arange(6), np.arange(6), indexing="ij")
    pos = walker.edge_position(torch.from_numpy(u.ravel()), torch.from_numpy(x.ravel())).numpy()
    for (a, b), j in zip(zip(u.ravel(), x.ravel()), pos):
        if dense[a, b] != 0:
            assert indptr[a] <= j < indptr[a + 1] and indices[j] == b
        else:
            assert j == -1


def test_walks_follow_edges_and_stop_at_sinks(directed, check_walks):
    indptr, _, _, dense = directed
    walker = _walker(directed, 2.0, 0.5, seed=3)
    starts = np.repeat(np.arange(6, dtype=np.int32), 200)
    out = walker.walk(starts, 15)
    assert out.dtype == np.int32 and out.shape == (1200, 15)
    np.testing.assert_array_equal(out[:, 0], starts)
    check_walks(out, dense)  # node 5, the only sink, is the only place a walk ends early


def test_same_seed_same_walks():
    graph = as_graph([(a, b, w) for a, b, w in UNDIRECTED_EDGES])
    kwargs = dict(walk_length=12, num_walks=50, p=0.5, q=2.0, backend="torch")
    a = random_walks(graph, random_state=7, **kwargs)
    np.testing.assert_array_equal(a, random_walks(graph, random_state=7, **kwargs))
    assert not np.array_equal(a, random_walks(graph, random_state=8, **kwargs))


def _trigram_table(walks_a, walks_b, n):
    """2 x K contingency table of (t, v, x) step counts of two walk sets,
    cells expected under 5 times pooled into one."""

    def codes(walks):
        t, v, x = walks[:, :-2].ravel(), walks[:, 1:-1].ravel(), walks[:, 2:].ravel()
        ok = x >= 0
        return (t[ok].astype(np.int64) * n + v[ok]) * n + x[ok]

    ca, cb = codes(walks_a), codes(walks_b)
    cells, inverse = np.unique(np.r_[ca, cb], return_inverse=True)
    table = np.stack(
        [
            np.bincount(inverse[: len(ca)], minlength=len(cells)),
            np.bincount(inverse[len(ca) :], minlength=len(cells)),
        ]
    )
    expected = table.sum(axis=0) * table.sum(axis=1, keepdims=True) / table.sum()
    rare = expected.min(axis=0) < 5
    if not rare.any():
        return table
    return np.c_[table[:, ~rare], table[:, rare].sum(axis=1)]


@pytest.mark.parametrize(
    "edges, directed, p, q",
    [(UNDIRECTED_EDGES, False, 0.5, 2.0), (UNDIRECTED_EDGES, False, 0.25, 4.0), (DIRECTED_EDGES, True, 2.0, 0.5)],
)
def test_native_and_torch_walks_agree_in_distribution(edges, directed, p, q):
    """Chi-square test of homogeneity on the (previous, current, next) steps
    of whole walks: the engines sample the same process."""
    graph = as_graph(edges, directed=directed)
    kwargs = dict(walk_length=8, num_walks=1500, p=p, q=q)
    native_walks = random_walks(graph, random_state=0, backend="native", **kwargs)
    torch_walks = random_walks(graph, random_state=1, backend="torch", **kwargs)
    table = _trigram_table(native_walks, torch_walks, graph.n_nodes)
    assert table.shape[1] > 20  # many distinct steps are compared
    assert stats.chi2_contingency(table).pvalue > ALPHA
    # The test has power: walks with other p, q are told apart.
    other = random_walks(graph, random_state=2, backend="torch", **{**kwargs, "p": 1.0, "q": 1.0})
    assert stats.chi2_contingency(_trigram_table(native_walks, other, graph.n_nodes)).pvalue < 1e-9
