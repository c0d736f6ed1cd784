"""CF vectors for items nobody has interacted with, predicted from their catalog text.

Attribute-to-feature mapping (Gantner et al., ICDM 2010): a ridge regression from item features
(`ItemFeaturizer`: genres, year buckets, title embedding, ...) to ALS item factors, fitted on the
items that have interactions, predicts factors for those that have none. A cold item then has an
ALS score for every user (its predicted vector against the user's factors) and neighbours in the
item-to-item index, so it can be retrieved, scored and fused like any other item from the moment
its catalog row exists; once it has interactions, ALS's own factors replace the prediction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.errors import DataError
from hybrid_rec.persist import load_arrays, load_config, save_arrays, save_config
from hybrid_rec.text.features import FittedFeatures, ItemFeaturesConfig, ItemFeaturizer


class ColdStartConfig(StrictModel):
    """Whether and how items without interactions get predicted CF vectors (needs a catalog)."""

    enabled: bool = Field(
        True, description="Predict CF vectors for catalog items without interactions (False: they get none)."
    )
    regularization: float = Field(
        100.0, gt=0, description="Ridge penalty of the feature -> factor regression (larger: closer to the mean)."
    )
    features: ItemFeaturesConfig = Field(
        default_factory=ItemFeaturesConfig, description="Which catalog fields are read, and how."
    )


def ridge(x: np.ndarray, y: np.ndarray, regularization: float) -> np.ndarray:
    """[dim + 1, out] weights of ``[x, 1] @ W ~ y`` (the intercept column is not penalised)."""
    xb = np.hstack([x, np.ones((len(x), 1), x.dtype)]).astype(np.float64)
    penalty = regularization * np.eye(xb.shape[1])
    penalty[-1, -1] = 0.0
    return np.linalg.solve(xb.T @ xb + penalty, xb.T @ y.astype(np.float64))


class ColdItemMap:
    """Item features -> CF vectors; ``predict(catalog, item_ids)`` gives a vector per catalog item."""

    def __init__(self, featurizer: ItemFeaturizer, weights: np.ndarray) -> None:
        self.featurizer, self.weights = featurizer, weights

    @classmethod
    def fit(
        cls, catalog: ItemCatalog, item_ids: np.ndarray, vectors: np.ndarray, warm: np.ndarray, config: ColdStartConfig
    ) -> ColdItemMap:
        """Fit on the `warm` rows of `vectors` (one per external id in `item_ids`) that the catalog holds."""
        featurizer = ItemFeaturizer.fit(catalog, config.features)
        x, known = featurizer.transform(catalog, item_ids)
        rows = np.flatnonzero(np.asarray(warm, bool) & known)
        if len(rows) < 2:
            raise DataError(
                f"cold start: only {len(rows)} items have both interactions and a catalog row; the text -> factor "
                "map needs more (or set candidates.cold_start.enabled = false)"
            )
        return cls(featurizer, ridge(x[rows], vectors[rows], config.regularization))

    def predict(self, catalog: ItemCatalog, item_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """([n, dim] predicted vectors as float32, [n] bool: the id has a catalog row; others are NaN)."""
        x, known = self.featurizer.transform(catalog, item_ids)
        out = (np.hstack([x, np.ones((len(x), 1), x.dtype)]) @ self.weights).astype(np.float32)
        out[~known] = np.nan
        return out, known

    def save(self, directory: str | Path) -> None:
        """``cold_map.json`` (the featurizer's fields, vocabularies and edges) + ``cold_map.npz``."""
        directory = save_config(directory, self.featurizer.fitted, "cold_map.json")
        save_arrays(directory / "cold_map.npz", weights=self.weights)

    @classmethod
    def load(cls, directory: str | Path) -> ColdItemMap:
        fitted = load_config(directory, FittedFeatures, "cold_map.json", what="ColdItemMap")
        return cls(ItemFeaturizer(fitted), load_arrays(Path(directory) / "cold_map.npz")["weights"])
