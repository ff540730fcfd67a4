"""Embeddings in local files: the writer behind ``skgraphemb embed -o``, a file
store with the same reading interface as the Redis one, and a file sink.

No server needed: :class:`FileExporter` publishes a ``.npz`` file (replaced
atomically, so a reader never sees half a file) and
:class:`FileEmbeddingStore` serves any file :func:`write_embedding` writes,
by node id, with the interface of
:class:`~skgraphemb.RedisEmbeddingStore`.  Nothing is ever unpickled:
``.npz``/``.npy`` are read with ``allow_pickle=False`` and metadata is JSON.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from skgraphemb.export._base import (
    EXPORTER_ATTRIBUTES,
    FORMAT,
    BaseEmbeddingStore,
    BaseExporter,
    empty_result,
    ids_array,
    loads_metadata,
)
from skgraphemb.utils._docstrings import fill_doc
from skgraphemb.utils._filelock import atomic_write

__all__ = ["OUTPUT_FORMATS", "FileEmbeddingStore", "FileExporter", "read_embedding", "write_embedding"]

logger = logging.getLogger(__name__)

#: Output file suffixes understood by :func:`write_embedding`.
OUTPUT_FORMATS = {
    ".npz": "embedding matrix and node ids (numpy)",
    ".npy": "embedding matrix (numpy) + node ids in OUT.nodes.txt",
    ".parquet": "DataFrame indexed by node id (needs pyarrow)",
    ".kv": "gensim KeyedVectors.save",
    ".txt": "word2vec text format ('n d' header, then 'id v1 ... vd')",
    ".emb": "word2vec text format, as node2vec and PecanPy write it",
}


#: Formats :func:`read_embedding` reads (all of OUTPUT_FORMATS but the pickled .kv).
_READABLE = (".npz", ".npy", ".parquet", ".txt", ".emb")


def _save_npz(path: Path, Z: np.ndarray, nodes: np.ndarray, metadata: dict | None) -> None:
    """``.npz`` with arrays ``embedding``, ``nodes`` and, when given, ``metadata`` (JSON).

    Written atomically (:func:`~skgraphemb.utils._filelock.atomic_write`).
    """
    if nodes.dtype == object:  # string ids: a plain unicode array loads without pickle
        nodes = nodes.astype(str)
    arrays = {"embedding": Z, "nodes": nodes}
    if metadata is not None:
        arrays["metadata"] = np.array(json.dumps(metadata))  # 0-d unicode array
    with atomic_write(path) as fh:
        np.savez(fh, **arrays)


# Characters that end a line for str.splitlines, which reads .nodes.txt back.
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def check_text_ids(nodes, path: str | Path) -> None:
    """Refuse node ids that the text format of ``path`` cannot hold.

    The word2vec text formats (``.txt``, ``.emb``) separate the id from the
    values with a space and rows with newlines: an id that is empty or holds
    whitespace would not read back as itself.  A ``.npy`` file keeps its ids
    one per line in ``<stem>.nodes.txt``: an id with a line break would not
    either.  Integer ids always fit.  Called by :func:`write_embedding`, and
    by the CLI before it fits anything.

    Raises
    ------
    ValueError
        Naming the first such id and suggesting ``.npz`` or ``.parquet``,
        which keep any id.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".txt", ".emb", ".npy"):
        return
    nodes = np.asarray(nodes)
    if nodes.dtype.kind in "iub":
        return
    word2vec = suffix != ".npy"
    for v in nodes.tolist():
        text = str(v)
        bad = (not text or any(c.isspace() for c in text)) if word2vec else any(c in _LINE_BREAKS for c in text)
        if bad:
            what = ("is empty" if not text else "holds whitespace") if word2vec else "holds a line break"
            layout = (
                "the word2vec text format separates ids from values with spaces"
                if word2vec
                else "the node ids of a .npy file are written one per line"
            )
            raise ValueError(
                f"cannot write node id {text!r} to {Path(path).name}: it {what}, and {layout}, so "
                "it would not read back as the same id. Write .npz or .parquet instead, which "
                "keep any id"
            )


def _write_word2vec_text(fh, Z: np.ndarray, nodes: np.ndarray) -> None:
    """gensim's ``save_word2vec_format(binary=False)``: ``n d`` header, then ``id v1 ... vd``."""
    fh.write(f"{Z.shape[0]} {Z.shape[1]}\n")
    for key, row in zip(nodes.tolist(), Z.astype(np.float32, copy=False)):
        fh.write(f"{key} {' '.join(str(val) for val in row)}\n")


