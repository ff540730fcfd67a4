"""``as_graph``: every accepted input gives networkx's adjacency, ids intact."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skgraphemb import Graph, GraphFormatError, UnknownNodeError, as_graph


def _nx_graph(edges, directed=False, weighted=True):
    G = nx.DiGraph() if directed else nx.Graph()
    if weighted:
        G.add_weighted_edges_from(edges)
    else:
        G.add_edges_from((u, v) for u, v, *_ in edges)
    return G


def _types(g):
    return {type(v) for v in g.nodes.tolist()}


# -- networkx -----------------------------------------------------------------
@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_networkx_int_ids(weighted_edges, assert_matches_networkx, directed, weighted):
    G = _nx_graph(weighted_edges, directed, weighted)
    g = as_graph(G)
    assert_matches_networkx(g, G, weight="weight" if weighted else None)
    assert g.weighted == weighted
    # networkx node order and int ids are kept.
    assert g.nodes.tolist() == list(G.nodes())
    assert g.nodes.dtype == np.int64 and _types(g) == {int}


def test_networkx_string_ids(weighted_edges, assert_matches_networkx):
    G = nx.relabel_nodes(_nx_graph(weighted_edges), lambda v: f"node-{v}")
    g = as_graph(G)
    assert_matches_networkx(g, G)
    assert g.nodes.dtype == object and _types(g) == {str}
    assert g.nodes.tolist() == list(G.nodes())


def test_networkx_mixed_ids_keep_order_and_type(assert_matches_networkx):
    # networkx fixes the node order, so ids that cannot be sorted are fine.
    G = nx.Graph([(1, "a"), ("a", 2.5), (2.5, (0, 1)), ((0, 1), 1)])
    g = as_graph(G)
    assert_matches_networkx(g, G, weight=None)
    assert g.nodes.tolist() == [1, "a", 2.5, (0, 1)]
    assert [type(v) for v in g.nodes.tolist()] == [int, str, float, tuple]


def test_networkx_missing_weight_counts_as_one(assert_matches_networkx):
    G = nx.Graph()
    G.add_edge(0, 1, weight=2.5)
    G.add_edge(1, 2)  # no weight attribute
    g = as_graph(G)
    assert_matches_networkx(g, G)
    assert g.weighted


def test_networkx_other_weight_attribute_and_none():
    G = nx.Graph()
    G.add_edge("a", "b", strength=4.0, weight=9.0)
    assert as_graph(G, weight="strength").weights.tolist() == [4.0, 4.0]
    assert as_graph(G).weights.tolist() == [9.0, 9.0]
    assert as_graph(G, weight=None).weights is None


def test_networkx_subclass_is_accepted(assert_matches_networkx):
    class MyGraph(nx.Graph):
        pass

    G = MyGraph([(0, 1), (1, 2)])
    assert_matches_networkx(as_graph(G), G, weight=None)


@pytest.mark.parametrize("cls", [nx.MultiGraph, nx.MultiDiGraph])
def test_multigraph_weighted_edges_are_summed(cls, assert_matches_networkx):
    M = cls()
    M.add_edge("a", "b", weight=2.0)
    M.add_edge("a", "b", weight=3.0)
    M.add_edge("b", "c", weight=0.5)
    g = as_graph(M)
    # networkx sums parallel edges' weights in to_scipy_sparse_array too.
    assert_matches_networkx(g, M)
    i, j = g.positions(["a", "b"])
    assert g.to_scipy()[i, j] == 5.0


@pytest.mark.parametrize("cls", [nx.MultiGraph, nx.MultiDiGraph])
def test_multigraph_unweighted_stays_unweighted(cls, assert_matches_networkx):
    M = cls([(0, 1), (0, 1), (0, 1), (1, 2)])
    g = as_graph(M)
    assert g.weights is None
    # Same structure as the simple graph with parallel edges collapsed.
    simple = nx.DiGraph(M) if M.is_directed() else nx.Graph(M)
    assert_matches_networkx(g, simple, weight=None)


def test_networkx_directed_override(weighted_edges, assert_matches_networkx):
    G = _nx_graph(weighted_edges)
    g = as_graph(G, directed=True)
    assert_matches_networkx(g, G.to_directed())
    D = _nx_graph(weighted_edges, directed=True)
    assert as_graph(D, directed=False).directed is False


def test_networkx_feature_attribute():
    G = nx.path_graph(3)
    for v in G:
        G.nodes[v]["x"] = [v, 2 * v]
    g = as_graph(G, features="x")
    np.testing.assert_array_equal(g.features, [[0, 0], [1, 2], [2, 4]])
    assert g.features.dtype == np.float32
    del G.nodes[1]["x"]
    with pytest.raises(GraphFormatError, match="node 1 has no feature attribute 'x'"):
        as_graph(G, features="x")


# -- scipy.sparse -------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csr_array", "csc_matrix", "coo_array"])
def test_scipy_symmetric_is_undirected(weighted_edges, assert_matches_networkx, fmt):
    G = nx.convert_node_labels_to_integers(_nx_graph(weighted_edges))
    A = getattr(sp, fmt)(nx.to_scipy_sparse_array(G, nodelist=range(len(G))))
    g = as_graph(A)
    assert not g.directed
    assert g.nodes.tolist() == list(range(len(G)))
    assert_matches_networkx(g, G)


def test_scipy_asymmetric_is_directed(assert_matches_networkx):
    A = sp.csr_array(np.array([[0, 2.0, 0], [0, 0, 1.0], [0.5, 0, 0]]))
    g = as_graph(A)
    assert g.directed
    assert_matches_networkx(g, nx.from_scipy_sparse_array(A, create_using=nx.DiGraph))
    # Forced undirected: symmetrised as max(A, A.T).
    u = as_graph(A, directed=False)
    np.testing.assert_array_equal(u.to_scipy().toarray(), np.maximum(A.toarray(), A.toarray().T))


def test_scipy_unit_entries_are_unweighted_and_zeros_dropped():
    A = sp.csr_array(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float))
    assert as_graph(A).weights is None
    A = A.tolil()
    A[0, 1] = A[1, 0] = 0.0  # explicit zero stored in the matrix
    g = as_graph(sp.csr_array(A))
    assert g.nnz == 2 and g.neighbors(0) == []


def test_scipy_nodes_argument():
    A = sp.csr_array(np.array([[0, 1], [1, 0]]))
    g = as_graph(A, nodes=["x", "y"])
    assert g.nodes.tolist() == ["x", "y"] and g.neighbors("x") == ["y"]
    with pytest.raises(GraphFormatError, match="3 ids but the matrix has 2 rows"):
        as_graph(A, nodes=["x", "y", "z"])


def test_scipy_must_be_square():
    with pytest.raises(GraphFormatError, match="must be square"):
        as_graph(sp.csr_array(np.ones((2, 3))))


# -- arrays and lists ---------------------------------------------------------
def test_int_edge_array(weighted_edges, assert_matches_networkx):
    arr = np.array([(u, v) for u, v, _ in weighted_edges])
    g = as_graph(arr)
    assert_matches_networkx(g, _nx_graph(weighted_edges, weighted=False), weight=None)
    # Ids are the sorted distinct ids, kept as ints.
    assert g.nodes.tolist() == sorted({x for e in arr.tolist() for x in e})
    assert g.nodes.dtype == np.int64 and _types(g) == {int}


def test_float_array_with_integer_ids(weighted_edges, assert_matches_networkx):
    arr = np.array(weighted_edges, dtype=np.float64)  # ids became floats
    g = as_graph(arr)
    assert_matches_networkx(g, _nx_graph(weighted_edges))
    assert g.nodes.dtype == np.int64 and _types(g) == {int}


def test_float_ids_must_be_whole():
    with pytest.raises(GraphFormatError, match="whole numbers"):
        as_graph(np.array([[0.5, 1.0], [1.0, 2.0]]))


def test_directed_edge_array(weighted_edges, assert_matches_networkx):
    g = as_graph(np.array(weighted_edges), directed=True)
    assert_matches_networkx(g, _nx_graph(weighted_edges, directed=True))


@pytest.mark.parametrize("container", [list, tuple])
def test_tuples_with_string_ids_and_float_weights(weighted_edges, assert_matches_networkx, container):
    edges = container((f"v{u}", f"v{v}", w) for u, v, w in weighted_edges)
    g = as_graph(edges)
    assert g.nodes.dtype == object and _types(g) == {str}
    assert_matches_networkx(g, _nx_graph(edges))


def test_mixed_int_and_str_ids_do_not_become_strings():
    # np.asarray([(1, "a")]) would turn 1 into "1"; as_graph must not.
    with pytest.raises(GraphFormatError, match=r"types \['int', 'str'\] cannot be ordered"):
        as_graph([(1, "a"), ("b", 2)])
    with pytest.raises(GraphFormatError, match="cannot be ordered"):
        as_graph([(1, "a", 1.0)])
    # With an explicit order, mixed ids are fine and keep their types.
    g = as_graph([(1, "a"), ("a", 2)], nodes=[1, "a", 2])
    assert g.nodes.tolist() == [1, "a", 2] and g.neighbors("a") == [1, 2]


def test_undirected_edge_list_merges_reverse_duplicates():
    # (u, v) and (v, u) are the two directions of one undirected edge: it
    # weighs the larger (max(A, A.T)); parallel arcs of one direction add up.
    g = as_graph([(0, 1, 1.0), (1, 0, 2.0), (1, 2, 1.0)])
    np.testing.assert_array_equal(g.to_scipy().toarray(), [[0, 2, 0], [2, 0, 1], [0, 1, 0]])
    g = as_graph([(0, 1, 1.0), (0, 1, 2.5), (1, 0, 2.0), (1, 2, 1.0)])
    np.testing.assert_array_equal(g.to_scipy().toarray(), [[0, 3.5, 0], [3.5, 0, 1], [0, 1, 0]])
    u = as_graph([(0, 1), (1, 0), (0, 1), (1, 2)])
    assert u.weights is None and u.n_edges == 2


def test_directed_multi_edges():
    g = as_graph([(0, 1, 1.0), (0, 1, 2.0), (1, 0, 4.0)], directed=True)
    np.testing.assert_array_equal(g.to_scipy().toarray(), [[0, 3], [4, 0]])


def test_self_loop_is_stored_once(check_csr):
    g = as_graph([(0, 0, 2.0), (0, 1, 1.0)])
    check_csr(g)
    assert g.indices[g.indptr[0] : g.indptr[1]].tolist() == [0, 1]
    assert g.n_self_loops == 1 and g.n_edges == 2
    G = nx.Graph([(0, 0), (0, 1)])
    assert as_graph(G).n_edges == G.number_of_edges()


def test_zero_weight_edges_are_dropped():
    G = nx.Graph([(0, 1, {"weight": 0.0}), (1, 2, {"weight": 1.5})])
    for g in (as_graph([(0, 1, 0.0), (1, 2, 1.5)]), as_graph(G)):
        assert g.neighbors(0) == [] and g.neighbors(1) == [2]
        assert g.nodes.tolist() == [0, 1, 2]  # the node stays, isolated


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.zeros((0, 2)), "empty"),
        ([], "shape"),
        (np.zeros((3, 4)), r"shape \(m, 2\) or \(m, 3\).*got shape \(3, 4\)"),
        (np.arange(5), r"got shape \(5,\)"),
        (np.zeros((2, 2, 2)), r"got shape \(2, 2, 2\)"),
        ([("a", "b", "heavy")], "numeric weights"),
    ],
)
def test_bad_arrays(bad, match):
    with pytest.raises(GraphFormatError, match=match):
        as_graph(bad)


# -- pandas -------------------------------------------------------------------
@pytest.mark.parametrize(
    "columns", [("source", "target", "weight"), ("src", "dst", "weight"), ("Head", "Tail", "weight")]
)
def test_frame_named_columns(weighted_edges, assert_matches_networkx, columns):
    df = pd.DataFrame(weighted_edges, columns=columns)
    # Columns in another order: they are found by name, not position.
    df = df[[columns[2], columns[1], columns[0]]]
    assert_matches_networkx(as_graph(df), _nx_graph(weighted_edges))


def test_frame_generic_columns(weighted_edges, assert_matches_networkx):
    df = pd.DataFrame(weighted_edges, columns=["a", "b", "c"])
    # Three columns, the third numeric but not named as the weight: ignored
    # (it could be timestamps); weight="c" reads it.
    assert as_graph(df).weights is None
    assert_matches_networkx(as_graph(df, weight="c"), _nx_graph(weighted_edges))
    # Two columns: unweighted.
    g = as_graph(df[["a", "b"]])
    assert g.weights is None
    assert_matches_networkx(g, _nx_graph(weighted_edges, weighted=False), weight=None)
    # weight=None ignores any weight column.
    assert as_graph(df, weight=None).weights is None


def test_frame_string_ids_and_weight_column_choice():
    df = pd.DataFrame({"source": ["x", "y"], "target": ["y", "z"], "cost": [5.0, 6.0], "weight": [1.0, 2.0]})
    g = as_graph(df)
    assert _types(g) == {str} and g.weights.tolist() == [1.0, 1.0, 2.0, 2.0]
    assert sorted(as_graph(df, weight="cost").weights.tolist()) == [5.0, 5.0, 6.0, 6.0]


def test_frame_with_one_column():
    with pytest.raises(GraphFormatError, match="at least 2 columns"):
        as_graph(pd.DataFrame({"source": [1, 2]}))


# -- PyTorch Geometric --------------------------------------------------------
class _PygLike:
    """Duck-typed ``torch_geometric.data.Data`` holding numpy arrays."""

    def __init__(self, edge_index, edge_weight=None, x=None, num_nodes=None):
        self.edge_index = edge_index
        self.edge_weight = edge_weight
        self.x = x
        self.num_nodes = num_nodes


def test_pyg_like_undirected_with_features(weighted_edges, assert_matches_networkx):
    G = nx.convert_node_labels_to_integers(_nx_graph(weighted_edges))
    n = len(G) + 2  # two isolated nodes, known only through num_nodes
    src, dst, w = zip(*((u, v, d["weight"]) for u, v, d in G.edges(data=True)))
    ei = np.array([src + dst, dst + src])  # both directions, as PyG stores them
    x = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    g = as_graph(_PygLike(ei, np.array(w + w), x, num_nodes=n))
    assert not g.directed and g.n_nodes == n
    G.add_nodes_from([n - 2, n - 1])
    assert_matches_networkx(g, G)
    np.testing.assert_array_equal(g.features, x)


def test_pyg_like_directed_unweighted_with_duplicates():
    # An asymmetric edge_index is directed; a repeated column is one edge.
    ei = np.array([[0, 0, 0, 1], [1, 1, 2, 2]])
    g = as_graph(_PygLike(ei))
    assert g.directed and g.weights is None
    np.testing.assert_array_equal(g.to_scipy().toarray(), [[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    assert g.n_nodes == 3  # num_nodes unset: max id + 1


def test_pyg_like_bad_edge_index():
    with pytest.raises(GraphFormatError, match=r"shape \(2, m\)"):
        as_graph(_PygLike(np.zeros((3, 4), dtype=int)))


def test_real_pyg_data(assert_matches_networkx):
    torch = pytest.importorskip("torch", reason="torch is not installed (extra: torch)")
    pyg_data = pytest.importorskip("torch_geometric.data", reason="torch_geometric is not installed (extra: graphsage)")
    G = nx.karate_club_graph()
    ei = torch.tensor(list(G.to_directed().edges())).T
    data = pyg_data.Data(edge_index=ei, x=torch.ones(34, 2), num_nodes=34)
    g = as_graph(data)
    assert_matches_networkx(g, G, weight=None)
    assert g.features.shape == (34, 2)


# -- other arguments and errors -----------------------------------------------
def test_graph_input_is_returned_as_is():
    g = as_graph([(0, 1)])
    assert as_graph(g) is g
    with pytest.raises(GraphFormatError, match="cannot reinterpret"):
        as_graph(g, directed=True)


def test_nodes_argument_orders_and_adds_isolated_nodes():
    g = as_graph([("b", "a")], nodes=["c", "a", "b"])
    assert g.nodes.tolist() == ["c", "a", "b"]
    assert g.neighbors("c") == [] and g.neighbors("a") == ["b"]
    with pytest.raises(GraphFormatError, match="duplicate"):
        as_graph([("b", "a")], nodes=["a", "b", "a"])


def test_unknown_ids_in_edges():
    with pytest.raises(UnknownNodeError, match="not listed in `nodes`: 'z'") as info:
        as_graph([("a", "z")], nodes=["a", "b"])
    assert isinstance(info.value, ValueError) and info.value.missing == ["z"]
    # Long lists are capped in the message but kept whole on the exception.
    edges = [(0, k) for k in range(1, 21)]
    with pytest.raises(UnknownNodeError, match=r"\.\.\. \(20 in all\)") as info:
        as_graph(edges, nodes=[0])
    assert len(info.value.missing) == 20 and "19" not in str(info.value)
    G = nx.path_graph(3)
    with pytest.raises(UnknownNodeError, match="not listed in `nodes`: 2"):
        as_graph(G, nodes=[0, 1])


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_weights(value):
    with pytest.raises(GraphFormatError, match="1 edge weight\\(s\\) are NaN or infinite"):
        as_graph([(0, 1, 1.0), (1, 2, value)])
    G = nx.Graph()
    G.add_edge(0, 1, weight=value)
    with pytest.raises(GraphFormatError, match="NaN or infinite"):
        as_graph(G)
    with pytest.raises(GraphFormatError, match="NaN or infinite"):
        as_graph(sp.csr_array(np.array([[0, value], [value, 0]])))


def test_negative_weights():
    with pytest.raises(GraphFormatError, match=r"2 edge weight\(s\) are negative \(e.g. -2.0\)"):
        as_graph([(0, 1, -2.0), (1, 2, 1.0), (2, 3, -1.0)])
    df = pd.DataFrame({"source": [0], "target": [1], "weight": [-1.0]})
    with pytest.raises(GraphFormatError, match="negative"):
        as_graph(df)


@pytest.mark.parametrize(
    "empty",
    [nx.Graph(), nx.empty_graph(4), sp.csr_array((3, 3)), [(0, 1, 0.0)]],
    ids=["no-nodes", "no-edges", "zero-matrix", "zero-weight"],
)
def test_graph_without_edges(empty):
    with pytest.raises(GraphFormatError, match="no edges"):
        as_graph(empty)


def test_features_checks():
    G = nx.path_graph(3)
    with pytest.raises(GraphFormatError, match=r"expected \(3, n_features\), got \(4, 2\)"):
        as_graph(G, features=np.ones((4, 2)))
    with pytest.raises(GraphFormatError, match="NaN"):
        as_graph(G, features=np.array([[0.0], [np.nan], [1.0]]))
    with pytest.raises(GraphFormatError, match="only networkx graphs"):
        as_graph([(0, 1)], features="x")
    g = as_graph(G, features=sp.csr_array(np.eye(3)))  # sparse features densified
    assert g.features.shape == (3, 3) and g.features.dtype == np.float32
    assert as_graph(G, features=np.arange(3)).features.shape == (3, 1)


def test_unsupported_type():
    with pytest.raises(TypeError, match="cannot build a graph from object"):
        as_graph(object())


def test_same_graph_from_every_input(weighted_edges, tmp_path):
    """All input forms of one graph give equal Graphs (equal fingerprints)."""
    G = nx.Graph()
    G.add_nodes_from(sorted({x for u, v, _ in weighted_edges for x in (u, v)}))
    G.add_weighted_edges_from(weighted_edges)
    path = tmp_path / "edges.tsv"
    path.write_text("".join(f"{u}\t{v}\t{w}\n" for u, v, w in weighted_edges))
    ids = np.asarray(list(G.nodes()))
    inputs = [
        G,
        np.array(weighted_edges),
        list(weighted_edges),
        pd.DataFrame(weighted_edges, columns=["source", "target", "weight"]),
        as_graph(nx.to_scipy_sparse_array(G), nodes=ids),
        path,
        str(path),
    ]
    graphs = [as_graph(x) for x in inputs]
    assert all(isinstance(g, Graph) for g in graphs)
    assert len({g.fingerprint() for g in graphs}) == 1


# -- the CSR builder and integer ids (against scipy and np.unique) ---------------------
def _random_multigraph(rng):
    """Positions with duplicates, reversed duplicates, self-loops and zero weights
    on ``n`` nodes, some of them isolated."""
    n = int(rng.integers(1, 200))
    m = int(rng.integers(1, 15 * n))
    src = rng.integers(0, n, m)
    dst = np.where(rng.random(m) < 0.5, rng.integers(0, max(1, n // 5), m), rng.integers(0, n, m))
    loops = rng.random(m) < 0.05
    dst[loops] = src[loops]
    w = np.round(rng.random(m) * 4, 2) * (rng.random(m) > 0.1)
    return n, src, dst, w


@pytest.mark.parametrize("seed", range(12))
def test_build_is_scipy_build(seed):
    from skgraphemb.graph._build import _build, _build_scipy

    rng = np.random.default_rng(seed)
    n, src, dst, w = _random_multigraph(rng)
    ids = np.arange(n) * 3 - 7
    features = rng.random((n, 2))
    for dtype in (np.int32, np.int64):
        for weights in (None, w, rng.random(len(src))):
            for directed in (False, True):
                args = (src.astype(dtype), dst.astype(dtype), weights, ids, directed, features)
                try:
                    ref = _build_scipy(*args)
                except GraphFormatError as e:  # all weights zero: same error
                    with pytest.raises(GraphFormatError, match=str(e)):
                        _build(*args)
                    continue
                got = _build(*args)
                assert got.fingerprint() == ref.fingerprint()
                assert got.indices.dtype == np.int32 and got.indptr.dtype == np.int64


def _unique_reference(values):
    ids, inverse = np.unique(values, return_inverse=True)
    return ids.astype(np.int64), inverse


@pytest.mark.parametrize("bitmap", [True, False])
@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.integers(0, 1000, 5000).astype(np.int32),
        lambda rng: rng.integers(-500, 500, 5000).astype(np.int16),
        lambda rng: rng.integers(0, 256, 5000).astype(np.uint8),
        lambda rng: rng.integers(0, 2**32 - 1, 5000, dtype=np.uint32),
        lambda rng: rng.integers(10**12, 10**12 + 3000, 5000),
        lambda rng: rng.integers(-(2**63), 2**63 - 1, 5000, dtype=np.int64),  # hashed ids
        lambda rng: np.r_[rng.integers(-(2**63), 2**63 - 1, 50, dtype=np.int64), -(2**63), 2**63 - 1],
    ],
)
def test_unique_ids_of_ints_is_np_unique(monkeypatch, make, bitmap):
    from skgraphemb.graph import _build

    if bitmap:  # force the bitmap wherever the span allows it
        monkeypatch.setattr(_build, "_BITMAP_SPAN_PER_ID", 2**40)
    else:
        monkeypatch.setattr(_build, "_BITMAP_SPAN_PER_ID", 0)
        monkeypatch.setattr(_build, "_BITMAP_MIN_SPAN", 0)
    values = make(np.random.default_rng(0))
    ids, inverse = _build._unique_ids(values)
    ref_ids, ref_inverse = _unique_reference(values)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_array_equal(inverse, ref_inverse)
    assert ids.dtype == np.int64 and inverse.dtype == np.int32


@pytest.mark.parametrize("seed", range(6))
def test_int_arrays_give_the_graph_of_np_unique_and_scipy(seed):
    from skgraphemb.graph._build import _build_scipy

    rng = np.random.default_rng(seed)
    _, src, dst, w = _random_multigraph(rng)
    offset = int(rng.choice([0, -50, 10**15]))
    edges = np.c_[src, dst] + offset
    for arr, weights in ((edges.astype(np.int64 if offset else np.int32), None), (np.c_[edges, w], w)):
        ids, inverse = _unique_reference(edges.T.ravel())
        m = len(edges)
        for directed in (False, True):
            try:
                ref = _build_scipy(inverse[:m], inverse[m:], weights, ids, directed, None)
            except GraphFormatError:
                continue
            got = as_graph(arr, directed=directed)
            assert got.fingerprint() == ref.fingerprint()
            assert got.nodes.dtype == np.int64


def test_int_columns_with_nodes_match_the_dict_path():
    from skgraphemb.graph._build import _build_scipy, _positions_by_dict

    rng = np.random.default_rng(3)
    edges = rng.integers(100, 140, size=(300, 2))
    nodes = [int(v) for v in rng.permutation(np.arange(90, 150))]  # some isolated
    pos = _positions_by_dict(np.array(nodes), edges.T.ravel())
    ref = _build_scipy(pos[:300], pos[300:], None, np.array(nodes), False, None)
    assert as_graph(edges, nodes=nodes).fingerprint() == ref.fingerprint()
    # Unknown ids: the same message, first-seen order, as the dict path.
    few = nodes[:20]
    with pytest.raises(UnknownNodeError) as expected:
        _positions_by_dict(np.array(few), edges.T.ravel())
    with pytest.raises(UnknownNodeError) as got:
        as_graph(edges, nodes=few)
    assert str(got.value) == str(expected.value) and got.value.missing == expected.value.missing
    with pytest.raises(GraphFormatError, match="duplicate ids"):
        as_graph(edges, nodes=nodes + nodes[:1])
