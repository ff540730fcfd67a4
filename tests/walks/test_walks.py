"""The public walk driver: layout, graph invariants, exact distributions,
reproducibility across threads and chunking, validation, progress."""

from __future__ import annotations

import logging

import joblib
import networkx as nx
import numba
import numpy as np
import pytest
from scipy import stats
from sklearn.utils._param_validation import InvalidParameterError

import skgraphemb
from skgraphemb import DeviceUnavailableError, as_graph
from skgraphemb.utils._device import resolve_engines
from skgraphemb.walks import _plan as driver
from skgraphemb.walks import iter_walk_chunks, random_walks

# Every engine through the one driver, as random_walks arguments; torch cases
# need the extra, and the CUDA case a GPU.
ENGINES = [
    pytest.param({"backend": "native"}, id="native"),
    pytest.param({"backend": "torch"}, marks=pytest.mark.torch, id="torch"),
    pytest.param({"backend": "torch", "device": "cuda"}, marks=[pytest.mark.torch, pytest.mark.gpu], id="torch-cuda"),
]


@pytest.fixture(params=ENGINES)
def engine(request):
    if request.param.get("device") == "cuda":
        request.getfixturevalue("cuda")
    elif request.param["backend"] == "torch":
        pytest.importorskip("torch")
    return request.param


@pytest.fixture
def check_walk_invariants(check_walks):
    """``check(graph, walks, num_walks)``: round structure plus the invariants of every walk matrix."""

    def check(graph, walks, num_walks):
        n = graph.n_nodes
        assert walks.dtype == np.int32
        assert walks.shape[0] == num_walks * n
        # Round r is one walk from every node, in a shuffled order.
        for r in range(num_walks):
            np.testing.assert_array_equal(np.sort(walks[r * n : (r + 1) * n, 0]), np.arange(n))
        check_walks(walks, graph)

    return check


@pytest.mark.parametrize("p, q", [(1.0, 1.0), (0.5, 2.0), (2.0, 0.25)])
def test_walks_follow_edges_undirected_weighted(karate_graph, p, q, engine, check_walk_invariants):
    assert karate_graph.weights is not None  # karate carries interaction counts
    walks = random_walks(karate_graph, walk_length=20, num_walks=5, p=p, q=q, random_state=0, **engine)
    check_walk_invariants(karate_graph, walks, 5)
    assert (walks >= 0).all()  # connected and undirected: no walk ends early


@pytest.mark.parametrize("p, q", [(1.0, 1.0), (0.5, 2.0)])
def test_directed_dead_end_stops_walks(directed_dead_end_graph, p, q, engine, check_walk_invariants):
    g = directed_dead_end_graph
    walks = random_walks(g, walk_length=12, num_walks=30, p=p, q=q, random_state=1, **engine)
    check_walk_invariants(g, walks, 30)
    (sink,) = g.positions(["sink"])
    from_sink = walks[walks[:, 0] == sink]
    assert (from_sink[:, 1:] == -1).all()
    # Walks reach the sink, end there, and never repeat it.
    reached = (walks == sink).any(axis=1)
    assert reached.sum() > from_sink.shape[0]
    assert ((walks == sink).sum(axis=1) <= 1).all()


def test_isolated_nodes_and_self_loops(engine, check_walk_invariants):
    G = nx.Graph([(0, 1), (1, 2)])
    G.add_node(3)  # isolated
    G.add_edge(4, 4)  # only a self-loop
    g = as_graph(G)
    walks = random_walks(g, walk_length=6, num_walks=3, p=0.5, q=2.0, random_state=0, **engine)
    check_walk_invariants(g, walks, 3)
    (iso, loop) = g.positions([3, 4])
    np.testing.assert_array_equal(walks[walks[:, 0] == iso][:, 1:], -1)
    np.testing.assert_array_equal(walks[walks[:, 0] == loop], loop)


def test_walk_length_one(karate_graph, check_walk_invariants):
    walks = random_walks(karate_graph, walk_length=1, num_walks=2, random_state=0)
    assert walks.shape == (68, 1)
    check_walk_invariants(karate_graph, walks, 2)


def test_graph_like_input_is_converted(karate, karate_graph):
    kwargs = dict(walk_length=8, num_walks=2, p=0.5, q=2.0, random_state=3)
    np.testing.assert_array_equal(random_walks(karate, **kwargs), random_walks(karate_graph, **kwargs))


