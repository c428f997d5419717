"""A French comment on the page shows its theme and the phrase that decided it (issue 9,
items 1-2): the demo's French-speaking customers, as Québec writes, accents or none."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from engine.themes import THEME_LABELS, classify_explained
from layouts.grid import decided_words
from tests.browser.test_page import DEMO, open_page

pytestmark = pytest.mark.browser

COMMENT_ROWS = "#comments-grid .ag-center-cols-container .ag-row"


def french_comment(service, day) -> dict:
    """The featured seller's newest French comment within 90 days whose theme a phrase
    decided (the demo writes French on every fourth offer)."""
    cur = service.cursor()
    try:
        row = cur.execute(
            """
            SELECT sku, comment, theme, decided_by FROM events
            WHERE seller_id = ? AND event_day BETWEEN ? - 89 AND ?
                AND decided_by LIKE 'phrase:%' AND theme <> 'other'
                AND regexp_matches(comment, '[éèàçê]')
            ORDER BY event_date DESC, feedback_id LIMIT 1
            """,
            [DEMO, day, day],
        ).fetchone()
    finally:
        cur.close()
    assert row is not None, "the demo should hold French comments decided by a phrase"
    return dict(zip(("sku", "comment", "theme", "decided_by"), row, strict=True))


def test_a_french_comment_shows_its_theme_and_what_decided_it(page, service, demo_day):
    found = french_comment(service, demo_day)
    # the reference classifier agrees with what the store derived
    assert classify_explained(None, found["comment"])[1:] == (found["theme"], found["decided_by"])
    open_page(page, "/?offer=" + quote(f"{DEMO}|{found['sku']}", safe=""))
    expect(page.locator("#comments-title")).to_contain_text("Customer comments — ")
    page.locator("#comments-text input, input#comments-text").first.fill(found["comment"][:40])
    row = page.locator(COMMENT_ROWS).filter(has_text=found["comment"][:40]).first
    expect(row).to_be_visible()
    expect(row.locator('[col-id="theme"]')).to_have_text(THEME_LABELS[found["theme"]])
    decided = row.locator('[col-id="decided_by"]')
    assert decided.evaluate("el => el.textContent") == decided_words(found["decided_by"])
