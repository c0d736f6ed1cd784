"""Human-readable outputs of `compare`: report.md, the bar chart with CI error bars (report.png), the
multi-round and search plots, and report.html (`report_html`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybrid_rec.evaluate.report_content import Block, Figure, Heading, Table, Text, report_blocks
from hybrid_rec.evaluate.report_html import write_html


def markdown_report(report: dict[str, Any]) -> str:
    """The comparison as Markdown: one row per method (test metrics with 95% CIs), the paired deltas,
    the optional tasks and the chosen parameters (`report_blocks`, which report.html shows too)."""
    lines: list[str] = []
    for block in report_blocks(report):
        lines += _markdown(block)
    sample = report.get("user_sample")
    if sample and sample.get("users"):
        lines += ["", f"report.html shows the same tables and, for {len(sample['users'])} sampled test users, "
                  f"their recent history, the held-out item and each method's top {sample['k']}."]  # fmt: skip
    return "\n".join(lines).lstrip("\n") + "\n"


def _markdown(block: Block) -> list[str]:
    """One block as Markdown lines, after a blank line."""
    if isinstance(block, Heading):
        return ["", "#" * block.level + " " + block.text]
    if isinstance(block, Text):
        return ["", ("> " if block.note else "") + block.text]
    if isinstance(block, Table):
        lines = ["| " + " | ".join(row) + " |" for row in [block.header, *block.rows]]
        return ["", lines[0], "|" + "---|" * len(block.header), *lines[1:]]
    if isinstance(block, Figure):
        return ["", f"![{block.caption}]({block.file})"]
    out = [""]
    for text, subs in block.entries:
        out += [f"- {text}", *(f"  - {sub}" for sub in subs)]
    return out


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
    """report.md, the plots the report has data for, then report.html (which embeds them)."""
    (out / "report.md").write_text(markdown_report(report))
    plot_report(report, out / "report.png")
    if any(m.get("rounds") for m in report["methods"].values()):
        plot_rounds(report, out / "rounds.png")
    if any(m.get("search") for m in report["methods"].values()):
        plot_search(report, out / "search.png")
    write_html(report, out)
