"""The README's status paragraph quotes only figures the results page (`benchmarks/README.md`) holds: a figure
re-measured there and not here, or typed here and measured nowhere, fails `make test`."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_FIGURE = re.compile(r"(?<![\w.])[+-]?\d+\.\d+(?![\w.])|(?<![\w.])\d+(?:\.\d+)?%")


def status_paragraph(readme: str) -> str:
    """The README's paragraph from "Status:" to its end (a blank line)."""
    start = readme.index("Status:")
    end = readme.find("\n\n", start)
    return readme[start : end if end >= 0 else len(readme)]


def unbacked(paragraph: str, page: str) -> list[str]:
    """The figures (decimals, percentages) of `paragraph` that `page` does not contain, in order."""
    return [f for f in _FIGURE.findall(paragraph)
            if not re.search(rf"(?<![\d.]){re.escape(f.lstrip('+'))}(?![\d])", page)]  # whole: 0.122 is not 0.1223


def test_every_figure_the_readme_quotes_is_on_the_results_page() -> None:
    paragraph = status_paragraph((ROOT / "README.md").read_text(encoding="utf-8"))
    figures = _FIGURE.findall(paragraph)
    assert len(figures) >= 5, "the status paragraph quotes the headline figures"
    missing = unbacked(paragraph, (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8"))
    assert not missing, f"README.md quotes {missing}, which benchmarks/README.md does not hold: re-measure or re-quote"


def test_the_check_catches_a_figure_the_page_lacks() -> None:
    page = "| hybrid | 0.1334 |\n| ALS | 0.0732 | CI [+0.035, +0.062] | 95% |"
    assert unbacked("Status: 0.1334 against 0.0732, CI [+0.035, +0.062], 95%", page) == []
    assert unbacked("Status: 0.1335 against 0.0732 (12%)", page) == ["0.1335", "12%"]
    assert unbacked("Status: 0.133 and 0.073", page) == ["0.133", "0.073"]  # a prefix of a figure is not the figure