def write_embedding(embedder, path: str | Path) -> list[Path]:
    """Write a fitted embedder's vectors to ``path``, format from its suffix.

    Parameters
    ----------
    embedder : fitted embedder
        Has ``embedding_`` and ``nodes_``.
    path : str or path-like
        ``.npz`` (arrays ``embedding`` and ``nodes``, and ``metadata``: the
        embedder's class and parameters as JSON), ``.npy`` (the matrix, with
        node ids one per line in ``<stem>.nodes.txt``), ``.parquet``
        (DataFrame indexed by node id), ``.kv`` (gensim
        ``KeyedVectors.save``), ``.txt``/``.emb`` (word2vec text format).
        Rows are in ``embedder.nodes_`` order.  Each file is written to a
        temporary file beside it and renamed over it.

    Raises
    ------
    ValueError
        For an unknown suffix, or ids that the text formats cannot hold
        (``.txt``/``.emb``: empty ids or ids with whitespace; ``.npy``:
        ids with a line break); ``.npz`` and ``.parquet`` keep any id.

    Returns
    -------
    list of Path
        The files written.

    See Also
    --------
    read_embedding : Read such a file back.
    FileEmbeddingStore : Serve such a file by node id.
    """
    from skgraphemb.export._base import estimator_metadata

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(f"unknown output format {suffix!r}; use one of {', '.join(OUTPUT_FORMATS)}")
    Z, nodes = embedder.embedding_, np.asarray(embedder.nodes_)
    if nodes.dtype == object:
        nodes = nodes.astype(str)
    check_text_ids(nodes, path)
    # Every file goes through atomic_write: a fresh temporary file beside the
    # target, renamed over it (a symlink planted at the target is replaced,
    # never written through).
    if suffix == ".npz":
        meta = {
            "format": FORMAT,
            "dimension": int(Z.shape[1]),
            "dtype": str(Z.dtype),
            "count": int(Z.shape[0]),
            **estimator_metadata(embedder),
        }
        _save_npz(path, Z, nodes, meta)
    elif suffix == ".npy":
        ids = path.with_suffix(".nodes.txt")
        with atomic_write(path) as fh:
            np.save(fh, Z)
        with atomic_write(ids, "w") as fh:
            fh.write("".join(f"{v}\n" for v in nodes.tolist()))
        return [path, ids]
    elif suffix == ".parquet":
        frame = embedder.get_embedding(as_frame=True)
        with atomic_write(path) as fh:
            frame.to_parquet(fh, engine="pyarrow")
    elif suffix == ".kv":
        kv = embedder.to_keyed_vectors()
        with atomic_write(path) as fh:
            kv.save(fh)  # one pickle, no side files (gensim saves to a handle so)
    else:  # .txt, .emb
        with atomic_write(path, "w") as fh:
            _write_word2vec_text(fh, np.asarray(Z), nodes)
    return [path]


