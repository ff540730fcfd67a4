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

Writes are batched: each batch of vectors is one ``MSET`` (or one pipeline
of ``SET ... PX`` with a ``ttl``, or one pipeline per cluster node) packed
directly in the Redis protocol, so there is one round trip per batch and no
per-key Python overhead from the client library.  Nothing read from Redis is
ever unpickled: vectors are raw bytes checked for length, metadata and id
lists are JSON.

redis-py is imported only when a connection is made
(:func:`~skgraphemb._optional.import_optional`).
"""

from __future__ import annotations

import copy
import json
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from skgraphemb._optional import import_optional
from skgraphemb.exceptions import RedisConnectionError, RedisStoreError
from skgraphemb.export._base import (
    DTYPES,
    EXPORTER_ATTRIBUTES,
    BaseEmbeddingStore,
    BaseExporter,
    check_encodable,
    empty_result,
    ids_array,
    loads_ids,
    loads_metadata,
)
from skgraphemb.utils._validation import (
    HasMethods,
    Integral,
    Interval,
    Real,
    StrOptions,
    clone_sharing,
)

__all__ = ["RedisEmbeddingStore", "RedisExporter", "mask_url"]

logger = logging.getLogger(__name__)

# Names kept under the key prefix beside the vectors (node ids of the form
# "__name__" are refused by the exporters, so no node collides with them).
_META, _IDS = "__meta__", "__ids__"
_CURRENT, _VERSIONS, _COUNTER = "__current__", "__versions__", "__counter__"
#: mode="keys": ids being written by a publication not finished yet (JSON array).
_PENDING = "__pending__"
#: Claim of a version namespace: the random token of the publication writing it.
_OWNER = "__owner__"
#: Hash of every key prefix published on a server -> its mode; an exporter
#: refuses a prefix that lies inside another one's namespace or contains one.
_NAMESPACES = "__skgraphemb_namespaces__"

#: Keys per MGET / EXISTS / UNLINK command when reading, verifying, deleting.
_CHUNK = 10_000
#: Longest wait between two retries, seconds.
_MAX_BACKOFF = 30.0
#: Times a read follows a moving version pointer (or changing metadata) before giving up.
_MAX_SWITCHES = 5

# Allocate a version number (single server): one past the highest of the
# counter, the registered versions and the served version, skipping any
# number whose namespace is claimed or holds an id list or metadata; then
# record it in the counter, register it and claim its namespace with the
# writer's token, all at once.  KEYS: counter, versions, current; ARGV:
# key prefix, token.  Returns {number, numbers skipped, counter before}.
_ALLOCATE_SCRIPT = """
local function whole(x) x = tonumber(x) or 0; if x ~= x or x < 0 or x > 1e15 then return 0 end; return math.floor(x) end
local counter = whole(redis.call('GET', KEYS[1]))
local n = counter
local top = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if top[2] then n = math.max(n, whole(top[2])) end
local cur = redis.call('GET', KEYS[3])
if cur then n = math.max(n, whole(string.sub(cur, 2))) end
local skipped = 0
local ns
while true do
  n = n + 1
  ns = ARGV[1] .. 'v' .. string.format('%d', n) .. ':'
  if redis.call('EXISTS', ns .. '__owner__', ns .. '__ids__', ns .. '__meta__') == 0 then break end
  skipped = skipped + 1
  if skipped > 10000 then return redis.error_reply('ERR no free version namespace') end
