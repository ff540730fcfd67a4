"""Publish embeddings to Redis and serve them: :class:`RedisExporter`, :class:`RedisEmbeddingStore`.

Layout (``P`` is the key prefix, default ``"emb:"``):

``mode="keys"`` -- readable by a plain ``redis`` client::

    P{node}          raw little-endian vector bytes (float32 by default)
    P__meta__        metadata record (JSON): dimension, dtype, count, estimator,
                     publication (a random token, new at each publication)...
    P__ids__         published node ids (JSON array)
    P__pending__     while publishing: the ids being written (and those of
                     publications killed before they finished), so their
                     nodes are removed if the next publication lacks them

so ``np.frombuffer(r.get(f"emb:{node}"), dtype=np.float32)`` is a vector.
There is no atomicity across keys: a reader during a publication may see
some vectors of the old and some of the new embedding.  Readers of
:class:`RedisEmbeddingStore` read the metadata record before and after the
vectors, so they always decode with the dtype and dimension the vectors were
written with: a republication with another dtype or dimension withdraws the
old record before writing (readers get an error until it is complete).

``mode="versioned"`` -- each publication in its own namespace::

    P__counter__     highest version number allocated
    P__versions__    sorted set of versions (score = number), registered first
    P{v}:__owner__   claim of v: the token of the publication writing it
    P{v}:__ids__     node ids of version v (written before any vector)
    P{v}:{node}      vectors of version v
    P{v}:__meta__    metadata of v (with the token), written once v is complete
    P__current__     the version readers get, e.g. "v7"

A new version's number is one past the highest of the counter, the
registered versions and the served one, skipping namespaces that hold keys;
it is allocated, registered and claimed by one script, so a counter lost to
a restart from an older snapshot, a failover or eviction never makes a
publication write into an existing version.  Vectors, id list and metadata
are written only while the claim holds the writer's token (checked in the
same script on a single server).  Readers resolve ``P__current__`` and read
that namespace only, checking the pointer and the claim after the values,
so they never mix two versions nor see a half-written one.  The pointer
moves, by one atomic script, only forward and only to a complete version
still claimed by its writer; older versions beyond ``keep`` (and incomplete
ones left by killed writers) are removed after the switch.

Every key prefix published is recorded in the hash
``__skgraphemb_namespaces__`` (prefix -> mode): a prefix that lies inside
another one's namespace, or contains one, is refused.

Writes are batched, one round trip per batch: each batch of vectors is one
``MSET`` through redis-py (one call of the claimed-write script when writing
a version), or, with a ``ttl`` or on a cluster, one pipeline of
``SET ... [PX]`` per server packed directly in the Redis protocol, where
that is 2x faster or more than redis-py (``benchmarks/bench_resp.py``).
Nothing read from Redis is ever unpickled: vectors are raw bytes checked for
length, metadata and id lists are JSON.

redis-py is imported only when a connection is made
(:func:`~skgraphemb._optional.import_optional`).
"""

from skgraphemb.export.redis._connection import mask_url
from skgraphemb.export.redis._exporter import RedisExporter
from skgraphemb.export.redis._store import RedisEmbeddingStore

__all__ = ["RedisEmbeddingStore", "RedisExporter", "mask_url"]
