"""The defects a close look at the page found, each as it shows in a real Chromium, at
1280x800 and (where the defect is about width) at 1024 px; and the downloads a report is
made from. Expected values come from the engine, never from the page.
"""

from __future__ import annotations

import csv
import io
import re
import time
from urllib.parse import parse_qs, quote, urlparse

import openpyxl
import pytest
from playwright.sync_api import expect

from engine.exports import is_formula_like
from engine.health import Viewer
from engine.service import GridQuery
from layouts.ids import ID
from tests.browser.conftest import CAPTURE_CSS, SCREENSHOTS
from tests.browser.test_page import (
    COMMENT_ROWS,
    DEMO,
    OFFER_ROWS,
    PINNED_ROWS,
    collect_offer_rows,
    comment_data,
    expect_rows_shown,
    open_page,
    plotly_data,
    settle,
    tile,
    wait_for_grid_count,
)

pytestmark = pytest.mark.browser

SELLER = Viewer("seller", DEMO)
CM = Viewer("category_manager")


def grid_api(page, script: str, arg=None):
    """Run ``script`` (a function of the offers grid's API) in the page."""
    return page.evaluate(
        f"arg => dash_ag_grid.getApiAsync('offers-grid').then(api => ({script})(api, arg))", arg
    )


def selected_keys(page) -> list[str]:
    return grid_api(page, "api => api.getSelectedNodes().map(n => n.id)")


