"""The learned stance model: for a request and a thing, P(the request is about it) and its stance if so.

A small transformer head reads the request's token states, each marked with its similarity to the thing,
behind the thing's sentence vector as a first token, and answers there: whether the request is about the
thing, and if so whether it is wanted, rejected or only mentioned. The states come from the pretrained
encoder (MiniLM, run once per request) whose top layers the head holds a fine-tuned copy of
(`StanceConfig.tuned_layers`); the marks come from the encoder's own, untouched last layer, in the space
the things' vectors are in. The encoder carries the words' meaning; the head learns how stance is *said*
from the grammar (`stance.grammar`), over many kinds of catalog. The two answers are calibrated by a
temperature each, fitted on requests about kinds of catalog held out of training.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, model_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.errors import ConfigError
from hybrid_rec.text.minilm import run_layers

__all__ = ["StanceConfig", "StanceHead", "parts", "softmax", "three_way"]


class StanceConfig(StrictModel):
    """The stance model's size and training; a change of any field builds a new cached model."""

    width: int = Field(128, gt=0, description="Width of the head's transformer layers.")
    layers: int = Field(2, gt=0, description="Transformer layers of the head.")
    heads: int = Field(4, gt=0, description="Attention heads per layer (must divide `width`).")
    dropout: float = Field(0.1, ge=0, lt=1, description="Dropout in the head while training.")
    requests: int = Field(12000, gt=0, description="Requests synthesized by the grammar for training.")
    situations: bool = Field(
        False,
        description="Also train on needs told as their situation ('i got soaked walking to work again': a wish for what "
        "would help, naming neither it nor its category; `stance.situations`). Measured on held-out set 5: needs read "
        "better (share in the asked category 0.72 -> 0.82) but more rejections read as wishes (5 -> 10 of 73), so off by "
        "default (docs/benchmark-history.md).",
    )
    validation_kinds: int = Field(
        2,
        gt=0,
        description="Kinds of catalog of the lexicon held out of training (drawn by `seed`): requests about their "
        "things calibrate the two temperatures and measure the model on values it never saw. Every form is trained.",
    )
    tuned_layers: int = Field(
        2,
        ge=0,
        le=5,
        description="The encoder's top layers each head fine-tunes (a copy: the item texts' vectors keep the pretrained "
        "encoder); 0 reads the frozen last layer. On the development wordings (docs/benchmark-history.md, session 17), "
        "one head with 2 tuned layers against today's two frozen heads: wishes read right 890 -> 940, rejections "
        "excluded 338 -> 398, wrong signs 75 -> 76; about twice the build time per head.",
    )
    tuned_lr: float = Field(5e-5, gt=0, description="AdamW learning rate of the tuned encoder layers.")
    epochs: int = Field(6, gt=0, description="Passes over the training requests' targets.")
    batch_size: int = Field(64, gt=0, description="Requests per training step (each with all its targets).")
    lr: float = Field(2e-3, gt=0, description="AdamW learning rate.")
    seed: int = Field(0, description="Seed of the corpus, the split and the head's initialisation.")
    members: int = Field(
        1,
        gt=0,
        description="Heads trained alike, each on its own corpus sample and initialisation (seeds `seed`, `seed` + "
        "1000, ...); a reading is the mean of their calibrated probabilities, so a form one head misreads by chance is "
        "read less surely. Frozen heads (session 15): two against one, wishes read as rejections 32 -> 14. One tuned "
        "head reads better than two frozen ones (`tuned_layers`) in about the same build time (747 s on session 18's "
        "machine, where the corpus before two-clause compositions took 490 s); each head adds its time.",
    )

    @model_validator(mode="before")
    @classmethod
    def _saved_before_tuned_layers(cls, data: Any) -> Any:
        """A config saved before `tuned_layers` existed (every field of then, none since): the default of then is
        today's default; any other keeps the frozen heads it was built with."""
        if isinstance(data, dict) and set(data) == set(_DEFAULT_BEFORE_TUNING):
            return {} if data == _DEFAULT_BEFORE_TUNING else {**data, "tuned_layers": 0}
        return data


# the whole default config as saved before `tuned_layers` (session 16)
_DEFAULT_BEFORE_TUNING = {"width": 128, "layers": 2, "heads": 4, "dropout": 0.1, "requests": 12000, "situations": False,
                          "validation_kinds": 2, "epochs": 6, "batch_size": 64, "lr": 0.002, "seed": 0, "members": 2}  # fmt: skip


