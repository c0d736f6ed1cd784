"""Memory held by the LM's training windows: what `build_examples` allocates and keeps alive.

Synthetic data from `make_synthetic` (as in `scale.py`), the default reranker's verbalizer and a BPE
tokenizer, windows built for every user's train + validation history. `tracemalloc` traces the
build (numpy reports its buffers to it too); what is still allocated afterwards, after a garbage
collection, is what the window list keeps alive (tracing slows the build: its time is not the
build's cost). Run:

    .venv/bin/python benchmarks/window_memory.py --interactions 1000000 --items 10000
"""

from __future__ import annotations

import argparse
import gc
import json
import tracemalloc


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()

    import numpy as np

    from hybrid_rec.data.splits import leave_last_out
    from hybrid_rec.data.synthetic import make_synthetic
    from hybrid_rec.rerank.examples import build_examples
    from hybrid_rec.rerank.reranker import RerankerConfig, sequences_of
    from hybrid_rec.rerank.tokenizer import RecTokenizer
    from hybrid_rec.verbalize.verbalizer import Verbalizer

    ds = make_synthetic(n_users=max(args.interactions // 50, 10), n_items=args.items, n_clusters=20,
                        interactions_per_user=50, seed=0)  # fmt: skip
    train = leave_last_out(ds.interactions).train_valid
    cfg = RerankerConfig()
    verbalizer = Verbalizer(train.items, ds.catalog, cfg.verbalizer)
    texts = [verbalizer.item_text(i) for i in range(min(len(train.items), 5000))]
    tokenizer = RecTokenizer.train_bpe(texts, len(train.items), cfg.bpe_vocab_size)
    sequences = sequences_of(train)
    gc.collect()
    tracemalloc.start()
    examples = build_examples(sequences, verbalizer, tokenizer, cfg.lm.n_positions, np.random.default_rng(0))
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    targets = sum(len(e.item_targets) for e in examples)
    tokens = sum(len(e.ids) for e in examples)
    print(json.dumps({
        "interactions": len(train), "items": len(train.items), "windows": len(examples), "tokens": tokens,
        "targets": targets, "windows_mib": round(held / 2**20, 1),
        "bytes_per_window": round(held / max(len(examples), 1)),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
