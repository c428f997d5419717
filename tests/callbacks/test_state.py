"""Page state: URL round trips, tile toggles, row clicks, clearing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from callbacks import state as st
from callbacks.page_state import transition
from layouts.ids import ID

BASE = st.defaults("S-DEMO", date(2026, 10, 31))


def test_url_round_trip_keeps_every_field():
    state = st.PageState(
        view="S-1",
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
        sort="ncx_rate:asc",
    )
    query = st.to_query(state, BASE)
    assert st.parse_query(query, BASE) == (state, [])
    cm = st.PageState(
        view=st.CM, cm_categories=("Home & Kitchen", "Toys & Games"), as_of="2026-09-30"
    )
    assert st.parse_query(st.to_query(cm, BASE), BASE) == (cm, [])


def test_defaults_make_an_empty_query_and_junk_is_ignored():
    assert st.to_query(BASE, BASE) == ""
    junk, notes = st.parse_query("?window=7&health=awful,poor&as_of=yesterday&nope=1", BASE)
    assert (junk.window, junk.health, junk.as_of) == (90, ("poor",), BASE.as_of)
    assert any("'7'" in n and "90 days" in n for n in notes), notes
    assert any("'yesterday' is not a day" in n for n in notes), notes


BOUNDS = st.Bounds(
    views=frozenset({"S-DEMO", "S-1"}),
    first_day=date(2025, 11, 1),
    last_day=date(2026, 10, 31),
    sortable=frozenset({"ncx_rate", "title"}),
)


def test_a_link_outside_the_data_falls_back_to_the_default_with_a_note():
    early, notes = st.parse_query("?as_of=2020-01-01", BASE, BOUNDS)
    assert early.as_of == BASE.as_of
    assert notes == [
        "The data covers 2025-11-01 to 2026-10-31; the link's as-of day 2020-01-01 is outside "
        "it: showing 2026-10-31."
    ]
    late, notes = st.parse_query("?as_of=2027-03-01&window=30", BASE, BOUNDS)
    assert (late.as_of, late.window, len(notes)) == (BASE.as_of, 30, 1)
    inside, notes = st.parse_query("?as_of=2025-11-01", BASE, BOUNDS)
    assert (inside.as_of, notes) == ("2025-11-01", [])
    stranger, notes = st.parse_query("?view=S-NOBODY&offer=S-NOBODY|X", BASE, BOUNDS)
    assert (stranger.view, stranger.offer) == ("S-DEMO", "")
    assert notes == ["There is no seller 'S-NOBODY' in this data: showing S-DEMO."]
    sorted_by_junk, _ = st.parse_query("?sort=password:desc", BASE, BOUNDS)
    assert sorted_by_junk.sort == ""
    assert st.parse_query("?sort=title:sideways", BASE, BOUNDS)[0].sort == ""
    assert st.parse_query("?sort=title:desc", BASE, BOUNDS)[0].sort == "title:desc"


def test_a_category_manager_has_one_category_picker():
    state, _ = st.parse_query("?view=cm&category=Toys", BASE, BOUNDS)
    assert (state.cm_categories, state.categories) == (("Toys",), ())
    seller = st.PageState(view=st.CM, as_of="2026-10-31", categories=("Toys",))
    switched = transition(seller, ID.VIEW_AS, "value", None, None)
    assert (switched.cm_categories, switched.categories) == (("Toys",), ())


def test_a_sort_chosen_on_a_header_and_a_row_opened_from_the_keyboard():
    sort = {"data": {"kind": "sort", "sort": "ncx_rate:desc"}}
    by_rate = transition(BASE, ID.GRID, "eventData", None, None, sort)
    assert by_rate.sort == "ncx_rate:desc"
    assert st.sort_of(by_rate) == ("ncx_rate", "desc")
    unsorted = transition(
        by_rate, ID.GRID, "eventData", None, None, {"data": {"kind": "sort", "sort": ""}}
    )
    assert unsorted.sort == ""
    junk = {"data": {"kind": "sort", "sort": "'; DROP TABLE offers:desc"}}
    assert transition(BASE, ID.GRID, "eventData", None, None, junk).sort == ""
    opened = transition(
        BASE, ID.GRID, "eventData", None, None, {"data": {"kind": "open", "key": "S-1|A"}}
    )
    assert (opened.offer, opened.resolve) == ("S-1|A", False)
    assert st.clear_filters(replace(by_rate, health=("poor",))).sort == "ncx_rate:desc"


def test_a_peer_table_click_opens_that_offer():
    clicked = transition(BASE, {"type": "peer-offer", "key": "S-9|B"}, "n_clicks", None, None)
    assert clicked.offer == "S-9|B"


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
    risk = transition(action, {"type": "health-tile", "level": "at_risk"}, "n_clicks", None, None)
    assert (risk.at_risk, risk.action_required, risk.health) == (True, False, ())
    assert st.grid_query_of(risk).at_risk
    assert not transition(
        risk, {"type": "health-tile", "level": "poor"}, "n_clicks", None, None
    ).at_risk
    off = transition(risk, {"type": "health-tile", "level": "at_risk"}, "n_clicks", None, None)
    assert not off.at_risk


def test_at_risk_filter_is_kept_in_the_url():
    state = replace(BASE, at_risk=True)
    query = st.to_query(state, BASE)
    assert "risk=1" in query
    assert st.parse_query(query, BASE)[0].at_risk
    assert st.from_controls(st.to_controls(state)) == state


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
