"""report.html: self-contained, the same tables as report.md, and a per-user view whose marked hits
agree with the recs files; text escaped; no raw Python dicts in either report."""

from __future__ import annotations

import base64
import copy
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from hybrid_rec.data.config import build_dataset
from hybrid_rec.evaluate.compare import CompareConfig, build_split, run_compare
from hybrid_rec.evaluate.report import markdown_report, write_reports
from hybrid_rec.evaluate.report_html import html_report
from tests.evaluate.test_compare import SMALL
from tests.factory import derive

CONFIG = {**derive(SMALL, {"evaluation": {"bootstrap": 50, "sample_users": 12}}),
          "methods": {"popularity": {}, "als": {"factors": 8, "iterations": 5}}}  # fmt: skip


class Page(HTMLParser):
    """The parts of report.html the tests read: every table's rows of cell texts, and per sampled user
    its held-out text, history and each list cell (method, rank, text, marked as a hit or not)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.users: dict[str, dict] = {}
        self._cell: list[str] | None = None
        self._attrs: dict[str, str | None] = {}
        self._user: dict | None = None
        self._span: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and "data-user" in a:
            self._user = self.users.setdefault(str(a["data-user"]), {"cells": [], "history": [], "held_out": ""})
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th", "li"):
            self._cell, self._attrs = [], a
        elif tag == "span" and a.get("class") == "held-out":
            self._span = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._user = None
        elif tag == "span" and self._span is not None:
            if self._user is not None:
                self._user["held_out"] = "".join(self._span)
            self._span = None
        elif tag in ("td", "th", "li") and self._cell is not None:
            text = "".join(self._cell)
            if tag == "li" and self._user is not None:
                self._user["history"].append(text)
            elif tag != "li":
                self.tables[-1][-1].append(text)
                if self._user is not None and "data-method" in self._attrs:
                    hit = "hit" in (self._attrs.get("class") or "").split()
                    self._user["cells"].append((self._attrs["data-method"], int(self._attrs["data-rank"] or 0),
                                                text, hit))  # fmt: skip
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._span is not None:
            self._span.append(data)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report_html")
    report = run_compare(CompareConfig.from_dict(CONFIG), out, progress=False)
    return report, out, (out / "report.html").read_text(encoding="utf-8")


def test_the_page_is_self_contained_and_embeds_the_bar_chart(run):
    _, out, page = run
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", page), "nothing may be fetched: no scripts, styles, fonts or images by URL"
    assert "<script" not in page and "<link" not in page and "@import" not in page
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert images and base64.b64decode(images[0]) == (out / "report.png").read_bytes()


def test_one_row_per_method_with_its_test_ndcg_as_in_report_md(run):
    report, out, page = run
    md = (out / "report.md").read_text()
    methods = next(t for t in Page(page).tables if t[0][:3] == ["method", "valid NDCG@10", "test NDCG@10 (95% CI)"])
    assert [row[0] for row in methods[1:]] == list(report["methods"])
    for row in methods[1:]:
        m = report["methods"][row[0]]
        ci = m["test_ci95"]["ndcg@10"]
        shown = f"{m['test']['ndcg@10']:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]"
        assert row[2] == shown and f"| {row[0]} | {m['valid']['ndcg@10']:.4f} | {shown} |" in md


def test_the_sampled_users_show_history_held_out_item_and_the_hits_of_the_recs_files(run):
    """A cell is marked iff the recs file has the user's held-out item at that rank (within the top 10);
    the history is the user's last 10 train + validation items, oldest first, as catalog text."""
    report, out, page = run
    cfg = CompareConfig.from_dict(CONFIG)
    dataset = build_dataset(cfg.dataset)
    split = build_split(cfg.split, dataset.interactions)
    catalog = dataset.catalog
    assert catalog is not None
    test = pd.read_parquet(out / "test.parquet")
    held = {str(u): set(g["item_id"]) for u, g in test.groupby("user_id")}
    past = split.train_valid.to_dataframe().sort_values("timestamp", kind="stable")
    users = Page(page).users
    assert len(users) == 12 == len(report["user_sample"]["users"]) and set(users) <= set(held)
    marked = 0
    for name in report["methods"]:
        recs = pd.read_parquet(out / "recs" / f"{name}.parquet")
        recs = recs[recs["rank"] <= 10]
        for user, shown in users.items():
            top = recs[recs["user_id"].astype(str) == user].sort_values("rank")
            cells = sorted((rank, text, hit) for method, rank, text, hit in shown["cells"] if method == name)
            assert all(text.startswith("✓ ") == hit for _, text, hit in cells)
            assert [(rank, text.removeprefix("✓ ")) for rank, text, _ in cells] == [
                (r, catalog.describe(i)) for r, i in zip(top["rank"], top["item_id"], strict=True)
            ]
            assert [hit for *_, hit in cells] == [i in held[user] for i in top["item_id"]], (name, user)
            marked += sum(hit for *_, hit in cells)
    assert 0 < marked < 10 * len(users) * len(report["methods"])  # some hits, not all: the check has teeth
    for user, shown in users.items():
        assert shown["held_out"] == "; ".join(catalog.describe(i) for i in held[user])
        mine = past[past["user_id"].astype(str) == user]["item_id"].tolist()[-10:]
        assert shown["history"] == [catalog.describe(i) for i in mine]


