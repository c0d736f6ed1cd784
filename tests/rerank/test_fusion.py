from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from hybrid_rec.errors import ConfigError, NotFittedError
from hybrid_rec.rerank.fusion import FeatureScale, FusionConfig, LinearFusion, mmr, rank


def test_feature_scale_puts_missing_values_below_every_fitted_one():
    values = np.array([[1.0, 2.0, np.nan, 3.0], [np.nan, np.nan, np.nan, np.nan]])
    scale = FeatureScale.fit(values)
    z = scale.apply(values)
    assert z[0, 2] < z[0, [0, 1, 3]].min() and (z[1] == scale.floor).all()
    assert np.isfinite(z).all()


def test_fit_finds_the_informative_feature():
    rng = np.random.default_rng(0)
    n, c = 300, 20
    items = np.tile(np.arange(c), (n, 1))
    target = rng.integers(0, c, n)
    good = rng.standard_normal((n, c))
    good[np.arange(n), target] += 2.5
    features = {"lm": rng.standard_normal((n, c)), "als": good}
    targets = sp.csr_matrix((np.ones(n), (np.arange(n), target)), shape=(n, c))
    fusion = LinearFusion(FusionConfig(features=["lm", "als"])).fit(features, items, targets)
    assert fusion.weights["als"] > 0 and fusion.weights["als"] >= 4 * fusion.weights["lm"]
    fused = fusion.transform(features, items)
    assert (rank(items, fused, 1).items[:, 0] == target).mean() > 0.5
    with pytest.raises(NotFittedError):
        LinearFusion().transform(features, items)


def test_rank_and_mmr():
    items = np.array([[5, 6, 7, -1]])
    scores = np.array([[0.1, 0.9, 0.5, np.nan]])
    assert rank(items, scores, 4).items.tolist() == [[6, 7, 5, -1]]
    vectors = np.zeros((8, 2))
    vectors[5], vectors[6], vectors[7] = [0.0, 1.0], [1.0, 0.0], [1.0, 0.01]  # 6 and 7 alike, 5 orthogonal
    assert mmr(items, scores, vectors, 3, lam=1.0).items.tolist() == [[6, 7, 5]]
    # 6 and 7 point the same way; with a diversity preference, 5 (orthogonal) moves up
    assert mmr(items, scores, vectors, 3, lam=0.3).items.tolist()[0][:2] == [6, 5]


def test_feature_scale_exact_values():
    """Centre = the mean of every value; spread = the root mean square of each row around its own mean
    (a per-row offset does not widen it); floor = one below the lowest fitted value."""
    values = np.array([[1.0, 2.0, np.nan, 3.0], [0.0, 10.0, np.nan, np.nan]])
    scale = FeatureScale.fit(values)
    spread = np.sqrt((1 + 0 + 1 + 25 + 25) / 5)
    assert scale.center == pytest.approx(3.2) and scale.spread == pytest.approx(spread)
    assert scale.floor == pytest.approx((0.0 - 3.2) / spread - 1.0)
    np.testing.assert_allclose(scale.apply(values)[0], [(1 - 3.2) / spread, (2 - 3.2) / spread, scale.floor,
                                                         (3 - 3.2) / spread])  # fmt: skip
    shifted = FeatureScale.fit(values + np.array([[0.0], [100.0]]))  # a per-row offset
    assert shifted.spread == pytest.approx(spread)
    assert FeatureScale.fit(np.array([[4.0, 4.0, np.nan]])).spread == 1.0  # no spread: unit scale
    assert FeatureScale.fit(np.array([[np.nan, np.nan]])) == FeatureScale(0.0, 1.0, -1.0)
    raw = np.array([[3.0, np.nan]])
    scale.apply(raw)
    assert np.isnan(raw[0, 1])  # the input is not modified


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(2, 9), st.integers(0, 10_000))
def test_a_fused_score_does_not_depend_on_the_other_candidates(rows, width, seed):
    """Pointwise: fusing any subset of a list's columns gives those columns' fused scores."""
    rng = np.random.default_rng(seed)
    items = rng.integers(-1, 20, size=(rows, width))
    features = {"lm": rng.standard_normal((rows, width)), "als": rng.standard_normal((rows, width))}
    features["als"][rng.random((rows, width)) < 0.3] = np.nan
    fusion = LinearFusion(weights={"lm": 1.0, "als": 0.5}, scales={"lm": FeatureScale.fit(features["lm"]),
                                                                  "als": FeatureScale.fit(features["als"])})  # fmt: skip
    whole = fusion.transform(features, items)
    keep = np.flatnonzero(rng.random(width) < 0.5)
    part = fusion.transform({k: v[:, keep] for k, v in features.items()}, items[:, keep])
    np.testing.assert_array_equal(part, whole[:, keep])


