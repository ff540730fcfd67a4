"""Reading knowledge-graph triples: label columns, vocabularies and the previews of messages.

Triples come as an (n, 3) array-like, a list of triples, a DataFrame (first
three columns) or a PyKEEN ``TriplesFactory``.  Labels are strings or
integers and keep their type; string vocabularies get exactly the ids PyKEEN's
``TriplesFactory`` gives them.  Nothing here imports PyKEEN: the functions
that need its mappings are handed them.
"""

from __future__ import annotations

import numpy as np


def _column_labels(values: np.ndarray, what: str) -> np.ndarray:
    """A column of labels as int64 (integer labels) or str; else a ValueError."""
    kind = values.dtype.kind
    if kind in "iu":
        return values.astype(np.int64)
    if kind == "b":
        raise ValueError(f"{what} labels must be strings or integers; got booleans")
    if kind == "f":
        if not np.isfinite(values).all():
            raise ValueError(f"{what} labels contain NaN or infinity; every triple needs three labels")
        if np.array_equal(values, np.round(values)):
            return values.astype(np.int64)
        raise ValueError(
            f"{what} labels must be strings or integers; got non-integral floats "
            f"(e.g. {values[values != np.round(values)][0]!r}). X must hold (head, relation, tail) "
            "labels, not numeric features"
        )
    if kind in "US":
        return values.astype(str)
    if kind == "O":
        if all(isinstance(v, str) for v in values):
            return values.astype(str)
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values):
            return values.astype(np.int64)
        if any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in values):
            raise ValueError(f"{what} labels contain missing values (None or NaN)")
        kinds = sorted({type(v).__name__ for v in values})
        raise ValueError(f"{what} labels mix types ({', '.join(kinds)}); use all strings or all integers")
    raise ValueError(f"{what} labels must be strings or integers; got dtype {values.dtype}")


def _is_triples_factory(X) -> bool:
    return hasattr(X, "mapped_triples") and hasattr(X, "num_entities") and hasattr(X, "num_relations")


def _as_label_triples(X, *, caller: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(heads, relations, tails) label columns of triples given as an (n, 3) array-like."""
    if hasattr(X, "iloc") and getattr(X, "ndim", 2) == 2:  # DataFrame: columns by position
        if X.shape[1] != 3:
            raise ValueError(
                f"{caller}: X must have 3 columns (head, relation, tail); got a DataFrame with {X.shape[1]} columns"
            )
        cols = [X.iloc[:, j].to_numpy() for j in range(3)]
    else:
        if hasattr(X, "toarray") or hasattr(X, "tocsr"):
            raise TypeError(
                f"{caller}: X is a sparse matrix; X must hold (head, relation, tail) triples "
                "as an (n, 3) array, a list of triples or a DataFrame"
            )
        if isinstance(X, (list, tuple)):
            arr = np.empty((len(X), 3), dtype=object)
            try:
                for i, row in enumerate(X):
                    arr[i] = tuple(row)
            except (TypeError, ValueError):
                raise ValueError(f"{caller}: X must be a sequence of (head, relation, tail) triples") from None
        else:
            arr = np.asarray(X)
        if arr.dtype.kind == "c":
            raise ValueError(f"{caller}: Complex data not supported; X must hold labels")
        if arr.ndim == 2 and arr.shape[1] == 0:
            # scikit-learn's wording for this case.
            raise ValueError(
                f"{caller}: Found array with 0 feature(s) (shape={arr.shape}) while a minimum "
                "of 3 is required: X must hold (head, relation, tail) triples"
            )
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise ValueError(
                f"{caller}: X must be an (n, 3) array of (head, relation, tail) triples; got shape {arr.shape}"
            )
        cols = [arr[:, j] for j in range(3)]
    if len(cols[0]) == 0:
        raise ValueError(f"{caller}: X holds no triples (0 samples); at least 1 is required")
    heads = _column_labels(cols[0], "head")
    rels = _column_labels(cols[1], "relation")
    tails = _column_labels(cols[2], "tail")
    if heads.dtype.kind != tails.dtype.kind:
        raise ValueError(
            f"{caller}: head labels are {_kind_name(heads)} but tail labels are "
            f"{_kind_name(tails)}; entities need one label type"
        )
    return heads, rels, tails


def _kind_name(a: np.ndarray) -> str:
    return "integers" if a.dtype.kind == "i" else "strings"


def _vocabulary(labels: np.ndarray, pykeen_mapping) -> np.ndarray:
    """Sorted unique labels; string labels in exactly PyKEEN's order and ids.

    ``pykeen_mapping`` is PyKEEN's ``create_*_mapping`` function (label ->
    id), used for strings so that ids are those a ``TriplesFactory`` gives.
    """
    if labels.dtype.kind == "i":
        return np.unique(labels)
    mapping = pykeen_mapping(labels)
    out = np.empty(len(mapping), dtype=labels.dtype)
    for label, i in mapping.items():
        out[i] = label
    return out


def _n_rows(X) -> int:
    if _is_triples_factory(X):
        return int(X.num_triples)
    return len(X)
