"""Publishing embeddings to Redis: RedisExporter against the plain ways, and reading back.

Starts its own ``redis-server`` on a free loopback port (persistence off) and
stops it at the end.  For each size (default 100k and 1M vectors of 128
float32), side by side in one run:

- **naive**: ``for i: r.set(f"emb:{id}", Z[i].tobytes())``, one round trip
  per key.  For sizes above ``--naive-sample`` it is timed on the first
  ``--naive-sample`` vectors and its rate extrapolated (the rate of a
  one-key-per-round-trip loop does not depend on how many keys follow);
- **reference**: the reference workflow's ``store_embeddings``: one redis-py
  pipeline holding every ``SET``;
- **exporter keys**: ``RedisExporter(mode="keys")`` (batched ``MSET``,
  packed in the Redis protocol, then an ``EXISTS`` check of every key);
- **exporter versioned**: ``RedisExporter(mode="versioned")`` (the same,
  plus id list, metadata and the pointer switch; the previous version is
  removed after the switch, which is included in the time);
- **read get_many**: ``RedisEmbeddingStore.get_many(all ids)`` (chunked
  ``MGET`` + version pointer check) and, for comparison, the reference
  ``get_embedding`` loop (one ``GET`` per key) on ``--naive-sample`` ids.

The server is emptied before each timed run.  Times are wall-clock; the
table shows min and median over ``--repeats`` and vectors/s from the median.
``--batch-sizes`` adds a sweep of the exporter's batch size at the smallest
size.

Run::

    python benchmarks/bench_redis.py                       # 100k and 1M, 3 repeats
    python benchmarks/bench_redis.py --sizes 100000 --repeats 1 --batch-sizes 500,2000,10000
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's skgraphemb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: str) -> tuple[subprocess.Popen, int]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found: run scripts/ensure-services.sh or apt-get install redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--logfile",
            os.path.join(workdir, "redis.log"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(500):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.01)
    client.close()
    return proc, port


def timed(fn, repeats: int, before=None) -> list[float]:
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated vector counts")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=50_000,
        help="largest number of keys the naive loops write/read (rate extrapolated)",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="exporter batch size (default: its own)")
    parser.add_argument("--batch-sizes", default="", help="also sweep these batch sizes at the smallest size")
    parser.add_argument("--skip-reference", action="store_true", help="skip the one-pipeline reference writer")
    args = parser.parse_args()

    import numpy as np
    import redis

    from skgraphemb import RedisEmbeddingStore, RedisExporter

    sizes = [int(s) for s in args.sizes.split(",")]
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    proc, port = start_server(workdir)
    url = f"redis://127.0.0.1:{port}/0"
    r = redis.Redis(port=port)
    version = r.info("server")["redis_version"]
    print(
        f"redis-server {version} on 127.0.0.1:{port}; redis-py {redis.__version__}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; load {os.getloadavg()}",
        flush=True,
    )
    rows = []

    def row(name, n, times, extrapolated=False, note=""):
        med = statistics.median(times)
        rate = n / med
        rows.append((name, n, min(times), med, rate, extrapolated, note))
        print(
            f"  {name:<28} n={n:>9,}  min {min(times):8.2f} s  median {med:8.2f} s  "
            f"{rate:>11,.0f} vectors/s{' (sampled)' if extrapolated else ''} {note}",
            flush=True,
        )
        return rate

    try:
        for n in sizes:
            print(f"\n{n:,} vectors x {args.dim} float32", flush=True)
            Z = np.random.default_rng(0).normal(size=(n, args.dim)).astype(np.float32)
            ids = np.arange(n)
            rates = {}

            sample = min(n, args.naive_sample)

            def naive(k=sample, Z=Z):
                for i in range(k):
                    r.set(f"emb:{i}", Z[i].tobytes())

            rates["naive"] = row("naive SET loop", sample, timed(naive, 1, r.flushall), sample < n)

            if not args.skip_reference:

                def reference(Z=Z, ids=ids):
                    pipe = r.pipeline()
                    for node_id, emb in zip(ids.tolist(), Z, strict=True):
                        pipe.set(f"emb:{node_id}", emb.tobytes())
                    pipe.execute()

                rates["reference"] = row("reference one pipeline", n, timed(reference, 1, r.flushall))

            kwargs = {} if args.batch_size is None else {"batch_size": args.batch_size}
            keys_exporter = RedisExporter(url, mode="keys", **kwargs)
            rates["keys"] = row(
                "exporter keys", n, timed(partial(keys_exporter.fit, Z, keys=ids), args.repeats, r.flushall)
            )
            used = r.info("memory")["used_memory"] / 2**20
            store = RedisEmbeddingStore(url, missing="raise")
            got = store.get_many(ids)
            assert np.array_equal(got, Z), "keys mode read back differs"
            rates["read"] = row("read get_many (keys)", n, timed(partial(store.get_many, ids), args.repeats))

            def reference_read(k=sample):
                for node_id in range(k):
                    raw = r.get(f"emb:{node_id}")
                    np.frombuffer(raw, dtype=np.float32).reshape(args.dim)

            rates["naive_read"] = row("read GET loop (reference)", sample, timed(reference_read, 1), sample < n)

            r.flushall()
            versioned = RedisExporter(url, mode="versioned", **kwargs)
            versioned.fit(Z, keys=ids)  # a previous version to switch from and remove
            rates["versioned"] = row(
                "exporter versioned",
                n,
                timed(partial(versioned.fit, Z, keys=ids), args.repeats),
                note="(incl. removing the previous version)",
            )
            store = RedisEmbeddingStore(url, missing="raise")
            assert np.array_equal(store.get_many(ids), Z), "versioned read back differs"
            rates["vread"] = row("read get_many (versioned)", n, timed(partial(store.get_many, ids), args.repeats))
            r.flushall()
            print(f"  redis used_memory after a keys-mode publication: {used:,.0f} MiB")
            print(
                f"  exporter keys / naive: {rates['keys'] / rates['naive']:.1f}x; "
                f"versioned / naive: {rates['versioned'] / rates['naive']:.1f}x; "
                + (
                    f"keys / reference pipeline: {rates['keys'] / rates['reference']:.1f}x; "
                    if "reference" in rates
                    else ""
                )
                + f"get_many / GET loop: {rates['read'] / rates['naive_read']:.1f}x",
                flush=True,
            )

        if args.batch_sizes:
            n = sizes[0]
            Z = np.random.default_rng(0).normal(size=(n, args.dim)).astype(np.float32)
            ids = np.arange(n)
            print(f"\nbatch size sweep, exporter keys mode, {n:,} vectors", flush=True)
            for bs in [int(b) for b in args.batch_sizes.split(",")]:
                exporter = RedisExporter(url, batch_size=bs)
                row(f"exporter keys batch={bs}", n, timed(partial(exporter.fit, Z, keys=ids), args.repeats, r.flushall))
    finally:
        r.close()
        proc.terminate()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    print("\n| variant | vectors | min s | median s | vectors/s |")
    print("| --- | --: | --: | --: | --: |")
    for name, n, tmin, tmed, rate, extrapolated, _note in rows:
        star = " (sample)" if extrapolated else ""
        print(f"| {name}{star} | {n:,} | {tmin:.2f} | {tmed:.2f} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
