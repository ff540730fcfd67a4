"""Large random graphs with power-law degrees, for scale benchmarks.

The generator is Chung-Lu (Chung & Lu 2002): node ``i`` gets an expected
degree ``w_i`` proportional to ``(i + 1) ** (-1 / (exponent - 1))``, so the
degree distribution has a power-law tail with that exponent, and each edge
joins two nodes drawn independently with probability proportional to ``w``.
Sampling is vectorised (inverse CDF by ``searchsorted`` on chunks of edges),
so 1M nodes / 10M edges take well under a minute; memory peaks at about 30
bytes per edge (sorting int64 edge keys in place).

Self-loops are dropped and duplicate edges merged, then more edges are drawn
until the graph has exactly ``n_edges`` undirected edges.  Nodes that got no
edge are then given one edge each (to a node drawn proportionally to
``w``), so the graph has no isolated node.  Node ids are shuffled so that
hubs are not all at small ids.

Use from other benchmarks::

    from gen_graph import chung_lu_edges, load_or_generate
    edges = chung_lu_edges(100_000, 1_000_000, seed=0)          # (m, 2) int32
    edges = load_or_generate("/tmp/graphs", 1_000_000, 10_000_000)  # cached .npy

or from the command line, writing the ``../shared/data/<name>/`` format
(``edges.tsv.gz``: ``src<TAB>dst`` with ``src <= dst``, sorted) plus a README::

    python benchmarks/gen_graph.py OUT_DIR --nodes 1000000 --edges 10000000
    python benchmarks/gen_graph.py OUT_DIR --nodes 1000000 --edges 10000000 --format npy
"""

from __future__ import annotations

import argparse
import collections
import gzip
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numba
import numpy as np

_CHUNK = 2_000_000  # edges drawn per vectorised step (bounds temporary memory)
_ONE = np.uint64(1)
_TEN = np.uint64(10)


def expected_degrees(n_nodes, n_edges, exponent=2.5, max_degree=None):
    """Chung-Lu weights: expected degree of each node, summing to ``2 n_edges``.

    ``max_degree`` caps the largest hubs (the mass above the cap is spread
    over the other nodes by renormalising).
    """
    if exponent <= 2:
        raise ValueError(f"exponent must be > 2 for a finite mean degree; got {exponent}")
    w = (np.arange(1, n_nodes + 1, dtype=np.float64)) ** (-1.0 / (exponent - 1.0))
    w *= 2.0 * n_edges / w.sum()
    if max_degree is not None:
        for _ in range(20):  # a few rounds: renormalising can lift capped nodes again
            np.minimum(w, max_degree, out=w)
            w *= 2.0 * n_edges / w.sum()
            if w.max() <= max_degree * 1.0001:
                break
    return w


