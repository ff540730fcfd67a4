"""The ``skgraphemb`` command line: ``embed``, ``evaluate``, ``tune`` and ``export``.

A thin argparse front end over the library: every command reads a graph,
builds an embedder from the method registry :data:`METHODS` and calls the
same estimators, loaders and scorers a Python user would.  Examples::

    skgraphemb embed karate -o karate.npz
    skgraphemb embed edges.tsv.gz --dimensions 64 --q 0.5 -o emb.txt
    skgraphemb evaluate cora --cv 5
    skgraphemb tune cora --grid p=0.5,1,2 --grid q=0.5,1,2 --cv 3 \\
        --plot grid.png -o best.npz
    skgraphemb export karate.npz --redis-url redis://localhost:6379/0 --versioned
    skgraphemb embed karate --redis-url redis://localhost:6379/0 --key-prefix karate:

``GRAPH`` is an edge-list file (``.tsv``/``.csv``/``.edg``/``.txt``,
optionally ``.gz``), a dataset folder in the benchmark format
(``edges.tsv[.gz]``, ``labels.tsv``, ...; see
:func:`~skgraphemb.load_edgelist_dir`) or a bundled dataset name (``karate``,
``cora``).  User errors (a missing file, a malformed ``--grid``, an invalid
parameter) print one line on stderr and exit with status 2; ``-vv`` shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import logging
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from skgraphemb.exceptions import InsufficientMemoryError, RedisStoreError
from skgraphemb.export.files import OUTPUT_FORMATS, check_text_ids, write_embedding

__all__ = ["METHODS", "OUTPUT_FORMATS", "main", "write_embedding"]

logger = logging.getLogger(__name__)

#: Bundled dataset names -> loader in :mod:`skgraphemb.datasets`.
BUNDLED = {"karate": "load_karate", "cora": "load_cora"}

# Embedder parameters the command line sets itself (never tunable by --grid).
_RUN_PARAMS = frozenset({"graph", "memory", "verbose", "n_jobs", "random_state"})


class CLIError(Exception):
    """A user error: reported as one line on stderr, exit status 2."""


# -- methods ---------------------------------------------------------------
# Each method is a factory ``args -> unfitted embedder`` plus the options it
# adds to the parser.  A new method (e.g. "svd") is one more entry in each.

# (parameter, help) of Node2VecEmbedder exposed as --options; defaults are
# the estimator's, read from its signature so the two never disagree.
_NODE2VEC_OPTIONS = [
    ("dimensions", "size of the embedding vectors"),
    ("walk_length", "nodes per walk"),
    ("num_walks", "walks started from every node"),
    ("p", "return parameter (low: walks backtrack often)"),
    ("q", "in-out parameter (<1: move outward, >1: stay local)"),
    ("window", "skip-gram context window"),
    ("negative", "negative samples per positive pair"),
    ("epochs", "passes of the skip-gram trainer over the walks"),
    ("alpha", "initial learning rate"),
    ("min_alpha", "final learning rate (0.0001 suits several epochs)"),
    ("sample", "down-sampling of frequent nodes (0: off; use 0 below ~1k nodes)"),
    ("trainer", "skip-gram trainer"),
    ("backend", "walk engine"),
    ("device", "where torch stages run: cpu, auto (a GPU if any), cuda, cuda:N"),
]


def _add_estimator_options(
    parser: argparse.ArgumentParser, cls, options: list[tuple[str, str]], prefix: str, title: str
) -> None:
    """Add ``--name`` options for ``cls``'s parameters, defaults from its signature.

    Options are stored as ``prefix + name``; a parameter whose default is
    None and whose constraints list string options gets the choice "none".
    """
    group = parser.add_argument_group(f"{title} options (defaults: {cls.__name__}'s)")
    signature = inspect.signature(cls).parameters
    for name, text in options:
        default = signature[name].default
        choices = next((c.options for c in cls._parameter_constraints[name] if hasattr(c, "options")), None)
        kwargs: dict[str, Any] = {}
        if choices:  # a StrOptions constraint: let argparse list the choices
            kwargs.update(type=str, choices=(["none"] if default is None else []) + sorted(choices))
        else:
            kwargs.update(type=type(default), metavar="N" if isinstance(default, int) else "X")
        group.add_argument(
            "--" + name.replace("_", "-"),
            dest=prefix + name,
            # SUPPRESS: options not given stay out of the namespace, so the
            # estimator's own default applies.
            default=argparse.SUPPRESS,
            help=f"{text} (default: {'none' if default is None else default})",
            **kwargs,
        )


def _make_estimator(cls, options: list[tuple[str, str]], prefix: str, args: argparse.Namespace):
    """``cls`` built from the options given on the command line ("none" -> None)."""
    given = {
        name: (None if getattr(args, prefix + name) == "none" else getattr(args, prefix + name))
        for name, _ in options
        if hasattr(args, prefix + name)
    }
    return cls(**given, n_jobs=args.n_jobs, random_state=args.seed, verbose=min(args.verbose, 1))


def _add_node2vec_options(parser: argparse.ArgumentParser) -> None:
    from skgraphemb.node2vec import Node2VecEmbedder

    _add_estimator_options(parser, Node2VecEmbedder, _NODE2VEC_OPTIONS, "", "node2vec")


def _make_node2vec(args: argparse.Namespace):
    from skgraphemb.node2vec import Node2VecEmbedder

    return _make_estimator(Node2VecEmbedder, _NODE2VEC_OPTIONS, "", args)


# (parameter, help) of SVDEmbedder exposed as --options (defaults: its signature).
_SVD_OPTIONS = [
    ("n_components", "size of the embedding vectors"),
    ("order", "power of the adjacency matrix (proximity order)"),
    ("normalization", "adjacency normalization ('none': raw adjacency)"),
]


def _add_svd_options(parser: argparse.ArgumentParser) -> None:
    from skgraphemb.svd import SVDEmbedder

    _add_estimator_options(parser, SVDEmbedder, _SVD_OPTIONS, "svd_", "svd")


def _make_svd(args: argparse.Namespace):
    from skgraphemb.svd import SVDEmbedder

    return _make_estimator(SVDEmbedder, _SVD_OPTIONS, "svd_", args)


#: Method name -> factory building the (unfitted) embedder from parsed options.
METHODS: dict[str, Callable[[argparse.Namespace], Any]] = {
    "node2vec": _make_node2vec,
    "svd": _make_svd,
}

_METHOD_OPTIONS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "node2vec": _add_node2vec_options,
    "svd": _add_svd_options,
}


def _make_embedder(method: str, args: argparse.Namespace):
    """The embedder of ``method``, its parameters checked before any work."""
    est = METHODS[method](args)
    est._validate_params()  # an invalid option fails now, not after loading the graph
    return est


# -- inputs ----------------------------------------------------------------
# What reading a user's file can raise: bad bytes, bad lines, a truncated or
# corrupt archive, a folder or an unreadable path.
_READ_ERRORS = (ValueError, OSError, EOFError, zlib.error)


@contextlib.contextmanager
def _reading(spec: str) -> Iterator[None]:
    """Make sure a read error names the file it came from (one line, exit 2)."""
    try:
        yield
    except CLIError:
        raise
    except _READ_ERRORS as e:
        message = _one_line(e)
        if spec in message or Path(spec).name in message:
            raise
        raise CLIError(f"cannot read {spec!r}: {message}") from e


_HEADER = {"auto": None, "yes": True, "no": False}


def _load_graph(spec: str, directed: bool, header: bool | None = None):
    """``GRAPH`` as a Bunch with ``graph``, ``nodes``/``labels`` (or None), ``name``.

    An existing path wins over a bundled dataset of the same name.
    """
    with _reading(spec):
        return _read_graph_spec(spec, directed, header)


def _read_graph_spec(spec: str, directed: bool, header: bool | None = None):
    from sklearn.utils import Bunch

    from skgraphemb import datasets
    from skgraphemb.graph import read_edgelist

    path = Path(spec)
    if path.is_dir():
        if not any((path / name).exists() for name in ("edges.tsv", "edges.tsv.gz")):
            raise CLIError(f"{spec!r} is a folder but holds no edges.tsv or edges.tsv.gz")
        return datasets.load_edgelist_dir(path, directed=directed, features=False)
    if path.exists() or Path(spec + ".gz").exists():
        from skgraphemb.graph._store import is_graph_file, load_graph

        if is_graph_file(path):  # written by Graph.save
            graph = load_graph(path)
            if directed and not graph.directed:
                raise CLIError(f"--directed: the graph saved in {spec!r} is undirected")
        else:
            graph = read_edgelist(path, directed=directed, header=header)
        return Bunch(graph=graph, nodes=None, labels=None, name=path.name)
    if spec in BUNDLED:
        if directed:
            raise CLIError(
                f"--directed applies to edge-list files and dataset folders; the bundled {spec!r} graph is undirected"
            )
        loader = getattr(datasets, BUNDLED[spec])
        return loader(features=False) if spec == "cora" else loader()
    raise CLIError(
        f"no such edge-list file, dataset folder or bundled dataset: {spec!r} (bundled: {', '.join(BUNDLED)})"
    )


def _load_labels(args: argparse.Namespace, data) -> tuple[np.ndarray, Any]:
    """Labelled node ids and their labels, kept to nodes of the graph."""
    from skgraphemb.graph import read_labels

    if args.labels is not None:
        if not (Path(args.labels).exists() or Path(args.labels + ".gz").exists()):
            raise CLIError(f"no such labels file: {args.labels!r}")
        with _reading(args.labels):
            nodes, labels = read_labels(args.labels)
        source = args.labels
    elif data.labels is not None:
        nodes, labels = np.asarray(data.nodes), data.labels
        source = f"the {data.name} labels"
    else:
        raise CLIError(f"{args.graph!r} comes with no labels: pass --labels FILE (node<TAB>label lines)")
    graph = data.graph
    keep = np.fromiter((v in graph for v in nodes.tolist()), dtype=bool, count=len(nodes))
    if not keep.any():
        raise CLIError(
            f"none of the {len(nodes)} labelled nodes in {source} is a node of the graph "
            f"(e.g. {nodes[:3].tolist()} vs graph nodes {graph.nodes[:3].tolist()})"
        )
    if not keep.all():
        print(
            f"note: ignoring {int((~keep).sum())} of {len(nodes)} labelled nodes in {source}: not nodes of the graph",
            file=sys.stderr,
        )
        nodes = nodes[keep]
        labels = labels[keep] if isinstance(labels, np.ndarray) else [lab for lab, k in zip(labels, keep) if k]
    return nodes, labels


def _check_output(path: str | None, who: str) -> Path | None:
    """Check ``-o`` before any work: known format, optional dependency present."""
    if path is None:
        return None
    out = Path(path)
    if out.suffix.lower() not in OUTPUT_FORMATS:
        raise CLIError(
            f"unknown output format {out.suffix or '(no suffix)'!r} for {path!r}; "
            f"use one of {', '.join(OUTPUT_FORMATS)}"
        )
    if out.suffix.lower() == ".parquet":
        from skgraphemb._optional import import_optional

        import_optional("pyarrow", f"{who} -o {out.name}")
    _check_writable(out, "-o")
    return out


def _check_writable(out: Path, option: str) -> None:
    """The folder of an output file exists (created if need be); the path is not a folder."""
    if out.is_dir():
        raise CLIError(f"{option} {str(out)!r} is a folder; give a file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"{option} {str(out)!r}: cannot create its folder: {_one_line(e)}") from None


def _check_int(value: int, name: str, low: int) -> None:
    if value < low:
        raise CLIError(f"{name} must be >= {low}; got {value}")


# -- outputs ---------------------------------------------------------------
def _print_written(written: list[Path], what: str) -> None:
    print(f"{what} {written[0]}")
    if len(written) > 1:  # .npy: the ids are in a file beside the matrix
        print(f"node ids (row order): {written[1]}")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Right-aligned plain-text table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [header, *rows]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in lines)


def _describe(data) -> str:
    g = data.graph
    return f"{data.name} ({g.n_nodes} nodes, {g.n_edges} {'arcs' if g.directed else 'edges'})"


def _pm(mean: float, std: float) -> str:
    return f"{mean:.3f} ± {std:.3f}"


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float, np.number)) else str(value)


# -- commands --------------------------------------------------------------
def _cmd_embed(args: argparse.Namespace) -> int:
    if args.output is None and args.redis_url is None:
        raise CLIError("say where the vectors go: -o/--output OUT (a file) and/or --redis-url URL")
    out = _check_output(args.output, "skgraphemb embed")
    est = _make_embedder(args.method, args)
    exporter = _redis_exporter(args) if args.redis_url is not None else None
    data = _load_graph(args.graph, args.directed, _HEADER[args.header])
    if out is not None:
        check_text_ids(data.graph.nodes, out)  # before the work, not after
    est.fit(data.graph)
    written = write_embedding(est, out) if out is not None else []
    print(
        f"{args.method}: embedded {_describe(data)} into {est.embedding_.shape[1]} dimensions in {est.fit_time_:.2f} s"
    )
    if written:
        _print_written(written, "wrote")
    if exporter is not None:
        _print_published(exporter.write(est))
    return 0


# -- publishing (embed --redis-url, export) ----------------------------------
#: Environment variable ``export`` reads the Redis URL from (keeps a password
#: out of the process list).
REDIS_URL_ENV = "SKGRAPHEMB_REDIS_URL"


def _redis_exporter(args: argparse.Namespace):
    """The RedisExporter of the --redis-* options, checked (and the server reached) before any work."""
    from skgraphemb.export.redis import RedisExporter

    if args.keep != 1 and not args.versioned:
        raise CLIError("--keep applies to --versioned publication")
    exporter = RedisExporter(
        args.redis_url,
        args.key_prefix,
        mode="versioned" if args.versioned else "keys",
        keep=args.keep,
        batch_size=args.batch_size,
        dtype=args.dtype,
        verbose=min(args.verbose, 1),
    )
    exporter.ping()
    return exporter


def _print_published(exporter) -> None:
    from skgraphemb.export.redis import mask_url

    version = f", version {exporter.version_}" if exporter.version_ else ""
    print(
        f"published {exporter.n_published_} vectors to {mask_url(exporter.url)} under "
        f"{exporter.key_prefix!r}{version} in {exporter.publish_time_:.2f} s"
    )


def _cmd_export(args: argparse.Namespace) -> int:
    from skgraphemb.export.files import FileEmbeddingStore

    if args.redis_url is None:
        raise CLIError(f"export needs a Redis URL: --redis-url URL or the {REDIS_URL_ENV} variable")
    if not Path(args.embeddings).is_file():
        raise CLIError(f"no such embedding file: {args.embeddings!r}")
    exporter = _redis_exporter(args)  # options and server checked first
    with _reading(args.embeddings):
        store = FileEmbeddingStore(args.embeddings)
    print(f"read {len(store)} vectors of dimension {store.dimension} from {args.embeddings}")
    _print_published(exporter.write(store))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from skgraphemb.evaluation import evaluate_node_classification

    _check_int(args.cv, "--cv", 2 if args.train_size is None else 1)
    if args.train_size is not None and not 0 < args.train_size < 1:
        raise CLIError(f"--train-size must be in (0, 1); got {args.train_size}")
    methods = [args.method] if args.methods is None else _parse_methods(args.methods)
    plot = _check_plot(args.plot, "skgraphemb evaluate --plot")
    embedders = [_make_embedder(m, args) for m in methods]
    data = _load_graph(args.graph, args.directed, _HEADER[args.header])
    nodes, labels = _load_labels(args, data)
    protocol = (
        f"{args.cv}-fold CV" if args.train_size is None else f"{args.cv} random splits, train size {args.train_size:g}"
    )
    print(f"node classification on {_describe(data)}: {len(nodes)} labelled nodes, {protocol}")
    rows, scores = [], []
    for method, est in zip(methods, embedders):
        est.fit(data.graph)
        score = evaluate_node_classification(
            est,
            labels,
            nodes=nodes,
            cv=args.cv,
            train_size=args.train_size,
            random_state=args.seed,
            n_jobs=args.n_jobs,
        )
        scores.append(score)
        rows.append(
            [method, _pm(score.mean, score.std), _pm(score.micro_mean, score.micro_std), f"{est.fit_time_:.1f} s"]
        )
    print(_table(["method", "macro-F1", "micro-F1", "embed time"], rows))
    if plot is not None:
        _plot_methods(plot, methods, scores, f"node classification on {data.name} ({protocol})")
        print(f"wrote plot to {plot}")
    return 0


def _parse_methods(text: str) -> list[str]:
    methods = [m.strip() for m in text.split(",") if m.strip()]
    if not methods:
        raise CLIError("--methods: give a comma-separated list such as node2vec,svd")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise CLIError(f"--methods: unknown method {unknown[0]!r}; choose from {', '.join(sorted(METHODS))}")
    if len(set(methods)) != len(methods):
        raise CLIError(f"--methods {text!r}: a method is listed twice")
    return methods


def _check_plot(spec: str | None, what: str) -> Path | None:
    """``--plot IMAGE`` checked before any work (matplotlib present, image suffix)."""
    if spec is None:
        return None
    from skgraphemb._optional import import_optional

    import_optional("matplotlib", what)
    from matplotlib.backend_bases import FigureCanvasBase

    plot = Path(spec)
    if plot.suffix.lower().lstrip(".") not in FigureCanvasBase.get_supported_filetypes():
        raise CLIError(f"--plot {spec!r}: use an image suffix such as .png, .svg or .pdf")
    _check_writable(plot, "--plot")
    return plot


def _save_figure(fig, path: Path) -> None:
    """``fig.savefig`` through atomic_write (a temporary file renamed over ``path``)."""
    from skgraphemb.utils._filelock import atomic_write

    with atomic_write(path) as fh:
        fig.savefig(fh, dpi=120, format=path.suffix.lower().lstrip("."))


def _plot_methods(path: Path, methods: list[str], scores: list, title: str) -> None:
    """Bar chart of macro-F1 (mean ± std over folds) per method, on an Agg canvas."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.2 * len(methods) + 2.5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    means = [s.mean for s in scores]
    ax.bar(range(len(methods)), means, yerr=[s.std for s in scores], capsize=4, color="tab:blue")
    ax.set_xticks(range(len(methods)), methods)
    for i, m in enumerate(means):
        ax.text(i, m / 2, f"{m:.3f}", ha="center", va="center", color="white")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("macro-F1")
    ax.set_title(title)
    _save_figure(fig, path)


