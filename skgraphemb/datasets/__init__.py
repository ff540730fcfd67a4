"""Dataset loaders: bundled graphs and folders in the shared benchmark format.

The benchmark format (see ``docs/datasets.rst``): a folder with
``edges.tsv[.gz]`` (``src<TAB>dst``), optional ``labels.tsv``
(``node<TAB>label``, one line per pair, multi-label allowed), ``split.tsv``
(``node<TAB>train|val|test``) and ``features.npz`` (scipy sparse, row i =
node i), and a ``README.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from skgraphemb.exceptions import GraphFormatError
from skgraphemb.graph import as_graph, read_labels
from skgraphemb.graph._io import _resolve, read_table, resolve_gz
from skgraphemb.utils._validation import constraints, validate_params

__all__ = ["load_cora", "load_edgelist_dir", "load_karate", "load_kg", "load_kg_dir"]

_DATA = Path(__file__).parent / "data"


@validate_params(constraints("path", "directed", features=["boolean"]), prefer_skip_nested_validation=True)
def load_edgelist_dir(path: str | os.PathLike, *, directed: bool = False, features: bool = True) -> Bunch:
    """Load a graph folder in the benchmark format.

    Parameters
    ----------
    path : str or path-like
        Folder holding ``edges.tsv`` (or ``edges.tsv.gz``) and optionally
        ``labels.tsv``, ``split.tsv``, ``features.npz``, ``README.md``.
    directed : bool, default=False
        Read edges as arcs.
    features : bool, default=True
        Attach ``features.npz`` (when present) to the graph as node features.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``graph`` (:class:`~skgraphemb.Graph`), ``nodes`` (labelled node ids)
        and ``labels`` aligned with them (an array, or a list of label
        tuples when some node has several), ``split`` (dict node -> "train"
        / "val" / "test", or None), ``features`` (scipy sparse matrix or
        None), ``name`` and ``description`` (the README).

    Examples
    --------
    >>> import os, tempfile
    >>> from skgraphemb import load_edgelist_dir
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "edges.tsv"), "w") as f:
    ...     _ = f.write("1\\t2\\n2\\t3\\n3\\t1\\n3\\t4\\n")
    >>> with open(os.path.join(folder, "labels.tsv"), "w") as f:
    ...     _ = f.write("1\\ta\\n2\\ta\\n3\\tb\\n4\\tb\\n")
    >>> data = load_edgelist_dir(folder)
    >>> data.graph.n_nodes, [str(label) for label in data.labels]
    (4, ['a', 'a', 'b', 'b'])
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no dataset folder at {str(folder)!r}")
    X = None
    if (folder / "features.npz").exists():
        import scipy.sparse as sp

        X = sp.load_npz(folder / "features.npz").tocsr()
    graph = as_graph(_resolve(folder / "edges.tsv"), directed=directed)
    if X is not None:
        if X.shape[0] != graph.n_nodes or not np.array_equal(graph.nodes, np.arange(graph.n_nodes)):
            # Isolated nodes are missing from the edge list: list all nodes.
            # (`!=`, not `<`: isolated nodes at the end, beyond the largest id
            # in edges.tsv, leave the graph with fewer nodes than feature rows.)
            graph = as_graph(_resolve(folder / "edges.tsv"), directed=directed, nodes=np.arange(X.shape[0]))
        if features:
            graph = graph.with_features(X.toarray())
    nodes = labels = split = None
    if resolve_gz(folder / "labels.tsv").exists():
        nodes, labels = read_labels(_resolve(folder / "labels.tsv"))
    if (folder / "split.tsv").exists():
        df = read_table(folder / "split.tsv")
        split = dict(zip(df[0].tolist(), df[1].tolist()))
    readme = folder / "README.md"
    return Bunch(
        graph=graph,
        nodes=nodes,
        labels=labels,
        split=split,
        features=X,
        name=folder.name,
        description=readme.read_text() if readme.exists() else "",
    )


