"""report.html: the comparison as one self-contained page (inline CSS, the plots as base64 PNG data URIs,
no script, nothing fetched) with the blocks report.md shows (`report_blocks`), plus a per-user view of
the sampled test users (``report["user_sample"]``, `user_sample`): history, held-out item, each top k."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hybrid_rec.evaluate.report_content import Block, Bullets, Figure, Heading, Table, Text, report_blocks

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 78em;
       padding: 0 1em; color: #1b1b1b; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f2f4f7; text-align: left; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.note { background: #f6f8fa; border-left: 4px solid #8c959f; padding: 0.5em 0.8em; font-size: 0.92em; }
figure { margin: 0.6em 0 1.2em; } figure img { max-width: 100%; } figcaption { font-size: 0.85em; color: #57606a; }
nav a { margin-right: 0.9em; }
code { background: #f2f4f7; padding: 0 0.2em; }
section.user { border-top: 1px solid #d0d7de; margin-top: 1.5em; }
table.recs td { max-width: 18em; font-size: 0.92em; }
td.hit { font-weight: bold; background: #dafbe1; }
ol.history { font-size: 0.92em; margin-top: 0.2em; }
"""

_NUMBER = re.compile(r"^\[?[-+]?\d")
_FIGURES = ("report.png", "rounds.png", "search.png")


def write_html(report: dict[str, Any], out: Path) -> None:
    """``report.html`` in `out`, embedding the plots already written there (those absent are left out)."""
    figures = {name: (out / name).read_bytes() for name in _FIGURES if (out / name).is_file()}
    (out / "report.html").write_text(html_report(report, figures), encoding="utf-8")


def html_report(report: dict[str, Any], figures: Mapping[str, bytes] | None = None) -> str:
    """The page: every block of the report, then the sampled users (when the report holds any).
    `figures`: PNG bytes by file name, embedded where a block names them."""
    figures = figures or {}
    blocks = report_blocks(report)
    sample = report.get("user_sample") or {}
    links = [(b.anchor, b.text) for b in blocks if isinstance(b, Heading) and b.level > 1]
    if sample.get("users"):
        links.append(("users", "Sample users"))
    body = [_block(blocks[0], figures)]
    body.append("<nav>" + "".join(f'<a href="#{_attr(a)}">{_esc(t)}</a>' for a, t in links) + "</nav>")
    body += [_block(b, figures) for b in blocks[1:]]
    if sample.get("users"):
        body.append(_sample(sample))
    title = blocks[0].text if isinstance(blocks[0], Heading) else "Comparison"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + "\n</body>\n</html>\n"
    )


def _esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def _attr(text: object) -> str:
    return html.escape(str(text), quote=True)


def _inline(text: str) -> str:
    """Escaped text with its `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _esc(text))


def _block(block: Block, figures: Mapping[str, bytes]) -> str:
    if isinstance(block, Heading):
        return f'<h{block.level} id="{_attr(block.anchor)}">{_esc(block.text)}</h{block.level}>'
    if isinstance(block, Text):
        return f'<p class="note">{_inline(block.text)}</p>' if block.note else f"<p>{_inline(block.text)}</p>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        data = figures.get(block.file)
        if data is None:
            return ""
        src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return (f'<figure><img src="{src}" alt="{_attr(block.caption)}">'
                f"<figcaption>{_esc(block.caption)} ({_esc(block.file)})</figcaption></figure>")  # fmt: skip
    return _bullets(block)


def _table(table: Table) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in table.header)
    rows = []
    for row in table.rows:
        cells = [f"<td>{_esc(row[0])}</td>"] if row else []
        cells += [f'<td class="num">{_esc(c)}</td>' if _NUMBER.match(c) else f"<td>{_inline(c)}</td>" for c in row[1:]]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"


def _bullets(bullets: Bullets) -> str:
    items = []
    for text, subs in bullets.entries:
        inner = "<ul>" + "".join(f"<li>{_inline(s)}</li>" for s in subs) + "</ul>" if subs else ""
        items.append(f"<li>{_inline(text)}{inner}</li>")
    return "<ul>\n" + "\n".join(items) + "\n</ul>"


def _sample(sample: Mapping[str, Any]) -> str:
    """The sampled users: one section each with their recent history, the held-out item(s) and a table of
    each method's top k (rows: ranks, columns: methods), the held-out item's cells marked ✓ (class ``hit``)."""
    texts: Mapping[str, str] = sample.get("items", {})

    def text(item: str) -> str:
        return _esc(texts.get(item, item))

    k = sample["k"]
    users = sample["users"]
    parts = [
        '<h2 id="users">Sample users</h2>',
        f"<p>{len(users)} test users drawn at random (seed {_esc(sample.get('seed', 0))}): the last "
        f"{_esc(sample.get('history', 10))} items of each one's train + validation rows (oldest first), the "
        f"held-out test item, and each method's top {_esc(k)}, where ✓ (bold) marks the held-out item.</p>",
    ]
    for user in users:
        lists: Mapping[str, list[str]] = user["lists"]
        hits: Mapping[str, list[int]] = user["hits"]
        found = [f"{_esc(m)} @ {', '.join(map(str, ranks))}" for m, ranks in hits.items() if ranks]
        head = "".join(f"<th>{_esc(m)}</th>" for m in lists)
        rows = []
        for rank in range(1, k + 1):
            cells = []
            for method, items in lists.items():
                if rank > len(items):
                    cells.append("<td></td>")
                    continue
                where = f'data-method="{_attr(method)}" data-rank="{rank}"'
                if rank in hits.get(method, ()):
                    cells.append(f'<td class="item hit" {where}>✓ {text(items[rank - 1])}</td>')
                else:
                    cells.append(f'<td class="item" {where}>{text(items[rank - 1])}</td>')
            rows.append(f'<tr><td class="num">{rank}</td>' + "".join(cells) + "</tr>")
        parts.append(
            f'<section class="user" data-user="{_attr(user["user"])}">\n<h3>User {_esc(user["user"])}</h3>\n'
            f'<p><b>Held out:</b> <span class="held-out">{"; ".join(text(i) for i in user["held_out"])}</span>'
            f" &mdash; {'hit by ' + '; '.join(found) if found else 'in no top ' + str(k)}</p>\n"
            "<p>Recent history (oldest first):</p>\n<ol class=\"history\">"
            + "".join(f"<li>{text(i)}</li>" for i in user["history"])
            + f"</ol>\n<table class=\"recs\">\n<thead><tr><th>rank</th>{head}</tr></thead>\n<tbody>\n"
            + "\n".join(rows)
            + "\n</tbody>\n</table>\n</section>"
        )
    return "\n".join(parts)
