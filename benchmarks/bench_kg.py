"""KGEmbedder against raw PyKEEN: wrapper overhead, link-prediction quality, FB15k-237 cost.

Three parts (``--parts``, default all):

``overhead``
    ``pykeen.pipeline(dataset="Nations", model="TransE",
    training_kwargs=dict(num_epochs=100, batch_size=256),
    optimizer_kwargs=dict(lr=0.01), evaluation_kwargs=dict(batch_size=256),
    random_seed=42)`` against ``load_kg("nations")`` + ``KGEmbedder(...).fit``
    + ``evaluate(test, filter_triples=valid)`` with the same settings, in one
    process, interleaved (the order alternates each repeat), after one
    warm-up run of each (imports, first-call costs).  Reports min and median
    wall time and CPU time (``time.process_time``: with one torch thread it
    is the work done, and moves far less than wall time when other jobs load
    a shared machine), their ratios (target <= 1.05), and checks that both
    give the same filtered MRR and Hits@10.

``table``
    TransE, RotatE, DistMult and ComplEx on Nations, UMLS (PyKEEN's bundled
    splits) and CoDEx-S (``../shared/data/codex-s``): filtered MRR, Hits@1,
    Hits@10 on the test split (validation triples filtered too) and fit time.
    One common protocol for all (see ``PROTOCOL``), not per-model tuned.

``fb15k237``
    TransE and RotatE on FB15k-237 (``../shared/data/fb15k-237``) for a few
    epochs, each in a fresh child process, once through raw PyKEEN
    (``TriplesFactory`` + model + ``SLCWATrainingLoop.train``) and once
    through ``KGEmbedder``: seconds per epoch (timed by a PyKEEN training
    callback, from the first batch to the end of each epoch) and peak RSS
    (the child's ``ru_maxrss``), plus the RSS before training.

Run (``nice`` it on a shared machine)::

    python benchmarks/bench_kg.py                       # everything
    python benchmarks/bench_kg.py --parts overhead --repeats 5
    python benchmarks/bench_kg.py --parts table --datasets nations umls
    python benchmarks/bench_kg.py --parts fb15k237 --fb-epochs 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE.parent))  # this checkout's skgraphemb

#: The common protocol of the quality table: same training recipe for every
#: model (sLCWA, 4 uniform negatives per positive, Adam, batch 256), the
#: same number of real parameters per entity (128: complex models get 64
#: complex dimensions), and each model with a loss it is usually trained with.
PROTOCOL = dict(batch_size=256, learning_rate=0.01, negative_sampler_kwargs={"num_negs_per_pos": 4})
MODELS = {
    "TransE": dict(embedding_dim=128),  # margin ranking loss (PyKEEN's default), L1 distance
    "RotatE": dict(embedding_dim=64, loss="nssa"),  # self-adversarial loss of the RotatE paper
    "DistMult": dict(embedding_dim=128, loss="softplus"),
    # ComplEx's own PyKEEN default loss; PyKEEN initialises ComplEx with N(0, 1),
    # which on CoDEx-S barely moves in tens of epochs (MRR 0.003 after 10):
    # Xavier initialisation as DistMult's.
    "ComplEx": dict(
        embedding_dim=64,
        loss="softplus",
        model_kwargs={"entity_initializer": "xavier_normal_", "relation_initializer": "xavier_normal_"},
    ),
}
EPOCHS = {"nations": 100, "umls": 100, "codex-s": 30}


def _load(name: str, data: Path):
    import skgraphemb as sge

    if name in ("nations", "umls", "kinships"):
        return sge.load_kg(name)
    folder = data / name
    if not folder.exists():
        raise SystemExit(
            f"{name}: no folder {str(folder)!r}; pass --data pointing to the shared data "
            "folder (the one holding codex-s/ and fb15k-237/)"
        )
    return sge.load_kg_dir(folder)


def epoch_timer():
    """A PyKEEN training callback timing each epoch from its first batch to its end."""
    from pykeen.training.callbacks import TrainingCallback

    class EpochTimer(TrainingCallback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []
            self._start = None

        def pre_batch(self, **kwargs):
            if self._start is None:
                self._start = time.perf_counter()

        def post_epoch(self, epoch, epoch_loss, **kwargs):
            self.seconds.append(time.perf_counter() - self._start)
            self._start = None

    return EpochTimer()


# -- part 1: overhead ---------------------------------------------------------------
def _run_pipeline(epochs: int) -> tuple[float, float, dict]:
    from pykeen.pipeline import pipeline

    t0, c0 = time.perf_counter(), time.process_time()
    result = pipeline(
        dataset="Nations",
        model="TransE",
        training_kwargs=dict(num_epochs=epochs, batch_size=256),
        optimizer_kwargs=dict(lr=0.01),
        evaluation_kwargs=dict(batch_size=256),
        random_seed=42,
        device="cpu",  # as KGEmbedder's default (PyKEEN would take a GPU where there is one)
        use_tqdm=False,
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    m = result.metric_results
    return (
        wall,
        cpu,
        {
            "mrr": m.get_metric("both.realistic.inverse_harmonic_mean_rank"),
            "hits@10": m.get_metric("both.realistic.hits_at_10"),
        },
    )


def _run_ours(epochs: int) -> tuple[float, float, dict]:
    import skgraphemb as sge

    t0, c0 = time.perf_counter(), time.process_time()
    nations = sge.load_kg("nations")
    kge = sge.KGEmbedder("TransE", num_epochs=epochs, batch_size=256, learning_rate=0.01, random_state=42)
    kge.fit(nations.train)
    res = kge.evaluate(nations.test, filter_triples=nations.valid)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall, cpu, {"mrr": res["mrr"], "hits@10": res["hits@10"]}


def part_overhead(args) -> None:
    print(
        f"\n## overhead: pykeen.pipeline vs KGEmbedder on Nations, TransE, {args.epochs} epochs, "
        f"{args.repeats} interleaved repeats (load {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    _run_pipeline(1), _run_ours(1)  # warm-up: imports and first-call costs
    times = {"pykeen.pipeline": [], "KGEmbedder": []}
    cpus = {"pykeen.pipeline": [], "KGEmbedder": []}
    metrics = {}
    runners = {"pykeen.pipeline": _run_pipeline, "KGEmbedder": _run_ours}
    for r in range(args.repeats):
        order = list(runners) if r % 2 == 0 else list(runners)[::-1]
        for name in order:
            wall, cpu, m = runners[name](args.epochs)
            times[name].append(wall)
            cpus[name].append(cpu)
            metrics.setdefault(name, m)
            assert m == metrics[name], f"{name} is not deterministic: {m} vs {metrics[name]}"
            print(
                f"  repeat {r} {name:<16} wall {wall:7.2f} s  cpu {cpu:7.2f} s  MRR {m['mrr']:.6f}  "
                f"Hits@10 {m['hits@10']:.6f}  load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    same = metrics["pykeen.pipeline"] == metrics["KGEmbedder"]
    print("\n| variant | wall min s | wall median s | CPU min s | CPU median s | filtered MRR | Hits@10 |")
    print("| --- | --: | --: | --: | --: | --: | --: |")
    for name, ts in times.items():
        m, cs = metrics[name], cpus[name]
        print(
            f"| {name} | {min(ts):.2f} | {statistics.median(ts):.2f} | {min(cs):.2f} | "
            f"{statistics.median(cs):.2f} | {m['mrr']:.5f} | {m['hits@10']:.5f} |"
        )
    ratio = lambda d, f: f(d["KGEmbedder"]) / f(d["pykeen.pipeline"])  # noqa: E731
    paired = [a / b for a, b in zip(cpus["KGEmbedder"], cpus["pykeen.pipeline"])]
    print(
        f"\nKGEmbedder / pipeline (target <= 1.05): wall min {ratio(times, min):.3f}, wall median "
        f"{ratio(times, statistics.median):.3f}, CPU min {ratio(cpus, min):.3f}, CPU median "
        f"{ratio(cpus, statistics.median):.3f}, CPU per repeat {', '.join(f'{p:.3f}' for p in paired)}; "
        f"identical metrics: {same}; load after: {os.getloadavg()[0]:.2f}",
        flush=True,
    )


# -- part 2: model x dataset table ------------------------------------------------------
def part_table(args) -> None:
    import skgraphemb as sge

    print(
        f"\n## quality: {', '.join(args.models)} on {', '.join(args.datasets)} (load {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    rows = []
    for ds in args.datasets:
        data = _load(ds, args.data)
        epochs = args.table_epochs or EPOCHS.get(ds, 50)
        for model in args.models:
            timer = epoch_timer()
            kge = sge.KGEmbedder(
                model,
                num_epochs=epochs,
                random_state=0,
                device="cpu",
                training_kwargs={"callbacks": [timer]},
                **PROTOCOL,
                **MODELS[model],
            )
            t0 = time.perf_counter()
            kge.fit(data.train)
            fit_s = time.perf_counter() - t0
            res = kge.evaluate(data.test, filter_triples=data.valid)
            eval_s = time.perf_counter() - t0 - fit_s
            row = dict(
                dataset=ds,
                model=model,
                epochs=epochs,
                fit_s=fit_s,
                eval_s=eval_s,
                s_per_epoch=statistics.median(timer.seconds),
                **res,
            )
            rows.append(row)
            print(f"  {json.dumps(row)}", flush=True)
    print("\n| dataset | model | epochs | MRR | Hits@1 | Hits@10 | fit s | s/epoch | eval s |")
    print("| --- | --- | --: | --: | --: | --: | --: | --: | --: |")
    for r in rows:
        print(
            f"| {r['dataset']} | {r['model']} | {r['epochs']} | {r['mrr']:.3f} | {r['hits@1']:.3f} | "
            f"{r['hits@10']:.3f} | {r['fit_s']:.1f} | {r['s_per_epoch']:.2f} | {r['eval_s']:.1f} |"
        )
    print(f"load after: {os.getloadavg()[0]:.2f}", flush=True)


# -- part 3: FB15k-237 cost --------------------------------------------------------------
def fb_child(args) -> dict:
    """One model, one path, in this (fresh) process: seconds per epoch and peak RSS."""
    import numpy as np
    import torch

    import skgraphemb as sge

    data = _load("fb15k-237", args.data)
    dim = MODELS[args.model]["embedding_dim"]
    timer = epoch_timer()
    if args.path == "pykeen":
        from pykeen.models import model_resolver
        from pykeen.training import SLCWATrainingLoop
        from pykeen.triples import TriplesFactory

        tf = TriplesFactory.from_labeled_triples(np.asarray(data.train, dtype=str))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        model = model_resolver.make(args.model, triples_factory=tf, embedding_dim=dim, random_seed=0)
        opt = torch.optim.Adam(model.get_grad_params(), lr=0.01)
        loop = SLCWATrainingLoop(model=model, triples_factory=tf, optimizer=opt)
        loop.train(
            triples_factory=tf,
            num_epochs=args.fb_epochs,
            batch_size=args.fb_batch_size,
            use_tqdm=False,
            callbacks=[timer],
            pin_memory=False,
        )
    else:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        kge = sge.KGEmbedder(
            args.model,
            embedding_dim=dim,
            num_epochs=args.fb_epochs,
            batch_size=args.fb_batch_size,
            learning_rate=0.01,
            random_state=0,
            device="cpu",
            training_kwargs={"callbacks": [timer]},
        )
        kge.fit(data.train)
    fit_s = time.perf_counter() - t0
    return {
        "fit_s": fit_s,
        "epoch_s": timer.seconds,
        "rss_before_mb": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
    }


def part_fb15k237(args) -> None:
    print(
        f"\n## FB15k-237: {args.fb_epochs} epochs, batch {args.fb_batch_size}, one child per run "
        f"(load {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    rows = []
    for model in ("TransE", "RotatE"):
        for path in ("pykeen", "KGEmbedder"):
            cmd = [
                sys.executable,
                __file__,
                "--child",
                "--model",
                model,
                "--path",
                path,
                "--threads",
                str(args.threads),
                "--data",
                str(args.data),
                "--fb-epochs",
                str(args.fb_epochs),
                "--fb-batch-size",
                str(args.fb_batch_size),
            ]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr[-2000:], file=sys.stderr)
                raise SystemExit(f"child {model}/{path} failed")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append((model, path, r))
            print(f"  {model:<7} {path:<10} {json.dumps(r)}", flush=True)
    print("\n| model | path | dim | epochs | s/epoch (each) | fit s | RSS before fit MB | peak RSS MB |")
    print("| --- | --- | --: | --: | --- | --: | --: | --: |")
    for model, path, r in rows:
        each = ", ".join(f"{s:.1f}" for s in r["epoch_s"])
        print(
            f"| {model} | {path} | {MODELS[model]['embedding_dim']} | {len(r['epoch_s'])} | {each} | "
            f"{r['fit_s']:.1f} | {r['rss_before_mb']:.0f} | {r['peak_rss_mb']:.0f} |"
        )
    print(f"load after: {os.getloadavg()[0]:.2f}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--parts", nargs="+", default=["overhead", "table", "fb15k237"], choices=["overhead", "table", "fb15k237"]
    )
    parser.add_argument("--repeats", type=int, default=5, help="overhead: interleaved repeats")
    parser.add_argument("--epochs", type=int, default=100, help="overhead: epochs")
    parser.add_argument("--datasets", nargs="+", default=["nations", "umls", "codex-s"])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument(
        "--table-epochs", type=int, default=None, help=f"table: epochs for every dataset (default {EPOCHS})"
    )
    parser.add_argument("--fb-epochs", type=int, default=2)
    parser.add_argument("--fb-batch-size", type=int, default=1024)
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("SKGRAPHEMB_DATA", DATA)),
        help="folder holding codex-s/ and fb15k-237/ (default ../shared/data)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads for every variant (default 1: on a busy shared machine "
        "more threads oversubscribe the cores and run several times slower)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    if args.child:
        print(json.dumps(fb_child(args)))
        return 0
    print(
        f"# bench_kg.py, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, torch "
        f"{torch.__version__} ({torch.get_num_threads()} threads)",
        flush=True,
    )
    for part in args.parts:
        {"overhead": part_overhead, "table": part_table, "fb15k237": part_fb15k237}[part](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
