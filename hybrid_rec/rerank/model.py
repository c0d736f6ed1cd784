"""The reranker's language model: a GPT-2 built from a config or loaded with `from_pretrained`."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Literal, cast

import numpy as np
import torch
from pydantic import Field, model_validator
from safetensors import SafetensorError
from safetensors.torch import load_file
from transformers import GPT2Config, GPT2LMHeadModel

from hybrid_rec._progress import hf_progress
from hybrid_rec.candidates.cold import ridge
from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.rerank.item_text import item_text_of, restore_item_text
from hybrid_rec.rerank.request_text import restore_request_match, restore_request_text
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.text.config import TextEncoderConfig

log = logging.getLogger(__name__)


class LMConfig(StrictModel):
    """GPT-2 size (when trained here) or a pretrained checkpoint, plus device, dtype and threads.

    The default size trains on 2 CPU cores in minutes. ``pretrained`` is a local directory or hub
    name; its embeddings are resized for the item tokens. ``threads`` sets torch's intra-op threads
    (1 measured fastest for small models on 2 shared cores).
    """

    pretrained: str | None = Field(
        None,
        description="A GPT-2 checkpoint to start from (local directory or hub name; safetensors only); "
        "unset: a fresh GPT-2 of the size below.",
    )
    n_layer: int = Field(2, gt=0, description="Transformer layers of a fresh model.")
    n_head: int = Field(2, gt=0, description="Attention heads per layer of a fresh model (must divide n_embd).")
    n_embd: int = Field(128, gt=0, description="Hidden size of a fresh model.")
    n_positions: int = Field(
        256, gt=8, description="Longest token sequence of a fresh model; longer prompts lose their oldest history."
    )
    dropout: float = Field(0.3, ge=0, lt=1, description="Residual, embedding and attention dropout of a fresh model.")
    init_items_from_als: bool = Field(
        True, description="Start the item-token embeddings from the ALS item factors (random projection)."
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where the LM trains and scores: 'auto' uses CUDA when present, else the CPU."
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Scoring precision: 'auto' is bf16 (or fp16) on CUDA and fp32 on the CPU."
    )
    threads: int = Field(
        1, ge=0, description="torch intra-op threads (1 measured fastest on 2 shared cores; 0 = torch's default)."
    )
    seed: int = Field(0, description="Seed of the weight initialisation.")
    item_text: bool = Field(
        False,
        description="Hybrid item tokens: each item's input and output embedding = its learned id row (items with "
        "training interactions) + a learned projection of its catalog text's sentence-encoder vector (computed once "
        "per item, saved with the model), so tail, cold and newly added items are scored from their text at once. "
        "Needs a catalog (without one the item tokens stay id-only). Off by default: on ML-100K it lifts the "
        "hybrid's tail items but not the LM alone nor cold items (docs/benchmark-history.md, 'Items as id + text').",
    )
    request_text: bool = Field(
        True,
        description="The LM reads each request as a sentence too: its encoder vector, through a learned projection, "
        "joins the prompt's last position (where the next item is read), trained on the intention windows; so "
        "paraphrases steer alike and a request the intent parser cannot read still moves the LM "
        "(`hybrid_rec.rerank.request_text`).",
    )
    request_match: int = Field(
        64,
        ge=0,
        description="With `request_text` and a catalog: a direct request x item-text term of the item logits, "
        "scale * (request . item text) + a learned rank-`request_match` bilinear map, so the LM alone ranks the "
        "items whose text answers the request (`RequestMatch`); 0 = off.",
    )
    item_text_encoder: TextEncoderConfig = Field(
        default_factory=TextEncoderConfig,
        description="The sentence encoder of item texts (when `item_text` is on) and of requests (when "
        "`request_text` is on): one space for both ('auto': MiniLM when installed).",
    )

    @model_validator(mode="after")
    def _heads_divide_width(self) -> LMConfig:
        if self.pretrained is None and self.n_embd % self.n_head:
            raise ValueError(f"n_head ({self.n_head}) must divide n_embd ({self.n_embd})")
        return self


def resolve_device(config: LMConfig) -> tuple[torch.device, torch.dtype]:
    """``auto``: CUDA when present (bf16 if supported, else fp16), otherwise CPU in fp32."""
    if config.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("LMConfig.device='cuda' but torch sees no CUDA device; use 'cpu' or 'auto'")
    device = torch.device(
        "cuda" if config.device == "cuda" or (config.device == "auto" and torch.cuda.is_available()) else "cpu"
    )
    if config.dtype != "auto":
        return device, getattr(torch, config.dtype)
    if device.type == "cuda":  # pragma: no cover - no GPU in CI
        return device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return device, torch.float32


def set_threads(config: LMConfig) -> None:
    if config.threads:
        torch.set_num_threads(config.threads)


def build_model(config: LMConfig, tokenizer: RecTokenizer, item_factors: np.ndarray | None = None) -> GPT2LMHeadModel:
    """A fresh GPT-2 sized by `config` (or the pretrained one, resized) with one embedding per token."""
    torch.manual_seed(config.seed)
    if config.pretrained:
        model = load_pretrained(config.pretrained)
        model.resize_token_embeddings(tokenizer.vocab_size, mean_resizing=False)  # rows set by the caller
    else:
        model = GPT2LMHeadModel(
            GPT2Config(
                vocab_size=tokenizer.vocab_size,
                n_positions=config.n_positions,
                n_embd=config.n_embd,
                n_layer=config.n_layer,
                n_head=config.n_head,
                resid_pdrop=config.dropout,
                embd_pdrop=config.dropout,
                attn_pdrop=config.dropout,
                bos_token_id=tokenizer.eos_id,
                eos_token_id=tokenizer.eos_id,
                pad_token_id=tokenizer.eos_id,
            )
        )
    if config.init_items_from_als and item_factors is not None:
        init_item_embeddings(model, tokenizer, item_factors, config.seed)
    return model


_LOADING = threading.Lock()


def load_pretrained(path_or_name: str | Path, *, progress: bool = False) -> GPT2LMHeadModel:
    """`GPT2LMHeadModel.from_pretrained` (safetensors only: loading never runs pickled code);
    transformers' "Loading weights" bar only with ``progress=True``. One load at a time in the
    process: from_pretrained patches torch globally while it builds the model on the meta device,
    so two concurrent loads can leave "meta tensor" weights behind."""
    try:
        with _LOADING, hf_progress(progress):
            return GPT2LMHeadModel.from_pretrained(str(path_or_name), use_safetensors=True)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load a GPT-2 checkpoint from {path_or_name!r}: {exc}") from exc


def load_saved(directory: str | Path) -> GPT2LMHeadModel:
    """A GPT-2 this project saved (`save_pretrained`: ``config.json`` + ``model.safetensors``), built
    directly on the CPU and filled from the safetensors file, without `from_pretrained`'s meta-device
    construction, which a serving process reloading while it answers requests cannot rely on (it
    left ``lm_head`` on the meta device in about 1 of 12 loads next to scoring threads). Tied output
    embeddings are re-tied; any other missing or unexpected weight is a `DataError`. A model saved
    with hybrid item tokens gets its `ItemText` back (`restore_item_text`)."""
    directory = Path(directory)
    weights = directory / "model.safetensors"
    if not (directory / "config.json").is_file() or not weights.is_file():
        raise DataError(f"{directory}: missing config.json or model.safetensors; not a saved reranker LM")
    try:
        config = GPT2Config.from_json_file(str(directory / "config.json"))
        state = load_file(str(weights))
    except (OSError, ValueError, SafetensorError) as exc:
        raise DataError(f"{directory}: cannot read the saved LM ({exc})") from None
    with hf_progress(False):
        model = GPT2LMHeadModel(config)
    try:
        restore_item_text(model, state)
        restore_request_text(model, state)
        restore_request_match(model, state)
    except (ConfigError, DataError) as exc:
        raise DataError(f"{weights}: {exc}") from None
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = {"lm_head.weight"} if config.tie_word_embeddings else set()
    if set(missing) - tied or unexpected:
        raise DataError(f"{weights}: weights do not match the model (missing {missing}, unexpected {unexpected})")
    model.tie_weights()
    if any(p.is_meta for p in model.parameters()):  # pragma: no cover - built on the CPU above
        raise DataError(f"{directory}: the loaded LM has weights without data")
    return model.eval()


def save_pretrained(model: GPT2LMHeadModel, directory: str | Path, *, progress: bool = False) -> None:
    """`model.save_pretrained(directory)` (safetensors); transformers' bar only with ``progress=True``."""
    with hf_progress(progress):
        model.save_pretrained(str(directory))


