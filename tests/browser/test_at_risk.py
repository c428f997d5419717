"""The early warning on the page (issue 9, item 8): the At risk tile filters the grid."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.health import Viewer
from engine.service import GridQuery
from tests.browser.test_page import (
    DEMO,
    PINNED_ROWS,
    collect_offer_rows,
    open_page,
    settle,
    tile,
    wait_for_grid_count,
)

pytestmark = pytest.mark.browser


def test_at_risk_tile_filters_the_grid_to_the_offers_at_risk(
    page, shot, service, demo_counts, demo_day
):
    n = demo_counts["at_risk"]
    expected = service.grid(Viewer("seller", DEMO), demo_day, 90, GridQuery(at_risk=True))
    assert n == expected.height > 0
    open_page(page)
    expect(tile(page, "at_risk").locator(".tile-count")).to_have_text(f"{n:,}")

    tile(page, "at_risk").click()
    expect(page).to_have_url(re.compile(r"[?&]risk=1(&|$)"))
    wait_for_grid_count(page, n)
    expect(tile(page, "at_risk")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#filter-at-risk input")).to_be_checked()
    rows = collect_offer_rows(page, n, ("sku", "health_rank", "at_risk_reason"))
    assert set(rows) == {f"{DEMO}|{sku}" for sku in expected["sku"]}
    words = {cells["at_risk_reason"] for cells in rows.values()}
    assert None not in words and "" not in words
    assert all(re.match(r"^(Recent surge above peers|Cluster: )", w) for w in words), words
    assert {cells["health_rank"] for cells in rows.values()} <= {"excellent", "good", "fair"}
    shot("at-risk-tile-filters-grid")

    # the offer's detail says why it is at risk
    first = page.locator(PINNED_ROWS).first
    first.locator('[col-id="title"]').click()
    expect(page.locator("#offer-risk-note")).to_contain_text("Early warning: At risk while still")

    # a link keeps the filter; clicking the tile again clears it
    page.reload()
    wait_for_grid_count(page, n)
    tile(page, "at_risk").click()
    expect(page).not_to_have_url(re.compile(r"risk=1"))
    expect(tile(page, "at_risk")).not_to_have_class(re.compile(r"\bactive\b"))
    settle(page)
