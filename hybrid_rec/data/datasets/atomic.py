"""Writing RecBole atomic files: the one output format every converter normalises a source to.

Files are TSV without quoting, so every text cell is cleaned to one line; genres are joined with
``|`` into one token (split again on load).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hybrid_rec.errors import DataError

#: Header of the item files the converters write (``genres`` holds ``A|B``; split again on load).
ITEM_HEADER = "item_id:token\ttitle:token_seq\tyear:token\tgenres:token"
INTER_HEADER = "user_id:token\titem_id:token\trating:float\ttimestamp:float"
GENRE_SEPARATOR = "|"


def clean(text: object) -> str:
    """One line of text: tabs, newlines and runs of blanks become one space (atomic files are TSV)."""
    return " ".join(str(text).split()) if text is not None else ""


def write_items(path: Path, rows: Iterable[tuple[object, str, str, Sequence[str]]]) -> int:
    """The ``.item`` file: id, title, year and ``|``-joined genres (each cleaned; ``|`` inside a
    genre becomes ``/``). Returns the number of items written."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(ITEM_HEADER + "\n")
        for item, title, year, genres in rows:
            joined = GENRE_SEPARATOR.join(clean(g).replace(GENRE_SEPARATOR, "/") for g in genres)
            fh.write(f"{item}\t{clean(title)}\t{year}\t{joined}\n")
            n += 1
    return n


def write_ratings(path: Path, chunks: Iterable[pd.DataFrame], source: str) -> tuple[int, int, np.ndarray]:
    """The ``.inter`` file from rating chunks (columns user, item, rating, timestamp, numeric);
    returns (rows, users, rated item ids)."""
    rows, users, items = 0, [], []
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(INTER_HEADER + "\n")
        try:
            for chunk in chunks:
                if chunk.isna().any().any():
                    raise DataError(f"{source}: a rating row has an empty field")
                chunk.to_csv(fh, sep="\t", header=False, index=False, lineterminator="\n")
                rows += len(chunk)
                users.append(np.unique(chunk.iloc[:, 0].to_numpy()))
                items.append(np.unique(chunk.iloc[:, 1].to_numpy()))
        except DataError:
            raise
        except ValueError as exc:  # pandas' parser errors, a number that is not one
            raise DataError(f"{source}: cannot read the ratings ({exc})") from exc
    if not rows:
        raise DataError(f"{source}: no ratings")
    return rows, len(np.unique(np.concatenate(users))), np.unique(np.concatenate(items))
