"""Instruction templates and the verbalizer.

An instruction is a prompt made of text and item references (internal item ids, which the
tokenizer turns into item tokens), ending with the user's history, most recent last; the
continuation to score is the candidate: its item token, optionally followed by its title. Three
kinds of template, after InstructRec (Zhang et al. 2023): ``implicit`` (history only, optionally
with the user attributes the config allows), ``intention`` (history plus an explicit request such
as "a comedy"), ``task`` (the candidates listed in the prompt). Raw user ids never appear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.data.catalog import ItemCatalog, genre_request
from hybrid_rec.data.ids import IdMap
from hybrid_rec.errors import ConfigError
from hybrid_rec.text.normalize import normalize

Part = str | int  # text, or an internal item id
PLACEHOLDERS = {"eos", "history", "attributes", "request", "candidates", "noun"}


class Template(StrictModel):
    """A prompt pattern. ``{history}`` must come last; ``{eos}`` marks the sequence start."""

    name: str = Field(description="The name `template` / `request_template` refer to (a built-in name overrides it).")
    kind: Literal["implicit", "intention", "task"] = Field(
        description="'implicit' (history only), 'intention' (with a request) or 'task' (lists the candidates)."
    )
    prompt: str = Field(
        description="The pattern, ending with {history}; placeholders {eos}, {noun}, {attributes}, {request}, "
        "{candidates}."
    )

    @field_validator("prompt")
    @classmethod
    def _check(cls, v: str) -> str:
        names = set(re.findall(r"\{(\w+)\}", v))
        if names - PLACEHOLDERS:
            raise ValueError(f"unknown placeholder(s) {sorted(names - PLACEHOLDERS)}; allowed {sorted(PLACEHOLDERS)}")
        if not v.rstrip().endswith("{history}"):
            raise ValueError("the prompt must end with {history} (the continuation follows the history)")
        return v

    def needs(self, name: str) -> bool:
        return "{" + name + "}" in self.prompt


BUILTIN_TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in [
        Template(
            name="history",
            kind="implicit",
            prompt="{eos}Instruction: recommend the next {noun} for this user.\nHistory:{history}",
        ),
        Template(
            name="profile",
            kind="implicit",
            prompt="{eos}Instruction: recommend the next {noun} for a user ({attributes}).\nHistory:{history}",
        ),
        Template(name="sequence", kind="implicit", prompt="{eos}The user watched, oldest first:{history}"),
        Template(
            name="intention",
            kind="intention",
            prompt="{eos}Instruction: the user asks for {request}. Recommend a {noun} that fits.\nHistory:{history}",
        ),
        Template(
            name="intention_profile",
            kind="intention",
            prompt="{eos}A user ({attributes}) asks for {request}.\nHistory:{history}",
        ),
        Template(
            name="rank",
            kind="task",
            prompt="{eos}Task: rank these candidates for the user:{candidates}.\nHistory:{history}",
        ),
    ]
}


class VerbalizerConfig(StrictModel):
    """Which template, how history is written, and which user attributes may enter a prompt."""

    template: str = Field("history", description="Template for prompts without a request (built-in or custom).")
    request_template: str = Field("intention", description="Template for prompts with a request, e.g. 'a comedy'.")
    templates: list[Template] = Field(
        default_factory=list, description="Extra or overriding templates ([[...verbalizer.templates]] in TOML)."
    )
    history_format: Literal["tokens", "titles", "text"] = Field(
        "tokens",
        description="History written as item tokens ('tokens', cheap on CPU), item tokens with titles ('titles') "
        "or item text alone ('text': what a text continuation is scored against).",
    )
    continuation: Literal["item", "item_title", "text"] = Field(
        "item",
        description="What is scored after the prompt: the item token, the item token and its text, or the item "
        "text alone ('text': scores items that have no item token, e.g. new ones; needs reduction sum or mean).",
    )
    max_history: int = Field(200, gt=0, description="Most recent history items kept in a prompt.")
    max_reacted: int = Field(
        20, gt=0, description="Most recent items of each session reaction kind (passed over, more / less like) in a prompt."
    )
    attributes: list[str] = Field(
        default_factory=list,
        description="User attributes allowed in prompts (privacy: none by default; user ids never appear).",
    )
    noun: str | None = Field(
        None,
        min_length=1,
        description="What an item is called in prompts and training requests; unset: the catalog's own noun "
        "(`ItemCatalog.noun`: 'movie' for MovieLens, 'product' for a shop), else 'item'.",
    )
    category_field: str | None = Field(
        None,
        description="Catalog field of an item's categories, named in training intentions ('a comedy movie'); "
        "unset: the catalog's category field ('genres', else its only list field).",
    )
    max_prompt_candidates: int = Field(20, gt=0, description="Candidates listed in a 'task' template's prompt.")


@dataclass(frozen=True)
class Instruction:
    """A verbalized prompt: ``head`` parts, then one part list per history item (oldest first), and
    the request it carries (in its normal form, `text.normalize`; None: none), which an LM that reads requests also reads as a
    sentence-encoder vector."""

    template: str
    head: list[Part]
    history: list[list[Part]] = field(default_factory=list)
    request: str | None = None
    reactions: list[tuple[str, list[list[Part]]]] = field(default_factory=list)  # (label, items) after the history

    def parts(self) -> list[Part]:
        """Head, history, then the session's reactions, flattened (before any truncation)."""
        return [*self.head, *(p for item in self.history for p in item), *reaction_parts(self.reactions)]


