"""Local-file export and serving: write_embedding, read_embedding, FileExporter, FileEmbeddingStore."""

from __future__ import annotations

import json
import os

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from skgraphemb import FileEmbeddingStore, FileExporter, SVDEmbedder, read_embedding
from skgraphemb.export import write_embedding


@pytest.fixture(scope="module")
def string_svd():
    G = nx.relabel_nodes(nx.karate_club_graph(), lambda v: f"m{v}")
    return SVDEmbedder(n_components=6, random_state=0).fit(G)


@pytest.fixture(scope="module")
def int_svd():
    return SVDEmbedder(n_components=6, random_state=0).fit(nx.karate_club_graph())


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".parquet", ".txt", ".emb"])
@pytest.mark.parametrize("which", ["int_svd", "string_svd"])
def test_store_reads_every_format_write_embedding_writes(tmp_path, request, suffix, which):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow", reason="parquet needs pyarrow")
    emb = request.getfixturevalue(which)
    path = tmp_path / f"e{suffix}"
    write_embedding(emb, path)
    store = FileEmbeddingStore(path)
    assert store.dimension == 6 and len(store) == 34
    # ids compare by string form: the text formats and .npy keep only strings
    assert [str(v) for v in store.ids] == [str(v) for v in emb.nodes_]
    np.testing.assert_allclose(store.get_many(emb.nodes_), emb.embedding_, rtol=1e-6)
    np.testing.assert_allclose(store.get(emb.nodes_[7]), emb.embedding_[7], rtol=1e-6)
    if suffix in (".npz", ".parquet"):  # types kept
        assert store.ids.tolist() == emb.nodes_.tolist()
        np.testing.assert_array_equal(store.get_many(emb.nodes_), emb.embedding_)


def test_npz_records_the_embedder(tmp_path, int_svd):
    write_embedding(int_svd, tmp_path / "e.npz")
    Z, nodes, meta = read_embedding(tmp_path / "e.npz")
    assert meta["estimator"] == "skgraphemb.svd.SVDEmbedder" and meta["params"]["n_components"] == 6
    assert meta["dimension"] == 6 and meta["count"] == 34
    np.testing.assert_array_equal(Z, int_svd.embedding_)


def test_pickles_are_never_loaded(tmp_path, int_svd):
    write_embedding(int_svd, tmp_path / "e.kv")
    with pytest.raises(ValueError, match=r"\.kv files are pickles"):
        FileEmbeddingStore(tmp_path / "e.kv")
    np.savez(tmp_path / "obj.npz", embedding=np.ones((2, 2)), nodes=np.array([1, "a"], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        FileEmbeddingStore(tmp_path / "obj.npz")


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        FileEmbeddingStore(tmp_path / "none.npz")
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    with pytest.raises(ValueError, match="not 'embedding' and 'nodes'"):
        FileEmbeddingStore(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="unknown embedding file format '.csv'"):
        FileEmbeddingStore(tmp_path / "x.csv")


def test_missing_policy(tmp_path, int_svd):
    write_embedding(int_svd, tmp_path / "e.npz")
    assert FileEmbeddingStore(tmp_path / "e.npz").get(99) is None
    V = FileEmbeddingStore(tmp_path / "e.npz").get_many([0, 99])
    assert np.isnan(V[1]).all() and not np.isnan(V[0]).any()
    strict = FileEmbeddingStore(tmp_path / "e.npz", missing="raise")
    with pytest.raises(KeyError, match="99"):
        strict.get_many([0, 99])
    with pytest.raises(ValueError, match="missing must be"):
        FileEmbeddingStore(tmp_path / "e.npz", missing="nan")
    with pytest.raises(TypeError, match="get_many takes a sequence"):
        strict.get_many("0")


def test_file_exporter_in_a_pipeline_replaces_the_file_atomically(tmp_path):
    path = tmp_path / "out" / "emb.npz"
    G = nx.karate_club_graph()
    pipe = Pipeline(
        [
            ("emb", SVDEmbedder(n_components=4, random_state=0).set_output(transform="pandas")),
            ("export", FileExporter(path, metadata={"graph": "karate"})),
        ]
    )
    Z = pipe.fit_transform(G)
    store = FileEmbeddingStore(path)
    np.testing.assert_array_equal(store.get_many(Z.index), Z.to_numpy())
    assert store.metadata["metadata"] == {"graph": "karate"}
    assert store.metadata["mode"] == "file" and store.metadata["count"] == 34
    before = os.stat(path).st_ino
    pipe.set_params(emb__n_components=3).fit(G)
    assert os.stat(path).st_ino != before  # a new file renamed over the old one
    assert sorted(p.name for p in path.parent.iterdir()) == ["emb.npz"]  # no temporary left
    assert store.dimension == 4  # an open store keeps serving what it read...
    assert store.refresh() and store.dimension == 3  # ...until refreshed
    assert not store.refresh()


def test_file_exporter_inputs(tmp_path, int_svd):
    path = tmp_path / "e.npz"
    exporter = FileExporter(path, dtype="float16").write(int_svd)
    assert exporter.path_ == path and exporter.n_published_ == 34
    store = FileEmbeddingStore(path)
    assert store.dtype == np.float16
    np.testing.assert_allclose(store.get(3), int_svd.embedding_[3], rtol=1e-3)
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match="Pass keys="):
        FileExporter(path).fit(X)
    FileExporter(path).fit(X, keys=["a", "b", "c"])
    assert FileEmbeddingStore(path).get("b").tolist() == [2.0, 3.0]
    with pytest.raises(ValueError, match="writes .npz files"):
        FileExporter(tmp_path / "e.txt").fit(X, keys=["a", "b", "c"])
    with pytest.raises(TypeError, match="unfitted SVDEmbedder"):
        FileExporter(path).write(SVDEmbedder())
    # a store is a source too: copy a word2vec text file into .npz
    write_embedding(int_svd, tmp_path / "e.txt")
    FileExporter(tmp_path / "copy.npz").write(FileEmbeddingStore(tmp_path / "e.txt"))
    copy = FileEmbeddingStore(tmp_path / "copy.npz")
    assert copy.ids.tolist() == [str(v) for v in int_svd.nodes_]
    np.testing.assert_allclose(copy.get_many(copy.ids), int_svd.embedding_, rtol=1e-6)


def test_metadata_is_json(tmp_path):
    path = tmp_path / "e.npz"
    FileExporter(path).fit(pd.DataFrame(np.ones((2, 2)), index=["x", "y"]))
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["metadata"]))
    assert meta["estimator"] is None and meta["dimension"] == 2 and meta["format"].startswith("skgraphemb")


