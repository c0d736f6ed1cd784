"""A `GPT2Reranker`'s files: ``reranker.json`` + ``model/`` (safetensors) + ``tokenizer/`` + ``state.npz``
(user and item ids, histories). No pickle; every file checksummed by `hybrid_rec.persist`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from transformers import GPT2LMHeadModel

from hybrid_rec.data.ids import IdMap
from hybrid_rec.persist import load_arrays, load_config, save_arrays, save_config
from hybrid_rec.rerank.model import load_saved, resolve_device, save_pretrained
from hybrid_rec.rerank.reranker_config import RerankerConfig
from hybrid_rec.rerank.tokenizer import RecTokenizer


@dataclass(frozen=True)
class SavedReranker:
    """What a reranker directory holds, read back (the model already on the configured device)."""

    config: RerankerConfig
    model: GPT2LMHeadModel
    tokenizer: RecTokenizer
    users: IdMap
    items: IdMap
    histories: dict[int, np.ndarray]


def write_reranker(directory: str | Path, saved: SavedReranker) -> None:
    """Write `saved` under `directory` (created if missing)."""
    directory = save_config(directory, saved.config, "reranker.json")
    save_pretrained(saved.model, directory / "model")
    saved.tokenizer.save(directory / "tokenizer")
    histories = saved.histories
    users = np.fromiter(histories.keys(), np.int64, len(histories))
    lengths = np.array([len(histories[u]) for u in users], np.int64)
    flat = np.concatenate([histories[u] for u in users]) if len(users) else np.empty(0, np.int64)
    save_arrays(
        directory / "state.npz",
        user_ids=saved.users.to_array(),
        item_ids=saved.items.to_array(),
        hist_users=users,
        hist_lengths=lengths,
        hist_items=flat,
    )


def read_reranker(directory: str | Path) -> SavedReranker:
    """Read what `write_reranker` wrote (checksums and the config's fields checked on the way)."""
    config = load_config(directory, RerankerConfig, "reranker.json", what="GPT2Reranker")
    directory = Path(directory)
    z = load_arrays(directory / "state.npz")
    histories = dict(
        zip(z["hist_users"].tolist(), np.split(z["hist_items"], np.cumsum(z["hist_lengths"])[:-1]), strict=True)
    )
    device, dtype = resolve_device(config.lm)
    model = load_saved(directory / "model").to(device, dtype)  # type: ignore[arg-type]  # transformers types .to via functools.wraps
    tokenizer = RecTokenizer.load(directory / "tokenizer")
    return SavedReranker(config, model, tokenizer, IdMap(z["user_ids"], name="user"), IdMap(z["item_ids"], name="item"),
                         histories)  # fmt: skip
