"""SVDEmbedder at scale: the float32 range finder against the float64 path it replaced.

A Chung-Lu graph (``gen_graph.load_or_generate``, cached under ``--cache``)
is embedded by ``SVDEmbedder(n_components=128, order=2)`` (``n_iter=5``,
``random_state=0``), each contender in a fresh child process that reports:

- **fit s**: wall time of ``fit``;
- **ru_maxrss GB**: peak RSS of the whole child (graph build included);
- **build peak GB**: peak RSS before ``fit`` (kernels compiled, edges
  loaded, graph built);
- **fit peak GB**: peak RSS during ``fit`` alone (``/proc/self/clear_refs``
  resets the high-water mark after the graph is built; ``VmHWM``);
- **fit alloc GB**: fit peak minus the RSS just before ``fit`` (graph,
  interpreter and compiled kernels), to compare with
- **estimate GB**: ``svd_memory_bytes`` (what ``fit`` logs before it
  starts), for the float32 contender.

Contenders:

- ``float32``: ``SVDEmbedder`` as it is (numba sparse products on the
  graph's own CSR arrays, two float32 ``n x p`` blocks, CholeskyQR2);
- ``float64``: the algorithm ``SVDEmbedder`` ran before (kept here as the
  baseline): ``graph.to_scipy()`` (a float64 copy), the float64 scipy
  ``LinearOperator`` of ``power_sum_operator`` (Horner, new blocks per
  product), a float64 randomized SVD with ``scipy.linalg.qr``, then
  ``svd_flip`` and ``U sqrt(S)``.  ``normalize_adjacency`` and
  ``power_sum_operator`` are unchanged in the package (they serve
  ``algorithm="arpack"``) and imported from it; the randomized SVD loop is
  copied below.  At 10M nodes one of its float64 ``n x p`` blocks is 11 GB:
  run it only where it fits (``--contenders float32``).

Both contenders draw the same test matrix (float64 normals, rounded to
float32 by the new path), so their singular values are compared (max
relative difference over the ``n_components`` values) and, with
``--compare``, their embeddings (cosine of matching columns; the children
save them under ``--cache``).

The graph is built straight from the edge array as a symmetric CSR
(``--build csr``, a numba counting sort: about ``16 m + 16 n`` bytes at its
peak, 1.8 GB at 100M edges) instead of ``as_graph`` (``--build as_graph``),
whose memory on 100M-edge arrays is being reduced separately; both give the
same ``Graph`` (node ids ``0..n-1``, sorted neighbour lists).

Run::

    python benchmarks/bench_svd_scale.py                                  # 1M nodes / 10M edges
    python benchmarks/bench_svd_scale.py --nodes 10000000 --edges 100000000 --contenders float32
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


# -- the float64 path SVDEmbedder ran before (baseline contender) -----------------
def randomized_svd_operator(op, k, *, n_oversamples=10, n_iter=5, random_state=None):
    """The former ``skgraphemb._kernels._linalg.randomized_svd_operator``, verbatim."""
    import numpy as np
    import scipy.linalg

    rng = np.random.default_rng(random_state)
    n, m = op.shape
    p = min(k + n_oversamples, min(n, m))
    Q = op.matmat(rng.standard_normal((m, p)))
    Q, _ = scipy.linalg.qr(Q, mode="economic", check_finite=False)
    for _ in range(n_iter):
        Z, _ = scipy.linalg.qr(op.rmatmat(Q), mode="economic", check_finite=False)
        Q, _ = scipy.linalg.qr(op.matmat(Z), mode="economic", check_finite=False)
    B = op.rmatmat(Q).T  # (p, m) = Q^T M
    Uh, S, Vt = scipy.linalg.svd(B, full_matrices=False, check_finite=False)
    U = Q @ Uh
    return U[:, :k], S[:k], Vt[:k]


def float64_embed(graph, k, order, normalization, n_iter, n_oversamples, seed, n_jobs):
    """The former ``SVDEmbedder._embed`` (randomized branch): ``(embedding, S)``."""
    import numpy as np
    from sklearn.utils.extmath import svd_flip
    from threadpoolctl import threadpool_limits

    from skgraphemb._kernels._linalg import normalize_adjacency, power_sum_operator

    A = normalize_adjacency(graph.to_scipy(), normalization)
    op = power_sum_operator(A, order)
    with threadpool_limits(limits=n_jobs, user_api="blas"):
        U, S, Vt = randomized_svd_operator(op, k, n_oversamples=n_oversamples, n_iter=n_iter, random_state=seed)
    U, Vt = svd_flip(U, Vt, u_based_decision=True)
    S = np.clip(S, 0.0, None)
    return (U * np.sqrt(S)).astype(np.float32), S


# -- graph ---------------------------------------------------------------------
def _csr_kernels():
    import numba
    import numpy as np

    @numba.njit(cache=True, nogil=True)
    def fill(edges, indptr, indices):
        cursor = indptr[:-1].copy()
        for e in range(edges.shape[0]):
            u, v = edges[e, 0], edges[e, 1]
            indices[cursor[u]] = v
            cursor[u] += 1
            if u != v:
                indices[cursor[v]] = u
                cursor[v] += 1

    @numba.njit(parallel=True, cache=True)
    def sort_rows(indptr, indices):
        for i in numba.prange(indptr.shape[0] - 1):
            indices[indptr[i] : indptr[i + 1]] = np.sort(indices[indptr[i] : indptr[i + 1]])

    return fill, sort_rows


def csr_graph(edges, n_nodes):
    """Undirected ``Graph`` of a duplicate-free ``(m, 2)`` edge array, built directly as CSR."""
    import numpy as np

    from skgraphemb.graph import Graph

    fill, sort_rows = _csr_kernels()
    deg = np.bincount(edges[:, 0], minlength=n_nodes)
    deg += np.bincount(edges[:, 1], minlength=n_nodes)
    loops = edges[:, 0] == edges[:, 1]
    if loops.any():
        deg -= np.bincount(edges[loops, 0], minlength=n_nodes)
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(deg, out=indptr[1:])
    del deg, loops
    indices = np.empty(indptr[-1], dtype=np.int32)
    fill(edges, indptr, indices)
    sort_rows(indptr, indices)
    return Graph(indptr, indices, None, nodes=np.arange(n_nodes), directed=False)


def load_graph(args):
    import numpy as np
    from gen_graph import load_or_generate

    edges = load_or_generate(args.cache, args.nodes, args.edges)
    if args.build == "as_graph":
        import skgraphemb as sge

        return sge.as_graph(edges)
    n = int(edges.max()) + 1
    assert n == args.nodes, "every node of a generated graph has an edge"
    return csr_graph(np.ascontiguousarray(edges), n)


# -- child -----------------------------------------------------------------------
def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _hwm_bytes() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child(args) -> dict:
    import logging

    import networkx as nx
    import numpy as np

    import skgraphemb as sge
    from skgraphemb._kernels._linalg import svd_memory_bytes

    info: dict = {}
    kw = dict(
        n_components=args.n_components,
        order=args.order,
        normalization=args.normalization,
        n_iter=args.n_iter,
        random_state=0,
    )
    if args.path == "float32":  # compile (or load) the kernels before measuring
        sge.SVDEmbedder(**{**kw, "n_components": 4}).fit(nx.gnm_random_graph(200, 800, seed=0))
    t0 = time.perf_counter()
    graph = load_graph(args)
    info["build_s"] = time.perf_counter() - t0
    info["n_nodes"], info["nnz"] = graph.n_nodes, graph.nnz
    info["graph_gb"] = graph.memory_bytes() / 1e9
    hwm = _hwm_bytes()
    if hwm is not None:
        info["build_peak_gb"] = hwm / 1e9  # kernels compiled, edges loaded, graph built
    before = _rss_bytes()
    reset = _reset_hwm()
    t0 = time.perf_counter()
    if args.path == "float32":
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
        emb = sge.SVDEmbedder(**kw, n_jobs=args.threads).fit(graph)
        Z, S = emb.embedding_, emb.singular_values_
        info["estimate_gb"] = (
            svd_memory_bytes(
                graph.n_nodes,
                graph.nnz,
                args.n_components,
                10,
                args.order,
                directed=graph.directed,
                weighted=graph.weighted,
                normalization=args.normalization,
            )
            / 1e9
        )
    else:
        Z, S = float64_embed(graph, args.n_components, args.order, args.normalization, args.n_iter, 10, 0, args.threads)
    info["fit_s"] = time.perf_counter() - t0
    info["ru_maxrss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    info["before_fit_gb"] = before / 1e9
    hwm = _hwm_bytes()
    if reset and hwm is not None:
        info["fit_peak_gb"] = hwm / 1e9
        info["fit_alloc_gb"] = (hwm - before) / 1e9
    info["finite"] = bool(np.isfinite(Z).all())
    info["dtype"], info["shape"] = str(Z.dtype), list(Z.shape)
    info["singular_values"] = [float(s) for s in S]
    if args.save:
        np.save(args.save, Z)
    return info


def compare_child(args) -> dict:
    """Cosine of matching columns of the two saved embeddings."""
    import numpy as np

    a = np.load(args.save_prefix + "float32.npy", mmap_mode="r")
    b = np.load(args.save_prefix + "float64.npy", mmap_mode="r")
    cos = []
    for j in range(a.shape[1]):
        x, y = np.asarray(a[:, j], dtype=np.float64), np.asarray(b[:, j], dtype=np.float64)
        nx_, ny = np.linalg.norm(x), np.linalg.norm(y)
        cos.append(float(x @ y / (nx_ * ny)) if nx_ > 0 and ny > 0 else float("nan"))
    cos = np.array(cos)
    return {
        "min_cos_first_10": float(cos[:10].min()),
        "min_cos_first_64": float(cos[:64].min()),
        "min_cos_all": float(cos.min()),
        "median_cos": float(np.median(cos)),
    }


# -- parent ------------------------------------------------------------------------
def _child_cmd(args, extra):
    return (
        [
            sys.executable,
            __file__,
            "--nodes",
            str(args.nodes),
            "--edges",
            str(args.edges),
            "--threads",
            str(args.threads),
            "--n-components",
            str(args.n_components),
            "--order",
            str(args.order),
            "--n-iter",
            str(args.n_iter),
            "--cache",
            str(args.cache),
            "--build",
            args.build,
        ]
        + (["--normalization", args.normalization] if args.normalization else [])
        + extra
    )


def run_child(args, extra) -> dict:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(max(args.threads, 1))}
    start = time.perf_counter()
    try:
        out = subprocess.run(_child_cmd(args, extra), capture_output=True, text=True, timeout=args.timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": f"killed after {args.timeout} s"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"status": f"failed (exit {out.returncode}): {tail[:160]}"}
    for line in out.stderr.splitlines():
        if "SVDEmbedder: randomized" in line:
            print(f"    log: {line.strip()}", flush=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["status"] = "ok"
    r["wall_s"] = time.perf_counter() - start
    return r


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="n_jobs of SVDEmbedder (numba and BLAS threads); BLAS threads of float64",
    )
    parser.add_argument("--contenders", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--n-components", type=int, default=128)
    parser.add_argument("--order", type=int, default=2)
    parser.add_argument("--normalization", choices=["transition", "symmetric"], default=None)
    parser.add_argument("--n-iter", type=int, default=5)
    parser.add_argument("--build", choices=["csr", "as_graph"], default="csr")
    parser.add_argument("--compare", action="store_true", help="save both embeddings and compare them column by column")
    parser.add_argument("--timeout", type=int, default=7200)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "skgraphemb-svd-scale")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    parser.add_argument("--save-prefix", help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--compare-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    if args.compare_child:
        print(json.dumps(compare_child(args)))
        return 0
    if args.generate:
        from gen_graph import load_or_generate

        edges = load_or_generate(args.cache, args.nodes, args.edges)
        print(json.dumps({"edges": int(len(edges))}))
        return 0

    from _machine import describe_machine

    print(describe_machine(), flush=True)
    t0 = time.perf_counter()
    gen = subprocess.run(_child_cmd(args, ["--generate"]), capture_output=True, text=True)
    if gen.returncode != 0:
        print(gen.stderr, file=sys.stderr)
        return 1
    m = json.loads(gen.stdout.strip().splitlines()[-1])["edges"]
    print(
        f"Chung-Lu graph: {args.nodes:,} nodes, {m:,} edges (cached under {args.cache}, "
        f"{time.perf_counter() - t0:.0f} s); SVDEmbedder(n_components={args.n_components}, "
        f"order={args.order}, normalization={args.normalization}, n_iter={args.n_iter}), "
        f"{args.threads} thread(s), graph built by {args.build}",
        flush=True,
    )
    prefix = str(args.cache / f"emb_n{args.nodes}_m{args.edges}_")
    rows = {}
    for path in args.contenders:
        extra = ["--child", "--path", path] + (["--save", prefix + path + ".npy"] if args.compare else [])
        r = run_child(args, extra)
        rows[path] = r
        print(f"  {path}: " + json.dumps({k: v for k, v in r.items() if k != "singular_values"}), flush=True)

    f = lambda r, k, fmt: fmt.format(r[k]) if k in r else ""  # noqa: E731
    print(
        "\n| contender | nodes | edges | threads | fit s | ru_maxrss GB | build peak GB | fit peak GB "
        "| before fit GB | fit alloc GB | estimate GB | estimate / alloc | status |"
    )
    print("| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |")
    for path, r in rows.items():
        ratio = f"{r['estimate_gb'] / r['fit_alloc_gb']:.2f}" if "estimate_gb" in r and r.get("fit_alloc_gb") else ""
        print(
            f"| {path} | {args.nodes:,} | {m:,} | {args.threads} | {f(r, 'fit_s', '{:.1f}')} | "
            f"{f(r, 'ru_maxrss_gb', '{:.2f}')} | {f(r, 'build_peak_gb', '{:.2f}')} | "
            f"{f(r, 'fit_peak_gb', '{:.2f}')} | "
            f"{f(r, 'before_fit_gb', '{:.2f}')} | {f(r, 'fit_alloc_gb', '{:.2f}')} | "
            f"{f(r, 'estimate_gb', '{:.2f}')} | {ratio} | {r['status']} |"
        )
    a, b = rows.get("float32", {}), rows.get("float64", {})
    if "singular_values" in a and "singular_values" in b:
        import numpy as np

        sa, sb = np.array(a["singular_values"]), np.array(b["singular_values"])
        rel = np.abs(sa - sb) / sb[0]
        print(
            f"\nsingular values: float32 {sa[:3].round(4).tolist()}..., float64 {sb[:3].round(4).tolist()}...; "
            f"max |diff| / s_1 = {rel.max():.2e} (first 10: {rel[:10].max():.2e}); "
            f"max relative diff per value = {(np.abs(sa - sb) / sb).max():.2e}"
        )
        if args.compare:
            c = subprocess.run(
                _child_cmd(args, ["--compare-child", "--save-prefix", prefix]), capture_output=True, text=True
            )
            print("embedding columns: " + (c.stdout.strip() or c.stderr.strip()[-300:]))
            for path in ("float32", "float64"):
                Path(prefix + path + ".npy").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