def test_transform_is_the_weighted_sum_of_z_scores():
    items = np.array([[4, 0, 2, -1]])
    lm = np.array([[1.0, 2.0, 3.0, np.nan]])
    pop = np.array([[3.0, 1.0, 2.0, np.nan]])
    scales = {"lm": FeatureScale(1.0, 2.0, -3.0), "popularity": FeatureScale(0.0, 1.0, -1.0)}
    fusion = LinearFusion(weights={"lm": 2.0, "als": 0.0, "popularity": 0.5}, scales=scales)  # als unweighted
    got = fusion.transform({"lm": lm, "popularity": pop}, items)
    want = 2.0 * (lm - 1.0) / 2.0 + 0.5 * pop
    np.testing.assert_allclose(got[0, :3], want[0, :3], atol=1e-12)
    assert np.isnan(got[0, 3])  # padding
    with pytest.raises(ConfigError, match=r"features \['popularity'\] are weighted but were not provided"):
        fusion.transform({"lm": lm}, items)


def naive_ndcg(items: np.ndarray, fused: np.ndarray, target: np.ndarray, k: int) -> float:
    """One target per row: NDCG@k of the candidates ordered by `fused` (padding never ranked)."""
    out = []
    for row, f, t in zip(items, fused, target, strict=True):
        order = sorted((j for j in range(len(row)) if row[j] >= 0), key=lambda j: (-f[j], j))[:k]
        out.append(next((1 / np.log2(r + 2) for r, j in enumerate(order) if row[j] == t), 0.0))
    return float(np.mean(out))


def test_fit_reports_the_validation_ndcg_of_the_weights_it_chose():
    rng = np.random.default_rng(3)
    n, c, k = 80, 8, 5
    items = np.tile(np.arange(c), (n, 1))
    items[::4, -1] = -1  # some rows padded
    target = rng.integers(0, c - 1, n)  # item 0 is a target too
    lm = rng.standard_normal((n, c)) + 0.8 * (items == target[:, None])
    als = rng.standard_normal((n, c)) + 1.5 * (items == target[:, None])
    features = {"als": als, "lm": lm}  # config order (lm first) decides the starting weights, not dict order
    targets = sp.csr_matrix((np.ones(n), (np.arange(n), target)), shape=(n, c))
    cfg = FusionConfig(features=["lm", "als"], metric_k=k)
    fusion = LinearFusion(cfg).fit(features, items, targets)
    fused = fusion.transform(features, items)
    assert fusion.valid_ndcg == pytest.approx(naive_ndcg(items, fused, target, k), abs=1e-12)
    start = naive_ndcg(items, np.where(items >= 0, fusion.scales["lm"].apply(lm), -np.inf), target, k)
    assert fusion.valid_ndcg > start and fusion.weights["als"] > 0


def test_fit_keeps_the_start_when_nothing_is_strictly_better():
    """Every candidate list holds its target first, but both features rank it last: no weighting of
    them improves on the start (lm alone), and the all-zero weighting (which would keep the list
    order) is never tried."""
    n, c = 10, 4
    items = np.tile(np.arange(c), (n, 1))
    anti = np.tile(np.arange(c, dtype=float), (n, 1))  # the target (column 0) scores lowest
    targets = sp.csr_matrix((np.ones(n), (np.arange(n), np.zeros(n, int))), shape=(n, c))
    fusion = LinearFusion(FusionConfig(features=["lm", "als"], metric_k=3)).fit(
        {"lm": anti, "als": 2 * anti}, items, targets
    )
    assert fusion.weights == {"lm": 1.0, "als": 0.0} and fusion.valid_ndcg == 0.0
    # a perfect first feature: ties with it (other weights, adding als) do not replace the start
    perfect = LinearFusion(FusionConfig(features=["lm", "als"], metric_k=3)).fit(
        {"lm": -anti, "als": -anti}, items, targets
    )
    assert perfect.weights == {"lm": 1.0, "als": 0.0} and perfect.valid_ndcg == 1.0
    with pytest.raises(ConfigError, match="none of"):
        LinearFusion(FusionConfig(features=["lm"])).fit({"als": anti}, items, targets)


def test_save_and_load_round_trip(tmp_path):
    fusion = LinearFusion(FusionConfig(features=["lm", "als"], metric_k=5, mmr_lambda=0.3), {"lm": 1.0, "als": 0.25})
    fusion.scales = {"lm": FeatureScale(-3.0, 0.5, -9.0)}
    fusion.save(tmp_path / "fusion.json")
    back = LinearFusion.load(tmp_path / "fusion.json")
    assert back.config == fusion.config and back.weights == {"lm": 1.0, "als": 0.25}
    assert back.scales == fusion.scales