def query_of(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def sized(browser_context, width: int):
    """A page of the session's context at ``width`` x 800."""
    pg = browser_context.new_page()
    pg.set_viewport_size({"width": width, "height": 800})
    return pg


# --- 1. links keep every filter, the sort and the selection -----------------------------


def test_a_link_keeps_subcategory_sort_window_day_and_selection_on_reload_and_in_a_new_tab(
    page, shot, service, demo_day, browser_context
):
    day = demo_day.replace(day=1)
    query = GridQuery(categories=("Home & Kitchen",), subcategories=("Bedding",))
    expected = service.grid(SELLER, day, 30, query)
    assert 1 < expected.height < service.grid(SELLER, day, 30, GridQuery()).height
    by_rate = expected.sort(["ncx_rate", "sku"], descending=[False, False], nulls_last=True)
    pick = by_rate.row(by_rate.height - 1, named=True)  # the last row, not the first
    key = f"{DEMO}|{pick['sku']}"
    link = (
        f"?as_of={day}&window=30&category={quote('Home & Kitchen')}&subcategory=Bedding"
        f"&sort=ncx_rate:asc&offer={quote(key, safe='')}"
    )

    def check(pg) -> None:
        wait_for_grid_count(pg, expected.height)
        expect(pg.locator(f"#{ID.F_SUBCATEGORY}")).to_contain_text("Bedding")
        expect(pg.locator(f"#{ID.AS_OF}")).to_have_value(day.isoformat())
        expect(pg.locator(f"#{ID.WINDOW}")).to_contain_text("30 days")
        expect(pg.locator(f"#{ID.GRID_TITLE}")).to_have_text("Offers by NCX rate, lowest first")
        header = pg.locator('#offers-grid .ag-header-cell[col-id="ncx_rate"]')
        expect(header).to_have_attribute("aria-sort", "ascending")
        # the selected row is shown and highlighted, wherever it sits in the sort
        row = pg.locator(f'{OFFER_ROWS}[row-id="{key}"]')
        expect(row).to_have_class(re.compile(r"\bag-row-selected\b"))
        expect(row).to_be_in_viewport()
        expect(pg.locator("#offer-detail-title")).to_contain_text(f"SKU {pick['sku']}")
        rows = collect_offer_rows(pg, expected.height, ("sku", "ncx_rate"))
        rates = [cells["ncx_rate"] for cells in rows.values()]
        assert set(rows) == {f"{DEMO}|{s}" for s in expected["sku"]}
        known = [r for r in rates if r is not None]
        assert known == sorted(known), rates  # lowest first, as the link says
        q = query_of(pg)
        assert (q["subcategory"], q["sort"], q["window"], q["as_of"]) == (
            "Bedding", "ncx_rate:asc", "30", day.isoformat()
        )  # fmt: skip

    open_page(page, link)
    check(page)
    shot("30-link-keeps-subcategory-sort-selection")
    page.reload()
    expect(page.locator(OFFER_ROWS).first).to_be_visible()
    check(page)
    other = browser_context.new_page()
    try:
        other.goto(page.url)
        check(other)
    finally:
        other.close()


def test_a_sort_chosen_on_a_header_goes_into_the_address(page, service, demo_day):
    open_page(page)
    page.locator('#offers-grid .ag-header-cell[col-id="orders"] .ag-header-cell-label').click()
    expect(page).to_have_url(re.compile(r"[?&]sort=orders%3Aasc(&|$)"))
    expect(page.locator(f"#{ID.GRID_TITLE}")).to_have_text("Offers by NCX / orders, lowest first")
    fewest = service.grid(SELLER, demo_day, 90, GridQuery(sort_by="orders", descending=False))
    expect(page.locator(f'{PINNED_ROWS}[row-index="0"]')).to_have_attribute(
        "row-id", f"{DEMO}|{fewest['sku'][0]}"
    )
    page.reload()
    expect(page.locator(f'{PINNED_ROWS}[row-index="0"]')).to_have_attribute(
        "row-id", f"{DEMO}|{fewest['sku'][0]}"
    )


# --- 3. the decision columns fit ---------------------------------------------------------

DECISION_COLUMNS = ("health_rank", "ncx_rate", "orders", "peer_rate", "x_peers",
                    "top_ncx_reason", "action", "status")  # fmt: skip


def visible_columns(page, grid: str) -> list[str]:
    """colIds of the header cells wholly inside the grid's viewport, without scrolling."""
    return page.evaluate(
        """grid => {
            const root = document.querySelector('#' + grid + ' .ag-root-wrapper').getBoundingClientRect();
            return [...document.querySelectorAll('#' + grid + ' .ag-header-cell')]
                .filter(c => { const b = c.getBoundingClientRect();
                               return b.width > 0 && b.left >= root.left - 1 && b.right <= root.right + 1; })
                .map(c => c.getAttribute('col-id'));
        }""",
        grid,
    )


def test_at_1280_a_sellers_decision_columns_fit_and_the_product_is_pinned(page, shot):
    open_page(page)
    shown = visible_columns(page, "offers-grid")
    assert set(DECISION_COLUMNS) <= set(shown), shown
    assert page.locator('#offers-grid .ag-pinned-left-header [col-id="title"]').count() == 1
    # scrolled to the far right, the product is still there
    grid_api(page, "api => api.ensureColumnVisible('closed_at')")
    expect(page.locator(f'{PINNED_ROWS} [col-id="title"]').first).to_be_visible()
    expect(page.locator('#offers-grid .ag-header-cell[col-id="closed_at"]')).to_be_in_viewport()
    open_page(page, "?offer=" + quote(page.locator(PINNED_ROWS).first.get_attribute("row-id")))
    expect_rows_shown(page, "comments-grid")
    assert "counted" in visible_columns(page, "comments-grid")
    assert "comment" in visible_columns(page, "comments-grid")
    shot("31-decision-columns-at-1280")


def test_at_1024_a_category_manager_sees_the_ncx_rate_and_comments_counted(browser_context):
    pg = sized(browser_context, 1024)
    try:
        open_page(pg, "?view=cm")
        shown = visible_columns(pg, "offers-grid")
        assert {"seller_id", "health_rank", "ncx_rate"} <= set(shown), shown
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        pg.locator(PINNED_ROWS).first.locator('[col-id="title"]').click()
        expect_rows_shown(pg, "comments-grid")
        assert {"counted", "comment"} <= set(visible_columns(pg, "comments-grid"))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENSHOTS / "35-category-manager-at-1024.png"), full_page=True,
                      style=CAPTURE_CSS)  # fmt: skip
    finally:
        pg.close()


