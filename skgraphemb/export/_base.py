"""What every exporter (pipeline sink) and every embedding store (reader) share.

An *exporter* is a scikit-learn transformer whose ``fit`` publishes the
vectors it is given (a DataFrame indexed by node id, a fitted embedder, a
store, or an array with ``keys=``) and whose ``transform`` passes its input
through unchanged, so it can end a :class:`~sklearn.pipeline.Pipeline`.  A
*store* serves published vectors by node id with one interface whatever holds
them: ``get``, ``get_many``, ``ids``, ``dimension``, ``dtype``,
``metadata``.

Node ids are matched by their string form (``str(node)``), the form they
take in Redis keys, so ``get(3)`` and ``get("3")`` find the same vector in
every store.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from skgraphemb.utils._ids import format_ids, split_embedding
from skgraphemb.utils._validation import StrOptions, _fit_context, check_is_fitted, validate_data

__all__ = ["BaseEmbeddingStore", "BaseExporter", "node_key"]

#: Version of the published layout, recorded in every metadata record.
FORMAT = "skgraphemb-embeddings/1"

#: Vector dtypes an exporter can publish (always little-endian).
DTYPES = ("float16", "float32", "float64")

# Names the exporters keep beside the vectors (metadata, id list, version
# pointer...): node ids of this form are refused, so a node never overwrites one.
_RESERVED = re.compile(r"^__.*__$")


def node_key(node: Any) -> str:
    """The string form of a node id, as used in keys: ``str(node)``.

    numpy scalars count as the Python value (``np.int64(3)`` -> ``"3"``).
    """
    if isinstance(node, np.generic):
        node = node.item()
    if isinstance(node, bytes):
        try:
            return node.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(
                f"node id {node!r} is bytes that are not UTF-8 ({e.reason} at byte {e.start}); "
                "node ids are matched by their text form: pass it as str"
            ) from None
    return str(node)


def check_encodable(names: list[str]) -> None:
    """Refuse key strings that cannot be encoded as UTF-8 (lone surrogates), naming them.

    Redis keys are UTF-8 here; a string such as
    ``"a\\udc80"`` (what ``os.fsdecode`` makes of undecodable bytes) has no
    UTF-8 form.
    """
    try:
        "".join(names).encode("utf-8")
    except UnicodeEncodeError:
        bad = []
        for n in names:
            try:
                n.encode("utf-8")
            except UnicodeEncodeError as e:
                bad.append((n, e))
        n, e = bad[0]
        raise ValueError(
            f"{len(bad)} node id(s) cannot be encoded as UTF-8, e.g. {n!r} ({e.reason} at "
            f"position {e.start}); node ids become keys, which are UTF-8. Fix or rename these ids "
            "(bytes decoded with errors='surrogateescape' keep such characters)"
        ) from None


def _plain_id(node: Any) -> int | str:
    """A node id as a JSON-safe Python ``int`` or ``str``; other types are refused."""
    if isinstance(node, np.generic):
        node = node.item()
    if isinstance(node, (int, str)) and not isinstance(node, bool):
        return node
    raise TypeError(
        f"node ids must be integers or strings; got {type(node).__name__} {node!r}. "
        "Convert the ids (e.g. the DataFrame index) to int or str first."
    )


def check_ids(ids: Iterable[Any]) -> tuple[list[int | str], list[str]]:
    """``ids`` as (JSON-safe ids, key strings): unique, not reserved.

    Raises
    ------
    TypeError
        An id is neither an integer nor a string.
    ValueError
        Two ids have the same string form (``1`` and ``"1"``), or an id has
        the reserved form ``__name__``.
    """
    arr = ids if isinstance(ids, np.ndarray) else None
    if arr is not None and arr.ndim == 1 and arr.dtype.kind in "iuU":
        plain = arr.tolist()  # fast path: Python ints or strs in one call
        names = plain if arr.dtype.kind == "U" else list(map(str, plain))
    else:
        plain = [_plain_id(v) for v in ids]
        names = [str(v) for v in plain]
    if len(set(names)) != len(names):
        seen: set[str] = set()
        dup = [n for n in names if n in seen or seen.add(n)]
        raise ValueError(
            f"node ids must be unique (compared as strings, the form they take in keys); "
            f"duplicated: {format_ids(dict.fromkeys(dup))}"
        )
    # (the string form of an integer never has the reserved form)
    reserved = [] if arr is not None and arr.dtype.kind in "iu" else [n for n in names if _RESERVED.match(n)]
    if reserved:
        raise ValueError(
            f"node ids of the form '__name__' are reserved for the exporter's own "
            f"records (metadata, id list, version pointer); got {format_ids(reserved)}. "
            "Rename these nodes."
        )
    return plain, names


def _jsonable(value: Any, depth: int = 0) -> Any:
    """A parameter value as JSON: scalars kept, containers recursed, the rest ``repr``."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if depth < 3 and isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    if depth < 3 and isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def estimator_metadata(estimator: Any) -> dict:
    """``{"estimator": "module.Class", "params": {...}}`` of an embedder, as JSON.

    The ``graph`` parameter is left out (it is data, not a setting); values
    JSON cannot hold are recorded by their ``repr``.  Never pickled.
    """
    cls = type(estimator)
    params = {}
    if hasattr(estimator, "get_params"):
        params = {k: _jsonable(v) for k, v in estimator.get_params(deep=False).items() if k != "graph"}
    return {"estimator": f"{cls.__module__}.{cls.__qualname__}", "params": params}


