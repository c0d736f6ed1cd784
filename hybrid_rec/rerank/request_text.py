"""The LM reads a request as a sentence: its encoder vector joins the prompt where the next item is read.

A request reaches the LM as tokens of the prompt ("the user asks for ..."); tokens a small model
has seen in few windows carry little, and a wording it never saw carries nothing. `RequestText`
(the model's ``request_text`` submodule, saved in ``model.safetensors``) is a learned
``Linear(text_dim, n_embd)`` from the request's sentence-encoder vector (the encoder of the item
texts, so requests and items share one space) to a vector added to the input embedding of the
prompt's last position, the one whose output distribution ranks the items, and a second one added
to that position's output hidden state (a direct request -> item term of the head). Paraphrases the encoder
places near each other (a pet, a dog, pet supplies) then steer the list alike, and a request the
intent parser cannot read still moves the LM. The projections start at zero, so a model behaves as
without them until intention windows train them (`hybrid_rec.verbalize.intentions`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from transformers import GPT2LMHeadModel

from hybrid_rec.errors import DataError
from hybrid_rec.rerank.item_text import encode_texts
from hybrid_rec.text.config import TextEncoderConfig, shared_encoder

PREFIX = "request_text."  # the submodule's keys in a saved state dict


class RequestText(torch.nn.Module):
    """The learned maps of request vectors [.., text dim] to offsets [.., n_embd]: ``proj`` of the last
    position's input embedding (the transformer reads the request with the history) and ``head`` of
    its output hidden state (a direct request -> item term in the head: ``head(v) . E_item``)."""

    def __init__(self, dim: int, n_embd: int) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(dim, n_embd, bias=False)
        self.head = torch.nn.Linear(dim, n_embd, bias=False)

    @property
    def dim(self) -> int:
        return self.proj.in_features

    def forward(self, vectors: torch.Tensor) -> torch.Tensor:
        """The input offset."""
        return self.proj(vectors.to(self.proj.weight.dtype))

    def output(self, vectors: torch.Tensor) -> torch.Tensor:
        """The output (hidden state) offset."""
        return self.head(vectors.to(self.head.weight.dtype))


def request_text_of(model: GPT2LMHeadModel) -> RequestText | None:
    """The model's `RequestText`, or None for a model that reads requests as tokens only."""
    module = getattr(model, "request_text", None)
    return module if isinstance(module, RequestText) else None


def attach_request_text(model: GPT2LMHeadModel, dim: int) -> RequestText:
    """Give `model` a `RequestText` of encoder width `dim`, starting at zero (no effect until trained)."""
    wte = model.transformer.wte.weight
    module = RequestText(dim, wte.shape[1])
    torch.nn.init.zeros_(module.proj.weight)
    torch.nn.init.zeros_(module.head.weight)
    model.add_module("request_text", module.to(wte.device))
    return module


def restore_request_text(model: GPT2LMHeadModel, state: Mapping[str, torch.Tensor]) -> None:
    """Before loading a saved `state` into a fresh `model`: an empty `RequestText` of the saved shape
    when the state holds one."""
    weight = state.get(PREFIX + "proj.weight")
    if weight is None:
        return
    if weight.ndim != 2 or PREFIX + "head.weight" not in state:
        raise DataError("the saved LM's request_text weights are incomplete (proj.weight and head.weight [n_embd, dim])")
    model.add_module("request_text", RequestText(weight.shape[1], weight.shape[0]))


class RequestVectors:
    """Sentence-encoder vectors of request texts, cached (most recent `capacity` texts): one encoder
    call per batch of new texts, whatever the number of rows asking the same thing."""

    def __init__(self, encoder: TextEncoderConfig, capacity: int = 10_000) -> None:
        self.encoder = encoder
        self.capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def dim(self) -> int:
        return int(shared_encoder(self.encoder.model_dump_json()).dim)

    def __call__(self, requests: Sequence[str | None]) -> np.ndarray | None:
        """[len(requests), dim] float32 (a zero row where there is no request); None when none has one."""
        if not any(requests):
            return None
        new = sorted({r for r in requests if r and r not in self._cache})
        if new:
            for text, vector in zip(new, encode_texts(new, self.encoder), strict=True):
                self._cache[text] = vector
        out = np.zeros((len(requests), self.dim), np.float32)
        for r, asked in enumerate(requests):
            if asked:
                out[r] = self._cache[asked]
                self._cache.move_to_end(asked)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        return out


MATCH_PREFIX = "request_match."  # `RequestMatch`'s keys in a saved state dict
SCALE_GAIN = 10.0  # the learned scale's fixed factor (`RequestMatch`)


