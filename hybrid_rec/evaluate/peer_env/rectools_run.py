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


def _model(name: str, params: dict[str, object]) -> object:
    from rectools import models

    if name == "ease":
        return models.EASEModel(**params)
    if name in ("sasrec", "bert4rec"):
        import pytorch_lightning as pl

        epochs = int(params.pop("epochs", 3))  # type: ignore[call-overload]
        seed = int(params.pop("seed", 0))  # type: ignore[call-overload]
        pl.seed_everything(seed, workers=True)

        def trainer() -> object:
            return pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, deterministic=True,
                              enable_progress_bar=False, enable_model_summary=False, logger=False,
                              enable_checkpointing=False)  # fmt: skip

        kind = models.SASRecModel if name == "sasrec" else models.BERT4RecModel
        return kind(get_trainer_func=trainer, **params)
    raise SystemExit(f"unknown RecTools model {name!r} (ease, sasrec, bert4rec)")


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
    model.fit(dataset)  # type: ignore[attr-defined]
    fit_s = time.perf_counter() - start
    users = pd.read_csv(args.users)["user_id"].to_numpy()
    users = users[np.isin(users, dataset.user_id_map.external_ids)]
    start = time.perf_counter()
    recs = model.recommend(users=users, dataset=dataset, k=args.k, filter_viewed=True)  # type: ignore[attr-defined]
    rec_s = time.perf_counter() - start
    recs = recs.rename(columns={Columns.User: "user_id", Columns.Item: "item_id", Columns.Rank: "rank",
                                Columns.Score: "score"})  # fmt: skip
    recs[["user_id", "item_id", "rank", "score"]].to_csv(args.out, index=False)
    print(json.dumps({"library": f"rectools {rectools.__version__}", "fit_seconds": fit_s, "recommend_seconds": rec_s}))


if __name__ == "__main__":
    main()
