"""Batch reranking throughput: users' outside candidate lists reranked one call per user (`rerank`)
vs in batches (`rerank_many`), on a saved model, with the same lists (seeded random unseen items).

    .venv/bin/python benchmarks/rerank_batch.py --model models/ml100k-v21 --candidates 100
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.store import resolve_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a model store or saved pipeline")
    parser.add_argument("--candidates", type=int, default=100, help="candidates per user")
    parser.add_argument("--users", type=int, default=0, help="users (0: all the model knows)")
    parser.add_argument("--batch-users", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pipe = HybridPipeline.load(resolve_model(args.model)[0])
    rng = np.random.default_rng(args.seed)
    users = pipe.generator.users.ids
    users = users[: args.users] if args.users else users
    seen = pipe.fitted.seen(pipe.generator.users.to_internal(users)).tolil().rows
    items = pipe.generator.items.ids
    lists = []
    for user, row in zip(users, seen, strict=True):
        pool = np.setdiff1d(np.arange(len(items)), row)
        lists.append((user, list(items[rng.choice(pool, args.candidates, replace=False)])))
    pipe.rerank_many(lists[:8], 10, batch_users=args.batch_users)  # warm-up: the scorer's embeddings, caches
    start = time.perf_counter()
    batched = pipe.rerank_many(lists, 10, batch_users=args.batch_users)
    many = time.perf_counter() - start
    start = time.perf_counter()
    alone = [pipe.rerank(user, cands, 10) for user, cands in lists]
    one = time.perf_counter() - start
    same = np.mean([[r.item_id for r in a] == [r.item_id for r in b] for a, b in zip(alone, batched, strict=True)])
    print(json.dumps({
        "users": len(lists), "candidates": args.candidates, "batch_users": args.batch_users,
        "rerank_many_s": round(many, 2), "rerank_many_users_per_s": round(len(lists) / many, 1),
        "rerank_loop_s": round(one, 2), "rerank_loop_users_per_s": round(len(lists) / one, 1),
        "same_top10_share": float(same),
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
