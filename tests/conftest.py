"""Shared fixtures: small graphs and a seed, no global RNG seeding."""

from __future__ import annotations

import os

import networkx as nx
import numpy as np
import pytest

from skgraphemb import as_graph


def pytest_configure(config):
    # Tests run with numba's JIT on (the kernels' behaviour is what we test);
    # keep thread count small and stable on shared CI machines.
    os.environ.setdefault("NUMBA_NUM_THREADS", "2")


@pytest.fixture(params=[0, 1])
def global_random_seed(request):
    """Seeds to run a randomised test under (scikit-learn's idea)."""
    return request.param


@pytest.fixture(scope="session")
def karate():
    return nx.karate_club_graph()


@pytest.fixture(scope="session")
def karate_graph(karate):
    return as_graph(karate)


@pytest.fixture(scope="session")
def karate_labels(karate):
    return np.array([0 if karate.nodes[v]["club"] == "Mr. Hi" else 1 for v in karate])


@pytest.fixture(scope="session")
def string_graph():
    """Two 6-cliques with string ids joined by one edge."""
    G = nx.barbell_graph(6, 0)
    return as_graph(nx.relabel_nodes(G, {i: f"n{i}" for i in G}))


@pytest.fixture(scope="session")
def directed_dead_end_graph():
    """Weighted directed graph where node 'sink' has no out-edges."""
    edges = [("a", "b", 1.0), ("b", "c", 2.0), ("c", "a", 0.5), ("c", "sink", 1.5), ("a", "c", 1.0)]
    return as_graph(edges, directed=True)


@pytest.fixture(scope="session")
def planted_partition():
    """Two dense communities (labels 0/1), sparse between them."""
    G = nx.planted_partition_graph(2, 30, 0.3, 0.01, seed=7)
    labels = np.array([G.nodes[v]["block"] for v in G])
    return as_graph(G), labels


@pytest.fixture
def pickle_as_if_on_cuda(monkeypatch):
    """``pickle.dumps`` of a fitted torch-backed estimator as a GPU machine writes it.

    Its ``device_`` reads ``"cuda:0"`` and every tensor in the torch state is
    tagged ``cuda:0``, so a plain ``torch.load`` of that state on a CPU-only
    machine fails (skorch's ``net_cuda.pkl`` fixture, made without a GPU).
    """
    import pickle

    def dump(estimator) -> bytes:
        torch_serialization = pytest.importorskip("torch.serialization")
        with monkeypatch.context() as m:
            m.setattr(torch_serialization, "location_tag", lambda storage: "cuda:0")
            m.setattr(estimator, "device_", "cuda:0")
            return pickle.dumps(estimator)

    return dump


@pytest.fixture
def one_torch_thread():
    """torch's CPU threads set to 1 for the test, then restored.

    For tests that call torch kernels directly, outside the drivers that set
    the threads from ``n_jobs``: on a busy machine, spinning OpenMP threads
    make small tensor operations many times slower.
    """
    pytest.importorskip("torch")
    from skgraphemb.utils._device import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture
def uncapped_threads(monkeypatch):
    """``n_jobs`` taken as asked, past this machine's CPUs.

    The compiled kernels run at most one thread per CPU
    (:func:`~skgraphemb.utils._threads.resolve_threads`), so on a two-CPU
    CI host ``n_jobs=3`` would quietly run two threads, and a test of three
    threads would test two again.  Here the CPU count reads as 64.  Gives
    the list of the thread counts of the kernel pools started meanwhile
    (:class:`~skgraphemb._kernels._pool.KernelThreads`), for the test to
    check that the threads it asked for ran.
    """
    from skgraphemb._kernels._pool import KernelThreads
    from skgraphemb.utils import _threads

    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 64)
    assert _threads.resolve_threads(3) == 3
    started = []
    init = KernelThreads.__init__

    def record(self, n_threads, *args, **kwargs):
        init(self, n_threads, *args, **kwargs)
        started.append(self.n_threads)

    monkeypatch.setattr(KernelThreads, "__init__", record)
    return started


@pytest.fixture
def raised_within():
    """``raised_within(call, error, seconds)``: run ``call()`` in a daemon
    thread, fail the test when it has not returned after ``seconds`` (a
    hang, which would otherwise stall the whole run), and give the
    exception of type ``error`` it raised, or None."""
    import threading

    def run(call, error, seconds):
        raised = []

        def target():
            try:
                call()
            except error as e:
                raised.append(e)

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(seconds)
        assert not thread.is_alive(), f"{getattr(call, '__name__', call)} never returned"
        return raised[0] if raised else None

    return run


