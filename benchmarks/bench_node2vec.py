"""node2vec end to end: skgraphemb vs PecanPy vs the ``node2vec`` package.

Every contender embeds the same graph with the same settings (dimensions
128, walk_length 80, num_walks 10, window 10, one epoch, 2 threads) for each
(p, q), each run in its own subprocess so that wall time and peak memory are
its own.  The parent then scores every embedding on the graph's node labels
(one-vs-rest logistic regression on 50% of the nodes, 5 random splits, top-k
prediction: the DeepWalk / node2vec protocol) and prints one table.

Contenders:

- ``pecanpy:<Mode>``: PecanPy 2.0.9 in each mode that applies, walks and
  gensim ``Word2Vec`` called exactly as PecanPy's CLI calls them.  Runs with
  ``.venv-pecanpy/bin/python`` (PecanPy needs numpy<2; build the venv with
  ``scripts/pecanpy-env.sh``).
- ``node2vec-pkg``: the ``node2vec`` PyPI package (0.5.0), as its README uses
  it, in the same venv.  Slow and memory-hungry on large graphs: it has its
  own timeout, and ``--skip-node2vec-pkg`` leaves it out.
- ``skgraphemb``: ``Node2VecEmbedder`` with its own walks and numba trainer;
  ``skgraphemb+gensim``: the same walks with gensim's trainer (the trainer
  PecanPy uses, so the difference to PecanPy is the walks);
  ``skgraphemb+pecanpy``: ``backend="pecanpy"`` (in the PecanPy venv).

Peak memory is the larger of the child's ``ru_maxrss`` (from ``os.wait4``)
and the summed RSS of its process tree sampled every 0.1 s (the node2vec
package forks joblib workers).

Usage::

    python benchmarks/bench_node2vec.py                      # BlogCatalog, all contenders
    python benchmarks/bench_node2vec.py --quick              # num_walks 2, smoke run
    python benchmarks/bench_node2vec.py --data DIR --repeats 3 --skip-node2vec-pkg
    python benchmarks/bench_node2vec.py --contenders skgraphemb pecanpy:SparseOTF

The worker side of this script (``--worker CONFIG``) imports only the
standard library and numpy at top level, so it runs under either
interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from _machine import describe_machine  # sibling module (benchmarks/ is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "blogcatalog"
PECANPY_PYTHON = ROOT / ".venv-pecanpy" / "bin" / "python"

SETTINGS = dict(dimensions=128, walk_length=80, num_walks=10, window=10, epochs=1)
DEFAULT_PQ = ["1,1", "1,0.5"]
PECANPY_SECOND_ORDER = ["PreComp", "SparseOTF", "DenseOTF"]
PECANPY_FIRST_ORDER = ["FirstOrderUnweighted", "PreCompFirstOrder"]


# ===========================================================================
# Worker side: one contender, one (p, q), one run.  Writes the embedding
# (rows in the canonical node order of nodes.npy) and a JSON of timings.
# ===========================================================================


def _walk_settings(cfg):
    """The keyword arguments that the node2vec package and skgraphemb share."""
    return {k: cfg[k] for k in ("dimensions", "walk_length", "num_walks", "p", "q")}


def _canonical(emb_by_id, nodes):
    """Stack vectors into rows of the canonical ``nodes`` order."""
    return np.stack([emb_by_id(v) for v in nodes]).astype(np.float32)


def run_pecanpy(cfg):
    """PecanPy's CLI pipeline (``pecanpy.cli.main``), stage by stage."""
    import numba
    from gensim.models import Word2Vec
    from pecanpy import pecanpy as pp

    times = {}
    numba.set_num_threads(cfg["threads"])
    t = time.perf_counter()
    # Positional arguments as in cli.read_graph:
    # (p, q, workers, verbose, extend, gamma, random_state)
    g = getattr(pp, cfg["mode"])(cfg["p"], cfg["q"], cfg["threads"], False, False, 0, cfg["seed"])
    g.read_edg(cfg["edg"], False, False, "\t")  # unweighted, undirected
    times["load"] = time.perf_counter() - t

    t = time.perf_counter()
    g.preprocess_transition_probs()
    times["preprocess"] = time.perf_counter() - t
    t = time.perf_counter()
    walks = g.simulate_walks(cfg["num_walks"], cfg["walk_length"])
    times["walks"] = time.perf_counter() - t

    t = time.perf_counter()
    model = Word2Vec(
        walks,
        vector_size=cfg["dimensions"],
        window=cfg["window"],
        min_count=0,
        sg=1,
        workers=cfg["threads"],
        epochs=cfg["epochs"],
        seed=cfg["seed"],
    )
    times["train"] = time.perf_counter() - t
    del walks
    emb = _canonical(lambda v: model.wv[str(v)], np.load(cfg["nodes"]))
    return emb, times


