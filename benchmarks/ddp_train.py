"""Data-parallel (DDP) LM training: optimizer steps/s with 1 and N processes over gloo on the CPU.

Every process builds the same synthetic windows and the same small GPT-2 (seeded) and trains it
with `Trainer` inside a process group: `batch_size` is the global batch, each rank computes its
share of each batch and DDP averages the gradients (`hybrid_rec.rerank.distributed`). The same
script shows both ways to launch:

    .venv/bin/python benchmarks/ddp_train.py --nproc 1 2     # spawns 1, then 2 local processes itself
    .venv/bin/torchrun --nproc_per_node 2 benchmarks/ddp_train.py   # one run under torchrun

Each process uses `--threads` torch threads (1 by default), so N processes need N cores.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
import torch.distributed as dist

from hybrid_rec.data import make_synthetic
from hybrid_rec.rerank import distributed
from hybrid_rec.rerank.examples import build_examples
from hybrid_rec.rerank.model import LMConfig, build_model
from hybrid_rec.rerank.reranker import sequences_of
from hybrid_rec.rerank.tokenizer import RecTokenizer
from hybrid_rec.rerank.trainer import Trainer, TrainerConfig
from hybrid_rec.verbalize.verbalizer import BUILTIN_TEMPLATES, Verbalizer


def train(args: argparse.Namespace) -> dict[str, float]:
    """One process's run (the same on every rank); its steps, seconds and last loss."""
    data = make_synthetic(n_users=args.users, n_items=args.items, interactions_per_user=args.per_user, seed=0)
    verbalizer = Verbalizer(data.interactions.items, data.catalog)
    texts = [verbalizer.item_text(i) for i in range(args.items)] + [t.prompt for t in BUILTIN_TEMPLATES.values()]
    tokenizer = RecTokenizer.train_bpe(texts, args.items, 500)
    lm = LMConfig(n_layer=2, n_embd=args.width, n_head=2, n_positions=128, dropout=0.0, threads=args.threads)
    model = build_model(lm, tokenizer)
    examples = build_examples(
        sequences_of(data.interactions), verbalizer, tokenizer, lm.n_positions, np.random.default_rng(0)
    )
    cfg = TrainerConfig(
        epochs=1, batch_size=args.batch_size, windows_per_epoch=args.windows, warmup_steps=0, hard_negative_weight=0.0
    )
    t0 = time.perf_counter()
    res = Trainer(model, tokenizer, cfg).train(examples, None)
    return {"steps": len(res.step_losses), "seconds": time.perf_counter() - t0, "loss": res.step_losses[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2], help="process counts to compare")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--per-user", type=int, default=30)
    parser.add_argument("--width", type=int, default=64, help="the GPT-2's n_embd")
    parser.add_argument("--batch-size", type=int, default=32, help="the global batch")
    parser.add_argument("--windows", type=int, default=256, help="windows trained (windows_per_epoch)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    args = parser.parse_args()

    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # launched by torchrun: one run
        torch.set_num_threads(args.threads)
        dist.init_process_group("gloo")
        try:
            res = train(args)
            if distributed.rank() == 0:
                print(f"{distributed.world_size()} processes: {res['steps'] / res['seconds']:.2f} steps/s")
        finally:
            dist.destroy_process_group()
        return

    print("| processes | steps | seconds | steps/s | windows/s | last loss |")
    print("|---|---|---|---|---|---|")
    for n in args.nproc:
        res = distributed.spawn_training(train, n, args, threads=args.threads, timeout=600)[0]
        rate = res["steps"] / res["seconds"]
        print(
            f"| {n} | {res['steps']:.0f} | {res['seconds']:.1f} | {rate:.2f} | {rate * args.batch_size:.0f} "
            f"| {res['loss']:.4f} |"
        )


if __name__ == "__main__":
    main()
