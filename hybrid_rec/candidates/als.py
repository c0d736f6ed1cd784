"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) through the `implicit` library."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares  # imported eagerly: BLAS limits apply to loaded libraries
from pydantic import Field

from hybrid_rec._threads import blas_threads
from hybrid_rec.config import StrictModel
from hybrid_rec.data.ids import IdMap, as_id_array
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import ConfigError, DataError, require_fitted
from hybrid_rec.persist import load_config, require, save_config

log = logging.getLogger(__name__)


class ALSConfig(StrictModel):
    """ALS hyper-parameters and resources.

    Confidence is ``1 + alpha * r`` with ``r`` the binary presence (``confidence="binary"``) or the
    summed interaction weight (``"weight"``). ``num_threads`` is implicit's own worker count (0 =
    all cores); ``blas_threads`` pins BLAS while fitting (1 measured fastest on 2 cores).
    """

    factors: int = Field(64, gt=0, description="Latent dimensions of the user and item vectors.")
    regularization: float = Field(0.1, ge=0, description="L2 penalty on the factors.")
    alpha: float = Field(1.0, gt=0, description="Confidence scale: confidence = 1 + alpha * r.")
    iterations: int = Field(15, gt=0, description="ALS sweeps (each re-solves all users, then all items).")
    seed: int = Field(0, description="Seed of the factor initialisation.")
    confidence: Literal["binary", "weight"] = Field(
        "binary", description="r in the confidence: 'binary' (1 if the pair occurred) or 'weight' (summed weights)."
    )
    num_threads: int = Field(0, ge=0, description="implicit's own worker threads while fitting (0 = all cores).")
    blas_threads: int = Field(
        1, ge=0, description="BLAS threads while fitting (1 measured fastest on 2 shared cores; 0 = leave as is)."
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "cpu", description="Where ALS fits: 'cuda' needs implicit built with CUDA; 'auto' uses it when present."
    )


def _has_cuda() -> bool:
    try:
        import implicit.gpu

        return bool(implicit.gpu.HAS_CUDA)
    except ImportError:  # pragma: no cover - implicit always ships implicit.gpu
        return False


