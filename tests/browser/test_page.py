"""The page in a real headless Chromium against the demo store (DESIGN.md 6 and 7).

Expected numbers come from the engine (``VocService``) and DuckDB, never from the page
itself. Every test saves a full-page screenshot into tests/screenshots/.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from engine.generations import connect_live
from engine.health import Viewer
from engine.service import GridQuery

pytestmark = pytest.mark.browser

DEMO = "S-DEMO"
TILE_WORDS = {
    "excellent": "Excellent",
    "good": "Good",
    "fair": "Fair",
    "poor": "Poor",
    "very_poor": "Very poor",
    "insufficient_feedback": "Insufficient feedback",
    "no_recent_sales": "No recent sales",
    "listing_deleted": "Listing deleted",
    "action_required": "Action required",
    "at_risk": "At risk",
}
NOT_VISIBLE = "not visible"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"

OFFER_ROWS = "#offers-grid .ag-center-cols-container .ag-row"
PINNED_ROWS = "#offers-grid .ag-pinned-left-cols-container .ag-row"  # the product column
COMMENT_ROWS = "#comments-grid .ag-center-cols-container .ag-row"


# --- expected values -------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_comments(demo_store) -> list[tuple[str, str, str]]:
    """(seller_id, sku, comment) of the demo's comments carrying HTML/script payloads."""
    con = connect_live(demo_store)
    try:
        rows = con.execute(
            "SELECT seller_id, sku, comment FROM feedback "
            "WHERE comment LIKE '%<script>%' OR comment LIKE '%onerror%' ORDER BY feedback_id"
        ).fetchall()
    finally:
        con.close()
    assert rows, "the demo should contain hostile comments"
    return rows


@pytest.fixture(scope="module")
def demo_feedback(demo_store) -> tuple[set[str], set[str]]:
    """(SKUs of the demo seller's offers, feedback ids of the demo seller)."""
    con = connect_live(demo_store)
    try:
        skus = {
            r[0]
            for r in con.execute("SELECT sku FROM offers WHERE seller_id = ?", [DEMO]).fetchall()
        }
        ids = {
            r[0]
            for r in con.execute(
                "SELECT feedback_id FROM feedback WHERE seller_id = ?", [DEMO]
            ).fetchall()
        }
    finally:
        con.close()
    return skus, ids


# --- page helpers ----------------------------------------------------------------------


def open_page(page, query: str = "") -> None:
    """Load the page and wait until the offers grid shows rows and the tiles have counts."""
    page.goto(query or "/")
    expect(page.locator(OFFER_ROWS).first.locator(".health-badge")).to_be_visible()
    expect(page.locator(".health-tile .tile-count").first).not_to_have_text("–")


def tile(page, level: str):
    """The health tile button whose label is exactly the level's word."""
    label = page.locator(
        ".tile-label", has_text=re.compile(rf"^\s*{re.escape(TILE_WORDS[level])}\s*$")
    )
    return page.locator("button.health-tile").filter(has=label)


def wait_for_grid_count(page, n: int) -> None:
    expected = f"{n:,} offers match" if n else "No offers match"
    expect(page.locator("#offers-grid-count")).to_contain_text(expected)


DATA_FIELDS = {
    "health_rank": "shown_health",
    "seller_id": "seller_id",
    "at_risk_reason": "early_warning",
}  # colId -> row field


