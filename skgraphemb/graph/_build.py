"""Shared graph builders: id columns and edge arrays to a validated :class:`Graph`.

Every input path ends here: :func:`~skgraphemb.as_graph`'s adapters (arrays,
frames, networkx, matrices) and the edge-list readers hand over id columns
or CSR pieces; these functions rank the ids, merge parallel and reciprocal
arcs by the documented rule, check weights and features, and build the CSR.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from skgraphemb.exceptions import GraphFormatError, UnknownNodeError
from skgraphemb.graph._graph import Graph, _count_distinct
from skgraphemb.utils._ids import format_ids, py_scalar


def _from_columns(src, dst, w, directed, nodes, features) -> Graph:
    if len(src) == 0:
        raise GraphFormatError("the edge list is empty: a graph needs at least one edge")
    src, dst = _same_int_type(_as_id_column(src), _as_id_column(dst))
    if _is_int_column(src) and _is_int_column(dst):
        return _from_id_parts([src], [dst], w, directed, nodes, features)
    directed = False if directed is None else bool(directed)
    if nodes is None:
        ids, inverse = _unique_ids(np.concatenate([src, dst]))
        m = len(src)
        return _build(inverse[:m], inverse[m:], w, ids, directed, features)
    ids = _nodes_array(nodes)
    pos = _positions_by_dict(ids, np.concatenate([src, dst]))
    m = len(src)
    return _build(pos[:m], pos[m:], w, ids, directed, features)


def _positions_by_dict(ids: NDArray, both: NDArray) -> NDArray:
    """Positions in ``ids`` (any hashable ids) of the values of ``both``."""
    index = {py_scalar(v): i for i, v in enumerate(ids.tolist())}
    if len(index) != len(ids):
        _refuse_duplicates(ids)
    both = both.tolist()
    missing = [v for v in dict.fromkeys(both) if v not in index]
    if missing:
        raise UnknownNodeError(f"edges use ids not listed in `nodes`: {format_ids(missing)}", missing)
    return np.fromiter((index[v] for v in both), dtype=np.int64, count=len(both))


def _from_id_parts(src_parts, dst_parts, w, directed, nodes, features) -> Graph:
    """Graph from integer id columns given as lists of blocks (the file
    reader's blocks, or one array each).

    The lists are emptied as the blocks are mapped to int32 positions, so a
    caller that holds no other reference frees each block once mapped.  Ids
    never become Python objects (only the unknown ones, for the message).
    """
    from skgraphemb.graph._csr_kernels import threads_for

    m = sum(len(p) for p in src_parts)
    if m == 0:
        raise GraphFormatError("the edge list is empty: a graph needs at least one edge")
    with threads_for(m):
        return _graph_from_id_parts(src_parts, dst_parts, m, w, directed, nodes, features)


def _graph_from_id_parts(src_parts, dst_parts, m, w, directed, nodes, features) -> Graph:
    directed = False if directed is None else bool(directed)
    if nodes is None:
        index = _IntIndex.of(src_parts + dst_parts)
        (src, dst), _ = index.take([src_parts, dst_parts], m)
        return _build(src, dst, w, index.ids, directed, features)
    ids = _nodes_array(nodes)
    if ids.dtype != np.int64:  # e.g. str or uint64 nodes: compare as Python values
        both = np.concatenate(src_parts + dst_parts)
        src_parts.clear()
        dst_parts.clear()
        pos = _positions_by_dict(ids, both)
        return _build(pos[:m], pos[m:], w, ids, directed, features)
    index = _IntIndex.of([ids])
    order = np.argsort(ids, kind="stable")  # rank among sorted ids -> position in `nodes`
    (src, dst), missing = index.take([src_parts, dst_parts], m, order)
    if missing:
        missing = list(dict.fromkeys(np.concatenate(missing).tolist()))
        raise UnknownNodeError(f"edges use ids not listed in `nodes`: {format_ids(missing)}", missing)
    return _build(src, dst, w, ids, directed, features)


# -- shared helpers ------------------------------------------------------------
#: Whole floats up to 2**53 are exact integers; beyond, the id given was
#: already rounded.
_FLOAT_EXACT = 2.0**53


def _as_id_column(col) -> NDArray:
    col = np.asarray(col)
    if col.dtype.kind == "U" or col.dtype.kind == "S":
        return col.astype(object)
    if col.dtype.kind == "f":
        if np.isnan(col).any():
            raise GraphFormatError(f"{int(np.isnan(col).sum())} node id(s) are missing (NaN); drop those edges")
        if not np.all(np.isfinite(col)) or not np.all(np.mod(col, 1) == 0):
            raise GraphFormatError("node ids given as floats must be whole numbers")
        if np.any(np.abs(col) > _FLOAT_EXACT):
            raise GraphFormatError(
                "node ids given as floats beyond 2**53 are not exact (they were rounded); give them as integers"
            )
        return col.astype(np.int64)
    if col.dtype.kind == "u" and col.dtype.itemsize == 8:
        if len(col) == 0 or col.max() <= np.iinfo(np.int64).max:
            return col.astype(np.int64)
        return col  # hashed 64-bit ids: kept as uint64
    if col.dtype == object:
        values = col.tolist()
        if any(v is None or (isinstance(v, float) and v != v) for v in values):
            k = sum(v is None or (isinstance(v, float) and v != v) for v in values)
            raise GraphFormatError(f"{k} node id(s) are missing (None or NaN); drop those edges")
        # An object column of Python ints is an int column; of numbers, a
        # float column (whole numbers only, as above).
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            return _int_ids(values)
        if values and all(
            isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in values
        ):
            return _as_id_column(np.array(values, dtype=np.float64))
    return col


def _int_ids(values: list) -> NDArray:
    """Python ints as int64, or uint64 when all are non-negative and some
    exceed int64; a clear error for ids that fit neither."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        pass
    try:
        return np.array(values, dtype=np.uint64)
    except OverflowError:
        pass
    big = next(int(v) for v in values if not -(2**63) <= int(v) < 2**63)
    raise GraphFormatError(
        f"integer node id {big} does not fit 64 bits (ids must fit int64, or all be "
        "non-negative and fit uint64); give such ids as strings"
    )


def _same_int_type(src: NDArray, dst: NDArray) -> tuple[NDArray, NDArray]:
    """One integer type for both id columns: uint64 ids next to signed ones
    stay uint64 when none is negative (np.concatenate would make floats)."""
    big = [c.dtype == np.uint64 for c in (src, dst)]
    if any(big) and not all(big):
        other = dst if big[0] else src
        if other.dtype.kind in "iu":
            if len(other) and other.min() < 0:
                raise GraphFormatError("integer node ids mix negative ids with ids beyond int64; give them as strings")
            other = other.astype(np.uint64)
            src, dst = (src, other) if big[0] else (other, dst)
    return src, dst


def _is_int_column(col: NDArray) -> bool:
    """Integer ids that fit int64 (uint64 keeps the old, object-free path
    through ``np.unique``)."""
    return col.dtype.kind == "i" or (col.dtype.kind == "u" and col.dtype.itemsize < 8)


def _unique_ids(values: NDArray) -> tuple[NDArray, NDArray]:
    """Sorted distinct ids and each value's position among them.

    The same as ``np.unique(values, return_inverse=True)``; for integer ids
    the positions are int32 when there are fewer than 2**31 ids.
    """
    if _is_int_column(values):
        from skgraphemb.graph._csr_kernels import threads_for

        with threads_for(len(values)):
            index = _IntIndex.of([values])
            return index.ids, index.take([[values]], len(values))[0][0]
    try:
        ids, inverse = np.unique(values, return_inverse=True)
    except TypeError as e:
        kinds = sorted({type(v).__name__ for v in values.tolist()})
        raise GraphFormatError(
            f"node ids of types {kinds} cannot be ordered together; convert them to one "
            "type (e.g. all str) or pass `nodes=` to fix their order"
        ) from e
    return _ids_array(ids), inverse.ravel()


#: Integer ids spanning at most this many values per id given (or at most
#: _BITMAP_MIN_SPAN values) are ranked with a presence bitmap of the span,
#: 0.25 bytes per value of the span (at most 2 bytes per id given); sparser
#: ids, such as hashed 64-bit ids, are sorted (``np.unique``).
_BITMAP_SPAN_PER_ID = 8
_BITMAP_MIN_SPAN = 1 << 26
#: Values looked up per ``np.searchsorted`` call on the sorted path.
_LOOKUP_SLICE = 1 << 20


class _IntIndex:
    """Sorted distinct int64 ids and the map from an id to its rank."""

    def __init__(self, ids: NDArray, bitmap: tuple | None = None) -> None:
        self.ids = ids
        self.bitmap = bitmap  # (lo, hi, words, rank) or None: sorted lookups

    @classmethod
    def of(cls, columns: list) -> _IntIndex:
        """The distinct values of non-empty integer ``columns``."""
        from skgraphemb.graph import _id_kernels as _ids

        n_threads = _threads()
        columns = [c for c in columns if len(c)]
        ranges = [_ids.int_range(c, n_threads) for c in columns]
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        span = int(hi) - int(lo) + 1
        if span <= max(_BITMAP_MIN_SPAN, _BITMAP_SPAN_PER_ID * sum(len(c) for c in columns)):
            words, rank = _ids.id_bitmap(columns, lo, hi, n_threads)
            return cls(_ids.bitmap_ids(words, rank, lo, n_threads), (lo, hi, words, rank))
        # Sparse ids: merge the blocks' distinct values in batches, so the
        # values waiting to be merged never outgrow the ids found so far.
        ids, pending, waiting = np.empty(0, dtype=np.int64), [], 0
        for c in columns:
            pending.append(np.unique(c))
            waiting += len(pending[-1])
            if waiting > max(len(ids), 1 << 20):
                ids, pending, waiting = np.unique(np.concatenate([ids, *pending])), [], 0
        return cls(np.unique(np.concatenate([ids, *pending])).astype(np.int64, copy=False))

    def _lookup(self, values: NDArray, out: NDArray) -> int:
        """Ranks of ``values`` into ``out`` (-1 where absent); returns the
        number absent."""
        from skgraphemb.graph import _id_kernels as _ids

        if self.bitmap is not None:
            lo, hi, words, rank = self.bitmap
            return _ids.bitmap_positions(values, lo, hi, words, rank, out, _threads())
        ids, n, missing = self.ids, len(self.ids), 0
        for a in range(0, len(values), _LOOKUP_SLICE):
            v = values[a : a + _LOOKUP_SLICE]
            at = np.searchsorted(ids, v)
            found = ids[np.minimum(at, n - 1)] == v
            out[a : a + len(v)] = np.where(found, at, -1)
            missing += len(v) - int(np.count_nonzero(found))
        return missing

    def take(self, columns: list, m: int, order: NDArray | None = None):
        """Positions of the values of ``columns``, each a list of ``m`` values
        in blocks, and the blocks of values absent from the index (column by
        column, each in order).

        The lists are emptied block by block, all columns together, so a
        block holding several columns is freed once mapped.  Positions are
        ranks, or ``order[rank]`` when ``order`` is given; int32 when there
        are fewer than 2**31 ids.
        """
        from skgraphemb.graph import _id_kernels as _ids

        dtype = np.int32 if len(self.ids) < 2**31 else np.int64
        out = [np.empty(m, dtype=dtype) for _ in columns]
        missing = [[] for _ in columns]
        at = 0
        while columns[0]:
            parts = [col.pop(0) for col in columns]
            for part, positions, absent in zip(parts, out, missing):
                seg = positions[at : at + len(part)]
                if self._lookup(part, seg):
                    absent.append(part[seg < 0])
                if order is not None:
                    _ids.remap(seg, order, _threads())
            at += len(parts[0])
            del parts, part
        return out, [block for absent in missing for block in absent]


def _threads() -> int:
    from skgraphemb.graph._csr_kernels import kernel_thread_count

    return kernel_thread_count()


def _ids_array(ids) -> NDArray:
    """int64 for integer ids (uint64 for non-negative ids beyond int64),
    object array of Python values otherwise."""
    arr = ids if isinstance(ids, np.ndarray) else None
    if arr is not None and arr.dtype.kind in "iu":
        if arr.dtype == np.uint64 and len(arr) and arr.max() > np.iinfo(np.int64).max:
            return arr
        return arr.astype(np.int64, copy=False)
    values = ids.tolist() if isinstance(ids, np.ndarray) else list(ids)
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return _int_ids(values)
    out = np.empty(len(values), dtype=object)
    out[:] = [py_scalar(v) for v in values]
    return out


def _nodes_array(nodes) -> NDArray:
    """The ``nodes=`` argument as ids (see :func:`_ids_array`), refusing
    repeated ids (each id has one position)."""
    if isinstance(nodes, (str, bytes)):
        raise GraphFormatError("`nodes` must be a sequence of ids, not a single string")
    ids = _ids_array(nodes if isinstance(nodes, np.ndarray) else list(nodes))
    if _count_distinct(ids, "`nodes` must hold hashable ids") != len(ids):
        _refuse_duplicates(ids)
    return ids


def _refuse_duplicates(ids: NDArray):
    seen, dup = set(), []
    for v in ids.tolist():
        if v in seen:
            dup.append(v)
        seen.add(v)
    dup = list(dict.fromkeys(dup))
    raise GraphFormatError(f"`nodes` contains duplicate ids: {format_ids(dup)}; list each node once")


def _check_weights(w: NDArray) -> None:
    bad_nan = ~np.isfinite(w)
    if bad_nan.any():
        raise GraphFormatError(
            f"{int(bad_nan.sum())} edge weight(s) are NaN or infinite; "
            "drop those edges or give them finite positive weights"
        )
    neg = w < 0
    if neg.any():
        raise GraphFormatError(
            f"{int(neg.sum())} edge weight(s) are negative (e.g. {float(w[neg][0])}); every embedder reads "
            "weights as connection strengths (walk probabilities, degrees), which cannot be negative: drop "
            "those edges or map the weights to non-negative values"
        )


def _feature_matrix(features, n: int) -> NDArray | None:
    if features is None:
        return None
    if isinstance(features, str):
        raise GraphFormatError(
            f"features={features!r} names a node attribute, which only networkx graphs "
            "have; pass an (n_nodes, n_features) array instead"
        )
    if sp.issparse(features):
        features = features.toarray()
    f = np.asarray(features, dtype=np.float32)
    if f.ndim == 1:
        f = f[:, None]
    if f.ndim != 2 or f.shape[0] != n:
        raise GraphFormatError(f"features must have one row per node: expected ({n}, n_features), got {f.shape}")
    if not np.all(np.isfinite(f)):
        raise GraphFormatError("node features contain NaN or infinite values")
    return f


def _build(src, dst, w, ids, directed: bool, features) -> Graph:
    """Edges given as node positions in ``[0, len(ids))`` -> sorted, merged CSR
    Graph (the same arrays as :func:`_build_scipy`, built without scipy's
    int64/float64 COO copies)."""
    from skgraphemb.graph._csr_kernels import csr_from_edges

    n = len(ids)
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        _check_weights(w)
    # int32 positions whenever they fit: one compiled kernel serves every input.
    pos = np.int32 if n < 2**31 else np.int64
    src, dst = np.asarray(src).astype(pos, copy=False), np.asarray(dst).astype(pos, copy=False)
    indptr, indices, data = csr_from_edges(src, dst, w, n, bool(directed))
    if indptr[-1] == 0:
        raise _no_edges(n)
    if data is not None:
        _check_merged(data)
    return Graph(
        indptr,
        indices,
        data,
        nodes=ids,
        directed=directed,
        features=_feature_matrix(features, n),
        validate=False,
    )


def _check_merged(data: NDArray) -> None:
    """Weights after duplicates were summed: finite (1e308 + 1e308 is inf)."""
    if not np.all(np.isfinite(data)):
        raise GraphFormatError(
            f"{int(np.count_nonzero(~np.isfinite(data)))} edge weight(s) overflow to infinity "
            "when the weights of duplicate edges are summed; scale the weights down"
        )


def _build_scipy(src, dst, w, ids, directed: bool, features) -> Graph:
    """:func:`_build` through scipy's COO -> CSR conversion: the reference the
    tests and ``benchmarks/bench_ingest.py`` compare the kernel with."""
    n = len(ids)
    if w is not None:
        w = np.asarray(w, dtype=np.float64)
        _check_weights(w)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    data = np.ones(len(src)) if w is None else w
    A = sp.coo_array((data, (src, dst)), shape=(n, n)).tocsr()
    A.sum_duplicates()
    if w is None:
        A.data[:] = 1.0  # merged duplicates of an unweighted graph stay weight 1
    if not directed:
        A.eliminate_zeros()
        A = A.maximum(A.T).tocsr()  # the undirected rule (as_graph Notes)
    if w is not None:
        _check_merged(A.data)
    return _finish_csr(A, ids, directed, features, weighted=w is not None)


def _no_edges(n: int) -> GraphFormatError:
    return GraphFormatError(
        f"the graph has {n} node(s) but no edges (with non-zero weight); graph embeddings need at least one edge"
    )


def _finish_csr(A, ids, directed: bool, features, weighted: bool | None = None) -> Graph:
    A.eliminate_zeros()
    A.sort_indices()
    if A.nnz == 0:
        raise _no_edges(A.shape[0])
    if weighted is None:
        weighted = not np.all(A.data == 1.0)
    if weighted:
        _check_merged(A.data)
    return Graph(
        A.indptr.astype(np.int64),
        A.indices.astype(np.int32),
        A.data.astype(np.float64) if weighted else None,
        nodes=ids,
        directed=directed,
        features=_feature_matrix(features, len(ids)),
        validate=False,
    )