# --- 4. filters and downloads say what the screen says ----------------------------------


def test_the_ncx_rate_filter_takes_a_percentage(page, service, demo_day):
    expected = service.grid(
        SELLER, demo_day, 90, GridQuery(column_filters=(("ncx_rate", "greaterThan", "5"),))
    )
    everyone = service.grid(SELLER, demo_day, 90, GridQuery())
    assert 0 < expected.height < everyone.height  # the filter narrows the grid
    assert all(r > 0.05 for r in expected["ncx_rate"])
    open_page(page)
    grid_api(
        page,
        "api => api.setFilterModel({ncx_rate: {filterType: 'number', type: 'greaterThan', filter: 5}})",
    )
    wait_for_grid_count(page, expected.height)
    rows = collect_offer_rows(page, expected.height, ("sku", "ncx_rate"))
    assert set(rows) == {f"{DEMO}|{s}" for s in expected["sku"]}
    assert all(cells["ncx_rate"] > 0.05 for cells in rows.values())


def download(page, link_id: str):
    with page.expect_download() as info:
        page.click(f"#{link_id}")
    return info.value


def test_csv_and_excel_downloads_hold_the_grids_rows_order_and_words(page, tmp_path, demo_counts):
    open_page(page, "?health=poor,very_poor")
    n = demo_counts["poor"] + demo_counts["very_poor"]
    wait_for_grid_count(page, n)
    page.locator('#offers-grid .ag-header-cell[col-id="x_peers"] .ag-header-cell-label').click()
    expect(page).to_have_url(re.compile(r"sort=x_peers%3Aasc"))
    page.wait_for_function(
        "() => dash_ag_grid.getApiAsync('offers-grid').then(api => api.getDisplayedRowAtIndex(0)?.data)"
    )
    rows = collect_offer_rows(page, n, ("sku", "shown_health", "ncx_rate", "x_peers"))
    grid_skus = [cells["sku"] for cells in rows.values()]

    csv_file = download(page, ID.GRID_DOWNLOAD_BUTTON)
    text = csv_file.path().read_bytes().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["SKU"] for r in table] == grid_skus
    assert {r["CX health"] for r in table} <= {"Poor", "Very poor"}
    assert all(re.fullmatch(r"\d+\.\d %", r["NCX rate"]) for r in table), table[0]
    assert all(re.fullmatch(r"\d+\.\d ×", r["× peers"]) for r in table), table[0]
    assert "very_poor" not in {r["CX health"] for r in table}
    # raw columns for analysts come after the screen's
    header = next(csv.reader(io.StringIO(text)))
    assert header.index("health") > header.index("Status")

    xlsx_file = download(page, ID.GRID_DOWNLOAD_XLSX)
    path = tmp_path / "offers.xlsx"
    xlsx_file.save_as(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "About this export"
    about = {r[1]: r[2] for r in book["About this export"].iter_rows(values_only=True)}
    assert about["Rows"] == n
    assert "Poor, Very poor" in str(about.values()), about
    assert about["As of"] == str(page.locator(f"#{ID.AS_OF}").input_value())
    sheet = book["Offers"]
    cells = list(sheet.iter_rows(values_only=True))
    head = list(cells[0])
    assert [r[head.index("SKU")] for r in cells[1:]] == grid_skus
    rate = sheet.cell(row=2, column=head.index("NCX rate") + 1)
    assert isinstance(rate.value, float) and rate.number_format == "0.0%"
    assert rate.value == pytest.approx(rows[next(iter(rows))]["ncx_rate"])
    assert sheet.freeze_panes == "A2"


def test_comment_downloads_are_the_comments_grid_and_formulas_stay_text(page, tmp_path):
    open_page(page)
    page.locator(PINNED_ROWS).first.locator('[col-id="title"]').click()
    expect(page.locator("#comments-title")).to_contain_text("Customer comments — ")
    expect_rows_shown(page, "comments-grid")
    page.wait_for_function(
        """() => dash_ag_grid.getApiAsync('comments-grid').then(api => {
            let ok = api.getDisplayedRowCount() > 0, sku = null;
            api.forEachNode(n => { sku = sku || n.data.sku; ok = ok && n.data.sku === sku; });
            return ok;
        })"""
    )
    shown = comment_data(page)
    got = download(page, ID.COMMENTS_CSV)
    table = list(csv.DictReader(io.StringIO(got.path().read_bytes().decode("utf-8-sig"))))
    assert [r["feedback_id"] for r in table] == [c["id"] for c in shown]
    assert list(table[0])[:3] == ["Date", "Counted?", "Comment"]
    for row, comment in zip(table, shown, strict=True):
        text = comment["comment"]
        expected = "'" + text if is_formula_like(text) else text
        assert row["Comment"] == expected


# --- 5. dates and links at the edges ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?as_of=2019-01-01", "is outside it"),
        ("?as_of=2099-12-31", "is outside it"),
        ("?view=S-NOBODY", "There is no seller 'S-NOBODY'"),
        ("?window=45", "is not one of"),
    ],
)
def test_a_link_outside_the_data_shows_the_default_with_a_note(
    page, demo_day, demo_counts, query, words
):
    page.goto("/" + query)
    note = page.locator(f"#{ID.LINK_NOTE}")
    expect(note).to_be_visible()
    expect(note).to_contain_text(words)
    expect(tile(page, "poor").locator(".tile-count")).to_have_text(f"{demo_counts['poor']:,}")
    expect(page.locator(f"#{ID.AS_OF}")).to_have_value(demo_day.isoformat())
    expect(page.locator(f"#{ID.ERROR}")).to_be_hidden()
    expect(page.locator(f"#{ID.VIEW_AS}")).to_contain_text("Northwind Home")
    assert not re.search(r"as_of=(2019|2099)|S-NOBODY|window=45", page.url)