def _parse_grid(specs: Sequence[str], est) -> dict[str, list]:
    """``--grid NAME=V1,V2,...`` options -> {parameter: values}, each value checked."""
    from sklearn.base import clone

    defaults = type(est)().get_params(deep=False)
    numeric = [
        k
        for k, v in defaults.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in _RUN_PARAMS
    ]
    grid: dict[str, list] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip().replace("-", "_")
        values = [v.strip() for v in text.split(",")]
        if not sep or not name or not all(values):
            raise CLIError(f"malformed --grid {spec!r}: expected NAME=V1,V2,... such as p=0.25,1,4")
        if name not in numeric:
            raise CLIError(
                f"--grid {spec!r}: {name!r} is not a numeric parameter of {type(est).__name__}; "
                f"choose from {', '.join(numeric)}"
            )
        if name in grid:
            raise CLIError(f"--grid {name}=... is given twice; list all its values in one --grid")
        kind = int if isinstance(defaults[name], int) else float
        try:
            grid[name] = [kind(v) for v in values]
        except ValueError:
            raise CLIError(f"--grid {spec!r}: {name} takes {'integers' if kind is int else 'numbers'}") from None
        for value in grid[name]:
            try:
                clone(est).set_params(**{name: value})._validate_params()
            except ValueError as e:
                raise CLIError(f"--grid {spec!r}: {e}") from None
    return grid


