"""Spectral embedders: ProNE, FastRP, and spectral propagation around any embedder.

The estimators share the float32 sparse products of :mod:`._operators`
(the graph's own CSR arrays, no dense ``n x n`` matrix, column blocks).
"""

from skgraphemb.spectral.fastrp import FastRPEmbedder
from skgraphemb.spectral.prone import ProNEEmbedder
from skgraphemb.spectral.propagation import SpectralPropagation

__all__ = ["FastRPEmbedder", "ProNEEmbedder", "SpectralPropagation"]
