"""The GraphSAGE network in torch: sampled forward pass and exact inference.

This module imports torch and torch_geometric when it is imported (through
:func:`~skgraphemb._optional.import_optional`, so a missing one raises the
ImportError naming the ``graphsage`` extra).  Only
:class:`~skgraphemb.GraphSAGEEmbedder`'s methods import it, never the
package's top level.  Its model class lives at module level so that a
fitted model pickles by reference (``joblib.Memory`` caches it).  All the
estimator's torch code is here -- the model, the training step
(:class:`Trainer`), seeding, inference to numpy, the model's state -- so
the estimator itself touches no torch.

Only :class:`torch_geometric.nn.SAGEConv` is used from PyG: it aggregates
with torch's native scatter, so neither pyg-lib, torch-scatter nor
torch-sparse is needed.  Mini-batches come from our own sampler
(:mod:`skgraphemb.graphsage._sampler_kernels`).

Sparse input features (bag-of-words, as in Cora) have a fast path for the
first layer of the mean aggregator: :func:`sparse_first_layer` computes the
same function as the layer's ``SAGEConv`` with its own weights, in the order
"aggregate sparse rows, then multiply by the weights".  For 1,433-wide
features with ~18 non-zeros per node, a whole training step (both layers,
forward and backward) runs 3.6 times faster than on densified features
(``benchmarks/bench_graphsage.py --sections paths``).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from skgraphemb._optional import import_optional
from skgraphemb.utils._random_state import isolated_rng

_CALLER = "GraphSAGEEmbedder"
torch = import_optional("torch", _CALLER)
SAGEConv = import_optional("torch_geometric.nn", _CALLER).SAGEConv

__all__ = [
    "AGGREGATORS",
    "NodeInput",
    "SAGEModel",
    "SparseOperand",
    "Trainer",
    "build_model",
    "embed",
    "isolated_torch_rng",
    "load_model",
    "model_device",
    "model_state",
    "sparse_first_layer",
    "sparse_matmul",
]

#: ``aggr`` option -> SAGEConv arguments.  "pool" is Hamilton et al.'s
#: pooling aggregator: max over ReLU(W x_j + b) of the neighbours.
AGGREGATORS = {
    "mean": {"aggr": "mean"},
    "max": {"aggr": "max"},
    "pool": {"aggr": "max", "project": True},
}

# Features with at most this fraction of non-zeros are kept sparse.
SPARSE_DENSITY = 0.1


def _csr_tensor(m: sp.csr_matrix, device):
    """scipy CSR -> torch sparse CSR (float32) on ``device``."""
    with warnings.catch_warnings():
        # "Sparse CSR tensor support is in beta state": CSR @ dense is all we use.
        warnings.filterwarnings("ignore", "Sparse CSR tensor support", UserWarning)
        return torch.sparse_csr_tensor(
            torch.from_numpy(m.indptr.astype(np.int64)),
            torch.from_numpy(m.indices.astype(np.int64)),
            torch.from_numpy(np.asarray(m.data, dtype=np.float32)),
            m.shape,
            # scipy built the arrays: they are valid, skip torch's O(nnz) check.
            check_invariants=False,
        ).to(device)


class SparseOperand:
    """A constant sparse matrix ``S`` and its transpose, as torch CSR tensors."""

    def __init__(self, m: sp.csr_matrix, device):
        m = sp.csr_matrix(m, dtype=np.float32)
        self.S = _csr_tensor(m, device)
        self.S_t = _csr_tensor(m.T.tocsr(), device)


class _SparseMatmul(torch.autograd.Function):
    """``S @ W`` for a constant sparse ``S`` and a dense ``W`` that needs a gradient.

    On Cora's features, the backward pass of torch's own sparse product
    (``torch.sparse.mm``) took 2-3 times its forward, and that of
    ``embedding_bag`` 40 times (one-off measurement); here the backward is
    one more sparse product, ``S^T @ grad``, as cheap as the forward.
    """

    @staticmethod
    def forward(ctx, S, S_t, W):
        ctx.S_t = S_t
        return S @ W

    @staticmethod
    def backward(ctx, grad):
        return None, None, ctx.S_t @ grad


def sparse_matmul(operand: SparseOperand, W):
    """``S @ W`` with a gradient for ``W`` only."""
    return _SparseMatmul.apply(operand.S, operand.S_t, W)


def _mean_operator(src, dst, n_src: int, n_dst: int) -> sp.csr_matrix:
    """Row-stochastic ``(n_dst, n_src)`` matrix averaging each target's sources."""
    deg = np.bincount(dst, minlength=n_dst).astype(np.float32)
    w = 1.0 / deg[dst]
    return sp.csr_matrix((w, (dst, src)), shape=(n_dst, n_src))


