"""The report view: the document's content against the service, escaping, the route."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

import app as app_module
from engine import pipeline
from engine.app_state import ACTION_KINDS
from engine.health import Viewer
from engine.service import GridQuery, VocService
from reporting import document
from reporting.document import report_html, verdict, worst_offers
from reporting.routes import parse_request
from tests.engine.builders import build, event, offer, orders_for

SELLER = "S-DEMO"
MADE = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def seller_report(service) -> str:
    return report_html(
        service,
        Viewer("seller", SELLER),
        as_of=service.latest_day(),
        window_days=90,
        made=MADE,
    )


def section(text: str, element_id: str) -> str:
    """The HTML of the element with ``element_id`` up to the next <h2> or </section>."""
    start = text.index(f'id="{element_id}"')
    ends = [i for i in (text.find("<h2", start), text.find("</section>", start)) if i > 0]
    return text[start : min(ends)]


def test_header_names_the_seller_day_window_peers_and_time(service, seller_report):
    day = service.latest_day()
    assert '<h1 id="who">Seller: Northwind Home (S-DEMO)</h1>' in seller_report
    assert f'<dd id="as-of">{day.isoformat()}</dd>' in seller_report
    start = day - timedelta(days=89)
    assert f"90 days: orders purchased {start.isoformat()} to {day.isoformat()}" in seller_report
    assert "similar offers of all sellers in the store" in section(seller_report, "peer-basis")
    assert set(service.peer_notes(Viewer("seller", SELLER), day, 90)["bases"]) == {"marketplace"}
    assert "2026-11-02 08:30 UTC" in seller_report
    assert f"<title>CX health report · Seller: Northwind Home (S-DEMO) · {day}" in seller_report


def test_tiles_show_the_service_counts_with_words(service, seller_report):
    counts = service.tile_counts(Viewer("seller", SELLER), service.latest_day(), 90)
    cells = re.findall(
        r'<td data-level="(\w+)" style="--swatch: #[0-9a-f]{6}"><div class="count">([\d,]+)</div>'
        r'<div class="label">([^<]+)</div>',
        section(seller_report, "tiles"),
    )
    assert {level: int(n.replace(",", "")) for level, n, _ in cells} == counts
    words = {level: word for level, _, word in cells}
    assert words["very_poor"] == "Very poor" and words["action_required"] == "Action required"
    assert words["at_risk"] == "At risk"


def test_worst_offers_follow_the_grid_order_without_deleted_listings(service, seller_report):
    day = service.latest_day()
    grid = service.grid(Viewer("seller", SELLER), day, 90, GridQuery())
    expected = (
        grid.filter((pl.col("status") != "deleted") & (pl.col("health") != "no_recent_sales"))
        .head(6)["sku"]
        .to_list()
    )
    deleted = grid.filter(pl.col("status") == "deleted")["sku"].to_list()
    assert deleted and not set(deleted) & set(expected)  # the demo has deleted listings
    table = section(seller_report, "worst")
    assert re.findall(r'<tr data-sku="([^"]+)">', table) == expected
    pages = re.findall(
        r'<section class="offer" id="offer-(\d+)" data-sku="([^"]+)">', seller_report
    )
    assert pages == [(str(i), sku) for i, sku in enumerate(expected, 1)]
    for row in grid.filter(pl.col("sku").is_in(expected)).iter_rows(named=True):
        assert html.escape(row["explanation"]) in seller_report
        assert html.escape(row["title"]) in seller_report
    assert seller_report.count('class="chart"') == 6


def test_worst_falls_back_to_deleted_listings_when_nothing_else():
    grid = pl.DataFrame(
        {"sku": ["A", "B"], "status": ["deleted", "deleted"], "health": ["poor", "fair"]}
    )
    assert worst_offers(grid, 6)["sku"].to_list() == ["A", "B"]


def test_actions_and_their_verdicts(service, seller_report):
    viewer, day = Viewer("seller", SELLER), service.latest_day()
    recorded = []
    for row in service.grid(viewer, day, 90, GridQuery()).iter_rows(named=True):
        for a in service.actions(viewer, day, 90, row["seller_id"], row["sku"]).iter_rows(
            named=True
        ):
            recorded.append((a["action_date"], row["sku"], a["action"], a["note"]))
    assert len(recorded) == 5  # the demo seller's actions: all fit on the first page
    recorded.sort(reverse=True)
    table = section(seller_report, "actions")
    rows = re.findall(r'<tr data-sku="([^"]+)"><td class="nowrap">([\d-]+)</td>', table)
    assert rows == [(sku, d.isoformat()) for d, sku, _, _ in recorded]
    for _, _, action, note in recorded:
        assert html.escape(ACTION_KINDS[action]) in table and html.escape(note) in table
    verdicts = re.findall(r'<span class="verdict (\w+)">', table)
    assert len(verdicts) == 5 and set(verdicts) <= set(document.VERDICTS)
    assert "improved" in verdicts  # the demo's fixes worked
    assert 'id="earlier-actions"' not in seller_report


def test_report_verdicts_are_the_engines():
    """The report shows engine/verdicts.py's verdict, with what is missing."""
    row = {"verdict": "not_enough_data", "missing": "needs 3 more matured weeks"}
    assert verdict(row) == "not_enough_data"
    assert set(document.VERDICTS) == {"improved", "no_clear_change", "worse", "not_enough_data"}
    shown = document._verdict(row)
    assert "Not enough data yet" in shown and "needs 3 more matured weeks" in shown


EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//""", re.IGNORECASE)


def test_the_document_loads_nothing_from_outside(seller_report):
    from plotly.offline import get_plotlyjs

    # plotly.js, inlined from the installed package, is the first script; its own strings
    # (e.g. the mode bar's link, which a static plot never draws) are not the document's
    bundle = get_plotlyjs().replace("</script", "<\\/script")
    assert f"<script>{bundle}</script>" in seller_report
    markup = seller_report.replace(bundle, "")
    assert not EXTERNAL.search(markup)
    assert "http://" not in markup and "https://" not in markup
    assert "<link" not in markup and "@import" not in markup
    assert "Content-Security-Policy" in markup and "default-src 'none'" in markup
    assert markup.count("<script>") == 2  # plotly.js, then the drawing (static plots)
    assert "staticPlot: true" in markup and "displayModeBar: false" in markup


def test_print_layout_for_a4_and_letter(service):
    a4 = report_html(service, Viewer("seller", SELLER), as_of=service.latest_day(), window_days=90)
    assert "@page { size: A4; margin: 14mm; }" in a4
    letter = report_html(
        service,
        Viewer("seller", SELLER),
        as_of=service.latest_day(),
        window_days=90,
        paper="letter",
    )
    assert "@page { size: letter; margin: 14mm; }" in letter
    css = document.CSS_FILE.read_text(encoding="utf-8")
    assert re.search(r"\.offer \{[^}]*break-before: page[^}]*break-inside: avoid", css)
    assert re.search(r"\.chart \{[^}]*width: 680px[^}]*break-inside: avoid", css)
    assert "@media print" in css and ".no-print { display: none !important; }" in css
    assert 'class="toolbar no-print"' in a4 and "window.print()" in a4
    # the chart's fixed width fits the printable width of both papers (96 CSS px per inch)
    for paper in document.PAPERS.values():
        printable = (paper.width_mm - 2 * document.MARGIN_MM) / 25.4 * 96
        assert printable >= document.CHART_WIDTH


