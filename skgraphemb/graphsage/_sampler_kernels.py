"""Uniform fixed-fan-out neighbour sampling for mini-batch GNN training.

For a batch of seed nodes, :func:`sample_subgraph` draws, hop by hop, up to
``fanouts[k]`` distinct out-neighbours of every node discovered at hop ``k``
(the seeds are hop 0), uniformly without replacement; a node with no more
neighbours than the fan-out keeps them all.  The result is one relabelled
subgraph in the layout of PyTorch Geometric's ``NeighborLoader`` output
(``n_id``, ``edge_index``, ``num_sampled_nodes``, ``num_sampled_edges``), so
that layer ``i`` of an ``L``-layer model works on a *prefix* of the nodes and
edges (PyG's ``trim_to_layer``) and needs no other bookkeeping:

* ``n_id`` lists the nodes of hop 0 (the seeds, in the given order), then
  those first reached at hop 1, hop 2, ...;
* ``edge_index[0]`` (source = the sampled neighbour) and ``edge_index[1]``
  (target = the node it is aggregated into) are positions in ``n_id``; edges
  are grouped by the hop that sampled them, hop 1 first, and each target's
  edges are contiguous;
* each node's neighbour sample is drawn once, when the node is first
  reached, and reused by every layer (as ``NeighborLoader`` does).

PyG's own loaders need pyg-lib or torch-sparse, which PyPI does not ship as
wheels; this kernel needs numba only.  Random numbers come from the
counter-based stream ``item_state(seed, batch_index)``, so a batch's sample
depends on ``(seed, batch_index)`` and nothing else.

CSR conventions are those of :mod:`skgraphemb.walks._walk_kernels`:
``indptr`` int64 of shape (n_nodes + 1,), ``indices`` int32 of shape (nnz,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from skgraphemb._kernels._random import item_state, next_below, next_float

__all__ = ["SampledSubgraph", "layer_sizes", "sample_subgraph"]


@numba.njit(cache=True, nogil=True)
def _choose(state, deg, k, out):
    """Write ``k`` distinct offsets drawn uniformly from ``0 .. deg - 1`` to ``out``.

    Every ``k``-subset is equally likely.  Floyd's algorithm costs O(k^2)
    (a linear membership test per draw) and suits hubs, where ``deg`` is
    much larger than ``k``; selection sampling (Knuth's Algorithm S) costs
    O(deg) and takes over when that is cheaper.
    """
    if k * k <= deg:
        # Floyd: for j = deg-k .. deg-1 draw t in [0, j]; take j if t is
        # already chosen, else t.
        m = 0
        for j in range(deg - k, deg):
            t = next_below(state, j + 1)
            seen = False
            for i in range(m):
                if out[i] == t:
                    seen = True
                    break
            out[m] = j if seen else t
            m += 1
    else:
        # Algorithm S: keep offset t with probability (still needed) / (left).
        m = 0
        t = 0
        while m < k:
            if (deg - t) * next_float(state) < k - m:
                out[m] = t
                m += 1
            t += 1


@numba.njit(cache=True, nogil=True)
def _sample_kernel(indptr, indices, seeds, fanouts, seed, batch_index, local, node_cap, edge_cap):
    """Numba body of :func:`sample_subgraph`.

    ``local`` is a workspace of shape (n_nodes,) holding -1 everywhere; it
    maps graph positions to ``n_id`` positions during the call and is reset
    to -1 before returning, so the driver can reuse it across batches
    without an O(n_nodes) refill.
    """
    state = item_state(seed, batch_index)
    n_hops = fanouts.shape[0]
    n_id = np.empty(node_cap, dtype=np.int64)
    src = np.empty(edge_cap, dtype=np.int64)
    dst = np.empty(edge_cap, dtype=np.int64)
    nodes_per_hop = np.zeros(n_hops + 1, dtype=np.int64)
    edges_per_hop = np.zeros(n_hops, dtype=np.int64)
    pick = np.empty(max(1, fanouts.max()), dtype=np.int64)

    count = 0
    for s in seeds:
        local[s] = count
        n_id[count] = s
        count += 1
    nodes_per_hop[0] = count
    n_edges = 0
    lo, hi = 0, count
    for hop in range(n_hops):
        f = fanouts[hop]
        start_edges = n_edges
        for target in range(lo, hi):
            v = n_id[target]
            first = indptr[v]
            deg = indptr[v + 1] - first
            take = deg if deg <= f else f
            if deg > f:
                _choose(state, deg, f, pick)
            for j in range(take):
                u = indices[first + (j if deg <= f else pick[j])]
                pos = local[u]
                if pos < 0:
                    pos = count
                    local[u] = pos
                    n_id[count] = u
                    count += 1
                src[n_edges] = pos
                dst[n_edges] = target
                n_edges += 1
        edges_per_hop[hop] = n_edges - start_edges
        nodes_per_hop[hop + 1] = count - hi
        lo, hi = hi, count
    for i in range(count):
        local[n_id[i]] = -1
    return n_id[:count].copy(), src[:n_edges].copy(), dst[:n_edges].copy(), nodes_per_hop, edges_per_hop


@dataclass(frozen=True)
class SampledSubgraph:
    """A sampled computation graph for one batch of seed nodes.

    Attributes
    ----------
    n_id : ndarray of int64, shape (n_sampled,)
        Graph positions of the subgraph's nodes: the seeds first, then nodes
        in the order they were first reached, hop by hop.
    edge_index : ndarray of int64, shape (2, n_edges)
        ``(source, target)`` positions in ``n_id``: row 0 the sampled
        neighbour, row 1 the node it is aggregated into (PyG's
        ``source_to_target`` flow).  Grouped by hop, hop 1 first.
    num_sampled_nodes : ndarray of int64, shape (n_hops + 1,)
        Nodes first reached at each hop (entry 0: the seeds).
    num_sampled_edges : ndarray of int64, shape (n_hops,)
        Edges sampled at each hop.
    """

    n_id: NDArray[np.int64]
    edge_index: NDArray[np.int64]
    num_sampled_nodes: NDArray[np.int64]
    num_sampled_edges: NDArray[np.int64]


def layer_sizes(sub: SampledSubgraph, layer: int) -> tuple[int, int, int]:
    """``(n_src, n_dst, n_edges)`` that layer ``layer`` (0 = input) uses.

    Layer ``i`` of ``L`` maps the nodes of hops ``0 .. L - i`` to those of
    hops ``0 .. L - 1 - i`` along the edges of hops ``1 .. L - i``: prefixes
    of ``n_id`` and of ``edge_index``.
    """
    n_hops = len(sub.num_sampled_edges)
    keep = n_hops - layer
    if not 0 < keep <= n_hops:
        raise ValueError(f"layer must be in [0, {n_hops}); got {layer}")
    nodes = np.cumsum(sub.num_sampled_nodes)
    edges = np.cumsum(sub.num_sampled_edges)
    return int(nodes[keep]), int(nodes[keep - 1]), int(edges[keep - 1])


def sample_subgraph(
    indptr: NDArray[np.int64],
    indices: NDArray[np.int32],
    seeds: NDArray,
    fanouts,
    *,
    seed: int,
    batch_index: int = 0,
    workspace: NDArray[np.int64] | None = None,
) -> SampledSubgraph:
    """Sample the ``len(fanouts)``-hop computation graph of ``seeds``.

    Parameters
    ----------
    indptr, indices : ndarray
        CSR arrays of the graph (int64 and int32); row ``v`` lists the
        out-neighbours of ``v``, the nodes it aggregates from.
    seeds : array-like of int, shape (n_seeds,)
        Distinct node positions to compute representations for.
    fanouts : sequence of int
        ``fanouts[k]``: neighbours sampled per node reached at hop ``k``
        (hop 0 = the seeds), each at least 1.
    seed : int
        Seed of the random stream (a 63-bit non-negative integer).
    batch_index : int, default=0
        Index of the batch; with ``seed``, it keys the random stream.
    workspace : ndarray of int64, shape (n_nodes,), default=None
        ``-1``-filled scratch array, reset to ``-1`` on return; pass the same
        one to every call to save an O(n_nodes) allocation per batch.

    Returns
    -------
    SampledSubgraph
    """
    n_nodes = len(indptr) - 1
    seeds = np.ascontiguousarray(seeds, dtype=np.int64)
    fan = np.ascontiguousarray(fanouts, dtype=np.int64)
    if fan.ndim != 1 or len(fan) == 0 or (fan < 1).any():
        raise ValueError(f"fanouts must be a non-empty sequence of positive ints; got {fanouts!r}")
    if len(seeds) and (seeds.min() < 0 or seeds.max() >= n_nodes):
        raise ValueError(f"seeds must be node positions in [0, {n_nodes})")
    if len(np.unique(seeds)) != len(seeds):
        raise ValueError("seeds must be distinct")
    if workspace is None:
        workspace = np.full(n_nodes, -1, dtype=np.int64)
    # Capacity bounds: every hop multiplies the newly reached nodes by at most
    # the fan-out, and the subgraph never holds more than the graph's nodes.
    node_cap, edge_cap, frontier = len(seeds), 0, len(seeds)
    for f in fan.tolist():
        edge_cap += frontier * f
        frontier = min(frontier * f, n_nodes)
        node_cap = min(node_cap + frontier, n_nodes)
    n_id, src, dst, nodes_per_hop, edges_per_hop = _sample_kernel(
        indptr,
        indices,
        seeds,
        fan,
        np.uint64(seed),
        np.uint64(batch_index),
        workspace,
        max(node_cap, 1),
        max(edge_cap, 1),
    )
    return SampledSubgraph(
        n_id=n_id,
        edge_index=np.stack([src, dst]),
        num_sampled_nodes=nodes_per_hop,
        num_sampled_edges=edges_per_hop,
    )