def run_node2vec_pkg(cfg):
    """The ``node2vec`` package as its README uses it."""
    import networkx as nx
    from node2vec import Node2Vec

    times = {}
    t = time.perf_counter()
    G = nx.read_edgelist(cfg["edg"], nodetype=int, delimiter="\t")
    times["load"] = time.perf_counter() - t

    t = time.perf_counter()
    # The constructor precomputes transition probabilities and generates all
    # walks; the two are not timed apart.
    n2v = Node2Vec(G, **_walk_settings(cfg), workers=cfg["threads"], quiet=True, seed=cfg["seed"])
    times["walks"] = time.perf_counter() - t

    t = time.perf_counter()
    # README call plus epochs=1 (gensim's default is 5) to match the others.
    model = n2v.fit(window=cfg["window"], min_count=1, batch_words=4, epochs=cfg["epochs"])
    times["train"] = time.perf_counter() - t
    emb = _canonical(lambda v: model.wv[str(v)], np.load(cfg["nodes"]))
    return emb, times


def run_skgraphemb(cfg):
    """skgraphemb's estimator; ``cfg["trainer"]``/``cfg["backend"]`` pick the variant."""
    from skgraphemb import Node2VecEmbedder, as_graph

    times = {}
    t = time.perf_counter()
    graph = as_graph(cfg["edg"])
    times["load"] = time.perf_counter() - t

    est = Node2VecEmbedder(
        **_walk_settings(cfg),
        window=cfg["window"],
        epochs=cfg["epochs"],
        n_jobs=cfg["threads"],
        random_state=cfg["seed"],
        trainer=cfg.get("trainer", "auto"),
        backend=cfg.get("backend", "auto"),
    )
    t = time.perf_counter()
    est.fit(graph)
    times["fit"] = time.perf_counter() - t
    times["walks"] = est.walk_time_
    times["train"] = est.train_time_
    row = {v: i for i, v in enumerate(est.nodes_.tolist())}
    emb = _canonical(lambda v: est.embedding_[row[v]], np.load(cfg["nodes"]))
    return emb, times


WORKERS = {"pecanpy": run_pecanpy, "node2vec-pkg": run_node2vec_pkg, "skgraphemb": run_skgraphemb}


def worker_main(config_path):
    cfg = json.loads(Path(config_path).read_text())
    emb, times = WORKERS[cfg["kind"]](cfg)
    np.save(cfg["out"] + ".npy", emb)
    if "fit" not in times:  # everything after loading the graph
        times["fit"] = sum(v for k, v in times.items() if k != "load")
    Path(cfg["out"] + ".json").write_text(json.dumps(times))


# ===========================================================================
# Parent side: measure each run, score, tabulate.
# ===========================================================================


def _descendants(root_pid):
    """``root_pid`` and all its descendants, from a scan of /proc (Linux)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _rss_bytes(pids):
    """Summed resident set size of ``pids`` (gone processes count 0)."""
    total, page = 0, os.sysconf("SC_PAGE_SIZE")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return total


def measure(cmd, env, timeout):
    """Run ``cmd``; return (returncode, wall s, peak RSS MB, timed_out, stderr tail)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stderr=err, start_new_session=True)
        peak = [0]
        done = threading.Event()

        def sample():
            # A full /proc scan costs a few ms: rescan for new child processes
            # once a second, read the known ones' RSS every 0.1 s.
            tick = 0
            while not done.is_set():
                if tick % 10 == 0:
                    pids = _descendants(proc.pid)
                peak[0] = max(peak[0], _rss_bytes(pids))
                tick += 1
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timed_out = [False]

        def kill():
            timed_out[0] = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        # wait4 gives this child's own rusage (ru_maxrss in KiB on Linux),
        # unlike RUSAGE_CHILDREN, which accumulates over all children.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    peak_mb = max(peak[0] / 2**20, usage.ru_maxrss / 1024)
    return proc.returncode, wall, peak_mb, timed_out[0], tail


