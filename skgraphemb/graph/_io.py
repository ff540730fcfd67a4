"""Edge-list and label files (tsv/csv/edg, optionally gzip-compressed)."""

from __future__ import annotations

import codecs
import gzip
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from skgraphemb.exceptions import GraphFormatError
from skgraphemb.graph._build import _from_columns, _from_id_parts
from skgraphemb.utils._validation import constraints, validate_params

#: A field that reads as a number (pandas' and the fast reader's decimal
#: forms, and the non-finite words, which the weight check then refuses).
_NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE)
_INT = re.compile(r"[+-]?[0-9]+")
#: Decompressed bytes read to find the first data lines (header detection).
_HEAD_BYTES = 1 << 20
#: Data lines after the first one that header detection looks at.
_HEAD_LINES = 100
#: Bytes the pandas reader's filter reads at a time.
_FILTER_BYTES = 1 << 22


@dataclass(frozen=True)
class _Source:
    """A regular local file to read (``path``) and the name messages use."""

    path: Path
    name: str
    spooled: bool = False  # a temporary copy of a pipe


def resolve_gz(path: str | os.PathLike) -> Path:
    """``path``, or ``path + ".gz"`` when only that one exists.

    Shared data stores big files compressed, as ``name.gz``: every reader
    of the package (and the CLI's existence checks) asks for ``name``.
    """
    path = Path(path)
    gz = Path(str(path) + ".gz")
    return gz if not path.exists() and gz.exists() else path


def _resolve(path: str | os.PathLike) -> Path:
    path = resolve_gz(path)
    if not path.exists():
        raise FileNotFoundError(f"no such edge-list file: {str(path)!r}")
    return path


