"""``Graph`` and ``NodeIndex``: immutability, identity, lookups, conversions."""

from __future__ import annotations

import copy
import pickle

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skgraphemb import Graph, GraphFormatError, Node2VecEmbedder, UnknownNodeError, as_graph
from skgraphemb.graph import NodeIndex


@pytest.fixture(scope="module")
def weighted_graph(weighted_edges):
    return as_graph(weighted_edges)


@pytest.fixture(scope="module")
def digraph():
    G = nx.gnp_random_graph(15, 0.25, seed=3, directed=True)
    G.add_edge(4, 4)
    return G


# -- immutability and copying -------------------------------------------------
def test_arrays_are_read_only(weighted_graph):
    g = as_graph(weighted_graph, features=np.ones((weighted_graph.n_nodes, 2)))
    for name in ("indptr", "indices", "weights", "nodes", "features"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(g, name)[0] = 0


def test_setattr_raises(weighted_graph):
    for name in ("directed", "weights", "new_attribute"):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(weighted_graph, name, None)


def test_input_arrays_are_not_frozen_or_shared():
    # Building a Graph must not make the caller's arrays read-only.
    indptr, indices = np.array([0, 1, 2]), np.array([1, 0])
    g = Graph(indptr, indices, None, nodes=np.array([0, 1]), directed=False)
    indptr[0] = 0  # still writeable
    assert g.indices.tolist() == [1, 0]


def test_copy_and_deepcopy_return_self(weighted_graph):
    assert copy.copy(weighted_graph) is weighted_graph
    assert copy.deepcopy(weighted_graph) is weighted_graph
    assert copy.deepcopy({"g": weighted_graph})["g"] is weighted_graph


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickle_round_trip(weighted_graph, protocol, check_csr):
    g = as_graph(weighted_graph, features=np.arange(weighted_graph.n_nodes)[:, None])
    h = pickle.loads(pickle.dumps(g, protocol=protocol))
    assert h is not g and h == g and h.fingerprint() == g.fingerprint()
    check_csr(h)  # read-only again after unpickling
    with pytest.raises(AttributeError):
        h.directed = True
    s = as_graph(nx.path_graph(["a", "b", "c"]))
    assert pickle.loads(pickle.dumps(s)).neighbors("b") == ["a", "c"]


def test_inconsistent_csr_arrays_are_rejected():
    nodes = np.array([0, 1])
    with pytest.raises(ValueError, match="inconsistent CSR"):
        Graph(np.array([0, 1]), np.array([1]), None, nodes=nodes, directed=True)
    with pytest.raises(ValueError, match="one entry per stored edge"):
        Graph(np.array([0, 1, 1]), np.array([1]), np.ones(2), nodes=nodes, directed=True)
    with pytest.raises(ValueError, match="features must have shape"):
        Graph(np.array([0, 1, 1]), np.array([1]), None, nodes=nodes, directed=True, features=np.ones((3, 2)))


# -- fingerprints -------------------------------------------------------------
def test_fingerprint_equal_for_equal_graphs_from_different_inputs():
    G = nx.Graph()
    G.add_weighted_edges_from([("a", "b", 1.5), ("b", "c", 2.0), ("a", "c", 0.5)])
    frame = pd.DataFrame({"source": ["c", "b", "a"], "target": ["a", "a", "b"], "weight": [0.5, 1.5, 0.0]}).iloc[:2]
    frame = pd.concat([frame, pd.DataFrame({"source": ["c"], "target": ["b"], "weight": [2.0]})])
    g1 = as_graph(G)
    g2 = as_graph(frame)  # reversed edges, another row order, sorted ids a, b, c
    assert g1.nodes.tolist() == g2.nodes.tolist()
    assert g1.fingerprint() == g2.fingerprint() and g1 == g2 and hash(g1) == hash(g2)


def test_fingerprint_changes_with_any_content(weighted_edges):
    base = as_graph(weighted_edges)
    u, v, w = weighted_edges[0]
    heavier = as_graph([(u, v, w + 1e-9)] + weighted_edges[1:])
    renamed = as_graph([(str(a), str(b), c) for a, b, c in weighted_edges])
    variants = [
        heavier,
        renamed,
        as_graph(weighted_edges, directed=True),
        as_graph([(a, b) for a, b, _ in weighted_edges]),
        base.with_features(np.zeros((base.n_nodes, 1))),
    ]
    for other in variants:
        assert other.fingerprint() != base.fingerprint()
        assert other != base
    assert base != "not a graph"


# -- cloning estimators that hold a graph -------------------------------------
class _NoDeepcopyGraph(nx.Graph):
    """A networkx graph that fails loudly if anything deep-copies it."""

    def __deepcopy__(self, memo):
        raise AssertionError("the graph was deep-copied")


def test_clone_shares_graph_object(weighted_graph):
    for graph in (weighted_graph, nx.karate_club_graph()):
        est = Node2VecEmbedder(graph=graph, p=0.5)
        new = clone(est)
        assert new.graph is graph
        assert new is not est and new.get_params()["p"] == 0.5


def test_clone_never_deepcopies_a_networkx_graph():
    G = _NoDeepcopyGraph([(0, 1), (1, 2)])
    assert clone(Node2VecEmbedder(graph=G)).graph is G
    # The same inside a pipeline, the way GridSearchCV clones it.
    from sklearn.pipeline import Pipeline

    pipe = Pipeline([("n2v", Node2VecEmbedder(graph=G))])
    assert clone(pipe).named_steps["n2v"].graph is G


def test_clone_of_500k_edge_networkx_graph_is_by_reference():
    # The point is that clone does not copy (a deepcopy of this graph takes
    # seconds): identity is the check, not a timing.
    rng = np.random.default_rng(0)
    G = nx.Graph()
    G.add_edges_from(rng.integers(0, 100_000, size=(500_000, 2)).tolist())
    assert G.number_of_edges() > 499_000
    cloned = clone(Node2VecEmbedder(graph=G, q=0.5))
    assert cloned.graph is G


# -- sizes and properties against networkx ------------------------------------
def test_sizes_match_networkx(digraph):
    g = as_graph(digraph)
    assert g.n_nodes == len(g) == digraph.number_of_nodes()
    assert g.n_edges == g.nnz == digraph.number_of_edges()
    assert g.n_self_loops == nx.number_of_selfloops(digraph)
    assert g.out_degree.tolist() == [digraph.out_degree(v) for v in g.nodes.tolist()]
    assert g.dead_ends().tolist() == [i for i, v in enumerate(g.nodes.tolist()) if digraph.out_degree(v) == 0]
    U = digraph.to_undirected()
    u = as_graph(U)
    assert u.n_edges == U.number_of_edges() and u.nnz == 2 * u.n_edges - u.n_self_loops
    assert u.density == pytest.approx(u.nnz / u.n_nodes**2)
    assert u.memory_bytes() == u.indptr.nbytes + u.indices.nbytes


def test_repr():
    g = as_graph(nx.path_graph(4), features=np.ones((4, 2)))
    assert repr(g) == "Graph(n_nodes=4, n_edges=3, directed=False, weighted=False, n_features=2)"


def test_neighbors_match_networkx(digraph):
    g = as_graph(digraph)
    for v in digraph:
        assert g.neighbors(v) == sorted(digraph.successors(v))
        assert all(type(x) is int for x in g.neighbors(v))
    s = as_graph(nx.relabel_nodes(digraph, str))
    assert s.neighbors("4") == sorted(map(str, digraph.successors(4)), key=int)
    with pytest.raises(UnknownNodeError, match="'x'"):
        g.neighbors("x")


def test_contains_and_positions(weighted_graph):
    g = weighted_graph
    first = g.nodes[0].item()
    assert first in g and -1 not in g and "x" not in g and [1] not in g
    assert g.positions([g.nodes[3], first]).tolist() == [3, 0]


@pytest.mark.parametrize("directed", [False, True])
def test_to_networkx_round_trip(weighted_edges, directed, assert_matches_networkx):
    g = as_graph(weighted_edges, directed=directed)
    G = g.to_networkx()
    assert G.is_directed() == directed
    assert list(G.nodes()) == g.nodes.tolist()
    assert_matches_networkx(g, G)
    assert as_graph(G) == g
    s = as_graph(nx.relabel_nodes(nx.cycle_graph(5), lambda v: f"n{v}"))
    assert as_graph(s.to_networkx()) == s


def test_subgraph_matches_networkx(digraph, assert_matches_networkx):
    G = nx.relabel_nodes(digraph, {v: f"n{v}" for v in digraph})
    for k, (v, w) in enumerate(G.edges()):
        G[v][w]["weight"] = 1.0 + k / 10
    g = as_graph(G, features=np.arange(len(G))[:, None])
    keep = ["n9", "n4", "n0", "n7", "n3"]  # this order is kept
    sub = g.subgraph(keep)
    assert sub.nodes.tolist() == keep
    assert_matches_networkx(sub, G.subgraph(keep))
    assert sub.features[:, 0].tolist() == [9, 4, 0, 7, 3]


def test_with_features(weighted_graph):
    f = np.random.default_rng(0).normal(size=(weighted_graph.n_nodes, 3))
    h = weighted_graph.with_features(f)
    assert h.features.dtype == np.float32 and h.features.shape == f.shape
    assert h.indices is weighted_graph.indices  # no copy of the structure
    assert weighted_graph.features is None


def test_as_graph_on_graph_with_nodes_and_features(weighted_graph):
    ids = weighted_graph.nodes[:5].tolist()
    sub = as_graph(weighted_graph, nodes=ids, features=np.ones((5, 2)))
    assert sub.nodes.tolist() == ids and sub.features.shape == (5, 2)
    with pytest.raises(GraphFormatError, match="one row per node"):
        as_graph(weighted_graph, features=np.ones((2, 2)))


# -- NodeIndex ----------------------------------------------------------------
def test_node_index_identity_ids_use_no_dict():
    index = NodeIndex(np.arange(6))
    assert index._map is None
    assert index.positions([5, 0, 3]).tolist() == [5, 0, 3]
    assert index.positions(np.array([[2], [4]])).tolist() == [2, 4]  # (n, 1) column
    assert index.positions(pd.Series([1, 1])).tolist() == [1, 1]
    assert index.positions([2.0]).tolist() == [2]  # whole floats are ids
    assert 3 in index and 6 not in index and True not in index and "3" not in index
    with pytest.raises(UnknownNodeError, match="6, -1"):
        index.positions([6, -1, 0])
    with pytest.raises(UnknownNodeError):
        index.positions(["0"])


@pytest.mark.parametrize(
    "ids",
    [
        np.array([10, 3, 7]),
        np.array([1, 2, 3]),  # ints, but not 0..n-1
        np.array(["b", "a", "c"], dtype=object),
        np.array([1, "a", (0, 1)], dtype=object),
    ],
    ids=["ints", "shifted", "str", "mixed"],
)
def test_node_index_arbitrary_ids(ids):
    index = NodeIndex(ids)
    # not the identity shortcut: a dict (any ids) or a sorted table (integer ids)
    assert (index._map is not None or index._sorted is not None) and len(index) == 3
    values = ids.tolist()
    assert index.positions(values[::-1]).tolist() == [2, 1, 0]
    column = np.empty((3, 1), dtype=object)
    column[:, 0] = values
    assert index.positions(column).tolist() == [0, 1, 2]
    assert index.positions(pd.Series(values, dtype=object)).tolist() == [0, 1, 2]
    assert all(v in index for v in values) and 99 not in index and [1] not in index


def test_node_index_integer_ids_need_no_dict():
    """Integer ids other than 0..n-1 are found by binary search: no Python object per id."""
    rng = np.random.default_rng(0)
    ids = rng.choice(np.arange(-(10**12), 10**12, 10**6), size=5000, replace=False)
    index = NodeIndex(ids)
    assert index._map is None
    order = rng.permutation(len(ids))
    np.testing.assert_array_equal(index.positions(ids[order]), order)
    positive = ids > 0
    np.testing.assert_array_equal(index.positions(ids[positive].astype(np.uint64)), np.flatnonzero(positive))
    assert int(ids[7]) in index and float(ids[7]) in index and index._lookup(float(ids[7])) == 7
    assert (ids.max() + 1) not in index and True not in index and "1" not in index
    with pytest.raises(UnknownNodeError, match="2 node id"):
        index.positions([int(ids[0]), 3, 2**64 - 1])
    unsigned = NodeIndex(np.array([5, 2**63 + 1], dtype=np.uint64))
    assert unsigned.positions(np.array([2**63 + 1, 5], dtype=np.uint64)).tolist() == [1, 0]


def test_node_index_string_lookups_and_errors():
    index = NodeIndex(np.array(["a", "b"], dtype=object))
    assert index.positions("b").tolist() == [1]  # a single id, not characters
    assert index.positions(np.array(["b", "a"])).tolist() == [1, 0]  # numpy str_
    with pytest.raises(ValueError, match="1-d sequence or a single column"):
        index.positions(np.array([["a", "b"]], dtype=object))
    missing = [f"x{k}" for k in range(8)]
    with pytest.raises(UnknownNodeError, match=r"8 node id\(s\) not in the graph: 'x0', 'x1'") as info:
        index.positions(["a"] + missing + missing)
    assert "(8 in all)" in str(info.value) and "'x7'" not in str(info.value)
    assert info.value.missing == missing  # deduplicated, in order met
    assert isinstance(info.value, ValueError)


def test_node_index_int_ids_do_not_match_their_strings():
    index = NodeIndex(np.array([5, 7]))
    with pytest.raises(UnknownNodeError, match="'5'"):
        index.positions(["5"])


def test_tuple_ids_of_grid_graphs(assert_matches_networkx):
    # networkx grid graphs use (row, col) tuples as ids: each tuple is one id.
    G = nx.grid_2d_graph(3, 4)
    g = as_graph(G)
    assert_matches_networkx(g, G, weight=None)
    assert g.nodes.shape == (12,) and g.nodes[0] == (0, 0)
    assert g.neighbors((1, 1)) == sorted(G.neighbors((1, 1)))
    assert g.positions([(2, 3), (0, 0)]).tolist() == [11, 0]
    assert g.positions([[(2, 3)], [(0, 0)]]).tolist() == [11, 0]  # (n, 1) column
    with pytest.raises(UnknownNodeError, match=r"\(9, 9\)"):
        g.positions([(9, 9)])
    with pytest.raises(ValueError, match="single column"):
        g.positions([[0, 1], [1, 1]])  # rows of two values are not ids
