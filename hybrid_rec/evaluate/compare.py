"""The `compare` harness: tune on validation, refit on train + validation, score on test, report.

Every method sees the same split. Hyper-parameters given as lists in the config form a grid that
is searched on the validation metric only; the chosen point is refitted on train + validation and
evaluated once on test, with full ranking over all items and the user's fit items excluded.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm.auto import tqdm

from hybrid_rec.candidates.als import ALSModel
from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog, genre_request
from hybrid_rec.data.config import build_dataset, build_split
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.splits import Split, Stage, sample_scored_users
from hybrid_rec.errors import ConfigError
from hybrid_rec.evaluate.config import CompareConfig, EvaluationConfig, expand_grid, method_type
from hybrid_rec.evaluate.memory import PeakRSS
from hybrid_rec.evaluate.methods import METHODS, FitContext, Method, RequestMethod
from hybrid_rec.evaluate.metrics import (
    TopK,
    bootstrap_mean,
    candidate_recall,
    coverage,
    intra_list_diversity,
    paired_bootstrap,
    popularity_buckets,
    ranking_metrics,
)
from hybrid_rec.evaluate.rerank_task import OutsideLists, outside_lists, rerank_entry, rerank_variants
from hybrid_rec.evaluate.rounds_task import (
    RoundsMethod,
    RoundsTaskConfig,
    rounds_entry,
    run_rounds,
    sample_users,
    simulated_vectors,
    stated_requests,
)
from hybrid_rec.evaluate.search import optuna_search
from hybrid_rec.evaluate.user_sample import user_sample

log = logging.getLogger(__name__)


def recommend_batched(
    method: Method,
    fit_data: Interactions,
    users: np.ndarray,
    k: int,
    batch: int,
    desc: str,
    progress: bool,
    requests: list[str | None] | None = None,
    only_cold: bool = False,
) -> TopK:
    """Top-k for `users` in batches, excluding each user's rows of `fit_data` (`requests`: one per
    user, for a method that reads requests; `only_cold`: every item with fit rows is excluded too)."""
    exclude = fit_data.to_csr("binary")
    warm = np.flatnonzero(fit_data.item_counts() > 0) if only_cold else None
    parts = []
    for start in tqdm(range(0, len(users), batch), desc=desc, disable=not progress, leave=False):
        chunk = users[start : start + batch]
        seen = exclude[chunk] if warm is None else _with_columns(exclude[chunk], warm)  # per batch: rows x warm
        if requests is not None and isinstance(method, RequestMethod):
            parts.append(method.recommend(chunk, k, seen, requests=requests[start : start + batch]))
        else:
            parts.append(method.recommend(chunk, k, seen))
    return TopK.concat(parts)


def _with_columns(rows: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """`rows` (binary) with every one of `columns` set in each row as well."""
    n = rows.shape[0]
    every = sp.csr_matrix(
        (np.ones(n * len(columns), np.float32), (np.repeat(np.arange(n), len(columns)), np.tile(columns, n))), rows.shape
    )
    return sp.csr_matrix(((rows + every) > 0).astype(np.float32))


def intention_requests(
    split: Split, catalog: ItemCatalog | None, seed: int, noun: str | None = None
) -> list[str | None]:
    """InstructRec's vague intention task: each test user asks for a genre of their held-out item
    ("a comedy movie"; a random one of its genres), None where the item has no genres. `noun`
    unset: the catalog's, else "item"."""
    users = np.unique(split.test.user)
    noun = noun or (catalog.noun if catalog is not None else None) or "item"
    field = catalog.category_field() if catalog is not None else None
    if catalog is None or field is None:
        return [None] * len(users)
    first = split.test.to_csr("binary")[users]
    items = split.test.items.to_external(first.indices[first.indptr[:-1]])
    rng = np.random.default_rng(seed)
    out: list[str | None] = []
    for item in items:
        known = item in catalog
        genres = [g for g in (catalog.items.at[item, field] or ()) if g != "unknown"] if known else []
        out.append(genre_request(genres, rng, noun))  # the phrasing of training ("unknown" is no genre)
    return out