def collect_offer_rows(
    page, n: int, columns: tuple[str, ...] = ("sku", "health_rank")
) -> dict[str, dict]:
    """Scroll the offers grid through its ``n`` rows; {row id: {colId: value}} of every row.

    The grid pages rows from the server (infinite row model), so a row has its data only
    once its block arrived: bring the first row not yet read into view, wait until it has
    its data, read every loaded row from the grid, repeat. Values are the rows' data
    (columns to the right are not drawn until scrolled to).
    """
    by_index: dict[int, tuple[str, dict]] = {}
    fields = {c: DATA_FIELDS.get(c, c) for c in columns}
    for _ in range(n + 1):
        missing = next((i for i in range(n) if i not in by_index), None)
        if missing is None:
            break
        page.evaluate(
            "i => dash_ag_grid.getApiAsync('offers-grid').then(api => api.ensureIndexVisible(i, 'top'))",
            missing,
        )
        page.wait_for_function(
            """i => dash_ag_grid.getApiAsync('offers-grid').then(api => {
                const node = api.getDisplayedRowAtIndex(i);
                return !!(node && node.data && node.data.sku);
            })""",
            arg=missing,
        )
        rows = page.evaluate(
            """fields => dash_ag_grid.getApiAsync('offers-grid').then(api => {
                const out = [];
                api.forEachNode(node => {
                    if (node.data && node.data.sku) {
                        out.push([node.rowIndex, node.id, Object.fromEntries(
                            Object.entries(fields).map(([c, f]) => [c, node.data[f]]))]);
                    }
                });
                return out;
            })""",
            fields,
        )
        for index, row_id, cells in rows:
            by_index[index] = (row_id, cells)
    assert sorted(i for i in by_index if i < n) == list(range(n)), f"rows: {sorted(by_index)}"
    assert max(by_index) == n - 1, f"the grid shows more than {n} rows"
    return dict(v for i, v in sorted(by_index.items()))


def expect_rows_shown(page, grid_id: str) -> None:
    """Scroll grid ``grid_id`` into view (it may sit below the fold) and wait for a row."""
    page.locator(f"#{grid_id}").scroll_into_view_if_needed()
    expect(page.locator(f"#{grid_id} .ag-center-cols-container .ag-row").first).to_be_visible()


def comment_data(page) -> list[dict]:
    """Every row of the comments grid (client-side row model), via the grid's API."""
    return page.evaluate(
        """() => dash_ag_grid.getApiAsync('comments-grid').then(api => {
            const out = [];
            api.forEachNodeAfterFilterAndSort(n => out.push(n.data));
            return out;
        })"""
    )


def plotly_data(page, graph_id: str) -> list[dict]:
    """The traces plotly drew in dcc.Graph ``graph_id`` (type, name, number of points)."""
    return page.evaluate(
        """id => {
            const el = document.querySelector(`#${id} .js-plotly-plot`);
            if (!el || !el.data) return [];
            return el.data.map(t => ({
                type: t.type || 'scatter', name: t.name || '',
                points: (t.x || []).filter((x, i) => x !== null && (!t.y || t.y[i] !== null)).length,
            }));
        }""",
        graph_id,
    )


def settle(page) -> None:
    """Let pending Dash callbacks finish (no request in flight)."""
    page.wait_for_load_state("networkidle")


# --- tests -----------------------------------------------------------------------------


def test_page_loads_without_errors_and_tiles_match_the_engine(page, page_errors, shot, demo_counts):
    open_page(page)
    expect(page.locator("#view-as")).to_contain_text("Northwind Home")
    for level in TILE_WORDS:
        button = tile(page, level)
        expect(button).to_have_count(1)
        expect(button.locator(".tile-count")).to_have_text(f"{demo_counts[level]:,}")
    settle(page)
    shot("01-load-tiles-demo-seller")
    assert page_errors.all() == []


