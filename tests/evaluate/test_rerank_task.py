"""The rerank task: every method reorders the same outside lists; input, random and ceiling rows."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from hybrid_rec.evaluate.compare import CompareConfig, run_compare
from hybrid_rec.evaluate.rerank_task import OutsideLists, random_order, rerank_entry, rerank_with
from hybrid_rec.topk import TopK
from tests.evaluate.test_compare import SMALL
from tests.factory import tiny


class _Oracle:
    """Reranks by putting each user's held-out item first (what a perfect reranker does)."""

    def __init__(self, target: np.ndarray) -> None:
        self.target = target

    def rerank(self, users, items, k):
        out = np.full((len(users), k), -1)
        for r, row in enumerate(items):
            row = list(row[row >= 0])
            if self.target[r] in row:
                row.remove(self.target[r])
                row.insert(0, self.target[r])
            out[r, : min(k, len(row))] = row[:k]
        return TopK(out, -np.arange(k, dtype=float)[None].repeat(len(users), 0))


class _LowestIdFirst:
    """A full-ranking method (no rerank of its own) that prefers low item ids and never ranks item 0."""

    def recommend(self, users, k, exclude):
        n = exclude.shape[1]
        out = np.full((len(users), k), -1)
        for r in range(len(users)):
            ok = [i for i in range(1, n) if i not in set(exclude[r].indices)][:k]
            out[r, : len(ok)] = ok
        return TopK(out, np.zeros((len(users), k)))


def test_a_perfect_reranker_reaches_the_recall_ceiling_and_the_input_row_is_the_lists_own_order():
    items = np.array([[5, 6, 7, 8], [1, 2, 3, -1], [9, 4, 6, 2]])
    targets = sp.csr_matrix(([1, 1, 1], ([0, 1, 2], [8, 0, 9])), shape=(3, 10))  # user 1's item is not in the list
    lists = OutsideLists(np.arange(3), items, "test")
    oracle = _Oracle(np.array([8, 0, 9])).rerank(lists.users, items, 3).items
    report = rerank_entry(lists, targets, {"oracle": oracle}, 3, 200, 0)
    assert report["recall_ceiling"] == pytest.approx(2 / 3)
    assert report["methods"]["oracle"]["ndcg@3"] == pytest.approx(2 / 3), "1 for each user whose item is there"
    assert report["input"]["ndcg@3"] == pytest.approx((0 + 0 + 1) / 3), "user 2's item is first as given"
    assert report["methods"]["oracle"]["vs_input"]["delta"] == pytest.approx(1 / 3)


def test_a_method_without_its_own_rerank_ranks_only_the_candidates_filling_in_input_order():
    class Fake:
        n_items = 10

    items = np.array([[7, 0, 3, 9], [0, 8, -1, -1]])
    top = rerank_with(_LowestIdFirst(), Fake(), np.arange(2), items, 3)  # type: ignore[arg-type]
    assert top.items.tolist() == [[3, 7, 9], [8, 0, -1]], "its order among the candidates, item 0 filled last"


def test_random_order_permutes_within_each_list():
    items = np.array([[1, 2, 3, 4, 5], [6, 7, -1, -1, -1]])
    out = random_order(items, 4, seed=0)
    assert set(out[0]) <= {1, 2, 3, 4, 5} and len(set(out[0])) == 4
    assert sorted(out[1][out[1] >= 0]) == [6, 7]


@pytest.mark.parametrize("retriever", [{"kind": "popularity"}, {"kind": "item_item", "similarity": "bm25"}])
def test_compare_reports_the_rerank_task_for_every_method(tmp_path, retriever):
    cfg = {**SMALL, "methods": {"popularity": {}, "als": {"factors": 16, "iterations": 5}},
           "rerank": {"retriever": retriever, "n": 30}}  # fmt: skip
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path, progress=False)
    task = report["rerank"]
    assert task["retriever"] == retriever["kind"] and task["candidates"] == 30
    assert set(task["methods"]) == {"popularity", "als"}
    ceiling = task["recall_ceiling"]
    for row in [task["input"], task["random"], *task["methods"].values()]:
        assert 0 <= row["ndcg@10"] <= ceiling + 1e-9, "no order beats the list's recall"
    if retriever["kind"] == "popularity":  # popularity reranking popularity's own list changes nothing
        assert task["methods"]["popularity"]["ndcg@10"] == pytest.approx(task["input"]["ndcg@10"])
    assert "Rerank task" in (tmp_path / "report.md").read_text()
    assert "reranked" not in report["methods"]["als"], "the reranked lists stay out of report.json"


def test_rerank_methods_must_be_compared_methods():
    with pytest.raises(Exception, match="rerank.methods"):
        CompareConfig.from_dict({**SMALL, "rerank": {"methods": ["bpr"]}})


@pytest.mark.slow  # trains the tiny LM
def test_the_hybrid_fits_a_fusion_for_the_tasks_lists_and_reports_both_fusions(tmp_path):
    cfg = {**SMALL, "methods": {"popularity": {}, "als": {"factors": 16, "iterations": 5}, "hybrid": tiny()},
           "rerank": {"retriever": {"kind": "popularity"}, "n": 20}}  # fmt: skip
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path, progress=False)
    task = report["rerank"]["methods"]
    assert set(task) == {"popularity", "als", "hybrid", "hybrid, first-stage fusion"}
    assert report["methods"]["hybrid"]["params"]["outside"] == {"kind": "popularity"}
    off = run_compare(CompareConfig.from_dict({**cfg, "rerank": {**cfg["rerank"], "fit_fusion": False}}),
                      tmp_path / "off", progress=False)  # fmt: skip
    assert set(off["rerank"]["methods"]) == {"popularity", "als", "hybrid"} and off["methods"]["hybrid"]["params"]["outside"] is None
    assert off["rerank"]["methods"]["hybrid"]["ndcg@10"] == pytest.approx(task["hybrid, first-stage fusion"]["ndcg@10"])


@pytest.mark.slow  # trains the tiny LM
def test_reranking_the_first_stages_own_lists_scores_as_recommend(tmp_path):
    """The consistency check of the one scoring path: the outside system is the hybrid's own first
    stage (same config, same rows), so the hybrid reranking its lists is the hybrid recommending."""
    hybrid = tiny()
    cfg = {**SMALL, "methods": {"popularity": {}, "als": {"factors": 16, "iterations": 5}, "hybrid": hybrid},
           "rerank": {"retriever": {"kind": "first_stage", "candidates": hybrid["candidates"]},
                      "n": hybrid["n_candidates"], "methods": ["hybrid"]}}  # fmt: skip
    report = run_compare(CompareConfig.from_dict(cfg), tmp_path, progress=False)
    reranked = report["rerank"]["methods"]
    assert reranked["hybrid"]["ndcg@10"] == pytest.approx(report["methods"]["hybrid"]["test"]["ndcg@10"], abs=1e-9)
    assert reranked["hybrid, first-stage fusion"]["ndcg@10"] == pytest.approx(reranked["hybrid"]["ndcg@10"], abs=1e-9)
