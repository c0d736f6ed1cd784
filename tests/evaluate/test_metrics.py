from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from hybrid_rec._threads import blas_threads
from hybrid_rec.errors import ConfigError
from hybrid_rec.evaluate.metrics import (
    bootstrap_mean,
    candidate_recall,
    coverage,
    intra_list_diversity,
    paired_bootstrap,
    popularity_buckets,
    ranking_metrics,
    topk_from_scores,
)
from hybrid_rec.metrics import hit_matrix
from hybrid_rec.topk import TopK


def targets_csr(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    r = [i for i, items in enumerate(rows) for _ in items]
    c = [j for items in rows for j in items]
    return sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows), n_items))


def test_hand_computed_case():
    m = ranking_metrics(np.array([[3, 1, 2, 0]]), targets_csr([[1, 0]], 5), [1, 2, 4])
    assert m["ndcg@1"][0] == 0 and m["hr@1"][0] == 0 and m["mrr@1"][0] == 0
    assert m["ndcg@2"][0] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert m["hr@2"][0] == 1 and m["recall@2"][0] == 0.5 and m["mrr@2"][0] == 0.5
    assert m["ndcg@4"][0] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3)))
    assert m["recall@4"][0] == 1.0


def test_padding_never_hits_and_rows_without_targets_are_nan():
    m = ranking_metrics(np.array([[-1, -1], [0, -1]]), targets_csr([[4], []], 5), [2])
    assert m["hr@2"][0] == 0
    assert np.isnan(m["ndcg@2"][1])
    with pytest.raises(ConfigError):
        ranking_metrics(np.array([[0]]), targets_csr([[0]], 2), [5])


def test_padded_rows_never_hit_the_previous_rows_last_item():
    """-1 padding must not alias the previous row's target when that target is the last item.

    Row r's key for item i is r * n_items + i, so padding (-1) in row 1 would equal row 0's key
    for item n_items - 1 without the explicit guard.
    """
    n_items = 5
    topk = np.array([[4, 0, 1], [-1, -1, -1], [2, -1, -1]])
    targets = targets_csr([[4], [4], [4]], n_items)
    assert hit_matrix(topk, targets).tolist() == [[True, False, False], [False, False, False], [False, False, False]]
    m = ranking_metrics(topk, targets, [3])
    assert m["hr@3"].tolist() == [1.0, 0.0, 0.0] and m["ndcg@3"].tolist() == [1.0, 0.0, 0.0]
    assert m["mrr@3"].tolist() == [1.0, 0.0, 0.0] and m["recall@3"].tolist() == [1.0, 0.0, 0.0]


