"""Graph.save / load_graph: round trips, memory maps, pickling by reference, bad files."""

from __future__ import annotations

import json
import os
import pickle
import struct
import zlib

import networkx as nx
import numpy as np
import pytest

from skgraphemb import GraphFormatError, Node2VecEmbedder, as_graph, load_graph
from skgraphemb.graph import _store
from skgraphemb.utils._memory import mapped_nbytes


def _graphs():
    rng = np.random.default_rng(0)
    G = nx.gnp_random_graph(60, 0.1, seed=1, directed=True)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.uniform(0.1, 5))
    strings = nx.relabel_nodes(nx.karate_club_graph(), lambda v: f"n{v}-é☃")
    sparse_ids = as_graph(np.array([[10**12, -5], [-5, 7], [7, 10**12]]))
    return {
        "karate-weighted": as_graph(nx.karate_club_graph()),
        "directed-weighted": as_graph(G),
        "string-ids": as_graph(strings),
        "sparse-int-ids": sparse_ids,
        "features": as_graph(nx.path_graph(5), features=np.arange(10, dtype=np.float32).reshape(5, 2)),
        "isolated": as_graph(np.array([[0, 1]]), nodes=[0, 1, 2]),
    }


@pytest.mark.parametrize("mmap", [True, False])
@pytest.mark.parametrize("name", list(_graphs()))
def test_round_trip(tmp_path, name, mmap):
    graph = _graphs()[name]
    path = tmp_path / "g.skgraph"
    graph.save(path)
    loaded = load_graph(path, mmap=mmap)
    assert loaded == graph and loaded.fingerprint() == graph.fingerprint()
    for attr in ("indptr", "indices", "weights", "features"):
        a, b = getattr(graph, attr), getattr(loaded, attr)
        assert (a is None and b is None) or (np.array_equal(a, b) and a.dtype == b.dtype)
    assert loaded.nodes.tolist() == graph.nodes.tolist() and loaded.nodes.dtype == graph.nodes.dtype
    assert loaded.directed == graph.directed
    # The fingerprint is the content's, not only the header's.
    object.__setattr__(loaded, "_fingerprint", None)
    assert loaded.fingerprint() == graph.fingerprint()
    mapped = mapped_nbytes(loaded.indptr, loaded.indices)
    assert (mapped == loaded.indptr.nbytes + loaded.indices.nbytes) if mmap else mapped == 0
    assert (loaded.path == str(path.resolve())) if mmap else loaded.path is None


def test_a_mapped_graph_pickles_as_a_reference(tmp_path):
    graph = as_graph(nx.barabasi_albert_graph(3000, 4, seed=0))
    graph.save(tmp_path / "ba.skgraph")
    mapped = load_graph(tmp_path / "ba.skgraph")
    in_memory = load_graph(tmp_path / "ba.skgraph", mmap=False)
    small, full = pickle.dumps(mapped), pickle.dumps(in_memory)
    assert len(small) < 500 < graph.indices.nbytes < len(full)
    assert pickle.loads(small) is mapped  # this process already maps it
    restored = pickle.loads(full)
    assert restored == graph and restored._fingerprint == graph.fingerprint()  # no rehash needed
    # An estimator holding the graph travels just as light.
    assert len(pickle.dumps(Node2VecEmbedder(graph=mapped))) < 2_000


def test_as_graph_and_estimators_open_a_saved_file_by_path(tmp_path, karate_graph):
    path = tmp_path / "karate.skgraph"
    karate_graph.save(path)
    graph = as_graph(str(path))
    assert graph == karate_graph and graph.path == str(path.resolve())
    emb = Node2VecEmbedder(n_components=4, walk_length=5, num_walks=1, random_state=0).fit(path)
    assert emb.embedding_.shape == (34, 4)
    with pytest.raises(GraphFormatError, match="cannot reinterpret"):
        as_graph(path, directed=True)


def test_reference_to_a_missing_or_changed_file(tmp_path):
    path = tmp_path / "g.skgraph"
    as_graph(nx.path_graph(5)).save(path)
    blob = pickle.dumps(load_graph(path))
    _store._OPENED.clear()
    os.rename(path, tmp_path / "elsewhere.skgraph")
    with pytest.raises(FileNotFoundError, match="storage that every worker reads at the same path"):
        pickle.loads(blob)
    as_graph(nx.path_graph(6)).save(path)  # another graph under the same name
    with pytest.raises(GraphFormatError, match="changed since this reference"):
        pickle.loads(blob)


def test_unpickling_opens_the_file_once_per_process(tmp_path):
    path = tmp_path / "g.skgraph"
    as_graph(nx.path_graph(50)).save(path)
    blob = pickle.dumps(load_graph(path))
    _store._OPENED.clear()
    before = _store.open_count
    first = pickle.loads(blob)
    assert all(pickle.loads(blob) is first for _ in range(5)) and _store.open_count == before + 1


def test_references_find_the_last_graphs_they_used_open(tmp_path):
    """Before: an unpickled reference found the process's open graph only
    while something still referred to it, so a worker whose tasks ran one
    after another (a grid search's, each dropping its estimators) mapped
    the file again for every task, or not, as the garbage fell.  The two
    graphs last used by references now stay open; a third takes the place
    of the least recently used."""
    import gc

    blobs = {}
    for name, size in (("a", 20), ("b", 30), ("c", 40)):
        path = tmp_path / f"{name}.skgraph"
        as_graph(nx.path_graph(size)).save(path)
        blobs[name] = pickle.dumps(load_graph(path))
    _store._OPENED.clear()
    _store._RECENT.clear()
    before = _store.open_count

    def use(name):
        assert pickle.loads(blobs[name]).n_nodes == {"a": 20, "b": 30, "c": 40}[name]
        gc.collect()  # nothing of the task survives it

    for _ in range(3):
        use("a")
        use("b")
    assert _store.open_count == before + 2
    use("c")  # a, the least recently used, is dropped
    use("b")
    assert _store.open_count == before + 3
    use("a")
    assert _store.open_count == before + 4


