"""The training loss of one batch of the reranker's instruction tuning (`batch_loss`) and its terms.

Each term is a summed cross-entropy over its targets (`full_softmax_loss`: the causal LM on text
tokens and the full listwise softmax over items; `sampled_softmax_loss`: the listwise one on sampled
candidates above ``sampled_softmax_above`` items; `hard_negative_loss`: the true next item against
the user's first-stage negatives); `batch_loss` weights each and divides it by the whole batch's
count of its targets, so that data-parallel ranks' shares add up. Every term reads hidden states and
only the rows of the vocabulary head it needs: no [batch, positions, vocabulary] logits are built.
Item rows are the effective (id + text) embeddings of `hybrid_rec.rerank.item_text`, computed only
where read (all of them for the full softmax, the candidates' for the sampled one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
import torch
from transformers import GPT2LMHeadModel

from hybrid_rec.rerank import distributed
from hybrid_rec.rerank.item_text import ItemRows, TokenEmbeddings, item_text_of
from hybrid_rec.rerank.request_text import RequestMatch, RequestText, request_match_of, request_text_of
from hybrid_rec.rerank.tokenizer import RecTokenizer

if TYPE_CHECKING:
    from hybrid_rec.rerank.examples import Example
    from hybrid_rec.rerank.trainer_config import TrainerConfig


def sampling_distribution(counts: np.ndarray, power: float) -> np.ndarray:
    """Probabilities of drawing each item as a sampled negative: ``count ** power`` normalised, with
    a floor so that items never seen in training are drawn too (and their log-probability is finite)."""
    weights = np.maximum(np.asarray(counts, np.float64), 0.5) ** power
    return weights / weights.sum()


def sampled_candidates(
    targets: list[int], q: np.ndarray, n_negatives: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The sampled softmax's candidates (the batch's targets + `n_negatives` items drawn from `q`,
    shared by the whole batch) and their logQ correction, log(expected number of draws)."""
    drawn = rng.choice(len(q), size=n_negatives, replace=True, p=q)
    cands = np.unique(np.concatenate([np.asarray(targets), drawn]))
    return cands, np.log(np.maximum(n_negatives * q[cands], 1e-30))


def no_negatives(logits: torch.Tensor, excluded: torch.Tensor | None, labels: torch.Tensor) -> torch.Tensor:
    """`logits` [n, C] with the `excluded` columns (bool [C] or [n, C]; None: none) at -inf, except
    each row's own label column: items that serve as no negative (`ItemRows.excluded`)."""
    if excluded is None:
        return logits
    drop = excluded.expand_as(logits).clone()
    drop[torch.arange(len(logits), device=logits.device), labels] = False
    return logits.masked_fill(drop, float("-inf"))


