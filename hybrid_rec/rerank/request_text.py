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
