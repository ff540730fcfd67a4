"""Redis fault campaign: kill -9 the server and the writer during versioned publications.

Starts its own ``redis-server`` processes on free loopback ports (one per
persistence mode: RDB snapshots only, AOF ``everysec``, AOF ``always``) and,
for each, runs a share of the faults:

- a **writer** process publishes, in a loop, versioned publications of
  ``--vectors`` vectors (default 100,000) under one key prefix; each
  publication is made from a seed: its node set (``--vectors`` of
  ``1.1 * --vectors`` node ids, so every publication drops nodes of the
  previous one), its dtype and dimension (float32 x 16, float64 x 8,
  float16 x 32: the same 64 bytes per vector, so a vector decoded with the
  wrong dtype or dimension has the right length and only its values can
  tell) and its values (small integers, exact in every dtype, the first one
  the seed);
- **readers** (threads, ``--readers``) read random samples of the node ids,
  and now and then every id, through :class:`RedisEmbeddingStore`, and
  check every read against the publication its metadata names;
- **faults**, every 0-``--max-gap`` seconds, so they land at random points
  of the publications: ``kill -9`` of the redis-server (restarted after a
  random delay of 0-``--max-down`` seconds, from its RDB or AOF files) or
  ``kill -9`` of the writer (a new writer is started).

Invariants, checked on every read (violations are counted, and must be 0):

- *one complete version*: every row of a read is the vector of the
  publication named by the metadata the read was decoded with, every node of
  that publication asked for is found (a complete version), and nothing
  else is;
- *no removed node served*: a node absent from the served publication (one
  its version retired) is never returned;
- *dtype and dimension*: the store's dtype and dimension are those of the
  publication, and the values decoded are its values;
- *no version name reused*: one version name never names two publications
  (two publication tokens), unless the server had lost every trace of the
  first (a restart from a snapshot older than it: RDB-only persistence loses
  the writes since the last snapshot, acknowledged or not); such names are
  counted apart, as "reissued after persistence loss".

At the end the server's keys are swept: keys of namespaces that are neither
registered nor served (left by interrupted removals) are counted.

Run::

    python benchmarks/soak_redis.py                          # 210 faults, 100k vectors
    python benchmarks/soak_redis.py --faults 30 --json out.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # this checkout's skgraphemb

PREFIX = "soak:"
#: Longest time between a version number's allocation and the writer or a
#: reader seeing it published (a publication of 100k vectors, with retries).
RETRY_SLACK = 60.0
#: (dtype, dimension): 64 bytes per vector each.
FORMATS = [("float32", 16), ("float64", 8), ("float16", 32)]
PERSISTENCE = {
    "rdb": ["--save", "1 1", "--appendonly", "no"],
    "aof-everysec": ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"],
    "aof-always": ["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
}


# -- publications, from a seed --------------------------------------------------
def universe(n: int) -> int:
    return n + n // 10


def publication(seed: int, n: int) -> tuple[np.ndarray, str, int]:
    """(node numbers, dtype, dimension) of publication ``seed``."""
    rng = np.random.default_rng(seed)
    nodes = np.sort(rng.permutation(universe(n))[:n])
    dtype, dim = FORMATS[seed % len(FORMATS)]
    return nodes, dtype, dim


def vectors(seed: int, nodes: np.ndarray, dim: int) -> np.ndarray:
    """Exact in float16: integers below 2048."""
    V = np.empty((len(nodes), dim), dtype=np.float64)
    V[:, 0] = seed % 2000
    V[:, 1] = nodes % 2000
    V[:, 2] = (nodes // 2000) % 2000
    V[:, 3:] = (np.arange(3, dim) + seed) % 7
    return V


# -- the writer process ---------------------------------------------------------
def writer_main(url: str, n: int, seed: int) -> None:
    """Publish forever, one seed after the other; report each outcome on stdout."""
    from skgraphemb import RedisConnectionError, RedisExporter, RedisStoreError

    parent = os.getppid()
    while os.getppid() == parent:  # the campaign ended (or died): stop
        nodes, dtype, dim = publication(seed, n)
        ids = [f"n{i}" for i in nodes.tolist()]
        print(f"START {seed}", flush=True)
        exporter = RedisExporter(
            url,
            PREFIX,
            mode="versioned",
            dtype=dtype,
            metadata={"seed": seed},
            max_retries=3,
            retry_backoff=0.2,
            socket_timeout=5,
        )
        try:
            exporter.fit(vectors(seed, nodes, dim), keys=ids)
        except (RedisConnectionError, RedisStoreError) as e:
            print(f"FAIL {seed} {type(e).__name__}: {str(e)[:300]}".replace("\n", " "), flush=True)
        else:
            print(f"DONE {seed} {exporter.version_} {exporter.metadata_['publication']}", flush=True)
        seed += 1


# -- the campaign -----------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path, mode: str):
        self.port, self.workdir, self.mode = free_port(), workdir, mode
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server not found: run scripts/ensure-services.sh or apt-get install redis-server")
        cmd = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.workdir),
            "--logfile",
            str(self.workdir / "redis.log"),
            *PERSISTENCE[self.mode],
        ]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.workdir / 'redis.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Campaign:
    def __init__(self, args):
        # imported here, once: importing them in the reader threads races with the clock
        import redis  # noqa: F401

        from skgraphemb import RedisEmbeddingStore  # noqa: F401

        self.args = args
        self.n = args.vectors
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.faults: Counter = Counter()
        self.outcomes: Counter = Counter()
        self.reads: Counter = Counter()
        self.violations: Counter = Counter()
        self.examples: list[str] = []
        self.tokens: dict[str, set[str]] = {}  # version name -> publication tokens seen
        self.first_seen: dict[str, float] = {}
        self.restarts: list[tuple[float, int]] = []  # (time, highest version number the server still knew)
        self.reissued: Counter = Counter()  # by persistence mode
        self.rollbacks: Counter = Counter()  # restarts that came back without versions seen before
        self.completed: Counter = Counter()  # publications completed, by persistence mode
        self.mode = ""
        self.orphans = 0
        self.orphan_examples: list[str] = []
        self.names_seen = 0
        self._pubs: dict[int, tuple] = {}

    # -- bookkeeping ------------------------------------------------------------
    def violation(self, kind: str, detail: str) -> None:
        with self.lock:
            self.violations[kind] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {detail}")

    def saw(self, name: str, token: str) -> None:
        with self.lock:
            tokens = self.tokens.setdefault(name, set())
            if token in tokens:
                return
            tokens.add(token)
            if len(tokens) == 1:
                self.first_seen[name] = time.monotonic()
                return
            # Legitimate only if a restart after the name was first issued
            # (at most RETRY_SLACK before it was first seen) came back without it.
            since = self.first_seen[name] - RETRY_SLACK
            if any(t >= since and known < int(name[1:]) for t, known in self.restarts):
                self.reissued[self.mode] += 1
                return
        self.violation("version name reused", f"{name} names publications {sorted(tokens)}")

    def pub(self, seed: int) -> tuple:
        with self.lock:
            if seed not in self._pubs:
                if len(self._pubs) > 32:
                    self._pubs.pop(next(iter(self._pubs)))
                nodes, dtype, dim = publication(seed, self.n)
                member = np.zeros(universe(self.n), dtype=bool)
                member[nodes] = True
                self._pubs[seed] = (member, dtype, dim)
            return self._pubs[seed]

    # -- readers ------------------------------------------------------------------
    def reader(self, url: str, stop: threading.Event, k: int) -> None:
        from skgraphemb import RedisConnectionError, RedisEmbeddingStore, RedisStoreError

        rng = np.random.default_rng(1000 + k)
        store = RedisEmbeddingStore(url, PREFIX, max_retries=1, retry_backoff=0.05, socket_timeout=5)
        U = universe(self.n)
        i = 0
        while not stop.is_set():
            i += 1
            full = i % 25 == 0
            asked = np.arange(U) if full else rng.choice(U, size=2000, replace=False)
            try:
                V = store.get_many([f"n{j}" for j in asked.tolist()])
                meta, version = store.metadata, store.version
                dtype, dim = store.dtype, store.dimension
            except (RedisConnectionError, RedisStoreError) as e:
                with self.lock:
                    self.reads["failed (server down or nothing published yet)"] += 1
                if "nothing is published" in str(e) or "Connection" in type(e).__name__:
                    time.sleep(0.05)
                continue
            except Exception as e:  # any other error is a defect
                self.violation("read raised", f"{type(e).__name__}: {e}")
                continue
            self.check(asked, V, meta, version, dtype, dim, full)
            time.sleep(self.args.read_pause)

    def check(self, asked, V, meta, version, dtype, dim, full) -> None:
        seed = (meta.get("metadata") or {}).get("seed")
        if not isinstance(seed, int):
            self.violation("foreign metadata", repr(meta)[:200])
            return
        member, pdtype, pdim = self.pub(seed)
        if str(dtype) != pdtype or dim != pdim or V.shape[1] != pdim:
            self.violation(
                "wrong dtype or dimension", f"{version} seed {seed}: {dtype} x {dim}, published {pdtype} x {pdim}"
            )
            return
        self.saw(version, meta.get("publication"))
        inside = member[asked]
        found = ~np.isnan(V[:, 0])
        if (found & ~inside).any():
            j = asked[found & ~inside][0]
            self.violation("removed node served", f"{version} seed {seed}: node n{j} is not in it")
        if (inside & ~found).any():
            j = asked[inside & ~found][0]
            self.violation("incomplete version served", f"{version} seed {seed}: node n{j} missing")
        expected = vectors(seed, asked[inside & found], pdim)
        got = V[inside & found].astype(np.float64)
        if not np.array_equal(got, expected):
            bad = np.nonzero((got != expected).any(axis=1))[0][0]
            self.violation(
                "mixed or misdecoded vectors", f"{version} seed {seed}: row {got[bad][:4]} != {expected[bad][:4]}"
            )
        with self.lock:
            self.reads["full reads checked" if full else "sample reads checked"] += 1
            self.reads["vectors checked"] += int(len(asked))

    # -- the writer -----------------------------------------------------------------
    def start_writer(self, url: str, seed: int) -> subprocess.Popen:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        proc = subprocess.Popen(
            [sys.executable, __file__, "--_writer", url, str(self.n), str(seed)],
            stdout=subprocess.PIPE,
            stderr=None if self.args.verbose else subprocess.DEVNULL,
            env=env,
            text=True,
            cwd=ROOT,
        )
        threading.Thread(target=self.follow, args=(proc,), daemon=True).start()
        return proc

    def follow(self, proc: subprocess.Popen) -> None:
        in_flight = None
        for line in proc.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "START":
                in_flight = rest
            elif word == "DONE":
                _, version, token = rest.split()
                with self.lock:
                    self.outcomes["publications completed"] += 1
                    self.completed[self.mode] += 1
                self.saw(version, token)
                in_flight = None
            elif word == "FAIL":
                with self.lock:
                    self.outcomes["publications aborted (error raised)"] += 1
                    kind = rest.split(" ", 2)[1].rstrip(":")
                    self.outcomes[f"  of which {kind}"] += 1
                in_flight = None
        if in_flight is not None:
            with self.lock:
                self.outcomes["publications interrupted (writer killed)"] += 1

    # -- faults ---------------------------------------------------------------------
    def mark_lost(self, server: Server) -> None:
        """After a restart: record the highest version number the server still knows."""
        import redis

        r = redis.Redis(port=server.port, socket_timeout=30)
        for _ in range(600):
            try:
                counter = int(r.get(PREFIX + "__counter__") or 0)
                top = r.zrevrange(PREFIX + "__versions__", 0, 0, withscores=True)
                current = r.get(PREFIX + "__current__")
                break
            except (redis.exceptions.BusyLoadingError, redis.exceptions.ConnectionError):
                time.sleep(0.05)
        else:
            raise RuntimeError("the restarted server never loaded its data")
        r.close()
        known = max(counter, int(top[0][1]) if top else 0, int(current[1:]) if current else 0)
        with self.lock:
            self.restarts.append((time.monotonic(), known))
            if any(int(name[1:]) > known for name in self.tokens):
                self.rollbacks[self.mode] += 1

    def run_mode(self, mode: str, n_faults: int, root: Path, seed0: int) -> None:
        server = Server(root / mode, mode)
        server.start()
        with self.lock:  # a fresh server: version names start again at v1
            self.mode = mode
            self.names_seen += len(self.tokens)
            self.tokens, self.first_seen, self.restarts = {}, {}, []
        stop = threading.Event()
        readers = [
            threading.Thread(target=self.reader, args=(server.url, stop, k), daemon=True)
            for k in range(self.args.readers)
        ]
        for t in readers:
            t.start()
        seed = seed0
        writer = self.start_writer(server.url, seed)
        # a first publication, so readers have something to check (the writer imports first)
        deadline = time.monotonic() + self.args.warmup + 60
        while not self.outcomes and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(self.args.warmup)
        try:
            for _ in range(n_faults):
                time.sleep(self.rng.uniform(0, self.args.max_gap))
                if self.rng.random() < self.args.server_share:
                    server.kill()
                    self.faults[f"kill -9 redis-server ({mode})"] += 1
                    time.sleep(self.rng.uniform(0, self.args.max_down))
                    server.start()
                    self.mark_lost(server)
                else:
                    writer.send_signal(signal.SIGKILL)
                    writer.wait()
                    self.faults["kill -9 writer"] += 1
                    seed += 10_000
                    writer = self.start_writer(server.url, seed)
            time.sleep(self.args.settle)
        finally:
            writer.kill()
            writer.wait()
            stop.set()
            for t in readers:
                t.join(60)
            self.sweep(server)
            server.stop()

    def sweep(self, server: Server) -> None:
        """Keys of namespaces neither registered nor served (leaks, never served)."""
        import redis

        r = redis.Redis(port=server.port)
        registered = {v.decode() for v in r.zrange(PREFIX + "__versions__", 0, -1)}
        current = r.get(PREFIX + "__current__")
        if current:
            registered.add(current.decode())
        for key in r.scan_iter(match=PREFIX + "v*", count=10_000):
            name = key.decode()[len(PREFIX) :].split(":", 1)[0]
            if name not in registered:
                self.orphans += 1
                if len(self.orphan_examples) < 10:
                    self.orphan_examples.append(f"{self.mode}: {key.decode()} (registered: {sorted(registered)})")
        r.close()

    def run(self) -> dict:
        modes = self.args.modes.split(",")
        share = [self.args.faults // len(modes) + (i < self.args.faults % len(modes)) for i in range(len(modes))]
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="soak-redis-") as root:
            for i, (mode, k) in enumerate(zip(modes, share)):
                self.run_mode(mode, k, Path(root), seed0=(i + 1) * 1_000_000)
                print(f"[{time.monotonic() - start:7.1f} s] {mode}: {k} faults done", file=sys.stderr, flush=True)
        return {
            "vectors per publication": self.n,
            "faults injected": sum(self.faults.values()),
            "faults by kind": dict(sorted(self.faults.items())),
            "publications": dict(sorted(self.outcomes.items())),
            "reads": dict(sorted(self.reads.items())),
            "invariant violations": sum(self.violations.values()),
            "violations by kind": dict(self.violations),
            "violation examples": self.examples,
            "distinct version names seen": self.names_seen + len(self.tokens),
            "publications completed by mode": dict(self.completed),
            "restarts that lost published versions, by mode": dict(self.rollbacks),
            "names reissued after persistence loss, by mode": dict(self.reissued),
            "orphan keys at the end": self.orphans,
            "orphan key examples": self.orphan_examples,
            "seconds": round(time.monotonic() - start, 1),
        }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faults", type=int, default=210, help="faults to inject in all (default 210)")
    parser.add_argument("--vectors", type=int, default=100_000, help="vectors per publication (default 100000)")
    parser.add_argument(
        "--modes", default="rdb,aof-everysec,aof-always", help="persistence modes, faults shared between them"
    )
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--read-pause", type=float, default=0.02, help="seconds between two reads of a reader")
    parser.add_argument("--max-gap", type=float, default=8.0, help="longest wait between faults, s")
    parser.add_argument("--max-down", type=float, default=1.5, help="longest wait before a restart, s")
    parser.add_argument("--server-share", type=float, default=0.6, help="share of server kills")
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds before the first fault of a mode, after the first publication ended",
    )
    parser.add_argument("--settle", type=float, default=3.0, help="seconds without faults at the end of a mode")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the counts to this file")
    parser.add_argument("--verbose", action="store_true", help="show the writers' errors")
    parser.add_argument("--_writer", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # retries while the server is down are expected here: keep the output to the counts
    logging.getLogger("skgraphemb").setLevel(logging.ERROR)
    if args._writer:
        url, n, seed = args._writer
        writer_main(url, int(n), int(seed))
        return 0
    for mode in args.modes.split(","):
        if mode not in PERSISTENCE:
            parser.error(f"unknown mode {mode!r}; choose from {', '.join(PERSISTENCE)}")

    def terminate(signum, frame):  # SIGTERM: stop the servers and writers on the way out
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminate)
    result = Campaign(args).run()
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 1 if result["invariant violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
