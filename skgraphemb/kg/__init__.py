"""Knowledge-graph embeddings: :class:`KGEmbedder`, PyKEEN's models as a scikit-learn estimator.

The estimator lives in :mod:`._estimator`; the reading of (head, relation,
tail) labels in :mod:`._labels`, what it needs around PyKEEN (imports,
resolvers, isolation of global state) in :mod:`._pykeen_compat`, and all its
torch code (tensors, scoring, the raw-rank fix, RNG isolation) in
:mod:`._torch_kernels`.  PyKEEN and torch are imported only when a method
needs them.
"""

from skgraphemb.kg._estimator import KGEmbedder

# The public path (skgraphemb.kg), not the private module: what pickles and the export
# metadata ("estimator") record, and where the doctests are collected.
KGEmbedder.__module__ = __name__

__all__ = ["KGEmbedder"]
