"""``skgraphemb export`` and ``skgraphemb embed --redis-url`` against a real redis-server."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _servers import PASSWORD, free_port

from skgraphemb import RedisEmbeddingStore

pytestmark = pytest.mark.redis


def test_embed_publishes_directly(run, fast_options, tmp_path, redis_url, r, karate_embedding):
    rc, out, err = run(
        "embed",
        "karate",
        *fast_options,
        "--redis-url",
        redis_url,
        "--versioned",
        "--key-prefix",
        "karate:",
        "-o",
        tmp_path / "k.npz",
    )
    assert rc == 0, err
    assert f"published 34 vectors to {redis_url} under 'karate:', version v1" in out
    assert "wrote" in out and (tmp_path / "k.npz").exists()
    store = RedisEmbeddingStore(redis_url, "karate:")
    np.testing.assert_array_equal(store.get_many(karate_embedding.nodes_), karate_embedding.embedding_)
    meta = store.metadata
    assert meta["estimator"] == "skgraphemb.node2vec.Node2VecEmbedder" and meta["params"]["n_components"] == 8
    # without -o: Redis only
    rc, out, err = run("embed", "karate", *fast_options, "--redis-url", redis_url, "--seed", "1")
    assert rc == 0, err
    assert "wrote" not in out
    assert np.frombuffer(r.get("emb:0"), dtype=np.float32).shape == (8,)


def test_export_a_file_keys_mode_and_from_the_environment(
    run, fast_options, tmp_path, monkeypatch, redis_url, r, karate_embedding
):
    assert run("embed", "karate", *fast_options, "-o", tmp_path / "k.npz")[0] == 0
    rc, out, err = run("export", tmp_path / "k.npz", "--redis-url", redis_url)
    assert rc == 0, err
    assert "read 34 vectors of dimension 8" in out and "published 34 vectors" in out
    for node, vector in zip(karate_embedding.nodes_, karate_embedding.embedding_):
        assert r.get(f"emb:{node}") == vector.tobytes()  # the plain layout
    assert json.loads(r.get("emb:__meta__"))["estimator"].endswith("Node2VecEmbedder")
    # the URL from SKGRAPHEMB_REDIS_URL keeps a password out of the process list
    monkeypatch.setenv("SKGRAPHEMB_REDIS_URL", redis_url)
    rc, out, err = run(
        "export", tmp_path / "k.npz", "--key-prefix", "env:", "--versioned", "--keep", "2", "--dtype", "float16"
    )
    assert rc == 0, err
    assert "version v1" in out
    store = RedisEmbeddingStore(redis_url, "env:")
    assert store.dtype == np.float16
    np.testing.assert_allclose(store.get(33), karate_embedding.embedding_[33], rtol=1e-3)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["export", "{tmp}/k.npz"], "export needs a Redis URL: --redis-url URL or the SKGRAPHEMB_REDIS_URL"),
        (["export", "{tmp}/none.npz", "--redis-url", "{url}"], "no such embedding file"),
        (["export", "{tmp}/k.npz", "--redis-url", "{url}", "--keep", "2"], "--keep applies to --versioned"),
        (["export", "{tmp}/k.npz", "--redis-url", "{url}", "--batch-size", "0"], "'batch_size' parameter"),
        (["export", "{tmp}/k.npz", "--redis-url", "http://x"], "url must start with redis://"),
        (["export", "{tmp}/k.kv", "--redis-url", "{url}"], ".kv files are pickles"),
        # unreadable files name themselves (before: "No data left in file", no name)
        (["export", "{tmp}/k.npz", "--redis-url", "{url}"], "cannot read '{tmp}/k.npz'"),
        (["export", "{tmp}/latin1.txt", "--redis-url", "{url}"], "cannot read '{tmp}/latin1.txt'"),
        (
            ["embed", "karate", "--redis-url", "redis://dave:p4ssw0rd@127.0.0.1:{free}/0"],
            "Redis at redis://dave:***@127.0.0.1:{free}/0: could not connect after 4 attempt(s)",
        ),
        (["embed", "karate", "--redis-url", "redis://:wrong@127.0.0.1:{auth}/0"], "authentication failed"),
    ],
)
def test_export_errors_exit_2_with_one_line(run, monkeypatch, tmp_path, redis_url, auth_server, argv, message):
    monkeypatch.delenv("SKGRAPHEMB_REDIS_URL", raising=False)
    (tmp_path / "k.npz").write_bytes(b"")
    (tmp_path / "k.kv").write_bytes(b"")
    (tmp_path / "latin1.txt").write_bytes("1 2\ncaf\xe9 0.5 0.5\n".encode("latin-1"))
    fill = dict(tmp=tmp_path, url=redis_url, free=free_port(), auth=auth_server.port)
    rc, out, err = run(*(a.format(**fill) for a in argv))
    assert rc == 2
    assert message.format(**fill) in err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and lines[0].startswith("skgraphemb") and "Traceback" not in err
    assert "p4ssw0rd" not in err and "wrong@" not in err and PASSWORD not in err
