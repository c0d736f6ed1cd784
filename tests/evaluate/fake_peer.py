"""A stand-in for a peer's own Python (tests of the out-of-environment path without RecTools)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

# A stand-in for RecTools' Python: reads the exported rows, "recommends" each user's unseen items by
# ascending id (k of them), prints the JSON line the real runner prints.
FAKE = """#!{python}
import json, sys
import pandas as pd
args = dict(zip(sys.argv[2::2], sys.argv[3::2]))
rows, users = pd.read_csv(args["--train"]), pd.read_csv(args["--users"])["user_id"]
items = sorted(rows["item_id"].unique())
out = []
for u in users:
    seen = set(rows.loc[rows.user_id == u, "item_id"])
    mine = [i for i in items if i not in seen][: int(args["--k"])]
    out += [(u, i, r + 1, 1.0 / (r + 1)) for r, i in enumerate(mine)]
pd.DataFrame(out, columns=["user_id", "item_id", "rank", "score"]).to_csv(args["--out"], index=False)
print(json.dumps({{"library": "fake 1.0", "model": args["--model"], "params": json.loads(args["--params"])}}))
"""




def write_fake_python(path: Path) -> Path:
    """An executable at `path` that behaves as RecTools' runner does, with the ranking above."""
    path.write_text(FAKE.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path