class NodeInput:
    """Standardised input features ``(X - mean) / scale`` of one graph.

    Held dense (a tensor on ``device``) or, when ``X`` is sparse enough,
    as the scipy CSR matrix ``X / scale`` and the offset ``c = mean / scale``
    (centring would fill in every zero; it is folded into the first layer
    instead, see :func:`sparse_first_layer`).
    """

    def __init__(self, X: np.ndarray, mean: np.ndarray, scale: np.ndarray, device, *, allow_sparse: bool):
        self.device = device
        nnz = np.count_nonzero(X)
        self.sparse = allow_sparse and nnz <= SPARSE_DENSITY * X.size
        if self.sparse:
            self.csr = sp.csr_matrix(np.asarray(X / scale, dtype=np.float32))
            self.offset = torch.from_numpy(np.asarray(mean / scale, dtype=np.float32)).to(device)
        else:
            dense = np.ascontiguousarray((X - mean) / scale, dtype=np.float32)
            self.dense = torch.from_numpy(dense).to(device)

    def rows(self, n_id: np.ndarray):
        """Dense standardised rows ``n_id`` as a tensor."""
        if self.sparse:
            block = torch.from_numpy(self.csr[n_id].toarray()).to(self.device)
            return block - self.offset
        return self.dense[torch.from_numpy(np.asarray(n_id, dtype=np.int64)).to(self.device)]

    def mean_block(self, n_id_src, n_id_dst, src, dst):
        """Arguments of :func:`sparse_first_layer` for targets ``n_id_dst``.

        ``src``/``dst`` index ``n_id_src``/``n_id_dst``.
        """
        M = _mean_operator(src, dst, len(n_id_src), len(n_id_dst))
        agg = M @ self.csr[n_id_src]
        has_nbr = torch.from_numpy(np.diff(M.indptr) > 0).to(self.device)
        return (
            SparseOperand(agg, self.device),
            SparseOperand(self.csr[n_id_dst], self.device),
            has_nbr,
            self.offset,
        )


def sparse_first_layer(conv, agg, x_dst, has_nbr, offset):
    """``conv`` (a mean ``SAGEConv``) applied to sparse, uncentred inputs.

    With ``x~ = X / scale`` and ``c = mean / scale``, the layer's input is
    ``x~ - c``, and SAGEConv computes
    ``W_l mean_j (x~_j - c) + b_l + W_r (x~_i - c)``, where the mean over no
    neighbours is 0.  That equals
    ``W_l (mean_j x~_j) - [deg_i > 0] W_l c + b_l + W_r x~_i - W_r c``,
    in which both products have a sparse left factor.

    Parameters
    ----------
    conv : SAGEConv
        A layer with ``aggr="mean"`` and ``root_weight=True``.
    agg : SparseOperand of shape (n_dst, in_channels)
        ``mean_j x~_j`` of each target (zero rows for no neighbours).
    x_dst : SparseOperand of shape (n_dst, in_channels)
        The targets' own ``x~``.
    has_nbr : bool Tensor of shape (n_dst,)
    offset : Tensor of shape (in_channels,)
        ``c``.
    """
    W_l, b_l = conv.lin_l.weight, conv.lin_l.bias
    W_r = conv.lin_r.weight
    out = sparse_matmul(agg, W_l.t()) + sparse_matmul(x_dst, W_r.t())
    shift_l = W_l @ offset
    out = out - has_nbr.unsqueeze(1).to(out.dtype) * shift_l - W_r @ offset
    return out + b_l if b_l is not None else out


