"""Saved graphs: one file per graph, opened again in seconds, memory-mapped.

A graph of 100M edges takes minutes to parse from an edge list; saved with
:meth:`Graph.save <skgraphemb.Graph.save>` it opens with
:func:`load_graph` by mapping its arrays straight from the file.

File layout (format version 1), little-endian::

    8 bytes   magic  b"SKGGRAPH"
    4 bytes   format version (uint32)
    4 bytes   header length H (uint32)
    4 bytes   CRC-32 of the header (uint32)
    H bytes   header: UTF-8 JSON (sizes, flags, fingerprint, and for each
              array its dtype, shape, offset, byte count and CRC-32)
    ...       the arrays, each starting at a multiple of 64 bytes

Integer node ids are stored as an int64 array (mapped like the CSR
arrays); string ids as their UTF-8 bytes plus int64 offsets, decoded into
Python strings when the file is opened.  A file is written to a new
temporary file in the target folder and renamed over the target at the end,
so a writer killed midway never leaves a partial file under the name.

A graph opened with ``mmap=True`` pickles as a reference to its file (path
and fingerprint), a few hundred bytes: estimators holding it travel to
joblib, Dask or Ray workers without copying the graph, and each worker
process maps the file once.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import weakref
import zlib
from pathlib import Path

import numpy as np

from skgraphemb.exceptions import GraphFormatError
from skgraphemb.utils._filelock import atomic_write

__all__ = ["read_graph_file", "save_graph"]

MAGIC = b"SKGGRAPH"
FORMAT_VERSION = 1
_PREAMBLE = struct.Struct("<8sIII")  # magic, version, header length, header CRC
_ALIGN = 64
_CRC_BLOCK = 1 << 26  # bytes checksummed per zlib call (zlib releases the GIL)

# (real path, fingerprint) -> Graph, so that a worker unpickling many
# estimators that refer to one saved graph maps the file once.
_OPENED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_OPENED_LOCK = threading.Lock()
# The graphs last opened or found for unpickled references (keep_open), held
# so that they stay in _OPENED between a worker's tasks: a grid search's
# tasks run one after another on a worker thread, and once a task's
# estimators are dropped nothing else refers to its graph, which would be
# mapped (and its node ids decoded) again for the next task.
_KEEP_OPEN = 2
_RECENT: list = []
OPEN_LOCK = threading.Lock()  # one thread of a process opens a shared file
#: How many times this process opened a saved graph (tests count it).
open_count = 0


def _crc32(a: np.ndarray) -> int:
    view = memoryview(np.ascontiguousarray(a)).cast("B")
    crc = 0
    for start in range(0, len(view), _CRC_BLOCK):
        crc = zlib.crc32(view[start : start + _CRC_BLOCK], crc)
    return crc


def _arrays_of(graph) -> dict[str, np.ndarray]:
    """The named arrays a graph is saved as."""
    arrays = {"indptr": graph.indptr, "indices": graph.indices}
    if graph.weights is not None:
        arrays["weights"] = graph.weights
    if graph.features is not None:
        arrays["features"] = graph.features
    nodes = graph.nodes
    if nodes.dtype.kind in "iu":
        arrays["nodes"] = nodes
    else:
        values = nodes.tolist()
        if not all(isinstance(v, str) for v in values):
            kinds = sorted({type(v).__name__ for v in values})
            raise TypeError(
                f"Graph.save stores integer or string node ids; this graph has ids of type(s) "
                f"{kinds}. Relabel the nodes (e.g. networkx.relabel_nodes with str) or keep the "
                "graph in memory (joblib.dump works for any ids)."
            )
        encoded = [v.encode("utf-8", "surrogatepass") for v in values]
        lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        arrays["node_offsets"] = offsets
        arrays["node_bytes"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return arrays


def save_graph(graph, path: str | os.PathLike) -> Path:
    """Write ``graph`` to ``path`` (see :meth:`skgraphemb.Graph.save`)."""
    path = Path(path)
    arrays = _arrays_of(graph)
    meta = {
        "format": "skgraphemb.graph",
        "version": FORMAT_VERSION,
        "n_nodes": int(graph.n_nodes),
        "nnz": int(graph.nnz),
        "directed": bool(graph.directed),
        "ids": "int64" if "nodes" in arrays else "str",
        "fingerprint": graph.fingerprint(),
        "arrays": {},
    }
    # Offsets depend on the header's length, which depends on the offsets'
    # digits: lay out with a generous header size, fixed below.
    header_room = 4096 + 256 * len(arrays)
    offset = _round_up(_PREAMBLE.size + header_room)
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        arrays[name] = a
        meta["arrays"][name] = {
            "dtype": a.dtype.newbyteorder("<").str if a.dtype.byteorder == "=" else a.dtype.str,
            "shape": list(a.shape),
            "offset": offset,
            "nbytes": int(a.nbytes),
            "crc32": _crc32(a),
        }
        offset = _round_up(offset + a.nbytes)
    meta["file_size"] = offset
    header = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    if len(header) > header_room:  # pragma: no cover - 4 kB holds any header we write
        raise RuntimeError("graph file header too large")

    # A fresh, unpredictable name in the target folder (O_EXCL, mode 0600),
    # renamed over the target: nothing planted there can redirect the write.
    with atomic_write(path, durable=True) as f:
        f.write(_PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(header), zlib.crc32(header)))
        f.write(header)
        for name, a in arrays.items():
            f.seek(meta["arrays"][name]["offset"])
            f.write(memoryview(a).cast("B"))
        f.truncate(meta["file_size"])
    return path


def is_graph_file(path) -> bool:
    """Whether ``path`` is a regular file that starts like a saved graph.

    Pipes and other streams are never opened here: reading their first
    bytes would take them from the edge-list reader.
    """
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _round_up(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _read_header(path: Path) -> dict:
    name = str(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            preamble = f.read(_PREAMBLE.size)
            if len(preamble) < _PREAMBLE.size:
                raise GraphFormatError(f"{name!r} is not a skgraphemb graph file (too short)")
            magic, version, length, crc = _PREAMBLE.unpack(preamble)
            if magic != MAGIC:
                raise GraphFormatError(
                    f"{name!r} is not a skgraphemb graph file (written by Graph.save); "
                    "to read an edge list use skgraphemb.as_graph or read_edgelist"
                )
            if version != FORMAT_VERSION:
                newer = "a newer" if version > FORMAT_VERSION else "an older"
                raise GraphFormatError(
                    f"{name!r} is a graph file of format version {version}, written by {newer} "
                    f"skgraphemb; this version reads format {FORMAT_VERSION}. Open it with the "
                    "skgraphemb that wrote it and save it again, or rebuild it from the edge list."
                )
            header = f.read(length)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such graph file: {name!r}") from None
    except IsADirectoryError:
        raise GraphFormatError(f"{name!r} is a directory, not a graph file") from None
    if len(header) < length or zlib.crc32(header) != crc:
        raise GraphFormatError(f"graph file {name!r} is corrupted (its header fails its checksum)")
    meta = json.loads(header)
    if size < meta["file_size"]:
        raise GraphFormatError(
            f"graph file {name!r} is truncated: {size:,} bytes of {meta['file_size']:,}. Save the graph again."
        )
    return meta


def read_graph_file(path: Path, *, mmap: bool, verify: bool) -> tuple[dict, np.ndarray, dict]:
    """The arrays, node ids and header of a graph file (see ``load_graph``).

    With ``verify``, every array is checked against its CRC-32 and the CSR
    arrays against what a kernel could crash on (:func:`_check_bounds`).
    """
    path = Path(path)
    meta = _read_header(path)
    if meta.get("format") != "skgraphemb.graph":
        raise GraphFormatError(f"{str(path)!r} is not a skgraphemb graph file")
    arrays = {}
    try:
        for name, spec in meta["arrays"].items():
            dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
            if spec["nbytes"] == 0:
                a = np.empty(shape, dtype=dtype)
            elif mmap and name != "node_bytes":
                a = np.memmap(path, dtype=dtype, mode="r", offset=spec["offset"], shape=shape)
            else:
                a = np.fromfile(path, dtype=dtype, count=int(np.prod(shape)), offset=spec["offset"])
                a = a.reshape(shape)
            if verify and _crc32(a) != spec["crc32"]:
                raise GraphFormatError(
                    f"graph file {str(path)!r} is corrupted: its {name!r} array fails its checksum. "
                    "Save the graph again."
                )
            arrays[name] = a
    except (ValueError, KeyError, TypeError) as e:
        raise GraphFormatError(f"graph file {str(path)!r} is corrupted ({e})") from e
    if "nodes" in arrays:
        nodes = arrays["nodes"]
    else:
        data = arrays["node_bytes"].tobytes()
        offsets = arrays["node_offsets"].tolist()
        nodes = np.empty(len(offsets) - 1, dtype=object)
        nodes[:] = [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(offsets[:-1], offsets[1:])]
    if verify:
        try:
            _check_bounds(arrays["indptr"], arrays["indices"], arrays.get("weights"), len(nodes))
        except ValueError as e:
            raise GraphFormatError(f"graph file {str(path)!r} holds an inconsistent graph: {e}") from e
    return arrays, nodes, meta


def remember_open(key: tuple[str, str], graph) -> None:
    """Record a graph mapped from a file, for references to it unpickled in this process."""
    global open_count
    if key is not None:
        with _OPENED_LOCK:
            _OPENED.setdefault(key, graph)
    open_count += 1


def keep_open(graph) -> None:
    """Hold ``graph`` among the :data:`_KEEP_OPEN` most recently used graphs
    of unpickled references, dropping the oldest."""
    with _OPENED_LOCK:
        _RECENT[:] = ([g for g in _RECENT if g is not graph] + [graph])[-_KEEP_OPEN:]


def find_open(key: tuple[str, str]):
    """The graph this process has open for ``key`` (path, fingerprint), or None."""
    with _OPENED_LOCK:
        return _OPENED.get(key)


def _check_bounds(indptr, indices, weights, n_nodes: int) -> None:
    """Row pointers, column range and weights of stored arrays (O(n + m), vectorised)."""
    if len(indptr) != n_nodes + 1 or (len(indptr) and (indptr[0] != 0 or indptr[-1] != len(indices))):
        raise ValueError("the row pointers do not match the number of nodes and stored edges")
    if n_nodes and np.any(np.diff(indptr) < 0):
        raise ValueError("the row pointers decrease")
    if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= n_nodes):
        raise ValueError(f"a neighbour index lies outside 0..{n_nodes - 1}")
    if weights is not None and len(weights) and not (np.all(np.isfinite(weights)) and float(weights.min()) > 0):
        raise ValueError("an edge weight is not finite and positive")