end
local name = 'v' .. string.format('%d', n)
redis.call('SET', KEYS[1], n)
redis.call('ZADD', KEYS[2], n, name)
redis.call('SET', ns .. '__owner__', ARGV[2])
return {n, skipped, counter}
"""

# Cluster (keys in different slots): the registry alone decides, with the
# counter and the served version read just before as hints.  KEYS: versions;
# ARGV: hint.  Returns the number registered.
_ALLOCATE_REGISTRY_SCRIPT = """
local function whole(x) x = tonumber(x) or 0; if x ~= x or x < 0 or x > 1e15 then return 0 end; return math.floor(x) end
local n = whole(ARGV[1])
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if top[2] then n = math.max(n, whole(top[2])) end
n = n + 1
redis.call('ZADD', KEYS[1], n, 'v' .. string.format('%d', n))
return n
"""

# Raise a counter to ARGV[1] unless it is already there (never lowers it).
_RAISE_COUNTER_SCRIPT = """
local c = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return c
"""

# Write key/value pairs only while the namespace's claim holds the writer's
# token: a writer whose version was lost (server restarted from older data,
# failover) or removed (by another writer) cannot write into a namespace
# that may now belong to someone else.  ARGV: claim key, token, k1, v1, ...
# (single server only: the keys are not declared).  Returns 1, or 0 when
# the claim is not the writer's.
_WRITE_CLAIMED_SCRIPT = """
if redis.call('GET', ARGV[1]) ~= ARGV[2] then return 0 end
for i = 3, #ARGV, 1000 do
  redis.call('MSET', unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return 1
"""

# Release the claim of a version about to be removed, unless readers are
# served it (after a restart from older data the pointer may name a version
# a writer thought old).  KEYS: current; ARGV: version, claim key.  Single
# server (the claim key is not declared).  Returns 1, or 0 when served.
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
redis.call('UNLINK', ARGV[2])
return 1
"""

# Delete keys of a version being removed, only while its claim is released
# and readers are not served it: a removal that outlives a restart of the
# server from older data (where the version is claimed, maybe served) stops
# instead of deleting a live version.  KEYS: current; ARGV: version, claim
# key, keys...  Returns the number deleted, or -1 when refused.
_UNLINK_RELEASED_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] or redis.call('EXISTS', ARGV[2]) == 1 then return -1 end
local n = 0
for i = 3, #ARGV, 1000 do
  n = n + redis.call('UNLINK', unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return n
"""

# Unregister a removed version only if none of its keys exists: a removal
# resumed on a server restarted from a snapshot taken midway has chunks back
# that must be deleted again first.  KEYS: versions; ARGV: version, keys...
# Returns 1, or 0 when keys remain.
_UNREGISTER_SCRIPT = """
for i = 2, #ARGV, 1000 do
  if redis.call('EXISTS', unpack(ARGV, i, math.min(i + 999, #ARGV))) > 0 then return 0 end
end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
"""

# Move the version pointer forward only: set it to ARGV[2] ("v<N>") unless it
# already names a version numbered ARGV[1] or higher.  One key, so it runs
# atomically on a single server and on the cluster node owning the key.
_SWITCH_SCRIPT = """
local cur = redis.call('GET', KEYS[1])
if cur then
  local n = tonumber(string.sub(cur, 2))
  if n and n >= tonumber(ARGV[1]) then return cur end
end
redis.call('SET', KEYS[1], ARGV[2])
return ARGV[2]
"""

# The same on a single server, where it also checks, at the same instant,
# that the namespace is still claimed by this writer and complete, and
# keeps the registry and the counter at or above the version.
# KEYS: current, versions, counter; ARGV: number, version, claim key,
# token, metadata key.  Returns the version served, or "" when the claim
# was lost, or "-" when the metadata is missing.
_SWITCH_CLAIMED_SCRIPT = """
if redis.call('GET', ARGV[3]) ~= ARGV[4] then return '' end
if redis.call('EXISTS', ARGV[5]) == 0 then return '-' end
local cur = redis.call('GET', KEYS[1])
if cur then
  local n = tonumber(string.sub(cur, 2))
  if n and n >= tonumber(ARGV[1]) then return cur end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
local c = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[3], ARGV[1]) end
return ARGV[2]
"""

# Register a key prefix in the namespace registry (one hash key) unless it
# overlaps another registered prefix: returns "" when registered (or already
# there with the same mode), else the conflicting prefix and its mode.
# KEYS: registry; ARGV: prefix, mode.
_REGISTER_PREFIX_SCRIPT = """
local p, mode = ARGV[1], ARGV[2]
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local f, m = all[i], all[i + 1]
  if f == p then
    if m ~= mode then return {f, m} end
  elseif string.sub(f, 1, #p) == p or string.sub(p, 1, #f) == f then
    return {f, m}
  end
end
redis.call('HSET', KEYS[1], p, mode)
return ''
"""


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


def _check_key_prefix(prefix: str, who: str) -> None:
    """Refuse a key prefix that cannot be a Redis key prefix of ours."""
    try:
        prefix.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(
            f"{who}: key_prefix {prefix!r} cannot be encoded as UTF-8 ({e.reason} at position "
            f"{e.start}); use a prefix of ordinary characters"
        ) from None
    rest = _NAMESPACES[len(prefix) :]
    if _NAMESPACES.startswith(prefix) and not (rest.startswith("__") and rest.endswith("__") and len(rest) > 4):
        raise ValueError(
            f"{who}: key_prefix {prefix!r} would put node keys next to the registry key "
            f"{_NAMESPACES!r}; use another prefix (e.g. 'emb:')"
        )


# -- URLs ----------------------------------------------------------------------
def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and logs.

    >>> mask_url("redis://alice:s3cret@cache.example:6380/2")
    'redis://alice:***@cache.example:6380/2'
    >>> mask_url("rediss://:s3cret@cache.example/0?password=s3cret&ssl_cert_reqs=required")
    'rediss://:***@cache.example/0?password=%2A%2A%2A&ssl_cert_reqs=required'
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user, colon, _ = userinfo.partition(":")
            # "secret@host" (no colon) is a username to redis-py, but people
            # put passwords there: mask it too.
            netloc = f"{user}:***@{host}" if colon else f"***@{host}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs])
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<unparseable Redis URL>"


def _check_url(url: str, who: str) -> None:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"{who}: url must start with redis://, rediss:// (TLS) or unix://; got {mask_url(url)!r}")


def _describe_client(client: Any) -> str:
    """A password-free description of a user-given client, for messages."""
    try:
        kwargs = client.connection_pool.connection_kwargs
        scheme = "rediss" if "SSL" in client.connection_pool.connection_class.__name__ else "redis"
        return f"{scheme}://{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)} (given client)"
    except AttributeError:
        try:
            node = client.get_default_node()
            return f"Redis cluster at {node.host}:{node.port} (given client)"
        except AttributeError:
            return f"{type(client).__name__} (given client)"


# -- connection, retries and errors -------------------------------------------
class _Connection:
    """A redis-py client plus our retry policy and error messages.

    ``call(what, fn)`` runs ``fn()``; transient failures (connection refused
    or reset, timeouts, a server loading its data, cluster redirection
    storms) are retried ``max_retries`` times with exponential backoff and
    jitter, then raised as :class:`RedisConnectionError`.  Other Redis errors
    become :class:`RedisStoreError`.  Every message names the URL with the
    password masked.
    """

    def __init__(self, *, url, client, cluster, socket_timeout, max_retries, retry_backoff, who):
        self.redis = import_optional("redis", who)
        self.url = url
        self.given = client
        self.cluster_opt = cluster
        self.socket_timeout = socket_timeout
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.where = _describe_client(client) if client is not None else mask_url(url)
        self.client: Any = None
        self.is_cluster = False

    # -- errors --------------------------------------------------------------
    def _transient(self) -> tuple[type, ...]:
        e = self.redis.exceptions
        # RedisClusterException ("cannot be connected", slot not covered) is
        # not a RedisError: listed explicitly.
        return (e.ConnectionError, e.TimeoutError, e.ClusterDownError, e.TryAgainError, e.RedisClusterException)

    def _fatal(self) -> tuple[type, ...]:
        e = self.redis.exceptions
        return (e.AuthenticationError, e.AuthorizationError, e.AuthenticationWrongNumberOfArgsError)

    def _wrap(self, error: Exception, what: str, attempts: int) -> Exception:
        e = self.redis.exceptions
        if isinstance(error, self._fatal()):
            return RedisConnectionError(
                f"authentication failed for {self.where}: {error} Check the username and "
                "password in the URL (redis://user:password@host:port/db)"
            )
        if isinstance(error, e.NoPermissionError):
            return RedisStoreError(f"{self.where} refused to {what}: {error} (check the ACL permissions of the user)")
        if isinstance(error, e.TimeoutError):
            return RedisConnectionError(
                f"{self.where} did not answer in time (socket_timeout={self.socket_timeout} s) "
                f"when trying to {what}; gave up after {attempts} attempt(s): {error}"
            )
        if isinstance(error, self._transient()):
            return RedisConnectionError(f"Redis at {self.where}: could not {what} after {attempts} attempt(s): {error}")
        return RedisStoreError(f"{self.where} refused to {what}: {error}")

    def call(self, what: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` with retries of transient failures; errors wrapped."""
        attempt = 0
        while True:
            try:
                return fn()
            except self._fatal() as error:
                raise self._wrap(error, what, attempt + 1) from error
            except self._transient() as error:
                if attempt >= self.max_retries:
                    raise self._wrap(error, what, attempt + 1) from error
                delay = min(self.retry_backoff * 2**attempt, _MAX_BACKOFF) * random.uniform(0.5, 1.0)
                logger.warning(
                    "%s: could not %s (%s: %s); retry %d of %d in %.2f s",
                    self.where,
                    what,
                    type(error).__name__,
                    error,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                time.sleep(delay)
                attempt += 1
                if self.is_cluster:  # the slot map may have changed (failover)
                    try:
                        self.client.nodes_manager.initialize()
                    except Exception:  # still down: the next attempt will say so
                        pass
            except self.redis.exceptions.RedisError as error:
                raise self._wrap(error, what, attempt + 1) from error

    # -- the client --------------------------------------------------------------
    def connect(self) -> _Connection:
        """Build the client (detecting a cluster), check it answers; idempotent."""
        if self.client is None:
            self.client, self.is_cluster = self.call("connect", self._build)
            encoder = getattr(self.client, "get_encoder", lambda: None)()
            if getattr(encoder, "decode_responses", False):
                raise ValueError(
                    "the given Redis client decodes responses (decode_responses=True), "
                    "but vectors are binary: pass a client made with decode_responses=False"
                )
        return self

    def _build(self) -> tuple[Any, bool]:
        r = self.redis
        if self.given is not None:
            is_cluster = isinstance(self.given, r.cluster.RedisCluster)
            self.given.ping()
            return self.given, is_cluster
        timeouts = {"socket_timeout": self.socket_timeout, "socket_connect_timeout": self.socket_timeout}
        if self.cluster_opt is True:
            return r.RedisCluster.from_url(self.url, **timeouts), True
        # Our own retry policy (call) is the only one: the client does not retry.
        client = r.Redis.from_url(self.url, retry=r.retry.Retry(r.backoff.NoBackoff(), 0), **timeouts)
        try:
            if self.cluster_opt == "auto":
                try:
                    enabled = client.info("cluster").get("cluster_enabled", 0)
                except r.exceptions.ResponseError:  # INFO not allowed for this user
                    enabled = 0
                if enabled:
                    client.close()
                    return r.RedisCluster.from_url(self.url, **timeouts), True
            client.ping()
        except BaseException:
            client.close()
            raise
        return client, False

    def close(self) -> None:
        if self.client is not None and self.given is None:
            self.client.close()
        self.client = None

    # -- raw protocol, for the hot paths ----------------------------------------
    def send_packed(self, jobs: list[tuple[Any, bytes, int]]) -> list:
        """Send pre-packed commands and read their replies.

        ``jobs`` holds ``(redis client of one server, payload, n_replies)``;
        all payloads are sent before any reply is read, so servers work in
        parallel.  Returns every reply, in order.  A connection that failed
        midway is dropped (its unread replies would desynchronise it).
        """
        taken = []
        try:
            for node, payload, n in jobs:
                pool = node.connection_pool
                conn = pool.get_connection()
                taken.append((pool, conn, n))
                conn.send_packed_command([payload], check_health=False)
            replies = []
            for _, conn, n in taken:
                replies.extend(conn.read_response() for _ in range(n))
            return replies
        except BaseException:
            for _, conn, _ in taken:
                conn.disconnect()
            raise
        finally:
            for pool, conn, _ in taken:
                pool.release(conn)

    def group_by_node(self, keys: list[bytes]) -> list[tuple[Any, list[int]]]:
        """Positions of ``keys`` grouped by the server holding them."""
        if not self.is_cluster:
            return [(self.client, list(range(len(keys))))]
        from redis.crc import key_slot

        manager = self.client.nodes_manager
        groups: dict[str, tuple[Any, list[int]]] = {}
        for i, key in enumerate(keys):
            node = manager.get_node_from_slot(key_slot(key))
            groups.setdefault(node.name, (node, []))[1].append(i)
        return [(self.client.get_redis_connection(node), idx) for node, idx in groups.values()]


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(value), value)


def _key_bulks(keys: list[bytes]) -> list[bytes]:
    """Each key as a RESP bulk string (``$len\\r\\nkey\\r\\n``)."""
    return [b"$%d\r\n%b\r\n" % (len(k), k) for k in keys]


def _command(*args: bytes) -> bytes:
    """One command in the Redis protocol (RESP): an array of bulk strings."""
    return b"*%d\r\n" % len(args) + b"".join(_key_bulks(list(args)))


def _pack_writes(
    bulks: list[bytes], values: np.ndarray, px: int | None, mset: bool, claim: tuple[bytes, bytes] | None = None
) -> bytes:
    """``MSET k1 v1 k2 v2 ...`` or ``SET k v [PX px]`` per key, packed in RESP.

    With ``claim`` (claim key, token): one ``EVAL`` of the claimed-write
    script instead of ``MSET``, writing only while the claim holds the token.

    ``bulks`` are the keys as bulk strings (:func:`_key_bulks`); ``values``
    holds one row of bytes (uint8) per key.  The fixed-size part of each
    key's command (value header, value, tail) is laid out by numpy in one
    block; Python only interleaves the key parts with its rows.
    """
    m, row = values.shape
    head = b"$%d\r\n" % row
    tail = b"\r\n" + (b"" if px is None else _bulk(b"PX") + _bulk(b"%d" % px))
    fixed = np.empty((m, len(head) + row + len(tail)), dtype=np.uint8)
    fixed[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    fixed[:, len(head) : len(head) + row] = values
    fixed[:, len(head) + row :] = np.frombuffer(tail, dtype=np.uint8)
    width = fixed.shape[1]
    rows = memoryview(fixed.reshape(-1))
    step = 2 if mset or claim is not None else 3
    parts: list = [b"*5\r\n$3\r\nSET\r\n" if px is not None else b"*3\r\n$3\r\nSET\r\n"] * (step * m)
    parts[step - 2 :: step] = bulks
    parts[step - 1 :: step] = [rows[i * width : (i + 1) * width] for i in range(m)]
    if claim is not None:
        command = (
            b"*%d\r\n$4\r\nEVAL\r\n" % (2 * m + 5)
            + _bulk(_WRITE_CLAIMED_SCRIPT.encode())
            + _bulk(b"0")
            + _bulk(claim[0])
            + _bulk(claim[1])
        )
    else:
        command = b"*%d\r\n$4\r\nMSET\r\n" % (2 * m + 1) if mset else b""
    return command + b"".join(parts)


def _multi_key(conn: _Connection, command: str, keys: list[str], what: str) -> int:
    """Sum of the integer replies of ``command k1 k2 ...`` (EXISTS, UNLINK) over ``keys``."""
    total = 0
    name = command.encode()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        if conn.is_cluster:  # redis-py splits multi-key commands by slot
            fn = getattr(conn.client, command.lower())
            total += conn.call(what, lambda: fn(*chunk))
        else:
            payload = _command(name, *(k.encode() for k in chunk))
            total += conn.call(what, lambda: conn.send_packed([(conn.client, payload, 1)])[0])
    return total


# -- the exporter -----------------------------------------------------------------
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
            conn.call("write the metadata", lambda: c.set(key, value, px=px))
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
                    "allocate a version number", lambda: c.eval(_ALLOCATE_REGISTRY_SCRIPT, 1, prefix + _VERSIONS, hint)
                )
            )
            before = int(
                conn.call(
                    "record the version number", lambda: c.eval(_RAISE_COUNTER_SCRIPT, 1, prefix + _COUNTER, number)
                )
            )
            ns = f"{prefix}v{number}:"
            if conn.call("claim the version namespace", lambda: c.set(ns + _OWNER, token, nx=True)):
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
                conn.call(what, lambda: c.set(key, value))
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
        if conn.is_cluster:
            self._check_claim(conn, claim)
            served = conn.call(
                "switch readers to the new version",
                lambda: c.eval(_SWITCH_SCRIPT, 1, prefix + _CURRENT, number, version),
            )
            conn.call("record the version number", lambda: c.eval(_RAISE_COUNTER_SCRIPT, 1, prefix + _COUNTER, number))
        else:
            served = conn.call(
                "switch readers to the new version",
                lambda: c.eval(
                    _SWITCH_CLAIMED_SCRIPT,
                    3,
                    prefix + _CURRENT,
                    prefix + _VERSIONS,
                    prefix + _COUNTER,
                    number,
                    version,
                    *claim,
                    f"{prefix}{version}:{_META}",
                ),
            )
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
        written: list[bytes] = []  # key bulk strings, for the final EXISTS check
        for start in tqdm(
            range(0, n, step), disable=not self.verbose, unit="batch", desc=f"Publishing {n} vectors to {conn.where}"
        ):
            keys = [(ns + name).encode() for name in names[start : start + step]]
            bulks = _key_bulks(keys)
            written += bulks
            block = raw[start : start + len(keys)]
            what = f"write vectors {start}-{start + len(keys) - 1}"
            if claim is not None and conn.is_cluster:
                self._check_claim(conn, claim)
            try:
                replies = conn.call(what, lambda: self._send_batch(conn, keys, bulks, block, px, claim))
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
        self._verify(conn, ns, names, written)

    @staticmethod
    def _send_batch(
        conn,
        keys: list[bytes],
        bulks: list[bytes],
        block: np.ndarray,
        px: int | None,
        claim: tuple[bytes, bytes] | None = None,
    ) -> list:
        # Grouped by server on each attempt, so a retry after a failover
        # goes to the slots' new owners.  MSET (single server, no ttl): one
        # reply per batch (an EVAL of the claimed-write script when writing
        # a version); else one SET [PX] per key.
        if claim is not None and not conn.is_cluster:
            return conn.send_packed([(conn.client, _pack_writes(bulks, block, None, True, claim), 1)])
        mset = px is None and not conn.is_cluster
        jobs = []
        for node, idx in conn.group_by_node(keys):
            subset = block if len(idx) == len(keys) else block[idx]
            payload = _pack_writes([bulks[i] for i in idx], subset, px, mset)
            jobs.append((node, payload, 1 if mset else len(idx)))
        return conn.send_packed(jobs)

    def _write_batch_slowly(self, conn, keys, block, px, what) -> None:
        def run():
            pipe = conn.client.pipeline()
            for key, value in zip(keys, block):
                pipe.set(key, value.tobytes(), px=px)
            pipe.execute()

        conn.call(what, run)

    def _verify(self, conn, ns: str, names: list[str], bulks: list[bytes]) -> None:
        """Check every key written exists (catches keys evicted by a full server)."""
        if conn.is_cluster:
            found = _multi_key(conn, "EXISTS", [ns + n for n in names], "check the written keys")
        else:
            found = 0
            for start in range(0, len(bulks), _CHUNK):
                chunk = bulks[start : start + _CHUNK]
                payload = b"*%d\r\n$6\r\nEXISTS\r\n" % (len(chunk) + 1) + b"".join(chunk)
                found += conn.call("check the written keys", lambda: conn.send_packed([(conn.client, payload, 1)])[0])
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
        kept = [name for (name, _), done in zip(older, complete) if done][: self.keep - 1]
        removed = []
        for (name, _), done in zip(older, complete):
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


RedisExporter.__doc__ = RedisExporter.__doc__.replace("    {exporter_attributes}\n", EXPORTER_ATTRIBUTES)


# -- the reader -----------------------------------------------------------------
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
                meta_raw = conn.call("read the metadata", lambda: c.get(ns + _META))
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
