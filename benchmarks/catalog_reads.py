"""The whole-catalog reads at 100k items (issue #40): one pandas row per item (`ItemCatalog.describe`, `item`), as
every whole-catalog path read the catalog before session 16, against one pass over each column (`describe_many`,
`values_of`, `simulated_user.category_vectors`). One run; `.venv/bin/python benchmarks/catalog_reads.py` (about a
minute, mostly generating the data)."""

from __future__ import annotations

import time

from hybrid_rec.data.simulated_user import category_vectors
from hybrid_rec.data.synthetic import make_synthetic


def main() -> None:
    data = make_synthetic(n_users=2000, n_items=100_000, interactions_per_user=5, seed=0)
    catalog, ids = data.catalog, data.interactions.items.ids
    field = catalog.category_field()
    start = time.perf_counter()
    one_by_one = [catalog.describe(i) if i in catalog else str(i) for i in ids]
    per_row = time.perf_counter() - start
    start = time.perf_counter()
    at_once = catalog.describe_many(ids)
    columns = time.perf_counter() - start
    if at_once != one_by_one:
        raise SystemExit("describe_many differs from describe")
    start = time.perf_counter()
    held = [catalog.item(i).get(field) if i in catalog else None for i in ids] if field else []
    categories_per_row = time.perf_counter() - start
    start = time.perf_counter()
    category_vectors(catalog, data.interactions.items)
    categories = time.perf_counter() - start
    print(f"{len(ids)} items: describing every item {per_row:.2f} s one row at a time, {columns:.2f} s by columns; "
          f"every item's categories {categories_per_row:.2f} s one row at a time ({len(held)} read), category "
          f"vectors by columns {categories:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
