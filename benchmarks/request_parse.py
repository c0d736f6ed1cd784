"""How the request reader reads the phrasing sets, without a model: per labelled value, read right, with the
wrong sign, or missed (fast: seconds per catalog; `request_sets.py` measures the lists a user sees).

For every request of the sets named, each value it wants is counted ``w_right`` (asked for), ``w_WRONG``
(excluded or lowered) or ``w_miss``; each value it rejects ``r_excl`` (excluded), ``r_avoid`` (lowered),
``r_WRONG`` (asked for) or ``r_miss``; a request naming neither ``n_still`` / ``n_moved``; ``stray``: requests
that moved a value they do not name. Per catalog and per form, and how long each request's first reading took
(p50 / p95 ms, one request after another in this process). ``--rows`` prints the requests not read right
(only for sets that are already development data: a held-out set stays unread until it has judged a change).

    .venv/bin/python benchmarks/request_parse.py --sets 1-dev,1-test,2-test,3-test,4-test,5-test
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import numpy as np
import tomllib

from hybrid_rec.data.synthetic.products import make_products
from hybrid_rec.text.intent import IntentConfig, IntentParser
from hybrid_rec.text.minilm import MiniLMEncoder

SETS = Path(__file__).parent / "requests"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="1-dev,1-test,2-test,3-test,4-test", help="N-part names, comma-separated")
    ap.add_argument("--catalogs", default="shop,music,books", help="generated catalogs (shop, music, books, trips)")
    ap.add_argument("--rows", action="store_true", help="print the requests not read right")
    args = ap.parse_args()
    encoder = MiniLMEncoder()
    total: collections.Counter[str] = collections.Counter()
    for kind in args.catalogs.split(","):
        parser = IntentParser((make_products() if kind == "shop" else make_products(kind=kind)).catalog, encoder,
                              IntentConfig())  # fmt: skip
        counts: collections.Counter[str] = collections.Counter()
        by_form: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        parser.parse("a first request, read before the timed ones")  # the model's one-off loading is not a reading
        seconds: list[float] = []
        for name in args.sets.split(","):
            n, part = name.split("-")
            for r in tomllib.loads((SETS / f"heldout-{n}-{kind}-{part}.toml").read_text())["request"]:
                start = time.perf_counter()
                intent = parser.parse(r["text"])
                seconds.append(time.perf_counter() - start)
                include, exclude, avoid = set(intent.include), set(intent.exclude), {v for v, _ in intent.avoid}
                want, reject = set(r.get("want", [])), set(r.get("reject", []))
                for key, value in r.items():  # another field's value ("want_author": "Orson Pike")
                    side, _, name = key.partition("_")
                    if name and side in ("want", "reject"):
                        (want if side == "want" else reject).add(f"{name}: {value}")
                read = [("w_right" if v in include else "w_WRONG" if v in exclude | avoid else "w_miss") for v in want]
                read += [("r_excl" if v in exclude else "r_avoid" if v in avoid else "r_WRONG" if v in include
                          else "r_miss") for v in reject]  # fmt: skip
                if not want and not reject:
                    read.append("n_moved" if include or exclude or avoid else "n_still")
                stray = (include - want) | ((exclude | avoid) - reject)
                read += ["stray"] if stray else []
                counts.update(read)
                by_form[r["form"]].update(read)
                if args.rows and (stray or any(k in ("w_WRONG", "r_WRONG", "n_moved", "w_miss", "r_miss") for k in read)):
                    print(f"  {kind} {r['form']:16s} {read} | {r['text'][:80]} | +{sorted(include)} -{sorted(exclude)} "
                          f"~{sorted(avoid)}")  # fmt: skip
        p50, p95 = np.percentile(1000 * np.array(seconds), [50, 95])
        print(kind, dict(sorted(counts.items())), f"reading ms p50 {p50:.1f} p95 {p95:.1f}")
        for form in sorted(by_form):
            print("   ", form, dict(sorted(by_form[form].items())))
        total += counts
    print("all", dict(sorted(total.items())))


if __name__ == "__main__":
    main()
