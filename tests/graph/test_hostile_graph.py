"""Hostile inputs to the graph layer (issue 12): each case gets a clear
error (a specific type and a message fragment naming the problem) or the
documented correct result, never a silent wrong answer, a raw traceback or
a crash.

Cases cover the defect classes fixed for the issue (pipes, headers,
comments, uint64 ids, frame weights, the undirected rule, overflowing sums,
duplicate ``nodes=``, hand-built graphs, raw tracebacks, messages) and inputs
that already behaved.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from skgraphemb import Graph, GraphFormatError, UnknownNodeError, as_graph, read_edgelist
from skgraphemb.graph._io import read_table

ROOT = Path(__file__).resolve().parents[2]


def _key(x):
    return (type(x).__name__, x)


def edges_of(g) -> dict:
    """``{(u, v): weight}`` of a Graph, by original ids (undirected: each
    edge once, its ends in a fixed order)."""
    out = {}
    A = g.to_scipy().tocoo()
    nodes = g.nodes.tolist()
    for r, c, w in zip(A.row.tolist(), A.col.tolist(), A.data.tolist()):
        u, v = nodes[r], nodes[c]
        if not g.directed:
            u, v = sorted((u, v), key=_key)
        out[(u, v)] = w
    return out


def _edge_set(g) -> set:
    return set(edges_of(g))


class PyG:
    """A PyTorch Geometric ``Data`` look-alike (duck-typed by ``edge_index``)."""

    def __init__(self, edge_index, edge_weight=None, num_nodes=None, x=None):
        self.edge_index = np.asarray(edge_index)
        self.edge_weight = edge_weight
        self.num_nodes = num_nodes
        self.x = x


# -- files ------------------------------------------------------------------------------
SEPARATORS = {"g.tsv": "\t", "g.csv": ",", "g.edg": " ", "g.txt.gz": " "}


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    data = text.encode() if isinstance(text, str) else text
    if name.endswith(".gz"):
        data = gzip.compress(data)
    path = tmp_path / name
    path.write_bytes(data)
    return path


# Each: (text with "{s}" for the separator, kwargs, expected edge set or (error, fragment)).
FILE_CASES = {
    # 4. headers: only an unambiguous first line is a header
    "u v above string ids is data": ("u{s}v\na{s}b\n", {}, {("u", "v"), ("a", "b")}),
    "id x above string ids is data": ("id{s}x\nn1{s}n2\n", {}, {("id", "x"), ("n1", "n2")}),
    "node label is data": ("node{s}label\nalice{s}bob\n", {}, {("label", "node"), ("alice", "bob")}),
    "to from is data": ("to{s}from\nx{s}y\n", {}, {("from", "to"), ("x", "y")}),
    "source target above ints is a header": ("source{s}target\n1{s}2\n2{s}3\n", {}, {(1, 2), (2, 3)}),
    "header with weight above string ids": ("src{s}dst{s}weight\na{s}b{s}0.5\n", {}, {("a", "b")}),
    "header=True drops the first line": ("u{s}v\na{s}b\n", {"header": True}, {("a", "b")}),
    "header=False keeps a header-like line": (
        "source{s}target\n1{s}2\n",
        {"header": False},
        {("source", "target"), ("1", "2")},
    ),
    "a lone non-numeric line is data": ("source{s}target\n", {}, {("source", "target")}),
    "header=True on a lone line": (
        "source{s}target\n",
        {"header": True},
        (GraphFormatError, "header line but no data lines"),
    ),
    "mixed first line is data": ("x{s}1\n2{s}3\n", {}, {("1", "x"), ("2", "3")}),
    # 5. comments only at the start of a line; empty ids are errors
    "# inside an id": ("c#sharp{s}d\n", {}, {("c#sharp", "d")}),
    "indented comment": ("  # comment\na{s}b\n", {}, {("a", "b")}),
    "tab-indented comment": ("\t# comment\n1{s}2\n", {}, {(1, 2)}),
    "comment between records": ("1{s}2\n# c\n\n2{s}3\n", {}, {(1, 2), (2, 3)}),
    "comment-only file": ("# nothing\n\n", {}, (GraphFormatError, "holds no data lines")),
    "empty file": ("", {}, (GraphFormatError, "holds no data lines")),
    "other comment prefix": ("% konect\n1{s}2\n", {"comments": "%"}, {(1, 2)}),
    "no comments": ("#a{s}b\n", {"comments": None}, {("#a", "b")}),
    "# id with comments=None stays": ("1{s}#2\n", {"comments": None}, {("#2", "1")}),
    # ids: ints when every id is an integer, else the strings written
    "007 and 7 are one int id": ("007{s}7\n7{s}8\n", {}, {(7, 7), (7, 8)}),
    "007 and 7 differ among strings": ("007{s}7\na{s}7\n", {}, {("007", "7"), ("7", "a")}),
    "signed ints": ("+5{s}-3\n", {}, {(-3, 5)}),
    "uint64 ids kept": ("18446744073709551615{s}1\n", {}, {(1, 2**64 - 1)}),
    "ids beyond 64 bits": ("99999999999999999999999{s}1\n", {}, (GraphFormatError, "beyond 64 bits")),
    "negative and uint64 ids": ("18446744073709551615{s}-1\n", {}, (GraphFormatError, "beyond 64 bits")),
    # weights
    "weights read": ("a{s}b{s}2.5\n", {}, {("a", "b")}),
    "nan weight": ("1{s}2{s}nan\n", {}, (GraphFormatError, "NaN or infinite")),
    "inf weight": ("1{s}2{s}inf\n", {}, (GraphFormatError, "NaN or infinite")),
    "negative weight": ("1{s}2{s}-1\n", {}, (GraphFormatError, "negative")),
    "word weight": ("1{s}2{s}heavy\n", {}, (GraphFormatError, "not numeric weights")),
    "overflowing duplicate weights": ("1{s}2{s}1e308\n1{s}2{s}1e308\n", {}, (GraphFormatError, "overflow to infinity")),
    "weighted=True without weights": ("1{s}2\n", {"weighted": True}, (GraphFormatError, "has no weight column")),
    "weighted=False ignores weights": ("1{s}2{s}x\n", {"weighted": False}, {(1, 2)}),
    "one column": ("1\n2\n", {}, (GraphFormatError, "column")),
    "CRLF line ends": ("1{s}2\r\n2{s}3\r\n", {}, {(1, 2), (2, 3)}),
    "old Mac line ends": ("a{s}b\rb{s}c\r", {}, {("a", "b"), ("b", "c")}),
    "no final newline": ("1{s}2\n2{s}3", {}, {(1, 2), (2, 3)}),
    "utf-8 ids": ("café{s}naïve\n", {}, {("café", "naïve")}),
    "nodes= with duplicates": ("1{s}2\n", {"nodes": [1, 2, 2]}, (GraphFormatError, "duplicate ids")),
    "nodes= adds isolated nodes": ("1{s}2\n", {"nodes": [3, 2, 1]}, {(1, 2)}),
    "nodes= missing an id": ("1{s}2\n", {"nodes": [1]}, (UnknownNodeError, "not listed")),
}


@pytest.mark.parametrize("name", sorted(SEPARATORS))
@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_file_rules(tmp_path, case, name):
    template, kwargs, expected = FILE_CASES[case]
    path = write(tmp_path, name, template.format(s=SEPARATORS[name]))
    if isinstance(expected, tuple):
        with pytest.raises(expected[0], match=expected[1]):
            read_edgelist(path, **kwargs)
        return
    g = read_edgelist(path, **kwargs)
    assert _edge_set(g) == expected
    assert all(v != "" for v in g.nodes.tolist())  # never a phantom empty node
    # as_graph on the path reads the same graph (header= passes through).
    as_kwargs = {k: v for k, v in kwargs.items() if k in ("header", "nodes")}
    if "comments" not in kwargs and "weighted" not in kwargs:
        assert as_graph(str(path), **as_kwargs) == g


EMPTY_ID_CASES = {
    "g.tsv": ["\ta\n", "a\t\n", "1\t2\n\t3\n", " \ta\n"],
    "g.csv": [",a\n", "a,\n", "1,2\n,3\n", "a, \n"],
}


@pytest.mark.parametrize("name, text", [(n, t) for n, texts in EMPTY_ID_CASES.items() for t in texts])
def test_empty_ids_are_errors(tmp_path, name, text):
    with pytest.raises(GraphFormatError, match="empty node id"):
        read_edgelist(write(tmp_path, name, text))


def test_hash_after_data_in_whitespace_file_is_a_field(tmp_path):
    path = write(tmp_path, "g.edg", "1 2 # note\n")
    with pytest.raises(GraphFormatError, match="comment only at the start of a line"):
        read_edgelist(path)
    assert _edge_set(read_edgelist(path, weighted=False)) == {(1, 2)}


def test_hash_after_data_in_tsv_is_part_of_the_id(tmp_path):
    g = read_edgelist(write(tmp_path, "g.tsv", "a\tb # x\n"))
    assert _edge_set(g) == {("a", "b # x")}


# -- file errors name the file -----------------------------------------------------------
def _truncated_gz(tmp_path):
    data = gzip.compress("".join(f"{i}\t{i + 1}\n" for i in range(5000)).encode())
    return write_raw(tmp_path, "cut.tsv.gz", data[: len(data) // 2])


def write_raw(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


BAD_FILES = {
    "directory": (lambda t: (t / "adir.tsv").mkdir() or t / "adir.tsv", "is a directory"),
    "latin-1": (lambda t: write_raw(t, "lat.tsv", "caf\xe9\tb\n".encode("latin-1")), "not UTF-8"),
    "latin-1 later": (lambda t: write_raw(t, "lat2.tsv", b"a\tb\n" * 10 + b"\xe9\tx\n"), "not UTF-8"),
    "binary NUL": (lambda t: write_raw(t, "bin.tsv", b"a\x00b\tc\n"), "NUL byte"),
    "random binary": (lambda t: write_raw(t, "rnd.edg", bytes(range(256)) * 4), "rnd.edg"),
    "truncated gz": (_truncated_gz, "truncated or corrupt"),
    "not gzip": (lambda t: write_raw(t, "fake.tsv.gz", b"plain text\n"), "truncated or corrupt"),
    "ragged": (lambda t: write_raw(t, "rag.tsv", b"1\t2\n3\t4\t5\t6\n"), "Expected 2 fields in line 2"),
    "ragged after comments": (
        lambda t: write_raw(t, "rag2.tsv", b"# c\n\n1\t2\n3\t4\t5\n"),
        "Expected 2 fields in line 4",
    ),
    "truncated bz2": (lambda t: write_raw(t, "cut.tsv.bz2", _bz2(b"1\t2\n" * 5000)[:40]), "truncated or corrupt"),
    "not bz2": (lambda t: write_raw(t, "bad.tsv.bz2", b"garbage"), "truncated or corrupt"),
    "truncated xz": (lambda t: write_raw(t, "cut.tsv.xz", _xz(b"1\t2\n" * 5000)[:40]), "truncated or corrupt"),
    "empty gz member": (lambda t: write_raw(t, "e.tsv.gz", gzip.compress(b"")), "holds no data lines"),
    "only a BOM": (lambda t: write_raw(t, "bom.tsv", b"\xef\xbb\xbf"), "bom.tsv"),
}


def _bz2(data):
    import bz2

    return bz2.compress(data)


def _xz(data):
    import lzma

    return lzma.compress(data)


@pytest.mark.parametrize("entry", ["read_edgelist", "as_graph"])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_name_the_file(tmp_path, case, entry):
    make, fragment = BAD_FILES[case]
    path = make(tmp_path)
    reader = read_edgelist if entry == "read_edgelist" else as_graph
    with pytest.raises(GraphFormatError, match=fragment) as e:
        reader(str(path))
    assert path.name in str(e.value)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="no such edge-list file"):
        as_graph("/nonexistent/g.tsv")


# -- 3. pipes are read once ----------------------------------------------------------------
def _pipe_path(data: bytes) -> tuple[str, threading.Thread]:
    r, w = os.pipe()

    def feed():
        with os.fdopen(w, "wb") as f:
            f.write(data)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return f"/dev/fd/{r}", t, r


PIPE_CASES = {
    "int ids, many blocks": ("".join(f"{i} {i + 1}\n" for i in range(30000)).encode(), 30000),
    "string ids (pandas reader)": ("".join(f"n{i} n{i + 1}\n" for i in range(20000)).encode(), 20000),
    "header line": (("source target\n" + "".join(f"{i} {i + 1}\n" for i in range(100))).encode(), 100),
    "gzip stream": (gzip.compress("".join(f"{i} {i + 1}\n" for i in range(5000)).encode()), 5000),
    "comments first": (("# c\n" * 5000 + "1 2\n2 3\n").encode(), 2),
}


@pytest.mark.parametrize("case", sorted(PIPE_CASES))
def test_pipes_lose_no_lines(case):
    data, n_edges = PIPE_CASES[case]
    path, t, fd = _pipe_path(data)
    try:
        g = as_graph(path)
    finally:
        t.join()
        os.close(fd)
    assert g.n_edges == n_edges


@pytest.mark.parametrize("reader", ["as_graph", "read_edgelist"])
def test_dev_stdin(reader):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import skgraphemb as s; "
        f"g = s.{reader}('/dev/stdin'); print(g.n_edges, g.n_nodes)"
    )
    text = "".join(f"{i}\t{i + 1}\n" for i in range(20000))
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], input=text.encode(), capture_output=True, timeout=300, check=True
    )
    assert out.stdout.split() == [b"20000", b"20001"]


# -- 6. uint64 ids keep their value, or are refused ---------------------------------------
BIG = 2**64 - 1
UINT64_OK = {
    "numpy uint64 array": lambda: np.array([[BIG, 0], [2**63, 1]], dtype=np.uint64),
    "list of Python ints": lambda: [(BIG, 0), (2**63, 1)],
    "list with weights": lambda: [(BIG, 0, 1.5), (2**63, 1, 2.0)],
    "frame uint64": lambda: pd.DataFrame({"source": np.array([BIG, 2**63], dtype=np.uint64), "target": [0, 1]}),
    "frame UInt64": lambda: pd.DataFrame({"source": pd.array([BIG, 2**63], dtype="UInt64"), "target": [0, 1]}),
    "networkx": lambda: nx.Graph([(BIG, 0), (2**63, 1)]),
}


@pytest.mark.parametrize("case", sorted(UINT64_OK))
def test_uint64_ids_keep_their_value(case):
    g = as_graph(UINT64_OK[case]())
    assert sorted(int(v) for v in g.nodes.tolist()) == [0, 1, 2**63, BIG]
    assert BIG in g and g.neighbors(BIG) == [0]


UINT64_BAD = {
    "2**70 in a list": (lambda: [(2**70, 1)], "does not fit 64 bits"),
    "negative and 2**63": (lambda: [(-1, 2**63)], "mix negative ids with ids beyond int64"),
    "negative and 2**63 in one column": (lambda: [(-1, 0), (2**63, 1)], "does not fit 64 bits"),
    "frame signed and uint64": (
        lambda: pd.DataFrame({"source": np.array([BIG], dtype=np.uint64), "target": [-1]}),
        "mix negative ids with ids beyond int64",
    ),
    "networkx 2**70": (lambda: nx.Graph([(2**70, 1)]), "does not fit 64 bits"),
    "float ids beyond 2**53": (lambda: np.array([[1e20, 1.0], [2.0, 3.0]]), "beyond 2\\*\\*53"),
    "float ids with weights beyond 2**53": (lambda: [(1e20, 1.0, 0.5)], "beyond 2\\*\\*53"),
    "object float ids": (lambda: np.array([[1.5, 2.0]], dtype=object), "whole numbers"),
}


@pytest.mark.parametrize("case", sorted(UINT64_BAD))
def test_ids_beyond_64_bits_are_refused(case):
    make, fragment = UINT64_BAD[case]
    with pytest.raises(GraphFormatError, match=fragment):
        as_graph(make())


def test_uint64_nodes_argument():
    g = as_graph([(BIG, 0)], nodes=[0, BIG, 5])
    assert [int(v) for v in g.nodes.tolist()] == [0, BIG, 5]


# -- 7. frames: only the named column is a weight ------------------------------------------
def _ts_frame():
    return pd.DataFrame({"source": [1, 2], "target": [2, 3], "ts": [1.6e9, 1.7e9]})


FRAME_CASES = {
    "timestamps are not weights": (lambda: as_graph(_ts_frame()), None),
    "named weight column": (lambda: as_graph(_ts_frame().rename(columns={"ts": "weight"})), 1.6e9),
    "weight= names the column": (lambda: as_graph(_ts_frame(), weight="ts"), 1.6e9),
    "integer column labels": (lambda: as_graph(pd.DataFrame([[1, 2, 7.0], [2, 3, 7.0]])), None),
    "weight=2 on integer labels": (lambda: as_graph(pd.DataFrame([[1, 2, 7.0], [2, 3, 7.0]]), weight=2), 7.0),
    "weight=None": (lambda: as_graph(_ts_frame().rename(columns={"ts": "weight"}), weight=None), None),
}


@pytest.mark.parametrize("case", sorted(FRAME_CASES))
def test_frame_weights(case):
    make, first_weight = FRAME_CASES[case]
    g = make()
    if first_weight is None:
        assert g.weights is None
    else:
        assert edges_of(g)[(1, 2)] == first_weight


FRAME_ERRORS = {
    "weight= names no column": (lambda: as_graph(_ts_frame(), weight="w"), "names no column"),
    "string weights": (
        lambda: as_graph(pd.DataFrame({"source": [1], "target": [2], "weight": ["x"]})),
        "non-numeric value 'x'",
    ),
    "numeric string weight": (
        lambda: as_graph(pd.DataFrame({"source": [1, 2], "target": [2, 3], "weight": [1.0, "2"]})),
        "non-numeric value '2'",
    ),
    "missing weight": (
        lambda: as_graph(pd.DataFrame({"source": [1, 2], "target": [2, 3], "weight": [1.0, None]})),
        "missing value",
    ),
    "Int64 id with NA": (
        lambda: as_graph(pd.DataFrame({"source": pd.array([1, None], dtype="Int64"), "target": [2, 3]})),
        "missing id",
    ),
    "object id None": (lambda: as_graph(pd.DataFrame({"source": ["a", None], "target": ["b", "c"]})), "missing id"),
    "float id NaN": (lambda: as_graph(pd.DataFrame({"source": [1.0, np.nan], "target": [2, 3]})), "missing id"),
    "one column": (lambda: as_graph(pd.DataFrame({"source": [1]})), "at least 2 columns"),
    "empty frame": (lambda: as_graph(pd.DataFrame({"source": [], "target": []})), "empty"),
}


@pytest.mark.parametrize("case", sorted(FRAME_ERRORS))
def test_frame_errors(case):
    make, fragment = FRAME_ERRORS[case]
    with pytest.raises(GraphFormatError, match=fragment) as e:
        make()
    assert "given as floats" not in str(e.value)


# -- 8. reciprocal arcs made undirected: the larger arc, in every form -----------------------
def _arc_forms(tmp_path):
    arcs = [("a", "b", 1.0), ("b", "a", 5.0)]
    int_arcs = [(0, 1, 1.0), (1, 0, 5.0)]
    G1, G2 = nx.DiGraph(), nx.DiGraph()
    G1.add_weighted_edges_from(arcs)
    G2.add_weighted_edges_from(arcs[::-1])
    M = nx.MultiDiGraph()
    M.add_weighted_edges_from([("a", "b", 0.5), ("a", "b", 0.5), ("b", "a", 5.0)])
    return {
        "list": (arcs, {}),
        "list reversed": (arcs[::-1], {}),
        "array": (np.array(int_arcs), {}),
        "frame": (pd.DataFrame(arcs, columns=["source", "target", "weight"]), {}),
        "tsv file": (write(tmp_path, "r.tsv", "a\tb\t1\nb\ta\t5\n"), {}),
        "edg.gz file": (write(tmp_path, "r.edg.gz", "0 1 1\n1 0 5\n"), {}),
        "networkx DiGraph": (G1, {"directed": False}),
        "networkx DiGraph other order": (G2, {"directed": False}),
        "networkx MultiDiGraph": (M, {"directed": False}),
        "scipy": (sp.csr_array(np.array([[0, 1.0], [5.0, 0]])), {"directed": False}),
        "PyG edge_index": (PyG([[0, 1], [1, 0]], np.array([1.0, 5.0]), 2), {"directed": False}),
    }


ARC_FORMS = [
    "list",
    "list reversed",
    "array",
    "frame",
    "tsv file",
    "edg.gz file",
    "networkx DiGraph",
    "networkx DiGraph other order",
    "networkx MultiDiGraph",
    "scipy",
    "PyG edge_index",
]


@pytest.mark.parametrize("form", ARC_FORMS)
def test_reciprocal_arcs_weigh_the_larger(tmp_path, form):
    data, kwargs = _arc_forms(tmp_path)[form]
    g = as_graph(data, **kwargs)
    assert not g.directed
    assert sorted(g.weights.tolist()) == [5.0, 5.0]


@pytest.mark.parametrize("form", ["scipy", "PyG", "networkx", "both-directions file"])
def test_symmetric_inputs_are_not_doubled(tmp_path, form):
    A = sp.csr_array(np.array([[0, 2.0, 0], [2.0, 0, 3.0], [0, 3.0, 0]]))
    data = {
        "scipy": A,
        "PyG": PyG([[0, 1, 1, 2], [1, 0, 2, 1]], np.array([2.0, 2.0, 3.0, 3.0]), 3),
        "networkx": nx.from_scipy_sparse_array(A, create_using=nx.DiGraph),
        "both-directions file": write(tmp_path, "b.tsv", "0\t1\t2\n1\t0\t2\n1\t2\t3\n2\t1\t3\n"),
    }[form]
    g = as_graph(data, directed=False)
    np.testing.assert_array_equal(g.to_scipy().toarray(), A.toarray())


def test_undirected_multigraph_parallel_edges_add_up():
    M = nx.MultiGraph()
    M.add_weighted_edges_from([("a", "b", 1.0), ("b", "a", 5.0)])
    assert sorted(as_graph(M).weights.tolist()) == [6.0, 6.0]


# -- 11. sums of duplicates that overflow -----------------------------------------------------
def _overflow_forms():
    M = nx.MultiGraph()
    M.add_weighted_edges_from([(0, 1, 1e308), (0, 1, 1e308)])
    coo = sp.coo_array((np.array([1e308, 1e308]), (np.array([0, 0]), np.array([1, 1]))), shape=(2, 2))
    return {
        "list": [(0, 1, 1e308), (0, 1, 1e308)],
        "array directed": np.array([[0, 1, 1e308], [0, 1, 1e308]]),
        "frame": pd.DataFrame({"source": [0, 0], "target": [1, 1], "weight": [1e308, 1e308]}),
        "networkx MultiGraph": M,
        "scipy coo duplicates": coo,
        "PyG duplicates": PyG([[0, 0], [1, 1]], np.array([1e308, 1e308]), 2),
    }


@pytest.mark.parametrize(
    "form", ["list", "array directed", "frame", "networkx MultiGraph", "scipy coo duplicates", "PyG duplicates"]
)
def test_overflowing_duplicate_weights_are_refused(form):
    with pytest.raises(GraphFormatError, match="infinit"):
        as_graph(_overflow_forms()[form], directed=form == "array directed" or None)


# -- 12. duplicate ids in nodes= are refused everywhere ----------------------------------------
def _dup_nodes_forms(tmp_path):
    return {
        "networkx": nx.path_graph(3),
        "networkx str": nx.path_graph(["a", "b", "c"]),
        "array": np.array([[0, 1], [1, 2]]),
        "str list": [("a", "b"), ("b", "c")],
        "frame": pd.DataFrame({"source": [0, 1], "target": [1, 2]}),
        "file": write(tmp_path, "d.tsv", "0\t1\n1\t2\n"),
        "string file": write(tmp_path, "s.tsv", "a\tb\nb\tc\n"),
        "scipy": sp.csr_array(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])),
        "PyG": PyG([[0, 1], [1, 2]], None, 3),
        "Graph": as_graph(nx.path_graph(3)),
    }


@pytest.mark.parametrize(
    "form", ["networkx", "networkx str", "array", "str list", "frame", "file", "string file", "scipy", "PyG", "Graph"]
)
def test_duplicate_nodes_are_refused(tmp_path, form):
    data = _dup_nodes_forms(tmp_path)[form]
    nodes = ["a", "b", "c", "a"] if "str" in form else [0, 1, 2, 0]
    with pytest.raises(GraphFormatError, match="duplicate ids"):
        as_graph(data, nodes=nodes)


# -- hand-built Graphs ------------------------------------------------------------------------
NODES3 = np.array([0, 1, 2])
BAD_GRAPHS = {
    "index beyond n": ([0, 1, 2, 2], [5, 0], None, True, "outside|positions in"),
    "negative index": ([0, 1, 2, 2], [-1, 0], None, True, "positions in"),
    "int64 index beyond int32": ([0, 1, 1, 1], np.array([2**32 + 1]), None, True, "positions in"),
    "unsorted row": ([0, 2, 2, 2], [2, 1], None, True, "not strictly increasing"),
    "duplicate column": ([0, 2, 2, 2], [1, 1], None, True, "not strictly increasing"),
    "negative weight": ([0, 1, 1, 1], [1], [-1.0], True, "zero or negative"),
    "zero weight": ([0, 1, 1, 1], [1], [0.0], True, "zero or negative"),
    "nan weight": ([0, 1, 1, 1], [1], [np.nan], True, "NaN or infinite"),
    "inf weight": ([0, 1, 1, 1], [1], [np.inf], True, "NaN or infinite"),
    "indptr decreasing": ([0, 2, 1, 2], [1, 2], None, True, "never decrease"),
    "indptr not from 0": ([1, 1, 1, 1], [], None, True, "start at 0"),
    "indptr short": ([0, 1], [1], None, True, "n_nodes \\+ 1"),
    "float indices": ([0, 1, 1, 1], [1.0], None, True, "integer array"),
    "float indptr": ([0.0, 1.0, 1.0, 1.0], [1], None, True, "integer array"),
    "string weights": ([0, 1, 1, 1], [1], ["x"], True, "numbers"),
    "weights wrong length": ([0, 1, 1, 1], [1], [1.0, 2.0], True, "one entry per stored edge"),
    "undirected asymmetric": ([0, 1, 1, 1], [1], None, False, "not symmetric"),
    "undirected unequal weights": ([0, 1, 2, 2], [1, 0], [1.0, 2.0], False, "not symmetric"),
}


@pytest.mark.parametrize("case", sorted(BAD_GRAPHS))
def test_hand_built_graph_is_checked(case):
    indptr, indices, weights, directed, fragment = BAD_GRAPHS[case]
    with pytest.raises(GraphFormatError, match=fragment):
        Graph(
            np.asarray(indptr),
            np.asarray(indices),
            None if weights is None else np.asarray(weights),
            nodes=NODES3,
            directed=directed,
        )


def test_hand_built_graph_duplicate_nodes():
    with pytest.raises(GraphFormatError, match="distinct"):
        Graph(np.array([0, 1, 1]), np.array([1]), None, nodes=np.array([4, 4]), directed=True)


def test_hand_built_graph_nan_features():
    with pytest.raises(GraphFormatError, match="features"):
        Graph(
            np.array([0, 1, 1]),
            np.array([1]),
            None,
            nodes=np.array([0, 1]),
            directed=True,
            features=np.array([[np.nan], [1.0]]),
        )


def test_valid_hand_built_graph_walks(check_walks):
    from skgraphemb import random_walks

    g = Graph(
        np.array([0, 1, 3, 4]),
        np.array([1, 0, 2, 1]),
        np.array([1.0, 1.0, 2.0, 2.0]),
        nodes=np.array([10, 11, 12]),
        directed=False,
    )
    walks = np.asarray(random_walks(g, walk_length=5, num_walks=2, random_state=0))
    assert walks.shape == (6, 5) and set(walks.ravel().tolist()) <= {0, 1, 2}
    check_walks(walks, g)  # every step follows an edge


def test_out_of_range_graph_never_reaches_the_walks():
    from skgraphemb import random_walks

    with pytest.raises(GraphFormatError):
        random_walks(
            Graph(np.array([0, 1, 2]), np.array([7, 0]), None, nodes=np.array([0, 1]), directed=True),
            walk_length=5,
            num_walks=1,
        )


# -- raw tracebacks become clear errors -------------------------------------------------------
def _nx_weight(value):
    G = nx.Graph()
    G.add_edge(0, 1, weight=value)
    return G


RAW = {
    "networkx str weight": (lambda: as_graph(_nx_weight("heavy")), GraphFormatError, "non-numeric"),
    "networkx list weight": (lambda: as_graph(_nx_weight([1, 2])), GraphFormatError, "non-numeric"),
    "networkx complex weight": (lambda: as_graph(_nx_weight(1j)), GraphFormatError, "non-numeric"),
    "networkx nan weight": (lambda: as_graph(_nx_weight(float("nan"))), GraphFormatError, "NaN"),
    "PyG -1": (lambda: as_graph(PyG([[0, -1], [1, 0]], None, 2)), GraphFormatError, "-1"),
    "PyG beyond num_nodes": (
        lambda: as_graph(PyG([[0, 5], [1, 0]], None, 2)),
        GraphFormatError,
        "outside \\[0, num_nodes=2\\)",
    ),
    "PyG weight length": (
        lambda: as_graph(PyG([[0, 1], [1, 0]], np.ones(3), 2)),
        GraphFormatError,
        "one weight per edge_index column",
    ),
    "PyG float index": (
        lambda: as_graph(PyG(np.array([[0.0, 1.0], [1.0, 0.0]]), None, 2)),
        GraphFormatError,
        "integer",
    ),
    "PyG shape": (lambda: as_graph(PyG(np.array([[0, 1, 2]]), None, 3)), GraphFormatError, "shape"),
    "PyG empty": (lambda: as_graph(PyG(np.zeros((2, 0), dtype=np.int64), None, 2)), GraphFormatError, "empty"),
    "array str weight": (lambda: as_graph([("a", "b", "x")]), GraphFormatError, "numeric weights"),
    "array ragged rows": (lambda: as_graph([(1, 2), (1, 2, 3)]), GraphFormatError, "2 \\(source"),
    "array None id": (lambda: as_graph([(1, None)]), GraphFormatError, "missing"),
    "array nan id": (lambda: as_graph(np.array([[1.0, np.nan]])), GraphFormatError, "missing"),
    "array 1-d": (lambda: as_graph(np.array([1, 2, 3])), GraphFormatError, "shape"),
    "array 4 columns": (lambda: as_graph(np.ones((2, 4))), GraphFormatError, "shape"),
    "array empty": (lambda: as_graph(np.empty((0, 2))), GraphFormatError, "empty"),
    "mixed id types": (lambda: as_graph([(1, "a")]), GraphFormatError, "cannot be ordered"),
    "fractional float ids": (lambda: as_graph(np.array([[0.5, 1.0]])), GraphFormatError, "whole"),
    "scipy complex dtype": (
        lambda: as_graph(sp.csr_array(np.array([[0, 1j], [1j, 0]]))),
        GraphFormatError,
        "real numbers",
    ),
    "scipy non-square": (lambda: as_graph(sp.csr_array(np.ones((2, 3)))), GraphFormatError, "square"),
    "scipy negative": (lambda: as_graph(sp.csr_array(np.array([[0, -1.0], [-1.0, 0]]))), GraphFormatError, "negative"),
    "scipy nodes length": (lambda: as_graph(sp.eye(3, format="csr"), nodes=[0, 1]), GraphFormatError, "has 2 ids"),
    "unsupported type": (lambda: as_graph(object()), TypeError, "cannot build a graph"),
    "header on an array": (lambda: as_graph([(0, 1)], header=True), ValueError, "edge-list files only"),
    "nodes as a string": (lambda: as_graph([("a", "b")], nodes="ab"), GraphFormatError, "single string"),
    "unknown id": (lambda: as_graph([(0, 1)], nodes=[0]), UnknownNodeError, "not listed"),
    "all zero weights": (lambda: as_graph([(0, 1, 0.0)]), GraphFormatError, "no edges"),
    "negative weight": (lambda: as_graph([(0, 1, -2.0)]), GraphFormatError, "negative"),
    "inf weight": (lambda: as_graph([(0, 1, np.inf)]), GraphFormatError, "NaN or infinite"),
    "features wrong rows": (lambda: as_graph([(0, 1)], features=np.ones((3, 2))), GraphFormatError, "one row per node"),
    "features nan": (lambda: as_graph([(0, 1)], features=np.full((2, 1), np.nan)), GraphFormatError, "NaN"),
    "graph redirected": (lambda: as_graph(as_graph([(0, 1)]), directed=True), GraphFormatError, "cannot reinterpret"),
}


@pytest.mark.parametrize("case", sorted(RAW))
def test_clear_errors(case):
    make, exc, fragment = RAW[case]
    with pytest.raises(exc, match=fragment):
        make()


# -- correct results that already held ----------------------------------------------------------
def test_self_loop_is_kept_once():
    g = as_graph([(0, 0, 2.0), (0, 1, 1.0)])
    assert edges_of(g)[(0, 0)] == 2.0 and g.n_edges == 2


def test_zero_weight_edges_dropped():
    g = as_graph([(0, 1, 0.0), (1, 2, 1.0)])
    assert _edge_set(g) == {(1, 2)} and g.n_nodes == 3


def test_unweighted_duplicates_stay_unweighted():
    g = as_graph([(0, 1), (0, 1), (1, 0)])
    assert g.weights is None and g.n_edges == 1


def test_read_table_int_columns_merge_007_and_7(tmp_path):
    df = read_table(write(tmp_path, "t.tsv", "007\tx\n7\ty\n"))
    assert df[0].tolist() == [7, 7]
    df = read_table(write(tmp_path, "u.tsv", "007\tx\na\ty\n"))
    assert df[0].tolist() == ["007", "a"]
