"""Scale runs: node2vec on generated graphs of 200k to 10M nodes, memory estimate
against measured peak, saved graphs, and two fits in two threads.

Sections (each contender runs in a fresh child process; "peak" is the child's
``ru_maxrss``, everything it ever held resident, the graph included):

``node2vec``
    ``Node2VecEmbedder`` on a Chung-Lu graph from ``gen_graph.py``.
    Contenders: ``streamed`` (today's fit: walks in chunks) and
    ``materialised`` (the pre-0.1 path: ``random_walks`` builds the whole walk
    matrix, then ``train_skipgram``; same walks, same vectors), side by side
    in one run.  Prints the fit's own memory estimate (``memory_estimate_``)
    next to the measured peak, walk steps/s and training tokens/s, and for
    the streamed fit a projection to ``--project-walks`` walks per node.
``store``
    ``as_graph`` of the edge array, ``Graph.save``, ``load_graph`` (mmap and
    in memory), with times and peaks.
``spectral``
    ``ProNEEmbedder`` and ``FastRPEmbedder`` (defaults, 128 dimensions) on
    the same graph, one child process each: fit time, fit CPU seconds and
    peak RSS (the issue's target at 10M nodes / 100M edges: 15 minutes and
    16 GB each).
``threads``
    Two fits in two Python threads against the same two fits in a row
    (``n_jobs=1`` each): the numba kernels release the GIL, so on two cores
    the ratio should be well under 1.

Run::

    python benchmarks/bench_scale.py node2vec --nodes 200000 --edges 2000000 --num-walks 40
    python benchmarks/bench_scale.py node2vec --nodes 1000000 --edges 10000000 --num-walks 10
    python benchmarks/bench_scale.py store --nodes 10000000 --edges 100000000
    python benchmarks/bench_scale.py node2vec --nodes 10000000 --edges 100000000 --num-walks 2 \\
        --contenders streamed --saved      # the saved graph of the store section, memory-mapped
    python benchmarks/bench_scale.py spectral --nodes 10000000 --edges 100000000 --saved
    python benchmarks/bench_scale.py threads --repeats 3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _machine import describe_machine  # noqa: E402


def _graph_path(args) -> Path:
    return args.cache / f"chung_lu_n{args.nodes}_m{args.edges}_s{args.seed}.skgraph"


def _load_graph(args):
    """The benchmark graph: the saved file (memory-mapped) or built from the edge array."""
    import skgraphemb as sge

    if args.saved:
        path = _graph_path(args)
        if not path.exists():
            raise SystemExit(f"{path} does not exist: run the 'store' section first")
        return sge.load_graph(path, mmap=True)
    from gen_graph import load_or_generate

    edges = load_or_generate(args.cache, args.nodes, args.edges, seed=args.seed)
    graph = sge.as_graph(edges)
    del edges
    return graph


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_node2vec(args) -> dict:
    import numpy as np

    import skgraphemb as sge

    t0 = time.perf_counter()
    graph = _load_graph(args)
    t1 = time.perf_counter()
    params = dict(
        n_components=args.dimensions,
        walk_length=args.walk_length,
        num_walks=args.num_walks,
        p=args.p,
        q=args.q,
        window=args.window,
        n_jobs=args.threads,
        random_state=args.seed,
        verbose=args.verbose,
    )
    emb = sge.Node2VecEmbedder(**params)
    cpu0 = _cpu_seconds()
    if args.contender == "streamed":
        emb.fit(graph)
        estimate = emb.memory_estimate_
        walk_s, train_s, embedding = emb.walk_time_, emb.train_time_, emb.embedding_
    else:  # the materialised path: the whole walk matrix, then the trainer
        from skgraphemb.skipgram import train_skipgram
        from skgraphemb.utils._random_state import seed_from_random_state
        from skgraphemb.walks import random_walks

        estimate = emb.estimate_memory(graph)
        # ... plus the walk matrix, which this path holds whole
        estimate.parts["walk matrix"] = args.num_walks * graph.n_nodes * args.walk_length * 4
        seed = seed_from_random_state(args.seed)
        s0 = time.perf_counter()
        walks = random_walks(
            graph,
            walk_length=args.walk_length,
            num_walks=args.num_walks,
            p=args.p,
            q=args.q,
            random_state=seed,
            n_jobs=args.threads,
        )
        s1 = time.perf_counter()
        embedding = train_skipgram(
            walks,
            graph.n_nodes,
            dimensions=args.dimensions,
            window=args.window,
            min_alpha=0.0125,
            seed=seed,
            n_jobs=args.threads,
        )
        walk_s, train_s = s1 - s0, time.perf_counter() - s1
    t2 = time.perf_counter()
    tokens = args.num_walks * graph.n_nodes * args.walk_length
    return {
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "load_s": t1 - t0,
        "fit_s": t2 - t1,
        "walk_s": walk_s,
        "train_s": train_s,
        "tokens": tokens,
        "cpu_s": _cpu_seconds() - cpu0,
        "estimate_total_gb": estimate.total / 1e9,
        "estimate_peak_gb": estimate.peak / 1e9,
        "estimate_baseline_gb": estimate.baseline / 1e9,
        "estimate_parts": estimate.parts,
        "finite": bool(np.isfinite(embedding).all()),
        "peak_gb": _peak_gb() * 1024**3 / 1e9,
    }


def child_spectral(args) -> dict:
    import logging

    import numpy as np

    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")

    import skgraphemb as sge

    t0 = time.perf_counter()
    graph = _load_graph(args)
    load_s = time.perf_counter() - t0
    cls = {"prone": sge.ProNEEmbedder, "fastrp": sge.FastRPEmbedder}[args.contender]
    emb = cls(n_components=args.dimensions, n_jobs=args.threads, random_state=args.seed, verbose=args.verbose)
    cpu0, t1 = _cpu_seconds(), time.perf_counter()
    emb.fit(graph)
    fit_s, cpu_s = time.perf_counter() - t1, _cpu_seconds() - cpu0
    Z = emb.embedding_
    return {
        "load_s": load_s,
        "fit_s": fit_s,
        "cpu_s": cpu_s,
        "peak_gb": _peak_gb(),
        "shape": list(Z.shape),
        "finite": bool(np.isfinite(Z).all()),
    }


def child_store(args) -> dict:
    from gen_graph import load_or_generate

    import skgraphemb as sge

    t0 = time.perf_counter()
    edges = load_or_generate(args.cache, args.nodes, args.edges, seed=args.seed)
    t1 = time.perf_counter()
    graph = sge.as_graph(edges)
    del edges
    t2 = time.perf_counter()
    path = _graph_path(args)
    graph.save(path)
    t3 = time.perf_counter()
    size = path.stat().st_size
    peak_build = _peak_gb() * 1024**3 / 1e9
    del graph
    return {
        "generate_or_read_s": t1 - t0,
        "as_graph_s": t2 - t1,
        "save_s": t3 - t2,
        "file_gb": size / 1e9,
        "peak_gb": peak_build,
        "path": str(path),
    }


def child_load(args) -> dict:
    import skgraphemb as sge

    path = _graph_path(args)
    t0 = time.perf_counter()
    graph = sge.load_graph(path, mmap=bool(args.mmap), verify=bool(args.verify))
    t1 = time.perf_counter()
    return {"load_s": t1 - t0, "nodes": graph.n_nodes, "peak_gb": _peak_gb() * 1024**3 / 1e9}


def child_threads(args) -> dict:
    import threading

    import networkx as nx

    import skgraphemb as sge

    graph = sge.as_graph(nx.barabasi_albert_graph(args.nodes, 5, seed=args.seed))
    params = dict(n_components=64, walk_length=40, num_walks=5, q=0.5, n_jobs=1)

    def fit(seed):
        sge.Node2VecEmbedder(**params, random_state=seed).fit(graph)

    fit(0)  # compile / load the kernels
    rows = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        fit(1)
        fit(2)
        in_a_row = time.perf_counter() - t
        t = time.perf_counter()
        threads = [threading.Thread(target=fit, args=(s,)) for s in (1, 2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        rows.append((in_a_row, time.perf_counter() - t))
    return {"rows": rows, "nodes": args.nodes}


def run_child(section: str, argv: list[str], extra: list[str] = (), echo_log: bool = False) -> dict:
    cmd = [sys.executable, __file__, section, "--child", *argv, *extra]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"child failed: {' '.join(cmd)}")
    if echo_log:  # the child's log lines (phase timings with --verbose 1)
        for line in out.stderr.splitlines():
            if line.startswith("skgraphemb"):
                print("    " + line)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("section", choices=["node2vec", "store", "threads", "spectral"])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--p", type=float, default=1.0)
    parser.add_argument("--q", type=float, default=1.0)
    parser.add_argument("--dimensions", type=int, default=128)
    parser.add_argument("--walk-length", type=int, default=80)
    parser.add_argument("--num-walks", type=int, default=10)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument("--project-walks", type=int, default=10)
    parser.add_argument(
        "--contenders",
        nargs="+",
        default=None,
        choices=["streamed", "materialised", "prone", "fastrp"],
        help="node2vec: streamed, materialised (default both); spectral: prone, fastrp (default both)",
    )
    parser.add_argument("--saved", action="store_true", help="use the graph saved by the store section (mmap)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "skgraphemb-bench-graphs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--contender", default="streamed", help=argparse.SUPPRESS)
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mmap", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--verify", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    raw = list(argv if argv is not None else sys.argv[1:])[1:]
    if args.contenders is None:
        args.contenders = ["prone", "fastrp"] if args.section == "spectral" else ["streamed", "materialised"]

    if args.child:
        fn = {
            "node2vec": child_node2vec,
            "store": child_store,
            "threads": child_threads,
            "spectral": child_spectral,
        }[args.section]
        if args.section == "store" and args.load:
            fn = child_load
        print(json.dumps(fn(args)))
        return 0

    print(describe_machine())
    if args.section == "node2vec":
        print(
            f"node2vec: {args.nodes:,} nodes, {args.edges:,} edges, d={args.dimensions}, "
            f"walk_length={args.walk_length}, num_walks={args.num_walks}, window={args.window}, "
            f"p={args.p:g} q={args.q:g}, {args.threads} threads"
        )
        header = (
            f"{'contender':<13} {'fit s':>8} {'walks s':>8} {'train s':>8} {'Msteps/s':>9} {'Mtok/s':>7} "
            f"{'estimate GB':>11} {'peak GB':>8} {'est/peak':>8}"
        )
        # Compile (or load) the kernels once in a throw-away child, so that
        # no contender pays numba's compilation and the cache is warm.
        for name in args.contenders:
            run_child(
                "node2vec",
                ["--nodes", "2000", "--edges", "10000", "--num-walks", "1", "--cache", str(args.cache)],
                ["--contender", name],
            )
        print(header)
        for name in args.contenders:
            r = run_child("node2vec", raw, ["--contender", name])
            steps = r["tokens"] - r["tokens"] // args.walk_length
            print(
                f"{name:<13} {r['fit_s']:8.1f} {r['walk_s']:8.1f} {r['train_s']:8.1f} "
                f"{steps / max(r['walk_s'], 1e-9) / 1e6:9.1f} {r['tokens'] / max(r['train_s'], 1e-9) / 1e6:7.2f} "
                f"{r['estimate_peak_gb']:11.2f} {r['peak_gb']:8.2f} {r['estimate_peak_gb'] / r['peak_gb']:8.2f}",
                flush=True,
            )
            parts = ", ".join(f"{k} {v / 1e9:.3f}" for k, v in r["estimate_parts"].items())
            print(
                f"    estimate: baseline {r['estimate_baseline_gb']:.3f} GB + fit {r['estimate_total_gb']:.3f} GB "
                f"({parts}); graph loaded in {r['load_s']:.1f} s; fit CPU {r['cpu_s']:.1f} s; finite: {r['finite']}"
            )
            if name == "streamed" and args.project_walks != args.num_walks:
                scale = args.project_walks / args.num_walks
                print(
                    f"    projection to num_walks={args.project_walks}: fit about "
                    f"{r['fit_s'] * scale:.0f} s, the same peak memory (walks are streamed)"
                )
    elif args.section == "spectral":
        print(f"spectral: {args.nodes:,} nodes, {args.edges:,} edges, d={args.dimensions}, {args.threads} threads")
        for name in args.contenders:  # compile (or load) the kernels in a throw-away child
            run_child(
                "spectral", ["--nodes", "2000", "--edges", "10000", "--cache", str(args.cache)], ["--contender", name]
            )
        print(f"{'contender':<10} {'fit s':>8} {'fit CPU s':>10} {'peak GB':>8} {'load s':>7}  finite")
        for name in args.contenders:
            r = run_child("spectral", raw, ["--contender", name], echo_log=bool(args.verbose))
            print(
                f"{name:<10} {r['fit_s']:8.1f} {r['cpu_s']:10.1f} {r['peak_gb']:8.2f} {r['load_s']:7.1f}  "
                f"{r['finite']}",
                flush=True,
            )
    elif args.section == "store":
        r = run_child("store", raw)
        print(
            f"as_graph of {args.edges:,} edges: {r['as_graph_s']:.1f} s (edge array ready in "
            f"{r['generate_or_read_s']:.1f} s), peak {r['peak_gb']:.2f} GB"
        )
        print(f"Graph.save: {r['save_s']:.1f} s, {r['file_gb']:.2f} GB file {r['path']}")
        for mmap, verify in ((1, 1), (1, 0), (0, 1)):
            r = run_child("store", raw, ["--load", "--mmap", str(mmap), "--verify", str(verify)])
            print(
                f"load_graph(mmap={bool(mmap)}, verify={bool(verify)}): {r['load_s']:.2f} s, peak {r['peak_gb']:.2f} GB"
            )
    else:
        r = run_child("threads", raw)
        ratios = sorted(par / seq for seq, par in r["rows"])
        print(f"two node2vec fits (BA graph, {r['nodes']:,} nodes, n_jobs=1 each): in a row vs in two threads")
        for seq, par in r["rows"]:
            print(f"  in a row {seq:6.2f} s   two threads {par:6.2f} s   ratio {par / seq:.2f}")
        print(f"  ratio min {ratios[0]:.2f}, median {ratios[len(ratios) // 2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
