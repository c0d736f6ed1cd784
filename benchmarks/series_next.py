"""Series catalog (`make_series`): what reading the part numbers in the titles is worth, by popularity.

Trains the default hybrid (a small LM, early stopping: minutes on 2 cores) on a seeded series catalog
with leave-last-out, then reports test NDCG@10 (full ranking, the user's train + validation items
excluded) of the hybrid, the LM alone (its item-token distribution), ALS, the "chosen right after" source alone
(transitions: reads the order of the histories, not the titles) and a title-reading "next
part" rule, overall and by the popularity bucket of the test item (head / torso / tail: thirds of
the train + validation interactions). The rule reads only titles and popularity: for the franchises
in a user's recent history it ranks the next part, then the part after, then the most popular titles.

    .venv/bin/python benchmarks/series_next.py --json runs/series_next.json
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import leave_last_out
from hybrid_rec.data.synthetic import SeriesConfig, make_series
from hybrid_rec.evaluate.compare import evaluate_stage
from hybrid_rec.evaluate.config import EvaluationConfig
from hybrid_rec.evaluate.methods import ALSMethod, FitContext, GPT2Method, HybridMethod, Method, TransitionsMethod
from hybrid_rec.evaluate.metrics import bootstrap_mean, popularity_buckets
from hybrid_rec.pipeline import HybridConfig
from hybrid_rec.rerank.reranker import sequences_of
from hybrid_rec.topk import TopK

# A numbered part at the end of a title, most specific first; a title with none is part 1.
_PART = (
    re.compile(r"^(?P<base>.+?)\s+Part\s+(?P<num>\d+)$"),
    re.compile(r"^(?P<base>.+?):\s*Chapter\s+(?P<num>\d+)$"),
    re.compile(r"^(?P<base>.+?)\s+-\s+Episode\s+(?P<num>\d+)$"),
    re.compile(r"^(?P<base>.+?)\s+(?P<num>\d+)$"),
    re.compile(r"^(?P<base>.+?)\s+(?P<roman>[IVXLC]+)$"),
)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
BUCKETS = ("head", "torso", "tail")


def parse_part(title: str) -> tuple[str, int]:
    """(franchise name, part number) read from a title: "Shadow Road Part 3" -> ("Shadow Road", 3);
    a title without a number is part 1 of a franchise of its own name."""
    for pattern in _PART:
        m = pattern.match(title.strip())
        if m is None:
            continue
        if m.group("base") and "roman" in pattern.groupindex:
            values = [_ROMAN[c] for c in m.group("roman")]
            return m.group("base"), sum(-v if v < w else v for v, w in zip(values, [*values[1:], 0], strict=True))
        return m.group("base"), int(m.group("num"))
    return title.strip(), 1


class NextPartRule:
    """Baseline that reads titles: the next part (then the one after) of each franchise among the
    user's `recent` last titles, most recent first; then the most popular titles."""

    def __init__(self, catalog: ItemCatalog, recent: int = 5) -> None:
        self.catalog, self.recent = catalog, recent
        self.histories: dict[int, np.ndarray] = {}
        self.popular = np.empty(0, np.int64)
        self.parts: list[tuple[str, int]] = []
        self.index: dict[tuple[str, int], int] = {}

    def fit(self, train: Interactions, context: FitContext | None = None) -> NextPartRule:
        titles = self.catalog.items["title"].reindex(train.items.ids).fillna("").astype(str)
        self.parts = [parse_part(t) for t in titles]
        self.index = {p: i for i, p in enumerate(self.parts)}
        self.histories = sequences_of(train)
        self.popular = np.argsort(-train.item_counts(), kind="stable")
        return self

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        items = np.full((len(users), k), -1, np.int64)
        for r, u in enumerate(users):
            banned = set(exclude.indices[exclude.indptr[r] : exclude.indptr[r + 1]].tolist())
            recent = self.histories.get(int(u), np.empty(0, np.int64))[::-1][: self.recent]
            ranked = [self.index.get((self.parts[i][0], self.parts[i][1] + step)) for step in (1, 2) for i in recent]
            ranked += self.popular[: k + len(banned) + len(ranked)].tolist()
            chosen: list[int] = []
            for item in ranked:
                if item is not None and item not in banned and item not in chosen:
                    chosen.append(item)
                if len(chosen) == k:
                    break
            items[r, : len(chosen)] = chosen
        scores = np.where(items >= 0, -np.arange(k, dtype=np.float64)[None, :], np.nan)
        return TopK(items, scores)


