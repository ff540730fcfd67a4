"""What goes to the server: the key layout, the server-side Lua scripts, SET batches packed in RESP.

The names kept under a key prefix beside the vectors, the registry of key
prefixes, the scripts that allocate, claim, switch and remove versions
atomically on a single server (and their one-key counterparts for a
cluster), and the packing of ``SET [PX]`` batches (``ttl`` and cluster
writes) directly in the Redis protocol (RESP), sent by
:meth:`._connection._Connection.send_packed`.  Other commands go through
redis-py.
"""

from __future__ import annotations

import numpy as np

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
# already names a version numbered ARGV[1] or higher.  With one key it runs
# atomically on a single server and on the cluster node owning the key.  On
# a single server it is also given the claim and the registry: it then
# checks, at the same instant, that the namespace is still claimed by this
# writer and complete, and keeps the registry and the counter at or above
# the version.  KEYS: current [, versions, counter]; ARGV: number, version
# [, claim key, token, metadata key].  Returns the version served, or ""
# when the claim was lost, or "-" when the metadata is missing.
_SWITCH_SCRIPT = """
if ARGV[3] then
  if redis.call('GET', ARGV[3]) ~= ARGV[4] then return '' end
  if redis.call('EXISTS', ARGV[5]) == 0 then return '-' end
end
local cur = redis.call('GET', KEYS[1])
if cur then
  local n = tonumber(string.sub(cur, 2))
  if n and n >= tonumber(ARGV[1]) then return cur end
end
redis.call('SET', KEYS[1], ARGV[2])
if KEYS[2] then
  redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
  local c = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
  if c < tonumber(ARGV[1]) then redis.call('SET', KEYS[3], ARGV[1]) end
end
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


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(value), value)


def _key_bulks(keys: list[bytes]) -> list[bytes]:
    """Each key as a RESP bulk string (``$len\\r\\nkey\\r\\n``)."""
    return [b"$%d\r\n%b\r\n" % (len(k), k) for k in keys]


def _pack_sets(bulks: list[bytes], values: np.ndarray, px: int | None) -> bytes:
    """``SET k v [PX px]`` per key, packed in RESP (the ``ttl`` and cluster write paths).

    ``bulks`` are the keys as bulk strings (:func:`_key_bulks`); ``values``
    holds one row of bytes (uint8) per key.  The fixed-size part of each
    key's command (value header, value, tail) is laid out by numpy in one
    block; Python only interleaves the key parts with its rows.  A batch of
    ``MSET`` or of the claimed-write script goes through redis-py instead:
    packing those by hand was not worth it (``benchmarks/bench_resp.py``).
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
    parts: list = [b"*5\r\n$3\r\nSET\r\n" if px is not None else b"*3\r\n$3\r\nSET\r\n"] * (3 * m)
    parts[1::3] = bulks
    parts[2::3] = [rows[i * width : (i + 1) * width] for i in range(m)]
    return b"".join(parts)


def _rows(values: np.ndarray) -> list[bytes]:
    """One ``bytes`` per row of ``values`` (uint8), for redis-py's commands."""
    flat, width = values.tobytes(), values.shape[1]
    return [flat[i * width : (i + 1) * width] for i in range(len(values))]