def loads_metadata(text: str | bytes, where: str) -> dict:
    """Parse a metadata record (JSON object) or say where it is broken."""
    try:
        meta = json.loads(text)
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"the metadata record {where} is not JSON ({e}); was it written by skgraphemb?") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("dimension"), int):
        raise ValueError(f"the metadata record {where} has no integer 'dimension'; was it written by skgraphemb?")
    return meta


def loads_ids(text: str | bytes, where: str) -> list:
    """Parse a published id list (JSON array of ints/strings)."""
    try:
        ids = json.loads(text)
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"the id list {where} is not JSON ({e}); was it written by skgraphemb?") from None
    if not isinstance(ids, list):
        raise ValueError(f"the id list {where} is not a JSON array")
    return ids


def ids_array(ids: Sequence) -> np.ndarray:
    """Ids as an array: int64 when all are integers (uint64, or Python ints, beyond), else str."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in ids):
        for dtype in (np.int64, np.uint64):  # uint64: e.g. hashed 64-bit ids above 2**63
            try:
                return np.asarray(ids, dtype=dtype)
            except OverflowError:
                pass
        return np.asarray(ids, dtype=object)  # beyond 64 bits (or mixed signs): Python ints, values kept
    return np.asarray([str(v) for v in ids], dtype=str)


#: The fitted attributes every exporter has, for the Attributes sections.
EXPORTER_ATTRIBUTES = """\
    dimension_ : int
        Length of the published vectors.
    n_published_ : int
        Number of vectors published.
    publish_time_ : float
        Seconds spent publishing.
    n_features_in_ : int
        Number of columns of X.
    feature_names_in_ : ndarray of str
        Column names of X, when X is a DataFrame with string column names.
