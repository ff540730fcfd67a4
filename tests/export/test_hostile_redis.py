"""Hostile inputs and faults for RedisExporter / RedisEmbeddingStore (issue #12, "Trust").

Every case asserts a specific error type and message fragment, or the
correct result.  Classes covered: ids that cannot be keys, dtypes, lost or
lowered version counters and registries (a version name is never reused),
stale metadata after a republication with another dtype or dimension,
overlapping key prefixes, corrupt records in Redis, writers that lose their
namespace, concurrent writers, and a small version of the fault campaign
``benchmarks/soak_redis.py``.  Servers are real (conftest.py).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skgraphemb import RedisEmbeddingStore, RedisExporter, RedisStoreError
from skgraphemb.export.redis import _exporter

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = "__skgraphemb_namespaces__"


def frame(n: int, d: int = 4, seed: int = 0, ids=None, dtype=np.float32) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.Index(range(n) if ids is None else ids, name="node")
    return pd.DataFrame(rng.normal(size=(n, d)).astype(dtype), index=index)


# -- ids that cannot be keys: one clear error, naming the id ---------------------------
BAD_IDS = [
    pytest.param([1, "1", 2], ValueError, "must be unique", id="int-and-str-duplicate"),
    pytest.param(["a", "a"], ValueError, "duplicated: 'a'", id="str-duplicate"),
    pytest.param(["a", "__meta__"], ValueError, "reserved", id="reserved-meta"),
    pytest.param(["__owner__"], ValueError, "reserved", id="reserved-owner"),
    pytest.param(["__current__", "x"], ValueError, "reserved", id="reserved-current"),
    pytest.param([0.5, 1.5], TypeError, "integers or strings", id="float"),
    pytest.param([True, False], TypeError, "integers or strings", id="bool"),
    pytest.param([None, 1], TypeError, "got NoneType None", id="none"),
    pytest.param([b"x", b"y"], TypeError, "got bytes b'x'", id="bytes"),
    pytest.param([("a", 1), ("b", 2)], TypeError, "got tuple", id="tuple"),
    pytest.param([np.float64(1.0), np.float64(2.0)], TypeError, "integers or strings", id="numpy-float"),
    pytest.param(
        ["ok", "bad\udc80id"], ValueError, "cannot be encoded as UTF-8, e.g. 'bad\\udc80id'", id="lone-surrogate"
    ),
    pytest.param(
        np.array(["ok", "x\ud800"]), ValueError, "'x\\ud800' (surrogates not allowed", id="surrogate-numpy-str"
    ),
    pytest.param(["\udcff"] * 1 + ["\udcfe"], ValueError, "2 node id(s) cannot be encoded", id="two-surrogates"),
]


@pytest.mark.parametrize("mode", ["keys", "versioned"])
@pytest.mark.parametrize("ids, error, message", BAD_IDS)
def test_bad_ids_are_refused_before_anything_is_written(redis_url, r, mode, ids, error, message):
    with pytest.raises(error) as info:
        RedisExporter(redis_url, mode=mode).fit(np.ones((len(ids), 3)), keys=ids)
    assert message in str(info.value)
    assert r.dbsize() == 0


GOOD_IDS = [
    pytest.param(["ünï", "日本", "a b", "x:y", "*?[]\\"], id="unicode-spaces-colons-glob"),
    pytest.param([2**63 - 1, -5, 0], id="int64-extremes"),
    pytest.param(np.array([2**64 - 1, 2**63, 7], dtype=np.uint64), id="uint64-above-int64"),
    pytest.param([2**70, 3], id="beyond-64-bits"),
    pytest.param(["", "a"], id="empty-string"),
    pytest.param(["nul\x00byte", "new\nline", "tab\t"], id="control-characters"),
    pytest.param(["_x_", "__x", "x__", "__"], id="almost-reserved"),
]


@pytest.mark.parametrize("mode", ["keys", "versioned"])
@pytest.mark.parametrize("ids", GOOD_IDS)
def test_unusual_ids_round_trip_exactly(redis_url, mode, ids):
    X = frame(len(ids), seed=3).to_numpy()
    RedisExporter(redis_url, mode=mode).fit(X, keys=ids)
    store = RedisEmbeddingStore(redis_url, missing="raise")
    expected = [v.item() if isinstance(v, np.generic) else v for v in ids]
    assert store.ids.tolist() == expected
    np.testing.assert_array_equal(store.get_many(ids), X)
    for i, node in enumerate(ids):
        np.testing.assert_array_equal(store.get(node), X[i])


LOOKUPS = [
    pytest.param(b"\xff\xfe", ValueError, "is bytes that are not UTF-8", id="bytes-not-utf8"),
    pytest.param("a\udc80", ValueError, "cannot be encoded as UTF-8", id="surrogate"),
    pytest.param("nobody", KeyError, "not published.*'nobody'|'nobody' is not published", id="unknown"),
    pytest.param(3.5, KeyError, "3.5", id="float-unknown"),
]


@pytest.mark.parametrize("node, error, message", LOOKUPS)
def test_bad_lookups_name_the_id(redis_url, node, error, message):
    RedisExporter(redis_url).fit(frame(5))
    store = RedisEmbeddingStore(redis_url, missing="raise")
    with pytest.raises(error, match=message):
        store.get(node)
    with pytest.raises(error, match=message):
        store.get_many([0, node])


def test_bytes_and_numpy_lookups_find_the_node(redis_url):
    X = frame(5, ids=["n0", "n1", "n2", "n3", "n4"])
    RedisExporter(redis_url).fit(X)
    store = RedisEmbeddingStore(redis_url)
    np.testing.assert_array_equal(store.get(b"n1"), X.loc["n1"].to_numpy())
    np.testing.assert_array_equal(store.get(np.str_("n2")), X.loc["n2"].to_numpy())
    with pytest.raises(TypeError, match="sequence of node ids"):
        store.get_many("n1")


# -- dtypes --------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["keys", "versioned"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_every_dtype_round_trips(redis_url, r, mode, dtype):
    X = np.arange(24, dtype=np.float64).reshape(6, 4) / 4  # exact in float16
    RedisExporter(redis_url, mode=mode, dtype=dtype).fit(X, keys=list("abcdef"))
    store = RedisEmbeddingStore(redis_url)
    assert store.dtype == np.dtype(dtype) and store.dimension == 4
    np.testing.assert_array_equal(store.get_many(list("abcdef")), X)
    key = "emb:c" if mode == "keys" else "emb:v1:c"
    assert r.get(key) == X[2].astype(np.dtype(dtype).newbyteorder("<")).tobytes()


@pytest.mark.parametrize(
    "make, error, message",
    [
        pytest.param(
            lambda url: RedisExporter(url, dtype="int8").fit(frame(2)), ValueError, "dtype", id="exporter-int8"
        ),
        pytest.param(
            lambda url: RedisEmbeddingStore(url, dtype="int32"), ValueError, "dtype must be one of", id="store-int32"
        ),
        pytest.param(lambda url: RedisEmbeddingStore(url, dimension=0), ValueError, "positive int", id="dim-0"),
        pytest.param(lambda url: RedisEmbeddingStore(url, dimension=2.5), ValueError, "positive int", id="dim-float"),
        pytest.param(lambda url: RedisEmbeddingStore(url, dimension=True), ValueError, "positive int", id="dim-bool"),
        pytest.param(
            lambda url: RedisExporter(url, dtype="float16").fit(frame(2) * 1e6),
            ValueError,
            "overflow float16",
            id="overflow-float16",
        ),
        pytest.param(
            lambda url: RedisExporter(url).fit(np.array([[1.0, np.inf]]), keys=[1]),
            ValueError,
            "infinity",
            id="inf-vector",
        ),
        pytest.param(
            lambda url: RedisEmbeddingStore(url, key_prefix=b"emb:"),
            TypeError,
            "key_prefix must be a str",
            id="store-bytes-prefix",
        ),
        pytest.param(
            lambda url: RedisEmbeddingStore(url, key_prefix="e\udc80:"),
            ValueError,
            "cannot be encoded as UTF-8",
            id="store-surrogate-prefix",
        ),
        pytest.param(
            lambda url: RedisExporter(url, "e\udc80:").fit(frame(2)),
            ValueError,
            "cannot be encoded as UTF-8",
            id="exporter-surrogate-prefix",
        ),
        pytest.param(
            lambda url: RedisExporter(url, "_").fit(frame(2)),
            ValueError,
            "next to the registry key",
            id="prefix-by-the-registry",
        ),
    ],
)
def test_bad_settings_are_clear_errors(redis_url, make, error, message):
    with pytest.raises(error, match=message):
        make(redis_url)


# -- stale metadata: a republication with another dtype or dimension ------------------
FORMAT_CHANGES = [
    pytest.param(("float32", 16), ("float64", 8), id="f32x16-to-f64x8"),
    pytest.param(("float64", 8), ("float16", 32), id="f64x8-to-f16x32"),
    pytest.param(("float16", 32), ("float32", 16), id="f16x32-to-f32x16"),
    pytest.param(("float32", 4), ("float16", 8), id="f32x4-to-f16x8"),
    pytest.param(("float32", 8), ("float32", 4), id="dimension-only"),
    pytest.param(("float64", 4), ("float32", 4), id="dtype-only-other-length"),
]


def _values(n, d, seed):
    """Values exact in float16, distinct per seed."""
    return (np.arange(n * d).reshape(n, d) % 512 + seed * 600).astype(np.float64) / 2


@pytest.mark.parametrize("mode", ["keys", "versioned"])
@pytest.mark.parametrize("first, second", FORMAT_CHANGES)
def test_a_store_follows_a_republication_with_another_format(redis_url, mode, first, second):
    ids = [f"n{i}" for i in range(20)]
    store = RedisEmbeddingStore(redis_url, missing="raise")
    A, B = _values(20, first[1], 1), _values(20, second[1], 2)
    RedisExporter(redis_url, mode=mode, dtype=first[0]).fit(A, keys=ids)
    np.testing.assert_array_equal(store.get_many(ids), A)  # the store caches the first format
    RedisExporter(redis_url, mode=mode, dtype=second[0]).fit(B, keys=ids)
    got = store.get_many(ids)  # ... and must not decode the new bytes with it
    assert got.dtype == np.dtype(second[0]) and got.shape == (20, second[1])
    np.testing.assert_array_equal(got, B)
    assert store.dtype == np.dtype(second[0]) and store.dimension == second[1]


def test_withdrawn_metadata_is_an_error_not_a_guess(redis_url, r):
    """While a keys-mode republication with another format runs, its metadata is withdrawn."""
    RedisExporter(redis_url).fit(frame(5, d=4))
    for store in (RedisEmbeddingStore(redis_url), RedisEmbeddingStore(redis_url, dimension=4)):
        store.get(0)
        r.rename("emb:__meta__", "saved")
        with pytest.raises(RedisStoreError, match="was withdrawn: .* being republished with another dtype"):
            store.get(0)
        r.rename("saved", "emb:__meta__")
        assert store.get(0) is not None


def test_republication_with_another_format_withdraws_the_old_metadata_first(redis_url, r, monkeypatch):
    RedisExporter(redis_url).fit(frame(5, d=4))
    seen = []
    original = RedisExporter._write_vectors

    def spy(self, conn, *args, **kwargs):
        seen.append(r.get("emb:__meta__"))
        return original(self, conn, *args, **kwargs)

    monkeypatch.setattr(RedisExporter, "_write_vectors", spy)
    RedisExporter(redis_url, dtype="float64").fit(frame(5, d=2))
    RedisExporter(redis_url, dtype="float64").fit(frame(5, d=2, seed=4))  # same format: kept
    assert seen[0] is None and seen[1] is not None


def test_len_counts_what_is_served_now(redis_url):
    store = RedisEmbeddingStore(redis_url)
    RedisExporter(redis_url).fit(frame(6))
    assert len(store) == 6
    RedisExporter(redis_url).fit(frame(3))
    assert len(store) == 3


# -- lost counters and registries: a version is never reused -------------------------
def _lose(r, *commands):
    for command in commands:
        r.execute_command(*command)


LOSSES = [
    pytest.param([("DEL", "emb:__counter__")], id="counter-deleted"),
    pytest.param([("SET", "emb:__counter__", "0")], id="counter-reset"),
    pytest.param([("SET", "emb:__counter__", "1")], id="counter-lowered"),
    pytest.param([("SET", "emb:__counter__", "garbage")], id="counter-garbage"),
    pytest.param([("SET", "emb:__counter__", "-5")], id="counter-negative"),
    pytest.param([("SET", "emb:__counter__", "2.5")], id="counter-fraction"),
    pytest.param([("SET", "emb:__counter__", "nan")], id="counter-nan"),
    pytest.param([("SET", "emb:__counter__", "1e300")], id="counter-huge"),
    pytest.param([("DEL", "emb:__counter__"), ("SET", "emb:__current__", "v-3")], id="pointer-negative"),
    pytest.param([("DEL", "emb:__versions__")], id="registry-deleted"),
    pytest.param([("DEL", "emb:__counter__", "emb:__versions__")], id="counter-and-registry"),
    pytest.param([("DEL", "emb:__counter__", "emb:__versions__", "emb:__current__")], id="all-control-keys"),
    pytest.param(
        [("DEL", "emb:__counter__", "emb:__versions__", "emb:__current__", "emb:v2:__owner__", "emb:v1:__owner__")],
        id="control-keys-and-claims",
    ),
    pytest.param(
        [
            (
                "DEL",
                "emb:__counter__",
                "emb:__versions__",
                "emb:__current__",
                "emb:v2:__owner__",
                "emb:v1:__owner__",
                "emb:v2:__ids__",
                "emb:v1:__ids__",
                "emb:v2:__meta__",
                "emb:v1:__meta__",
            )
        ],
        id="everything-but-the-vectors",
    ),
    pytest.param([("DEL", "emb:__counter__"), ("ZREM", "emb:__versions__", "v2")], id="top-version-unregistered"),
]


@pytest.mark.parametrize("loss", LOSSES)
def test_a_lost_counter_never_makes_a_publication_reuse_a_version(redis_url, r, loss):
    """The issue's example: publish 6 nodes, lose the counter, publish 3 nodes."""
    exporter = RedisExporter(redis_url, mode="versioned", keep=2)
    exporter.fit(frame(6, seed=1))
    exporter.fit(frame(6, seed=2))  # v2 served, v1 kept
    _lose(r, *loss)
    new = frame(3, seed=3)
    exporter.fit(new)
    assert int(exporter.version_[1:]) > 2, exporter.version_
    store = RedisEmbeddingStore(redis_url)
    assert store.version == exporter.version_
    assert store.get(5) is None and 5 not in store  # the removed nodes are not served
    assert len(store) == 3
    np.testing.assert_array_equal(store.get_many(range(3)), new.to_numpy())
    # the new namespace holds exactly the new publication
    ns = f"emb:{exporter.version_}:"
    assert sorted(k.decode()[len(ns) :] for k in r.keys(ns + "*")) == sorted(
        ["0", "1", "2", "__ids__", "__meta__", "__owner__"]
    )


