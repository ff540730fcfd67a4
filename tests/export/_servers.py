"""Starting real ``redis-server`` processes on free loopback ports, for the tests.

Each server runs on a free loopback port with persistence off and its files
in a temporary folder, and is stopped at teardown, also when tests fail.
Without the ``redis-server``/``redis-cli`` binaries the Redis tests are
skipped with a reason saying how to get them (``make test`` installs them
through ``scripts/ensure-services.sh``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
NO_REDIS = (
    "needs the redis-server and redis-cli binaries, which are not installed: run "
    "scripts/ensure-services.sh (make test does) or apt-get install redis-server"
)

#: Password of the password-protected server, and its ACL user.
PASSWORD = "open-sesame"
USER, USER_PASSWORD = "alice", "wonder-land"


def free_port(cluster_bus: bool = False) -> int:
    """A free loopback port (and port + 10000, the cluster bus, when asked)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not cluster_bus:
            return port
        if port + 10000 > 65535:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free loopback port found")


class RedisServer:
    """One ``redis-server`` process on ``127.0.0.1:port``."""

    def __init__(self, workdir: Path, *args: str, port: int | None = None, listen_port: int | None = None):
        self.port = port if port is not None else free_port()
        # the port to wait on (the TLS port when plain TCP is off)
        self.listen_port = listen_port or self.port
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log = self.workdir / "redis.log"
        self.args = list(args)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 15.0) -> RedisServer:
        if REDIS_SERVER is None:
            pytest.skip(NO_REDIS)
        cmd = [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
            "--logfile",
            str(self.log),
            *self.args,
        ]
        # Output to the log file, never to a pipe of ours: a server outliving
        # a crashed test must not hold pytest's pipes open.
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited ({self.proc.returncode}): {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.listen_port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not listen on {self.listen_port}: {self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text()[-2000:] if self.log.exists() else "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def url(self, auth: str = "", db: int = 0, scheme: str = "redis") -> str:
        return f"{scheme}://{auth}127.0.0.1:{self.listen_port}/{db}"

    def client(self, **kwargs):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.listen_port, **kwargs)
