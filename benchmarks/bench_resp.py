"""RedisExporter's hand-written RESP packing against redis-py's own batched writes (issue #13).

The exporter used to pack every write batch in the Redis protocol itself;
the rule of issue #13: a hand-written path stays only where it is at least
2x faster than the best redis-py path for the same writes.  This measures,
in one run and on one ``redis-server`` (started here on a free loopback
port, persistence off), the same writes -- ``n`` float32 vectors of
``--dim`` dimensions under ``emb:{node}``, raw little-endian bytes, in
batches of ``--batch-size`` keys with one round trip per batch, as the
exporter stores them -- by:

- **packed MSET**: one ``MSET`` per batch packed by hand (the exporter's
  former ``mode="keys"`` path, kept here as :func:`former_pack`);
- **redis-py mset**: ``client.mset({key: bytes, ...})`` per batch (the
  exporter's ``mode="keys"`` path now, ``RedisExporter._send_batch``);
- **redis-py pipeline**: ``client.pipeline(transaction=False)`` with one
  ``set`` per key, ``execute()`` per batch;
- **packed EVAL claimed**: one ``EVAL`` of the claimed-write script per
  batch packed by hand (the former ``mode="versioned"`` path);
- **redis-py eval claimed**: ``client.eval(script, 0, claim, token, k1, v1, ...)``
  per batch (the ``mode="versioned"`` path now);
- **packed SET PX**: one ``SET key value PX ms`` per key, a batch packed by
  ``_protocol._pack_sets`` and sent at once (the exporter's ``ttl=`` path,
  and per server its cluster path, kept);
- **redis-py pipeline PX**: ``client.pipeline(transaction=False)`` with one
  ``set(key, value, px=ms)`` per key, ``execute()`` per batch.

Contenders run round robin (each once per repeat), so a change in the
machine's load hits them all.  Every contender gets the same key names (``str``) and the same ``(n, dim)``
float32 array, and does its own key encoding and row slicing inside the
timed region.  The server is emptied before each timed run; a sample of keys
is read back and compared after each.  Times are wall-clock, min and median
over ``--repeats``, and the median CPU time of this (client) process;
the ratio columns divide the fastest redis-py contender of the same kind
(plain writes, claimed writes, writes with a ttl) by this one, in wall
time and in client CPU time: above 2 the hand-packed path is worth keeping.
redis-py parses replies (and packs commands) with ``hiredis`` when it is
installed (printed).

Run::

    nice -n 19 python benchmarks/bench_resp.py                    # 100k and 1M, 3 repeats
    nice -n 19 python benchmarks/bench_resp.py --sizes 20000 --repeats 1   # quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's skgraphemb
sys.path.insert(0, str(HERE))

from bench_redis import start_server  # noqa: E402

PREFIX = "emb:"
TTL_MS = 3_600_000


def former_pack(bulks: list[bytes], values, script: bytes, claim: tuple[bytes, bytes] | None = None) -> bytes:
    """One batch as the exporter packed it before issue #13: ``MSET k1 v1 ...``, or with ``claim``
    one ``EVAL`` of the claimed-write ``script`` (numpy lays out the value parts, Python interleaves the keys)."""
    import numpy as np

    m, row = values.shape
    head = b"$%d\r\n" % row
    fixed = np.empty((m, len(head) + row + 2), dtype=np.uint8)
    fixed[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    fixed[:, len(head) : len(head) + row] = values
    fixed[:, len(head) + row :] = np.frombuffer(b"\r\n", dtype=np.uint8)
    width = fixed.shape[1]
    rows = memoryview(fixed.reshape(-1))
    parts: list = [b""] * (2 * m)
    parts[0::2] = bulks
    parts[1::2] = [rows[i * width : (i + 1) * width] for i in range(m)]
    if claim is None:
        return b"*%d\r\n$4\r\nMSET\r\n" % (2 * m + 1) + b"".join(parts)
    head_args = b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in (script, b"0", *claim))
    return b"*%d\r\n$4\r\nEVAL\r\n" % (2 * m + 5) + head_args + b"".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated vector counts")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2000, help="keys per round trip (the exporter's default)")
    args = parser.parse_args()

    import numpy as np
    import redis
    import redis.utils

    from skgraphemb.export.redis import RedisExporter, _connection, _protocol

    workdir = tempfile.mkdtemp(prefix="bench-resp-")
    proc, port = start_server(workdir)
    url = f"redis://127.0.0.1:{port}/0"
    r = redis.Redis(port=port)
    print(
        f"redis-server {r.info('server')['redis_version']} on 127.0.0.1:{port}; redis-py {redis.__version__}, "
        f"hiredis {'yes' if redis.utils.HIREDIS_AVAILABLE else 'NO'}; {os.cpu_count()} CPUs; "
        f"load {os.getloadavg()}; batch {args.batch_size}",
        flush=True,
    )
    conn = _connection._Connection(
        url=url, client=None, cluster=False, socket_timeout=60.0, max_retries=0, retry_backoff=0.2, who="bench"
    ).connect()
    client = conn.client  # the same client (no retries, no cluster) for every contender
    claim = (b"emb:v1:__owner__", b"token")
    script = _protocol._WRITE_CLAIMED_SCRIPT
    step = args.batch_size

    def batches(names, Z):
        raw = Z.view(np.uint8).reshape(len(names), -1)
        for start in range(0, len(names), step):
            keys = [(PREFIX + name).encode() for name in names[start : start + step]]
            yield keys, raw[start : start + len(keys)]

    def packed(names, Z, with_claim=False):
        for keys, block in batches(names, Z):
            payload = former_pack(_protocol._key_bulks(keys), block, script.encode(), claim if with_claim else None)
            (reply,) = conn.send_packed([(client, payload, 1)])
            assert reply in (1, b"OK"), reply

    def exporter(names, Z, with_claim=False, px=None):
        for keys, block in batches(names, Z):
            replies = RedisExporter._send_batch(conn, keys, block, px, claim if with_claim else None)
            assert all(reply in (1, b"OK") for reply in replies), replies[:3]

    def pipeline(names, Z, px=None):
        for keys, block in batches(names, Z):
            pipe = client.pipeline(transaction=False)
            for key, value in zip(keys, _protocol._rows(block), strict=True):
                pipe.set(key, value, px=px)
            pipe.execute()

    contenders = [
        ("plain", "packed MSET (former)", packed),
        ("plain", "redis-py mset (now)", exporter),
        ("plain", "redis-py pipeline", pipeline),
        ("claimed", "packed EVAL claimed (former)", partial(packed, with_claim=True)),
        ("claimed", "redis-py eval claimed (now)", partial(exporter, with_claim=True)),
        ("ttl", "packed SET PX (kept)", partial(exporter, px=TTL_MS)),
        ("ttl", "redis-py pipeline PX", partial(pipeline, px=TTL_MS)),
    ]
    results = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            Z = np.random.default_rng(0).normal(size=(n, args.dim)).astype(np.float32)
            names = [str(i) for i in range(n)]
            sample = list(range(0, n, max(1, n // 50))) + [n - 1]
            print(f"\n{n:,} vectors x {args.dim} float32", flush=True)
            times: dict[str, list[tuple[float, float]]] = {name: [] for _, name, _ in contenders}
            for _ in range(args.repeats):  # round robin, so a change of load hits every contender
                for _, name, fn in contenders:
                    client.flushall()
                    client.set(claim[0], claim[1])
                    start, cpu = time.perf_counter(), time.process_time()
                    fn(names, Z)
                    times[name].append((time.perf_counter() - start, time.process_time() - cpu))
                    got = client.mget([PREFIX + names[i] for i in sample])
                    assert got == [Z[i].tobytes() for i in sample], f"{name}: read back differs"
                    assert client.dbsize() == n + 1, f"{name}: {client.dbsize()} keys"
            for kind, name, _ in contenders:
                wall = [w for w, _ in times[name]]
                med, cpu = statistics.median(wall), statistics.median(c for _, c in times[name])
                results.append((n, kind, name, min(wall), med, cpu))
                print(
                    f"  {name:<30} min {min(wall):7.2f} s  median {med:7.2f} s  {n / med:>11,.0f} vectors/s  "
                    f"client CPU {cpu:7.2f} s",
                    flush=True,
                )
    finally:
        conn.close()
        r.close()
        proc.terminate()
        proc.wait()

    print(f"\nload after: {os.getloadavg()}")
    print("\n| vectors | contender | min s | median s | vectors/s | client CPU s | best redis-py / this | CPU ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n, kind, name, lo, med, cpu in results:
        peers = [r for r in results if (r[0], r[1]) == (n, kind) and r[2].startswith("redis-py")]
        best = min(peers, key=lambda r: r[4])
        print(
            f"| {n:,} | {name} | {lo:.2f} | {med:.2f} | {n / med:,.0f} | {cpu:.2f} | "
            f"{best[4] / med:.2f}x | {best[5] / cpu:.2f}x |"
        )


if __name__ == "__main__":
    main()