class Verbalizer:
    """Builds instructions for users and continuations for candidates from the catalog text."""

    def __init__(
        self, items: IdMap, catalog: ItemCatalog | None = None, config: VerbalizerConfig | None = None
    ) -> None:
        self.config = config or VerbalizerConfig()
        self.items = items
        self.catalog = catalog
        self.templates = {**BUILTIN_TEMPLATES, **{t.name: t for t in self.config.templates}}
        for name in (self.config.template, self.config.request_template):
            if name not in self.templates:
                raise ConfigError(f"verbalizer: unknown template {name!r}; known {sorted(self.templates)}")
        self._titles: dict[int, str] = {}
        self._genres: dict[int, tuple[str, ...]] | None = None

    def item_text(self, item: int) -> str:
        """``Title (Year); Genre, Genre`` from the catalog (the external id when there is no catalog)."""
        if item not in self._titles:
            self._titles[item] = self.text_of(self.items.to_external([item])[0])
        return self._titles[item]

    def item_texts(self, items: Sequence[int] | np.ndarray) -> list[str]:
        """`item_text` of many internal items, the uncached ones described in one pass over the catalog's columns."""
        wanted = [int(i) for i in items]
        todo = [i for i in dict.fromkeys(wanted) if i not in self._titles]
        if todo:
            external = self.items.to_external(np.asarray(todo, np.int64))
            texts = self.catalog.describe_many(external) if self.catalog is not None else [str(e) for e in external]
            self._titles.update((i, " ".join(t.split())) for i, t in zip(todo, texts, strict=True))
        return [self._titles[i] for i in wanted]

    def text_of(self, external_id: object) -> str:
        """The item text of an external id, also for items the LM has no token for (new ones)."""
        if self.catalog is not None and external_id in self.catalog:
            text = self.catalog.describe(external_id)
        else:
            text = str(external_id)
        return " ".join(text.split())  # no newlines or tabs from catalog text

    @property
    def noun(self) -> str:
        """What an item is called: `VerbalizerConfig.noun`, else the catalog's noun, else "item"."""
        if self.config.noun:
            return self.config.noun
        return (self.catalog.noun if self.catalog is not None else None) or "item"

    def genres(self, item: int) -> tuple[str, ...]:
        """The catalog genres of internal `item` (empty without a catalog with genres)."""
        if self._genres is None:
            self._genres = _genre_lookup(self.items, self.catalog, self.config.category_field)
        return self._genres.get(int(item), ())

    def genre_request(self, item: int, rng: np.random.Generator) -> str | None:
        """A vague intention naming one genre of `item`, drawn with `rng` ("a comedy movie"), as in
        InstructRec's intention tasks; None for an item without genres (no draw is made then)."""
        return genre_request(self.genres(item), rng, self.noun)

    def continuation(self, item: int) -> list[Part]:
        if self.config.continuation == "item":
            return [int(item)]
        if self.config.continuation == "text":
            return [" " + self.item_text(item) + ";"]
        return [int(item), " " + self.item_text(item)]

    def set_items(self, items: IdMap, catalog: ItemCatalog | None = None) -> None:
        """A grown item map (new items from the feedback loop or the API) and, when given, the catalog
        that describes them: their text becomes available."""
        self.items, self._genres = items, None
        if catalog is not None and catalog is not self.catalog:  # a new catalog: its texts, not the cached ones
            self.catalog, self._titles = catalog, {}

    def _history_parts(self, history: Sequence[int] | np.ndarray) -> list[list[Part]]:
        recent = list(history)[-self.config.max_history :]
        if self.config.history_format == "tokens":
            return [[int(i)] for i in recent]
        if self.config.history_format == "text":
            return [[" " + self.item_text(int(i)) + ";"] for i in recent]
        return [[int(i), " " + self.item_text(int(i)) + ";"] for i in recent]

    def instruction(
        self,
        history: Sequence[int] | np.ndarray,
        *,
        attributes: dict[str, object] | None = None,
        request: str | None = None,
        candidates: Sequence[int] | None = None,
        template: str | None = None,
        reactions: Mapping[str, Sequence[int] | np.ndarray] | None = None,
    ) -> Instruction:
        """The instruction for one user. A `request` (blank: none) selects the request template by
        default. `reactions` (``passed`` / ``liked`` / ``disliked`` -> internal ids) are written after
        the history: " passed over: [A] [B]; more like: [C]; less like: [D]; next:"."""
        request = normalize(request) or None if request is not None else None
        name = template or (self.config.request_template if request else self.config.template)
        if name not in self.templates:
            raise ConfigError(f"verbalizer: unknown template {name!r}; known {sorted(self.templates)}")
        tpl = self.templates[name]
        if tpl.needs("request") and not request:
            raise ConfigError(f"template {name!r} needs a request text (e.g. request='a comedy')")
        allowed = {k: v for k, v in (attributes or {}).items() if k in self.config.attributes and v not in (None, "")}
        head: list[Part] = []
        for token in re.split(r"(\{\w+\})", tpl.prompt.rstrip()[: -len("{history}")]):
            if token == "{eos}":
                head.append(-1)  # the tokenizer's end-of-text id, filled in by `encode`
            elif token == "{noun}":
                head.append(self.noun)
            elif token == "{attributes}":
                head.append(", ".join(f"{k} {v}" for k, v in allowed.items()) or "no details")
            elif token == "{request}":
                head.append(" ".join(str(request).split()))
            elif token == "{candidates}":
                for c in list(candidates or [])[: self.config.max_prompt_candidates]:
                    head.extend([" ", int(c)])
            elif token:
                head.append(token)
        return Instruction(name, head, self._history_parts(history), request, self._reaction_parts(reactions))

    def _reaction_parts(
        self, reactions: Mapping[str, Sequence[int] | np.ndarray] | None
    ) -> list[tuple[str, list[list[Part]]]]:
        """The session's reactions as (label, item parts) groups (none: empty, the prompt as without them)."""
        out = []
        for kind, label in REACTION_LABELS.items():
            ids = list((reactions or {}).get(kind, ()))[-self.config.max_reacted :]
            if ids:
                out.append((label, self._history_parts(ids)))
        return out

    def render(self, instruction: Instruction) -> str:
        """Human-readable text of an instruction (item references shown with their titles)."""
        out = []
        for part in instruction.parts():
            if isinstance(part, str):
                out.append(part)
            elif part == -1:
                continue
            elif self.config.history_format == "titles":
                out.append(f"[#{self.items.to_external([part])[0]}]")
            else:
                out.append(f"[{self.item_text(part)}]")
        return "".join(out)


