"""The commands of the ``skgraphemb`` command line, its parser and entry point."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from skgraphemb.cli._errors import _USER_ERRORS, CLIError, _one_line
from skgraphemb.cli._inputs import (
    _HEADER,
    BUNDLED,
    _check_int,
    _check_output,
    _check_plot,
    _load_graph,
    _load_labels,
    _reading,
)
from skgraphemb.cli._methods import METHODS, _add_method_options, _make_embedder, method_label
from skgraphemb.cli._output import _describe, _fmt, _pm, _print_written, _table
from skgraphemb.export.files import OUTPUT_FORMATS, check_text_ids, write_embedding


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
        f"{method_label(args.method, args)}: embedded {_describe(data)} into {est.embedding_.shape[1]} dimensions "
        f"in {est.fit_time_:.2f} s"
    )
    if written:
        _print_written(written, "wrote")
    if exporter is not None:
        _print_published(exporter.write(est))
    return 0


def _cmd_warmup(args: argparse.Namespace) -> int:
    """Compile skgraphemb's numba kernels into numba's on-disk cache: the
    integer edge-list reader and the spectral embedders (node2vec's walks
    and trainer and the graph builder are C, compiled at install)."""
    import tempfile

    import networkx as nx

    from skgraphemb._kernels._numba_cache import cache_location
    from skgraphemb.graph import read_edgelist
    from skgraphemb.spectral import FastRPEmbedder, ProNEEmbedder
    from skgraphemb.svd import SVDEmbedder

    graph = nx.karate_club_graph()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="skgraphemb-warmup-") as folder:
        path = os.path.join(folder, "edges.tsv")
        with open(path, "w") as f:  # integer ids: the parallel parser and the id ranking
            f.writelines(f"{u}\t{v}\n" for u, v in graph.edges)
        read_edgelist(path)
    for est in (ProNEEmbedder(n_components=8), FastRPEmbedder(n_components=8), SVDEmbedder(n_components=8)):
        est.set_params(random_state=0).fit(graph)
    print(f"warmup: compiled the numba kernels in {time.perf_counter() - start:.1f} s, cached in {cache_location()}")
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
            [
                method_label(method, args),
                _pm(score.mean, score.std),
                _pm(score.micro_mean, score.micro_std),
                f"{est.fit_time_:.1f} s",
            ]
        )
    print(_table(["method", "macro-F1", "micro-F1", "embed time"], rows))
    if plot is not None:
        from skgraphemb.plotting import _plot_methods

        _plot_methods(
            plot, [method_label(m, args) for m in methods], scores, f"node classification on {data.name} ({protocol})"
        )
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


def _parse_grid(specs: Sequence[str], est) -> dict[str, list]:
    """``--grid NAME=V1,V2,...`` options -> {parameter: values}, each value checked.

    With ``--propagate`` the estimator is a SpectralPropagation: its own
    parameters (order, mu, theta) keep their names, and a name only the
    wrapped method has (``p``) means that one (``embedder__p``); the wrapped
    method's ``order`` is ``embedder__order``.
    """
    from sklearn.base import clone

    from skgraphemb.evaluation import _numeric_params

    numeric = _numeric_params(est)
    grid: dict[str, list] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip().replace("-", "_")
        values = [v.strip() for v in text.split(",")]
        if not sep or not name or not all(values):
            raise CLIError(f"malformed --grid {spec!r}: expected NAME=V1,V2,... such as p=0.25,1,4")
        if name not in numeric and f"embedder__{name}" in numeric:
            name = f"embedder__{name}"  # --propagate: the wrapped method's parameter (its own come first)
        if name not in numeric:
            raise CLIError(
                f"--grid {spec!r}: {name!r} is not a numeric parameter of {type(est).__name__}; "
                f"choose from {', '.join(numeric)}"
            )
        if name in grid:
            raise CLIError(f"--grid {name}=... is given twice; list all its values in one --grid")
        kind = numeric[name]
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


def _cmd_tune(args: argparse.Namespace) -> int:
    import pandas as pd

    from skgraphemb.evaluation import _grid_search

    _check_int(args.cv, "--cv", 2)
    out = _check_output(args.output, "skgraphemb tune")
    plot = _check_plot(args.plot, "skgraphemb tune --plot")
    est = _make_embedder(args.method, args)
    grid = _parse_grid(args.grid, est)
    data = _load_graph(args.graph, args.directed, _HEADER[args.header])
    if out is not None:
        check_text_ids(data.graph.nodes, out)  # before the search, not after
    nodes, labels = _load_labels(args, data)

    n_candidates = int(np.prod([len(v) for v in grid.values()]))
    print(
        f"tuning {method_label(args.method, args)} on {_describe(data)}: {n_candidates} candidates x {args.cv} folds, "
        f"{len(nodes)} labelled nodes, scoring macro-F1",
        flush=True,
    )
    start = time.perf_counter()
    search = _grid_search(est, data.graph, nodes, labels, grid, args.cv, args.seed, verbose=max(args.verbose - 1, 0))
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
        from skgraphemb.plotting import _plot_grid

        _plot_grid(
            plot,
            results,
            names,
            f"{method_label(args.method, args)} on {data.name}: macro-F1, {args.cv}-fold CV",
            fmt=_fmt,
        )
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
    _add_method_options(common)

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

    p = sub.add_parser(
        "warmup",
        help="compile the numba kernels now, so that first uses are fast",
        description="Compile skgraphemb's numba kernels (the integer edge-list reader, ProNE, FastRP, SVD) "
        "into numba's on-disk cache, and print where it is; node2vec's kernels and the graph builder are C, "
        "compiled at install. Run once after installing or upgrading.",
    )
    p.add_argument("-v", "--verbose", action="count", default=0, help="-vv: tracebacks on errors")
    p.set_defaults(func=_cmd_warmup)
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
    from skgraphemb.utils._threads import blas_threads

    try:
        with _logging(args.verbose), blas_threads(1):
            return args.func(args)
    except _USER_ERRORS as e:
        if args.verbose >= 2:
            raise
        print(f"skgraphemb {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"skgraphemb {args.command}: interrupted", file=sys.stderr)
        return 130