@pytest.mark.parametrize("p, q", [(1.0, 1.0), (0.5, 2.0)])
def test_same_seed_same_walks_for_any_n_jobs(karate_graph, p, q):
    kwargs = dict(walk_length=15, num_walks=40, p=p, q=q)
    one = random_walks(karate_graph, n_jobs=1, random_state=42, **kwargs)
    assert one.size >= driver._MIN_PARALLEL_STEPS  # n_jobs=2 runs in parallel
    two = random_walks(karate_graph, n_jobs=2, random_state=42, **kwargs)
    all_cores = random_walks(karate_graph, n_jobs=-1, random_state=42, **kwargs)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, all_cores)
    other = random_walks(karate_graph, n_jobs=2, random_state=43, **kwargs)
    assert not np.array_equal(one, other)
    assert not np.array_equal(one[:, 0], other[:, 0])  # start order is seeded too


def test_same_seed_same_walks_on_every_engine(karate_graph, engine):
    kwargs = dict(walk_length=12, num_walks=6, p=0.5, q=2.0, **engine)
    first = random_walks(karate_graph, random_state=3, **kwargs)
    np.testing.assert_array_equal(first, random_walks(karate_graph, random_state=3, **kwargs))
    assert not np.array_equal(first, random_walks(karate_graph, random_state=4, **kwargs))


@pytest.mark.parametrize("chunk_size", [1, 7, 34, 50, 10_000])
def test_chunks_concatenate_to_the_full_matrix(karate_graph, chunk_size):
    # The numba engine's promise; torch walks depend on the chunking (documented).
    kwargs = dict(walk_length=9, num_walks=3, p=2.0, q=0.5, random_state=5)
    chunks = list(iter_walk_chunks(karate_graph, chunk_size=chunk_size, n_jobs=2, **kwargs))
    assert all(c.shape[0] == chunk_size for c in chunks[:-1])
    assert 1 <= chunks[-1].shape[0] <= chunk_size
    np.testing.assert_array_equal(np.concatenate(chunks), random_walks(karate_graph, **kwargs))


def test_unseeded_and_random_state_instances(karate_graph):
    kwargs = dict(walk_length=10, num_walks=2, q=0.5)
    a = random_walks(karate_graph, random_state=None, **kwargs)
    b = random_walks(karate_graph, random_state=None, **kwargs)
    assert not np.array_equal(a, b)
    c = random_walks(karate_graph, random_state=np.random.RandomState(0), **kwargs)
    d = random_walks(karate_graph, random_state=np.random.RandomState(0), **kwargs)
    np.testing.assert_array_equal(c, d)


def test_equal_weights_walk_like_no_weights():
    edges = np.array([[0, 1], [1, 2], [2, 0], [2, 3], [3, 4]])
    plain = as_graph(edges)
    doubled = as_graph(np.c_[edges, np.full(len(edges), 2.0)])
    assert plain.weights is None and doubled.weights is not None
    kwargs = dict(walk_length=10, num_walks=3, p=0.5, q=2.0, random_state=0)
    np.testing.assert_array_equal(random_walks(plain, **kwargs), random_walks(doubled, **kwargs))


def test_thread_count_is_restored(karate_graph):
    # Sizes above _MIN_PARALLEL_STEPS, so that the parallel kernel runs.
    before = numba.get_num_threads()
    random_walks(karate_graph, walk_length=15, num_walks=40, n_jobs=2, random_state=0)
    assert numba.get_num_threads() == before
    assert 1100 * 15 >= driver._MIN_PARALLEL_STEPS
    chunks = iter_walk_chunks(karate_graph, walk_length=15, num_walks=80, n_jobs=2, chunk_size=1100)
    for _ in chunks:
        assert numba.get_num_threads() == before  # also between chunks


def test_n_jobs_follows_joblib_parallel_config(karate_graph, caplog):
    with caplog.at_level(logging.DEBUG, logger="skgraphemb.walks"):
        random_walks(karate_graph, walk_length=5, num_walks=1, random_state=0)
        with joblib.parallel_config(n_jobs=2):
            random_walks(karate_graph, walk_length=5, num_walks=1, random_state=0)
    threads = [r.getMessage() for r in caplog.records if "thread(s), chunks" in r.getMessage()]
    assert "1 thread(s)" in threads[0] and "2 thread(s)" in threads[1]


# -- exact distributions ------------------------------------------------------

