"""The read-only lookups (find a user, a user's history, an item), the offline API docs and the
playground's static page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hybrid_rec.serve import ServeConfig, create_app

KEY = {"X-API-Key": "s3cret"}


@pytest.fixture(scope="module")
def model(tiny_models):
    return tiny_models()


@pytest.fixture(scope="module")
def client(model):
    return TestClient(create_app(model.path, ServeConfig(api_key="s3cret", ui=True)), raise_server_exceptions=False)


def test_find_users_by_prefix_needs_the_key(client, model):
    assert client.get("/users", params={"prefix": "u1"}).status_code == 401
    found = client.get("/users", params={"prefix": "u1", "limit": 3}, headers=KEY).json()
    every = [str(u) for u in model.data.interactions.users.ids]
    assert found["total"] == sum(u.startswith("u1") for u in every) and len(found["users"]) == 3
    assert all(str(u).startswith("u1") for u in found["users"])


def test_a_users_history_is_newest_first_with_catalog_text(client, model):
    assert client.get("/users/u3").status_code == 401
    body = client.get("/users/u3", params={"limit": 5}, headers=KEY).json()
    rows = model.rows.subset(model.rows.user == model.rows.users.to_internal(["u3"])[0])
    order = rows.item[sorted(range(len(rows)), key=lambda r: (rows.timestamp[r], r))]
    newest = [str(i) for i in rows.items.to_external(order[::-1][:5])]
    assert body["user_id"] == "u3" and body["total"] == len(rows)
    assert [i["item_id"] for i in body["items"]] == newest
    first = body["items"][0]
    assert first["text"] == model.data.catalog.describe(first["item_id"])
    assert first["categories"] == list(model.data.catalog.item(first["item_id"])["genres"])


def test_unknown_ids_are_404_with_the_message(client):
    response = client.get("/users/nobody", headers=KEY)
    assert response.status_code == 404 and response.json()["detail"] == "unknown user id 'nobody'"
    assert client.get("/items/nothing").status_code == 404


def test_an_item_lookup_needs_no_key(client, model):
    body = client.get("/items/i4").json()
    assert body["text"] == model.data.catalog.describe("i4") and body["fields"]["year"] == model.data.catalog.item("i4")["year"]


def test_the_docs_load_their_assets_from_this_server(client):
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(s.startswith("/") for s in sources), sources  # nothing from a CDN
        for src in sources:
            if src != "/openapi.json":
                assert client.get(src).status_code == 200, src
    assert "fonts.googleapis" not in client.get("/redoc").text
    for page in ("/docs", "/redoc", "/ui/", "/ui/app.js"):  # the browser may fetch from this server only
        policy = client.get(page).headers["content-security-policy"]
        assert "default-src 'self'" in policy and "http" not in policy and "frame-ancestors 'none'" in policy
    assert "content-security-policy" not in client.get("/health").headers  # the API itself is left as it was


def test_the_playground_is_served_only_when_asked(client, model):
    page = client.get("/ui/")
    assert page.status_code == 200 and "hybrid_rec playground" in page.text
    assert client.get("/ui/app.js").status_code == 200 and client.get("/ui/style.css").status_code == 200
    assert not re.search(r'(?:src|href)="https?://', page.text)
    plain = TestClient(create_app(model.path, ServeConfig()), raise_server_exceptions=False)
    assert plain.get("/ui/").status_code == 404


def test_the_catalog_summary_speaks_the_catalogs_words(client, model):
    """GET /catalog (no key): the noun, the category field, its categories most items first and an example request
    in them, so that the playground's hints fit any catalog (not comedies and horror on a bookshop)."""
    body = client.get("/catalog", params={"limit": 3}).json()
    catalog = model.data.catalog
    counts = catalog.items["genres"].explode().value_counts()
    assert body["noun"] == (catalog.noun or "item") and body["category_field"] == "genres"
    assert body["items"] == len(catalog) and len(body["categories"]) == 3
    assert [counts[c] for c in body["categories"]] == sorted(counts.to_list(), reverse=True)[:3]
    first, second = body["categories"][:2]
    assert body["example_request"] == f"a {first.lower()} {body['noun']}, but no {second.lower()}"
    assert first in catalog.items.loc[catalog.items["title"] == body["example_title"], "genres"].iloc[0]
    page = client.get("/ui/app.js").text
    assert "/catalog" in page and "funny" not in client.get("/ui/").text


def test_the_docs_example_request_is_in_the_catalogs_words(client):
    """/docs shows an example request drawn from the served catalog (GET /catalog's), not a film's on every catalog."""
    example = client.get("/catalog").json()["example_request"]
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["RecommendRequest"]["properties"]["request"]["examples"] == [example]
    assert schemas["RerankRequest"]["properties"]["request"]["examples"] == [example]
