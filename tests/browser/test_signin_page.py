"""Signing in with a real Chromium: the page works under its Content-Security-Policy.

A server of its own (gunicorn, two workers) over a copy of the demo store with users. The
page's ``securitypolicyviolation`` events are recorded from the first script on, and the
shared ``page_errors`` check fails the test on any console error (a CSP violation is one).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from engine.demo import SELLER_NAMES
from tests.browser.conftest import serving, watch_errors
from tests.conftest import store_with_users

pytestmark = pytest.mark.browser

PW = "correct horse battery"
SELLER = "S-0003"
CM_CATEGORY = "Toys & Games"
OFFER_ROWS = "#offers-grid .ag-center-cols-container .ag-row"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="module")
def signin_url(demo_store, tmp_path_factory):
    users = [("alice", "seller", SELLER, ()), ("carol", "category_manager", None, (CM_CATEGORY,))]
    path = store_with_users(demo_store, tmp_path_factory.mktemp("signin-browser") / "s", PW, users)
    log = tmp_path_factory.mktemp("signin-browser-log") / "server.log"
    env = {"VOC_SECRET_KEY": "b" * 48}
    with serving(path, log, env=env, args=("--workers", "2")) as url:
        yield url


@pytest.fixture
def fresh_page(browser, signin_url, page_errors):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=signin_url)
    context.set_default_timeout(45_000)
    context.add_init_script(RECORD_VIOLATIONS)
    pg = context.new_page()
    watch_errors(pg, page_errors)
    yield pg
    violations = pg.evaluate("window.__cspViolations || []")
    context.close()
    assert violations == []
    errors = page_errors.all()
    if errors:
        pytest.fail("errors in the browser:\n" + "\n".join(errors), pytrace=False)


def test_a_seller_signs_in_uses_the_page_and_signs_out(fresh_page):
    page = fresh_page
    page.goto("/")
    assert "/login" in page.url  # every route sends a stranger to the sign-in page
    page.fill("#username", "alice")
    page.fill("#password", "wrong password!")
    page.click("button[type=submit]")
    expect(page.locator(".alert-danger")).to_contain_text("Wrong user name or password")
    page.fill("#username", "alice")
    page.fill("#password", PW)
    sizes: list[int] = []
    page.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"]))
    page.click("button[type=submit]")
    expect(page.locator(".signed-in")).to_have_text("Signed in as alice")
    expect(page.locator(OFFER_ROWS).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    # the first page load, compressed as sent (gzip): scripts, styles, layout, data
    assert len(sizes) > 10 and 200_000 < sum(sizes) <= 3 * 1024 * 1024, sum(sizes)
    # the page names no other seller (the demo's featured seller is one of them)
    expect(page.locator("#view-as")).to_contain_text(SELLER_NAMES[SELLER])
    assert "Northwind Home" not in page.content() and "S-DEMO" not in page.content()
    page.locator(f"{OFFER_ROWS} .ag-cell").first.click()
    expect(page.locator("#offer-explanation")).not_to_be_empty()
    expect(page.locator("#offer-trend .js-plotly-plot")).to_be_visible()
    page.click("text=Sign out")
    expect(page.locator("#username")).to_be_visible()
    page.goto("/")
    assert "/login" in page.url


def test_a_category_manager_sees_only_their_category(fresh_page):
    page = fresh_page
    page.goto("/")
    page.fill("#username", "carol")
    page.fill("#password", PW)
    page.click("button[type=submit]")
    expect(page.locator(".signed-in")).to_have_text("Signed in as carol")
    expect(page.locator(OFFER_ROWS).first).to_be_visible()
    expect(page.locator("#import-open")).to_be_hidden()  # sellers import their reports
    expect(page.locator("#view-as")).to_contain_text("Category manager")
