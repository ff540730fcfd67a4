"""Edge-list and label files (tsv/csv/edg, optionally gzip-compressed)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from skgraphemb.exceptions import GraphFormatError

_HEADER_WORDS = {
    "source", "target", "src", "dst", "from", "to", "u", "v", "head", "tail",
    "weight", "node", "node1", "node2", "label", "id", "relation",
}


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def _separator(path: Path) -> str:
    base = path.name[:-3] if path.name.endswith(".gz") else path.name
    if base.endswith(".csv"):
        return ","
    if base.endswith(".tsv"):
        return "\t"
    return r"\s+"  # .edg, .txt, .el ...: any whitespace (PecanPy's .edg format)


def _first_line(path: Path, comments: str) -> str | None:
    with _open_text(path) as f:
        for line in f:
            if line.strip() and not line.startswith(comments):
                return line
    return None


def _resolve(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists() and Path(str(path) + ".gz").exists():
        path = Path(str(path) + ".gz")  # shared data stores big files as name.gz
    if not path.exists():
        raise FileNotFoundError(f"no such edge-list file: {str(path)!r}")
    return path


@contextmanager
def _readable(path: Path):
    """Turn a broken gzip stream or a pandas tokenizer error into a
    :class:`GraphFormatError` that names the file."""
    import zlib

    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise GraphFormatError(
            f"{str(path)!r} is not a complete gzip file ({e}); it may be truncated or corrupt"
        ) from e
    except ValueError as e:
        if type(e).__module__.startswith("pandas") and type(e).__name__ in ("ParserError", "EmptyDataError"):
            raise GraphFormatError(f"{str(path)!r} could not be read as a table: {e}") from e
        raise


def _layout(path: Path, comments: str) -> tuple[str, str, bool]:
    """Separator, first data line and whether that line is a header."""
    sep = _separator(path)
    with _readable(path):
        first = _first_line(path, comments)
    if first is None:
        raise GraphFormatError(f"{str(path)!r} holds no data lines")
    split = first.split(",") if sep == "," else first.split()
    return sep, first, bool({s.strip().lower() for s in split} & _HEADER_WORDS)


def read_table(path: str | os.PathLike, *, comments: str = "#", usecols=None, dtype=None):
    """Read a whitespace/tab/comma separated table into a pandas DataFrame.

    Columns are numbered from 0; a first line made of column names such as
    ``source``/``target``/``weight`` is detected and skipped.  With
    ``dtype=None`` integer columns become int64, numeric ones float64 and
    others strings; ``dtype=str`` keeps every field a string (ids with
    leading zeros, such as WN18RR's).
    """
    import pandas as pd

    path = _resolve(path)
    sep, _, header = _layout(path, comments)
    with _readable(path):
        df = pd.read_csv(
            path,
            sep=sep,
            header=0 if header else None,
            comment=comments[0] if comments else None,
            dtype=dtype,
            usecols=usecols,
            engine="c",
            skip_blank_lines=True,
            keep_default_na=False,
        )
    df.columns = range(df.shape[1])
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
_GRAMMAR_BYTES = set(b"0123456789+-.eE \t\r\n,\"")


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
    if kind == ".gz" and path.suffix == ".gz":  # _first_line's test, case-sensitive
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

    That line (header or data) must be the one :func:`_first_line` found, in
    plain printable ASCII, so pandas and this reader agree on it.  Returns
    None when ``buf[:stop]`` holds only comments and blank lines.
    """
    from skgraphemb._kernels._parse import OK, first_record

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


def _read_columns_fast(path: Path, sep: str, first: str, header: bool, comments: str, keep_weights: bool):
    """Parse the file block by block: ``(ncols, blocks)``, as
    :func:`~skgraphemb._kernels._parse.parse_block` returns them.

    Two text buffers are reused: a background thread reads (and for ``.gz``
    decompresses) the next block into one while the other is parsed.  (A
    fresh 32 MB buffer per block would be page-faulted in again each time:
    on a virtual machine that cost more system time than the parse.)

    Raises
    ------
    _Unsupported
        As soon as the text leaves the grammar of :mod:`skgraphemb._kernels._parse`.
    """
    from skgraphemb._kernels._parse import OK, REASONS, after_last_newline, parse_block

    mode = _MODES[sep]
    comment = _comment_byte(comments) if comments else -1
    opener = _opener(path)
    blocks = []
    ncols = 0
    buffers = [np.empty(_BLOCK_BYTES + 1, dtype=np.uint8) for _ in range(2)]
    with _readable(path), opener() as f, ThreadPoolExecutor(1) as pool:
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


def read_edgelist(
    path: str | os.PathLike,
    *,
    directed: bool = False,
    weighted: bool | None = None,
    nodes: Sequence[Hashable] | None = None,
    features: NDArray | None = None,
    comments: str = "#",
):
    """Read an edge-list file into a :class:`~skgraphemb.Graph`.

    Parameters
    ----------
    path : str or path-like
        ``.tsv`` (tab), ``.csv`` (comma), or ``.edg``/``.txt``/other
        (whitespace) file, optionally gzip-compressed (``.gz``).  Lines are
        ``source target [weight]``; lines starting with ``comments`` are
        skipped, as is a header line naming the columns.  If ``path`` does
        not exist but ``path + ".gz"`` does, that file is read.
    directed : bool, default=False
        Whether each line is an arc ``source -> target``.
    weighted : bool, default=None
        Read the third column as weights; ``None`` does so when there is one.
    nodes : sequence of hashable, default=None
        Explicit node ids and order (e.g. to include isolated nodes).
    features : array-like, default=None
        Node features, one row per node.
    comments : str, default="#"
        Comment prefix.

    Returns
    -------
    Graph
        Integer ids are read as ints, others as strings.

    Raises
    ------
    GraphFormatError
        For files with no data lines, fewer than two columns, non-numeric or
        bad weights, lines that cannot be tokenised, and truncated or corrupt
        ``.gz`` files; the message names the file.

    Notes
    -----
    Files of integer ids (the usual ``src<TAB>dst[<TAB>weight]``) are read by
    a parallel parser (numba, ``numba.get_num_threads()`` threads) in blocks
    of 32 MB of text, streaming ``.gz`` files; ids stay int64 arrays
    throughout.  Any file outside its strict grammar (string ids, quotes,
    ``#`` after data on a line, ragged lines...) is read by pandas instead,
    with the same result; see :ref:`graphs` for the grammar.

    Reading an ``m``-line file of integer ids into an ``n``-node graph peaks
    at about ``16 m + 24 n`` bytes (unweighted), ``40 m + 24 n`` (weighted,
    undirected) or ``28 m + 24 n`` (weighted, directed), plus 64 MB of text
    buffers while parsing and the interpreter: 100M unweighted lines of a
    10M-node graph peaked at 1.96 GB.
    """
    from skgraphemb.utils._threads import parallel_launch

    with parallel_launch():  # the reader's kernels are parallel
        return _read_edgelist(
            path, directed=directed, weighted=weighted, nodes=nodes, features=features, comments=comments
        )


def _read_edgelist(path, *, directed=False, weighted=None, nodes=None, features=None,
                   comments="#", engine="auto"):
    """:func:`read_edgelist` with a choice of reader.

    ``engine="auto"`` tries the parallel reader and falls back to pandas;
    ``"pandas"`` reads with pandas only (today's reference rules);
    ``"numba"`` raises :class:`_Unsupported` instead of falling back (tests
    use it to know the fast path was taken).
    """
    from skgraphemb.graph._adapters import _from_columns, _from_id_parts

    if engine not in ("auto", "pandas", "numba"):
        raise ValueError(f"engine must be 'auto', 'pandas' or 'numba'; got {engine!r}")
    path = _resolve(path)
    sep, first, header = _layout(path, comments)
    fast = None
    if engine != "pandas":
        try:
            fast = _read_columns_fast(path, sep, first, header, comments, weighted is not False)
        except _Unsupported:
            if engine == "numba":
                raise
    df = None
    if fast is None:  # outside the except block, so the partial blocks are freed
        df = read_table(path, comments=comments)
        ncols = df.shape[1]
    else:
        ncols, blocks = fast
        del fast
    if ncols < 2:
        raise GraphFormatError(
            f"{str(path)!r} has {ncols} column(s); an edge list needs 'source target [weight]'"
        )
    w = None
    if ncols >= 3 and weighted is not False:
        if df is None:
            w = _weights(blocks)
        else:
            try:
                w = df[2].astype(np.float64).to_numpy()
            except ValueError as e:
                raise GraphFormatError(f"the third column of {str(path)!r} is not numeric weights") from e
    elif weighted:
        raise GraphFormatError(f"weighted=True but {str(path)!r} has no weight column")
    if df is None:
        src_parts, dst_parts = [b[0] for b in blocks], [b[1] for b in blocks]
        del blocks  # each block is freed once both its columns are mapped
        return _from_id_parts(src_parts, dst_parts, w, directed, nodes, features)
    return _from_columns(df[0].to_numpy(), df[1].to_numpy(), w, directed, nodes, features)


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


def read_labels(path: str | os.PathLike, *, comments: str = "#"):
    """Read a ``node<TAB>label`` file (one line per pair; multi-label allowed).

    Returns
    -------
    nodes : ndarray
        Distinct labelled node ids, in first-seen order.
    labels : ndarray or list of tuple
        One label per node when every node has exactly one, else a list of
        label tuples per node (for ``MultiLabelBinarizer``).
    """
    df = read_table(path, comments=comments)
    if df.shape[1] < 2:
        raise GraphFormatError(f"{str(path)!r} must have 'node label' columns")
    per_node = df.groupby(0, sort=False)[1].agg(tuple)
    nodes = per_node.index.to_numpy()
    if (per_node.map(len) == 1).all():
        return nodes, np.asarray([t[0] for t in per_node])
    return nodes, [tuple(t) for t in per_node]
