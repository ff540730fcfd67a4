"""Skip-gram with negative sampling as batched tensor operations.

The torch counterpart of :mod:`skgraphemb.skipgram._sgns`: the same
model (gensim's ``sg=1, hs=0`` with the negatives of a centre shared by its
whole window, Ji et al. 2016) and the same plain SGD updates, but many
centres at once: a batch of ``B`` centres with windows of ``2b`` contexts
gives ``(B, 2b, d)`` context input rows ``X`` and ``(B, K + 1, d)`` output
rows ``Y`` (the centre and its ``K`` negatives), one batched product
``G = X Y^T`` of logits, and the two gradients ``g Y`` and ``g^T X`` as two
more batched products; the updates are scattered back by
:func:`scatter_add`, which sums the contributions of a node that occurs
several times in the batch (as the native kernel sums them within a
window), in a fixed order on a GPU too.  Updates within a batch are
computed from the vectors before the batch (a minibatch), where the numba
kernel updates window by window.

Centres are grouped by their reduced window ``b`` (drawn uniformly from
``1 .. window`` as in word2vec), so a group's contexts fill a dense
``(n, 2b)`` block with padding only at the walk ends, instead of ``2 *
window`` slots of which half would be empty on average.

Only tensor code lives here -- functions of tensors, and
:class:`SkipgramTrainer`, which holds one run's tensors; the driver
:func:`skgraphemb.skipgram._torch.train_skipgram_torch` owns the vocabulary
statistics, the learning-rate schedule's parameters, chunking and progress,
and touches no torch.  torch is
imported inside the functions (through
:func:`~skgraphemb._optional.import_optional`), so importing this module
needs no torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from skgraphemb._optional import import_optional

if TYPE_CHECKING:  # pragma: no cover
    import torch

_TWO32 = 1 << 32

_CALLER = "the torch skip-gram trainer"


def uniform_u32(shape, generator, device) -> torch.Tensor:
    """Uniform integers in ``[0, 2**32)`` as int64 (32-bit thresholds below)."""
    torch = import_optional("torch", _CALLER)

    return torch.randint(0, _TWO32, shape, dtype=torch.int64, device=device, generator=generator)


def subsample(walks: torch.Tensor, keep: torch.Tensor, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Frequent-token subsampling, then each walk's kept tokens moved to its front.

    Parameters
    ----------
    walks : Tensor of int64, shape (R, L)
        Node positions, ``-1`` after a walk ends.
    keep : Tensor of int64, shape (n_nodes,)
        A token of node ``v`` is kept when a 32-bit uniform draw is below
        ``keep[v]`` (gensim's ``sample_int``; ``2**32`` keeps always).

    Returns
    -------
    sentences : Tensor of int64, shape (R, L)
        Kept tokens of each walk in their order, ``-1`` after them: dropping
        a token brings its neighbours closer, as in word2vec.
    lengths : Tensor of int64, shape (R,)
    """
    torch = import_optional("torch", _CALLER)

    # The first -1 ends a walk: tokens after it do not count.
    valid = torch.cumsum((walks < 0).to(torch.int32), dim=1) == 0
    draw = uniform_u32(walks.shape, generator, walks.device)
    kept = valid & (draw < keep[walks.clamp(min=0)])
    lengths = kept.sum(dim=1)
    slot = torch.cumsum(kept, dim=1) - 1
    sentences = torch.full_like(walks, -1)
    rows = torch.arange(walks.shape[0], device=walks.device).unsqueeze(1).expand_as(walks)
    sentences[rows[kept], slot[kept]] = walks[kept]
    return sentences, lengths