class RequestMatch(torch.nn.Module):
    """A direct request x item-text term of the LM's item logits: for request vector v and item text
    vector t_j (the same encoder: one space),

        bias[v, j] = gain * scale * (v . t_j) + (query v) . (key t_j)

    added to item j's logit where the request is read. The encoder's own similarity (``scale``, a
    learned scalar) carries what the words already say ("a comedy" is near a text ending in
    "Comedy"; "sleep under the stars" near a tent), the low-rank learned part what training teaches
    beyond it (which categories a phrasing rejects). ``items`` holds every item's text vector
    (computed once, saved with the model, grown with the catalog). ``scale`` and ``query`` start at
    zero: no effect until intention windows train them. ``gain`` (`SCALE_GAIN`) is a fixed factor on
    the learned scalar so that the optimiser can move it as far as it needs (cosines differ by tenths;
    a logit gap that matters is several units) in the few hundred steps of a training run: an Adam
    step moves a parameter by about the learning rate, whatever its scale."""

    items: torch.Tensor  # [n_items, dim] unit rows (zero: no text)

    def __init__(self, items: torch.Tensor, rank: int) -> None:
        super().__init__()
        if items.ndim != 2:
            raise DataError(f"request match: item text vectors must be [n_items, dim], got {tuple(items.shape)}")
        self.register_buffer("items", items.float().contiguous())
        self.scale = torch.nn.Parameter(torch.zeros(()))
        self.query = torch.nn.Linear(items.shape[1], rank, bias=False)
        self.key = torch.nn.Linear(items.shape[1], rank, bias=False)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def keys(self) -> torch.Tensor:
        """[n_items, dim + rank]: each item's side of the bilinear term."""
        return torch.cat([self.items, self.key(self.items.to(self.key.weight.dtype))], dim=-1)

    def queries(self, vectors: torch.Tensor) -> torch.Tensor:
        """[n, dim + rank]: each request's side (a zero request vector: a zero row, no effect)."""
        v = vectors.to(self.query.weight.dtype)
        return torch.cat([SCALE_GAIN * self.scale * v, self.query(v)], dim=-1)

    def bias(self, vectors: torch.Tensor, n_items: int | None = None, keys: torch.Tensor | None = None) -> torch.Tensor:
        """[n, n_items] item-logit offsets of request `vectors` [n, dim] (`keys`: `keys()` computed
        before, e.g. cached by a scorer); items beyond the held text vectors (added by a path that gave
        none) get 0."""
        out = self.queries(vectors) @ (self.keys() if keys is None else keys).T
        if n_items is not None and n_items > out.shape[1]:
            out = torch.nn.functional.pad(out, (0, n_items - out.shape[1]))
        return out

    @torch.no_grad()
    def grow(self, vectors: np.ndarray) -> None:
        """Append new items' text vectors (they are matched from their text at once)."""
        extra = torch.as_tensor(np.asarray(vectors, np.float32), device=self.items.device)
        if extra.ndim != 2 or extra.shape[1] != self.items.shape[1]:
            raise DataError(f"new item text vectors must be [n, {self.items.shape[1]}], got {tuple(extra.shape)}")
        self.items = torch.cat([self.items, extra])

    @torch.no_grad()
    def set_text(self, items: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the text vectors of re-described `items`."""
        index = torch.as_tensor(np.asarray(items, np.int64), device=self.items.device)
        self.items[index] = torch.as_tensor(np.asarray(vectors, np.float32), device=self.items.device)


def request_match_of(model: GPT2LMHeadModel) -> RequestMatch | None:
    """The model's `RequestMatch`, or None (no catalog text, or a model saved before it)."""
    module = getattr(model, "request_match", None)
    return module if isinstance(module, RequestMatch) else None


def attach_request_match(model: GPT2LMHeadModel, vectors: np.ndarray, rank: int, seed: int = 0) -> RequestMatch:
    """Give `model` a `RequestMatch` over items' text `vectors` [n_items, dim]; `key` a seeded random
    map (so `query` has a gradient), `scale` and `query` zero (no effect until trained)."""
    module = RequestMatch(torch.as_tensor(np.asarray(vectors, np.float32)), rank)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        torch.nn.init.zeros_(module.query.weight)
        module.key.weight.copy_(torch.randn(module.key.weight.shape, generator=generator) / np.sqrt(vectors.shape[1]))
    model.add_module("request_match", module.to(model.transformer.wte.weight.device))
    return module


def restore_request_match(model: GPT2LMHeadModel, state: Mapping[str, torch.Tensor]) -> None:
    """Before loading a saved `state` into a fresh `model`: an empty `RequestMatch` of the saved shapes
    when the state holds one."""
    items = state.get(MATCH_PREFIX + "items")
    if items is None:
        return
    query = state.get(MATCH_PREFIX + "query.weight")
    if query is None or MATCH_PREFIX + "key.weight" not in state or MATCH_PREFIX + "scale" not in state:
        raise DataError("the saved LM's request_match weights are incomplete (items, scale, query and key)")
    model.add_module("request_match", RequestMatch(torch.zeros_like(items), query.shape[0]))
