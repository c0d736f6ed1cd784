"""`IntentConfig`: how requests are read (which field, how sure a match must be, which reader decides)."""

from __future__ import annotations

import warnings
from typing import Any, Literal

from pydantic import Field, model_validator

from hybrid_rec.config import StrictModel
from hybrid_rec.text.stance import StanceConfig

__all__ = ["IntentConfig"]

_FILLER = (
    "a an the some any something anything i i'd id im i'm me my we us you want wanna would like to "
    "please recommend recommendation suggest show give find get watch watching see seen looking look for "
    "movie movies film films flick flicks picture one ones tonight today kind sort type of with about that "
    "is are be which who really very good great nice item items thing things stuff"
)

# Fields of the retired rulebook (text/predicates.py): a saved model's config still loads, without them.
_RETIRED = ("predicate_margin", "stance_margin")


class IntentConfig(StrictModel):
    """How requests are read: which catalog field holds categories, and how sure a match must be."""

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k in data for k in _RETIRED):
            gone = [k for k in _RETIRED if k in data]
            warnings.warn(f"requests.intent: {gone} belonged to the retired predicate rules and are ignored; "
                          "remove them from the config", DeprecationWarning, stacklevel=2)  # fmt: skip
            data = {k: v for k, v in data.items() if k not in _RETIRED}
        return data

    field: str | None = Field(
        None,
        description="Catalog field whose values a request can name (a tuple per item); unset: the catalog's "
        "category field ('genres', else its only list field, e.g. a shop's 'category').",
    )
    threshold: float = Field(
        0.35, ge=-1, le=1, description="Lowest cosine similarity between a clause and a value for the value to count."
    )
    margin: float = Field(
        0.0,
        ge=0,
        le=1,
        description="A value counts only when the clause is this much closer to it than to every neutral anchor.",
    )
    relative: float = Field(
        0.9,
        gt=0,
        le=1,
        description="Values within this fraction of the best value's similarity count too ('action or adventure').",
    )
    runner_up: float = Field(
        0.5,
        ge=0,
        le=1,
        description="How much an item of a value read at the `relative` cutoff counts, against one of the value "
        "its clause names best (1); linear in between, so that a near-tie counts almost fully. 1: every value "
        "read counts the same. The best value of each clause counts fully ('comedy or horror': both).",
    )
    exclude_relative: float = Field(
        0.97,
        gt=0,
        le=1,
        description="In a negated clause, only values within this fraction of the best one's similarity are "
        "excluded: an exclusion removes items, so only what the clause clearly names is (stricter than `relative`).",
    )
    filler: str = Field(
        _FILLER,
        description="Words removed from a clause before matching (articles, 'movie', 'I want', 'recommend', ...), "
        "so that what is left names the category; a clause left empty names nothing. The catalog's noun is removed "
        "too, and for a medium the words people ask for one with ('play', 'listen', 'songs' where items are albums, "
        "songs or tracks; 'read', 'novel' where they are books).",
    )
    tentative: float = Field(
        0.25,
        ge=-1,
        le=1,
        description="A clause whose best value is below `threshold` but at least this close still names it when it "
        "is `tentative_margin` closer to it than to every neutral anchor: a need said in words the catalog does not "
        "use ('training for my first marathon'), read with its similarity as how sure. Set it to `threshold` to "
        "read only sure matches.",
    )
    tentative_margin: float = Field(
        0.1, ge=0, le=1, description="How much closer than to any neutral anchor a tentative reading must be."
    )
    anchors: list[str] | None = Field(
        None,
        description="Neutral texts: a clause closer to these than to any value names no value (nonsense, 'surprise me', "
        "'anything'). Unset: what people say when they ask for nothing in particular (`NEUTRAL_REQUESTS`, with the "
        "catalog's noun), plus 'watch' with the film glossary.",
    )
    aliases: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Your own extra texts per value (spelled-out abbreviations, short descriptions), matched as well "
        "as the value's own name; values the catalog lacks are ignored.",
    )
    glossary: Literal["auto", "film", "none"] = Field(
        "auto",
        description="A built-in alias set: 'film' = descriptions of the usual film genres (hybrid_rec.text.glossary), "
        "'auto' = that set when the catalog's noun is a film's ('movie', 'film'), 'none' = no built-in set.",
    )
    named_fields: list[str] | None = Field(
        None,
        description="Catalog fields whose values a request may name outright ('anything by Rosa Bellamy': the "
        "author field; a brand, an artist), read against that field and never forced onto a category. None: every "
        "single-valued text field that names things (at most half as many distinct values as items, none longer "
        "than 60 characters; not the title, description, year or category field); [] for none.",
    )
    item_descriptions: int = Field(
        100,
        ge=0,
        description="A value without aliases (none of yours, none from the glossary) is also described by what its "
        "items say about themselves: the mean text vector of up to this many of its items' titles (and "
        "descriptions, when the catalog has them), so a need such as 'something for my dog' finds the category "
        "whose items speak of dogs. Descriptions written in words take precedence: film titles say little of "
        "their genre. 0 = names and aliases only.",
    )
    item_votes: int = Field(
        3,
        ge=0,
        description="A clause that asks for something (not a negated one) is also compared with the items "
        "themselves: a value described by its items scores the mean similarity of the clause to its `item_votes` "
        "closest items, so a need close to a few items ('sleep under the stars': a sleeping bag, a tent) finds "
        "their category even when the category's mean text is far. 0 = the mean text only. A negated clause uses "
        "it only under `exclude_votes`.",
    )
    exclude_votes: float = Field(
        0.5,
        ge=-1,
        le=2,
        description="A negated clause names a value through its items (a kind of item rejected: 'face masks don't "
        "suit me', 'no dumbbells') only when its item vote (`item_votes`) is at least this high and leads every "
        "other value's by `exclude_vote_margin`: a rejection excludes a category only when the rejected kind of "
        "item clearly belongs to it. Above 1 = exclusions read names and descriptions only.",
    )
    exclude_vote_margin: float = Field(
        0.1,
        ge=0,
        le=2,
        description="How far a negated clause's item vote must lead the next value's (`exclude_votes`).",
    )
    exclude_named: float = Field(
        0.85,
        gt=0,
        le=1,
        description="When a request asks for a value first and rejects it after ('a home workout without a gym': an "
        "aspect of the Fitness it asks for), the value stays wanted unless a negated clause names it this closely "
        "(cosine). A rejection that comes first always stands ('no camping gear, we sold the tent').",
    )
    spelling: bool = Field(
        True,
        description="Correct a request's small typos (text.spelling: against English and the catalog's own words) "
        "before it is read, by every reader and the LM; off for a catalog whose requests are not in English.",
    )
    reader: Literal["auto", "learned", "rules"] = Field(
        "auto",
        description="Who decides how a request stands to each value: 'learned' = the stance model (text.stance: "
        "probabilities, built once per installation; needs the MiniLM encoder), 'rules' = the negation cues of "
        "text.clauses (the hashing encoder's reader), 'auto' = learned with MiniLM, else rules. "
        "Periods and titles are read by pattern either way.",
    )
    stance: StanceConfig = Field(default_factory=StanceConfig, description="The stance model (reader 'learned').")
    reject_probability: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Learned reader: a value is excluded (removed from lists) only when P(rejected) is at least this "
        "(chosen on the development wordings of benchmarks/requests) and a clause names it clearly (`exclude_relative`, "
        "`exclude_votes`); a less sure clear rejection only lowers its items (by P(rejected)), an unclear one does nothing.",
    )
    soft_probability: float = Field(
        0.5, ge=0, le=1, description="Learned reader: the least P(rejected) that lowers a value's items at all."
    )
    reject_similarity: float = Field(
        0.5,
        ge=-1,
        le=1,
        description="Learned reader: a value is rejected (lowered or excluded) only when a clause names it at least "
        "this closely (cosine to its name, aliases or what its items say); a value a request only describes "
        "('something funny': Comedy at 0.48) is read as a wish or not at all: the stance model is unreliable on "
        "it. Chosen on the development wordings (benchmarks/requests, set 1: 77 of 84 clearly named rejected values "
        "are named at least this closely).",
    )
    sign_margin: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Learned reader: a value is read as wanted (or rejected) only when P(wanted | about) leads "
        "P(rejected | about) by this much (or the other way round); a reading the model is torn on moves nothing. "
        "Chosen on the development wordings (benchmarks/requests, set 1).",
    )
    about_probability: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Learned reader: the least P(the request is about the value) for it to be asked for (a rejection "
        "needs it through P(rejected) >= soft_probability): below it the model reads the request as more likely about "
        "something else ('no reggae please' and Hip-Hop, 0.5), and a wish it reads there is a guess. On the development "
        "wordings (benchmarks/requests, set 5) 0.5 left neutral requests and rejections of what the catalog lacks alone "
        "far more often (books neutral 0.84 -> 1.00 of the top 10 unchanged) for needs 0.722 -> 0.715.",
    )
    wish_probability: float = Field(
        0.5,
        ge=0.5,
        le=1,
        description="Learned reader: the least P(wanted | the request is about the value) for a value a clause names "
        "to be asked for; its items match by how well the clause names it times that probability.",
    )
    title_cutoff: float = Field(
        0.8, gt=0, le=1, description="Lowest similarity ratio for a named title ('like toy story') to match one."
    )
