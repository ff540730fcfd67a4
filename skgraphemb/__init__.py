"""skgraphemb: graph embeddings as scikit-learn estimators.

Public names are resolved lazily (PEP 562), so ``import skgraphemb`` is fast
and imports neither numba, gensim nor any optional dependency (torch,
torch_geometric, pykeen, redis, pecanpy).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from skgraphemb._kernels._numba_cache import ensure_cache_location
from skgraphemb._version import __version__

ensure_cache_location()  # before any kernel is defined: numba must have somewhere to cache it

# public name -> submodule that defines it
_LAZY = {
    "Graph": "skgraphemb.graph",
    "as_graph": "skgraphemb.graph",
    "read_edgelist": "skgraphemb.graph",
    "load_graph": "skgraphemb.graph",
    "read_labels": "skgraphemb.graph",
    "random_walks": "skgraphemb.walks",
    "iter_walk_chunks": "skgraphemb.walks",
    "Node2VecEmbedder": "skgraphemb.node2vec",
    "SVDEmbedder": "skgraphemb.svd",
    "ProNEEmbedder": "skgraphemb.spectral",
    "FastRPEmbedder": "skgraphemb.spectral",
    "SpectralPropagation": "skgraphemb.spectral",
    "GraphSAGEEmbedder": "skgraphemb.graphsage",
    "ProcrustesAligner": "skgraphemb.alignment",
    "compare_embedders": "skgraphemb.evaluation",
    "evaluate_node_classification": "skgraphemb.evaluation",
    "split_edges": "skgraphemb.link_prediction",
    "evaluate_link_prediction": "skgraphemb.link_prediction",
    "LinkPredictionScorer": "skgraphemb.link_prediction",
    "load_karate": "skgraphemb.datasets",
    "load_cora": "skgraphemb.datasets",
    "load_edgelist_dir": "skgraphemb.datasets",
    "UnknownNodeError": "skgraphemb.exceptions",
    "GraphFormatError": "skgraphemb.exceptions",
    "DeviceUnavailableError": "skgraphemb.exceptions",
    "InsufficientMemoryError": "skgraphemb.exceptions",
    "RedisExporter": "skgraphemb.export.redis",
    "RedisEmbeddingStore": "skgraphemb.export.redis",
    "FileExporter": "skgraphemb.export.files",
    "FileEmbeddingStore": "skgraphemb.export.files",
    "read_embedding": "skgraphemb.export.files",
    "RedisConnectionError": "skgraphemb.exceptions",
    "RedisStoreError": "skgraphemb.exceptions",
    "KGEmbedder": "skgraphemb.kg",
    "UnknownLabelError": "skgraphemb.exceptions",
    "load_kg": "skgraphemb.datasets",
    "load_kg_dir": "skgraphemb.datasets",
    "TrainingDivergedError": "skgraphemb.exceptions",
}

__all__ = sorted(_LAZY) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from skgraphemb.alignment import ProcrustesAligner
    from skgraphemb.datasets import (
        load_cora,
        load_edgelist_dir,
        load_karate,
        load_kg,
        load_kg_dir,
    )
    from skgraphemb.evaluation import compare_embedders, evaluate_node_classification
    from skgraphemb.exceptions import (
        DeviceUnavailableError,
        GraphFormatError,
        InsufficientMemoryError,
        RedisConnectionError,
        RedisStoreError,
        TrainingDivergedError,
        UnknownLabelError,
        UnknownNodeError,
    )
    from skgraphemb.export.files import FileEmbeddingStore, FileExporter, read_embedding
    from skgraphemb.export.redis import RedisEmbeddingStore, RedisExporter
    from skgraphemb.graph import Graph, as_graph, load_graph, read_edgelist, read_labels
    from skgraphemb.graphsage import GraphSAGEEmbedder
    from skgraphemb.kg import KGEmbedder
    from skgraphemb.link_prediction import (
        LinkPredictionScorer,
        evaluate_link_prediction,
        split_edges,
    )
    from skgraphemb.node2vec import Node2VecEmbedder
    from skgraphemb.spectral import FastRPEmbedder, ProNEEmbedder, SpectralPropagation
    from skgraphemb.svd import SVDEmbedder
    from skgraphemb.walks import iter_walk_chunks, random_walks


def __getattr__(name: str):
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'skgraphemb' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # resolve once
    return value


def __dir__():
    return __all__
