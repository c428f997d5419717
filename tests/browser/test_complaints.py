"""'What customers complain about' on the page (issue 9, item 9), in real Chromium: a poor
offer's theme breakdown, its top theme the engine's top NCX reason."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.health import Viewer
from engine.themes import THEME_LABELS
from tests.browser.test_page import (
    DEMO,
    OFFER_ROWS,
    PINNED_ROWS,
    open_page,
    settle,
    tile,
    wait_for_grid_count,
)

pytestmark = pytest.mark.browser
SHARES = "#offer-theme-shares"


def drawn_bars(page, graph: str) -> list[dict]:
    """The bar labels on a horizontal bar chart as drawn, top to bottom: the category
    (tick text) and the bar's value label, per trace."""
    return page.evaluate(
        """sel => {
            const root = document.querySelector(sel);
            const ticks = [...root.querySelectorAll('.yaxislayer-above .ytick text')]
                .map(t => ({text: t.textContent, y: t.getBoundingClientRect().top}))
                .sort((a, b) => a.y - b.y);
            const traces = [...root.querySelectorAll('.barlayer .trace')].map(
                tr => [...tr.querySelectorAll('.point')].map(p => ({
                    y: p.getBoundingClientRect().top,
                    text: (p.querySelector('.bartext') || {}).textContent || '',
                })).sort((a, b) => a.y - b.y).map(p => p.text));
            return {ticks: ticks.map(t => t.text), traces};
        }""",
        graph,
    )


def test_a_poor_offers_theme_breakdown_shows_its_top_theme_first(
    page, shot, service, demo_day, demo_counts
):
    open_page(page)
    tile(page, "poor").click()
    expect(page).to_have_url(re.compile(r"[?&]health=poor(&|$)"))
    wait_for_grid_count(page, demo_counts["poor"])
    expect(page.locator(f'{OFFER_ROWS}[row-index="0"] .health-badge')).to_have_text("Poor")
    row = page.locator(f'{PINNED_ROWS}[row-index="0"]')
    seller_id, sku = row.get_attribute("row-id").split("|", 1)
    me = service.offer(Viewer("seller", DEMO), demo_day, 90, seller_id, sku)
    assert me["health"] == "poor" and me["top_ncx_reason"]
    row.locator('[col-id="title"]').click()
    expect(page.locator("#offer-detail-title")).to_contain_text(f"SKU {sku}")

    section = page.locator("#offer-themes")
    section.scroll_into_view_if_needed()
    expect(section.locator("h3")).to_have_text("What customers complain about")
    expect(page.locator(f"{SHARES} .barlayer .trace")).to_have_count(2)  # offer, similar offers
    expect(page.locator(f"{SHARES} .legendtext")).to_have_text(["This offer", "Similar offers"])
    drawn = drawn_bars(page, SHARES)
    top = THEME_LABELS[me["top_ncx_reason"]]
    assert drawn["ticks"][0] == top, drawn
    assert drawn["traces"][0][0] == f"{me['top_ncx_reason_share'] * 100:.0f} %", drawn
    shares = service.theme_shares(Viewer("seller", DEMO), demo_day, 90, seller_id, sku)
    assert drawn["ticks"] == [THEME_LABELS[t] for t in shares["theme"]]
    # the weekly mix: a strip for the offer and one for its similar offers, themes in the legend
    weeks = page.locator("#offer-theme-weeks")
    expect(weeks.locator(".barlayer .trace").first).to_be_attached()
    expect(weeks.locator(".annotation-text")).to_have_text(["This offer", "Similar offers"])
    expect(weeks.locator(".legendtext", has_text=top)).to_have_count(1)
    # example comments, as text, the top theme's first, the offer's own
    examples = service.theme_examples(Viewer("seller", DEMO), demo_day, 90, seller_id, sku)
    first = examples.filter(examples["theme"] == me["top_ncx_reason"])["examples"][0][0]
    assert first["sku"] == sku
    group = page.locator("#offer-theme-phrases .theme-examples").first
    expect(group).to_have_attribute("data-theme", me["top_ncx_reason"])
    expect(group.locator(".example-comment").first).to_have_text(first["comment"].strip())
    settle(page)
    shot("complaints-poor-offer-themes")