def _classifier(labels) -> tuple[Any, Any, bool]:
    """(target, classifier, multilabel): one-vs-rest on binarised multi-label targets."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    clf = LogisticRegression(max_iter=1000)
    if isinstance(labels, np.ndarray):
        return labels, clf, False
    return MultiLabelBinarizer().fit_transform(labels), OneVsRestClassifier(clf), True


def _plot_grid(path: Path, results, names: list[str], title: str) -> None:
    """Heatmap of mean macro-F1 over two grid parameters (p/q when both are tuned).

    Other tuned parameters are maximised over.  Drawn on a bare
    ``matplotlib.figure.Figure`` (Agg canvas), never touching pyplot's state.
    """
    from matplotlib.figure import Figure

    x, y = ("q", "p") if {"p", "q"} <= set(names) else (names[-1], names[0] if len(names) > 1 else None)
    if y is None:
        pivot = results.groupby(x)["mean"].max().to_frame().T
    else:
        pivot = results.pivot_table(index=y, columns=x, values="mean", aggfunc="max")
    values = pivot.to_numpy(dtype=float)
    fig = Figure(figsize=(1.3 * values.shape[1] + 2.5, 1.0 * values.shape[0] + 1.8), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(values, cmap="viridis", origin="lower", aspect="auto")
    ax.set_xticks(range(values.shape[1]), [_fmt(v) for v in pivot.columns])
    ax.set_xlabel(x)
    if y is None:
        ax.set_yticks([])
    else:
        ax.set_yticks(range(values.shape[0]), [_fmt(v) for v in pivot.index])
        ax.set_ylabel(y)
    mid, top = np.nanmean(values), np.nanmax(values)
    for (i, j), v in np.ndenumerate(values):
        ax.text(
            j,
            i,
            f"{v:.3f}",
            ha="center",
            va="center",
            color="black" if v > mid else "white",
            fontweight="bold" if v == top else "normal",
        )
    others = [n for n in names if n not in (x, y)]
    if others:
        title += f"\n(best over {', '.join(others)})"
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="macro-F1")
    _save_figure(fig, path)


def _cmd_tune(args: argparse.Namespace) -> int:
    import pandas as pd
    from sklearn.metrics import f1_score, make_scorer
    from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
    from sklearn.pipeline import Pipeline

    _check_int(args.cv, "--cv", 2)
    out = _check_output(args.output, "skgraphemb tune")
    plot = _check_plot(args.plot, "skgraphemb tune --plot")
    est = _make_embedder(args.method, args)
    grid = _parse_grid(args.grid, est)
    data = _load_graph(args.graph, args.directed, _HEADER[args.header])
    if out is not None:
        check_text_ids(data.graph.nodes, out)  # before the search, not after
    nodes, labels = _load_labels(args, data)
    y, clf, multilabel = _classifier(labels)

    n_candidates = int(np.prod([len(v) for v in grid.values()]))
    print(
        f"tuning {args.method} on {_describe(data)}: {n_candidates} candidates x {args.cv} folds, "
        f"{len(nodes)} labelled nodes, scoring macro-F1",
        flush=True,
    )
    start = time.perf_counter()
    # The embedding of a candidate does not depend on the fold (fit never
    # reads y), so a joblib cache computes it once per candidate, not per fold.
    with tempfile.TemporaryDirectory(prefix="skgraphemb-tune-") as cache:
        pipe = Pipeline([("embedder", est.set_params(graph=data.graph, memory=cache)), ("clf", clf)])
        splitter = (KFold if multilabel else StratifiedKFold)(n_splits=args.cv, shuffle=True, random_state=args.seed)
        search = GridSearchCV(
            pipe,
            {f"embedder__{k}": v for k, v in grid.items()},
            # Rare labels can be absent from a fold: score them 0, quietly.
            scoring=make_scorer(f1_score, average="macro", zero_division=0),
            cv=splitter,
            error_score="raise",
            verbose=max(args.verbose - 1, 0),
        )
        search.fit(nodes, y)
        best = search.best_estimator_.named_steps["embedder"]
        written = write_embedding(best, out) if out is not None else []

    res = search.cv_results_
    names = list(grid)
    results = pd.DataFrame([{k: p[f"embedder__{k}"] for k in names} for p in res["params"]])
    results["mean"], results["std"], results["rank"] = (
        res["mean_test_score"],
        res["std_test_score"],
        res["rank_test_score"],
    )
    results = results.sort_values(["rank", *names], kind="stable")
    rows = [
        [str(r["rank"]), *(_fmt(r[k]) for k in names), _pm(r["mean"], r["std"])] for r in results.to_dict("records")
    ]
    print(_table(["rank", *names, "macro-F1"], rows))
    best_params = " ".join(f"{k}={_fmt(search.best_params_[f'embedder__{k}'])}" for k in names)
    i = search.best_index_
    print(f"best: {best_params}  macro-F1 {_pm(res['mean_test_score'][i], res['std_test_score'][i])}")
    print(f"searched in {time.perf_counter() - start:.1f} s")
    if written:
        _print_written(written, "wrote best embedding to")
    if plot is not None:
        _plot_grid(plot, results, names, f"{args.method} on {data.name}: macro-F1, {args.cv}-fold CV")
        print(f"wrote plot to {plot}")
    return 0


# -- parser and entry point ------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skgraphemb`` command."""
    from skgraphemb._version import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "graph",
        metavar="GRAPH",
        help="edge-list file (.tsv/.csv/.edg/.txt, .gz ok), dataset folder "
        f"(edges.tsv[.gz], labels.tsv, ...) or bundled dataset ({', '.join(BUNDLED)})",
    )
    common.add_argument(
        "--method", choices=sorted(METHODS), default="node2vec", help="embedding method (default: node2vec)"
    )
    common.add_argument("--directed", action="store_true", help="read edges as arcs source -> target")
    common.add_argument(
        "--header",
        choices=sorted(_HEADER),
        default="auto",
        help="whether an edge-list file's first line names its columns (default: auto, "
        "detected only when unambiguous: a non-numeric line above numeric ids)",
    )
    common.add_argument(
        "--n-jobs", type=int, default=None, metavar="N", help="threads for the embedder (default: 1; -1: all cores)"
    )
    common.add_argument(
        "--seed", type=int, default=0, metavar="N", help="random seed for walks, training and CV folds (default: 0)"
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: progress bars and timings; -vv: also debug logs and tracebacks on errors",
    )
    for add_options in _METHOD_OPTIONS.values():
        add_options(common)

    labelled = argparse.ArgumentParser(add_help=False)
    labelled.add_argument(
        "--labels",
        metavar="FILE",
        help="node<TAB>label file (optional for dataset folders and bundled datasets that have labels)",
    )
    labelled.add_argument("--cv", type=int, default=5, metavar="K", help="number of folds (default: 5)")

    parser = argparse.ArgumentParser(
        prog="skgraphemb",
        description="Graph embeddings from the command line.",
        epilog="Run 'skgraphemb COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"skgraphemb {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "embed",
        parents=[common],
        help="embed a graph and write the vectors",
        description="Embed a graph and write its vectors to a file and/or publish them to Redis.",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file; format by suffix: "
        + "; ".join(f"{k} {v}" for k, v in OUTPUT_FORMATS.items())
        + " (required unless --redis-url is given)",
    )
    _add_redis_options(p, url_help="also publish the vectors to this Redis server")
    p.set_defaults(func=_cmd_embed)

    p = sub.add_parser(
        "evaluate",
        parents=[common, labelled],
        help="embed, then score node classification (macro/micro-F1)",
        description="Embed a graph, then score a logistic-regression probe "
        "on node labels (macro- and micro-F1, mean ± std over folds).",
    )
    p.add_argument(
        "--train-size",
        type=float,
        default=None,
        metavar="X",
        help="use --cv random splits with this training fraction instead of k-fold CV (node2vec's protocol: 0.5)",
    )
    p.add_argument(
        "--methods",
        metavar="M1,M2,...",
        help=f"compare several methods, one row each ({', '.join(sorted(METHODS))}); overrides --method",
    )
    p.add_argument("--plot", metavar="IMAGE", help="draw a bar chart of macro-F1 ± std per method; needs matplotlib")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "tune",
        parents=[common, labelled],
        help="grid-search embedder parameters against downstream macro-F1",
        description="Grid-search embedder parameters against the macro-F1 of "
        "a logistic regression on the embeddings (Pipeline + GridSearchCV; "
        "each candidate's embedding is computed once, not once per fold).",
    )
    p.add_argument(
        "--grid",
        action="append",
        required=True,
        metavar="NAME=V1,V2,...",
        help="values of a numeric embedder parameter to try, e.g. p=0.25,1,4; repeat for each parameter",
    )
    p.add_argument(
        "--plot",
        metavar="IMAGE",
        help="draw a heatmap of macro-F1 over the grid (p/q when both are tuned); needs matplotlib",
    )
    p.add_argument("-o", "--output", metavar="OUT", help="write the best candidate's embedding (formats as in 'embed')")
    p.set_defaults(func=_cmd_tune)

    p = sub.add_parser(
        "export",
        help="publish embeddings from a file to Redis",
        description="Publish the vectors of a file written by 'embed -o' "
        "(.npz, .npy, .parquet, .txt, .emb) to Redis, for serving.",
    )
    p.add_argument("embeddings", metavar="EMBEDDINGS", help="embedding file written by 'embed -o'")
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: progress bar and timings; -vv: also tracebacks on errors",
    )
    _add_redis_options(
        p, url_help=f"the Redis server (default: ${REDIS_URL_ENV})", url_default=os.environ.get(REDIS_URL_ENV)
    )
    p.set_defaults(func=_cmd_export)
    return parser


