"""An offer's NCX orders traced to all their events, who caused them and the share that is
the seller's to fix (engine.traced through VocService), on tiny inline stores."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.health import Viewer
from engine.service import VocService
from engine.traced import EVENT_COLUMNS, FixShare
from tests.engine.builders import build, event, offer, order

T = date(2026, 3, 31)
ME = Viewer("seller", "S1")


@pytest.fixture
def svc():
    orders = [
        order(T - timedelta(days=5), order_id="MINE"),
        order(T - timedelta(days=4), order_id="POOL", sold_by_seller=False),
        order(T - timedelta(days=3), order_id="FC"),
        order(T - timedelta(days=2), order_id="CANC", status="cancelled"),
        order(T - timedelta(days=200), order_id="OLD"),  # purchased before the window
        order(T - timedelta(days=1), order_id="QUIET"),  # only an uncounted review
        order(T - timedelta(days=6), order_id="LATE"),  # its counted event is after T
        *(order(T - timedelta(days=10), order_id=f"N{i}") for i in range(6)),
        order(T, "S2", "B", order_id="OTHER"),
    ]
    feedback = [
        event(T - timedelta(days=3), order_id="MINE"),
        event(
            T - timedelta(days=2),
            order_id="MINE",
            source="review",
            rating=4,
            reason_code=None,
            comment="<b>fine</b> otherwise",
        ),  # fmt: skip
        event(
            T - timedelta(days=1), order_id="MINE", source="refund", reason_code=None, comment=None
        ),  # fmt: skip
        event(T - timedelta(days=2), order_id="POOL"),
        event(T - timedelta(days=2), order_id="FC", reason_code="DAMAGED_BY_FC"),
        event(T - timedelta(days=1), order_id="FC", reason_code="DEFECTIVE"),
        event(T - timedelta(days=1), order_id="CANC"),
        event(T - timedelta(days=1), order_id="OLD"),
        event(T, order_id="QUIET", source="review", rating=5, reason_code=None),
        event(T + timedelta(days=1), order_id="LATE"),
        event(
            T - timedelta(days=7),
            order_id=None,
            source="review",
            rating=1,
            reason_code=None,
            comment="broke at once",
        ),  # fmt: skip
        event(T, "S2", "B", order_id="OTHER"),
    ]
    con = build([offer(), offer("S2", "B")], orders, feedback)
    return VocService.over(con)


def test_every_event_of_each_ncx_order_in_the_window(svc):
    events = svc.ncx_order_events(ME, T, 90, "S1", "A")
    assert tuple(events.columns) == EVENT_COLUMNS
    by_order = {
        k: g.sort("event_date")["source"].to_list()
        for (k,), g in events.group_by("ncx_key", maintain_order=True)
    }
    unlinked = next(k for k in by_order if k.startswith("event:"))
    assert by_order == {
        "MINE": ["return", "review", "refund"],  # the 4-star review too, as not counted
        "POOL": ["return"],
        "FC": ["return", "return"],
        unlinked: ["review"],
    }
    mine = events.filter(ncx_key="MINE").sort("event_date")
    assert mine["counted"].to_list() == [True, False, True]
    assert mine["first_counted"].to_list() == [True, False, False]
    assert mine["counted_events"].to_list() == [2, 2, 2]
    assert mine["comment"][1] == "<b>fine</b> otherwise"  # kept exactly as written
    # newest purchase first
    assert events["purchase_day"].to_list() == sorted(events["purchase_day"], reverse=True)


def test_who_caused_each_ncx_order(svc):
    orders = svc.ncx_orders(ME, T, 90, "S1", "A")
    got = {
        (r["order_id"] or "none"): (r["caused_by"], r["commingled"], r["events"])
        for r in orders.iter_rows(named=True)
    }
    assert got == {
        "MINE": ("seller", False, 3),
        "POOL": ("commingled", True, 1),
        "FC": ("fulfilment_centre", False, 2),  # one event of the FC's is enough
        "none": ("seller", False, 1),
    }
    first_fc = orders.filter(order_id="FC").row(0, named=True)
    assert first_fc["reason_code"] == "DAMAGED_BY_FC"
    assert first_fc["counted_events"] == 2


def test_the_share_that_is_the_sellers_to_fix(svc):
    detail = svc.offer_detail(ME, T, 90, "S1", "A")
    assert detail.fix == FixShare(ncx_orders=4, fulfilment_centre=1, commingled=1, yours=2)
    assert detail.fix.seller_share == 0.5
    assert detail.offer["ncx_orders"] == 4  # the traced orders are the offer's NCX orders
    assert detail.fix.sentence() == (
        "2 of 4 NCX orders were caused by the fulfilment centre or commingled stock: "
        "2 are yours to fix"
    )
    assert detail.ncx_events.height == 7


@pytest.mark.parametrize(
    ("fix", "words"),
    [
        (FixShare(5, 0, 0, 5), None),  # all the seller's: nothing to add
        (FixShare(0, 0, 0, 0), None),
        (
            FixShare(8, 3, 0, 5),
            "3 of 8 NCX orders were caused by the fulfilment centre: 5 are yours to fix",
        ),  # fmt: skip
        (
            FixShare(2, 0, 1, 1),
            "1 of 2 NCX orders was caused by commingled stock: 1 is yours to fix",
        ),  # fmt: skip
        (
            FixShare(2, 1, 1, 0),
            "2 of 2 NCX orders were caused by the fulfilment centre or "
            "commingled stock: none is yours to fix",
        ),  # fmt: skip
    ],
)
def test_the_sentence_only_when_it_matters(fix, words):
    assert fix.sentence() == words
    assert fix.seller_share == (fix.yours / fix.ncx_orders if fix.ncx_orders else None)


def test_another_sellers_offer_is_not_traced(svc):
    assert svc.ncx_order_events(ME, T, 90, "S2", "B").is_empty()
    assert svc.ncx_orders(ME, T, 90, "S2", "B").is_empty()
    assert svc.offer_detail(ME, T, 90, "S2", "B") is None
    assert svc.ncx_orders(Viewer("seller", "S2"), T, 90, "S2", "B").height == 1


def test_an_offer_without_ncx_orders_traces_nothing():
    con = build([offer()], [order(T)], [event(T, source="review", rating=5, reason_code=None)])
    svc = VocService.over(con)
    detail = svc.offer_detail(ME, T, 90, "S1", "A")
    assert detail.ncx_events.is_empty() and tuple(detail.ncx_events.columns) == EVENT_COLUMNS
    assert detail.fix == FixShare(0, 0, 0, 0) and detail.fix.sentence() is None
    assert svc.ncx_orders(ME, T, 90, "S1", "A").is_empty()
