"""The reader: :class:`RedisEmbeddingStore`, serving what :class:`RedisExporter` published.

Resolves the publication served (the version pointer, or the metadata
record in ``mode="keys"``) and reads vectors with it in one round trip,
checking after the values that the publication did not change meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from skgraphemb.exceptions import RedisStoreError
from skgraphemb.export._base import (
    DTYPES,
    BaseEmbeddingStore,
    check_encodable,
    empty_result,
    ids_array,
    loads_ids,
    loads_metadata,
)
from skgraphemb.export.redis._connection import _check_url, _Connection
from skgraphemb.export.redis._protocol import _CHUNK, _CURRENT, _IDS, _META, _OWNER, _check_key_prefix

#: Times a read follows a moving version pointer (or changing metadata) before giving up.
_MAX_SWITCHES = 5


@dataclass(frozen=True)
class _Served:
    """What a reader currently serves: version (None: keys mode), namespace, metadata."""

    version: str | None
    namespace: str
    metadata: dict
    dimension: int
    wire: np.dtype  # little-endian dtype of the bytes in Redis
    raw: bytes | None = None  # keys mode: the metadata record as read (None: none, dimension given)
    token: bytes | None = None  # versioned: the publication's token, held by the namespace's claim


class RedisEmbeddingStore(BaseEmbeddingStore):
    """Serve embeddings published by :class:`RedisExporter`, by node id.

    Works with both publication modes: in ``mode="versioned"`` every read
    resolves the version pointer and reads that version only, checking in
    the same round trip that the pointer did not move (and re-reading when
    it did), so a ``get_many`` never mixes versions.  Vectors are raw bytes
    checked for length (never unpickled); dimension and dtype come from the
    metadata record.  Same interface as :class:`FileEmbeddingStore`.

    Parameters
    ----------
    url : str, default="redis://localhost:6379/0"
        As for :class:`RedisExporter` (``redis://``, ``rediss://``,
        ``unix://``; user and password in the URL).  Unused when ``client``
        is given.
    key_prefix : str, default="emb:"
        The exporter's key prefix.
    missing : {"none", "raise"}, default="none"
        Unknown nodes: ``get`` returns ``None`` and ``get_many`` a NaN row,
        or (``"raise"``) a ``KeyError`` names them.
    dimension : int, default=None
        Vector length for keys written by other tools, without a metadata
        record (e.g. the reference workflow's ``store_embeddings``); checked
        against the metadata when there is one.
    dtype : {"float32", "float16", "float64"}, default=None
        Vector dtype for keys without a metadata record (default float32);
        checked against the metadata when there is one.
    cluster : bool or "auto", default="auto"
        Connect to a Redis Cluster; ``"auto"`` asks the server.
    client : redis.Redis or redis.cluster.RedisCluster, default=None
        A client to use instead of ``url`` (must not decode responses).
    max_retries : int, default=3
        Retries of a read after a transient error, with exponential backoff.
    retry_backoff : float, default=0.2
        First wait between retries, seconds.
    socket_timeout : float, default=10.0
        Seconds to wait for a connection or an answer.

    Attributes
    ----------
    dimension : int
        Length of the vectors served.
    dtype : numpy.dtype
        dtype of the vectors served.
    metadata : dict
        Metadata record of the publication served.
    version : str or None
        Version served (``mode="versioned"``), else None.

    See Also
    --------
    RedisExporter : Publishes what this store reads.
    FileEmbeddingStore : The same interface over a local file.

    Notes
    -----
    ``dimension``, ``dtype``, ``metadata`` and ``version`` describe the
    publication seen by the last read (or the first, on a new store);
    :meth:`refresh` reads them again; ``len()`` always reads them.
    ``get``/``get_many`` always serve the current publication and decode it
    with its own dtype and dimension: versioned, the version pointer and the
    namespace's claim are read after the values (a new version, or a version
    name reissued after the server lost the old one, is followed); keys
    mode, the metadata record is read before and after the values (a
    republication with another dtype or dimension is followed).  One round
    trip per call on a single server; several on a cluster.  Node ids that
    cannot be keys (bytes that are not UTF-8, strings with lone surrogates)
    raise a ``ValueError`` naming them.

    Examples
    --------
    >>> from skgraphemb import RedisEmbeddingStore
    >>> store = RedisEmbeddingStore("redis://localhost:6379/0", "karate:")
    >>> store.get(0).shape  # doctest: +SKIP
    (16,)
    """

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        key_prefix: str = "emb:",
        *,
        missing: str = "none",
        dimension: int | None = None,
        dtype: str | None = None,
        cluster: bool | str = "auto",
        client: Any = None,
        max_retries: int = 3,
        retry_backoff: float = 0.2,
        socket_timeout: float | None = 10.0,
    ) -> None:
        super().__init__(missing)
        if client is None:
            _check_url(url, type(self).__name__)
        if cluster not in (True, False, "auto"):
            raise ValueError(f"cluster must be True, False or 'auto'; got {cluster!r}")
        if dtype is not None and dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}")
        if dimension is not None and (
            not isinstance(dimension, (int, np.integer)) or isinstance(dimension, bool) or dimension < 1
        ):
            raise ValueError(f"dimension must be a positive int; got {dimension!r}")
        if not isinstance(key_prefix, str):
            raise TypeError(f"key_prefix must be a str; got {type(key_prefix).__name__} {key_prefix!r}")
        _check_key_prefix(key_prefix, type(self).__name__)
        self.url = url
        self.key_prefix = key_prefix
        self._dimension = None if dimension is None else int(dimension)
        self._dtype = dtype
        self._conn = _Connection(
            url=url,
            client=client,
            cluster=cluster,
            socket_timeout=socket_timeout,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            who=type(self).__name__,
        )
        self._served: _Served | None = None

    # -- resolving what is served -----------------------------------------------
    def _resolve(self) -> _Served:
        conn = self._conn.connect()
        c, prefix = conn.client, self.key_prefix
        version = None
        for _ in range(_MAX_SWITCHES):
            current, meta_raw = self._get_many_raw([prefix + _CURRENT, prefix + _META], "read the metadata")
            version = current.decode(errors="replace") if current is not None else None
            where = f"{prefix + _META!r}"
            if version is not None:
                ns = f"{prefix}{version}:"
                where = f"{ns + _META!r}"
                meta_raw = conn.call("read the metadata", partial(c.get, ns + _META))
                if meta_raw is None:  # the pointer moved on and the version was removed
                    continue
                meta = loads_metadata(meta_raw, f"{where} on {conn.where}")
                token = meta.get("publication")
                return self._served_from(
                    version, ns, meta, where, token=token.encode() if isinstance(token, str) else None
                )
            if meta_raw is not None:
                meta = loads_metadata(meta_raw, f"{where} on {conn.where}")
            elif self._dimension is not None:
                meta = {"dimension": self._dimension, "dtype": self._dtype or "float32", "format": None}
            else:
                raise RedisStoreError(
                    f"nothing is published under key prefix {prefix!r} on {conn.where} (no key "
                    f"{prefix + _META!r} or {prefix + _CURRENT!r}; a mode='keys' republication with "
                    "another dtype or dimension withdraws it until it is complete). Publish with "
                    "RedisExporter, or pass dimension= (and dtype=) to read vectors written by other tools."
                )
            return self._served_from(None, prefix, meta, where, raw=meta_raw)
        raise RedisStoreError(
            f"the version pointer {prefix + _CURRENT!r} on {conn.where} names {version!r}, which has no "
            f"metadata record {prefix + version + ':' + _META!r} (it kept changing, or the keys were "
            "deleted or lost): republish with RedisExporter(mode='versioned')"
        )

    def _served_from(self, version, ns, meta, where, raw=None, token=None) -> _Served:
        dtype = meta.get("dtype")
        if dtype not in DTYPES or meta.get("byteorder", "little") != "little":
            raise ValueError(f"metadata {where}: unsupported vector dtype {dtype!r} ({meta.get('byteorder')})")
        if not isinstance(meta["dimension"], int) or isinstance(meta["dimension"], bool) or meta["dimension"] < 1:
            raise ValueError(f"metadata {where}: the dimension must be a positive integer; got {meta['dimension']!r}")
        for name, given, published in (
            ("dimension", self._dimension, meta["dimension"]),
            ("dtype", self._dtype, dtype),
        ):
            if given is not None and given != published:
                raise ValueError(
                    f"{name}={given!r} was given, but the embedding under {self.key_prefix!r} is "
                    f"published with {name} {published!r} (metadata {where})"
                )
        return _Served(version, ns, meta, int(meta["dimension"]), np.dtype(dtype).newbyteorder("<"), raw, token)

    def _state(self) -> _Served:
        if self._served is None:
            self._served = self._resolve()
        return self._served

    def refresh(self) -> None:
        """Forget the cached metadata; the next access reads it again."""
        self._served = None

    # -- reading -----------------------------------------------------------------
    def _get_many_raw(self, keys: list[str], what: str, head: tuple = (), tail: tuple = ()) -> list:
        """Values of ``head`` keys, then of ``keys`` (chunked MGETs), then of ``tail`` keys.

        On a single server, one pipelined round trip, run in that order; on
        a cluster, one call after the other.  Reading the metadata record
        (or the version pointer and the namespace's claim) before and after
        the vectors proves which publication the vectors belong to.
        """
        conn = self._conn.connect()
        c = conn.client

        def run():
            if conn.is_cluster:
                values = [c.get(k) for k in head]
                for start in range(0, len(keys), _CHUNK):
                    values += c.mget_nonatomic(keys[start : start + _CHUNK])
                return values + [c.get(k) for k in tail]
            pipe = c.pipeline(transaction=False)
            for k in head:
                pipe.get(k)
            for start in range(0, len(keys), _CHUNK):
                pipe.mget(keys[start : start + _CHUNK])
            for k in tail:
                pipe.get(k)
            replies = pipe.execute()
            middle = replies[len(head) : len(replies) - len(tail)]
            return replies[: len(head)] + [v for chunk in middle for v in chunk] + replies[len(replies) - len(tail) :]

        return conn.call(what, run) if keys or head or tail else []

    def _read_consistent(self, suffixes: list[str], what: str) -> tuple[_Served, list]:
        """Values of ``namespace + suffix`` in the publication served now, with its metadata.

        Versioned: the version pointer and the namespace's claim are read
        after the values; unchanged, they prove the values belong to the
        publication whose metadata is cached.  Keys mode: the metadata
        record is read before and after the values; when it changed since
        the last read the new one is parsed, so a republication with
        another dtype or dimension is never decoded with the old one.
        """
        prefix = self.key_prefix
        for _ in range(_MAX_SWITCHES):
            served = self._state()
            keys = [served.namespace + s for s in suffixes]
            if served.version is None:
                before, *values, after = self._get_many_raw(keys, what, head=(prefix + _META,), tail=(prefix + _META,))
                if before != after:  # republished while read: read again
                    continue
                if before == served.raw:
                    return served, values
                if before is None:
                    raise RedisStoreError(
                        f"the metadata record {prefix + _META!r} on {self._conn.where} was withdrawn: "
                        f"the embedding under {prefix!r} is being republished with another dtype or "
                        "dimension, or was deleted; read again once the publication is complete"
                    )
                where = f"{prefix + _META!r}"
                meta = loads_metadata(before, f"{where} on {self._conn.where}")
                self._served = self._served_from(None, prefix, meta, where, raw=before)
                return self._served, values
            *values, pointer, owner = self._get_many_raw(
                keys, what, tail=(prefix + _CURRENT, served.namespace + _OWNER)
            )
            if (
                pointer is not None
                and pointer.decode() == served.version
                and (served.token is None or owner == served.token)
            ):
                return served, values
            self._served = None  # a new version was switched in: follow it
        raise RedisStoreError(
            f"the publication served under {prefix!r} on {self._conn.where} changed "
            f"{_MAX_SWITCHES} times during one read"
        )

    def _lookup(self, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        check_encodable(names)
        served, values = self._read_consistent(names, f"read {len(names)} vectors")
        nbytes = served.dimension * served.wire.itemsize
        hits = [i for i, v in enumerate(values) if v is not None]
        bad = [i for i in hits if len(values[i]) != nbytes]
        if bad:
            i = bad[0]
            raise ValueError(
                f"{len(bad)} vector(s) under {self.key_prefix!r} have the wrong length, e.g. key "
                f"{served.namespace + names[i]!r} holds {len(values[i])} bytes, not {nbytes} "
                f"({served.dimension} x {served.wire.name}); refusing to serve them"
            )
        V, found = empty_result(len(names), served.dimension, served.wire.newbyteorder("="))
        if hits:
            block = np.frombuffer(b"".join(values[i] for i in hits), dtype=served.wire)
            V[hits] = block.reshape(len(hits), served.dimension)
            found[hits] = True
        return V, found

    @property
    def dimension(self) -> int:
        return self._state().dimension

    @property
    def dtype(self) -> np.dtype:
        return self._state().wire.newbyteorder("=")

    @property
    def metadata(self) -> dict:
        return dict(self._state().metadata)

    @property
    def version(self) -> str | None:
        return self._state().version

    @property
    def ids(self) -> np.ndarray:
        served, (raw,) = self._read_consistent([_IDS], "read the id list")
        if raw is None:
            raise RedisStoreError(
                f"no id list under {served.namespace + _IDS!r} on {self._conn.where}: the keys "
                "were not published by RedisExporter"
            )
        return ids_array(loads_ids(raw, f"{served.namespace + _IDS!r}"))

    def __len__(self) -> int:
        self._served = None  # the count of what is served now, not of what was read last
        count = self._state().metadata.get("count")
        return int(count) if count is not None else len(self.ids)

    def close(self) -> None:
        """Close the connection (unless the client was given)."""
        self._conn.close()

    def __enter__(self) -> RedisEmbeddingStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RedisEmbeddingStore({self._conn.where!r}, key_prefix={self.key_prefix!r})"