def chung_lu_edges(
    n_nodes,
    n_edges,
    *,
    exponent=2.5,
    max_degree=None,
    seed=0,
    shuffle_ids=True,
    connect_isolated=True,
):
    """Undirected Chung-Lu graph as an ``(n_edges', 2)`` int32 edge array.

    Parameters
    ----------
    n_nodes, n_edges : int
        Nodes and undirected edges wanted.  Edges between distinct nodes,
        no duplicates; ``connect_isolated`` may add a few more edges.
    exponent : float, default=2.5
        Power-law exponent of the degree distribution (> 2).
    max_degree : float, default=None
        Cap on expected degrees.
    seed : int, default=0
        Seed of numpy's ``default_rng``.
    shuffle_ids : bool, default=True
        Randomly relabel nodes, so that ids and degrees are unrelated.
    connect_isolated : bool, default=True
        Give every node that got no edge one edge.

    Returns
    -------
    edges : ndarray of int32, shape (m, 2)
        ``edges[:, 0] < edges[:, 1]``, sorted lexicographically.
    """
    if n_edges > n_nodes * (n_nodes - 1) // 4:
        raise ValueError("n_edges is too large for a sparse random graph on n_nodes")
    rng = np.random.default_rng(seed)
    w = expected_degrees(n_nodes, n_edges, exponent, max_degree)
    cdf = np.cumsum(w)
    cdf /= cdf[-1]

    def draw(m):
        """``m`` candidate edges as int64 keys ``u * n + v`` with ``u < v``."""
        u = np.searchsorted(cdf, rng.random(m), side="right").astype(np.int64)
        v = np.searchsorted(cdf, rng.random(m), side="right").astype(np.int64)
        np.minimum(u, n_nodes - 1, out=u)  # guards the rounding at cdf[-1]
        np.minimum(v, n_nodes - 1, out=v)
        keep = u != v
        lo, hi = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep])
        return lo * n_nodes + hi

    keys = np.empty(0, dtype=np.int64)
    want = n_edges
    while len(keys) < n_edges:
        # Draw the missing edges plus a margin for loops and duplicates.
        parts = [keys]
        todo = int(want * 1.05) + 1000
        while todo > 0:
            parts.append(draw(min(todo, _CHUNK)))
            todo -= _CHUNK
        keys = _sorted_unique(np.concatenate(parts))
        del parts
        want = n_edges - len(keys)
    if len(keys) > n_edges:  # drop the surplus at random
        keys = np.sort(rng.choice(keys, size=n_edges, replace=False))

    if connect_isolated:
        degree = np.bincount(keys // n_nodes, minlength=n_nodes)
        degree += np.bincount(keys % n_nodes, minlength=n_nodes)
        lonely = np.flatnonzero(degree == 0).astype(np.int64)
        if lonely.size:
            other = np.searchsorted(cdf, rng.random(lonely.size), side="right").astype(np.int64)
            other = np.minimum(other, n_nodes - 1)
            other[other == lonely] = (other[other == lonely] + 1) % n_nodes
            lo, hi = np.minimum(lonely, other), np.maximum(lonely, other)
            keys = _sorted_unique(np.concatenate([keys, lo * n_nodes + hi]))

    if shuffle_ids:
        # Relabel, put the smaller id first, sort: the keys u * n + v order
        # the pairs as (u, v) lexicographically, sorted in place.
        perm = rng.permutation(n_nodes).astype(np.int64)
        for start in range(0, len(keys), _CHUNK):
            k = keys[start : start + _CHUNK]
            u, v = perm[k // n_nodes], perm[k % n_nodes]
            k[:] = np.minimum(u, v) * n_nodes + np.maximum(u, v)
        keys.sort()
    edges = np.empty((len(keys), 2), dtype=np.int32)
    for start in range(0, len(keys), _CHUNK):
        k = keys[start : start + _CHUNK]
        edges[start : start + len(k), 0] = k // n_nodes
        edges[start : start + len(k), 1] = k % n_nodes
    return edges


def _sorted_unique(keys):
    """``np.unique(keys)`` sorting ``keys`` in place (no second copy)."""
    keys.sort()
    keep = np.empty(len(keys), dtype=bool)
    keep[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


@numba.njit(cache=True, nogil=True)
def _format_rows(edges):
    """``src<TAB>dst<LF>`` lines of an (m, 2) integer array, as uint8 text."""
    out = np.empty(edges.shape[0] * 42, dtype=np.uint8)  # 2 x (sign + 19 digits) + 2
    digits = np.empty(20, dtype=np.uint8)
    p = 0
    for i in range(edges.shape[0]):
        for j in range(2):
            v = np.int64(edges[i, j])
            if v < 0:
                out[p] = 45  # "-"
                p += 1
                u = np.uint64(-(v + 1)) + _ONE  # |int64 min| fits uint64
            else:
                u = np.uint64(v)
            n = 0
            while True:  # digits, last first
                digits[n] = np.uint8(u % _TEN) + np.uint8(48)
                u //= _TEN
                n += 1
                if u == 0:
                    break
            for k in range(n - 1, -1, -1):
                out[p] = digits[k]
                p += 1
            out[p] = 9 if j == 0 else 10  # TAB, LF
            p += 1
    return out[:p]


def write_edges(edges, path, compresslevel=6, block_rows=1 << 20):
    """Write ``edges`` as ``src<TAB>dst`` lines, gzip-compressed if ``.gz``.

    Lines are formatted by a numba kernel and, for ``.gz``, blocks of
    ``block_rows`` lines are compressed in parallel threads (zlib releases
    the GIL), each as one gzip member: a multi-member file, which gzip,
    zcat, pandas and :func:`skgraphemb.read_edgelist` read as one stream.
    The text is the same as ``"{}\t{}\n".format(u, v)`` line by line.
    """
    path = Path(path)
    edges = np.asarray(edges)
    gz = path.suffix == ".gz"
    workers = os.cpu_count() or 1
    with open(path, "wb") as f, ThreadPoolExecutor(workers) as pool:
        pending = collections.deque()
        for start in range(0, len(edges), block_rows):
            text = _format_rows(edges[start : start + block_rows]).tobytes()
            if gz:
                pending.append(pool.submit(gzip.compress, text, compresslevel, mtime=0))
            else:
                f.write(text)
            while len(pending) > 2 * workers:
                f.write(pending.popleft().result())
        while pending:
            f.write(pending.popleft().result())


def load_or_generate(cache_dir, n_nodes, n_edges, *, exponent=2.5, seed=0):
    """``chung_lu_edges`` cached as ``.npy`` in ``cache_dir`` (made if needed)."""
    cache = Path(cache_dir) / f"chung_lu_n{n_nodes}_m{n_edges}_g{exponent:g}_s{seed}.npy"
    if cache.exists():
        return np.load(cache)
    edges = chung_lu_edges(n_nodes, n_edges, exponent=exponent, seed=seed)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, edges)
    return edges


def main(argv=None):
    parser = argparse.ArgumentParser(description="Generate a Chung-Lu power-law graph.")
    parser.add_argument("out", type=Path, help="output folder")
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=10_000_000)
    parser.add_argument("--exponent", type=float, default=2.5)
    parser.add_argument("--max-degree", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=["tsv.gz", "tsv", "npy"], default="tsv.gz")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    edges = chung_lu_edges(args.nodes, args.edges, exponent=args.exponent, max_degree=args.max_degree, seed=args.seed)
    t1 = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"edges.{args.format}"
    if args.format == "npy":
        np.save(args.out / name, edges)
    else:
        write_edges(edges, args.out / name)
    t2 = time.perf_counter()

    degree = np.bincount(edges.ravel(), minlength=args.nodes)
    summary = (
        f"nodes {args.nodes:,}, edges {len(edges):,}, max degree {degree.max():,}, "
        f"mean degree {degree.mean():.2f}, isolated {int((degree == 0).sum())}, "
        f"sum of squared degrees {int((degree.astype(np.int64) ** 2).sum()):,}"
    )
    (args.out / "README.md").write_text(
        "# Synthetic Chung-Lu graph\n\n"
        "Generated by `benchmarks/gen_graph.py` "
        f"(`--nodes {args.nodes} --edges {args.edges} --exponent {args.exponent:g} "
        f"--seed {args.seed}" + (f" --max-degree {args.max_degree:g}" if args.max_degree else "") + "`).\n\n"
        f"- `{name}`: one undirected edge per "
        + ("row of an (m, 2) int32 array" if args.format == "npy" else "line, `src<TAB>dst`")
        + ", src < dst, sorted; no self-loops, no duplicates, no labels.\n"
        f"- {summary}.\n"
    )
    print(f"{summary}\ngenerated in {t1 - t0:.1f}s, written in {t2 - t1:.1f}s to {args.out / name}")


if __name__ == "__main__":
    main()
