"""Read-only lookups for people looking at the model (the playground page) and for clients: what the catalog
holds (its noun, categories and an example request in its own words), find a user, read a user's recent history,
look up an item.

A user's history is personal data, so ``/users`` and ``/users/{id}`` need the API key whenever the
server has one (the same key as the write endpoints); an item's catalog text does not.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from hybrid_rec.data.ids import show_id
from hybrid_rec.errors import UnknownIdError
from hybrid_rec.serve.access import key_access
from hybrid_rec.serve.holder import ModelHolder
from hybrid_rec.serve.schemas import error_responses

__all__ = ["browse_router", "summarize_catalog"]


class UserList(BaseModel):
    """Users whose id starts with the asked prefix."""

    users: list[str | int] = Field(description="External user ids, in the model's order.")
    total: int = Field(description="How many users match the prefix (the list holds at most `limit`).")


class ItemInfo(BaseModel):
    """One catalog item as a person reads it."""

    item_id: str | int = Field(description="External item id.")
    text: str = Field(description="The item's one-line text, as the LM reads it (its id without a catalog).")
    categories: list[str] = Field(description="The item's catalog categories (empty without a category field).")
    fields: dict[str, Any] = Field(description="The item's catalog fields (empty without a catalog).")


class CatalogSummary(BaseModel):
    """What the served catalog holds, in its own words: for hints and examples that fit it (the playground's)."""

    noun: str = Field(description="What the catalog calls an item ('movie', 'book', 'trip'; 'item' without one).")
    category_field: str | None = Field(description="The field a request's categories are read from (None: none).")
    categories: list[str] = Field(description="Its categories, most items first (at most `limit`).")
    items: int = Field(description="Items in the catalog.")
    example_title: str | None = Field(description="The title of the catalog's most common category's first item.")
    example_request: str = Field(description="A request in the catalog's words: a wish for one category and a "
                                 "rejection of another ('a romance book, but no poetry').")


class UserHistory(BaseModel):
    """A user's most recent items, newest first."""

    user_id: str | int = Field(description="The user id as the model spells it.")
    total: int = Field(description="Items in the user's history.")
    items: list[ItemInfo] = Field(description="The most recent `limit` items, newest first.")


def _holder(request: Request) -> ModelHolder:
    holder: ModelHolder = request.app.state.holder
    return holder


def _internal(pipe: Any, kind: str, external: str) -> tuple[Any, int]:
    """(the id as the model spells it, its internal id); a plain 404 naming it when unknown."""
    try:
        ext, internal = pipe.ids.users([external]) if kind == "user" else pipe.ids.items([external], "raise")
    except UnknownIdError:
        raise HTTPException(404, f"unknown {kind} id {show_id(external)}") from None
    return _plain(ext[0]), int(internal[0])


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _item_info(pipe: Any, internal: int) -> dict[str, Any]:
    external = _plain(pipe.generator.items.to_external([internal])[0])
    catalog = pipe.reranker.catalog
    if catalog is None or external not in catalog:
        return {"item_id": external, "text": show_id(external), "categories": [], "fields": {}}
    fields = {str(k): _plain(v) if not isinstance(v, (list, tuple)) else [str(x) for x in v]
              for k, v in catalog.item(external).items()}  # fmt: skip
    fields = {k: (None if isinstance(v, float) and v != v else v) for k, v in fields.items()}
    category = catalog.category_field()
    values = fields.get(category) if category is not None else None
    return {"item_id": external, "text": catalog.describe(external),
            "categories": [str(v) for v in values] if isinstance(values, list) else [], "fields": fields}  # fmt: skip


browse_router = APIRouter()


@browse_router.get("/catalog", response_model=CatalogSummary)
def catalog_summary(request: Request, limit: int = Query(20, ge=1, le=200, description="Most categories returned.")
                    ) -> dict[str, Any]:  # fmt: skip
    """The catalog's noun, categories (most items first) and an example request in its words; no key needed."""
    return summarize_catalog(_holder(request).live()[0], limit)


def summarize_catalog(pipe: Any, limit: int = 20) -> dict[str, Any]:
    """`CatalogSummary` of a pipeline's catalog (also the /docs examples: `app.create_app`)."""
    catalog = pipe.reranker.catalog
    if catalog is None:
        return {"noun": "item", "category_field": None, "categories": [], "items": 0, "example_title": None,
                "example_request": "something new"}  # fmt: skip
    noun = catalog.noun or "item"
    field = catalog.category_field()
    counts: dict[str, int] = {}
    if field is not None:
        for values in catalog.items[field]:
            for v in values or ():
                if str(v) and str(v) != "unknown":
                    counts[str(v)] = counts.get(str(v), 0) + 1
    categories = sorted(counts, key=lambda v: (-counts[v], v))
    title = None
    if "title" in catalog.fields and len(catalog.items):
        first = catalog.items.index[0]
        if categories and field is not None:
            has = catalog.items[field].map(lambda vs: categories[0] in [str(v) for v in (vs or ())])
            first = catalog.items.index[has.to_numpy().argmax()]
        title = str(catalog.items.at[first, "title"])
    if len(categories) >= 2:
        example = f"a {categories[0].lower()} {noun}, but no {categories[1].lower()}"
    elif categories:
        example = f"a {categories[0].lower()} {noun}"
    else:
        example = f"something like {title}" if title else f"a good {noun}"
    return {"noun": noun, "category_field": field, "categories": categories[:limit], "items": len(catalog),
            "example_title": title, "example_request": example}


@browse_router.get("/users", response_model=UserList, dependencies=[Depends(key_access)],
                   responses=error_responses(401))  # fmt: skip
def find_users(
    request: Request,
    prefix: str = Query("", max_length=200, description="Ids that start with this text (as written)."),
    limit: int = Query(20, ge=1, le=200, description="Most ids returned."),
) -> dict[str, Any]:
    """User ids starting with `prefix` (the playground's user search)."""
    pipe, _ = _holder(request).live()
    ids = pipe.generator.users.ids
    matching = [_plain(u) for u in ids if str(u).startswith(prefix)] if prefix else [_plain(u) for u in ids]
    return {"users": matching[:limit], "total": len(matching)}


@browse_router.get("/users/{user_id:path}", response_model=UserHistory, dependencies=[Depends(key_access)],
                   responses=error_responses(401, 404))  # fmt: skip
def user_history(
    user_id: str, request: Request, limit: int = Query(20, ge=1, le=200, description="Most items returned.")
) -> dict[str, Any]:
    """A user's most recent items (newest first) with their catalog text; 404 for an unknown user."""
    pipe, _ = _holder(request).live()
    external, internal = _internal(pipe, "user", user_id)
    history: list[int] = list(pipe.reranker.histories.get(internal, []))
    recent = [int(i) for i in history[::-1][:limit]]
    return {"user_id": external, "total": len(history), "items": [_item_info(pipe, i) for i in recent]}


@browse_router.get("/items/{item_id:path}", response_model=ItemInfo, responses=error_responses(404))
def item_info(item_id: str, request: Request) -> dict[str, Any]:
    """One item's catalog text and fields; 404 for an unknown item."""
    pipe, _ = _holder(request).live()
    return _item_info(pipe, _internal(pipe, "item", item_id)[1])