def test_a_served_version_above_the_counter_is_skipped(redis_url, r):
    RedisExporter(redis_url, mode="versioned").fit(frame(4))
    r.rename("emb:v1:__meta__", "emb:v7:__meta__")
    r.set("emb:__current__", "v7")  # e.g. the counter came back from an older snapshot
    exporter = RedisExporter(redis_url, mode="versioned").fit(frame(4, seed=5))
    assert exporter.version_ == "v8"


@pytest.mark.parametrize("busy", ["__ids__", "__meta__", "__owner__", "0", "99"])
def test_a_namespace_holding_keys_is_never_written_into(redis_url, r, busy):
    r.set(f"emb:v1:{busy}", b"left over")  # keys in the next version's namespace, no registry
    exporter = RedisExporter(redis_url, mode="versioned").fit(frame(3))
    assert exporter.version_ == "v2"
    assert r.get(f"emb:v1:{busy}") == b"left over"
    store = RedisEmbeddingStore(redis_url)
    assert store.get(99) is None and len(store) == 3


# -- a writer that loses its namespace stops writing into it -------------------------
def _publish_in_thread(exporter, X, errors):
    def run():
        try:
            exporter.fit(X)
        except Exception as e:  # reported to the test
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize(
    "lose",
    [
        pytest.param(lambda r: r.delete("emb:v2:__owner__"), id="claim-deleted"),
        pytest.param(lambda r: r.set("emb:v2:__owner__", "someone else"), id="claim-taken"),
        pytest.param(lambda r: r.flushall(), id="server-emptied"),
    ],
)
def test_a_writer_that_loses_its_claim_writes_nothing_more(redis_url, r, lose):
    RedisExporter(redis_url, mode="versioned").fit(frame(10))
    slow = RedisExporter(redis_url, mode="versioned", batch_size=10)
    errors = []
    thread = _publish_in_thread(slow, frame(20_000, seed=1), errors)
    while not r.exists("emb:v2:300"):
        assert thread.is_alive(), errors
        time.sleep(0.001)
    lose(r)
    written = r.dbsize()
    thread.join(60)
    assert len(errors) == 1 and isinstance(errors[0], RedisStoreError)
    assert "stopped belonging to this publication" in str(errors[0]) and "Nothing was published" in str(errors[0])
    assert r.dbsize() <= written + 1  # at most the batch in flight; nothing after
    assert r.get("emb:__current__") in (b"v1", None)


