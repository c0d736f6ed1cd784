"""Requests read on a generated catalog, from phrasing sets kept as data (`benchmarks/requests/*.toml`).

The successor of `product_requests.py` for new sets: a set is a TOML file of ``[[request]]`` tables
(``text``, ``form``, ``want`` / ``reject``: category names, ``clean``: a typed request's clean form,
``want_<field>`` / ``reject_<field>``: a value of another catalog field, e.g. ``want_author``), so a set is
written without touching code. For a
seeded sample of users, every request's top 10 is compared with the top 10 without a request:

- a wish (``want``): the share of the top 10 in a wanted category; *wrong sign* when the share falls
  below the share without the request by more than ``--tolerance`` (read as a rejection);
- a rejection (``reject``): the share kept out of the rejected categories; *wrong sign* when the share
  in them rises by more than ``--tolerance`` (read as a wish);
- ``neutral`` and ``absent`` (rejects what the catalog does not hold): the share of the top 10 unchanged;
- ``typed``: whether the request reads, and ranks, exactly as its clean form;
- every request: how long its first reading takes (p50 / p95: a cold cache, as a new request meets it).

Per-request rows print only with ``--rows``: a held-out set stays unread until it has judged a change.

    .venv/bin/python benchmarks/request_sets.py --catalog books --out runs/books-v1     # train (~3 min), then measure
    .venv/bin/python benchmarks/request_sets.py --catalog books --model runs/books-v1 \
        --set benchmarks/requests/heldout-1-books-test.toml --json runs/books-test.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tomllib
from _requests import sample_users

from hybrid_rec.pipeline import HybridPipeline
from hybrid_rec.text.stance.reader import expected_calibration_error

FORMS = (
    "plain", "need", "rejection", "dislike", "liking_negative", "idiom", "double_negative", "typed", "neutral",
    "absent", "field",
)  # fmt: skip


@dataclass(frozen=True)
class Request:
    """One phrasing of a set and what a right reading does."""

    text: str
    form: str
    want: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    clean: str = ""
    want_named: str = ""  # a value of another field a right reading asks for, as "field: value" ("author: Orson Pike")
    reject_named: str = ""  # ... or keeps out
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def read_set(path: Path, values: set[str], fields: frozenset[str] | set[str] = frozenset({"author"})) -> list[Request]:
    """The requests of one TOML set; exits naming the row when a form, a category or a field is unknown."""
    rows = tomllib.loads(path.read_text(encoding="utf-8")).get("request", [])
    out = []
    for n, row in enumerate(rows, 1):
        form = row.get("form", "")
        if form not in FORMS:
            raise SystemExit(f"{path}: request {n} has form {form!r}; expected one of {FORMS}")
        unknown = [v for v in (*row.get("want", ()), *row.get("reject", ())) if v not in values]
        if unknown:
            raise SystemExit(f"{path}: request {n} names {unknown}, not categories of this catalog ({sorted(values)})")
        named = {"want": "", "reject": ""}
        for key, value in row.items():
            side, _, name = key.partition("_")
            if side in named and name:
                if name not in fields:
                    raise SystemExit(f"{path}: request {n} has {key!r}, but {name!r} is not a field of this catalog ({sorted(fields)})")
                named[side] = f"{name}: {value}"
        out.append(Request(row["text"], form, tuple(row.get("want", ())), tuple(row.get("reject", ())),
                           row.get("clean", ""), named["want"], named["reject"]))  # fmt: skip
    return out


def measure(pipe: HybridPipeline, requests: list[Request], n_users: int, k: int, seed: int, tolerance: float) -> list[dict[str, Any]]:
    """One row per request: its reading, first-reading latency, and what its top k shows."""
    catalog = pipe.reranker.catalog
    if catalog is None:
        raise SystemExit("the model has no catalog: nothing to measure")
    cat_field = catalog.category_field(pipe.config.requests.intent.field)
    items = catalog.items
    users = sample_users(pipe, n_users, seed)
    seconds = {}
    pipe.read_request("a first request, read before the timed ones")  # loading the models once is not a reading
    for r in requests:  # first readings, before any list is ranked: the parser's cache is cold for each text
        for text in (r.text, r.clean):
            if text and text not in seconds:
                start = time.perf_counter()
                pipe.read_request(text)
                seconds[text] = time.perf_counter() - start

    def lists(request: str | None) -> list[list[object]]:
        return [[x.item_id for x in recs] for recs in pipe.recommend(users, k, request=request)]

    def share(shown: list[list[object]], test: Any) -> float:
        flat = [i for row in shown for i in row]
        return float(np.mean([bool(test(i)) for i in flat])) if flat else float("nan")

    def has(values: tuple[str, ...]) -> Any:
        return lambda i: bool(set(items.at[i, cat_field]) & set(values))

    def by(label: str) -> Any:  # "author: Orson Pike"
        name, _, value = label.partition(": ")
        return lambda i: name in items.columns and items.at[i, name] == value

    base = lists(None)
    rows = []
    for r in requests:
        shown = lists(r.text)
        reading = pipe.read_request(r.text)
        row: dict[str, Any] = {
            "text": r.text, "form": r.form, "want": list(r.want), "reject": list(r.reject),
            "want_named": [r.want_named] if r.want_named else [], "reject_named": [r.reject_named] if r.reject_named else [],
            "asked_for": list(reading.asked_for) if reading else [], "excluded": list(reading.excluded) if reading else [],
            "understood": bool(reading and reading.understood), "read_ms": round(1000 * seconds[r.text], 2),
            "unchanged": float(np.mean([len(set(a) & set(b)) / k for a, b in zip(shown, base, strict=True)])),
            "avoided": [v for v, _ in reading.avoided] if reading else [],
            "probabilities": [list(p) for p in reading.probabilities] if reading else [],
        }  # fmt: skip
        for key, test in (("want", has(r.want) if r.want else None), ("want_named", by(r.want_named) if r.want_named else None)):
            if test is not None:
                row[f"{key}_base"], row[f"{key}_share"] = share(base, test), share(shown, test)
                row[f"{key}_wrong_sign"] = row[f"{key}_share"] < row[f"{key}_base"] - tolerance
        for key, test in (("reject", has(r.reject) if r.reject else None), ("reject_named", by(r.reject_named) if r.reject_named else None)):
            if test is not None:
                row[f"{key}_base"], inside = share(base, test), share(shown, test)
                row[f"{key}_kept_out"] = 1.0 - inside
                row[f"{key}_wrong_sign"] = inside > row[f"{key}_base"] + tolerance
        if r.clean:
            clean = pipe.read_request(r.clean)
            row["clean_same_reading"] = (reading is not None and clean is not None
                                         and (reading.asked_for, reading.excluded, reading.understood)
                                         == (clean.asked_for, clean.excluded, clean.understood))  # fmt: skip
            row["clean_same_lists"] = lists(r.clean) == shown
        rows.append(row)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures the issue asks for, per set: shares by form, wrong signs, typed agreement, latency."""
    mean = lambda xs: round(float(np.mean(xs)), 4) if len(xs) else None  # noqa: E731
    wishes = [r for r in rows if "want_share" in r]
    rejections = [r for r in rows if "reject_kept_out" in r]
    by_form: dict[str, dict[str, Any]] = {}
    for form in FORMS:
        mine = [r for r in rows if r["form"] == form]
        if not mine:
            continue
        figures: dict[str, Any] = {"n": len(mine)}
        if w := [r for r in mine if "want_share" in r]:
            figures["wanted_share"] = mean([r["want_share"] for r in w])
            figures["wanted_share_no_request"] = mean([r["want_base"] for r in w])
        if j := [r for r in mine if "reject_kept_out" in r]:
            figures["kept_out"] = mean([r["reject_kept_out"] for r in j])
        if form in ("neutral", "absent"):
            figures["unchanged"] = mean([r["unchanged"] for r in mine])
        if form == "field":
            figures["named_share"] = mean([r["want_named_share"] for r in mine if "want_named_share" in r])
            figures["named_kept_out"] = mean([r["reject_named_kept_out"] for r in mine if "reject_named_kept_out" in r])
        by_form[form] = figures
    typed = [r for r in rows if "clean_same_reading" in r]
    # calibration of the learned reader: every (request, value) it read, labelled by the set
    probs, labels = [], []
    for r in rows:
        for value, wanted, rejected in r["probabilities"]:
            probs.append([wanted, rejected, max(0.0, 1.0 - wanted - rejected)])
            wanted_ = [*r["want"], *r.get("want_named", [])]
            rejected_ = [*r["reject"], *r.get("reject_named", [])]
            labels.append(0 if value in wanted_ else 1 if value in rejected_ else 2)
    ms = [r["read_ms"] for r in rows]
    return {
        "requests": len(rows),
        "by_form": by_form,
        "wishes_wrong_sign": f"{sum(r['want_wrong_sign'] for r in wishes)}/{len(wishes)}",
        "rejections_wrong_sign": f"{sum(r['reject_wrong_sign'] for r in rejections)}/{len(rejections)}",
        "wanted_share_all_wishes": mean([r["want_share"] for r in wishes]),
        "kept_out_all_rejections": mean([r["reject_kept_out"] for r in rejections]),
        "typed_same_reading": mean([r["clean_same_reading"] for r in typed]),
        "typed_same_lists": mean([r["clean_same_lists"] for r in typed]),
        "not_understood": mean([not r["understood"] for r in rows]),
        "read_ms_p50": round(float(np.percentile(ms, 50)), 2),
        "read_ms_p95": round(float(np.percentile(ms, 95)), 2),
        "calibration": calibration(np.asarray(probs), np.asarray(labels)) if probs else None,
    }


