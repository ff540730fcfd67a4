"""The neighbour sampler kernel (GraphSAGE mini-batches) on raw CSR arrays.

Distribution tests draw many independent samples (one stream per batch
index) and compare the frequencies of chosen neighbour *subsets* with the
uniform distribution by a chi-square test; fixed seeds keep them
deterministic.  Structural tests check fan-outs, relabelling and the
prefix layout against a breadth-first search by networkx.
"""

from __future__ import annotations

import itertools
from collections import Counter

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from skgraphemb import as_graph
from skgraphemb.graphsage._sampler_kernels import layer_sizes, sample_subgraph

ALPHA = 1e-4


def _star(n_leaves):
    return as_graph(nx.star_graph(n_leaves))  # hub 0, leaves 1..n_leaves


def _neighbour_sets(graph, node, fanout, n_draws, seed=3):
    ws = np.full(graph.n_nodes, -1, dtype=np.int64)
    out = []
    for b in range(n_draws):
        sub = sample_subgraph(graph.indptr, graph.indices, [node], [fanout], seed=seed, batch_index=b, workspace=ws)
        src = sub.edge_index[0]
        out.append(tuple(sorted(sub.n_id[src].tolist())))
    return out


@pytest.mark.parametrize(
    "deg, k",
    [
        (6, 2),  # k*k <= deg: Floyd's algorithm
        (5, 3),  # k*k > deg: selection sampling
        (7, 3),  # selection sampling, 35 subsets
        (9, 3),  # Floyd, 84 subsets
    ],
)
def test_every_subset_equally_likely(deg, k):
    graph = _star(deg)
    n_draws = 300 * int(np.prod(range(deg - k + 1, deg + 1)) // np.prod(range(1, k + 1)))
    counts = Counter(_neighbour_sets(graph, 0, k, n_draws))
    subsets = list(itertools.combinations(range(1, deg + 1), k))
    assert set(counts) == set(subsets)  # never a repeat, never a non-neighbour
    observed = np.array([counts[s] for s in subsets])
    assert stats.chisquare(observed).pvalue > ALPHA


@pytest.mark.parametrize("deg, k", [(40, 5), (20, 5), (1000, 25)])
def test_each_neighbour_has_probability_k_over_deg(deg, k):
    graph = _star(deg)
    draws = _neighbour_sets(graph, 0, k, 4000)
    counts = Counter(v for s in draws for v in s)
    observed = np.array([counts[v] for v in range(1, deg + 1)])
    assert observed.sum() == 4000 * k
    assert stats.chisquare(observed).pvalue > ALPHA


def test_chi_square_detects_a_sampler_that_reuses_its_stream():
    # The tests above must be able to fail on the real sampler's output: the
    # same draws with one random stream for every batch (a sampler that does
    # not key its stream by batch) give one subset, always, and are rejected.
    graph = _star(40)
    ws = np.full(graph.n_nodes, -1, dtype=np.int64)
    draws = []
    for _ in range(4000):
        sub = sample_subgraph(graph.indptr, graph.indices, [0], [5], seed=3, batch_index=0, workspace=ws)
        draws.append(tuple(sorted(sub.n_id[sub.edge_index[0]].tolist())))
    counts = Counter(v for s in draws for v in s)
    observed = np.array([counts[v] for v in range(1, 41)])
    assert observed.sum() == 4000 * 5
    assert stats.chisquare(observed).pvalue < ALPHA
    # while the same number of draws over distinct batch indices passes
    keyed = Counter(v for s in _neighbour_sets(graph, 0, 5, 4000) for v in s)
    assert stats.chisquare(np.array([keyed[v] for v in range(1, 41)])).pvalue > ALPHA


@pytest.fixture(scope="module")
def random_graph():
    G = nx.gnm_random_graph(300, 1500, seed=11)
    G.add_edges_from((0, v) for v in range(100, 160))  # a hub of degree > 60
    return as_graph(G)


def _adjacent(graph, a, b):
    row = graph.indices[graph.indptr[a] : graph.indptr[a + 1]]
    return b in row


@pytest.mark.parametrize("fanouts", [(5,), (10, 3), (4, 3, 2)])
def test_fanout_relabelling_and_prefix_layout(random_graph, fanouts):
    g = random_graph
    seeds = np.array([0, 7, 42, 250, 13])
    sub = sample_subgraph(g.indptr, g.indices, seeds, fanouts, seed=0)
    n_id, (src, dst) = sub.n_id, sub.edge_index
    np.testing.assert_array_equal(n_id[: len(seeds)], seeds)
    assert len(np.unique(n_id)) == len(n_id)
    assert sub.num_sampled_nodes.sum() == len(n_id)
    assert sub.num_sampled_edges.sum() == src.size
    # Every sampled edge is a graph edge target <- neighbour.
    assert all(_adjacent(g, n_id[t], n_id[s]) for s, t in zip(src.tolist(), dst.tolist()))
    # No neighbour twice for one target.
    assert len(set(zip(src.tolist(), dst.tolist()))) == src.size
    deg = np.diff(g.indptr)
    node_hi = np.cumsum(sub.num_sampled_nodes)
    edge_hi = np.cumsum(sub.num_sampled_edges)
    for hop, f in enumerate(fanouts):
        e0 = 0 if hop == 0 else edge_hi[hop - 1]
        t = dst[e0 : edge_hi[hop]]
        lo = 0 if hop == 0 else node_hi[hop - 1]
        # Hop k samples exactly the nodes first reached at hop k ...
        targets = np.arange(lo, node_hi[hop])
        per_target = np.bincount(t - lo, minlength=len(targets))
        # ... min(deg, fanout) neighbours each.
        np.testing.assert_array_equal(per_target, np.minimum(deg[n_id[targets]], f))
        # Its sources are nodes reached by hop k + 1, and it reaches every
        # node of hop k + 1.
        s = src[e0 : edge_hi[hop]]
        assert s.max() < node_hi[hop + 1]
        assert set(range(node_hi[hop], node_hi[hop + 1])) <= set(s.tolist())
    for layer in range(len(fanouts)):
        n_src, n_dst, n_e = layer_sizes(sub, layer)
        assert src[:n_e].max() < n_src and dst[:n_e].max() < n_dst
        assert n_dst == node_hi[len(fanouts) - 1 - layer]


def test_large_fanout_gives_the_bfs_neighbourhood(random_graph):
    # With every fan-out above the largest degree, sampling is deterministic:
    # the subgraph is the 2-hop ball of networkx's BFS, with every edge into
    # a node within 1 hop.
    g = random_graph
    G = g.to_networkx()
    seeds = [3, 100]
    sub = sample_subgraph(g.indptr, g.indices, seeds, (500, 500), seed=9)
    dist = nx.multi_source_dijkstra_path_length(G, seeds)
    assert set(sub.n_id.tolist()) == {v for v, d in dist.items() if d <= 2}
    hop = {
        v: h
        for h, block in enumerate(np.split(sub.n_id, np.cumsum(sub.num_sampled_nodes)[:-1]))
        for v in block.tolist()
    }
    assert hop == {v: d for v, d in dist.items() if d <= 2}
    edges = {(int(sub.n_id[t]), int(sub.n_id[s])) for s, t in sub.edge_index.T}
    expected = {(v, u) for v, d in dist.items() if d <= 1 for u in G.neighbors(v)}
    assert edges == expected


def test_reproducible_per_seed_and_batch(random_graph):
    g = random_graph
    seeds = np.arange(0, 300, 7)

    def draw(seed, batch):
        s = sample_subgraph(g.indptr, g.indices, seeds, (4, 4), seed=seed, batch_index=batch)
        return s.n_id, s.edge_index

    a, b = draw(5, 2), draw(5, 2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(draw(5, 3)[1], a[1])
    assert not np.array_equal(draw(6, 2)[1], a[1])


def test_workspace_is_reset(random_graph):
    g = random_graph
    ws = np.full(g.n_nodes, -1, dtype=np.int64)
    first = sample_subgraph(g.indptr, g.indices, [1, 2], (8, 8), seed=1, workspace=ws)
    assert (ws == -1).all()
    again = sample_subgraph(g.indptr, g.indices, [1, 2], (8, 8), seed=1, workspace=ws)
    np.testing.assert_array_equal(first.edge_index, again.edge_index)


def test_isolated_seed_and_directed_rows():
    # Directed: 2 has no out-edges, so it aggregates from nobody.
    g = as_graph([(0, 1), (1, 2), (0, 2)], directed=True)
    sub = sample_subgraph(g.indptr, g.indices, [2, 0], (5,), seed=0)
    assert sub.num_sampled_edges.tolist() == [2]
    assert set(sub.n_id[sub.edge_index[1]].tolist()) == {0}


@pytest.mark.parametrize(
    "seeds, fanouts, match",
    [([0, 0], (2,), "distinct"), ([0], (0,), "positive"), ([0], (), "non-empty"), ([99], (2,), "positions")],
)
def test_bad_arguments(seeds, fanouts, match):
    g = _star(4)
    with pytest.raises(ValueError, match=match):
        sample_subgraph(g.indptr, g.indices, seeds, fanouts, seed=0)
