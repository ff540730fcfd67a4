"""The parallel edge-list reader gives what today's pandas reader gives.

Every test reads generated files twice, with ``engine="pandas"`` (the
reference: ``pandas.read_csv`` with the rules of ``read_table``) and with
the parallel reader, and asserts the same :class:`Graph` (fingerprint: CSR
arrays, weights, ids, direction) or the same error.  Files inside the fast
reader's grammar must be read by it (``engine="numba"`` does not give up);
files outside it must make it give up and fall back to pandas.
"""

from __future__ import annotations

import gzip
import tracemalloc

import numpy as np
import pytest

from skgraphemb import GraphFormatError
from skgraphemb.graph import _build, _io
from skgraphemb.graph._io import _read_edgelist, _Unsupported

EXTENSIONS = ["g.tsv", "g.csv", "g.edg", "g.txt", "g.tsv.gz", "g.csv.gz", "g.edg.gz"]
HEADERS = [
    ["source", "target", "weight"],
    ["Src", "DST", "w"],
    ["u", "v", "strength"],
    ["node1", "node2", "Weight"],
    ["from", "to", "weight"],
]


def _outcome(path, engine, **kw):
    try:
        return _read_edgelist(path, engine=engine, **kw)
    except Exception as e:  # noqa: BLE001 (compared with the reference below)
        return e


def assert_same_as_pandas(path, *, fast=True, **kw):
    """Both readers agree; with ``fast`` the parallel reader did the reading."""
    ref = _outcome(path, "pandas", **kw)
    got = _outcome(path, "numba" if fast else "auto", **kw)
    if isinstance(ref, Exception):
        assert type(got) is type(ref) and str(got) == str(ref), (ref, got)
        return ref
    assert not isinstance(got, Exception), got
    assert got.fingerprint() == ref.fingerprint()
    assert got.nodes.dtype == ref.nodes.dtype
    assert not fast or got.nodes.dtype == np.int64
    assert (got.weights is None) == (ref.weights is None)
    return got


# -- random files inside the grammar ------------------------------------------------
class _FileMaker:
    """Random edge-list text in the fast reader's grammar, line by line."""

    def __init__(self, rng, name):
        self.rng = rng
        base = name.removesuffix(".gz")
        self.mode = "tsv" if base.endswith(".tsv") else "csv" if base.endswith(".csv") else "ws"
        self.weighted = rng.random() < 0.5
        scheme = rng.integers(4)
        if scheme == 0:
            self.pool = np.arange(int(rng.integers(1, 40)))
        elif scheme == 1:
            self.pool = np.arange(-20, 21)
        elif scheme == 2:  # sparse 64-bit ids, extremes included
            self.pool = np.r_[rng.integers(-(2**63), 2**63 - 1, 30, dtype=np.int64), [-(2**63), 2**63 - 1, 0]]
        else:
            self.pool = 10**12 + np.arange(50)

    def pad(self):
        chars = " " if self.mode == "tsv" else " \t"
        return "".join(self.rng.choice(list(chars)) for _ in range(self.rng.integers(0, 3)))

    def sep(self):
        if self.mode == "ws":
            return "".join(self.rng.choice([" ", "\t"]) for _ in range(self.rng.integers(1, 4)))
        return self.pad() + ("\t" if self.mode == "tsv" else ",") + self.pad()

    def id_text(self, v):
        r = self.rng.random()
        if v == 0 and r < 0.3:
            return "-0" if r < 0.15 else "+000"
        if 0 <= v < 2**63 - 1 and r < 0.15:
            return "+" + str(v)
        if r < 0.3:
            return ("-" if v < 0 else "") + "0" * int(self.rng.integers(1, 4)) + str(abs(int(v)))
        return str(v)

    def weight_text(self):
        rng = self.rng
        x = float(rng.choice([0.0, 1.0, 2.5, 1e-3, 123.456, 7e5])) * float(rng.random() < 0.95)
        forms = [
            repr(x),
            f"{x:g}",
            f"{x:.3f}",
            f"{x:e}",
            f"{x:.2E}",
            str(int(x)),
            f"+{x}",
            f"{x:.1f}".rstrip("0"),
            ".5",
            "5.",
            "1e3",
            "-0.0",
            "0.1e1",
            "007.25",
        ]
        return forms[int(rng.integers(len(forms)))]

    def eol(self):
        return "\r\n" if self.rng.random() < 0.3 else "\n"

    def record(self):
        u, v = self.rng.choice(self.pool, 2)
        fields = [self.id_text(int(u)), self.id_text(int(v))]
        if self.weighted:
            fields.append(self.weight_text())
        lead = self.pad() if self.mode != "ws" or self.rng.random() < 0.5 else ""
        return lead + self.sep().join(fields) + self.pad()

    def filler(self):
        """A comment or blank line."""
        if self.rng.random() < 0.5:
            body = "".join(self.rng.choice(list('ab #,\t"é\x00 1')) for _ in range(self.rng.integers(0, 8)))
            return "#" + body
        return self.pad()

    def lines(self, n):
        """``(kind, text)`` pairs; kind is 'record', 'header' or 'filler'."""
        out = [("filler", self.filler()) for _ in range(self.rng.integers(0, 3))]
        if self.rng.random() < 0.3:
            names = list(HEADERS[int(self.rng.integers(len(HEADERS)))][: 3 if self.weighted else 2])
            out.append(("header", self.pad() + self.sep().join(names) + self.pad()))
        for _ in range(n):
            out.append(("record", self.record()))
            if self.rng.random() < 0.1:
                out.append(("filler", self.filler()))
        return out

    def text(self, lines):
        body = "".join(t + self.eol() for _, t in lines)
        if self.rng.random() < 0.3:  # no newline at the end
            body = body.rstrip("\n").removesuffix("\r")
        return body


