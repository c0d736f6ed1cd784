"""Load test of the REST service on loopback: a bounded async client, N concurrent clients, D seconds.

Starts `hybrid-rec serve` on 127.0.0.1 (a free port), waits for /health, then every client loops
over POST /recommend (k=10) and POST /rerank (--candidates random catalog items, default 50, k=10)
for a random known user until the time is up (and at most --max-requests in all); --rerank-only
sends only /rerank. Prints throughput, errors and
p50/p99 latency per endpoint. With ``--publish-every S`` the live version of a copy of the store
is republished as a new version every S seconds while the clients run (the server reloads each one
in the background): every error then counts against the reload guarantees. ``--workers N --state redis://...``
serves with N worker processes sharing conversations through Redis; ``--conversations`` makes every client run
conversations instead (create, then ``--rounds`` times: next k=10, feedback with a click), counting conversations
lost (a 404 for one that exists) and items repeated within one; ``--kill-worker-after S`` SIGKILLs one worker S
seconds in (its calls in flight fail; its conversations must go on elsewhere). Run:

    .venv/bin/python benchmarks/load_test.py --model models/ml100k --clients 20 --seconds 60
    .venv/bin/python benchmarks/load_test.py --model models/ml100k --clients 8 --seconds 60 --publish-every 3
    .venv/bin/python benchmarks/load_test.py --model models/ml100k --clients 8 --seconds 20 --rerank-only --candidates 500
    .venv/bin/python benchmarks/load_test.py --model models/ml100k --clients 32 --seconds 30 --rerank-only \
        --workers 2 --state redis://127.0.0.1:6379/0
    .venv/bin/python benchmarks/load_test.py --model models/ml100k --clients 8 --seconds 30 --conversations \
        --workers 2 --state redis://127.0.0.1:6379/0 --kill-worker-after 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def client_loop(
    client: httpx.AsyncClient,
    users: list,
    items: list,
    deadline: float,
    budget: list[int],
    latencies: dict[str, list[float]],
    errors: dict[str, int],
    seed: int,
    versions: set[str],
    candidates: int = 50,
    rerank_share: float = 0.5,
) -> None:
    rng = random.Random(seed)
    while time.perf_counter() < deadline and budget[0] > 0:
        budget[0] -= 1
        user = rng.choice(users)
        if rng.random() >= rerank_share:
            path, body = "/recommend", {"user_id": user, "k": 10}
        else:
            path, body = "/rerank", {"user_id": user, "item_ids": rng.sample(items, candidates), "k": 10}
        start = time.perf_counter()
        try:
            response = await client.post(path, json=body)
            ok = response.status_code == 200
            if ok:
                versions.add(response.json()["version"])
        except httpx.HTTPError:
            ok = False
        latencies[path].append(time.perf_counter() - start)
        if not ok:
            errors[path] += 1


async def conversation_loop(
    client: httpx.AsyncClient, users: list, deadline: float, rounds: int, seed: int, tally: dict[str, int],
    latencies: dict[str, list[float]], failures: list[tuple[float, str]], t0: float,
) -> None:  # fmt: skip
    """Conversations one after the other until the deadline: create, then `rounds` x (next, feedback); each failed
    call is noted with its time (seconds from the start) and what it was."""
    rng = random.Random(seed)

    def failed(what: str) -> None:
        tally["errors"] += 1
        failures.append((round(time.perf_counter() - t0, 2), what))

    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            r = await client.post("/conversations", json={"user_id": rng.choice(users)})
        except httpx.HTTPError as exc:
            failed(f"POST /conversations: {type(exc).__name__}")
            continue
        latencies["/conversations"].append(time.perf_counter() - start)
        if r.status_code != 201:
            failed(f"POST /conversations: {r.status_code}")
            continue
        cid, shown, lost = r.json()["conversation_id"], [], False
        for _ in range(rounds):
            start = time.perf_counter()
            try:
                r = await client.post(f"/conversations/{cid}/next", json={"k": 10})
                latencies["/conversations/next"].append(time.perf_counter() - start)
                if r.status_code == 404:
                    lost = True
                    break
                if r.status_code != 200:
                    failed(f"next: {r.status_code}")
                    continue
                items = [i["item_id"] for i in r.json()["items"]]
                tally["repeated"] += len(set(items) & set(shown))
                shown += items
                if items:
                    f = await client.post(f"/conversations/{cid}/feedback", json={"clicked": [items[0]]})
                    lost = lost or f.status_code == 404
                    if f.status_code not in (200, 404):
                        failed(f"feedback: {f.status_code}")
            except httpx.HTTPError as exc:  # a call in flight on a killed worker
                failed(f"next or feedback: {type(exc).__name__}")
        tally["lost"] += lost
        tally["conversations"] += 1


async def run_conversations(base: str, users: list, clients: int, seconds: float, rounds: int) -> dict:
    tally = {"conversations": 0, "lost": 0, "repeated": 0, "errors": 0}
    latencies: dict[str, list[float]] = {"/conversations": [], "/conversations/next": []}
    failures: list[tuple[float, str]] = []
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=httpx.Limits(max_connections=clients)) as client:
        start = time.perf_counter()
        await asyncio.gather(*(conversation_loop(client, users, start + seconds, rounds, i, tally, latencies, failures,
                                                 start) for i in range(clients)))  # fmt: skip
        wall = time.perf_counter() - start
    out: dict = {"clients": clients, "seconds": wall, "rounds": rounds, **tally, "failures": sorted(failures)}
    for path, lat in latencies.items():
        arr = np.asarray(lat) * 1000
        out[path] = {"requests": len(arr), "p50_ms": float(np.percentile(arr, 50)) if len(arr) else None,
                     "p99_ms": float(np.percentile(arr, 99)) if len(arr) else None}  # fmt: skip
    return out


def kill_a_worker(server: subprocess.Popen, after: float, stop: threading.Event, killed: list[int]) -> None:
    """After `after` seconds, SIGKILL one worker process of `server` (a child of uvicorn's supervisor)."""
    import signal

    import psutil

    if stop.wait(after):
        return
    children = psutil.Process(server.pid).children(recursive=True)
    workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]  # not the resource tracker
    if workers:
        workers[0].send_signal(signal.SIGKILL)
        killed.append(workers[0].pid)


