"""Property-based tests (hypothesis) of the graph layer (issue 12).

- ``as_graph`` gives the same Graph from every input form of one random
  multigraph (networkx, scipy, arrays, lists, frames, PyG-like objects,
  files with and without headers, comments, gzip, CR LF, pipes), for int,
  str and uint64 ids, weighted or not, directed or not; and that Graph is
  the one the documented rules give (parallel arcs summed, an undirected
  edge weighing the larger of its two directions).
- Edge-list parsers fuzzed with random text and random bytes: the fast
  reader, the pandas reader and a reference implementation of the
  documented file rules agree, and any result is a clear error or a correct
  graph, never a phantom node.
"""

from __future__ import annotations

import gzip
import os
import re
import threading

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from skgraphemb import GraphFormatError, UnknownNodeError, as_graph
from skgraphemb.graph._io import _read_edgelist, _Unsupported


def SETTINGS(max_examples=40):  # noqa: N802 - used as a decorator
    """Examples per test: the whole file stays under about 60 s.  Set
    ``SKGRAPHEMB_FUZZ_SCALE=20`` for a longer search."""
    scale = int(os.environ.get("SKGRAPHEMB_FUZZ_SCALE", "1"))
    return settings(
        max_examples=max_examples * scale,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# -- random multigraphs ---------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCZ"
_STR_ID = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(_LETTERS),
    st.text(alphabet=_LETTERS + "0123456789#_-.é", max_size=5),
)
ID_KINDS = {
    "small int": st.integers(0, 30),
    "signed int": st.integers(-(2**63), 2**63 - 1),
    "uint64": st.integers(2**63, 2**64 - 1),
    "str": _STR_ID,
}


@st.composite
def multigraphs(draw, kind=None):
    """``(arcs, kind, weighted, directed)``: arcs ``(u, v, w)`` with parallel
    and reciprocal arcs and self-loops; weights are multiples of 1/4 (exact
    sums in any order)."""
    kind = kind or draw(st.sampled_from(sorted(ID_KINDS)))
    pool = draw(st.lists(ID_KINDS[kind], min_size=1, max_size=8, unique=True))
    if kind == "uint64":
        pool.append(draw(st.integers(0, 5)))  # small ids next to the big ones
    pool_st = st.sampled_from(pool)
    weighted = draw(st.booleans())
    arcs = draw(st.lists(st.tuples(pool_st, pool_st, st.integers(1, 40).map(lambda k: k / 4)), min_size=1, max_size=15))
    extra = draw(st.lists(st.sampled_from(arcs), max_size=3))  # reciprocal copies
    arcs += [(v, u, w * 2) for u, v, w in extra]
    return arcs, kind, weighted, draw(st.booleans())


def expected_edges(arcs, weighted, directed) -> dict:
    """The documented rules: parallel arcs summed; undirected: the larger direction."""
    summed: dict = {}
    for u, v, w in arcs:
        summed[(u, v)] = summed.get((u, v), 0.0) + (w if weighted else 1.0)
    if not weighted:
        summed = dict.fromkeys(summed, 1.0)
    if directed:
        return summed
    out = {}
    for (u, v), w in summed.items():
        key = tuple(sorted((u, v), key=lambda x: (type(x).__name__, x)))
        out[key] = max(out.get(key, 0.0), w)
    return out


def edges_of(g) -> dict:
    out = {}
    A = g.to_scipy().tocoo()
    nodes = g.nodes.tolist()
    for r, c, w in zip(A.row.tolist(), A.col.tolist(), A.data.tolist()):
        u, v = nodes[r], nodes[c]
        if not g.directed:
            u, v = sorted((u, v), key=lambda x: (type(x).__name__, x))
        out[(u, v)] = w
    return out


def _pipe(data: bytes):
    r, w = os.pipe()

    def feed():
        with os.fdopen(w, "wb") as f:
            f.write(data)

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    return r, t


def _text(arcs, weighted, sep, header, comments, eol):
    lines = []
    if comments:
        lines.append("# a comment")
    if header:
        lines.append(sep.join(["source", "target", "weight"][: 3 if weighted else 2]))
    for i, (u, v, w) in enumerate(arcs):
        fields = [str(u), str(v)] + ([repr(w)] if weighted else [])
        lines.append(sep.join(fields))
        if comments and i % 3 == 0:
            lines.append("   # indented comment" if i % 2 else "")
    return eol.join(lines) + eol


FILE_FORMS = [
    "g.tsv",
    "g.csv",
    "g.edg",
    "g.tsv.gz",
    "crlf.tsv",
    "header.csv",
    "comments.edg",
    "pipe.edg",
    "pipe.tsv.gz",
]


