"""node2vec random walks as tensor operations, for any torch device.

The same walks as :mod:`skgraphemb.walks._walk_kernels` (the same transition
probabilities, the same output layout), computed the other way round:
instead of one thread finishing one walk after another, **all walkers of a
chunk advance together**, one step at a time, as whole-tensor operations
on the device (CPU or CUDA).  No pyg-lib, torch-cluster or other
compiled extension is needed.

Arrays on the device, built once per walk call by :class:`TorchWalker`:

``indptr`` : int64, shape (n_nodes + 1,)
    CSR row pointers (rows sorted and unique, as :class:`~skgraphemb.Graph`
    guarantees).
``indices`` : int64, shape (nnz,)
    Out-neighbour positions (int64 rather than int32: torch indexes with
    int64, so this saves a conversion on every gather).
``keys`` : int64, shape (nnz,)
    ``row * n_nodes + indices``, the CSR entries as sorted integer keys:
    because rows are sorted and each row is sorted, this array is sorted,
    and "does ``t -> x`` exist" is one vectorised
    :func:`torch.searchsorted` for all walkers at once.
``alias_prob``, ``alias_node`` : float64 and int64, shape (nnz,), weighted only
    The per-row Walker alias tables of the numba engine
    (:func:`~skgraphemb.walks._walk_kernels.alias_tables`), so a weighted
    first-order draw costs O(1): a uniform slot of the row, then one coin.
``weights``, ``strength`` : float64, weighted only
    Edge weights and each node's total out-weight.

Sampling follows the numba engine exactly (see its module docstring):

* first-order step: a uniform slot of the row (Lemire's multiply-shift on a
  32-bit draw), then the alias coin on weighted graphs;
* node2vec step: rejection sampling (KnightKing): propose ``x`` from the
  first-order law, accept with probability ``alpha(t, x) / envelope``, with
  the excess of a dominant ``1/p`` on the return edge handled as an
  always-accepted "outlier" region.  Each round proposes once for every
  walker still rejected; after :data:`_MAX_ROUNDS` rounds, the few walkers
  left draw from their exact row distribution (computed for just those
  rows), so the result is exact for any ``p``, ``q``.

Random numbers come from one :class:`torch.Generator` on the device, seeded
from the walk seed: walks are reproducible for a given seed, device, torch
version and chunking, and equal in distribution (not bit for bit) to the
numba engine's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from skgraphemb._optional import import_optional

if TYPE_CHECKING:  # pragma: no cover
    import torch

# Rejection rounds before the still-rejected walkers switch to an exact draw.
# Each round is a handful of kernel launches over the pending walkers; with
# acceptance rate a, a share (1 - a)**8 is left (under 0.4% for a = 0.5),
# so the exact fallback touches few rows except for extreme p, q, where
# acceptance is rare and the exact draw is the cheaper method anyway.
_MAX_ROUNDS = 8

# The exact fallback materialises the rows of the walkers it serves; it
# processes them in groups of at most this many row entries, which bounds
# its temporary memory (about 40 bytes per entry) whatever the degrees.
_EXACT_BATCH_ENTRIES = 1 << 22

_TWO32 = 1 << 32

_CALLER = "the torch walk engine"


def _take(a: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``a[index]`` for an int64 index tensor: ``index_select`` is the same
    gather, about 3x faster than advanced indexing on the CPU."""
    return a.index_select(0, index)


def _to_device(a: NDArray, dtype, device) -> torch.Tensor:
    """A device tensor copy of ``a`` (the graph's arrays are read-only,
    which torch refuses to wrap without a copy)."""
    torch = import_optional("torch", _CALLER)
    return torch.from_numpy(np.array(a, dtype=dtype, copy=True)).to(device)


