"""Edge-list ingest: time and peak memory of turning a file (or an array) into a Graph.

Generates (and caches) a Chung-Lu power-law graph with ``gen_graph.py``
(``src<TAB>dst`` lines, ``src < dst``, as ``../shared/data`` stores them),
then runs each contender once in a fresh child process:

================  ===========================================================
``legacy``        the reader before the parallel one: ``read_table``
                  (``pandas.read_csv``), ``np.unique`` over both columns
                  concatenated, scipy COO -> CSR (``_build_scipy``)
``pandas``        ``read_edgelist``'s pandas engine: the same ``read_csv``,
                  then the bitmap id ranking and the CSR kernel
``numba``         the parallel reader (``read_edgelist``'s default)
``array``         ``as_graph`` of the cached ``(m, 2)`` int32 array
``array-legacy``  ``np.unique`` and scipy on that array (the old path)
================  ===========================================================

Each child imports the package, loads (or compiles, timed apart) the numba
kernels on a tiny file, notes its resident memory (the *base*: interpreter,
libraries and, for the array contenders, the loaded array), then runs the
contender.  *time* is wall-clock seconds; *user* and *sys* the child's CPU
seconds over all its threads (on a shared machine the steadier measure of
work; *sys* is mostly page faults, which on some virtual machines cost more
than the parsing: numpy asks for transparent huge pages on large arrays,
and where the kernel must compact memory to find them, first-touching 1.6 GB
took 15 s of system time on the machine of benchmarks/README.md; compare
with ``--no-numpy-hugepage``); *peak* is the child's ``ru_maxrss``;
*bytes/edge* is ``(peak - base) / lines``.  All contenders must build the same graph (an MD5
of its arrays is compared).

Run::

    python benchmarks/bench_ingest.py                                   # 1M nodes, 10M lines
    python benchmarks/bench_ingest.py --nodes 10000000 --edges 100000000 --contenders numba,array
    python benchmarks/bench_ingest.py --threads 1,2 --format tsv --contenders pandas,numba

The graph is cached under ``--cache`` (``.npy`` and the text file); making
it is timed and printed once.  At 10M nodes / 100M lines the generator
peaks at about 3.5 GB and the ``numba`` and ``array`` contenders at about
2.5 GB; ``legacy`` would need about 13 GB and ``array-legacy`` 11 GB, so
with the default ``--max-gb 10`` they are skipped (``BYTES_PER_LINE``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTENDERS = ("legacy", "pandas", "numba", "array", "array-legacy")
#: Peak memory above the base, bytes per line, measured at 10M and 20M lines
#: (bytes/edge column): contenders expected to pass --max-gb are skipped.
BYTES_PER_LINE = {"legacy": 135, "pandas": 45, "numba": 25, "array": 20, "array-legacy": 110}
THREADED = ("pandas", "numba", "array")  # contenders whose kernels use numba threads


def _paths(args) -> tuple[Path, Path]:
    stem = f"chung_lu_n{args.nodes}_m{args.edges}_g2.5_s{args.seed}"
    return args.cache / f"{stem}.npy", args.cache / f"{stem}.{args.format}"


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _digest(graph) -> str:
    h = hashlib.md5()
    for a in (graph.indptr, graph.indices, graph.weights, graph.nodes):
        if a is not None:
            h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def generate(args) -> dict:
    """Child: make the cached array and text file if missing."""
    sys.path.insert(0, str(HERE))
    import numpy as np
    from gen_graph import load_or_generate, write_edges

    npy, text = _paths(args)
    out = {"generate_s": None, "write_s": None}
    t0 = time.perf_counter()
    if not npy.exists():
        load_or_generate(args.cache, args.nodes, args.edges, seed=args.seed)
        out["generate_s"] = time.perf_counter() - t0
    if not text.exists():
        edges = np.load(npy, mmap_mode="r")
        t1 = time.perf_counter()
        partial = text.with_name("partial-" + text.name)  # same suffix: write_edges gzips .gz
        write_edges(edges, partial)
        partial.rename(text)
        out["write_s"] = time.perf_counter() - t1
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def measure(args) -> dict:
    """Child: one contender, one thread count."""
    import numba
    import numpy as np

    from skgraphemb import as_graph
    from skgraphemb.graph import _adapters
    from skgraphemb.graph._io import _read_edgelist, read_table

    numba.set_num_threads(args.threads)
    npy, text = _paths(args)

    def legacy_build(src, dst):
        m = len(src)
        ids, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
        return _adapters._build_scipy(inverse[:m], inverse[m:], None, ids.astype(np.int64), False, None)

    def legacy_file(path):
        df = read_table(path)
        return legacy_build(df[0].to_numpy(), df[1].to_numpy())

    # Load (or compile) every kernel on a tiny file outside the measurement.
    tiny = Path(tempfile.mkdtemp()) / "tiny.tsv.gz"
    import gzip

    tiny.write_bytes(gzip.compress(b"".join(b"%d\t%d\n" % (i, i + 1) for i in range(300_000))))
    t0 = time.perf_counter()
    _read_edgelist(tiny, engine="numba")
    as_graph(np.array([[0, 1], [1, 2]], dtype=np.int32))
    warm_s = time.perf_counter() - t0
    tiny.unlink()

    edges = np.load(npy) if args.contender.startswith("array") else None
    base = _rss_bytes()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if args.contender == "legacy":
        graph = legacy_file(text)
    elif args.contender == "pandas":
        graph = _read_edgelist(text, engine="pandas")
    elif args.contender == "numba":
        graph = _read_edgelist(text, engine="numba")
    elif args.contender == "array":
        graph = as_graph(edges)
    else:
        graph = legacy_build(edges[:, 0], edges[:, 1])
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    peak = cpu1.ru_maxrss * 1024
    return {
        "seconds": seconds,
        "user_s": cpu1.ru_utime - cpu0.ru_utime,
        "sys_s": cpu1.ru_stime - cpu0.ru_stime,
        "warm_s": warm_s,
        "base_mb": base / 2**20,
        "peak_mb": peak / 2**20,
        "n_nodes": graph.n_nodes,
        "nnz": graph.nnz,
        "digest": _digest(graph),
    }


def _child(args, *extra) -> dict:
    cmd = [
        sys.executable,
        __file__,
        *extra,
        "--nodes",
        str(args.nodes),
        "--edges",
        str(args.edges),
        "--seed",
        str(args.seed),
        "--cache",
        str(args.cache),
        "--format",
        args.format,
    ]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
    if args.no_numpy_hugepage:
        env["NUMPY_MADVISE_HUGEPAGE"] = "0"
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["killed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--threads", default="1,2", help="comma-separated numba thread counts")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--format", choices=["tsv.gz", "tsv"], default="tsv.gz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-gb", type=float, default=10.0, help="skip contenders whose expected peak (BYTES_PER_LINE) is larger"
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "skgraphemb-bench-graphs")
    parser.add_argument(
        "--no-numpy-hugepage", action="store_true", help="run the children with NUMPY_MADVISE_HUGEPAGE=0"
    )
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--child-threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.generate:
        args.cache.mkdir(parents=True, exist_ok=True)
        print(json.dumps(generate(args)))
        return 0
    if args.child:
        args.contender, args.threads = args.child, args.child_threads
        print(json.dumps(measure(args)))
        return 0

    sys.path.insert(0, str(HERE))
    from _machine import describe_machine

    print(f"machine: {describe_machine()}")
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    print(
        f"transparent huge pages: {thp.read_text().strip() if thp.exists() else 'n/a'}; numpy madvise: "
        f"{'off' if args.no_numpy_hugepage else os.environ.get('NUMPY_MADVISE_HUGEPAGE', 'default')}"
    )
    gen = _child(args, "--generate")
    if "error" in gen:
        print(f"generation failed: {gen['error']}", file=sys.stderr)
        return 1
    npy, text = _paths(args)
    size = text.stat().st_size
    import numpy as np

    lines = len(np.load(npy, mmap_mode="r"))
    print(
        f"graph: Chung-Lu, {args.nodes:,} nodes, {args.edges:,} edges, seed {args.seed}; "
        f"{text.name} {size / 2**20:,.0f} MB (cached in {args.cache})"
    )
    if gen["generate_s"] is not None or gen["write_s"] is not None:
        print(
            f"made now: generate {gen['generate_s'] or 0:.1f} s, write {gen['write_s'] or 0:.1f} s, "
            f"peak {gen['peak_rss_mb']:,.0f} MB"
        )
    rows, digests = [], set()
    for name in args.contenders.split(","):
        expected_gb = (BYTES_PER_LINE[name] * lines + 0.4 * 2**30) / 2**30
        if expected_gb > args.max_gb:
            print(f"skipping {name}: expected peak {expected_gb:.1f} GB > --max-gb {args.max_gb:g}")
            continue
        threads = [int(t) for t in args.threads.split(",")] if name in THREADED else [1]
        for t in threads:
            r = _child(args, "--child", name, "--child-threads", str(t))
            rows.append((name, t, r))
            if "error" not in r:
                digests.add(r["digest"])
    print(
        f"\n{'contender':<13} {'threads':>7} {'time s':>8} {'user s':>7} {'sys s':>6} {'Mlines/s':>9} {'base MB':>8} "
        f"{'peak MB':>8} {'bytes/edge':>10} {'warm-up s':>9}"
    )
    for name, t, r in rows:
        if "error" in r:
            print(f"{name:<13} {t:>7} failed: {r['error']}")
            continue
        per_edge = (r["peak_mb"] - r["base_mb"]) * 2**20 / lines
        print(
            f"{name:<13} {t:>7} {r['seconds']:>8.2f} {r['user_s']:>7.2f} {r['sys_s']:>6.2f} "
            f"{lines / r['seconds'] / 1e6:>9.2f} "
            f"{r['base_mb']:>8,.0f} {r['peak_mb']:>8,.0f} {per_edge:>10.1f} {r['warm_s']:>9.1f}"
        )
    print(
        f"\nsame graph from every contender: {'yes' if len(digests) == 1 else 'NO'}; {lines:,} lines, n={args.nodes:,}"
    )
    return 0 if len(digests) <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
