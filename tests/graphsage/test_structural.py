"""Structural node features (the GraphSAGE fallback), checked against networkx and numpy."""

from __future__ import annotations

import networkx as nx
import numpy as np

from skgraphemb import as_graph
from skgraphemb.graphsage._structural_kernels import STRUCTURAL_FEATURES, anchor_proximity, structural_features


def test_structural_features_match_networkx():
    G = nx.karate_club_graph()
    G.add_edge(0, 0)  # a self-loop: counted in the degree, not in clustering
    G.add_node(99)  # isolated
    g = as_graph(G)
    F = structural_features(g.indptr, g.indices)
    assert F.shape == (35, len(STRUCTURAL_FEATURES))
    nodes = list(G)
    deg = {v: len(list(G.neighbors(v))) for v in nodes}  # CSR row lengths (self-loop once)
    clustering = nx.clustering(nx.Graph(G.edges()).subgraph(nodes))
    for i, v in enumerate(nodes):
        nbrs = [u for u in G.neighbors(v) if u != v]
        logs = np.log1p([deg[u] for u in nbrs]) if nbrs else np.zeros(1)
        expected = [
            np.log1p(deg[v]),
            np.log1p(deg[v]),
            logs.mean(),
            logs.std(),
            logs.min(),
            logs.max(),
            clustering.get(v, 0.0),
        ]
        np.testing.assert_allclose(F[i], expected, rtol=1e-5, atol=1e-6, err_msg=str(v))


def test_directed_degrees_and_clustering():
    # 0 -> 1, 0 -> 2, 1 -> 2, 2 -> 0: node 0 has out-neighbours {1, 2} and
    # the ordered pair (1, 2) is an arc, (2, 1) is not: clustering 1/2.
    g = as_graph([(0, 1), (0, 2), (1, 2), (2, 0)], directed=True)
    F = structural_features(g.indptr, g.indices)
    np.testing.assert_allclose(F[:, 0], np.log1p([2, 1, 1]))  # out-degree
    np.testing.assert_allclose(F[:, 1], np.log1p([1, 1, 2]))  # in-degree
    np.testing.assert_allclose(F[:, 6], [0.5, 0.0, 0.0])


def test_anchor_proximity_matches_dense_matrix_powers():
    G = nx.gnm_random_graph(30, 80, seed=2)
    G.add_node(30)  # isolated: reaches nothing
    for u, v in G.edges():
        G[u][v]["weight"] = 1.0 + (u * v) % 3
    g = as_graph(G)
    A = g.to_scipy().toarray()
    deg = A.sum(axis=1)
    P = A / np.where(deg > 0, deg, 1.0)[:, None]
    reach = sum(np.linalg.matrix_power(P, t) for t in (1, 2, 3))
    anchors = np.array([3, -1, 29, 30])  # -1: an anchor this graph lacks
    F = anchor_proximity(g.to_scipy(), anchors, steps=3, scale=31.0)
    assert F.shape == (31, 4) and F.dtype == np.float32
    for k, a in enumerate(anchors):
        expected = np.log1p(31.0 * reach[:, a]) if a >= 0 else np.zeros(31)
        np.testing.assert_allclose(F[:, k], expected, rtol=1e-5, atol=1e-7)