def test_a_saved_graph_embeds_as_the_original(tmp_path, karate_graph):
    karate_graph.save(tmp_path / "k.skgraph")
    params = dict(n_components=8, walk_length=10, num_walks=3, sample=0, random_state=1, n_jobs=1)
    a = Node2VecEmbedder(**params).fit(karate_graph).embedding_
    emb = Node2VecEmbedder(**params).fit(load_graph(tmp_path / "k.skgraph"))
    np.testing.assert_array_equal(emb.embedding_, a)


def test_memory_estimate_counts_the_mapped_pages_not_yet_resident(tmp_path):
    """Checksumming at load makes the pages resident (they are then in the
    process's resident memory already); without it, the walks will read them."""
    graph = as_graph(nx.barabasi_albert_graph(20_000, 5, seed=0))
    graph.save(tmp_path / "ba.skgraph")
    est = Node2VecEmbedder().estimate_memory
    cold = est(load_graph(tmp_path / "ba.skgraph", verify=False)).mapped
    arrays = graph.indptr.nbytes + graph.indices.nbytes + graph.nodes.nbytes
    assert 0.9 * arrays < cold <= arrays
    _store._OPENED.clear()
    import gc

    gc.collect()
    warm = est(load_graph(tmp_path / "ba.skgraph", verify=True)).mapped
    assert warm < 0.1 * arrays


# -- bad files -------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "g.skgraph"
    as_graph(nx.karate_club_graph()).save(path)
    return path


def _header(path):
    raw = path.read_bytes()
    _, _, length, _ = struct.unpack("<8sIII", raw[:20])
    return raw, json.loads(raw[20 : 20 + length]), length


def test_truncated_file(saved):
    raw = saved.read_bytes()
    for cut in (len(raw) - 1, len(raw) // 2, 30, 5, 0):
        saved.write_bytes(raw[:cut])
        with pytest.raises(GraphFormatError, match="truncated|too short|corrupted"):
            load_graph(saved)


def test_corrupted_array_is_caught_by_its_checksum(saved):
    raw, meta, _ = _header(saved)
    spec = meta["arrays"]["indices"]
    data = bytearray(raw)
    data[spec["offset"] + 8] ^= 0x01  # one bit of one index
    saved.write_bytes(bytes(data))
    with pytest.raises(GraphFormatError, match="'indices' array fails its checksum"):
        load_graph(saved)
    assert load_graph(saved, verify=False).n_nodes == 34  # verify=False trusts the file


def test_corrupted_header(saved):
    data = bytearray(saved.read_bytes())
    data[40] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(GraphFormatError, match="header fails its checksum"):
        load_graph(saved)


def test_other_format_version_and_other_files(saved, tmp_path):
    raw = saved.read_bytes()
    magic, version, length, crc = struct.unpack("<8sIII", raw[:20])
    saved.write_bytes(struct.pack("<8sIII", magic, version + 1, length, crc) + raw[20:])
    with pytest.raises(GraphFormatError, match="format version 2, written by a newer skgraphemb"):
        load_graph(saved)
    edges = tmp_path / "edges.tsv"
    edges.write_text("0\t1\n1\t2\n")
    with pytest.raises(GraphFormatError, match="not a skgraphemb graph file"):
        load_graph(edges)
    with pytest.raises(FileNotFoundError, match="no such graph file"):
        load_graph(tmp_path / "missing.skgraph")
    with pytest.raises(GraphFormatError, match="is a directory"):
        load_graph(tmp_path)


def test_unsupported_ids_are_refused_before_writing(tmp_path):
    graph = as_graph(nx.grid_2d_graph(2, 2))  # tuple ids
    with pytest.raises(TypeError, match="integer or string node ids"):
        graph.save(tmp_path / "grid.skgraph")
    assert list(tmp_path.iterdir()) == []


def test_save_is_atomic_and_does_not_follow_planted_names(tmp_path, monkeypatch):
    """An interrupted save leaves the previous file whole and no temporary behind."""
    path = tmp_path / "g.skgraph"
    as_graph(nx.path_graph(4)).save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_store.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        as_graph(nx.path_graph(9)).save(path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["g.skgraph"]
    monkeypatch.undo()
    # A symlink planted at a guessable temporary name is never written through.
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    os.symlink(victim, tmp_path / ".g.skgraph.tmp")
    as_graph(nx.path_graph(9)).save(path)
    assert victim.read_text() == "keep" and load_graph(path).n_nodes == 9
    assert zlib.crc32(path.read_bytes()) != zlib.crc32(before)


def test_a_checksummed_file_of_a_broken_graph_is_refused_quickly(tmp_path):
    """Checksums prove a file unchanged, not that its writer was sound: the
    bounds a kernel could crash on are checked at load (verify=True)."""
    from skgraphemb import GraphFormatError
    from skgraphemb.graph import Graph, load_graph

    indptr = np.array([0, 1, 2], dtype=np.int64)
    bad = Graph(indptr, np.array([1, 7], dtype=np.int32), None, nodes=np.array([0, 1]), directed=True, validate=False)
    path = tmp_path / "bad.skgraph"
    bad.save(path)
    with pytest.raises(GraphFormatError, match="outside 0..1"):
        load_graph(path)
    good = Graph(indptr, np.array([1, 0], dtype=np.int32), None, nodes=np.array([0, 1]), directed=False)
    good.save(path)
    assert load_graph(path) == good
