"""Page state: URL round trips, tile toggles, row clicks, clearing."""

from __future__ import annotations

from datetime import date

from callbacks import state as st
from callbacks.page_state import transition
from engine.health import Viewer
from layouts.ids import ID

BASE = st.defaults("S-DEMO", date(2026, 10, 31))


def test_url_round_trip_keeps_every_field():
    state = st.PageState(
        view=st.CM,
        cm_categories=("Home & Kitchen", "Toys & Games"),
        as_of="2026-09-30",
        window=180,
        health=("poor", "very_poor"),
        categories=("Home & Kitchen",),
        subcategories=("Pillow inserts",),
        price_bands=("10-25",),
        fulfilment=("FBA",),
        statuses=("closed",),
        with_comments=True,
        search="pillow & co",
        offer="S-1|SKU,1",
        action_required=True,
        resolve=True,
    )
    query = st.to_query(state, BASE)
    assert st.parse_query(query, BASE) == state


def test_defaults_make_an_empty_query_and_junk_is_ignored():
    assert st.to_query(BASE, BASE) == ""
    junk = st.parse_query("?window=7&health=awful,poor&as_of=yesterday&nope=1", BASE)
    assert (junk.window, junk.health, junk.as_of) == (90, ("poor",), BASE.as_of)


def test_controls_round_trip():
    state = st.PageState(view="S-DEMO", as_of="2026-10-31", health=("poor",), with_comments=True)
    assert st.from_controls(st.to_controls(state)) == state


def test_tile_click_filters_and_second_click_clears():
    poor = transition(BASE, {"type": "health-tile", "level": "poor"}, "n_clicks", None, None)
    assert poor.health == ("poor",)
    again = transition(poor, {"type": "health-tile", "level": "poor"}, "n_clicks", None, None)
    assert again.health == ()
    action = transition(
        poor, {"type": "health-tile", "level": "action_required"}, "n_clicks", None, None
    )
    assert (action.action_required, action.health) == (True, ())


def test_row_click_selects_and_resolve_button_opens_resolve_mode():
    cell = {"rowId": "S-DEMO|NW-1", "colId": "title"}
    picked = transition(BASE, ID.GRID, "cellClicked", cell, None)
    assert (picked.offer, picked.resolve) == ("S-DEMO|NW-1", False)
    resolved = transition(BASE, ID.GRID, "cellRendererData", None, {"rowId": "S-DEMO|NW-2"})
    assert (resolved.offer, resolved.resolve) == ("S-DEMO|NW-2", True)


def test_clear_keeps_viewer_and_day_and_view_change_drops_selection():
    busy = st.PageState(
        view="S-DEMO", as_of="2026-10-31", window=30, health=("poor",), offer="S-DEMO|A"
    )
    cleared = transition(busy, ID.F_CLEAR, "n_clicks", None, None)
    assert cleared == st.PageState(view="S-DEMO", as_of="2026-10-31", window=30)
    other = transition(busy, ID.VIEW_AS, "value", None, None)
    assert other.offer == ""


def test_viewer_of_state():
    assert st.viewer_of(BASE) == Viewer("seller", "S-DEMO")
    cm = st.PageState(view=st.CM, cm_categories=("Toys",))
    assert st.viewer_of(cm) == Viewer("category_manager", categories=("Toys",))