def test_the_date_picker_offers_only_days_with_data(page, service):
    first, last = service.day_range()
    layout = page.request.get("/_dash-layout").json()

    def find(node):
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == ID.AS_OF:
                return node["props"]
            for v in node.values():
                hit = find(v)
                if hit:
                    return hit
        if isinstance(node, list):
            for v in node:
                hit = find(v)
                if hit:
                    return hit
        return None

    picker = find(layout)
    assert (picker["min_date_allowed"], picker["max_date_allowed"]) == (
        first.isoformat(), last.isoformat()
    )  # fmt: skip


# --- 6. no flicker --------------------------------------------------------------------------

RECORD_COMMENT_ROWS = """rows => {
    window.__snapshots = [];
    // the SKUs a seller can see: cells drawn, not hidden, not faded to nothing
    const take = () => window.__snapshots.push(
        [...document.querySelectorAll(rows + ' [col-id="sku"]')]
            .filter(c => c.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}))
            .map(c => c.textContent));  // textContent: the SKU column may sit right of the fold
    window.__observer = new MutationObserver(take);
    window.__observer.observe(document.getElementById('comments-grid'),
        {subtree: true, childList: true, characterData: true, attributes: true});
    const frame = () => { take(); if (window.__observer) requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
}"""


def test_switching_offers_never_shows_old_and_new_comments_together(page, service, demo_day):
    worst = service.grid(SELLER, demo_day, 90, GridQuery()).head(2)
    a, b = worst["sku"].to_list()
    open_page(page, "?offer=" + quote(f"{DEMO}|{a}", safe=""))
    expect_rows_shown(page, "comments-grid")
    expect(page.locator(f'{COMMENT_ROWS} [col-id="sku"]').first).to_have_text(a)
    page.evaluate(RECORD_COMMENT_ROWS, COMMENT_ROWS)

    def slow_comments(route) -> None:  # a loaded machine: the comments take a while
        if "comments-grid.rowData" in (route.request.post_data or ""):
            time.sleep(1.5)
        route.continue_()

    page.route("**/_dash-update-component*", slow_comments)
    page.locator(f'{PINNED_ROWS}[row-id="{DEMO}|{b}"] [col-id="title"]').click()
    expect(page.locator("#comments-title")).to_contain_text("Customer comments — ")
    page.wait_for_function(
        """([rows, sku]) => { const c = [...document.querySelectorAll(rows + ' [col-id="sku"]')];
                              return c.length > 0 && c.every(x => x.textContent === sku); }""",
        arg=[COMMENT_ROWS, b],
    )
    page.wait_for_timeout(300)
    snapshots = page.evaluate(
        "() => { window.__observer.disconnect(); window.__observer = null; return window.__snapshots; }"
    )
    assert len(snapshots) > 3
    for snap in snapshots:
        assert snap, "the comments grid was blank while the new offer's comments loaded"
        assert set(snap) in ({a}, {b}), set(snap)


