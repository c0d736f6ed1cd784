"""GPU check: score candidates on CUDA in bf16 and fp32; print throughput and agreement.

Run on a machine with a GPU (see benchmarks/gpu_check.sh). Uses the default LM size with random
weights (agreement between precisions does not need training) and the prefix-cached scorer.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from hybrid_rec.rerank.model import LMConfig, build_model
from hybrid_rec.rerank.scorer import LMScorer
from hybrid_rec.rerank.tokenizer import RecTokenizer


def run(scorer: LMScorer, prompts, conts, item_prompts) -> tuple[list[np.ndarray], np.ndarray, float, float]:
    scorer.score(prompts[0], conts[0][:8])
    if scorer.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    cont_scores = [scorer.score(p, c, "sum") for p, c in zip(prompts, conts, strict=True)]
    if scorer.device.type == "cuda":
        torch.cuda.synchronize()
    t_cont = time.perf_counter() - start
    start = time.perf_counter()
    item_scores = scorer.item_logprobs(item_prompts)
    if scorer.device.type == "cuda":
        torch.cuda.synchronize()
    return cont_scores, item_scores, t_cont, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--item-users", type=int, default=2048)
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    tok = RecTokenizer.train_bpe(
        [f"movie {i} drama comedy action" for i in range(500)], n_items=args.items, vocab_size=1000
    )
    model = build_model(LMConfig(dropout=0.0), tok)
    rng = np.random.default_rng(0)
    prompts = [[tok.eos_id, *rng.integers(0, tok.vocab_size, 200).tolist()] for _ in range(args.users)]
    conts = [
        [
            [tok.item_token_id(int(i)), *rng.integers(0, 1000, 8).tolist()]
            for i in rng.choice(args.items, args.candidates)
        ]
        for _ in range(args.users)
    ]
    item_prompts = [[tok.eos_id, *rng.integers(0, tok.vocab_size, 200).tolist()] for _ in range(args.item_users)]
    results = {}
    for dtype in (torch.float32, torch.bfloat16):
        scorer = LMScorer(model, tok, batch_size=256, device=device, dtype=dtype)
        cont, items, t_cont, t_item = run(scorer, prompts, conts, item_prompts)
        results[str(dtype)] = (cont, items, t_cont, t_item)
    c32, i32, t32c, t32i = results["torch.float32"]
    c16, i16, t16c, t16i = results["torch.bfloat16"]
    a, b = np.concatenate(c32), np.concatenate(c16)
    top = lambda m: np.argsort(-m, axis=1)[:, :10]  # noqa: E731
    overlap = np.mean([len(np.intersect1d(x, y)) / 10 for x, y in zip(top(i32), top(i16), strict=True)])
    rank_corr = float(np.corrcoef(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)))[0, 1])
    n_cont = args.users * args.candidates
    out = {
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "continuation_candidates_per_s": {"fp32": n_cont / t32c, "bf16": n_cont / t16c},
        "item_mode_items_per_s": {
            "fp32": args.item_users * args.items / t32i,
            "bf16": args.item_users * args.items / t16i,
        },
        "agreement_bf16_vs_fp32": {
            "continuation_max_abs_diff": float(np.abs(a - b).max()),
            "continuation_mean_abs_diff": float(np.abs(a - b).mean()),
            "continuation_spearman": rank_corr,
            "item_mode_top10_overlap": float(overlap),
        },
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
