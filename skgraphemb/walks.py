"""Random walks on graphs: node2vec (second order) and DeepWalk (first order).

This module is the Python driver of two walk engines: the numba kernels in
:mod:`skgraphemb._kernels._walks_numba` (CPU threads, one walk per thread at
a time) and the tensor walker in :mod:`skgraphemb._kernels._walks_torch`
(all walkers of a chunk advance together, on any torch device).  It
validates parameters, resolves the engine and device, picks the sampling
strategy, splits the work into bounded chunks (one kernel call each), sets
the thread count for the call, and reports progress.

Walks come back as an int32 matrix of node *positions* (rows of the CSR
graph, ``0 .. n_nodes - 1``), never as lists of strings; map them to ids
with ``graph.nodes[walks]`` where needed (mind the ``-1`` padding).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from skgraphemb._optional import import_optional, is_available
from skgraphemb.graph import Graph, GraphLike, as_graph
from skgraphemb.utils._device import DEVICE_CONSTRAINT, resolve_device
from skgraphemb.utils._threads import numba_threads, parallel_launch, resolve_numba_threads, torch_threads
from skgraphemb.utils._validation import Integral, Interval, Real, StrOptions, validate_params

__all__ = ["iter_walk_chunks", "random_walks"]

logger = logging.getLogger(__name__)

# Upper bound on the steps (matrix entries) one kernel call produces: about
# 16 MB of int32 per chunk, and a fraction of a second of work, so progress
# bars move and Ctrl-C is honoured between chunks.
_CHUNK_STEPS = 1 << 22

# The torch engine moves all walkers of a chunk together, so larger chunks
# mean longer tensors per step and fewer Python-level steps per walk: 16M
# entries (64 MB of int32 output, a few hundred MB of temporaries) per call.
_TORCH_CHUNK_STEPS = 1 << 24

# Chunks with fewer steps than this run on the serial kernel whatever
# n_jobs says: waking a thread pool costs more than such a chunk's work (and
# far more on a busy machine).  The output is the same either way.
_MIN_PARALLEL_STEPS = 1 << 14

# Shared constraints of both public functions (scikit-learn's generated
# messages: "The 'q' parameter of random_walks must be a float in the range
# (0, inf). Got -1 instead.").  The open upper bound rejects inf; NaN fails
# every interval.
_PARAMETER_CONSTRAINTS = {
    "graph": "no_validation",  # as_graph checks it
    "walk_length": [Interval(Integral, 1, None, closed="left")],
    "num_walks": [Interval(Integral, 1, None, closed="left")],
    "p": [Interval(Real, 0, math.inf, closed="neither")],
    "q": [Interval(Real, 0, math.inf, closed="neither")],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "verbose": ["verbose"],
    "start_nodes": ["array-like", None],
    "backend": [StrOptions({"auto", "numba", "torch"})],
    "device": DEVICE_CONSTRAINT,
}


def torch_device_name(device, caller: str) -> str:
    """The device torch work runs on, as ``"cpu"`` or ``"cuda:N"``.

    ``"cpu"`` needs no torch; ``"auto"`` is the CPU when torch is not
    installed or sees no GPU, else the current CUDA device; anything else
    goes through :func:`~skgraphemb.utils._device.resolve_device` (which
    raises when an explicit CUDA device is missing).
    """
    text = str(device).strip().lower()
    if text == "cpu" or (text == "auto" and not is_available("torch")):
        return "cpu"
    dev = resolve_device(device, caller)
    if dev.type == "cuda" and dev.index is None:
        import torch

        dev = torch.device("cuda", torch.cuda.current_device())
    return str(dev)


def resolve_walk_backend(backend: str, device, caller: str) -> tuple[str, str]:
    """The walk engine and device that ``backend`` and ``device`` select.

    * ``device="cpu"`` (the default) keeps the numba engine under
      ``backend="auto"`` and never imports torch;
    * ``device="auto"`` picks CUDA when torch sees a GPU, and then the torch
      engine; without a GPU (or without torch) it is the numba engine on the
      CPU, and ``backend="numba"`` stays on the CPU;
    * an explicit CUDA device (``"cuda"``, ``"cuda:N"``) implies the torch
      engine; with ``backend="numba"`` it is an error, since numba runs on
      the CPU only;
    * ``backend="torch"`` runs the torch engine on the resolved device
      (``"auto"``: CUDA if present, else the CPU).

    Returns
    -------
    backend : {"numba", "torch"}
    device : str
        ``"cpu"`` or ``"cuda:N"``, as :class:`torch.device` spells it.

    Raises
    ------
    ValueError
        ``backend="numba"`` with an explicit CUDA device, or a device name
        that is not one.
    DeviceUnavailableError
        A CUDA device was asked for on a machine without it.
    ImportError
        The torch engine was asked for and torch is not installed.
    """
    auto = str(device).strip().lower() == "auto"
    if backend == "numba" and auto:
        return "numba", "cpu"  # "auto": the best device numba can use
    if backend == "torch":
        import_optional("torch", caller)
    name = torch_device_name(device, caller)
    if backend == "numba" and name != "cpu":
        raise ValueError(
            f"{caller}: backend='numba' runs on the CPU only, but device={device!r} was "
            "given. Use backend='torch' (or 'auto') to walk on a GPU, or device='cpu'."
        )
    if backend == "auto":
        backend = "torch" if name != "cpu" else "numba"
    return backend, name


@dataclass(frozen=True)
class _WalkPlan:
    """Everything a kernel call needs, resolved once per public call."""

    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    # The next four are empty when the walk is unweighted.
    weights: NDArray[np.float64]
    alias_prob: NDArray[np.float64]
    alias_node: NDArray[np.int32]
    strength: NDArray[np.float64]
    directed: bool
    second_order: bool
    p: float
    q: float
    seed: int
    n_nodes: int
    walk_length: int
    n_walks: int
    n_threads: int
    # Start positions of one round (None: every node), the engine and device,
    # and the torch engine's device arrays (None on the numba engine).
    starts: NDArray[np.int32] | None = None
    backend: str = "numba"
    device: str = "cpu"
    walker: object = None

    @property
    def n_starts(self) -> int:
        """Walks per round: the number of start nodes."""
        return self.n_nodes if self.starts is None else int(self.starts.shape[0])

    @property
    def strategy(self) -> str:
        """Short name of the sampling strategy, for logs and progress bars."""
        kind = "weighted" if self.weights.shape[0] else "unweighted"
        engine = "numba" if self.backend == "numba" else f"torch on {self.device}"
        if self.second_order:
            return f"node2vec rejection sampling, {kind}, {engine}"
        return f"first order, {kind}, {engine}"


def _readonly(a: NDArray) -> NDArray:
    # Read-only like the graph's own arrays: numba types read-only arrays
    # apart, and this way weighted and unweighted walks share one
    # specialisation of each kernel (one compilation, one cache entry).
    a.flags.writeable = False
    return a


def _plan(
    graph: GraphLike,
    walk_length: int,
    num_walks: int,
    p: float,
    q: float,
    random_state,
    n_jobs: int | None,
    start_nodes=None,
    backend: str = "numba",
    device="cpu",
    caller: str = "random_walks",
) -> _WalkPlan:
    """Convert the graph, resolve engine, threads and seed, build alias tables."""
    from skgraphemb._kernels import _walks_numba as kernels
    from skgraphemb._kernels._random import seed_from_random_state

    if not isinstance(graph, Graph):
        graph = as_graph(graph)
    backend, device = resolve_walk_backend(backend, device, caller)
    starts = None
    if start_nodes is not None:
        starts = _readonly(np.asarray(graph.positions(start_nodes), dtype=np.int32))
    n_threads = resolve_numba_threads(n_jobs)
    weights = graph.weights
    # Equal weights give the same distribution as no weights, and the
    # uniform draw needs no tables (memory) and no alias test (a random read).
    if weights is None or weights.size == 0 or np.all(weights == weights[0]):
        weights = alias_prob = strength = _readonly(np.empty(0, dtype=np.float64))
        alias_node = _readonly(np.empty(0, dtype=np.int32))
    else:
        with numba_threads(n_threads), parallel_launch():
            tables = kernels.alias_tables(graph.indptr, graph.indices, weights)
        alias_prob, alias_node, strength = map(_readonly, tables)
    p, q = float(p), float(q)
    seed = seed_from_random_state(random_state)
    walker = None
    if backend == "torch":
        import torch

        from skgraphemb._kernels._walks_torch import TorchWalker

        walker = TorchWalker(
            graph.indptr,
            graph.indices,
            weights,
            alias_prob,
            alias_node,
            strength,
            graph.directed,
            p,
            q,
            torch.device(device),
            seed,
        )
    n_starts = graph.n_nodes if starts is None else len(starts)
    return _WalkPlan(
        indptr=graph.indptr,
        indices=graph.indices,
        weights=weights,
        alias_prob=alias_prob,
        alias_node=alias_node,
        strength=strength,
        directed=bool(graph.directed),
        # p = q = 1 makes every bias 1: node2vec is then a first-order walk,
        # and the fast path skips the neighbour tests altogether.
        second_order=not (p == 1.0 and q == 1.0),
        p=p,
        q=q,
        seed=seed,
        n_nodes=int(graph.n_nodes),
        walk_length=int(walk_length),
        n_walks=int(num_walks) * int(n_starts),
        n_threads=n_threads,
        starts=starts,
        backend=backend,
        device=device,
        walker=walker,
    )


def _start_nodes(plan: _WalkPlan, first: int, last: int, cache: dict) -> NDArray[np.int32]:
    """Start nodes of walks ``first .. last - 1``.

    Walk ``i`` starts at ``starts[perm_r[i % n]]`` where ``n`` is the
    number of start nodes (all nodes by default), ``perm_r`` the
    permutation of round ``r = i // n``.  ``cache`` keeps the latest
    round's permutation: chunks arrive in order, so each permutation is
    computed once however the rounds and chunks overlap.
    """
    from skgraphemb._kernels import _walks_numba as kernels

    n = plan.n_starts
    starts = np.empty(last - first, dtype=np.int32)
    row = first
    while row < last:
        r, lo = divmod(row, n)
        if cache.get("round") != r:
            cache["round"] = r
            perm = kernels.start_permutation(n, plan.seed, r)
            cache["perm"] = perm if plan.starts is None else plan.starts[perm]
        hi = min(n, lo + (last - row))
        starts[row - first : row - first + hi - lo] = cache["perm"][lo:hi]
        row += hi - lo
    return starts


def _generate(
    plan: _WalkPlan,
    chunk_size: int,
    out: NDArray[np.int32] | None,
    verbose: int,
    stats: dict | None = None,
) -> Iterator[NDArray[np.int32]]:
    """Run the kernel chunk by chunk; yield each chunk's walk matrix.

    With ``out`` given, chunks are written into (and yielded as views of)
    ``out``; otherwise each chunk is a fresh array.  Every call yields the
    same walks (the torch walker is re-seeded first).  ``stats``, if given,
    accumulates the seconds spent generating under ``"seconds"``.
    """
    from skgraphemb._kernels import _walks_numba as kernels

    if plan.walker is not None:
        plan.walker.reset()

    logger.debug(
        "random walks: %d nodes, %d walks of length %d, p=%g, q=%g, %s, %d thread(s), chunks of %d walks",
        plan.n_nodes,
        plan.n_walks,
        plan.walk_length,
        plan.p,
        plan.q,
        plan.strategy,
        plan.n_threads,
        chunk_size,
    )
    desc = f"Generating walks (node2vec, p={plan.p:g}, q={plan.q:g})"
    cache: dict = {}
    busy = 0.0  # time in this generator, not in the consumer between chunks
    with tqdm(total=plan.n_walks, desc=desc, unit="walk", disable=not verbose) as bar:
        for first in range(0, plan.n_walks, chunk_size):
            t0 = time.perf_counter()
            last = min(first + chunk_size, plan.n_walks)
            starts = _start_nodes(plan, first, last, cache)
            if plan.backend == "torch":
                with torch_threads(plan.n_threads):
                    walks = plan.walker.walk(starts, plan.walk_length)
                if out is None:
                    dest = walks
                else:
                    dest = out[first:last]
                    dest[...] = walks
                bar.update(last - first)
                busy += time.perf_counter() - t0
                yield dest
                continue
            if out is None:
                dest = np.empty((last - first, plan.walk_length), dtype=np.int32)
            else:
                dest = out[first:last]
            args = (
                plan.indptr,
                plan.indices,
                plan.weights,
                plan.alias_prob,
                plan.alias_node,
                plan.strength,
                plan.directed,
                plan.second_order,
                1.0 / plan.p,
                1.0 / plan.q,
                plan.seed,
                first,
                starts,
                dest,
            )
            if plan.n_threads == 1 or dest.size < _MIN_PARALLEL_STEPS:
                # The serial kernel needs no thread pool at all, which also
                # keeps n_jobs=1 safe inside forked worker processes.
                kernels.walk_chunk(*args)
            else:
                with numba_threads(plan.n_threads), parallel_launch():
                    kernels.walk_chunk_parallel(*args)
            bar.update(last - first)
            busy += time.perf_counter() - t0
            yield dest
    if stats is not None:
        stats["seconds"] = stats.get("seconds", 0.0) + busy
    steps = plan.n_walks * (plan.walk_length - 1)
    logger.info(
        "Generated %d walks of length %d in %.3f s (%.1f M steps/s, %s, %d thread(s))",
        plan.n_walks,
        plan.walk_length,
        busy,
        steps / max(busy, 1e-12) / 1e6,
        plan.strategy,
        plan.n_threads,
    )


def _default_chunk_size(walk_length: int, backend: str = "numba") -> int:
    steps = _TORCH_CHUNK_STEPS if backend == "torch" else _CHUNK_STEPS
    return max(1, steps // walk_length)


class WalkStream:
    """The walks of one plan as a re-iterable stream of chunks.

    The first ``iter()`` generates the walks chunk by chunk from the plan
    built once (alias tables included), so a consumer that reads the walks
    several times (a trainer: token counts, then each epoch) never holds
    more than one chunk in memory.  While it generates, the stream also
    writes the chunks to an anonymous temporary file (see :class:`_Spill`);
    once that pass has run to the end, later passes read the walks back
    from the file instead of generating them again: the walks cost one
    generation, as when they are held whole, but disk instead of memory.
    Where the disk lacks the space (or a write fails) later passes generate
    the same walks again.  Time spent producing walks (generating or reading
    back) accumulates in :attr:`walk_time`; only the first pass shows a
    progress bar.

    Not public: :class:`~skgraphemb.Node2VecEmbedder` builds one with
    :func:`_walk_stream`.
    """

    def __init__(self, plan: _WalkPlan, chunk_size: int, verbose: int = 0, spill: bool = True) -> None:
        self.plan = plan
        self.chunk_size = int(chunk_size)
        self.verbose = verbose
        self.spill = spill
        self.passes = 0  # passes started
        self.generated = 0  # passes that generated (rather than read back) walks
        self._stats: dict = {}
        self._spilled: _Spill | None = None  # a complete copy of the walks on disk

    @property
    def n_walks(self) -> int:
        return self.plan.n_walks

    @property
    def walk_length(self) -> int:
        return self.plan.walk_length

    @property
    def walk_time(self) -> float:
        """Seconds spent producing walks (generating or reading back), over all passes so far."""
        return self._stats.get("seconds", 0.0)

    def __iter__(self) -> Iterator[NDArray[np.int32]]:
        return self._pass()

    def _pass(self) -> Iterator[NDArray[np.int32]]:
        # A generator: nothing happens (no pass is counted) until the first
        # chunk is asked for, so ``iter(stream) is stream`` checks are free.
        self.passes += 1
        if self._spilled is not None:
            yield from self._spilled.read(self._stats)
            return
        self.generated += 1
        spill = _Spill.open(self.plan.n_walks * self.plan.walk_length * 4) if self.spill else None
        verbose = self.verbose if self.generated == 1 else 0
        for chunk in _generate(self.plan, self.chunk_size, None, verbose, self._stats):
            if spill is not None and not spill.write(chunk, self._stats):
                spill = None
            yield chunk
        if spill is not None:  # only a pass that ran to its end leaves a usable copy
            self._spilled = spill


class _Spill:
    """Walk chunks written to, and read back from, an anonymous temporary file.

    The file lives in :func:`tempfile.gettempdir` (``TMPDIR``) and has no
    name from the moment it is created (:func:`tempfile.TemporaryFile`), so
    it disappears with the process, however it ends.  It takes disk space
    and the operating system's page cache, which the kernel reclaims under
    pressure, not the process's resident memory.
    """

    # Leave at least this much of the file system free (and 5% of it).
    _RESERVE_BYTES = 1 << 30

    def __init__(self, fh) -> None:
        self._fh = fh
        self._shapes: list[tuple[int, int]] = []

    @classmethod
    def open(cls, nbytes: int) -> _Spill | None:
        """A new spill file for ``nbytes`` of walks, or None where the disk lacks the room."""
        import shutil
        import tempfile

        folder = tempfile.gettempdir()
        try:
            usage = shutil.disk_usage(folder)
            if usage.free - nbytes < max(cls._RESERVE_BYTES, usage.total // 20):
                logger.info(
                    "walks: %.2f GB do not fit in %s (%.2f GB free); later passes regenerate them",
                    nbytes / 1e9,
                    folder,
                    usage.free / 1e9,
                )
                return None
            return cls(tempfile.TemporaryFile(dir=folder, prefix="skgraphemb-walks-"))
        except OSError as exc:
            logger.info("walks: no temporary file in %s (%s); later passes regenerate them", folder, exc)
            return None

    def write(self, chunk: NDArray[np.int32], stats: dict) -> bool:
        """Append ``chunk``; False (and the file closed) when the write fails."""
        t0 = time.perf_counter()
        try:
            self._fh.write(np.ascontiguousarray(chunk, dtype=np.int32).data)
        except OSError as exc:  # e.g. the disk filled up since the check
            logger.info("walks: writing the temporary copy failed (%s); later passes regenerate them", exc)
            self.close()
            return False
        self._shapes.append(chunk.shape)
        stats["seconds"] = stats.get("seconds", 0.0) + time.perf_counter() - t0
        return True

    def read(self, stats: dict) -> Iterator[NDArray[np.int32]]:
        """The chunks, in the order and shapes they were written."""
        self._fh.flush()
        self._fh.seek(0)
        for shape in self._shapes:
            t0 = time.perf_counter()
            chunk = np.empty(shape, dtype=np.int32)
            got = self._fh.readinto(memoryview(chunk).cast("B"))
            if got != chunk.nbytes:
                raise OSError(
                    f"the temporary copy of the walks is shorter than written ({got} of {chunk.nbytes} "
                    "bytes of a chunk); the file system may have lost data."
                )
            stats["seconds"] = stats.get("seconds", 0.0) + time.perf_counter() - t0
            yield chunk

    def close(self) -> None:
        self._fh.close()


def _walk_stream(graph: Graph, *, chunk_size: int | None, verbose: int = 0, spill: bool = True, **kwargs) -> WalkStream:
    """A :class:`WalkStream` over ``graph``; ``kwargs`` as for :func:`_plan`.

    ``chunk_size=None`` takes the engine's default chunk; ``spill=False``
    generates the walks again on every pass instead of reading them back.
    """
    plan = _plan(graph, **kwargs)
    size = _default_chunk_size(plan.walk_length, plan.backend) if chunk_size is None else int(chunk_size)
    return WalkStream(plan, size, verbose, spill)


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
        node (DFS-like), ``q > 1`` staying near it (BFS-like).""",
    "n_jobs": """n_jobs : int, default=None
        Number of threads.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
        Capped at ``numba.config.NUMBA_NUM_THREADS`` for the numba engine;
        torch's CPU threads for the torch engine on the CPU.""",
    "engine": """start_nodes : array-like of node ids, default=None
        Start walks from these nodes only (each ``num_walks`` times);
        ``None`` starts them from every node.  The walks still go anywhere.

        .. versionadded:: 0.1
    backend : {"auto", "numba", "torch"}, default="auto"
        Walk engine.  ``"numba"``: compiled kernels on CPU threads.
        ``"torch"``: all walkers of a chunk advance together as tensor
        operations on ``device`` (needs the ``torch`` extra).  ``"auto"``:
        torch when ``device`` resolves to a GPU, numba otherwise.

        .. versionadded:: 0.1
    device : {"cpu", "auto", "cuda", "cuda:N"}, default="cpu"
        Where the torch engine runs.  ``"cpu"`` keeps ``backend="auto"`` on
        numba; ``"auto"`` picks a CUDA device when there is one (and then
        the torch engine); an explicit CUDA device implies the torch engine
        and is an error with ``backend="numba"`` or on a machine without it.

        .. versionadded:: 0.1""",
}


