"""Does `rerank` serve a caller as well as `recommend`? The same candidates through both paths.

A hybrid is trained on MovieLens-100K without each user's last interaction (`leave_last_out`: fit on
train, early stopping and fusion on validation, refit on train + validation, as `compare` does).
For every test user, `recommend(u, k=N)` gives N candidates; `rerank(u, <those N ids>)` reorders
them. Reported: NDCG@10 / HR@10 of both lists on the held-out item, the overlap of their top 10,
how many users get an identical top 10 and identical scores. With one scoring path both must agree.

    .venv/bin/python benchmarks/rerank_consistency.py --config configs/ml100k.toml --n 100 --users 300
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import scipy.sparse as sp

from hybrid_rec.data.config import build_dataset
from hybrid_rec.data.splits import leave_last_out
from hybrid_rec.evaluate.config import CompareConfig, first_point
from hybrid_rec.metrics import ranking_metrics
from hybrid_rec.pipeline import HybridConfig, HybridPipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/ml100k.toml", help="a compare config with [methods.hybrid]")
    parser.add_argument("--n", type=int, default=100, help="candidates per user (recommend's k)")
    parser.add_argument("--users", type=int, default=300, help="test users scored (a seeded sample)")
    args = parser.parse_args()

    config = CompareConfig.from_toml(args.config)
    _, hybrid = first_point("hybrid", config.methods["hybrid"])
    if not isinstance(hybrid, HybridConfig):
        raise SystemExit(f"{args.config}: [methods.hybrid] is not a hybrid config")
    dataset = build_dataset(config.dataset)
    split = leave_last_out(dataset.interactions)
    start = time.perf_counter()
    pipe = HybridPipeline(hybrid).fit(split.train, dataset.catalog, valid=split.valid)
    pipe.refit(split.train_valid)
    trained = time.perf_counter() - start

    rng = np.random.default_rng(0)
    test_users = np.unique(split.test.user)
    users = rng.choice(test_users, size=min(args.users, len(test_users)), replace=False)
    external = split.test.users.to_external(users)
    target = split.test.to_csr()
    items_of = pipe.generator.items
    rows = {"recommend": [], "rerank": []}
    identical = same_scores = overlap = 0.0
    start = time.perf_counter()
    for ext in external:
        recommended = pipe.recommend([ext], args.n)[0]
        reranked = pipe.rerank(ext, [r.item_id for r in recommended])
        for name, recs in (("recommend", recommended), ("rerank", reranked)):
            top = items_of.to_internal([r.item_id for r in recs[:10]])
            rows[name].append(np.concatenate([top, np.full(10 - len(top), -1)]))
        a, b = [r.item_id for r in recommended[:10]], [r.item_id for r in reranked[:10]]
        identical += a == b
        overlap += len(set(a) & set(b)) / 10
        same_scores += [r.score for r in recommended] == [r.score for r in reranked]
    scored = time.perf_counter() - start
    # the held-out item in the model's internal ids (the dataset's own item map differs from the model's)
    held = held_out_rows(target, users, split.test.items, items_of)
    out: dict[str, object] = {"users": len(users), "n": args.n, "train_s": round(trained, 1), "score_s": round(scored, 1)}
    for name, top in rows.items():
        metrics = ranking_metrics(np.stack(top), held, [10])
        out[f"{name}_ndcg@10"] = round(float(np.mean(metrics["ndcg@10"])), 4)
        out[f"{name}_hr@10"] = round(float(np.mean(metrics["hr@10"])), 4)
    out |= {"overlap@10": round(overlap / len(users), 4), "identical_top10": int(identical),
            "identical_scores": int(same_scores)}  # fmt: skip
    print(json.dumps(out, indent=2))


def held_out_rows(target, users, test_items, model_items):
    """[len(users), n_model_items] held-out rows in the model's item ids."""
    rows, cols = [], []
    for r, u in enumerate(users):
        held = test_items.to_external(target.indices[target.indptr[u] : target.indptr[u + 1]])
        internal = model_items.to_internal(held, on_unknown="skip")
        rows += [r] * len(internal)
        cols += list(internal)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(users), len(model_items)))


if __name__ == "__main__":
    main()