def test_the_sheet_is_the_first_page_only(service):
    sheet = report_html(
        service, Viewer("seller", SELLER), as_of=service.latest_day(), window_days=90, sheet=True
    )
    assert '<html lang="en" class="sheet paper-a4">' in sheet
    assert 'id="worst"' in sheet and 'id="tiles"' in sheet
    assert '<section class="offer"' not in sheet and "plotly.js v" not in sheet
    assert 'class="toolbar' not in sheet
    assert document.PAPERS["a4"].pixels(150) == (1240, 1754)
    assert document.PAPERS["letter"].pixels(150) == (1275, 1650)


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_keep_a_contrast_of_4_5_on_every_background():
    css = document.CSS_FILE.read_text(encoding="utf-8")
    text = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", css))
    text |= set(re.findall(r"--(?:ink|muted):\s*(#[0-9a-fA-F]{6})", css))
    backgrounds = {"#ffffff", *re.findall(r"(?:background|--soft):\s*(#[0-9a-fA-F]{6})", css)}
    backgrounds -= {"#2c3e50", "#e9ecef", "#6c757d"}  # the button (white text), page, bars
    assert len(text) >= 5 and "#f1f3f5" in backgrounds
    for fg in text - {"#ffffff"}:
        for bg in backgrounds:
            assert contrast(fg, bg) >= 4.5, (fg, bg)
    assert contrast("#ffffff", "#2c3e50") >= 4.5  # the print button


HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
HOSTILE_COMMENT = "<script>alert(2)</script> broke </p></section> at once"
HOSTILE_NOTE = '"><svg onload=alert(3)>'
HOSTILE_ACTION = "<b onmouseover=alert(4)>edited</b>"


@pytest.fixture(scope="module")
def hostile_service():
    start = date(2026, 3, 2)
    orders = orders_for(100, start, sku="EVIL")
    events = []
    for o in orders[:12]:  # twelve returns, each with the hostile comment
        day = o["purchase_date"].date() + timedelta(days=3)
        events.append(event(day, sku="EVIL", order_id=o["order_id"], comment=HOSTILE_COMMENT))
    con = build([offer(sku="EVIL", title=HOSTILE_TITLE)], orders, events)
    actions = pl.DataFrame(
        {
            "seller_id": ["S1"],
            "sku": ["EVIL"],
            "action_date": [start + timedelta(days=30)],
            "action": [HOSTILE_ACTION],
            "note": [HOSTILE_NOTE],
        }
    )
    pipeline.load_frames(con, {"actions": actions})
    svc = VocService.over(con)
    yield svc
    con.close()


def test_hostile_text_is_escaped(hostile_service):
    text = report_html(
        hostile_service,
        Viewer("seller", "S1"),
        as_of=hostile_service.latest_day(),
        window_days=90,
    )
    for raw in (HOSTILE_TITLE, HOSTILE_COMMENT, HOSTILE_NOTE, HOSTILE_ACTION):
        assert raw not in text
    assert "<img src=x" not in text and "<svg onload" not in text
    assert "<script>alert" not in text and "<b onmouseover" not in text
    assert html.escape(HOSTILE_TITLE) in text
    assert html.escape(HOSTILE_COMMENT) in text
    assert html.escape(HOSTILE_NOTE) in text
    assert html.escape(HOSTILE_ACTION) in text
    # the figure's JSON cannot end its <script> element
    figure = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', text, re.S)
    assert figure and "<" not in figure.group(1) and ">" not in figure.group(1)
    assert text.count("</section>") == text.count("<section")


class Args(dict):
    """Query parameters as Flask passes them (a mapping of str to str)."""


def test_parameters_fall_back_with_notes(service):
    req = parse_request(
        service,
        Args(view="nobody", as_of="2099-01-01", window="7", paper="legal", health="poor"),
    )
    assert req.viewer == Viewer("seller", SELLER)
    assert req.as_of == service.latest_day() and req.window_days == 90 and req.paper == "a4"
    assert len(req.notes) == 4
    assert any("“nobody”" in n for n in req.notes)
    assert any("2099-01-01 is after the latest day" in n for n in req.notes)
    assert any("“7”" in n for n in req.notes) and any("“legal”" in n for n in req.notes)
    early = parse_request(service, Args(as_of="2001-01-01"))
    assert early.as_of == service.latest_day()
    assert early.notes == ("as_of 2001-01-01 is before the first day with data: showing "
                           f"{service.latest_day()}",)  # fmt: skip
    bad_day = parse_request(service, Args(as_of="yesterday"))
    assert bad_day.as_of == service.latest_day() and "not a day" in bad_day.notes[0]


