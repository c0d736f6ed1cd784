"""What `compare`'s human-readable reports say, as blocks (headings, text, tables, lists, figures) that
`report.md` and `report.html` both render: one source for the content, so the two never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Heading:
    """A section title (``anchor``: its id in the HTML page; ``level`` 1: the page title)."""

    text: str
    anchor: str
    level: int = 2


@dataclass(frozen=True)
class Text:
    """A paragraph; `code` spans in backticks. ``note``: an aside that explains how to read a table."""

    text: str
    note: bool = False


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Bullets:
    """A list: each entry's text and its sub-entries."""

    entries: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    """A plot written beside the report (``file``), with what it shows."""

    file: str
    caption: str


Block = Heading | Text | Table | Bullets | Figure

_BUCKETS = ("head", "torso", "tail")
_NESTED = "nested configuration, see report.json"


def report_blocks(report: dict[str, Any]) -> list[Block]:
    """The whole comparison, in the order both reports show it."""
    ds = report["dataset"]
    blocks: list[Block] = [Heading(f"Comparison on {ds['name']}", "top", level=1), Text(_protocol_text(report))]
    blocks += _methods(report)
    blocks += _comparisons(report)
    blocks += _popularity(report)
    blocks += _candidates(report)
    blocks += _intention(report)
    blocks += _rerank(report)
    blocks += _rounds(report)
    blocks += _parameters(report)
    return blocks


def _protocol_text(report: dict[str, Any]) -> str:
    ds, proto = report["dataset"], report["protocol"]
    ranked = (
        "test lists rank only the items without fit interactions (cold-start protocol), "
        if proto.get("ranked_items") == "cold"
        else "full ranking over all items, fit items excluded; "
    )
    return (
        f"{ds['users']} users, {ds['items']} items, {ds['interactions']} interactions. Split: "
        f"{proto['split']} ({proto['test_users']} test users); {ranked}"
        f"tuned on validation {proto['tune_metric']}, refitted on train + validation. "
        "tune s: all fits on train (for the LM methods, the LM training); fit s: the final (re)fit; "
        "peak MiB: the most resident memory of the harness process and its children (a peer's own "
        "environment) during the final fit and the test lists; the harness's own share (the data, earlier "
        "methods' caches) is in every row, so compare rows against one another, not against zero."
    )


def _ci(value: float, ci: list[float], fmt: str = ".4f") -> str:
    return f"{value:{fmt}} [{ci[0]:{fmt}}, {ci[1]:{fmt}}]"


def _number(value: float | None, fmt: str) -> str:
    """`value` formatted, or "-" when an older report does not have it."""
    return "-" if value is None else f"{value:{fmt}}"


def _methods(report: dict[str, Any]) -> list[Block]:
    proto = report["protocol"]
    k, big = proto["k"], max(proto["cutoffs"])
    rows = []
    for name, m in report["methods"].items():
        t, ci = m["test"], m["test_ci95"]
        rows.append([
            name, f"{m['valid'][f'ndcg@{k}']:.4f}", _ci(t[f"ndcg@{k}"], ci[f"ndcg@{k}"]),
            _ci(t[f"hr@{k}"], ci[f"hr@{k}"]), f"{t[f'mrr@{k}']:.4f}", f"{t[f'recall@{big}']:.4f}",
            f"{t[f'coverage@{k}']:.3f}", _number(m.get("tune_seconds"), ".1f"), f"{m['fit_seconds']:.2f}",
            f"{m['recommend_seconds']:.2f}", _number(m.get("peak_rss_mib"), ".0f"),
        ])  # fmt: skip
    header = ["method", f"valid NDCG@{k}", f"test NDCG@{k} (95% CI)", f"test HR@{k} (95% CI)", f"MRR@{k}",
              f"Recall@{big}", f"coverage@{k}", "tune s", "fit s", "recommend s", "peak MiB"]  # fmt: skip
    blocks: list[Block] = [Heading("Methods", "methods"), Table(header, rows)]
    blocks.append(Figure("report.png", f"Test NDCG@{k} and HR@{k} per method, with bootstrap 95% CIs"))
    return [*blocks, Text(_valid_vs_test(proto), note=True)]


def _valid_vs_test(proto: dict[str, Any]) -> str:
    """Why a method's test figure can beat its validation one."""
    stages = (
        "validation scores each user's second-to-last item with the method fitted on train, test the last item "
        "after the refit on train + validation (one more interaction per user: the one just before the target)"
        if proto["split"] in ("leave_last_out", "cold_items")
        else "validation scores the validation rows with the method fitted on train, test the test rows after the "
        "refit on train + validation (more, and more recent, history)"
    )
    return (
        f"Why test can be above validation: {stages}. The two stages score different target items (and, with "
        "sampled users or a cold-item split, different users), and on a few hundred users the 95% CIs are wide: "
        "a gap between them inside the CIs is noise. No fit ever sees a test row."
    )


