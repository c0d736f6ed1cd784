"""Peers that cannot share the project's environment: RecTools' SASRec, BERT4Rec, EASE (and its ALS wrapper).

RecTools 0.19 pins numpy < 2 and pandas < 3, so it runs in a venv of its own, created once under the
cache (``<cache>/peers/rectools-0.19.0``: torch 2.13.0 CPU from the machine's wheel, then
``rectools[torch]==0.19.0``). A peer method exports its fit rows (internal ids) to CSV, runs
``peer_env/rectools_run.py`` with that venv's Python, and reads back each user's top items, which the
harness then scores with its own metric code like every other method's lists. The fit happens in
`fit`; `recommend` serves the written lists (dropping anything excluded), so tuning and test cost one
fit each, as for the methods here.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pydantic import Field

from hybrid_rec.config import StrictModel
from hybrid_rec.data.datasets.cache import data_home
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.errors import MissingExtraError, NotFittedError
from hybrid_rec.topk import TopK

__all__ = ["BERT4RecConfig", "EASEConfig", "RecToolsALSConfig", "RecToolsPeer", "SASRecConfig", "rectools_python"]

log = logging.getLogger(__name__)

RECTOOLS = "rectools[torch]==0.19.0"
RUNNER = Path(__file__).parent / "peer_env" / "rectools_run.py"


def rectools_python(root: Path | None = None) -> Path:
    """The Python of RecTools' own venv, created on first use (minutes; needs the package registry).
    `MissingExtraError` naming the command when it cannot be built."""
    env = (root or Path(os.environ.get("HYBRID_REC_PEERS", data_home() / "peers"))) / "rectools-0.19.0"
    python = env / "bin" / "python"
    if (env / ".ready").is_file():
        return python
    log.info("creating RecTools' own environment at %s (once; a few minutes)", env)
    steps = [[sys.executable, "-m", "venv", str(env)],
             [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "torch==2.13.0"],
             [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", RECTOOLS]]  # fmt: skip
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise MissingExtraError(
                f"RecTools peers run in their own environment (numpy < 2), and building it failed at "
                f"`{' '.join(step[-1:])}`: {tail[0]}; build it by hand ({' && '.join(' '.join(s) for s in steps)}, "
                f"then touch {env / '.ready'}) or leave the RecTools methods out"
            )
    (env / ".ready").write_text(RECTOOLS + "\n")
    return python


class _RecToolsBase(StrictModel):
    python: str | None = Field(
        None, description="A Python that has RecTools 0.19 (default: the venv the harness builds under the cache)."
    )
    k: int = Field(100, gt=0, description="Items written per user (at least the evaluation's largest cut-off).")
    seed: int = Field(0, description="Seed of the model's initialisation and sampling.")


class EASEConfig(_RecToolsBase):
    """RecTools' EASE (Steck 2019: a closed-form item-item model with an L2 penalty)."""

    model: Literal["ease"] = Field("ease", description="Which RecTools model.")
    regularization: float = Field(500.0, gt=0, description="L2 penalty (lambda).")

    def params(self) -> dict[str, Any]:
        return {"regularization": self.regularization}


class RecToolsALSConfig(_RecToolsBase):
    """RecTools' wrapper of implicit's ALS: a cross-check of ours (same library underneath, RecTools'
    dataset handling and weighting around it)."""

    model: Literal["rectools_als"] = Field("rectools_als", description="Which RecTools model.")
    factors: int = Field(64, gt=0, description="Latent factors.")
    regularization: float = Field(0.1, ge=0, description="L2 penalty.")
    alpha: float = Field(1.0, gt=0, description="Confidence scale of the interaction weights.")
    iterations: int = Field(15, gt=0, description="ALS sweeps.")

    def params(self) -> dict[str, Any]:
        return {"factors": self.factors, "regularization": self.regularization, "alpha": self.alpha,
                "iterations": self.iterations, "random_state": self.seed}  # fmt: skip