def init_item_embeddings(model: GPT2LMHeadModel, tokenizer: RecTokenizer, factors: np.ndarray, seed: int) -> None:
    """Item-token embeddings <- ALS item factors through a random projection, scaled to the
    embedding table's spread, so the LM starts from collaborative similarity."""
    emb = cast(torch.nn.Embedding, model.get_input_embeddings()).weight  # transformers types it as nn.Module
    n, f = factors.shape
    if n != tokenizer.n_items:
        raise ConfigError(f"item factors have {n} rows, the tokenizer {tokenizer.n_items} items")
    rng = np.random.default_rng(seed)
    projected = factors @ rng.standard_normal((f, emb.shape[1])) / np.sqrt(f)
    scale = float(emb.detach()[: tokenizer.base_vocab_size].std()) / max(float(projected.std()), 1e-8)
    with torch.no_grad():
        emb[tokenizer.base_vocab_size :] = torch.as_tensor(projected * scale, dtype=emb.dtype)


def predict_item_embeddings(
    model: GPT2LMHeadModel,
    tokenizer: RecTokenizer,
    features: np.ndarray,
    learned: np.ndarray,
    regularization: float,
    targets: np.ndarray | None = None,
) -> np.ndarray:
    """Item-token embeddings of `targets` (default: the items not in `learned`) <- a ridge regression
    from item `features` ([n_items, d]; d may be 0: the mean) to the trained embeddings of the `learned`
    items (bool [n_items]): items the LM never saw as targets get the embedding their text predicts.
    With hybrid item tokens the regression predicts the id row (the part of the embedding the text
    projection does not give; fitted on the items with a trained one) and the targets' id rows are
    used from then on. Returns the internal ids that were set."""
    emb = cast(torch.nn.Embedding, model.get_input_embeddings()).weight
    learned = np.asarray(learned, bool)
    if len(learned) != tokenizer.n_items or len(features) != tokenizer.n_items:
        raise ConfigError(f"item features / mask must have one row per item token ({tokenizer.n_items})")
    text = item_text_of(model)
    if text is not None:
        learned = learned & (text.has_id.detach().cpu().numpy() > 0)
    targets = np.flatnonzero(~learned) if targets is None else np.asarray(targets, np.int64)
    if not len(targets) or learned.sum() < 2:
        return np.empty(0, np.int64)
    rows = emb.detach()[tokenizer.base_vocab_size : tokenizer.vocab_size].float().cpu().numpy()
    weights = ridge(features[learned], rows[learned], regularization)
    predicted = np.hstack([features[targets], np.ones((len(targets), 1), features.dtype)]) @ weights
    with torch.no_grad():
        emb[tokenizer.base_vocab_size + targets] = torch.as_tensor(predicted, dtype=emb.dtype, device=emb.device)
        if text is not None:
            text.has_id[torch.as_tensor(targets, device=text.has_id.device)] = 1.0
    return targets


def grow_item_tokens(
    model: GPT2LMHeadModel, tokenizer: RecTokenizer, n_items: int, text_vectors: np.ndarray | None = None
) -> np.ndarray:
    """Room for `n_items` item tokens (new ones appended after the existing ones, which keep their
    ids); returns the new internal item ids. A model with hybrid item tokens needs the new items'
    `text_vectors` ([n new, text dim]): they are scored from them at once. The id rows of the new
    tokens are left to the caller (`predict_item_embeddings`; unused with item text)."""
    new = np.arange(tokenizer.n_items, n_items)
    text = item_text_of(model)
    if len(new) and text is not None and (text_vectors is None or len(text_vectors) != len(new)):
        raise ConfigError(f"grow_item_tokens: pass text_vectors for the {len(new)} new items (the LM reads item text)")
    if len(new):
        tokenizer.n_items = n_items
        model.resize_token_embeddings(tokenizer.vocab_size, mean_resizing=False)  # rows set by the caller
        if text is not None and text_vectors is not None:
            text.grow(text_vectors)
    return new
