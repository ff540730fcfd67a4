"""Fixtures: real ``redis-server`` processes for the export tests.

Each server runs on a free loopback port with persistence off and its files
in a temporary folder, and is stopped at teardown, also when tests fail.
Without the ``redis-server``/``redis-cli`` binaries the Redis tests are
skipped with a reason saying how to get them (``make test`` installs them
through ``scripts/ensure-services.sh``).
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from _servers import NO_REDIS, PASSWORD, REDIS_CLI, USER, USER_PASSWORD, RedisServer, free_port


@pytest.fixture(scope="session")
def redis_module():
    return pytest.importorskip("redis", reason="the Redis tests need redis-py (the redis extra)")


@pytest.fixture(scope="session")
def redis_server(redis_module, tmp_path_factory):
    """A plain server for the whole session."""
    server = RedisServer(tmp_path_factory.mktemp("redis-plain")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """URL of the plain server, emptied before the test."""
    client = redis_server.client()
    client.flushall()
    client.close()
    return redis_server.url()


@pytest.fixture
def r(redis_server, redis_url):
    """A redis-py client on the (emptied) plain server, for assertions."""
    client = redis_server.client()
    yield client
    client.close()


@pytest.fixture(scope="module")
def auth_server(redis_module, tmp_path_factory):
    """A server with ``requirepass`` and an ACL user with its own password."""
    server = RedisServer(tmp_path_factory.mktemp("redis-auth"), "--requirepass", PASSWORD).start()
    admin = server.client(password=PASSWORD)
    admin.acl_setuser(
        USER, enabled=True, passwords=[f"+{USER_PASSWORD}"], keys=["*"], channels=["*"], commands=["+@all"]
    )
    admin.close()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(redis_module, tmp_path_factory):
    """A 3-master Redis Cluster on loopback; yields the node ports."""
    if REDIS_CLI is None:
        pytest.skip(NO_REDIS)
    root = tmp_path_factory.mktemp("redis-cluster")
    servers = []
    try:
        for i in range(3):
            port = free_port(cluster_bus=True)
            servers.append(
                RedisServer(
                    root / f"node{i}",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    f"nodes-{port}.conf",
                    "--cluster-node-timeout",
                    "5000",
                    port=port,
                ).start()
            )
        ports = [s.port for s in servers]
        subprocess.run(
            [
                REDIS_CLI,
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        for server in servers:
            client = server.client()
            while client.cluster("info").get("cluster_state") != "ok":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cluster not ok: {server.log_tail()}")
                time.sleep(0.05)
            client.close()
        yield ports
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def tls_server(redis_module, tmp_path_factory):
    """A TLS-only server with a self-signed certificate for 127.0.0.1.

    Yields ``(server, certificate path)``.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the TLS test needs the openssl command to make a certificate")
    root = tmp_path_factory.mktemp("redis-tls")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    tls_port = free_port()
    server = RedisServer(
        root / "server",
        "--tls-port",
        str(tls_port),
        "--tls-cert-file",
        str(cert),
        "--tls-key-file",
        str(key),
        "--tls-ca-cert-file",
        str(cert),
        "--tls-auth-clients",
        "no",
        port=0,
        listen_port=tls_port,
    )
    try:
        server.start()
    except RuntimeError as e:
        if "TLS" in str(e) or "tls" in str(e):
            pytest.skip(f"this redis-server cannot serve TLS: {e}")
        raise
    yield server, cert
    server.stop()