def test_rank_orders_by_score_with_nan_last_and_pads():
    items = np.array([[5, 6, 7, -1], [1, 2, 3, 4]])
    scores = np.array([[0.1, 0.9, 0.5, np.nan], [2.0, 2.0, np.nan, 1.0]])
    top = rank(items, scores, 3)
    assert top.items.tolist() == [[6, 7, 5], [1, 2, 4]]  # ties keep their order
    np.testing.assert_array_equal(top.scores, [[0.9, 0.5, 0.1], [2.0, 2.0, 1.0]])
    wide = rank(items, scores, 5)  # more slots than candidates: -1 / NaN padding; NaN scores never listed
    assert wide.items.tolist() == [[6, 7, 5, -1, -1], [1, 2, 4, -1, -1]]
    np.testing.assert_array_equal(wide.scores, [[0.9, 0.5, 0.1, np.nan, np.nan], [2.0, 2.0, 1.0, np.nan, np.nan]])


def test_mmr_hand_computed():
    """Fused scores (3, 2, 1) are used as they are; items 0 and 1 point the same way, 2 is orthogonal.
    lam = 0.3: after item 0, item 1 scores 0.3 * 2 - 0.7 * 1 = -0.1 and item 2 0.3 * 1 - 0 = 0.3."""
    items = np.array([[0, 1, 2, 3, -1], [0, 1, -1, -1, -1]])
    scores = np.array([[3.0, 2.0, 1.0, np.nan, np.nan], [np.nan, np.nan, np.nan, np.nan, np.nan]])
    vectors = np.array([[0.1, 0.0], [0.2, 0.0], [0.0, 0.1], [0.1, 0.1]])  # short: only cosines count
    top = mmr(items, scores, vectors, 4, lam=0.3)
    assert top.items.tolist() == [[0, 2, 1, -1], [-1, -1, -1, -1]]
    np.testing.assert_array_equal(top.scores, [[3.0, 1.0, 2.0, np.nan], [np.nan] * 4])
    assert mmr(items, scores, vectors, 2, lam=0.6).items.tolist() == [[0, 1], [-1, -1]]  # 0.6*2-0.4 > 0.6*1
    assert mmr(items, scores, vectors, 3, lam=0.0).items.tolist()[0] == [0, 2, 1]  # 0 first: all tie at 0


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 4), st.integers(1, 7), st.integers(0, 10_000))
def test_mmr_with_lambda_one_is_rank(n, k, seed):
    rng = np.random.default_rng(seed)
    items = np.stack([rng.permutation(9)[:6] for _ in range(n)])
    scores = rng.integers(0, 4, size=(n, 6)).astype(float)  # ties
    scores[rng.random((n, 6)) < 0.2] = np.nan
    vectors = rng.standard_normal((9, 3))
    a, b = mmr(items, scores, vectors, k, lam=1.0), rank(items, scores, k)
    assert a.items.tolist() == b.items.tolist()
    np.testing.assert_array_equal(a.scores, b.scores)


