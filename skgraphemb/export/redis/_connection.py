"""The connection to Redis: URLs (password masked), client building with cluster detection, retries.

:class:`_Connection` wraps a redis-py client (built from a URL, or given)
with the retry policy and the error messages shared by
:class:`~skgraphemb.export.redis.RedisExporter` and
:class:`~skgraphemb.export.redis.RedisEmbeddingStore`; every message names
the server with the password masked (:func:`mask_url`).  It also sends
pre-packed commands (:mod:`._protocol`) on the hot paths.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from skgraphemb._optional import import_optional
from skgraphemb.exceptions import RedisConnectionError, RedisStoreError

logger = logging.getLogger(__name__)

#: Longest wait between two retries, seconds.
_MAX_BACKOFF = 30.0


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
