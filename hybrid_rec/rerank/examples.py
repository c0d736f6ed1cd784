"""Training windows of the reranker LM: each user's history cut into implicit windows (every
history item a target of the position before it) plus intention windows (a request written from the
catalog for one target, `hybrid_rec.verbalize.intentions`), held as compact arrays; the requests'
encoder vectors attached once (`encode_requests`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hybrid_rec.data.simulated_user import SimulatedUsers
from hybrid_rec.errors import ConfigError
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.verbalize.intentions import IntentionWriter
from hybrid_rec.verbalize.verbalizer import Verbalizer, encode_with_layout

__all__ = ["Example", "build_examples", "encode_requests"]


@dataclass(eq=False)  # a window equals only itself
class Example:
    """One training window, held as compact arrays (at 10M interactions there are ~200k windows:
    Python lists of ints and tuples took ~4.5x the memory). Lists are accepted and converted.
    An intention window carries its `request` text and, once encoded, its `request_vector` (a row
    view of one shared table), read at its target position by a model with `RequestText`."""

    ids: np.ndarray  # token ids, int32
    item_targets: np.ndarray  # [n, 2] int64: (position whose next token is the item, item id)
    negatives: np.ndarray  # hard negatives for the last target
    request: str | None = None
    request_vector: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int32)
        self.item_targets = np.asarray(self.item_targets, dtype=np.int64).reshape(-1, 2)


def build_examples(
    sequences: dict[int, np.ndarray],
    verbalizer: Verbalizer,
    tokenizer: RecTokenizer,
    n_positions: int,
    rng: np.random.Generator,
    *,
    attributes: Callable[[int], dict[str, object] | None] | None = None,
    negatives: dict[int, np.ndarray] | None = None,
    intentions: IntentionWriter | None = None,
    intentions_per_user: float = 0.0,
    intention_history: int = 50,
    round_vectors: np.ndarray | None = None,
    rounds_per_user: float = 0.0,
    round_shown: int = 10,
) -> list[Example]:
    """Cut each user's item sequence (internal ids, oldest first) into windows that fit `n_positions`.

    Implicit windows make every history item a target (predicted from everything before it). With
    an `intentions` writer, each user also gets ``intentions_per_user`` intention windows (its whole
    part, plus one more with the fraction's chance), each at a distinct random point ``t >= 1`` of
    the history: the last `intention_history` items before ``t``, a request the writer wrote for
    item ``t``, and that item as the one target. With `round_vectors` (item category vectors), each
    user also gets ``rounds_per_user`` simulated-round windows (`_round_window`).
    """
    examples: list[Example] = []
    empty = np.empty(0, np.int64)
    for user, seq in sequences.items():
        attrs = attributes(user) if attributes else None
        negs = negatives.get(user, empty) if negatives else empty
        end = len(seq)
        while end > 0:
            instr = verbalizer.instruction(seq[:end], attributes=attrs)
            ids, starts = encode_with_layout(instr, tokenizer, n_positions)
            if not starts:
                break  # the template leaves no room for history
            kept = seq[end - len(starts) : end]
            targets = np.column_stack([np.asarray(starts) - 1, kept])
            examples.append(Example(np.asarray(ids), targets, negs))
            end -= len(starts)
        if intentions is None or intentions_per_user <= 0 or len(seq) < 2:
            continue
        count = int(intentions_per_user) + int(rng.random() < intentions_per_user % 1)
        for t in np.sort(rng.choice(np.arange(1, len(seq)), min(count, len(seq) - 1), replace=False)):
            history, target = seq[max(0, t - intention_history) : t], int(seq[t])
            written = intentions.write(target, history, rng)
            if written is None:
                continue
            instr = verbalizer.instruction(history, attributes=attrs, request=written.request)
            try:
                ids, starts = encode_with_layout(instr, tokenizer, n_positions - 1)
            except ConfigError:  # the request alone is longer than the model reads (a long title)
                continue
            if not starts:
                continue
            window = np.asarray([*ids, tokenizer.item_token_id(target)])
            hard = written.rejected if len(written.rejected) else negs
            examples.append(Example(window, np.asarray([(len(ids) - 1, target)]), hard, instr.request))
    if round_vectors is not None and rounds_per_user > 0:
        for user, seq in sequences.items():
            negs = negatives.get(user, empty) if negatives else empty
            count = int(rounds_per_user) + int(rng.random() < rounds_per_user % 1)
            if len(seq) < 2 or len(negs) < round_shown or not count:
                continue
            attrs = attributes(user) if attributes else None
            for t in np.sort(rng.choice(np.arange(1, len(seq)), min(count, len(seq) - 1), replace=False)):
                made = _round_window(seq[max(0, t - intention_history) : t], int(seq[t]), negs[:round_shown],
                                     round_vectors, verbalizer, tokenizer, n_positions, rng, attrs)  # fmt: skip
                if made is not None:
                    examples.append(made)
    return examples


def _round_window(
    history: np.ndarray,
    target: int,
    shown: np.ndarray,
    vectors: np.ndarray,
    verbalizer: Verbalizer,
    tokenizer: RecTokenizer,
    n_positions: int,
    rng: np.random.Generator,
    attributes: dict[str, object] | None,
) -> Example | None:
    """One simulated round: `shown` (the user's first-stage candidates, never the target) and a
    simulated user with `target` reacting as in `hybrid_rec.pipeline.rounds`, drawn at random: a click
    (read after the history, the rest passed over), "more like" the same item (the rest passed over)
    or "less like" the least alike; the target is the next item, the passed-over ones its negatives."""
    react = SimulatedUsers(vectors, np.array([target])).react(shown[None, :])
    clicked, rejected, passed = int(react.clicked[0]), int(react.rejected[0]), react.passed[0]
    if clicked < 0:
        return None
    kind = rng.integers(3)
    if kind == 0:
        history, reactions = np.append(history, clicked), {"passed": passed}
    elif kind == 1:
        reactions = {"liked": np.array([clicked]), "passed": passed}
    else:
        reactions, passed = {"disliked": np.array([rejected])}, shown[shown != rejected]
    instr = verbalizer.instruction(history, attributes=attributes, reactions=reactions)
    ids, starts = encode_with_layout(instr, tokenizer, n_positions - 1)
    if not starts:
        return None
    window = np.asarray([*ids, tokenizer.item_token_id(target)])
    return Example(window, np.asarray([(len(ids) - 1, target)]), np.asarray(passed, np.int64))


def encode_requests(examples: list[Example], encode: Callable[[list[str]], np.ndarray]) -> int:
    """Give every intention window its request's vector (each distinct text encoded once, by
    `encode`, into one table the windows view); returns the number of distinct requests."""
    texts = sorted({e.request for e in examples if e.request})
    if not texts:
        return 0
    table = np.asarray(encode(texts), np.float32)
    row = {t: i for i, t in enumerate(texts)}
    for e in examples:
        if e.request:
            e.request_vector = table[row[e.request]]
    return len(texts)
