"""Imports while the page is served (issue: a store that stays live), in a real Chromium.

The app is served against its own copy of the demo store (imports change it); the server
keeps running throughout. Expected numbers come from the engine over the store's live
generation after each import, never from the page.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from engine.generations import Store
from engine.health import Viewer
from engine.service import VocService
from tests.browser.conftest import (
    CAPTURE_CSS,
    ROOT,
    SCREENSHOTS,
    TIMEOUT_MS,
    PageErrors,
    serving,
    watch_errors,
)
from tests.browser.test_page import tile

pytestmark = pytest.mark.browser

FIXTURES = ROOT / "tests" / "fixtures" / "amazon"
REPORTS = [
    "All-Orders-by-order-date.txt",
    "FBA-Customer-Returns.txt",
    "MFN-Returns.txt",
    "Settlement-V2.txt.gz",
    "FBA-Replacements.txt",
    "Seller-Feedback.txt",
    "catalogue.csv",
]
TILES = ("excellent", "good", "fair", "poor", "very_poor", "insufficient_feedback")


@pytest.fixture(scope="module")
def live_store(demo_store, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("live") / "store"
    shutil.copytree(demo_store, copy, ignore=shutil.ignore_patterns("*.lock", "jobs", "uploads"))
    return copy


@pytest.fixture(scope="module")
def live_url(live_store, tmp_path_factory) -> str:
    with serving(live_store, tmp_path_factory.mktemp("live-server") / "server.log") as url:
        yield url


@pytest.fixture
def page(browser, live_url):
    """A fresh 1280x800 page of the live server; fails the test on browser errors."""
    errors = PageErrors()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_url)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    watch_errors(pg, errors)
    yield pg
    with contextlib.suppress(PlaywrightError):
        pg.wait_for_load_state("networkidle", timeout=5_000)
    context.close()
    if errors.all():
        pytest.fail("errors in the browser:\n" + "\n".join(errors.all()), pytrace=False)


def shot(pg, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, style=CAPTURE_CSS)


def engine_counts(store: Path, seller: str) -> dict[str, int]:
    service = VocService.open(store)
    try:
        return service.tile_counts(Viewer("seller", seller), service.latest_day(), 90)
    finally:
        service.close()


def tile_count(pg, level: str):
    return tile(pg, level).locator(".tile-count")


def open_page(pg, query: str = "") -> None:
    pg.goto("/" + query)
    expect(pg.locator("#offers-grid .ag-center-cols-container .ag-row").first).to_be_visible()


def test_reports_dropped_on_the_page_are_imported_while_it_is_served(page, live_store):
    before = Store(live_store).generation()
    open_page(page)
    page.click("#import-open")
    page.fill("#import-seller", "A1SELLER")
    page.set_input_files("#import-upload input[type=file]", [str(FIXTURES / n) for n in REPORTS])
    status = page.locator("#import-status")
    expect(status).to_contain_text("Import finished: the page now shows the new data.")
    expect(status).to_contain_text("All-Orders-by-order-date.txt: All Orders report, 10 rows")
    expect(status).to_contain_text("Settlement-V2.txt.gz: settlement report (V2), 8 rows")
    expect(status).to_contain_text(
        "Seller-Feedback.txt: 1 row with seller feedback for an order that is not in the store"
    )
    expect(page.locator("#import-progress")).to_contain_text("done")
    shot(page, "20-import-summary")
    assert Store(live_store).generation() == before + 1
    expected = engine_counts(live_store, "A1SELLER")
    shown = sum(expected.values()) - expected["action_required"] - expected["at_risk"]
    assert shown == 4  # the fixtures' 4 SKUs

    page.click("text=Show seller A1SELLER")
    page.keyboard.press("Escape")
    expect(page.locator("#offers-grid-count")).to_have_text("4 offers match")
    for level in TILES:
        expect(tile_count(page, level)).to_have_text(f"{expected[level]:,}")
    expect(page.locator("#offers-grid")).to_contain_text("Stoneware mug, blue, 350 ml")
    # LAMP-01 is in the orders report but not in the catalogue
    expect(page.locator("#peer-notes")).to_contain_text("1 offer has no category yet")
    shot(page, "21-imported-seller")


def test_a_failed_upload_names_the_problem_and_changes_nothing(page, live_store, tmp_path):
    before = Store(live_store).generation()
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    open_page(page)
    page.click("#import-open")
    page.set_input_files(
        "#import-upload input[type=file]", [str(FIXTURES / "MFN-Returns.txt"), str(binary)]
    )
    status = page.locator("#import-status")
    expect(status).to_contain_text("The import failed; the store is unchanged.")
    expect(status).to_contain_text("photo.txt")
    expect(status).to_contain_text("binary data")
    shot(page, "22-import-failed")
    assert Store(live_store).generation() == before


def _new_offer_files(folder: Path, day: date) -> list[Path]:
    offers = folder / "new-offer.csv"
    offers.write_text(
        "seller_id,sku,asin,title,category,subcategory,price,fulfilment,created_at\n"
        f"S-DEMO,NW-NEW-001,B0NEW00001,Brand-new reading lamp,Home & Kitchen,Lamps,34.00,FBA,"
        f"{(day - timedelta(days=80)).isoformat()}\n",
        encoding="utf-8",
    )
    orders = folder / "new-orders.csv"
    rows = ["order_id,seller_id,sku,purchase_date,quantity,status"]
    rows += [
        f"702-9{i:06d}-0000001,S-DEMO,NW-NEW-001,{(day - timedelta(days=i)).isoformat()}T12:00:00Z,1,shipped"
        for i in range(30)
    ]
    orders.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return [offers, orders]


def test_a_command_line_import_shows_on_the_open_pages_next_click(page, live_store, tmp_path):
    open_page(page)
    search = page.locator("#filter-search")
    search.fill("NW-NEW-001")
    search.press("Enter")
    expect(page.locator("#offers-grid-count")).to_have_text("No offers match these filters")

    service = VocService.open(live_store)
    day = service.latest_day()
    service.close()
    files = _new_offer_files(tmp_path, day)
    result = subprocess.run(
        [sys.executable, "app.py", "--store", str(live_store), "import", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"orders\s+30: 30 new", result.stdout), result.stdout

    # the next interaction of the page that was open all along sees the new data
    search.fill("NW-NEW")
    search.press("Enter")
    expect(page.locator("#offers-grid-count")).to_have_text("1 offer matches")
    expect(page.locator("#offers-grid")).to_contain_text("Brand-new reading lamp")
    expected = engine_counts(live_store, "S-DEMO")
    page.locator("#filter-clear").click()
    for level in TILES:
        expect(tile_count(page, level)).to_have_text(f"{expected[level]:,}")
    shot(page, "23-cli-import-seen")
