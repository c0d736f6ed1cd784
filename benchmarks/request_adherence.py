"""Does the explicit-intention instruction work? Share of recommended items in a requested genre,
with and without the request in the prompt.

For each genre and a sample of users, the pipeline recommends the top 10 with no request and with
``request="a <genre> movie"``; the score is the share of the 10 whose catalog genres include the
genre. Candidates and CF scores are the same in both runs: only the LM's instruction changes.

    .venv/bin/python benchmarks/request_adherence.py --model models/ml100k --users 100
"""

from __future__ import annotations

import argparse

import numpy as np

from hybrid_rec.store import resolve_model
from hybrid_rec.pipeline import HybridPipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--genres", default="Comedy,Horror,Romance,Sci-Fi,Documentary")
    args = parser.parse_args()
    model_dir, _, _ = resolve_model(args.model)
    pipe = HybridPipeline.load(model_dir)
    catalog = pipe.reranker.catalog
    users = np.random.default_rng(0).choice(pipe.generator.users.ids, args.users, replace=False)
    print(f"{args.users} random users, top 10 each\n")
    print("| requested genre | share in genre, no request | share in genre, with request | catalog share |")
    print("|---|---|---|---|")
    for genre in args.genres.split(","):

        def share(request: str | None, g: str = genre) -> float:
            recs = (
                pipe.recommend(list(users), 10, request=request)
                if request is None
                else [pipe.recommend([u], 10, request=request)[0] for u in users]
            )
            items = [r.item_id for user in recs for r in user]
            return float(np.mean([g in catalog.item(i)["genres"] for i in items]))

        base = share(None)
        asked = share(f"a {genre.lower()} movie")
        prior = float(np.mean([genre in g for g in catalog.items["genres"]]))
        print(f"| {genre} | {base:.3f} | {asked:.3f} | {prior:.3f} |", flush=True)


if __name__ == "__main__":
    main()
