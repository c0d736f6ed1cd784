"""Learned-ranker settings on ML-100K against the linear blend, on one LM (benchmarks/README.md, "Learned ranker").

The hybrid of ``configs/ml100k-ranker.toml`` is fitted on train once (the LM trains: ~8 min here) and saved
under ``--fit`` (later runs load it); the validation lists' features are scored once; each setting of
``[hybrid.ranker] kind = "lightgbm"`` given as JSON is fitted on them (boosted from the blends' scores) and
added to the pipeline refitted on train + validation; test NDCG@10, plain and with each user's intention
request, minus the linear blend's, with paired bootstrap CIs over the users.

    .venv/bin/python benchmarks/ranker_sweep.py '{"defaults": {}, "wide": {"num_leaves": 15, "learning_rate": 0.05}}'
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import tomllib

from hybrid_rec.evaluate.compare import (
    build_dataset,
    build_split,
    evaluate_stage,
    intention_requests,
    recommend_batched,
    sample_scored_users,
)
from hybrid_rec.evaluate.config import CompareConfig
from hybrid_rec.evaluate.methods import FitContext, HybridMethod
from hybrid_rec.metrics import ranking_metrics
from hybrid_rec.pipeline import HybridConfig, HybridPipeline
from hybrid_rec.pipeline.fitting import validation_intentions
from hybrid_rec.pipeline.scoring import masked
from hybrid_rec.rerank.ranker import LightGBMRanker, LightGBMRankerConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("settings", help="JSON: name -> LightGBMRankerConfig fields")
    parser.add_argument("--config", default="configs/ml100k-ranker.toml")
    parser.add_argument("--fit", default="runs/ml100k-ranker-fit", help="the hybrid fitted on train (made once)")
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    raw = tomllib.loads(Path(args.config).read_text())
    config = CompareConfig.from_dict(raw)
    ev = config.evaluation
    dataset = build_dataset(config.dataset, None)
    split = sample_scored_users(build_split(config.split, dataset.interactions), ev.max_users, ev.seed)
    hybrid = HybridConfig.from_dict(raw["methods"]["hybrid"])
    start = time.perf_counter()
    method = HybridMethod(hybrid)
    if Path(args.fit).is_dir():
        method.pipeline = HybridPipeline.load(args.fit)
    else:
        method.fit(split.train, FitContext(split.valid, dataset.catalog, False))
        method.pipeline.save(args.fit)
    state = method.pipeline.fitted
    users = np.unique(split.valid.user)
    seen, target = split.train.to_csr()[users], split.valid.to_csr()[users]

    def lists(requests: list[str | None] | None) -> tuple[dict[str, np.ndarray], np.ndarray]:
        query = state.query(users, requests)
        items, _ = state.first_stage(query, hybrid.n_candidates, seen)
        scored = state.score(query, items)
        return {k: masked(v, scored.excluded) for k, v in scored.features.items()}, items

    plain = lists(None)
    asked = lists(validation_intentions(state.reranker, target, hybrid.reranker.trainer.seed))
    if state.request_fusion is None:
        raise SystemExit("the model has no request blend: the dataset needs a category field")
    bases = [state.fusion.transform(*plain), state.request_fusion.transform(*asked)]
    print(f"fit and validation features: {time.perf_counter() - start:.0f} s", flush=True)
    method.refit(split.train_valid)
    refit = method.pipeline.fitted
    test_users = np.unique(split.test.user)
    truth = split.test.to_csr("binary")[test_users]
    requests = intention_requests(split, dataset.catalog, ev.seed, ev.intention_noun)

    def test(ranker: LightGBMRanker | None) -> tuple[np.ndarray, np.ndarray]:
        method.pipeline._state = replace(refit, ranker=ranker)
        per_user = evaluate_stage(method, split, "test", ev, False)[2]
        top = recommend_batched(method, split.train_valid, test_users, ev.k, ev.batch_users, "", False, requests)
        return per_user[f"ndcg@{ev.k}"], ranking_metrics(top.items, truth, [ev.k])[f"ndcg@{ev.k}"]

    rng = np.random.default_rng(ev.seed)

    def ci(delta: np.ndarray) -> str:
        means = [delta[rng.integers(0, len(delta), len(delta))].mean() for _ in range(args.bootstrap)]
        return f"{delta.mean():+.4f} [{np.percentile(means, 2.5):+.4f}, {np.percentile(means, 97.5):+.4f}]"

    base_plain, base_asked = test(None)
    print(f"linear: plain {base_plain.mean():.4f}, intention {base_asked.mean():.4f}", flush=True)
    for name, fields in json.loads(args.settings).items():
        ranker = LightGBMRanker(LightGBMRankerConfig(**fields)).fit(
            [plain[0], asked[0]], [plain[1], asked[1]], [target, target], bases
        )
        p, a = test(ranker)
        print(f"{name}: {ranker.rounds} rounds, {ranker.seconds:.2f} s; plain {p.mean():.4f} {ci(p - base_plain)}; "
              f"intention {a.mean():.4f} {ci(a - base_asked)}; importances {ranker.weights}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