def test_poor_tile_filters_the_grid_and_clicking_again_clears(page, shot, demo_counts):
    open_page(page)
    total = sum(v for k, v in demo_counts.items() if k not in ("action_required", "at_risk"))
    wait_for_grid_count(page, total)

    tile(page, "poor").click()
    expect(page).to_have_url(re.compile(r"[?&]health=poor(&|$)"))
    wait_for_grid_count(page, demo_counts["poor"])
    expect(tile(page, "poor")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#filter-health input[value=poor]")).to_be_checked()
    rows = collect_offer_rows(page, demo_counts["poor"])
    assert len(rows) == demo_counts["poor"]
    assert {cells["health_rank"] for cells in rows.values()} == {"poor"}
    badges = page.eval_on_selector_all(
        f"{OFFER_ROWS} .health-badge", "els => els.map(e => e.innerText)"
    )
    assert badges and set(badges) == {"Poor"}  # what the seller reads
    shot("02-poor-tile-filters-grid")

    tile(page, "poor").click()
    expect(page).not_to_have_url(re.compile(r"health="))
    wait_for_grid_count(page, total)
    expect(tile(page, "poor")).not_to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#filter-health input[value=poor]")).not_to_be_checked()
    # Worst first again: the first row is a very poor offer, not a poor one.
    assert demo_counts["very_poor"] > 0
    expect(page.locator(f'{OFFER_ROWS}[row-index="0"] .health-badge')).to_have_text("Very poor")


def test_clicking_a_row_shows_its_trend_and_comments(page, shot):
    open_page(page)
    row = page.locator(PINNED_ROWS).first
    key = row.get_attribute("row-id")
    seller_id, sku = key.split("|", 1)
    assert seller_id == DEMO
    row.locator('[col-id="title"]').click()

    expect(page).to_have_url(re.compile(r"[?&]offer=" + re.escape(quote(key, safe=""))))
    expect(page.locator("#offer-detail-title")).to_contain_text(f"SKU {sku}")
    expect(page.locator("#offer-explanation")).not_to_be_empty()
    expect(page.locator("#offer-trend .scatterlayer .trace").first).to_be_attached()
    traces = plotly_data(page, "offer-trend")
    mine = [t for t in traces if t["name"] == "This offer (4-week rate)"]
    assert mine and mine[0]["points"] > 0, traces
    assert any(t["name"] == "Similar offers (pooled)" and t["points"] > 0 for t in traces), traces
    # The three charts end up as wide as their cards (none overflows the 1280 px page).
    page.wait_for_function(
        """() => ['offer-trend', 'offer-by-source', 'offer-by-theme'].every(id => {
            const graph = document.getElementById(id);
            const svg = graph && graph.querySelector('.svg-container');
            return svg && graph.offsetWidth > 0 && Math.abs(svg.offsetWidth - graph.offsetWidth) <= 1;
        }) && document.documentElement.scrollWidth <= window.innerWidth"""
    )

    expect(page.locator("#comments-title")).to_contain_text("Customer comments — ")
    expect_rows_shown(page, "comments-grid")
    comments = comment_data(page)
    assert comments, "the worst offer should have comments"
    assert {c["sku"] for c in comments} == {sku}
    # the grid redraws a frame after its data changed: wait for the drawn rows to follow
    page.wait_for_function(
        """([rows, sku]) => {
            const cells = [...document.querySelectorAll(rows + ' [col-id="sku"]')];
            return cells.length > 0 && cells.every(c => c.innerText === sku);
        }""",
        arg=[COMMENT_ROWS, sku],
    )
    settle(page)
    shot("03-row-click-trend-and-comments")


def test_resolve_issue_shows_recent_counted_feedback_and_a_remedy(page, shot, service, demo_day):
    closed = service.offers(Viewer("seller", DEMO), demo_day, 90).filter("action_required")
    assert closed.height > 0
    open_page(page, "?action=1")
    wait_for_grid_count(page, closed.height)
    # the button's column is on screen at 1280 px without scrolling the grid
    button = page.locator(f"{OFFER_ROWS} .resolve-button").first
    expect(button).to_have_text("Resolve issue")
    key = button.evaluate("b => b.closest('.ag-row').getAttribute('row-id')")
    expect(page.locator(f'{OFFER_ROWS}[row-id="{key}"] [col-id="status"]')).to_have_text("Closed")
    # The whole button shows inside its cell (a clipped button cannot be clicked) ...
    page.wait_for_function(
        """() => {
            const b = document.querySelector('#offers-grid .ag-center-cols-container .resolve-button');
            const box = b.getBoundingClientRect(), cell = b.closest('.ag-cell').getBoundingClientRect();
            const view = document.querySelector('#offers-grid .ag-center-cols-viewport').getBoundingClientRect();
            return box.width > 0 && cell.left <= box.left && box.right <= cell.right
                && box.right <= view.right;
        }"""
    )
    button.click()  # ... and a real pointer click reaches it, as a seller's would

    expect(page).to_have_url(re.compile(r"[?&]resolve=1(&|$)"))
    expect(page.locator("#comments-title")).to_have_text(re.compile(r"^Resolve issue"))
    expect(page.locator("#comments-remedy .alert, #comments-remedy > *").first).to_be_visible()
    expect(page.locator("#comments-remedy")).to_contain_text("Recent counted feedback")
    expect_rows_shown(page, "comments-grid")
    # AG Grid swaps rowData after the title: wait until the resolve rows are in
    page.wait_for_function(
        """sku => dash_ag_grid.getApiAsync('comments-grid').then(api => {
            const rows = [];
            api.forEachNodeAfterFilterAndSort(n => rows.push(n.data));
            return rows.length > 0 && rows.every(r => r.sku === sku && r.counted.startsWith('Counted'));
        })""",
        arg=key.split("|", 1)[1],
    )
    comments = comment_data(page)
    assert comments, "an offer closed for NCX should have counted feedback"
    assert all(c["counted"].startswith("Counted") for c in comments), {
        c["counted"] for c in comments
    }
    assert {c["sku"] for c in comments} == {key.split("|", 1)[1]}
    # ... and the grid paints them a frame later than its API holds them (cells of the
    # swapped rows are blank in between): wait for the painted cells, then read them
    cells = f'{COMMENT_ROWS} [col-id="counted"]'
    page.wait_for_function(
        """sel => {
            const cells = [...document.querySelectorAll(sel)];
            return cells.length > 0 && cells.every(c => c.innerText.trim() !== '');
        }""",
        arg=cells,
    )
    dom = page.eval_on_selector_all(cells, "els => els.map(e => e.innerText)")
    assert dom and all(text.startswith("Counted") for text in dom), dom
    settle(page)
    shot("04-resolve-issue-counted-feedback")


def test_a_filter_survives_a_reload_through_the_url(page, shot, service, demo_day):
    expected = service.grid(Viewer("seller", DEMO), demo_day, 90, GridQuery(fulfilment=("MFN",)))
    assert expected.height > 0
    open_page(page)
    page.locator("#filter-fulfilment label", has_text="MFN").click()
    expect(page).to_have_url(re.compile(r"[?&]channel=MFN(&|$)"))
    wait_for_grid_count(page, expected.height)
    settle(page)

    page.reload()
    expect(page).to_have_url(re.compile(r"[?&]channel=MFN(&|$)"))
    expect(page.locator("#filter-fulfilment input[value=MFN]")).to_be_checked()
    expect(page.locator("#filter-fulfilment input[value=FBA]")).not_to_be_checked()
    wait_for_grid_count(page, expected.height)
    rows = collect_offer_rows(page, expected.height, ("sku", "fulfilment"))
    assert set(rows) == {f"{DEMO}|{sku}" for sku in expected["sku"]}
    assert {cells["fulfilment"] for cells in rows.values()} == {"MFN"}
    settle(page)
    shot("05-filter-survives-reload")


def test_hostile_comments_are_shown_as_text(page, shot, hostile_comments):
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    picks = {}
    for seller_id, sku, comment in hostile_comments:  # one offer per payload kind
        kind = SCRIPT if SCRIPT in comment else IMG
        picks.setdefault(kind, (seller_id, sku, comment))
    assert set(picks) == {SCRIPT, IMG}

    for n, (kind, (seller_id, sku, comment)) in enumerate(picks.items(), start=1):
        open_page(page, "?view=cm&offer=" + quote(f"{seller_id}|{sku}", safe=""))
        expect(page.locator("#offer-detail-title")).to_contain_text(f"SKU {sku}")
        expect(page.locator("#comments-title")).to_contain_text("Customer comments —")
        # AG Grid draws only the rows in view: bring the payload's row into it
        page.wait_for_function(
            """kind => dash_ag_grid.getApiAsync('comments-grid').then(api => {
                let found = null;
                api.forEachNode(n => { if (!found && (n.data.comment || '').includes(kind)) found = n; });
                if (found) { api.ensureNodeVisible(found, 'middle'); }
                return found !== null;
            })""",
            arg=kind,
        )
        cell = page.locator(f'{COMMENT_ROWS} [col-id="comment"]', has_text=kind)
        expect(cell).to_have_count(1)
        expect(cell).to_have_text(comment)
        assert kind in comment_data_texts(page)
        settle(page)
        shot(f"06-hostile-comment-{n}-{'script' if kind == SCRIPT else 'img'}")
        assert page.locator('img[src="x"]').count() == 0
        injected = page.evaluate(
            "() => [...document.querySelectorAll('script')].filter(s => s.textContent.includes('alert(1)')).length"
        )
        assert injected == 0
    page.wait_for_timeout(300)  # an onerror handler would fire right after the image fails
    assert dialogs == []


def comment_data_texts(page) -> str:
    return "\n".join(c["comment"] for c in comment_data(page))


def test_seller_view_shows_no_other_sellers_offers_or_comments(
    page, shot, demo_counts, demo_feedback, hostile_comments
):
    skus, feedback_ids = demo_feedback
    open_page(page)
    total = sum(v for k, v in demo_counts.items() if k not in ("action_required", "at_risk"))
    wait_for_grid_count(page, total)
    columns = (
        ("sku", "seller_id")
        if page.locator('#offers-grid .ag-header-cell[col-id="seller_id"]').count()
        else ("sku",)
    )
    rows = collect_offer_rows(page, total, columns)
    assert len(rows) == total
    assert {key.split("|", 1)[0] for key in rows} == {DEMO}
    assert {cells["sku"] for cells in rows.values()} <= skus
    if "seller_id" in columns:
        assert {cells["seller_id"] for cells in rows.values()} == {DEMO}

    expect_rows_shown(page, "comments-grid")
    comments = comment_data(page)
    assert comments
    assert {c["sku"] for c in comments} <= skus
    assert {c["id"] for c in comments} <= feedback_ids
    settle(page)
    shot("07a-seller-view-own-offers-only")

    seller_id, sku, comment = hostile_comments[0]
    assert seller_id != DEMO
    open_page(page, "?offer=" + quote(f"{seller_id}|{sku}", safe=""))
    expect(page.locator("#offer-detail-title")).to_contain_text(NOT_VISIBLE)
    expect(page.locator("#offer-explanation")).not_to_contain_text(sku)
    expect(page.locator("#offer-trend .scatterlayer .trace")).to_have_count(0)
    expect(page.locator("#comments-title")).not_to_contain_text("Resolve issue")
    settle(page)
    comments = comment_data(page)
    assert sku not in {c["sku"] for c in comments}
    assert {c["id"] for c in comments} <= feedback_ids
    assert comment not in comment_data_texts(page)
    expect(page.locator("#comments-grid")).not_to_contain_text(sku)
    expect(page.locator("#peer-card")).to_be_hidden()
    shot("07b-seller-view-other-sellers-offer-not-visible")


def test_category_manager_sees_the_peer_group_histogram(page, shot):
    open_page(page, "?view=cm")
    expect(page.locator("#view-as")).to_contain_text("Category manager")
    expect(page.locator('#offers-grid .ag-header-cell[col-id="seller_id"]')).to_be_visible()
    sellers = page.eval_on_selector_all(
        f'{OFFER_ROWS} [col-id="seller_id"]', "els => els.map(e => e.innerText)"
    )
    assert len(set(sellers)) > 1, sellers  # the worst offers across sellers

    row = page.locator(PINNED_ROWS).first
    key = row.get_attribute("row-id")
    row.locator('[col-id="title"]').click()
    expect(page).to_have_url(re.compile(r"[?&]offer=" + re.escape(quote(key, safe=""))))
    expect(page.locator("#peer-card")).to_be_visible()
    expect(page.locator("#peer-card")).to_contain_text("peer group")
    expect(page.locator("#peer-histogram .barlayer .trace").first).to_be_attached()
    histogram = [t for t in plotly_data(page, "peer-histogram") if t["type"] == "histogram"]
    assert histogram and histogram[0]["points"] >= 2, histogram
    expect(page.locator("#peer-histogram")).to_contain_text("this offer")
    page.locator("#peer-worst").scroll_into_view_if_needed()
    expect(page.locator("#peer-worst table tbody tr").first).to_be_visible()
    settle(page)
    shot("08-category-manager-peer-group")