def test_feature_scale_computes_in_float64_without_warnings():
    """LM scores arrive as float32; rows of one value or all missing raise no warning."""
    x = np.random.default_rng(2).standard_normal((3, 7)).astype(np.float32)
    assert FeatureScale.fit(x) == FeatureScale.fit(x.astype(np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scale = FeatureScale.fit(np.array([[np.nan, np.nan, np.nan], [2.0, 2.0, np.nan], [1.0, np.nan, 3.0]]))
    assert scale.spread == pytest.approx(np.sqrt(2 / 4))


def test_weights_saved_without_scales_say_to_retrain(tmp_path):
    """A fusion.json of an older version (scores z-scored per list) is refused with the fix, not misread."""
    (tmp_path / "fusion.json").write_text(json.dumps({"config": {}, "weights": {"lm": 1.0}}))
    with pytest.raises(ConfigError, match="retrain"):
        LinearFusion.load(tmp_path / "fusion.json")


def test_transform_before_fit_says_what_to_do():
    with pytest.raises(NotFittedError, match=r"^LinearFusion has no weights; call fit\(\) on validation data first$"):
        LinearFusion().transform({"lm": np.zeros((1, 2))}, np.zeros((1, 2), np.int64))


def test_fit_breaks_ties_by_candidate_order():
    """Validation NDCG ranks tied fused scores in candidate order (a stable sort), as `rank` does."""
    rng = np.random.default_rng(6)
    n, c, k = 60, 40, 10
    items = np.tile(np.arange(c), (n, 1))
    lm = rng.integers(0, 3, (n, c)).astype(float)  # many ties
    target = rng.integers(0, c, n)
    targets = sp.csr_matrix((np.ones(n), (np.arange(n), target)), shape=(n, c))
    fusion = LinearFusion(FusionConfig(features=["lm"], weight_grid=[1.0], metric_k=k)).fit({"lm": lm}, items, targets)
    assert fusion.weights == {"lm": 1.0}
    assert fusion.valid_ndcg == pytest.approx(naive_ndcg(items, lm, target, k), abs=1e-12)


def test_fit_tries_the_rest_of_the_grid_after_an_all_zero_weighting():
    """A feature ranking targets last gets a negative weight from a grid that starts at 0."""
    n, c = 6, 4
    items = np.tile(np.arange(c), (n, 1))
    anti = np.tile(np.arange(c, dtype=float), (n, 1))  # target (column 0) lowest
    targets = sp.csr_matrix((np.ones(n), (np.arange(n), np.zeros(n, int))), shape=(n, c))
    fusion = LinearFusion(FusionConfig(features=["lm"], weight_grid=[0.0, -1.0], metric_k=1)).fit(
        {"lm": anti}, items, targets
    )
    assert fusion.weights == {"lm": -1.0} and fusion.valid_ndcg == 1.0


def test_feature_grids_replace_the_weight_grid_for_their_feature():
    """z(lm) = (0, 1.22, -1.22) puts candidate 1 first; z(request) = (1.41, -0.71, -0.71) marks the
    target, candidate 0: it wins from a request weight of 0.58 on, which only the request's own grid has."""
    n = 5
    items = np.tile(np.arange(3), (n, 1))
    lm = np.tile([0.0, 1.0, -1.0], (n, 1))
    request = np.tile([1.0, 0.0, 0.0], (n, 1))
    targets = sp.csr_matrix((np.ones(n), (np.arange(n), np.zeros(n, int))), shape=(n, 3))
    cfg = FusionConfig(
        features=["lm", "request"], weight_grid=[0.0, 0.5], feature_grids={"request": [0.0, 1.0]}, rounds=1, metric_k=1
    )
    fusion = LinearFusion(cfg).fit({"lm": lm, "request": request}, items, targets)
    assert fusion.weights == {"lm": 1.0, "request": 1.0} and fusion.valid_ndcg == 1.0
    plain = LinearFusion(cfg.model_copy(update={"feature_grids": {}})).fit(
        {"lm": lm, "request": request}, items, targets
    )
    assert plain.weights == {"lm": 1.0, "request": 0.0} and plain.valid_ndcg == 0.0


def test_load_names_the_file_of_a_bad_config(tmp_path):
    path = tmp_path / "fusion.json"
    path.write_text(json.dumps({"config": {"rounds": 0}, "weights": {"lm": 1.0}}))
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: "):
        LinearFusion.load(path)


def test_fit_added_learns_the_sign_of_a_reaction_and_keeps_the_offset_otherwise():
    """The session term: a feature that marks the target gets a positive weight, one that marks a
    decoy (the offset's best, never the target) a negative one, noise weight 0; added to the offset."""
    rng = np.random.default_rng(1)
    n, c = 300, 20
    items = np.tile(np.arange(c), (n, 1))
    target = rng.integers(1, c, n)
    offset = rng.standard_normal((n, c))
    offset[:, 0] += 3.0  # the offset's favourite, never the target
    toward = rng.standard_normal((n, c))
    toward[np.arange(n), target] += 2.5
    away = rng.standard_normal((n, c))
    away[:, 0] += 3.0
    features = {"liked_cf": toward, "disliked_cf": away, "passed_cf": rng.standard_normal((n, c))}
    targets = sp.csr_matrix((np.ones(n), (np.arange(n), target)), shape=(n, c))
    term = LinearFusion().fit_added(features, items, targets, offset, ["liked_cf", "disliked_cf", "passed_cf"])
    assert term.weights["liked_cf"] > 0 and term.weights["disliked_cf"] < 0
    assert term.weights["passed_cf"] == 0.0
    added = term.added(features, items)
    assert np.allclose(added, term.weights["liked_cf"] * term._z("liked_cf", toward)
                       + term.weights["disliked_cf"] * term._z("disliked_cf", away))
    good = rng.standard_normal((n, c))
    good[np.arange(n), target] += 3.0  # an offset that already finds the target: noise only hurts it
    nothing = LinearFusion().fit_added({"passed_cf": rng.standard_normal((n, c))}, items, targets, good, ["passed_cf"])
    assert nothing.weights == {"passed_cf": 0.0}  # the offset's order stays
