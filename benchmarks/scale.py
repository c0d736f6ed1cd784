"""How the pipeline's cost grows: wall time and peak RSS per stage, from 100k to 10M interactions.

Each size runs in a fresh subprocess (so peak RSS is that size's own): synthetic data from
`make_synthetic` (planted clusters and transitions, ~50 events per user), a leave-last-out split,
ALS (64 factors, 15 iterations), the first stage's indexes, candidate generation for 1,000 users
(N = 100), and the LM: building its training windows and a measured number of optimizer steps
(batch 64; the per-window cost times the window count is an epoch). Writes one JSON line per size
and a log-log plot with fitted slopes. Run:

    .venv/bin/python benchmarks/scale.py --sizes 100000:1000 1000000:10000 --out runs/scale
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_one(interactions: int, items: int, steps: int) -> dict:
    import numpy as np

    from hybrid_rec.candidates.generator import CandidateGenerator, CandidatesConfig
    from hybrid_rec.data.splits import leave_last_out
    from hybrid_rec.data.synthetic import make_synthetic
    from hybrid_rec.rerank.examples import build_examples
    from hybrid_rec.rerank.model import build_model
    from hybrid_rec.rerank.reranker import RerankerConfig, sequences_of
    from hybrid_rec.rerank.tokenizer import RecTokenizer
    from hybrid_rec.rerank.trainer import Trainer
    from hybrid_rec.verbalize.verbalizer import Verbalizer

    out: dict = {"interactions_asked": interactions, "items": items}
    stages: dict = {}

    def stage(name: str, start: float) -> None:
        stages[name] = {"seconds": round(time.perf_counter() - start, 3), "peak_rss_mib": round(peak_mib(), 1)}

    t = time.perf_counter()
    ds = make_synthetic(n_users=max(interactions // 50, 10), n_items=items, n_clusters=20, interactions_per_user=50,
                        seed=0)  # fmt: skip
    stage("generate", t)
    out["interactions"] = len(ds.interactions)
    t = time.perf_counter()
    split = leave_last_out(ds.interactions)
    stage("split", t)
    cfg = CandidatesConfig.from_dict({"als": {"factors": 64, "iterations": 15}, "n": 100})
    gen = CandidateGenerator(cfg)
    t = time.perf_counter()
    gen.als.fit(split.train_valid)
    stage("als_fit", t)
    t = time.perf_counter()
    gen.fit(split.train_valid, als=gen.als)
    stage("index_build", t)
    users = np.arange(min(1000, len(gen.users)))
    t = time.perf_counter()
    gen.generate(users, 100)
    stage("candidates_1k_users", t)
    rcfg = RerankerConfig()
    t = time.perf_counter()
    verbalizer = Verbalizer(split.train_valid.items, ds.catalog, rcfg.verbalizer)
    texts = [verbalizer.item_text(i) for i in range(min(len(split.train_valid.items), 5000))]
    tokenizer = RecTokenizer.train_bpe(texts, len(split.train_valid.items), rcfg.bpe_vocab_size)
    model = build_model(rcfg.lm, tokenizer, gen.als.item_factors)
    examples = build_examples(sequences_of(split.train_valid), verbalizer, tokenizer, model.config.n_positions,
                              np.random.default_rng(0))  # fmt: skip
    stage("lm_windows", t)
    out["lm_windows"] = len(examples)
    counts = np.bincount(split.train_valid.item, minlength=len(split.train_valid.items))
    trainer_cfg = rcfg.trainer.model_copy(update={"epochs": 1, "patience": 1})
    trainer = Trainer(model, tokenizer, trainer_cfg, item_counts=counts)
    sample = [examples[i] for i in np.random.default_rng(0).permutation(len(examples))[: steps * trainer_cfg.batch_size]]
    t = time.perf_counter()
    trainer.train(sample, None)
    stage("lm_steps", t)
    per_window = stages["lm_steps"]["seconds"] / max(len(sample), 1)
    out["lm_sampled_softmax"] = trainer.sampling is not None
    out["lm_seconds_per_1k_windows"] = round(per_window * 1000, 3)
    out["lm_epoch_seconds_from_measured_rate"] = round(per_window * len(examples), 1)
    out["stages"] = stages
    out["peak_rss_mib"] = round(peak_mib(), 1)
    return out


def plot(rows: list[dict], path: Path) -> None:
    """Log-log seconds per stage against interactions, on the sizes whose catalog grows with the data
    (items = interactions / 100; slope fitted on them); other catalog sizes as hollow markers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    def seconds(r: dict, name: str) -> float:
        return r["lm_epoch_seconds_from_measured_rate"] if name == "lm_epoch" else r["stages"][name]["seconds"]

    fig, ax = plt.subplots(figsize=(6.8, 4.4))
    main = sorted((r for r in rows if r["items"] * 100 == r["interactions_asked"]), key=lambda r: r["interactions"])
    other = [r for r in rows if r not in main]
    for n, name in enumerate(["als_fit", "index_build", "candidates_1k_users", "lm_windows", "lm_epoch"]):
        xs = np.array([r["interactions"] for r in main], float)
        ys = np.array([seconds(r, name) for r in main], float)
        label = name if name != "lm_epoch" else "LM epoch (measured rate)"
        if len(xs) >= 2:
            label += f" (slope {np.polyfit(np.log10(xs), np.log10(ys), 1)[0]:.2f})"
        ax.loglog(xs, ys, "o-", color=f"C{n}", label=label)
        if other:
            ax.loglog([r["interactions"] for r in other], [seconds(r, name) for r in other], "o", color=f"C{n}",
                      mfc="none")  # fmt: skip
    ax.set_xlabel("interactions (items = interactions / 100; hollow: other catalog sizes)")
    ax.set_ylabel("seconds")
    ax.set_title("hybrid_rec cost by data size (2-core machine)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100000:1000", "1000000:10000"],
                        help="interactions:items pairs")  # fmt: skip
    parser.add_argument("--steps", type=int, default=20, help="LM optimizer steps measured per size.")
    parser.add_argument("--out", default="runs/scale")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--replot", action="store_true", help="Only redraw <out>/scale.png from <out>/scale.json.")
    args = parser.parse_args()
    if args.replot:
        rows = [json.loads(line) for line in (Path(args.out) / "scale.json").read_text().splitlines() if line]
        plot(rows, Path(args.out) / "scale.png")
        return
    if args.one:
        n, m = (int(x) for x in args.one.split(":"))
        print(json.dumps(run_one(n, m, args.steps)))
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        done = subprocess.run([sys.executable, __file__, "--one", size, "--steps", str(args.steps)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    (out / "scale.json").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    plot(rows, out / "scale.png")


if __name__ == "__main__":
    main()