def naive(ranked: list[int], targets: set[int], k: int) -> dict[str, float]:
    """An independent, loop-based implementation of the documented definitions."""
    top = ranked[:k]
    dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(top) if i in targets)
    idcg = sum(1 / math.log2(r + 2) for r in range(min(len(targets), k)))
    first = next((r for r, i in enumerate(top) if i in targets), None)
    return {
        "ndcg": dcg / idcg,
        "hr": float(first is not None),
        "recall": sum(i in targets for i in top) / len(targets),
        "mrr": 0.0 if first is None else 1 / (first + 1),
    }


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_matches_naive_implementation(data):
    n_items = data.draw(st.integers(2, 30))
    k = data.draw(st.integers(1, n_items))
    n_users = data.draw(st.integers(1, 5))
    lists, targets = [], []
    for _ in range(n_users):
        lists.append(data.draw(st.permutations(list(range(n_items))))[:k])
        targets.append(sorted(data.draw(st.sets(st.integers(0, n_items - 1), min_size=1, max_size=n_items))))
    cutoffs = sorted({1, k, max(1, k // 2)})
    got = ranking_metrics(np.array(lists), targets_csr(targets, n_items), cutoffs)
    for u in range(n_users):
        for c in cutoffs:
            want = naive(lists[u], set(targets[u]), c)
            for name, value in want.items():
                assert got[f"{name}@{c}"][u] == pytest.approx(value)
            assert 0 <= got[f"ndcg@{c}"][u] <= 1 + 1e-12
        recalls = [got[f"recall@{c}"][u] for c in cutoffs]
        assert recalls == sorted(recalls)


def test_perfect_ranking_scores_one():
    m = ranking_metrics(np.array([[2, 0, 1]]), targets_csr([[0, 2]], 3), [3])
    assert m["ndcg@3"][0] == pytest.approx(1.0) and m["mrr@3"][0] == 1.0


def test_topk_excludes_nan_and_breaks_ties_by_index():
    scores = np.array([[1.0, 3.0, 3.0, np.nan, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    exclude = sp.csr_matrix(np.array([[0, 0, 1, 0, 0], [1, 0, 0, 0, 0]]))
    top = topk_from_scores(scores, 3, exclude)
    assert top.items.tolist() == [[1, 4, 0], [1, 2, 3]]
    assert top.scores[0].tolist() == [3.0, 2.0, 1.0]
    padded = topk_from_scores(scores[:1], 5, exclude[:1])
    assert padded.items.tolist() == [[1, 4, 0, -1, -1]] and np.isnan(padded.scores[0, 3:]).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 12), st.integers(0, 10_000))
def test_topk_batch_equals_single_rows(n_users, k, seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, size=(n_users, 12)).astype(float)  # many ties
    exclude = sp.random(n_users, 12, density=0.3, random_state=seed, format="csr")
    batch = topk_from_scores(scores, k, exclude)
    for r in range(n_users):
        single = topk_from_scores(scores[r : r + 1], k, exclude[r])
        assert np.array_equal(single.items[0], batch.items[r])
        # best first, ties by lower item index, against a full stable sort
        allowed = [i for i in range(12) if exclude[r, i] == 0]
        want = sorted(allowed, key=lambda i: (-scores[r, i], i))[:k]
        assert batch.items[r][: len(want)].tolist() == want


def test_agrees_with_implicit_evaluation():
    """Our NDCG on ALS recommendations equals implicit.evaluation.ndcg_at_k on the same model."""
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.evaluation import ndcg_at_k, train_test_split

    rng = np.random.default_rng(0)
    dense = (rng.random((60, 40)) < 0.25).astype(np.float32)
    matrix = sp.csr_matrix(dense)
    train, test = train_test_split(matrix, train_percentage=0.7, random_state=1)
    train, test = train.tocsr(), test.tocsr()
    with blas_threads(1):
        model = AlternatingLeastSquares(factors=8, iterations=5, random_state=0, num_threads=1)
        model.fit(train, show_progress=False)
    users = np.flatnonzero(np.diff(test.indptr))
    top = topk_from_scores(model.user_factors[users] @ model.item_factors.T, 10, train[users])
    ours = np.nanmean(ranking_metrics(top.items, test[users], [10])["ndcg@10"])
    theirs = ndcg_at_k(model, train, test, K=10, show_progress=False)
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_coverage_and_candidate_recall():
    top = np.array([[0, 1, -1], [1, 2, 3]])
    assert coverage(top, 10) == 0.4
    assert coverage(top, 10, k=1) == 0.2
    rec = candidate_recall(top, targets_csr([[1, 5], [3]], 10), [1, 3])
    assert rec == {"recall@1": 0.0, "recall@3": pytest.approx((0.5 + 1.0) / 2)}


def test_bootstrap():
    rng = np.random.default_rng(1)
    a = rng.random(500)
    same = paired_bootstrap(a, a)
    assert same.estimate == same.low == same.high == 0.0
    shifted = paired_bootstrap(a + 0.1, a)
    assert shifted.low == pytest.approx(0.1) and shifted.high == pytest.approx(0.1)
    noisy = paired_bootstrap(a, rng.random(500), seed=3)
    assert noisy.low < noisy.estimate < noisy.high
    assert paired_bootstrap(a, rng.random(500) * 0 + 0.5, seed=3) == paired_bootstrap(a, np.full(500, 0.5), seed=3)
    b = bootstrap_mean(a, 2000, seed=0)
    assert b.low < a.mean() < b.high
    with pytest.raises(ValueError, match="same users"):
        paired_bootstrap(a, a[:10])


def reference_bootstrap(d: np.ndarray, n_boot: int, seed: int, level: float) -> tuple[float, float, float]:
    """The documented percentile bootstrap, written out: n_boot resamples of all values at once."""
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(n_boot, d.size))].mean(axis=1)
    lo, hi = np.percentile(means, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    return float(d.mean()), float(lo), float(hi)


@pytest.mark.parametrize(("n_boot", "seed", "level"), [(1000, 0, 0.95), (7, 3, 0.5), (1, 0, 0.95), (400, 11, 0.8)])
def test_bootstrap_equals_the_reference(n_boot, seed, level):
    rng = np.random.default_rng(5)
    a, b = rng.random(40), rng.random(40)
    got = bootstrap_mean(a, n_boot, seed=seed, level=level)
    assert (got.estimate, got.low, got.high) == pytest.approx(reference_bootstrap(a, n_boot, seed, level), abs=1e-12)
    paired = paired_bootstrap(a, b, n_boot, seed=seed, level=level)
    assert (paired.estimate, paired.low, paired.high) == pytest.approx(
        reference_bootstrap(a - b, n_boot, seed, level), abs=1e-12
    )


def test_bootstrap_defaults_are_1000_resamples_seed_0_and_95_percent():
    a, b = np.linspace(0, 1, 30) ** 2, np.linspace(1, 0, 30)
    assert (r := bootstrap_mean(a)) == bootstrap_mean(a, 1000, seed=0, level=0.95)
    assert (r.estimate, r.low, r.high) == pytest.approx(reference_bootstrap(a, 1000, 0, 0.95), abs=1e-12)
    assert (p := paired_bootstrap(a, b)) == paired_bootstrap(a, b, 1000, seed=0, level=0.95)
    assert (p.estimate, p.low, p.high) == pytest.approx(reference_bootstrap(a - b, 1000, 0, 0.95), abs=1e-12)


def test_bootstrap_edges():
    one = bootstrap_mean(np.array([0.7]))  # one value: every resample is that value
    assert (one.estimate, one.low, one.high) == (0.7, 0.7, 0.7)
    single = bootstrap_mean(np.array([0.0, 1.0]), n_boot=1, seed=2)  # one resample: low == high == its mean
    assert single.low == single.high and single.low in (0.0, 0.5, 1.0)
    with pytest.raises(ValueError, match="^bootstrap of no values$"):
        bootstrap_mean(np.array([]))
    with pytest.raises(ConfigError, match="n_boot must be >= 1, got 0"):
        bootstrap_mean(np.array([1.0, 2.0]), n_boot=0)


def test_bootstrap_computes_in_float64():
    """float32 per-user values (e.g. from a float32 score matrix) are bootstrapped in float64."""
    x = np.random.default_rng(8).random(300).astype(np.float32)
    assert bootstrap_mean(x) == bootstrap_mean(x.astype(np.float64))


def test_topk_concat_and_shape_checks():
    a = TopK(np.array([[1, 2]]), np.array([[0.5, 0.25]]))
    b = TopK(np.array([[3, -1], [4, 5]]), np.array([[0.1, np.nan], [2.0, 1.0]]))
    both = TopK.concat([a, b])
    assert both.items.tolist() == [[1, 2], [3, -1], [4, 5]]
    np.testing.assert_array_equal(both.scores, [[0.5, 0.25], [0.1, np.nan], [2.0, 1.0]])
    with pytest.raises(ValueError, match="must be equal 2-d shapes"):
        TopK(np.array([[1, 2]]), np.array([[0.5]]))
    with pytest.raises(ValueError, match="must be equal 2-d shapes"):
        TopK(np.array([1, 2]), np.array([0.5, 0.1]))


def test_a_large_sample_is_resampled_in_chunks():
    """Over 2M resampled values the means are drawn in chunks; every resample is still filled
    with a mean of the data (none left at zero or garbage) and the CI is the normal one."""
    rng = np.random.default_rng(4)
    d = rng.normal(1.0, 2.0, size=40_000)  # chunks of 50 resamples
    r = bootstrap_mean(d, n_boot=300, seed=1)
    half = 1.96 * d.std() / np.sqrt(d.size)
    assert r.estimate == pytest.approx(d.mean(), abs=1e-12)
    assert r.low == pytest.approx(d.mean() - half, abs=0.35 * half)
    assert r.high == pytest.approx(d.mean() + half, abs=0.35 * half)


def test_coverage_counts_distinct_listed_items_and_ignores_padding():
    top = np.array([[3, 3, -1], [-1, -1, -1]])
    assert coverage(top, 4) == 0.25
    assert coverage(np.array([[2, 0], [1, 2]]), 5, k=1) == 0.4  # items 2 and 1 in the first column
    assert coverage(np.empty((0, 3), np.int64), 0) == 0.0  # an empty catalog covers nothing


def test_candidate_recall_skips_rows_without_targets():
    cands = np.array([[0, 1, 2], [1, 2, 3], [3, 4, 0]])
    rec = candidate_recall(cands, targets_csr([[1, 5], [3], []], 6), [1, 2, 3])
    assert rec == {"recall@1": 0.0, "recall@2": 0.25, "recall@3": 0.75}


def test_popularity_buckets_split_interactions_in_thirds():
    # sorted by count: 5 (share 5/12), 3 (8/12 = 2/3 exactly), 2, 1, 1, then the unseen item
    assert popularity_buckets(np.array([5, 0, 3, 2, 1, 1])).tolist() == [0, 2, 1, 2, 2, 2]
    # shares 1/6 .. 6/6: a boundary share (2/6, 4/6) stays in the more popular bucket
    assert popularity_buckets(np.ones(6, np.int64)).tolist() == [0, 0, 1, 1, 2, 2]
    # the most popular item is head even when it alone holds more than a third
    assert popularity_buckets(np.array([1, 9])).tolist() == [2, 0]
    assert popularity_buckets(np.zeros(3, np.int64)).tolist() == [2, 2, 2]  # never seen: tail
    # ties keep catalog order (a stable sort), also past the sizes where numpy's default sort is stable
    ties = popularity_buckets(np.full(100, 7))
    assert ties.tolist() == [0] * 33 + [1] * 33 + [2] * 34
    assert ties.dtype == np.int64  # bucket codes, usable as indices


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=400))
def test_popularity_buckets_match_a_naive_stable_ranking(counts):
    """Loop version: walk items by count (ties: catalog order), bucket by the running share."""
    total = max(sum(counts), 1)
    want, running = [2] * len(counts), 0
    for rank_, i in enumerate(sorted(range(len(counts)), key=lambda i: -counts[i])):
        running += counts[i]
        share = running / total
        want[i] = 2 if counts[i] == 0 else 0 if rank_ == 0 or share <= 1 / 3 else 1 if share <= 2 / 3 else 2
    assert popularity_buckets(np.array(counts)).tolist() == want


def test_intra_list_diversity_is_the_mean_pairwise_cosine_distance():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [0.0, 0.0]])
    top = np.array([[0, 1, -1], [0, 3, -1], [0, 1, 2], [0, -1, -1], [0, 4, -1], [1, 1, -1]])
    got = intra_list_diversity(top, vectors)
    c = 1 / math.sqrt(2)  # cos(item 0 or 1, item 2)
    want = [1.0, 0.0, 1 - (0 + c + c) / 3, np.nan, 1.0, 0.0]  # a zero vector is orthogonal to everything
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_topk_argument_checks_and_inputs_left_alone():
    scores = np.array([[1.0, np.nan, 3.0, 2.0]])
    with pytest.raises(ConfigError, match="^k must be positive, got 0$"):
        topk_from_scores(scores, 0)
    with pytest.raises(ValueError, match=r"^exclude has shape \(2, 4\), scores \(1, 4\)$"):
        topk_from_scores(scores, 2, sp.csr_matrix((2, 4)))
    exclude = sp.csr_matrix(np.array([[0, 0, 1, 0]]))
    before = scores.copy()
    assert topk_from_scores(scores, 2, exclude).items.tolist() == [[3, 0]]
    np.testing.assert_array_equal(scores, before)  # NaN and excluded entries are marked on a copy


