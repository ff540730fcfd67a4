"""Node ids: the one parser of "an embedding with ids", id previews, read-only views.

:func:`split_embedding` reads every form an embedding is given in across the
package (evaluation, alignment, link prediction, exporters); the callers
differ only in the name their messages use.  This module imports no
estimator module and, at import time, not :mod:`skgraphemb.graph` either:
the graph layer imports :func:`format_ids` from here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import scipy.sparse
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from skgraphemb.exceptions import UnknownNodeError

__all__ = [
    "NodeIndex",
    "UnfittedEmbedderError",
    "embedding_rows",
    "format_ids",
    "py_scalar",
    "readonly",
    "split_embedding",
]

#: How many offending ids an error message lists before "...".
MAX_IDS_IN_MESSAGE = 5


def format_ids(ids: Iterable[Any], total: int | None = None) -> str:
    """Preview of ``ids`` for an error message: the first few, then ``... (N in all)``.

    ``total`` is the number of offending ids when ``ids`` holds only the
    first of them; numpy scalars read as Python values (``3``, not
    ``np.int64(3)``).
    """
    ids = list(ids)
    total = len(ids) if total is None else total
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in ids[:MAX_IDS_IN_MESSAGE])
    return f"{shown}, ... ({total} in all)" if total > MAX_IDS_IN_MESSAGE else shown


def readonly(a: NDArray) -> NDArray:
    """A non-writeable view of ``a`` (``a`` itself when it is already read-only); never a copy."""
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


class UnfittedEmbedderError(NotFittedError, TypeError):
    """An estimator with no embedding yet was given where an embedding is expected.

    A :class:`~sklearn.exceptions.NotFittedError` (so a ``ValueError``) and a
    ``TypeError`` (the wrong kind of input), whichever the caller catches.
    """


def _is_frame(obj: Any) -> bool:
    return hasattr(obj, "columns") and hasattr(obj, "index") and hasattr(obj, "to_numpy")


def id_array(ids: Any) -> NDArray:
    """Node ids as a 1-d array that keeps their Python types.

    A pandas Index gives its values; a list of ints gives int64, of strings a
    string array, and any mix an object array (``np.asarray([1, "x"])`` would
    turn ``1`` into ``"1"``).
    """
    if hasattr(ids, "to_numpy"):
        ids = ids.to_numpy()
    if isinstance(ids, np.ndarray):
        return ids
    values = list(ids)
    if values and all(isinstance(v, str) for v in values):
        return np.asarray(values)
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values):
        try:
            return arr.astype(np.int64)
        except OverflowError:
            pass
    return arr


def _duplicates(ids: NDArray) -> list:
    """The ids that occur more than once, each once, in order of first repeat."""
    n = len(ids)
    if ids.dtype.kind in "iu" and (n == 0 or (ids[0] == 0 and np.array_equal(ids, np.arange(n)))):
        return []
    if ids.dtype.kind in "iufUS":
        _, counts = np.unique(ids, return_counts=True)
        if counts.max(initial=0) < 2:
            return []
    seen: set = set()
    dup: dict = {}
    for v in ids.tolist():
        if v in seen:
            dup[v] = None
        seen.add(v)
    return list(dup)


def split_embedding(obj: Any, *, name: str = "the embedding", ids: Any = None, unique: bool = True):
    """``obj`` as ``(2-d data, node ids or None)``: the one parser of an embedding.

    Accepted forms, in the order they are recognised:

    - an embedding store (``ids`` and ``get_many``, e.g.
      :class:`~skgraphemb.export.FileEmbeddingStore`): every vector it holds;
    - a fitted embedder (``embedding_`` and ``nodes_``);
    - a pandas DataFrame indexed by node id, returned as is so that
      ``validate_data`` records its column names;
    - a 2-d array-like (ndarray, list, tuple, anything with ``__array__``),
      returned as is, with no ids unless ``ids`` gives them.

    Parameters
    ----------
    obj : any of the above
    name : str
        What the messages call ``obj`` (``"X"``, ``"reference"``...).
    ids : sequence, default=None
        Node ids of the rows, one per row; they take precedence over ids
        ``obj`` carries (the ``(vectors, ids)`` form).
    unique : bool, default=True
        Refuse duplicate ids.  Callers that compare ids in another form
        (exporters: by string) or never look them up pass ``False``.

    Returns
    -------
    data : DataFrame, ndarray or array-like
    ids : ndarray of shape (n,) or None

    Raises
    ------
    UnfittedEmbedderError
        ``obj`` is an estimator that has no embedding yet.
    TypeError
        A sparse matrix, a string or an unsupported type; ``ids`` a string.
    ValueError
        ``ids`` does not have one id per row, or holds duplicates.
    """
    if ids is not None and isinstance(ids, (str, bytes)):
        raise TypeError(f"the node ids of {name} must be a sequence, one per row, not a string")
    data: Any
    own_ids: Any = None
    if hasattr(obj, "get_many") and hasattr(obj, "ids"):  # an embedding store
        own_ids = obj.ids
        data = obj.get_many(own_ids)
    elif hasattr(obj, "embedding_") and hasattr(obj, "nodes_"):  # a fitted embedder
        data, own_ids = np.asarray(obj.embedding_), obj.nodes_
    elif hasattr(obj, "embedding_"):
        raise UnfittedEmbedderError(f"{name} has an embedding_ but no nodes_: fit it first")
    elif isinstance(obj, BaseEstimator) or hasattr(obj, "fit"):
        cls = type(obj).__name__
        raise UnfittedEmbedderError(
            f"{cls} is not fitted: {name} is an unfitted {cls}; fit it first, or pass its embedding "
            "(get_embedding(as_frame=True))"
        )
    elif scipy.sparse.issparse(obj):
        raise TypeError(
            f"{name} is a sparse matrix: sparse input is not supported; embeddings are dense, "
            "pass a dense array or a DataFrame indexed by node id"
        )
    elif isinstance(obj, (str, bytes)):
        raise TypeError(f"{name} must be an embedding, not a string")
    elif _is_frame(obj):
        data, own_ids = obj, obj.index
    elif isinstance(obj, (np.ndarray, list, tuple)) or hasattr(obj, "__array__"):
        data = obj
    else:
        raise TypeError(
            f"{name} must be a DataFrame indexed by node id, a fitted embedder or a 2-d array; got {type(obj).__name__}"
        )
    if ids is None:
        ids = own_ids
    if ids is None:
        return data, None
    ids = id_array(ids)
    try:
        n_rows = len(data)
    except TypeError:  # a 0-d array
        n_rows = 0
    if len(ids) != n_rows:
        raise ValueError(f"got {len(ids)} node ids for {n_rows} rows of {name}; give one id per row")
    if unique and (dup := _duplicates(ids)):
        raise ValueError(f"{name} has duplicate node ids: {format_ids(dup)}")
    return data, ids


def embedding_rows(obj: Any, *, name: str = "the embedding", dtype: Any = None) -> tuple[NDArray, NodeIndex | None]:
    """``obj`` as ``(2-d numeric matrix, NodeIndex of its ids or None)``.

    :func:`split_embedding`, then the data as an array of ``dtype`` (its own
    numeric dtype by default) and the ids as a
    :class:`~skgraphemb.graph.NodeIndex`.

    Raises
    ------
    ValueError
        The data is not a 2-d numeric matrix.
    """
    data, ids = split_embedding(obj, name=name)
    X = data.to_numpy() if _is_frame(data) else np.asarray(data)
    if X.dtype.kind == "O":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        shape = f"a {X.ndim}-d array, not a 2-d matrix" if X.ndim != 2 else "an array"
        raise ValueError(
            f"{name} must be a 2-d numeric matrix, one row per node; got {shape} of shape {X.shape} and dtype {X.dtype}"
        )
    if dtype is not None:
        X = X.astype(dtype, copy=False)
    return X, None if ids is None else NodeIndex(ids)


def py_scalar(value: Any) -> Any:
    """numpy scalar -> Python scalar, so messages read ``3`` not ``np.int64(3)``."""
    return value.item() if isinstance(value, np.generic) else value


class NodeIndex:
    """Maps original node ids to their positions (rows of an embedding).

    Integer ids equal to ``0..n-1`` need no table: positions are the ids
    themselves, after a bounds check.  Other integer ids are looked up by
    binary search in a sorted copy (16 bytes per node, vectorised: no Python
    object per id, which matters at millions of nodes).  Any other ids go
    through a dict built once.

    Parameters
    ----------
    nodes : ndarray of shape (n_nodes,)
        Node ids in position order.
    """

    def __init__(self, nodes: NDArray) -> None:
        self.nodes = nodes
        n = len(nodes)
        self._map: dict | None = None
        self._sorted: NDArray | None = None  # sorted integer ids ...
        self._order: NDArray | None = None  # ... and their positions
        if nodes.dtype.kind in "iu":
            if not (n == 0 or (nodes[0] == 0 and np.array_equal(nodes, np.arange(n)))):
                self._order = np.argsort(nodes, kind="stable")
                self._sorted = nodes[self._order]
        else:
            self._map = {py_scalar(v): i for i, v in enumerate(nodes.tolist())}

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, node: Hashable) -> bool:
        if self._map is not None:
            try:
                return node in self._map
            except TypeError:  # unhashable
                return False
        return self._lookup(node) >= 0

    def positions(self, ids: Iterable[Hashable] | NDArray) -> NDArray[np.intp]:
        """Positions of ``ids`` (a 1-d sequence or an ``(n, 1)`` column).

        Raises
        ------
        UnknownNodeError
            If some ids are not nodes; the message names them (capped).
        """
        if isinstance(ids, (str, bytes)):
            ids = [ids]
        if hasattr(ids, "to_numpy"):
            ids = ids.to_numpy()
        values = None
        if isinstance(ids, (list, tuple)):
            # One-element rows ([[1], [3]]) are an (n, 1) column.  Any other
            # tuple is an id: networkx grid graphs use (row, col) ids, which
            # np.asarray would turn into a 2-d array.
            values = [v[0] if isinstance(v, (list, tuple, np.ndarray)) and len(v) == 1 else v for v in ids]
            if any(isinstance(v, (list, np.ndarray)) for v in values):
                values = None  # rows of several columns: rejected below
        if values is not None:
            # Keep Python types: np.asarray([1, "x"]) would turn 1 into "1".
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
                try:
                    arr = arr.astype(np.int64)
                except OverflowError:  # an int beyond int64: no such node, looked up one by one
                    pass
        else:
            arr = np.asarray(ids)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"node ids must be a 1-d sequence or a single column; got shape {arr.shape}")
        n = len(self)
        if self._map is None and self._sorted is None and arr.dtype.kind in "iu":
            pos = arr.astype(np.intp, copy=False)
            bad = (pos < 0) | (pos >= n)
        elif self._sorted is not None and arr.dtype.kind in "iu":
            pos, bad = self._search(arr)
        else:
            pos = np.empty(len(arr), dtype=np.intp)
            bad = np.zeros(len(arr), dtype=bool)
            for k, v in enumerate(arr.tolist()):
                p = self._lookup(v)
                pos[k] = p
                bad[k] = p < 0
        if bad.any():
            missing = list(dict.fromkeys(py_scalar(v) for v in arr[bad].tolist()))
            raise UnknownNodeError(
                f"{len(missing)} node id(s) not in the graph: {format_ids(missing)}. "
                "Only nodes of the fitted graph can be looked up.",
                missing,
            )
        return pos

    def _search(self, arr: NDArray) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
        """Positions of integer ids by binary search in the sorted ids; and which are missing."""
        sorted_ids = self._sorted
        if arr.dtype.kind == "u" and sorted_ids.dtype.kind == "i":
            big = arr > np.iinfo(np.int64).max  # cannot be an int64 id
            arr = np.where(big, 0, arr).astype(np.int64)
        elif arr.dtype.kind == "i" and sorted_ids.dtype == np.uint64:
            big = arr < 0  # cannot be a uint64 id
            arr = np.where(big, 0, arr).astype(np.uint64)
        else:
            big = None
        at = np.searchsorted(sorted_ids, arr)
        at = np.minimum(at, len(sorted_ids) - 1)
        bad = sorted_ids[at] != arr
        if big is not None:
            bad |= big
        return self._order[at].astype(np.intp, copy=False), bad

    def _lookup(self, v: Any) -> int:
        if self._map is not None:
            try:
                return self._map.get(v, -1)
            except TypeError:  # unhashable id
                return -1
        # Integer ids: accept ints and whole floats.
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            return -1
        if self._sorted is None:
            return int(v) if 0 <= v < len(self) else -1
        unsigned = self._sorted.dtype == np.uint64  # hashed 64-bit ids beyond int64
        if not ((0 if unsigned else -(2**63)) <= v < (2**64 if unsigned else 2**63)) or len(self) == 0:
            return -1
        pos, bad = self._search(np.array([v], dtype=np.uint64 if unsigned else np.int64))
        return -1 if bad[0] else int(pos[0])
