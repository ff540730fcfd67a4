"""Skip-gram trainers side by side: the native SGNS trainer against gensim.

All trainers see the same walks (DeepWalk-style uniform walks from
:func:`skgraphemb.walks.random_walks`) and the same parameters; the runs are
interleaved so that a change in machine load hits every trainer alike.  For
each trainer the script reports wall time (min and median over the repeats),
CPU time, tokens per second, the speed-up over the faster of the gensim
modes run (by median; ``corpus_file`` mode is not always the faster: on a
2-vCPU AMD EPYC host its iterable mode took 0.68-0.72 of the time), the
speed-up of each native schedule over the gensim mode that decays its
learning rate alike, and the quality of the embeddings on the multi-label
node-classification task of DeepWalk and node2vec (one-vs-rest logistic
regression, 50% of the nodes labelled, 5 random splits, each test node
predicted its top-k labels with k its true number of labels).

Trainers:

* ``native``: :func:`skgraphemb.skipgram.train_skipgram` (deterministic
  rounds, the default: the same vectors for any thread count).
* ``native-hogwild``: the same with ``deterministic=False`` (lock-free
  updates from all threads, as gensim's workers).
* ``gensim-file``: gensim's Word2Vec in ``corpus_file`` mode (the adapter's
  default).  Note that this mode decays each worker's learning rate only to
  about ``alpha - (alpha - min_alpha) / threads``, which changes quality.
* ``gensim-iterable``: gensim fed a lazy iterable of token lists, whose
  schedule ends at ``min_alpha`` like the native trainer's.
* ``native-fileschedule``: the native trainer with ``min_alpha`` set to where
  gensim's ``corpus_file`` mode ends, to compare quality at equal schedules.

With ``--first-fit`` it times instead what a new user meets first, each
run in a fresh Python process, interleaved: a node2vec fit of karate with
p=q=1 and then q=0.5 (``n_jobs=2``, other parameters the defaults) with an
empty numba cache ("cold") and with the cache that run left ("warm");
importing gensim and training its Word2Vec on the same walks with the same
parameters; ``import sklearn``; and an empty interpreter.

Usage::

    python benchmarks/bench_skipgram.py                    # BlogCatalog, 2 threads, 3 repeats
    python benchmarks/bench_skipgram.py --repeats 2 --trainers native gensim-file
    python benchmarks/bench_skipgram.py --first-fit --repeats 3
    python benchmarks/bench_skipgram.py --roofline --repeats 3

With ``--roofline`` it counts the arithmetic the native trainer does on the
walks (every (context, target) pair of every window, replayed from the
trainer's own random streams: a dot product and two axpys of length ``d``,
``6 d`` FLOP per pair) and divides it by the trainer's CPU time, on one
thread and on ``--threads``: tokens/s/core and GFLOP/s per core, against
the fp32 matrix-product rate of one core measured in the same run
(numpy's BLAS ``sgemm`` on 2,048 x 2,048 matrices, limited to one thread),
which is about the attainable peak.  Hardware counters are not read:
they are often unavailable on shared machines.

Needs ``../shared/data/blogcatalog`` (``--data`` to point elsewhere).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _data import missing_dataset  # sibling modules (benchmarks/ is on sys.path)
from _machine import describe_machine

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "blogcatalog"
TRAINERS = ("native", "native-hogwild", "gensim-file", "gensim-iterable", "native-fileschedule")
# Native trainer and the gensim mode whose learning rate ends where its does:
# the default decays to min_alpha as gensim's iterable mode does, and
# corpus_file mode stops where native-fileschedule does.
SAME_SCHEDULE = (
    ("native", "gensim-iterable"),
    ("native-hogwild", "gensim-iterable"),
    ("native-fileschedule", "gensim-file"),
)


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset folder (edges.tsv.gz, labels.tsv)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per trainer")
    parser.add_argument("--trainers", nargs="+", choices=TRAINERS, default=list(TRAINERS))
    parser.add_argument("--walk-length", type=int, default=80)
    parser.add_argument("--num-walks", type=int, default=10)
    parser.add_argument("--dimensions", type=int, default=128)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--splits", type=int, default=5, help="random 50/50 splits for F1")
    parser.add_argument("--first-fit", action="store_true", help="time first fits in fresh processes (karate)")
    parser.add_argument(
        "--roofline", action="store_true", help="the native trainer's FLOP rate against one core's sgemm rate"
    )
    return parser.parse_args(argv)


_FIT = """
import networkx as nx
import skgraphemb as sge
G = nx.karate_club_graph()
for q in (1.0, 0.5):
    sge.Node2VecEmbedder(q=q, n_jobs=2, random_state=0).fit(G)
