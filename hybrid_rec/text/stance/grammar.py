"""A compositional grammar of requests, labelled per thing: wanted, rejected or neither (`corpus`).

A request is one or two clauses about things from `lexicon.LEXICON` (or none: a neutral request),
each clause said in one of many forms: plain wishes, needs and complaints (a need for the thing: "my X
broke"; or told as its situation, naming neither the thing nor its category: "i got soaked walking to work again"),
liking said in negative-looking words ("I can't get enough of X"), rejections in many negation forms,
dislike said without a negation ("X bores me to tears"), double negatives, and two clauses: fixed patterns
("X but no Y", "neither X nor Y", "X instead of Y", "my partner likes X, I want Y": X only mentioned) or any two of
the single forms joined, either order ("Y? not for me. show me X"), each thing taking its own clause's stance.
Every request comes with its targets: each thing said (the word used and its category's name)
labelled by the form, and near misses (other categories of the same kind of catalog) and far ones
labelled *unrelated*: the model learns whether a request is *about* something apart from how it
stands to it, and a rejection removes only what it is about. Requests are normalised as at the boundary (`normalize`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from hybrid_rec.text.normalize import normalize
from hybrid_rec.text.stance.lexicon import LEXICON
from hybrid_rec.text.stance.situations import SITUATIONS

__all__ = ["LABELS", "Example", "corpus"]

LABELS = ("wanted", "rejected", "mentioned", "unrelated")
# the stance toward a thing the request is about (wanted, rejected, mentioned without either), or not about it
WANTED, REJECTED, MENTIONED, UNRELATED = 0, 1, 2, 3

# One clause per form; {x} is the thing.
WISH = """
{x} | {x} please | some {x} | i want {x} | i'd like some {x} | looking for {x} | show me {x} | got any {x}?
in the mood for {x} | i need {x} | recommend me some {x} | anything with {x} | more {x} please | give me {x}
i love {x} | i really like {x} | {x} would be great | i'm into {x} | big fan of {x} | {x} is my favourite
{x} is my thing | craving {x} | i fancy some {x} | i'm after {x} | any good {x}? | where can i find {x}?
do you have {x}? | something with {x} | i'd enjoy some {x} | only {x} | just {x} | {x}, nothing else
what about {x}? | how about some {x} | let's do {x} | {x} sounds good | i'm keen on {x} | i adore {x}
we're looking at {x} | we want {x} | my kids love {x} | a gift for someone who loves {x} | {x} for a friend
{x}? yes please | {x}? sure | {x}? love it | {x}? always | {x}? go on then | any {x}? | {x} anyone? | something {x}?
{x}, yes! | {x} all the way | {x}? absolutely | more {x}? yes
something in the {x} line | i was hoping for {x} | i'd go for {x} | i'm leaning towards {x} | top {x} picks
"""
LIKING_NEGATIVE = """
i can't get enough of {x} | i never get tired of {x} | {x} never gets old | {x} is my guilty pleasure
{x} is sick | {x} is wicked good | {x} is ridiculously good | {x} is dangerously addictive | i'm obsessed with {x}
i'm dying for some {x} | i'm addicted to {x} | i'm crazy about {x} | i'm mad about {x} | {x} is to die for
{x} is my weakness | there's no such thing as too much {x} | you can't go wrong with {x} | i'd never turn down {x}
i wouldn't say no to {x} | i never say no to {x} | nothing beats {x} | i can't resist {x} | can't live without {x}
i can't wait to get into {x} | i don't mind {x} at all | i don't hate {x} | not that i don't like {x} | i have nothing against {x}
there's nothing wrong with {x} | {x} is not bad at all | {x} isn't bad | no complaints about {x} | {x} never disappoints
i can't stop thinking about {x} | {x} is seriously underrated | {x} is insanely good | {x} kills it every time
{x} is the bomb | i could never get bored of {x} | it's not like i dislike {x} | i can't say no to {x}
{x} is criminally good | i'd kill for some {x} | {x} is stupidly fun | {x} has me hooked | no one does it like {x}
i'm not saying i don't want {x} | it's not that i don't want {x} | i wouldn't mind {x} | i'm not against {x}
not that i'd refuse {x} | i wouldn't object to some {x} | i can't deny i love {x} | i'm hopelessly hooked on {x}
{x} is an addiction at this point | i'm a sucker for {x} | {x} is my kryptonite | can't stop, won't stop with {x}
never enough {x} | can't get enough {x} | never tire of {x} | i could live on {x} | {x} is a dangerous habit of mine
{x} has ruined everything else for me | i'm shamelessly into {x} | i've got it bad for {x} | {x} owns my heart
i'm hooked on {x}, no cure in sight | i'll never be sick of {x} | nobody can stop me buying {x} | {x} is a sickness and i love it
i'd never pass up {x} | i won't say no to {x} | wouldn't mind some {x} | couldn't hurt to see some {x}
i'm not one to turn down {x} | i never refuse {x} | not once have i regretted {x} | i'm a total {x} junkie
{x} slaps | {x} goes hard | {x} is fire | {x} is nuts, in a good way | {x} is wild, i love it | {x} is killer
"""
NEED = """
my {x} broke | my old {x} fell apart | i need a new {x} | my {x} stopped working | time to replace my {x}
a present for someone who's into {x} | getting started with {x} | just took up {x} | planning a weekend of {x}
my {x} is worn out | our {x} is falling apart | i lost my {x} | upgrading my {x} | my {x} is useless now
my {x} is so old it's embarrassing | my {x} is rubbish, i need better | my {x} is terrible | our {x} is a disaster
my {x} keeps breaking | my {x} is so bad it hurts | the {x} i have is awful | my current {x} is dreadful
our old {x} died | my {x} gave up on me | i'm sick of my broken {x} | i hate my old {x}, time for a new one
{x} for late nights | {x} for a long drive | {x} for when i'm feeling down | {x} to help me sleep | {x} for a rainy day
{x} for a party on saturday | {x} for my commute | {x} for a lazy sunday | {x} to get me through monday
something with {x} for a gloomy evening | {x} that makes me cry | {x} with a dark twist | {x} for a sick friend
{x} for working late | {x} to take my mind off things | {x} for my dad who is hard to please | {x} for a stressful week
{x} for a birthday present | {x} to cheer me up | {x} for the cold winter nights | {x} for someone who has everything
a gift with {x} for my grumpy uncle | {x} for a boring afternoon | {x} for a long flight | {x} for a night alone
a {x} that will break my heart | {x} so sad i'll cry | something bleak with {x} | {x} that scares me silly
a brutal {x} | {x} with a killer twist | a dark and twisted {x} | {x} about losing everything | a grim, gritty {x}
my back is killing me, i need {x} | {x} for my aching feet | i'm desperate for {x} | {x} that hurts so good
{x} for a miserable day | a savage {x} | the nastiest {x} you have | {x} with no happy ending | {x} for a funeral
nothing cheers me up like {x} | without {x} i'm lost | i can't sleep without {x} | i'd be lost without my {x}
my kid won't stop asking for {x} | my dog destroyed our {x} | the {x} we had got ruined | we can't do without {x}
{x} that won't break the bank | {x} that doesn't fall apart | {x} that never lets you down | {x} that doesn't need batteries
"""
REJECT = """
no {x} | no {x} please | not {x} | nothing with {x} | anything but {x} | anything except {x} | everything but {x}
i don't want {x} | i do not want {x} | i don't like {x} | i don't need {x} | i don't care for {x} | not into {x}
not a fan of {x} | i'm not a fan of {x} | not in the mood for {x} | {x} is not for me | {x} isn't my thing
{x} isn't for me | {x} doesn't appeal to me | {x} doesn't interest me | skip the {x} | skip {x} | leave out the {x}
without {x} | minus the {x} | hold the {x} | keep {x} out of it | keep the {x} away | {x}-free | spare me the {x}
no more {x} | i'm done with {x} | i'm over {x} | enough {x} | i've had enough of {x} | i'm sick of {x}
i'm tired of {x} | fed up with {x} | avoid {x} | steer clear of {x} | stay away from {x} | i'd rather not have {x}
pass on {x} | not interested in {x} | never {x} | please no {x} | {x}? no thanks | {x}? nope | not {x} again
{x} is out | anything other than {x} | exclude {x} | rule out {x} | forget {x} | don't show me {x}
i never want to see {x} again | no {x} whatsoever | zero {x} | {x} is a no | {x} is a hard no | nope to {x}
we don't do {x} | {x} won't work for us | we have no use for {x} | not looking for {x} | i'm not after {x}
i won't touch {x} | i wouldn't want {x} | definitely not {x} | {x}, no way | not a single {x} | no {x} at all
{x} is not my cup of tea | {x} isn't really my scene | i have zero interest in {x} | count me out of {x}
{x}? not a chance | {x}? not in a million years | {x}? you must be joking | {x}? forget it | {x}? hell no
{x}? absolutely not | {x}? never again | {x}? i'd rather not | {x}? pass | {x}? not for me
i'm done with {x} for now | i've had my fill of {x} | taking a break from {x} | no more {x} for a while
i've outgrown {x} | {x} fatigue is real | keep it {x}-free | a {x}-free selection please | zero tolerance for {x}
{x}? done that to death | {x}? we already have plenty | {x}? we're past that stage | {x}? not on my watch
i'm through with {x} | give {x} a rest | let's skip the {x} this time | i've seen enough {x} to last a lifetime
{x} is off the table | {x} is a dealbreaker | {x}? nah | {x}? thanks but no | not more {x} | anything that isn't {x}
{x} doesn't do it for me anymore | i like {x} but not today | i love {x}, just not right now
it's not that i don't like {x}, i just don't want it today | {x} is fine usually, but not this time | i'm off {x} | {x} is banned in this house | i wouldn't be caught dead with {x}
"""
DISLIKE = """
i hate {x} | i loathe {x} | i detest {x} | i despise {x} | i can't stand {x} | i can't bear {x} | {x} bores me
{x} bores me to tears | {x} puts me to sleep | {x} gets on my nerves | {x} gives me a headache | {x} is the worst
{x} is awful | {x} is terrible | {x} is dreadful | {x} is overrated | {x} is a waste of money | {x} is boring
{x} is dull | {x} annoys me | {x} irritates me | {x} makes me cringe | {x} makes me want to scream | ugh, {x}
{x} is a nightmare | {x} turns me off | {x} leaves me cold | i'm allergic to {x} | i've grown out of {x}
{x}? yuck | {x} is so cheesy | i cringe at {x} | {x} wears me out | {x} depresses me | {x} is painful
{x} is the bane of my life | {x} drives me mad | {x} is unbearable | {x} is tedious | {x} gives me the creeps
{x} is rubbish | {x} is garbage | {x} sucks | {x} is lame | {x} is a snooze | {x} makes me yawn | i'm allergic to anything {x}
{x} freaks me out | {x} is too much for me | {x} is a chore | {x} is for other people | {x} does nothing for me
{x} makes me sick | {x} sets my teeth on edge | {x} gets under my skin | {x} sounds like noise to me
{x} is like nails on a chalkboard | {x} feels like homework | {x} is just noise | {x} does my head in
{x} makes my ears hurt | {x} is pure torture | {x} is not worth the money | {x} is a complete waste of time
{x} makes me roll my eyes | {x} is so shallow | {x} is all the same | {x} is so overhyped | {x} is so pretentious
{x} bores me stiff | {x} is my idea of hell | {x} gives me the ick | {x} is the last thing i want
i'd rather do my taxes than deal with {x} | i'd sooner sit in traffic than {x} | i'd rather have a root canal than {x}
{x} is a hard pass | {x} makes me want to run | {x}, blegh | {x} is my nightmare | {x} is soulless
{x} all sounds the same to me | {x} is for people with no taste | {x} makes me want to throw up | {x} is tiresome
"""
NEUTRAL = """
surprise me | anything | anything is fine | what's popular? | i'm bored | recommend something | what do you have?
just browsing | show me something good | hmm, not sure | whatever you think | what's new? | something nice
i don't know what i want | dealer's choice | what do people like? | best sellers | something different
no idea, you pick | whatever's good | hello | help me choose | what would you suggest? | i can't decide
"""
# Two clauses: (pattern, stance of x, stance of y)
PAIRS = [
    ("{x} but no {y}", WANTED, REJECTED), ("{x}, not {y}", WANTED, REJECTED), ("no {y}, just {x}", WANTED, REJECTED),
    ("not {y} but {x}", WANTED, REJECTED), ("{x} instead of {y}", WANTED, REJECTED), ("{x} rather than {y}", WANTED, REJECTED),
    ("i'm sick of {y}, give me {x}", WANTED, REJECTED), ("{x} please, and keep the {y} away", WANTED, REJECTED),
    ("anything but {y}, maybe {x}", WANTED, REJECTED), ("{x} without any {y}", WANTED, REJECTED),
    ("{x} or {y}", WANTED, WANTED), ("{x} and {y}", WANTED, WANTED), ("either {x} or {y}", WANTED, WANTED),
    ("some {x}, maybe {y} too", WANTED, WANTED), ("neither {x} nor {y}", REJECTED, REJECTED),
    ("no {x} or {y}", REJECTED, REJECTED), ("no {x} and no {y}", REJECTED, REJECTED),
    ("not that i dislike {x}, but i'd like {y}", MENTIONED, WANTED), ("i'm not saying no to {x}, but {y} first", WANTED, WANTED),
    ("i used to love {x} but now i want {y}", MENTIONED, WANTED), ("my partner likes {x}, i want {y}", MENTIONED, WANTED),
    ("{x} is fine but i'm really after {y}", MENTIONED, WANTED), ("i want {x}, but skip the {y}", WANTED, REJECTED),
    ("{x}, but nothing too {y}", WANTED, REJECTED), ("{x} without the {y}", WANTED, REJECTED),
    ("i'd like {x}. no {y} though", WANTED, REJECTED), ("{y} is not for me, but {x} is", WANTED, REJECTED),
    ("i hate {y}, so maybe {x}", WANTED, REJECTED), ("{y} bores me, i'd rather have {x}", WANTED, REJECTED),
    ("i loved the {x}, more like that but not {y}", WANTED, REJECTED), ("i have plenty of {x}, i need {y}", MENTIONED, WANTED),
    ("my friend hates {x} but i want {y}", MENTIONED, WANTED), ("i already have {x}; looking for {y}", MENTIONED, WANTED),
    ("{x} please! no {y}", WANTED, REJECTED), ("{x}? yes. {y}? no", WANTED, REJECTED), ("{y}? no. {x}? yes please", WANTED, REJECTED),
    ("it's not that i don't enjoy {x}, i just want {y} today", MENTIONED, WANTED),
    ("nothing against {x}, but {y} tonight", MENTIONED, WANTED), ("i do like {x}, but today i'd prefer {y}", MENTIONED, WANTED),
    ("{x} is great and all, but i want {y}", MENTIONED, WANTED), ("i'm not against {x}, i'm just after {y}", MENTIONED, WANTED),
    ("i like {x} and i can't stand {y}", WANTED, REJECTED), ("{y} drives me up the wall, {x} calms me down", WANTED, REJECTED),
    ("i can't get enough of {x}, but {y} is a no", WANTED, REJECTED), ("{y}? no thanks. {x}? can't get enough", WANTED, REJECTED),
]
# A need told as the situation it comes from (`situations.SITUATIONS`: "i got soaked walking to work again"), which
# names neither the category nor its things, often in negative words: a wish for the category that would help.
SITUATION = """
{s} | {s}, any ideas? | {s}. what do you suggest? | {s}, help | {s}, what should i get? | ugh, {s} | so {s}
{s}. what have you got? | {s}, can you help? | {s}, what would you recommend? | {s}... suggestions? | {s}. help me out
{s}, what do i do? | {s}, please help | right, {s} | {s} and i'm at a loss | {s}. anything for that? | {s}!
"""
# A situation's need with a thing of another category of the same kind rejected: (pattern, stance of y).
SITUATION_PAIRS = ["{s}, but no {y}", "{s}. no {y} though", "{s}, nothing with {y} please", "{s} and i'm sick of {y}"]
# One thing wanted and a quality or ingredient (not a category) rejected: the rejection is not about the thing.
WITH_QUALITY = """
{x}, no {q} | {x} without {q} | {x} but no {q} please | {x}, hold the {q} | {x} with zero {q} | {x}, but nothing with {q}
i want {x}, just no {q} | {x} that has no {q} | {q}-free {x} | {x} minus the {q} | no {q}, but {x} is fine
"""
QUALITIES = (
    "lyrics; vocals; sugar; plastic; batteries; noise; spoilers; gore; swearing; glitter; screens; fuss; gluten; "
    "loud colours; sad endings; small parts; subscriptions; assembly; cables; strong smells; violence; jump scares"
).split("; ")  # fmt: skip
PREFIX = [
    "",
    "",
    "",
    "hi, ",
    "hey ",
    "hmm ",
    "ok so ",
    "honestly, ",
    "tonight ",
    "for the weekend, ",
    "please, ",
    "so ",
]
# Punctuation says nothing of stance: every form is also drawn with "!", "?" and their repeats after it.
SUFFIX = ["", "", "", " please", " thanks", " for my sister", " for tonight", ", thanks!", " :)", " lol", " this time",
          "!", "?", "!", "?", " please!", "?!"]  # fmt: skip


def _forms(text: str) -> list[str]:
    return [f.strip() for line in text.strip().splitlines() for f in line.split("|") if f.strip()]


QUALITY = _forms(WITH_QUALITY)
SINGLE = [(f, WANTED) for f in _forms(WISH) + _forms(LIKING_NEGATIVE) + _forms(NEED)] + [
    (f, REJECTED) for f in _forms(REJECT) + _forms(DISLIKE)
]


# Two clauses of the single forms joined, either order: the stance of a thing is its own clause's ("blues, hold the
# rock"; "nothing for kids; i'm after cookbooks"), whatever the other clause says. Contrasting joins only between a
# wish and a rejection.
JOINS = [", ", ". ", "; ", " - ", "... ", ", and ", " and ", "! "]
CONTRASTS = [", but ", " but ", ". instead, ", ", rather ", ". but ", " - instead "]


@dataclass(frozen=True)
class Example:
    """One request and its labelled targets: (target text, index into `LABELS`)."""

    request: str
    targets: tuple[tuple[str, int], ...]


def _things() -> list[tuple[str, str, str]]:
    """(kind, category, word) for every word of the lexicon."""
    return [(kind, name, w) for kind, cats in LEXICON.items() for name, words in cats.items() for w in words]


def corpus(n: int, seed: int = 0, kinds: Sequence[str] | None = None, situations: bool = False) -> Iterator[Example]:
    """`n` seeded requests with their targets, about things of the lexicon's `kinds` of catalog (all: None;
    a held-out split of kinds measures how the model reads things it was never trained on); with `situations`,
    6% of them needs told as their situation (`SITUATION`; the rest as without)."""
    rng = np.random.default_rng(seed)
    kinds = list(LEXICON) if kinds is None else list(kinds)
    things = [t for t in _things() if t[0] in kinds]
    single = SINGLE
    wanted_forms = [f for f, label in SINGLE if label == WANTED]
    rejected_forms = [f for f, label in SINGLE if label == REJECTED]
    neutral = _forms(NEUTRAL)
    situation_forms = _forms(SITUATION)
    told = [(kind, name, s) for kind, cats in SITUATIONS.items() if kind in kinds for name, ss in cats.items() for s in ss]

    def thing() -> tuple[str, str, str]:
        return things[int(rng.integers(len(things)))]

    def pick(label: int) -> str:
        """A single form of stance `label`."""
        forms = wanted_forms if label == WANTED else rejected_forms
        return forms[int(rng.integers(len(forms)))]

    def distractors(kind: str, said: set[str]) -> list[tuple[str, int]]:
        """Two near misses (the same kind of catalog) and one far target, none of them said."""
        near = [c for c in LEXICON[kind] if c not in said]
        far_kind = kinds[int(rng.integers(len(kinds)))]
        far = [c for c in LEXICON[far_kind] if c not in said]
        picked = [near[int(i)] for i in rng.choice(len(near), min(2, len(near)), replace=False)]
        picked += [far[int(rng.integers(len(far)))]] if far else []
        return [(c, UNRELATED) for c in picked]

    for _ in range(n):
        roll = rng.random()
        pre, post = PREFIX[int(rng.integers(len(PREFIX)))], SUFFIX[int(rng.integers(len(SUFFIX)))]
        if roll < 0.08:
            kind = kinds[int(rng.integers(len(kinds)))]
            text = neutral[int(rng.integers(len(neutral)))]
            yield Example(normalize(pre + text + post), tuple(distractors(kind, set())))
            continue
        if roll < 0.14:  # a thing wanted, a quality rejected; or the quality alone rejected: neither is a category
            kind, name, word = thing()
            quality = QUALITIES[int(rng.integers(len(QUALITIES)))]
            if rng.random() < 0.7:
                form = QUALITY[int(rng.integers(len(QUALITY)))]
                targets = [(word, WANTED), (name, WANTED), (quality, REJECTED), *distractors(kind, {name})]
                yield Example(normalize(pre + form.format(x=word, q=quality) + post), tuple(targets))
            else:
                form, label = single[int(rng.integers(len(single)))]
                targets = [(quality, label), *distractors(kind, set())]
                yield Example(normalize(pre + form.format(x=quality) + post), tuple(targets))
            continue
        if situations and 0.58 <= roll < 0.64:  # a need told as its situation: its category and things wanted, unsaid
            kind, name, said = told[int(rng.integers(len(told)))]
            words = LEXICON[kind][name]
            targets = [(name, WANTED), (words[int(rng.integers(len(words)))], WANTED)]
            if rng.random() < 0.15:
                same = [c for c in LEXICON[kind] if c != name]
                other = same[int(rng.integers(len(same)))]
                word2 = LEXICON[kind][other][int(rng.integers(len(LEXICON[kind][other])))]
                text = SITUATION_PAIRS[int(rng.integers(len(SITUATION_PAIRS)))].format(s=said, y=word2)
                targets += [(word2, REJECTED), (other, REJECTED), *distractors(kind, {name, other})]
            else:
                text = situation_forms[int(rng.integers(len(situation_forms)))].format(s=said)
                targets += distractors(kind, {name})
            yield Example(normalize(pre + text + post), tuple(targets))
            continue
        if roll < 0.58:
            kind, name, word = thing()
            form, label = single[int(rng.integers(len(single)))]
            targets = [(word, label), (name, label), *distractors(kind, {name})]
            yield Example(normalize(pre + form.format(x=word) + post), tuple(targets))
            continue
        kind, name, word = thing()
        same = [c for c in LEXICON[kind] if c != name]
        other = same[int(rng.integers(len(same)))]
        other_words = LEXICON[kind][other]
        word2 = other_words[int(rng.integers(len(other_words)))]
        if roll < 0.82:  # two single forms joined
            lx, ly = ((WANTED, REJECTED), (WANTED, WANTED), (REJECTED, REJECTED))[int(rng.choice(3, p=[0.6, 0.2, 0.2]))]
            first, second = pick(lx).format(x=word), pick(ly).format(x=word2)
            joins = JOINS + CONTRASTS if lx != ly else JOINS
            join = joins[int(rng.integers(len(joins)))]
            text = first + join + second if rng.random() < 0.5 else second + join + first
        else:
            pattern, lx, ly = PAIRS[int(rng.integers(len(PAIRS)))]
            text = pattern.format(x=word, y=word2)
        targets = [(word, lx), (name, lx), (word2, ly), (other, ly), *distractors(kind, {name, other})]
        yield Example(normalize(pre + text + post), tuple(targets))