REACTION_LABELS = {"passed": "passed over", "liked": "more like", "disliked": "less like"}


def reaction_parts(groups: Sequence[tuple[str, list[list[Part]]]]) -> list[Part]:
    """ " passed over: [A] [B] more like: [C] next:" (nothing without reactions)."""
    out: list[Part] = []
    for label, items in groups:
        if items:
            out.append(f" {label}:")
            out += [p for item in items for p in item]
    return [*out, " next:"] if out else out


def _fitted_tail(groups: list[tuple[str, list[list[Part]]]], tokenizer, room: int) -> list[int]:
    """The reactions' tokens in at most half of `room` (the history keeps the rest): the oldest item of
    the longest group goes first until they fit (a group left empty goes with its label)."""
    groups = [(label, list(items)) for label, items in groups]
    while True:
        tail = _encode(reaction_parts(groups), tokenizer)
        if len(tail) <= room // 2 or not any(items for _, items in groups):
            return tail if len(tail) <= room // 2 else []
        longest = max(range(len(groups)), key=lambda g: len(groups[g][1]))
        groups[longest][1].pop(0)


def encode_instruction(instruction: Instruction, tokenizer, budget: int) -> list[int]:
    """Token ids of the prompt, dropping the oldest history items until it fits in `budget` tokens."""
    return encode_with_layout(instruction, tokenizer, budget)[0]