class _SequentialConfig(_RecToolsBase):
    epochs: int = Field(5, gt=0, description="Training epochs (the most, with early stopping).")
    patience: int = Field(
        0, ge=0, description="Stop when the validation loss has not improved for this many epochs and restore the "
        "best epoch's weights (0: train all `epochs`). The loss is read on the last item of `val_users` users, "
        "held out of the fit.",
    )  # fmt: skip
    val_users: int = Field(512, gt=0, description="Users whose last item the early-stopping loss reads.")
    n_factors: int = Field(64, gt=0, description="Embedding size.")
    n_blocks: int = Field(2, gt=0, description="Transformer blocks.")
    n_heads: int = Field(2, gt=0, description="Attention heads.")
    session_max_len: int = Field(50, gt=1, description="Most recent items read per user.")
    lr: float = Field(1e-3, gt=0, description="Adam learning rate.")
    dropout_rate: float = Field(0.2, ge=0, lt=1, description="Dropout.")

    def params(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "seed": self.seed, "n_factors": self.n_factors, "n_blocks": self.n_blocks,
                "n_heads": self.n_heads, "session_max_len": self.session_max_len, "lr": self.lr,
                "dropout_rate": self.dropout_rate, "patience": self.patience, "val_users": self.val_users}  # fmt: skip


class SASRecConfig(_SequentialConfig):
    """RecTools' SASRec (Kang & McAuley 2018: self-attentive next-item prediction)."""

    model: Literal["sasrec"] = Field("sasrec", description="Which RecTools model.")


class BERT4RecConfig(_SequentialConfig):
    """RecTools' BERT4Rec (Sun et al. 2019: bidirectional masked-item training)."""

    model: Literal["bert4rec"] = Field("bert4rec", description="Which RecTools model.")


class RecToolsPeer:
    """A RecTools model fitted in its own environment; its written lists are served by `recommend`."""

    def __init__(self, config: EASEConfig | RecToolsALSConfig | SASRecConfig | BERT4RecConfig) -> None:
        self.config = config
        self._lists: dict[int, tuple[np.ndarray, np.ndarray]] | None = None
        self._info: dict[str, object] = {}

    def fit(self, train: Interactions, context: object = None) -> RecToolsPeer:
        cfg = self.config
        python = Path(cfg.python) if cfg.python else rectools_python()
        with tempfile.TemporaryDirectory(prefix="hybrid-rec-peer-") as tmp:
            folder = Path(tmp)
            ts = np.asarray(train.timestamp, np.float64)
            ts = np.where(np.isnan(ts), np.arange(len(ts), dtype=np.float64), ts)  # rows without a time: in order
            pd.DataFrame({"user_id": train.user, "item_id": train.item, "weight": train.weight,
                          "timestamp": ts}).to_csv(folder / "train.csv", index=False)  # fmt: skip
            pd.DataFrame({"user_id": np.unique(train.user)}).to_csv(folder / "users.csv", index=False)
            command = [str(python), str(RUNNER), "--train", str(folder / "train.csv"), "--users",
                       str(folder / "users.csv"), "--out", str(folder / "recs.csv"), "--model", cfg.model,
                       "--params", json.dumps(cfg.params()), "--k", str(cfg.k)]  # fmt: skip
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
                raise MissingExtraError(f"the RecTools {cfg.model} run failed ({python}):\n{tail}")
            lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
            self._info = {**(json.loads(lines[-1]) if lines else {}), "wall_seconds": time.perf_counter() - start}
            recs = pd.read_csv(folder / "recs.csv")
        recs = recs.sort_values(["user_id", "rank"], kind="stable")
        self._lists = {int(u): (g["item_id"].to_numpy(np.int64), g["score"].to_numpy(np.float64))
                       for u, g in recs.groupby("user_id", sort=False)}  # fmt: skip
        return self

    def recommend(self, users: np.ndarray, k: int, exclude: sp.csr_matrix) -> TopK:
        """The written lists of `users`, without their `exclude`d items (-1 / NaN padded)."""
        if self._lists is None:
            raise NotFittedError("RecToolsPeer is not fitted")
        exclude = sp.csr_matrix(exclude)
        items = np.full((len(users), k), -1, np.int64)
        scores = np.full((len(users), k), np.nan)
        empty = (np.empty(0, np.int64), np.empty(0))
        for r, u in enumerate(np.asarray(users, np.int64)):
            ids, values = self._lists.get(int(u), empty)
            keep = ~np.isin(ids, exclude.indices[exclude.indptr[r] : exclude.indptr[r + 1]])
            ids, values = ids[keep][:k], values[keep][:k]
            items[r, : len(ids)], scores[r, : len(ids)] = ids, values
        return TopK(items, scores)

    def learned(self) -> dict[str, object]:
        """The peer's library version and its own fit / recommend seconds."""
        return dict(self._info)
