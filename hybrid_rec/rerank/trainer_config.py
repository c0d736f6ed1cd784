"""`TrainerConfig`: the options of the reranker LM's instruction tuning (`rerank.trainer`), in a module of its own so
that the losses and the reranker's config read it without importing the trainer."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import Field, model_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.verbalize.intentions import KINDS, Kind

__all__ = ["TrainerConfig"]

log = logging.getLogger("hybrid_rec.rerank.trainer")


class TrainerConfig(StrictModel):
    epochs: int = Field(12, gt=0, description="Most epochs (early stopping may end training sooner).")
    batch_size: int = Field(
        64, gt=0, description="Training windows per optimizer step (under DDP the global batch, shared by the ranks)."
    )
    lr: float = Field(1e-3, gt=0, description="Peak AdamW learning rate (linear warm-up, then linear decay).")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay.")
    warmup_steps: int = Field(50, ge=0, description="Optimizer steps of linear learning-rate warm-up.")
    lm_weight: float = Field(0.1, ge=0, description="Weight of the causal-LM loss on the instruction's text tokens.")
    listwise_weight: float = Field(
        1.0, ge=0, description="Weight of the softmax over all item tokens for the true next item, at every position."
    )
    hard_negative_weight: float = Field(
        0.2, ge=0, description="Weight of the true next item against the user's first-stage hard negatives (0 = off)."
    )
    hard_negatives: int = Field(50, ge=0, description="Hard negatives sampled per window for that loss.")
    intentions_per_user: float = Field(
        1.0,
        ge=0,
        description="Intention windows per user (the fraction as a chance of one more), each at a random point of "
        "the history, with a request written from the catalog for its target; added to the implicit windows. 0 = off.",
    )
    intention_history: int = Field(
        50, gt=0, description="Most recent history items in an intention window's prompt (shorter: cheaper)."
    )
    round_windows_per_user: float = Field(
        0.0,
        ge=0,
        description="Simulated-round windows per user (the fraction as a chance of one more): at a random point of "
        "the history, `round_shown` of the user's first-stage candidates are 'shown', a simulated user with the next "
        "item as its target clicks (or says 'more / less like') the one whose categories are most (least) like it, "
        "and the window's prompt carries those reactions; the target is the next item, the passed-over ones its hard "
        "negatives. The LM then reads a session's reactions in its prompt. Experimental, off by default: on ML-100K it "
        "made the LM alone worse after reactions (clicks 0.79x of paging) and did not help the hybrid "
        "(docs/benchmark-history.md). 0 = off (needs catalog categories).",
    )
    round_shown: int = Field(10, ge=2, description="Items a simulated training round shows.")
    intention_kinds: list[Kind] = Field(
        default_factory=lambda: list(KINDS),
        min_length=1,
        description="What training requests say (`hybrid_rec.verbalize.intentions`): 'category', 'like' (an earlier "
        "title), 'negative' (a rejected category), 'period' (a decade), 'combination'.",
    )
    item_id_dropout: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="With hybrid item tokens (lm.item_text): the share of items whose id row is left out of each "
        "training step, so that they are read from their text alone, as items without interactions are (DropoutNet's "
        "trick): the text projection learns to stand on its own. 0 = off.",
    )
    sampled_softmax_above: int = Field(
        20_000,
        ge=0,
        description="Catalogs with more items than this train the listwise loss on a sampled softmax (the batch's "
        "targets + `sampled_negatives` drawn by popularity, logQ-corrected) instead of the full one, so a step's "
        "cost does not grow with the catalog; the full softmax (best where it is cheap) below.",
    )
    sampled_negatives: int = Field(
        4096, gt=0, description="Negatives drawn per step for the sampled softmax (shared by the whole batch)."
    )
    sampling_power: float = Field(
        0.75, ge=0, le=1, description="Negatives are drawn with probability proportional to count ** power (0 = uniform)."
    )
    windows_per_epoch: int | None = Field(
        None,
        gt=0,
        description="Train each epoch on a fresh seeded uniform sample of this many windows (all windows when unset "
        "or when there are fewer): bounds an epoch's cost on big data; the learning-rate schedule counts sampled steps.",
    )
    patience: int = Field(3, ge=1, description="Stop after this many epochs without a better validation NDCG@10.")
    max_minutes: float | None = Field(
        None, gt=0, description="Wall-clock budget in minutes: no epoch starts after it; unset: no limit."
    )
    seed: int = Field(0, description="Seed of example order, negative sampling and dropout (runs are reproducible).")

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        """Models saved before intention windows were drawn per user carry ``intention_fraction``
        (a share of windows): it no longer applies and is dropped when such a model loads."""
        if isinstance(data, dict) and "intention_fraction" in data:
            log.warning("trainer.intention_fraction is replaced by trainer.intentions_per_user; ignored")
            data = {k: v for k, v in data.items() if k != "intention_fraction"}
        return data