@pytest.fixture
def fake_cuda(monkeypatch):
    """torch reports two CUDA devices (nothing may actually run on them)."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    return torch


@pytest.fixture
def cuda():
    """``"cuda"``, on a machine where torch sees a CUDA device; else the test is skipped.

    Tests that take it run the real GPU paths; mark them ``gpu`` too.
    """
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    return "cuda"


@pytest.fixture
def no_cuda(monkeypatch):
    """torch reports no CUDA device, even on a machine that has one."""
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    return torch


# -- the command line ------------------------------------------------------------
@pytest.fixture(scope="session")
def fast_params():
    """Small, fast node2vec settings for command-line tests, as estimator parameters."""
    return dict(dimensions=8, walk_length=10, num_walks=4, window=3)


@pytest.fixture(scope="session")
def fast_options(fast_params):
    """The same settings as command-line options (``--walk-length 10`` ...)."""
    return [arg for name, value in fast_params.items() for arg in ("--" + name.replace("_", "-"), str(value))]


@pytest.fixture(scope="session")
def karate_embedding(fast_params):
    """What ``skgraphemb embed karate`` writes with ``fast_options`` and the default seed."""
    from skgraphemb import Node2VecEmbedder, load_karate

    return Node2VecEmbedder(**fast_params, random_state=0).fit(load_karate().graph)


@pytest.fixture
def run(capsys):
    """``run(*argv)``: the ``skgraphemb`` command in-process -> (exit status, stdout, stderr)."""
    from skgraphemb.cli import main

    def run(*argv):
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


# -- random walks ----------------------------------------------------------------
def _check_walks(walks, adjacency) -> None:
    """The invariants of every walk matrix, whatever engine made it.

    ``adjacency``: a :class:`~skgraphemb.Graph`, a scipy sparse matrix or a
    dense array (nonzero: an edge).  Each row starts at a node, ``-1`` only
    pads its end, every step follows an edge, and a walk ends early only at
    a node without out-edges.
    """
    import scipy.sparse as sp

    if hasattr(adjacency, "to_scipy"):
        adjacency = adjacency.to_scipy()
    A = sp.csr_array(adjacency)
    A.eliminate_zeros()
    walks = np.asarray(walks)
    ended = walks < 0
    assert not ended[:, 0].any(), "a walk without a start node"
    assert (np.diff(ended.astype(np.int8), axis=1) >= 0).all(), "-1 before the end of a walk"
    n = A.shape[0]
    edges = np.repeat(np.arange(n, dtype=np.int64), np.diff(A.indptr)) * n + A.indices  # codes u * n + x
    a, b = walks[:, :-1], walks[:, 1:]
    step = b >= 0
    assert np.isin(a[step].astype(np.int64) * n + b[step], edges).all(), "a step that is not an edge"
    lengths = (~ended).sum(axis=1)
    last = walks[np.arange(len(walks)), lengths - 1]
    early = lengths < walks.shape[1]
    assert (np.diff(A.indptr)[last[early]] == 0).all(), "a walk ended early at a node with out-edges"


@pytest.fixture(scope="session")
def check_walks():
    """``check_walks(walks, adjacency)``: asserts the invariants of a walk matrix (see ``_check_walks``)."""
    return _check_walks


def _runs_without_the_gil(call) -> None:
    """Asserts that ``call()`` lets other Python threads run while it works:
    the calling thread must make progress (many loop turns) between the
    call's start and end.  A kernel that held the GIL for its whole call
    would leave none, and the driver's threads would run one at a time."""
    import threading
    import time

    span = {}

    def work():
        span["start"] = time.perf_counter()
        call()
        span["stop"] = time.perf_counter()

    worker = threading.Thread(target=work)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    assert span["stop"] - span["start"] > 0.02, "the call is too short to tell"
    assert sum(span["start"] < t < span["stop"] for t in ticks) > 100


@pytest.fixture(scope="session")
def runs_without_the_gil():
    """``runs_without_the_gil(call)``: asserts that ``call()`` releases the GIL (see ``_runs_without_the_gil``)."""
    return _runs_without_the_gil