class SAGEModel(torch.nn.Module):
    """``num_layers`` SAGEConv layers with ReLU and dropout between them.

    Parameters
    ----------
    in_channels, hidden_channels, out_channels : int
        Input feature width, width of the hidden layers, output width.
    num_layers : int
        Number of SAGEConv layers (the receptive field in hops).
    aggr : {"mean", "max", "pool"}
        Neighbour aggregator (see :data:`AGGREGATORS`).
    dropout : float
        Dropout rate after each hidden layer (training only).
    normalize : bool
        L2-normalise the output vectors.
    """

    def __init__(self, in_channels, hidden_channels, out_channels, num_layers, aggr, dropout, normalize):
        super().__init__()
        self.config = dict(
            in_channels=int(in_channels),
            hidden_channels=int(hidden_channels),
            out_channels=int(out_channels),
            num_layers=int(num_layers),
            aggr=str(aggr),
            dropout=float(dropout),
            normalize=bool(normalize),
        )
        dims = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = torch.nn.ModuleList(SAGEConv(dims[i], dims[i + 1], **AGGREGATORS[aggr]) for i in range(num_layers))

    @property
    def takes_sparse(self) -> bool:
        """Whether the first layer has the sparse fast path (mean aggregator)."""
        return self.config["aggr"] == "mean"

    def _adjacency(self, src: np.ndarray, dst: np.ndarray, n_src: int, n_dst: int, device):
        """What SAGEConv aggregates along: sparse adjacency or ``edge_index``.

        For the mean aggregator, a ``(n_dst, n_src)`` torch CSR matrix: PyG
        then aggregates by one sparse-dense product (2-3 times faster, forward
        and backward, than gathering a message per edge and scattering it
        back).  torch has no sparse max-reduction on CUDA, so "max" and
        "pool" take the ``edge_index`` path.
        """
        if self.config["aggr"] != "mean":
            return torch.from_numpy(np.stack([src, dst]).astype(np.int64)).to(device)
        ones = np.ones(len(src), dtype=np.float32)
        return _csr_tensor(sp.csr_matrix((ones, (dst, src)), shape=(n_dst, n_src)), device)

    def _between(self, i: int, h):
        """ReLU and dropout after every layer but the last; the last may normalise."""
        if i < len(self.convs) - 1:
            h = torch.relu(h)
            return torch.nn.functional.dropout(h, p=self.config["dropout"], training=self.training)
        if self.config["normalize"]:
            h = torch.nn.functional.normalize(h, p=2.0, dim=-1)
        return h

    def forward(self, inputs: NodeInput, n_id: np.ndarray, edge_index: np.ndarray, layer_sizes):
        """Representations of the seeds of a sampled subgraph.

        Parameters
        ----------
        inputs : NodeInput
            The whole graph's input features.
        n_id : ndarray of shape (n_sampled,)
            The subgraph's nodes (graph positions, seeds first).
        edge_index : ndarray of shape (2, n_edges)
            The subgraph's edges, positions in ``n_id`` (hop-grouped).
        layer_sizes : list of (n_src, n_dst, n_edges)
            Per layer, the prefixes of nodes and edges it works on
            (:func:`~skgraphemb.graphsage._sampler_kernels.layer_sizes`).

        Returns
        -------
        Tensor of shape (n_seeds, out_channels)
        """
        n_src, n_dst, n_e = layer_sizes[0]
        if inputs.sparse and self.takes_sparse:
            block = inputs.mean_block(n_id[:n_src], n_id[:n_dst], edge_index[0, :n_e], edge_index[1, :n_e])
            h = sparse_first_layer(self.convs[0], *block)
        else:
            x = inputs.rows(n_id[:n_src])
            adj = self._adjacency(edge_index[0, :n_e], edge_index[1, :n_e], n_src, n_dst, x.device)
            h = self.convs[0]((x, x[:n_dst]), adj)
        h = self._between(0, h)
        for i in range(1, len(self.convs)):
            n_src, n_dst, n_e = layer_sizes[i]
            adj = self._adjacency(edge_index[0, :n_e], edge_index[1, :n_e], n_src, n_dst, h.device)
            h = self.convs[i]((h[:n_src], h[:n_dst]), adj)
            h = self._between(i, h)
        return h

    @torch.no_grad()
    def inference(self, inputs: NodeInput, indptr: np.ndarray, indices: np.ndarray, batch_size: int):
        """Exact representations of every node, layer by layer.

        Each layer is computed for all nodes from *all* their neighbours
        (no sampling), in batches of ``batch_size`` target nodes, so the
        result is deterministic and memory stays at two ``(n_nodes, width)``
        matrices plus one batch's edges.  The result is on ``inputs.device``.
        """
        was_training = self.training
        self.eval()
        n = len(indptr) - 1
        deg = np.diff(indptr)
        h = None
        for i, conv in enumerate(self.convs):
            out = None
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                nbr = np.asarray(indices[indptr[start] : indptr[stop]], dtype=np.int64)
                # Gather each distinct source once: the "pool" aggregator
                # projects its sources, and projecting all n rows per batch
                # would cost O(n) per batch.
                src, local = np.unique(nbr, return_inverse=True)
                local = local.ravel()
                dst = np.repeat(np.arange(stop - start, dtype=np.int64), deg[start:stop])
                targets = np.arange(start, stop)
                if i == 0 and inputs.sparse and self.takes_sparse:
                    o = sparse_first_layer(conv, *inputs.mean_block(src, targets, local, dst))
                else:
                    if i == 0:
                        x_src, x_dst = inputs.rows(src), inputs.rows(targets)
                    else:
                        x_src = h[torch.from_numpy(src).to(h.device)]
                        x_dst = h[start:stop]
                    adj = self._adjacency(local, dst, len(src), stop - start, x_src.device)
                    o = conv((x_src, x_dst), adj)
                o = self._between(i, o)
                if out is None:
                    out = torch.empty((n, o.shape[1]), dtype=o.dtype, device=o.device)
                out[start:stop] = o
            h = out
        self.train(was_training)
        return h


