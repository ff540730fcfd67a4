"""The driver of the walk engines: plans, chunks, streams.

The public functions of :mod:`skgraphemb.walks` and
:class:`~skgraphemb.Node2VecEmbedder` run their walks through this module.
It drives two walk engines: the C kernels of
:mod:`skgraphemb.walks._walk_kernels` (CPU threads, one walk per thread at a time)
and the tensor walker in :mod:`skgraphemb.walks._torch_kernels` (all walkers of a
chunk advance together, on any torch device).  It resolves the engine and
device, picks the sampling strategy (:func:`plan_walks`), splits the work
into bounded chunks (one kernel call each), sets the thread count for the
call, and reports progress (:func:`_generate`); :class:`WalkStream` serves
the walks of one plan to a consumer that reads them several times.

Walks come back as an int32 matrix of node *positions* (rows of the CSR
graph, ``0 .. n_nodes - 1``), never as lists of strings; map them to ids
with ``graph.nodes[walks]`` where needed (mind the ``-1`` padding).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from tqdm.auto import tqdm

from skgraphemb._kernels._pool import KernelThreads, row_ranges
from skgraphemb.graph import Graph, GraphLike, as_graph
from skgraphemb.utils._device import DEFAULT_DEVICE, resolve_engines, torch_threads
from skgraphemb.utils._ids import py_scalar, readonly
from skgraphemb.utils._threads import resolve_threads

logger = logging.getLogger(__name__)

# Upper bound on the steps (matrix entries) one kernel call produces: about
# 16 MB of int32 per chunk, and a fraction of a second of work, so progress
# bars move and Ctrl-C is honoured between chunks.
_CHUNK_STEPS = 1 << 22

# The torch engine moves all walkers of a chunk together, so larger chunks
# mean longer tensors per step and fewer Python-level steps per walk: 16M
# entries (64 MB of int32 output, a few hundred MB of temporaries) per call.
_TORCH_CHUNK_STEPS = 1 << 24

# Chunks with fewer steps than this stay on the calling thread whatever
# n_jobs says: waking a thread pool costs more than such a chunk's work (and
# far more on a busy machine).  The output is the same either way.
_MIN_PARALLEL_STEPS = 1 << 14


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
    # and the torch engine's device arrays (None on the native engine).
    starts: NDArray[np.int32] | None = None
    backend: str = "native"
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
        engine = "native" if self.backend == "native" else f"torch on {self.device}"
        if self.second_order:
            return f"node2vec rejection sampling, {kind}, {engine}"
        return f"first order, {kind}, {engine}"


def plan_walks(
    graph: GraphLike,
    walk_length: int,
    num_walks: int,
    p: float,
    q: float,
    random_state,
    n_jobs: int | None,
    start_nodes=None,
    backend: str = "native",
    device=DEFAULT_DEVICE,
    caller: str = "random_walks",
) -> _WalkPlan:
    """Convert the graph, resolve engine, threads and seed, build alias tables."""
    from skgraphemb.utils._random_state import seed_from_random_state

    if not isinstance(graph, Graph):
        graph = as_graph(graph)
    backend, device = resolve_engines(device, caller, backend=backend)
    # Every array read-only like the graph's own (the kernels only read them).
    starts = None
    if start_nodes is not None:
        starts = readonly(np.asarray(graph.positions(start_nodes), dtype=np.int32))
    n_threads = resolve_threads(n_jobs)
    weights = graph.weights
    # Equal weights give the same distribution as no weights, and the
    # uniform draw needs no tables (memory) and no alias test (a random read).
    if weights is None or weights.size == 0 or np.all(weights == weights[0]):
        weights = alias_prob = strength = readonly(np.empty(0, dtype=np.float64))
        alias_node = readonly(np.empty(0, dtype=np.int32))
    else:
        tables = build_alias_tables(graph.indptr, graph.indices, weights, n_threads)
        alias_prob, alias_node, strength = map(readonly, tables)
    p, q = float(p), float(q)
    _check_masses(graph, strength, p, q, caller)
    seed = seed_from_random_state(random_state)
    walker = None
    if backend == "torch":
        from skgraphemb.walks._torch_kernels import TorchWalker

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
            device,
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
    from skgraphemb.walks import _walk_kernels as kernels

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


def _check_masses(graph: Graph, strength: NDArray[np.float64], p: float, q: float, caller: str) -> None:
    """Raise when a step's masses would overflow float64.

    The samplers weigh a step by the edge's weight times ``1/p``, 1 or
    ``1/q`` and add such masses over a row (at most the row's weight sum,
    its strength, times the largest bias).  Past float64's range the sums
    became infinite, and the draws followed neither the weights nor the
    biases (two edges of weight 1e308 were taken 32% and 68% of the time).
    """
    if not strength.size:
        return
    v = int(np.argmax(strength))
    top = float(strength[v]) * max(1.0 / p, 1.0, 1.0 / q)
    if not np.isfinite(top):
        from skgraphemb.exceptions import GraphFormatError

        raise GraphFormatError(
            f"{caller}: the edge weights of node {py_scalar(graph.nodes[v])!r} sum to {float(strength[v]):.3g}, "
            f"and times the walk's largest bias (1/p={1.0 / p:.3g}, 1/q={1.0 / q:.3g}) that overflows float64, so the "
            "walks could not follow the weights. Walks draw edges in proportion to their weights: divide "
            "every weight by the largest for the same walks."
        )


def build_alias_tables(indptr, indices, weights, n_threads: int = 1):
    """``(alias_prob, alias_node, strength)`` of every row (see
    :func:`~skgraphemb.walks._walk_kernels.alias_tables`), rows split
    over ``n_threads`` threads by stored entries."""
    from skgraphemb.graph._csr_kernels import _block_calls, _row_blocks
    from skgraphemb.walks import _walk_kernels as kernels

    n_nodes, nnz = len(indptr) - 1, len(indices)
    alias_prob = np.empty(nnz, dtype=np.float64)
    alias_node = np.empty(nnz, dtype=np.int32)
    strength = np.empty(n_nodes, dtype=np.float64)
    work = np.empty(nnz, dtype=np.int32)
    # Row ranges of about equal stored entries (hubs make rows uneven).
    bounds = _row_blocks(indptr, n_threads if nnz >= _MIN_PARALLEL_STEPS else 1)
    calls = _block_calls(bounds, indptr, indices, weights, alias_prob, alias_node, strength, work)
    with KernelThreads(len(calls), "skgraphemb-walks") as threads:
        threads.map(kernels.alias_tables, calls)
    return alias_prob, alias_node, strength


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
    from skgraphemb.walks import _walk_kernels as kernels

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
    threads = KernelThreads(plan.n_threads if plan.backend != "torch" else 1, "skgraphemb-walks")
    with threads, tqdm(total=plan.n_walks, desc=desc, unit="walk", disable=not verbose) as bar:
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
            graph_args = (
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
            )
            # Each thread a contiguous share of the chunk (walk i keeps its
            # stream first + i); small chunks stay on the calling thread,
            # which also keeps n_jobs=1 free of any pool thread.
            n_parts = plan.n_threads if dest.size >= _MIN_PARALLEL_STEPS else 1
            threads.map(
                kernels.walk_chunk,
                [(*graph_args, first + lo, starts[lo:hi], dest[lo:hi]) for lo, hi in row_ranges(last - first, n_parts)],
            )
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


def _default_chunk_size(walk_length: int, backend: str = "native") -> int:
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
    """A :class:`WalkStream` over ``graph``; ``kwargs`` as for :func:`plan_walks`.

    ``chunk_size=None`` takes the engine's default chunk; ``spill=False``
    generates the walks again on every pass instead of reading them back.
    """
    plan = plan_walks(graph, **kwargs)
    size = _default_chunk_size(plan.walk_length, plan.backend) if chunk_size is None else int(chunk_size)
    return WalkStream(plan, size, verbose, spill)