def read_embedding(path: str | Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """Read a file written by :func:`write_embedding` (or ``skgraphemb embed -o``).

    Parameters
    ----------
    path : str or path-like
        ``.npz``, ``.npy`` (ids from ``<stem>.nodes.txt`` beside it),
        ``.parquet``, ``.txt`` or ``.emb``.  ``.kv`` files are pickles
        (gensim ``KeyedVectors.save``) and are refused: nothing is unpickled
        here.

    Returns
    -------
    embedding : ndarray of shape (n, d)
    nodes : ndarray of shape (n,)
        Node ids in row order (integers where the format keeps them; the
        text formats and ``.npy`` ids are strings).
    metadata : dict
        The ``.npz`` metadata record (class and parameters of the embedder),
        empty for other formats.

    Examples
    --------
    >>> import os, tempfile
    >>> import skgraphemb as sge
    >>> from skgraphemb.cli import write_embedding
    >>> emb = sge.SVDEmbedder(n_components=2, random_state=0).fit(sge.load_karate().graph)
    >>> path = os.path.join(tempfile.mkdtemp(), "karate.npz")
    >>> _ = write_embedding(emb, path)
    >>> vectors, ids, metadata = sge.read_embedding(path)
    >>> vectors.shape, ids[:3].tolist(), metadata["estimator"]
    ((34, 2), [0, 1, 2], 'skgraphemb.svd.SVDEmbedder')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".kv":
        raise ValueError(
            f"{path.name}: .kv files are pickles (gensim KeyedVectors.save) and are not "
            "read here; load it with gensim if you trust it, or write .npz instead"
        )
    if suffix not in _READABLE:
        raise ValueError(f"unknown embedding file format {suffix!r}; use one of {', '.join(_READABLE)}")
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    meta: dict = {}
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as data:
            missing = {"embedding", "nodes"} - set(data.files)
            if missing:
                raise ValueError(
                    f"{path} holds arrays {sorted(data.files)}, not 'embedding' and 'nodes': not written by skgraphemb"
                )
            Z, nodes = data["embedding"], data["nodes"]
            if "metadata" in data.files:
                meta = loads_metadata(str(data["metadata"]), f"in {path}")
    elif suffix == ".npy":
        Z = np.load(path, allow_pickle=False)
        id_file = path.with_suffix(".nodes.txt")
        if not id_file.exists():
            raise FileNotFoundError(2, "No such file (node ids of the .npy rows)", str(id_file))
        nodes = np.asarray(id_file.read_text().splitlines(), dtype=str)
    elif suffix == ".parquet":
        from skgraphemb._optional import import_optional

        import_optional("pyarrow", f"reading {path.name}")
        import pandas as pd

        frame = pd.read_parquet(path, engine="pyarrow")
        Z, nodes = frame.to_numpy(), frame.index.to_numpy()
    else:  # .txt, .emb
        from gensim.models import KeyedVectors

        kv = KeyedVectors.load_word2vec_format(str(path), binary=False)
        Z, nodes = kv.vectors, np.asarray(kv.index_to_key, dtype=str)
    Z = np.asarray(Z)
    if Z.ndim != 2 or Z.dtype.kind != "f" or len(nodes) != len(Z):
        raise ValueError(f"{path} does not hold an (n, d) float matrix with one node id per row")
    if nodes.dtype == object:
        nodes = ids_array(nodes.tolist())
    return Z, nodes, meta


class FileEmbeddingStore(BaseEmbeddingStore):
    """Serve embeddings from a local file by node id: the store without a server.

    Same interface as :class:`~skgraphemb.RedisEmbeddingStore` (``get``,
    ``get_many``, ``ids``, ``dimension``, ``dtype``, ``metadata``), so
    serving code can switch between the two.  The file is read once, into
    memory; :meth:`refresh` reads it again if it changed.

    Parameters
    ----------
    path : str or path-like
        A file written by :class:`FileExporter`, :func:`write_embedding` or
        ``skgraphemb embed -o``: ``.npz``, ``.npy`` (+ ``.nodes.txt``),
        ``.parquet``, ``.txt`` or ``.emb``.
    missing : {"none", "raise"}, default="none"
        Unknown nodes: ``get`` returns ``None`` and ``get_many`` a NaN row,
        or (``"raise"``) a ``KeyError`` names them.

    See Also
    --------
    RedisEmbeddingStore : The same interface over Redis.
    FileExporter : The pipeline sink writing such a file.

    Examples
    --------
    >>> import tempfile, networkx as nx
    >>> from skgraphemb import FileEmbeddingStore, FileExporter, SVDEmbedder
    >>> emb = SVDEmbedder(n_components=4, random_state=0).fit(nx.karate_club_graph())
    >>> path = tempfile.mkdtemp() + "/karate.npz"
    >>> _ = FileExporter(path).write(emb)
    >>> store = FileEmbeddingStore(path)
    >>> store.dimension, store.dtype, len(store)
    (4, dtype('float32'), 34)
    >>> bool((store.get(33) == emb.transform([33])[0]).all())
    True
    >>> store.get_many([0, 1]).shape
    (2, 4)
    >>> store.get("no such node") is None
    True
    """

    def __init__(self, path: str | Path, *, missing: str = "none") -> None:
        super().__init__(missing)
        self.path = Path(path)
        self._load()

    def _load(self) -> None:
        Z, nodes, meta = read_embedding(self.path)
        self._stamp = self._file_stamp()
        self._Z = Z
        self._nodes = nodes
        self._index = {str(v): i for i, v in enumerate(nodes.tolist())}
        self._meta = {
            "format": meta.get("format", FORMAT),
            "dimension": int(Z.shape[1]),
            "dtype": str(Z.dtype),
            "count": int(Z.shape[0]),
            **{k: v for k, v in meta.items() if k not in ("dimension", "dtype", "count")},
        }

    def _file_stamp(self) -> tuple:
        st = os.stat(self.path)
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def refresh(self) -> bool:
        """Read the file again if it changed since it was read; whether it did."""
        if self._file_stamp() == self._stamp:
            return False
        self._load()
        return True

    def _lookup(self, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        V, found = empty_result(len(names), self.dimension, self.dtype)
        rows = np.fromiter((self._index.get(n, -1) for n in names), dtype=np.intp, count=len(names))
        found[:] = rows >= 0
        V[found] = self._Z[rows[found]]
        return V, found

    @property
    def dimension(self) -> int:
        return int(self._Z.shape[1])

    @property
    def dtype(self) -> np.dtype:
        return self._Z.dtype

    @property
    def ids(self) -> np.ndarray:
        return self._nodes.copy()

    @property
    def metadata(self) -> dict:
        return dict(self._meta)

    def __len__(self) -> int:
        return int(self._Z.shape[0])

    def __repr__(self) -> str:
        return f"FileEmbeddingStore({str(self.path)!r})"


@fill_doc(exporter_attributes=EXPORTER_ATTRIBUTES)
class FileExporter(BaseExporter):
    """Pipeline sink that publishes embeddings to a local ``.npz`` file.

    The no-server counterpart of :class:`~skgraphemb.RedisExporter`:
    ``fit(X)`` writes X's vectors, node ids and a metadata record (dimension,
    dtype, count, the embedder's class and parameters, creation time; JSON)
    to ``path``, and ``transform(X)`` returns X unchanged.  The file is
    written to a fresh temporary file (unpredictable name, created
    exclusively) beside its destination and renamed over it, so readers see
    the previous file or the new one, never a partial one, and a symlink
    planted at the destination is replaced, never written through.
    :class:`FileEmbeddingStore` serves it.

    Parameters
    ----------
    path : str or path-like
        Destination ``.npz`` file; missing folders are created.
    dtype : {"float32", "float16", "float64"}, default="float32"
        dtype of the stored vectors.
    metadata : dict, default=None
        Extra JSON-serialisable information recorded under ``"metadata"``.

    Attributes
    ----------
    path_ : Path
        The file written.
    metadata_ : dict
        The metadata record written.
    {exporter_attributes}

    See Also
    --------
    RedisExporter : The same sink, publishing to Redis.
    FileEmbeddingStore : Serves the file by node id.

    Examples
    --------
    >>> import tempfile, networkx as nx
    >>> from sklearn.pipeline import make_pipeline
    >>> from skgraphemb import FileEmbeddingStore, FileExporter, SVDEmbedder
    >>> path = tempfile.mkdtemp() + "/karate.npz"
    >>> pipe = make_pipeline(SVDEmbedder(n_components=8, random_state=0),
    ...                      FileExporter(path)).set_output(transform="pandas")
    >>> Z = pipe.fit_transform(nx.karate_club_graph())   # embeds, publishes, passes Z on
    >>> Z.shape, FileEmbeddingStore(path).get_many(Z.index[:3]).shape
    ((34, 8), (3, 8))
    """

    _parameter_constraints: dict = {
        **BaseExporter._parameter_constraints,
        "path": [str, os.PathLike],
    }

    def __init__(self, path="embeddings.npz", *, dtype="float32", metadata=None):
        self.path = path
        self.dtype = dtype
        self.metadata = metadata

    def _publish(self, vectors: np.ndarray, ids: list, names: list[str], source: dict) -> dict:
        path = Path(self.path)
        if path.suffix.lower() != ".npz":
            raise ValueError(
                f"FileExporter writes .npz files (vectors, ids and metadata in one file); got {str(path)!r}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = self._metadata(vectors, source, mode="file")
        # A fresh temporary file beside the target (mkstemp), renamed over it.
        _save_npz(path, vectors.astype(vectors.dtype.newbyteorder("=")), ids_array(ids), meta)
        logger.info("wrote %d vectors of dimension %d to %s", len(ids), vectors.shape[1], path)
        return {"path_": path, "metadata_": meta}