"""


class BaseEmbeddingStore:
    """Read published embeddings by node id; the interface every store has.

    Subclasses implement :meth:`_lookup` and the ``dimension``, ``dtype``,
    ``ids``, ``metadata`` and ``version`` properties.

    Parameters
    ----------
    missing : {"none", "raise"}
        What a lookup of an unknown node gives: ``"none"`` -> ``get`` returns
        ``None`` and ``get_many`` a row of NaN; ``"raise"`` -> ``KeyError``
        naming the unknown nodes.
    """

    def __init__(self, missing: str = "none") -> None:
        if missing not in ("none", "raise"):
            raise ValueError(f"missing must be 'none' or 'raise'; got {missing!r}")
        self.missing = missing

    # -- to implement ------------------------------------------------------
    def _lookup(self, names: list[str]) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        """Vectors of the nodes named ``names`` (key strings).

        Returns ``(vectors, found)``: an ``(n, dimension)`` array with NaN
        rows where ``found`` (bool, shape ``(n,)``) is False.
        """
        raise NotImplementedError

    @property
    def dimension(self) -> int:  # pragma: no cover
        """Length of every vector."""
        raise NotImplementedError

    @property
    def dtype(self) -> np.dtype:  # pragma: no cover
        """dtype of the vectors."""
        raise NotImplementedError

    @property
    def ids(self) -> np.ndarray:  # pragma: no cover
        """Published node ids, in publication order."""
        raise NotImplementedError

    @property
    def metadata(self) -> dict:  # pragma: no cover
        """The publication's metadata record (dimension, dtype, count, estimator...)."""
        raise NotImplementedError

    @property
    def version(self) -> str | None:
        """Name of the version served (versioned stores), else ``None``."""
        return None

    # -- the interface -----------------------------------------------------
    def get(self, node: Any) -> np.ndarray | None:
        """The vector of ``node``, shape ``(dimension,)``.

        Returns ``None`` for an unknown node, or raises ``KeyError`` with
        ``missing="raise"``.
        """
        vectors, found = self._lookup([node_key(node)])
        if found[0]:
            return vectors[0]
        if self.missing == "raise":
            raise KeyError(f"node {node!r} is not published in {self!r}")
        return None

    def get_many(self, nodes: Iterable[Any]) -> np.ndarray:
        """Vectors of ``nodes``, shape ``(len(nodes), dimension)``, in that order.

        Rows of unknown nodes are NaN (published vectors are always finite,
        so ``np.isnan(V[:, 0])`` marks them), or, with ``missing="raise"``, a
        ``KeyError`` names them.
        """
        if isinstance(nodes, (str, bytes)):
            raise TypeError("get_many takes a sequence of node ids; use get(node) for one node")
        nodes = list(nodes)
        vectors, found = self._lookup([node_key(v) for v in nodes])
        if self.missing == "raise" and not found.all():
            unknown = [v for v, f in zip(nodes, found) if not f]
            raise KeyError(f"{len(unknown)} of {len(nodes)} nodes are not published in {self!r}: {format_ids(unknown)}")
        return vectors

    def __contains__(self, node: Any) -> bool:
        return bool(self._lookup([node_key(node)])[1][0])

    def __len__(self) -> int:
        return int(self.metadata.get("count", len(self.ids)))

    def to_frame(self):
        """Every published vector, as a DataFrame indexed by node id."""
        import pandas as pd

        ids = self.ids
        vectors = self.get_many(ids)
        return pd.DataFrame(vectors, index=pd.Index(ids, name="node"))


