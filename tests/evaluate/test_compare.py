from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data.config import build_dataset
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError
from hybrid_rec.evaluate import methods as methods_mod
from hybrid_rec.evaluate.compare import CompareConfig, build_split, run_compare
from hybrid_rec.evaluate.methods import MethodSpec, Popularity, PopularityConfig
from tests.factory import derive, tiny, tiny_lm_stage

SMALL = {
    "dataset": {
        "name": "synthetic",
        "synthetic": {"n_users": 300, "n_items": 120, "n_clusters": 4, "interactions_per_user": 15, "seed": 7},
    },
    "evaluation": {"bootstrap": 200, "comparisons": ["als_vs_popularity"]},
    "methods": {"popularity": {}, "als": {"factors": [4, 16], "iterations": 5, "regularization": [0.01, 1.0]}},
}


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    report = run_compare(CompareConfig.from_dict(SMALL), out, progress=False)
    return report, out


def test_report_schema(report_dir):
    report, out = report_dir
    assert set(report) >= {"dataset", "protocol", "methods", "comparisons"}
    assert report["dataset"] == {
        "name": "synthetic",
        "users": 300,
        "items": 120,
        "interactions": report["dataset"]["interactions"],
    }
    assert {"split", "k", "seed"} <= set(report["protocol"])
    for m in report["methods"].values():
        assert {"valid", "test", "fit_seconds", "recommend_seconds", "peak_rss_mib", "params"} <= set(m)
        assert {"ndcg@10", "hr@10", "mrr@10", "recall@50", "coverage@10"} <= set(m["test"])
        assert set(m["valid"]) | {"diversity@10"} == set(m["test"])
        assert set(m["ndcg@10_by_popularity"]) == {"head", "torso", "tail"}
    assert sum(report["protocol"]["test_items_by_popularity"].values()) == report["protocol"]["test_users"]
    comp = report["comparisons"]["als_vs_popularity"]
    assert comp["metric"] == "ndcg@10" and comp["ci95"][0] <= comp["delta"] <= comp["ci95"][1]
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk["methods"]["als"]["params"] == report["methods"]["als"]["params"]
    assert (out / "report.md").read_text().count("| als |") == 2  # main table + popularity table
    assert (out / "report.png").stat().st_size > 1000


def test_als_beats_popularity_on_planted_structure(report_dir):
    report, _ = report_dir
    assert report["methods"]["als"]["test"]["ndcg@10"] > report["methods"]["popularity"]["test"]["ndcg@10"]
    assert report["comparisons"]["als_vs_popularity"]["ci95"][0] > 0


def test_recs_files_recompute_the_reported_metrics(report_dir):
    """Anyone can recompute the test metrics from recs/*.parquet and test.parquet alone."""
    report, out = report_dir
    test = pd.read_parquet(out / "test.parquet")
    for name, m in report["methods"].items():
        recs = pd.read_parquet(out / "recs" / f"{name}.parquet")
        assert list(recs.columns) == ["user_id", "item_id", "rank", "score"]
        assert set(recs["user_id"]) == set(test["user_id"])
        merged = recs.merge(test[["user_id", "item_id"]], on=["user_id", "item_id"])
        top10 = merged[merged["rank"] <= 10]
        n_users = test["user_id"].nunique()  # leave-last-out: one test item per user
        assert len(top10) / n_users == pytest.approx(m["test"]["hr@10"])
        assert (1 / np.log2(top10["rank"] + 1)).sum() / n_users == pytest.approx(m["test"]["ndcg@10"])


def recomputed_ndcg(out, name: str) -> float:
    """Test NDCG@10 from recs/<name>.parquet and test.parquet alone (one test item per user)."""
    test = pd.read_parquet(out / "test.parquet")
    recs = pd.read_parquet(out / "recs" / f"{name}.parquet")
    hits = recs.merge(test[["user_id", "item_id"]], on=["user_id", "item_id"])
    return float((1 / np.log2(hits.loc[hits["rank"] <= 10, "rank"] + 1)).sum() / test["user_id"].nunique())