def _add_redis_options(parser: argparse.ArgumentParser, url_help: str, url_default: str | None = None) -> None:
    group = parser.add_argument_group("Redis options (see RedisExporter)")
    group.add_argument(
        "--redis-url",
        metavar="URL",
        default=url_default,
        help=f"{url_help}: redis://[user:password@]host:port/db, rediss:// for TLS",
    )
    group.add_argument(
        "--key-prefix",
        default="emb:",
        metavar="PREFIX",
        help="prefix of the keys (default: emb:; keys are PREFIX<node>)",
    )
    group.add_argument(
        "--versioned",
        action="store_true",
        help="publish a new version and switch readers to it atomically once "
        "complete (default: plain keys, readable by any redis client)",
    )
    group.add_argument(
        "--keep",
        type=int,
        default=1,
        metavar="N",
        help="with --versioned: complete versions kept, the new one included (default: 1)",
    )
    group.add_argument(
        "--batch-size", type=int, default=2000, metavar="N", help="vectors per round trip (default: 2000)"
    )
    group.add_argument(
        "--dtype",
        choices=["float16", "float32", "float64"],
        default="float32",
        help="dtype of the published vectors (default: float32)",
    )


@contextlib.contextmanager
def _logging(verbose: int) -> Iterator[None]:
    """Send the package's log records to stderr while a command runs (-v)."""
    if not verbose:
        yield
        return
    pkg = logging.getLogger("skgraphemb")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    old_level = pkg.level
    pkg.addHandler(handler)
    pkg.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    try:
        yield
    finally:
        pkg.removeHandler(handler)
        pkg.setLevel(old_level)


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.strerror}: {e.filename!r}"
    return " ".join(str(e).split()) or type(e).__name__


