"""Batch scoring throughput, local process pool vs Ray, and a check that all outputs are identical.

.venv/bin/python benchmarks/batch_scoring.py --model models/ml100k --k 100 --chunk-users 128
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from hybrid_rec.batch import BatchConfig, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--chunk-users", type=int, default=128)
    args = parser.parse_args()
    runs = [("local", 1), ("local", 2), ("ray", 2), ("local", 1)]  # local/1 twice: the first also warms caches
    frames = {}
    print("| backend | workers | users | rows | seconds (incl. start-up) | users/s |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for backend, workers in runs:
            out = Path(tmp) / f"{backend}-{workers}.parquet"
            cfg = BatchConfig(k=args.k, chunk_users=args.chunk_users, backend=backend, workers=workers)
            start = time.perf_counter()
            res = score(args.model, "all", out, cfg, progress=False)
            seconds = time.perf_counter() - start
            frames[(backend, workers, len(frames))] = pd.read_parquet(out)
            shutil.rmtree(out.with_name(out.name + ".parts"))
            print(
                f"| {backend} | {workers} | {res.users} | {res.rows} | {seconds:.1f} | {res.users / seconds:.0f} |",
                flush=True,
            )
    first = next(iter(frames.values()))
    same = all(f.equals(first) for f in frames.values())
    print(f"\nall outputs identical: {same}")


if __name__ == "__main__":
    main()