def test_a_failed_cleanup_after_the_switch_does_not_fail_the_publication(redis_url, monkeypatch, caplog):
    def broken(self, conn, number):
        raise RedisStoreError("cannot list versions")

    monkeypatch.setattr(RedisExporter, "_collect_garbage", broken)
    with caplog.at_level(logging.WARNING, logger="skgraphemb.export.redis"):
        exporter = RedisExporter(redis_url, mode="versioned").fit(frame(3))
    assert exporter.version_ == "v1" and exporter.removed_versions_ == []
    assert "is published" in caplog.text and "cannot list versions" in caplog.text
    assert RedisEmbeddingStore(redis_url).version == "v1"


# -- concurrent writers ------------------------------------------------------------------
@pytest.mark.parametrize("writers", [2, 3, 5])
def test_concurrent_writers_never_share_a_version(redis_url, r, writers):
    results, errors = {}, []
    data = [frame(3000, seed=s) for s in range(writers)]

    def run(k):
        try:
            results[k] = RedisExporter(redis_url, mode="versioned", batch_size=100).fit(data[k]).version_
        except RedisStoreError as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) + len(errors) == writers and results
    assert len(set(results.values())) == len(results)  # distinct version names
    store = RedisEmbeddingStore(redis_url, missing="raise")
    served = store.get_many(range(3000))
    assert any(np.array_equal(served, d.to_numpy()) for d in data)
    assert store.version in results.values()
    assert {k.decode().split(":")[1] for k in r.keys("emb:v*")} == {store.version}