# --- 7. how health is determined, for the page's window -----------------------------------


def test_how_health_is_determined_follows_the_window_and_opens_from_everywhere(page, shot):
    open_page(page)
    panel = page.locator(f"#{ID.HOW_PANEL}")
    page.click("text=How health works")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("orders purchased in the 90 days")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    page.click(f"#{ID.WINDOW}")
    page.get_by_role("option", name="30 days").click()
    expect(page).to_have_url(re.compile(r"window=30"))
    page.click(f"#{ID.GRID_TITLE} ~ button")  # "How health is determined" by the grid
    expect(panel).to_contain_text("orders purchased in the 30 days")
    expect(panel).not_to_contain_text("90 days")
    page.keyboard.press("Escape")

    page.locator(PINNED_ROWS).first.locator('[col-id="title"]').click()
    page.locator("#offer-explanation").get_by_text("How is this decided?").click()
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("30-day window")
    expect(panel).to_have_class(re.compile(r"^(?!.*\bshowing\b).*\bshow\b"))  # slid in
    page.wait_for_function(
        "(id) => { const r = document.getElementById(id).getBoundingClientRect();"
        " return r.right <= window.innerWidth + 0.5 && r.left >= 0; }",
        arg=ID.HOW_PANEL,
    )
    shot("32-how-health-30-days")


# --- 8. the category manager's view ------------------------------------------------------


def test_category_manager_sees_names_one_category_picker_and_opens_peers(
    page, service, demo_day, shot
):
    open_page(page, "?view=cm")
    expect(page.locator(f"#{ID.CM_CATEGORIES}")).to_be_visible()
    expect(page.locator(f"#{ID.F_CATEGORY}")).to_be_hidden()
    sellers = page.eval_on_selector_all(
        f'{OFFER_ROWS} [col-id="seller_id"]', "els => els.map(e => e.innerText)"
    )
    assert sellers and not [s for s in sellers if re.fullmatch(r"S-\d+", s)], sellers

    # worst first by evidence: within a level, the interval's low end above the peers
    top = service.grid(CM, demo_day, 90, GridQuery()).head(10)
    expect(page.locator(f'{PINNED_ROWS}[row-index="0"]')).to_have_attribute(
        "row-id", f"{top['seller_id'][0]}|{top['sku'][0]}"
    )
    page.locator(f'{PINNED_ROWS}[row-index="0"] [col-id="title"]').click()
    worst = page.locator("#peer-worst table tbody tr")
    expect(worst.first).to_be_visible()
    expect(worst.first.locator(".health-badge")).to_be_visible()
    target = worst.nth(1).locator("button.peer-open")
    key = target.get_attribute("id")
    title = target.inner_text()
    target.click()
    expect(page.locator("#offer-detail-title")).to_contain_text(title)
    opened = query_of(page)["offer"]
    assert opened in key
    expect(page.locator(f'{OFFER_ROWS}[row-id="{opened}"]')).to_have_class(
        re.compile(r"\bag-row-selected\b")
    )
    shot("33-category-manager-opens-a-peer")


# --- 9. deleted listings -----------------------------------------------------------------