# Weighted undirected: 0-3 is not an edge; a self-loop at 1.
UNDIRECTED = [(0, 1, 1.0), (0, 2, 2.0), (1, 2, 0.5), (1, 3, 3.0), (2, 3, 1.0), (1, 1, 0.7)]
# Weighted directed: 3 -> 0 exists but 0 -> 3 does not; 4 is a sink.
DIRECTED = [
    (0, 1, 1.0),
    (1, 0, 2.0),
    (1, 2, 1.0),
    (1, 3, 1.5),
    (1, 4, 2.0),
    (0, 2, 1.0),
    (3, 0, 1.0),
    (2, 1, 1.0),
    (3, 1, 1.0),
]


def _weighted_graph(edges, directed):
    G = nx.DiGraph() if directed else nx.Graph()
    G.add_weighted_edges_from(edges)
    return as_graph(G)


def _second_step_frequencies(graph, t, v, p, q, num_walks, **engine):
    """Counts of the third node of 3-node walks that begin t -> v."""
    walks = random_walks(graph, walk_length=3, num_walks=num_walks, p=p, q=q, random_state=0, **engine)
    (tp, vp) = graph.positions([t, v])
    hits = walks[(walks[:, 0] == tp) & (walks[:, 1] == vp), 2]
    return graph.nodes[hits]


@pytest.mark.parametrize(
    "edges, directed, t, v, p, q, expected",
    [
        # Hand-computed: N(1) = {0: 1.0, 1: 0.7, 2: 0.5, 3: 3.0} reached from
        # t=0; biases 1/p (x=0), 1 (1 and 2 neighbour 0), 1/q (x=3).
        (UNDIRECTED, False, 0, 1, 0.5, 2.0, {0: 2.0, 1: 0.7, 2: 0.5, 3: 1.5}),
        (UNDIRECTED, False, 0, 1, 4.0, 0.25, {0: 0.25, 1: 0.7, 2: 0.5, 3: 12.0}),
        (UNDIRECTED, False, 0, 1, 1.0, 1.0, {0: 1.0, 1: 0.7, 2: 0.5, 3: 3.0}),
        # Directed, t=0, v=1: out-edges of 1 to 0 (2.0), 2 (1.0), 3 (1.5),
        # 4 (2.0); 0 -> 2 exists (bias 1); 0 -> 3 does not, though 3 -> 0
        # does (bias 1/q); nor 0 -> 4.
        (DIRECTED, True, 0, 1, 0.5, 2.0, {0: 4.0, 2: 1.0, 3: 0.75, 4: 1.0}),
        (DIRECTED, True, 0, 1, 0.25, 1.0, {0: 8.0, 2: 1.0, 3: 1.5, 4: 2.0}),
        (DIRECTED, True, 0, 1, 1.0, 1.0, {0: 2.0, 2: 1.0, 3: 1.5, 4: 2.0}),
    ],
)
def test_second_step_matches_node2vec_probabilities(edges, directed, t, v, p, q, expected, engine):
    graph = _weighted_graph(edges, directed)
    seen = _second_step_frequencies(graph, t, v, p, q, num_walks=20_000, **engine)
    xs = sorted(expected)
    probs = np.array([expected[x] for x in xs]) / sum(expected.values())
    counts = np.array([(seen == x).sum() for x in xs])
    assert counts.sum() == len(seen) > 2_000
    assert stats.chisquare(counts, len(seen) * probs).pvalue > 1e-4
    if (p, q) != (1.0, 1.0):  # the test tells node2vec from a first-order walk
        weight = {(a, b): w for a, b, w in edges}
        if not directed:
            weight.update({(b, a): w for a, b, w in edges})
        first = np.array([weight[v, x] for x in xs])
        assert stats.chisquare(counts, len(seen) * first / first.sum()).pvalue < 1e-12


def test_first_step_is_proportional_to_weight(engine):
    graph = _weighted_graph(DIRECTED, directed=True)
    walks = random_walks(graph, walk_length=2, num_walks=20_000, random_state=0, **engine)
    for v in (0, 1, 3):  # the nodes with several out-edges
        (vp,) = graph.positions([v])
        row = slice(graph.indptr[vp], graph.indptr[vp + 1])
        counts = np.bincount(walks[walks[:, 0] == vp, 1], minlength=graph.n_nodes)
        expected = 20_000 * graph.weights[row] / graph.weights[row].sum()
        assert counts[graph.indices[row]].sum() == 20_000
        assert stats.chisquare(counts[graph.indices[row]], expected).pvalue > 1e-4


