"""Amazon Reviews 2023 (McAuley lab, UCSD): the converter of one category's files, and its entries.

Reviews + item metadata of one category (``<category>.jsonl.gz`` + ``meta_<category>.jsonl.gz``),
repeated (user, item) reviews reduced to the earliest, items without a title dropped, then k-core
filtered. The lab publishes no checksums: the SHA-256 of what was downloaded is recorded in the
manifest (with a warning), and ``sha256=`` / ``--sha256 FILE=HEX`` pins one. Both files are
streamed line by line.
"""

from __future__ import annotations

import gzip
import json
import logging
from array import array
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path

import numpy as np

from hybrid_rec.data.datasets.atomic import INTER_HEADER, clean, write_items
from hybrid_rec.data.datasets.registered import RegisteredDataset, SourceFile
from hybrid_rec.data.filters import k_core_mask
from hybrid_rec.errors import DataError

log = logging.getLogger(__name__)

AMAZON2023_URLS = (
    "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/",  # the links on the dataset's pages
    "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_2023/raw/",  # the lab's newer host, same files
)


def _jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) of a gzip'd JSON-lines file, read line by line."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise DataError(f"{path.name}, line {lineno}: not JSON ({exc})") from exc
                if not isinstance(record, dict):
                    raise DataError(f"{path.name}, line {lineno}: not a JSON object")
                yield lineno, record
    except (OSError, EOFError) as exc:
        raise DataError(f"{path.name}: not a complete gzip file ({exc})") from exc


def _categories(raw: object) -> list[str]:
    """The ``categories`` of an Amazon metadata line as genres: cleaned, empty ones and repeats dropped."""
    if not isinstance(raw, list):
        return []
    return list(dict.fromkeys(text for text in (clean(c) for c in raw if isinstance(c, str)) if text))


