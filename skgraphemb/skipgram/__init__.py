"""Skip-gram with negative sampling (SGNS) on random walks: the trainers."""

from skgraphemb.skipgram._corpus import train_gensim, train_skipgram, train_skipgram_torch

__all__ = ["train_gensim", "train_skipgram", "train_skipgram_torch"]