def calibration(probs: np.ndarray, labels: np.ndarray, bins: int = 5) -> dict[str, Any]:
    """Top-label reliability of the reader's probabilities: per confidence bin, how many readings, their mean
    confidence and how often the top label was right; and the expected calibration error (the library's)."""
    confidence, right = probs.max(1), probs.argmax(1) == labels
    table = []
    for lo, hi in itertools.pairwise(np.linspace(0, 1, bins + 1)):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(inside.sum()),
                          "confidence": round(float(confidence[inside].mean()), 3),
                          "accuracy": round(float(right[inside].mean()), 3)})  # fmt: skip
    ece = expected_calibration_error(probs, labels, bins)
    return {"readings": len(labels), "ece": round(ece, 4), "accuracy": round(float(right.mean()), 4), "reliability": table}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--catalog", choices=("shop", "music", "books", "trips"), required=True, help="the generated catalog")
    parser.add_argument("--model", help="a saved model of that catalog (skips training)")
    parser.add_argument("--out", help="train on the catalog and save the model here")
    parser.add_argument("--set", action="append", default=[], help="a TOML set (repeatable); none: only train")
    parser.add_argument("--users", type=int, default=200, help="users whose top k is measured")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, the model and the user sample")
    parser.add_argument("--tolerance", type=float, default=0.01, help="a share moving less than this is no sign")
    parser.add_argument("--rows", action="store_true", help="print every request's row (reads the set)")
    parser.add_argument("--json", help="write the summaries and rows here")
    args = parser.parse_args()
    if bool(args.model) == bool(args.out):
        raise SystemExit("give --model (a saved model) or --out (train one), not both")
    if args.out:
        from product_requests import train  # the same training as the older sets' models

        pipe, info = train(argparse.Namespace(data_users=1500, field="category", seed=args.seed, catalog=args.catalog,
                                              epochs=60, out=args.out))  # fmt: skip
        print(json.dumps(info))
    else:
        pipe = HybridPipeline.load(args.model)
    catalog = pipe.reranker.catalog
    if catalog is None:
        raise SystemExit("the model has no catalog: nothing to measure")
    cat_field = catalog.category_field(pipe.config.requests.intent.field)
    values = {str(v) for vs in catalog.items[cat_field] for v in vs}
    fields = {str(c) for c in catalog.items.columns} - {cat_field, "title", "description"}
    report = {}
    for path in args.set:
        rows = measure(pipe, read_set(Path(path), values, fields), args.users, args.k, args.seed, args.tolerance)
        summary = summarise(rows)
        report[path] = {"summary": summary, "rows": rows}
        print(f"## {path}\n{json.dumps(summary, indent=1)}")
        if args.rows:
            for r in rows:
                print(json.dumps(r, default=float))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