def full_softmax_loss(
    hidden: torch.Tensor, head: torch.Tensor, labels: torch.Tensor, excluded: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy of each hidden state [n, H] against every row of `head` [V, H], summed over the
    `labels` (row indices): the causal-LM term (text rows) and the full listwise term (item rows).
    `excluded` (bool [V]): rows that are no negative (`no_negatives`)."""
    logits = no_negatives((hidden @ head.T).float(), excluded, labels)
    return torch.nn.functional.cross_entropy(logits, labels, reduction="sum")


def sampled_softmax_loss(
    hidden: torch.Tensor,
    item_head: torch.Tensor | ItemRows,
    targets: list[int],
    cands: np.ndarray,
    logq: np.ndarray,
    excluded: torch.Tensor | None = None,
) -> torch.Tensor:
    """Sampled softmax with the logQ correction (Bengio & Senecal 2008; Yi et al. 2019), summed over
    `targets`: each target against the candidates (`sampled_candidates`); every candidate's logit is
    reduced by log(its expected number of draws), which makes the estimate of the full softmax's
    gradient consistent. Only the candidates' rows of the item head are read, so a step's cost does
    not grow with the catalog. `excluded` (bool [n_items]): items that are no negative (`no_negatives`)."""
    label = torch.as_tensor(np.searchsorted(cands, targets), device=hidden.device)
    rows = torch.as_tensor(cands, device=hidden.device)
    logits = (hidden @ item_head[rows].T).float() - torch.as_tensor(logq, device=hidden.device).float()
    logits = no_negatives(logits, None if excluded is None else excluded[rows], label)
    return torch.nn.functional.cross_entropy(logits, label, reduction="sum")


def hard_negative_loss(
    hidden: torch.Tensor, item_head: torch.Tensor | ItemRows, cands: torch.Tensor, excluded: torch.Tensor | None = None
) -> torch.Tensor:
    """Each hidden state [n, H] scores its own candidates [n, C] (column 0 the true item, then its
    hard negatives; -1 pads a short pool and is masked out): the true item's cross-entropy against
    them, summed over the n states. Only the candidates' item rows are read. `excluded` (bool
    [n_items]): items that are no negative (`no_negatives`)."""
    scores = torch.einsum("nh,nch->nc", hidden, item_head[cands.clamp(min=0)]).float()
    zeros = torch.zeros(len(hidden), dtype=torch.long, device=hidden.device)
    scores = no_negatives(scores, None if excluded is None else excluded[cands.clamp(min=0)], zeros)
    scores = scores.masked_fill(cands < 0, float("-inf"))
    return torch.nn.functional.cross_entropy(scores, zeros, reduction="sum")


def _hard_candidates(batch: list[Example], cfg: TrainerConfig, rng: np.random.Generator) -> list[np.ndarray | None]:
    """Per window: its last target, then up to `hard_negatives` of its hard negatives (sampled without
    replacement when there are more; the target itself excluded), padded with -1; None: no such loss."""
    out: list[np.ndarray | None] = []
    for e in batch:
        if len(e.item_targets) == 0 or len(e.negatives) == 0:
            out.append(None)
            continue
        t = int(e.item_targets[-1, 1])
        negs = e.negatives[e.negatives != t]
        if len(negs) > cfg.hard_negatives:
            negs = rng.choice(negs, cfg.hard_negatives, replace=False)
        out.append(np.concatenate([[t], negs, np.full(cfg.hard_negatives - len(negs), -1)]))
    return out


def _padded(part: list[Example], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The windows' token ids right-padded with `pad_id` into one [n, longest] batch, and its attention mask."""
    width = max(len(e.ids) for e in part)
    ids = torch.full((len(part), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(part), width), dtype=torch.long)
    for r, e in enumerate(part):
        ids[r, : len(e.ids)] = torch.as_tensor(e.ids)
        mask[r, : len(e.ids)] = 1
    return ids.to(device), mask.to(device)


def batch_loss(
    model: GPT2LMHeadModel,
    batch: list[Example],
    tokenizer: RecTokenizer,
    cfg: TrainerConfig,
    rng: np.random.Generator,
    device: torch.device,
    sampling: np.ndarray | None = None,
    shard: tuple[int, int] | None = None,
) -> torch.Tensor:
    """The training loss of one batch, the weighted terms of `hybrid_rec.rerank.losses`; `sampling` =
    the sampled-softmax distribution over items (None: the full softmax).

    `shard` = (rank, world size) under DDP: this rank's share of the loss of the global `batch`. The
    rank runs only its contiguous part of the windows (`distributed.shard_bounds`) and each loss term
    is summed there and divided by the whole batch's count of that term, so the ranks' shares add up
    to the loss of one process and so do their gradients, however the targets fall. The random draws
    (sampled and hard negatives) are made for the whole batch on every rank from the same `rng`: the
    draws of one process. A rank with no window runs the model on one with a zero loss, so that every
    parameter takes part in every rank's backward (DDP waits for all of them)."""
    text = item_text_of(model)
    n_targets, sampled, hard, keep = _draws(batch, cfg, rng, sampling, text.n_items if text is not None else 0)
    lo, hi = (0, len(batch)) if shard is None else distributed.shard_bounds(len(batch), *shard)
    part = batch[lo:hi] or batch[:1]
    ids, mask = _padded(part, tokenizer.eos_id, device)
    # Hidden states, not logits: the vocabulary head is applied only where a loss needs it (text
    # positions against the text vocabulary, item positions against the item rows), so memory and
    # compute do not grow with batch x positions x catalog.
    # The head is GPT-2's tied `wte` (+ the item-text part on item rows: `TokenEmbeddings`).
    emb = TokenEmbeddings(model, tokenizer.base_vocab_size, keep if model.training else None)
    if sampling is None:
        emb.items.matrix()  # the full softmax reads every item row: computed once, the inputs index it
    reader = request_text_of(model)
    hidden = model.transformer(inputs_embeds=_with_requests(emb.tokens(ids), part, reader), attention_mask=mask)
    hidden = _with_requests(hidden.last_hidden_state, part, reader, output=True)
    match = request_match_of(model)
    items_hidden, item_head = _with_match(hidden, part, match, emb.items)  # item terms only: text is unmatched
    loss = torch.zeros((), device=device)
    if shard is not None:  # every parameter in the graph, on every rank
        readers = [m for m in (reader, match) if m is not None]
        extra = sum((p.sum() for m in readers for p in m.parameters()), emb.wte.new_zeros(()))
        loss = loss + 0.0 * (hidden.sum() + emb.wte.sum() + emb.parameters_sum() + extra)
        if hi == lo:
            return loss
    base = tokenizer.base_vocab_size
    n_text = sum(int((e.ids[1:] < base).sum()) for e in batch)  # the whole batch's count of text targets
    if (lm := _lm_term(ids, mask, hidden, emb.text_rows, cfg.lm_weight, n_text)) is not None:
        loss = loss + lm
    if (listwise := _listwise_term(part, items_hidden, item_head, cfg.listwise_weight, n_targets, sampled)) is not None:
        loss = loss + listwise
    n_hard = sum(c is not None for c in hard)  # ... and of windows with hard negatives
    hard_term = _hard_term(hard[lo:hi], part, items_hidden, item_head, cfg.hard_negative_weight, n_hard)
    if (negatives := hard_term) is not None:
        loss = loss + negatives
    return loss