def evaluate_stage(
    method: Method, split: Split, stage: Stage, cfg: EvaluationConfig, progress: bool, desc: str = ""
) -> tuple[np.ndarray, TopK, dict[str, np.ndarray], float]:
    """Score a fitted method on one stage: evaluated users, their top-K, per-user metrics, seconds."""
    targets = split.targets(stage)
    users = np.unique(targets.user)
    start = time.perf_counter()
    cold = stage == "test" and cfg.ranked_items == "cold"
    topk = recommend_batched(method, split.fit_data(stage), users, max(cfg.cutoffs), cfg.batch_users, desc, progress,
                             only_cold=cold)  # fmt: skip
    seconds = time.perf_counter() - start
    per_user = ranking_metrics(topk.items, targets.to_csr("binary")[users], cfg.cutoffs)
    return users, topk, per_user, seconds


def _summary(per_user: dict[str, np.ndarray], topk: TopK, n_items: int, cutoffs: list[int]) -> dict[str, float]:
    out = {name: float(np.nanmean(v)) for name, v in per_user.items()}
    out.update({f"coverage@{k}": coverage(topk.items, n_items, k) for k in cutoffs})
    return out


@dataclass(frozen=True)
class _TestContext:
    """What every method's test report shares: the test users' popularity buckets (head / torso /
    tail of their first test item) and reference item vectors for intra-list diversity."""

    interactions: Interactions
    test_bucket: np.ndarray
    reference: np.ndarray

    @classmethod
    def build(cls, interactions: Interactions, split: Split, seed: int) -> _TestContext:
        buckets = popularity_buckets(split.train_valid.item_counts())
        first = split.test.to_csr("binary")[np.unique(split.test.user)]
        reference = ALSModel(factors=32, iterations=15, seed=seed).fit(split.train_valid).item_factors
        return cls(interactions, buckets[first.indices[first.indptr[:-1]]], reference)


_BUCKETS = ("head", "torso", "tail")


def _protocol(config: CompareConfig, split: Split, shared: _TestContext) -> dict[str, Any]:
    ev = config.evaluation
    return {
        "split": config.split.kind,
        "k": ev.k,
        "seed": ev.seed,
        "cutoffs": ev.cutoffs,
        "tune_metric": ev.tune_metric,
        "full_ranking": True,
        "ranked_items": ev.ranked_items,
        "train": len(split.train),
        "valid": len(split.valid),
        "test": len(split.test),
        "test_users": len(np.unique(split.test.user)),
        "split_info": split.info,
        "test_items_by_popularity": {name: int((shared.test_bucket == b).sum()) for b, name in enumerate(_BUCKETS)},
        "diversity": "mean pairwise cosine distance of reference ALS item factors (32 factors)",
    }


@dataclass(frozen=True)
class _Tuned:
    """A method's best point on validation, the method fitted there, the time tuning took and, for
    an Optuna search, its history."""

    params: StrictModel
    valid: dict[str, float]
    method: Method
    seconds: float
    search: dict[str, Any] | None = None


def tune(name: str, config: CompareConfig, split: Split, context: FitContext, n_items: int) -> _Tuned:
    """Fit every grid point of method `name` on train (or Optuna's trials); keep the best by the
    validation tune metric."""
    if config.search.kind == "optuna":
        return _tune_optuna(name, config, split, context, n_items)
    ev = config.evaluation
    mtype, grid = expand_grid(name, config.methods[name])
    best: _Tuned | None = None
    start = time.perf_counter()
    for point in tqdm(grid, desc=f"tune {name}", disable=not context.progress or len(grid) == 1, leave=False):
        method = METHODS[mtype].factory(point).fit(split.train, context)
        _, topk, per_user, _ = evaluate_stage(method, split, "valid", ev, progress=False)
        summary = _summary(per_user, topk, n_items, ev.cutoffs)
        if ev.tune_metric not in summary:
            raise ConfigError(f"evaluation.tune_metric {ev.tune_metric!r} is not one of {sorted(summary)}")
        log.debug("%s %s: valid %s = %.4f", name, point.model_dump(), ev.tune_metric, summary[ev.tune_metric])
        if best is None or summary[ev.tune_metric] > best.valid[ev.tune_metric]:
            best = _Tuned(point, summary, method, 0.0)
    if best is None:  # pragma: no cover - expand_grid never returns an empty grid
        raise ConfigError(f"methods.{name}: empty grid")
    return replace(best, seconds=time.perf_counter() - start)


