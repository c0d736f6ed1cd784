"""Requests for one of two categories ("a comedy or a romance"): does the list hold both?

For each phrasing of a table below, the pipeline recommends the top 10 to a sample of users, and
the benchmark reports the share of the slots in either category (what was asked for), in each of
the two, and whether both are there (each in at least `--both` of the slots, 0.2 by default: a
list of one of them only answers half the request). The tables were written on 2026-12-03 before
any change to how such requests are read and before any of their phrasings was run.

    .venv/bin/python benchmarks/either_requests.py --model models/ml100k-s8 --catalog film
    .venv/bin/python benchmarks/either_requests.py --model runs/products-v6 --catalog shop
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _requests import categories, load, sample_users, shown

FILM: list[tuple[str, str, str]] = [
    ("something scary or something funny", "Horror", "Comedy"),
    ("a thriller or a mystery", "Thriller", "Mystery"),
    ("either a war film or a documentary", "War", "Documentary"),
    ("sci-fi or horror, I don't mind which", "Sci-Fi", "Horror"),
    ("a musical or a kids' movie", "Musical", "Children's"),
    ("crime or drama", "Crime", "Drama"),
    ("romance or comedy tonight", "Romance", "Comedy"),
    ("an adventure film or maybe some science fiction", "Adventure", "Sci-Fi"),
]
SHOP: list[tuple[str, str, str]] = [
    ("camping gear or gardening tools", "Camping", "Gardening"),
    ("something for the kitchen or the office", "Kitchen", "Office"),
    ("headphones or a speaker, or else a fitness tracker", "Audio", "Fitness"),
    ("toys or baby stuff", "Toys", "Baby"),
    ("skin care or pet supplies, either is fine", "Skin Care", "Pet Supplies"),
    ("a yoga mat or a tent", "Fitness", "Camping"),
    ("either kitchen gadgets or toys", "Kitchen", "Toys"),
    ("office supplies or something for my garden", "Office", "Gardening"),
]
TABLES = {"film": FILM, "shop": SHOP}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--catalog", choices=tuple(TABLES), required=True, help="which table of phrasings")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--both", type=float, default=0.2, help="least share of each category for 'both there'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the rows and the summary here")
    args = parser.parse_args()
    pipe, version = load(args.model)
    category = categories(pipe)
    users = sample_users(pipe, args.users, args.seed)
    start = time.perf_counter()
    rows = []
    print(f"model {args.model} (version {version}), {args.users} random users, top {args.k}\n")
    print("| phrasing | read as | share A | share B | A or B | both there |")
    print("|---|---|---|---|---|---|")
    for phrase, a, b in TABLES[args.catalog]:
        items = shown(pipe, users, args.k, phrase)
        in_a = float(np.mean([a in category[i] for i in items]))
        in_b = float(np.mean([b in category[i] for i in items]))
        either = float(np.mean([a in category[i] or b in category[i] for i in items]))
        reading = pipe.read_request(phrase)
        asked = list(reading.asked_for) if reading else []
        row = {"phrasing": phrase, "a": a, "b": b, "asked_for": asked, "share_a": in_a, "share_b": in_b,
               "either": either, "both": min(in_a, in_b) >= args.both}  # fmt: skip
        rows.append(row)
        print(f"| {phrase} | {', '.join(asked) or '-'} | {a} {in_a:.3f} | {b} {in_b:.3f} | {either:.3f} "
              f"| {'yes' if row['both'] else 'no'} |", flush=True)  # fmt: skip
    summary = {
        "phrasings": len(rows),
        "either": round(float(np.mean([r["either"] for r in rows])), 4),
        "both_there": int(sum(r["both"] for r in rows)),
        "both_read": int(sum(r["a"] in r["asked_for"] and r["b"] in r["asked_for"] for r in rows)),
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    print(f"\n{json.dumps(summary, indent=2)}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