def _comparisons(report: dict[str, Any]) -> list[Block]:
    if not report["comparisons"]:
        return []
    rows = [[pair, c["metric"], f"{c['delta']:+.4f}", f"[{c['ci95'][0]:+.4f}, {c['ci95'][1]:+.4f}]"]
            for pair, c in report["comparisons"].items()]  # fmt: skip
    header = ["comparison", "metric", "delta", "95% CI (paired bootstrap over users)"]
    return [Heading("Paired comparisons", "comparisons"), Table(header, rows)]


def _popularity(report: dict[str, Any]) -> list[Block]:
    k = report["protocol"]["k"]
    counts = report["protocol"].get("test_items_by_popularity") or {}
    per_bucket = ", ".join(f"{b} {counts[b]}" for b in _BUCKETS if b in counts)
    rows = []
    for name, m in report["methods"].items():
        b = m.get(f"ndcg@{k}_by_popularity", {})
        cells = [f"{b[x]:.4f}" if b.get(x) is not None else "-" for x in _BUCKETS]
        rows.append([name, *cells, f"{m['test'].get(f'diversity@{k}', float('nan')):.3f}"])
    counted = f" (test users per bucket: {per_bucket})" if per_bucket else ""
    intro = f"NDCG@{k} by popularity of the test item{counted}, and intra-list diversity of the top {k}:"
    note = (
        f"diversity: intra-list diversity of each test user's top {k}, averaged over the users: the mean, over all "
        "pairs of listed items, of their cosine distance (1 - cosine similarity) in one reference ALS model "
        "(32 factors, fitted on train + validation, the same for every method). 0 = every listed item alike; "
        "1 = unrelated on average (orthogonal factors); the scale ends at 2 (opposed factors). It measures how "
        "varied a list is, not how good; compare it between the methods of one report."
    )
    return [Heading("Popularity buckets and diversity", "popularity"), Text(intro),
            Table(["method", *_BUCKETS, "diversity"], rows), Text(note, note=True)]  # fmt: skip


def _candidates(report: dict[str, Any]) -> list[Block]:
    if not report.get("candidates"):
        return []
    sizes = list(next(iter(report["candidates"].values())))
    rows = [[name, *(f"{rec[s]:.4f}" for s in sizes)] for name, rec in report["candidates"].items()]
    return [Heading("Candidate recall", "candidates"), Text("Candidate recall on test (the ceiling of any reranker):"),
            Table(["source", *sizes], rows)]  # fmt: skip


def _intention(report: dict[str, Any]) -> list[Block]:
    intention = {name: m["intention"] for name, m in report["methods"].items() if "intention" in m}
    if not intention:
        return []
    metric = next(iter(intention.values()))["metric"]
    rows = [[name, "yes" if t["reads_requests"] else "no", str(t["users"]), f"{t['without_request']:.4f}",
             f"{t['with_request']:.4f}", f"{t['ratio']:.2f}x" if t["ratio"] is not None else "-",
             f"{t['delta']:+.4f} [{t['ci95'][0]:+.4f}, {t['ci95'][1]:+.4f}]"]
            for name, t in intention.items()]  # fmt: skip
    header = ["method", "reads requests", "users", "without request", "with request", "ratio", "delta (95% CI)"]
    intro = f"Intention task (each test user asks for a genre of the held-out item), {metric} on the same users:"
    return [Heading("Intention task", "intention"), Text(intro), Table(header, rows)]


def _rerank(report: dict[str, Any]) -> list[Block]:
    task = report.get("rerank")
    if not task:
        return []
    metric = next(k for k in task["input"] if k != "ci95")

    def cell(e: dict[str, Any]) -> str:
        return _ci(e[metric], e["ci95"])

    rows = [["input order (identity)", cell(task["input"]), ""], ["random within the list", cell(task["random"]), ""]]
    for name, e in task["methods"].items():
        d = e["vs_input"]
        rows.append([name, cell(e), f"{d['delta']:+.4f} [{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}]"])
    intro = (
        f"Rerank task: {task['candidates']} candidates per test user from the outside retriever "
        f"`{task['retriever']}` ({task['users']} users); the list holds the held-out item for "
        f"{task['recall_ceiling']:.4f} of them (the ceiling; a miss counts 0 everywhere):"
    )
    return [Heading("Rerank task", "rerank"), Text(intro),
            Table(["order", f"{metric} (95% CI)", "vs input order (95% CI)"], rows)]  # fmt: skip


