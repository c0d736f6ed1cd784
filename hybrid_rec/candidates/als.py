"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) through the `implicit` library."""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares  # imported eagerly: BLAS limits apply to loaded libraries
from pydantic import Field

from hybrid_rec._threads import blas_threads
from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, NotFittedError

log = logging.getLogger(__name__)


class ALSConfig(StrictModel):
    """ALS hyper-parameters and resources.

    Confidence is ``1 + alpha * r`` with ``r`` the binary presence (``confidence="binary"``) or the
    summed interaction weight (``"weight"``). ``num_threads`` is implicit's own worker count (0 =
    all cores); ``blas_threads`` pins BLAS while fitting (1 measured fastest on 2 cores).
    """

    factors: int = Field(64, gt=0)
    regularization: float = Field(0.1, ge=0)
    alpha: float = Field(1.0, gt=0)
    iterations: int = Field(15, gt=0)
    seed: int = 0
    confidence: Literal["binary", "weight"] = "binary"
    num_threads: int = Field(0, ge=0)
    blas_threads: int = Field(1, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "cpu"


def _has_cuda() -> bool:
    try:
        import implicit.gpu

        return bool(implicit.gpu.HAS_CUDA)
    except ImportError:  # pragma: no cover - implicit always ships implicit.gpu
        return False


class ALSModel:
    """Fits user and item factors on `Interactions`; scores are dot products."""

    def __init__(self, config: ALSConfig | None = None, **overrides: object) -> None:
        base = config or ALSConfig()
        self.config = ALSConfig.from_dict({**base.model_dump(), **overrides}, source="ALSConfig")
        self._user_factors: np.ndarray | None = None
        self._item_factors: np.ndarray | None = None
        self.users: IdMap | None = None
        self.items: IdMap | None = None

    def _device(self) -> str:
        dev = self.config.device
        if dev == "cuda" and not _has_cuda():
            raise ConfigError("ALSConfig.device='cuda' but implicit was built without CUDA; use 'cpu' or 'auto'")
        return "cuda" if dev == "cuda" or (dev == "auto" and _has_cuda()) else "cpu"

    def fit(self, interactions: Interactions, *, show_progress: bool = False) -> ALSModel:
        """Fit on all rows of `interactions` (its id maps define the factor rows)."""
        cfg = self.config
        matrix = interactions.to_csr("binary" if cfg.confidence == "binary" else "weight")
        kwargs = dict(
            factors=cfg.factors,
            regularization=cfg.regularization,
            alpha=cfg.alpha,
            iterations=cfg.iterations,
            random_state=cfg.seed,
        )
        with blas_threads(cfg.blas_threads):  # implicit checks the BLAS pool when the model is built
            if self._device() == "cuda":  # pragma: no cover - no GPU in CI
                from implicit.gpu.als import AlternatingLeastSquares as GpuALS

                model = GpuALS(**kwargs)
            else:
                model = AlternatingLeastSquares(**kwargs, num_threads=cfg.num_threads)
            model.fit(matrix, show_progress=show_progress)
        if self._device() == "cuda":  # pragma: no cover
            model = model.to_cpu()
        self._user_factors = np.ascontiguousarray(model.user_factors, dtype=np.float32)
        self._item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        self.users, self.items = interactions.users, interactions.items
        return self

    @property
    def is_fitted(self) -> bool:
        return self._user_factors is not None

    @property
    def user_factors(self) -> np.ndarray:
        if self._user_factors is None:
            raise NotFittedError("ALSModel is not fitted; call fit(interactions) first")
        return self._user_factors

    @property
    def item_factors(self) -> np.ndarray:
        if self._item_factors is None:
            raise NotFittedError("ALSModel is not fitted; call fit(interactions) first")
        return self._item_factors

    def score(self, users: np.ndarray) -> np.ndarray:
        """Dense scores [len(users), n_items] for internal user ids."""
        with blas_threads(self.config.blas_threads):
            return self.user_factors[np.asarray(users)] @ self.item_factors.T