def test_deleted_listings_are_grey_with_their_last_health_in_words(
    page, service, demo_day, demo_counts
):
    deleted = service.grid(SELLER, demo_day, 90, GridQuery(health=("listing_deleted",)))
    assert deleted.height == demo_counts["listing_deleted"] > 0
    open_page(page)
    tile(page, "listing_deleted").click()
    wait_for_grid_count(page, deleted.height)
    badge = page.locator(f"{OFFER_ROWS} .health-badge").first
    expect(badge).to_have_text("Listing deleted")
    assert badge.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(92, 99, 106)"
    was = page.locator(f"{OFFER_ROWS} .deleted-cell .was").first
    words = {
        "excellent",
        "good",
        "fair",
        "poor",
        "very poor",
        "insufficient feedback",
        "no recent sales",
    }
    assert was.inner_text().removeprefix("was ") in words
    # not counted with the level it had
    assert (
        demo_counts["poor"]
        == service.grid(SELLER, demo_day, 90, GridQuery(health=("poor",))).height
    )


# --- 10. words and access ------------------------------------------------------------------


def contrast(fg: str, bg: str) -> float:
    def lum(rgb: str) -> float:
        r, g, b = (int(x) / 255 for x in re.findall(r"\d+", rgb)[:3])
        ch = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_words_not_codes_grammar_contrast_and_keyboard(page, service, demo_day, shot):
    open_page(page, "?view=cm")
    # every badge and tile text reads at 4.5:1 or better
    colours = page.evaluate(
        """() => [...document.querySelectorAll('.health-badge, .tile-label, .tile-count')]
            .map(e => { let bg = e, c;
                        while (bg && (c = getComputedStyle(bg).backgroundColor) === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
                        return [getComputedStyle(e).color, c, e.innerText]; })"""
    )
    assert len(colours) > 10
    for fg, bg, text in colours:
        assert contrast(fg, bg) >= 4.5, (text, fg, bg)
    # the "View as" choice is not cut
    assert page.evaluate(
        """() => [...document.querySelectorAll('#view-as *')].every(e => e.scrollWidth <= e.clientWidth + 1)"""
    )
    # reason codes in words in the comments of the whole marketplace
    expect_rows_shown(page, "comments-grid")
    reasons = {c["reason"] for c in comment_data(page)}
    assert reasons and not [r for r in reasons if re.fullmatch(r"[A-Z0-9_-]+", r)], reasons
    # the comments cap is said plainly
    expect(page.locator(f"#{ID.COMMENTS_COUNT}")).to_contain_text(
        re.compile(r"The newest 500 of [\d,]+ comments")
    )

    # one offer: "1 offer matches"
    sku = service.grid(SELLER, demo_day, 90, GridQuery())["sku"][0]
    open_page(page)
    search = page.locator(f"#{ID.F_SEARCH}")
    search.press_sequentially(sku, delay=30)  # no Enter: the search applies while typing
    expect(page.locator(f"#{ID.GRID_COUNT}")).to_have_text("1 offer matches")
    # a row opens from the keyboard
    page.locator(f'{PINNED_ROWS} [col-id="title"]').first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#offer-detail-title")).to_contain_text(f"SKU {sku}")
    expect(page).to_have_url(re.compile(r"[?&]offer="))
    shot("34-keyboard-and-words")


def test_space_opens_a_row_too(page):
    open_page(page)
    second = page.locator(f'{PINNED_ROWS}[row-index="1"]')
    key = second.get_attribute("row-id")
    second.locator('[col-id="title"]').focus()
    page.keyboard.press(" ")
    expect(page).to_have_url(re.compile(r"[?&]offer=" + re.escape(quote(key, safe=""))))
    expect(second).to_have_class(re.compile(r"\bag-row-selected\b"))


# --- 11. nothing leaves the machine ---------------------------------------------------------


