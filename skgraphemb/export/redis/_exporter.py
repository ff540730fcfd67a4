"""The publisher: :class:`RedisExporter`, in ``mode="keys"`` or ``mode="versioned"``.

Checks and registers the key prefix, allocates and claims a version,
writes the vectors in batches (one round trip each), checks they exist,
switches readers to the new version and removes old ones; the layout and
scripts it relies on are in :mod:`._protocol`, the connection and retries
in :mod:`._connection`.
"""

from __future__ import annotations

import copy
import json
import logging
import secrets
import time
from functools import partial

import numpy as np

from skgraphemb.exceptions import RedisConnectionError, RedisStoreError
from skgraphemb.export._base import (
    EXPORTER_ATTRIBUTES,
    BaseExporter,
    check_encodable,
    loads_ids,
)
from skgraphemb.export.redis._connection import _check_url, _Connection, mask_url
from skgraphemb.export.redis._protocol import (
    _ALLOCATE_REGISTRY_SCRIPT,
    _ALLOCATE_SCRIPT,
    _CHUNK,
    _COUNTER,
    _CURRENT,
    _IDS,
    _META,
    _NAMESPACES,
    _OWNER,
    _PENDING,
    _RAISE_COUNTER_SCRIPT,
    _REGISTER_PREFIX_SCRIPT,
    _RELEASE_SCRIPT,
    _SWITCH_SCRIPT,
    _UNLINK_RELEASED_SCRIPT,
    _UNREGISTER_SCRIPT,
    _VERSIONS,
    _WRITE_CLAIMED_SCRIPT,
    _check_key_prefix,
    _key_bulks,
    _pack_sets,
    _rows,
)
from skgraphemb.utils._docstrings import fill_doc
from skgraphemb.utils._validation import (
    HasMethods,
    Integral,
    Interval,
    Real,
    StrOptions,
    clone_sharing,
)

logger = logging.getLogger(__name__)


class _ClaimLost(RedisStoreError):
    """A version's namespace stopped being claimed by the writer writing it."""


def _version_number(raw: bytes | str | None) -> int | None:
    """``7`` for ``"v7"``; None for anything else."""
    if isinstance(raw, bytes):
        raw = raw.decode(errors="replace")
    if isinstance(raw, str) and raw[:1] == "v" and raw[1:].isdigit():
        return int(raw[1:])
    return None


def _int_or_zero(raw: bytes | None) -> int:
    try:
        return max(0, int(raw or 0))
    except ValueError:
        return 0


def _multi_key(conn: _Connection, command: str, keys: list[str], what: str) -> int:
    """Sum of the integer replies of ``command k1 k2 ...`` (EXISTS, UNLINK) over ``keys``."""
    total = 0
    fn = getattr(conn.client, command.lower())  # on a cluster, redis-py splits it by slot
    for start in range(0, len(keys), _CHUNK):
        total += conn.call(what, partial(fn, *keys[start : start + _CHUNK]))
    return total