@validate_params({"features": ["boolean"]}, prefer_skip_nested_validation=True)
def load_cora(*, features: bool = True) -> Bunch:
    """The Cora citation graph (2,708 nodes, 5,278 edges, 7 classes), bundled.

    Planetoid version with its public split and 1,433 bag-of-words features;
    see ``load_cora().description`` for the source and licence.  Same fields
    as :func:`load_edgelist_dir`.

    Examples
    --------
    >>> from skgraphemb import load_cora
    >>> cora = load_cora()
    >>> cora.graph
    Graph(n_nodes=2708, n_edges=5278, directed=False, weighted=False, n_features=1433)
    >>> len(cora.labels), sorted(set(cora.split.values()))
    (2708, ['test', 'train', 'val'])
    """
    return load_edgelist_dir(_DATA / "cora", features=features)


def load_karate() -> Bunch:
    """Zachary's karate club (34 nodes, 78 weighted edges), from networkx.

    Labels are the two clubs the members joined after the split
    (0 = "Mr. Hi", 1 = "Officer").

    Examples
    --------
    >>> from skgraphemb import load_karate
    >>> data = load_karate()
    >>> data.graph
    Graph(n_nodes=34, n_edges=78, directed=False, weighted=True)
    >>> data.labels[:5]
    array([0, 0, 0, 0, 0])
    """
    import networkx as nx

    G = nx.karate_club_graph()
    nodes = np.array(list(G.nodes()))
    labels = np.array([0 if G.nodes[v]["club"] == "Mr. Hi" else 1 for v in nodes])
    return Bunch(
        graph=as_graph(G),
        nodes=nodes,
        labels=labels,
        split=None,
        features=None,
        name="karate",
        description="Zachary's karate club, W. W. Zachary (1977), via networkx.",
    )


# -- knowledge graphs ---------------------------------------------------------------
#: Knowledge graphs bundled in PyKEEN's wheel: name -> (PyKEEN folder, description).
_PYKEEN_KGS = {
    "nations": (
        "nations",
        "Nations (Kok & Domingos, ICML 2007): relations between 14 countries "
        "(55 relation types); PyKEEN's bundled train/valid/test split.",
    ),
    "kinships": (
        "kinships",
        "Kinships (Kemp et al., AAAI 2006): kinship terms among 104 members of the "
        "Alyawarra tribe (25 relation types); PyKEEN's bundled train/valid/test split.",
    ),
    "umls": (
        "umls",
        "UMLS (McCray, 2003; Kok & Domingos, 2007): 135 biomedical concepts, 46 "
        "relation types; PyKEEN's bundled train/valid/test split.",
    ),
}


@validate_params(constraints("path"), prefer_skip_nested_validation=True)
def read_triples(path: str | os.PathLike) -> np.ndarray:
    """Read a ``head<TAB>relation<TAB>tail`` file (optionally ``.gz``) as strings.

    Every field stays a string (WN18RR ids have leading zeros).  Lines,
    comments, the header and the errors (a :class:`GraphFormatError` for
    text that is not UTF-8, a broken compressed file...) follow
    :func:`~skgraphemb.graph._io.read_table`'s rules, with tab-separated
    fields whatever the extension.

    Returns
    -------
    triples : ndarray of shape (n, 3), dtype object (str)
    """
    df = read_table(path, dtype=str, sep="\t")
    if df.shape[1] != 3:
        raise GraphFormatError(
            f"{str(path)!r} must have 3 tab-separated columns (head, relation, tail); found {df.shape[1]}"
        )
    return df.to_numpy(dtype=object)