def test_diversity_recomputed_from_the_recs_files(report_dir):
    """diversity@10 = mean over test users of the mean pairwise cosine distance (1 - cos) between
    their top-10 items, on the documented reference vectors (ALS, 32 factors, 15 iterations)."""
    import itertools

    from hybrid_rec.candidates.als import ALSModel
    from hybrid_rec.evaluate.compare import build_dataset, build_split

    report, out = report_dir
    cfg = CompareConfig.from_dict(SMALL)
    inter = build_dataset(cfg.dataset).interactions
    split = build_split(cfg.split, inter)
    vectors = ALSModel(factors=32, iterations=15, seed=cfg.evaluation.seed).fit(split.train_valid).item_factors
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for name, m in report["methods"].items():
        recs = pd.read_parquet(out / "recs" / f"{name}.parquet").sort_values(["user_id", "rank"])
        per_user = []
        for _, top in recs[recs["rank"] <= 10].groupby("user_id"):
            items = inter.items.to_internal(top["item_id"].to_numpy())
            per_user.append(np.mean([1 - unit[a] @ unit[b] for a, b in itertools.combinations(items, 2)]))
        assert m["test"]["diversity@10"] == pytest.approx(np.mean(per_user), rel=1e-5), name


def test_tuning_picks_the_best_validation_point(report_dir, tmp_path):
    report, _ = report_dir
    chosen = report["methods"]["als"]["valid"]["ndcg@10"]
    for factors in (4, 16):
        for reg in (0.01, 1.0):
            cfg = {
                **SMALL,
                "methods": {"als": {"factors": factors, "iterations": 5, "regularization": reg}},
                "evaluation": {"bootstrap": 10},
            }
            single = run_compare(CompareConfig.from_dict(cfg), tmp_path / f"{factors}-{reg}", progress=False)
            assert single["methods"]["als"]["valid"]["ndcg@10"] <= chosen + 1e-12


def test_no_fit_ever_sees_held_out_rows(tmp_path, monkeypatch):
    """Tuning fits never see validation or test rows; the final fit never sees test rows."""
    fits: list[Interactions] = []

    class Spy(Popularity):
        def fit(self, train, context=None):
            fits.append(train)
            return super().fit(train, context)

    monkeypatch.setitem(methods_mod.METHODS, "spy", MethodSpec(PopularityConfig, Spy))
    cfg = {**SMALL, "methods": {"spy": {"count": ["interactions", "users"]}}, "evaluation": {"bootstrap": 10}}
    run_compare(CompareConfig.from_dict(cfg), tmp_path, progress=False)
    from hybrid_rec.evaluate.compare import build_dataset, build_split

    c = CompareConfig.from_dict(cfg)
    split = build_split(c.split, build_dataset(c.dataset).interactions)
    key = lambda inter: set(zip(inter.user.tolist(), inter.item.tolist(), inter.timestamp.tolist(), strict=True))
    held_valid, held_test = key(split.valid), key(split.test)
    assert len(fits) == 3
    for tune_fit in fits[:2]:
        assert not key(tune_fit) & (held_valid | held_test)
    assert not key(fits[2]) & held_test and held_valid <= key(fits[2])


def test_methods_subset_and_comparisons_skipped(tmp_path):
    report = run_compare(CompareConfig.from_dict(SMALL), tmp_path, methods=["popularity"], progress=False)
    assert list(report["methods"]) == ["popularity"] and report["comparisons"] == {}
    with pytest.raises(ConfigError, match="bpr"):
        run_compare(CompareConfig.from_dict(SMALL), tmp_path, methods=["bpr"], progress=False)


