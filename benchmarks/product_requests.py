"""Request adherence on a shop catalog (`make_products`): does a request in everyday words move the top 10?

Trains the default hybrid (a small LM, early stopping: minutes on 2 cores) on a seeded shop catalog
(10 categories, descriptive product titles, a list field ``category``; no glossary written for it)
with leave-last-out, then, for a seeded sample of users, recommends the top 10 without a request and
with every phrasing of HELD_OUT (below). Per phrasing: the share of the top 10 in the asked category
(plain and descriptive rows) or out of the rejected one (negative rows), and for a negation whether
it was read with the wrong sign (the top 10 holds MORE of the rejected category than without the
request); for a neutral row (set 9: a request that asks for nothing in particular) the share of the top 10 that
is the same as without a request. Also how the intent parser read it. Scores are macro-averaged over the phrasings of a kind.

    .venv/bin/python benchmarks/product_requests.py --out models/products --json runs/product_requests.json
    .venv/bin/python benchmarks/product_requests.py --model models/products      # reuse a saved model
    .venv/bin/python benchmarks/product_requests.py --field genres                # categories in 'genres'

``--field genres`` stores the categories in a field named as MovieLens names it; the default
``category`` is what a shop's catalog would call it. Nothing in the model's config names the field
or the noun: both come from the catalog (its category field, and ``noun = "product"``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from _requests import categories, sample_users, shown

from hybrid_rec.data.splits import leave_last_out
from hybrid_rec.data.synthetic import ProductConfig, make_products
from hybrid_rec.evaluate.compare import evaluate_stage
from hybrid_rec.evaluate.config import EvaluationConfig
from hybrid_rec.evaluate.methods import FitContext, HybridMethod
from hybrid_rec.pipeline import HybridConfig, HybridPipeline

Kind = Literal["plain", "descriptive", "negative", "neutral"]

# Written 2026-12-01 before the #21 change; never tuned to. Each row: (phrasing, kind, category).
# plain: names the category; descriptive: a need that does not name it; negative: rejects the
# category (varied forms: "no X", "anything but X", "X-free", "not in the mood for X", "without X", ...).
# The category is what a plain / descriptive row asks for, and what a negative row rejects.
HELD_OUT: list[tuple[str, Kind, str]] = [
    ("camping gear", "plain", "Camping"),
    ("show me kitchen items", "plain", "Kitchen"),
    ("audio equipment", "plain", "Audio"),
    ("toys please", "plain", "Toys"),
    ("skin care", "plain", "Skin Care"),
    ("pet supplies", "plain", "Pet Supplies"),
    ("something for gardening", "plain", "Gardening"),
    ("office stuff", "plain", "Office"),
    ("fitness gear", "plain", "Fitness"),
    ("baby products", "plain", "Baby"),
    ("something for my dog", "descriptive", "Pet Supplies"),
    ("a new bed and bowl for the cat", "descriptive", "Pet Supplies"),
    ("gear for a weekend in the woods", "descriptive", "Camping"),
    ("everything I need to sleep under the stars", "descriptive", "Camping"),
    ("gear for hiking, without anything heavy", "descriptive", "Camping"),
    ("a gift for a new mother", "descriptive", "Baby"),
    ("things for a newborn", "descriptive", "Baby"),
    ("I want to cook a nice dinner", "descriptive", "Kitchen"),
    ("something for baking, but nothing for the garden", "descriptive", "Kitchen"),
    ("better sound for my music", "descriptive", "Audio"),
    ("something to listen to podcasts on the train", "descriptive", "Audio"),
    ("a birthday present for a six-year-old", "descriptive", "Toys"),
    ("my skin is dry and flaky", "descriptive", "Skin Care"),
    ("help me get in shape", "descriptive", "Fitness"),
    ("I want to grow tomatoes on my balcony", "descriptive", "Gardening"),
    ("setting up my home desk for work", "descriptive", "Office"),
    ("no toys", "negative", "Toys"),
    ("anything but toys", "negative", "Toys"),
    ("toy-free, it's for an adult", "negative", "Toys"),
    ("don't show me any toys", "negative", "Toys"),
    ("anything except kitchen stuff", "negative", "Kitchen"),
    ("I don't want kitchen stuff", "negative", "Kitchen"),
    ("kitchen-free suggestions, please", "negative", "Kitchen"),
    ("not in the mood for camping", "negative", "Camping"),
    ("nothing for the outdoors, I hate camping", "negative", "Camping"),
    ("exclude camping gear", "negative", "Camping"),
    ("without audio gear", "negative", "Audio"),
    ("no headphones or speakers", "negative", "Audio"),
    ("anything but audio", "negative", "Audio"),
    ("no skincare", "negative", "Skin Care"),
    ("anything other than skin care products", "negative", "Skin Care"),
    ("no more skin creams", "negative", "Skin Care"),
    ("I don't have a pet, so no pet supplies", "negative", "Pet Supplies"),
    ("pet-free household, skip the pet stuff", "negative", "Pet Supplies"),
    ("not interested in gardening", "negative", "Gardening"),
    ("please, no garden tools", "negative", "Gardening"),
    ("everything except office supplies", "negative", "Office"),
    ("I'm sick of office stuff", "negative", "Office"),
    ("no fitness equipment", "negative", "Fitness"),
    ("not into workouts", "negative", "Fitness"),
    ("keep the fitness gear out of it", "negative", "Fitness"),
    ("avoid baby products", "negative", "Baby"),
    ("we don't have kids: nothing for babies", "negative", "Baby"),
    ("rather not see baby stuff", "negative", "Baby"),
]

# Set 2, negations only: written 2026-12-01 after set 1's wrong-sign negations had been read and
# BEFORE any change to the intent parser they led to; never tuned to. 20 phrasings, 2 per category.
HELD_OUT_2: list[tuple[str, Kind, str]] = [
    ("please leave out the camping stuff", "negative", "Camping"),
    ("everything apart from camping equipment", "negative", "Camping"),
    ("kitchen things? no thanks", "negative", "Kitchen"),
    ("not a fan of kitchen gadgets", "negative", "Kitchen"),
    ("minus the audio gear", "negative", "Audio"),
    ("anything besides speakers and headphones", "negative", "Audio"),
    ("hold the toys this time", "negative", "Toys"),
    ("rule out toys", "negative", "Toys"),
    ("I'd rather skip skin care", "negative", "Skin Care"),
    ("anything that isn't skin care", "negative", "Skin Care"),
    ("don't include pet supplies", "negative", "Pet Supplies"),
    ("pet-free picks, we have no animals", "negative", "Pet Supplies"),
    ("not interested in gardening", "negative", "Gardening"),
    ("no gardening whatsoever", "negative", "Gardening"),
    ("skip the office aisle", "negative", "Office"),
    ("nothing office related", "negative", "Office"),
    ("not fitness this time", "negative", "Fitness"),
    ("everything except workout gear", "negative", "Fitness"),
    ("no baby products, please", "negative", "Baby"),
    ("anything other than baby gear", "negative", "Baby"),
]

# Set 3, negations only: written 2026-12-01 before the negation-scope change of the intent parser,
# its per-phrasing results not read before that change; never tuned to. 20 phrasings.
HELD_OUT_3: list[tuple[str, Kind, str]] = [
    ("forget camping, I'm staying home", "negative", "Camping"),
    ("no tents or sleeping bags", "negative", "Camping"),
    ("I'm done with kitchen gear", "negative", "Kitchen"),
    ("anything except cookware", "negative", "Kitchen"),
    ("no more headphones", "negative", "Audio"),
    ("audio-free options please", "negative", "Audio"),
    ("nothing for kids to play with", "negative", "Toys"),
    ("everything but toys", "negative", "Toys"),
    ("stay away from skin care", "negative", "Skin Care"),
    ("no lotions or creams", "negative", "Skin Care"),
    ("except pet stuff, anything goes", "negative", "Pet Supplies"),
    ("not pet supplies", "negative", "Pet Supplies"),
    ("no garden tools", "negative", "Gardening"),
    ("anything apart from gardening", "negative", "Gardening"),
    ("don't show office supplies", "negative", "Office"),
    ("other than office stuff", "negative", "Office"),
    ("no gym equipment", "negative", "Fitness"),
    ("I'm not into fitness", "negative", "Fitness"),
    ("without baby items", "negative", "Baby"),
    ("anything but baby things", "negative", "Baby"),
]

# Set 4, descriptive needs only: written 2026-12-01 (session 5) BEFORE any change aimed at descriptive
# requests (set 1's two misses had been read; the category vocabulary of `make_products` was not read
# while writing these); never tuned to. 20 phrasings, 2 per category; none names its category.
HELD_OUT_4: list[tuple[str, Kind, str]] = [
    ("going on a backpacking trip next month", "descriptive", "Camping"),
    ("what do I need for a night by the campfire", "descriptive", "Camping"),
    ("my pans are worn out", "descriptive", "Kitchen"),
    ("something to make my morning coffee better", "descriptive", "Kitchen"),
    ("I want to hear every note of my records", "descriptive", "Audio"),
    ("something loud for a house party", "descriptive", "Audio"),
    ("my nephew loves building things", "descriptive", "Toys"),
    ("keep the kids busy on a rainy day", "descriptive", "Toys"),
    ("my face feels tight after washing", "descriptive", "Skin Care"),
    ("protect me from sunburn", "descriptive", "Skin Care"),
    ("we just adopted a puppy", "descriptive", "Pet Supplies"),
    ("my kitten keeps scratching the sofa", "descriptive", "Pet Supplies"),
    ("my roses need help", "descriptive", "Gardening"),
    ("planting a vegetable patch this spring", "descriptive", "Gardening"),
    ("I need to organise my paperwork", "descriptive", "Office"),
    ("something to write notes in meetings", "descriptive", "Office"),
    ("training for my first marathon", "descriptive", "Fitness"),
    ("a home workout without a gym", "descriptive", "Fitness"),
    ("we are expecting twins", "descriptive", "Baby"),
    ("my toddler needs a bath time routine", "descriptive", "Baby"),
]

# Set 5, wishes and rejections in one request: written 2026-12-01 (session 5) after set 3's "forget
# camping, I'm staying home" regressed under the first version of the rule "a value both asked for and
# rejected is wanted" and BEFORE the rule was refined; never tuned to. Descriptive rows: a need with a
# clause rejecting an aspect of it (the category stays wanted); negative rows: a category rejected by
# name next to another clause (the category stays out). 2 per category.
HELD_OUT_5: list[tuple[str, Kind, str]] = [
    ("a tent, but nothing too big", "descriptive", "Camping"),
    ("no camping trips for me, I just want to relax at home", "negative", "Camping"),
    ("kitchen tools, but not knives", "descriptive", "Kitchen"),
    ("no kitchen stuff, I never cook", "negative", "Kitchen"),
    ("speakers without any cables", "descriptive", "Audio"),
    ("no audio gear, I have plenty of music already", "negative", "Audio"),
    ("toys for a toddler, no small parts", "descriptive", "Toys"),
    ("not toys, my son is grown up now", "negative", "Toys"),
    ("a moisturiser, nothing greasy", "descriptive", "Skin Care"),
    ("skip skin care, I want something for my home", "negative", "Skin Care"),
    ("a dog bed that is not too soft", "descriptive", "Pet Supplies"),
    ("no pet supplies, the cat has everything", "negative", "Pet Supplies"),
    ("garden tools but no heavy machinery", "descriptive", "Gardening"),
    ("gardening is not my thing, I live in a flat", "negative", "Gardening"),
    ("a notebook without lines", "descriptive", "Office"),
    ("forget office supplies, it's the weekend", "negative", "Office"),
    ("weights for home training, nothing bulky", "descriptive", "Fitness"),
    ("no fitness gear, I want to take it easy", "negative", "Fitness"),
    ("a stroller without too many straps", "descriptive", "Baby"),
    ("no baby stuff, the kids are teenagers", "negative", "Baby"),
]

# Set 6, the same two shapes as set 5 in new words: written 2026-12-01 (session 5) after set 5's
# results had been read and BEFORE the clause-order refinement of the wish-vs-rejection rule; never
# tuned to. Negative rows reject a category first and give a reason after (the reason often speaks of
# the category); descriptive rows ask first and qualify after. 2 per category.
HELD_OUT_6: list[tuple[str, Kind, str]] = [
    ("no camping gear, we sold the tent last year", "negative", "Camping"),
    ("a sleeping bag, just not a heavy one", "descriptive", "Camping"),
    ("no cookware, my kitchen is full", "negative", "Kitchen"),
    ("a frying pan, though not a big one", "descriptive", "Kitchen"),
    ("no headphones, I already listen to music all day", "negative", "Audio"),
    ("earbuds without a charging case", "descriptive", "Audio"),
    ("skip the toys, the kids have too many games", "negative", "Toys"),
    ("a board game, nothing with batteries", "descriptive", "Toys"),
    ("no skin creams, my skin reacts to everything", "negative", "Skin Care"),
    ("a face cream, but no perfume in it", "descriptive", "Skin Care"),
    ("no pet products, our dog passed away", "negative", "Pet Supplies"),
    ("a cat toy, not one with feathers", "descriptive", "Pet Supplies"),
    ("no garden tools, my garden is paved over", "negative", "Gardening"),
    ("seeds for the garden, no flowers", "descriptive", "Gardening"),
    ("nothing for the office, I work outside", "negative", "Office"),
    ("a desk lamp, not a bright one", "descriptive", "Office"),
    ("no gym gear, I quit working out", "negative", "Fitness"),
    ("a yoga mat, nothing too thick", "descriptive", "Fitness"),
    ("no baby products, our daughter is at school now", "negative", "Baby"),
    ("a baby bottle, but not a glass one", "descriptive", "Baby"),
]
# Set 7, descriptive needs in new words: written 2026-12-01 (session 6) BEFORE any change of that
# session to how needs are read (sets 1 and 4 had been read, and `make_products`' vocabulary had been
# read in the session); never tuned to. 20 phrasings, 2 per category; none names its category.
HELD_OUT_7: list[tuple[str, Kind, str]] = [
    ("we're heading to a national park for a week", "descriptive", "Camping"),
    ("I want to sleep outdoors in the mountains", "descriptive", "Camping"),
    ("I'm hosting thanksgiving dinner for twelve", "descriptive", "Kitchen"),
    ("learning to bake bread at home", "descriptive", "Kitchen"),
    ("the TV sound is too quiet for movies", "descriptive", "Audio"),
    ("I want to start a podcast", "descriptive", "Audio"),
    ("a birthday present for a five year old", "descriptive", "Toys"),
    ("something fun for my grandchildren to play with", "descriptive", "Toys"),
    ("my lips are chapped from the cold", "descriptive", "Skin Care"),
    ("dark circles under my eyes", "descriptive", "Skin Care"),
    ("taking the dog on long walks at night", "descriptive", "Pet Supplies"),
    ("our cat is getting old and stiff", "descriptive", "Pet Supplies"),
    ("the hedges and lawn are overgrown", "descriptive", "Gardening"),
    ("my backyard is full of weeds", "descriptive", "Gardening"),
    ("my workspace is cluttered with papers", "descriptive", "Office"),
    ("I write a lot of letters by hand", "descriptive", "Office"),
    ("I want stronger arms", "descriptive", "Fitness"),
    ("getting back in shape after the holidays", "descriptive", "Fitness"),
    ("a shower gift for my pregnant sister", "descriptive", "Baby"),
    ("my wife is due in March", "descriptive", "Baby"),
]

# Set 8, rejections said without a leading "no": written 2026-12-01 (session 6) after set 5's "gardening
# is not my thing" had been read and BEFORE any change of that session to negation; never tuned to. The
# rejected category as the subject of a negated predicate, a verb of refusal, or a rejection after the
# fact. 2 per category.
HELD_OUT_8: list[tuple[str, Kind, str]] = [
    ("camping is not for me", "negative", "Camping"),
    ("anything that isn't camping gear", "negative", "Camping"),
    ("I can do without kitchen gadgets", "negative", "Kitchen"),
    ("kitchenware? I'll pass", "negative", "Kitchen"),
    ("I'm not a fan of headphones", "negative", "Audio"),
    ("audio equipment is not what I'm after", "negative", "Audio"),
    ("toys are the last thing I need", "negative", "Toys"),
    ("I've had enough of toys", "negative", "Toys"),
    ("skin care doesn't interest me", "negative", "Skin Care"),
    ("please leave skin care off the list", "negative", "Skin Care"),
    ("I'd pass on pet supplies", "negative", "Pet Supplies"),
    ("I don't have pets, so none of that", "negative", "Pet Supplies"),
    ("gardening isn't really my cup of tea", "negative", "Gardening"),
    ("I've given up on gardening", "negative", "Gardening"),
    ("enough with the office supplies", "negative", "Office"),
    ("not interested in office things", "negative", "Office"),
    ("I'm over fitness equipment", "negative", "Fitness"),
    ("I'm not into working out", "negative", "Fitness"),
    ("baby products aren't relevant to me", "negative", "Baby"),
    ("we have no kids, so skip the baby gear", "negative", "Baby"),
]
# Set 10, negated predicates in new words: written 2026-12-01 (session 6) after set 8 judged the first
# reading of negated predicates ("X is not for me": its subject rejected when the predicate names nothing;
# 18 / 20 of set 8 read as meant, "skin care doesn't interest me" and "baby products aren't relevant to me"
# not) and BEFORE that reading was refined; never tuned to. Half reject the subject, half the predicate's
# object ("my kids don't want any more toys"). 2 per category.
HELD_OUT_10: list[tuple[str, Kind, str]] = [
    ("hiking trips aren't my idea of fun", "negative", "Camping"),
    ("outdoor gear is the last thing we need", "negative", "Camping"),
    ("cooking is not something I enjoy", "negative", "Kitchen"),
    ("my wife doesn't like kitchen gadgets", "negative", "Kitchen"),
    ("music gear isn't a priority right now", "negative", "Audio"),
    ("speakers aren't what I'm looking for", "negative", "Audio"),
    ("my kids don't want any more toys", "negative", "Toys"),
    ("board games don't appeal to me", "negative", "Toys"),
    ("lotions and creams are not for me", "negative", "Skin Care"),
    ("my sister doesn't use skin care", "negative", "Skin Care"),
    ("my partner doesn't need pet stuff", "negative", "Pet Supplies"),
    ("pet toys are not what we need", "negative", "Pet Supplies"),
    ("plants never survive in my house", "negative", "Gardening"),
    ("gardening tools don't interest my dad", "negative", "Gardening"),
    ("my boss doesn't want office supplies", "negative", "Office"),
    ("stationery is not useful to me", "negative", "Office"),
    ("exercise equipment is not on my list", "negative", "Fitness"),
    ("workout gear isn't my style", "negative", "Fitness"),
    ("baby things are not needed anymore", "negative", "Baby"),
    ("my parents don't need baby products", "negative", "Baby"),
]

# Set 11, needs stated as a problem with a negated predicate: written 2026-12-01 (session 6) after the
# negated-predicate reading of set 10 and BEFORE any change telling a complaint ("my headphones don't work
# anymore": a need) from a rejection ("headphones are not for me"); never tuned to. 1 per category.
HELD_OUT_11: list[tuple[str, Kind, str]] = [
    ("my sleeping bag is not warm enough", "descriptive", "Camping"),
    ("my old frying pan isn't nonstick anymore", "descriptive", "Kitchen"),
    ("my headphones don't work anymore", "descriptive", "Audio"),
    ("the kids' old games aren't fun anymore", "descriptive", "Toys"),
    ("my moisturiser doesn't help my dry skin", "descriptive", "Skin Care"),
    ("the dog's bed is not comfortable anymore", "descriptive", "Pet Supplies"),
    ("my garden hose doesn't reach the back fence", "descriptive", "Gardening"),
    ("my desk chair isn't comfortable", "descriptive", "Office"),
    ("my dumbbells aren't heavy enough", "descriptive", "Fitness"),
    ("the baby's bottles don't fit the new warmer", "descriptive", "Baby"),
]

# Set 12, negated predicates again, complaints (needs) and rejections mixed: written 2026-12-01 (session 6)
# after sets 10 and 11 had judged the first two versions of telling a complaint from a rejection, and
# BEFORE the next; never tuned to. 1 complaint and 1 rejection per category.
HELD_OUT_12: list[tuple[str, Kind, str]] = [
    ("my camping stove won't light anymore", "descriptive", "Camping"),
    ("tents are not our thing", "negative", "Camping"),
    ("my kitchen knives aren't sharp anymore", "descriptive", "Kitchen"),
    ("baking tools aren't something we'd use", "negative", "Kitchen"),
    ("the radio doesn't get any signal", "descriptive", "Audio"),
    ("a soundbar is not on the wish list", "negative", "Audio"),
    ("the puzzle pieces don't stay together", "descriptive", "Toys"),
    ("stuffed animals are not what she wants", "negative", "Toys"),
    ("my sunscreen isn't strong enough for the beach", "descriptive", "Skin Care"),
    ("face masks don't suit me", "negative", "Skin Care"),
    ("the cat's scratching post doesn't stand up straight", "descriptive", "Pet Supplies"),
    ("pet beds are not something we need", "negative", "Pet Supplies"),
    ("my trowel isn't sturdy enough for clay soil", "descriptive", "Gardening"),
    ("garden gloves aren't a good gift for him", "negative", "Gardening"),
    ("my keyboard doesn't type properly", "descriptive", "Office"),
    ("fountain pens are not his taste", "negative", "Office"),
    ("my yoga mat isn't grippy enough", "descriptive", "Fitness"),
    ("kettlebells don't excite me", "negative", "Fitness"),
    ("the stroller doesn't fold anymore", "descriptive", "Baby"),
    ("baby carriers aren't useful for us", "negative", "Baby"),
]

# Set 13, negated predicates, complaints and rejections: written 2026-12-01 (session 6) after set 12 had
# judged the third version of telling them apart (sets 8, 10, 11, 12 all read) and BEFORE the fourth;
# never tuned to. 1 complaint and 1 rejection per category.
HELD_OUT_13: list[tuple[str, Kind, str]] = [
    ("our lantern doesn't give enough light", "descriptive", "Camping"),
    ("hammocks are not our style", "negative", "Camping"),
    ("my saucepan doesn't heat evenly", "descriptive", "Kitchen"),
    ("cast iron pans aren't for me", "negative", "Kitchen"),
    ("my earbuds won't stay in my ears", "descriptive", "Audio"),
    ("turntables don't interest him", "negative", "Audio"),
    ("the toy car doesn't move anymore", "descriptive", "Toys"),
    ("plush toys aren't what the kids want", "negative", "Toys"),
    ("my face cream isn't hydrating enough", "descriptive", "Skin Care"),
    ("serums are not my kind of thing", "negative", "Skin Care"),
    ("the dog's leash isn't long enough", "descriptive", "Pet Supplies"),
    ("dog collars are not something I'd buy", "negative", "Pet Supplies"),
    ("my watering can doesn't hold much water", "descriptive", "Gardening"),
    ("compost bins aren't our priority", "negative", "Gardening"),
    ("my desk lamp isn't bright enough", "descriptive", "Office"),
    ("desk chairs are not what I need", "negative", "Office"),
    ("my resistance bands aren't tight enough", "descriptive", "Fitness"),
    ("jump ropes don't excite my son", "negative", "Fitness"),
    ("the baby monitor doesn't pick up sound", "descriptive", "Baby"),
    ("pacifiers are not needed in our house", "negative", "Baby"),
]

# Set 14, negated predicates again: written 2026-12-01 (session 6) after set 13 (model level) showed that a
# rejection the parser leaves unread is read by the LM as a wish, and BEFORE the change keeping such words
# from the LM; never tuned to. 1 complaint and 1 rejection per category.
HELD_OUT_14: list[tuple[str, Kind, str]] = [
    ("my headlamp doesn't shine far enough", "descriptive", "Camping"),
    ("sleeping pads are not on our shopping list", "negative", "Camping"),
    ("my cutting board won't lie flat", "descriptive", "Kitchen"),
    ("mixing bowls are something we never use", "negative", "Kitchen"),
    ("the soundbar doesn't connect to my TV", "descriptive", "Audio"),
    ("subwoofers aren't welcome in our flat", "negative", "Audio"),
    ("the robot kit doesn't respond anymore", "descriptive", "Toys"),
    ("action figures are not for our family", "negative", "Toys"),
    ("my lip balm doesn't stop my lips cracking", "descriptive", "Skin Care"),
    ("body lotions are not something I'd try", "negative", "Skin Care"),
    ("the litter box doesn't stay clean", "descriptive", "Pet Supplies"),
    ("cat trees are not what our cat needs", "negative", "Pet Supplies"),
    ("my pruning shears don't cut cleanly", "descriptive", "Gardening"),
    ("wheelbarrows aren't any use to me", "negative", "Gardening"),
    ("my stapler doesn't go through thick stacks", "descriptive", "Office"),
    ("staplers are not what the office lacks", "negative", "Office"),
    ("the exercise bike doesn't feel stable", "descriptive", "Fitness"),
    ("foam rollers don't do it for me", "negative", "Fitness"),
    ("the baby carrier doesn't support her neck", "descriptive", "Baby"),
    ("high chairs are not necessary for us", "negative", "Baby"),
]

# Set 15, negated predicates again: written 2026-12-01 (session 6) after sets 11 to 14 had been read
# (including the share each version left unsure) and BEFORE scoring a predicate by the mean of its 3 closest
# built-in complaints / rejections; never tuned to. 1 complaint and 1 rejection per category.
HELD_OUT_15: list[tuple[str, Kind, str]] = [
    ("my trekking poles don't lock in place", "descriptive", "Camping"),
    ("camp stoves are not what we are shopping for", "negative", "Camping"),
    ("the colander doesn't drain quickly", "descriptive", "Kitchen"),
    ("dutch ovens are not my sort of thing", "negative", "Kitchen"),
    ("my turntable doesn't spin at the right speed", "descriptive", "Audio"),
    ("amplifiers are not something we want", "negative", "Audio"),
    ("the kite won't fly in light wind", "descriptive", "Toys"),
    ("train sets are not for my daughter", "negative", "Toys"),
    ("my toner doesn't clear up my skin", "descriptive", "Skin Care"),
    ("eye creams are not part of my routine", "negative", "Skin Care"),
    ("the pet carrier isn't roomy enough for our cat", "descriptive", "Pet Supplies"),
    ("grooming brushes are not our concern", "negative", "Pet Supplies"),
    ("the wheelbarrow doesn't roll smoothly", "descriptive", "Gardening"),
    ("rakes are not on my mind", "negative", "Gardening"),
    ("my monitor stand doesn't go high enough", "descriptive", "Office"),
    ("whiteboards aren't what my team wants", "negative", "Office"),
    ("the pull-up bar won't stay in the door frame", "descriptive", "Fitness"),
    ("ab wheels are not my idea of a gift", "negative", "Fitness"),
    ("the high chair doesn't stay upright", "descriptive", "Baby"),
    ("swaddle blankets are not needed for our toddler", "negative", "Baby"),
]

# Set 9, requests that ask for nothing in particular (and nonsense): written 2026-12-01 (session 6) BEFORE
# any change to how neutral requests are told apart, after noticing that "surprise me" is read as a
# category; never tuned to. The right reading is none: nothing understood, the list as without a request
# (score: the share of the top k that is the same as without the request).
HELD_OUT_9: list[tuple[str, Kind, str]] = [
    (phrase, "neutral", "")
    for phrase in (
        "just show me something", "I'm not sure what I want", "anything will do", "what's trending",
        "recommend me a few things", "something I'd enjoy", "help me pick", "I need ideas", "what else is there",
        "qwop zlorf", "blah blah", "test", "hmm", "something special", "your favourites", "whatever is on sale",
        "new arrivals", "something different", "I'm just browsing", "treat me",
    )
]
# Set 16, rejections of kinds of item (not of a category by name): written 2026-12-02 (session 7) after
# sets 10 to 15 had been read (their rejections of item kinds, "stuffed animals are not what she wants", were
# mostly left unread: a kind of item names its category only through the items) and BEFORE any change of
# that session; never tuned to. Per category one negated predicate and one cue-led rejection; the category
# is the one the rejected kinds of item belong to.
HELD_OUT_16: list[tuple[str, Kind, str]] = [
    ("camp chairs aren't something we'd ever take along", "negative", "Camping"),
    ("no tents, sleeping bags or anything like that", "negative", "Camping"),
    ("blenders are not on my wish list", "negative", "Kitchen"),
    ("skip the pots and pans, our kitchen is full", "negative", "Kitchen"),
    ("bluetooth speakers don't appeal to my dad", "negative", "Audio"),
    ("nothing with earphones or microphones", "negative", "Audio"),
    ("building blocks aren't what my nephew asked for", "negative", "Toys"),
    ("anything but dolls and action figures", "negative", "Toys"),
    ("face creams are not for him", "negative", "Skin Care"),
    ("leave the sunscreen and lip balm out", "negative", "Skin Care"),
    ("dog leashes are useless to us, we have no pets", "negative", "Pet Supplies"),
    ("no cat litter or pet food this time", "negative", "Pet Supplies"),
    ("flower pots aren't my kind of present", "negative", "Gardening"),
    ("forget the seed packets and watering cans", "negative", "Gardening"),
    ("folders and notebooks are the last thing I need", "negative", "Office"),
    ("no desk lamps or pens please", "negative", "Office"),
    ("dumbbells are not my cup of tea", "negative", "Fitness"),
    ("resistance bands? no thanks", "negative", "Fitness"),
    ("strollers are not relevant, my kids are teenagers", "negative", "Baby"),
    ("I don't need diapers or baby wipes", "negative", "Baby"),
]
# Set 17, the same shape in new words: written 2026-12-02 (session 7) together with set 16, BEFORE any change
# of that session, to judge a second version should set 16 lead to one; never tuned to.
HELD_OUT_17: list[tuple[str, Kind, str]] = [
    ("backpacking stoves are not something I'd buy", "negative", "Camping"),
    ("hold the camping lanterns and coolers", "negative", "Camping"),
    ("knife sets aren't useful to me", "negative", "Kitchen"),
    ("no frying pans or baking trays", "negative", "Kitchen"),
    ("turntables are not my thing anymore", "negative", "Audio"),
    ("I've had enough of soundbars and radios", "negative", "Audio"),
    ("board games don't excite my kids", "negative", "Toys"),
    ("no plushies or toy cars", "negative", "Toys"),
    ("night creams aren't in my budget", "negative", "Skin Care"),
    ("stay away from cleansers and toners", "negative", "Skin Care"),
    ("bird cages are not something we'd use", "negative", "Pet Supplies"),
    ("no chew toys or collars", "negative", "Pet Supplies"),
    ("pruning shears aren't on my list", "negative", "Gardening"),
    ("skip the planters and compost", "negative", "Gardening"),
    ("paper shredders are not what my office needs", "negative", "Office"),
    ("anything except binders and sticky notes", "negative", "Office"),
    ("kettlebells aren't for me", "negative", "Fitness"),
    ("I'm done with treadmills and exercise bikes", "negative", "Fitness"),
    ("baby carriers are not needed anymore", "negative", "Baby"),
    ("nothing like cribs or changing mats", "negative", "Baby"),
]
# Set 18, negated predicates once more: written 2026-12-02 (session 7) after sets 8 to 15 had been read (how
# far each predicate is from the built-in complaints and rejections, and the subjects' forms: "my X" and "the X"
# in the complaints, bare plurals in the rejections) and BEFORE any change reading the subject's form; never
# tuned to. Per category one complaint (a need) and one rejection, some by a person's subject or "those".
HELD_OUT_18: list[tuple[str, Kind, str]] = [
    ("our tent doesn't keep the rain out", "descriptive", "Camping"),
    ("those folding stools aren't what we're after", "negative", "Camping"),
    ("the toaster doesn't brown evenly", "descriptive", "Kitchen"),
    ("espresso machines aren't worth it for me", "negative", "Kitchen"),
    ("my speaker doesn't pair with my phone", "descriptive", "Audio"),
    ("record players don't fit our living room", "negative", "Audio"),
    ("my son's race track doesn't snap together", "descriptive", "Toys"),
    ("my daughter doesn't want more dolls", "negative", "Toys"),
    ("my cleanser doesn't remove makeup", "descriptive", "Skin Care"),
    ("scented lotions don't agree with my skin", "negative", "Skin Care"),
    ("the cat's water fountain doesn't pump anymore", "descriptive", "Pet Supplies"),
    ("aquariums are not practical in our flat", "negative", "Pet Supplies"),
    ("my hedge trimmer doesn't cut through branches", "descriptive", "Gardening"),
    ("garden gnomes aren't our taste", "negative", "Gardening"),
    ("the printer at home doesn't print in colour", "descriptive", "Office"),
    ("my manager doesn't need new binders", "negative", "Office"),
    ("my running shoes don't grip on wet roads", "descriptive", "Fitness"),
    ("rowing machines don't suit our small flat", "negative", "Fitness"),
    ("the crib mattress doesn't fit the frame", "descriptive", "Baby"),
    ("bottle warmers aren't necessary, she's breastfed", "negative", "Baby"),
]
# Set 19, refusals and complaints said without "not": written 2026-12-02 (session 7) after set 16's "dog leashes
# are useless to us, we have no pets" had been read as a wish, and BEFORE any change it led to; never tuned to.
# Per category one kind of item called useless, pointless, a waste, overrated or unnecessary (rejected), and
# one thing someone has that fails them, said as a plain statement (a need).
HELD_OUT_19: list[tuple[str, Kind, str]] = [
    ("sleeping bags are pointless for us", "negative", "Camping"),
    ("my camping lantern is useless in the dark", "descriptive", "Camping"),
    ("food processors are a waste of money", "negative", "Kitchen"),
    ("the kettle is useless, it leaks", "descriptive", "Kitchen"),
    ("soundbars are overrated", "negative", "Audio"),
    ("my earphones are useless on calls", "descriptive", "Audio"),
    ("toy guns are unnecessary", "negative", "Toys"),
    ("the remote control car is broken", "descriptive", "Toys"),
    ("anti-ageing creams are pointless", "negative", "Skin Care"),
    ("my sunscreen is useless at the beach", "descriptive", "Skin Care"),
    ("cat flaps are unnecessary, our cat stays inside", "negative", "Pet Supplies"),
    ("the dog bowl is too small for our puppy", "descriptive", "Pet Supplies"),
    ("lawn mowers are useless to us, we have no lawn", "negative", "Gardening"),
    ("my garden shears are blunt", "descriptive", "Gardening"),
    ("label makers are a waste of space", "negative", "Office"),
    ("the office chair is worn out", "descriptive", "Office"),
    ("treadmills are overpriced and pointless", "negative", "Fitness"),
    ("my yoga mat is too slippery", "descriptive", "Fitness"),
    ("baby walkers are unnecessary", "negative", "Baby"),
    ("the pram is too heavy to carry", "descriptive", "Baby"),
]
# Set 20, kinds of item rejected in words that sound like a complaint: written 2026-12-02 (session 7) after set
# 18's "rowing machines don't suit our small flat" had been read as a need, and BEFORE any change it led to;
# never tuned to. Each speaks of a kind of item (a bare plural) failing for the speaker: a reason not to want it.
HELD_OUT_20: list[tuple[str, Kind, str]] = [
    ("big tents don't fit in our little car", "negative", "Camping"),
    ("air mattresses never stay inflated for us", "negative", "Camping"),
    ("pressure cookers don't fit in my tiny kitchen", "negative", "Kitchen"),
    ("glass dishes never survive in our house", "negative", "Kitchen"),
    ("wireless headphones don't stay charged long enough for me", "negative", "Audio"),
    ("vinyl records don't suit our small flat", "negative", "Audio"),
    ("wooden puzzles don't hold my son's attention", "negative", "Toys"),
    ("water guns don't work in our tiny garden", "negative", "Toys"),
    ("retinol creams don't work on my sensitive skin", "negative", "Skin Care"),
    ("heavy face oils don't absorb into my skin", "negative", "Skin Care"),
    ("fish tanks don't fit in our tiny flat", "negative", "Pet Supplies"),
    ("plastic pet bowls don't last with our dog", "negative", "Pet Supplies"),
    ("fruit trees don't grow on our shady balcony", "negative", "Gardening"),
    ("seed trays never work out for me", "negative", "Gardening"),
    ("standing desks don't fit in my small room", "negative", "Office"),
    ("gel pens don't last long enough for me", "negative", "Office"),
    ("exercise bikes don't fit in our flat", "negative", "Fitness"),
    ("ankle weights don't work for my bad knees", "negative", "Fitness"),
    ("baby swings don't calm our son", "negative", "Baby"),
    ("cloth nappies don't work for our family", "negative", "Baby"),
]
# Set 21, predicates whose object names another category: written 2026-12-02 (session 7) after sets 19 and 20
# had been read ("pressure cookers don't fit in my tiny kitchen" read as a need for Kitchen, "my sunscreen is
# useless at the beach" as a wish for Camping too) and BEFORE any change they led to; never tuned to. Negative
# rows: a kind of item failing somewhere (a reason not to want it); descriptive rows: a thing someone has failing
# somewhere (a need for the thing, not for the place).
HELD_OUT_21: list[tuple[str, Kind, str]] = [
    ("rice cookers don't fit on our kitchen counter", "negative", "Kitchen"),
    ("outdoor speakers don't survive in our garden", "negative", "Audio"),
    ("big dog beds don't fit in the baby's room", "negative", "Pet Supplies"),
    ("weight benches don't fit in our home office", "negative", "Fitness"),
    ("ride-on toys don't fit in our tiny garden", "negative", "Toys"),
    ("bath bombs don't work with our shower", "negative", "Skin Care"),
    ("compost bins don't fit in our kitchen", "negative", "Gardening"),
    ("filing cabinets don't fit in the spare bedroom", "negative", "Office"),
    ("baby bouncers don't fit in our living room", "negative", "Baby"),
    ("camp beds never fit in our car", "negative", "Camping"),
    ("my blender doesn't crush ice for smoothies after the gym", "descriptive", "Kitchen"),
    ("my headphones don't stay on at the gym", "descriptive", "Audio"),
    ("my hand cream doesn't last through gardening", "descriptive", "Skin Care"),
    ("the cat's bed doesn't fit in the office", "descriptive", "Pet Supplies"),
    ("my watering can doesn't fit under the kitchen tap", "descriptive", "Gardening"),
    ("my desk lamp isn't bright enough for the baby's room", "descriptive", "Office"),
    ("my dumbbells don't fit in the camping van", "descriptive", "Fitness"),
    ("the baby monitor doesn't reach the garden", "descriptive", "Baby"),
    ("my cooler doesn't keep drinks cold on camping trips", "descriptive", "Camping"),
    ("my son's toy robot doesn't work in the bath", "descriptive", "Toys"),
]
# Set 22, rejections whose predicate's object names another category ("tents are not for my baby"): written
# 2026-12-02 (session 7) after the readings of sets 1 to 21 had been read (22 of their 258 negations also excluded
# another category, most through the predicate's object) and BEFORE any change they led to; never tuned to. Judged
# also by the collateral exclusions (`summarise`: negations that exclude a category besides the rejected one).
HELD_OUT_22: list[tuple[str, Kind, str]] = [
    ("tents are not for my baby", "negative", "Camping"),
    ("chef knives aren't safe around the kids", "negative", "Kitchen"),
    ("headphones are not good for my baby's ears", "negative", "Audio"),
    ("teddy bears are not for our dog", "negative", "Toys"),
    ("face masks aren't something for the gym", "negative", "Skin Care"),
    ("dog beds are not for the office", "negative", "Pet Supplies"),
    ("watering cans are not for the kids' playroom", "negative", "Gardening"),
    ("staplers aren't for my camping trip", "negative", "Office"),
    ("yoga mats are not for the baby's nursery", "negative", "Fitness"),
    ("strollers aren't for hiking trails", "negative", "Baby"),
    ("sleeping bags are not for our cat", "negative", "Camping"),
    ("frying pans aren't my idea of a toy", "negative", "Kitchen"),
    ("speakers are not allowed in the office", "negative", "Audio"),
    ("board games are not for my workout buddy", "negative", "Toys"),
    ("lotions aren't for my garden work", "negative", "Skin Care"),
    ("cat trees are not for our baby", "negative", "Pet Supplies"),
    ("rakes aren't for my kitchen", "negative", "Gardening"),
    ("desk lamps are not for camping", "negative", "Office"),
    ("dumbbells aren't for my toddler", "negative", "Fitness"),
    ("baby monitors aren't for our dog", "negative", "Baby"),
]
# Set 23, the same shape as set 22 in new words, and rejections whose subject is people rather than a kind of
# item ("teenagers don't want baby stuff"): written 2026-12-02 (session 7) after set 22 had been read (its objects
# were rejected instead of its subjects) and BEFORE the change it led to; never tuned to.
HELD_OUT_23: list[tuple[str, Kind, str]] = [
    ("lanterns are not for the nursery", "negative", "Camping"),
    ("saucepans aren't for my home office", "negative", "Kitchen"),
    ("subwoofers are not for a baby's room", "negative", "Audio"),
    ("jigsaw puzzles are not for my dog", "negative", "Toys"),
    ("moisturizers aren't for my camping trip", "negative", "Skin Care"),
    ("leashes are not for our garden", "negative", "Pet Supplies"),
    ("planters aren't for the office", "negative", "Gardening"),
    ("keyboards are not for the kitchen", "negative", "Office"),
    ("kettlebells aren't for the kids", "negative", "Fitness"),
    ("pacifiers are not for our puppy", "negative", "Baby"),
    ("whisks aren't a toy for my son", "negative", "Kitchen"),
    ("foam rollers are not for the campsite", "negative", "Fitness"),
    ("teenagers don't want baby stuff", "negative", "Baby"),
    ("grown-ups don't need toys", "negative", "Toys"),
    ("kids never want office supplies", "negative", "Office"),
    ("vegans don't need leather desk chairs", "negative", "Office"),
    ("city people don't need wheelbarrows", "negative", "Gardening"),
    ("students can't afford amplifiers", "negative", "Audio"),
    ("cat owners don't need dog collars", "negative", "Pet Supplies"),
    ("beginners don't want heavy dumbbells", "negative", "Fitness"),
]
# Set 24, people as subjects in new words, and kinds of item whose object names another category: written
# 2026-12-02 (session 7) after set 23 had been read ("teenagers don't want baby stuff", "grown-ups don't need toys" and "kids never want office supplies": their
# people read as a kind of item, the category they name rejected) and BEFORE the change it led to (people told from kinds
# of item); never tuned to. 10 rows with people as the subject, 10 with a kind of item.
HELD_OUT_24: list[tuple[str, Kind, str]] = [
    ("toddlers don't need camping stoves", "negative", "Camping"),
    ("bachelors never use mixing bowls", "negative", "Kitchen"),
    ("grandparents don't want earbuds", "negative", "Audio"),
    ("babies don't need board games", "negative", "Toys"),
    ("the men in my family don't use face cream", "negative", "Skin Care"),
    ("renters can't have cat trees", "negative", "Pet Supplies"),
    ("apartment dwellers don't need garden hoses", "negative", "Gardening"),
    ("retirees don't need staplers", "negative", "Office"),
    ("couch potatoes never use exercise bikes", "negative", "Fitness"),
    ("newlyweds don't need baby carriers yet", "negative", "Baby"),
    ("hammocks aren't for my toddler", "negative", "Camping"),
    ("colanders are not for the office", "negative", "Kitchen"),
    ("amplifiers aren't for our baby", "negative", "Audio"),
    ("race cars are not for the garden", "negative", "Toys"),
    ("sunscreens aren't for my dog", "negative", "Skin Care"),
    ("litter boxes are not for the kitchen", "negative", "Pet Supplies"),
    ("trowels aren't for the kids", "negative", "Gardening"),
    ("fountain pens are not for toddlers", "negative", "Office"),
    ("pull-up bars aren't for my office", "negative", "Fitness"),
    ("baby bottles are not for our puppy", "negative", "Baby"),
]
# Music set 1 (`--catalog music`): written 2026-12-02 (session 7) together with the music vocabulary of
# `make_products(kind="music")`, BEFORE any model was trained or any request read on that catalog; never tuned
# to. 10 plain, 10 descriptive, 20 negations (cue-led, negated predicates, kinds of music rejected), 5 neutral.
MUSIC_HELD_OUT: list[tuple[str, Kind, str]] = [
    ("jazz please", "plain", "Jazz"),
    ("some rock music", "plain", "Rock"),
    ("classical music", "plain", "Classical"),
    ("hip-hop albums", "plain", "Hip-Hop"),
    ("country music", "plain", "Country"),
    ("electronic music", "plain", "Electronic"),
    ("folk songs", "plain", "Folk"),
    ("heavy metal", "plain", "Metal"),
    ("pop music", "plain", "Pop"),
    ("the blues", "plain", "Blues"),
    ("something to dance to all night at a rave", "descriptive", "Electronic"),
    ("music for studying, like Mozart or Bach", "descriptive", "Classical"),
    ("songs about pickup trucks and small towns", "descriptive", "Country"),
    ("I want to headbang", "descriptive", "Metal"),
    ("catchy songs from the charts", "descriptive", "Pop"),
    ("a saxophone player in a smoky club", "descriptive", "Jazz"),
    ("rappers with clever lyrics", "descriptive", "Hip-Hop"),
    ("loud guitars for a road trip", "descriptive", "Rock"),
    ("old songs sung around the fire", "descriptive", "Folk"),
    ("sad guitar songs from the Mississippi delta", "descriptive", "Blues"),
    ("no jazz", "negative", "Jazz"),
    ("anything but country", "negative", "Country"),
    ("rap is not for me", "negative", "Hip-Hop"),
    ("I can't stand heavy metal", "negative", "Metal"),
    ("nothing electronic, I hate synths", "negative", "Electronic"),
    ("skip the classical stuff", "negative", "Classical"),
    ("pop songs are the last thing I want", "negative", "Pop"),
    ("blues? no thanks", "negative", "Blues"),
    ("keep the folk music out", "negative", "Folk"),
    ("I'm tired of rock", "negative", "Rock"),
    ("saxophone solos aren't my thing", "negative", "Jazz"),
    ("banjos drive me mad, no country", "negative", "Country"),
    ("orchestras bore me, so no symphonies", "negative", "Classical"),
    ("dance music doesn't appeal to me", "negative", "Electronic"),
    ("screaming vocals are not what I want", "negative", "Metal"),
    ("boy bands are pointless", "negative", "Pop"),
    ("anything except hip-hop beats", "negative", "Hip-Hop"),
    ("without the blues, please", "negative", "Blues"),
    ("old folk ballads are not for us", "negative", "Folk"),
    ("loud guitar bands? I'll pass", "negative", "Rock"),
    ("play me something", "neutral", ""),
    ("what's good?", "neutral", ""),
    ("I'm open to anything", "neutral", ""),
    ("music for me", "neutral", ""),
    ("whatever you think", "neutral", ""),
]
# Music set 2: written 2026-12-02 (session 7) after music set 1 had been read ("play me something" and "music for me"
# read as genres; "boy bands are pointless" excluded Pop, Jazz and Rock) and BEFORE any change it led to; never
# tuned to. Requests in a listener's words ("play", "listen", "songs", "albums") and rejections of one genre's sound.
MUSIC_HELD_OUT_2: list[tuple[str, Kind, str]] = [
    ("play some music", "neutral", ""),
    ("put on a few songs", "neutral", ""),
    ("something to listen to", "neutral", ""),
    ("any good albums?", "neutral", ""),
    ("a record to play tonight", "neutral", ""),
    ("I want to hear something", "neutral", ""),
    ("play some jazz", "plain", "Jazz"),
    ("I want to listen to hip-hop", "plain", "Hip-Hop"),
    ("put on classical music", "plain", "Classical"),
    ("country songs please", "plain", "Country"),
    ("some metal tracks", "plain", "Metal"),
    ("pop albums", "plain", "Pop"),
    ("rap albums are not for me", "negative", "Hip-Hop"),
    ("no boy bands", "negative", "Pop"),
    ("I don't like banjos", "negative", "Country"),
    ("no saxophones", "negative", "Jazz"),
    ("anything but techno", "negative", "Electronic"),
    ("no screaming", "negative", "Metal"),
    ("no violins", "negative", "Classical"),
    ("sea shanties are not for me", "negative", "Folk"),
]
# Set 25: written 2026-12-03 before any change to how dislike is read without a negation, and before
# any of its phrasings was run: rejections said with a verb or word of dislike and no negation cue, and,
# as controls, wishes said with a verb of liking (which must stay wishes).
HELD_OUT_25: list[tuple[str, Kind, str]] = [
    ("gardening bores me to tears", "negative", "Gardening"),
    ("office supplies annoy me", "negative", "Office"),
    ("toys drive me crazy, the house is full of them", "negative", "Toys"),
    ("skin care products irritate me", "negative", "Skin Care"),
    ("fitness gear gets on my nerves", "negative", "Fitness"),
    ("I loathe kitchen gadgets", "negative", "Kitchen"),
    ("camping is overrated", "negative", "Camping"),
    ("pet supplies are overpriced junk", "negative", "Pet Supplies"),
    ("baby products? we have plenty already", "negative", "Baby"),
    ("audio gear is a rip-off", "negative", "Audio"),
    ("gardening relaxes me", "descriptive", "Gardening"),
    ("camping excites me", "descriptive", "Camping"),
    ("music makes me happy, I need new headphones", "descriptive", "Audio"),
    ("cooking is my passion", "descriptive", "Kitchen"),
    ("my dog deserves a treat", "descriptive", "Pet Supplies"),
    ("working out energizes me", "descriptive", "Fitness"),
]
# Music set 3: written with set 25, the same forms on the record shop's genres.
MUSIC_HELD_OUT_3: list[tuple[str, Kind, str]] = [
    ("jazz bores me", "negative", "Jazz"),
    ("heavy metal gives me a headache", "negative", "Metal"),
    ("country music annoys me", "negative", "Country"),
    ("I detest rap", "negative", "Hip-Hop"),
    ("techno drives me mad", "negative", "Electronic"),
    ("pop is overrated", "negative", "Pop"),
    ("opera makes me yawn", "negative", "Classical"),
    ("the blues depress me", "negative", "Blues"),
    ("guitar solos put me to sleep", "negative", "Rock"),
    ("folk songs get on my nerves", "negative", "Folk"),
    ("jazz relaxes me", "descriptive", "Jazz"),
    ("heavy riffs get me pumped", "descriptive", "Metal"),
    ("dance beats make me happy", "descriptive", "Electronic"),
    ("I adore string quartets", "descriptive", "Classical"),
]
# Set 26: written 2026-12-03 by a helper before any change to how dislike is read without a negation, and before
# any of its phrasings was run: rejections said as dislike, contempt, disgust, fatigue or "we have too much already",
# with no negation cue and in words none of sets 1 to 25 uses, and, as controls, wishes said with enthusiasm.
HELD_OUT_26: list[tuple[str, Kind, str]] = [
    ("cooking utensils make me cringe", "negative", "Kitchen"),
    ("tents give me the creeps", "negative", "Camping"),
    ("toys are pure clutter, the playroom is overflowing", "negative", "Toys"),
    ("I resent paying for gym equipment", "negative", "Fitness"),
    ("face creams feel greasy and gross", "negative", "Skin Care"),
    ("desk accessories wear me out", "negative", "Office"),
    ("our shed is already stuffed with garden tools", "negative", "Gardening"),
    ("strollers and diaper bags are a nightmare", "negative", "Baby"),
    ("pet accessories are money down the drain", "negative", "Pet Supplies"),
    ("headphones are the bane of my existence", "negative", "Audio"),
    ("I despise roughing it in the wilderness", "negative", "Camping"),
    ("we're drowning in saucepans and skillets", "negative", "Kitchen"),
    ("workout gear disgusts me", "negative", "Fitness"),
    ("weeding and planting feel like sheer drudgery", "negative", "Gardening"),
    ("I'd be thrilled with a new frying pan", "descriptive", "Kitchen"),
    ("nights in a tent by the lake are my absolute favourite", "descriptive", "Camping"),
    ("my nephew lights up at a remote-control race car", "descriptive", "Toys"),
    ("I treasure my morning skincare routine", "descriptive", "Skin Care"),
    ("lifting weights is the highlight of my day", "descriptive", "Fitness"),
    ("our cat goes wild for scratching posts", "descriptive", "Pet Supplies"),
    ("a tidy desk and a smooth fountain pen delight me", "descriptive", "Office"),
]
# Music set 4: written with set 26, the same forms on the record shop's genres.
MUSIC_HELD_OUT_4: list[tuple[str, Kind, str]] = [
    ("jazz noodling grates on me", "negative", "Jazz"),
    ("rap lyrics make my ears bleed", "negative", "Hip-Hop"),
    ("country twang is unbearable", "negative", "Country"),
    ("techno is mind-numbing noise", "negative", "Electronic"),
    ("pop hits are shallow fluff, the radio is full of them", "negative", "Pop"),
    ("heavy metal is a racket that makes me wince", "negative", "Metal"),
    ("symphonies feel like a chore", "negative", "Classical"),
    ("folk music grinds me down", "negative", "Folk"),
    ("the blues are a dreary slog", "negative", "Blues"),
    ("we own a mountain of rock albums already, those guitar anthems wear thin", "negative", "Rock"),
    ("I'm hooked on bebop piano trios", "descriptive", "Jazz"),
    ("clever rap rhymes give me goosebumps", "descriptive", "Hip-Hop"),
    ("I'm a sucker for banjo tunes", "descriptive", "Country"),
    ("I cherish fingerpicked folk songs", "descriptive", "Folk"),
    ("loud garage rock fires me up", "descriptive", "Rock"),
]
# Set 27: written 2026-12-03 by a helper who read neither the parser nor the earlier sets, before the next change
# to how dislike is read without a negation and before any run: rejections said as dislike, boredom, annoyance,
# contempt, disgust, weariness or "we have too much already", half in plain words and half in idioms, with no
# negation or exclusion cue, covering every shop category; and, as controls, wishes said with liking in the same
# grammatical shapes.
HELD_OUT_27: list[tuple[str, Kind, str]] = [
    ("office supplies bore me", "negative", "Office"),
    ("face creams annoy me, they always feel greasy", "negative", "Skin Care"),
    ("I loathe camping gear", "negative", "Camping"),
    ("we've got too many dog leashes at home already", "negative", "Pet Supplies"),
    ("I'm bored with kids' toys", "negative", "Toys"),
    ("gardening tools are a waste of money", "negative", "Gardening"),
    ("we're over baby products, our kids are all grown up", "negative", "Baby"),
    ("exercise equipment is boring", "negative", "Fitness"),
    ("speakers and headphones drive me up the wall", "negative", "Audio"),
    ("kitchenware is the bane of my existence", "negative", "Kitchen"),
    ("stuffed animals give me the ick", "negative", "Toys"),
    ("we're up to our ears in office stationery, the cupboard is bursting", "negative", "Office"),
    ("sleeping bags and camp stoves are my idea of torture", "negative", "Camping"),
    ("I've had my fill of garden hoses and rakes", "negative", "Gardening"),
    ("pet gear gets on my nerves, the house is swimming in dog beds", "negative", "Pet Supplies"),
    ("baby gadgets make my eyes glaze over", "negative", "Baby"),
    ("camping gear thrills me, I live for weekends in the woods", "descriptive", "Camping"),
    ("I'm crazy about cast iron pans", "descriptive", "Kitchen"),
    ("wireless earbuds make me happy", "descriptive", "Audio"),
    ("we're big fans of garden planters and trowels", "descriptive", "Gardening"),
    ("yoga mats and kettlebells are my jam", "descriptive", "Fitness"),
    ("I'm obsessed with moisturizers and serums", "descriptive", "Skin Care"),
    ("cat trees and dog beds delight us", "descriptive", "Pet Supplies"),
    ("a good desk lamp is my idea of heaven", "descriptive", "Office"),
]
# Music set 5: written with set 27 by the same helper, under the same conditions: rejections of ten genres said as
# dislike, boredom, contempt or weariness without a negation cue, half plain and half idioms, and wishes said with
# liking as controls.
MUSIC_HELD_OUT_5: list[tuple[str, Kind, str]] = [
    ("jazz solos bore me, they go on forever", "negative", "Jazz"),
    ("country music irritates me", "negative", "Country"),
    ("I detest rap music", "negative", "Hip-Hop"),
    ("pop songs all sound the same, so boring", "negative", "Pop"),
    ("we're bored of techno, we played it all summer", "negative", "Electronic"),
    ("heavy metal wears me out, it's so shouty", "negative", "Metal"),
    ("opera and symphonies put me to sleep", "negative", "Classical"),
    ("folk ballads make me want to tear my hair out", "negative", "Folk"),
    ("the blues is a total buzzkill", "negative", "Blues"),
    ("guitar rock is old hat to me", "negative", "Rock"),
    ("we've had a bellyful of country twang", "negative", "Country"),
    ("boy bands and bubblegum pop set my teeth on edge", "negative", "Pop"),
    ("smooth jazz relaxes me after work", "descriptive", "Jazz"),
    ("I'm hooked on old-school hip-hop", "descriptive", "Hip-Hop"),
    ("banjo and fiddle tunes make my day", "descriptive", "Country"),
    ("synthwave is my guilty pleasure", "descriptive", "Electronic"),
    ("delta blues gives me goosebumps, in the best way", "descriptive", "Blues"),
    ("I'm mad about baroque concertos", "descriptive", "Classical"),
]

# Set 28: written 2026-12-03 by a helper who read neither the parser nor the earlier sets, after set 27 was measured and before any run of this set: dislike, boredom, annoyance, contempt, disgust and weariness said in everyday words and idioms with no negation or exclusion word; liking controls in the same shapes, some with negative-sounding idioms that mean liking.
HELD_OUT_28: list[tuple[str, Kind, str]] = [
    ("tents and sleeping bags bore me to tears", "negative", "Camping"),
    ("we're weary of camp stoves and lanterns", "negative", "Camping"),
    ("kitchen gadgets get on my nerves", "negative", "Kitchen"),
    ("cooking pots and pans bore me stiff, the kitchen is a chore", "negative", "Kitchen"),
    ("I'm weary of headphones and speakers", "negative", "Audio"),
    ("I detest turntables and soundbars, they grate on me", "negative", "Audio"),
    ("plush toys give me the creeps", "negative", "Toys"),
    ("I'm bored stiff by jigsaw puzzles and board games", "negative", "Toys"),
    ("face creams and serums make my skin crawl", "negative", "Skin Care"),
    ("cat trees and litter boxes gross me out", "negative", "Pet Supplies"),
    ("garden hoses and rakes leave me cold", "negative", "Gardening"),
    ("we loathe office supplies, desk chairs and staplers grind me down", "negative", "Office"),
    ("I'm disgusted by yoga mats and dumbbells", "negative", "Fitness"),
    ("baby gear drives me up the wall", "negative", "Baby"),
    ("I'm wild about trail headlamps and hammocks", "descriptive", "Camping"),
    ("cast iron pans are downright sick", "descriptive", "Kitchen"),
    ("bass-heavy speakers slay me", "descriptive", "Audio"),
    ("building blocks and train sets are dangerously fun", "descriptive", "Toys"),
    ("I'm hooked on serums and moisturizers", "descriptive", "Skin Care"),
    ("we adore cat trees and scratching posts", "descriptive", "Pet Supplies"),
    ("raised planters and seed kits are the bomb", "descriptive", "Gardening"),
    ("I'm obsessed with fountain pens and desk lamps", "descriptive", "Office"),
    ("heavy kettlebell workouts hurt so good", "descriptive", "Fitness"),
    ("I'm a sucker for cozy swaddle blankets", "descriptive", "Baby"),
]

# Music set 6: written with set 28 by the same helper, under the same rules, for the music catalog.
MUSIC_HELD_OUT_6: list[tuple[str, Kind, str]] = [
    ("banjo picking gets on my last nerve", "negative", "Country"),
    ("rap verses and mixtapes bore me silly", "negative", "Hip-Hop"),
    ("I'm weary of guitar anthems and power chords", "negative", "Rock"),
    ("orchestral symphonies bore me to death", "negative", "Classical"),
    ("techno and rave tracks give me a headache", "negative", "Electronic"),
    ("sea shanties grate on my ears", "negative", "Folk"),
    ("screaming metal vocals disgust me", "negative", "Metal"),
    ("bubblegum pop makes me cringe", "negative", "Pop"),
    ("we're worn down by twelve-bar shuffles", "negative", "Blues"),
    ("saxophone ballads make my ears bleed", "negative", "Jazz"),
    ("fiddle tunes and barn dances are my guilty pleasure", "descriptive", "Country"),
    ("brutal thrash riffs are criminally good", "descriptive", "Metal"),
    ("I'm addicted to deep house and synthwave", "descriptive", "Electronic"),
    ("old-school boom-bap beats are disgustingly good", "descriptive", "Hip-Hop"),
    ("catchy chart-topping choruses are my weakness", "descriptive", "Pop"),
    ("we adore fingerpicked songs and dulcimer airs", "descriptive", "Folk"),
    ("delta slide guitar tears me apart, and I love it", "descriptive", "Blues"),
    ("bebop piano trios blow my mind", "descriptive", "Jazz"),
]
KINDS: tuple[Kind, ...] = ("plain", "descriptive", "negative", "neutral")


# The phrasing sets by catalog and number (`--set`).
SHOP_SETS: dict[int, list[tuple[str, Kind, str]]] = {
    1: HELD_OUT, 2: HELD_OUT_2, 3: HELD_OUT_3, 4: HELD_OUT_4, 5: HELD_OUT_5, 6: HELD_OUT_6, 7: HELD_OUT_7,
    8: HELD_OUT_8, 9: HELD_OUT_9, 10: HELD_OUT_10, 11: HELD_OUT_11, 12: HELD_OUT_12, 13: HELD_OUT_13,
    14: HELD_OUT_14, 15: HELD_OUT_15, 16: HELD_OUT_16, 17: HELD_OUT_17, 18: HELD_OUT_18, 19: HELD_OUT_19,
    20: HELD_OUT_20, 21: HELD_OUT_21, 22: HELD_OUT_22, 23: HELD_OUT_23, 24: HELD_OUT_24, 25: HELD_OUT_25,
    26: HELD_OUT_26, 27: HELD_OUT_27, 28: HELD_OUT_28,
}  # fmt: skip
MUSIC_SETS: dict[int, list[tuple[str, Kind, str]]] = {
    1: MUSIC_HELD_OUT, 2: MUSIC_HELD_OUT_2, 3: MUSIC_HELD_OUT_3, 4: MUSIC_HELD_OUT_4, 5: MUSIC_HELD_OUT_5,
    6: MUSIC_HELD_OUT_6,
}  # fmt: skip


def product_config(epochs: int, seed: int) -> HybridConfig:
    """The default hybrid with the quick settings of configs/ml100k-quick.toml (a 64-wide LM); nothing
    names the category field or the noun: requests are read against the catalog's category field and
    items called what the catalog calls them ("product")."""
    return HybridConfig.from_dict({
        "candidates": {"als": {"factors": 32, "regularization": 0.1, "seed": seed}},
        "reranker": {"lm": {"n_embd": 64, "dropout": 0.2, "seed": seed}, "trainer": {"epochs": epochs, "seed": seed}},
    })  # fmt: skip


def train(args: argparse.Namespace) -> tuple[HybridPipeline, dict[str, Any]]:
    """The hybrid fitted on the train rows (validation: early stopping, fusion weights), refitted on
    train + validation; with its test NDCG@10 without a request (a sanity figure)."""
    data = make_products(ProductConfig(n_users=args.data_users, field=args.field, seed=args.seed, kind=args.catalog))
    split = leave_last_out(data.interactions)
    start = time.perf_counter()
    method = HybridMethod(product_config(args.epochs, args.seed))
    method.fit(split.train, FitContext(split.valid, data.catalog)).refit(split.train_valid)
    fit_s = time.perf_counter() - start
    _, _, per_user, _ = evaluate_stage(method, split, "test", EvaluationConfig(cutoffs=[10]), progress=False)
    info = {"users": data.interactions.n_users, "items": data.interactions.n_items,
            "interactions": len(data.interactions), "fit_seconds": round(fit_s, 1),
            "test_ndcg@10_no_request": round(float(np.nanmean(per_user["ndcg@10"])), 4),
            "request_fusion": method.pipeline.request_fusion is not None, "learned": method.learned()}  # fmt: skip
    if args.out:
        method.pipeline.save(args.out)
    return method.pipeline, info


def measure(
    pipe: HybridPipeline, n_users: int, k: int, seed: int, table: list[tuple[str, Kind, str]] = HELD_OUT
) -> list[dict[str, Any]]:
    """One row per phrasing of HELD_OUT: how it was read, the share of the top k in its category with
    and without the request, its score and (negative rows) whether it was read with the wrong sign."""
    category = categories(pipe)
    users = sample_users(pipe, n_users, seed)

    def share(request: str | None, value: str) -> float:
        items = shown(pipe, users, k, request)
        return float(np.mean([value in category[i] for i in items]))

    lists = [[r.item_id for r in recs] for recs in pipe.recommend(users, k)]
    plain = [i for items in lists for i in items]
    base = {c: float(np.mean([c in category[i] for i in plain])) for c in {c for _, _, c in table}}

    def same(request: str) -> float:
        """The share of the top k that is the same as without the request (a neutral row's score)."""
        asked = pipe.recommend(users, k, request=request)
        return float(np.mean([len({r.item_id for r in recs} & set(was)) / k for recs, was in zip(asked, lists, strict=True)]))

    rows = []
    for phrase, kind, value in table:
        reading = pipe.read_request(phrase)
        inside = same(phrase) if kind == "neutral" else share(phrase, value)
        row = {"phrasing": phrase, "kind": kind, "category": value,
               "no_request": 1.0 if kind == "neutral" else base[value], "with_request": inside,
               "score": 1.0 - inside if kind == "negative" else inside,
               "asked_for": list(reading.asked_for) if reading else [],
               "excluded": list(reading.excluded) if reading else [],
               "understood": bool(reading and reading.understood)}  # fmt: skip
        if kind == "negative":
            row["wrong_sign"] = inside > base[value]
        rows.append(row)
        print(f"- {kind} {value}: {phrase!r} -> {row['score']:.3f}", flush=True)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Macro scores by kind, the baseline without a request, and the negations read the wrong way."""
    by_kind = {kind: [r for r in rows if r["kind"] == kind] for kind in KINDS if any(r["kind"] == kind for r in rows)}
    negative = by_kind.get("negative", [])
    mean = lambda xs: round(float(np.mean(xs)), 4) if xs else None  # noqa: E731
    return {
        "phrasings": {kind: len(v) for kind, v in by_kind.items()},
        "macro_score": {kind: round(float(np.mean([r["score"] for r in v])), 4) for kind, v in by_kind.items()},
        "macro_no_request": {
            kind: round(float(np.mean([1 - r["no_request"] if kind == "negative" else r["no_request"] for r in v])), 4)
            for kind, v in by_kind.items()
        },
        "negations_wrong_sign": mean([r["wrong_sign"] for r in negative]),
        "negations_wrong_sign_list": [r["phrasing"] for r in negative if r["wrong_sign"]],
        "negations_fully_avoided": mean([r["with_request"] == 0 for r in negative]),
        # a negation that also excludes a category it does not reject removes what the user did not refuse
        "negations_collateral": mean([any(v != r["category"] for v in r["excluded"]) for r in negative]),
        "negations_collateral_list": [r["phrasing"] for r in negative if any(v != r["category"] for v in r["excluded"])],
        "not_understood": round(float(np.mean([not r["understood"] for r in rows])), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", help="a saved model to measure (skips training)")
    parser.add_argument("--out", help="save the trained model here")
    parser.add_argument("--field", default="category", help="catalog field of the categories (category / genres)")
    parser.add_argument("--catalog", choices=("shop", "music"), default="shop",
                        help="the generated catalog (`make_products(kind=...)`); music has its own sets: --set 1 to 6")
    parser.add_argument("--data-users", type=int, default=1500, help="users of the generated catalog")
    parser.add_argument("--users", type=int, default=200, help="users whose top k is measured")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=60, help="most LM epochs (early stopping ends sooner)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, the models and the user sample")
    parser.add_argument("--json", help="also write the summary and the rows here")
    parser.add_argument("--set", type=int, default=1,
                        help="1: HELD_OUT (all kinds); 2, 3: HELD_OUT_2 / _3 (negations); 4: HELD_OUT_4 (descriptive); 5, 6: HELD_OUT_5 / _6 (mixed); 7: HELD_OUT_7 (descriptive); 8: HELD_OUT_8 (negations); 9: HELD_OUT_9 (neutral); 10: HELD_OUT_10 (negated predicates); 11: HELD_OUT_11 (needs as problems); 12 to 15: HELD_OUT_12 .. _15 (mixed); 16, 17: HELD_OUT_16 / _17 (rejected kinds of item); 18: HELD_OUT_18 (negated predicates); 19: HELD_OUT_19 (refusals and complaints without 'not'); 20: HELD_OUT_20 (kinds rejected in a complaint's words); 21: HELD_OUT_21 (predicates naming another category); 22: HELD_OUT_22 (rejections whose object names another category); 23: HELD_OUT_23 (the same, and people as subjects); 24: HELD_OUT_24 (the same in new words); 25: HELD_OUT_25 (dislike without a negation; wishes said with liking); 26: HELD_OUT_26 (the same in new words); 27: HELD_OUT_27 (the same, plain words and idioms); 28: HELD_OUT_28 (the same, more idioms, liking said in negative-sounding words); with --catalog music: 1 to 6 (4: the same as 26; 5: the same as 27; 6: the same as 28)")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.model:
        pipe, info = HybridPipeline.load(args.model), {"model": args.model}
    else:
        pipe, info = train(args)
    sets = MUSIC_SETS if args.catalog == "music" else SHOP_SETS
    if args.set not in sets:
        raise SystemExit(f"--catalog {args.catalog} has sets {sorted(sets)}, not {args.set}")
    rows = measure(pipe, args.users, args.k, args.seed, sets[args.set])
    catalog = pipe.reranker.catalog
    field = catalog.category_field(pipe.config.requests.intent.field) if catalog is not None else None
    summary = {"model": {**info, "field": field}, "catalog": args.catalog, "set": args.set, "users": args.users, "k": args.k,
               **summarise(rows), "wall_seconds": round(time.perf_counter() - start, 1)}  # fmt: skip
    print("\n| kind | category | phrasing | read: asked / excluded | no request | with request | score | wrong sign |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        read = f"{r['asked_for']} / {r['excluded']}" if r["understood"] else "not understood"
        wrong = "" if "wrong_sign" not in r else "**yes**" if r["wrong_sign"] else "no"
        print(f"| {r['kind']} | {r['category']} | {r['phrasing']} | {read} | {r['no_request']:.3f} "
              f"| {r['with_request']:.3f} | {r['score']:.3f} | {wrong} |")  # fmt: skip
    print(json.dumps(summary, indent=2, default=float))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=2, default=float))


if __name__ == "__main__":
    main()