def test_first_order_visits_are_proportional_to_strength(karate_graph, engine):
    # The stationary law of a weighted first-order walk on a connected
    # undirected graph is proportional to each node's total edge weight.
    walks = random_walks(karate_graph, walk_length=120, num_walks=40, random_state=0, **engine)
    visits = np.bincount(walks[:, 20:].ravel(), minlength=karate_graph.n_nodes)
    strength = np.add.reduceat(karate_graph.weights, karate_graph.indptr[:-1])
    total_variation = 0.5 * np.abs(visits / visits.sum() - strength / strength.sum()).sum()
    assert total_variation < 0.02


# -- validation and reporting -------------------------------------------------


@pytest.mark.parametrize(
    "params, name",
    [
        ({"walk_length": 0}, "walk_length"),
        ({"walk_length": 2.5}, "walk_length"),
        ({"walk_length": "80"}, "walk_length"),
        ({"num_walks": 0}, "num_walks"),
        ({"num_walks": -3}, "num_walks"),
        ({"p": 0.0}, "p"),
        ({"p": -1.0}, "p"),
        ({"p": np.inf}, "p"),
        ({"p": np.nan}, "p"),
        ({"q": 0}, "q"),
        ({"q": float("inf")}, "q"),
        ({"q": "0.5"}, "q"),
        ({"n_jobs": 1.5}, "n_jobs"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_invalid_parameters(karate_graph, params, name):
    kwargs = {"walk_length": 5, "num_walks": 1, **params}
    with pytest.raises(ValueError, match=f"'{name}' parameter of random_walks"):
        random_walks(karate_graph, **kwargs)
    with pytest.raises(ValueError, match=f"'{name}' parameter of iter_walk_chunks"):
        iter_walk_chunks(karate_graph, **kwargs)  # checked at the call, not at next()


def test_invalid_chunk_size(karate_graph):
    with pytest.raises(ValueError, match="'chunk_size' parameter of iter_walk_chunks"):
        iter_walk_chunks(karate_graph, walk_length=5, num_walks=1, chunk_size=0)


def test_progress_bar_and_timing_log(karate_graph, capsys, caplog):
    with caplog.at_level(logging.INFO, logger="skgraphemb.walks"):
        random_walks(karate_graph, walk_length=5, num_walks=2, p=1, q=0.5, verbose=1)
    assert "Generating walks (node2vec, p=1, q=0.5)" in capsys.readouterr().err
    assert any("Generated 68 walks of length 5" in r.getMessage() for r in caplog.records)
    random_walks(karate_graph, walk_length=5, num_walks=2)
    assert capsys.readouterr().err == ""


# -- start nodes, engines and devices -----------------------------------------


@pytest.mark.parametrize("chunk_size", [None, 5])
def test_start_nodes(karate_graph, engine, chunk_size):
    starts = [33, 0, 5]
    chunks = iter_walk_chunks(
        karate_graph,
        walk_length=6,
        num_walks=4,
        p=0.5,
        q=2.0,
        start_nodes=starts,
        chunk_size=chunk_size,
        random_state=0,
        **engine,
    )
    walks = np.concatenate(list(chunks))
    assert walks.shape == (12, 6)
    for r in range(4):  # each round: every start node once, shuffled
        np.testing.assert_array_equal(np.sort(walks[3 * r : 3 * r + 3, 0]), np.sort(karate_graph.positions(starts)))
    assert set(walks[:, 1:].ravel()) - set(karate_graph.positions(starts))  # walks go anywhere
    with pytest.raises(ValueError, match="'nope'"):
        random_walks(karate_graph, walk_length=3, num_walks=1, start_nodes=[0, "nope"], **engine)


def test_default_cpu_walks_never_import_torch():
    """device='cpu' (the default) keeps torch out of the process."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(skgraphemb.__file__).resolve().parents[1]
    code = (
        "import sys, networkx as nx; from skgraphemb import random_walks; "
        "random_walks(nx.path_graph(5), walk_length=4, num_walks=1, q=0.5, device='cpu'); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.torch
@pytest.mark.parametrize(
    "backend, device, expected",
    [
        ("auto", "cpu", ("native", "cpu")),
        ("auto", "auto", ("torch", "cuda:0")),
        ("auto", "cuda", ("torch", "cuda:0")),
        ("auto", "cuda:1", ("torch", "cuda:1")),
        ("torch", "cpu", ("torch", "cpu")),
        ("torch", "auto", ("torch", "cuda:0")),
        ("native", "auto", ("native", "cpu")),  # the native engine's best device is the CPU
        ("native", "cpu", ("native", "cpu")),
    ],
)
def test_backend_and_device_with_a_gpu(fake_cuda, backend, device, expected):
    assert resolve_engines(device, "X", backend=backend) == expected


@pytest.mark.torch
@pytest.mark.parametrize(
    "backend, device, expected",
    [("auto", "auto", ("native", "cpu")), ("torch", "auto", ("torch", "cpu")), ("torch", "CPU", ("torch", "cpu"))],
)
def test_backend_and_device_without_a_gpu(no_cuda, backend, device, expected):
    assert resolve_engines(device, "X", backend=backend) == expected


def test_backend_numba_is_a_deprecated_name_of_native(karate_graph):
    """The walk kernels moved from numba to C: the old name gives the same
    walks, with a FutureWarning that names the new one."""
    new = random_walks(karate_graph, walk_length=10, num_walks=2, q=0.5, random_state=0, backend="native")
    with pytest.warns(FutureWarning, match="random_walks: backend='numba' is deprecated.*backend='native'"):
        old = random_walks(karate_graph, walk_length=10, num_walks=2, q=0.5, random_state=0, backend="numba")
    np.testing.assert_array_equal(old, new)


@pytest.mark.torch
def test_device_errors(fake_cuda, karate_graph):
    with pytest.raises(ValueError, match="backend='native' runs on the CPU only.*device='cpu'"):
        random_walks(karate_graph, walk_length=3, num_walks=1, backend="native", device="cuda")
    with pytest.raises(ValueError, match="'device' parameter of random_walks"):
        random_walks(karate_graph, walk_length=3, num_walks=1, device=0)
    with pytest.raises(InvalidParameterError, match="'backend' parameter of random_walks"):
        random_walks(karate_graph, walk_length=3, num_walks=1, backend="gpu")


@pytest.mark.torch
def test_cuda_on_a_machine_without_it(no_cuda, karate_graph):
    with pytest.raises(DeviceUnavailableError, match="random_walks was asked for device='cuda'"):
        random_walks(karate_graph, walk_length=3, num_walks=1, device="cuda")
    with pytest.raises(DeviceUnavailableError, match="iter_walk_chunks was asked for device='cuda:0'"):
        iter_walk_chunks(karate_graph, walk_length=3, num_walks=1, backend="torch", device="cuda:0")


# -- the streamed walks' on-disk copy --------------------------------------------


def _stream(graph, **kwargs):
    from skgraphemb.walks._plan import _walk_stream

    return _walk_stream(
        graph, chunk_size=37, walk_length=9, num_walks=3, p=0.5, q=2.0, random_state=3, n_jobs=1, **kwargs
    )


def _passes(stream, n):
    return [np.concatenate(list(stream)) for _ in range(n)]


def test_stream_generates_once_and_reads_the_rest_back(karate_graph):
    expected = random_walks(karate_graph, walk_length=9, num_walks=3, p=0.5, q=2.0, random_state=3)
    stream = _stream(karate_graph)
    for walks in _passes(stream, 3):
        np.testing.assert_array_equal(walks, expected)
    assert stream.passes == 3 and stream.generated == 1
    assert [c.shape for c in stream] == [c.shape for c in _stream(karate_graph, spill=False)]


def test_stream_regenerates_where_the_disk_is_full(karate_graph, monkeypatch):
    import shutil
    from collections import namedtuple

    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**12, 10**12 - 10**6, 10**6))
    stream = _stream(karate_graph)
    first, second = _passes(stream, 2)
    np.testing.assert_array_equal(first, second)
    assert stream.generated == 2


def test_stream_regenerates_after_a_failed_write(karate_graph, monkeypatch):
    from skgraphemb.walks._plan import _Spill

    writes = []

    def failing_write(self, chunk, stats):
        writes.append(chunk.shape)
        if len(writes) == 2:
            self.close()
            return False
        return real_write(self, chunk, stats)

    real_write = _Spill.write
    monkeypatch.setattr(_Spill, "write", failing_write)
    stream = _stream(karate_graph)
    first, second, third = _passes(stream, 3)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, third)
    # The failed copy is dropped; the second pass generates and writes a
    # complete one, which the third reads back.
    assert stream.generated == 2 and len(writes) == 2 + -(-3 * 34 // 37)


def test_an_abandoned_first_pass_leaves_no_partial_copy(karate_graph):
    stream = _stream(karate_graph)
    next(iter(stream))  # a consumer that stops after one chunk (e.g. an error)
    whole = _passes(stream, 2)
    np.testing.assert_array_equal(whole[0], whole[1])
    assert whole[0].shape == (3 * 34, 9) and stream.generated == 2


def test_streamed_node2vec_fit_walks_once(karate_graph, monkeypatch):
    """Token counts and two epochs: one generation pass, the same vectors as without the copy."""
    from skgraphemb import Node2VecEmbedder

    streams = []
    real = driver._walk_stream

    def spy(*args, **kwargs):
        streams.append(real(*args, **kwargs))
        return streams[-1]

    monkeypatch.setattr(driver, "_walk_stream", spy)
    params = dict(n_components=8, walk_length=10, num_walks=4, epochs=2, window=3, random_state=0, walk_chunk_size=11)
    spilled = Node2VecEmbedder(**params).fit(karate_graph)
    assert streams[-1].passes == 3 and streams[-1].generated == 1
    real_init = driver.WalkStream.__init__
    monkeypatch.setattr(
        driver.WalkStream,
        "__init__",
        lambda self, plan, size, verbose=0, spill=True: real_init(self, plan, size, verbose, False),
    )
    regenerated = Node2VecEmbedder(**params).fit(karate_graph)
    assert streams[-1].generated == 3
    np.testing.assert_array_equal(spilled.embedding_, regenerated.embedding_)


def test_the_ends_of_the_p_and_q_range_give_node2vec_limits(engine):
    """Before: p or q below about 1e-308 made 1/p or 1/q infinite, and the
    samplers silently drew returns as often as at p = 1 (p=1e-320: 22% of
    steps on karate) or always took a row's last neighbour (q=1e-320: 91%
    returns).  p and q now lie within 1e-100 .. 1e100, and the ends give
    node2vec's limits: at p=1e-100 every step returns to the previous node;
    at q=1e-100 a step goes to a node that is neither the previous one nor
    its neighbour wherever the row has one."""
    G = nx.karate_club_graph()
    graph = as_graph(G)
    kw = dict(walk_length=20, num_walks=5, random_state=0, **engine)
    walks = random_walks(graph, p=1e-100, **kw)
    assert (walks[:, 2:] == walks[:, :-2]).all()
    walks = random_walks(graph, q=1e-100, **kw)
    A = graph.to_scipy().toarray() != 0
    outward = checked = 0
    for t, v, x in zip(walks[:, :-2].ravel(), walks[:, 1:-1].ravel(), walks[:, 2:].ravel(), strict=True):
        away = A[v] & ~A[t]
        away[t] = False
        if away.any():
            checked += 1
            outward += bool(away[x])
    assert checked > 1000 and outward == checked
    for name, value in (("p", 1e-101), ("q", 1e-320), ("p", 1e101)):
        with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter .* range \[1e-100, 1e\+100\]"):
            random_walks(graph, **{name: value}, **kw)


def test_weights_whose_sums_overflow_are_refused(engine):
    """Before: two edges of weight 1e308 at one node summed to an infinite
    strength, and the walks took them 32% and 68% of the time instead of
    half and half, without an error.  A row whose weight sum times the
    largest bias overflows float64 is now refused with the fix (scale the
    weights down); short of that the walks follow the weights."""
    from skgraphemb import GraphFormatError

    def star(weight):
        G = nx.Graph()
        G.add_weighted_edges_from([(0, 1, weight), (0, 2, weight), (0, 3, 1.0)])
        return as_graph(G)

    kw = dict(walk_length=2, num_walks=4000, random_state=0, **engine)
    with pytest.raises(GraphFormatError, match="edge weights of node 0 sum to inf.*divide every weight"):
        random_walks(star(1e308), **kw)
    with pytest.raises(GraphFormatError, match=r"sum to 2e\+250.*1/q=1e\+100"):
        random_walks(star(1e250), q=1e-100, **kw)
    walks = random_walks(star(1e250), **kw)
    steps = walks[walks[:, 0] == 0, 1]
    counts = np.bincount(steps, minlength=4)
    assert counts[3] == 0 and stats.binomtest(int(counts[1]), int(counts[1] + counts[2])).pvalue > 1e-3