class ALSModel:
    """Fits user and item factors on `Interactions`; scores are dot products.

    The model keeps the user x item matrix it was fitted on, so that new events can update single
    users or items incrementally (`partial_fit_users`, `partial_fit_items`, `update`): the id maps
    grow, and the changed rows are re-solved exactly (Cholesky) against the fixed other side.
    """

    def __init__(self, config: ALSConfig | None = None, **overrides: object) -> None:
        base = config or ALSConfig()
        self.config = ALSConfig.from_dict({**base.model_dump(), **overrides}, source="ALSConfig")
        self._model: AlternatingLeastSquares | None = None
        self._matrix: sp.csr_matrix | None = None
        self._support: tuple[sp.csr_matrix, np.ndarray] | None = None
        self._users: IdMap | None = None
        self._items: IdMap | None = None

    def _device(self) -> str:
        dev = self.config.device
        if dev == "cuda" and not _has_cuda():
            raise ConfigError("ALSConfig.device='cuda' but implicit was built without CUDA; use 'cpu' or 'auto'")
        return "cuda" if dev == "cuda" or (dev == "auto" and _has_cuda()) else "cpu"

    def _new_model(self) -> AlternatingLeastSquares:
        cfg = self.config
        return AlternatingLeastSquares(
            factors=cfg.factors,
            regularization=cfg.regularization,
            alpha=cfg.alpha,
            iterations=cfg.iterations,
            random_state=cfg.seed,
            num_threads=cfg.num_threads,
        )

    def _values(self, interactions: Interactions) -> sp.csr_matrix:
        return interactions.to_csr("binary" if self.config.confidence == "binary" else "weight")

    def fit(self, interactions: Interactions, *, show_progress: bool = False) -> ALSModel:
        """Fit on all rows of `interactions` (its id maps define the factor rows)."""
        cfg = self.config
        matrix = self._values(interactions)
        with blas_threads(cfg.blas_threads):  # implicit checks the BLAS pool when the model is built
            if self._device() == "cuda":  # pragma: no cover - no GPU in CI
                from implicit.gpu.als import AlternatingLeastSquares as GpuALS

                gpu = GpuALS(
                    factors=cfg.factors,
                    regularization=cfg.regularization,
                    alpha=cfg.alpha,
                    iterations=cfg.iterations,
                    random_state=cfg.seed,
                )
                gpu.fit(matrix, show_progress=show_progress)
                model = gpu.to_cpu()
            else:
                model = self._new_model()
                model.fit(matrix, show_progress=show_progress)
        model.user_factors = np.ascontiguousarray(model.user_factors, dtype=np.float32)
        model.item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        self._model, self._matrix = model, matrix
        self._users, self._items = interactions.users, interactions.items
        return self

    @classmethod
    def from_factors(
        cls,
        interactions: Interactions,
        user_ids: np.ndarray,
        user_factors: np.ndarray,
        item_ids: np.ndarray,
        item_factors: np.ndarray,
        config: ALSConfig | None = None,
    ) -> ALSModel:
        """Use factors trained elsewhere (e.g. Spark ALS) instead of fitting.

        Rows follow `interactions`' id maps; users or items the external factors lack are solved from
        their interactions against the given other side (one exact ALS half-step).
        """
        user_factors, item_factors = np.asarray(user_factors, np.float32), np.asarray(item_factors, np.float32)
        if user_factors.ndim != 2 or item_factors.ndim != 2 or user_factors.shape[1] != item_factors.shape[1]:
            raise DataError(
                f"external factors must be 2-d with equal widths, got {user_factors.shape} and {item_factors.shape}"
            )
        if len(user_ids) != len(user_factors) or len(item_ids) != len(item_factors):
            raise DataError("external factors: one id per factor row is required")
        if not (np.isfinite(user_factors).all() and np.isfinite(item_factors).all()):
            raise DataError("external factors contain NaN or infinity")
        base = (config or ALSConfig()).model_copy(update={"factors": user_factors.shape[1]})
        self = cls(base)
        self._users, self._items = interactions.users, interactions.items
        self._matrix = self._values(interactions)
        with blas_threads(base.blas_threads):
            model = self._new_model()
        f = user_factors.shape[1]
        model.user_factors = np.zeros((len(self.users), f), np.float32)
        model.item_factors = np.zeros((len(self.items), f), np.float32)
        u_pos = self.users.to_internal(_as_map_type(self.users, user_ids), on_unknown="fallback")
        i_pos = self.items.to_internal(_as_map_type(self.items, item_ids), on_unknown="fallback")
        for side, pos in (("user", u_pos), ("item", i_pos)):
            if len(pos) and (pos >= 0).mean() < 0.5:
                log.warning("external factors: only %d of %d %s ids are in the interactions; the rest are ignored "
                            "and the interactions' %ss without factors are solved here", int((pos >= 0).sum()),
                            len(pos), side, side)  # fmt: skip
        model.user_factors[u_pos[u_pos >= 0]] = user_factors[u_pos >= 0]
        model.item_factors[i_pos[i_pos >= 0]] = item_factors[i_pos >= 0]
        self._model = model
        missing_items = np.setdiff1d(np.arange(len(self.items)), i_pos[i_pos >= 0])
        missing_users = np.setdiff1d(np.arange(len(self.users)), u_pos[u_pos >= 0])
        self._refit_items(missing_items[self.item_support()[missing_items] > 0])
        self._refit_users(missing_users)
        return self

    # ------------------------------------------------------------------ state
    @property
    def is_fitted(self) -> bool:
        return self._model is not None

    def _fitted(self) -> AlternatingLeastSquares:
        return require_fitted(self._model, "ALSModel", "call fit(interactions) first")

    @property
    def users(self) -> IdMap:
        """The user id map (rows of `user_factors`), or `NotFittedError`."""
        return require_fitted(self._users, "ALSModel", "call fit(interactions) first")

    @property
    def items(self) -> IdMap:
        """The item id map (rows of `item_factors`), or `NotFittedError`."""
        return require_fitted(self._items, "ALSModel", "call fit(interactions) first")

    @property
    def user_factors(self) -> np.ndarray:
        """[n_users, factors] float32, rows in `users` order."""
        return self._fitted().user_factors

    @property
    def item_factors(self) -> np.ndarray:
        """[n_items, factors] float32, rows in `items` order (zero rows for items never fitted)."""
        return self._fitted().item_factors

    @property
    def user_items(self) -> sp.csr_matrix:
        """The user x item matrix the factors were fitted on (grows with updates)."""
        self._fitted()
        return self._matrix

    def item_support(self) -> np.ndarray:
        """Users per item in the fitted matrix: items with 0 have no collaborative signal. Cached for
        the current matrix (updates replace the matrix object, which recomputes it)."""
        matrix = self.user_items
        if self._support is None or self._support[0] is not matrix:
            self._support = (matrix, np.diff(matrix.tocsc().indptr))
        return self._support[1]

    def score(self, users: np.ndarray) -> np.ndarray:
        """Dense scores [len(users), n_items] for internal user ids."""
        with blas_threads(self.config.blas_threads):
            return self.user_factors[np.asarray(users)] @ self.item_factors.T

    # ------------------------------------------------------------------ incremental updates
    def _absorb(self, events: Interactions) -> tuple[np.ndarray, np.ndarray]:
        """Add `events` (any id maps) to the stored matrix, growing maps and factor rows.

        Returns the internal ids of the users and items the events touch.
        """
        model = self._fitted()
        if len(events) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        ext_u = events.users.to_external(events.user)
        ext_i = events.items.to_external(events.item)
        self._users = self.users.extend(ext_u)
        self._items = self.items.extend(ext_i)
        u, i = self.users.to_internal(ext_u), self.items.to_internal(ext_i)
        shape = (len(self.users), len(self.items))
        values = np.ones(len(events), np.float32) if self.config.confidence == "binary" else events.weight
        old = self.user_items.tocoo()
        matrix = sp.csr_matrix(
            (np.concatenate([old.data, values]), (np.concatenate([old.row, u]), np.concatenate([old.col, i]))),
            shape=shape,
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        if self.config.confidence == "binary":
            matrix.data[:] = 1.0
        self._matrix = matrix
        model.user_factors = _grow(model.user_factors, shape[0])
        model.item_factors = _grow(model.item_factors, shape[1])
        model._XtX = model._YtY = None  # cached Gram matrices are stale once rows change
        return np.unique(u), np.unique(i)

    def add_items(self, item_ids: Iterable[object] | np.ndarray) -> np.ndarray:
        """Grow the item map by the ids it lacks, with no interactions (zero factors, no support): a
        catalog item nobody has used yet. Returns the internal ids of all of `item_ids`."""
        self._fitted()
        ids = as_id_array(item_ids)
        self._items = self.items.extend(ids)
        shape = (len(self.users), len(self.items))
        if shape[1] > self.user_items.shape[1]:
            matrix = self.user_items.copy()
            matrix.resize(shape)
            self._matrix = matrix
            model = self._fitted()
            model.item_factors = _grow(model.item_factors, shape[1])
            model._YtY = None
        return self.items.to_internal(ids)

    def partial_fit_users(self, events: Interactions) -> np.ndarray:
        """Absorb `events` and re-solve the factors of the users they touch; returns those users' ids."""
        users, _ = self._absorb(events)
        self._refit_users(users)
        return users

    def partial_fit_items(self, events: Interactions) -> np.ndarray:
        """Absorb `events` and re-solve the factors of the items they touch; returns those items' ids."""
        _, items = self._absorb(events)
        self._refit_items(items)
        return items

    def update(self, events: Interactions) -> tuple[np.ndarray, np.ndarray]:
        """Absorb `events` once, then re-solve the touched items and then the touched users."""
        users, items = self._absorb(events)
        self._refit_items(items)
        self._refit_users(users)
        return users, items

    def remove_pairs(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Drop (user, item) pairs from the fitted matrix (e.g. after a dislike) and re-solve those users."""
        m = self.user_items.tolil()
        m[np.asarray(users), np.asarray(items)] = 0
        self._matrix = m.tocsr()
        self._matrix.eliminate_zeros()
        touched = np.unique(users)
        self._refit_users(touched)
        return touched

    def _refit_users(self, users: np.ndarray) -> None:
        if len(users):
            with blas_threads(self.config.blas_threads):
                self._fitted().partial_fit_users(users, self.user_items[users])

    def _refit_items(self, items: np.ndarray) -> None:
        if len(items):
            with blas_threads(self.config.blas_threads):
                self._fitted().partial_fit_items(items, self.user_items.T.tocsr()[items])

    def recalculate_user(self, item_ids: np.ndarray | list[object], weights: np.ndarray | None = None) -> np.ndarray:
        """Factors for an ad-hoc history of external item ids (unknown items are ignored).

        Nothing is stored: use this for users the model has not seen.
        """
        model = self._fitted()
        ids = as_id_array(item_ids)
        idx = self.items.to_internal(ids, on_unknown="fallback")
        keep = idx >= 0
        values = (
            np.ones(int(keep.sum()), np.float32)
            if weights is None or self.config.confidence == "binary"
            else np.asarray(weights, np.float32)[keep]
        )
        row = sp.csr_matrix((values, (np.zeros(int(keep.sum()), int), idx[keep])), shape=(1, len(self.items)))
        row.sum_duplicates()
        if self.config.confidence == "binary":
            row.data[:] = 1.0
        with blas_threads(self.config.blas_threads):
            return np.asarray(model.recalculate_user(0, row), dtype=np.float32)

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """``config.json`` + ``als.npz`` (factors, fitted matrix, id maps); no pickle."""
        model = self._fitted()
        directory = save_config(directory, self.config)
        m = self.user_items
        np.savez(
            directory / "als.npz",
            user_factors=model.user_factors,
            item_factors=model.item_factors,
            data=m.data,
            indices=m.indices,
            indptr=m.indptr,
            shape=np.asarray(m.shape),
            user_ids=self.users.to_array(),
            item_ids=self.items.to_array(),
        )

    @staticmethod
    def load_user_ids(directory: str | Path) -> IdMap:
        """The user ids of a saved model, without loading its factors into a model."""
        with np.load(require(directory, "als.npz", what="ALSModel") / "als.npz", allow_pickle=False) as z:
            return IdMap(z["user_ids"], name="user")

    @classmethod
    def load(cls, directory: str | Path) -> ALSModel:
        directory = require(directory, "config.json", "als.npz", what="ALSModel")
        config = load_config(directory, ALSConfig, what="ALSModel")
        self = cls(config)
        with np.load(directory / "als.npz", allow_pickle=False) as z:
            with blas_threads(config.blas_threads):
                model = self._new_model()
            model.user_factors, model.item_factors = z["user_factors"], z["item_factors"]
            self._matrix = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            self._users, self._items = IdMap(z["user_ids"], name="user"), IdMap(z["item_ids"], name="item")
        self._model = model
        return self


def _grow(factors: np.ndarray, rows: int) -> np.ndarray:
    if factors.shape[0] >= rows:
        return factors
    pad = np.zeros((rows - factors.shape[0], factors.shape[1]), dtype=factors.dtype)
    return np.concatenate([factors, pad])


def _as_map_type(idmap: IdMap, ids: np.ndarray | Sequence[object]) -> np.ndarray:
    """External ids in the type of `idmap`: Spark's integer ids match a text-keyed map as their digits
    ("42"), and text digits match an integer-keyed map as numbers."""
    values = as_id_array(ids)
    if len(idmap) and not np.issubdtype(idmap.ids.dtype, np.integer) and np.issubdtype(values.dtype, np.integer):
        return np.array([str(v) for v in values.tolist()], dtype=object)
    return idmap.coerce(values)


def read_factors(
    path: str | Path, *, id_column: str = "id", features_column: str = "features"
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, [n, f] float32 factors) from a Parquet file or directory of part files in the layout
    Spark ML's ``ALSModel.userFactors`` / ``itemFactors`` are written in (``id`` + ``features``, an
    array of floats), for `ALSModel.from_factors` / ``external_factors``."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: factors file not found")
    try:
        frame = pd.read_parquet(path, columns=[id_column, features_column])
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path}: cannot read columns {id_column!r} and {features_column!r} ({exc})") from None
    if not frame[id_column].is_unique:
        raise DataError(f"{path}: id {frame[id_column][frame[id_column].duplicated()].iloc[0]!r} appears twice")
    widths = frame[features_column].map(len)
    if len(frame) and widths.nunique() != 1:
        raise DataError(f"{path}: the {features_column!r} arrays have different lengths ({sorted(widths.unique())[:5]})")
    factors = np.stack(frame[features_column].map(lambda v: np.asarray(v, np.float32)).to_list()) if len(frame) else (
        np.zeros((0, 0), np.float32))  # fmt: skip
    return frame[id_column].to_numpy(), factors
