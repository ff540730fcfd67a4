"""Skip-gram with negative sampling (SGNS) on random walks.

Three trainers turn walks (int32 matrices of node positions, ``-1`` padded,
as :func:`skgraphemb.walks.random_walks` returns them) into node vectors:

* :func:`train_skipgram`, the project's own trainer (the default of
  :class:`~skgraphemb.Node2VecEmbedder`), in :mod:`._native` with its C
  kernels in ``_sgns.h``, bound by :mod:`._sgns` and compiled when the
  package is installed.
* :func:`train_skipgram_torch`, the same model with many centres per SGD
  step on any torch device, in :mod:`._torch` with its kernels in
  :mod:`._torch_kernels`.
* :func:`train_gensim`, gensim's :class:`~gensim.models.Word2Vec`, the
  reference implementation, in :mod:`._gensim`.

All return the *input* vectors as a float32 array whose row ``v`` belongs
to node position ``v``.  What they share (the walk source, token counts,
subsampling and negative-sampling tables, initial vectors, seeds and
divergence checks) lives in :mod:`._corpus`.
"""

from skgraphemb.skipgram._gensim import train_gensim
from skgraphemb.skipgram._native import train_skipgram
from skgraphemb.skipgram._torch import train_skipgram_torch

__all__ = ["train_gensim", "train_skipgram", "train_skipgram_torch"]