def _read_file_form(tmp_path, form, arcs, weighted, directed, kind):
    sep = "\t" if ".tsv" in form else "," if ".csv" in form else " "
    header = form.startswith("header")
    text = _text(arcs, weighted, sep, header, form.startswith("comments"), "\r\n" if form.startswith("crlf") else "\n")
    data = text.encode()
    if form.endswith(".gz"):
        data = gzip.compress(data)
    # Int ids below a non-numeric header are detected; str ids need header= given.
    kwargs = {"header": header} if kind == "str" else {}
    if form.startswith("pipe"):
        r, t = _pipe(data)
        try:
            return as_graph(f"/dev/fd/{r}", directed=directed, weight="weight" if weighted else None, **kwargs)
        finally:
            t.join()
            os.close(r)
    path = tmp_path / form
    path.write_bytes(data)
    return as_graph(path, directed=directed, weight="weight" if weighted else None, **kwargs)


def _in_memory_forms(arcs, weighted, directed, ids):
    """The graph in every in-memory form, each with ``nodes=ids`` where the
    form has its own node order."""
    pos = {v: i for i, v in enumerate(ids)}
    src = np.array([pos[u] for u, _, _ in arcs])
    dst = np.array([pos[v] for _, v, _ in arcs])
    w = np.array([a[2] for a in arcs])
    triples = [(u, v, w_) for u, v, w_ in arcs] if weighted else [(u, v) for u, v, _ in arcs]
    frame = pd.DataFrame({"source": [a[0] for a in arcs], "target": [a[1] for a in arcs]})
    if weighted:
        frame["weight"] = w
    frame["timestamp"] = 1.6e9  # never a weight
    G = nx.MultiDiGraph()
    G.add_nodes_from(ids)
    for u, v, w_ in arcs:
        G.add_edge(u, v, **({"weight": w_} if weighted else {}))
    if weighted:
        coo = sp.coo_array((w, (src, dst)), shape=(len(ids),) * 2)
    else:  # a matrix has no unweighted multi-edges: one entry of 1 per arc
        pairs = np.array(sorted(set(zip(src.tolist(), dst.tolist()))))
        coo = sp.coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(ids),) * 2)

    class PyG:
        edge_index = np.vstack([src, dst])
        edge_weight = w if weighted else None
        num_nodes = len(ids)

    obj = np.empty((len(triples), len(triples[0])), dtype=object)
    obj[:] = triples
    forms = {
        "list": (triples, {}),
        "object array": (obj, {}),
        "frame": (frame, {}),
        "networkx": (G, {"nodes": ids}),
        "PyG": (PyG(), {"nodes": ids}),
        "scipy": (coo, {"nodes": ids}),
    }
    if not isinstance(ids[0], str) and not weighted:
        dtype = np.uint64 if max(ids) >= 2**63 else np.int64
        forms["int array"] = (np.array(triples, dtype=dtype), {})
    return forms


@SETTINGS(150)
@given(multigraphs())
def test_every_form_gives_the_documented_graph(tmp_path_factory, case):
    arcs, kind, weighted, directed = case
    expected = expected_edges(arcs, weighted, directed)
    ids = sorted({x for u, v, _ in arcs for x in (u, v)}, key=lambda x: (type(x).__name__, x))
    assume(expected)
    tmp_path = tmp_path_factory.mktemp("forms")
    graphs = {}
    for name, (data, kwargs) in _in_memory_forms(arcs, weighted, directed, ids).items():
        graphs[name] = as_graph(data, directed=directed, **kwargs)
    for form in FILE_FORMS:
        graphs[form] = _read_file_form(tmp_path, form, arcs, weighted, directed, kind)
    reference = graphs["list"]
    assert reference.nodes.tolist() == ids
    assert edges_of(reference) == expected
    assert (reference.weights is not None) == weighted
    for name, g in graphs.items():
        assert g.nodes.tolist() == ids, name
        assert edges_of(g) == expected, name
        if name != "scipy":  # scipy cannot tell weight-1 arcs from unweighted ones
            assert g == reference, name


@SETTINGS()
@given(st.lists(st.integers(2**63, 2**64 - 1), min_size=2, max_size=6, unique=True))
def test_uint64_ids_round_trip_every_form(tmp_path_factory, big):
    arcs = list(zip(big[:-1], big[1:]))
    as_list = as_graph(arcs)
    assert sorted(as_list.nodes.tolist()) == sorted(big)
    path = tmp_path_factory.mktemp("u") / "g.tsv"
    path.write_text("".join(f"{u}\t{v}\n" for u, v in arcs))
    G = nx.Graph(arcs)
    for g in (
        as_graph(np.array(arcs, dtype=np.uint64)),
        as_graph(path),
        as_graph(pd.DataFrame(arcs, columns=["source", "target"])),
        as_graph(G, nodes=sorted(big)),
    ):
        assert g == as_list
        assert all(g.neighbors(u) for u in big)


