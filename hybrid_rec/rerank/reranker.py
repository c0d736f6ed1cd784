"""`GPT2Reranker`: verbalizer + tokenizer + GPT-2 + scorer, trained here or loaded pretrained."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import GPT2LMHeadModel

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.data.interactions import Interactions
from hybrid_rec.data.simulated_user import category_vectors
from hybrid_rec.errors import DataError, require_fitted
from hybrid_rec.metrics import ranking_metrics
from hybrid_rec.rerank.examples import build_examples, encode_requests
from hybrid_rec.rerank.item_text import attach_item_text, encode_texts, item_text_of, start_id_rows
from hybrid_rec.rerank.model import (
    build_model,
    grow_item_tokens,
    predict_item_embeddings,
    resolve_device,
    set_threads,
)
from hybrid_rec.rerank.request_text import (
    RequestVectors,
    attach_request_match,
    attach_request_text,
    request_match_of,
    request_text_of,
)
from hybrid_rec.rerank.reranker_config import RerankerConfig, sequences_of
from hybrid_rec.rerank.reranker_io import SavedReranker, read_reranker, write_reranker
from hybrid_rec.rerank.scorer import LMScorer
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.rerank.trainer import Trainer, TrainResult
from hybrid_rec.topk import topk_from_scores
from hybrid_rec.verbalize.intentions import IntentionWriter
from hybrid_rec.verbalize.verbalizer import (
    BUILTIN_TEMPLATES,
    Instruction,
    Verbalizer,
    encode_instruction,
)

log = logging.getLogger(__name__)


@dataclass
class _Fitted:
    """What `fit` / `load` build. ``users`` grows when the feedback loop brings new users."""

    tokenizer: RecTokenizer
    model: GPT2LMHeadModel
    verbalizer: Verbalizer
    users: IdMap
    items: IdMap


class GPT2Reranker:
    """Scores items for users by the LM's log-likelihood of each candidate given the user's instruction."""

    def __init__(self, config: RerankerConfig | None = None) -> None:
        self.config = config or RerankerConfig()
        self.catalog: ItemCatalog | None = None
        self.histories: dict[int, np.ndarray] = {}
        self.train_result: TrainResult | None = None
        self._state: _Fitted | None = None
        self._scorer: LMScorer | None = None
        self.request_vectors = RequestVectors(self.config.lm.item_text_encoder)

    # ------------------------------------------------------------------ fitted state
    @property
    def fitted(self) -> _Fitted:
        """The fitted parts, or `NotFittedError`."""
        return require_fitted(self._state, "GPT2Reranker")

    @property
    def is_fitted(self) -> bool:
        return self._state is not None

    @property
    def tokenizer(self) -> RecTokenizer:
        return self.fitted.tokenizer

    @property
    def model(self) -> GPT2LMHeadModel:
        return self.fitted.model

    @property
    def verbalizer(self) -> Verbalizer:
        return self.fitted.verbalizer

    @property
    def users(self) -> IdMap:
        return self.fitted.users

    @users.setter
    def users(self, users: IdMap) -> None:
        """New users (the feedback loop's grown id map): their histories become prompts."""
        self.fitted.users = users

    @property
    def items(self) -> IdMap:
        return self.fitted.items

    @items.setter
    def items(self, items: IdMap) -> None:
        """A grown item map (the feedback loop's new items): text continuations can score them."""
        self.fitted.items = items
        self.fitted.verbalizer.set_items(items)

    @property
    def reads_item_text(self) -> bool:
        """True when item tokens are hybrid (id + text, `hybrid_rec.rerank.item_text`): every item is
        also read from its text, those without interactions from it (and any id row predicted for them)."""
        return item_text_of(self.model) is not None

    def text_vectors(self, items: np.ndarray) -> np.ndarray:
        """[len(items), dim] sentence-encoder vectors of internal `items`' catalog text (the verbalizer's
        ``Title (Year); Genres``; an item the catalog lacks: a zero row)."""
        verbalizer = self.fitted.verbalizer
        catalog = verbalizer.catalog
        items = np.asarray(items, np.int64)
        external = verbalizer.items.to_external(items)
        known = [catalog is not None and e in catalog for e in external]
        texts = [t if k else "" for t, k in zip(verbalizer.item_texts(items), known, strict=True)]
        return encode_texts(texts, self.config.lm.item_text_encoder)

    def start_id_rows(self, items: np.ndarray) -> np.ndarray:
        """Items with interactions now (e.g. fine-tune targets of the feedback loop) that were scored from
        their text alone get an id row too, starting at zero (`item_text.start_id_rows`); the ids set."""
        done = start_id_rows(self.model, self.tokenizer.base_vocab_size, items)
        self.reset_scorer()
        return done

    @property
    def reads_reactions(self) -> bool:
        """True when the LM was trained on simulated-round windows (`trainer.round_windows_per_user`,
        recorded in the saved model's config), so a session's reactions are written into its prompt."""
        return bool(getattr(self.fitted.model.config, "reads_reactions", False))

    @property
    def reads_requests(self) -> bool:
        """True when the LM reads a request as a sentence-encoder vector as well as its tokens
        (`hybrid_rec.rerank.request_text`): then every request reaches it, read by the parser or not."""
        return request_text_of(self.model) is not None

    def _request_rows(self, instructions: Sequence[Instruction]) -> np.ndarray | None:
        """The instructions' request vectors for an LM that reads them (zero rows: no request); None
        when it does not or no instruction carries a request."""
        reader = request_text_of(self.model)
        if reader is None:
            return None
        vectors = self.request_vectors([i.request for i in instructions])
        if vectors is not None and vectors.shape[1] != reader.dim:
            raise DataError(
                f"the request encoder gives {vectors.shape[1]}-dim vectors, the LM reads {reader.dim}: use the "
                "encoder the model was trained with (reranker.lm.item_text_encoder)"
            )
        return vectors

    @property
    def scores_text(self) -> bool:
        """True when candidates are scored from their text alone (any item with text, token or not)."""
        return self.config.verbalizer.continuation == "text"

    def reset_scorer(self) -> None:
        """Forget the cached scorer after the weights changed (fine-tuning)."""
        self._scorer = None

    # ------------------------------------------------------------------ training
    def _corpus(self, verbalizer: Verbalizer) -> list[str]:
        texts = verbalizer.item_texts(np.arange(len(verbalizer.items)))
        texts += [t.prompt for t in BUILTIN_TEMPLATES.values()] + [t.prompt for t in verbalizer.config.templates]
        if self.catalog is not None and self.catalog.users is not None:
            for col in verbalizer.config.attributes:
                if col in self.catalog.users:
                    texts += [f"{col} {v}" for v in self.catalog.users[col].astype(str).unique()]
        return texts

    def fit(
        self,
        train: Interactions,
        catalog: ItemCatalog | None = None,
        *,
        valid: Interactions | None = None,
        item_factors: np.ndarray | None = None,
        hard_negatives: dict[int, np.ndarray] | None = None,
        out_dir: str | Path | None = None,
        progress: bool = False,
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> GPT2Reranker:
        """Build the tokenizer and model, then instruction-tune on `train` (early stopping on `valid`;
        `on_epoch(epoch, valid_ndcg)` after each epoch, e.g. a search's pruning, which may raise)."""
        cfg = self.config
        set_threads(cfg.lm)
        self.catalog = catalog
        verbalizer = Verbalizer(train.items, catalog, cfg.verbalizer)
        if cfg.tokenizer == "bpe":
            tokenizer = RecTokenizer.train_bpe(self._corpus(verbalizer), len(train.items), cfg.bpe_vocab_size)
        else:
            tokenizer = RecTokenizer.from_pretrained(cfg.tokenizer, len(train.items))
        device, dtype = resolve_device(cfg.lm)
        model = build_model(cfg.lm, tokenizer, item_factors)
        self._state = _Fitted(tokenizer, model, verbalizer, train.users, train.items)
        counts = np.bincount(train.item, minlength=len(train.items))
        if cfg.lm.item_text and catalog is not None:  # hybrid item tokens: id rows of the trained items + text
            attach_item_text(model, tokenizer.base_vocab_size, self.text_vectors(np.arange(len(train.items))), counts > 0)
        elif cfg.lm.item_text:
            log.info("reranker: lm.item_text is on but there is no catalog: item tokens stay id-only")
        self.histories = sequences_of(train)
        rng = np.random.default_rng(cfg.trainer.seed)
        round_vectors = category_vectors(catalog, train.items) if catalog is not None and hard_negatives else None
        examples = build_examples(
            self.histories,
            verbalizer,
            tokenizer,
            model.config.n_positions,
            rng,
            attributes=self._attributes,
            negatives=hard_negatives,
            intentions=IntentionWriter(verbalizer, cfg.trainer.intention_kinds),
            intentions_per_user=cfg.trainer.intentions_per_user,
            intention_history=cfg.trainer.intention_history,
            round_vectors=round_vectors,
            rounds_per_user=cfg.trainer.round_windows_per_user,
            round_shown=cfg.trainer.round_shown,
        )
        if round_vectors is not None and cfg.trainer.round_windows_per_user > 0:
            model.config.reads_reactions = True  # saved with the model: its prompts carry a session's reactions
        if cfg.lm.request_text:  # the LM reads requests as encoder vectors too
            distinct = encode_requests(examples, lambda texts: encode_texts(texts, cfg.lm.item_text_encoder))
            attach_request_text(model, self.request_vectors.dim)
            if cfg.lm.request_match and catalog is not None:  # requests matched against the items' text
                attach_request_match(model, self.text_vectors(np.arange(len(train.items))), cfg.lm.request_match,
                                     cfg.lm.seed)  # fmt: skip
            log.info("reranker: %d intention windows, %d distinct requests", sum(e.request is not None for e in examples), distinct)
        log.info("reranker: %d training windows, vocab %d (%d items)", len(examples), tokenizer.vocab_size, len(train.items))
        evaluate = (lambda: self.validation_ndcg(train, valid)) if valid is not None and len(valid) else (lambda: 0.0)
        trainer = Trainer(model, tokenizer, cfg.trainer, device=device, progress=progress, item_counts=counts)
        self._scorer = None
        self.train_result = trainer.train(examples, evaluate, out_dir, on_epoch=on_epoch)
        self._state.model = model.to(device, dtype)  # type: ignore[arg-type]  # transformers types .to via functools.wraps
        return self

    def validation_ndcg(self, fit: Interactions, valid: Interactions, k: int = 10, chunk: int = 1024) -> float:
        """Full-ranking NDCG@k of the item-token distribution on `valid` (fit items excluded)."""
        self._scorer = None
        users = np.unique(valid.user)
        seen, target = fit.to_csr(), valid.to_csr()
        values = []
        for start in range(0, len(users), chunk):  # users x items scores, a chunk at a time
            part = users[start : start + chunk]
            top = topk_from_scores(self.item_logprobs(part), k, seen[part])
            values.append(ranking_metrics(top.items, target[part], [k])[f"ndcg@{k}"])
        return float(np.nanmean(np.concatenate(values))) if values else float("nan")

    def _attributes(self, user: int) -> dict[str, object] | None:
        if self.catalog is None or not self.config.verbalizer.attributes:
            return None
        return self.catalog.user(self.users.to_external([user])[0])

    # ------------------------------------------------------------------ histories
    def set_histories(self, interactions: Interactions) -> None:
        """Replace the histories the prompts are built from (e.g. train + validation at test time)."""
        if interactions.items is not self.items and interactions.items != self.items:
            raise DataError("set_histories: the interactions use a different item id map")
        self.histories = sequences_of(interactions)

    def append_history(self, users: np.ndarray, items: np.ndarray, timestamps: np.ndarray) -> None:
        """Append new events (internal ids of the candidate stage's maps) to the users' histories."""
        self.fitted  # noqa: B018  (raises when not fitted)
        order = np.lexsort((np.arange(len(users)), timestamps))
        for u, i in zip(np.asarray(users)[order], np.asarray(items)[order], strict=True):
            prev = self.histories.get(int(u), np.empty(0, np.int64))
            self.histories[int(u)] = np.append(prev, np.int64(i))

    @property
    def scorer(self) -> LMScorer:
        state = self.fitted
        if self._scorer is None:
            device, dtype = resolve_device(self.config.lm)
            self._scorer = LMScorer(
                state.model, state.tokenizer, batch_size=self.config.batch_size, device=device, dtype=dtype
            )
        return self._scorer

    def predict_item_tokens(
        self, features: np.ndarray, learned: np.ndarray, regularization: float, targets: np.ndarray | None = None
    ) -> np.ndarray:
        """Give item tokens the LM never learned from interactions (`targets`, default: ``learned``
        False) the embedding their item `features` predict (a ridge regression fitted on the learned
        ones), so that items without interactions are scored from what they are. Returns the ids set."""
        state = self.fitted
        done = predict_item_embeddings(state.model, state.tokenizer, features, learned, regularization, targets)
        self.reset_scorer()
        return done

    def add_items(
        self,
        items: IdMap,
        catalog: ItemCatalog | None,
        features: np.ndarray | None,
        learned: np.ndarray,
        regularization: float,
        described: np.ndarray | None = None,
    ) -> np.ndarray:
        """A grown item map (and the catalog describing it): the new items get item tokens, so the LM
        scores them at once. Their id rows are what their `features` predict ([len(items), d]; None: the
        mean learned embedding, or with hybrid item tokens none: the text alone); `learned`, bool
        [len(items)]: the tokens trained on interactions. With hybrid item tokens (`reads_item_text`)
        the text vectors of the new items and of the `described` ones (internal ids whose catalog text
        changed) are computed now. Returns the internal ids of the new tokens."""
        state = self.fitted
        self.catalog = catalog if catalog is not None else self.catalog
        state.items = items
        state.verbalizer.set_items(items, catalog)
        text, match = item_text_of(state.model), request_match_of(state.model)
        reads_text = text is not None or match is not None  # item tokens and requests read item text
        new = np.arange(state.tokenizer.n_items, len(items))
        vectors = self.text_vectors(new) if reads_text and len(new) else None
        grow_item_tokens(state.model, state.tokenizer, len(items), vectors if text is not None else None)
        if match is not None and vectors is not None:  # requests reach the new items through their text at once
            match.grow(vectors)
        if reads_text and described is not None and len(described):
            changed, again = np.asarray(described, np.int64), self.text_vectors(described)
            for module in (text, match):
                if module is not None:
                    module.set_text(changed, again)
        if len(new) and (features is not None or text is None):
            x = np.zeros((len(items), 0), np.float32) if features is None else features
            old = np.asarray(learned, bool) & (np.arange(len(items)) < new[0])
            self.predict_item_tokens(x, old, regularization, new)
        self.reset_scorer()
        return new

    # ------------------------------------------------------------------ scoring
    def instruction(
        self,
        user: int,
        request: str | None = None,
        candidates: Sequence[int] | None = None,
        recent: np.ndarray | None = None,
        reactions: Mapping[str, np.ndarray] | None = None,
    ) -> Instruction:
        """The instruction for internal user `user`; a negative id is a user without history or attributes.
        `recent` = items of the current session (internal ids, oldest first), read after the history;
        `reactions` (passed / liked / disliked internal ids) are written after it for an LM trained
        on simulated rounds (`reads_reactions`), and ignored by one that was not."""
        state = self.fitted
        history = self.histories.get(int(user), np.empty(0, np.int64)) if user >= 0 else np.empty(0, np.int64)
        if recent is not None and len(recent):
            history = np.concatenate([history, np.asarray(recent, np.int64)])
        history = history[history < state.tokenizer.n_items]  # items newer than the LM have no token yet
        attributes = self._attributes(user) if user >= 0 else None
        known = None
        if reactions and self.reads_reactions:
            known = {k: v[v < state.tokenizer.n_items] for k, v in reactions.items()}
        return state.verbalizer.instruction(history, attributes=attributes, request=request, candidates=candidates,
                                            reactions=known)  # fmt: skip

    def instructions(
        self,
        users: np.ndarray,
        requests: Sequence[str | None] | None = None,
        recent: Sequence[np.ndarray | None] | None = None,
        reactions: Sequence[Mapping[str, np.ndarray] | None] | None = None,
    ) -> list[Instruction]:
        """One instruction per internal user (`requests`, `recent` and `reactions`: one per user, or None)."""
        reqs = list(requests) if requests is not None else [None] * len(users)
        extra = list(recent) if recent is not None else [None] * len(users)
        said = list(reactions) if reactions is not None else [None] * len(users)
        return [self.instruction(int(u), r, recent=e, reactions=x) for u, r, e, x in zip(users, reqs, extra, said, strict=True)]

    def prompt_ids(
        self, user: int, request: str | None = None, reserve: int = 1, recent: np.ndarray | None = None
    ) -> list[int]:
        return self._encode(self.instruction(user, request, recent=recent), reserve)

    def _encode(self, instruction: Instruction, reserve: int = 1) -> list[int]:
        return encode_instruction(instruction, self.tokenizer, self.model.config.n_positions - reserve)

    def item_logprobs(
        self,
        users: np.ndarray,
        requests: Sequence[str | None] | None = None,
        recent: Sequence[np.ndarray | None] | None = None,
        reactions: Sequence[Mapping[str, np.ndarray] | None] | None = None,
    ) -> np.ndarray:
        """[len(users), n_items] log p(item token | user's instruction): full ranking in one pass per batch."""
        return self.instruction_logprobs(self.instructions(users, requests, recent, reactions))

    def instruction_logprobs(self, instructions: Sequence[Instruction]) -> np.ndarray:
        """[len(instructions), n_items] log p(item token | instruction)."""
        set_threads(self.config.lm)
        return self.scorer.item_logprobs([self._encode(i) for i in instructions], self._request_rows(instructions))

    def score(
        self,
        users: np.ndarray,
        candidates: np.ndarray,
        requests: Sequence[str | None] | None = None,
        recent: Sequence[np.ndarray | None] | None = None,
    ) -> np.ndarray:
        """[len(users), N] LM scores of candidate items (internal ids; -1 padding scores NaN). `recent` =
        per user, session items read after their history (None: none)."""
        return self.score_instructions(self.instructions(users, requests, recent), candidates)

    def score_instructions(self, instructions: Sequence[Instruction], candidates: np.ndarray) -> np.ndarray:
        """[len(instructions), N] LM scores of candidate items after each row's instruction (built
        once by the caller, who also shows it); an item's score never depends on the other candidates."""
        state = self.fitted
        candidates = np.asarray(candidates)
        out = np.full(candidates.shape, np.nan, np.float32)
        valid = candidates >= 0
        if not self.scores_text:
            valid &= candidates < state.tokenizer.n_items  # no token: cannot score (NaN)
        if self.config.reduction == "item":
            logp = self.instruction_logprobs(instructions)
            out[valid] = np.take_along_axis(logp, np.where(valid, candidates, 0), axis=1)[valid]
            return out
        set_threads(self.config.lm)
        asked = self._request_rows(instructions)
        for r, instruction in enumerate(instructions):
            items = candidates[r][valid[r]]
            conts = [state.tokenizer.encode(state.verbalizer.continuation(int(i))) for i in items]
            longest = max((len(c) for c in conts), default=1)
            request = None if asked is None else asked[r]
            out[r, valid[r]] = self.scorer.score(self._encode(instruction, longest), conts, self.config.reduction, request)
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """``reranker.json`` + ``model/`` (save_pretrained, safetensors) + ``tokenizer/`` + ids and histories."""
        state = self.fitted
        write_reranker(directory, SavedReranker(self.config, state.model, state.tokenizer, state.users, state.items,
                                                self.histories))  # fmt: skip

    @classmethod
    def load(cls, directory: str | Path, catalog: ItemCatalog | None = None) -> GPT2Reranker:
        """A reranker saved by `save` (`catalog`: the items' text, for prompts and hybrid item tokens)."""
        saved = read_reranker(directory)
        self = cls(saved.config)
        self.histories, self.catalog = saved.histories, catalog
        verbalizer = Verbalizer(saved.items, catalog, saved.config.verbalizer)
        self._state = _Fitted(saved.tokenizer, saved.model, verbalizer, saved.users, saved.items)
        torch.manual_seed(saved.config.lm.seed)
        return self