def _torch() -> Any:
    import torch

    return torch


def StanceHead(dim: int, config: StanceConfig, top: Any = None) -> Any:  # a factory of a torch module (torch late)
    """The head as a torch module: ``forward(states, mask, targets, target_mask, pooled) -> logits [B, K, 4]``:
    whether the request is about the target (one logit), and its stance if it is (wanted, rejected, mentioned).

    Each (request, target) pair is one sequence: the target's vector as a first token, then the request's
    token states, each marked with its similarity to the target (where the request speaks of it), so the
    layers read the words around *that* mention; the answer is read at the first token. A target's answer
    never depends on which other targets were asked about. With `config.tuned_layers`, `top` is the head's copy
    of the encoder's top layers (`MiniLMEncoder.top_layers`) and `states` [B, T, 2 * dim] hold each token's state
    below them, then its last state (`encode_tokens(below=...)`): the words are read through the tuned copy, the
    marks from the untouched last layer."""
    torch = _torch()
    nn = torch.nn
    if bool(config.tuned_layers) != (top is not None):
        raise ConfigError("StanceHead: give `top` (the encoder's top layers) exactly when config.tuned_layers > 0")

    class _Head(nn.Module):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            w = config.width
            self.inp = nn.Linear(dim, w)
            self.tgt = nn.Linear(dim, w)
            self.mark = nn.Sequential(nn.Linear(2, w), nn.Tanh(), nn.Linear(w, w))  # a token's closeness to the target
            self.pos = nn.Embedding(66, w)
            layer = nn.TransformerEncoderLayer(w, config.heads, 2 * w, config.dropout, batch_first=True, norm_first=True)
            self.body = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(w + 2)
            self.out = nn.Linear(w + 2, 4)  # about (a logit), then the stance: wanted, rejected, mentioned
            if top is not None:  # registered last: the layers above are initialised as without it
                self.top = top

        def forward(self, states: Any, mask: Any, targets: Any, target_mask: Any, pooled: Any) -> Any:
            b, k = targets.shape[:2]
            t = states.shape[1]
            last = states[..., states.shape[-1] - dim :]  # the encoder's own last layer: the marks
            words = run_layers(self.top, states[..., :dim], mask) if top is not None else last
            row, col = target_mask.nonzero(as_tuple=True)  # one sequence per asked target
            s, m, tv = words[row], mask[row], targets[row, col]
            unit = torch.nn.functional.normalize(last[row], dim=-1)
            sims = torch.einsum("ntd,nd->nt", unit, tv).masked_fill(~m, -1.0)
            rank = sims - sims.amax(1, keepdim=True)  # 0 at the closest token
            positions = torch.arange(1, t + 1, device=states.device).clamp(max=65)
            x = self.inp(s) + self.pos(positions)[None] + self.mark(torch.stack([sims, rank], -1))
            first = self.tgt(tv) + self.pos.weight[0]
            seq = torch.cat([first[:, None], x], 1)
            pad = torch.cat([torch.zeros_like(m[:, :1]), ~m], 1)  # True: padding
            h = self.body(seq, src_key_padding_mask=pad)[:, 0]
            to_sentence = (tv * pooled[row]).sum(-1, keepdim=True)
            to_token = sims.amax(1, keepdim=True)
            logits = self.out(self.norm(torch.cat([h, to_sentence, to_token], -1)))
            out = logits.new_zeros(b, k, 4)
            out[row, col] = logits
            return out

    return _Head()


def parts(logits: np.ndarray, about_temperature: float = 1.0, stance_temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(P(about) [n], P(stance | about) [n, 3]) from the head's logits [n, 4]."""
    about = 1.0 / (1.0 + np.exp(-logits[:, 0] / about_temperature))
    return about, softmax(logits[:, 1:], stance_temperature)


def three_way(about: np.ndarray, stance: np.ndarray) -> np.ndarray:
    """[n, 3]: P(wanted), P(rejected), P(neither: not about it, or only mentioned)."""
    wanted, rejected = about * stance[:, 0], about * stance[:, 1]
    return np.stack([wanted, rejected, 1.0 - wanted - rejected], 1)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of `logits` / `temperature`."""
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
