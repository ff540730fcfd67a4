"""Dataset loaders: bundled Cora against its README, karate, benchmark folders."""

from __future__ import annotations

import re
from collections import Counter

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from skgraphemb import Graph, load_cora, load_edgelist_dir, load_karate
from skgraphemb.datasets import read_triples
from skgraphemb.exceptions import GraphFormatError


@pytest.fixture(scope="module")
def cora():
    return load_cora()


def _readme_count(description: str, quantity: str) -> int:
    """A number from the README's counts table, e.g. ``| nodes | 2,708 |``."""
    match = re.search(rf"^\| {re.escape(quantity)} \| ([\d,]+)", description, re.MULTILINE)
    assert match, f"no {quantity!r} row in the README"
    return int(match.group(1).replace(",", ""))


def test_cora_counts_match_readme(cora):
    g, text = cora.graph, cora.description
    assert isinstance(g, Graph) and not g.directed and g.weights is None
    assert g.n_nodes == _readme_count(text, "nodes") == 2708
    assert g.n_edges == _readme_count(text, "edges (lines in edges.tsv)") == 5278
    assert g.n_self_loops == _readme_count(text, "self-loops among them") == 0
    assert len(g.dead_ends()) == 0
    assert g.nodes.tolist() == list(range(2708))
    # Components, recounted with networkx.
    comps = list(nx.connected_components(g.to_networkx()))
    assert len(comps) == 78 and max(map(len, comps)) == 2485


def test_cora_labels_features_split(cora):
    assert len(cora.nodes) == len(cora.labels) == 2708
    assert len(set(cora.labels.tolist())) == _readme_count(cora.description, "labels (classes)") == 7
    counts = Counter(cora.labels.tolist())
    assert counts == {0: 351, 1: 217, 2: 418, 3: 818, 4: 426, 5: 298, 6: 180}
    assert sp.issparse(cora.features) and cora.features.shape == (2708, 1433)
    assert cora.features.nnz == 49216
    assert cora.graph.features.shape == (2708, 1433)
    np.testing.assert_array_equal(cora.graph.features, cora.features.toarray())
    assert Counter(cora.split.values()) == {"train": 140, "val": 500, "test": 1000}
    assert [v for v, s in cora.split.items() if s == "train"] == list(range(140))


def test_cora_without_features():
    assert load_cora(features=False).graph.features is None


def test_karate_labels_are_the_clubs():
    data = load_karate()
    G = nx.karate_club_graph()
    assert isinstance(data.graph, Graph)
    assert data.graph.n_nodes == 34 and data.graph.n_edges == 78 and data.graph.weighted
    assert data.nodes.tolist() == list(G.nodes())
    expected = [G.nodes[v]["club"] != "Mr. Hi" for v in G]
    assert data.labels.tolist() == [int(x) for x in expected]
    assert Counter(data.labels.tolist()) == {0: 17, 1: 17}


def test_load_edgelist_dir(tmp_path):
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "edges.tsv").write_text("a\tb\nb\tc\nc\td\nd\ta\n")
    (folder / "labels.tsv").write_text("a\tred\na\tblue\nb\tred\nc\tgreen\n")
    (folder / "split.tsv").write_text("a\ttrain\nb\tval\nc\ttest\n")
    (folder / "README.md").write_text("# toy\nA 4-cycle.\n")
    data = load_edgelist_dir(folder)
    assert data.graph.nodes.tolist() == ["a", "b", "c", "d"] and data.graph.n_edges == 4
    assert data.nodes.tolist() == ["a", "b", "c"]
    assert data.labels == [("red", "blue"), ("red",), ("green",)]  # multi-label
    assert data.split == {"a": "train", "b": "val", "c": "test"}
    assert data.features is None and data.name == "toy"
    assert data.description.startswith("# toy")
    assert load_edgelist_dir(folder, directed=True).graph.directed


def test_load_edgelist_dir_gz_and_features_with_isolated_node(tmp_path):
    import gzip

    folder = tmp_path / "feat"
    folder.mkdir()
    with gzip.open(folder / "edges.tsv.gz", "wt") as f:
        f.write("0\t1\n1\t2\n")
    X = sp.csr_array(np.arange(8, dtype=np.float32).reshape(4, 2))  # node 3 has no edge
    sp.save_npz(folder / "features.npz", X)
    data = load_edgelist_dir(folder)
    assert data.graph.nodes.tolist() == [0, 1, 2, 3]  # the isolated node is kept
    assert data.graph.dead_ends().tolist() == [3]
    np.testing.assert_array_equal(data.graph.features, X.toarray())
    assert data.labels is None and data.split is None and data.description == ""
    assert load_edgelist_dir(folder, features=False).graph.features is None


def test_load_edgelist_dir_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no dataset folder"):
        load_edgelist_dir(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="edges.tsv"):
        load_edgelist_dir(tmp_path / "empty")


def test_read_triples_follows_read_tables_rules(tmp_path):
    import gzip

    text = "# comment\n00260881\t_hypernym\t00260622\n\n/m/027rn\t/film/x\t0\n"
    (tmp_path / "t.txt").write_text(text)
    (tmp_path / "g.tsv.gz").write_bytes(gzip.compress(text.encode()))
    expected = [["00260881", "_hypernym", "00260622"], ["/m/027rn", "/film/x", "0"]]
    assert read_triples(tmp_path / "t.txt").tolist() == expected  # comments, blank lines skipped
    assert read_triples(tmp_path / "g.tsv").tolist() == expected  # found as g.tsv.gz
    (tmp_path / "bad.tsv").write_bytes(b"a\t\xffb\tc\n")
    with pytest.raises(GraphFormatError, match="not UTF-8"):
        read_triples(tmp_path / "bad.tsv")
    (tmp_path / "two.tsv").write_text("a\tb\n")
    with pytest.raises(GraphFormatError, match="must have 3 tab-separated columns"):
        read_triples(tmp_path / "two.tsv")
