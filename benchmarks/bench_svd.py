"""SVDEmbedder (implicit ``A + A^2`` operator) against the explicit ``A + A @ A`` path.

For each graph, two fresh child processes each report time and peak RSS
(``ru_maxrss``):

- **explicit**: ``A = graph.to_scipy(); M = A + A @ A;
  TruncatedSVD(n_components, random_state=0).fit_transform(M)``;
- **operator**: ``SVDEmbedder(n_components, order=2, random_state=0)``,
  which never forms ``A^2``.

The explicit path is guarded: ``sum_i deg_i^2`` (an upper bound on the
stored entries of ``A^2``) is computed first and the path is skipped when
the bound exceeds ``--max-a2-entries``; otherwise the child runs under
``RLIMIT_AS = --mem-limit-gb`` and ``--timeout`` seconds, and the table says
where it gave up.  On BlogCatalog both embeddings are also scored by
macro-F1 (``evaluate_node_classification(..., train_size=0.5, cv=5)``).

Run::

    python benchmarks/bench_svd.py                     # BlogCatalog, 100K/1M, 1M/10M
    python benchmarks/bench_svd.py --graphs blogcatalog
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
DATA = HERE.parent.parent / "shared" / "data"
GRAPHS = {
    "blogcatalog": None,
    "chung-lu-100k": (100_000, 1_000_000),
    "chung-lu-1m": (1_000_000, 10_000_000),
}


def _load(name, args):
    import skgraphemb as sge

    if GRAPHS[name] is None:
        data = sge.load_edgelist_dir(args.data / name)
        return data.graph, data
    sys.path.insert(0, str(HERE))
    from gen_graph import load_or_generate

    n, m = GRAPHS[name]
    return sge.as_graph(load_or_generate(args.cache, n, m, seed=0)), None


def child(args) -> dict:
    import numpy as np

    if args.mem_limit_gb:
        lim = int(args.mem_limit_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    import skgraphemb as sge

    graph, data = _load(args.graph, args)
    t0 = time.perf_counter()
    info = {}
    if args.path == "explicit":
        from sklearn.decomposition import TruncatedSVD

        A = graph.to_scipy()
        M = A + A @ A
        t_a2 = time.perf_counter() - t0
        info["a2_s"] = t_a2
        info["nnz_M"] = int(M.nnz)
        Z = TruncatedSVD(n_components=args.n_components, n_iter=args.n_iter, random_state=0).fit_transform(M)
        nodes = graph.nodes
    else:
        emb = sge.SVDEmbedder(n_components=args.n_components, order=2, n_iter=args.n_iter, random_state=0)
        Z = emb.fit_transform(graph)
        nodes = emb.nodes_
    info["fit_s"] = time.perf_counter() - t0
    info["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    info["finite"] = bool(np.isfinite(Z).all())
    if data is not None:
        import pandas as pd

        s = sge.evaluate_node_classification(
            pd.DataFrame(np.asarray(Z), index=nodes),
            data.labels,
            nodes=data.nodes,
            cv=5,
            train_size=0.5,
            random_state=0,
            n_jobs=2,
        )
        info["macro_f1"], info["macro_f1_std"], info["micro_f1"] = s.mean, s.std, s.micro_mean
    return info


def a2_bound(name, args):
    import numpy as np

    graph, _ = _load(name, args)
    deg = np.diff(graph.to_scipy().indptr).astype(np.int64)
    return graph.n_nodes, graph.n_edges, int((deg**2).sum())


def run_child(name, path, n_iter, args):
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--graph",
        name,
        "--path",
        path,
        "--n-iter",
        str(n_iter),
        "--n-components",
        str(args.n_components),
        "--cache",
        str(args.cache),
        "--data",
        str(args.data),
        "--mem-limit-gb",
        str(args.mem_limit_gb if path == "explicit" else 0),
    ]
    start = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"status": f"killed after {args.timeout} s"}
    wall = time.perf_counter() - start
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or ["?"]
        if "MemoryError" in out.stderr or "Unable to allocate" in out.stderr:
            return {"status": f"out of memory at the {args.mem_limit_gb:g} GB limit ({tail[0][:80]})"}
        return {"status": f"failed: {tail[0][:120]}"}
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["status"] = "ok"
    r["wall_s"] = wall
    return r


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graphs", nargs="+", default=list(GRAPHS), choices=list(GRAPHS))
    parser.add_argument("--n-components", type=int, default=128)
    parser.add_argument("--n-iter", type=int, default=5)
    parser.add_argument("--n-iter-1m", type=int, default=2, help="power iterations for the 1M graph")
    parser.add_argument(
        "--max-a2-entries", type=float, default=1e9, help="skip the explicit path when sum(deg^2) exceeds this"
    )
    parser.add_argument("--mem-limit-gb", type=float, default=16.0)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "skgraphemb-bench-graphs")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--graph", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    if "blogcatalog" in args.graphs and not (args.data / "blogcatalog").exists():
        print(f"BlogCatalog not found under {args.data}; skipping it", file=sys.stderr)
        args.graphs.remove("blogcatalog")

    rows = []
    for name in args.graphs:
        n, m, bound = a2_bound(name, args)
        n_iter = args.n_iter_1m if name == "chung-lu-1m" else args.n_iter
        print(
            f"{name}: {n:,} nodes, {m:,} edges, sum deg^2 = {bound:.3g} (bound on nnz(A^2)), n_iter={n_iter}",
            flush=True,
        )
        for path in ("explicit", "operator"):
            if path == "explicit" and bound > args.max_a2_entries:
                r = {
                    "status": f"skipped: A^2 would hold up to ~{bound:.2g} entries (~{bound * 12 / 1e9:.0f} GB as CSR)"
                }
            else:
                r = run_child(name, path, n_iter, args)
            rows.append((name, path, n_iter, r))
            print(f"  {path:<9} {json.dumps(r)}", flush=True)

    print("\n| graph | path | n_iter | fit s | peak RSS GB | nnz(M) | macro-F1 | micro-F1 | status |")
    print("| --- | --- | --: | --: | --: | --: | --: | --: | --- |")
    for name, path, n_iter, r in rows:
        f = lambda k, fmt, r=r: fmt.format(r[k]) if k in r else ""  # noqa: E731
        f1 = f"{r['macro_f1']:.4f} ± {r['macro_f1_std']:.4f}" if "macro_f1" in r else ""
        print(
            f"| {name} | {path} | {n_iter} | {f('fit_s', '{:.1f}')} | {f('peak_rss_gb', '{:.2f}')} | "
            f"{f('nnz_M', '{:,}')} | {f1} | {f('micro_f1', '{:.4f}')} | {r['status']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