def test_the_page_talks_only_to_its_own_server_and_has_no_share_button(page, server_url):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_page(page)
    page.locator(PINNED_ROWS).first.locator('[col-id="title"]').click()
    expect(page.locator("#offer-trend .scatterlayer .trace").first).to_be_attached()
    page.hover("#offer-trend .js-plotly-plot")
    expect(page.locator("#offer-trend .modebar-btn").first).to_be_attached()
    titles = page.eval_on_selector_all(
        "#offer-trend .modebar-btn", "els => els.map(e => e.dataset.title || '')"
    )
    assert titles and not [
        t for t in titles if re.search(r"cloud|share|chart studio|edit", t, re.I)
    ], titles
    settle(page)
    host = urlparse(server_url).netloc
    foreign = [
        u for u in requests if not u.startswith(("data:", "blob:")) and urlparse(u).netloc != host
    ]
    assert foreign == []


# --- report-ready output: charts and the report button ---------------------------------------


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_every_chart_downloads_at_report_resolution(page, tmp_path, fmt):
    open_page(page)
    page.locator(PINNED_ROWS).first.locator('[col-id="title"]').click()
    expect(page.locator("#offer-trend .scatterlayer .trace").first).to_be_attached()
    for graph in ("offer-trend", "offer-by-source", "offer-by-theme"):
        links = page.locator(".chart", has=page.locator(f"#{graph}"))
        with page.expect_download() as info:
            links.get_by_role("button", name=fmt.upper(), exact=True).click()
        got = info.value
        assert got.suggested_filename.endswith("." + fmt), got.suggested_filename
        data = got.path().read_bytes()
        if fmt == "png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            width = int.from_bytes(data[16:20], "big")
            assert width == 3200
        else:
            text = data.decode("utf-8")
            assert text.startswith("<svg") and 'width="1600"' in text
            assert "as of" in text  # the subtitle: what and when


def test_the_report_button_opens_the_report_of_the_view(page, demo_day):
    open_page(page, "?window=30")
    link = page.locator(f"#{ID.REPORT_LINK}")
    expect(link).to_have_attribute("href", "/report?window=30")
    with page.context.expect_page() as info:
        link.click()
    report = info.value
    report.wait_for_load_state()
    expect(report.locator("h1#who")).to_contain_text("Northwind Home")
    expect(report.locator("body")).to_contain_text("30-day")
    report.close()


# --- 2. the trend reads as evidence ---------------------------------------------------------


def test_the_trend_stays_within_100_percent_and_marks_the_health_window(page, service, demo_day):
    # the offer with the fewest orders among those that sold: the one that spiked most
    small = (
        service.grid(SELLER, demo_day, 90, GridQuery())
        .filter(service.grid(SELLER, demo_day, 90, GridQuery())["orders"] > 0)
        .sort("orders")
        .row(0, named=True)
    )
    open_page(page, "?offer=" + quote(f"{DEMO}|{small['sku']}", safe=""))
    expect(page.locator("#offer-trend .scatterlayer .trace").first).to_be_attached()
    names = {t["name"] for t in plotly_data(page, "offer-trend")}
    assert {"This offer (4-week rate)", "Similar offers (pooled)"} <= names, names
    drawn = page.evaluate(
        """() => { const el = document.querySelector('#offer-trend .js-plotly-plot');
                   const ys = el.data.filter(t => (t.yaxis || 'y') === 'y')
                                     .flatMap(t => (t.y || []).filter(v => v !== null));
                   return {max: Math.max(...ys), shapes: (el.layout.shapes || []).map(s => s.type),
                           notes: (el.layout.annotations || []).map(a => a.text)}; }"""
    )
    assert drawn["max"] <= 100, drawn
    assert "rect" in drawn["shapes"], drawn
    assert any("Health window, 90 days" in n for n in drawn["notes"]), drawn
    # the chart and the verdict tell one story: the window's numbers are the explanation's
    words = f"{small['ncx_orders']} of {small['orders']} orders"
    expect(page.locator("#offer-explanation")).to_contain_text(words)
    assert any(words in n for n in drawn["notes"]), drawn