def test_topk_of_integer_scores_and_explicit_zeros():
    ints = np.array([[3, 1, 2, 5]])
    # an explicitly stored 0 in `exclude` does not exclude (item 3 stays), a 1 does (item 0)
    exclude = sp.csr_matrix((np.array([0.0, 1.0]), (np.array([0, 0]), np.array([3, 0]))), shape=(1, 4))
    assert exclude.nnz == 2
    top = topk_from_scores(ints, 2, exclude)
    assert top.items.tolist() == [[3, 2]] and top.scores.tolist() == [[5.0, 2.0]]


def test_topk_pads_when_nan_reaches_the_top_k():
    """Fewer scorable items than k (but more items than k): the scorable ones, then padding."""
    top = topk_from_scores(np.array([[1.0, np.nan, np.nan, np.nan, 2.0]]), 3)
    assert top.items.tolist() == [[4, 0, -1]]
    np.testing.assert_array_equal(top.scores, [[2.0, 1.0, np.nan]])


def test_metric_argument_messages():
    with pytest.raises(ConfigError, match="^cutoffs must not be empty$"):
        ranking_metrics(np.array([[0]]), targets_csr([[0]], 2), [])
    with pytest.raises(ConfigError, match="^cutoff 5 exceeds the top-K length 1$"):
        ranking_metrics(np.array([[0]]), targets_csr([[0]], 2), [5, 1])
    with pytest.raises(ValueError, match="^targets has 3 rows, top-K lists 2$"):
        hit_matrix(np.array([[0], [1]]), targets_csr([[0], [1], [1]], 7))