def contenders_for(p, q, args):
    """(name, interpreter, worker config) of every contender for this (p, q)."""
    venv = str(args.pecanpy_python)
    first_order = p == 1 and q == 1
    out = []
    modes = PECANPY_SECOND_ORDER + (PECANPY_FIRST_ORDER if first_order else [])
    for mode in modes:
        out.append((f"pecanpy:{mode}", venv, {"kind": "pecanpy", "mode": mode}))
    out.append(("node2vec-pkg", venv, {"kind": "node2vec-pkg"}))
    out.append(("skgraphemb", sys.executable, {"kind": "skgraphemb"}))
    out.append(("skgraphemb+gensim", sys.executable, {"kind": "skgraphemb", "trainer": "gensim"}))
    out.append(("skgraphemb+pecanpy", venv, {"kind": "skgraphemb", "backend": "pecanpy", "trainer": "gensim"}))
    keep = []
    for name, python, cfg in out:
        # "pecanpy" selects every pecanpy:<Mode>, "skgraphemb" every skgraphemb+<variant>
        if args.contenders and not any(name == c or name.startswith((c + ":", c + "+")) for c in args.contenders):
            continue
        if name in args.exclude or (name == "node2vec-pkg" and args.skip_node2vec_pkg):
            continue
        if name == "pecanpy:DenseOTF" and args.n_nodes > args.max_dense_nodes:
            print(f"  (skipping pecanpy:DenseOTF: {args.n_nodes} nodes > --max-dense-nodes)")
            continue
        keep.append((name, python, cfg))
    return keep


def load_dataset(data_dir, workdir):
    """Write the graph as a plain ``.edg`` file; return nodes, edge count, labels.

    Every contender reads the same uncompressed tab-separated file (PecanPy
    and networkx cannot read gzip), and every embedding comes back with rows
    in the order of ``nodes.npy``: the sorted node ids.  ``edges.npy`` (from
    ``gen_graph.py --format npy``) is accepted too.  Without ``labels.tsv``
    the F1 columns stay empty (labelled and Y are None).
    """
    import pandas as pd
    from gen_graph import write_edges  # sibling script (benchmarks/ is on sys.path)

    data_dir = Path(data_dir)
    names = ("edges.tsv", "edges.tsv.gz", "edges.npy")
    edges_path = next((data_dir / f for f in names if (data_dir / f).exists()), None)
    if edges_path is None:
        sys.exit(
            f"bench_node2vec: no edges.tsv[.gz] or edges.npy in {data_dir} (expected the "
            "../shared/data/<name>/ format: edges.tsv.gz and labels.tsv); pass another "
            "folder with --data DIR"
        )
    if edges_path.suffix == ".npy":
        edges = np.load(edges_path)[:, :2]
    else:
        edges = pd.read_csv(edges_path, sep="\t", header=None, usecols=[0, 1], comment="#").to_numpy()
    nodes = np.unique(edges)
    np.save(workdir / "nodes.npy", nodes)
    write_edges(edges, workdir / "graph.edg")

    labels_path = data_dir / "labels.tsv"
    if not labels_path.exists():
        print(f"  (no labels.tsv in {data_dir}: no F1 scores)")
        return nodes, edges.shape[0], None, None
    labels = pd.read_csv(labels_path, sep="\t", header=None, comment="#")
    labels = labels[labels[0].isin(nodes)]
    label_ids = np.unique(labels[1])
    Y = np.zeros((len(nodes), len(label_ids)), dtype=np.int8)
    Y[np.searchsorted(nodes, labels[0]), np.searchsorted(label_ids, labels[1])] = 1
    labelled = np.flatnonzero(Y.any(axis=1))
    return nodes, edges.shape[0], labelled, Y[labelled]