@contextmanager
def _local_source(path):
    """The file at ``path`` as a :class:`_Source`.

    A pipe, FIFO or other stream (``/dev/stdin``, ``<(zcat g.edg.gz)``) can
    be read only once, while the readers look at the start of a file before
    parsing it: such a stream is copied once into a temporary file, removed
    afterwards.  A gzip stream (by its magic bytes) is decompressed.
    """
    if isinstance(path, _Source):
        yield path
        return
    path = _resolve(path)
    name = str(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise GraphFormatError(f"{name!r} cannot be read: {e.strerror}") from None
    if stat.S_ISDIR(mode):
        raise GraphFormatError(f"{name!r} is a directory, not an edge-list file")
    if stat.S_ISREG(mode):
        yield _Source(path, name)
        return
    with open(path, "rb") as stream:
        head = stream.read(2)
        suffix = "-" + path.name + (".gz" if head == b"\x1f\x8b" and not name.lower().endswith(".gz") else "")
        fd, tmp = tempfile.mkstemp(prefix="skgraphemb-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(head)
                shutil.copyfileobj(stream, out, 1 << 20)
        except BaseException:
            os.unlink(tmp)
            raise
    try:
        yield _Source(Path(tmp), name, spooled=True)
    finally:
        os.unlink(tmp)


def _compression(path: Path) -> str | None:
    low = str(path).lower()
    return next((ext for ext in _PANDAS_COMPRESSION if low.endswith(ext)), None)


@contextmanager
def _open_binary(src: _Source):
    """The decompressed bytes of ``src``."""
    kind = _compression(src.path)
    if kind is None:
        with open(src.path, "rb") as f:
            yield f
    elif kind == ".gz":
        with gzip.open(src.path, "rb") as f:
            yield f
    else:
        from pandas.io.common import get_handle

        with get_handle(src.path, "rb", compression="infer", is_text=False) as handles:
            yield handles.handle


def _separator(path: Path) -> str:
    base = path.name
    kind = _compression(path)
    if kind is not None:
        base = base[: -len(kind)]
    base = base.lower()
    if base.endswith(".csv"):
        return ","
    if base.endswith(".tsv"):
        return "\t"
    return r"\s+"  # .edg, .txt, .el ...: any whitespace (PecanPy's .edg format)


def _filler_pattern(comments: str | None):
    """Lines that are blank (spaces and tabs) or comments: a comment is a
    line whose first non-blank characters are ``comments``."""
    body = rf"(?:{re.escape(comments)}.*)?" if comments else ""
    return re.compile(rf"^[ \t]*{body}$", re.MULTILINE)


def _split_fields(line: str, sep: str) -> list[str]:
    if sep == r"\s+":
        return [f for f in re.split(r"[ \t]+", line) if f]
    return [f.strip(" \t") for f in line.split(sep)]


def _complete_lines(text: str) -> tuple[str, str]:
    """``text`` cut after its last line end, and the rest (a CR at the very
    end waits: it may be the CR of a CR LF split between two reads)."""
    cut = max(text.rfind("\n"), text.rfind("\r"))
    if cut >= 0 and cut == len(text) - 1 and text[cut] == "\r":
        cut = max(text.rfind("\n", 0, cut), text.rfind("\r", 0, cut))
    return text[: cut + 1], text[cut + 1 :]


def _head(src: _Source, comments: str | None) -> list[str]:
    """The first data lines of ``src`` (at most ``_HEAD_LINES + 1``), decoded."""
    filler = _filler_pattern(comments)
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    lines: list[str] = []
    tail = ""
    seen = 0  # bytes read since a data line was found
    with _readable(src.name), _open_binary(src) as f:
        while True:
            chunk = f.read(1 << 16)
            text = tail + decoder.decode(chunk, final=not chunk)
            if chunk:
                text, tail = _complete_lines(text)
            lines.extend(p for p in re.split(r"\r\n|\r|\n", text) if not filler.fullmatch(p))
            if not chunk:
                break
            if lines:
                seen += len(chunk)
                if len(lines) > _HEAD_LINES or seen > _HEAD_BYTES:
                    break
    return lines[: _HEAD_LINES + 1]


def _detect_header(lines: list[str], sep: str) -> bool:
    """The header rule of :func:`read_edgelist` (see its Notes)."""
    first = _split_fields(lines[0], sep)
    if not first or any(_NUMBER.fullmatch(f.strip('"')) for f in first):
        return False
    below = [_split_fields(line, sep) for line in lines[1:]]
    if not below:
        return False
    return any(all(c < len(f) and _NUMBER.fullmatch(f[c].strip('"')) for f in below) for c in range(len(first)))


@contextmanager
def _readable(name: str):
    """Turn a broken compressed stream, an undecodable byte or a pandas
    tokenizer error into a :class:`GraphFormatError` that names the file."""
    import lzma
    import zlib

    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError) as e:
        raise GraphFormatError(
            f"{name!r} is not a complete compressed file ({e}); it may be truncated or corrupt"
        ) from e
    except UnicodeDecodeError as e:
        raise GraphFormatError(f"{name!r} is not UTF-8 text ({e.reason} at byte {e.start}); convert it to UTF-8") from e
    except OSError as e:
        msg = str(e).lower()
        if e.errno is None and ("compress" in msg or "invalid data stream" in msg or "zip" in msg):
            raise GraphFormatError(
                f"{name!r} is not a complete compressed file ({e}); it may be truncated or corrupt"
            ) from e
        raise
    except ValueError as e:
        if type(e).__module__.startswith("pandas") and type(e).__name__ in ("ParserError", "EmptyDataError"):
            raise GraphFormatError(f"{name!r} could not be read as a table: {e}") from e
        raise


def _layout(src: _Source, comments: str | None, header: bool | None, sep: str | None = None) -> tuple[str, str, bool]:
    """Separator (``sep``, or the one of the file's extension), first data
    line and whether that line is a header."""
    sep = _separator(src.path) if sep is None else sep
    lines = _head(src, comments)
    if not lines:
        raise GraphFormatError(f"{src.name!r} holds no data lines")
    if header is None:
        header = _detect_header(lines, sep)
    if header and len(lines) == 1:
        raise GraphFormatError(f"{src.name!r} holds a header line but no data lines")
    return sep, lines[0], bool(header)


class _FilteredText:
    """The text of a file as pandas should read it, read once, in blocks.

    Decoded as UTF-8; line ends (CR LF, lone CR) made LF; comment lines,
    blank lines and the header line made empty (pandas skips them, and its
    messages keep the file's line numbers).  A NUL byte or invalid UTF-8 on
    a data line is an error naming the file and line.
    """

    def __init__(self, f, comments: str | None, name: str, skip_header: bool) -> None:
        self._f = f
        self._name = name
        self._filler = _filler_pattern(comments)
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._skip = skip_header
        self._tail = ""
        self._out = ""
        self._eof = False
        self._line = 0  # lines passed on so far

    def __iter__(self):  # pandas checks for it; it reads through read()
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def readline(self) -> str:
        while "\n" not in self._out and not self._eof:
            self._more()
        k = self._out.find("\n")
        k = len(self._out) if k < 0 else k + 1
        line, self._out = self._out[:k], self._out[k:]
        return line

    def read(self, size: int = -1) -> str:
        while not self._eof and (size is None or size < 0 or len(self._out) < size):
            self._more()
        if size is None or size < 0:
            size = len(self._out)
        out, self._out = self._out[:size], self._out[size:]
        return out

    def _more(self) -> None:
        chunk = self._f.read(_FILTER_BYTES)
        text = self._tail + self._decoder.decode(chunk, final=not chunk)
        if chunk:
            text, self._tail = _complete_lines(text)
        else:
            self._eof = True
            self._tail = ""
            if text and not text.endswith(("\n", "\r")):
                text += "\n"
        text = re.sub(r"\r\n?", "\n", text)
        text = self._filler.sub("", text)
        bad = re.search("[\x00\udc80-\udcff]", text)  # the header line too: it is not a comment
        if bad:
            line = self._line + text.count("\n", 0, bad.start()) + 1
            what = (
                "a NUL byte (a binary file?)"
                if bad.group() == "\x00"
                else (f"byte 0x{ord(bad.group()) - 0xDC00:02x}, which is not UTF-8 text (convert the file to UTF-8)")
            )
            raise GraphFormatError(f"{self._name!r} line {line} holds {what}")
        if self._skip:
            m = re.search(r"(?m)^.+$", text)
            if m:
                text = text[: m.start()] + text[m.end() :]
                self._skip = False
        self._line += text.count("\n")
        self._out += text


def _read_frame(src: _Source, sep: str, header: bool, comments: str | None, dtype=None):
    """The data lines of ``src`` as a DataFrame with columns 0, 1, ..."""
    import pandas as pd

    with _readable(src.name), _open_binary(src) as f:
        df = pd.read_csv(
            _FilteredText(f, comments, src.name, header),
            sep=sep,
            header=None,
            dtype=dtype,
            engine="c",
            skip_blank_lines=True,
            keep_default_na=False,
        )
    df.columns = range(df.shape[1])
    return df


def read_table(
    path: str | os.PathLike,
    *,
    comments: str | None = "#",
    dtype=None,
    header: bool | None = None,
    sep: str | None = None,
):
    """Read a whitespace/tab/comma separated table into a pandas DataFrame.

    Lines, comments and the header follow the rules of
    :func:`read_edgelist` (see its Notes): a comment is a line whose first
    non-blank characters are ``comments``; a header line is detected only
    when unambiguous, or given by ``header``.  Columns are numbered from 0.
    With ``dtype=None`` a column whose every field is an integer becomes
    int64 (so ``007`` and ``7`` are the same value), a numeric one float64,
    any other column keeps its fields as the strings written;
    ``dtype=str`` keeps every field a string (ids with leading zeros, such
    as WN18RR's).  The separator follows the file's extension (see
    :func:`read_edgelist`) unless ``sep`` (``"\\t"``, ``","`` or
    ``r"\\s+"``) is given.
    """
    with _local_source(path) as src:
        sep, _, header = _layout(src, comments, header, sep)
        df = _read_frame(src, sep, header, comments, dtype=dtype)
    for c in df.columns:
        if df[c].dtype.kind not in "iufb":
            df[c] = df[c].astype(object)  # plain Python str ids, not pandas' StringDtype
    return df


# -- the parallel reader ---------------------------------------------------------
#: Bytes of (decompressed) text parsed per block: tens of MB bound the text in
#: memory at once, whatever the file's size.
_BLOCK_BYTES = 1 << 25
_MODES = {"\t": 0, ",": 1, r"\s+": 2}  # _parse.MODE_TAB, MODE_COMMA, MODE_SPACE
#: pandas decompresses files with these endings (lower-cased), tar first.
_PANDAS_COMPRESSION = (".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".gz", ".bz2", ".zip", ".xz", ".zst")
#: Bytes the parser gives a meaning to: none of them may be the comment prefix.
_GRAMMAR_BYTES = set(b'0123456789+-.eE \t\r\n,"')


class _Unsupported(Exception):
    """The file is outside the parallel reader's grammar: use pandas."""


#: Decompress ``.gz`` with pyarrow where it is installed: C++ zlib straight
#: into the reader's buffer, no Python-level chunks (about 25% less time than
#: the gzip module, and none of its per-chunk allocations).
_USE_PYARROW = True


class _ArrowGzip:
    """pyarrow's gzip stream, with decompression errors as ``EOFError``."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa

        self._stream = pa.CompressedInputStream(pa.OSFile(str(path)), "gzip")

    def readinto(self, view) -> int:
        try:
            return self._stream.readinto(view)
        except OSError as e:  # truncated, not gzip, bad CRC ("inflate failed")
            raise EOFError(str(e)) from e

    def __enter__(self) -> _ArrowGzip:
        return self

    def __exit__(self, *exc) -> None:
        self._stream.close()


def _opener(path: Path):
    low = str(path).lower()
    kind = next((ext for ext in _PANDAS_COMPRESSION if low.endswith(ext)), None)
    if kind is None:
        return lambda: open(path, "rb")
    if kind == ".gz":
        if _USE_PYARROW:
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                pass
            else:
                return lambda: _ArrowGzip(path)
        return lambda: gzip.open(path, "rb")
    raise _Unsupported(f"compression {kind!r} is left to pandas")


def _comment_byte(comments: str) -> int:
    if len(comments) != 1 or ord(comments) >= 128 or ord(comments) in _GRAMMAR_BYTES:
        raise _Unsupported(f"comment prefix {comments!r} is left to pandas")
    return ord(comments)


def _first_fields(buf, stop, mode, comment, first, header):
    """Where records start and how many fields each has, from the first line.

    That line (header or data) must be the one :func:`_head` found, in
    plain printable ASCII, so pandas and this reader agree on it.  Returns
    None when ``buf[:stop]`` holds only comments and blank lines.
    """
    from skgraphemb.graph._parse_kernels import OK, first_record

    start, end, status = first_record(buf, stop, mode, comment)
    if status != OK:
        raise _Unsupported("a comment line holds a lone carriage return")
    if start < 0:
        return None  # only comments and blank lines so far
    line = buf[start:end].tobytes()
    printable = all(32 <= b < 127 or b == 9 for b in line)
    if not printable or b'"' in line or (comment >= 0 and bytes([comment]) in line):
        raise _Unsupported("the first line has quotes, comments or non-ASCII bytes")
    if line.decode("ascii") != first.rstrip("\r\n"):
        raise _Unsupported("the first line differs from the one the header test read")
    ncols = len(line.split()) if mode == 2 else line.count(b"\t" if mode == 0 else b",") + 1
    if ncols not in (2, 3):
        raise _Unsupported(f"{ncols} column(s)")
    if not header:
        return 0, ncols
    if end < stop and buf[end] == 13:
        end += 1
    return min(end + 1, stop), ncols


def _fill(f, buf: NDArray, start: int, size: int) -> int:
    """Read up to ``size`` bytes into ``buf[start:]``; fewer only at the end."""
    view = memoryview(buf)[start : start + size]
    got = 0
    while got < size:
        k = f.readinto(view[got:])
        if not k:
            break
        got += k
    return got


def _read_columns_fast(src: _Source, sep: str, first: str, header: bool, comments: str, keep_weights: bool):
    """Parse the file block by block: ``(ncols, blocks)``, as
    :func:`~skgraphemb.graph._parse_kernels.parse_block` returns them.

    Two text buffers are reused: a background thread reads (and for ``.gz``
    decompresses) the next block into one while the other is parsed.  (A
    fresh 32 MB buffer per block would be page-faulted in again each time:
    on a virtual machine that cost more system time than the parse.)

    Raises
    ------
    _Unsupported
        As soon as the text leaves the grammar of :mod:`skgraphemb.graph._parse_kernels`.
    """
    from skgraphemb.graph._parse_kernels import OK, REASONS, after_last_newline, parse_block

    mode = _MODES[sep]
    comment = _comment_byte(comments) if comments else -1
    opener = _opener(src.path)
    blocks = []
    ncols = 0
    buffers = [np.empty(_BLOCK_BYTES + 1, dtype=np.uint8) for _ in range(2)]
    with _readable(src.name), opener() as f, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(_fill, f, buffers[0], 0, _BLOCK_BYTES)
        carry = 0  # bytes of an unfinished line at the start of the current buffer
        while True:
            buf = buffers[0]
            total = carry + pending.result()
            at_eof = total - carry < _BLOCK_BYTES
            if at_eof and total and buf[total - 1] != 10:
                buf[total] = 10  # pandas ends the last line at the end of the file
                total += 1
            stop = after_last_newline(buf, total)
            start = 0
            if stop and not ncols:
                layout = _first_fields(buf, stop, mode, comment, first, header)
                if layout is None:
                    stop = 0  # only comments so far: keep them, look further
                else:
                    start, ncols = layout
            # The unfinished line moves to the other buffer, which the
            # background thread then fills while this one is parsed.
            nxt = buffers[1]
            if len(nxt) < total - stop + _BLOCK_BYTES + 1:
                nxt = buffers[1] = np.empty(total - stop + _BLOCK_BYTES + 1, dtype=np.uint8)
            nxt[: total - stop] = buf[stop:total]
            if not at_eof:
                pending = pool.submit(_fill, f, nxt, total - stop, _BLOCK_BYTES)
            if stop > start:
                block, status, _ = parse_block(buf, start, stop, mode, comment, ncols)
                if status != OK:
                    raise _Unsupported(REASONS[status])
                if block.shape[1]:
                    if ncols == 3 and not keep_weights:
                        block.resize((2, block.shape[1]), refcheck=False)  # drop the weights
                    blocks.append(block)
                del block
            if at_eof:
                break
            carry = total - stop
            buffers.reverse()
    if not blocks:
        raise _Unsupported("no records")
    return ncols, blocks


@validate_params(
    constraints(
        "path",
        "directed",
        "comments",
        "header",
        weighted=["boolean", None],
        nodes="no_validation",  # checked by the graph builder
        features="no_validation",
    ),
    prefer_skip_nested_validation=True,
)
def read_edgelist(
    path: str | os.PathLike,
    *,
    directed: bool = False,
    weighted: bool | None = None,
    nodes: Sequence[Hashable] | None = None,
    features: NDArray | None = None,
    comments: str | None = "#",
    header: bool | None = None,
):
    """Read an edge-list file into a :class:`~skgraphemb.Graph`.

    Parameters
    ----------
    path : str or path-like
        ``.tsv`` (tab), ``.csv`` (comma), or ``.edg``/``.txt``/other
        (whitespace) file, optionally compressed (``.gz``, also ``.bz2``,
        ``.xz``, ``.zip``, ``.zst``).  Lines are ``source target [weight]``.
        If ``path`` does not exist but ``path + ".gz"`` does, that file is
        read.  A pipe (``/dev/stdin``, ``<(cat g.edg)``) is read once, into
        a temporary file; a gzip stream is recognised by its first bytes.
    directed : bool, default=False
        Whether each line is an arc ``source -> target``.
    weighted : bool, default=None
        Read the third column as weights; ``None`` does so when there is one.
    nodes : sequence of hashable, default=None
        Explicit node ids and order (e.g. to include isolated nodes).
    features : array-like, default=None
        Node features, one row per node.
    comments : str or None, default="#"
        Prefix of comment lines (see Notes); ``None``: no comments.
    header : bool, default=None
        Whether the first data line names the columns.  ``None`` detects it
        by the rule in Notes.

    Returns
    -------
    Graph
        Integer ids are read as ints, others as strings (see Notes).

    Raises
    ------
    GraphFormatError
        For files with no data lines, fewer than two columns, empty ids,
        non-numeric or bad weights, lines that cannot be tokenised, text
        that is not UTF-8, binary files, directories, and truncated or
        corrupt compressed files; the message names the file.

    Notes
    -----
    The rules of edge-list files (also :func:`read_table`,
    :func:`read_labels` and :func:`~skgraphemb.as_graph` on a path):

    - **Lines** end with LF, CR LF or CR.  Fields are separated by a tab
      (``.tsv``), a comma (``.csv``) or any run of spaces and tabs (other
      names); spaces around a field are not part of it.
    - **Comments and blank lines.**  A line whose first non-blank
      characters are ``comments`` is a comment; a line of only spaces and
      tabs is blank; both are skipped.  Anywhere else ``#`` is an ordinary
      character: ``c#sharp d`` is an edge between ``c#sharp`` and ``d``,
      and ``1 2 # note`` is a line of five fields.
    - **Header.**  The first data line is a header when *every* field on
      it is non-numeric and, on the (up to 100) data lines after it, some
      column holds only numbers: ``source target weight`` above
      ``1 2 0.5``, or ``node label`` above ``7 A``.  Otherwise it is data:
      ``u v`` above ``a b`` is an edge of string ids.  Pass
      ``header=True``/``False`` to decide.
    - **Ids.**  When every id (both columns) is an integer (optional sign,
      digits), ids are int64 (uint64 for non-negative ids beyond int64),
      and ``007`` and ``7`` are the same node.  Otherwise every id is the
      string written, so ``007`` and ``7`` are two nodes.  An empty id is
      an error.
    - **Weights** are decimal numbers (``1``, ``-2.5e3``, ``.5``); NaN,
      infinite and negative weights are errors.

    Files of integer ids (the usual ``src<TAB>dst[<TAB>weight]``) are read by
    a parallel parser (numba kernels on ``numba.get_num_threads()`` threads) in blocks
    of 32 MB of text, streaming ``.gz`` files; ids stay int64 arrays
    throughout.  Any file outside its strict grammar (string ids, quotes,
    ragged lines...) is read by pandas instead, with the same result; see
    :ref:`graphs` for the grammar.

    Reading an ``m``-line file of integer ids into an ``n``-node graph peaks
    at about ``16 m + 24 n`` bytes (unweighted), ``66 m + 24 n`` (weighted,
    undirected: the summed arcs, their transpose and the merged result are
    held at once; it was ``40 m`` when reciprocal arcs were summed) or
    ``28 m + 24 n`` (weighted, directed), plus 64 MB of text buffers while
    parsing and the interpreter (measured with ``tracemalloc`` on 400k
    lines).

    Examples
    --------
    >>> import os, tempfile
    >>> from skgraphemb import read_edgelist
    >>> path = os.path.join(tempfile.mkdtemp(), "edges.tsv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("# a triangle and a tail\\n1\\t2\\n2\\t3\\n3\\t1\\n3\\t4\\n")
    >>> graph = read_edgelist(path)
    >>> graph.n_nodes, graph.n_edges
    (4, 4)
    """
    return _read_edgelist(
        path,
        directed=directed,
        weighted=weighted,
        nodes=nodes,
        features=features,
        comments=comments,
        header=header,
    )


def _read_edgelist(
    path, *, directed=False, weighted=None, nodes=None, features=None, comments="#", header=None, engine="auto"
):
    """:func:`read_edgelist` with a choice of reader.

    ``engine="auto"`` tries the parallel reader and falls back to pandas;
    ``"pandas"`` reads with pandas only (the reference rules);
    ``"numba"`` raises :class:`_Unsupported` instead of falling back (tests
    use it to know the fast path was taken).
    """
    if engine not in ("auto", "pandas", "numba"):
        raise ValueError(f"engine must be 'auto', 'pandas' or 'numba'; got {engine!r}")
    with _local_source(path) as src:
        return _read_source(src, directed, weighted, nodes, features, comments, header, engine)


def _read_source(src, directed, weighted, nodes, features, comments, header, engine):

    sep, first, header = _layout(src, comments, header)
    fast = None
    if engine != "pandas":
        try:
            fast = _read_columns_fast(src, sep, first, header, comments, weighted is not False)
        except _Unsupported:
            if engine == "numba":
                raise
    if fast is None:  # outside the except block, so the partial blocks are freed
        src_ids, dst_ids, w = _read_columns_pandas(src, sep, header, comments, weighted)
        return _from_columns(src_ids, dst_ids, w, directed, nodes, features)
    ncols, blocks = fast
    del fast
    w = None
    if ncols >= 3 and weighted is not False:
        w = _weights(blocks)
    elif weighted:
        raise GraphFormatError(f"weighted=True but {src.name!r} has no weight column")
    src_parts, dst_parts = [b[0] for b in blocks], [b[1] for b in blocks]
    del blocks  # each block is freed once both its columns are mapped
    return _from_id_parts(src_parts, dst_parts, w, directed, nodes, features)


def _read_columns_pandas(src: _Source, sep: str, header: bool, comments, weighted):
    """Ids and weights of ``src`` by the rules of :func:`read_edgelist`, read with pandas."""
    df = _read_frame(src, sep, header, comments, dtype=str)
    name = src.name
    ncols = df.shape[1]
    if ncols < 2:
        raise GraphFormatError(f"{name!r} has {ncols} column(s); an edge list needs 'source target [weight]'")
    strip = None if sep == r"\s+" else " " if sep == "\t" else " \t"  # whitespace fields have none
    cols = []
    for c in (0, 1):
        col = df[c].astype(object)
        if strip is not None:
            col = col.str.strip(strip)
        empty = (col == "").to_numpy()
        if empty.any():
            raise GraphFormatError(
                f"{name!r} has {int(empty.sum())} empty node id(s) (the first in data row "
                f"{int(np.flatnonzero(empty)[0]) + 1}, column {c + 1}): every line needs a "
                "source and a target"
            )
        cols.append(col)
    m = len(df)
    both = np.concatenate([cols[0].to_numpy(object), cols[1].to_numpy(object)])
    first = cols[0].iloc[0] if m else ""
    if (
        _INT.fullmatch(first)
        and cols[0].str.fullmatch(_INT.pattern).all()
        and cols[1].str.fullmatch(_INT.pattern).all()
    ):
        try:
            both = both.astype(np.int64)
        except OverflowError:
            try:
                both = both.astype(np.uint64)
            except OverflowError:
                raise GraphFormatError(
                    f"{name!r} holds integer ids beyond 64 bits (ids must fit int64, or all be "
                    "non-negative and fit uint64)"
                ) from None
    w = None
    if ncols >= 3 and weighted is not False:
        col = df[2].astype(object)
        if strip is not None:
            col = col.str.strip(strip)
        ok = col.str.fullmatch(_NUMBER.pattern, flags=re.IGNORECASE).to_numpy(dtype=bool)
        if not ok.all():
            k = int(np.flatnonzero(~ok)[0])
            bad = col.iloc[k]
            hint = (
                " ('#' starts a comment only at the start of a line)"
                if "#" in df.iloc[k].tolist() or "#" in str(bad)
                else ""
            )
            raise GraphFormatError(
                f"the third column of {name!r} is not numeric weights: {bad!r} in data row "
                f"{k + 1}{hint}; pass weighted=False to ignore it"
            )
        w = col.to_numpy(object).astype(np.float64)
    elif weighted:
        raise GraphFormatError(f"weighted=True but {name!r} has no weight column")
    return both[:m], both[m:], w


def _weights(blocks: list) -> NDArray:
    """The weights (row 2 of each block) as one float64 array; each block
    is shrunk to its two id rows once its weights are copied."""
    out = np.empty(sum(b.shape[1] for b in blocks), dtype=np.float64)
    at = 0
    for b in blocks:
        k = b.shape[1]
        out[at : at + k] = b[2].view(np.float64)
        b.resize((2, k), refcheck=False)
        at += k
    return out


@validate_params(constraints("path", "comments", "header"), prefer_skip_nested_validation=True)
def read_labels(path: str | os.PathLike, *, comments: str | None = "#", header: bool | None = None):
    """Read a ``node<TAB>label`` file (one line per pair; multi-label allowed).

    Lines, comments and the header follow :func:`read_edgelist`'s rules; a
    column of integers is read as int64 (see :func:`read_table`).

    Returns
    -------
    nodes : ndarray
        Distinct labelled node ids, in first-seen order.
    labels : ndarray or list of tuple
        One label per node when every node has exactly one, else a list of
        label tuples per node (for ``MultiLabelBinarizer``).

    Examples
    --------
    >>> import os, tempfile
    >>> from skgraphemb import read_labels
    >>> path = os.path.join(tempfile.mkdtemp(), "labels.tsv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("1\\ta\\n2\\ta\\n3\\tb\\n")
    >>> nodes, labels = read_labels(path)
    >>> nodes.tolist(), labels.tolist()
    ([1, 2, 3], ['a', 'a', 'b'])
    """
    df = read_table(path, comments=comments, header=header)
    if df.shape[1] < 2:
        raise GraphFormatError(f"{str(path)!r} must have 'node label' columns")
    per_node = df.groupby(0, sort=False)[1].agg(tuple)
    nodes = per_node.index.to_numpy()
    if (per_node.map(len) == 1).all():
        return nodes, np.asarray([t[0] for t in per_node])
    return nodes, [tuple(t) for t in per_node]
