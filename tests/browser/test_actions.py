"""Recording seller actions on the page (real Chromium): the action appears on the trend and
in the offer detail with its verdict; two tabs saving at once both keep theirs.

These tests write actions, so they serve a private copy of the demo store (the session's
shared server and store stay as the other tests expect them).
"""

from __future__ import annotations

import contextlib
import shutil
from datetime import timedelta
from urllib.parse import quote

import polars as pl
import pytest
from playwright.sync_api import expect

from engine.app_state import AppState
from engine.health import Viewer
from engine.service import VocService
from tests.browser.conftest import TIMEOUT_MS, PageErrors, serving, watch_errors

pytestmark = pytest.mark.browser

SELLER = "S-DEMO"
SKU = "NW-PIL-030"  # an offer of the demo seller with no recorded action
NOTE = "<b>new box</b> & <img src=x onerror=alert(1)>"
ESCAPED = "&lt;b&gt;new box&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture(scope="module")
def action_store(demo_store, tmp_path_factory):
    target = tmp_path_factory.mktemp("actions") / "store"
    shutil.copytree(demo_store, target, ignore=shutil.ignore_patterns("app_state.sqlite*"))
    return target


@pytest.fixture(scope="module")
def action_server(action_store, tmp_path_factory):
    with serving(action_store, tmp_path_factory.mktemp("actions-server") / "server.log") as url:
        yield url


@pytest.fixture
def tab(browser, action_server):
    """new_tab() -> a page in a fresh browser context (a separate tab/session); the test
    fails if any of them logged a console error or threw."""
    opened = []

    def new_tab():
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, base_url=action_server
        )
        context.set_default_timeout(TIMEOUT_MS)
        errors = PageErrors()
        pg = context.new_page()
        watch_errors(pg, errors)
        opened.append((context, pg, errors))
        return pg

    yield new_tab
    problems = []
    for context, pg, errors in opened:
        with contextlib.suppress(Exception):
            pg.wait_for_load_state("networkidle", timeout=5_000)
        problems += errors.all()
        context.close()
    if problems:
        pytest.fail("errors in the browser:\n" + "\n".join(problems), pytrace=False)


def open_offer(pg, sku: str = SKU) -> None:
    pg.goto("/?offer=" + quote(f"{SELLER}|{sku}", safe=""))
    expect(pg.locator("#offer-detail-title")).to_contain_text(f"SKU {sku}")
    expect(pg.locator("#offer-trend .scatterlayer .trace").first).to_be_attached()
    expect(pg.locator("#action-date")).not_to_have_value("")


def action_markers(pg) -> list[dict]:
    """The trend's 'Seller actions' trace: x and hover text of each marker."""
    return pg.evaluate(
        """() => {
            const el = document.querySelector('#offer-trend .js-plotly-plot');
            const t = (el && el.data || []).find(t => t.name === 'Seller actions');
            return t ? t.x.map((x, i) => ({x, hover: t.customdata[i]})) : [];
        }"""
    )


def test_record_an_action_and_see_it_on_the_trend_with_its_verdict(tab, action_store, shot_dir):
    pg = tab()
    open_offer(pg)
    svc = VocService.open(action_store)
    try:
        day = svc.latest_day()
        expect(pg.locator("#action-date")).to_have_value(day.isoformat())  # the as-of day
        assert action_markers(pg) == []
        when = day - timedelta(days=120)
        pg.select_option("#action-kind", "changed_packaging")
        pg.fill("#action-date", when.isoformat())
        pg.fill("#action-note", NOTE)
        pg.click("#action-save")
        expect(pg.locator("#action-feedback")).to_contain_text("Saved")
        expect(pg.locator("#action-note")).to_have_value("")
        # the detail shows it without a reload: table row and trend marker
        row = pg.locator("#offer-actions tr.action-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Changed packaging")
        expect(row.locator("td").nth(2)).to_have_text(NOTE)  # shown as text
        recorded = svc.actions(Viewer("seller", SELLER), day, 90, SELLER, SKU)
    finally:
        svc.close()
    assert recorded.height == 1 and recorded["source"].item() == "page"
    expected = recorded.row(0, named=True)
    words = {"improved": "Improved", "no_clear_change": "No clear change", "worse": "Worse",
             "not_enough_data": "Not enough data yet"}  # fmt: skip
    expect(row).to_have_attribute("data-verdict", expected["verdict"])
    expect(row.locator("td").nth(5)).to_contain_text(words[expected["verdict"]])
    k, n = expected["before_ncx_orders"], expected["before_orders"]
    expect(row.locator("td").nth(3)).to_contain_text(f"{k:,} of {n:,}")
    pg.wait_for_function(
        """() => {
            const el = document.querySelector('#offer-trend .js-plotly-plot');
            return (el && el.data || []).some(t => t.name === 'Seller actions');
        }"""
    )
    (marker,) = action_markers(pg)
    assert marker["x"].startswith(when.isoformat())
    assert "Changed packaging" in marker["hover"] and words[expected["verdict"]] in marker["hover"]
    assert ESCAPED in marker["hover"] and "<b>" not in marker["hover"]
    assert pg.locator("#offer-trend img").count() == 0  # no markup became an element
    pg.screenshot(path=str(shot_dir / "actions-01-recorded-on-the-trend.png"), full_page=True)


def test_a_bad_day_is_refused_with_a_message(tab, action_store):
    pg = tab()
    open_offer(pg)
    before = len(AppState.beside(action_store).actions())
    pg.fill("#action-date", "2019-01-01")
    pg.click("#action-save")
    expect(pg.locator("#action-feedback")).to_contain_text("Not saved: 2019-01-01 is before")
    pg.fill("#action-note", "x" * 400)
    pg.fill("#action-date", "")
    pg.click("#action-save")
    expect(pg.locator("#action-feedback")).to_contain_text("Not saved: ")
    assert len(AppState.beside(action_store).actions()) == before  # nothing was written


def test_two_tabs_saving_at_once_both_keep_theirs(tab, action_store):
    sku = "NW-PIL-114"  # has one imported action already
    first, second = tab(), tab()
    for pg, note in ((first, "from tab one"), (second, "from tab two")):
        open_offer(pg, sku)
        pg.fill("#action-note", note)
    # both requests in flight together: click both, then wait for both
    first.click("#action-save", no_wait_after=True)
    second.click("#action-save", no_wait_after=True)
    for pg in (first, second):
        expect(pg.locator("#action-feedback")).to_contain_text("Saved")
    expect(second.locator("#offer-actions")).to_contain_text("from tab two")
    first.reload()
    expect(first.locator("#offer-actions tr.action-row")).to_have_count(3)
    for note in ("from tab one", "from tab two"):
        expect(first.locator("#offer-actions")).to_contain_text(note)
    stored = AppState.beside(action_store).actions(seller_id=SELLER, sku=sku)
    assert sorted(stored.filter(pl.col("source") == "page")["note"]) == [
        "from tab one",
        "from tab two",
    ]


@pytest.fixture
def shot_dir():
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
