"""The second stage's ranker, one model per kind (`[hybrid.ranker]`):

- ``kind = "linear"``: the linear blend of `fusion.LinearFusion` (weights by coordinate ascent over a grid),
  the dependency-free default; one blend for plain lists and another for lists with a request;
- ``kind = "lightgbm"``: LightGBM's LambdaMART (``objective = "lambdarank"``) boosted *from* the linear
  blend's score (its ``init_score``): one model for plain lists and lists with a request alike, over every
  source's score, the LM's, the request match, and context (the user's history length, whether the item
  has interactions, whether the row holds a request), learning a correction a linear blend cannot express
  (how much the LM counts for a short history, for an item nobody has used). Early stopping on held-out
  users decides how much correction the validation lists support; none at all leaves the blend as it was.

Both score a candidate from its own features only, never from which other items are in the list, so
``rerank(u, ids of recommend(u))`` returns ``recommend(u)``. The LightGBM model is saved in LightGBM's own
text format (``<name>.txt`` beside ``<name>.json``), loaded without pickle.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError, NotFittedError

__all__ = ["CONTEXT_FEATURES", "LightGBMRanker", "LightGBMRankerConfig", "LinearRankerConfig", "RankerConfig"]

log = logging.getLogger(__name__)

#: Context the one scoring path adds to every candidate's features (`FittedPipeline.score`): the row's
#: history length, whether the item has interactions in the fit, whether the row holds a read request.
CONTEXT_FEATURES = ("history_length", "has_interactions", "asked")


class LinearRankerConfig(StrictModel):
    """The linear blend (`[hybrid.fusion]` holds its grids): no dependency beyond numpy."""

    kind: Literal["linear"] = Field("linear", description="The linear blend of `[hybrid.fusion]`.")


class LightGBMRankerConfig(StrictModel):
    """LambdaMART over candidate features (LightGBM, ``objective = "lambdarank"``)."""

    kind: Literal["lightgbm"] = Field("lightgbm", description="LightGBM's LambdaMART (needs the 'ranker' extra).")
    features: list[str] = Field(
        default_factory=lambda: ["lm", "als", "item_knn", "transitions", "popularity", "request", *CONTEXT_FEATURES],
        description="Features the model reads; one a list lacks is missing (LightGBM's own handling), never an error.",
    )
    n_estimators: int = Field(400, gt=0, description="Most boosting rounds (early stopping picks fewer).")
    learning_rate: float = Field(0.03, gt=0, le=1, description="Shrinkage per round.")
    num_leaves: int = Field(7, ge=2, description="Leaves per tree (few: a validation set holds a few thousand lists).")
    min_data_in_leaf: int = Field(200, ge=1, description="Fewest candidates in a leaf.")
    feature_fraction: float = Field(0.9, gt=0, le=1, description="Share of features each tree sees.")
    early_stopping: int = Field(
        30, ge=0, description="Rounds without a better NDCG@`metric_k` on the held-out groups before stopping (0: off)."
    )
    holdout: float = Field(
        0.2, ge=0, lt=1, description="Share of the validation groups held out for early stopping (0: none)."
    )
    metric_k: int = Field(10, gt=0, description="Cut-off of the NDCG that early stopping reads.")
    seed: int = Field(0, description="Seed of the hold-out split and of LightGBM.")
    threads: int = Field(0, ge=0, description="LightGBM threads (0: LightGBM's default).")


RankerConfig = Annotated[LinearRankerConfig | LightGBMRankerConfig, Field(discriminator="kind")]


def _lightgbm() -> Any:
    try:
        import lightgbm
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ConfigError(
            "[hybrid.ranker] kind = 'lightgbm' needs LightGBM: pip install 'hybrid_rec[ranker]' (or kind = 'linear')"
        ) from err
    return lightgbm


def _matrix(features: dict[str, np.ndarray], names: list[str], items: np.ndarray) -> np.ndarray:
    """[valid candidates, features]: the rows LightGBM reads, in row-major order of `items >= 0`; a feature
    the lists lack is a column of NaN (missing)."""
    valid = items >= 0
    cols = [np.asarray(features[n], np.float64)[valid] if n in features else np.full(int(valid.sum()), np.nan)
            for n in names]  # fmt: skip
    return np.column_stack(cols) if cols else np.empty((int(valid.sum()), 0))


class LightGBMRanker:
    """`kind = "lightgbm"`: ``fit`` on validation candidates grouped per list, labelled by the held-out items;
    ``transform`` scores each candidate from its own features (NaN at -1 padding)."""

    #: Candidates in the same leaf of every tree score the same; ties are broken by the first feature (the LM's
    #: score by default), squashed into this much, so an order never depends on the order a caller listed them in.
    TIE = 1e-6

    def __init__(
        self,
        config: LightGBMRankerConfig,
        booster: Any = None,
        importances: dict[str, float] | None = None,
        first: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        self.config, self.booster = config, booster
        self.importances = importances or {}
        self.first = first  # centre and spread of the first feature on the fit's candidates (the tie-break)
        self.fitted_on = "validation_lists"
        self.valid_ndcg = float("nan")
        self.rows = 0  # candidates fitted on
        self.seconds = 0.0  # fitting time

    @property
    def rounds(self) -> int:
        """Boosting rounds the model keeps."""
        return 0 if self.booster is None else int(self.booster.best_iteration or self.booster.current_iteration())

    @property
    def weights(self) -> dict[str, float]:
        """Each feature's share of the model's total split gain (what `report.json` shows as its weights)."""
        return self.importances

    def fit(
        self,
        features: dict[str, np.ndarray] | list[dict[str, np.ndarray]],
        items: np.ndarray | list[np.ndarray],
        targets: sp.csr_matrix | list[sp.csr_matrix],
        base: np.ndarray | list[np.ndarray] | None = None,
    ) -> LightGBMRanker:
        """Fit on one or several situations' lists (each: features [rows, N], candidates [rows, N], targets
        [rows, n_items]); a list is one group, a candidate is relevant when it is among its row's targets.
        Lists without a relevant candidate teach a ranker nothing and are left out. Row r of every situation
        belongs to one user (the same held-out item): the lists held out for early stopping are whole rows, so
        no user's target is learned in one situation and judged in another. `base`: a score per candidate
        (the linear blend's) the model boosts from; `transform` then gives the correction to add to it."""
        lgb = _lightgbm()
        start = time.perf_counter()
        if isinstance(features, list):
            bases = base if isinstance(base, list) else [None] * len(features)
            parts = list(zip(features, items, targets, bases, strict=True))
        else:
            parts = [(features, items, targets, base if not isinstance(base, list) else None)]
        names = self.config.features
        xs, ys, groups, owners, inits = [], [], [], [], []
        for feats, its, tgt, init in parts:
            its = np.asarray(its, np.int64)
            tgt = sp.csr_matrix(tgt)
            valid = its >= 0
            label = np.zeros(its.shape, np.float64)
            for r in range(its.shape[0]):
                row = tgt.indices[tgt.indptr[r] : tgt.indptr[r + 1]]
                label[r] = valid[r] & np.isin(its[r], row)
            keep = label.sum(axis=1) > 0
            if not keep.any():
                continue
            xs.append(_matrix({n: v[keep] for n, v in feats.items()}, names, its[keep]))
            ys.append(label[keep][valid[keep]])
            groups.append(valid[keep].sum(axis=1))
            owners.append(np.flatnonzero(keep))
            b = np.zeros(its.shape) if init is None else np.nan_to_num(np.asarray(init, np.float64), nan=-1e3)
            inits.append(b[keep][valid[keep]])
        if not xs:
            raise ConfigError("ranker: no validation list holds a held-out item; nothing to learn the ranking from")
        x, y, group, init = np.vstack(xs), np.concatenate(ys), np.concatenate(groups), np.concatenate(inits)
        cfg = self.config
        if names and np.isfinite(x[:, 0]).any():
            first = x[np.isfinite(x[:, 0]), 0]
            self.first = (float(first.mean()), float(first.std()) or 1.0)
        rng = np.random.default_rng(cfg.seed)
        owner = np.concatenate(owners)
        drawn = rng.random(int(owner.max()) + 1) < cfg.holdout  # per row (user), not per list
        held = drawn[owner] if cfg.holdout > 0 and len(group) >= 10 else np.zeros(len(group), bool)
        row_held = np.repeat(held, group)
        params = {
            "objective": "lambdarank", "metric": "ndcg", "eval_at": [cfg.metric_k], "learning_rate": cfg.learning_rate,
            "num_leaves": cfg.num_leaves, "min_data_in_leaf": cfg.min_data_in_leaf,
            "feature_fraction": cfg.feature_fraction, "seed": cfg.seed, "deterministic": True,
            "force_row_wise": True, "verbosity": -1, "num_threads": cfg.threads,
        }  # fmt: skip
        train = lgb.Dataset(x[~row_held], y[~row_held], group=group[~held], init_score=init[~row_held],
                            feature_name=names, free_raw_data=True)  # fmt: skip
        sets, callbacks = [train], []
        if held.any() and cfg.early_stopping:
            sets.append(lgb.Dataset(x[row_held], y[row_held], group=group[held], init_score=init[row_held],
                                    reference=train))  # fmt: skip
            callbacks.append(lgb.early_stopping(cfg.early_stopping, verbose=False))
        record: dict[str, Any] = {}
        callbacks.append(lgb.record_evaluation(record))
        booster = lgb.train(params, train, cfg.n_estimators, valid_sets=sets[1:] or None, callbacks=callbacks)
        if booster.best_iteration > 0:
            self.valid_ndcg = float(record["valid_0"][f"ndcg@{cfg.metric_k}"][booster.best_iteration - 1])
        self.booster = booster
        gain = booster.feature_importance("gain", iteration=booster.best_iteration or None)
        total = float(gain.sum()) or 1.0
        self.importances = {n: round(float(g) / total, 4) for n, g in zip(names, gain, strict=True)}
        self.rows = int(group.sum())
        self.seconds = time.perf_counter() - start
        log.info("ranker (lightgbm): %d rounds on %d candidates in %d lists; importances %s", booster.best_iteration
                 or booster.current_iteration(), self.rows, len(group), self.importances)  # fmt: skip
        return self

    def transform(self, features: dict[str, np.ndarray], items: np.ndarray) -> np.ndarray:
        """[rows, N] scores of candidate `items` (NaN at -1 padding), each from its own features: the correction
        to add to the base score the model was fitted from (`fit(base=...)`), or the score itself without one."""
        if self.booster is None:
            raise NotFittedError("LightGBMRanker has no model; call fit() on validation lists first")
        items = np.asarray(items, np.int64)
        out = np.full(items.shape, np.nan)
        valid = items >= 0
        if valid.any():
            x = _matrix(features, self.config.features, items)
            out[valid] = self.booster.predict(x, num_iteration=self.booster.best_iteration or None)
            if x.shape[1]:
                out[valid] += self.TIE * np.nan_to_num(np.tanh((x[:, 0] - self.first[0]) / self.first[1]))
        return out

    def contributions(self, features: dict[str, np.ndarray], items: np.ndarray) -> dict[str, np.ndarray]:
        """Per feature, its contribution to each candidate's score (LightGBM's SHAP values; NaN at padding)."""
        if self.booster is None:
            raise NotFittedError("LightGBMRanker has no model; call fit() on validation lists first")
        items = np.asarray(items, np.int64)
        valid = items >= 0
        names = self.config.features
        out = {n: np.full(items.shape, np.nan) for n in names}
        if valid.any():
            shap = self.booster.predict(_matrix(features, names, items), num_iteration=self.booster.best_iteration or None,
                                        pred_contrib=True)  # fmt: skip
            for j, n in enumerate(names):
                out[n][valid] = shap[:, j]
        return out

    def save(self, path: str | Path) -> None:
        """``path`` (JSON: config, importances) and the model in LightGBM's text format beside it (``.txt``)."""
        if self.booster is None:
            raise NotFittedError("LightGBMRanker has no model to save")
        path = Path(path)
        path.with_suffix(".txt").write_text(self.booster.model_to_string(num_iteration=self.booster.best_iteration or None))
        data = {"config": self.config.model_dump(), "importances": self.importances, "fitted_on": self.fitted_on,
                "valid_ndcg": None if np.isnan(self.valid_ndcg) else self.valid_ndcg, "rows": self.rows, "first": list(self.first),
                "seconds": self.seconds}  # fmt: skip
        path.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, path: str | Path) -> LightGBMRanker:
        path = Path(path)
        data = json.loads(path.read_text())
        model = path.with_suffix(".txt")
        if not model.is_file():
            raise ConfigError(f"{path}: the LightGBM model {model.name} is missing beside it; retrain the model")
        booster = _lightgbm().Booster(model_str=model.read_text())
        first = data.get("first", (0.0, 1.0))
        out = cls(LightGBMRankerConfig.from_dict(data["config"], source=str(path)), booster, data.get("importances"),
                  (float(first[0]), float(first[1])))  # fmt: skip
        out.fitted_on, out.rows = data.get("fitted_on", out.fitted_on), int(data.get("rows", 0))
        out.seconds = float(data.get("seconds", 0.0))
        out.valid_ndcg = float(data["valid_ndcg"]) if data.get("valid_ndcg") is not None else float("nan")
        return out