def _fill_doc(func):
    """Substitute the shared ``{name}`` fragments into ``func.__doc__``."""
    for name, text in _DOC_FRAGMENTS.items():
        func.__doc__ = func.__doc__.replace("{" + name + "}", text)
    return func


@validate_params(_PARAMETER_CONSTRAINTS, prefer_skip_nested_validation=True)
@_fill_doc
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
    device="cpu",
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
        Seeds the walks.  With an int, the numba engine's walks are
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
    probabilities per (previous, current) pair is built, unlike the
    original node2vec and PecanPy's ``PreComp`` mode, whose tables grow
    with the sum of squared degrees.  A second-order step proposes ``x``
    with probability proportional to ``w(v, x)`` and accepts it with
    probability ``alpha(t, x) / max(alpha)`` (rejection sampling, as in
    KnightKing); the excess of a large ``1/p`` on the return edge is
    sampled separately, so small ``p`` does not make most proposals fail.
    A step whose proposals keep being rejected (extreme ``p``, ``q``) falls
    back to computing the step's distribution exactly, which bounds its
    cost by O(deg(v) log deg).

    On directed graphs the in-out test uses the out-edge ``t -> x``, as
    PecanPy does: ``x`` counts as a neighbour of ``t`` (bias 1) only if
    ``t -> x`` exists, not if just ``x -> t`` does.

    First-order draws take O(1) time: uniform on unweighted graphs, and
    through one Walker alias table per node on weighted ones (built per
    call, 12 bytes per stored edge).  A graph whose weights are all equal
    is walked as an unweighted one (same distribution, no tables).

    Every walk draws from its own counter-based random stream keyed by
    ``(seed, walk index)``, and each round's start order from a stream keyed
    by ``(seed, round)``, so the walks do not depend on the thread count or
    on chunking: :func:`iter_walk_chunks` yields exactly these rows.

    The result takes ``4 * num_walks * n_nodes * walk_length`` bytes; use
    :func:`iter_walk_chunks` to stream walks on large graphs.

    The torch engine (``backend="torch"``) samples the same distribution
    with the same rejection scheme, but advances all walkers of a chunk
    (about 16M steps) one step at a time as tensor operations: a
    first-order draw is one gather per walker (a uniform slot of the row,
    then the alias coin of the same tables on weighted graphs); the
    neighbour test of a node2vec step is a vectorised binary search
    (:func:`torch.searchsorted`) in the sorted keys ``u * n_nodes + x`` of
    all edges; each rejection round proposes again only for the walkers
    still rejected, and after eight rounds the remaining ones draw from
    their exact row distributions.  Its random numbers come from one
    :class:`torch.Generator` per call, seeded from ``random_state``: with
    an int, walks are identical across runs on the same device and torch
    version (and chunk size, for :func:`iter_walk_chunks`), and equal *in
    distribution*, not bit for bit, to the numba engine's.  The start
    order of each round is the numba engine's.

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
    plan = _plan(graph, walk_length, num_walks, p, q, random_state, n_jobs, start_nodes, backend, device)
    out = np.empty((plan.n_walks, plan.walk_length), dtype=np.int32)
    for _ in _generate(plan, _default_chunk_size(plan.walk_length, plan.backend), out, verbose):
        pass
    return out


@validate_params(
    {**_PARAMETER_CONSTRAINTS, "chunk_size": [Interval(Integral, 1, None, closed="left"), None]},
    prefer_skip_nested_validation=True,
)
@_fill_doc
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
    device="cpu",
) -> Iterator[NDArray[np.int32]]:
    """Generate the walks of :func:`random_walks` as a stream of chunks.

    Concatenating the chunks gives exactly ``random_walks(graph, ...)``
    with the same arguments and an integer ``random_state``, for any
    ``chunk_size`` and ``n_jobs`` (numba engine; the torch engine's walks
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
    plan = _plan(
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