@SETTINGS()
@given(st.lists(st.one_of(st.integers(-5, 5), _STR_ID), min_size=2, max_size=6))
def test_mixed_int_and_str_ids_are_refused_or_kept_apart(ids):
    arcs = list(zip(ids[:-1], ids[1:]))
    kinds = {type(v) for v in ids}
    if len(kinds) > 1:
        with pytest.raises(GraphFormatError, match="cannot be ordered"):
            as_graph(arcs)
        # nodes= fixes the order: then every id keeps its type
        g = as_graph(arcs, nodes=list(dict.fromkeys(ids)))
        assert g.nodes.tolist() == list(dict.fromkeys(ids))
    else:
        assert set(as_graph(arcs).nodes.tolist()) == set(ids)


# -- the file rules, by a reference implementation -------------------------------------------
_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE)


def _fields(line, mode):
    if mode == "ws":
        return [f for f in re.split(r"[ \t]+", line) if f]
    sep = "\t" if mode == "tsv" else ","
    strip = " " if mode == "tsv" else " \t"
    return [f.strip(strip) for f in line.split(sep)]


def reference_read(text: str, mode: str, directed: bool):
    """The documented rules of read_edgelist (no quotes in ``text``):
    ``("error", None)`` or ``("graph", (ids, edges))``."""
    lines = re.split(r"\r\n|\r|\n", text)
    data = [ln for ln in lines if not re.fullmatch(r"[ \t]*(?:#.*)?", ln)]
    if not data:
        return "error", None
    rows = [_fields(ln, mode) for ln in data]
    first = rows[0]
    below = rows[1:101]
    header = (
        bool(first)
        and not any(_NUMBER.fullmatch(f) for f in first)
        and bool(below)
        and any(all(c < len(r) and _NUMBER.fullmatch(r[c]) for r in below) for c in range(len(first)))
    )
    if header:
        rows = rows[1:]
    ncols = len(rows[0]) if rows else 0
    if ncols < 2 or any(len(r) > ncols for r in rows):
        return "error", None
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    ids = [r[0] for r in rows] + [r[1] for r in rows]
    if any(v == "" for v in ids):
        return "error", None
    if all(re.fullmatch(r"[+-]?[0-9]+", v) for v in ids):
        ints = [int(v) for v in ids]
        if not (all(-(2**63) <= v < 2**63 for v in ints) or all(0 <= v < 2**64 for v in ints)):
            return "error", None
        ids = ints
    weights = [1.0] * len(rows)
    weighted = ncols >= 3
    if weighted:
        if not all(_NUMBER.fullmatch(r[2]) for r in rows):
            return "error", None
        weights = [float(r[2]) for r in rows]
        if any(not np.isfinite(w) or w < 0 for w in weights):
            return "error", None
    m = len(rows)
    arcs = [(ids[k], ids[m + k], weights[k]) for k in range(m)]
    edges = {k: w for k, w in expected_edges(arcs, weighted, directed).items() if w != 0}
    if not edges or any(not np.isfinite(w) for w in edges.values()):
        return "error", None
    return "graph", (sorted(set(ids), key=lambda x: (type(x).__name__, x)), edges)


def _outcome(path, engine, directed):
    try:
        return "graph", _read_edgelist(path, engine=engine, directed=directed)
    except (GraphFormatError, UnknownNodeError) as e:
        return "error", e


_TOKENS = [
    "1",
    "2",
    "07",
    "-3",
    "+4",
    "a",
    "b#c",
    "#",
    "x",
    "0.5",
    "2.5e1",
    "nan",
    "-1",
    "",
    "99999999999999999999",
    "18446744073709551615",
    "é",
]


_INT_TOKENS = ["1", "2", "07", "-3", "+4", "0", "12", "0.5", "3"]  # mostly the parallel reader's grammar


@st.composite
def edge_texts(draw):
    mode = draw(st.sampled_from(["tsv", "csv", "ws"]))
    sep = {"tsv": "\t", "csv": ",", "ws": " "}[mode]
    pad = st.sampled_from(["", " ", "  "] if mode == "tsv" else ["", " ", "\t"])
    ncols = draw(st.sampled_from([2, 2, 3]))
    tokens = draw(st.sampled_from([_TOKENS, _INT_TOKENS]))
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["record", "record", "record", "comment", "blank", "ragged"]))
        if kind == "comment":
            lines.append(draw(pad) + "#" + draw(st.sampled_from(["", " note", "#", "1\t2"])))
        elif kind == "blank":
            lines.append(draw(pad))
        else:
            k = ncols + (draw(st.sampled_from([-1, 1])) if kind == "ragged" else 0)
            fields = [draw(st.sampled_from(tokens)) for _ in range(max(k, 1))]
            lines.append(draw(pad) + sep.join(fields) + draw(pad))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(lines) + draw(st.sampled_from(["", eol]))
    return mode, text