def _first_of_pair(user: np.ndarray, item: np.ndarray, timestamp: np.ndarray) -> np.ndarray:
    """Rows (bool mask) that are the earliest review of their (user, item) pair (ties: the first in
    the file), as the Amazon Reviews 2023 benchmark scripts keep them."""
    order = np.lexsort((np.arange(len(user)), timestamp, item, user))
    u, i = user[order], item[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (i[1:] != i[:-1])
    keep = np.zeros(len(order), dtype=bool)
    keep[order[first]] = True
    return keep


def amazon2023_to_atomic(files: Mapping[str, Path], out: Path, *, category: str, k: int = 5) -> dict[str, object]:
    """Amazon Reviews 2023 ``<category>.jsonl.gz`` + ``meta_<category>.jsonl.gz`` -> ``<category>.{inter,item}``.

    Item id = ``parent_asin``, weight = rating, timestamp ms -> seconds (milliseconds kept as the
    fraction). Repeated reviews of a (user, item) pair keep the earliest; reviews of items whose
    metadata has no title (or no metadata line at all) are dropped; then the `k`-core. Catalog:
    title and the ``categories`` list as genres. Both files are streamed line by line; only the
    ids, ratings and times of the reviews are held in memory (plus titles of reviewed items)."""
    review_path, meta_path = files[f"{category}.jsonl.gz"], files[f"meta_{category}.jsonl.gz"]
    users: dict[str, int] = {}
    items: dict[str, int] = {}
    user_codes, item_codes, times, ratings = array("q"), array("q"), array("q"), array("d")
    for lineno, review in _jsonl(review_path):
        user, item, ms, rating = (
            review.get("user_id"),
            review.get("parent_asin"),
            review.get("timestamp"),
            review.get("rating"),
        )
        if not (isinstance(user, str) and user.isprintable() and isinstance(item, str) and item.isprintable()):
            raise DataError(
                f"{review_path.name}, line {lineno}: user_id or parent_asin missing or not one line of text"
            )
        if not (user and item):
            raise DataError(f"{review_path.name}, line {lineno}: empty user_id or parent_asin")
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 0:
            raise DataError(f"{review_path.name}, line {lineno}: timestamp {ms!r} is not milliseconds")
        if isinstance(rating, bool) or not isinstance(rating, int | float) or not 0 <= rating <= 5:
            raise DataError(f"{review_path.name}, line {lineno}: rating {rating!r} is not a number in [0, 5]")
        user_codes.append(users.setdefault(user, len(users)))
        item_codes.append(items.setdefault(item, len(items)))
        times.append(ms)
        ratings.append(float(rating))
    if not users:
        raise DataError(f"{review_path.name}: no reviews")
    u, i, t = np.frombuffer(user_codes, np.int64), np.frombuffer(item_codes, np.int64), np.frombuffer(times, np.int64)
    first = _first_of_pair(u, i, t)

    catalog: dict[int, tuple[str, list[str]]] = {}
    for _, meta in _jsonl(meta_path):
        asin = meta.get("parent_asin")
        code = items.get(asin) if isinstance(asin, str) else None
        title = clean(meta.get("title"))
        if code is None or code in catalog or not title:
            continue
        catalog[code] = (title, _categories(meta.get("categories")))
    titled = np.zeros(len(items), dtype=bool)
    titled[list(catalog)] = True

    candidates = np.flatnonzero(first & titled[i])
    keep = candidates[k_core_mask(u[candidates], i[candidates], k)]
    user_ids, item_ids = list(users), list(items)
    with open(out / f"{category}.inter", "w", encoding="utf-8", newline="\n") as fh:
        fh.write(INTER_HEADER + "\n")
        for row, user_code, item_code in zip(keep.tolist(), u[keep].tolist(), i[keep].tolist(), strict=True):
            ms = times[row]
            fh.write(f"{user_ids[user_code]}\t{item_ids[item_code]}\t{ratings[row]:g}\t{ms // 1000}.{ms % 1000:03d}\n")
    kept_items = np.unique(i[keep]).tolist()
    write_items(out / f"{category}.item", ((item_ids[c], catalog[c][0], "", catalog[c][1]) for c in kept_items))
    stats: dict[str, object] = {
        "reviews": len(u),
        "repeated_reviews_dropped": int((~first).sum()),
        "reviews_of_items_without_title_dropped": int((first & ~titled[i]).sum()),
        "k_core": k,
        "rows_dropped_by_k_core": len(candidates) - len(keep),
        "rows": len(keep),
        "users": len(np.unique(u[keep])),
        "items": len(kept_items),
    }
    if not len(keep):
        raise DataError(f"{review_path.name}: no reviews are left after the {k}-core filter ({stats})")
    log.info("%s: %s", category, stats)
    return stats


def amazon2023(category: str, k: int = 5) -> RegisteredDataset:
    """The Amazon Reviews 2023 dataset of one category (e.g. ``"All_Beauty"``, as in the file
    names), `k`-core filtered; registered as ``amazon2023-<category in lower case, - for _>``."""
    slug = category.lower().replace("_", "-")
    files = (
        SourceFile(f"{category}.jsonl.gz", tuple(f"{base}review_categories/{category}.jsonl.gz" for base in AMAZON2023_URLS)),
        SourceFile(f"meta_{category}.jsonl.gz", tuple(f"{base}meta_categories/meta_{category}.jsonl.gz" for base in AMAZON2023_URLS)),
    )  # fmt: skip
    return RegisteredDataset(
        name=f"amazon2023-{slug}",
        label=f"Amazon Reviews 2023 {category}",
        noun="product",
        files=files,
        convert=partial(amazon2023_to_atomic, category=category, k=k),
        stem=category,
        id_type="str",
        description=f"Amazon Reviews 2023 ({category}), {k}-core: reviews as ratings, item titles and categories",
    )


AMAZON: tuple[RegisteredDataset, ...] = (
    amazon2023("All_Beauty"),
    amazon2023("Video_Games"),
    amazon2023("Sports_and_Outdoors"),
)