def encode_with_layout(instruction: Instruction, tokenizer, budget: int) -> tuple[list[int], list[int]]:
    """Like `encode_instruction`, plus the position of each kept history item's first token (the
    session's reactions come after the history, in at most half the room left by the template)."""
    head = _encode(instruction.head, tokenizer)
    per_item = [_encode(parts, tokenizer) for parts in instruction.history]
    room = budget - len(head)
    if room < 0:
        raise ConfigError(
            f"the prompt's fixed part (the instruction template with the request) needs {len(head)} tokens, more than "
            f"the LM's {budget}: shorten the request (the REST service takes at most max_request_chars characters, "
            "200 by default: configs/serve.toml)"
        )
    tail = _fitted_tail(instruction.reactions, tokenizer, room) if instruction.reactions else []
    room -= len(tail)
    lengths = np.cumsum([len(x) for x in reversed(per_item)])
    keep = int(np.searchsorted(lengths, room, side="right"))
    kept = per_item[len(per_item) - keep :] if keep else []
    ids, starts = list(head), []
    for item in kept:
        starts.append(len(ids))
        ids.extend(item)
    return ids + tail, starts


def _encode(parts: Sequence[Part], tokenizer) -> list[int]:
    out: list[int] = []
    for p in parts:
        if isinstance(p, str):
            out.extend(tokenizer.encode_text(p))
        elif p == -1:
            out.append(tokenizer.eos_id)
        else:
            out.append(tokenizer.item_token_id(p))
    return out


def _genre_lookup(items: IdMap, catalog: ItemCatalog | None, field: str | None) -> dict[int, tuple[str, ...]]:
    """Each internal item's categories (``field``, or the catalog's category field)."""
    field = catalog.category_field(field) if catalog is not None else None
    if catalog is None or field is None:
        return {}
    genres = catalog.items.loc[catalog.items.index.isin(items.ids), field]
    idx = items.to_internal(genres.index.to_numpy())
    return {int(i): tuple(g) for i, g in zip(idx, genres.to_numpy(), strict=True) if g}