def _tune_optuna(name: str, config: CompareConfig, split: Split, context: FitContext, n_items: int) -> _Tuned:
    """Optuna trials on validation; LM methods report each epoch's validation NDCG for pruning."""
    ev = config.evaluation
    mtype, params = method_type(name, config.methods[name])
    spec = METHODS[mtype]
    best: list[_Tuned] = []
    start = time.perf_counter()

    def objective(point: dict[str, Any], report: Callable[[int, float], None] | None) -> float:
        cfg = spec.config.from_dict(point, source=f"methods.{name}")
        method = spec.factory(cfg).fit(split.train, replace(context, report=report))
        _, topk, per_user, _ = evaluate_stage(method, split, "valid", ev, progress=False)
        summary = _summary(per_user, topk, n_items, ev.cutoffs)
        if ev.tune_metric not in summary:
            raise ConfigError(f"evaluation.tune_metric {ev.tune_metric!r} is not one of {sorted(summary)}")
        if not best or summary[ev.tune_metric] > best[0].valid[ev.tune_metric]:
            best[:] = [_Tuned(cfg, summary, method, 0.0)]
        return summary[ev.tune_metric]

    result = optuna_search(name, params, objective, config.search)
    return replace(best[0], seconds=time.perf_counter() - start, search=result.summary("optuna"))


