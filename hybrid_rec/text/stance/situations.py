"""Grammar material: needs told as the situation they come from, per category of `lexicon.LEXICON` (`SITUATIONS`).

"i got soaked walking to work again" names neither umbrellas nor anything else a shop sells, and sounds like a
complaint; it is a wish for what would help. Written for the grammar by a helper session that read none of the
reader's code nor the held-out request sets (2026-12-07): five per category (two told as a problem in negative
words, one occasion, one mood or goal, one about someone else), none using the category's name or its words.
The text is data (`data/situations.txt`: a kind of catalog, then indented "Category:" lines, each followed by its
situations, one per line, indented twice); `TEXT` is part of the stance model's key.
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["SITUATIONS", "TEXT"]

TEXT = files("hybrid_rec.text.stance").joinpath("data/situations.txt").read_text(encoding="utf-8")


def _read(text: str) -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, list[str]]] = {}
    kind = name = ""
    for line in text.strip().splitlines():
        if not line.startswith(" "):
            kind = line.strip()
            out[kind] = {}
        elif line.startswith("        "):
            out[kind][name].append(line.strip())
        else:
            name = line.strip().removesuffix(":")
            out[kind][name] = []
    return {k: {c: tuple(s) for c, s in cats.items()} for k, cats in out.items()}


SITUATIONS: dict[str, dict[str, tuple[str, ...]]] = _read(TEXT)