def test_report_json_holds_the_same_small_sample(run):
    import json

    report, out, _ = run
    sample = json.loads((out / "report.json").read_text())["user_sample"]
    assert sample == report["user_sample"] and sample["k"] == 10
    assert {i for u in sample["users"] for i in u["held_out"]} <= set(sample["items"])


def test_notes_and_no_raw_dicts_in_report_md(run):
    _, out, page = run
    md = (out / "report.md").read_text()
    assert "{'" not in md and "{&#x27;" not in page and "{'" not in page
    for text in (md, page):
        assert "Why test can be above validation" in text
        assert "mean, over all pairs of listed items, of their cosine distance" in text
        assert "test users per bucket: head" in text
    assert "- als: factors = 8," in md and "(grid of 1)" in md


def _report() -> dict:
    """A report dict by hand: one method with a nested configuration and fusion weights, and hostile text."""
    entry = {
        "valid": {"ndcg@10": 0.2},
        "test": {"ndcg@10": 0.25, "hr@10": 0.5, "mrr@10": 0.1, "recall@10": 0.5, "coverage@10": 0.3,
                 "diversity@10": 0.7},
        "test_ci95": {"ndcg@10": [0.2, 0.3], "hr@10": [0.4, 0.6]},
        "fit_seconds": 1.0, "recommend_seconds": 0.5, "grid_size": 1,
        "params": {"lm": {"epochs": 3}, "note": "<i>x</i>"},
        "learned": {"fusion_weights": {"lm": 0.5, "popularity": 0.0}, "lm_best_epoch": 2},
        "ndcg@10_by_popularity": {"head": 0.3, "torso": None, "tail": 0.1},
    }  # fmt: skip
    return {
        "dataset": {"name": "shop <b>", "users": 3, "items": 4, "interactions": 9},
        "protocol": {"split": "leave_last_out", "k": 10, "cutoffs": [10], "tune_metric": "ndcg@10", "test_users": 3,
                     "test_items_by_popularity": {"head": 1, "torso": 1, "tail": 1}},
        "methods": {"hy<brid>": entry},
        "comparisons": {},
    }  # fmt: skip


def test_text_is_escaped_and_nested_values_are_readable():
    report = _report()
    report["user_sample"] = {
        "k": 10, "seed": 0, "history": 10,
        "items": {"1": "<script>alert(1)</script>", "2": "Tom & Jerry (1940); Animation"},
        "users": [{"user": "u<1>", "history": ["2"], "held_out": ["1"], "lists": {"hy<brid>": ["2", "1"]},
                   "hits": {"hy<brid>": [2]}}],
    }  # fmt: skip
    page = html_report(report)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page.replace("<b>Held out:</b>", "") and "shop &lt;b&gt;" in page
    assert "Tom &amp; Jerry" in page and "hy&lt;brid&gt;" in page and "<i>x" not in page
    user = Page(page).users["u<1>"]
    assert [(rank, hit) for _, rank, _, hit in user["cells"]] == [(1, False), (2, True)]
    md = markdown_report(report)
    for text in (md, page):
        assert "nested configuration, see report.json" in text
        assert "learned fusion_weights: lm = 0.5, popularity = 0.0" in text and "learned: lm_best_epoch = 2" in text
        assert "A weight of 0 means the feature does not move the fused score" in text
    assert "{'" not in md and "report.html shows the same tables" in md


def test_write_reports_without_optional_parts(tmp_path):
    """No sample, rounds, search or tasks: report.html still comes, with just the tables."""
    report = copy.deepcopy(_report())
    report["methods"]["hy<brid>"]["learned"] = {}
    write_reports(report, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Sample users" not in page and "data:image/png;base64," in page and "Multi-round" not in page
    assert "Fusion weights" not in page and "report.html shows" not in (tmp_path / "report.md").read_text()
