"""Paired comparison of methods from two `compare` runs on the same split (the same test users and
held-out items): per-user NDCG@k from each run's ``recs/<method>.parquet`` against ``test.parquet``,
then the paired bootstrap over users of the project's metric code. For methods too slow to rerun
together (a peer in its own environment beside the hybrid).

    .venv/bin/python benchmarks/paired_runs.py runs/ml100k-peers-all:hybrid runs/ml100k-peers-rectools:sasrec
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from hybrid_rec.errors import DataError
from hybrid_rec.metrics import paired_bootstrap


def per_user_ndcg(run: Path, method: str, k: int) -> pd.Series:
    """NDCG@k per test user (one held-out item each) of `method`'s written list in `run`."""
    test = pd.read_parquet(run / "test.parquet")
    recs = pd.read_parquet(run / "recs" / f"{method}.parquet")
    recs = recs[recs["rank"] <= k].merge(test[["user_id", "item_id"]], on=["user_id", "item_id"])
    gain = pd.Series(1.0 / np.log2(recs["rank"].to_numpy() + 1.0), index=recs["user_id"].to_numpy())
    return gain.groupby(level=0).sum().reindex(test["user_id"].unique(), fill_value=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="RUN_DIR:METHOD")
    parser.add_argument("b", help="RUN_DIR:METHOD")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--bootstrap", type=int, default=2000)
    args = parser.parse_args()
    (ra, ma), (rb, mb) = (s.rsplit(":", 1) for s in (args.a, args.b))
    ta, tb = (pd.read_parquet(Path(r) / "test.parquet") for r in (ra, rb))
    if not ta.sort_values("user_id").reset_index(drop=True).equals(tb.sort_values("user_id").reset_index(drop=True)):
        raise DataError("the two runs do not share their test rows: compare runs on the same split only")
    a, b = per_user_ndcg(Path(ra), ma, args.k), per_user_ndcg(Path(rb), mb, args.k)
    res = paired_bootstrap(a.to_numpy(), b.reindex(a.index).to_numpy(), args.bootstrap, 0)
    print(f"{ma} {a.mean():.4f} - {mb} {b.mean():.4f} = {res.estimate:+.4f} [{res.low:+.4f}, {res.high:+.4f}] "
          f"(ndcg@{args.k}, {len(a)} users)")


if __name__ == "__main__":
    main()