def _with_requests(
    inputs: torch.Tensor, part: list[Example], reader: RequestText | None, output: bool = False
) -> torch.Tensor:
    """`inputs` [n, width, n_embd] (input embeddings, or with `output` the hidden states) with each
    intention window's request offset added at its target position (where the scorer adds it: the
    prompt's last position); unchanged without a `RequestText` or an intention window."""
    asked = [r for r, e in enumerate(part) if e.request_vector is not None and len(e.item_targets)]
    if reader is None or not asked:
        return inputs
    rows = torch.as_tensor(asked, device=inputs.device)
    pos = torch.as_tensor([int(part[r].item_targets[-1, 0]) for r in asked], device=inputs.device)
    vectors = torch.as_tensor(np.stack([cast(np.ndarray, part[r].request_vector) for r in asked]), device=inputs.device)
    offsets = reader.output(vectors) if output else reader(vectors)
    return inputs.index_put((rows, pos), offsets.to(inputs.dtype), accumulate=True)


class MatchedRows(ItemRows):
    """Item rows extended by each item's `RequestMatch` keys: a hidden state extended by a request's
    query then scores ``hidden . E_item + query . key_item``, the LM's item logit plus the match term,
    in every item loss (full, sampled, hard negatives) without touching them."""

    def __init__(self, base: ItemRows, keys: torch.Tensor) -> None:
        self.base, self.keys = base, keys

    def __getitem__(self, items: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.base[items], self.keys[items].to(self.base.id_rows.dtype)], dim=-1)

    @property
    def excluded(self) -> torch.Tensor | None:
        return self.base.excluded

    def matrix(self) -> torch.Tensor:
        return torch.cat([self.base.matrix(), self.keys.to(self.base.id_rows.dtype)], dim=-1)


def _with_match(
    hidden: torch.Tensor, part: list[Example], match: RequestMatch | None, items: ItemRows
) -> tuple[torch.Tensor, ItemRows]:
    """(hidden states, item rows) for the item losses: with a `RequestMatch` and an intention window,
    hidden states extended by the request's query at its target position (zeros elsewhere: no term)
    and item rows by their keys (`MatchedRows`); unchanged otherwise."""
    asked = [r for r, e in enumerate(part) if e.request_vector is not None and len(e.item_targets)]
    if match is None or not asked:
        return hidden, items
    keys = match.keys()
    if len(keys) < len(items.id_rows):  # items without text vectors: no match term
        keys = torch.nn.functional.pad(keys, (0, 0, 0, len(items.id_rows) - len(keys)))
    rows = torch.as_tensor(asked, device=hidden.device)
    pos = torch.as_tensor([int(part[r].item_targets[-1, 0]) for r in asked], device=hidden.device)
    vectors = torch.as_tensor(np.stack([cast(np.ndarray, part[r].request_vector) for r in asked]), device=hidden.device)
    extra = hidden.new_zeros((*hidden.shape[:2], keys.shape[1]))
    extra = extra.index_put((rows, pos), match.queries(vectors).to(hidden.dtype))
    return torch.cat([hidden, extra], dim=-1), MatchedRows(items, keys)


