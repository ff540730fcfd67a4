"""Random walks on graphs: node2vec (second order) and DeepWalk (first order).

The public functions :func:`random_walks` (all walks in one matrix) and
:func:`iter_walk_chunks` (the same walks as a stream of chunks).  They
validate their parameters and hand the work to the driver,
:mod:`skgraphemb.walks._plan`, which runs one of two engines: the C
kernels of :mod:`skgraphemb.walks._walk_kernels` (CPU threads) or the tensor
walker of :mod:`skgraphemb.walks._torch_kernels` (any torch device).
:mod:`skgraphemb.walks._pecanpy` adapts PecanPy's walks, an optional
backend of :class:`~skgraphemb.Node2VecEmbedder`.

Walks come back as an int32 matrix of node *positions* (rows of the CSR
graph, ``0 .. n_nodes - 1``), never as lists of strings; map them to ids
with ``graph.nodes[walks]`` where needed (mind the ``-1`` padding).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from skgraphemb.graph import GraphLike
from skgraphemb.utils._device import DEFAULT_DEVICE, DEVICE_CONSTRAINT
from skgraphemb.utils._docstrings import fill_doc
from skgraphemb.utils._validation import WALK_PARAMETERS, StrOptions, constraints, validate_params
from skgraphemb.walks._plan import _default_chunk_size, _generate, plan_walks

__all__ = ["iter_walk_chunks", "random_walks"]

# Shared constraints of both public functions (scikit-learn's generated
# messages: "The 'q' parameter of random_walks must be a float in the range
# (0, inf). Got -1 instead.").
_PARAMETER_CONSTRAINTS = constraints(
    "graph",
    *WALK_PARAMETERS,
    "random_state",
    "n_jobs",
    "verbose",
    "start_nodes",
    backend=[StrOptions({"auto", "native", "torch", "numba"}, deprecated={"numba"})],
    device=DEVICE_CONSTRAINT,
)


# Parameter descriptions shared by the public functions' docstrings.
_DOC_FRAGMENTS = {
    "walk_parameters": """graph : Graph or graph-like
        The graph to walk on; anything but a :class:`~skgraphemb.Graph` is
        converted with :func:`skgraphemb.as_graph`.
    walk_length : int
        Number of nodes in each walk, the start node included.
    num_walks : int
        Number of walks started from every node.
    p : float, default=1.0
        Return parameter: a low ``p`` makes walks step back to the previous
        node often.
    q : float, default=1.0
        In-out parameter: ``q < 1`` favours moving away from the previous
        node (DFS-like), ``q > 1`` staying near it (BFS-like).  Both lie
        within ``1e-100 .. 1e100``.""",
    "n_jobs": """n_jobs : int, default=None
        Number of threads.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
        At most one per CPU for the native engine; torch's CPU threads for
        the torch engine on the CPU.""",
    "engine": """start_nodes : array-like of node ids, default=None
        Start walks from these nodes only (each ``num_walks`` times);
        ``None`` starts them from every node.  The walks still go anywhere.

        .. versionadded:: 0.1
    backend : {"auto", "native", "torch"}, default="auto"
        Walk engine.  ``"native"``: C kernels (compiled when the package is
        installed) on CPU threads.  ``"torch"``: all walkers of a chunk
        advance together as tensor operations on ``device`` (needs the
        ``torch`` extra).  ``"auto"``: torch when ``device`` resolves to a
        GPU, native otherwise.

        .. versionadded:: 0.1
        .. versionchanged:: 0.2
           ``"numba"`` is now ``"native"`` (the kernels moved from numba to
           C); ``"numba"`` still selects it, with a ``FutureWarning``, and
           will be removed in 0.4.
    device : {"cpu", "auto", "cuda", "cuda:N"}, default="cpu"
        Where the torch engine runs.  ``"cpu"``, the default of every
        ``device`` parameter in skgraphemb, keeps ``backend="auto"`` on
        native, so the walks never depend on whether the machine has a GPU;
        ``"auto"`` (opt-in) picks a CUDA device when there is one (and then
        the torch engine); an explicit CUDA device implies the torch engine
        and is an error with ``backend="native"`` or on a machine without it.

        .. versionadded:: 0.1""",
}


@validate_params(_PARAMETER_CONSTRAINTS, prefer_skip_nested_validation=True)
@fill_doc(**_DOC_FRAGMENTS)
def random_walks(
    graph: GraphLike,
    *,
    walk_length: int,
    num_walks: int,
    p: float = 1.0,
    q: float = 1.0,
    random_state=None,
    n_jobs: int | None = None,
    verbose: int = 0,
    start_nodes=None,
    backend: str = "auto",
    device=DEFAULT_DEVICE,
) -> NDArray[np.int32]:
    """Generate node2vec random walks from every node of a graph.

    Each walk starts at a node and moves along out-edges.  The first step
    from the start node ``v`` goes to ``x`` with probability proportional to
    the edge weight ``w(v, x)``.  Every later step, from ``v`` having arrived
    from ``t``, goes to ``x`` with probability proportional to
    ``w(v, x) * alpha(t, x)`` (Grover & Leskovec, 2016), where ``alpha`` is
    ``1/p`` if ``x == t``, 1 if the edge ``t -> x`` exists, and ``1/q``
    otherwise.  ``p = q = 1`` is a first-order (DeepWalk) walk and runs on
    a faster path.

    Parameters
    ----------
    {walk_parameters}
    random_state : int, RandomState instance or None, default=None
        Seeds the walks.  With an int, the native engine's walks are
        identical for any ``n_jobs``; the torch engine's are reproducible
        on the same device (see Notes).
    {n_jobs}
    verbose : int, default=0
        Show a progress bar when > 0.
    {engine}

    Returns
    -------
    walks : ndarray of int32, shape (num_walks * n_starts, walk_length)
        Node positions (rows of ``graph``; ids are ``graph.nodes[walks]``);
        ``n_starts`` is the number of start nodes (``n_nodes`` by default).
        Rows ``r * n_starts`` to ``(r + 1) * n_starts - 1`` form round
        ``r``: one walk from every start node, in an order shuffled per
        round.  A walk that reaches a node without out-edges stops there,
        and the rest of its row is -1; so is the row of a walk that starts
        at an isolated node, after its first entry.  Both engines return
        this layout, on host memory.

    See Also
    --------
    iter_walk_chunks : The same walks as a stream of smaller arrays.
    skgraphemb.Node2VecEmbedder : Walks plus skip-gram embeddings.

    Notes
    -----
    Sampling is exact and needs O(edges) memory: no table of transition
    probabilities per (previous, current) pair is built; second-order steps
    use rejection sampling [2]_.  Every walk draws from its own random
    stream keyed by ``(seed, walk index)``, so the walks do not depend on
    the thread count or on chunking.  The torch engine samples the same
    distribution (equal in distribution, not bit for bit) from one
    :class:`torch.Generator` per call: with an int seed its walks repeat
    on the same device and torch version.  The result
    takes ``4 * num_walks * n_nodes * walk_length`` bytes; use
    :func:`iter_walk_chunks` to stream walks on large graphs.  The
    algorithms are described in the user guide (:doc:`/node2vec`).

    References
    ----------
    .. [1] A. Grover and J. Leskovec, "node2vec: Scalable Feature Learning
       for Networks", KDD 2016.
    .. [2] K. Yang, M. Zhang, K. Chen, X. Ma, Y. Bai and Y. Jiang,
       "KnightKing: A Fast Distributed Graph Random Walk Engine", SOSP 2019.

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import random_walks
    >>> G = nx.karate_club_graph()
    >>> walks = random_walks(G, walk_length=5, num_walks=2, p=1.0, q=0.5, random_state=0)
    >>> walks.shape, walks.dtype
    ((68, 5), dtype('int32'))
    >>> sorted(walks[:34, 0]) == list(range(34))  # round 0 starts once at every node
    True
    """
    plan = plan_walks(graph, walk_length, num_walks, p, q, random_state, n_jobs, start_nodes, backend, device)
    out = np.empty((plan.n_walks, plan.walk_length), dtype=np.int32)
    for _ in _generate(plan, _default_chunk_size(plan.walk_length, plan.backend), out, verbose):
        pass
    return out


@validate_params(
    {**_PARAMETER_CONSTRAINTS, **constraints("chunk_size")},
    prefer_skip_nested_validation=True,
)
@fill_doc(**_DOC_FRAGMENTS)
def iter_walk_chunks(
    graph: GraphLike,
    *,
    walk_length: int,
    num_walks: int,
    p: float = 1.0,
    q: float = 1.0,
    chunk_size: int | None = None,
    random_state=None,
    n_jobs: int | None = None,
    verbose: int = 0,
    start_nodes=None,
    backend: str = "auto",
    device=DEFAULT_DEVICE,
) -> Iterator[NDArray[np.int32]]:
    """Generate the walks of :func:`random_walks` as a stream of chunks.

    Concatenating the chunks gives exactly ``random_walks(graph, ...)``
    with the same arguments and an integer ``random_state``, for any
    ``chunk_size`` and ``n_jobs`` (native engine; the torch engine's walks
    depend on the chunk size too).  Only one chunk is held at a time, so
    consumers such as a skip-gram trainer can process graphs whose full walk
    matrix would not fit in memory.

    Parameters are checked when this function is called, not when the
    first chunk is requested.

    Parameters
    ----------
    {walk_parameters}
    chunk_size : int, default=None
        Walks (rows) per chunk; the last chunk may be shorter.  ``None``
        bounds a chunk to about four million entries (16 MB; 16M entries
        for the torch engine).  Chunks need not align with rounds.
    random_state : int, RandomState instance or None, default=None
        Seeds the walks.  ``None`` or a ``RandomState`` draws one seed when
        this function is called; the whole stream then uses it.
    {n_jobs}
    verbose : int, default=0
        Show a progress bar over the whole stream when > 0.
    {engine}

    Yields
    ------
    walks : ndarray of int32, shape (chunk_size, walk_length)
        Consecutive rows of the matrix :func:`random_walks` returns (see
        there for the layout).  Each chunk is a new array that the consumer
        may keep or modify.

    See Also
    --------
    random_walks : All walks in one matrix.

    Examples
    --------
    >>> import networkx as nx
    >>> import numpy as np
    >>> from skgraphemb.walks import iter_walk_chunks, random_walks
    >>> G = nx.karate_club_graph()
    >>> chunks = list(iter_walk_chunks(G, walk_length=10, num_walks=3, q=2.0,
    ...                                chunk_size=40, random_state=0))
    >>> [c.shape[0] for c in chunks]
    [40, 40, 22]
    >>> all_at_once = random_walks(G, walk_length=10, num_walks=3, q=2.0, random_state=0)
    >>> bool((np.concatenate(chunks) == all_at_once).all())
    True
    """
    plan = plan_walks(
        graph,
        walk_length,
        num_walks,
        p,
        q,
        random_state,
        n_jobs,
        start_nodes,
        backend,
        device,
        caller="iter_walk_chunks",
    )
    size = _default_chunk_size(plan.walk_length, plan.backend) if chunk_size is None else int(chunk_size)
    return _generate(plan, size, None, verbose)
