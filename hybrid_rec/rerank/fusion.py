"""Score fusion: final score = a linear blend of CF, LM and request scores on fitted scales.

Each feature is put on one scale fitted once on validation candidates (`FeatureScale`: centre,
the spread of a user's scores around their own mean, and a floor for a value the feature lacks),
so that an item's fused score depends on the user, the request and the item alone, never on which
other items are in the list: reranking any subset of a list keeps its order and scores. Weights
are fitted by coordinate ascent over a small grid, maximising NDCG@10 of the reordered
candidates. Optional MMR reordering trades relevance for diversity.
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError, NotFittedError
from hybrid_rec.metrics import ranking_metrics
from hybrid_rec.topk import TopK


class FusionConfig(StrictModel):
    features: list[str] = Field(
        default_factory=lambda: ["lm", "als", "item_knn", "transitions", "popularity", "request"],
        description="Scores blended (each on a scale fitted on validation, the same for every list); the first present one starts with weight 1.",
    )
    weight_grid: list[float] = Field(
        default_factory=lambda: [0.0, 0.1, 0.25, 0.5, 1.0, 2.0],
        description="Weights tried for each feature by coordinate ascent on validation.",
    )
    feature_grids: dict[str, list[float]] = Field(
        default_factory=lambda: {"request": [0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]},
        description="Weights tried for particular features instead of weight_grid: the request match may need to "
        "outweigh every other signal (the user said what they want), which validation intentions decide.",
    )
    session_grid: list[float] = Field(
        default_factory=lambda: [-4.0, -2.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 2.0, 4.0],
        description="Weights tried for the session features (similarity to liked, passed-over and disliked "
        "items), a term added to the fused score, on simulated validation rounds: negative = away from those items.",
    )
    rounds: int = Field(2, gt=0, description="Passes of coordinate ascent over the features.")
    metric_k: int = Field(10, gt=0, description="Cut-off of the validation NDCG the weights maximise.")
    mmr_lambda: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Maximal-marginal-relevance reordering for diversity: 1 = pure relevance, lower = more "
        "diverse; unset: no reordering.",
    )
    new_item_slots: int = Field(
        0,
        ge=0,
        description="Exposure for new items: up to this many of the last of a list's first `new_item_within` "
        "places go to the best-fused candidates without interactions in the fit (new or cold items; the user's "
        "best new items join the candidates), when none is there on its score; the items they displace move "
        "down one place, so the list is not sorted by score there. Report what this does as exposure, apart "
        "from accuracy. 0 = off.",
    )
    new_item_within: int = Field(
        10, gt=0, description="The first places of a list where `new_item_slots` puts new items (its last ones)."
    )


@dataclass(frozen=True)
class FeatureScale:
    """One feature's fitted scale: ``z = (value - center) / spread``, and ``floor`` (below every
    fitted value) for a candidate the feature cannot score (NaN)."""

    center: float
    spread: float
    floor: float

    @classmethod
    def fit(cls, values: np.ndarray) -> FeatureScale:
        """From [rows, N] values (NaN: not scored): the spread is that of each row around its own mean
        (a per-user offset, as in log-likelihoods, does not change a ranking and must not widen it)."""
        v = np.asarray(values, dtype=np.float64)
        ok = ~np.isnan(v)
        if not ok.any():
            return cls(0.0, 1.0, -1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            row_mean = np.nanmean(v, axis=1, keepdims=True)
        spread = float(np.sqrt(np.mean((v - row_mean)[ok] ** 2)))
        spread = spread if spread > 0 else 1.0
        center = float(v[ok].mean())
        return cls(center, spread, float((v[ok].min() - center) / spread) - 1.0)

    def apply(self, values: np.ndarray) -> np.ndarray:
        z = (np.asarray(values, dtype=np.float64) - self.center) / self.spread
        return np.where(np.isnan(z), self.floor, z)


class LinearFusion:
    """``fused = sum_f w_f * z_f`` on fitted scales; `fit` picks the scales and weights on validation."""

    def __init__(
        self,
        config: FusionConfig | None = None,
        weights: dict[str, float] | None = None,
        scales: dict[str, FeatureScale] | None = None,
    ) -> None:
        self.config = config or FusionConfig()
        self.weights = weights
        self.scales = scales or {}
        self.fitted_on = "first_stage"  # whose candidate lists the weights were fitted on (or a retriever kind)

    def _z(self, name: str, values: np.ndarray) -> np.ndarray:
        return self.scales.get(name, FeatureScale(0.0, 1.0, -1.0)).apply(values)

    def transform(self, features: dict[str, np.ndarray], items: np.ndarray) -> np.ndarray:
        """[rows, N] fused scores of candidate `items` (NaN at -1 padding); pointwise: a candidate's
        score does not depend on the other candidates of its row."""
        if self.weights is None:
            raise NotFittedError("LinearFusion has no weights; call fit() on validation data first")
        missing = [f for f, w in self.weights.items() if w and f not in features]
        if missing:
            raise ConfigError(f"fusion: features {missing} are weighted but were not provided")
        fused = np.zeros(items.shape, np.float64)
        for name, w in self.weights.items():
            if w:
                fused += w * self._z(name, features[name])
        fused[items < 0] = np.nan
        return fused

    def fit(self, features: dict[str, np.ndarray], items: np.ndarray, targets: sp.csr_matrix) -> LinearFusion:
        """Fit each feature's scale on these candidates, then coordinate ascent over `weight_grid` per
        feature, starting from the first configured feature alone."""
        names = [f for f in self.config.features if f in features]
        if not names:
            raise ConfigError(f"fusion: none of {self.config.features} among the provided features {list(features)}")
        valid = items >= 0
        self.scales = {f: FeatureScale.fit(np.where(valid, features[f], np.nan)) for f in names}
        z = {f: self._z(f, features[f]) for f in names}
        weights = {f: (1.0 if f == names[0] else 0.0) for f in names}
        best = self._ndcg(z, weights, items, targets)
        for _, name in itertools.product(range(self.config.rounds), names):
            for w in self.config.feature_grids.get(name, self.config.weight_grid):
                trial = {**weights, name: w}
                if not any(trial.values()):
                    continue
                value = self._ndcg(z, trial, items, targets)
                if value > best + 1e-12:
                    best, weights = value, trial
        self.weights, self.valid_ndcg = weights, best
        return self

    def fit_added(
        self,
        features: dict[str, np.ndarray],
        items: np.ndarray,
        targets: sp.csr_matrix,
        offset: np.ndarray,
        names: Sequence[str],
    ) -> LinearFusion:
        """Fit a term added to fused scores `offset` [rows, N] (another fusion's; NaN: excluded): the
        scales of `names`' features on these candidates, their weights by coordinate ascent over
        `session_grid` from 0 (no change to the offset's order unless validation says so)."""
        names = [f for f in names if f in features]
        valid = items >= 0
        self.scales = {f: FeatureScale.fit(np.where(valid, features[f], np.nan)) for f in names}
        z = {f: self._z(f, features[f]) for f in names}
        base = np.where(np.isnan(offset), -np.inf, offset)
        weights = {f: 0.0 for f in names}
        best = self._ndcg(z, weights, items, targets, base)
        for _, name in itertools.product(range(self.config.rounds), names):
            for w in self.config.session_grid:
                trial = {**weights, name: w}
                value = self._ndcg(z, trial, items, targets, base)
                if value > best + 1e-12:
                    best, weights = value, trial
        self.weights, self.valid_ndcg = weights, best
        return self

    def added(self, features: dict[str, np.ndarray], items: np.ndarray) -> np.ndarray:
        """The fitted term (`fit_added`) of candidate `items` [rows, N]: 0 where no weight applies."""
        if self.weights is None:
            raise NotFittedError("LinearFusion has no weights; call fit_added() on validation rounds first")
        out = np.zeros(items.shape, np.float64)
        for name, w in self.weights.items():
            if w and name in features:
                out += w * self._z(name, features[name])
        return out

    def _ndcg(
        self,
        z: dict[str, np.ndarray],
        weights: dict[str, float],
        items: np.ndarray,
        targets: sp.csr_matrix,
        offset: np.ndarray | float = 0.0,
    ) -> float:
        fused = offset + sum(w * z[f] for f, w in weights.items() if w)
        fused = np.where(items >= 0, fused, -np.inf)
        k = self.config.metric_k
        order = np.argsort(-fused, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(items, order, axis=1)
        return float(np.nanmean(ranking_metrics(top, targets, [k])[f"ndcg@{k}"]))

    def save(self, path: str | Path) -> None:
        data = {
            "config": self.config.model_dump(),
            "weights": self.weights,
            "scales": {name: asdict(scale) for name, scale in self.scales.items()},
            "fitted_on": self.fitted_on,
        }
        Path(path).write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, path: str | Path) -> LinearFusion:
        data = json.loads(Path(path).read_text())
        if data.get("weights") and "scales" not in data:
            raise ConfigError(
                f"{path}: fusion weights without feature scales were saved by an older hybrid_rec (scores "
                "z-scored per list); retrain the model (`hybrid-rec train`)"
            )
        scales = {name: FeatureScale(**scale) for name, scale in data.get("scales", {}).items()}
        fusion = cls(FusionConfig.from_dict(data["config"], source=str(path)), data["weights"], scales)
        fusion.fitted_on = str(data.get("fitted_on", "first_stage"))
        return fusion


def rank(items: np.ndarray, scores: np.ndarray, k: int) -> TopK:
    """Order candidates by score (NaN last, ties by position) and keep k."""
    s = np.where(np.isnan(scores), -np.inf, scores)
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    top_items = np.take_along_axis(items, order, axis=1)
    top_scores = np.take_along_axis(np.where(np.isinf(s), np.nan, s), order, axis=1)
    out_items = np.full((items.shape[0], k), -1, np.int64)
    out_scores = np.full((items.shape[0], k), np.nan)
    out_items[:, : top_items.shape[1]] = np.where(np.isnan(top_scores), -1, top_items)
    out_scores[:, : top_scores.shape[1]] = top_scores
    return TopK(out_items, out_scores)


def mmr(items: np.ndarray, scores: np.ndarray, vectors: np.ndarray, k: int, lam: float) -> TopK:
    """Maximal marginal relevance: greedily pick argmax ``lam * score - (1 - lam) * max cos-sim to
    picked``; lam = 1 is pure relevance. `scores` are fused scores (already on the features' fitted
    scales), used as they are, so the first k picks of a list are the picks of any subset holding them."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    z = np.asarray(scores, dtype=np.float64)
    out_items = np.full((items.shape[0], k), -1, np.int64)
    out_scores = np.full((items.shape[0], k), np.nan)
    for r in range(items.shape[0]):
        valid = np.flatnonzero((items[r] >= 0) & ~np.isnan(scores[r]))
        chosen: list[int] = []
        sim_max = np.full(len(valid), -np.inf)
        for slot in range(min(k, len(valid))):
            penalty = np.where(np.isinf(sim_max), 0.0, sim_max)
            value = lam * z[r, valid] - (1 - lam) * penalty
            value[chosen] = -np.inf
            pick = int(np.argmax(value))
            chosen.append(pick)
            sim_max = np.maximum(sim_max, unit[items[r, valid]] @ unit[items[r, valid[pick]]])
            out_items[r, slot] = items[r, valid[pick]]
            out_scores[r, slot] = scores[r, valid[pick]]
    return TopK(out_items, out_scores)
