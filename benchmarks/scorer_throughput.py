"""Prefix-cached vs naive per-candidate log-likelihood scoring (same model, same inputs).

Each user has a ~200-token instruction and N candidate continuations ``<item> Title (Year); Genres``.
Naive: one forward pass over prompt + continuation per candidate. Cached: the prompt once, its KV
cache shared by batches of continuations. Item mode: one next-token distribution per prompt. Run:

    .venv/bin/python benchmarks/scorer_throughput.py --users 8 --candidates 100 --threads 1
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from hybrid_rec.data import make_synthetic
from hybrid_rec.rerank.model import LMConfig, build_model
from hybrid_rec.rerank.scorer import LMScorer
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.verbalize import Verbalizer, VerbalizerConfig
from hybrid_rec.verbalize.verbalizer import encode_instruction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    data = make_synthetic(n_users=200, n_items=2000, interactions_per_user=60, seed=0)
    verbalizer = Verbalizer(
        data.interactions.items, data.catalog, VerbalizerConfig(history_format="titles", continuation="item_title")
    )
    texts = [verbalizer.item_text(i) for i in range(2000)]
    tok = RecTokenizer.train_bpe(texts, n_items=2000, vocab_size=2000)
    cfg = LMConfig(device=args.device, dtype=args.dtype, threads=args.threads)  # the default size
    model = build_model(cfg, tok)
    scorer = LMScorer(model, tok, batch_size=64, device=torch.device(args.device), dtype=getattr(torch, args.dtype))
    rng = np.random.default_rng(0)
    prompts, conts = [], []
    for _u in range(args.users):
        history = rng.choice(2000, 40, replace=False)
        cands = rng.choice(2000, args.candidates, replace=False)
        c = [tok.encode(verbalizer.continuation(int(i))) for i in cands]
        budget = model.config.n_positions - max(len(x) for x in c)
        prompts.append(encode_instruction(verbalizer.instruction(history), tok, min(budget, 200)))
        conts.append(c)
    n = args.users * args.candidates
    print(
        f"default LM ({model.config.n_layer} layers, {model.config.n_embd} dims, {model.config.n_positions} positions), "
        f"{args.device}/{args.dtype}, {args.threads} thread(s); {args.users} users x {args.candidates} candidates; "
        f"prompt {np.mean([len(p) for p in prompts]):.0f} tokens, continuation "
        f"{np.mean([len(x) for c in conts for x in c]):.1f} tokens\n"
    )

    scorer.score(prompts[0], conts[0][:4])  # warm-up
    start = time.perf_counter()
    cached = [scorer.score(p, c, "sum") for p, c in zip(prompts, conts, strict=True)]
    t_cached = time.perf_counter() - start
    start = time.perf_counter()
    naive = [[scorer.score_naive(p, x, "sum") for x in c] for p, c in zip(prompts, conts, strict=True)]
    t_naive = time.perf_counter() - start
    start = time.perf_counter()
    scorer.item_logprobs(prompts)
    t_item = time.perf_counter() - start
    diff = max(float(np.abs(np.asarray(a) - np.asarray(b)).max()) for a, b in zip(cached, naive, strict=True))
    print("| scoring | candidates/s | speed-up vs naive |")
    print("|---|---|---|")
    print(f"| naive (one pass per candidate) | {n / t_naive:,.0f} | 1.0x |")
    print(f"| prefix-cached, sum over continuation | {n / t_cached:,.0f} | {t_naive / t_cached:.1f}x |")
    print(
        f"| item-token mode (whole catalog of 2,000 per pass) | {args.users * 2000 / t_item:,.0f} | "
        f"{(args.users * 2000 / t_item) / (n / t_naive):.0f}x |"
    )
    print(f"\nmax |cached - naive| = {diff:.2e}")


if __name__ == "__main__":
    main()