def test_concurrent_overlapping_prefixes_one_is_refused(redis_url):
    outcomes = []

    def run(prefix, mode):
        try:
            RedisExporter(redis_url, prefix, mode=mode).fit(frame(500))
            outcomes.append("ok")
        except RedisStoreError as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=run, args=a) for a in (("p:", "versioned"), ("p:v1:", "keys"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes


# -- overlapping key prefixes --------------------------------------------------------
OVERLAPS = [
    pytest.param(("ov:", "versioned"), ("ov:v1:", "keys"), "lies inside", id="keys-inside-versioned"),
    pytest.param(("ov:", "versioned"), ("ov:x:", "versioned"), "lies inside", id="versioned-inside-versioned"),
    pytest.param(("ov:", "keys"), ("ov:sub:", "keys"), "lies inside", id="keys-inside-keys"),
    pytest.param(("ov:sub:", "keys"), ("ov:", "keys"), "contains", id="keys-contains-keys"),
    pytest.param(("ov:v1:", "keys"), ("ov:", "versioned"), "contains", id="versioned-contains-keys"),
    pytest.param(("a", "keys"), ("ab", "keys"), "lies inside", id="no-separator"),
    pytest.param(("ov:", "versioned"), ("", "keys"), "contains", id="empty-prefix"),
]


@pytest.mark.parametrize("first, second, message", OVERLAPS)
def test_overlapping_prefixes_are_refused_and_nothing_is_touched(redis_url, r, first, second, message):
    X = frame(6, seed=1, ids=[f"n{i}" for i in range(6)])
    RedisExporter(redis_url, first[0], mode=first[1]).fit(X)
    before = {k: r.dump(k) for k in r.keys("*") if k != REGISTRY.encode()}
    with pytest.raises(RedisStoreError, match=f"{message} the namespace of the embeddings published under"):
        RedisExporter(redis_url, second[0], mode=second[1]).fit(frame(3, ids=["v1:n0", "n1", "n2"]))
    assert {k: r.dump(k) for k in r.keys("*") if k != REGISTRY.encode()} == before
    np.testing.assert_array_equal(RedisEmbeddingStore(redis_url, first[0]).get_many(X.index), X.to_numpy())


@pytest.mark.parametrize(
    "first, second",
    [
        pytest.param("emb:", "emb2:", id="siblings"),
        pytest.param("a:", "b:", id="distinct"),
        pytest.param("emb:", "emb:", id="same-prefix-again"),
    ],
)
def test_non_overlapping_prefixes_are_accepted(redis_url, first, second):
    RedisExporter(redis_url, first, mode="versioned").fit(frame(3, seed=1))
    RedisExporter(redis_url, second, mode="versioned").fit(frame(3, seed=2))
    np.testing.assert_array_equal(
        RedisEmbeddingStore(redis_url, second).get_many(range(3)), frame(3, seed=2).to_numpy()
    )


def test_namespaces_published_before_the_registry_are_respected(redis_url, r):
    RedisExporter(redis_url, "ov:", mode="versioned").fit(frame(3))
    r.delete(REGISTRY)  # as published by a version without the registry
    with pytest.raises(RedisStoreError, match="lies inside the namespace"):
        RedisExporter(redis_url, "ov:v1:").fit(frame(3))
    assert r.get("ov:v1:__meta__") is not None


def test_a_registered_prefix_whose_keys_are_gone_says_how_to_unregister(redis_url, r):
    RedisExporter(redis_url, "ov:", mode="versioned").fit(frame(3))
    for key in r.keys("ov:*"):
        r.delete(key)
    with pytest.raises(RedisStoreError, match=f'HDEL {REGISTRY} "ov:"'):
        RedisExporter(redis_url, "ov:v1:").fit(frame(3))
    r.hdel(REGISTRY, "ov:")
    RedisExporter(redis_url, "ov:v1:").fit(frame(3))
    assert r.hgetall(REGISTRY) == {b"ov:v1:": b"keys"}


def test_modes_still_do_not_mix(redis_url):
    RedisExporter(redis_url, "m:").fit(frame(3))
    with pytest.raises(RedisStoreError, match="holds embeddings published with mode='keys'"):
        RedisExporter(redis_url, "m:", mode="versioned").fit(frame(3))


# -- corrupt records in Redis: clear errors, nothing decoded wrongly -----------------------
def _meta(**change):
    base = {"format": "skgraphemb-embeddings/1", "dimension": 4, "dtype": "float32", "byteorder": "little", "count": 3}
    base.update(change)
    return json.dumps(base)


CORRUPT = [
    pytest.param("emb:__meta__", b"\x80\x04not json", ValueError, "is not JSON", id="meta-binary"),
    pytest.param("emb:__meta__", _meta(dimension="4"), ValueError, "no integer 'dimension'", id="meta-dim-str"),
    pytest.param("emb:__meta__", _meta(dimension=0), ValueError, "positive integer", id="meta-dim-0"),
    pytest.param("emb:__meta__", _meta(dimension=-3), ValueError, "positive integer", id="meta-dim-negative"),
    pytest.param("emb:__meta__", _meta(dimension=True), ValueError, "positive integer", id="meta-dim-bool"),
    pytest.param("emb:__meta__", _meta(dtype="int8"), ValueError, "unsupported vector dtype 'int8'", id="meta-int8"),
    pytest.param("emb:__meta__", _meta(byteorder="big"), ValueError, "unsupported vector dtype", id="meta-big-endian"),
    pytest.param("emb:__meta__", "[1, 2]", ValueError, "no integer 'dimension'", id="meta-array"),
    pytest.param("emb:0", b"\x00" * 12, ValueError, "holds 12 bytes, not 16", id="vector-short"),
    pytest.param("emb:0", b"\x00" * 32, ValueError, "holds 32 bytes, not 16", id="vector-long"),
]


@pytest.mark.parametrize("key, value, error, message", CORRUPT)
def test_corrupt_records_are_refused(redis_url, r, key, value, error, message):
    RedisExporter(redis_url).fit(frame(3))
    r.set(key, value)
    with pytest.raises(error, match=message):
        RedisEmbeddingStore(redis_url).get_many([0, 1])


@pytest.mark.parametrize(
    "key, value, message",
    [
        pytest.param("emb:__current__", "v99", "names 'v99', which has no metadata record", id="pointer-dangling"),
        pytest.param("emb:__current__", "garbage", "names 'garbage'", id="pointer-garbage"),
        pytest.param("emb:v1:__ids__", "{}", "is not a JSON array", id="ids-object"),
        pytest.param("emb:v1:__ids__", b"\xff", "is not JSON", id="ids-binary"),
    ],
)
def test_corrupt_version_records_are_refused(redis_url, r, key, value, message):
    RedisExporter(redis_url, mode="versioned").fit(frame(3))
    r.set(key, value)
    with pytest.raises((RedisStoreError, ValueError), match=message):
        store = RedisEmbeddingStore(redis_url)
        store.get(0)
        store.ids  # noqa: B018


def test_a_reused_version_name_is_detected_by_its_token(redis_url, r):
    """Should a name come back (a server restarted from older data), readers see a new publication."""
    RedisExporter(redis_url, mode="versioned").fit(frame(4, d=4, seed=1))
    store = RedisEmbeddingStore(redis_url)
    store.get(0)
    # simulate the server losing v1 and a new publication getting the name
    r.flushall()
    X = frame(4, d=2, seed=2, dtype=np.float64)
    RedisExporter(redis_url, mode="versioned", dtype="float64").fit(X)
    assert store.get(0).shape == (2,)  # not decoded with the cached float32 x 4
    np.testing.assert_array_equal(store.get_many(range(4)), X.to_numpy())


# -- the fault campaign, small --------------------------------------------------------------
def test_fault_campaign_small(tmp_path):
    """A few faults of benchmarks/soak_redis.py: kill -9 of the server (3 persistence modes) and the writer."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import soak_redis
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = tmp_path / "soak.json"
    code = soak_redis.main(
        [
            "--faults",
            "6",
            "--vectors",
            "3000",
            "--max-gap",
            "0.6",
            "--max-down",
            "0.3",
            "--settle",
            "1.5",
            "--warmup",
            "1",
            "--server-share",
            "0.5",
            "--json",
            str(out),
        ]
    )
    result = json.loads(out.read_text())
    assert code == 0 and result["invariant violations"] == 0, result
    assert result["faults injected"] == 6
    assert result["reads"].get("sample reads checked", 0) > 0
    assert set(soak_redis.PERSISTENCE) == {"rdb", "aof-everysec", "aof-always"}
    logging.getLogger("skgraphemb").setLevel(logging.NOTSET)


# -- the same on a cluster (keys in different slots: the registry allocates) -----------------
@pytest.mark.parametrize("loss", ["counter", "counter-and-registry", "everything-but-the-vectors"])
def test_cluster_lost_counter_never_reuses_a_version(cluster, loss):
    import redis

    url = f"redis://127.0.0.1:{cluster[0]}/0"
    prefix = f"lost-{loss}:"
    exporter = RedisExporter(url, prefix, mode="versioned")
    exporter.fit(frame(6, seed=1))
    rc = redis.RedisCluster(host="127.0.0.1", port=cluster[0])
    lost = {
        "counter": ["__counter__"],
        "counter-and-registry": ["__counter__", "__versions__"],
        "everything-but-the-vectors": [
            "__counter__",
            "__versions__",
            "__current__",
            "v1:__owner__",
            "v1:__ids__",
            "v1:__meta__",
        ],
    }[loss]
    for name in lost:
        rc.delete(prefix + name)
    new = frame(3, seed=2)
    exporter.fit(new)
    assert exporter.version_ == "v2"
    store = RedisEmbeddingStore(url, prefix)
    assert store.get(5) is None and len(store) == 3
    np.testing.assert_array_equal(store.get_many(range(3)), new.to_numpy())
    rc.close()


@pytest.mark.parametrize("first, second", FORMAT_CHANGES[:2])
def test_cluster_store_follows_a_keys_mode_republication(cluster, first, second):
    url = f"redis://127.0.0.1:{cluster[0]}/0"
    prefix = f"fmt-{first[0]}-{second[0]}:"
    ids = [f"n{i}" for i in range(50)]
    store = RedisEmbeddingStore(url, prefix, missing="raise")
    A, B = _values(50, first[1], 1), _values(50, second[1], 2)
    RedisExporter(url, prefix, dtype=first[0]).fit(A, keys=ids)
    np.testing.assert_array_equal(store.get_many(ids), A)
    RedisExporter(url, prefix, dtype=second[0]).fit(B, keys=ids)
    np.testing.assert_array_equal(store.get_many(ids), B)
    assert store.dtype == np.dtype(second[0])


@pytest.mark.parametrize("mode, works", [("keys", True), ("versioned", False)])
def test_scripting_permission_is_needed_by_versioned_mode_only(redis_server, redis_url, r, mode, works):
    r.acl_setuser(
        "noscript", enabled=True, passwords=["+pw"], keys=["*"], channels=["*"], commands=["+@all", "-@scripting"]
    )
    url = redis_server.url("noscript:pw@")
    X = frame(5)
    if works:
        RedisExporter(url, mode=mode).fit(X)
        np.testing.assert_array_equal(RedisEmbeddingStore(url).get_many(range(5)), X.to_numpy())
    else:
        with pytest.raises(RedisStoreError, match="check the ACL permissions of the user"):
            RedisExporter(url, mode=mode).fit(X)


@pytest.mark.parametrize("killed_at", ["after-vectors", "before-removal"])
def test_keys_mode_writer_killed_midway_leaves_no_node_served_forever(redis_url, r, monkeypatch, killed_at):
    """Nodes written by a killed keys-mode publication are removed by the next one that lacks them."""
    RedisExporter(redis_url).fit(frame(5, ids=[f"a{i}" for i in range(5)]))
    if killed_at == "after-vectors":
        original = RedisExporter._write_vectors

        def killed(self, *args, **kwargs):
            original(self, *args, **kwargs)
            raise KeyboardInterrupt  # the writer dies here

        monkeypatch.setattr(RedisExporter, "_write_vectors", killed)
    else:

        def killed(conn, command, keys, what):
            raise KeyboardInterrupt  # dies after its metadata and ids, before removing a*

        monkeypatch.setattr(_exporter, "_multi_key", killed)
    with pytest.raises(KeyboardInterrupt):
        RedisExporter(redis_url).fit(frame(5, ids=[f"b{i}" for i in range(5)]))
    monkeypatch.undo()
    final = frame(3, seed=9, ids=["c0", "c1", "c2"])
    RedisExporter(redis_url).fit(final)
    store = RedisEmbeddingStore(redis_url)
    assert sorted(k.decode() for k in r.keys("emb:*")) == ["emb:__ids__", "emb:__meta__", "emb:c0", "emb:c1", "emb:c2"]
    assert store.get("b3") is None and store.get("a1") is None and len(store) == 3


@pytest.mark.parametrize("keep", [1, 2])
def test_cleanup_never_removes_the_version_readers_are_served(redis_url, r, monkeypatch, caplog, keep):
    """After a restart from older data the pointer may name a version the writer thinks old."""
    exporter = RedisExporter(redis_url, mode="versioned", keep=3)
    exporter.fit(frame(50, seed=1))
    exporter.fit(frame(50, seed=2))
    original = RedisExporter._switch

    def switch_then_roll_back(self, conn, number, version, claim):
        served = original(self, conn, number, version, claim)
        r.set("emb:__current__", "v1")  # the pointer comes back from an older snapshot
        return served

    monkeypatch.setattr(RedisExporter, "_switch", switch_then_roll_back)
    with caplog.at_level(logging.WARNING, logger="skgraphemb.export.redis"):
        done = RedisExporter(redis_url, mode="versioned", keep=keep).fit(frame(50, seed=3))
    assert "v1" not in done.removed_versions_ and "v1 under 'emb:'" in caplog.text
    store = RedisEmbeddingStore(redis_url, missing="raise")
    assert store.version == "v1"
    np.testing.assert_array_equal(store.get_many(range(50)), frame(50, seed=1).to_numpy())


@pytest.mark.parametrize("restored", ["claim", "claim-and-pointer"])
def test_a_removal_outliving_a_restart_from_older_data_stops(redis_url, r, monkeypatch, caplog, restored):
    """The server comes back from a snapshot in which the version being removed is claimed (and served)."""
    first = frame(25_000, seed=1)
    RedisExporter(redis_url, mode="versioned").fit(first)
    snapshot = {k: r.dump(k) for k in r.keys("*")}  # v1 complete, claimed, served
    original = RedisExporter._unlink_released
    calls = []

    def restart_then_unlink(self, conn, version, keys):
        if version == "v1" and not calls:  # after its claim was released, before its vectors go
            calls.append(version)
            for key in r.keys("emb:v1:*"):
                r.delete(key)
            for key, value in snapshot.items():
                if key.startswith(b"emb:v1:") and (restored == "claim-and-pointer" or key != b"emb:__current__"):
                    r.restore(key, 0, value, replace=True)
            if restored == "claim-and-pointer":
                r.set("emb:__current__", "v1")
        return original(self, conn, version, keys)

    monkeypatch.setattr(RedisExporter, "_unlink_released", restart_then_unlink)
    with caplog.at_level(logging.WARNING, logger="skgraphemb.export.redis"):
        done = RedisExporter(redis_url, mode="versioned").fit(frame(10, seed=2))
    assert calls == ["v1"] and "v1" not in done.removed_versions_
    assert "stopped removing version v1" in caplog.text
    assert r.zscore("emb:__versions__", "v1") is not None
    assert len(r.keys("emb:v1:*")) == 25_000 + 3  # untouched: vectors, ids, meta, claim
    if restored == "claim-and-pointer":
        store = RedisEmbeddingStore(redis_url, missing="raise")
        np.testing.assert_array_equal(store.get_many(range(25_000)), first.to_numpy())


def test_a_removal_resumed_on_a_restored_server_leaves_no_keys_behind(redis_url, r, monkeypatch):
    """Chunks deleted before a restart from a snapshot taken midway come back: deleted again."""
    RedisExporter(redis_url, mode="versioned").fit(frame(25_000, seed=1))
    snapshot = None
    original = RedisExporter._unlink_released
    calls = []

    def restart_midway(self, conn, version, keys):
        nonlocal snapshot
        if version == "v1":
            calls.append(len(keys))
            if len(calls) == 1:  # claim released: the snapshot is taken now
                snapshot = {k: r.dump(k) for k in r.keys("emb:v1:*")}
            elif len(calls) == 3:  # two chunks deleted: killed, restarted from the snapshot
                for key, value in snapshot.items():
                    r.restore(key, 0, value, replace=True)
        return original(self, conn, version, keys)

    monkeypatch.setattr(RedisExporter, "_unlink_released", restart_midway)
    done = RedisExporter(redis_url, mode="versioned", batch_size=5000).fit(frame(10, seed=2))
    assert done.removed_versions_ == ["v1"] and len(calls) > 3
    assert r.keys("emb:v1:*") == [] and r.zrange("emb:__versions__", 0, -1) == [b"v2"]
