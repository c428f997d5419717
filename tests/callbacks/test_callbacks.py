"""Callbacks called as plain functions against the demo store."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import polars as pl
import pytest

import app as app_module
from engine.health import Viewer
from engine.service import GridQuery

SELLER = "S-DEMO"


@pytest.fixture(scope="module")
def dash_app(demo_store):
    return app_module.create_app(demo_store)


def callback(dash_app, name: str):
    for entry in dash_app.callback_map.values():
        func = entry.get("callback")  # clientside callbacks have none
        if func is not None and func.__name__ == name:
            return func.__wrapped__
    raise KeyError(name)


def scope(service, view=SELLER, cats=None, window=90):
    return view, cats, service.latest_day().isoformat(), window, 0


def test_tiles_show_the_engine_counts(dash_app, service):
    levels = [
        "excellent",
        "good",
        "fair",
        "poor",
        "very_poor",
        "insufficient_feedback",
        "no_recent_sales",
        "action_required",
        "at_risk",
    ]
    ids = [{"type": "health-tile", "level": lv} for lv in levels]
    counts, classes = callback(dash_app, "update_tiles")(*scope(service), ["poor"], [], [], ids)
    expected = service.tile_counts(Viewer("seller", SELLER), service.latest_day(), 90)
    assert counts == [f"{expected[lv]:,}" for lv in levels]
    assert classes[levels.index("poor")] == "health-tile active"
    assert sum(c == "health-tile active" for c in classes) == 1


def grid_rows(dash_app, service, view=SELLER, health=(), search="", at_risk=False):
    risk = ["yes"] if at_risk else []
    query, count = callback(dash_app, "update_grid_query")(
        *scope(service, view), list(health), [], risk, [], [], [], [], [], [], search
    )
    response, shown = callback(dash_app, "update_grid_rows")(
        {"startRow": 0, "endRow": 100}, query, ""
    )
    assert shown == count  # the count the grid's rows come with is the query's
    return response, count


def test_at_risk_tile_and_filter_show_the_at_risk_offers_with_their_reason(dash_app, service):
    ids = [{"type": "health-tile", "level": "at_risk"}]
    counts, classes = callback(dash_app, "update_tiles")(
        *scope(service, "cm"), [], [], ["yes"], ids
    )
    response, count = grid_rows(dash_app, service, view="cm", at_risk=True)
    assert classes == ["health-tile active"]
    assert counts == [f"{response['rowCount']:,}"] and response["rowCount"] > 0
    rows = response["rowData"]
    assert all(r["at_risk"] and r["early_warning"] for r in rows)
    assert {r["health"] for r in rows} <= {"excellent", "good", "fair"}
    assert any("Recent surge above peers" in r["early_warning"] for r in rows)


def test_grid_filters_by_health_and_pages_from_the_server(dash_app, service):
    response, count = grid_rows(dash_app, service, health=["poor"])
    rows = response["rowData"]
    assert rows and {r["health"] for r in rows} == {"poor"}
    assert count == f"{response['rowCount']:,} offers match"
    everything, _ = grid_rows(dash_app, service, view="cm")
    assert everything["rowCount"] > 5000 and len(everything["rowData"]) == 100  # one block only


def test_grid_rows_asked_before_the_query_store_is_filled_follow_the_address(dash_app, service):
    """The grid asks for its first block as the page loads; a request left unanswered
    would keep the grid loading for good, so the address decides until the query exists."""
    day = service.latest_day().replace(day=1)
    search = f"?as_of={day}&window=30&category=Home%20%26%20Kitchen&subcategory=Bedding"
    request = {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "orders", "sort": "asc"}]}
    response, count = callback(dash_app, "update_grid_rows")(request, None, search)
    query = GridQuery(
        categories=("Home & Kitchen",), subcategories=("Bedding",), sort_by="orders",
        descending=False,
    )  # fmt: skip
    expected = service.grid(Viewer("seller", SELLER), day, 30, query)
    assert 1 < response["rowCount"] == expected.height < 100
    assert [r["sku"] for r in response["rowData"]] == expected["sku"].to_list()
    assert count == f"{expected.height} offers match"


def test_grid_is_worst_first_and_scoped_to_the_seller(dash_app, service):
    rows = grid_rows(dash_app, service)[0]["rowData"]
    assert {r["seller_id"] for r in rows} == {SELLER}
    assert rows[0]["health"] == "very_poor"
    none, count = grid_rows(dash_app, service, search="no such product anywhere")
    assert none["rowCount"] == 0 and count == "No offers match these filters"


def test_offer_detail_for_a_visible_and_a_hidden_offer(dash_app, service):
    detail = callback(dash_app, "update_offer_detail")
    worst = grid_rows(dash_app, service)[0]["rowData"][0]
    title, explanation, _actions, trend, by_source, by_theme, style = detail(
        worst["key"], *scope(service)
    )
    assert "orders" in json.dumps(explanation, default=str)
    trend, by_source, by_theme = (go.Figure(f) for f in (trend, by_source, by_theme))  # validates
    assert len(trend.data) >= 4 and style == {}
    assert trend.layout.yaxis.title.text == "NCX rate (%)"
    assert any(trace.name == "Counted (NCX)" for trace in by_theme.data)
    assert sum(sum(t.x) for t in by_source.data) == sum(sum(t.x) for t in by_theme.data)
    other = (
        service.grid(Viewer("category_manager"), service.latest_day(), 90, GridQuery())
        .filter(pl.col("seller_id") != SELLER)
        .row(0, named=True)
    )
    hidden = detail(f"{other['seller_id']}|{other['sku']}", *scope(service))
    assert hidden[0] == "This offer is not visible in the current view"
    assert hidden[-1]["visibility"] == "hidden"


def test_comments_of_an_offer_and_resolve_mode(dash_app, service):
    comments = callback(dash_app, "update_comments")
    key = f"{SELLER}|NW-DGT-087"  # closed for NCX: action required
    rows, title, _count, remedy = comments(
        key, False, None, None, None, None, None, None, *scope(service)
    )
    assert rows and {r["sku"] for r in rows} == {"NW-DGT-087"}
    assert title.startswith("Customer comments")
    rows, title, _count, remedy = comments(
        key, True, None, None, None, None, None, None, *scope(service)
    )
    assert title.startswith("Resolve issue") and remedy is not None
    assert rows and all(r["counted"].startswith("Counted") for r in rows)


def test_comment_text_filter_is_plain_text(dash_app, service):
    comments = callback(dash_app, "update_comments")
    rows, *_ = comments(None, False, None, None, None, None, None, "100%", *scope(service, "cm"))
    assert all("100%" in r["comment"] for r in rows)


def test_peer_view_only_for_category_managers(dash_app, service):
    peers = callback(dash_app, "update_peer_view")
    key = f"{SELLER}|NW-PIL-030"
    style, _fig, _table = peers(key, *scope(service))
    assert style == {"display": "none"}
    style, fig, table = peers(key, *scope(service, "cm"))
    fig = go.Figure(fig)  # validates the figure dict
    assert style == {} and fig.data and fig.data[0].type == "histogram"
    assert "Worst offers" in json.dumps(table.to_plotly_json(), default=str)


def test_a_stale_grid_block_gets_the_true_count_and_a_far_range_is_refused(dash_app, service):
    """After an import the grid's count may be stale: a block past the filtered rows is
    answered empty with the true count; a range past every offer of the viewer is refused."""
    import json as _json

    from engine.access import Refused

    rows = callback(dash_app, "update_grid_rows")
    day = service.latest_day().isoformat()
    query = _json.dumps(
        {
            "scope": {"view": "S-DEMO", "cm_categories": None, "as_of": day, "window": 90},
            "query": {"health": ["very_poor"]},
        }
    )
    answer, _count = rows({"startRow": 100, "endRow": 200}, query, "")
    assert answer["rowData"] == [] and 0 < answer["rowCount"] < 100
    with pytest.raises(Refused):
        rows({"startRow": 100_000, "endRow": 100_100}, query, "")
