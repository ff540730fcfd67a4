"""RedisExporter and RedisEmbeddingStore against real redis-server processes.

Servers are started by ``conftest.py`` on free loopback ports: a plain one,
a password-protected one (``requirepass`` plus an ACL user), a TLS one and a
3-master cluster.  Nothing here is mocked: faults are real (a refused port,
``CLIENT PAUSE`` for timeouts, a writer killed with SIGKILL).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from _servers import PASSWORD, USER, USER_PASSWORD, RedisServer, free_port
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from skgraphemb import (
    FileEmbeddingStore,
    FileExporter,
    Node2VecEmbedder,
    RedisConnectionError,
    RedisEmbeddingStore,
    RedisExporter,
    RedisStoreError,
    SVDEmbedder,
)

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]


def frame(n: int, d: int = 8, seed: int = 0, ids=None) -> pd.DataFrame:
    """Random float32 vectors in a DataFrame indexed by node id."""
    rng = np.random.default_rng(seed)
    index = pd.Index(range(n) if ids is None else ids, name="node")
    return pd.DataFrame(rng.normal(size=(n, d)).astype(np.float32), index=index)


@pytest.fixture(scope="module")
def karate_svd():
    return SVDEmbedder(n_components=8, random_state=0).fit(nx.karate_club_graph())


# -- keys mode: the plain layout ---------------------------------------------------
def test_keys_layout_is_raw_little_endian_bytes_plus_metadata(r, redis_url, karate_svd):
    exporter = RedisExporter(redis_url).write(karate_svd)
    assert exporter.n_published_ == 34 and exporter.dimension_ == 8 and exporter.version_ is None
    for node, vector in zip(karate_svd.nodes_, karate_svd.embedding_):
        assert r.get(f"emb:{node}") == vector.astype("<f4").tobytes()
    meta = json.loads(r.get("emb:__meta__"))
    assert meta["dimension"] == 8 and meta["dtype"] == "float32" and meta["count"] == 34
    assert meta["byteorder"] == "little" and meta["mode"] == "keys"
    assert meta["estimator"] == "skgraphemb.svd.SVDEmbedder"
    assert meta["params"]["n_components"] == 8 and "graph" not in meta["params"]
    assert meta == exporter.metadata_
    assert json.loads(r.get("emb:__ids__")) == karate_svd.nodes_.tolist()
    # 34 vectors + metadata + id list, and the registry of key prefixes
    assert r.dbsize() == 37
    assert r.hgetall("__skgraphemb_namespaces__") == {b"emb:": b"keys"}


# The "Serving embeddings" snippet of the reference workflow, verbatim except
# for the connection line, which points at the test server instead of the
# default localhost:6379.
REFERENCE_SNIPPET = """
import redis
import numpy as np

r = redis.Redis()

def store_embeddings(node_embeddings: dict[str, np.ndarray]):
    pipe = r.pipeline()
    for node_id, emb in node_embeddings.items():
        pipe.set(f"emb:{node_id}", emb.tobytes())
    pipe.execute()

def get_embedding(node_id: str, dim: int = 128) -> np.ndarray:
    raw = r.get(f"emb:{node_id}")
    if raw is None:
        return None
    return np.frombuffer(raw, dtype=np.float32).reshape(dim)