@SETTINGS(500)
@given(edge_texts(), st.booleans(), st.booleans())
def test_readers_follow_the_documented_rules(tmp_path_factory, mode_text, directed, gz):
    mode, text = mode_text
    name = {"tsv": "g.tsv", "csv": "g.csv", "ws": "g.edg"}[mode] + (".gz" if gz else "")
    path = tmp_path_factory.mktemp("fuzz") / name
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    kind, expected = reference_read(text, mode, directed)
    event(kind)
    fast = _outcome(path, "auto", directed)
    slow = _outcome(path, "pandas", directed)
    assert fast[0] == slow[0] == kind, (text, fast, slow, expected)
    if kind == "error":
        assert str(fast[1]) == str(slow[1])
        return
    assert fast[1] == slow[1]
    ids, edges = expected
    assert fast[1].nodes.tolist() == ids
    assert edges_of(fast[1]) == edges
    try:  # the parallel reader alone, where the text is in its grammar
        numba_graph = _read_edgelist(path, engine="numba", directed=directed)
    except _Unsupported:
        return
    event("read by the parallel reader")
    assert numba_graph == slow[1]


@SETTINGS(500)
@example(b"\xc2", "g.tsv")  # an incomplete UTF-8 sequence alone
@example(b"a\tb\r", "g.tsv")
@example(b"a b\x00c d\n", "g.edg")
@example(b'"\x01"\x01\t\x01', "g.tsv")  # pandas joins a quoted part and what follows
@example(b"\x80\n0 \x01", "g.edg")  # not UTF-8 in the header line: an error too
@given(
    st.one_of(
        st.binary(max_size=300),
        # bytes with a fair chance of forming lines and fields
        st.lists(
            st.sampled_from(
                [b"1", b"22", b"-3", b"a", b"b#", b"0.5", b"\r", b"#", b'"', b"\x00", b"\xe9", b"\xc3\xa9", b"\x0b"]
                + [b"1 2\n", b"a\tb\n", b"x,y\n", b" ", b"\t", b",", b"\n"] * 3
            ),
            max_size=40,
        ).map(b"".join),
    ),
    st.sampled_from(["g.tsv", "g.csv", "g.edg"]),
)
def test_random_bytes_give_an_error_or_a_graph_without_phantom_nodes(tmp_path_factory, data, name):
    path = tmp_path_factory.mktemp("bytes") / name
    path.write_bytes(data)
    fast = _outcome(path, "auto", False)
    slow = _outcome(path, "pandas", False)
    assert fast[0] == slow[0]
    event(fast[0])
    if fast[0] == "error":
        assert str(fast[1]) == str(slow[1])
        assert str(path) in str(fast[1]) or "node" in str(fast[1]) or "weight" in str(fast[1])
        return
    g = fast[1]
    assert g == slow[1]
    text = data.decode("utf-8", "surrogateescape")  # comment lines may hold any bytes
    tokens = set(re.split(r"[\s,\"]+", text))
    for v in g.nodes.tolist():
        assert v != ""
        if isinstance(v, str):  # every node id is text of the file (quotes are syntax)
            assert v in text or v.replace('"', "") in text.replace('"', ""), v
        else:
            assert any(re.fullmatch(r"[+-]?[0-9]+", t) and int(t) == v for t in tokens), v


# -- hand-built CSR arrays: refused, or a graph that keeps every promise ------------------------
@SETTINGS(300)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.integers(0, 4), min_size=n, max_size=n),  # row lengths
            st.lists(st.integers(-2, 8), min_size=30, max_size=30),  # column pool
            st.lists(st.sampled_from([1.0, 2.0, 0.0, -1.0, np.nan, np.inf, 0.5]), min_size=30, max_size=30),
            st.booleans(),
            st.booleans(),
        )
    )
)
def test_hand_built_graphs_are_refused_or_valid(args):
    from skgraphemb import Graph

    n, lengths, cols, weights, weighted, directed = args
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    nnz = int(indptr[-1])
    indices = np.array(cols[:nnz], dtype=np.int64)
    w = np.array(weights[:nnz]) if weighted else None
    try:
        g = Graph(indptr, indices, w, nodes=np.arange(n), directed=directed)
    except GraphFormatError:
        event("refused")
        return
    event("accepted")
    rows = np.repeat(np.arange(n), np.diff(g.indptr))
    assert np.all((g.indices >= 0) & (g.indices < n))
    keys = rows * n + g.indices
    assert np.all(np.diff(keys) > 0)  # sorted rows, no duplicates
    if g.weights is not None:
        assert np.all(np.isfinite(g.weights)) and np.all(g.weights > 0)
    if not directed:
        A = g.to_scipy()
        assert (A != A.T).nnz == 0
