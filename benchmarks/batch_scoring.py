"""Batch scoring throughput, local process pool vs Ray, and a check that all outputs are identical.

.venv/bin/python benchmarks/batch_scoring.py --model models/ml100k --k 100 --chunk-users 128
.venv/bin/python benchmarks/batch_scoring.py --model models/scale-100k --runs local:2 ray:1 ray:2 --chunk-users 1024

Peak RSS: this process (the local backend with 1 worker scores in-process) and the largest child
process (pool workers); Ray actors are not children of this process and are not covered.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from hybrid_rec.batch import BatchConfig, score


def peak(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--chunk-users", type=int, default=128)
    parser.add_argument("--users", type=int, default=None, help="score the model's first N users (default: all)")
    parser.add_argument("--runs", nargs="+", default=["local:1", "local:2", "ray:2", "local:1"],
                        help="backend:workers, in order (local:1 twice by default: the first also warms caches)")  # fmt: skip
    args = parser.parse_args()
    runs = [(r.split(":")[0], int(r.split(":")[1])) for r in args.runs]
    frames = {}
    print("| backend | workers | users | rows | seconds (incl. start-up) | users/s | peak RSS self / child (MiB) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        users = "all"
        if args.users is not None:
            from hybrid_rec.batch import read_users
            from hybrid_rec.store import resolve_model

            users = str(Path(tmp) / "users.parquet")
            ids = read_users("all", resolve_model(Path(args.model))[0])[: args.users]
            pd.DataFrame({"user_id": ids}).to_parquet(users, index=False)
        for backend, workers in runs:
            out = Path(tmp) / f"{backend}-{workers}.parquet"
            cfg = BatchConfig(k=args.k, chunk_users=args.chunk_users, backend=backend, workers=workers)
            start = time.perf_counter()
            res = score(args.model, users, out, cfg, progress=False)
            seconds = time.perf_counter() - start
            frames[(backend, workers, len(frames))] = pd.read_parquet(out)
            shutil.rmtree(out.with_name(out.name + ".parts"))
            print(
                f"| {backend} | {workers} | {res.users} | {res.rows} | {seconds:.1f} | {res.users / seconds:.0f} "
                f"| {peak(resource.RUSAGE_SELF):.0f} / {peak(resource.RUSAGE_CHILDREN):.0f} |",
                flush=True,
            )
    first = next(iter(frames.values()))
    same = all(f.equals(first) for f in frames.values())
    print(f"\nall outputs identical: {same}")


if __name__ == "__main__":
    main()