"""


def _reference(server) -> dict:
    code = REFERENCE_SNIPPET.replace("r = redis.Redis()", f"r = redis.Redis(port={server.port})")
    assert code.count(f"port={server.port}") == 1
    namespace: dict = {}
    exec(code, namespace)
    return namespace


def test_reference_plain_reader_reads_what_we_publish(redis_server, redis_url):
    emb = frame(50, d=128, ids=[f"user{i}" for i in range(50)])
    RedisExporter(redis_url).fit(emb)
    get_embedding = _reference(redis_server)["get_embedding"]
    for node, row in emb.iterrows():
        got = get_embedding(node)
        assert got.dtype == np.float32 and got.shape == (128,)
        np.testing.assert_array_equal(got, row.to_numpy())
    assert get_embedding("nobody") is None


def test_our_reader_reads_what_the_reference_writer_stores(redis_server, redis_url):
    emb = frame(20, d=128)
    _reference(redis_server)["store_embeddings"]({str(k): v for k, v in zip(emb.index, emb.to_numpy())})
    with pytest.raises(RedisStoreError, match="nothing is published.*pass dimension="):
        RedisEmbeddingStore(redis_url).get(0)
    store = RedisEmbeddingStore(redis_url, dimension=128)
    np.testing.assert_array_equal(store.get_many(emb.index), emb.to_numpy())
    with pytest.raises(RedisStoreError, match="no id list"):
        store.ids  # noqa: B018  (the reference writer records no ids)


def test_store_interface(redis_url, karate_svd):
    RedisExporter(redis_url, "k:").write(karate_svd)
    store = RedisEmbeddingStore(redis_url, "k:")
    assert store.dimension == 8 and store.dtype == np.float32 and len(store) == 34
    assert store.version is None and store.metadata["count"] == 34
    np.testing.assert_array_equal(store.ids, karate_svd.nodes_)
    np.testing.assert_array_equal(store.get_many(karate_svd.nodes_), karate_svd.embedding_)
    np.testing.assert_array_equal(store.get(np.int64(5)), karate_svd.embedding_[5])
    assert np.array_equal(store.get("5"), store.get(5))  # ids match by string form
    assert 5 in store and 99 not in store
    frame_back = store.to_frame()
    np.testing.assert_array_equal(frame_back.loc[33].to_numpy(), karate_svd.embedding_[33])


def test_missing_nodes_none_nan_or_keyerror(redis_url, karate_svd):
    RedisExporter(redis_url).write(karate_svd)
    store = RedisEmbeddingStore(redis_url)
    assert store.get("nope") is None
    V = store.get_many([0, "nope", 2])
    assert np.isnan(V[1]).all() and not np.isnan(V[[0, 2]]).any()
    strict = RedisEmbeddingStore(redis_url, missing="raise")
    with pytest.raises(KeyError, match="nope"):
        strict.get("nope")
    with pytest.raises(KeyError, match=r"1 of 3 nodes.*'nope'"):
        strict.get_many([0, "nope", 2])


def test_string_ids_float16_and_float64(redis_url, r):
    emb = frame(30, d=5, ids=[f"n{i}" for i in range(30)])
    for dtype in ("float16", "float64"):
        RedisExporter(redis_url, f"{dtype}:", dtype=dtype).fit(emb)
        assert r.get(f"{dtype}:n3") == emb.loc["n3"].to_numpy().astype(f"<{dtype[0]}{int(dtype[5:]) // 8}").tobytes()
        store = RedisEmbeddingStore(redis_url, f"{dtype}:")
        assert store.dtype == np.dtype(dtype)
        np.testing.assert_allclose(store.get_many(emb.index), emb.to_numpy(), rtol=1e-3)
        assert store.ids.tolist() == emb.index.tolist()


def test_republishing_keys_mode_removes_absent_nodes(redis_url, r):
    RedisExporter(redis_url).fit(frame(10))
    RedisExporter(redis_url).fit(frame(6, seed=1))
    assert r.get("emb:7") is None and r.get("emb:5") is not None
    assert json.loads(r.get("emb:__meta__"))["count"] == 6


def test_ttl_expires_every_key(redis_url, r):
    RedisExporter(redis_url, ttl=60).fit(frame(5))
    ttls = [r.pttl(k) for k in r.keys("emb:*")]
    assert len(ttls) == 7 and all(0 < t <= 60_000 for t in ttls)
    with pytest.raises(ValueError, match="ttl applies to mode='keys'"):
        RedisExporter(redis_url, "v:", mode="versioned", ttl=60).fit(frame(5))


def test_plain_array_needs_keys(redis_url, r):
    X = frame(4).to_numpy()
    with pytest.raises(ValueError, match="plain array. Pass keys="):
        RedisExporter(redis_url).fit(X)
    exporter = RedisExporter(redis_url).fit(X, keys=["a", "b", "c", "d"])
    assert exporter.transform(X) is X
    assert r.get("emb:c") == X[2].tobytes()
    with pytest.raises(ValueError, match="3 node ids for 4 rows"):
        RedisExporter(redis_url).fit(X, keys=["a", "b", "c"])


@pytest.mark.parametrize(
    "ids, message",
    [([1, "1", 2], "must be unique"), (["a", "__meta__"], "reserved"), ([0.5, 1.5], "integers or strings")],
)
def test_bad_ids_are_refused_before_writing(redis_url, r, ids, message):
    with pytest.raises((ValueError, TypeError), match=message):
        RedisExporter(redis_url).fit(np.ones((len(ids), 3)), keys=ids)
    assert r.dbsize() == 0


def test_non_finite_vectors_are_refused(redis_url):
    X = np.ones((3, 2))
    X[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RedisExporter(redis_url).fit(X, keys=[1, 2, 3])


# -- sklearn integration -------------------------------------------------------------
def test_pipeline_sink_after_an_embedder(redis_url):
    G = nx.karate_club_graph()
    pipe = Pipeline(
        [
            (
                "emb",
                Node2VecEmbedder(n_components=8, walk_length=10, num_walks=4, window=3, random_state=0).set_output(
                    transform="pandas"
                ),
            ),
            ("export", RedisExporter(redis_url, "pipe:", mode="versioned", metadata={"run": "test"})),
        ]
    )
    Z = pipe.fit_transform(G)
    assert isinstance(Z, pd.DataFrame) and Z.index.tolist() == list(G)
    emb = pipe.named_steps["emb"]
    np.testing.assert_array_equal(Z.to_numpy(), emb.embedding_)
    store = RedisEmbeddingStore(redis_url, "pipe:")
    np.testing.assert_array_equal(store.get_many(list(G)), emb.embedding_)
    assert store.metadata["metadata"] == {"run": "test"} and store.version == "v1"
    assert pipe[-1].transform(Z) is Z  # the sink passes its input through


def test_pipeline_with_global_pandas_output_and_keys_routed(redis_url, r):
    import sklearn

    G = nx.karate_club_graph()
    with sklearn.config_context(transform_output="pandas"):
        pipe = Pipeline([("emb", SVDEmbedder(n_components=4, random_state=0)), ("export", RedisExporter(redis_url))])
        Z = pipe.fit_transform(G)
    assert isinstance(Z, pd.DataFrame)
    assert r.get("emb:33") == Z.loc[33].to_numpy().astype("<f4").tobytes()
    # a plain array output needs ids, routed to the sink as a fit parameter
    pipe = Pipeline([("emb", SVDEmbedder(n_components=4, random_state=0)), ("export", RedisExporter(redis_url, "k:"))])
    pipe.fit(G, export__keys=[f"m{v}" for v in G])
    assert r.get("k:m33") == Z.loc[33].to_numpy().astype("<f4").tobytes()


def test_inside_a_pipeline_before_a_classifier(redis_url):
    from sklearn.linear_model import LogisticRegression

    from skgraphemb import load_karate

    karate = load_karate()
    pipe = Pipeline(
        [
            ("emb", SVDEmbedder(graph=karate.graph, n_components=4, random_state=0).set_output(transform="pandas")),
            ("export", RedisExporter(redis_url, "inside:")),
            ("clf", LogisticRegression()),
        ]
    )
    pipe.fit(karate.nodes[:20], karate.labels[:20])  # publishes the 20 training nodes' vectors
    assert pipe.predict(karate.nodes[20:]).shape == (14,)  # transform passed the vectors on
    store = RedisEmbeddingStore(redis_url, "inside:")
    assert sorted(store.ids.tolist()) == sorted(karate.nodes[:20].tolist())
    emb = pipe.named_steps["emb"]
    np.testing.assert_array_equal(store.get_many(karate.nodes[:20]), emb.transform(karate.nodes[:20]).to_numpy())


def test_clone_get_params_and_repr_mask_the_password(redis_server):
    import redis

    client = redis_server.client()
    exporter = RedisExporter(f"redis://bob:hunter2@127.0.0.1:{redis_server.port}/0", client=client)
    copy = clone(exporter)
    assert copy.client is client  # shared, not deep-copied
    assert copy.get_params()["url"] == exporter.url
    for text in (repr(exporter), exporter._repr_html_(), str(exporter._repr_mimebundle_())):
        assert "hunter2" not in text
    assert "bob:***@" in repr(exporter)
    assert isinstance(client, redis.Redis)
    client.close()


def test_exporter_without_client_pickles(redis_url):
    exporter = RedisExporter(redis_url).fit(frame(3))
    again = pickle.loads(pickle.dumps(exporter))
    assert again.n_published_ == 3 and again.get_params() == exporter.get_params()


def test_store_copies_between_stores(tmp_path, redis_url, karate_svd):
    # a FileEmbeddingStore (what `skgraphemb embed -o x.npz` writes) as the source
    path = tmp_path / "k.npz"
    FileExporter(path).write(karate_svd)
    exporter = RedisExporter(redis_url, mode="versioned").write(FileEmbeddingStore(path))
    assert exporter.metadata_["estimator"] == "skgraphemb.svd.SVDEmbedder"
    store = RedisEmbeddingStore(redis_url)
    np.testing.assert_array_equal(store.get_many(karate_svd.nodes_), karate_svd.embedding_)


# -- versioned mode ----------------------------------------------------------------
def test_versioned_switch_keep_and_metadata(redis_url, r):
    first, second, third = frame(40, seed=0), frame(30, d=4, seed=1), frame(40, seed=2)
    exporter = RedisExporter(redis_url, mode="versioned", keep=2)
    store = RedisEmbeddingStore(redis_url)
    assert exporter.fit(first).version_ == "v1"
    np.testing.assert_array_equal(store.get_many(first.index), first.to_numpy())
    exporter.fit(second)
    assert exporter.version_ == "v2" and exporter.removed_versions_ == []
    # the store follows the pointer on its next read, dimension included
    np.testing.assert_array_equal(store.get_many(second.index), second.to_numpy())
    assert store.version == "v2" and store.dimension == 4 and len(store) == 30
    assert r.get("emb:v1:0") is not None  # keep=2: the previous version stays
    exporter.fit(third)
    assert exporter.removed_versions_ == ["v1"]
    assert not r.keys("emb:v1:*")
    assert r.zrange("emb:__versions__", 0, -1) == [b"v2", b"v3"]
    exporter.set_params(keep=1).fit(first)
    assert exporter.removed_versions_ == ["v3", "v2"]
    assert sorted(k for k in r.keys("emb:*") if not k.startswith(b"emb:v4:")) == [
        b"emb:__counter__",
        b"emb:__current__",
        b"emb:__versions__",
    ]
    assert json.loads(r.get("emb:v4:__meta__"))["version"] == "v4"


def test_modes_do_not_mix_on_one_prefix(redis_url):
    RedisExporter(redis_url, "a:").fit(frame(3))
    with pytest.raises(RedisStoreError, match="mode='keys'"):
        RedisExporter(redis_url, "a:", mode="versioned").fit(frame(3))
    RedisExporter(redis_url, "b:", mode="versioned").fit(frame(3))
    with pytest.raises(RedisStoreError, match="published with mode=.versioned."):
        RedisExporter(redis_url, "b:").fit(frame(3))


def test_readers_never_see_a_mix_of_versions(redis_url):
    """Readers poll while versions are switched; every read is one whole version."""
    versions = [frame(3000, d=4, seed=s) for s in range(4)]
    exporter = RedisExporter(redis_url, mode="versioned", batch_size=100)
    exporter.fit(versions[0])
    ids = versions[0].index.tolist()
    expected = {v.to_numpy().tobytes(): i for i, v in enumerate(versions)}
    seen, errors, stop = set(), [], threading.Event()

    def reader():
        store = RedisEmbeddingStore(redis_url, missing="raise")
        try:
            while not stop.is_set():
                got = store.get_many(ids).tobytes()
                if got not in expected:
                    errors.append("a read matched no single version")
                    return
                seen.add(expected[got])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    def wait_for(version):
        deadline = time.monotonic() + 30
        while version not in seen and not errors and time.monotonic() < deadline:
            time.sleep(0.005)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    wait_for(0)  # readers are reading before the first switch...
    for v in versions[1:]:
        exporter.fit(v)
    wait_for(3)  # ...and after the last one
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert {0, 3} <= seen


def test_concurrent_writers_the_later_started_one_wins(redis_url, r):
    """A slow writer overtaken by a later one raises, removes its keys; readers get the winner."""
    RedisExporter(redis_url, mode="versioned").fit(frame(10, seed=0))
    slow = RedisExporter(redis_url, mode="versioned", batch_size=10)
    errors = []

    def publish():
        try:
            slow.fit(frame(20_000, d=4, seed=1))
        except RedisStoreError as e:
            errors.append(e)

    thread = threading.Thread(target=publish)
    thread.start()
    while not r.exists("emb:v2:500"):
        assert thread.is_alive(), "the slow writer ended too early"
        time.sleep(0.001)
    fast = RedisExporter(redis_url, mode="versioned").fit(frame(10, seed=2))  # v3
    thread.join(60)
    assert fast.version_ == "v3" and "v2" in fast.removed_versions_
    # the loser fails its final check (its keys were removed under it) or,
    # had it got that far, the forward-only switch
    assert len(errors) == 1
    assert "Nothing was published" in str(errors[0]) or "v3, started by another writer" in str(errors[0])
    assert r.get("emb:__current__") == b"v3"
    np.testing.assert_array_equal(RedisEmbeddingStore(redis_url).get_many(range(10)), frame(10, seed=2).to_numpy())
    assert not r.keys("emb:v2:*")  # the loser removed what it wrote after being cleaned up
    assert r.zrange("emb:__versions__", 0, -1) == [b"v3"]


_WRITER = """
import sys, numpy as np, pandas as pd
from skgraphemb import RedisExporter
url, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
X = pd.DataFrame(rng.normal(size=(n, 16)).astype(np.float32), index=[f"n{i}" for i in range(n)])
RedisExporter(url, mode="versioned", batch_size=int(sys.argv[4])).fit(X)
"""


def _writer(url: str, n: int, seed: int, batch_size: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-c", _WRITER, url, str(n), str(seed), str(batch_size)], env=env, cwd=ROOT)


def test_killed_writer_leaves_the_previous_version_served(redis_url, r, caplog):
    n = 50_000
    ids = [f"n{i}" for i in range(n)]
    v1 = np.random.default_rng(1).normal(size=(n, 16)).astype(np.float32)
    RedisExporter(redis_url, mode="versioned").fit(v1, keys=ids)
    assert r.get("emb:__current__") == b"v1"
    store = RedisEmbeddingStore(redis_url, missing="raise")
    np.testing.assert_array_equal(store.get_many(ids), v1)

    # v2 written slowly (batches of 10 vectors); kill it once some of its vectors exist
    writer = _writer(redis_url, n, 2, 10)
    try:
        deadline = time.monotonic() + 120
        while not r.exists("emb:v2:n2000"):
            assert writer.poll() is None, "the writer ended before it was killed"
            assert time.monotonic() < deadline, "the writer never started writing v2"
            time.sleep(0.001)
        # a reader during the write gets v1, whole
        np.testing.assert_array_equal(store.get_many(ids[:3000]), v1[:3000])
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait()
    written = sum(r.exists(*[f"emb:v2:{i}" for i in ids[s : s + 10_000]]) for s in range(0, n, 10_000))
    assert 2000 < written < n  # killed midway
    assert r.get("emb:__current__") == b"v1"
    np.testing.assert_array_equal(store.get_many(ids), v1)
    assert all(store.get(i).tobytes() == v1[int(i[1:])].tobytes() for i in ids[::997])
    assert r.get("emb:v2:__meta__") is None  # never completed

    # a rerun completes, is served, and removes the stale incomplete v2
    v3 = pd.DataFrame(np.random.default_rng(3).normal(size=(n, 16)).astype(np.float32), index=ids)
    with caplog.at_level(logging.INFO, logger="skgraphemb.export.redis"):
        exporter = RedisExporter(redis_url, mode="versioned").fit(v3)
    assert exporter.version_ == "v3" and sorted(exporter.removed_versions_) == ["v1", "v2"]
    assert "removed incomplete version v2" in caplog.text
    np.testing.assert_array_equal(store.get_many(ids), v3.to_numpy())
    assert not r.exists("emb:v2:n2000") and not r.exists("emb:v2:__ids__")
    assert r.zrange("emb:__versions__", 0, -1) == [b"v3"]
    # v3: vectors, ids, meta, claim; pointer, version registry, counter; prefix registry
    assert r.dbsize() == n + 7


# -- reading safely ------------------------------------------------------------------
def test_wrong_length_vectors_are_rejected(redis_url, r, karate_svd):
    RedisExporter(redis_url).write(karate_svd)
    r.set("emb:3", b"\x00" * 12)
    store = RedisEmbeddingStore(redis_url)
    with pytest.raises(ValueError, match=r"'emb:3' holds 12 bytes, not 32"):
        store.get_many([1, 3])
    np.testing.assert_array_equal(store.get(1), karate_svd.embedding_[1])


def test_nothing_is_unpickled(redis_url, r, tmp_path):
    """Pickles planted in the metadata and id keys are refused, never loaded."""
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    RedisExporter(redis_url, mode="versioned").fit(frame(3))
    r.set("emb:v1:__ids__", pickle.dumps(Payload()))
    with pytest.raises(ValueError, match="is not JSON"):
        RedisEmbeddingStore(redis_url).ids  # noqa: B018
    r.set("emb:v1:__meta__", pickle.dumps(Payload()))
    with pytest.raises(ValueError, match="is not JSON"):
        RedisEmbeddingStore(redis_url).get(0)
    assert not marker.exists()


# -- security and faults ---------------------------------------------------------------
@pytest.mark.parametrize("auth", [f":{PASSWORD}@", f"{USER}:{USER_PASSWORD}@"])
def test_password_urls(auth_server, auth):
    url = auth_server.url(auth)
    X = frame(20)
    RedisExporter(url, "auth:", mode="versioned").fit(X)
    np.testing.assert_array_equal(RedisEmbeddingStore(url, "auth:").get_many(X.index), X.to_numpy())


@pytest.mark.parametrize("auth", ["", ":wrong-password@", f"{USER}:wrong-password@"])
def test_wrong_password_is_a_clear_error_without_the_password(auth_server, auth):
    url = auth_server.url(auth)
    start = time.monotonic()
    with pytest.raises(RedisConnectionError, match="authentication failed") as info:
        RedisExporter(url, max_retries=3).fit(frame(2))
    assert time.monotonic() - start < 5  # not retried: it cannot succeed
    message = str(info.value)
    assert "wrong-password" not in message and PASSWORD not in message
    assert f"127.0.0.1:{auth_server.port}" in message
    if auth:
        assert f"{auth.split(':')[0]}:***@" in message
    with pytest.raises(RedisConnectionError, match="authentication failed"):
        RedisEmbeddingStore(url).get(0)


def test_connection_refused_names_the_masked_url(caplog):
    port = free_port()
    url = f"redis://carol:topsecret@127.0.0.1:{port}/0"
    with caplog.at_level(logging.WARNING), pytest.raises(RedisConnectionError) as info:
        RedisExporter(url, max_retries=2, retry_backoff=0.01).fit(frame(2))
    message = str(info.value)
    assert f"redis://carol:***@127.0.0.1:{port}/0" in message and "3 attempt(s)" in message
    assert "topsecret" not in message and "topsecret" not in caplog.text
    assert caplog.text.count("retry ") == 2  # two retries logged, with backoff
    with pytest.raises(RedisConnectionError, match=r"carol:\*\*\*@"):
        RedisEmbeddingStore(url, max_retries=0).get_many([1])


def test_timeout_is_retried_then_raised(redis_server, redis_url):
    admin = redis_server.client()
    admin.client_pause(1500)  # every other client now waits: timeouts
    try:
        start = time.monotonic()
        with pytest.raises(RedisConnectionError, match="did not answer in time"):
            RedisExporter(redis_url, socket_timeout=0.2, max_retries=1, retry_backoff=0.05).fit(frame(2))
        assert time.monotonic() - start < 1.5
    finally:
        admin.client_unpause()
        admin.close()


def test_transient_pause_is_retried_with_backoff(redis_server, redis_url, caplog):
    admin = redis_server.client()
    admin.client_pause(700)
    try:
        with caplog.at_level(logging.WARNING, logger="skgraphemb.export.redis"):
            exporter = RedisExporter(redis_url, socket_timeout=0.3, max_retries=6, retry_backoff=0.1).fit(frame(50))
    finally:
        admin.client_unpause()
        admin.close()
    assert "retry 1 of 6" in caplog.text
    assert exporter.n_published_ == 50
    np.testing.assert_array_equal(RedisEmbeddingStore(redis_url).get_many(range(50)), frame(50).to_numpy())


def test_server_starting_late_is_waited_for(tmp_path):
    port = free_port()
    server = RedisServer(tmp_path, port=port)
    timer = threading.Timer(0.4, server.start)
    timer.start()
    try:
        exporter = RedisExporter(f"redis://127.0.0.1:{port}/0", max_retries=8, retry_backoff=0.1)
        exporter.fit(frame(5))
        timer.join()
        assert server.client().dbsize() == 8  # 5 vectors, metadata, ids, prefix registry
    finally:
        timer.cancel()
        timer.join()
        server.stop()


def test_failed_versioned_publication_leaves_the_previous_version(redis_server, redis_url, r):
    first, second = frame(20_000, d=4, seed=0), frame(20_000, d=4, seed=1)
    RedisExporter(redis_url, mode="versioned").fit(first)
    admin = redis_server.client()
    # once the exporter is writing v2 (1000 batches), pause the server longer
    # than its retries last
    exporter = RedisExporter(
        redis_url, mode="versioned", batch_size=20, socket_timeout=0.2, max_retries=1, retry_backoff=0.05
    )
    errors = []

    def publish():
        try:
            exporter.fit(second)
        except RedisConnectionError as e:
            errors.append(e)

    thread = threading.Thread(target=publish)
    thread.start()
    while not r.exists("emb:v2:200"):
        time.sleep(0.001)
    admin.client_pause(1500, all=True)
    thread.join(30)
    admin.client_unpause()
    assert errors and "Nothing was published: readers still get version v1" in str(errors[0])
    assert r.get("emb:__current__") == b"v1"
    np.testing.assert_array_equal(RedisEmbeddingStore(redis_url).get_many(first.index), first.to_numpy())
    # the next publication completes and clears what the failed one left
    done = RedisExporter(redis_url, mode="versioned").fit(second)
    assert done.version_ == "v3" and not r.keys("emb:v2:*")
    admin.close()


def test_tls_with_a_self_signed_certificate(tls_server):
    server, cert = tls_server
    url = f"rediss://127.0.0.1:{server.listen_port}/0?ssl_ca_certs={cert}"
    X = frame(10)
    RedisExporter(url, mode="versioned").fit(X)
    np.testing.assert_array_equal(RedisEmbeddingStore(url).get_many(X.index), X.to_numpy())
    # without the CA the certificate cannot be verified: a clear error, not a hang
    with pytest.raises(RedisConnectionError, match="certificate verify failed"):
        RedisExporter(f"rediss://127.0.0.1:{server.listen_port}/0", max_retries=0).fit(X)
    # plain redis:// to a TLS port fails cleanly too
    with pytest.raises(RedisConnectionError, match=f"127.0.0.1:{server.listen_port}"):
        RedisExporter(f"redis://127.0.0.1:{server.listen_port}/0", max_retries=0, socket_timeout=1).fit(X)


def test_bad_url_and_client(redis_server):
    with pytest.raises(ValueError, match=r"redis://, rediss:// \(TLS\) or unix://; got 'http://u:\*\*\*@h/'"):
        RedisExporter("http://u:pw@h/").fit(frame(2))
    with pytest.raises(ValueError, match="decode_responses=False"):
        RedisExporter(client=redis_server.client(decode_responses=True)).fit(frame(2))


# -- cluster -----------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["keys", "versioned"])
def test_cluster_spreads_keys_and_reads_across_slots(cluster, mode):
    import redis

    url = f"redis://127.0.0.1:{cluster[0]}/0"  # cluster="auto" detects the cluster
    X = frame(3000, d=8, ids=[f"node-{i}" for i in range(3000)])
    exporter = RedisExporter(url, f"c{mode}:", mode=mode, batch_size=500).fit(X)
    store = RedisEmbeddingStore(url, f"c{mode}:", missing="raise")
    np.testing.assert_array_equal(store.get_many(X.index), X.to_numpy())
    assert store.ids.tolist() == X.index.tolist()
    # every master holds part of the vectors
    sizes = [redis.Redis(port=p).dbsize() for p in cluster]
    assert all(s > 500 for s in sizes), sizes
    if mode == "versioned":
        Y = frame(3000, d=8, seed=5, ids=X.index)
        exporter.fit(Y)
        assert exporter.removed_versions_ == [f"v{int(exporter.version_[1:]) - 1}"]
        np.testing.assert_array_equal(store.get_many(X.index), Y.to_numpy())
        rc = redis.RedisCluster(host="127.0.0.1", port=cluster[0])
        assert rc.get(f"c{mode}:__current__") == exporter.version_.encode()
        rc.close()


def test_cluster_with_given_client(cluster):
    import redis

    rc = redis.RedisCluster(host="127.0.0.1", port=cluster[1])
    X = frame(200)
    RedisExporter(client=rc, key_prefix="given:", mode="versioned").fit(X)
    store = RedisEmbeddingStore(client=rc, key_prefix="given:")
    np.testing.assert_array_equal(store.get_many(X.index), X.to_numpy())
    assert "given client" in repr(store)
    rc.close()


def test_cluster_slot_moved_behind_the_clients_back(cluster, caplog):
    """A slot that moved after the client cached the slot map (MOVED replies) still gets its keys."""
    import redis

    rc = redis.RedisCluster(host="127.0.0.1", port=cluster[0])  # caches the slot map now
    ids = [f"n{i}" for i in range(300)]
    slot = rc.keyslot("moved:n7")
    owner = rc.nodes_manager.get_node_from_slot(slot).port
    target = next(p for p in cluster if p != owner)
    target_id = redis.Redis(port=target).cluster("myid")
    target_id = target_id.decode() if isinstance(target_id, bytes) else target_id
    for port in [target, owner] + [p for p in cluster if p not in (target, owner)]:
        redis.Redis(port=port).execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)
    X = frame(300, ids=ids)
    with caplog.at_level(logging.INFO, logger="skgraphemb.export.redis"):
        RedisExporter(client=rc, key_prefix="moved:").fit(X)
    assert "slots moved while publishing" in caplog.text  # the MOVED replies were followed
    assert redis.Redis(port=target).get("moved:n7") == X.loc["n7"].to_numpy().tobytes()
    fresh = RedisEmbeddingStore(f"redis://127.0.0.1:{cluster[2]}/0", "moved:", missing="raise")
    np.testing.assert_array_equal(fresh.get_many(ids), X.to_numpy())
    rc.close()