async def run(
    base: str,
    users: list,
    items: list,
    clients: int,
    seconds: float,
    max_requests: int,
    candidates: int = 50,
    rerank_share: float = 0.5,
) -> dict:
    latencies: dict[str, list[float]] = {"/recommend": [], "/rerank": []}
    errors = {"/recommend": 0, "/rerank": 0}
    budget = [max_requests]
    versions: set[str] = set()
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as client:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *(client_loop(client, users, items, deadline, budget, latencies, errors, i, versions, candidates,
                          rerank_share) for i in range(clients))
        )
        wall = time.perf_counter() - start
    out = {
        "clients": clients,
        "rerank_candidates": candidates,
        "seconds": wall,
        "requests": sum(len(v) for v in latencies.values()),
        "errors": sum(errors.values()),
        "versions_answering": sorted(versions),
    }
    out["requests_per_s"] = out["requests"] / wall
    for path, lat in latencies.items():
        arr = np.asarray(lat) * 1000
        out[path] = {
            "requests": len(arr),
            "errors": errors[path],
            "p50_ms": float(np.percentile(arr, 50)) if len(arr) else None,
            "p99_ms": float(np.percentile(arr, 99)) if len(arr) else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--publish-every", type=float, default=0.0, help="Republish a version every S seconds.")
    parser.add_argument("--candidates", type=int, default=50, help="items per /rerank call")
    parser.add_argument("--rerank-only", action="store_true", help="send only /rerank calls")
    parser.add_argument("--workers", type=int, default=1, help="serving worker processes (> 1 needs --state)")
    parser.add_argument("--state", default=None, help="redis://HOST:PORT/DB: where conversations live")
    parser.add_argument("--conversations", action="store_true", help="clients run conversations instead")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per conversation")
    parser.add_argument("--kill-worker-after", type=float, default=0.0, help="SIGKILL one worker after S seconds")
    args = parser.parse_args()
    if args.publish_every > 0:  # never publish into the real store: serve a copy
        import shutil
        import tempfile

        copy = Path(tempfile.mkdtemp(prefix="load-store-")) / "store"
        shutil.copytree(args.model, copy, ignore=shutil.ignore_patterns("events.sqlite*"))
        args.model = str(copy)

    from hybrid_rec.data.ids import IdMap
    from hybrid_rec.store import resolve_model

    model_dir, _, _ = resolve_model(args.model)
    with np.load(Path(model_dir) / "candidates" / "als" / "als.npz", allow_pickle=False) as z:
        users = IdMap(z["user_ids"]).ids.tolist()
        items = IdMap(z["item_ids"]).ids.tolist()
    port = free_port()
    cmd = [sys.executable, "-m", "hybrid_rec.cli", "--quiet", "serve", "--model", args.model, "--port", str(port),
           "--workers", str(args.workers)] + (["--state", args.state] if args.state else [])  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise SystemExit("the server did not come up")
        if args.workers > 1:  # every worker up, not only the first to answer
            seen = set()
            for _ in range(600):
                seen.add(httpx.get(base + "/health", timeout=5.0).json()["worker"])
                if len(seen) >= args.workers:
                    break
        stop = threading.Event()
        published: list[int] = []
        killed: list[int] = []
        publisher = threading.Thread(target=republish, args=(Path(args.model), args.publish_every, stop, published))
        killer = threading.Thread(target=kill_a_worker, args=(server, args.kill_worker_after, stop, killed))
        if args.publish_every > 0:
            publisher.start()
        if args.kill_worker_after > 0:
            killer.start()
        try:
            share = 1.0 if args.rerank_only else 0.5
            if args.conversations:
                result = asyncio.run(run_conversations(base, users, args.clients, args.seconds, args.rounds))
            else:
                result = asyncio.run(run(base, users, items, args.clients, args.seconds, args.max_requests,
                                         args.candidates, share))  # fmt: skip
        finally:
            stop.set()
            for thread in (publisher, killer):
                if thread.is_alive():
                    thread.join()
        result["workers"], result["killed_worker"], result["kill_after_s"] = args.workers, killed, args.kill_worker_after
        result["published_versions"] = published
        result["server_at_end"] = {"version": httpx.get(base + "/version").json(), "health": httpx.get(base + "/health").json()}
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(result, indent=2))


def republish(store_dir: Path, every: float, stop: threading.Event, published: list[int]) -> None:
    """Every `every` seconds, publish a copy of the live version as a new version (what a feedback
    apply or POST /items does), until `stop`."""
    import shutil

    from hybrid_rec.store import ModelStore

    store = ModelStore(store_dir, keep=100)  # no version is pruned while the server may be loading it
    while not stop.wait(every):
        live = store.current()
        source = live.path / "model"
        snap = store.publish(lambda d, src=source: shutil.copytree(src, d), {**live.meta, "parent": live.version},
                             parent=live.version)  # fmt: skip
        published.append(snap.version)


if __name__ == "__main__":
    main()
