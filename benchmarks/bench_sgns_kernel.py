"""The skip-gram kernel against itself at another block width, or against
another build of it, alternating calls in one process.

Fresh processes (``bench_against_tree.py``) see this host's speed swing by
1.5x within minutes, which hides a kernel change of 5-15%.  Here both
sides run in one process on one thread, call after call, on the same walks
and the same starting vectors, so that both see the same moments: each
call is ``train_walks_hogwild`` on ``--walks`` of BlogCatalog's walks (80 x
10, ``random_state=0``), timed by the thread's CPU clock.  Prints the min and
median of each side and their ratios (this side over the other), and
whether the two sides' vectors are bitwise equal.

Run from the repository root::

    python benchmarks/bench_sgns_kernel.py --widths            # 16-float blocks against 8
    python benchmarks/bench_sgns_kernel.py --other /tmp/old/skgraphemb/skipgram/_sgns.cpython-311-x86_64-linux-gnu.so

``--other`` takes another checkout's compiled ``_sgns`` module (``git
worktree add /tmp/old REV`` and ``python setup.py build_ext --inplace``
there); it must take the same arguments as this one's, or those of the
builds before 2026-12-07 that read a sigmoid table (given word2vec.c's 1,000
points).  ``--width 8`` runs both sides in blocks of 8 floats (the path of
CPUs without AVX-512).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _data import missing_dataset  # sibling module (benchmarks/ is on sys.path)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "blogcatalog"


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset folder (edges.tsv.gz)")
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--widths", action="store_true", help="this build's 16-float blocks against its 8-float ones")
    side.add_argument("--other", type=Path, help="another build's _sgns extension module (.so)")
    parser.add_argument("--walks", type=int, default=5000, help="walks per call")
    parser.add_argument("--calls", type=int, default=31, help="calls per side")
    parser.add_argument("--width", type=int, choices=(8, 16), help="with --other: both sides' block width")
    return parser.parse_args(argv)


def _load_other(path: Path):
    spec = importlib.util.spec_from_file_location("skgraphemb.skipgram._sgns", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    args = _parse_args(argv)
    if missing_dataset("bench_sgns_kernel", args.data, labels=False):
        return 2
    from skgraphemb import load_edgelist_dir
    from skgraphemb.skipgram import _sgns
    from skgraphemb.skipgram._corpus import _keep_thresholds, _negative_weights
    from skgraphemb.walks import random_walks

    graph = load_edgelist_dir(args.data).graph
    walks = random_walks(graph, walk_length=80, num_walks=10, random_state=0, n_jobs=2)
    walks = np.ascontiguousarray(walks[20_000 : 20_000 + args.walks])
    n = graph.n_nodes
    counts = np.bincount(walks[walks >= 0], minlength=n).astype(np.int64)
    keep = _keep_thresholds(counts, int(counts.sum()), 1e-3)
    threshold, alias = _sgns.alias_table(_negative_weights(counts, 0.75))
    rng = np.random.default_rng(0)
    syn0 = ((rng.random((n, 128), dtype=np.float32) - 0.5) / 128).astype(np.float32)
    syn1 = rng.standard_normal((n, 128)).astype(np.float32) * np.float32(0.1)
    alphas = np.full(len(walks), 0.02)

    if args.widths:
        if _sgns.set_simd_width(16) != 16:
            print("bench_sgns_kernel: this CPU has no AVX-512; only 8-float blocks run here", file=sys.stderr)
            return 2
        sides = {"16 floats": (_sgns, 16), "8 floats": (_sgns, 8)}
    else:
        sides = {"this build": (_sgns, args.width), "other": (_load_other(args.other), args.width)}
    # Builds before the computed sigmoid took word2vec.c's table after the alias table.
    tables = {name: (m.sigmoid_table(1000),) if hasattr(m, "sigmoid_table") else () for name, (m, _) in sides.items()}
    times = {name: [] for name in sides}
    vectors = {}
    names = list(sides)
    for call in range(args.calls):
        for name in names if call % 2 == 0 else names[::-1]:
            module, width = sides[name]
            if width is not None:
                module.set_simd_width(width)
            s0, s1 = syn0.copy(), syn1.copy()
            start = time.thread_time()
            kept = module.train_walks_hogwild(walks, 0, alphas, s0, s1, keep, threshold, alias, *tables[name], 10, 5, 7)
            times[name].append(time.thread_time() - start)
            vectors[name] = s0
    _sgns.set_simd_width(16)
    print(f"{len(walks)} walks, {kept} tokens kept per call; {args.calls} calls per side, alternating")
    print(f"{'side':12s} {'min':>8s} {'median':>8s} {'ns/token':>9s}")
    for name, t in times.items():
        print(f"{name:12s} {min(t):8.4f} {statistics.median(t):8.4f} {min(t) / kept * 1e9:9.0f}")
    a, b = (times[name] for name in names)
    same = "bitwise equal" if np.array_equal(*vectors.values()) else "differ"
    ratio_min, ratio_median = min(a) / min(b), statistics.median(a) / statistics.median(b)
    print(f"ratio {names[0]} / {names[1]}: min {ratio_min:.3f}, median {ratio_median:.3f}; vectors {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