def _write(path, text):
    data = text.encode()
    if path.name.endswith(".gz"):
        half = len(data) // 2  # sometimes two gzip members, as gen_graph writes
        data = gzip.compress(data) if len(data) % 2 else gzip.compress(data[:half]) + gzip.compress(data[half:])
    path.write_bytes(data)
    return path


@pytest.fixture(params=[7, 64, None], ids=["block7", "block64", "block32M"])
def block_bytes(request, monkeypatch):
    """Tiny blocks put block boundaries inside lines, headers and comments."""
    if request.param is not None:
        monkeypatch.setattr(_io, "_BLOCK_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("seed", range(40))
def test_random_files_match_pandas(tmp_path, block_bytes, seed):
    rng = np.random.default_rng(seed)
    for name in EXTENSIONS:
        maker = _FileMaker(rng, name)
        lines = maker.lines(int(rng.integers(1, 40)))
        path = _write(tmp_path / name, maker.text(lines))
        directed = bool(rng.integers(2))
        weighted = [None, True, False][int(rng.integers(3))]
        assert_same_as_pandas(path, directed=directed, weighted=weighted)


@pytest.mark.parametrize("seed", range(10))
def test_random_files_with_nodes_match_pandas(tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    maker = _FileMaker(rng, "g.tsv")
    path = _write(tmp_path / "g.tsv", maker.text(maker.lines(30)))
    nodes = [int(v) for v in rng.permutation(maker.pool)]
    assert_same_as_pandas(path, nodes=nodes)  # every id listed, some isolated
    assert_same_as_pandas(path, nodes=nodes[: len(nodes) // 3])  # unknown ids: same message
    assert_same_as_pandas(path, nodes=nodes + nodes[:1])  # duplicate ids: same message


# -- files outside the grammar fall back to pandas ---------------------------------------
MUTATIONS = {
    "quoted id": lambda t: '"' + t.lstrip() if t.strip() else t,
    "comment after data": lambda t: t + " # note",
    "float id": lambda t: "1.0" + t.lstrip()[len(t.lstrip().split()[0]) :] if t.split() else t,
    "string ids": lambda t: "alice\tbob",
    "ragged": lambda t: t + "\t7",
    "id beyond int64": lambda t: "9223372036854775808\t1",
    "empty field": lambda t: "\t1",
    "lone CR": lambda t: t + "\r" + t,
    "nan weight": lambda t: "1\t2\tnan",
    "17 significant digits": lambda t: "1\t2\t1.2345678901234567",
    "tiny weight": lambda t: "1\t2\t1e-30",
    "non-ASCII": lambda t: "1\t2\té",
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
@pytest.mark.parametrize("seed", range(3))
def test_outside_the_grammar_falls_back(tmp_path, mutation, seed):
    rng = np.random.default_rng(1000 + seed)
    maker = _FileMaker(rng, "g.tsv")
    maker.weighted = mutation in ("nan weight", "17 significant digits", "tiny weight")
    lines = maker.lines(20)
    records = [i for i, (kind, _) in enumerate(lines) if kind == "record"]
    i = records[int(rng.integers(len(records)))]
    lines[i] = ("record", MUTATIONS[mutation](lines[i][1]))
    path = _write(tmp_path / "g.tsv", "".join(t + "\n" for _, t in lines))
    with pytest.raises(_Unsupported):
        _read_edgelist(path, engine="numba")
    assert_same_as_pandas(path, fast=False)


@pytest.mark.parametrize(
    "name, text",
    [
        ("g.tsv", "1\t2\n3\t4\t\n"),  # trailing separator: an empty third field
        ("g.tsv", "src\tdst\tweight\n1\t2\n"),  # header wider than the data
        ("g.tsv", "src\tdst\n1\t2\t3\n"),  # pandas makes the first column an index
        ("g.tsv", "1\t2\t3\t4\n"),  # four columns
        ("g.tsv", "1\t2\r3\t4\r"),  # old Mac line ends
        ("g.tsv", "#a\rb\n1\t2\n"),  # pandas ends a comment at a lone CR
        ("g.tsv", "1\t2\x0b\n"),  # vertical tab
        ("g.tsv", "1\t2\t1e400\n"),  # overflows to inf
        ("g.tsv", "1\t2\t0x10\n"),
    ],
)
def test_known_fallbacks(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode())
    with pytest.raises(_Unsupported):
        _read_edgelist(path, engine="numba")
    assert_same_as_pandas(path, fast=False)


@pytest.mark.parametrize("name", ["g.tsv.bz2", "g.TSV.GZ", "g.tar.gz"])
def test_other_compressions_behave_as_before(tmp_path, name):
    # Compressions pandas infers but read_table's header test does not
    # decompress: the fast reader leaves them alone, the outcome is unchanged.
    import bz2

    raw = b"1\t2\n2\t3\n"
    path = tmp_path / name
    path.write_bytes(bz2.compress(raw) if name.endswith("bz2") else gzip.compress(raw))
    assert_same_as_pandas(path, fast=False)


@pytest.mark.parametrize("comments", ["%", "!", "/"])
def test_other_comment_prefixes(tmp_path, comments):
    text = f"{comments} KONECT style\n1\t2\n{comments}x\n2\t3\n"
    path = _write(tmp_path / "g.tsv", text)
    assert_same_as_pandas(path, comments=comments)


def test_comment_prefixes_outside_the_grammar_fall_back(tmp_path):
    path = _write(tmp_path / "g.tsv", "-- note\n1\t2\n")
    for comments in ["--", "-", "e"]:
        with pytest.raises(_Unsupported):
            _read_edgelist(path, engine="numba", comments=comments)
        assert_same_as_pandas(path, fast=False, comments=comments)


def test_edge_cases_of_numbers(tmp_path):
    # Each line is something pandas reads as a number and the grammar accepts.
    text = (
        "9223372036854775807\t-9223372036854775808\t1e22\n"
        "+5\t-0\t.5\n007\t00000000000000000000000001\t5.\n"
        "1\t2\t1.50000000000000000\n1\t2\t0.000001\n1\t2\t9007199254740992\n"
        "1\t2\t-0.0\n1\t2\t1E-22\n 3 \t 4 \t 2.5 \n"
    )
    assert_same_as_pandas(_write(tmp_path / "g.tsv", text))


def test_long_preamble_spanning_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(_io, "_BLOCK_BYTES", 16)
    text = "# " + "x" * 100 + "\n" + "\n" * 20 + "# more\nsource\ttarget\n1\t2\n2\t3"
    assert_same_as_pandas(_write(tmp_path / "g.tsv.gz", text))


@pytest.mark.parametrize(
    "text, edges",
    [
        ("1\t2\n\t\n3\t4\n", [(1, 2), (3, 4)]),  # a tab-only line is blank
        ("  # indented comment\n1\t2\n", [(1, 2)]),  # a comment after blanks
        ("\t# tab-indented\n1\t2\n \t \n", [(1, 2)]),
    ],
)
def test_blank_and_indented_comment_lines_stay_on_the_fast_path(tmp_path, text, edges):
    path = tmp_path / "g.tsv"
    path.write_bytes(text.encode())
    g = assert_same_as_pandas(path)  # the fast reader reads it, as pandas does
    assert sorted(map(tuple, g.to_networkx().edges())) == edges


def test_header_only_and_comment_only_files(tmp_path):
    assert_same_as_pandas(_write(tmp_path / "h.tsv", "source\ttarget\n"), fast=False)
    assert_same_as_pandas(_write(tmp_path / "c.tsv", "# nothing\n\n"), fast=False)


# -- gzip errors -------------------------------------------------------------------------
@pytest.fixture(params=["pyarrow", "gzip"])
def gzip_reader(request, monkeypatch):
    """The fast reader decompresses with pyarrow when installed, else gzip."""
    if request.param == "pyarrow":
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(_io, "_USE_PYARROW", request.param == "pyarrow")
    return request.param


@pytest.mark.parametrize("seed", range(5))
def test_both_gzip_readers_match_pandas(tmp_path, gzip_reader, monkeypatch, seed):
    monkeypatch.setattr(_io, "_BLOCK_BYTES", 97)
    rng = np.random.default_rng(500 + seed)
    maker = _FileMaker(rng, "g.tsv.gz")
    assert_same_as_pandas(_write(tmp_path / "g.tsv.gz", maker.text(maker.lines(50))))


@pytest.mark.parametrize("engine", ["auto", "pandas"])
def test_truncated_gzip_names_the_file(tmp_path, gzip_reader, engine):
    data = gzip.compress("".join(f"{i}\t{i + 1}\n" for i in range(20000)).encode())
    path = tmp_path / "cut.tsv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(GraphFormatError, match="cut.tsv.gz.*truncated or corrupt"):
        _read_edgelist(path, engine=engine)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(GraphFormatError, match="cut.tsv.gz.*truncated or corrupt"):
        _read_edgelist(path, engine=engine)
    path.write_bytes(data[:-8] + b"\0\0\0\0" + data[-4:])  # wrong CRC
    with pytest.raises(GraphFormatError, match="cut.tsv.gz.*truncated or corrupt"):
        _read_edgelist(path, engine=engine)


def test_parser_errors_name_the_file(tmp_path):
    path = _write(tmp_path / "ragged.tsv", "1\t2\n3\t4\t5\n")
    with pytest.raises(GraphFormatError, match="ragged.tsv.*Expected 2 fields in line 2"):
        _read_edgelist(path)


# -- ids stay int64 arrays --------------------------------------------------------------------
def test_ids_never_become_python_objects(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    m = 200_000
    edges = rng.integers(10**9, 10**9 + 50_000, size=(m, 2))
    path = tmp_path / "big.tsv"
    path.write_text("".join(f"{u}\t{v}\n" for u, v in edges.tolist()))

    def forbidden(*args, **kwargs):
        raise AssertionError("the object-id path was taken")

    for name in ("_positions_by_dict", "_as_id_column"):
        monkeypatch.setattr(_build, name, forbidden)
    monkeypatch.setattr(_io, "read_table", forbidden)
    monkeypatch.setattr(_io, "_BLOCK_BYTES", 1 << 20)  # the read buffer is then small
    _read_edgelist(path, engine="numba")  # compile outside the measurement
    tracemalloc.start()
    try:
        g = _read_edgelist(path, engine="numba")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert g.nodes.dtype == np.int64 and len(g.nodes) == len(np.unique(edges))
    # Python ints for the 2m ids would take >= 2 x (28-byte int + 8-byte
    # pointer) = 72 bytes per line on top of the text (~22 bytes a line)
    # and the numpy blocks; numpy arrays alone stay well below.
    print(f"peak traced memory {peak / m:.1f} bytes per line")
    assert peak / m < 72, peak / m