def score_on_test(
    name: str,
    tuned: _Tuned,
    config: CompareConfig,
    split: Split,
    context: FitContext,
    shared: _TestContext,
    out: Path,
    outside: OutsideLists | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Refit the tuned method on train + validation, score it on test, write its recommendations;
    returns its report entry and per-user test metrics (with `outside` lists: its reranking of them
    in the entry's ``"reranked"``, [users, k] items)."""
    ev = config.evaluation
    mtype = method_type(name, config.methods[name])[0]
    with PeakRSS() as peak:
        start = time.perf_counter()
        if hasattr(tuned.method, "refit"):  # keeps what was trained; takes the train + validation rows
            method = tuned.method.refit(split.train_valid, context)
        else:
            method = METHODS[mtype].factory(tuned.params).fit(split.train_valid, context)
        fit_seconds = time.perf_counter() - start
        users, topk, per_user, rec_seconds = evaluate_stage(method, split, "test", ev, context.progress,
                                                            f"recommend {name}")  # fmt: skip
    intention = None
    if ev.intention_task:
        requests = intention_requests(split, context.catalog, ev.seed, ev.intention_noun)
        asked = recommend_batched(method, split.train_valid, users, max(ev.cutoffs), ev.batch_users,
                                  f"intention {name}", context.progress, requests,
                                  only_cold=ev.ranked_items == "cold")  # fmt: skip
        with_request = ranking_metrics(asked.items, split.test.to_csr("binary")[users], ev.cutoffs)
        intention = _intention_entry(per_user, with_request, requests, isinstance(method, RequestMethod), ev)
    n_items = shared.interactions.n_items
    test = _summary(per_user, topk, n_items, ev.cutoffs)
    test[f"diversity@{ev.k}"] = float(np.nanmean(intra_list_diversity(topk.items[:, : ev.k], shared.reference)))
    ndcg = per_user[f"ndcg@{ev.k}"]
    entry = {
        "type": mtype,
        "valid": tuned.valid,
        "test": test,
        "test_ci95": {m: _ci(per_user[m], ev) for m in (f"ndcg@{ev.k}", f"hr@{ev.k}")},
        "tune_seconds": tuned.seconds,
        "fit_seconds": fit_seconds,
        "recommend_seconds": rec_seconds,
        "peak_rss_mib": peak.peak_mib,
        "rss_at_start_mib": peak.start_mib,
        "params": tuned.params.model_dump(mode="json"),
        "learned": method.learned() if hasattr(method, "learned") else {},
        f"ndcg@{ev.k}_by_popularity": {
            bucket: float(np.nanmean(ndcg[shared.test_bucket == b])) if (shared.test_bucket == b).any() else None
            for b, bucket in enumerate(_BUCKETS)
        },
        "grid_size": (
            len(expand_grid(name, config.methods[name])[1]) if tuned.search is None else len(tuned.search["trials"])
        ),
    }
    if tuned.search is not None:
        entry["search"] = tuned.search
    if intention is not None:
        entry["intention"] = intention
    if ev.rounds is not None and isinstance(method, RoundsMethod) and context.catalog is not None and (
        ev.rounds.methods is None or name in ev.rounds.methods
    ):
        entry["rounds"] = _rounds(method, ev.rounds, ev, split, context.catalog, shared)
    if outside is not None:
        parts = [rerank_variants(method, split.train_valid, outside.users[s : s + ev.batch_users],
                                 outside.items[s : s + ev.batch_users], ev.k)
                 for s in tqdm(range(0, len(outside.users), ev.batch_users), desc=f"rerank {name}",
                               disable=not context.progress, leave=False)]  # fmt: skip
        entry["reranked"] = {suffix: np.concatenate([p[suffix] for p in parts]) for suffix in parts[0]} if parts else {}
    _write_recs(out / "recs" / f"{name}.parquet", shared.interactions, users, topk)
    log.info("%s: valid %s %.4f, test %s %.4f (fit %.1fs)", name, ev.tune_metric, tuned.valid[ev.tune_metric],
             ev.tune_metric, test[ev.tune_metric], fit_seconds)  # fmt: skip
    return entry, per_user


def _rounds(
    method: RoundsMethod, task: RoundsTaskConfig, ev: EvaluationConfig, split: Split, catalog: ItemCatalog,
    shared: _TestContext,
) -> dict[str, Any]:  # fmt: skip
    """The multi-round task on a sample of test users (`rounds_task`)."""
    users, targets = sample_users(split, task)
    items = shared.interactions.items
    vectors = simulated_vectors(catalog, items, task.policy)
    requests = stated_requests(catalog, items, targets, task.seed)
    seen = split.train_valid.to_csr("binary")[users]
    start = time.perf_counter()
    outcomes = run_rounds(method, task, users, targets, seen, vectors, requests)
    entry = rounds_entry(outcomes, task, ev.bootstrap, ev.seed)
    log.info("rounds: %s", {k: [round(h, 3) for h in v["hit_rate"]] for k, v in entry.items()})
    return {"users": len(users), "k": task.k, "seconds": time.perf_counter() - start, "policy": task.policy,
            "kinds": entry}


def _intention_entry(
    plain: dict[str, np.ndarray], asked: dict[str, np.ndarray], requests: list[str | None], reads: bool,
    ev: EvaluationConfig,
) -> dict[str, Any]:  # fmt: skip
    """The intention task on the users with a request: the tune metric with and without it, paired."""
    metric = ev.tune_metric
    rows = np.array([r is not None for r in requests])
    a, b = asked[metric][rows], plain[metric][rows]
    res = paired_bootstrap(a, b, ev.bootstrap, ev.seed)
    return {
        "reads_requests": reads,
        "users": int(rows.sum()),
        "metric": metric,
        "with_request": float(np.nanmean(a)),
        "without_request": float(np.nanmean(b)),
        "ratio": float(np.nanmean(a) / np.nanmean(b)) if np.nanmean(b) > 0 else None,
        "delta": res.estimate,
        "ci95": [res.low, res.high],
    }


def _ci(values: np.ndarray, ev: EvaluationConfig) -> list[float]:
    b = bootstrap_mean(values, ev.bootstrap, ev.seed)
    return [b.low, b.high]


def compare_pairs(names: list[str], per_user: dict[str, dict[str, np.ndarray]], ev: EvaluationConfig) -> dict[str, Any]:
    """Paired bootstrap of the tune metric for each configured pair (default: each method vs the first)."""
    out: dict[str, Any] = {}
    for pair in ev.comparisons or [f"{m}_vs_{names[0]}" for m in names[1:]]:
        a, _, b = pair.partition("_vs_")
        if a not in per_user or b not in per_user:
            continue  # a --methods subset can leave a configured comparison without one side
        res = paired_bootstrap(per_user[a][ev.tune_metric], per_user[b][ev.tune_metric], ev.bootstrap, ev.seed)
        out[pair] = {"metric": ev.tune_metric, "delta": res.estimate, "ci95": [res.low, res.high]}
    return out


def run_compare(
    config: CompareConfig,
    out: str | Path,
    *,
    methods: list[str] | None = None,
    home: str | Path | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Run the comparison and write ``report.json``, ``report.md``, ``report.html``, ``report.png``,
    ``recs/`` and ``test.parquet`` into `out`. Returns the report dict (with a few test users shown one
    by one under ``user_sample``, `EvaluationConfig.sample_users`)."""
    from hybrid_rec.evaluate.report import write_reports

    names = methods or list(config.methods)
    unknown = [m for m in names if m not in config.methods]
    if unknown:
        raise ConfigError(f"--methods: {unknown} not in the config's methods {list(config.methods)}")
    ev = config.evaluation
    out = Path(out)
    (out / "recs").mkdir(parents=True, exist_ok=True)
    config = _with_outside_fusion(config)

    dataset = build_dataset(config.dataset, home)
    inter = dataset.interactions
    split = sample_scored_users(build_split(config.split, inter), ev.max_users, ev.seed)
    if len(split.valid) == 0 or len(split.test) == 0:
        raise ConfigError(f"the {config.split.kind} split left no validation or no test rows; adjust [split]")
    log.info("%s: %d users, %d items, %d interactions; split %s: train %d, valid %d, test %d", dataset.name,
             inter.n_users, inter.n_items, len(inter), config.split.kind, len(split.train), len(split.valid),
             len(split.test))  # fmt: skip
    shared = _TestContext.build(inter, split, ev.seed)
    report: dict[str, Any] = {
        "dataset": {"name": dataset.name, "users": inter.n_users, "items": inter.n_items, "interactions": len(inter)},
        "protocol": _protocol(config, split, shared),
        "methods": {},
        "comparisons": {},
    }
    per_user_test: dict[str, dict[str, np.ndarray]] = {}
    lists = outside_lists(config.rerank, split) if config.rerank is not None else None
    rerankers = set(config.rerank.methods or names) if config.rerank is not None else set()
    reranked: dict[str, np.ndarray] = {}
    for name in names:
        tuned = tune(name, config, split, FitContext(split.valid, dataset.catalog, progress), inter.n_items)
        test_ctx = FitContext(valid=None, catalog=dataset.catalog, progress=progress)
        given = lists if name in rerankers else None
        report["methods"][name], per_user_test[name] = score_on_test(name, tuned, config, split, test_ctx, shared, out,
                                                                     given)  # fmt: skip
        if given is not None:
            for suffix, items in report["methods"][name].pop("reranked").items():
                reranked[name + suffix] = items
        del tuned
    report["comparisons"] = compare_pairs(names, per_user_test, ev)
    if lists is not None:
        targets = split.test.to_csr("binary")[lists.users]
        report["rerank"] = rerank_entry(lists, targets, reranked, ev.k, ev.bootstrap, ev.seed)
    if config.candidates is not None:
        report["candidates"] = candidate_report(config.candidates, split, ev.candidate_sizes, ev.batch_users, progress)

    sample = user_sample(split, dataset.catalog, out / "recs", names, n=ev.sample_users, k=ev.k, seed=ev.seed)
    if sample is not None:
        report["user_sample"] = sample
    split.test.to_dataframe()[["user_id", "item_id", "timestamp"]].to_parquet(out / "test.parquet", index=False)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=_json_default))
    write_reports(report, out)
    return report


def _with_outside_fusion(config: CompareConfig) -> CompareConfig:
    """With a rerank task that fits fusions (`RerankTaskConfig.fit_fusion`): every hybrid method whose
    table sets no ``outside`` gets the task's retriever as its `HybridConfig.outside`."""
    task = config.rerank
    if task is None or not task.fit_fusion:
        return config
    methods = dict(config.methods)
    for name, params in methods.items():
        if method_type(name, params)[0] == "hybrid" and "outside" not in params:
            methods[name] = {**params, "outside": task.retriever.model_dump()}
    return config.model_copy(update={"methods": methods})


def candidate_report(
    cfg: CandidatesConfig, split: Split, sizes: list[int], batch: int, progress: bool
) -> dict[str, dict[str, float]]:
    """Test recall@N of each candidate source and of the blend (generator fitted on train + validation)."""
    generator = CandidateGenerator(cfg.model_copy(update={"n": max(sizes)})).fit(split.train_valid)
    users = np.unique(split.test.user)
    targets = split.test.to_csr("binary")
    lists: dict[str, list[np.ndarray]] = {}
    for start in tqdm(range(0, len(users), batch), desc="candidates", disable=not progress, leave=False):
        chunk = users[start : start + batch]
        per_source = generator.source_lists(chunk, max(sizes))
        per_source["blend"] = generator.generate(chunk, max(sizes)).topk()
        for name, top in per_source.items():
            lists.setdefault(name, []).append(top.items)
    return {name: candidate_recall(np.concatenate(parts), targets[users], sizes) for name, parts in lists.items()}


def _write_recs(path: Path, inter: Interactions, users: np.ndarray, topk: TopK) -> None:
    k = topk.items.shape[1]
    valid = topk.items >= 0
    rows = np.repeat(users, k).reshape(-1, k)
    frame = pd.DataFrame(
        {
            "user_id": inter.users.to_external(rows[valid]),
            "item_id": inter.items.to_external(topk.items[valid]),
            "rank": np.tile(np.arange(1, k + 1), (len(users), 1))[valid],
            "score": topk.scores[valid],
        }
    )
    frame.to_parquet(path, index=False)


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
