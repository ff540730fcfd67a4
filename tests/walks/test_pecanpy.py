"""The optional PecanPy walk backend (:mod:`skgraphemb.walks._pecanpy`).

Tests marked ``pecanpy`` need PecanPy, which needs numpy<2: they run in the
separate environment built by ``scripts/pecanpy-env.sh`` (see
``scripts/test-pecanpy.sh``) and are skipped elsewhere.  The mirror test at
the bottom runs everywhere and checks the ImportError a user without PecanPy
gets.

Walks are checked against known answers, not golden outputs: the empirical
next-step frequencies from each (previous, current) pair must match the
node2vec transition probabilities computed here by hand, and PecanPy's node
visit frequencies must match those of skgraphemb's own engine.  PecanPy
compiles its numba kernels again for every call (its step functions are
closures), a few seconds each, so every mode is run once and its walks are
shared by the tests that need them.
"""

import sys

import numpy as np
import pytest

from skgraphemb.graph import as_graph
from skgraphemb.walks._pecanpy import choose_pecanpy_mode, pecanpy_walks

SKIP_REASON = (
    "PecanPy is not installed; it needs numpy<2 and is tested in its own environment: run scripts/test-pecanpy.sh"
)

# A small weighted graph with triangles and squares, so that every node2vec
# case (return to t, x adjacent to t, x two steps from t) occurs often.
WEIGHTED_EDGES = [
    (0, 1, 1.0),
    (0, 2, 2.0),
    (1, 2, 1.0),
    (1, 3, 3.0),
    (2, 3, 1.0),
    (3, 4, 2.0),
    (4, 5, 1.0),
    (2, 5, 0.5),
    (0, 5, 1.5),
    (5, 6, 1.0),
]
# Directed, with node 4 a dead end (no out-edges).
DIRECTED_EDGES = [
    (0, 1, 1.0),
    (1, 2, 2.0),
    (2, 0, 1.0),
    (1, 0, 1.0),
    (2, 3, 1.0),
    (3, 1, 2.0),
    (3, 4, 1.0),
    (0, 3, 0.5),
]

N_WALKS = 20_000  # walks per node: ~5,000 samples per (previous, current) pair
P, Q = 0.5, 2.0  # distinct 1/p, 1 and 1/q, so a mixed-up case shows


@pytest.fixture(scope="module")
def pecanpy():
    return pytest.importorskip("pecanpy", reason=SKIP_REASON)


@pytest.fixture(scope="module")
def weighted_graph():
    return as_graph(WEIGHTED_EDGES, directed=False)


@pytest.fixture(scope="module")
def directed_graph():
    return as_graph(DIRECTED_EDGES, directed=True)


def dense_weights(graph):
    """Dense ``(n, n)`` matrix of edge weights (1 for unweighted graphs)."""
    return graph.to_scipy().toarray().astype(np.float64)


def node2vec_probabilities(A, t, v, p, q):
    """Exact node2vec next-step distribution from ``v`` having come from ``t``.

    Written from the paper's definition (Grover & Leskovec 2016, eq. 2) on a
    dense weight matrix, independently of both walk engines:
    ``P(x | t, v) ∝ w(v, x) * alpha(t, x)`` with alpha = 1/p if x = t, 1 if
    the edge t -> x exists, 1/q otherwise.
    """
    nbrs = np.flatnonzero(A[v])
    alpha = np.where(nbrs == t, 1.0 / p, np.where(A[t, nbrs] > 0, 1.0, 1.0 / q))
    w = A[v, nbrs] * alpha
    return nbrs, w / w.sum()


@pytest.fixture
def assert_valid_walks(check_walks):
    """``check(walks, graph, num_walks, walk_length)``: shape, dtype, rounds of
    start nodes, and the invariants of every walk matrix (edges, -1 padding)."""

    def check(walks, graph, num_walks, walk_length):
        n = graph.n_nodes
        assert walks.dtype == np.int32
        assert walks.shape == (num_walks * n, walk_length)
        for k in range(num_walks):  # round k starts one walk at every node
            assert np.array_equal(np.sort(walks[k * n : (k + 1) * n, 0]), np.arange(n))
        check_walks(walks, dense_weights(graph))

    return check


