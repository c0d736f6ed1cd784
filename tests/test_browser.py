"""The playground, the offline API docs and the HTML report in a real browser: headless Chromium
from the system packages (Debian's ``chromium``), driven by Playwright, against a served tiny model.

Skipped where no Chromium is installed, unless ``HYBRID_REC_REQUIRE_BROWSER=1`` (set by `.ci/run`,
which installs it): there a missing browser fails. Every request the pages make that is not to the
local server is refused and counted: the pages must work with the network unplugged. Screenshots
go to ``$HYBRID_REC_SCREENSHOTS`` (the README's pictures) or the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from hybrid_rec.serve import ServeConfig, create_app

CHROMIUM = os.environ.get("HYBRID_REC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
KEY = "s3cret"

if not Path(CHROMIUM).exists():
    if os.environ.get("HYBRID_REC_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tiny_models) -> Iterator[str]:
    """The tiny model served with the playground and an API key, on a free loopback port."""
    import uvicorn

    port = _free_port()
    app = create_app(tiny_models().path, ServeConfig(api_key=KEY, ui=True))
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not served.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def outside() -> list[str]:
    return []


@pytest.fixture(scope="module")
def page(server, outside):
    """One browser page; requests to anything but the local server are aborted and recorded."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 1366, "height": 900})

        def route(r):
            url = r.request.url
            if urlparse(url).hostname in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:", "file:")):
                r.continue_()
            else:
                outside.append(url)
                r.abort()

        context.route("**/*", route)
        yield context.new_page()
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("HYBRID_REC_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_playground_recommends_explains_takes_feedback_and_reranks(page, server, outside, shots, tiny_models):
    catalog = tiny_models().data.catalog
    page.goto(f"{server}/ui/")
    page.fill("#api-key", KEY)
    page.click("#key-form button")
    page.fill("#user-id", "u3")
    page.click("#user-form button")
    sync_api.expect(page.locator("#history li").first).to_be_visible()
    rows = tiny_models().rows
    n_rows = int((rows.user == rows.users.to_internal(["u3"])[0]).sum())
    assert page.locator("#history li").count() == min(15, n_rows)  # the 15 most recent
    sync_api.expect(page.locator("#history-summary")).to_contain_text(f"{n_rows} items")

    page.fill("#k", "5")
    page.fill("#request", "comedy please")
    page.press("#request", "Enter")  # the keyboard alone: Enter in the request field asks
    items = page.locator("#recs > li")
    sync_api.expect(items).to_have_count(5)
    sync_api.expect(page.locator("#reading")).to_contain_text("comedy")
    first_round = [items.nth(i).get_attribute("data-item-id") for i in range(5)]
    for r in range(5):
        assert items.nth(r).locator(".why").inner_text().startswith("Why: ")
        assert items.nth(r).locator(".title").inner_text() == catalog.describe(first_round[r])

    items.nth(0).locator("button[data-kind=clicked]").click()
    items.nth(1).locator("button[data-kind=rejected]").click()
    assert items.nth(0).locator("button[data-kind=clicked]").get_attribute("aria-pressed") == "true"
    page.click("#next-round")
    sync_api.expect(page.locator("#round-info")).to_contain_text("Round 2")
    second_round = [items.nth(i).get_attribute("data-item-id") for i in range(items.count())]
    assert second_round and not set(second_round) & set(first_round)  # a conversation never repeats

    seen = {str(i) for i in rows.items.ids[rows.item[rows.user == rows.users.to_internal(["u3"])[0]]]}
    given = ["i1", "i2", "i9", next(f"i{n}" for n in range(3, 40) if f"i{n}" in seen and n != 9), "nope"]
    page.fill("#rerank-ids", ", ".join(given[:2]) + "\n" + ", ".join(given[2:]))
    page.click("#rerank-form button")
    sync_api.expect(page.locator("#rerank-left")).to_contain_text("nope (not in the model)")
    reranked = page.locator("#reranked > li")
    shown = {reranked.nth(i).get_attribute("data-item-id") for i in range(reranked.count())}
    left = page.locator("#rerank-left").inner_text()
    assert given[3] not in shown and f"{given[3]} (already has it)" in left  # what u3 already has: left out, said so
    assert all((i in shown) != (f"{i} (already has it)" in left) for i in given[:4])

    page.fill("#item-id", "i4")
    page.click("#item-form button")
    sync_api.expect(page.locator("#item-info")).to_contain_text(catalog.describe("i4"))
    page.screenshot(path=str(shots / "playground.png"), full_page=True)
    assert not outside, outside


def test_the_playground_shows_the_apis_one_line_errors(page, server):
    page.goto(f"{server}/ui/")
    page.fill("#api-key", "wrong")
    page.click("#key-form button")
    page.fill("#user-id", "u3")
    page.click("#user-form button")
    sync_api.expect(page.locator("#error")).to_have_text("401: missing or wrong X-API-Key header")
    page.fill("#api-key", KEY)
    page.click("#key-form button")
    page.fill("#user-id", "nobody")
    page.click("#rec-form button")
    sync_api.expect(page.locator("#error")).to_contain_text("404: unknown user id(s) 'nobody'")


def test_the_api_docs_render_their_operations_offline(page, server, outside):
    page.goto(f"{server}/docs")
    sync_api.expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/recommend" in paths and "/conversations/{conversation_id}/next" in [p.replace("\u200b", "") for p in paths]
    page.goto(f"{server}/redoc")
    sync_api.expect(page.get_by_text("/recommend", exact=False).first).to_be_attached(timeout=30_000)
    assert not outside, outside


def test_the_html_report_shows_its_tables_plots_and_users(page, outside, shots, tmp_path):
    from hybrid_rec.evaluate.compare import CompareConfig, run_compare
    from tests.evaluate.test_compare import SMALL

    report = run_compare(CompareConfig.from_dict(SMALL), tmp_path, progress=False)
    page.goto((tmp_path / "report.html").as_uri())
    rows = page.locator("table").first.locator("tbody tr")
    sync_api.expect(rows).to_have_count(len(report["methods"]))
    assert rows.first.locator("td").first.inner_text() == next(iter(report["methods"]))
    images = page.locator("img")
    assert images.count() >= 1
    for i in range(images.count()):  # every plot decoded and laid out, not only present in the HTML
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0 && img.clientWidth > 0")
    assert page.locator(".hit").count() >= 1  # the per-user view marks hits
    page.screenshot(path=str(shots / "report.png"), full_page=False)
    page.locator("section.user:has(td.hit)").first.screenshot(path=str(shots / "report-user.png"))
    assert not outside, outside
