"""GraphSAGE: inductive node embeddings from PyTorch Geometric's layers.

The estimator (:class:`GraphSAGEEmbedder`), its torch model and training
loop (``_torch_kernels``), the numba neighbour sampler that stands in for
PyG's loaders (``_sampler_kernels``) and the structural node features used
when a graph has none (``_structural_kernels``).
"""

from skgraphemb.graphsage._estimator import GraphSAGEEmbedder

GraphSAGEEmbedder.__module__ = __name__  # its public home (pickles, export metadata)

__all__ = ["GraphSAGEEmbedder"]
