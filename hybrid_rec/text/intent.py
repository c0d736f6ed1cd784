"""Requests in words -> structured intents -> a per-item match signal, without the LM.

InstructRec's intention kinds, adapted to what a catalog holds:

- *vague*: a genre or category ("a comedy", "something to make me laugh") or a period ("from the
  90s", "before 1980");
- *negative*: "no horror", "nothing scary", "a comedy but not romantic";
- *specific*: "something like Toy Story", "less like Alien".

`IntentParser` splits a request into positive and negative clauses (negation cues, `clauses`), pulls out
years and named titles with patterns, and maps what remains to catalog values (genres) by the
similarity of sentence embeddings (`TextEncoder`): a clause names a value when its embedding is
close enough to the value's name or to one of its descriptions and closer to it than to neutral
anchor texts (what the catalog calls an item: "a movie", "a product") by a margin, so free-form
phrasings work and nonsense names nothing. A value's descriptions are the catalog's own (what its
items say about themselves: the mean text vector of up to ``IntentConfig.item_descriptions`` of its
items' titles and descriptions), any `IntentConfig.aliases` the user gives, and for a film catalog
the glossary of film genres (``hybrid_rec.text.glossary``; `IntentConfig.glossary`). An empty or
nonsense request parses to an empty intent, which callers treat as no request; `text.matcher` turns
an `Intent` into per-item scores.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.errors import ConfigError
from hybrid_rec.text.clauses import LIKE, clauses, norm_title, years_of
from hybrid_rec.text.clauses import pieces as value_pieces
from hybrid_rec.text.encoder import TextEncoder
from hybrid_rec.text.glossary import FILM_GENRES
from hybrid_rec.text.intent_config import IntentConfig
from hybrid_rec.text.learned import Stance, ValueReading, conflicting, decide, read_values
from hybrid_rec.text.named import NamedFields
from hybrid_rec.text.normalize import normalize
from hybrid_rec.text.spelling import Speller
from hybrid_rec.text.stance import build_stance

__all__ = ["NEUTRAL_REQUESTS", "Intent", "IntentConfig", "IntentParser"]

_FINAL_MARKS = re.compile(r"\s*[.!?]+$")  # the punctuation that ends a request
_FILM_NOUNS = {"movie", "film", "flick", "picture"}  # catalogs whose glossary is the film genres
# How people ask for a medium's items, by what the catalog calls one: filler there ("play some jazz": jazz), not
# elsewhere ("something to play with" in a toy shop). A film catalog's ("watch", "movie") are in _FILLER.
_LISTENING = "music song songs track tracks tune tunes record records listen listening hear play playing"
_MEDIUM = {"album": _LISTENING, "song": _LISTENING, "track": _LISTENING, "book": "read reading novel novels"}
# What people say when they ask for nothing in particular, in any catalog ("{noun}": what it calls an item).
# A clause closer to one of these than to every value names none: "surprise me" is not a wish for babies.
NEUTRAL_REQUESTS = (
    "{noun}", "something", "anything", "a good {noun}", "the best {noun}s", "a popular {noun}", "something new",
    "surprise me", "recommend something", "show me more", "what do you suggest", "I don't know", "whatever",
    "anything is fine", "hello", "help", "more please", "random", "cheap", "top rated", "trending",
)  # fmt: skip


def _texts(value: object) -> tuple[str, ...]:
    """A catalog cell's texts (a list field's values)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list, np.ndarray)):
        return tuple(str(v) for v in value)
    return ()


@dataclass(frozen=True)
class Intent:
    """A parsed request. Values are catalog values (e.g. genres); items are external item ids."""

    text: str = field(compare=False)  # two phrasings of one intent are equal (and share a cached match)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    years: tuple[float, float] | None = None
    like: tuple[object, ...] = ()
    unlike: tuple[object, ...] = ()
    exclude_years: tuple[float, float] | None = None
    clauses: tuple[tuple[str, bool], ...] = field(default=(), compare=False)
    similarity: tuple[tuple[str, float], ...] = field(default=(), compare=False)  # per value read: how close
    tentative: tuple[str, ...] = field(default=(), compare=False)  # values asked for below the sure threshold
    negated: bool = field(default=False, compare=False)  # the request holds a negation (read or not)
    weights: tuple[tuple[str, float], ...] = ()  # per value asked for: how much its items match (1: the clause's best)
    avoid: tuple[tuple[str, float], ...] = ()  # per value rejected softly: how much its items are lowered
    stance: tuple[ValueReading, ...] = field(default=(), compare=False)  # the learned reader's probabilities

    @property
    def empty(self) -> bool:
        """True when the request names nothing the catalog knows: treat it as no request."""
        return not (self.include or self.exclude or self.years or self.like or self.unlike or self.exclude_years
                    or self.avoid)  # fmt: skip

    @property
    def positive(self) -> bool:
        """True when the intent asks *for* something (a match score exists)."""
        return bool(self.include or self.years or self.like)