def assert_next_step_frequencies(walks, A, p, q, min_count=500):
    """Empirical next steps from each (t, v) pair match the exact node2vec law.

    One chi-square test per pair that occurs at least ``min_count`` times,
    at a Bonferroni-corrected level.  Walks of length 3 give one independent
    sample per walk.  Also checks the first (first-order) step.
    """
    from scipy.stats import chisquare

    tested = []
    full = walks[walks[:, 2] >= 0]
    pairs, counts = np.unique(full[:, :2], axis=0, return_counts=True)
    for (t, v), count in zip(pairs, counts):
        if count < min_count:
            continue
        nbrs, probs = node2vec_probabilities(A, t, v, p, q)
        nxt = full[(full[:, 0] == t) & (full[:, 1] == v), 2]
        observed = np.array([(nxt == x).sum() for x in nbrs])
        assert observed.sum() == count, f"step from ({t}, {v}) to a non-neighbour"
        tested.append(chisquare(observed, probs * count).pvalue)
    for v in range(A.shape[0]):  # first step: proportional to edge weight
        nbrs = np.flatnonzero(A[v])
        if nbrs.size == 0:
            continue
        nxt = walks[walks[:, 0] == v, 1]
        observed = np.array([(nxt == x).sum() for x in nbrs])
        tested.append(chisquare(observed, A[v, nbrs] / A[v, nbrs].sum() * nxt.size).pvalue)
    assert len(tested) >= A.shape[0]
    assert min(tested) > 1e-3 / len(tested), f"smallest p-value {min(tested):.2e}"


def assert_same_visit_frequencies(walks_a, walks_b, position):
    """Two walk sets visit nodes at ``position`` equally often (chi-square).

    Each walk contributes one node at a fixed position, so the samples are
    independent, which a chi-square test of homogeneity needs.
    """
    from scipy.stats import chi2_contingency

    n = int(max(walks_a.max(), walks_b.max())) + 1
    table = np.stack([np.bincount(w[w[:, position] >= 0, position], minlength=n) for w in (walks_a, walks_b)])
    table = table[:, table.sum(axis=0) > 0]
    assert chi2_contingency(table).pvalue > 1e-4


@pytest.fixture(scope="module")
def engine_walks():
    """Walks of skgraphemb's own engine on the weighted graph, or skip."""
    try:
        from skgraphemb.walks import random_walks
    except ImportError as e:  # pragma: no cover - until the engine lands
        pytest.skip(f"skgraphemb.walks.random_walks is not importable: {e}")

    def make(graph, p, q, walk_length):
        return random_walks(
            graph,
            walk_length=walk_length,
            num_walks=N_WALKS,
            p=p,
            q=q,
            random_state=1,
            n_jobs=2,
            verbose=0,
        )

    return make


# --------------------------------------------------------------------------
# With PecanPy
# --------------------------------------------------------------------------


SECOND_ORDER_MODES = ["PreComp", "SparseOTF", "DenseOTF"]


@pytest.fixture(scope="module")
def weighted_walks(pecanpy, weighted_graph):
    """PecanPy walks of length 3 on the weighted graph, one run per mode.

    ``(mode, p, q)`` -> walks; ``mode="auto"`` with p = q = 1 picks
    PreCompFirstOrder.  Cached because each PecanPy call compiles.
    """
    cache = {}

    def get(mode, p, q):
        if (mode, p, q) not in cache:
            cache[mode, p, q] = pecanpy_walks(
                weighted_graph,
                walk_length=3,
                num_walks=N_WALKS,
                p=p,
                q=q,
                random_state=0,
                n_jobs=1,
                mode=mode,
            )
        return cache[mode, p, q]

    return get


@pytest.mark.pecanpy
@pytest.mark.parametrize("mode", SECOND_ORDER_MODES)
def test_second_order_modes_match_node2vec(weighted_graph, weighted_walks, mode, assert_valid_walks):
    walks = weighted_walks(mode, P, Q)
    assert_valid_walks(walks, weighted_graph, N_WALKS, 3)
    assert_next_step_frequencies(walks, dense_weights(weighted_graph), P, Q)


@pytest.mark.pecanpy
def test_first_order_weighted(weighted_graph, weighted_walks, assert_valid_walks):
    assert choose_pecanpy_mode(weighted_graph, 1, 1) == "PreCompFirstOrder"
    walks = weighted_walks("auto", 1, 1)
    assert_valid_walks(walks, weighted_graph, N_WALKS, 3)
    assert_next_step_frequencies(walks, dense_weights(weighted_graph), 1, 1)


@pytest.mark.pecanpy
@pytest.mark.parametrize("mode, p, q", [(m, P, Q) for m in SECOND_ORDER_MODES] + [("auto", 1, 1)])
def test_agrees_with_own_engine(weighted_graph, weighted_walks, engine_walks, mode, p, q):
    assert_same_visit_frequencies(weighted_walks(mode, p, q), engine_walks(weighted_graph, p, q, 3), position=2)


@pytest.mark.pecanpy
def test_first_order_unweighted(pecanpy, assert_valid_walks):
    import networkx as nx

    graph = as_graph(nx.karate_club_graph(), weight=None)
    assert choose_pecanpy_mode(graph, 1, 1) == "FirstOrderUnweighted"
    walks = pecanpy_walks(graph, walk_length=3, num_walks=2_000, p=1, q=1, random_state=0)
    assert_valid_walks(walks, graph, 2_000, 3)
    assert_next_step_frequencies(walks, dense_weights(graph), 1, 1, min_count=200)


DIRECTED_P, DIRECTED_Q = 2.0, 0.5


