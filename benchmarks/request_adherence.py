"""Does a request move the list? The share of the top 10 in the asked genre, what a user would see.

For every genre with at least 50 items and a sample of users, the pipeline recommends the top 10
(a) with no request, (b) with the phrasing the model was trained and fitted on ("a <genre> movie"),
(c) with phrasings written for this benchmark and never used in training (HELD_OUT, HELD_OUT_2 and HELD_OUT_3,
below: none of them appears in the trainer, the validation intentions or the intent parser's
configuration), and (d) with negative requests: the share of slots that avoid the genre. Scores are macro-averaged
over genres. Everything else (users, candidates, model) is the same in every run.

    .venv/bin/python benchmarks/request_adherence.py --model models/ml100k --users 100
    .venv/bin/python benchmarks/request_adherence.py --model models/ml100k --parser-only   # seconds
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _requests import catalog_of, load, sample_users, shown

from hybrid_rec.pipeline import HybridPipeline

# Set 1: written once, before any measurement; 2 per genre (28 phrasings), most without the genre's
# name. Its failures were read while changing the intent parser after 2026-11-28 (see set 2).
HELD_OUT: dict[str, list[str]] = {
    "Drama": ["a serious, emotional story", "something moving that makes me think"],
    "Comedy": ["something funny", "I want to laugh"],
    "Action": ["explosions, car chases and fist fights", "a high-octane blockbuster with fight scenes"],
    "Thriller": ["something suspenseful", "a tense story that keeps me on the edge of my seat"],
    "Romance": ["a love story", "something romantic for date night"],
    "Adventure": ["an epic journey to exotic places", "a quest for a lost treasure"],
    "Children's": ["something the kids can watch", "a film for young children"],
    "Crime": ["gangsters and heists", "a story about criminals and the police"],
    "Sci-Fi": ["space ships and aliens", "a futuristic story with robots"],
    "Horror": ["I want to be scared", "monsters and ghosts"],
    "War": ["soldiers on the battlefield", "a story set during World War II"],
    "Mystery": ["a whodunit", "a puzzling case for a detective to solve"],
    "Musical": ["lots of singing and dancing", "a show full of songs"],
    "Documentary": ["real events, not fiction", "a nonfiction film about real people"],
}
NEGATIVE_HELD_OUT: dict[str, str] = {
    "Horror": "nothing scary",
    "Romance": "I don't want anything romantic",
    "Children's": "nothing for kids",
    "Comedy": "no silly jokes",
    "War": "please avoid war films",
}
# Set 2: written 2026-11-28 before the intent parser was changed, to measure that change on
# phrasings nobody had looked at; 3 per genre (42 phrasings) and 6 negative requests.
HELD_OUT_2: dict[str, list[str]] = {
    "Drama": ["a heartbreaking family story", "an acclaimed character study", "a film about grief and loss"],
    "Comedy": ["something lighthearted to cheer me up", "a hilarious buddy movie", "a witty film with great jokes"],
    "Action": ["a movie full of shootouts and stunts", "non-stop fighting and chases", "a martial arts film"],
    "Thriller": [
        "a psychological cat-and-mouse game",
        "a gripping story full of twists",
        "a conspiracy with a hitman on the loose",
    ],
    "Romance": ["two people falling in love", "a sweet love affair", "a romantic story with a happy ending"],
    "Adventure": [
        "treasure hunters exploring a jungle",
        "pirates sailing the high seas",
        "an expedition into the unknown",
    ],
    "Children's": [
        "a family film for my six-year-old",
        "a cartoon for little ones",
        "something suitable for the whole family with kids",
    ],
    "Crime": ["a mafia story", "a bank robbery gone wrong", "a detective hunting a serial killer"],
    "Sci-Fi": ["time travel and distant planets", "a story about artificial intelligence", "an alien invasion"],
    "Horror": ["a terrifying haunted house", "vampires and zombies", "a slasher that gives me nightmares"],
    "War": ["a battle in Vietnam", "the story of a platoon at the front line", "a film about the Second World War"],
    "Mystery": [
        "a murder mystery with a surprise ending",
        "clues and a detective solving a puzzle",
        "a secret to uncover",
    ],
    "Musical": [
        "a film with a Broadway soundtrack",
        "characters who burst into song",
        "a dance movie with big musical numbers",
    ],
    "Documentary": [
        "a true-life film about actual events",
        "a documentary about nature",
        "footage of real people, no actors",
    ],
}
NEGATIVE_HELD_OUT_2: dict[str, str] = {
    "Children's": "no cartoons please",
    "Musical": "I hate musicals",
    "Action": "without fighting or shootouts",
    "Drama": "nothing sad or depressing",
    "Horror": "no gore",
    "Sci-Fi": "nothing set in space",
}


# Set 3: written 2026-12-03, before any change of that session and before any of its phrasings was
# run through the parser or a model; 2 per genre (28 phrasings) and 6 negative requests.
HELD_OUT_3: dict[str, list[str]] = {
    "Drama": ["a powerful story about ordinary people's struggles", "an Oscar-worthy tearjerker"],
    "Comedy": ["a feel-good film full of gags", "a silly movie that makes me giggle"],
    "Action": ["a hero fighting bad guys with lots of explosions", "an adrenaline rush"],
    "Thriller": ["a nail-biter with a killer on the loose", "something that keeps me guessing until the end"],
    "Romance": ["a film about a couple in love", "something to watch on Valentine's Day"],
    "Adventure": ["explorers on a dangerous expedition", "swashbuckling heroes on a voyage"],
    "Children's": ["a movie for a child's birthday party", "something my toddler would enjoy"],
    "Crime": ["a gritty film about the mob", "cops chasing drug dealers"],
    "Sci-Fi": ["a story set on a spaceship far in the future", "robots and lasers"],
    "Horror": ["a creepy film to watch on Halloween", "something with blood and screams"],
    "War": ["soldiers fighting in the trenches", "a film about a historic military battle"],
    "Mystery": ["a detective story with clues to follow", "an unsolved case to figure out"],
    "Musical": ["a film where the cast sings", "a movie based on a stage show with songs"],
    "Documentary": ["a film about real history, not made up", "interviews with real people about their lives"],
}
NEGATIVE_HELD_OUT_3: dict[str, str] = {
    "Horror": "nothing that will give me nightmares",
    "Romance": "skip the love stories",
    "Comedy": "not in the mood for comedy",
    "War": "no battle scenes, please",
    "Children's": "something for adults, not kids",
    "Crime": "no gangsters",
}


SETS = {
    "set 1": (HELD_OUT, NEGATIVE_HELD_OUT),
    "set 2": (HELD_OUT_2, NEGATIVE_HELD_OUT_2),
    "set 3": (HELD_OUT_3, NEGATIVE_HELD_OUT_3),
}


def parser_only(pipe: HybridPipeline, genres: list[str]) -> None:
    """How the intent parser reads each held-out phrasing (no recommendations: seconds)."""
    matcher = pipe.fitted.requests.bind(pipe.generator.items).matcher
    if matcher is None:
        raise SystemExit("the model reads no requests")
    for name, (positive, negative) in SETS.items():
        hits = firsts = total = 0
        print(f"\n{name}:")
        for genre in genres:
            for phrase in positive.get(genre, []):
                intent = matcher.parse(phrase)
                hit, first = genre in intent.include, intent.include[:1] == (genre,)
                hits, firsts, total = hits + hit, firsts + first, total + 1
                print(f"- {genre}: {phrase!r} -> include {list(intent.include)}, exclude {list(intent.exclude)}"
                      f"{'' if hit else '   MISS'}")  # fmt: skip
        neg_hits = 0
        for genre, phrase in negative.items():
            intent = matcher.parse(phrase)
            neg_hits += genre in intent.exclude
            print(f"- not {genre}: {phrase!r} -> include {list(intent.include)}, exclude {list(intent.exclude)}"
                  f"{'' if genre in intent.exclude else '   MISS'}")  # fmt: skip
        print(f"{name}: asked genre named {hits}/{total} (named first {firsts}/{total}); "
              f"negative requests excluding the genre {neg_hits}/{len(negative)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--min-items", type=int, default=50)
    parser.add_argument("--parser-only", action="store_true", help="only print how each phrasing is read")
    parser.add_argument("--json", help="also write the figures as JSON here")
    args = parser.parse_args()
    pipe, version = load(args.model)
    catalog = catalog_of(pipe)
    counts = catalog.items["genres"].explode().value_counts()
    genres = [g for g in counts.index if counts[g] >= args.min_items and g != "unknown"]
    if args.parser_only:
        parser_only(pipe, genres)
        return
    users = sample_users(pipe, args.users, 0)

    def share(request: str | None, genre: str) -> float:
        items = shown(pipe, users, args.k, request)
        return float(np.mean([genre in catalog.item(i)["genres"] for i in items]))

    start = time.perf_counter()
    rows = []
    print(f"model {args.model} (version {version}), {args.users} random users, top {args.k}\n")
    print("| genre | items | catalog share | no request | trained phrasing | held-out set 1 | held-out set 2 "
          "| held-out set 3 | avoided: 'no <genre> movies' |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for genre in genres:
        row = {
            "genre": genre,
            "items": int(counts[genre]),
            "catalog": float(np.mean([genre in g for g in catalog.items["genres"]])),
            "none": share(None, genre),
            "trained": share(f"a {genre.lower()} movie", genre),
            "held_out": [share(p, genre) for p in HELD_OUT.get(genre, [])],
            "held_out_2": [share(p, genre) for p in HELD_OUT_2.get(genre, [])],
            "held_out_3": [share(p, genre) for p in HELD_OUT_3.get(genre, [])],
            "avoid": 1.0 - share(f"no {genre.lower()} movies", genre),
        }
        rows.append(row)
        held = [f"{np.mean(row[key]):.3f}" if row[key] else "-" for key in ("held_out", "held_out_2", "held_out_3")]
        print(f"| {genre} | {row['items']} | {row['catalog']:.3f} | {row['none']:.3f} | {row['trained']:.3f} "
              f"| {held[0]} | {held[1]} | {held[2]} | {row['avoid']:.3f} |", flush=True)  # fmt: skip

    def macro(key: str) -> float:
        return float(np.mean([np.mean(r[key]) for r in rows if r[key] != []]))

    print(f"| **macro** | | {macro('catalog'):.3f} | {macro('none'):.3f} | **{macro('trained'):.3f}** "
          f"| **{macro('held_out'):.3f}** | **{macro('held_out_2'):.3f}** | **{macro('held_out_3'):.3f}** "
          f"| **{macro('avoid'):.3f}** |")  # fmt: skip
    negatives = {}
    for (name, (positive, negative)), key in zip(SETS.items(), ("held_out", "held_out_2", "held_out_3"), strict=True):
        print(f"\nheld-out {name}: {sum(len(r[key]) for r in rows)} phrasings; per phrasing:")
        for r in rows:
            for p, s in zip(positive.get(r["genre"], []), r[key], strict=True):
                print(f"- {r['genre']}: {p!r} -> {s:.3f}")
        negatives[name] = {g: 1.0 - share(p, g) for g, p in negative.items() if g in genres}
        print(f"\nheld-out {name}, negative requests (share of slots that avoid the genre):")
        for g, v in negatives[name].items():
            print(f"- {negative[g]!r} ({g}): {v:.3f}")
    n_requests = len(genres) * 4 + sum(len(r["held_out"]) + len(r["held_out_2"]) + len(r["held_out_3"]) for r in rows)
    n_requests += sum(len(v) for v in negatives.values())
    print(f"\n{time.perf_counter() - start:.0f}s for {n_requests} x {args.users} users")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "negative_held_out": negatives}, indent=2))


if __name__ == "__main__":
    main()
