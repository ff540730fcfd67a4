"""Sinks and stores for serving embeddings: Redis, and local files.

Exporters are scikit-learn transformers whose ``fit`` publishes the vectors
they are given and whose ``transform`` passes them through, so they can end
a :class:`~sklearn.pipeline.Pipeline`; stores serve the published vectors by
node id with one interface (``get``, ``get_many``, ``ids``, ``dimension``,
``dtype``, ``metadata``).  redis-py is imported only when a Redis connection
is made.
"""

from skgraphemb.export._base import BaseEmbeddingStore, BaseExporter
from skgraphemb.export.files import (
    FileEmbeddingStore,
    FileExporter,
    read_embedding,
    write_embedding,
)
from skgraphemb.export.redis import RedisEmbeddingStore, RedisExporter, mask_url

__all__ = [
    "BaseEmbeddingStore",
    "BaseExporter",
    "FileEmbeddingStore",
    "FileExporter",
    "RedisEmbeddingStore",
    "RedisExporter",
    "mask_url",
    "read_embedding",
    "write_embedding",
]
