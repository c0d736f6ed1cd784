"""Approximate (IVF, HNSW) vs exact (flat) item retrieval on a large synthetic catalog.

Item vectors and queries are ALS factors fitted on `make_synthetic` data; recall@k is the share of
the flat index's top-k that the approximate index also returns. Run:

    .venv/bin/python benchmarks/ann_recall.py --items 100000 --users 20000 --queries 2000
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

from hybrid_rec.candidates.als import ALSModel
from hybrid_rec.candidates.index import ItemIndex
from hybrid_rec.data import make_synthetic


def timed_search(index: ItemIndex, queries: np.ndarray, k: int, threads: int) -> tuple[np.ndarray, float]:
    faiss.omp_set_num_threads(threads)
    index.search(queries[:50], k)  # warm-up
    start = time.perf_counter()
    ids, _ = index.search(queries, k)
    return ids, len(queries) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--per-user", type=float, default=50.0)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args()

    data = make_synthetic(
        n_users=args.users, n_items=args.items, n_clusters=50, interactions_per_user=args.per_user, seed=0
    )
    start = time.perf_counter()
    als = ALSModel(factors=args.factors, iterations=10).fit(data.interactions)
    print(
        f"synthetic: {args.users} users, {args.items} items, {len(data.interactions)} interactions; "
        f"ALS fit {time.perf_counter() - start:.1f}s"
    )
    supported = np.flatnonzero(als.item_support() > 0)
    vectors = als.item_factors[supported]
    queries = als.user_factors[np.random.default_rng(0).choice(args.users, args.queries, replace=False)]

    settings = [
        ("flat", {}),
        ("ivf", {"nlist": 1024, "nprobe": 16}),
        ("ivf", {"nlist": 1024, "nprobe": 32}),
        ("ivf", {"nlist": 1024, "nprobe": 64}),
        ("hnsw", {"m": 32, "ef_construction": 200, "ef_search": 128}),
        ("hnsw", {"m": 32, "ef_construction": 200, "ef_search": 256}),
        ("hnsw", {"m": 32, "ef_construction": 200, "ef_search": 512}),
        ("hnsw", {"m": 32, "ef_construction": 200, "ef_search": 1024}),
    ]
    truth = None
    print(f"\n{len(supported)} indexed items, {args.queries} queries, k={args.k}\n")
    print(f"| index | settings | build s | recall@{args.k} vs flat | QPS (1 thread) | QPS (2 threads) |")
    print("|---|---|---|---|---|---|")
    for kind, extra in settings:
        faiss.omp_set_num_threads(2)
        start = time.perf_counter()
        index = ItemIndex(args.factors, kind=kind, **extra)
        index.add(supported, vectors)
        build = time.perf_counter() - start
        ids, qps1 = timed_search(index, queries, args.k, 1)
        _, qps2 = timed_search(index, queries, args.k, 2)
        if truth is None:
            truth = ids
        recall = np.mean([len(np.intersect1d(a, b)) / args.k for a, b in zip(ids, truth, strict=True)])
        desc = ", ".join(f"{k}={v}" for k, v in extra.items()) or "exact"
        print(f"| {kind} | {desc} | {build:.1f} | {recall:.4f} | {qps1:,.0f} | {qps2:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