# -- what the estimator calls: numpy arrays and device strings in and out ------
def isolated_torch_rng(device: str, seed: int):
    """Seed torch with ``seed`` for a block on ``device``, then restore the caller's torch RNG state."""
    return isolated_rng(torch, torch.device(device), seed)


def build_model(in_channels, hidden_channels, out_channels, num_layers, aggr, dropout, normalize, device: str):
    """A new :class:`SAGEModel` (initialised from torch's global RNG) on ``device``."""
    model = SAGEModel(in_channels, hidden_channels, out_channels, num_layers, aggr, dropout, normalize)
    return model.to(torch.device(device))


def model_device(model) -> str:
    """The device a model's parameters are on, as ``"cpu"`` or ``"cuda:N"``."""
    return str(next(model.parameters()).device)


def model_state(model) -> dict:
    """What :func:`load_model` rebuilds ``model`` from: its weights and configuration."""
    return {"model": model.state_dict(), "config": dict(model.config)}


def load_model(state: dict, device):
    """The :class:`SAGEModel` of :func:`model_state`'s ``state`` on ``device``, in eval mode."""
    model = SAGEModel(**state["config"])
    model.load_state_dict(state["model"])
    return model.to(device).eval()


def embed(model, inputs: NodeInput, indptr: np.ndarray, indices: np.ndarray, batch_size: int) -> np.ndarray:
    """:meth:`SAGEModel.inference` of every node of a CSR graph, as a numpy array."""
    return model.inference(inputs, indptr, indices, batch_size).cpu().numpy()


class Trainer:
    """Adam on GraphSAGE's unsupervised loss, one mini-batch at a time.

    The loss of a batch of ``m`` positive pairs ``(u, v)`` with ``k``
    negatives ``n`` each is
    ``-mean log sigmoid(z_u . z_v) - mean sum_n log sigmoid(-z_u . z_n)``.
    Puts ``model`` in training mode; :meth:`finish` puts it back in eval
    mode.
    """

    def __init__(self, model: SAGEModel, learning_rate: float):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=float(learning_rate))
        model.train()

    def step(self, inputs: NodeInput, n_id, edge_index, sizes, inverse: np.ndarray, m: int, k: int) -> float:
        """One Adam step on a sampled batch; returns the batch's loss.

        ``n_id``, ``edge_index`` and ``sizes`` describe the sampled subgraph
        of the batch's distinct seeds (see :meth:`SAGEModel.forward`);
        ``inverse`` maps the ``m`` anchors, then the ``m`` contexts, then
        the ``m * k`` negatives (pair by pair) to rows of those seeds.
        """
        F = torch.nn.functional
        z = self.model(inputs, n_id, edge_index, sizes)
        rows = torch.from_numpy(inverse.ravel()).to(z.device)
        z_u, z_v = z[rows[:m]], z[rows[m : 2 * m]]
        z_n = z[rows[2 * m :]].view(m, k, -1)
        pos = (z_u * z_v).sum(-1)
        negs = torch.bmm(z_n, z_u.unsqueeze(-1)).squeeze(-1)
        loss = -F.logsigmoid(pos).mean() - F.logsigmoid(-negs).sum(-1).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def finish(self) -> None:
        """Training is over: eval mode."""
        self.model.eval()