def _kg_file(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.tsv", f"{stem}.txt"):
        path = resolve_gz(folder / name)
        if path.exists():
            return path
    return None


@validate_params(constraints("path"), prefer_skip_nested_validation=True)
def load_kg_dir(path: str | os.PathLike) -> Bunch:
    """Load a knowledge-graph folder: ``train.tsv``, ``valid.tsv``, ``test.tsv``.

    Each file (or its ``.gz``; ``.txt`` is accepted too) holds one
    ``head<TAB>relation<TAB>tail`` triple per line.  This is the format of
    the benchmark folders (FB15k-237, WN18RR, CoDEx).

    Parameters
    ----------
    path : str or path-like
        The folder.  ``train`` is required; ``valid`` and ``test`` are
        optional.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``train``, ``valid``, ``test``: (n, 3) arrays of string labels (a
        missing split is None); ``name`` (the folder name) and
        ``description`` (its README.md, or "").

    See Also
    --------
    load_kg : The knowledge graphs bundled with PyKEEN.
    KGEmbedder : Embeds them.

    Examples
    --------
    >>> import os, tempfile
    >>> from skgraphemb import load_kg_dir
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "train.tsv"), "w") as f:
    ...     _ = f.write("alice\\tknows\\tbob\\nbob\\tknows\\tcarol\\n")
    >>> data = load_kg_dir(folder)
    >>> data.train.tolist(), data.valid is None
    ([['alice', 'knows', 'bob'], ['bob', 'knows', 'carol']], True)
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"no knowledge-graph folder at {str(folder)!r}")
    splits = {}
    for stem in ("train", "valid", "test"):
        file = _kg_file(folder, stem)
        if file is None and stem == "train":
            raise FileNotFoundError(
                f"{str(folder)!r} has no train.tsv (or train.tsv.gz): a knowledge-graph "
                "folder needs train.tsv, and optionally valid.tsv and test.tsv"
            )
        splits[stem] = read_triples(file) if file is not None else None
    readme = folder / "README.md"
    return Bunch(
        **splits,
        name=folder.name,
        description=readme.read_text() if readme.exists() else "",
    )


def load_kg(name: str) -> Bunch:
    """A small knowledge graph bundled with PyKEEN: Nations, Kinships or UMLS.

    Read from the files inside the installed PyKEEN package (no download;
    needs the ``kg`` extra but does not import PyKEEN).  The splits are
    PyKEEN's, so ``KGEmbedder`` results compare with
    ``pykeen.pipeline(dataset="Nations", ...)``.

    Parameters
    ----------
    name : {"nations", "kinships", "umls"}
        Case-insensitive.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``train``, ``valid``, ``test`` as (n, 3) arrays of string labels
        (head, relation, tail), ``name`` and ``description``.

    See Also
    --------
    load_kg_dir : Folders of the same format (FB15k-237, WN18RR, CoDEx...).

    Examples
    --------
    >>> from skgraphemb import load_kg
    >>> nations = load_kg("nations")
    >>> nations.train.shape, nations.valid.shape, nations.test.shape
    ((1592, 3), (199, 3), (201, 3))
    >>> nations.train[0]
    array(['netherlands', 'militaryalliance', 'uk'], dtype=object)
    """
    import importlib.util

    key = str(name).lower()
    if key not in _PYKEEN_KGS:
        raise ValueError(
            f"unknown knowledge graph {name!r}; bundled ones are "
            f"{', '.join(repr(k) for k in _PYKEEN_KGS)}. For FB15k-237, WN18RR, CoDEx... "
            "use load_kg_dir(folder)"
        )
    folder_name, description = _PYKEEN_KGS[key]
    caller = f"load_kg({key!r})"
    try:
        spec = importlib.util.find_spec("pykeen")
    except (ImportError, ValueError):  # e.g. sys.modules["pykeen"] = None
        spec = None
    if spec is None or not spec.submodule_search_locations:
        from skgraphemb._optional import import_optional

        import_optional("pykeen", caller)  # raises the ImportError naming the extra
    folder = Path(list(spec.submodule_search_locations)[0]) / "datasets" / folder_name
    if not (folder / "train.txt").exists():
        raise FileNotFoundError(
            f"{caller}: PyKEEN is installed but {str(folder)!r} has no train.txt; "
            "reinstall pykeen (pip install --force-reinstall pykeen)"
        )
    splits = {stem: read_triples(folder / f"{stem}.txt") for stem in ("train", "valid", "test")}
    return Bunch(**splits, name=key, description=description)
