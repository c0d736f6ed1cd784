"""Descriptions of the usual film genres: what a request is matched against besides a genre's name.

A genre's bare name ("Action") is a weak target for a sentence encoder: a request that describes
the genre without naming it ("a hero against a dangerous villain") lands closer to the wrong name
or to none. `IntentParser` matches each clause against every text of a value and keeps the best,
so short descriptions in the manner of an encyclopedia's first sentence give it more to match.
Keys are MovieLens's genre names (also the usual names elsewhere); a catalog without a genre
ignores its entry. `IntentConfig.aliases` defaults to this table; give your catalog's own
descriptions there (or ``{}`` to match names only).

Measured on MovieLens-100K (``benchmarks/request_adherence.py --parser-only``): see
``docs/benchmark-history.md`` ("Explicit intentions").
"""

from __future__ import annotations

__all__ = ["FILM_GENRES"]

FILM_GENRES: dict[str, list[str]] = {
    "Action": [
        "a genre in which the protagonist is thrust into a series of events that involve violence and physical feats",
        "a resourceful hero struggles against incredible odds, life-threatening situations and a dangerous villain",
    ],
    "Adventure": [
        "a genre about exciting journeys, quests and expeditions to exotic or unexplored places",
        "heroes travel to faraway lands in search of discovery, danger and treasure",
    ],
    "Animation": ["a film made of drawn, painted or computer-generated images that appear to move", "cartoons"],
    "Children's": [
        "a film made for children and families, suitable for young audiences",
        "a family film that kids and parents enjoy together",
    ],
    "Comedy": [
        "a genre intended to make the audience laugh through humour, jokes and amusing situations",
        "a funny, light-hearted story",
    ],
    "Crime": [
        "a genre about criminals, crimes and their detection, such as robberies, murders and organised crime",
        "gangsters, mobsters, heists, the police and the underworld",
    ],
    "Documentary": [
        "a non-fictional film that documents reality, real people and actual events",
        "a factual film for instruction, education or keeping a historical record",
    ],
    "Drama": [
        "a genre relying on the emotional development of realistic characters dealing with emotional themes",
        "a serious story about personal conflicts, relationships and hardship",
    ],
    "Fantasy": ["a genre with magic, supernatural events, mythical creatures and imaginary worlds"],
    "Film-Noir": [
        "film noir",
        "a stylish black-and-white Hollywood crime drama of the 1940s and 1950s with cynical attitudes and a "
        "femme fatale",
    ],
    "Horror": [
        "a genre that seeks to elicit fear, terror or disgust in its audience",
        "frightening stories of monsters, the supernatural, killers and death",
    ],
    "Musical": [
        "a genre in which songs sung by the characters are woven into the narrative, with singing and dancing",
        "a film built around music, songs and dance numbers",
    ],
    "Mystery": [
        "a genre that revolves around the solution of a problem or a crime, often by a detective",
        "an investigation to uncover who committed a murder, following clues",
    ],
    "Romance": [
        "a genre whose story centres on a romantic love relationship between the protagonists",
        "a love story about a couple's passion, courtship and relationship",
    ],
    "Sci-Fi": [
        "science fiction",
        "a genre that uses speculative, fictional science-based depictions of phenomena",
        "space travel, extraterrestrial life, futuristic technology, robots and time travel",
    ],
    "Thriller": [
        "a genre that evokes excitement, suspense and anxiety in the audience",
        "a tense, suspenseful plot with danger, pursuit and plot twists",
    ],
    "War": [
        "a genre concerned with warfare, typically naval, air or land battles, with combat scenes",
        "soldiers, armies and battles of a war",
    ],
    "Western": ["a genre set in the American Old West with cowboys, outlaws, gunfighters and frontier towns"],
}