def _rounds(report: dict[str, Any]) -> list[Block]:
    """The multi-round task: hit rate by round per method and feedback kind, and each kind vs paging."""
    runs = {name: m["rounds"] for name, m in report["methods"].items() if m.get("rounds")}
    if not runs:
        return []
    first = next(iter(runs.values()))
    n_rounds = len(next(iter(first["kinds"].values()))["hit_rate"])
    at = next((e["vs_paging"]["round"] for e in first["kinds"].values() if "vs_paging" in e), n_rounds)
    intro = (
        f"Multi-round task: {first['users']} simulated test users with a hidden target (their held-out item), "
        f"shown {first['k']} items per round; the simulated user clicks / names the shown "
        f"item most like its target by {first['policy']} (it reads nothing of the model). Share of users who have "
        f"seen their target after each round; the last column: the kind minus paging at round {at} (paired, 95% CI):"
    )
    rows = []
    for name, run in runs.items():
        for kind, e in run["kinds"].items():
            vs = e.get("vs_paging")
            tail = "" if vs is None else _ci(vs["hit_rate_delta"], vs["hit_rate_delta_ci95"], "+.3f")
            if vs is not None and vs["ratio"] is not None:
                tail += f" ({vs['ratio']:.2f}x)"
            rows.append([name, kind, *(f"{h:.3f}" for h in e["hit_rate"]), tail])
    header = ["method", "feedback", *(f"round {r + 1}" for r in range(n_rounds)), f"vs paging @ {at}"]
    return [Heading("Multi-round task", "rounds"), Text(intro), Table(header, rows),
            Figure("rounds.png", "Hit rate by round, per method and feedback kind")]  # fmt: skip


def _parameters(report: dict[str, Any]) -> list[Block]:
    """Each method's chosen point as ``key = value`` (nested configurations: see report.json) and what
    its fit learned, then what a fusion weight means when the report has any."""
    entries: list[tuple[str, list[str]]] = []
    for name, m in report["methods"].items():
        search = m.get("search")
        how = (
            f"optuna: {len(search['trials'])} trials, {search['pruned']} pruned, "
            f"{search.get('repeats', 0)} repeated points reused; history in search.png"
            if search
            else f"grid of {m['grid_size']}"
        )
        params = m["params"]
        shown = key_values(params) if _flat(params) and len(str(params)) <= 240 else _NESTED
        entries.append((f"{name}: {shown} ({how})", learned_lines(m.get("learned") or {})))
    blocks: list[Block] = [Heading("Chosen parameters", "parameters"), Bullets(entries)]
    if any(m.get("search") for m in report["methods"].values()):
        blocks.append(Figure("search.png", "Each trial's validation metric and the best so far, per searched method"))
    if any(key.endswith("fusion_weights") for m in report["methods"].values() for key in m.get("learned") or {}):
        blocks.append(Text(_FUSION_NOTE, note=True))
    if any("ranker_importances" in (m.get("learned") or {}) for m in report["methods"].values()):
        blocks.append(Text(_RANKER_NOTE, note=True))
    return blocks


_FUSION_NOTE = (
    "Fusion weights (learned on validation): the hybrid ranks its candidates by fused = sum of w_f * z_f, each "
    "feature's score z_f on a scale fitted on validation candidates (centred, divided by its spread within a "
    "list), so the weights compare across features; coordinate ascent over a small grid picked them on validation "
    "NDCG. A weight of 0 means the feature does not move the fused score at all: on top of the others it did not "
    "raise validation NDCG (which says nothing of the feature alone). request_fusion_weights rank when a request "
    "is given; session_fusion_weights add a term for the session's reactions (negative: away from items like "
    "those); outside_fusion_weights rerank an outside retriever's lists."
)
_RANKER_NOTE = (
    "Learned ranker ([hybrid.ranker] kind = 'lightgbm'): LambdaMART boosted from the fusion's scores on validation "
    "users' candidate lists, plain and with a request, one list per group (the correction it adds to the blend). ranker_importances: each feature's share of the total split "
    "gain (how much the trees use it, not a direction); ranker_rounds: boosting rounds kept by early stopping on "
    "held-out lists (ranker_valid_ndcg: their NDCG there); ranker_rows: candidates it was fitted on."
)


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _flat(values: Mapping[str, Any]) -> bool:
    """True when every value is a scalar or a list of scalars (what one ``key = value`` line can show)."""
    return all(_scalar(v) or (isinstance(v, list | tuple) and all(_scalar(x) for x in v)) for v in values.values())


def format_value(value: object) -> str:
    """A config value as a TOML-like reader writes it: true / false, unset for None, lists in brackets,
    floats as Python shows them up to 8 characters, else to 6 significant digits."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return short if len(short := repr(value)) <= 8 else f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def key_values(values: Mapping[str, Any]) -> str:
    """``a = 1, b = cpu``: a flat mapping on one line (`format_value`)."""
    return ", ".join(f"{key} = {format_value(v)}" for key, v in values.items())


def learned_lines(learned: Mapping[str, Any]) -> list[str]:
    """What a fit learned, readable: its scalars on one ``learned:`` line, each flat mapping (e.g. fusion
    weights) on its own, anything deeper pointed to report.json."""
    scalars = {k: v for k, v in learned.items() if not isinstance(v, Mapping)}
    lines = [f"learned: {key_values(scalars) if _flat(scalars) else _NESTED}"] if scalars else []
    for key, v in learned.items():
        if isinstance(v, Mapping):
            lines.append(f"learned {key}: " + (key_values(v) if _flat(v) else _NESTED))
    return lines