def score(emb, labelled, Y, splits, n_jobs):
    """Macro- and micro-F1: 50% labelled nodes, ``splits`` random splits, top-k."""
    from skgraphemb import evaluate_node_classification

    res = evaluate_node_classification(emb[labelled], Y, cv=splits, train_size=0.5, random_state=0, n_jobs=n_jobs)
    return res.mean, res.micro_mean


def fmt(x, spec):
    """``format(x, spec)``, or a dash as wide as the spec when ``x`` is None."""
    if x is not None:
        return format(x, spec)
    width = spec.split(".")[0]
    return format("-", f">{width}") if width.isdigit() else "-"


def print_table(rows):
    head = (
        f"{'contender':<28}{'p':>5}{'q':>5}{'fit s':>9}{'walks s':>9}{'train s':>9}"
        f"{'peak MB':>9}{'macroF1':>9}{'microF1':>9}{'time x':>8}{'mem x':>7}  note"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['name']:<28}{r['p']:>5g}{r['q']:>5g}{fmt(r.get('fit'), '9.1f')}"
            f"{fmt(r.get('walks'), '9.1f')}{fmt(r.get('train'), '9.1f')}"
            f"{fmt(r.get('peak_mb'), '9.0f')}{fmt(r.get('macro'), '9.4f')}"
            f"{fmt(r.get('micro'), '9.4f')}{fmt(r.get('time_ratio'), '8.2f')}"
            f"{fmt(r.get('mem_ratio'), '7.2f')}  {r.get('note', '')}"
        )


def main(argv=None):
    if str(ROOT) not in sys.path:  # the parent scores with skgraphemb's evaluation
        sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dataset folder (edges.tsv[.gz], labels.tsv)")
    parser.add_argument("--pq", nargs="+", default=DEFAULT_PQ, metavar="P,Q", help="(p, q) pairs")
    parser.add_argument("--repeats", type=int, default=1, help="runs per contender and (p, q)")
    parser.add_argument("--quick", action="store_true", help="num_walks 2: a smoke run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--contenders", nargs="+", help="names or prefixes, e.g. pecanpy skgraphemb")
    parser.add_argument("--exclude", nargs="+", default=[], help="exact contender names to leave out")
    parser.add_argument("--skip-node2vec-pkg", action="store_true", help="leave out the node2vec package")
    parser.add_argument("--node2vec-pkg-timeout", type=float, default=3600, help="seconds (default 3600)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run for the others")
    parser.add_argument("--max-dense-nodes", type=int, default=60_000, help="skip DenseOTF above this")
    parser.add_argument("--splits", type=int, default=5, help="random 50/50 splits for the F1 scores")
    parser.add_argument("--no-eval", action="store_true", help="skip the F1 evaluation")
    parser.add_argument("--pecanpy-python", type=Path, default=PECANPY_PYTHON)
    parser.add_argument("--json", type=Path, help="also write all results here")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the temporary files")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker)

    settings = dict(SETTINGS, num_walks=2 if args.quick else SETTINGS["num_walks"])
    workdir = Path(tempfile.mkdtemp(prefix="bench_node2vec_"))
    nodes, n_edges, labelled, Y = load_dataset(args.data, workdir)
    args.n_nodes = len(nodes)
    print(
        f"{args.data.name}: {len(nodes)} nodes, {n_edges} edges, "
        f"{'no' if Y is None else Y.shape[1]} labels; "
        f"{settings}, threads={args.threads}, repeats={args.repeats}; work dir {workdir}; "
        f"{describe_machine()}"
    )
    has_venv = args.pecanpy_python.exists()
    if not has_venv:
        print(f"  ({args.pecanpy_python} missing: run scripts/pecanpy-env.sh for PecanPy rows)")

    env = dict(os.environ)
    # Run skgraphemb from this checkout whether or not it is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)

    rows = []
    for pq in args.pq:
        p, q = (float(x) for x in pq.split(","))
        for name, python, extra in contenders_for(p, q, args):
            if python != sys.executable and not has_venv:
                continue
            runs = []
            for rep in range(args.repeats):
                out = str(workdir / f"{name.replace(':', '_')}_p{p:g}_q{q:g}_r{rep}")
                cfg = dict(
                    settings,
                    **extra,
                    p=p,
                    q=q,
                    threads=args.threads,
                    seed=args.seed + rep,
                    edg=str(workdir / "graph.edg"),
                    nodes=str(workdir / "nodes.npy"),
                    out=out,
                )
                Path(out + ".cfg.json").write_text(json.dumps(cfg))
                timeout = args.node2vec_pkg_timeout if name == "node2vec-pkg" else args.timeout
                cmd = [python, str(Path(__file__).resolve()), "--worker", out + ".cfg.json"]
                rc, wall, peak_mb, timed_out, err = measure(cmd, env, timeout)
                run = {
                    "name": name,
                    "p": p,
                    "q": q,
                    "repeat": rep,
                    "wall": wall,
                    "peak_mb": peak_mb,
                    "loadavg": os.getloadavg()[0],
                }
                if rc == 0:
                    run.update(json.loads(Path(out + ".json").read_text()))
                    if not args.no_eval and Y is not None:
                        run["macro"], run["micro"] = score(
                            np.load(out + ".npy"), labelled, Y, args.splits, args.threads
                        )
                    Path(out + ".npy").unlink()
                elif timed_out:
                    run["note"] = f"timed out after {timeout:.0f}s"
                elif rc < 0:
                    run["note"] = f"killed by signal {-rc} after {wall:.0f}s" + (
                        " (out of memory?)" if rc == -signal.SIGKILL else ""
                    )
                else:
                    last = err.strip().splitlines()[-1] if err.strip() else f"exit status {rc}"
                    run["note"] = f"failed: {last[:120]}"
                runs.append(run)
                print(
                    f"  {name} p={p:g} q={q:g} run {rep}: wall {wall:.1f}s, fit {fmt(run.get('fit'), '.1f')}s, "
                    f"peak {peak_mb:.0f} MB, macro-F1 {fmt(run.get('macro'), '.4f')}, "
                    f"load avg {run['loadavg']:.1f} {run.get('note', '')}",
                    flush=True,
                )
            rows.append(summarise(runs))

    add_ratios(rows)
    print()
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps({"settings": settings, "data": str(args.data), "rows": rows}, indent=1))
    if not args.keep_workdir:
        shutil.rmtree(workdir, ignore_errors=True)


