"""Hybrid item tokens: each item's embedding = its learned id row + a learned projection of its text.

An item token's id row (GPT-2's ``wte`` row, tied to the head) is trained only when the item is a
target, so tail items carry little and items without interactions nothing. `ItemText` (the model's
``item_text`` submodule, saved with its weights in ``model.safetensors``) holds every item's text
vector (the sentence encoder's, computed once per item from its catalog text) and a learned
``Linear(text_dim, n_embd)``; the effective embedding of item i is

    E[base + i] = has_id[i] * wte[base + i] + proj(text[i])        (text tokens: E = wte)

used both to embed the input tokens and as the output head (`TokenEmbeddings`), in the spirit of
LLaRA's hybrid item tokens and UniSRec's text-based item codes. ``has_id`` is 0 for items without
training interactions (and for items added later), whose id rows were never trained: they are
scored from their text alone, the moment their text vector is known. `wte` and `lm_head` stay as
HF GPT-2 has them, so pretrained checkpoints load unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from transformers import GPT2LMHeadModel

from hybrid_rec.errors import ConfigError, DataError
from hybrid_rec.text.config import TextEncoderConfig, shared_encoder

PREFIX = "item_text."  # the submodule's keys in a saved state dict


class ItemText(torch.nn.Module):
    """Per item: its text vector and whether its id row is used (buffers), and the learned projection."""

    text: torch.Tensor  # [n_items, text dim] float, unit rows (zero: no text)
    has_id: torch.Tensor  # [n_items] 1.0 where the item's id row is part of its embedding, else 0.0

    def __init__(self, text: torch.Tensor, has_id: torch.Tensor, n_embd: int) -> None:
        super().__init__()
        if text.ndim != 2 or has_id.shape != (len(text),):
            raise ConfigError(f"item text vectors must be [n_items, dim] with one has_id each, got {tuple(text.shape)}")
        self.register_buffer("text", text.float().contiguous())
        self.register_buffer("has_id", has_id.float().contiguous())
        self.proj = torch.nn.Linear(text.shape[1], n_embd, bias=False)

    @property
    def n_items(self) -> int:
        return len(self.text)

    def combine(self, id_rows: torch.Tensor, items: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """Effective rows of `items` (any shape) from their id rows [..., n_embd]; `keep` [n_items]
        (training's id dropout): 0 leaves an item's id row out of this step."""
        proj = self.proj(self.text[items].to(self.proj.weight.dtype))
        has_id = self.has_id[items] if keep is None else self.has_id[items] * keep[items]
        return id_rows * has_id.to(id_rows.dtype).unsqueeze(-1) + proj

    @torch.no_grad()
    def grow(self, vectors: np.ndarray) -> None:
        """Append the text vectors of new items (their id rows unused: `has_id` 0)."""
        if vectors.ndim != 2 or vectors.shape[1] != self.text.shape[1]:
            raise ConfigError(f"new item text vectors must be [n, {self.text.shape[1]}], got {vectors.shape}")
        extra = torch.as_tensor(vectors, dtype=self.text.dtype, device=self.text.device)
        self.text = torch.cat([self.text, extra])
        self.has_id = torch.cat([self.has_id, self.has_id.new_zeros(len(extra))])

    @torch.no_grad()
    def set_text(self, items: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the text vectors of `items` (re-described items)."""
        self.text[torch.as_tensor(items, dtype=torch.long, device=self.text.device)] = torch.as_tensor(
            vectors, dtype=self.text.dtype, device=self.text.device
        )


def item_text_of(model: GPT2LMHeadModel) -> ItemText | None:
    """The model's `ItemText`, or None for a model with id-only item tokens."""
    module = getattr(model, "item_text", None)
    return module if isinstance(module, ItemText) else None


def attach_item_text(model: GPT2LMHeadModel, base_vocab_size: int, vectors: np.ndarray, has_id: np.ndarray) -> ItemText:
    """Give `model` hybrid item tokens: `vectors` [n_items, dim] (unit rows; zero: no text) and `has_id`
    (bool [n_items]: items whose id row is trained). The projection starts as a random map scaled so
    that its rows spread like the base vocabulary's, so similar texts start as similar tokens."""
    wte = model.transformer.wte.weight
    n_items = wte.shape[0] - base_vocab_size
    if len(vectors) != n_items or len(has_id) != n_items:
        raise ConfigError(f"item text: {len(vectors)} vectors / {len(has_id)} flags for {n_items} item tokens")
    module = ItemText(torch.as_tensor(vectors), torch.as_tensor(np.asarray(has_id, bool)), wte.shape[1])
    with torch.no_grad():
        module.proj.weight.normal_(0.0, float(wte.detach()[:base_vocab_size].std()))
    model.add_module("item_text", module.to(wte.device))
    return module


def start_id_rows(model: GPT2LMHeadModel, base_vocab_size: int, items: np.ndarray) -> np.ndarray:
    """Items that have interactions now (fine-tune targets) but no id row yet get one, starting at zero
    (their embedding does not change until it is trained); returns those items. No-op without text."""
    text = item_text_of(model)
    if text is None or not len(items):
        return np.empty(0, np.int64)
    items = np.unique(np.asarray(items, np.int64))
    fresh = items[text.has_id[torch.as_tensor(items, device=text.has_id.device)].cpu().numpy() == 0]
    with torch.no_grad():
        model.transformer.wte.weight[base_vocab_size + torch.as_tensor(fresh)] = 0.0
        text.has_id[torch.as_tensor(fresh, device=text.has_id.device)] = 1.0
    return fresh


def restore_item_text(model: GPT2LMHeadModel, state: Mapping[str, torch.Tensor]) -> None:
    """Before loading a saved `state` into a fresh `model`: an empty `ItemText` of the saved shapes
    when the state holds one (a model saved without it is left as it is)."""
    if PREFIX + "text" not in state:
        return
    text, proj = state[PREFIX + "text"], state.get(PREFIX + "proj.weight")
    if proj is None or PREFIX + "has_id" not in state:
        raise DataError("the saved LM's item_text weights are incomplete (text, has_id and proj.weight)")
    model.add_module("item_text", ItemText(torch.zeros_like(text), torch.zeros(len(text)), proj.shape[0]))


def encode_texts(texts: Sequence[str], config: TextEncoderConfig) -> np.ndarray:
    """[len(texts), dim] float32 unit rows of `texts` (an empty text: a zero row) by the configured encoder."""
    if not texts:
        return np.zeros((0, shared_encoder(config.model_dump_json()).dim), np.float32)
    return np.asarray(shared_encoder(config.model_dump_json()).encode(list(texts)), np.float32)


class ItemRows:
    """The item rows of the effective embedding matrix, computed only where read: ``rows[items]``
    (any integer tensor) or the whole ``matrix()`` (cached: later reads index it)."""

    def __init__(self, id_rows: torch.Tensor, text: ItemText | None, keep: torch.Tensor | None = None) -> None:
        self.id_rows, self.text, self.keep = id_rows, text, keep
        self._full: torch.Tensor | None = None  # the whole matrix once `matrix()` built it (with text)

    def __getitem__(self, items: torch.Tensor) -> torch.Tensor:
        if self.text is None:
            return self.id_rows[items]
        if self._full is not None:
            return self._full[items]
        return self.text.combine(self.id_rows[items], items, self.keep)

    @property
    def excluded(self) -> torch.Tensor | None:
        """bool [n_items]: the items that serve as no negative in the training softmaxes, those without
        an id row (no interactions in training); None when every item has one. Not having been used
        yet is no evidence against an item: training must not push its text down."""
        if self.text is None or bool((self.text.has_id > 0).all()):
            return None
        return self.text.has_id == 0

    def matrix(self) -> torch.Tensor:
        if self.text is None:
            return self.id_rows
        if self._full is None:
            every = torch.arange(len(self.id_rows), device=self.id_rows.device)
            self._full = self.text.combine(self.id_rows, every, self.keep)
        return self._full


class TokenEmbeddings:
    """The effective token embeddings E of `model` (see the module docstring): `tokens` embeds input
    ids, `items` reads item rows of the head, `text_rows` the text vocabulary's rows, `matrix` is all
    of E [vocabulary, n_embd]. Without `ItemText`, E is ``wte`` itself. `keep` (float [n_items], a
    training step's id dropout): items whose id row is left out of this step (0), as if text-only."""

    def __init__(self, model: GPT2LMHeadModel, base_vocab_size: int, keep: np.ndarray | None = None) -> None:
        self.wte = model.transformer.wte.weight
        self.base = base_vocab_size
        self.text = item_text_of(model)
        if self.text is not None and self.text.n_items != len(self.wte) - base_vocab_size:
            raise DataError(f"item_text holds {self.text.n_items} items, the model {len(self.wte) - base_vocab_size}")
        kept = None if keep is None or self.text is None else torch.as_tensor(keep, device=self.wte.device)
        self.items = ItemRows(self.wte[base_vocab_size:], self.text, kept)

    @property
    def text_rows(self) -> torch.Tensor:
        return self.wte[: self.base]

    def tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """[..., n_embd] input embeddings of token `ids`."""
        out = F.embedding(ids, self.wte)
        item = ids >= self.base
        if self.text is None or not bool(item.any()):
            return out
        return out.index_put((item,), self.items[ids[item] - self.base])

    def matrix(self) -> torch.Tensor:
        """E [vocabulary, n_embd]."""
        if self.text is None:
            return self.wte
        return torch.cat([self.text_rows, self.items.matrix()])

    def parameters_sum(self) -> torch.Tensor:
        """The sum of `ItemText`'s parameters (0 without it): a zero-weighted term that puts them in a graph."""
        if self.text is None:
            return self.wte.new_zeros(())
        return sum((p.sum() for p in self.text.parameters()), self.wte.new_zeros(()))
