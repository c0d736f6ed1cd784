"""Human-readable outputs of `compare`: a Markdown table and a bar chart with CI error bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def markdown_report(report: dict[str, Any]) -> str:
    """The comparison as Markdown: one row per method (test metrics with 95% CIs), then the paired deltas."""
    ds, proto = report["dataset"], report["protocol"]
    k = proto["k"]
    big = max(proto["cutoffs"])
    lines = [
        f"# Comparison on {ds['name']}",
        "",
        f"{ds['users']} users, {ds['items']} items, {ds['interactions']} interactions. Split: "
        f"{proto['split']} ({proto['test_users']} test users); "
        + ("test lists rank only the items without fit interactions (cold-start protocol), "
           if proto.get("ranked_items") == "cold" else "full ranking over all items, fit items excluded; ")
        + f"tuned on validation {proto['tune_metric']}, refitted on train + validation. "
        "tune s: all fits on train (for the LM methods, the LM training); fit s: the final (re)fit; "
        "peak MiB: the most resident memory the final fit and the test lists added to this process and its "
        "children (a peer in its own environment counts whole, interpreter included).",
        "",
        f"| method | valid NDCG@{k} | test NDCG@{k} (95% CI) | test HR@{k} (95% CI) | MRR@{k} | Recall@{big} "
        f"| coverage@{k} | tune s | fit s | recommend s | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in report["methods"].items():
        t, ci = m["test"], m["test_ci95"]
        lines.append(
            f"| {name} | {m['valid'][f'ndcg@{k}']:.4f} "
            f"| {t[f'ndcg@{k}']:.4f} [{ci[f'ndcg@{k}'][0]:.4f}, {ci[f'ndcg@{k}'][1]:.4f}] "
            f"| {t[f'hr@{k}']:.4f} [{ci[f'hr@{k}'][0]:.4f}, {ci[f'hr@{k}'][1]:.4f}] "
            f"| {t[f'mrr@{k}']:.4f} | {t[f'recall@{big}']:.4f} | {t[f'coverage@{k}']:.3f} "
            f"| {m.get('tune_seconds', float('nan')):.1f} | {m['fit_seconds']:.2f} | {m['recommend_seconds']:.2f} "
            f"| {m.get('peak_rss_mib', float('nan')):.0f} |"
        )
    if report["comparisons"]:
        lines += ["", "| comparison | metric | delta | 95% CI (paired bootstrap over users) |", "|---|---|---|---|"]
        for pair, c in report["comparisons"].items():
            lines.append(f"| {pair} | {c['metric']} | {c['delta']:+.4f} | [{c['ci95'][0]:+.4f}, {c['ci95'][1]:+.4f}] |")
    lines += [
        "",
        f"NDCG@{k} by popularity of the test item ({proto.get('test_items_by_popularity', {})} test users),"
        f" and intra-list diversity of the top {k}:",
        "",
        "| method | head | torso | tail | diversity |",
        "|---|---|---|---|---|",
    ]
    for name, m in report["methods"].items():
        b = m.get(f"ndcg@{k}_by_popularity", {})
        cells = [f"{b[x]:.4f}" if b.get(x) is not None else "-" for x in ("head", "torso", "tail")]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {m['test'].get(f'diversity@{k}', float('nan')):.3f} |")
    if report.get("candidates"):
        sizes = list(next(iter(report["candidates"].values())))
        lines += [
            "",
            "Candidate recall on test (the ceiling of any reranker):",
            "",
            "| source | " + " | ".join(sizes) + " |",
            "|---" * (len(sizes) + 1) + "|",
        ]
        for name, rec in report["candidates"].items():
            lines.append(f"| {name} | " + " | ".join(f"{rec[s]:.4f}" for s in sizes) + " |")
    intention = {name: m["intention"] for name, m in report["methods"].items() if "intention" in m}
    if intention:
        metric = next(iter(intention.values()))["metric"]
        lines += [
            "",
            f"Intention task (each test user asks for a genre of the held-out item), {metric} on the same users:",
            "",
            "| method | reads requests | users | without request | with request | ratio | delta (95% CI) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, t in intention.items():
            ratio = f"{t['ratio']:.2f}x" if t["ratio"] is not None else "-"
            lines.append(
                f"| {name} | {'yes' if t['reads_requests'] else 'no'} | {t['users']} | {t['without_request']:.4f} | "
                f"{t['with_request']:.4f} | {ratio} | {t['delta']:+.4f} [{t['ci95'][0]:+.4f}, {t['ci95'][1]:+.4f}] |"
            )
    task = report.get("rerank")
    if task:
        metric = next(k for k in task["input"] if k != "ci95")
        cell = lambda e: f"{e[metric]:.4f} [{e['ci95'][0]:.4f}, {e['ci95'][1]:.4f}]"  # noqa: E731
        lines += [
            "",
            f"Rerank task: {task['candidates']} candidates per test user from the outside retriever "
            f"`{task['retriever']}` ({task['users']} users); the list holds the held-out item for "
            f"{task['recall_ceiling']:.4f} of them (the ceiling; a miss counts 0 everywhere):",
            "",
            f"| order | {metric} (95% CI) | vs input order (95% CI) |",
            "|---|---|---|",
            f"| input order (identity) | {cell(task['input'])} | |",
            f"| random within the list | {cell(task['random'])} | |",
        ]
        for name, e in task["methods"].items():
            d = e["vs_input"]
            lines.append(f"| {name} | {cell(e)} | {d['delta']:+.4f} [{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}] |")
    lines += _rounds_lines(report)
    lines += ["", "Chosen parameters:", ""]
    for name, m in report["methods"].items():
        params = str(m["params"])
        shown = f"`{params}`" if len(params) <= 240 else "nested configuration, see report.json"
        search = m.get("search")
        how = (
            f"optuna: {len(search['trials'])} trials, {search['pruned']} pruned, "
            f"{search.get('repeats', 0)} repeated points reused; history in search.png"
            if search
            else f"grid of {m['grid_size']}"
        )
        lines.append(f"- {name}: {shown} ({how})")
        if m.get("learned"):
            lines.append(f"  - learned: `{m['learned']}`")
    return "\n".join(lines) + "\n"


def _rounds_lines(report: dict[str, Any]) -> list[str]:
    """The multi-round task: hit rate by round per method and feedback kind, and each kind vs paging."""
    runs = {name: m["rounds"] for name, m in report["methods"].items() if m.get("rounds")}
    if not runs:
        return []
    first = next(iter(runs.values()))
    n_rounds = len(next(iter(first["kinds"].values()))["hit_rate"])
    at = next((e["vs_paging"]["round"] for e in first["kinds"].values() if "vs_paging" in e), n_rounds)
    lines = [
        "",
        f"Multi-round task: {first['users']} simulated test users with a hidden target (their held-out item), "
        f"shown {first['k']} items per round; the simulated user clicks / names the shown "
        f"item most like its target by {first['policy']} (it reads nothing of the model). Share of users who have "
        f"seen their target after each round; the last column: the kind minus paging at round {at} (paired, 95% CI):",
        "",
        "| method | feedback | " + " | ".join(f"round {r + 1}" for r in range(n_rounds)) + f" | vs paging @ {at} |",
        "|---|---|" + "---|" * n_rounds + "---|",
    ]
    for name, run in runs.items():
        for kind, e in run["kinds"].items():
            cells = " | ".join(f"{h:.3f}" for h in e["hit_rate"])
            vs = e.get("vs_paging")
            tail = "" if vs is None else f"{vs['hit_rate_delta']:+.3f} [{vs['hit_rate_delta_ci95'][0]:+.3f}, {vs['hit_rate_delta_ci95'][1]:+.3f}]"
            if vs is not None and vs["ratio"] is not None:
                tail += f" ({vs['ratio']:.2f}x)"
            lines.append(f"| {name} | {kind} | {cells} | {tail} |")
    lines += ["", "Hit rate by round, per method and feedback kind: rounds.png."]
    return lines


def plot_rounds(report: dict[str, Any], path: Path) -> None:
    """Hit rate by round (95% CI band) per feedback kind, one panel per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    runs = {name: m["rounds"] for name, m in report["methods"].items() if m.get("rounds")}
    fig, axes = plt.subplots(1, len(runs), figsize=(5.0 * len(runs), 3.8), squeeze=False, sharey=True)
    for ax, (name, run) in zip(axes[0], runs.items(), strict=True):
        for kind, e in run["kinds"].items():
            x = np.arange(1, len(e["hit_rate"]) + 1)
            ci = np.array(e["hit_rate_ci95"])
            ax.plot(x, e["hit_rate"], marker="o", label=kind, linestyle="--" if kind == "paging" else "-")
            ax.fill_between(x, ci[:, 0], ci[:, 1], alpha=0.12)
        ax.set_title(name)
        ax.set_xlabel("round")
        ax.set_xticks(x)
    axes[0][0].set_ylabel("share of users who have seen their target")
    axes[0][-1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_report(report: dict[str, Any], path: Path) -> None:
    """Grouped bars of test NDCG@k and HR@k per method, with bootstrap 95% CI error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    k = report["protocol"]["k"]
    names = list(report["methods"])
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(4.0, 1.6 * len(names) + 2), 3.6))
    for offset, metric in ((-0.2, f"ndcg@{k}"), (0.2, f"hr@{k}")):
        values = np.array([report["methods"][n]["test"][metric] for n in names])
        ci = np.array([report["methods"][n]["test_ci95"][metric] for n in names])
        err = np.vstack([values - ci[:, 0], ci[:, 1] - values])
        ax.bar(x + offset, values, width=0.4, yerr=err, capsize=4, label=metric.upper().replace("@", "@"))
    ax.set_xticks(x, names)
    ax.set_ylabel("test metric")
    ax.set_title(f"{report['dataset']['name']}: {report['protocol']['split']}, full ranking")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_search(report: dict[str, Any], path: Path) -> None:
    """Per searched method: each trial's validation metric (pruned trials at the bottom, hollow) and
    the best so far, against the trial number."""
    from hybrid_rec.evaluate.search import plot_history

    searched = {name: m["search"] for name, m in report["methods"].items() if m.get("search")}
    plot_history(searched, f"valid {report['protocol']['tune_metric']}", path)


def write_reports(report: dict[str, Any], out: Path) -> None:
    (out / "report.md").write_text(markdown_report(report))
    plot_report(report, out / "report.png")
    if any(m.get("rounds") for m in report["methods"].values()):
        plot_rounds(report, out / "rounds.png")
    if any(m.get("search") for m in report["methods"].values()):
        plot_search(report, out / "search.png")