def summarise(runs):
    """One row per contender and (p, q): median times, max memory, mean F1."""
    ok = [r for r in runs if "fit" in r]
    row = {k: runs[0][k] for k in ("name", "p", "q")}
    row["peak_mb"] = max(r["peak_mb"] for r in runs)
    if not ok:
        row["note"] = runs[0].get("note", "")
        return row
    for key in ("fit", "walks", "train", "preprocess", "load"):
        vals = [r[key] for r in ok if key in r]
        if vals:
            row[key] = float(np.median(vals))
    if "preprocess" in row:  # PecanPy: walk generation includes its precompute
        row["walks"] = row["walks"] + row["preprocess"]
    for key in ("macro", "micro"):
        vals = [r[key] for r in ok if key in r]
        if vals:
            row[key] = float(np.mean(vals))
    row["peak_mb"] = max(r["peak_mb"] for r in ok)
    row["runs"] = len(ok)
    if len(ok) < len(runs):
        row["note"] = f"{len(runs) - len(ok)} of {len(runs)} runs failed"
    return row


def add_ratios(rows):
    """Time and memory relative to the fastest PecanPy mode at the same (p, q)."""
    for pq in {(r["p"], r["q"]) for r in rows}:
        same = [r for r in rows if (r["p"], r["q"]) == pq]
        pecan = [r for r in same if r["name"].startswith("pecanpy:") and "fit" in r]
        if not pecan:
            continue
        best = min(pecan, key=lambda r: r["fit"])
        for r in same:
            if "fit" in r:
                r["time_ratio"] = r["fit"] / best["fit"]
                r["mem_ratio"] = r["peak_mb"] / best["peak_mb"]
        best["note"] = (best.get("note", "") + " fastest PecanPy mode (ratio base)").strip()


if __name__ == "__main__":
    main()
