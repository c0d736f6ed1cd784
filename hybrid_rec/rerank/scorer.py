"""Log-likelihood scoring of candidates given an instruction, with the prompt's KV cache reused.

Three reductions: ``item`` (log p of the candidate's item token: all candidates of a prompt are read
from one next-token distribution, and a whole catalog costs one forward pass), ``sum`` and ``mean``
(log p of the whole continuation, e.g. ``<item> Title (Year)``, summed or averaged over its
tokens). For ``sum``/``mean`` the prompt is encoded once and its KV cache is shared by batches of
candidate continuations. Tokens are embedded, and logits read, through the model's effective
embeddings (`TokenEmbeddings`: id rows + the item-text part of hybrid item tokens), computed once
per scorer (a scorer is rebuilt after the weights change).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from transformers import GPT2LMHeadModel

from hybrid_rec.errors import ConfigError
from hybrid_rec.rerank.item_text import TokenEmbeddings
from hybrid_rec.rerank.request_text import request_match_of, request_text_of
from hybrid_rec.rerank.tokenizer import RecTokenizer

Reduction = Literal["item", "sum", "mean"]
# transformers 5 renamed `past_key_values` to `cache` (argument and output field).
_CACHE = "cache" if "cache" in inspect.signature(GPT2LMHeadModel.forward).parameters else "past_key_values"


class LMScorer:
    """Scores continuations (token-id lists) after prompts (token-id lists) with a causal LM."""

    def __init__(
        self,
        model: GPT2LMHeadModel,
        tokenizer: RecTokenizer,
        *,
        batch_size: int = 64,
        device: torch.device | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.device = device or next(model.parameters()).device
        self.dtype = dtype or next(model.parameters()).dtype
        self.model = model.to(self.device, self.dtype).eval()  # type: ignore[arg-type]  # transformers types .to via functools.wraps
        self.batch_size = batch_size
        self.n_positions = model.config.n_positions
        self._embeddings: torch.Tensor | None = None
        self._match_keys: torch.Tensor | None = None

    # ------------------------------------------------------------------ item-token mode
    @torch.no_grad()
    def item_logprobs(self, prompts: Sequence[Sequence[int]], requests: np.ndarray | None = None) -> np.ndarray:
        """[len(prompts), n_items] log p(item token | prompt), from the last position's distribution
        (the vocabulary head is applied at that position only, never to every prompt position).
        `requests` ([len(prompts), dim], zero rows: none): request vectors a model with `RequestText`
        reads at each prompt's last position."""
        tok = self.tokenizer
        out = np.empty((len(prompts), tok.n_items), np.float32)
        for start in range(0, len(prompts), self.batch_size):
            chunk = [self._fit(p) for p in prompts[start : start + self.batch_size]]
            asked = None if requests is None else requests[start : start + len(chunk)]
            width = max(len(p) for p in chunk)
            ids = torch.full((len(chunk), width), tok.eos_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for r, p in enumerate(chunk):  # left padding: every prompt ends at the last column
                ids[r, width - len(p) :] = torch.as_tensor(p)
                mask[r, width - len(p) :] = 1
            positions = (mask.cumsum(1) - 1).clamp(min=0)
            output = self._forward(ids.to(self.device), mask.to(self.device), positions.to(self.device), asked)
            logits = self._logits(self._read(output.last_hidden_state[:, -1], asked))  # the last position only
            logits = self._matched(logits, asked)
            logp = torch.log_softmax(logits, dim=-1)[:, tok.base_vocab_size : tok.vocab_size]
            out[start : start + len(chunk)] = logp.cpu().numpy()
        return out

    @property
    def _head(self) -> torch.Tensor:
        """The effective embedding matrix [vocabulary, hidden], input and output (GPT-2's head is tied
        to ``wte``; item rows add their text part), computed on first use."""
        if self._embeddings is None:
            with torch.no_grad():
                self._embeddings = TokenEmbeddings(self.model, self.tokenizer.base_vocab_size).matrix()
        return self._embeddings

    def _forward(
        self,
        ids: torch.Tensor,
        mask: torch.Tensor,
        positions: torch.Tensor | None = None,
        requests: np.ndarray | None = None,
        **cache: Any,
    ) -> Any:
        """The transformer's output for `ids` (embedded through `_head`; the rows' last positions plus
        their `requests`' projections, when the model reads request vectors); `cache`: its KV-cache
        arguments."""
        embeds = F.embedding(ids, self._head)
        reader = request_text_of(self.model)
        if requests is not None and reader is not None:
            offset = reader(torch.as_tensor(requests, device=self.device)).to(embeds.dtype)
            embeds = torch.cat([embeds[:, :-1], embeds[:, -1:] + offset[:, None]], dim=1)
        return self.model.transformer(inputs_embeds=embeds, attention_mask=mask, position_ids=positions, **cache)

    def _read(self, last: torch.Tensor, requests: np.ndarray | None) -> torch.Tensor:
        """The prompts' last hidden states [n, hidden] plus their requests' output offsets (a model
        that reads request vectors; unchanged otherwise)."""
        reader = request_text_of(self.model)
        if requests is None or reader is None:
            return last
        return last + reader.output(torch.as_tensor(requests, device=self.device)).to(last.dtype)

    def _matched(self, logits: torch.Tensor, requests: np.ndarray | None) -> torch.Tensor:
        """Vocabulary `logits` [n, vocabulary] plus the requests' match with each item's text on the item
        columns (a model with `RequestMatch`; unchanged otherwise or without requests)."""
        match = request_match_of(self.model)
        if requests is None or match is None:
            return logits
        if self._match_keys is None:  # the item side is fixed between weight changes: computed once
            self._match_keys = match.keys()
        base, n_items = self.tokenizer.base_vocab_size, self.tokenizer.n_items
        bias = match.bias(torch.as_tensor(requests, device=self.device), n_items, self._match_keys)
        logits[:, base : base + n_items] += bias[:, :n_items].float()
        return logits

    def _logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Float logits over the vocabulary of hidden states [..., hidden]."""
        return (hidden @ self._head.T).float()

    def _fit(self, prompt: Sequence[int], reserve: int = 1) -> list[int]:
        if len(prompt) == 0:
            raise ConfigError("empty prompt")
        budget = self.n_positions - reserve
        return list(prompt[-budget:]) if len(prompt) > budget else list(prompt)

    # ------------------------------------------------------------------ continuation mode
    @torch.no_grad()
    def score(
        self,
        prompt: Sequence[int],
        continuations: Sequence[Sequence[int]],
        reduction: Reduction = "sum",
        request: np.ndarray | None = None,
    ) -> np.ndarray:
        """log p(continuation | prompt) for every continuation of one prompt (prefix-cached); `request`
        ([dim] or None): the prompt's request vector (`item_logprobs`)."""
        asked = None if request is None else np.asarray(request, np.float32)[None]
        if reduction == "item":
            firsts = [c[0] for c in continuations]
            if any(len(c) != 1 or not self.tokenizer.is_item_token(c[0]) for c in continuations):
                raise ConfigError("reduction='item' scores single item-token continuations")
            return self.item_logprobs([prompt], asked)[0][np.asarray(firsts) - self.tokenizer.base_vocab_size]
        if reduction not in ("sum", "mean"):
            raise ConfigError(f"reduction must be 'item', 'sum' or 'mean', not {reduction!r}")
        if not continuations:
            return np.empty(0, np.float32)
        longest = max(len(c) for c in continuations)
        if longest == 0:
            raise ConfigError("empty continuation")
        prompt = self._fit(prompt, reserve=longest)
        p_ids = torch.as_tensor([prompt], device=self.device)
        first = self._forward(p_ids, torch.ones_like(p_ids), None, asked, use_cache=True)
        cache = getattr(first, _CACHE)
        last = torch.log_softmax(self._logits(self._read(first.last_hidden_state[:, -1], asked)[0]), dim=-1)
        out = np.empty(len(continuations), np.float32)
        for start in range(0, len(continuations), self.batch_size):
            chunk = continuations[start : start + self.batch_size]
            width = max(len(c) for c in chunk)
            ids = torch.full((len(chunk), width), self.tokenizer.eos_id, dtype=torch.long)
            for r, c in enumerate(chunk):  # right padding: padded positions come after real ones
                ids[r, : len(c)] = torch.as_tensor(c)
            ids = ids.to(self.device)
            lengths = torch.as_tensor([len(c) for c in chunk], device=self.device)
            logp = last[ids[:, 0]]
            if width > 1:
                past = copy.deepcopy(cache)
                past.batch_repeat_interleave(len(chunk))
                positions = torch.arange(len(prompt), len(prompt) + width - 1, device=self.device).expand(
                    len(chunk), -1
                )
                mask = torch.ones((len(chunk), len(prompt) + width - 1), dtype=torch.long, device=self.device)
                hidden = self._forward(ids[:, :-1], mask, positions, use_cache=False, **{_CACHE: past})
                logits = self._logits(hidden.last_hidden_state)
                step = torch.log_softmax(logits, dim=-1).gather(2, ids[:, 1:, None])[..., 0]
                valid = torch.arange(1, width, device=self.device)[None, :] < lengths[:, None]
                logp = logp + (step * valid).sum(dim=1)
            if reduction == "mean":
                logp = logp / lengths
            out[start : start + len(chunk)] = logp.cpu().numpy()
        return out

    @torch.no_grad()
    def score_naive(self, prompt: Sequence[int], continuation: Sequence[int], reduction: Reduction = "sum") -> float:
        """Reference: one full forward pass over prompt + continuation (no cache)."""
        prompt = self._fit(prompt, reserve=len(continuation))
        ids = torch.as_tensor([list(prompt) + list(continuation)], device=self.device)
        logits = self._logits(self._forward(ids, torch.ones_like(ids)).last_hidden_state[0])
        logp = torch.log_softmax(logits, dim=-1)
        total = sum(float(logp[len(prompt) - 1 + t, tok]) for t, tok in enumerate(continuation))
        return total / len(continuation) if reduction == "mean" else total
