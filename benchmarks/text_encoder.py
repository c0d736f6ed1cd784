"""Encode throughput (texts/s) of the text encoders on the MovieLens-100K titles, by torch threads.

Encodes every ML-100K title (1682) with the hashing encoder and with MiniLM at each thread count,
best of ``--repeats`` runs after one warm-up batch, and prints a markdown table. Model loading (and
the one-time extraction) is timed separately. Run:

    .venv/bin/python benchmarks/text_encoder.py --threads 1 2 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import torch

from hybrid_rec.data import load_dataset
from hybrid_rec.text import HashingEncoder, MiniLMEncoder, minilm_available


def best_rate(encode: Callable[[], np.ndarray], n: int, repeats: int) -> float:
    """Texts per second of the fastest of `repeats` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        encode()
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch threads to compare (MiniLM)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--describe", action="store_true", help="encode 'Title (Year); Genres' instead of titles")
    args = parser.parse_args()

    ds = load_dataset("movielens-100k")
    assert ds.catalog is not None
    ids = list(ds.catalog.items.index)
    texts = [ds.catalog.describe(i) for i in ids] if args.describe else [str(t) for t in ds.catalog.items["title"]]
    print(
        f"{len(texts)} ML-100K {'descriptions' if args.describe else 'titles'} "
        f"(mean {np.mean([len(t) for t in texts]):.0f} characters); {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, torch {torch.__version__}, batch {args.batch_size}, best of {args.repeats}\n"
    )
    rows: list[tuple[str, int | str, float, str]] = []
    hashing = HashingEncoder()
    rows.append(("hashing (1024 dims)", "-", best_rate(lambda: hashing.encode(texts), len(texts), args.repeats), "-"))
    if minilm_available():
        start = time.perf_counter()
        encoder = MiniLMEncoder(batch_size=args.batch_size)
        load = time.perf_counter() - start
        for n in args.threads:
            encoder.threads = n
            encoder.encode(texts[: args.batch_size])  # warm-up
            rate = best_rate(lambda: encoder.encode(texts), len(texts), args.repeats)
            rows.append(("MiniLM-L6-v2 (384 dims)", n, rate, f"{load:.1f}"))
    else:
        print("(MiniLM skipped: the 'text' extra is not installed)\n")
    print("| encoder | torch threads | texts/s | load s |")
    print("|---|---|---|---|")
    for name, threads, rate, load_s in rows:
        print(f"| {name} | {threads} | {rate:,.0f} | {load_s} |")


if __name__ == "__main__":
    main()
