"""Real database servers for the tests, started on loopback ports and stopped after (never mocks).

A server whose binary is missing skips its tests with a one-line reason, unless ``HYBRID_REC_REQUIRE_SERVERS=1``
(set by `.ci/run`, which installs them): there a missing server is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["free_port", "postgres_server", "redis_server"]


def free_port() -> int:
    """A TCP port nothing listens on now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _missing(binary: str, install: str) -> None:
    reason = f"{binary} is not installed ({install})"
    if os.environ.get("HYBRID_REC_REQUIRE_SERVERS") == "1":
        pytest.fail(reason + "; HYBRID_REC_REQUIRE_SERVERS=1 requires it")
    pytest.skip(reason)


def _wait(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Until `port` accepts connections (or the server died: fail with its output)."""
    for _ in range(200):
        if process.poll() is not None:
            out = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"{what} exited at start: {out[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"{what} did not listen on port {port}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a fresh Redis (no persistence) on a loopback port, for the whole test session."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server", "apt-get install redis-server")
    port = free_port()
    work: Path = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a fresh PostgreSQL cluster (trust auth, fsync off) on a loopback port, for the whole session.
    As root (CI), the cluster runs as the ``postgres`` system user, as PostgreSQL requires."""
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        _missing("pg_ctl", "apt-get install postgresql")
    bindir = Path(str(pg_ctl)).resolve().parent
    as_user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    work = Path(tempfile.mkdtemp(prefix="hybrid-rec-pg-"))
    work.chmod(0o777)  # the postgres user writes its cluster here
    data, port = work / "data", free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            pytest.fail(f"{' '.join(args[:2])} failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(work / "log"), "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(work, ignore_errors=True)