class TorchWalker:
    """Device copies of one graph's CSR arrays, and the walk steps on them.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_nodes + 1,)
    indices : ndarray of int32, shape (nnz,)
        Sorted, unique within each row.
    weights : ndarray of float64, shape (nnz,) or (0,)
        Positive weights; empty for an unweighted walk.
    alias_prob, alias_node, strength : ndarray
        The numba engine's alias tables and node strengths (empty when
        unweighted).
    directed : bool
        Whether the graph is directed.
    p, q : float
        node2vec return and in-out parameters.
    device : str or torch.device
        ``"cpu"`` or ``"cuda:N"``.
    seed : int
        Seeds the walker's :class:`torch.Generator`.
    """

    def __init__(
        self,
        indptr: NDArray[np.int64],
        indices: NDArray[np.int32],
        weights: NDArray[np.float64],
        alias_prob: NDArray[np.float64],
        alias_node: NDArray[np.int32],
        strength: NDArray[np.float64],
        directed: bool,
        p: float,
        q: float,
        device,
        seed: int,
    ) -> None:
        torch = import_optional("torch", _CALLER)
        self.torch = torch
        self.device = dev = torch.device(device)
        n = indptr.shape[0] - 1
        self.n_nodes = n
        self.indptr = _to_device(indptr, np.int64, dev)
        self.indices = _to_device(indices, np.int64, dev)
        self.deg = self.indptr[1:] - self.indptr[:-1]
        rows = torch.repeat_interleave(torch.arange(n, device=dev, dtype=torch.int64), self.deg)
        self.keys = rows * n + self.indices
        del rows
        self.weighted = weights.shape[0] > 0
        if self.weighted:
            self.weights = _to_device(weights, np.float64, dev)
            self.alias_prob = _to_device(alias_prob, np.float64, dev)
            self.alias_node = _to_device(alias_node, np.int64, dev)
            self.strength = _to_device(strength, np.float64, dev)
        else:
            self.strength = self.deg.to(torch.float64)
        self.directed = bool(directed)
        self.inv_p = 1.0 / float(p)
        self.inv_q = 1.0 / float(q)
        self.second_order = not (p == 1.0 and q == 1.0)
        self.seed = int(seed) & 0x7FFFFFFFFFFFFFFF
        self.generator = torch.Generator(device=dev)
        self.reset()

    def reset(self) -> None:
        """Re-seed the generator: the next walks repeat those of a fresh walker."""
        self.generator.manual_seed(self.seed)

    # -- random numbers -------------------------------------------------------
    def _uniform(self, m: int) -> torch.Tensor:
        """``m`` float64 uniforms in [0, 1)."""
        return self.torch.rand(m, dtype=self.torch.float64, device=self.device, generator=self.generator)

    def _below(self, bound: torch.Tensor) -> torch.Tensor:
        """One uniform integer in ``[0, bound[i])`` per entry (``bound >= 1``).

        Lemire's multiply-shift on a 32-bit draw, as the numba engine:
        ``(r * bound) >> 32`` with bias at most ``bound / 2**32``.  The
        product stays below 2**63 for any ``bound < 2**31``.
        """
        r = self.torch.randint(
            0, _TWO32, bound.shape, dtype=self.torch.int64, device=self.device, generator=self.generator
        )
        return (r * bound) >> 32

    # -- adjacency --------------------------------------------------------------
    def edge_position(self, u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Position in ``indices`` of each edge ``u[i] -> x[i]``, or -1 if absent."""
        torch = self.torch
        key = u * self.n_nodes + x
        pos = torch.searchsorted(self.keys, key)
        found = pos < self.keys.shape[0]
        pos = torch.where(found, pos, torch.zeros_like(pos))
        found &= _take(self.keys, pos) == key
        return torch.where(found, pos, torch.full_like(pos, -1))

    def _bias(self, t: torch.Tensor, x: torch.Tensor, cap: float) -> torch.Tensor:
        """node2vec bias ``alpha(t, x)``: ``min(1/p, cap)`` if ``x == t``, 1 if
        the out-edge ``t -> x`` exists, ``1/q`` otherwise (as PecanPy and the
        numba engine do on directed graphs)."""
        torch = self.torch
        linked = self.edge_position(t, x) >= 0
        # float64 throughout: torch.where on two Python scalars would give
        # float32 and round 1/q.
        alpha = torch.full(x.shape, self.inv_q, dtype=torch.float64, device=self.device)
        alpha[linked] = 1.0
        alpha[x == t] = min(self.inv_p, cap)
        return alpha

    # -- steps ----------------------------------------------------------------
    def first_order_step(self, v: torch.Tensor) -> torch.Tensor:
        """Next node of each walker at ``v``, drawn proportionally to edge weight.

        Every ``v`` must have an out-edge.
        """
        torch = self.torch
        j = _take(self.indptr, v) + self._below(_take(self.deg, v))
        if not self.weighted:
            return _take(self.indices, j)
        keep = self._uniform(v.shape[0]) < _take(self.alias_prob, j)
        return torch.where(keep, _take(self.indices, j), _take(self.alias_node, j))

    def node2vec_step(self, t: torch.Tensor, v: torch.Tensor, max_rounds: int | None = _MAX_ROUNDS) -> torch.Tensor:
        """One exact node2vec step ``t -> v -> x`` for every walker.

        Parameters
        ----------
        t, v : Tensor of int64, shape (m,)
            Previous and current nodes; ``t -> v`` is an edge and every ``v``
            has an out-edge.
        max_rounds : int or None, default=_MAX_ROUNDS
            Rejection rounds before the remaining walkers draw exactly;
            ``None`` loops until every walker has accepted (pure rejection
            sampling, for tests).

        Returns
        -------
        x : Tensor of int64, shape (m,)
        """
        torch = self.torch
        m = v.shape[0]
        inv_p, inv_q = self.inv_p, self.inv_q
        rest_max = max(1.0, inv_q)
        envelope = max(inv_p, rest_max)
        # When 1/p dominates, the envelope is max(1, 1/q) and the excess mass
        # of the return edge, w(v, t) * (1/p - envelope), is a region each
        # trial hits first with probability outlier / (body + outlier); hits
        # are always accepted (KnightKing).  Without it, small p would reject
        # most proposals.
        outlier_share = None
        if inv_p > rest_max:
            envelope = rest_max
            if not self.directed and not self.weighted:
                w_vt = torch.ones(m, dtype=torch.float64, device=self.device)
            else:
                j = self.edge_position(v, t)
                if self.weighted:
                    w_vt = torch.where(j >= 0, _take(self.weights, j.clamp(min=0)), 0.0)
                else:
                    w_vt = (j >= 0).to(torch.float64)
            outlier = w_vt * (inv_p - rest_max)
            outlier_share = outlier / (_take(self.strength, v) * envelope + outlier)
        # A uniform u * envelope below this accepts whatever x is.
        sure = min(min(inv_p, envelope), min(1.0, inv_q))

        result = torch.empty(m, dtype=torch.int64, device=self.device)
        pending = torch.arange(m, device=self.device)
        rounds = 0
        while pending.numel() and (max_rounds is None or rounds < max_rounds):
            rounds += 1
            tp, vp = _take(t, pending), _take(v, pending)
            x = self.first_order_step(vp)
            u = self._uniform(pending.numel()) * envelope
            accept = u < sure
            if outlier_share is not None:
                hit = self._uniform(pending.numel()) < _take(outlier_share, pending)
                x = torch.where(hit, tp, x)
                accept |= hit
            test = (~accept).nonzero().squeeze(1)
            if test.numel():
                alpha = self._bias(_take(tp, test), _take(x, test), envelope)
                accept[test] = _take(u, test) < alpha
            result[pending[accept]] = x[accept]
            pending = pending[~accept]
        if pending.numel():
            result[pending] = self.node2vec_exact_step(t[pending], v[pending])
        return result

    def node2vec_exact_step(self, t: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Draw ``t -> v -> x`` from each walker's exact row distribution.

        The rows of the walkers' ``v`` are laid end to end, every entry's
        unnormalised probability ``w(v, x) * alpha(t, x)`` is computed, and
        one inverse-CDF draw (a ``searchsorted`` on the running sums) picks
        each walker's entry.  O(sum of the rows' degrees); processed in
        groups of at most :data:`_EXACT_BATCH_ENTRIES` entries.
        """
        torch = self.torch
        out = torch.empty_like(v)
        lens = _take(self.deg, v)
        ends = torch.cumsum(lens, 0)
        total = int(ends[-1]) if ends.numel() else 0
        if total <= _EXACT_BATCH_ENTRIES:
            groups = [(0, v.shape[0])]
        else:
            # Walker boundaries at multiples of the batch size (a single
            # walker whose row is larger than a batch forms its own group).
            cuts = torch.searchsorted(
                ends, torch.arange(_EXACT_BATCH_ENTRIES, total, _EXACT_BATCH_ENTRIES, device=self.device)
            )
            bounds = sorted({0, v.shape[0], *(int(c) + 1 for c in cuts.tolist())})
            groups = [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if a < b]
        for a, b in groups:
            out[a:b] = self._exact_group(t[a:b], v[a:b], lens[a:b])
        return out

    def _exact_group(self, t: torch.Tensor, v: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        torch = self.torch
        s = v.shape[0]
        owner = torch.repeat_interleave(torch.arange(s, device=self.device), lens)
        seg_end = torch.cumsum(lens, 0)
        seg_start = seg_end - lens
        entry = _take(_take(self.indptr, v), owner) + (
            torch.arange(owner.shape[0], device=self.device) - _take(seg_start, owner)
        )
        xs = _take(self.indices, entry)
        mass = self._bias(_take(t, owner), xs, self.inv_p)
        if self.weighted:
            mass = mass * _take(self.weights, entry)
        cum = torch.cumsum(mass, 0)
        before = torch.where(seg_start > 0, cum[(seg_start - 1).clamp(min=0)], 0.0)
        row_total = cum[seg_end - 1] - before
        target = before + self._uniform(s) * row_total
        j = torch.searchsorted(cum, target, right=True)
        # Rounding can put the target at the very top of a row's interval.
        j = torch.minimum(torch.maximum(j, seg_start), seg_end - 1)
        return xs[j]

    # -- whole walks ------------------------------------------------------------
    def walk(self, starts: NDArray[np.int32], walk_length: int) -> NDArray[np.int32]:
        """Walks from ``starts``, all advancing together.

        Returns
        -------
        walks : ndarray of int32, shape (len(starts), walk_length)
            Node positions; a walk that reaches a node without out-edges
            stops there and the rest of its row is -1 (the numba engine's
            layout).
        """
        torch = self.torch
        m = starts.shape[0]
        out = torch.full((m, walk_length), -1, dtype=torch.int32, device=self.device)
        cur = _to_device(starts, np.int64, self.device)
        out[:, 0] = cur.to(torch.int32)
        rows = torch.arange(m, device=self.device)
        prev = None
        for k in range(1, walk_length):
            alive = _take(self.deg, cur) > 0
            if not bool(alive.all()):
                rows, cur = rows[alive], cur[alive]
                prev = None if prev is None else prev[alive]
                if rows.numel() == 0:
                    break
            if self.second_order and prev is not None:
                nxt = self.node2vec_step(prev, cur)
            else:
                nxt = self.first_order_step(cur)
            out[rows, k] = nxt.to(torch.int32)
            prev, cur = cur, nxt
        return out.cpu().numpy()
