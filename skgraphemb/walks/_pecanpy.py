"""PecanPy as an optional walk backend.

PecanPy (Liu & Krishnan, Bioinformatics 2021) generates node2vec walks with
numba over a CSR graph, in one of several modes that trade memory for time.
This module hands it our CSR arrays directly (no edge-list file, no string
node ids) and returns its walks in skgraphemb's format, so they can feed the
same skip-gram trainer as the walks of :mod:`skgraphemb.walks`.

PecanPy depends on ``nptyping``, which pins ``numpy<2``, so it is never a
required dependency: it is imported inside :func:`pecanpy_walks` only, and
tested in a separate numpy-1 environment (``scripts/pecanpy-env.sh``).

Differences from PecanPy's own ``simulate_walks`` that matter to callers:

- ``walk_length`` counts nodes, as in node2vec and in
  :func:`skgraphemb.walks.random_walks`; PecanPy's ``walk_length`` counts
  steps, so its walks hold ``walk_length + 1`` nodes.
- Walks come back as an int32 matrix of node positions; PecanPy maps every
  walk to a list of node-id strings, which for large graphs costs more time
  and memory than the walks themselves.
- Start nodes are shuffled per round by a generator derived from
  ``random_state`` (PecanPy shuffles with ``np.random.seed``, which resets
  numpy's global random state as a side effect).

Reproducibility: PecanPy seeds numba's random generator of the calling
thread only.  With ``n_jobs=1`` an integer ``random_state`` gives identical
walks on every run; with more threads the walks differ from run to run
(the worker threads' generators are not seeded) and between thread counts.
The default engine, :func:`skgraphemb.walks.random_walks`, does not have
this limitation.
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import NDArray

from skgraphemb._optional import import_optional
from skgraphemb.utils._validation import WALK_PARAMETERS, StrOptions, constraints, validate_params

__all__ = ["PECANPY_MODES", "choose_pecanpy_mode", "pecanpy_walks"]

logger = logging.getLogger(__name__)

#: PecanPy execution modes (classes of ``pecanpy.pecanpy``) this adapter supports.
PECANPY_MODES = (
    "FirstOrderUnweighted",
    "PreCompFirstOrder",
    "PreComp",
    "SparseOTF",
    "DenseOTF",
)

# The thresholds of PecanPy's own mode advice (``pecanpy.cli.check_mode``).
_DENSE_DENSITY = 0.2
_SPARSE_DENSITY = 0.001
_SMALL_GRAPH = 10_000

_CALLER = 'backend="pecanpy"'


def _density(graph) -> float:
    """Edge density as PecanPy computes it: stored entries / (n (n - 1))."""
    n = graph.n_nodes
    return graph.nnz / (n * (n - 1)) if n > 1 else 0.0


@validate_params(constraints("graph", "p", "q"), prefer_skip_nested_validation=True)
def choose_pecanpy_mode(graph, p: float, q: float) -> str:
    """The PecanPy mode that PecanPy itself advises for ``graph``, ``p``, ``q``.

    This is PecanPy's ``check_mode`` advice (which PecanPy only gives as CLI
    warnings) turned into a choice:

    - ``p = q = 1`` on an unweighted graph: ``"FirstOrderUnweighted"``
      (uniform neighbour sampling, no transition probabilities at all);
    - ``p = q = 1`` on a weighted graph: ``"PreCompFirstOrder"`` (one alias
      table per node);
    - density >= 0.2: ``"DenseOTF"`` (dense adjacency matrix);
    - density < 0.001 and fewer than 10,000 nodes, undirected:
      ``"PreComp"`` (alias tables for every (previous, current) pair: memory
      grows with the sum of squared degrees);
    - otherwise ``"SparseOTF"`` (CSR, probabilities computed on the fly).

    ``"PreComp"`` is never chosen for a directed graph, on which it samples
    from the wrong table (see :func:`pecanpy_walks`).

    Parameters
    ----------
    graph : Graph
        The graph to walk on.
    p, q : float
        node2vec return and in-out parameters.

    Returns
    -------
    mode : str
        One of :data:`PECANPY_MODES`.
    """
    first_order = p == 1 and q == 1
    if first_order:
        return "PreCompFirstOrder" if graph.weighted else "FirstOrderUnweighted"
    density = _density(graph)
    if density >= _DENSE_DENSITY:
        return "DenseOTF"
    if density < _SPARSE_DENSITY and graph.n_nodes < _SMALL_GRAPH and not graph.directed:
        return "PreComp"
    return "SparseOTF"


def _check_mode(mode: str, graph, p: float, q: float) -> None:
    """Refuse the modes that would give wrong walks for this graph and p, q."""
    if mode == "FirstOrderUnweighted" and not (p == 1 and q == 1 and not graph.weighted):
        raise ValueError(
            "PecanPy mode 'FirstOrderUnweighted' needs p = q = 1 and an unweighted graph; "
            f"got p={p}, q={q}, weighted={graph.weighted}. Use mode='auto'."
        )
    if mode == "PreCompFirstOrder" and not (p == 1 and q == 1):
        raise ValueError(f"PecanPy mode 'PreCompFirstOrder' needs p = q = 1; got p={p}, q={q}. Use mode='auto'.")
    if mode == "PreComp" and graph.directed:
        # PreComp looks the previous node up among the *out*-neighbours of
        # the current one; on a directed graph it is often not there, and
        # PecanPy then samples from another node's table ("FATAL ERROR!
        # Neighbor not found." on stdout, wrong walks).
        raise ValueError(
            "PecanPy mode 'PreComp' only works on undirected graphs; "
            "use mode='SparseOTF' (or 'auto') for a directed graph."
        )


def _build_pecanpy_graph(pecanpy_mod, mode: str, graph, p, q, n_threads, seed, verbose):
    """A PecanPy mode object holding ``graph``, built without any file."""
    cls = getattr(pecanpy_mod.pecanpy, mode)
    g = cls(p=p, q=q, workers=n_threads, verbose=bool(verbose), random_state=seed)
    # Node "ids" are the positions themselves, so PecanPy's string-mapping
    # fallback (simulate_walks) yields ints we can use directly.
    g.set_node_ids(range(graph.n_nodes))
    if mode == "DenseOTF":
        n = graph.n_nodes
        adj = np.zeros((n, n), dtype=np.float64)
        rows = np.repeat(np.arange(n), np.diff(graph.indptr))
        adj[rows, graph.indices] = 1.0 if graph.weights is None else graph.weights
        g.data = adj  # the setter also builds the boolean ``nonzero`` mask
    else:
        # PecanPy's own readers produce uint32 indptr/indices and float32
        # weights; matching them avoids numba compiling other specialisations.
        # Only the edge count can overflow uint32.
        ptr_dtype = np.uint32 if graph.nnz < 2**32 else np.uint64
        g.indptr = np.asarray(graph.indptr, dtype=ptr_dtype)
        g.indices = np.asarray(graph.indices, dtype=np.uint32)
        g.data = (
            np.ones(graph.nnz, dtype=np.float32)
            if graph.weights is None
            else np.asarray(graph.weights, dtype=np.float32)
        )
    return g


def _walk_matrix(g, starts: NDArray[np.uint32], steps: int, seed: int, verbose) -> NDArray:
    """Run PecanPy's walk kernel on ``starts``; uint32 ``(n, steps + 2)``.

    This is the body of ``Base.simulate_walks`` without its start shuffle
    (done by the caller) and without the final mapping of every walk to a
    list of node ids.  Column ``-1`` holds each walk's number of nodes.
    """
    from numba_progress import ProgressBar  # a dependency of PecanPy

    g.preprocess_transition_probs()
    move_forward = g.get_move_forward()
    has_nbrs = g.get_has_nbrs()
    with ProgressBar(total=starts.size, disable=not verbose) as progress:
        return g._random_walks(starts.size, steps, seed, starts, has_nbrs, move_forward, progress)


@validate_params(
    constraints(
        "graph",
        *WALK_PARAMETERS,
        "random_state",
        "n_jobs",
        "verbose",
        mode=[StrOptions({"auto", *PECANPY_MODES})],
    ),
    prefer_skip_nested_validation=True,
)
def pecanpy_walks(
    graph,
    *,
    walk_length: int,
    num_walks: int,
    p: float = 1.0,
    q: float = 1.0,
    random_state=None,
    n_jobs: int | None = None,
    mode: str = "auto",
    verbose: int = 0,
) -> NDArray[np.int32]:
    """Generate node2vec random walks with PecanPy.

    Parameters
    ----------
    graph : Graph or graph-like
        The graph; anything else is converted with
        :func:`skgraphemb.as_graph`.
    walk_length : int
        Number of nodes in each walk (including the start node).
    num_walks : int
        Number of walks started from every node.
    p, q : float, default=1.0
        node2vec return and in-out parameters.
    random_state : int, RandomState instance or None, default=None
        Seeds the start-node shuffle and PecanPy's numba generator.  Walks
        are reproducible only with ``n_jobs=1`` (see Notes).
    n_jobs : int, default=None
        Number of numba threads; ``None`` means 1, ``-1`` all processors.
    mode : {"auto", "FirstOrderUnweighted", "PreCompFirstOrder", "PreComp", \
"SparseOTF", "DenseOTF"}, default="auto"
        PecanPy execution mode.  ``"auto"`` follows PecanPy's own advice,
        see :func:`choose_pecanpy_mode`.
    verbose : int, default=0
        Show PecanPy's progress bar.

    Returns
    -------
    walks : ndarray of int32, shape (num_walks * n_nodes, walk_length)
        Node positions.  Rows ``k * n_nodes`` to ``(k + 1) * n_nodes - 1``
        form round ``k``: one walk from every node, in shuffled order.  A
        walk that reaches a node without out-edges stops there; the rest of
        its row is -1.

    Raises
    ------
    ImportError
        If PecanPy is not installed.
    ValueError
        If ``mode`` does not apply to the graph or to ``p``, ``q``.

    Notes
    -----
    PecanPy seeds numba's generator of the calling thread only, so with
    ``n_jobs > 1`` the walks change from run to run and between thread
    counts even for an integer ``random_state``; use ``n_jobs=1`` when
    PecanPy walks must be reproducible.  PecanPy needs ``numpy<2``.
    """
    pecanpy_mod = import_optional("pecanpy", _CALLER)
    from sklearn.utils import check_random_state

    from skgraphemb.graph import Graph, as_graph
    from skgraphemb.utils._random_state import seed_from_random_state
    from skgraphemb.utils._threads import numba_threads, resolve_numba_threads

    if not isinstance(graph, Graph):
        graph = as_graph(graph)
    walk_length, num_walks = int(walk_length), int(num_walks)
    p, q = float(p), float(q)
    if mode == "auto":
        mode = choose_pecanpy_mode(graph, p, q)
        logger.debug("PecanPy mode 'auto' -> %r", mode)
    _check_mode(mode, graph, p, q)

    n = graph.n_nodes
    # One stream gives PecanPy's seed and then the start nodes.  PecanPy seeds
    # numba with ``seed + thread id``, which must fit uint32: a 31-bit seed.
    rng = check_random_state(random_state)
    seed = seed_from_random_state(rng, bits=31)
    # One permutation of all nodes per round: balanced work, as PecanPy's
    # global shuffle, and rows come back grouped by round.
    starts = np.concatenate([rng.permutation(n) for _ in range(num_walks)]).astype(np.uint32)

    if walk_length == 1:
        # PecanPy cannot make zero-step walks (it would write the first step
        # over its length column).
        return starts.astype(np.int32).reshape(-1, 1)

    n_threads = resolve_numba_threads(n_jobs)
    with numba_threads(n_threads):
        g = _build_pecanpy_graph(pecanpy_mod, mode, graph, p, q, n_threads, seed, verbose)
        if hasattr(g, "_random_walks"):
            mat = _walk_matrix(g, starts, walk_length - 1, seed, verbose)
        else:  # pragma: no cover - a PecanPy without the kernel we call
            mat = _walks_from_lists(g, starts, num_walks, walk_length)

    walks = mat[:, :walk_length].astype(np.int32)
    lengths = mat[:, -1]
    walks[np.arange(walk_length) >= lengths[:, None]] = -1
    return walks


def _walks_from_lists(g, starts, num_walks, walk_length):  # pragma: no cover
    """Fallback through PecanPy's public ``simulate_walks`` (lists of ids).

    Gives the same matrix layout as :func:`_walk_matrix`, rows in the order
    of ``starts``; slower, because PecanPy builds one list per walk.
    """
    lists = g.simulate_walks(num_walks, walk_length - 1)
    n = g.num_nodes
    mat = np.zeros((len(lists), walk_length + 1), dtype=np.uint32)
    for i, walk in enumerate(lists):
        mat[i, : len(walk)] = walk
        mat[i, -1] = len(walk)
    # simulate_walks shuffles by itself: put the walks from each node in the
    # rows where ``starts`` expects them (the k-th walk of node v goes to the
    # k-th row whose start is v).
    by_start = np.argsort(mat[:, 0], kind="stable").reshape(n, num_walks)
    target = np.argsort(starts, kind="stable").reshape(n, num_walks)
    out = np.empty_like(mat)
    out[target.ravel()] = mat[by_start.ravel()]
    return out
