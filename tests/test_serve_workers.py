"""`hybrid-rec serve --workers 2 --state redis://...`: real worker processes on one port sharing conversations
through a real Redis; each worker reports itself and the version it answers with, and picks up a new one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hybrid_rec.store import ModelStore
from tests.servers import free_port

httpx = pytest.importorskip("httpx")
pytest.importorskip("redis", reason="the 'redis' extra is not installed")

WAIT = 120.0  # a ceiling for start-up and loads that take seconds; never a measurement


def _get(url: str) -> httpx.Response:
    with httpx.Client(timeout=30) as client:  # a new connection per call: any worker may take it
        return client.get(url)


def _post(url: str, body: dict) -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        return client.post(url, json=body)


@pytest.fixture()
def served(tiny_models, tmp_path, redis_server) -> Iterator[tuple[str, Path]]:  # type: ignore[no-untyped-def]
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    store = tiny_models("stream").publish(tmp_path / "store").root
    port = free_port()
    cmd = [sys.executable, "-m", "hybrid_rec.cli", "serve", "--model", str(store), "--port", str(port),
           "--workers", "2", "--state", redis_server]  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if _get(url + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"hybrid-rec serve --workers 2 did not start: {(tmp_path / 'serve.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield url, store
    finally:
        process.terminate()
        process.wait(timeout=30)


def _workers(url: str, want: int, version: str | None = None) -> dict[int, str]:
    """Each worker's answer to /health (pid -> version), asked until `want` workers answered (with `version`)."""
    seen: dict[int, str] = {}
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        body = _get(url + "/health").json()
        assert body["status"] == "ok", body
        seen[body["worker"]] = body["version"]
        if len(seen) >= want and (version is None or all(v == version for v in seen.values())):
            return seen
    pytest.fail(f"after {WAIT:.0f} s the workers answered {seen}, not {want} workers at {version}")


@pytest.mark.slow
def test_two_workers_share_conversations_and_pick_up_a_new_version(served, stream) -> None:  # type: ignore[no-untyped-def]
    url, store = served
    assert set(_workers(url, 2).values()) == {"v1"}
    shown: list[str] = []
    for n in range(4):  # every call on a new connection: the rounds land on either worker
        if n == 0:
            cid = _post(url + "/conversations", {"user_id": "u3"}).json()["conversation_id"]
        r = _post(url + f"/conversations/{cid}/next", {"k": 3})
        assert r.status_code == 200, r.text
        items = [i["item_id"] for i in r.json()["items"]]
        assert r.json()["round"] == n + 1 and not set(items) & set(shown)  # nothing repeated, nothing lost
        shown += items
        assert _post(url + f"/conversations/{cid}/feedback", {"clicked": [items[0]]}).status_code == 200
    assert _get(url + f"/conversations/{cid}").json()["shown"] == shown
    pipeline, _, _ = stream
    ModelStore(store).publish(pipeline.save, {"applied_offset": 1})
    assert set(_workers(url, 2, "v2").values()) == {"v2"}  # every worker converges on the new version


def test_several_workers_need_a_shared_state_store(tmp_path: Path) -> None:
    from hybrid_rec.errors import ConfigError
    from hybrid_rec.serve import ServeConfig
    from hybrid_rec.serve.app import run

    with pytest.raises(ConfigError, match="--state redis://"):
        run(tmp_path / "store", workers=2, config=ServeConfig())