def _draws(
    batch: list[Example], cfg: TrainerConfig, rng: np.random.Generator, sampling: np.ndarray | None, n_text: int
) -> tuple[int, tuple[np.ndarray, np.ndarray] | None, list[np.ndarray | None], np.ndarray | None]:
    """The whole batch's random draws, in one process's order (so every rank makes the same ones):
    its count of item targets, the sampled softmax's candidates (None: the full softmax or no
    listwise term), each window's hard-negative candidates (`_hard_candidates`; [] when off) and,
    for a model with item text of `n_text` items, the id dropout's mask (1: the id row is kept;
    None when off)."""
    targets = [int(t) for e in batch for t in e.item_targets[:, 1]]
    sampled = None
    if targets and cfg.listwise_weight > 0 and sampling is not None:
        sampled = sampled_candidates(targets, sampling, cfg.sampled_negatives, rng)
    hard = _hard_candidates(batch, cfg, rng) if cfg.hard_negative_weight > 0 and cfg.hard_negatives > 0 else []
    keep = None
    if n_text and cfg.item_id_dropout > 0:
        keep = (rng.random(n_text) >= cfg.item_id_dropout).astype(np.float32)
    return len(targets), sampled, hard, keep


def _lm_term(
    ids: torch.Tensor, mask: torch.Tensor, hidden: torch.Tensor, text_head: torch.Tensor, weight: float, n_text: int
) -> torch.Tensor | None:
    """The weighted causal-LM term: each position whose next token is text, against the text
    vocabulary, per text target of the whole batch; None when off or this share has no text target."""
    if weight <= 0 or not n_text:
        return None
    nxt = ids[:, 1:]
    text = (mask[:, 1:] == 1) & (nxt < len(text_head))
    if not text.any():
        return None
    return weight * full_softmax_loss(hidden[:, :-1][text], text_head, nxt[text]) / n_text


def _listwise_term(
    part: list[Example],
    hidden: torch.Tensor,
    item_head: ItemRows,
    weight: float,
    n_targets: int,
    sampled: tuple[np.ndarray, np.ndarray] | None,
) -> torch.Tensor | None:
    """The weighted listwise term: every item target of the share (`part`), against all items or the
    `sampled` candidates, per item target of the whole batch; None when off or there is no target."""
    rows = [r for r, e in enumerate(part) for _ in range(len(e.item_targets))]
    if not rows or weight <= 0:
        return None
    pos = [int(p) for e in part for p in e.item_targets[:, 0]]
    tgt = [int(t) for e in part for t in e.item_targets[:, 1]]
    labels = torch.as_tensor(tgt, device=hidden.device)
    if sampled is not None:
        summed = sampled_softmax_loss(hidden[rows, pos], item_head, tgt, *sampled, excluded=item_head.excluded)
    else:
        summed = full_softmax_loss(hidden[rows, pos], item_head.matrix(), labels, item_head.excluded)
    return weight * summed / n_targets


def _hard_term(
    hard: list[np.ndarray | None],
    part: list[Example],
    hidden: torch.Tensor,
    item_head: ItemRows,
    weight: float,
    n_hard: int,
) -> torch.Tensor | None:
    """The weighted hard-negative term of the share's windows (`hard`: their candidates, None where
    a window has none) at each one's last target, per such window of the whole batch; None: none here."""
    mine = [(r, c) for r, c in enumerate(hard) if c is not None]
    if not mine:
        return None
    rows = [r for r, _ in mine]
    pos = [int(part[r].item_targets[-1, 0]) for r in rows]
    cands = torch.as_tensor(np.asarray([c for _, c in mine]), device=hidden.device)
    return weight * hard_negative_loss(hidden[rows, pos], item_head, cands, item_head.excluded) / n_hard