def directed_walks(graph, mode, random_state):
    return pecanpy_walks(
        graph,
        walk_length=4,
        num_walks=N_WALKS // 4,
        p=DIRECTED_P,
        q=DIRECTED_Q,
        random_state=random_state,
        n_jobs=1,
        mode=mode,
    )


@pytest.fixture(scope="module")
def directed_sparse_walks(pecanpy, directed_graph):
    return directed_walks(directed_graph, "SparseOTF", random_state=0)


@pytest.mark.pecanpy
@pytest.mark.parametrize("mode", ["SparseOTF", "DenseOTF"])
def test_directed_graph_with_dead_end(pecanpy, directed_graph, directed_sparse_walks, mode, assert_valid_walks):
    if mode == "SparseOTF":
        walks = directed_sparse_walks
    else:
        walks = directed_walks(directed_graph, mode, random_state=0)
    assert_valid_walks(walks, directed_graph, N_WALKS // 4, 4)
    dead_end = int(directed_graph.positions([4])[0])
    from_dead_end = walks[:, 0] == dead_end
    assert (walks[from_dead_end, 1:] == -1).all()
    assert (walks == -1).any(axis=1).sum() > from_dead_end.sum()  # others end there too
    A = dense_weights(directed_graph)
    assert_next_step_frequencies(walks, A, DIRECTED_P, DIRECTED_Q, min_count=300)


@pytest.mark.pecanpy
def test_reproducible_with_one_thread(directed_graph, directed_sparse_walks):
    a = directed_walks(directed_graph, "SparseOTF", random_state=3)
    b = directed_walks(directed_graph, "SparseOTF", random_state=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, directed_sparse_walks)  # random_state=0


@pytest.mark.pecanpy
def test_walk_length_one_is_start_nodes(pecanpy, weighted_graph, assert_valid_walks):
    walks = pecanpy_walks(weighted_graph, walk_length=1, num_walks=3, p=P, q=Q, random_state=0)
    assert_valid_walks(walks, weighted_graph, 3, 1)


@pytest.mark.pecanpy
def test_mode_checks(pecanpy, weighted_graph, directed_graph):
    kwargs = dict(walk_length=5, num_walks=1, random_state=0)
    with pytest.raises(ValueError, match="only works on undirected"):
        pecanpy_walks(directed_graph, p=P, q=Q, mode="PreComp", **kwargs)
    with pytest.raises(ValueError, match="needs p = q = 1 and an unweighted"):
        pecanpy_walks(weighted_graph, p=1, q=1, mode="FirstOrderUnweighted", **kwargs)
    with pytest.raises(ValueError, match="needs p = q = 1"):
        pecanpy_walks(weighted_graph, p=P, q=Q, mode="PreCompFirstOrder", **kwargs)
    with pytest.raises(ValueError, match="'mode' parameter of pecanpy_walks must be a str among"):
        pecanpy_walks(weighted_graph, p=P, q=Q, mode="Fast", **kwargs)
    p_range = r"'p' parameter of pecanpy_walks must be a float in the range \[1e-100, 1e\+100\]"
    with pytest.raises(ValueError, match=p_range):
        pecanpy_walks(weighted_graph, p=0, q=Q, **kwargs)


def test_auto_mode_follows_pecanpy_advice():
    """The advice itself needs no PecanPy: it only reads the graph."""
    import networkx as nx

    dense = as_graph(WEIGHTED_EDGES, directed=False)  # density ~0.5
    assert choose_pecanpy_mode(dense, P, Q) == "DenseOTF"
    path = as_graph(nx.path_graph(3_000))  # density 6.7e-4, < 10,000 nodes
    assert choose_pecanpy_mode(path, P, Q) == "PreComp"
    big = as_graph(nx.path_graph(12_000))  # sparse but >= 10,000 nodes
    assert choose_pecanpy_mode(big, P, Q) == "SparseOTF"
    directed = as_graph(nx.path_graph(3_000, create_using=nx.DiGraph))
    assert choose_pecanpy_mode(directed, P, Q) == "SparseOTF"  # never PreComp
    assert choose_pecanpy_mode(path, 1, 1) == "FirstOrderUnweighted"


# --------------------------------------------------------------------------
# Without PecanPy (the mirror test; runs in every environment)
# --------------------------------------------------------------------------


def test_missing_pecanpy_names_the_extra(monkeypatch, weighted_graph):
    # A None entry in sys.modules makes ``import pecanpy`` fail even where it
    # is installed, so this runs in the PecanPy environment too.
    monkeypatch.setitem(sys.modules, "pecanpy", None)
    with pytest.raises(ImportError) as info:
        pecanpy_walks(weighted_graph, walk_length=5, num_walks=1, p=P, q=Q)
    message = str(info.value)
    assert message.lower().startswith('backend="pecanpy" requires pecanpy')
    assert 'pip install "skgraphemb[pecanpy]"' in message
    assert "numpy<2" in message