def window_groups(
    sentences: torch.Tensor, lengths: torch.Tensor, window: int, generator
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Every centre token with its context window, grouped by window size.

    Each centre at position ``i`` of its sentence draws ``b`` uniformly from
    ``1 .. window`` (word2vec's reduced window); its contexts are the tokens
    at positions ``i - b .. i + b`` other than ``i`` that lie inside the
    sentence.  A ``b`` of ``L - 1`` or more (``L`` the sentences' width)
    spans every sentence, and such centres form one group of ``b = L - 1``:
    a window far wider than the walks takes ``L - 1`` groups, not
    ``window``.

    Yields
    ------
    centres : Tensor of int64, shape (n,)
        Node of each centre of the group, in sentence order.
    contexts : Tensor of int64, shape (n, 2 * b)
        Context nodes; 0 where ``mask`` is False.
    mask : Tensor of bool, shape (n, 2 * b)
        Which context slots exist (False past a sentence end).
    order : Tensor of int64, shape (n,)
        Rank of each centre among all centres of the chunk (row-major), for
        the learning-rate schedule.
    """
    torch = import_optional("torch", _CALLER)

    device = sentences.device
    R, L = sentences.shape
    token = torch.arange(L, device=device).unsqueeze(0) < lengths.unsqueeze(1)
    rows, cols = token.nonzero(as_tuple=True)
    n = rows.shape[0]
    if n == 0:
        return
    b = window - (uniform_u32((n,), generator, device) * window >> 32)
    top = max(1, min(window, L - 1))
    b = b.clamp(max=top)
    rank = torch.arange(n, device=device)
    for size in range(1, top + 1):
        pick = (b == size).nonzero().squeeze(1)
        if pick.numel() == 0:
            continue
        r, c = rows[pick], cols[pick]
        offsets = torch.cat([torch.arange(-size, 0, device=device), torch.arange(1, size + 1, device=device)])
        pos = c.unsqueeze(1) + offsets
        mask = (pos >= 0) & (pos < lengths[r].unsqueeze(1))
        ctx = sentences[r.unsqueeze(1).expand_as(pos), pos.clamp(0, L - 1)]
        ctx = torch.where(mask, ctx, torch.zeros_like(ctx))
        yield sentences[r, c], ctx, mask, rank[pick]


def draw_negatives(n: int, negative: int, threshold: torch.Tensor, alias: torch.Tensor, generator) -> torch.Tensor:
    """``(n, negative)`` draws from an alias table (O(1) each).

    ``threshold`` (int64, ``<= 2**32``) and ``alias`` (int64) are the numba
    trainer's :func:`~skgraphemb.skipgram._sgns.alias_table` of
    the unigram^0.75 distribution: slot ``s`` is uniform, kept when a 32-bit
    draw is below ``threshold[s]``, else replaced by ``alias[s]``.
    """
    torch = import_optional("torch", _CALLER)

    device = threshold.device
    slot = uniform_u32((n, negative), generator, device) * threshold.shape[0] >> 32
    coin = uniform_u32((n, negative), generator, device)
    return torch.where(coin < threshold[slot], slot, alias[slot])


def sgns_update(
    syn0: torch.Tensor,
    syn1: torch.Tensor,
    contexts: torch.Tensor,
    mask: torch.Tensor,
    targets: torch.Tensor,
    live: torch.Tensor,
    lr: torch.Tensor | float,
    cap: float | None = None,
    counts: torch.Tensor | None = None,
    deterministic: bool = True,
) -> torch.Tensor:
    """One SGD step of skip-gram with negative sampling on a batch of windows.

    For centre ``i``, context slot ``j`` and target ``k`` (``k = 0`` the
    centre's own output vector, label 1; ``k > 0`` a negative, label 0) the
    loss is ``-log sigmoid(s * x_ij . y_ik)`` with ``s = +1`` for the label 1
    and ``-1`` for 0.  Both vectors move by ``lr`` times the negative
    gradient, computed from the values before this step.

    Parameters
    ----------
    syn0, syn1 : Tensor of float32, shape (n_nodes, d)
        Input and output vectors, updated in place.
    contexts : Tensor of int64, shape (B, C)
        Context nodes of each centre.
    mask : Tensor of bool, shape (B, C)
        Which context slots are real.
    targets : Tensor of int64, shape (B, K + 1)
        The centre, then its ``K`` negatives.
    live : Tensor of bool, shape (B, K + 1)
        False for a negative equal to its centre, which (as in gensim) is
        skipped: no loss, no gradient.
    lr : float or 0-d / (B,) Tensor
        Learning rate(s).
    cap : float, default=None
        Largest number of (context, target) pair updates a row may receive
        in full from one batch: a row that takes part in ``n > cap`` pairs
        (as a context: one per live target of its window; as a target: one
        per context of its window) gets its summed update scaled by
        ``cap / n``.  ``None`` sums every update.
    counts : Tensor of float32, shape (n_nodes,)
        Zeroed scratch for the counts (needed with ``cap``; zero again on
        return).
    deterministic : bool, default=True
        Sum a row's updates in the same order on every run (see
        :func:`scatter_add`); ``False`` lets a GPU sum them with atomic
        additions, faster, in an order that varies from run to run.

    Returns
    -------
    loss : Tensor, 0-d float32
        Sum of the losses of the batch (before the step).
    """
    torch = import_optional("torch", _CALLER)

    d = syn0.shape[1]
    # index_select: the same gather as syn0[contexts], 2-3x faster on CPU.
    X = syn0.index_select(0, contexts.reshape(-1)).view(*contexts.shape, d)  # (B, C, d)
    Y = syn1.index_select(0, targets.reshape(-1)).view(*targets.shape, d)  # (B, K + 1, d)
    logits = torch.bmm(X, Y.transpose(1, 2))  # (B, C, K + 1)
    labels = torch.zeros_like(logits[0, 0])
    labels[0] = 1.0
    weight = (mask.unsqueeze(2) & live.unsqueeze(1)).to(logits.dtype)
    # sigmoid(G) - label is the loss gradient by G; -log sigmoid(+-G) the loss.
    sign = 2.0 * labels - 1.0
    loss = -(torch.nn.functional.logsigmoid(sign * logits) * weight).sum()
    lr = torch.as_tensor(lr, dtype=logits.dtype, device=logits.device)
    if lr.ndim == 1:
        lr = lr.view(-1, 1, 1)
    g = (labels - torch.sigmoid(logits)) * weight * lr
    d_in = torch.bmm(g, Y)  # (B, C, d), from Y before the step
    d_out = torch.bmm(g.transpose(1, 2), X)  # (B, K + 1, d), from X before the step
    if cap is None:
        scatter_add(syn0, contexts.reshape(-1), d_in.reshape(-1, d), deterministic)
        scatter_add(syn1, targets.reshape(-1), d_out.reshape(-1, d), deterministic)
        return loss
    # Pairs each slot takes part in: a context slot one per live target, a
    # target slot one per real context of its window.
    in_pairs = mask.to(counts.dtype) * live.sum(dim=1, keepdim=True).to(counts.dtype)
    out_pairs = live.to(counts.dtype) * mask.sum(dim=1, keepdim=True).to(counts.dtype)
    _scatter_capped(syn0, contexts.reshape(-1), d_in.reshape(-1, d), in_pairs.reshape(-1), cap, counts, deterministic)
    _scatter_capped(syn1, targets.reshape(-1), d_out.reshape(-1, d), out_pairs.reshape(-1), cap, counts, deterministic)
    return loss


def scatter_add(table: torch.Tensor, rows: torch.Tensor, updates: torch.Tensor, deterministic: bool = True) -> None:
    """``table[rows] += updates`` in place, the updates of a repeated row summed.

    On the CPU, :meth:`~torch.Tensor.index_add_` sums a row's updates in
    index order on any number of threads.  On a GPU it adds them with
    atomic operations in whatever order the threads arrive, so float sums
    differ in the last bits from run to run, and training drifts apart.
    With ``deterministic`` a GPU uses ``index_put_(accumulate=True)``
    instead: torch sorts the rows (a stable radix sort) and sums each row's
    updates in that fixed order, the same on every run.
    """
    if deterministic and table.device.type != "cpu":
        table.index_put_((rows,), updates, accumulate=True)
    else:
        table.index_add_(0, rows, updates)


def _scatter_capped(table, rows, updates, pairs, cap, counts, deterministic: bool = True) -> None:
    """``table[rows] += updates``, summing repeated rows, except that a row
    taking part in ``n > cap`` pairs in all gets ``cap / n`` of its sum.

    Summed stale updates are what a minibatch does, and what the numba
    trainer does within one window; but a hub's output vector is drawn as
    a negative in hundreds of windows of a large batch, and thousands of
    pair updates taken from the same stale value overshoot and diverge.
    The cap bounds the step of such rows at ``cap`` pair updates' worth per
    batch.
    """
    # Whole numbers below 2**24: their float sums are exact in any order.
    counts.index_add_(0, rows, pairs)
    scale = (cap / counts.index_select(0, rows).clamp(min=1.0)).clamp(max=1.0)
    scatter_add(table, rows, updates * scale.unsqueeze(1), deterministic)
    counts.index_fill_(0, rows, 0.0)


class SkipgramTrainer:
    """The tensors of one :func:`~skgraphemb.skipgram.train_skipgram_torch` run.

    Holds the vectors, the subsampling and negative tables, the per-row
    pair counts (with ``row_cap``) and the torch generator on ``device``,
    and trains on one block of walks at a time (:meth:`train_chunk`); the
    driver only passes numpy arrays and numbers in and reads numbers and
    numpy arrays out.

    Parameters
    ----------
    vectors, output : ndarray of float32, shape (n_nodes, d)
        Initial input and output vectors (copied to ``device``).
    keep : ndarray of int64, shape (n_nodes,)
        32-bit subsampling thresholds per node.
    neg_threshold, neg_alias : ndarray of int64
        The alias table of the negative distribution.
    device : str
        ``"cpu"`` or ``"cuda:N"``.
    seed : int
        Seed of the generator every draw comes from.
    row_cap : float or None
        See :func:`sgns_update` (``cap``).
    deterministic : bool, default=True
        See :func:`sgns_update`.
    """

    def __init__(
        self, vectors, output, keep, neg_threshold, neg_alias, device: str, seed: int, row_cap, deterministic=True
    ):
        torch = self._torch = import_optional("torch", _CALLER)
        self.device = dev = torch.device(device)
        self.syn0, self.syn1 = self.on_device(vectors), self.on_device(output)
        self.keep = self.on_device(keep, np.int64)
        self.neg_threshold = self.on_device(neg_threshold, np.int64)
        self.neg_alias = self.on_device(neg_alias, np.int64)
        self.row_cap = row_cap
        self.deterministic = deterministic
        self.row_counts = torch.zeros(len(vectors), dtype=torch.float32, device=dev) if row_cap is not None else None
        self.generator = torch.Generator(device=dev)
        self.generator.manual_seed(seed)
        self.start_epoch()

    def on_device(self, a, dtype=None):
        """``a`` as a contiguous tensor (of ``dtype``) on the device."""
        return self._torch.from_numpy(np.ascontiguousarray(a, dtype=dtype)).to(self.device)

    def start_epoch(self) -> None:
        """Zero the loss and pair sums of the epoch."""
        torch = self._torch
        self.loss = torch.zeros((), device=self.device)
        self.pairs = torch.zeros((), device=self.device, dtype=torch.int64)

    def train_chunk(
        self,
        chunk,
        *,
        chunk_tokens: int,
        epoch: int,
        epochs: int,
        seen: int,
        total: int,
        alpha: float,
        min_alpha: float,
        window: int,
        negative: int,
        batch_size: int,
    ) -> bool:
        """One SGD pass over a block of walks; whether the epoch's loss is still finite.

        The learning rate of a centre decays linearly from ``alpha`` to
        ``min_alpha`` by the share of the ``epochs * total`` tokens before
        it (``seen`` tokens of earlier blocks of this epoch, and its rank
        among this block's ``chunk_tokens`` tokens).
        """
        torch = self._torch
        with torch.no_grad():
            sentences, lengths = subsample(self.on_device(chunk, np.int64), self.keep, self.generator)
            n_centres = lengths.sum().clamp(min=1)
            for centres, contexts, mask, rank in window_groups(sentences, lengths, window, self.generator):
                # Learning rate per centre, by the share of tokens before it.
                share = (epoch + (seen + rank / n_centres * chunk_tokens) / total) / epochs
                rates = (alpha - (alpha - min_alpha) * share).to(torch.float32)
                for a in range(0, centres.shape[0], batch_size):
                    c = centres[a : a + batch_size]
                    targets = torch.cat(
                        [
                            c.unsqueeze(1),
                            draw_negatives(c.shape[0], negative, self.neg_threshold, self.neg_alias, self.generator),
                        ],
                        dim=1,
                    )
                    live = targets != c.unsqueeze(1)
                    live[:, 0] = True
                    m = mask[a : a + batch_size]
                    self.loss += sgns_update(
                        self.syn0,
                        self.syn1,
                        contexts[a : a + batch_size],
                        m,
                        targets,
                        live,
                        rates[a : a + batch_size],
                        self.row_cap,
                        self.row_counts,
                        self.deterministic,
                    )
                    self.pairs += m.sum()
            # The loss sums -log sigmoid over the vectors before each step:
            # NaN or inf once any vector it touched is (one sync per block).
            return bool(torch.isfinite(self.loss))

    def vectors_within(self, limit: float) -> bool:
        """Whether every input and output value is finite and within ``+-limit``
        (NaN makes ``amax``/``amin`` NaN, which fails both comparisons)."""
        return all(bool(a.amax() <= limit) and bool(a.amin() >= -limit) for a in (self.syn0, self.syn1) if a.numel())

    def mean_loss(self) -> float:
        """The epoch's mean loss per (centre, context) pair."""
        return float(self.loss) / max(int(self.pairs), 1)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The input and output vectors as numpy arrays."""
        return self.syn0.cpu().numpy(), self.syn1.cpu().numpy()