def test_parameters_build_the_viewer_as_the_page_does(service):
    cats = service.categories()[:2]
    req = parse_request(
        service, Args(view="cm", cats=",".join([*cats, "Nope"]), window="30", paper="letter")
    )
    assert req.viewer == Viewer("category_manager", categories=tuple(cats))
    assert (req.window_days, req.paper) == (30, "letter")
    assert req.notes == ("unknown category “Nope”: left out",)
    assert parse_request(service, Args()).viewer == Viewer("seller", SELLER)
    assert parse_request(service, Args(view="cm")).viewer == Viewer("category_manager")
    other = service.sellers()[0]
    assert parse_request(service, Args(view=other, cats="Home")).viewer == Viewer("seller", other)


@pytest.fixture(scope="module")
def client(demo_store):
    return app_module.create_app(demo_store).server.test_client()


def test_route_serves_the_report(client, service):
    response = client.get("/report")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    text = response.get_data(as_text=True)
    assert "Seller: Northwind Home (S-DEMO)" in text
    assert f'<dd id="as-of">{service.latest_day()}</dd>' in text
    assert 'id="ignored"' not in text
    assert 'href="?view=S-DEMO&amp;as_of=' in text and "paper=letter" in text


def test_route_ignores_bad_parameters_visibly(client, service):
    response = client.get("/report?view=<b>x</b>&window=abc&as_of=2026-02-30&q=mat")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    notes = section(text, "ignored")
    assert "Some parameters were ignored" in notes
    assert "view “&lt;b&gt;x&lt;/b&gt;”" in notes and "<b>x</b>" not in text
    assert "window “abc”" in notes and "as_of “2026-02-30” is not a day" in notes
    assert "mat" not in notes  # keys the report does not use are not complaints
    assert f'<dd id="as-of">{service.latest_day()}</dd>' in text


def test_route_for_a_category_manager_on_letter(client):
    response = client.get("/report?view=cm&cats=Home%20%26%20Kitchen&window=30&paper=letter")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 id="who">Category manager: Home &amp; Kitchen</h1>' in text
    assert "@page { size: letter; margin: 14mm; }" in text and "30 days" in text
    assert " · seller " in section(text, "worst")  # whose offers they are


def test_reporting_reads_data_only_through_the_service():
    for path in Path(document.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert ".execute(" not in source and ".sql(" not in source and "duckdb" not in source


def test_earlier_actions_go_to_a_last_page(service):
    cm = Viewer("category_manager", categories=("Home & Kitchen",))
    text = report_html(service, cm, as_of=service.latest_day(), window_days=90)
    first = re.findall(r'<tr data-sku="', section(text, "actions"))
    assert len(first) == document.FIRST_PAGE_ACTIONS
    rest = text.split('id="earlier-actions"')[1]
    assert rest.count('<tr data-sku="') >= 1
    assert "earlier action" in section(text, "actions") and "on the last page" in text
    assert text.index('id="earlier-actions"') > text.rindex('<section class="offer"')


def test_worst_offers_say_how_many_ncx_orders_are_yours_to_fix(service, seller_report):
    """Each worst offer says who caused its NCX orders when some are not the seller's
    (the fulfilment centre, commingled stock), as the page's detail does."""
    pages = re.findall(r'<section class="offer" id="offer-(\d+)" data-sku="([^"]+)">',
                       seller_report)  # fmt: skip
    said = 0
    for i, sku in pages:
        fix = service.offer_detail(Viewer("seller", SELLER), service.latest_day(), 90,
                                   SELLER, sku).fix  # fmt: skip
        start = seller_report.index(f'id="offer-{i}"')
        page = seller_report[start : seller_report.index("</section>", start)]
        if fix.not_yours:
            assert html.escape(f"{fix.sentence()}.") in page
            said += 1
        else:
            assert "yours to fix" not in page
    assert said  # the demo's worst offers include some
