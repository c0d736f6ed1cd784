"""Peak memory of reading an events file at once vs in chunks (`Interactions.from_file(chunk_rows=)`).

Writes a CSV and a Parquet file of `--rows` synthetic events (text user and item ids, as exported
from a warehouse), then reads each in a fresh subprocess (so peak RSS is that read's own) whole
and in chunks, and checks the results are identical. Run:

    .venv/bin/python benchmarks/load_chunks.py --rows 10000000 --chunk-rows 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def read(path: str, chunk_rows: int | None) -> dict:
    import hashlib

    from hybrid_rec.data import Interactions

    start = time.perf_counter()
    inter = Interactions.from_file(path, chunk_rows=chunk_rows)
    seconds = time.perf_counter() - start
    digest = hashlib.sha256()
    for arr in (inter.user, inter.item, inter.timestamp, inter.weight):
        digest.update(arr.tobytes())
    return {
        "rows": len(inter),
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "digest": digest.hexdigest()[:16],
    }


def write(rows: int, directory: Path) -> tuple[Path, Path]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    users = rows // 50
    df = pd.DataFrame(
        {
            "user_id": pd.Series(rng.integers(0, users, rows)).map("u{}".format),
            "item_id": pd.Series(rng.integers(0, 100_000, rows)).map("i{}".format),
            "timestamp": np.arange(rows, dtype=np.int64),
        }
    )
    csv, parquet = directory / "events.csv", directory / "events.parquet"
    df.to_csv(csv, index=False)
    df.to_parquet(parquet, index=False)
    return csv, parquet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, chunk = args.child
        print(json.dumps(read(path, None if chunk == "none" else int(chunk))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = write(args.rows, Path(tmp))
        print(f"{args.rows:,} rows; chunks of {args.chunk_rows:,}\n")
        print("| file | read | rows | seconds | peak RSS (MiB) | digest |")
        print("|---|---|---|---|---|---|")
        digests = set()
        for path in files:
            for chunk in ("none", str(args.chunk_rows)):
                out = subprocess.run([sys.executable, __file__, "--child", str(path), chunk], check=True,
                                     capture_output=True, text=True).stdout  # fmt: skip
                res = json.loads(out.strip().splitlines()[-1])
                digests.add(res["digest"])
                how = "whole file" if chunk == "none" else f"chunks of {int(chunk):,}"
                print(f"| {path.suffix[1:]} | {how} | {res['rows']:,} | {res['seconds']} | {res['peak_rss_mib']:,} "
                      f"| {res['digest']} |", flush=True)  # fmt: skip
        print(f"\nall reads identical: {len(digests) == 1}")


if __name__ == "__main__":
    main()