def test_without_redis_py_the_redis_classes_say_what_to_install(tmp_path):
    """In a child process where ``import redis`` fails: clone/params work, fit names the extra,
    and the file sink and store need no redis at all."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = textwrap.dedent(f"""
        import sys
        sys.modules["redis"] = None
        import numpy as np
        from sklearn.base import clone
        from skgraphemb import FileEmbeddingStore, FileExporter, RedisEmbeddingStore, RedisExporter
        exporter = clone(RedisExporter("redis://localhost:1/0", mode="versioned"))
        assert exporter.get_params()["mode"] == "versioned"
        for make in (lambda: exporter.fit(np.ones((2, 2)), keys=[1, 2]), lambda: RedisEmbeddingStore()):
            try:
                make()
            except ImportError as e:
                print(e)
            else:
                raise SystemExit("no ImportError")
        FileExporter({str(tmp_path / "e.npz")!r}).fit(np.ones((2, 2)), keys=[1, 2])
        assert FileEmbeddingStore({str(tmp_path / "e.npz")!r}).get(2).tolist() == [1.0, 1.0]
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("RedisExporter requires redis, which is not installed.")
    assert lines[1].startswith("RedisEmbeddingStore requires redis, which is not installed.")
    assert all('pip install "skgraphemb[redis]"' in line for line in lines)


# -- trust: no write follows a planted symlink; text formats refuse bad ids -----
_SUFFIXES = [".npz", ".npy", ".parquet", ".kv", ".txt", ".emb"]


def _victim(tmp_path):
    victim = tmp_path / "elsewhere" / "precious.txt"
    victim.parent.mkdir()
    victim.write_text("do not overwrite")
    return victim