# What counts as the user's error (bad file, bad option, missing extra); the
# library's messages for these say what to do, so a traceback adds nothing.
# ArithmeticError: a fit refused for numbers out of range (TrainingDivergedError:
# lower alpha; SVDEmbedder: weights too large); EOFError and zlib.error: a
# truncated or corrupt archive.
_USER_ERRORS = (
    CLIError,
    OSError,
    ValueError,
    ImportError,
    RedisStoreError,
    ArithmeticError,
    InsufficientMemoryError,
    EOFError,
    zlib.error,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skgraphemb`` command; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        0 on success, 2 on a usage or input error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help/--version (0) or a usage error (2)
        return e.code if isinstance(e.code, int) else 0
    # One BLAS thread: the linear algebra here is many small logistic
    # regressions (thousands of rows, <= a few hundred columns), where BLAS
    # threads add synchronisation, not speed; on a busy machine their
    # spin-waiting made a 3x3 Cora grid search ~10x slower.  The embedders'
    # own threads (--n-jobs) are not affected.
    from threadpoolctl import threadpool_limits

    try:
        with _logging(args.verbose), threadpool_limits(limits=1, user_api="blas"):
            return args.func(args)
    except _USER_ERRORS as e:
        if args.verbose >= 2:
            raise
        print(f"skgraphemb {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"skgraphemb {args.command}: interrupted", file=sys.stderr)
        return 130
