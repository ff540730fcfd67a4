"""Edge-list and label files: formats, headers, comments, gzip, errors.

networkx's own edge-list reader is the reference for the adjacency.
"""

from __future__ import annotations

import gzip

import networkx as nx
import numpy as np
import pytest

from skgraphemb import GraphFormatError, as_graph, read_edgelist, read_labels
from skgraphemb.graph._io import read_table, resolve_gz


def _write(path, text, gz=False):
    if gz:
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def _lines(edges, sep, weighted):
    return "".join(sep.join(map(str, e if weighted else e[:2])) + "\n" for e in edges)


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "name, sep", [("g.tsv", "\t"), ("g.csv", ","), ("g.edg", " "), ("g.txt", "\t"), ("g.tsv.gz", "\t")]
)
def test_files_match_networkx_reader(tmp_path, weighted_edges, assert_matches_networkx, name, sep, weighted, directed):
    text = _lines(weighted_edges, sep, weighted)
    path = _write(tmp_path / name, text, gz=name.endswith(".gz"))
    g = read_edgelist(path, directed=directed)
    assert g.nodes.dtype == np.int64 and g.weighted == weighted
    # networkx reads the same lines (it opens .gz itself).
    G = nx.read_edgelist(
        path,
        delimiter=None if sep == " " else sep,
        nodetype=int,
        data=[("weight", float)] if weighted else False,
        create_using=nx.DiGraph if directed else nx.Graph,
    )
    assert_matches_networkx(g, G, weight="weight" if weighted else None)
    # as_graph on the path (str or Path) is the same graph.
    assert as_graph(str(path), directed=directed) == g


def test_header_and_comments(tmp_path, assert_matches_networkx):
    path = _write(
        tmp_path / "g.tsv",
        "# a comment first\nsource\ttarget\tweight\nalice\tbob\t1.5\n# inside\n\nbob\tcarol\t2\n",
    )
    g = read_edgelist(path)
    assert g.nodes.tolist() == ["alice", "bob", "carol"]
    assert {type(v) for v in g.nodes.tolist()} == {str}
    assert_matches_networkx(g, nx.Graph([("alice", "bob", {"weight": 1.5}), ("bob", "carol", {"weight": 2.0})]))


def test_csv_header_without_weights(tmp_path):
    path = _write(tmp_path / "g.csv", "src,dst\n3,1\n1,2\n")
    g = read_edgelist(path, directed=True)
    assert g.nodes.tolist() == [1, 2, 3] and g.weights is None
    assert g.neighbors(3) == [1] and g.neighbors(1) == [2]


def test_other_comment_prefix(tmp_path):
    path = _write(tmp_path / "g.edg", "% KONECT style\n1  2\n2\t 3\n")  # any whitespace
    g = read_edgelist(path, comments="%")
    assert g.n_edges == 2


def test_weighted_flag(tmp_path):
    path = _write(tmp_path / "g.tsv", "a\tb\t2.0\nb\tc\t3.0\n")
    assert read_edgelist(path, weighted=False).weights is None
    assert read_edgelist(path, weighted=True).weighted
    unweighted = _write(tmp_path / "u.tsv", "a\tb\n")
    with pytest.raises(GraphFormatError, match="weighted=True but .* has no weight column"):
        read_edgelist(unweighted, weighted=True)
    words = _write(tmp_path / "w.tsv", "a\tb\tstrong\n")
    with pytest.raises(GraphFormatError, match="not numeric weights"):
        read_edgelist(words)


def test_gz_found_without_suffix(tmp_path):
    _write(tmp_path / "edges.tsv.gz", "0\t1\n1\t2\n", gz=True)
    g = read_edgelist(tmp_path / "edges.tsv")
    assert g.n_edges == 2


def test_nodes_argument_adds_isolated_nodes(tmp_path):
    path = _write(tmp_path / "g.tsv", "0\t1\n")
    g = read_edgelist(path, nodes=[0, 1, 2], features=np.eye(3))
    assert g.nodes.tolist() == [0, 1, 2] and g.dead_ends().tolist() == [2]
    assert g.features.shape == (3, 3)


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such edge-list file"):
        read_edgelist(tmp_path / "missing.tsv")
    empty = _write(tmp_path / "empty.tsv", "# only a comment\n\n")
    with pytest.raises(GraphFormatError, match="holds no data lines"):
        read_edgelist(empty)
    one = _write(tmp_path / "one.tsv", "1\n2\n")
    with pytest.raises(GraphFormatError, match="1 column"):
        read_edgelist(one)
    negative = _write(tmp_path / "neg.tsv", "1\t2\t-1\n")
    with pytest.raises(GraphFormatError, match="negative"):
        read_edgelist(negative)


def test_read_table_dtype_str_keeps_leading_zeros(tmp_path):
    path = _write(tmp_path / "kg.tsv", "00123\trel\t0042\n")
    assert read_table(path, dtype=str).iloc[0].tolist() == ["00123", "rel", "0042"]
    assert read_table(path).iloc[0].tolist() == [123, "rel", 42]


def test_read_table_sep_overrides_the_extension(tmp_path):
    path = _write(tmp_path / "kg.txt", "a b\tr\tc\n")
    assert read_table(path).shape[1] == 4  # .txt: any whitespace
    assert read_table(path, sep="\t").iloc[0].tolist() == ["a b", "r", "c"]


def test_resolve_gz(tmp_path):
    assert resolve_gz(tmp_path / "missing.tsv") == tmp_path / "missing.tsv"
    _write(tmp_path / "e.tsv.gz", "0\t1\n", gz=True)
    assert resolve_gz(tmp_path / "e.tsv") == tmp_path / "e.tsv.gz"
    _write(tmp_path / "e.tsv", "0\t1\n")
    assert resolve_gz(str(tmp_path / "e.tsv")) == tmp_path / "e.tsv"  # the plain file wins


def test_read_labels_single_label(tmp_path):
    path = _write(tmp_path / "labels.tsv", "node\tlabel\n3\tB\n1\tA\n2\tB\n")
    nodes, labels = read_labels(path)
    assert nodes.tolist() == [3, 1, 2]  # first-seen order, ints kept
    assert labels.tolist() == ["B", "A", "B"]


def test_read_labels_multi_label(tmp_path):
    path = _write(tmp_path / "labels.tsv", "a\t1\nb\t2\na\t3\nc\t1\n")
    nodes, labels = read_labels(path)
    assert nodes.tolist() == ["a", "b", "c"]
    assert labels == [(1, 3), (2,), (1,)]


def test_read_labels_needs_two_columns(tmp_path):
    path = _write(tmp_path / "labels.tsv", "a\nb\n")
    with pytest.raises(GraphFormatError, match="'node label' columns"):
        read_labels(path)