@pytest.mark.parametrize("suffix", _SUFFIXES)
def test_write_embedding_replaces_a_planted_symlink(tmp_path, int_svd, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow", reason="parquet needs pyarrow")
    victim = _victim(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    path = out / f"e{suffix}"
    path.symlink_to(victim)
    if suffix == ".npy":
        (out / "e.nodes.txt").symlink_to(victim)
    written = write_embedding(int_svd, path)
    assert victim.read_text() == "do not overwrite"
    for p in written:
        assert p.is_file() and not p.is_symlink()
    if suffix != ".kv":
        Z, _, _ = read_embedding(path)
        np.testing.assert_allclose(Z, int_svd.embedding_, rtol=1e-6)
    # nothing but the outputs is left in the folder (no temporary file)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)


def test_file_exporter_ignores_planted_symlinks(tmp_path, int_svd):
    """Before: the temporary file was '.<stem>.<pid>.tmp.npz' beside the target,
    opened following symlinks: a planted link overwrote any file."""
    victim = _victim(tmp_path)
    path = tmp_path / "emb.npz"
    for name in (f".emb.{os.getpid()}.tmp.npz", f".emb.{os.getpid()}.tmp"):
        (tmp_path / name).symlink_to(victim)
    path.symlink_to(victim)
    FileExporter(path).write(int_svd)
    assert victim.read_text() == "do not overwrite"
    assert path.is_file() and not path.is_symlink()
    assert FileEmbeddingStore(path).dimension == 6


def test_graph_save_replaces_a_planted_symlink(tmp_path):
    from skgraphemb import as_graph, load_graph

    victim = _victim(tmp_path)
    path = tmp_path / "g.skgraph"
    path.symlink_to(victim)
    g = as_graph(nx.karate_club_graph())
    g.save(path)
    assert victim.read_text() == "do not overwrite"
    assert not path.is_symlink() and load_graph(path) == g


def test_lock_file_refuses_a_planted_symlink(tmp_path):
    from skgraphemb.utils._filelock import file_lock

    victim = _victim(tmp_path)
    lock = tmp_path / "locks" / "entry.lock"
    lock.parent.mkdir()
    lock.symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link"):
        with file_lock(lock):
            pass
    assert victim.read_text() == "do not overwrite"


def test_atomic_write_leaves_the_old_file_on_failure(tmp_path):
    from skgraphemb.utils._filelock import atomic_write

    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as fh:
            fh.write(b"half")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with atomic_write(path, "w") as fh:
        fh.write("new\n")
    assert path.read_text() == "new\n"
    mask = os.umask(0o077)
    try:
        with atomic_write(path) as fh:
            fh.write(b"private")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o600  # the umask applies, as with open()


def _string_embedder(ids):
    G = nx.relabel_nodes(nx.path_graph(len(ids)), dict(enumerate(ids)))
    return SVDEmbedder(n_components=2, random_state=0).fit(G)


@pytest.mark.parametrize(
    "bad, what",
    [
        ("a b", "holds whitespace"),
        ("a\tb", "holds whitespace"),
        ("a\nb", "holds whitespace"),
        ("a\u00a0b", "holds whitespace"),
        ("trail ", "holds whitespace"),
        ("", "is empty"),
    ],
)
@pytest.mark.parametrize("suffix", [".txt", ".emb"])
def test_word2vec_text_refuses_ids_it_cannot_hold(tmp_path, bad, what, suffix):
    """Before: 'a b' was written and the file could not be read back."""
    emb = _string_embedder(["x", bad, "y", "z"])
    path = tmp_path / f"e{suffix}"
    with pytest.raises(ValueError, match=f"{what}.*Write .npz or .parquet"):
        write_embedding(emb, path)
    assert not path.exists()


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\u2028b", "a\x0bb"])
def test_npy_ids_file_refuses_line_breaks(tmp_path, bad):
    emb = _string_embedder(["x", bad, "y"])
    with pytest.raises(ValueError, match="holds a line break.*Write .npz or .parquet"):
        write_embedding(emb, tmp_path / "e.npy")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".npz", ".parquet", ".npy"])
def test_binary_formats_keep_ids_with_spaces(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow", reason="parquet needs pyarrow")
    ids = ["a b", "c\td", "e", "tab\t"] if suffix == ".npy" else ["a b", "c\nd", "", " e"]
    emb = _string_embedder(ids)
    write_embedding(emb, tmp_path / f"e{suffix}")
    _, nodes, _ = read_embedding(tmp_path / f"e{suffix}")
    assert sorted(nodes.tolist()) == sorted(ids)


def test_word2vec_text_is_what_gensim_writes(tmp_path, string_svd):
    write_embedding(string_svd, tmp_path / "ours.txt")
    string_svd.to_keyed_vectors().save_word2vec_format(str(tmp_path / "gensim.txt"), binary=False)
    assert (tmp_path / "ours.txt").read_bytes() == (tmp_path / "gensim.txt").read_bytes()