def test_config_round_trip_and_errors(tmp_path):
    cfg = CompareConfig.from_dict(SMALL)
    path = tmp_path / "c.toml"
    path.write_text(cfg.to_toml())
    assert CompareConfig.from_toml(path) == cfg
    with pytest.raises(ConfigError, match="unknown method type 'lightgcn'"):
        CompareConfig.from_dict({"methods": {"lightgcn": {}}})
    with pytest.raises(ConfigError, match=r"methods.als: factor: unknown key"):
        CompareConfig.from_dict({"methods": {"als": {"factor": 8}}})
    with pytest.raises(ConfigError, match=r"evaluation.comparisons"):
        CompareConfig.from_dict({"evaluation": {"comparisons": ["als_vs_nothing"]}})
    with pytest.raises(ConfigError, match="dataset.path is required"):
        CompareConfig.from_dict({"dataset": {"name": "file"}})
    bad = tmp_path / "bad.toml"
    bad.write_text("[dataset\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        CompareConfig.from_toml(bad)


def test_repo_configs_parse():
    """Every TOML in configs/ validates against the command it is for (and round-trips)."""
    from pathlib import Path

    from hybrid_rec.config import tomllib
    from hybrid_rec.feedback.simulate import SimulateConfig
    from hybrid_rec.pipeline import TrainConfig
    from hybrid_rec.serve.schemas import ServeConfig

    paths = sorted(Path(__file__).resolve().parents[2].joinpath("configs").glob("*.toml"))
    assert len(paths) >= 5
    for path in paths:
        tables = set(tomllib.loads(path.read_text()))
        model = SimulateConfig if "simulate" in tables else TrainConfig if "hybrid" in tables else CompareConfig
        model = ServeConfig if path.name == "serve.toml" else model  # the service's limits (hybrid-rec serve --config)
        cfg = model.from_toml(path)
        assert model.from_dict(tomllib.loads(cfg.to_toml())) == cfg, path


def test_two_variants_of_one_type_and_file_dataset(tmp_path, synthetic):
    path = tmp_path / "events.csv"
    df = synthetic.interactions.to_dataframe().rename(columns={"user_id": "u", "item_id": "i", "timestamp": "t"})
    df.to_csv(path, index=False)
    cfg = CompareConfig.from_dict(
        {
            "dataset": {"name": "file", "path": str(path), "columns": {"user": "u", "item": "i", "timestamp": "t"}},
            "split": {"kind": "temporal", "test_quantile": 0.9, "valid_quantile": 0.8},
            "evaluation": {"bootstrap": 10},
            "methods": {
                "als_small": {"type": "als", "factors": 2, "iterations": 2},
                "als_big": {"type": "als", "factors": 16, "iterations": 5},
            },
        }
    )
    report = run_compare(cfg, tmp_path / "out", progress=False)
    assert report["methods"]["als_small"]["type"] == "als"
    assert "als_big_vs_als_small" in report["comparisons"]
    assert report["protocol"]["split"] == "temporal"


# the tiny config with more candidates, longer windows and two epochs: the harness's LM methods
LM = {"candidates": {"n": 40}, "hard_negatives_from": 20, "n_candidates": 30,
      "reranker": {"lm": {"n_positions": 160}, "trainer": {"epochs": 2}}}  # fmt: skip
HYBRID = tiny(LM)
LM_METHOD = tiny_lm_stage(LM)  # the same LM stage: the harness trains it once for both methods


@pytest.mark.slow
def test_gpt2_and_hybrid_in_the_harness(tmp_path):
    cfg = {
        **SMALL,
        "evaluation": {"bootstrap": 50, "comparisons": ["hybrid_vs_als", "gpt2_vs_als"]},
        "methods": {
            "als": {"factors": 8, "iterations": 5},
            "gpt2": LM_METHOD,
            "hybrid": HYBRID,
        },
    }
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path / "all", progress=False)
    assert {"hybrid_vs_als", "gpt2_vs_als"} <= set(report["comparisons"])
    for name in ("als", "gpt2", "hybrid"):
        assert report["methods"][name]["test"]["ndcg@10"] == pytest.approx(recomputed_ndcg(tmp_path / "all", name))
    for name in ("gpt2", "hybrid"):
        learned = report["methods"][name]["learned"]
        assert learned["lm_epochs_run"] == 2 and learned["lm_train_seconds"] > 0
    assert set(report["methods"]["hybrid"]["learned"]["fusion_weights"]) >= {"lm", "als"}
    # on planted structure the hybrid is at least as good as its CF part, on validation and on test
    hybrid, als = report["methods"]["hybrid"], report["methods"]["als"]
    assert hybrid["valid"]["ndcg@10"] >= als["valid"]["ndcg@10"] and hybrid["test"]["ndcg@10"] >= als["test"]["ndcg@10"]
    # gpt2's test-time refit (longer histories) must not leak into hybrid's validation-time fit
    alone = run_compare(
        CompareConfig.from_dict({**cfg, "evaluation": {"bootstrap": 50}}),
        tmp_path / "alone",
        methods=["als", "hybrid"],
        progress=False,
    )
    assert alone["methods"]["hybrid"]["valid"] == report["methods"]["hybrid"]["valid"]
    assert alone["methods"]["hybrid"]["test"] == report["methods"]["hybrid"]["test"]