class IntentParser:
    """Reads requests against one catalog's values and titles (embeddings computed once)."""

    def __init__(self, catalog: ItemCatalog, encoder: TextEncoder, config: IntentConfig | None = None) -> None:
        self.config = config or IntentConfig()
        self.encoder = encoder
        values: set[str] = set()
        self.field = catalog.category_field(self.config.field)
        if self.field is not None:
            for v in catalog.items[self.field]:
                values.update(str(x) for x in (v or ()))
        self.values = sorted(values - {"unknown", ""})
        noun = (catalog.noun or "item").lower()
        aliases = self._aliases(noun)
        texts = [[v, *aliases.get(v, [])] for v in self.values]
        flat = [t for group in texts for t in group]
        emb = encoder.encode(flat) if flat else np.zeros((0, 1), np.float32)
        owner = np.repeat(np.arange(len(self.values)), [len(g) for g in texts])
        # the item votes: each sampled item's unit text row once, and per value the rows of its items
        # ([values, most items], -1 padded; a value described in words has none)
        self._member_rows: np.ndarray | None = None
        self._member_index = np.full((len(self.values), 0), -1, np.int32)
        own = self._item_descriptions(catalog)
        bare = np.array([not aliases.get(v) for v in self.values], bool)  # values no one described in words
        self._member_index[~bare] = -1
        if own is not None and bare.any():
            emb, owner = np.vstack([emb, own[bare]]), np.concatenate([owner, np.flatnonzero(bare)])
        self._value_emb, self._value_owner = emb, owner
        anchors = self.config.anchors
        if anchors is None:
            anchors = [t.format(noun=noun) for t in NEUTRAL_REQUESTS] + self._glossary_anchors(noun)
        self._anchor_emb = encoder.encode(anchors) if anchors else emb[:0]
        titles = catalog.items["title"] if "title" in catalog.fields else catalog.items.index.astype(str).to_series()
        self._titles: dict[str, object] = {}
        for item_id, title in zip(catalog.items.index, titles, strict=True):
            self._titles.setdefault(norm_title(title), item_id)
        self.names = NamedFields(catalog, self.config.named_fields, self.field, encoder)
        self.named = self.names.labels  # label ("author: Rosa Bellamy") -> (field, value)
        self._cache: dict[str, Intent] = {}
        words = (x for col in catalog.items.columns for v in catalog.items[col] for x in _texts(v))
        self.speller = Speller(words) if self.config.spelling else None
        self._vectors: dict[str, np.ndarray] = {}
        self.stance: Stance | None = None
        if self.config.reader != "rules":
            self.stance = build_stance(encoder, self.config.stance)
            if self.stance is None and self.config.reader == "learned":
                raise ConfigError(
                    f"requests.intent.reader = 'learned' needs the MiniLM encoder, not {type(encoder).__name__}: "
                    "install the 'text' extra, or set reader = 'rules'"
                )
        medium = set(_MEDIUM.get(noun, "").split())  # "play some jazz" where items are albums
        self._filler = set(self.config.filler.split()) | {noun, noun + "s", noun + "es"} | medium

    def _film(self, noun: str) -> bool:
        return self.config.glossary == "film" or (self.config.glossary == "auto" and noun in _FILM_NOUNS)

    def _glossary_anchors(self, noun: str) -> list[str]:
        """The neutral texts the glossary brings (a film catalog: "watch")."""
        return ["watch"] if self._film(noun) else []

    def _aliases(self, noun: str) -> dict[str, list[str]]:
        """The user's aliases, after the glossary's when one applies (`IntentConfig.glossary`)."""
        out = {value: list(texts) for value, texts in FILM_GENRES.items()} if self._film(noun) else {}
        for value, texts in self.config.aliases.items():
            out[value] = [*out.get(value, []), *texts]
        return out

    def _item_descriptions(self, catalog: ItemCatalog) -> np.ndarray | None:
        """[len(values), dim] unit rows: each value's mean text vector over up to `item_descriptions` of
        its items (evenly spaced in catalog order; title, plus description when there is one); None
        when off or there is nothing to read. Keeps those items' unit rows for `item_votes`."""
        n = self.config.item_descriptions
        if not n or not self.values or self.field is None or "title" not in catalog.fields:
            return None
        texts = catalog.items["title"].astype(str)
        if "description" in catalog.fields:
            texts = texts + ". " + catalog.items["description"].fillna("").astype(str)
        column = {v: j for j, v in enumerate(self.values)}
        members: list[list[int]] = [[] for _ in self.values]
        for pos, vs in enumerate(catalog.items[self.field]):
            for v in vs or ():
                if v in column:
                    members[column[v]].append(pos)
        picked = [m[:: max(1, -(-len(m) // n))][:n] for m in members]
        flat = sorted({p for m in picked for p in m})
        if not flat:
            return None
        row = {p: r for r, p in enumerate(flat)}
        vectors = np.asarray(self.encoder.encode([" ".join(texts.iloc[p].split()) for p in flat]), np.float32)
        self._member_rows = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self._member_index = np.full((len(self.values), max(len(m) for m in picked)), -1, np.int32)
        for j, m in enumerate(picked):
            self._member_index[j, : len(m)] = [row[p] for p in m]
        out = np.zeros((len(self.values), vectors.shape[1]), np.float32)
        for j, m in enumerate(picked):
            if m:
                mean = vectors[[row[p] for p in m]].mean(0)
                out[j] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return out

    def values_of(self, clause: str, negated: bool = False) -> tuple[str, ...]:
        """The catalog values a clause names, best first (none for nonsense or a neutral clause); a
        `negated` clause names only those close to the best (`exclude_relative`)."""
        return tuple(v for v, _ in self.scored_values(clause, negated))

    def scored_values(self, clause: str, negated: bool = False) -> tuple[tuple[str, float], ...]:
        """`values_of` with each value's similarity to the clause (the cosine to its closest text):
        how sure the reading is."""
        words = self._words(clause)
        if not self.values or not words:
            return ()
        q = self._vector(words)
        sims = self._value_emb @ q
        best = np.full(len(self.values), -np.inf)
        np.maximum.at(best, self._value_owner, sims)
        cfg = self.config
        if cfg.item_votes and self._member_rows is not None:
            votes = self._item_vote(self._member_rows @ q)
            if negated:  # only a clear lead of one value counts: an exclusion removes its items
                lead = np.sort(votes)[-2] if len(votes) > 1 else -np.inf
                votes = np.where(
                    (votes >= cfg.exclude_votes) & (votes >= lead + cfg.exclude_vote_margin), votes, -np.inf
                )
            best = np.maximum(best, votes)
        floor = float((self._anchor_emb @ q).max()) + cfg.margin if len(self._anchor_emb) else -np.inf
        top = float(best.max())
        relative = cfg.exclude_relative if negated else cfg.relative
        sure = (best >= cfg.threshold) & (best >= floor)
        if not negated and not sure.any():  # a wish in other words: a tentative reading (never an exclusion)
            sure = (best >= cfg.tentative) & (best >= floor + cfg.tentative_margin)
        ok = sure & (best >= top * relative)
        order = np.argsort(-best, kind="stable")
        return tuple((self.values[i], round(float(best[i]), 4)) for i in order if ok[i])

    def _words(self, clause: str) -> str:
        """What of a clause names a value: its words without filler (empty: nothing)."""
        return " ".join(w for w in re.findall(r"[\w'-]+", clause.lower()) if w not in self._filler)

    def _vector(self, words: str) -> np.ndarray:
        """A clause's text vector, encoded once (a negated predicate's clauses are read twice: to weigh
        the predicate, then for their values)."""
        hit = self._vectors.get(words)  # a local: another thread may clear the cache meanwhile
        if hit is None:
            if len(self._vectors) >= 4096:
                self._vectors.clear()
            hit = self._vectors[words] = self.encoder.encode([words])[0]
        return hit

    def _item_vote(self, sims: np.ndarray) -> np.ndarray:
        """Per value: the mean of a clause's similarities `sims` (one per sampled item row) to its
        `item_votes` closest items, or to all of them when it has fewer (-inf for values without)."""
        index = self._member_index
        k = min(self.config.item_votes, index.shape[1])
        if k == 0:
            return np.full(len(self.values), -np.inf)
        padded = np.where(index >= 0, sims[np.maximum(index, 0)], -np.inf)
        top = np.partition(padded, index.shape[1] - k, axis=1)[:, -k:]
        count = np.isfinite(top).sum(1)
        total = np.where(np.isfinite(top), top, 0.0).sum(1)
        return np.where(count > 0, total / np.maximum(count, 1), -np.inf)

    def titles_of(self, text: str) -> tuple[object, ...]:
        """Items whose title `text` names (close spelling allowed)."""
        name = norm_title(text)
        for prefix in ("the movie ", "the film ", "movie ", "film "):
            name = name.removeprefix(prefix)
        if name in self._titles:
            return (self._titles[name],)
        close = difflib.get_close_matches(name, list(self._titles), n=1, cutoff=self.config.title_cutoff)
        return (self._titles[close[0]],) if close else ()

    def canonical(self, request: str | None) -> str:
        """`request` as every reader sees it: its normal form (`normalize`) with small typos corrected
        (`Speller`, unless `IntentConfig.spelling` is off), without the punctuation that ends it: "sci-fi please!",
        "sci fi please" and "sci-fi please." say the same, so they read and rank the same (the stance model is
        trained on requests with and without a final mark)."""
        text = normalize(request)
        text = self.speller.correct(text) if self.speller is not None else text
        return _FINAL_MARKS.sub("", text)

    def parse(self, request: str | None) -> Intent:
        """The intent of one request (cached per normal form: `canonical`, so a typed variant reads as its
        clean form)."""
        key = normalize(request)
        hit = self._cache.get(key)  # a local: another thread may clear the cache meanwhile
        if hit is None:
            if len(self._cache) >= 4096:  # a long-running service sees unboundedly many texts
                self._cache.clear()
            hit = self._cache[key] = self._parse(self.canonical(key))
        return hit

    def _parse(self, text: str) -> Intent:
        include: list[str] = []
        exclude: list[str] = []
        like: list[object] = []
        unlike: list[object] = []
        years = exclude_years = None
        sure: dict[str, float] = {}
        weights: dict[str, float] = {}  # per value asked for, the most its items match in any clause
        rejected: dict[str, float] = {}  # per value, its best similarity in a negated clause
        first: dict[str, bool] = {}  # per value, whether the first clause that names it is negated
        cut = clauses(text)
        learned = self.stance is not None  # values read by the stance model; periods and titles by pattern
        parts = [(c.text, c.negated) for c in cut]
        rejects = any(negated for _, negated in parts)
        pieces: list[tuple[str, str, bool]] = []  # (clause as said, what of it may name a value, a negation cue)
        for clause, negated in parts:
            span, rest = years_of(clause)
            if span is not None and negated:
                exclude_years = span  # "nothing from the 90s"
            elif span is not None:
                years = span
            named: tuple[object, ...] = ()
            if m := LIKE.search(rest):
                named = self.titles_of(m[1])
                if named:
                    rest = rest[: m.start()]
            (unlike if negated else like).extend(named)
            if learned:
                continue
            for label in self.names.named_in(rest):  # "nothing by Orson Pike": the author field, not a category
                (exclude if negated else include).append(label)
                weights[label], sure[label] = 1.0, 1.0
                first.setdefault(label, negated)
                rest = rest.replace(self.names.text[label], " ")
            found = self.scored_values(rest, negated) if re.search(r"\w", rest) else ()
            (exclude if negated else include).extend(v for v, _ in found)
            if found and not negated:
                for value, weight in self._weights(found).items():
                    weights[value] = max(weights.get(value, 0.0), weight)
            for value, sim in found:
                sure[value] = max(sure.get(value, -1.0), sim)
                first.setdefault(value, negated)
                if negated:
                    rejected[value] = max(rejected.get(value, -1.0), sim)
        dedup = lambda xs: tuple(dict.fromkeys(xs))  # noqa: E731
        if learned:
            for said, piece, cued in value_pieces(text):  # where values may be named: periods, titles and named
                rest = years_of(piece)[1]  # fields' values taken out
                if (m := LIKE.search(rest)) and self.titles_of(m[1]):
                    rest = rest[: m.start()]
                for label in self.names.named_in(rest):
                    rest = rest.replace(self.names.text[label], " ")
                    pieces.append((said, label, cued))
                pieces.append((said, rest, cued))
            return self._learned(text, pieces, Intent(text, (), (), years, dedup(like), dedup(unlike), exclude_years,
                                                      tuple(parts), negated=rejects))  # fmt: skip
        # A value both asked for and rejected: the order of the clauses tells which. A rejection that comes
        # first stands, whatever the clauses after it say ("no camping gear, we sold the tent"), as does one
        # that names the value outright ("forget camping, I'm staying home"); a wish that comes first and is
        # qualified after ("a home workout without a gym") stays wanted, nothing excluded for it.
        stands = {v for v in exclude if first.get(v) or rejected.get(v, 0.0) >= self.config.exclude_named}
        exclude_t = tuple(v for v in dedup(exclude) if v not in include or v in stands)
        include_t = tuple(v for v in dedup(include) if v not in exclude_t)
        guessed = tuple(v for v in include_t if sure.get(v, 1.0) < self.config.threshold)
        return Intent(
            text, include_t, exclude_t, years, dedup(like), dedup(unlike), exclude_years, tuple(parts),
            tuple(sure.items()), guessed, rejects, tuple((v, weights[v]) for v in include_t),
        )  # fmt: skip

    def _learned(self, text: str, pieces: list[tuple[str, str, bool]], rest: Intent) -> Intent:
        """`rest` (periods and titles) with the values the stance model reads in `text`: the candidates are
        the values some clause names (as a wish, or clearly enough to be rejected), each decided from its
        probabilities (`learned.decide`). A value the whole request rejects but one of its clauses, read
        alone, wants ("strength training at home, I can't afford a gym": both clauses name Fitness) is conflicting:
        left alone; so is a wish the clause naming it clearly, read alone, rejects ("please don't give me self-help,
        I'm not broken": on the development sets this turned 8 of 29 rejections read as wishes into nothing). A clause with a negation cue that names nothing answers the clause before it ("kitchen
        gadgets? not on your life")."""
        if self.stance is None:
            raise ConfigError("the learned reader has no stance model")
        # one encoder pass (a pass costs more than its rows): the token states of the request and of each of its
        # clauses (read alone when a reading may conflict), every clause's vector and the words of the whole request
        said = [w for w in (self._words(p) for _, p, _ in pieces if p not in self.named) if w]
        todo = list(dict.fromkeys(w for w in [*said, " ".join(said)] if w and w not in self._vectors))
        alone = [clause for clause, _, _ in pieces if clause != text] if len(pieces) > 1 else []
        for words, vector in zip(todo, self.stance.prime([text, *alone], todo), strict=True):
            self._vectors[words] = vector
        candidates: dict[str, tuple[float, bool, bool]] = {}  # value -> (wish weight, clear, clear with a cue)
        named_in: dict[str, list[str]] = {}  # value -> the clauses (as said) that name it
        clear_in: dict[str, list[str]] = {}  # value -> the clauses that name it clearly
        sure: dict[str, float] = {}
        cfg = self.config
        named_here: list[set[str]] = []  # per piece, the values it names clearly
        for clause, piece, cued in pieces:
            named_here.append(set())
            if piece in self.named:  # a named field's value, said word for word: clearly named
                was = candidates.get(piece, (0.0, False, False))
                candidates[piece] = (1.0, True, was[2] or cued)
                named_in.setdefault(piece, []).append(clause)
                clear_in.setdefault(piece, []).append(clause)
                sure[piece] = 1.0
                named_here[-1].add(piece)
                continue
            if not re.search(r"\w", piece):
                continue
            wish = self.scored_values(piece, False)
            # a rejection needs the value named, not only described ("something funny": Comedy at 0.48, read
            # as rejected 0.97 by the model, which is unreliable on what a request only describes)
            clear = {v for v, sim in self.scored_values(piece, True) if sim >= cfg.reject_similarity}
            weights = self._weights(wish) if wish else {}
            for value, sim in wish:
                sure[value] = max(sure.get(value, -1.0), sim)
            for value in {*weights, *clear}:
                was = candidates.get(value, (0.0, False, False))
                named = value in clear
                candidates[value] = (max(was[0], weights.get(value, 0.0)), was[1] or named, was[2] or (named and cued))
                named_in.setdefault(value, []).append(clause)
                if named:
                    clear_in.setdefault(value, []).append(clause)
            named_here[-1] |= clear | set(weights)
        # no clause names a wish: a need told over several clauses ("my nephew turns five, he's mad about building
        # things") may name one as a whole (a wish, never a rejection; one more encoder pass, only then)
        if len(said) > 1 and not any(weight > 0 for weight, _, _ in candidates.values()):
            whole = self.scored_values(" ".join(said), False)
            for (value, sim), weight in zip(whole, self._weights(whole).values() if whole else (), strict=True):
                was = candidates.get(value, (0.0, False, False))
                candidates[value], sure[value] = (max(was[0], weight), was[1], was[2]), max(sure.get(value, -1.0), sim)
                named_in.setdefault(value, []).append(text)
        for n in range(1, len(pieces)):  # "kitchen gadgets? not on your life": a cue naming nothing answers the
            if pieces[n][2] and not named_here[n]:  # clause before it
                for value in named_here[n - 1]:
                    weight, clear_, _ = candidates[value]
                    candidates[value] = (weight, clear_, clear_)
        named_rows = {v: self.names.vector(v) for v in candidates if v in self.named}
        texts = self._value_texts | named_rows if named_rows else self._value_texts
        readings = read_values(self.stance, text, candidates, texts)
        # a request that is nothing but a value's name ("ROMANCE!!!") asks for it: an exact match, not a reading
        bare = self._words(text)
        readings = [replace(r, about=1.0, given_wanted=1.0, given_rejected=0.0, given_mentioned=0.0)
                    if r.value.lower() == bare else r for r in readings]  # fmt: skip
        conflicts = conflicting(self.stance, text, readings, candidates, texts, named_in, clear_in, cfg.soft_probability,
                                cfg.wish_probability, cfg.sign_margin)  # fmt: skip
        d = decide([r for r in readings if r.value not in conflicts], cfg.reject_probability, cfg.soft_probability,
                   cfg.wish_probability, cfg.sign_margin, cfg.about_probability)  # fmt: skip
        include = tuple(sorted(d.include, key=lambda v: -d.include[v]))
        guessed = tuple(v for v in include if sure.get(v, 1.0) < cfg.threshold)
        negated = bool(d.exclude or d.avoid) or rest.negated  # a negation read as nothing still says so
        return replace(
            rest, include=include, exclude=d.exclude, similarity=tuple((v, sure.get(v, 0.0)) for v in candidates),
            tentative=guessed, negated=negated, weights=tuple((v, d.include[v]) for v in include),
            avoid=tuple(sorted(d.avoid.items())), stance=tuple(readings),
        )  # fmt: skip

    @cached_property
    def _value_texts(self) -> dict[str, np.ndarray]:
        """Per value, the unit rows of its texts (name, aliases, what its items say)."""
        return {v: self._value_emb[self._value_owner == j] for j, v in enumerate(self.values)}

    def _weights(self, found: tuple[tuple[str, float], ...]) -> dict[str, float]:
        """Per value one clause asks for, how much its items match: 1 for the clause's best value, down
        to `runner_up` for one at the `relative` cutoff (rounded, so that close readings share a match)."""
        cfg, top = self.config, found[0][1]
        span = 1.0 - cfg.relative
        out = {}
        for value, sim in found:
            ratio = sim / top if top > 0 else 1.0
            closeness = 1.0 if span <= 0 else float(np.clip(1.0 - (1.0 - ratio) / span, 0.0, 1.0))
            out[value] = round(cfg.runner_up + (1.0 - cfg.runner_up) * closeness, 2)
        return out