"""
_GENSIM = """
import sys
import numpy as np
from gensim.models import Word2Vec
for path in sys.argv[1:]:
    walks = np.load(path)
    sentences = [[str(v) for v in w[w >= 0]] for w in walks]
    Word2Vec(sentences, vector_size=128, window=10, min_count=0, sg=1, hs=0, negative=5, sample=0.001,
             workers=2, epochs=1, seed=0)
"""


def _first_fit(args) -> int:
    """Cold and warm first fits in fresh processes beside gensim and ``import sklearn``."""
    import resource
    import subprocess
    import tempfile

    import networkx as nx

    from skgraphemb.walks import random_walks

    root = Path(__file__).resolve().parents[1]
    tmp = Path(tempfile.mkdtemp(prefix="bench-first-fit-"))
    paths = []
    for q in (1.0, 0.5):  # walks of the fit's size (the defaults: 10 per node, 80 steps), for gensim
        walks = random_walks(nx.karate_club_graph(), walk_length=80, num_walks=10, q=q, random_state=0, n_jobs=2)
        paths.append(str(tmp / f"walks-{q}.npy"))
        np.save(paths[-1], walks)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    # Bytecode of the checkout, as pip writes it for an installed package:
    # where PYTHONDONTWRITEBYTECODE is set, each child would otherwise compile
    # the package's sources again (about 0.1 s), which no user pays twice.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "skgraphemb")], check=True)

    def timed(code, cache=None, *argv):
        run_env = dict(env, NUMBA_CACHE_DIR=str(cache)) if cache is not None else env
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, *argv], env=run_env, check=True, cwd=tmp)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    cases = ("skgraphemb cold", "skgraphemb warm", "gensim", "import sklearn", "python -c pass")
    times = {name: [] for name in cases}
    print(f"karate, p=q=1 then q=0.5, n_jobs=2, defaults otherwise; {describe_machine()} at start")
    for rep in range(args.repeats):
        cache = tmp / f"cache-{rep}"  # empty: numba compiles everything
        times["skgraphemb cold"].append(timed(_FIT, cache))
        times["skgraphemb warm"].append(timed(_FIT, cache))
        times["gensim"].append(timed(_GENSIM, None, *paths))
        times["import sklearn"].append(timed("import sklearn"))
        times["python -c pass"].append(timed("pass"))
        print(f"  run {rep + 1}/{args.repeats}: " + ", ".join(f"{n} {times[n][-1][0]:.2f}s" for n in cases), flush=True)
    gensim = statistics.median(w for w, _ in times["gensim"])
    sklearn = [w for w, _ in times["import sklearn"]]
    header = (
        f"{'process':<18s} {'wall min':>9s} {'median':>8s} {'CPU':>7s} {'/ gensim':>9s} {'- import sklearn':>17s}"
        f" {'paired':>7s}"
    )
    print()
    print(header)
    print("-" * len(header))
    for name in cases:
        wall = [w for w, _ in times[name]]
        median = statistics.median(wall)
        paired = statistics.median(w - s for w, s in zip(wall, sklearn, strict=True))
        print(
            f"{name:<18s} {min(wall):8.2f}s {median:7.2f}s {statistics.median(c for _, c in times[name]):6.2f}s "
            f"{median / gensim:8.2f}x {median - statistics.median(sklearn):+16.2f}s {paired:+6.2f}s"
        )
    print(
        f"\nmedians of {args.repeats} runs; CPU: user+system of the child; paired: median over runs of the "
        f"difference from that run's `import sklearn`; load average {os.getloadavg()[0]:.2f}"
    )
    return 0


def _count_pairs(walks, counts, args, seed):
    """(context, target) pairs the native trainer computes on ``walks`` with ``seed``:
    its own plan (subsampling, window sizes) replayed from its streams."""
    import numba

    from skgraphemb._kernels._random import item_state, next_below, next_u64
    from skgraphemb.skipgram._corpus import _TRAIN_STREAM, _keep_thresholds, _substream_seed

    @numba.njit(nogil=True)
    def pairs(walks, keep, window, negative, seed):
        # The trainer's draws in its order (_sgns.h: sgns_plan_walk): one per
        # token for subsampling, then per kept token its window and, when the
        # walk keeps two tokens or more, one draw per negative.
        total = 0
        for i in range(walks.shape[0]):
            state = item_state(seed, i)
            length = 0
            for t in range(walks.shape[1]):
                v = walks[i, t]
                if v < 0:
                    break
                if (next_u64(state) >> np.uint64(32)) < keep[v]:
                    length += 1
            for c in range(length):
                width = window - next_below(state, window)
                total += min(length, c + width + 1) - max(0, c - width) - 1
                if length > 1:
                    for _ in range(negative):
                        next_u64(state)
        return total * (negative + 1)

    keep = _keep_thresholds(counts, int(counts.sum()), 1e-3)
    return pairs(walks, keep, args.window, args.negative, _substream_seed(seed, _TRAIN_STREAM))


def _roofline(args, walks, n_nodes) -> int:
    """The native trainer's FLOP rate per core against one core's sgemm rate
    (one epoch, whatever ``--epochs`` says: the count replays its streams)."""
    from threadpoolctl import threadpool_limits

    from skgraphemb.skipgram import train_skipgram

    tokens = int((walks >= 0).sum())
    counts = np.bincount(walks[walks >= 0], minlength=n_nodes).astype(np.int64)
    flop = 6 * args.dimensions * _count_pairs(walks, counts, args, seed=0)
    print(
        f"one epoch: {flop / 1e9:.1f} GFLOP for {tokens / 1e6:.2f}M tokens: {flop / tokens / 1e3:.1f} kFLOP per token"
    )
    rng = np.random.default_rng(0)
    a, b = rng.random((2048, 2048), dtype=np.float32), rng.random((2048, 2048), dtype=np.float32)
    gemm = []
    rows = []
    for rep in range(args.repeats):
        with threadpool_limits(1):
            a @ b  # warm-up
            t = time.perf_counter()
            a @ b
            gemm.append(2 * 2048**3 / (time.perf_counter() - t) / 1e9)
        for threads in sorted({1, args.threads}):
            for deterministic in (True, False):
                c = time.process_time()
                train_skipgram(
                    walks, n_nodes, dimensions=args.dimensions, window=args.window, negative=args.negative,
                    seed=0, n_jobs=threads, deterministic=deterministic,
                )  # fmt: skip
                rows.append((threads, deterministic, time.process_time() - c))
        print(f"  run {rep + 1}/{args.repeats}: sgemm {gemm[-1]:.1f} GFLOP/s", flush=True)
    peak = max(gemm)
    header = f"{'trainer':<24s} {'CPU s min':>10s} {'tokens/s/core':>14s} {'GFLOP/s/core':>13s} {'of sgemm':>9s}"
    print(f"\nsgemm, one thread: {peak:.1f} GFLOP/s (best of {args.repeats}; median {statistics.median(gemm):.1f})")
    print(header)
    print("-" * len(header))
    for threads in sorted({1, args.threads}):
        for deterministic in (True, False):
            cpu = min(c for t, d, c in rows if t == threads and d == deterministic)
            name = f"{'deterministic' if deterministic else 'Hogwild'}, {threads} thread{'s' * (threads > 1)}"
            print(
                f"{name:<24s} {cpu:9.2f}s {tokens / cpu / 1e6:12.3f}M {flop / cpu / 1e9:13.2f} "
                f"{flop / cpu / 1e9 / peak:8.1%}"
            )
    print(f"\nCPU s: process CPU time (all threads), min of {args.repeats}; load average {os.getloadavg()[0]:.2f}")
    return 0


def _trainer(name, args, min_alpha):
    from skgraphemb.skipgram import train_gensim, train_skipgram

    common = dict(
        dimensions=args.dimensions,
        window=args.window,
        negative=args.negative,
        epochs=args.epochs,
        n_jobs=args.threads,
    )
    if name == "native":
        return lambda walks, n, seed: train_skipgram(walks, n, seed=seed, **common)
    if name == "native-hogwild":
        return lambda walks, n, seed: train_skipgram(walks, n, seed=seed, deterministic=False, **common)
    if name == "native-fileschedule":
        # Where gensim's corpus_file mode ends its decay with `threads` workers.
        end = 0.025 - (0.025 - min_alpha) / args.threads
        return lambda walks, n, seed: train_skipgram(walks, n, seed=seed, min_alpha=end, **common)
    corpus = name.split("-")[1]
    return lambda walks, n, seed: train_gensim(walks, n, seed=seed, corpus=corpus, **common)


def main(argv=None) -> int:
    args = _parse_args(argv)
    if args.first_fit:
        return _first_fit(args)
    if missing_dataset("bench_skipgram", args.data):
        return 1

    import numba
    import pandas as pd

    from skgraphemb import evaluate_node_classification, load_edgelist_dir
    from skgraphemb.skipgram import train_skipgram
    from skgraphemb.walks import random_walks

    data = load_edgelist_dir(args.data)
    graph = data.graph
    t = time.perf_counter()
    walks = random_walks(
        graph, walk_length=args.walk_length, num_walks=args.num_walks, random_state=0, n_jobs=args.threads
    )
    walk_time = time.perf_counter() - t
    tokens = int((walks >= 0).sum()) * args.epochs
    print(
        f"{data.name}: {graph.n_nodes} nodes, {graph.n_edges} edges; walks {walks.shape[0]} x {walks.shape[1]} "
        f"({tokens / args.epochs / 1e6:.2f}M tokens) in {walk_time:.1f}s"
    )
    print(
        f"d={args.dimensions} window={args.window} negative={args.negative} epochs={args.epochs} "
        f"threads={args.threads} repeats={args.repeats}; numba {numba.__version__}, "
        f"{describe_machine()} at start"
    )
    # Compile (or load from numba's cache) outside the timings.
    train_skipgram(walks[:50], graph.n_nodes, dimensions=args.dimensions, n_jobs=1)
    train_skipgram(walks[:50], graph.n_nodes, dimensions=args.dimensions, n_jobs=args.threads)
    if args.roofline:
        return _roofline(args, walks, graph.n_nodes)

    trainers = {name: _trainer(name, args, 0.0001) for name in args.trainers}
    wall = {name: [] for name in trainers}
    cpu = {name: [] for name in trainers}
    f1 = {name: [] for name in trainers}
    for rep in range(args.repeats):
        for name, train in trainers.items():
            t, c = time.perf_counter(), time.process_time()
            Z = train(walks, graph.n_nodes, rep)
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
            score = evaluate_node_classification(
                pd.DataFrame(Z, index=graph.nodes),
                data.labels,
                nodes=data.nodes,
                cv=args.splits,
                train_size=0.5,
                random_state=0,
                n_jobs=args.threads,
            )
            f1[name].append((score.mean, score.micro_mean))
            print(
                f"  run {rep + 1}/{args.repeats} {name:<20s} {wall[name][-1]:6.2f}s  macro-F1 {score.mean:.4f}",
                flush=True,
            )

    gensims = [name for name in trainers if name.startswith("gensim")]
    ref = min(gensims, key=lambda name: statistics.median(wall[name])) if gensims else next(iter(trainers))
    ref_median = statistics.median(wall[ref])
    header = (
        f"{'trainer':<20s} {'wall min':>9s} {'median':>8s} {'CPU':>7s} {'Mtok/s':>7s} "
        f"{'speed-up':>9s} {'macro-F1':>15s} {'micro-F1':>15s}"
    )
    macro = {name: np.array([m for m, _ in f1[name]]) for name in trainers}
    print()
    print(header)
    print("-" * len(header))
    for name in trainers:
        micro = np.array([m for _, m in f1[name]])
        median = statistics.median(wall[name])
        print(
            f"{name:<20s} {min(wall[name]):8.2f}s {median:7.2f}s {statistics.median(cpu[name]):6.1f}s "
            f"{tokens / min(wall[name]) / 1e6:7.2f} {ref_median / median:8.2f}x "
            f"{macro[name].mean():.4f}±{macro[name].std():.4f} {micro.mean():.4f}±{micro.std():.4f}"
        )
    print(
        f"\nspeed-up: median wall time of {ref}{' (the faster gensim mode)' if len(gensims) > 1 else ''} / "
        "median wall time of the trainer; "
        f"Mtok/s: tokens / best wall time; F1: mean±sd over {args.repeats} trainings "
        f"(each scored on {args.splits} splits); load average {os.getloadavg()[0]:.2f} at end"
    )
    for a, b in SAME_SCHEDULE:
        if a in trainers and b in trainers:
            print(
                f"same schedule: {a} {statistics.median(wall[b]) / statistics.median(wall[a]):.2f}x {b}'s speed "
                f"(medians; mins {min(wall[b]) / min(wall[a]):.2f}x), macro-F1 "
                f"{macro[a].mean():.4f} against {macro[b].mean():.4f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