@pytest.mark.slow
def test_the_intention_task_scores_every_method(tmp_path):
    """Each test user asks for a genre of their held-out item: the hybrid reads the request (and on
    planted genres gains from it), a method that cannot read requests scores as without one."""
    cfg = {
        **SMALL,
        "evaluation": {"bootstrap": 50, "intention_task": True},
        "methods": {"als": {"factors": 8, "iterations": 5}, "hybrid": HYBRID},
    }
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path / "intent", progress=False)
    als, hybrid = report["methods"]["als"]["intention"], report["methods"]["hybrid"]["intention"]
    assert not als["reads_requests"] and als["with_request"] == als["without_request"] and als["delta"] == 0
    assert hybrid["reads_requests"] and hybrid["users"] == report["protocol"]["test_users"]
    assert hybrid["without_request"] == pytest.approx(report["methods"]["hybrid"]["test"]["ndcg@10"])
    assert hybrid["with_request"] > hybrid["without_request"] and hybrid["ci95"][0] > 0
    table = (tmp_path / "intent" / "report.md").read_text()
    assert f"| hybrid | yes | {hybrid['users']} | {hybrid['without_request']:.4f} | {hybrid['with_request']:.4f} |" in table
    assert f"| als | no | {als['users']} |" in table



def test_the_cold_item_split_in_the_harness(tmp_path):
    """Test items nobody interacted with: popularity (interactions only) can never reach them; the
    content baseline reaches them through their text."""
    cfg = {
        **SMALL,
        "split": {"kind": "cold_items", "cold_fraction": 0.2, "seed": 3},
        "evaluation": {"bootstrap": 50, "comparisons": ["content_vs_popularity"]},
        "methods": {"popularity": {}, "content": {"encoder": {"kind": "hashing"}}},
    }
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path / "cold", progress=False)
    assert report["protocol"]["split_info"]["kind"] == "cold_items" and report["protocol"]["test_users"] > 0
    assert report["methods"]["popularity"]["test"]["ndcg@10"] == 0.0
    assert report["methods"]["content"]["test"]["ndcg@10"] > 0.0


@pytest.mark.slow
def test_the_cold_start_protocol_ranks_only_cold_items(tmp_path):
    """ranked_items = 'cold': every test list holds only items without fit interactions, and the hybrid
    reaches them through the vectors and item tokens their text predicts."""
    hybrid = derive(HYBRID, {"candidates": {"cold_start": {"features": {"text_fields": [], "fields": ["genres"]}}}})
    cfg = {
        **SMALL,
        "split": {"kind": "cold_items", "cold_fraction": 0.2, "seed": 3},
        "evaluation": {"bootstrap": 50, "ranked_items": "cold", "comparisons": ["hybrid_vs_popularity"]},
        "methods": {"popularity": {}, "content": {"encoder": {"kind": "hashing"}}, "hybrid": hybrid},
    }
    out = tmp_path / "coldrank"
    report = run_compare(CompareConfig.from_dict(cfg), out, progress=False)
    assert report["protocol"]["ranked_items"] == "cold"
    ds = build_dataset(CompareConfig.from_dict(cfg).dataset)
    split = build_split(CompareConfig.from_dict(cfg).split, ds.interactions)
    warm = set(split.train_valid.items.to_external(np.flatnonzero(split.train_valid.item_counts() > 0)))
    for name in ("content", "hybrid"):
        recs = pd.read_parquet(out / "recs" / f"{name}.parquet")
        assert len(recs) and not set(recs["item_id"]) & warm
    assert report["methods"]["hybrid"]["test"]["ndcg@10"] > 0.0
    assert "only the items without fit interactions" in (out / "report.md").read_text()
    with pytest.raises(ValueError, match="cold_items"):
        CompareConfig.from_dict({**SMALL, "evaluation": {"ranked_items": "cold"}})


def test_max_users_scores_a_sample_of_users(tmp_path):
    """evaluation.max_users = 50: both stages score 50 users (the recs files hold 50 users), and the
    report says so; the fits are unchanged (ALS tuned on the same train rows)."""
    cfg = {**SMALL, "evaluation": {**SMALL["evaluation"], "max_users": 50}}
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path, progress=False)
    assert report["protocol"]["test_users"] == 50 and report["protocol"]["split_info"]["scored_users"] == 50
    recs = pd.read_parquet(tmp_path / "recs" / "als.parquet")
    assert recs["user_id"].nunique() == 50
    assert report["protocol"]["train"] == len(build_split(CompareConfig.from_dict(SMALL).split,
                                                          build_dataset(CompareConfig.from_dict(SMALL).dataset)
                                                          .interactions).train)  # fmt: skip