def empty_result(n: int, dimension: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """NaN vectors and an all-False mask: what a lookup starts from."""
    return np.full((n, dimension), np.nan, dtype=dtype), np.zeros(n, dtype=bool)


class BaseExporter(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Base class of the pipeline sinks; not meant to be used directly.

    ``fit`` publishes, ``transform`` returns X unchanged.  Subclasses define
    ``__init__`` (storing parameters only), ``_parameter_constraints``
    (merged with this class's) and ``_publish(vectors, ids, names, metadata)``,
    which writes and returns a dict of extra fitted attributes.
    """

    _parameter_constraints: dict = {
        "dtype": [StrOptions(set(DTYPES))],
        "metadata": [None, dict],
    }

    def _publish(self, vectors: np.ndarray, ids: list, names: list[str], metadata: dict) -> dict:  # pragma: no cover
        raise NotImplementedError

    # -- inputs --------------------------------------------------------------
    def _vectors_and_ids(self, X, keys) -> tuple[np.ndarray, list, list[str], dict]:
        """(little-endian vectors, JSON-safe ids, key strings, source metadata) of X."""
        # Ids are compared by their string form below (check_ids), not here.
        data, ids = split_embedding(X, name="X", ids=keys, unique=False)
        source: dict = {}
        if isinstance(X, BaseEmbeddingStore):
            source = {k: X.metadata[k] for k in ("estimator", "params") if X.metadata.get(k) is not None}
        elif hasattr(X, "embedding_"):
            source = estimator_metadata(X)
        # The vectors before the missing ids: a complex, empty or non-finite X
        # gets its own message, not the one about missing ids.
        Z = validate_data(self, data, reset=True, dtype=[np.float64, np.float32, np.float16], ensure_min_samples=1)
        if ids is None:
            raise ValueError(
                f"{type(self).__name__} needs node ids for the rows of X: X is a plain array. "
                "Pass keys=[...] (one id per row), a DataFrame indexed by node id "
                "(set_output(transform='pandas') on the embedder), or the fitted embedder."
            )
        plain, names = check_ids(ids)
        vectors = np.ascontiguousarray(Z, dtype=np.dtype(self.dtype).newbyteorder("<"))
        if not np.isfinite(vectors).all():  # e.g. float64 values beyond float16's range
            raise ValueError(f"some vectors overflow {self.dtype}; publish with a wider dtype")
        return vectors, plain, names, source

    def _metadata(self, vectors: np.ndarray, source: dict, **fields) -> dict:
        """The metadata record written beside the vectors (JSON, never pickle)."""
        from skgraphemb._version import __version__

        return {
            "format": FORMAT,
            "dimension": int(vectors.shape[1]),
            "dtype": self.dtype,
            "byteorder": "little",
            "count": int(vectors.shape[0]),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "skgraphemb_version": __version__,
            "estimator": source.get("estimator"),
            "params": source.get("params"),
            **fields,
            "metadata": self.metadata,
        }

    # -- the estimator API -----------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, keys=None):
        """Publish the vectors of X.

        Parameters
        ----------
        X : DataFrame, fitted embedder, embedding store or array-like of shape (n, d)
            A DataFrame is indexed by node id (an embedder's output under
            ``set_output(transform="pandas")``); a fitted embedder gives its
            ``embedding_`` rows with ids ``nodes_`` and its class and
            parameters to the metadata; a store (e.g.
            :class:`FileEmbeddingStore`) gives every vector it holds.  A plain
            array needs ``keys``.
        y : None
            Ignored.
        keys : array-like of shape (n,), default=None
            Node ids of X's rows (integers or strings); they take precedence
            over a DataFrame's index.  In a Pipeline pass them as
            ``pipe.fit(X, export__keys=ids)``.

        Returns
        -------
        self : object
            The exporter, with the fitted attributes of the publication.
        """
        start = time.perf_counter()
        vectors, ids, names, source = self._vectors_and_ids(X, keys)
        info = self._publish(vectors, ids, names, source)
        self.dimension_ = int(vectors.shape[1])
        self.n_published_ = int(vectors.shape[0])
        for name, value in info.items():
            setattr(self, name, value)
        self.publish_time_ = time.perf_counter() - start
        return self

    def write(self, source, *, keys=None):
        """Publish ``source``: the same as ``fit(source, keys=keys)``, outside a Pipeline.

        Parameters
        ----------
        source : fitted embedder, DataFrame, embedding store or array-like
            See :meth:`fit`.
        keys : array-like of shape (n,), default=None
            Node ids of the rows, for a plain array.

        Returns
        -------
        self : object
            The exporter, with the fitted attributes of the publication.
        """
        return self.fit(source, keys=keys)

    def transform(self, X):
        """Return X unchanged: the exporter is a sink that passes data through.

        Parameters
        ----------
        X : any
            Typically the embedding the exporter was fitted on.

        Returns
        -------
        X : the same object
            Unchanged (wrapped in a DataFrame only under a pandas
            ``set_output`` configuration, as for any transformer).
        """
        check_is_fitted(self, "n_published_")
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32", "float16"]
        return tags
