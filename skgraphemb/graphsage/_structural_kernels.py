"""Structural node features: what GraphSAGE reads when a graph has no features.

:func:`structural_features` computes a small fixed set of columns from the
CSR structure alone, so it is defined for *any* graph, including a graph
that gains nodes and edges after a model was fitted (inductive use).  Each
column is a local statistic (it depends on a node's 2-hop neighbourhood at
most), so a node's features change only when its neighbourhood does.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["STRUCTURAL_FEATURES", "anchor_proximity", "structural_features"]

#: Names of the columns of :func:`structural_features`, in order.
STRUCTURAL_FEATURES = (
    "log_out_degree",
    "log_in_degree",
    "neighbor_log_degree_mean",
    "neighbor_log_degree_std",
    "neighbor_log_degree_min",
    "neighbor_log_degree_max",
    "clustering",
)


@numba.njit(cache=True, nogil=True)
def _neighbour_stats(indptr, indices, logdeg, out):
    """Columns 2..6 of :func:`structural_features` into ``out`` (n, 5).

    Row ``v`` of the CSR arrays lists the out-neighbours of ``v``; a
    self-loop is skipped.  The clustering coefficient counts ordered pairs
    ``(a, b)`` of distinct neighbours of ``v`` with an edge ``a -> b``, over
    ``k (k - 1)``: for an undirected graph the usual ``2 T / (k (k - 1))``.
    ``mark[u] == v`` flags the neighbours of ``v`` (O(n) memory, and a
    triangle test per 2-step path: O(sum of squared degrees) time).
    """
    n = indptr.shape[0] - 1
    mark = np.full(n, -1, dtype=np.int64)
    for v in range(n):
        k = 0
        s = 0.0
        s2 = 0.0
        lo = np.inf
        hi = -np.inf
        for j in range(indptr[v], indptr[v + 1]):
            u = indices[j]
            if u == v:
                continue
            mark[u] = v
            x = logdeg[u]
            k += 1
            s += x
            s2 += x * x
            lo = min(lo, x)
            hi = max(hi, x)
        if k == 0:
            continue  # isolated (or only a self-loop): all zeros
        mean = s / k
        out[v, 0] = mean
        out[v, 1] = np.sqrt(max(s2 / k - mean * mean, 0.0))
        out[v, 2] = lo
        out[v, 3] = hi
        if k > 1:
            links = 0
            for j in range(indptr[v], indptr[v + 1]):
                a = indices[j]
                if a == v:
                    continue
                for i in range(indptr[a], indptr[a + 1]):
                    b = indices[i]
                    if b != a and b != v and mark[b] == v:
                        links += 1
            out[v, 4] = links / (k * (k - 1.0))


def structural_features(indptr: NDArray[np.int64], indices: NDArray[np.int32]) -> NDArray[np.float32]:
    """Structural features of every node, from CSR arrays.

    Parameters
    ----------
    indptr, indices : ndarray
        CSR arrays (int64, int32); row ``v`` lists the out-neighbours of
        ``v``.

    Returns
    -------
    features : ndarray of float32, shape (n_nodes, 7)
        Columns named in :data:`STRUCTURAL_FEATURES`: ``log(1 + degree)``
        out and in (equal on undirected graphs), the mean, standard
        deviation, minimum and maximum of the neighbours' ``log(1 + out
        degree)``, and the local clustering coefficient.  A node without
        neighbours gets zeros in the neighbour columns.  Degrees count
        stored edges (a self-loop counts once; weights are ignored).
    """
    n = len(indptr) - 1
    out_deg = np.diff(indptr).astype(np.float64)
    in_deg = np.bincount(indices, minlength=n).astype(np.float64)
    logdeg = np.log1p(out_deg)
    stats = np.zeros((n, 5), dtype=np.float64)
    _neighbour_stats(indptr, indices, logdeg, stats)
    return np.column_stack([logdeg, np.log1p(in_deg), stats]).astype(np.float32)


def anchor_proximity(A, anchors: NDArray[np.intp], *, steps: int, scale: float) -> NDArray[np.float32]:
    """Random-walk proximity of every node to each anchor node.

    Column ``k`` is ``log(1 + scale * sum_{t=1..steps} P^t[:, a_k])``, where
    ``P = D^-1 A`` is the transition matrix (row ``v`` of ``P^t`` holds the
    probabilities that a ``t``-step walk from ``v`` ends at each node), so
    it grows with the chance that short walks from a node reach anchor
    ``a_k``.  Nodes in the same region of the graph share anchors they are
    close to: these columns carry *position*, which degree statistics do
    not, and stay defined for any graph that contains the anchors.

    Parameters
    ----------
    A : scipy sparse matrix of shape (n_nodes, n_nodes)
        (Weighted) adjacency matrix; row ``v`` holds ``v``'s out-edges.
    anchors : ndarray of int, shape (n_anchors,)
        Anchor positions; ``-1`` marks an anchor the graph lacks (its
        column is zero).
    steps : int
        Longest walk counted.
    scale : float
        Multiplies the probabilities before the logarithm (the number of
        nodes of the fitted graph, so a typical value is near 1).

    Returns
    -------
    ndarray of float32, shape (n_nodes, n_anchors)
    """
    from skgraphemb._kernels._linalg import normalize_adjacency

    P = normalize_adjacency(A, "transition")
    n = P.shape[0]
    present = np.flatnonzero(anchors >= 0)
    X = np.zeros((n, len(anchors)), dtype=np.float64)
    X[anchors[present], present] = 1.0
    total = np.zeros_like(X)
    for _ in range(steps):
        X = P @ X
        total += X
    return np.log1p(scale * total).astype(np.float32)
