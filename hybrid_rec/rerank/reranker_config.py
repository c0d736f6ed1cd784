"""`RerankerConfig` (the LM reranker's options) and `sequences_of` (the histories its prompts read)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.rerank.model import LMConfig
from hybrid_rec.rerank.trainer_config import TrainerConfig
from hybrid_rec.verbalize.verbalizer import VerbalizerConfig


class RerankerConfig(StrictModel):
    """The LM reranker: tokenizer, model, verbalizer, training and scoring options."""

    tokenizer: str = Field(
        "bpe",
        description="'bpe' (a byte-level BPE trained on the catalog and template text) or a pretrained "
        "tokenizer's path / hub name; one token per item is added either way.",
    )
    bpe_vocab_size: int = Field(2000, gt=256, description="Vocabulary size of the trained BPE, item tokens aside.")
    lm: LMConfig = Field(default_factory=LMConfig, description="The language model: size or checkpoint, device.")
    verbalizer: VerbalizerConfig = Field(
        default_factory=VerbalizerConfig, description="How users and candidates are written as instructions."
    )
    trainer: TrainerConfig = Field(default_factory=TrainerConfig, description="Instruction tuning of the LM.")
    reduction: Literal["item", "sum", "mean"] = Field(
        "item",
        description="Candidate score: 'item' (log p of its item token; one forward pass per user) or the "
        "'sum' / 'mean' log p of its whole continuation (item token and title).",
    )
    batch_size: int = Field(64, gt=0, description="Candidate continuations scored per forward pass (sum / mean).")

    @model_validator(mode="after")
    def _text_needs_a_sum(self) -> RerankerConfig:
        if self.verbalizer.continuation != "item" and self.reduction == "item":
            raise ValueError(
                f"verbalizer.continuation={self.verbalizer.continuation!r} is scored as a whole: "
                "set reduction = 'sum' or 'mean'"
            )
        return self


def sequences_of(interactions: Interactions) -> dict[int, np.ndarray]:
    """Each user's items (internal ids), oldest first (ties by input row order)."""
    order = np.lexsort((np.arange(len(interactions)), interactions.timestamp, interactions.user))
    users, items = interactions.user[order], interactions.item[order]
    cuts = np.flatnonzero(np.diff(users)) + 1
    return {
        int(u[0]): it.astype(np.int64)
        for u, it in zip(np.split(users, cuts), np.split(items, cuts), strict=True)
        if len(u)
    }
