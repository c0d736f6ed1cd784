"""Fit one RecTools model on an exported split and write its recommendations (run in RecTools' own venv).

    python rectools_run.py --train train.csv --users users.csv --out recs.csv --model sasrec \
        --params '{"epochs": 5}' --k 100

``train.csv``: user_id, item_id, weight, timestamp (seconds); ``users.csv``: user_id; ``recs.csv``:
user_id, item_id, rank, score (each user's items not in their train rows, best first). Prints one
JSON line: the library version and the fit / recommend seconds. This file imports nothing of
hybrid_rec, so it runs where RecTools' pins (numpy < 2, pandas < 3) rule out the project.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd


def _val_mask(interactions: pd.DataFrame, val_users: int, seed: int) -> np.ndarray:
    """The last interaction of `val_users` users drawn with `seed` (all users when fewer): the rows
    the early-stopping loss is computed on, held out of the fit."""
    from rectools import Columns
    from rectools.models.nn.transformers.utils import leave_one_out_mask

    users = interactions[Columns.User].unique()
    chosen = np.random.default_rng(seed).choice(users, size=min(val_users, len(users)), replace=False)
    return leave_one_out_mask(interactions, chosen)


def _keep_best() -> object:
    """A Lightning callback that keeps, in memory, the weights of the epoch with the lowest
    validation loss (no checkpoint file is written or read back)."""
    import pytorch_lightning as pl

    class KeepBest(pl.Callback):
        def __init__(self) -> None:
            self.loss, self.epoch = float("inf"), 0
            self.state: dict[str, object] | None = None

        def on_validation_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            loss = trainer.callback_metrics.get("val_loss")
            if trainer.sanity_checking or loss is None or float(loss) >= self.loss:
                return
            self.loss, self.epoch = float(loss), trainer.current_epoch + 1
            self.state = {k: v.detach().clone() for k, v in module.state_dict().items()}

    return KeepBest()


class _Sequential:
    """A SASRec / BERT4Rec fit with optional early stopping on a held-out last item per user, the
    best epoch's weights restored (Lightning's EarlyStopping; the best weights kept in memory)."""

    def __init__(self, name: str, params: dict[str, object]) -> None:
        import pytorch_lightning as pl
        from rectools import models

        self.epochs = int(params.pop("epochs", 3))  # type: ignore[call-overload]
        seed = int(params.pop("seed", 0))  # type: ignore[call-overload]
        self.patience = int(params.pop("patience", 0))  # type: ignore[call-overload]
        val_users = int(params.pop("val_users", 512))  # type: ignore[call-overload]
        pl.seed_everything(seed, workers=True)
        if self.patience > 0:
            params["get_val_mask_func"] = _val_mask
            params["get_val_mask_func_kwargs"] = {"val_users": val_users, "seed": seed}
        kind = models.SASRecModel if name == "sasrec" else models.BERT4RecModel
        self.model = kind(get_trainer_func=self._trainer, **params)

    def _trainer(self) -> object:
        import pytorch_lightning as pl
        from pytorch_lightning.callbacks import EarlyStopping

        callbacks = []
        if self.patience > 0:
            callbacks = [EarlyStopping(monitor="val_loss", mode="min", patience=self.patience), _keep_best()]
        return pl.Trainer(max_epochs=self.epochs, accelerator="cpu", devices=1, deterministic=True,
                          enable_progress_bar=False, enable_model_summary=False, logger=False,
                          enable_checkpointing=False, callbacks=callbacks)  # fmt: skip

    def fit(self, dataset: object) -> dict[str, object]:
        self.model.fit(dataset)
        trainer = self.model.fit_trainer  # RecTools fits a copy of the trainer: its callbacks are read here
        info: dict[str, object] = {"epochs_run": int(trainer.current_epoch)}
        best = next((c for c in trainer.callbacks if getattr(c, "state", None) is not None), None)
        if best is not None:
            self.model.lightning_model.load_state_dict(best.state)
            info["best_val_loss"], info["best_epoch"] = best.loss, best.epoch
        return info

    def recommend(self, **kwargs: object) -> pd.DataFrame:
        return self.model.recommend(**kwargs)


class _EASE:
    def __init__(self, params: dict[str, object]) -> None:
        from rectools import models

        self.model = models.EASEModel(**params)

    def fit(self, dataset: object) -> dict[str, object]:
        self.model.fit(dataset)
        return {}

    def recommend(self, **kwargs: object) -> pd.DataFrame:
        return self.model.recommend(**kwargs)


class _ALS(_EASE):
    def __init__(self, params: dict[str, object]) -> None:
        from implicit.als import AlternatingLeastSquares
        from rectools import models

        self.model = models.ImplicitALSWrapperModel(AlternatingLeastSquares(**params))


def _model(name: str, params: dict[str, object]) -> _EASE | _Sequential:
    if name == "ease":
        return _EASE(params)
    if name == "rectools_als":
        return _ALS(params)
    if name in ("sasrec", "bert4rec"):
        return _Sequential(name, params)
    raise SystemExit(f"unknown RecTools model {name!r} (ease, rectools_als, sasrec, bert4rec)")


def main() -> None:
    import rectools  # here, not at the top: the module must import (and be checked) where RecTools is absent
    from rectools import Columns
    from rectools.dataset import Dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--train", "--users", "--out", "--model"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--params", default="{}")
    parser.add_argument("--k", type=int, default=100)
    args = parser.parse_args()
    rows = pd.read_csv(args.train)
    rows = rows.rename(columns={"user_id": Columns.User, "item_id": Columns.Item, "weight": Columns.Weight,
                                "timestamp": Columns.Datetime})  # fmt: skip
    rows[Columns.Datetime] = pd.to_datetime(rows[Columns.Datetime], unit="s")
    dataset = Dataset.construct(rows[[Columns.User, Columns.Item, Columns.Weight, Columns.Datetime]])
    model = _model(args.model, json.loads(args.params))
    start = time.perf_counter()
    info = model.fit(dataset)
    fit_s = time.perf_counter() - start
    users = pd.read_csv(args.users)["user_id"].to_numpy()
    users = users[np.isin(users, dataset.user_id_map.external_ids)]
    start = time.perf_counter()
    recs = model.recommend(users=users, dataset=dataset, k=args.k, filter_viewed=True)
    rec_s = time.perf_counter() - start
    recs = recs.rename(columns={Columns.User: "user_id", Columns.Item: "item_id", Columns.Rank: "rank",
                                Columns.Score: "score"})  # fmt: skip
    recs[["user_id", "item_id", "rank", "score"]].to_csv(args.out, index=False)
    print(json.dumps({"library": f"rectools {rectools.__version__}", "fit_seconds": fit_s, "recommend_seconds": rec_s,
                      **info}))  # fmt: skip


if __name__ == "__main__":
    main()