# -- the exporter -----------------------------------------------------------------
@fill_doc(exporter_attributes=EXPORTER_ATTRIBUTES)
class RedisExporter(BaseExporter):
    """Pipeline sink that publishes embeddings to Redis, for serving.

    ``fit(X)`` writes one key per node, ``{key_prefix}{node}`` -> the vector's
    raw little-endian bytes, plus a JSON metadata record (dimension, dtype,
    count, the embedder's class and parameters, creation time);
    ``transform(X)`` returns X unchanged, so the exporter can end (or sit
    inside) a :class:`~sklearn.pipeline.Pipeline` after any embedder with
    ``set_output(transform="pandas")``.  ``write(embedder)`` publishes a
    fitted embedder directly.  :class:`RedisEmbeddingStore` reads it back;
    in ``mode="keys"`` so does a plain ``redis`` client:
    ``np.frombuffer(r.get(f"emb:{node}"), dtype=np.float32)``.

    Writes go in batches, one round trip each (``MSET``, or a pipeline of
    ``SET ... PX`` with ``ttl``, or one pipeline per node of a cluster).
    Every key is checked to exist at the end (``EXISTS``), which catches
    keys evicted by a full server.

    Parameters
    ----------
    url : str, default="redis://localhost:6379/0"
        ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` for
        TLS (certificate options as query parameters, e.g.
        ``?ssl_ca_certs=ca.crt``), or ``unix://path``.  Unused when
        ``client`` is given.  Messages and ``repr`` mask the password.
    key_prefix : str, default="emb:"
        Prefix of every key written.  Use one prefix per embedding; a prefix
        overlapping another exporter's (one starts with the other) is
        refused (see Notes).
    mode : {"keys", "versioned"}, default="keys"
        ``"keys"``: the plain layout above, overwritten in place (readers
        may briefly see a mix of old and new vectors; nodes absent from the
        new embedding are deleted at the end).  ``"versioned"``: each
        publication goes to its own namespace ``{key_prefix}v<N>:`` and
        readers of :class:`RedisEmbeddingStore` are switched to it atomically
        once it is complete; they never see a mix of versions or a partial
        one.  A prefix holds one mode: publishing in the other one raises a
        :class:`~skgraphemb.RedisStoreError`.
    dtype : {"float32", "float16", "float64"}, default="float32"
        dtype of the published vectors (little-endian).  float32 is what the
        plain reader expects.
    batch_size : int, default=2000
        Vectors per round trip.
    keep : int, default=1
        ``mode="versioned"``: complete versions kept after a switch,
        including the new one (1: the previous version is removed once
        readers are switched; 2: one older version stays, ...).
    ttl : float, default=None
        ``mode="keys"``: expire every key written after this many seconds.
        Not allowed with ``mode="versioned"``, which removes old versions
        itself.
    metadata : dict, default=None
        Extra JSON-serialisable information recorded under ``"metadata"``
        in the metadata record (e.g. the pipeline's embedder settings, which
        a sink inside a Pipeline cannot see).
    cluster : bool or "auto", default="auto"
        Connect to a Redis Cluster (redis-py's ``RedisCluster``).
        ``"auto"`` asks the server (``INFO cluster``).  Keys spread over
        every master; batches are split per node.
    client : redis.Redis or redis.cluster.RedisCluster, default=None
        A client to use instead of ``url`` (must not decode responses).  It
        is shared, not copied, by ``clone``, and never closed here.
    max_retries : int, default=3
        Retries of each step after a transient error (connection refused or
        reset, timeout, server loading, cluster down), with exponential
        backoff; then a :class:`~skgraphemb.RedisConnectionError` is raised.
    retry_backoff : float, default=0.2
        First wait between retries, seconds; doubled each retry (with
        jitter), at most 30 s.
    socket_timeout : float, default=10.0
        Seconds to wait for a connection or an answer (``None``: forever).
    verbose : int, default=0
        Show a progress bar over batches.

    Attributes
    ----------
    version_ : str or None
        ``mode="versioned"``: the version published (``"v7"``); else None.
    removed_versions_ : list of str
        ``mode="versioned"``: versions removed after the switch (older than
        ``keep`` allows, or left incomplete by an interrupted writer).
    metadata_ : dict
        The metadata record written.
    {exporter_attributes}

    See Also
    --------
    RedisEmbeddingStore : Serve the published vectors.
    FileExporter : The same sink writing a local file (no server).

    Notes
    -----
    *Versioned publication.*  One script allocates the version number (one
    past the highest of ``{key_prefix}__counter__``, the registered versions
    and the served one, skipping any namespace that holds keys), registers
    it in ``{key_prefix}__versions__`` and claims its namespace with a
    random token (``{key_prefix}v<N>:__owner__``); so a lost or lowered
    counter (restart from an older RDB snapshot, failover to a lagging
    replica, eviction) never makes a publication reuse a version.  The id
    list is written, then the vectors, each batch only while the claim is
    still the writer's (in the same script on a single server); every key
    is checked to exist, the metadata record written, and only then
    ``{key_prefix}__current__`` is switched by a script that never moves it
    backwards and checks the claim (so of two concurrent writers the
    later-started one wins; the other raises
    :class:`~skgraphemb.RedisStoreError` and removes its version).  A writer
    whose namespace was taken from it (the server restarted from older
    data, or another writer removed the version) writes nothing more and
    raises.  A writer that fails or is killed leaves an incomplete
    namespace that no reader is pointed to; the next successful publication
    removes it (logged at INFO level).  A removal releases the version's
    claim first and deletes keys only while the version is neither claimed
    nor served, and unregisters it only once none of its keys is left, so
    a removal outliving a restart from older data never empties a live
    version nor leaves keys behind.  Until then it occupies memory:
    budget for up to three versions at once (the served one, a stale one,
    the new one).  Versioned mode needs ``EVAL`` (scripting) permission.
    With RDB-only persistence a ``kill -9`` of the server loses every write
    since the last snapshot, acknowledged publications included: a version
    the server lost every trace of may then be numbered again; readers tell
    the two apart by the publication token and never mix or mis-decode them.

    *Key prefixes.*  Each prefix published is recorded in the hash
    ``__skgraphemb_namespaces__`` on the server; a prefix that starts with
    another exporter's prefix (``"ov:v1:"`` under the versioned ``"ov:"``),
    or that another one starts with, is refused with a
    :class:`~skgraphemb.RedisStoreError`, since its publications would
    overwrite or delete the other's keys.  The error says how to unregister
    a prefix whose keys were deleted.

    *Cluster.*  Keys are spread over the cluster's slots (no hash tag), so a
    large embedding uses every master's memory and the write load is
    shared; atomicity never needs more than the one pointer key.  Version
    numbers are allocated by one script on the version registry (counter and
    pointer read just before), and the claim is checked before each batch
    rather than in the same script.  Put ``{...}`` in ``key_prefix`` (e.g.
    ``"{emb}:"``) to pin everything to one slot instead.

    Examples
    --------
    >>> import networkx as nx
    >>> from skgraphemb import RedisExporter, SVDEmbedder
    >>> emb = SVDEmbedder(n_components=16, random_state=0).fit(nx.karate_club_graph())
    >>> exporter = RedisExporter("redis://localhost:6379/0", "karate:", mode="versioned")
    >>> exporter.write(emb)  # doctest: +SKIP
    RedisExporter(key_prefix='karate:', mode='versioned', url='redis://localhost:6379/0')
    """

    _parameter_constraints: dict = {
        **BaseExporter._parameter_constraints,
        "url": [str],
        "key_prefix": [str],
        "mode": [StrOptions({"keys", "versioned"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "keep": [Interval(Integral, 1, None, closed="left")],
        "ttl": [None, Interval(Real, 0, None, closed="neither")],
        "cluster": ["boolean", StrOptions({"auto"})],
        "client": [None, HasMethods(["execute_command", "pipeline"])],
        "max_retries": [Interval(Integral, 0, None, closed="left")],
        "retry_backoff": [Interval(Real, 0, None, closed="left")],
        "socket_timeout": [None, Interval(Real, 0, None, closed="neither")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        url="redis://localhost:6379/0",
        key_prefix="emb:",
        *,
        mode="keys",
        dtype="float32",
        batch_size=2000,
        keep=1,
        ttl=None,
        metadata=None,
        cluster="auto",
        client=None,
        max_retries=3,
        retry_backoff=0.2,
        socket_timeout=10.0,
        verbose=0,
    ):
        self.url = url
        self.key_prefix = key_prefix
        self.mode = mode
        self.dtype = dtype
        self.batch_size = batch_size
        self.keep = keep
        self.ttl = ttl
        self.metadata = metadata
        self.cluster = cluster
        self.client = client
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.socket_timeout = socket_timeout
        self.verbose = verbose

    # -- connection ----------------------------------------------------------
    def _connection(self) -> _Connection:
        if self.client is None:
            _check_url(self.url, type(self).__name__)
        return _Connection(
            url=self.url,
            client=self.client,
            cluster=self.cluster,
            socket_timeout=self.socket_timeout,
            max_retries=self.max_retries,
            retry_backoff=self.retry_backoff,
            who=type(self).__name__,
        )

    def ping(self) -> bool:
        """Connect and check the server answers (with the retry policy).

        Returns
        -------
        bool
            True.

        Raises
        ------
        RedisConnectionError
            The server cannot be reached or authenticated.
        """
        self._validate_params()
        conn = self._connection()
        try:
            conn.connect()
        finally:
            conn.close()
        return True

    # -- publishing ------------------------------------------------------------
    def _publish(self, vectors, ids, names, source) -> dict:
        if self.ttl is not None and self.mode == "versioned":
            raise ValueError(
                "ttl applies to mode='keys'; mode='versioned' removes old versions itself "
                "(see keep=). Set ttl=None or use mode='keys'."
            )
        _check_key_prefix(self.key_prefix, type(self).__name__)
        check_encodable(names)
        start = time.perf_counter()
        conn = self._connection().connect()
        try:
            publish = self._publish_versioned if self.mode == "versioned" else self._publish_keys
            info = publish(conn, vectors, ids, names, source)
        finally:
            conn.close()
        rate = len(names) / max(time.perf_counter() - start, 1e-9)
        logger.info(
            "published %d vectors of dimension %d to %s under %r%s (%.0f vectors/s)",
            len(names),
            vectors.shape[1],
            conn.where,
            self.key_prefix,
            f" as version {info['version_']}" if info["version_"] else "",
            rate,
        )
        return info

    def _check_prefix(self, conn) -> None:
        """Refuse a key prefix that holds the other mode's layout or overlaps another exporter's.

        Every prefix published is recorded in the registry hash
        ``__skgraphemb_namespaces__`` (prefix -> mode); a prefix that starts
        with a registered one, or that a registered one starts with, is
        refused (one atomic script), as is a prefix lying under a namespace
        published before the registry existed.  Entries are never removed
        here (a publication under way may not have written anything yet);
        the error says how to unregister a prefix whose keys were deleted.
        """
        c, prefix = conn.client, self.key_prefix
        other = "versioned" if self.mode == "keys" else "keys"
        key = prefix + (_CURRENT if other == "versioned" else _META)
        if conn.call("check the key prefix", lambda: c.exists(key)):
            raise RedisStoreError(
                f"key prefix {prefix!r} on {conn.where} holds embeddings published with "
                f"mode={other!r} ({key!r} exists); publish with mode={other!r} or use another key_prefix"
            )
        ancestors = [prefix[:i] for i in range(len(prefix))]
        if ancestors:

            def probe():
                pipe = c.pipeline(transaction=False)
                for a in ancestors:
                    pipe.exists(a + _META)
                    pipe.exists(a + _CURRENT)
                return pipe.execute()

            flags = conn.call("check the enclosing key prefixes", probe)
            for i, a in enumerate(ancestors):
                if flags[2 * i] or flags[2 * i + 1]:
                    self._overlap_error(conn, a, "versioned" if flags[2 * i + 1] else "keys")
        for _ in range(5):
            if conn.is_cluster:
                reply = conn.call(
                    "register the key prefix",
                    lambda: c.eval(_REGISTER_PREFIX_SCRIPT, 1, _NAMESPACES, prefix, self.mode),
                )
            else:  # WATCH/MULTI: no scripting permission needed in mode="keys"
                reply = conn.call(
                    "register the key prefix",
                    lambda: c.transaction(self._register, _NAMESPACES, value_from_callable=True),
                )
            if not reply:
                return
            theirs, mode = (v.decode() if isinstance(v, bytes) else v for v in reply)
            if theirs == prefix:  # same prefix, other mode, its layout gone (checked above)
                conn.call("update the key prefix registry", lambda: c.hset(_NAMESPACES, prefix, self.mode))
                return
            self._overlap_error(conn, theirs, mode, registered=True)
        raise RedisStoreError(f"the key prefix registry {_NAMESPACES!r} on {conn.where} kept changing")

    def _register(self, pipe) -> tuple | None:
        """The registration of _REGISTER_PREFIX_SCRIPT, in a WATCH/MULTI transaction."""
        prefix = self.key_prefix
        for f, m in pipe.hgetall(_NAMESPACES).items():
            f, m = f.decode(errors="replace"), m.decode(errors="replace")
            if (f == prefix and m != self.mode) or (f != prefix and (f.startswith(prefix) or prefix.startswith(f))):
                return f, m
        pipe.multi()
        pipe.hset(_NAMESPACES, prefix, self.mode)
        return None

    def _overlap_error(self, conn, theirs: str, mode: str, registered: bool = False) -> None:
        prefix = self.key_prefix
        where = "lies inside" if prefix.startswith(theirs) else "contains"
        hint = (
            f" (If those embeddings were deleted, unregister their prefix: HDEL {_NAMESPACES} {json.dumps(theirs)}.)"
            if registered
            else ""
        )
        raise RedisStoreError(
            f"key prefix {prefix!r} {where} the namespace of the embeddings published under "
            f"{theirs!r} (mode={mode!r}) on {conn.where}: publishing would overwrite or delete "
            f"their keys. Use a key prefix that neither starts with {theirs!r} nor is the start of it.{hint}"
        )

    @staticmethod
    def _same_format(raw: bytes, meta: dict) -> bool:
        try:
            old = json.loads(raw)
            return all(old.get(k) == meta[k] for k in ("dimension", "dtype", "byteorder"))
        except (ValueError, UnicodeDecodeError, AttributeError):
            return False

    def _publish_keys(self, conn, vectors, ids, names, source) -> dict:
        c, prefix = conn.client, self.key_prefix
        self._check_prefix(conn)
        old_ids = conn.call("read the previous id list", lambda: c.get(prefix + _IDS))
        old_meta = conn.call("read the previous metadata", lambda: c.get(prefix + _META))
        # Ids of publications killed before they finished: their nodes must be
        # removed too, if absent from this one.  Recorded before any vector.
        pending = conn.call("read unfinished publications", lambda: c.get(prefix + _PENDING))
        pending = [] if pending is None else [str(v) for v in loads_ids(pending, f"{prefix + _PENDING!r}")]
        old_ids = [] if old_ids is None else [str(v) for v in loads_ids(old_ids, f"{prefix + _IDS!r}")]
        previous = list(dict.fromkeys(pending + old_ids))
        record = json.dumps(list(dict.fromkeys(previous + names)))
        conn.call("record the publication's ids", lambda: c.set(prefix + _PENDING, record))
        px = None if self.ttl is None else max(1, int(round(self.ttl * 1000)))
        meta = self._metadata(
            vectors, source, mode="keys", version=None, key_prefix=prefix, publication=secrets.token_hex(16)
        )
        if old_meta is not None and not self._same_format(old_meta, meta):
            # Another dtype or dimension: withdraw the old record first, so no
            # reader decodes new bytes with it (readers compare the record
            # before and after every read).
            conn.call("withdraw the previous metadata", lambda: c.delete(prefix + _META))
        self._write_vectors(conn, prefix, names, vectors, px)
        records = {prefix + _META: json.dumps(meta), prefix + _IDS: json.dumps(ids)}
        for key, value in records.items():
            conn.call("write the metadata", partial(c.set, key, value, px=px))
        removed = 0
        if previous:
            new = set(names)
            stale = [prefix + n for n in previous if n not in new]
            removed = _multi_key(conn, "UNLINK", stale, "remove nodes of the previous publication")
            if removed:
                logger.info("removed %d vectors of nodes absent from the new embedding", removed)
        conn.call("finish the publication", lambda: c.delete(prefix + _PENDING))
        return {"version_": None, "removed_versions_": [], "metadata_": meta}

    def _publish_versioned(self, conn, vectors, ids, names, source) -> dict:
        c, prefix = conn.client, self.key_prefix
        self._check_prefix(conn)
        previous = conn.call("read the current version", lambda: c.get(prefix + _CURRENT))
        previous = previous.decode() if previous is not None else None
        token = secrets.token_hex(16)
        number = self._allocate(conn, token, names)
        version = f"v{number}"
        ns = f"{prefix}{version}:"
        claim = ((ns + _OWNER).encode(), token.encode())
        try:
            self._write_claimed(conn, claim, {ns + _IDS: json.dumps(ids)}, "write the id list")
            self._write_vectors(conn, ns, names, vectors, None, claim=claim)
            meta = self._metadata(
                vectors, source, mode="versioned", version=version, key_prefix=prefix, publication=token
            )
            self._write_claimed(conn, claim, {ns + _META: json.dumps(meta)}, "write the metadata")
            served = self._switch(conn, number, version, claim)
        except _ClaimLost as error:
            # The namespace is no longer ours: touch nothing in it.
            serving = f"version {previous}" if previous else "nothing (no version was published before)"
            raise RedisStoreError(f"{error}. Nothing was published: readers still get {serving}.") from error
        except BaseException as error:
            self._drop_quietly(conn, version, names, token)
            if isinstance(error, (RedisConnectionError, RedisStoreError)):
                serving = f"version {previous}" if previous else "nothing (no version was published before)"
                raise type(error)(f"{error}. Nothing was published: readers still get {serving}.") from error
            raise
        if served != version:
            self._drop_quietly(conn, version, names, token)
            raise RedisStoreError(
                f"version {version} was not published under {prefix!r} on {conn.where}: "
                f"{served}, started by another writer after this one, was published first. "
                f"Readers get {served}; {version} was removed."
            )
        try:
            removed = self._collect_garbage(conn, number)
        except (RedisConnectionError, RedisStoreError, ValueError) as e:
            # The version is published and served: say so rather than fail.
            logger.warning(
                "version %s is published under %r on %s, but removing older versions failed (%s); "
                "the next publication removes them",
                version,
                prefix,
                conn.where,
                e,
            )
            removed = []
        return {"version_": version, "removed_versions_": removed, "metadata_": meta}

    # -- allocating and claiming a version ------------------------------------------
    def _allocate(self, conn, token: str, names: list[str]) -> int:
        """A new version number, registered, its namespace claimed with ``token`` and empty.

        The number is one past the highest of the counter, the registered
        versions and the served version, so a lost or lowered counter
        (restart from an older snapshot, failover, eviction) never makes a
        publication write into a version that exists.  A namespace found
        holding keys is skipped (its number stays registered and is
        cleaned up as an incomplete version).
        """
        c, prefix = conn.client, self.key_prefix
        for _ in range(5):
            if conn.is_cluster:
                number, suspicious = self._allocate_cluster(conn, token)
            else:
                number, skipped, counter = (
                    int(v)
                    for v in conn.call(
                        "allocate a version number",
                        lambda: c.eval(
                            _ALLOCATE_SCRIPT, 3, prefix + _COUNTER, prefix + _VERSIONS, prefix + _CURRENT, prefix, token
                        ),
                    )
                )
                # a fresh prefix, or a counter lost or behind: the namespace may hold leftovers
                suspicious = skipped > 0 or counter == 0 or counter != number - 1 - skipped
                if skipped:
                    logger.warning(
                        "version numbers up to %d under %r on %s hold keys of unregistered versions "
                        "(lost counter or registry?); publishing as v%d",
                        number - 1,
                        prefix,
                        conn.where,
                        number,
                    )
            ns = f"{prefix}v{number}:"
            if not self._namespace_holds_keys(conn, ns, names, scan=suspicious):
                return number
            logger.warning("namespace %r on %s already holds keys; skipping version v%d", ns, conn.where, number)
        raise RedisStoreError(
            f"could not find an empty namespace for a new version under {prefix!r} on {conn.where}: "
            "the namespaces of the next versions hold keys not written by RedisExporter"
        )

    def _allocate_cluster(self, conn, token: str) -> tuple[int, bool]:
        """Cluster: the registry (one key) allocates, the counter and pointer read first are hints."""
        c, prefix = conn.client, self.key_prefix
        while True:
            counter, current = conn.call(
                "read the version counter",
                lambda: (c.get(prefix + _COUNTER), c.get(prefix + _CURRENT)),
            )
            hint = max(_int_or_zero(counter), _version_number(current) or 0)
            number = int(
                conn.call(
                    "allocate a version number", partial(c.eval, _ALLOCATE_REGISTRY_SCRIPT, 1, prefix + _VERSIONS, hint)
                )
            )
            before = int(
                conn.call(
                    "record the version number", partial(c.eval, _RAISE_COUNTER_SCRIPT, 1, prefix + _COUNTER, number)
                )
            )
            ns = f"{prefix}v{number}:"
            if conn.call("claim the version namespace", partial(c.set, ns + _OWNER, token, nx=True)):
                return number, before == 0 or before != number - 1

    def _namespace_holds_keys(self, conn, ns: str, names: list[str], scan: bool) -> bool:
        """Whether ``ns`` holds an id list, metadata or any of a sample of ``names`` (or, with ``scan``, any key)."""
        c = conn.client
        step = max(1, len(names) // 32)
        probe = [ns + _IDS, ns + _META] + [ns + n for n in names[::step][:32]] + [ns + names[-1]]
        if _multi_key(conn, "EXISTS", probe, "check the new version's namespace"):
            return True
        if not scan:
            return False
        pattern = "".join("\\" + ch if ch in "*?[]\\" else ch for ch in ns) + "*"
        owner = (ns + _OWNER).encode()

        def any_key():
            return any(k != owner for k in c.scan_iter(match=pattern, count=10_000))

        return bool(conn.call("scan the new version's namespace", any_key))

    def _write_claimed(self, conn, claim: tuple[bytes, bytes], records: dict[str, str], what: str) -> None:
        """SET ``records`` while the namespace's claim is this writer's (atomically on one server)."""
        c = conn.client
        if conn.is_cluster:
            self._check_claim(conn, claim)
            for key, value in records.items():
                conn.call(what, partial(c.set, key, value))
            return
        args = [a for kv in records.items() for a in kv]
        if not conn.call(what, lambda: c.eval(_WRITE_CLAIMED_SCRIPT, 0, *claim, *args)):
            raise _ClaimLost(self._claim_lost_message(conn, claim))

    def _check_claim(self, conn, claim: tuple[bytes, bytes]) -> None:
        if conn.call("check the version's claim", lambda: conn.client.get(claim[0])) != claim[1]:
            raise _ClaimLost(self._claim_lost_message(conn, claim))

    def _claim_lost_message(self, conn, claim: tuple[bytes, bytes]) -> str:
        ns = claim[0].decode()[: -len(_OWNER)]
        return (
            f"the namespace {ns!r} on {conn.where} stopped belonging to this publication while it "
            "was written (the server restarted from older data, failed over, or another writer "
            "removed it); this writer wrote nothing more into it"
        )

    def _switch(self, conn, number: int, version: str, claim: tuple[bytes, bytes]) -> str:
        """Point readers at ``version`` unless a later one is served; returns what is served."""
        c, prefix = conn.client, self.key_prefix
        keys, args = [prefix + _CURRENT], [number, version]
        if conn.is_cluster:  # the claim is checked just before; one key only
            self._check_claim(conn, claim)
        else:  # the claim, completeness, registry and counter in the same script
            keys += [prefix + _VERSIONS, prefix + _COUNTER]
            args += [*claim, f"{prefix}{version}:{_META}"]
        served = conn.call(
            "switch readers to the new version", partial(c.eval, _SWITCH_SCRIPT, len(keys), *keys, *args)
        )
        if conn.is_cluster:
            conn.call("record the version number", lambda: c.eval(_RAISE_COUNTER_SCRIPT, 1, prefix + _COUNTER, number))
        served = served.decode() if isinstance(served, bytes) else served
        if served == "":
            raise _ClaimLost(self._claim_lost_message(conn, claim))
        if served == "-":
            raise RedisStoreError(
                f"the metadata of {version} under {prefix!r} vanished from {conn.where} before the "
                "switch (the server restarted from older data, or evicted it)"
            )
        return served

    def _write_vectors(
        self,
        conn,
        ns: str,
        names: list[str],
        vectors: np.ndarray,
        px: int | None,
        claim: tuple[bytes, bytes] | None = None,
    ) -> None:
        """Write ``vectors`` under ``ns + name`` in batches, one round trip each; then check them.

        With ``claim``, every batch is written only while the namespace is
        claimed by this writer (in the same script on one server; checked
        just before each batch on a cluster).
        """
        from tqdm.auto import tqdm

        raw = vectors.view(np.uint8).reshape(len(names), -1)  # one row of bytes per vector
        n, step = len(names), self.batch_size
        for start in tqdm(
            range(0, n, step), disable=not self.verbose, unit="batch", desc=f"Publishing {n} vectors to {conn.where}"
        ):
            keys = [(ns + name).encode() for name in names[start : start + step]]
            block = raw[start : start + len(keys)]
            what = f"write vectors {start}-{start + len(keys) - 1}"
            if claim is not None and conn.is_cluster:
                self._check_claim(conn, claim)
            try:
                replies = conn.call(what, partial(self._send_batch, conn, keys, block, px, claim))
            except RedisStoreError:
                if not conn.is_cluster:
                    raise
                # A slot moved (MOVED/ASK) mid-publication: let redis-py's
                # cluster pipeline follow the redirections for this batch.
                logger.info(
                    "%s: slots moved while publishing; batch %s goes through redis-py's cluster pipeline",
                    conn.where,
                    what,
                )
                conn.client.nodes_manager.initialize()
                self._write_batch_slowly(conn, keys, block, px, what)
                continue
            if claim is not None and not conn.is_cluster and replies[0] != 1:
                raise _ClaimLost(self._claim_lost_message(conn, claim))
        self._verify(conn, ns, names)

    @staticmethod
    def _send_batch(
        conn,
        keys: list[bytes],
        block: np.ndarray,
        px: int | None,
        claim: tuple[bytes, bytes] | None = None,
    ) -> list:
        # Single server, no ttl: one MSET per batch through redis-py (an
        # EVAL of the claimed-write script when writing a version, whose
        # reply is returned).  Else one SET [PX] per key, packed in RESP and
        # grouped by server on each attempt, so a retry after a failover
        # goes to the slots' new owners.
        if px is None and not conn.is_cluster:
            values = _rows(block)
            if claim is not None:
                pairs = [a for kv in zip(keys, values, strict=True) for a in kv]
                return [conn.client.eval(_WRITE_CLAIMED_SCRIPT, 0, *claim, *pairs)]
            conn.client.mset(dict(zip(keys, values, strict=True)))
            return []
        jobs = []
        bulks = _key_bulks(keys)
        for node, idx in conn.group_by_node(keys):
            subset = block if len(idx) == len(keys) else block[idx]
            jobs.append((node, _pack_sets([bulks[i] for i in idx], subset, px), len(idx)))
        return conn.send_packed(jobs)

    def _write_batch_slowly(self, conn, keys, block, px, what) -> None:
        def run():
            pipe = conn.client.pipeline()
            for key, value in zip(keys, block, strict=True):
                pipe.set(key, value.tobytes(), px=px)
            pipe.execute()

        conn.call(what, run)

    def _verify(self, conn, ns: str, names: list[str]) -> None:
        """Check every key written exists (catches keys evicted by a full server)."""
        found = _multi_key(conn, "EXISTS", [ns + n for n in names], "check the written keys")
        if found != len(names):
            raise RedisStoreError(
                f"only {found} of {len(names)} vectors written under {ns!r} exist on {conn.where}: "
                "keys were evicted or deleted while publishing (is the server at maxmemory "
                "with an eviction policy, or did it restart from older data?)"
            )

    # -- versions ----------------------------------------------------------------
    def _drop_version(self, conn, version: str, names: list[str] | None = None) -> bool:
        """Delete every key of ``version`` (its nodes: ``names``, else its id list), then unregister it.

        The claim goes first, so a writer still writing the version stops
        before anything else is deleted, and only if readers are not served
        the version (checked at the same instant on a single server; else
        nothing is deleted and False returned); the registry entry goes
        last, so a removal cut short is finished by the next publication.
        """
        c, prefix = conn.client, self.key_prefix
        ns = f"{prefix}{version}:"
        what = f"remove version {version}"
        if conn.is_cluster:
            if conn.call(what, lambda: c.get(prefix + _CURRENT)) == version.encode():
                return False
            _multi_key(conn, "UNLINK", [ns + _OWNER], what)
        elif not conn.call(what, lambda: c.eval(_RELEASE_SCRIPT, 1, prefix + _CURRENT, version, ns + _OWNER)):
            return False
        if names is None:
            raw = conn.call(f"read the id list of {version}", lambda: c.get(ns + _IDS))
            names = [] if raw is None else [str(v) for v in loads_ids(raw, repr(ns + _IDS))]
        keys = [ns + n for n in names] + [ns + _META, ns + _IDS, ns + _OWNER]
        for _ in range(3):
            for start in range(0, len(keys), _CHUNK):
                if not self._unlink_released(conn, version, keys[start : start + _CHUNK]):
                    logger.warning(
                        "stopped removing version %s under %r on %s: it is claimed or served again "
                        "(the server restarted from older data?)",
                        version,
                        prefix,
                        conn.where,
                    )
                    return False
            if self._unregister(conn, version, keys):
                return True
            logger.info(
                "keys of version %s under %r came back while it was removed (restart from "
                "older data?); removing them again",
                version,
                prefix,
            )
        return False

    def _unregister(self, conn, version: str, keys: list[str]) -> bool:
        """ZREM ``version`` from the registry if none of ``keys`` exists (atomically on one server)."""
        c, prefix, what = conn.client, self.key_prefix, f"unregister version {version}"
        if conn.is_cluster:
            if _multi_key(conn, "EXISTS", keys, what):
                return False
            conn.call(what, lambda: c.zrem(prefix + _VERSIONS, version))
            return True
        return bool(conn.call(what, lambda: c.eval(_UNREGISTER_SCRIPT, 1, prefix + _VERSIONS, version, *keys)))

    def _unlink_released(self, conn, version: str, keys: list[str]) -> bool:
        """UNLINK ``keys`` of ``version`` unless its claim is back or it is served (atomically on one server)."""
        c, prefix = conn.client, self.key_prefix
        owner, what = f"{prefix}{version}:{_OWNER}", f"remove version {version}"
        if conn.is_cluster:
            current, claimed = conn.call(what, lambda: (c.get(prefix + _CURRENT), c.exists(owner)))
            if current == version.encode() or claimed:
                return False
            _multi_key(conn, "UNLINK", keys, what)
            return True
        return (
            conn.call(what, lambda: c.eval(_UNLINK_RELEASED_SCRIPT, 1, prefix + _CURRENT, version, owner, *keys)) >= 0
        )

    def _drop_quietly(self, conn, version: str, names: list[str], token: str) -> None:
        """Best-effort removal of our own unpublished version (one attempt), if still ours."""
        retries, conn.max_retries = conn.max_retries, 0
        owner = f"{self.key_prefix}{version}:{_OWNER}"
        try:
            if conn.call("check the version's claim", lambda: conn.client.get(owner)) == token.encode():
                self._drop_version(conn, version, names)
        except Exception as e:  # the connection is likely down: leave it to the next run
            logger.warning(
                "could not remove the unpublished version %s under %r (%s); the next successful publication removes it",
                version,
                self.key_prefix,
                e,
            )
        finally:
            conn.max_retries = retries

    def _collect_garbage(self, conn, number: int) -> list[str]:
        """Remove versions older than ``number`` beyond ``keep``, and incomplete ones."""
        c, prefix = conn.client, self.key_prefix
        entries = conn.call("list versions", lambda: c.zrange(prefix + _VERSIONS, 0, -1, withscores=True))
        older = sorted(
            ((name.decode(), int(score)) for name, score in entries if int(score) < number),
            key=lambda e: -e[1],
        )
        if not older:
            return []

        def complete_flags():
            pipe = c.pipeline()
            for name, _ in older:
                pipe.exists(f"{prefix}{name}:{_META}")
            return pipe.execute()

        complete = [bool(f) for f in conn.call("check older versions", complete_flags)]
        kept = [name for (name, _), done in zip(older, complete, strict=True) if done][: self.keep - 1]
        removed = []
        for (name, _), done in zip(older, complete, strict=True):
            if name in kept:
                continue
            if not self._drop_version(conn, name):
                logger.warning(
                    "version %s under %r on %s is served to readers (or claimed) although %s was just "
                    "published (did the server restart from older data?); it is kept",
                    name,
                    prefix,
                    conn.where,
                    f"v{number}",
                )
                continue
            removed.append(name)
            if done:
                logger.info("removed old version %s under %r on %s", name, prefix, conn.where)
            else:
                logger.info(
                    "removed incomplete version %s under %r on %s, left by an interrupted or failed writer",
                    name,
                    prefix,
                    conn.where,
                )
        return removed

    # -- sklearn plumbing ----------------------------------------------------------
    def __sklearn_clone__(self):
        # Share a given client instead of deep-copying it (sockets and locks
        # cannot be copied), as the embedders share their graph.
        return clone_sharing(self, "client")

    def _masked(self) -> RedisExporter:
        masked = copy.copy(self)
        masked.url = mask_url(self.url) if isinstance(self.url, str) else self.url
        return masked

    def __repr__(self, N_CHAR_MAX=700):
        return BaseExporter.__repr__(self._masked(), N_CHAR_MAX=N_CHAR_MAX)

    def _repr_html_inner(self):
        return BaseExporter._repr_html_inner(self._masked())

    def _repr_mimebundle_(self, **kwargs):
        return BaseExporter._repr_mimebundle_(self._masked(), **kwargs)
