"""The offer detail's traced NCX orders, called as plain functions against the demo store:
the rows are the offer's NCX orders with all their events, in the viewer's scope, and the
download holds what the grid shows plus the engine's codes."""

from __future__ import annotations

import csv
import io
import json

import polars as pl
import pytest

import app as app_module
from engine import exports
from engine.health import Viewer
from engine.service import GridQuery
from layouts.downloads import NCX_COLUMNS, NCX_RAW, ncx_orders_sheet
from layouts.traced import NO_ORDER
from tests.callbacks.test_callbacks import SELLER, callback, scope


@pytest.fixture(scope="module")
def dash_app(demo_store):
    return app_module.create_app(demo_store)


def poor_offer(service) -> dict:
    mine = service.offers(Viewer("seller", SELLER), service.latest_day(), 90)
    poor = mine.filter(pl.col("health").is_in(["poor", "very_poor"]), pl.col("orders") > 0)
    return poor.sort("ncx_orders", descending=True).row(0, named=True)


def test_traced_ncx_orders_of_a_poor_offer(dash_app, service):
    me = poor_offer(service)
    title, rows = callback(dash_app, "update_ncx_orders")(f"{SELLER}|{me['sku']}", *scope(service))
    orders = {r["ncx_key"] for r in rows}
    assert len(orders) == me["ncx_orders"] and me["ncx_orders"] > 0
    assert title.startswith(f"{me['ncx_orders']} NCX orders traced to their {len(rows)} events")
    events = service.ncx_order_events(
        Viewer("seller", SELLER), service.latest_day(), 90, SELLER, me["sku"]
    )
    assert [r["id"] for r in rows] == events["feedback_id"].to_list()
    # every order has a counted event; comments pass through as written
    assert all(any(r["counted"] == "Counted" for r in rows if r["ncx_key"] == k) for k in orders)
    by_id = dict(zip(events["feedback_id"], events["comment"], strict=True))
    assert all(r["comment"] == (by_id[r["id"]] or "") for r in rows)
    assert {r["order_caused_by"] for r in rows} <= {"You", "Fulfilment centre", "Commingled stock"}
    assert all(r["order"] != NO_ORDER or r["ncx_key"].startswith("event:") for r in rows)


def test_no_offer_or_another_sellers_offer_shows_nothing(dash_app, service):
    traced = callback(dash_app, "update_ncx_orders")
    assert traced(None, *scope(service)) == ("", [])
    other = (
        service.grid(Viewer("category_manager"), service.latest_day(), 90, GridQuery())
        .filter(pl.col("seller_id") != SELLER, pl.col("ncx_orders") > 0)
        .row(0, named=True)
    )
    assert traced(f"{other['seller_id']}|{other['sku']}", *scope(service)) == ("", [])
    # the category manager sees it
    title, rows = traced(f"{other['seller_id']}|{other['sku']}", *scope(service, view="cm"))
    assert rows and len({r["ncx_key"] for r in rows}) == other["ncx_orders"]


def test_an_offer_without_ncx_orders_says_so(dash_app, service):
    mine = service.offers(Viewer("seller", SELLER), service.latest_day(), 90)
    clean = mine.filter(pl.col("ncx_orders") == 0, pl.col("orders") > 0).row(0, named=True)
    title, rows = callback(dash_app, "update_ncx_orders")(
        f"{SELLER}|{clean['sku']}", *scope(service)
    )
    assert (title, rows) == ("No NCX orders in this window", [])


def test_the_download_holds_the_grid_and_the_codes(service):
    me = poor_offer(service)
    events = service.ncx_order_events(
        Viewer("seller", SELLER), service.latest_day(), 90, SELLER, me["sku"]
    )
    text = exports.to_csv(ncx_orders_sheet(events, [("Offer", me["sku"])])).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    header = [c.header for c in NCX_COLUMNS] + NCX_RAW
    start = lines.index(header)
    body = lines[start + 1 :]
    assert len(body) == events.height
    col = header.index("feedback_id")
    assert [r[col] for r in body] == events["feedback_id"].to_list()
    caused = header.index("caused_by_code")
    assert [r[caused] for r in body] == events["caused_by"].to_list()
    empty = exports.to_csv(ncx_orders_sheet(pl.DataFrame(), [])).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(empty)))[-1] == header


def test_the_explanation_says_how_many_ncx_orders_are_yours_to_fix(dash_app, service):
    me = Viewer("seller", SELLER)
    day = service.latest_day()
    offers = service.offers(me, day, 90).filter(pl.col("ncx_orders") > 0)
    details = {
        r["sku"]: service.offer_detail(me, day, 90, SELLER, r["sku"])
        for r in offers.head(40).iter_rows(named=True)
    }
    mixed = next(sku for sku, d in details.items() if d.fix.not_yours)
    mine = next(sku for sku, d in details.items() if not d.fix.not_yours)
    detail = callback(dash_app, "update_offer_detail")
    explanation = json.dumps(detail(f"{SELLER}|{mixed}", *scope(service))[1], default=str)
    fix = details[mixed].fix
    assert f"{fix.sentence()}." in explanation and "yours to fix" in explanation
    assert fix.yours + fix.not_yours == fix.ncx_orders
    plain = json.dumps(detail(f"{SELLER}|{mine}", *scope(service))[1], default=str)
    assert "yours to fix" not in plain