def hybrid_config(epochs: int, seed: int) -> HybridConfig:
    """The default hybrid with the quick settings of configs/ml100k-quick.toml (a 64-wide LM)."""
    return HybridConfig.from_dict({
        "candidates": {"als": {"factors": 32, "regularization": 0.1, "seed": seed}},
        "reranker": {"lm": {"n_embd": 64, "dropout": 0.2, "seed": seed}, "trainer": {"epochs": epochs, "seed": seed}},
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=1500, help="users of the generated catalog")
    parser.add_argument("--epochs", type=int, default=60, help="most LM epochs (early stopping ends sooner)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and of every model")
    parser.add_argument("--json", help="also write the summary here")
    args = parser.parse_args()
    start = time.perf_counter()
    data = make_series(SeriesConfig(n_users=args.users, seed=args.seed))
    catalog = data.catalog
    assert catalog is not None
    split = leave_last_out(data.interactions)
    config = hybrid_config(args.epochs, args.seed)
    context = FitContext(split.valid, catalog)
    methods: dict[str, Method] = {}
    seconds: dict[str, float] = {}
    for name, make in {
        "hybrid": lambda: HybridMethod(config).fit(split.train, context).refit(split.train_valid),
        "lm_alone": lambda: GPT2Method(config.lm_stage).fit(split.train, context).refit(split.train_valid),
        "als": lambda: ALSMethod(config.candidates.als).fit(split.train_valid),
        "transitions": lambda: TransitionsMethod(config.candidates.transitions).fit(split.train_valid),
        "next_part_rule": lambda: NextPartRule(catalog).fit(split.train_valid),
    }.items():
        t = time.perf_counter()
        methods[name] = make()
        seconds[name] = round(time.perf_counter() - t, 1)

    buckets = popularity_buckets(split.train_valid.item_counts())
    ev = EvaluationConfig(cutoffs=[10], bootstrap=1000, seed=args.seed)
    summary: dict[str, Any] = {
        "data": {"users": data.interactions.n_users, "items": data.interactions.n_items,
                 "interactions": len(data.interactions), "seed": args.seed},
        "config": {"lm": "n_embd 64, 2 layers, dropout 0.2", "max_epochs": args.epochs, "als_factors": 32},
        "fit_seconds": seconds,
    }  # fmt: skip
    results: dict[str, dict[str, Any]] = {}
    for name, method in methods.items():
        users, _, per_user, rec_s = evaluate_stage(method, split, "test", ev, progress=False)
        first = split.test.to_csr("binary")[users]
        bucket = buckets[first.indices[first.indptr[:-1]]]  # the bucket of each user's test item
        ndcg = per_user["ndcg@10"]
        ci = bootstrap_mean(ndcg, ev.bootstrap, ev.seed)
        results[name] = {
            "ndcg@10": round(float(np.nanmean(ndcg)), 4),
            "ci95": [round(ci.low, 4), round(ci.high, 4)],
            "hr@10": round(float(np.nanmean(per_user["hr@10"])), 4),
            **{b: round(float(np.nanmean(ndcg[bucket == i])), 4) for i, b in enumerate(BUCKETS)},
            "recommend_seconds": round(rec_s, 1),
        }
    summary["test_users_by_bucket"] = {b: int((bucket == i).sum()) for i, b in enumerate(BUCKETS)}
    summary["ndcg@10"] = results
    rule = results["next_part_rule"]["ndcg@10"]
    summary["hybrid_over_rule"] = round(results["hybrid"]["ndcg@10"] / rule, 3) if rule else None
    hybrid = methods["hybrid"]
    summary["hybrid_learned"] = hybrid.learned() if isinstance(hybrid, HybridMethod) else {}
    summary["wall_seconds"] = round(time.perf_counter() - start, 1)

    print("| method | NDCG@10 (95% CI) | HR@10 | head | torso | tail |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['ndcg@10']:.4f} {r['ci95']} | {r['hr@10']:.4f} | {r['head']:.4f} | {r['torso']:.4f} "
              f"| {r['tail']:.4f} |")  # fmt: skip
    print(json.dumps(summary, indent=2, default=float))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(summary, indent=2, default=float))


if __name__ == "__main__":
    main()
