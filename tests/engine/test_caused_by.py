"""Who caused an event (docs/health.md, "Who caused it"): caused_by in the events table, on
tiny inline stores, one case per rule; attribution never changes what counts."""

from __future__ import annotations

from datetime import date

import pytest

from tests.engine.builders import build, event, offer, order

DAY = date(2026, 3, 2)


def caused(offers, orders, feedback) -> dict[str, tuple[str, bool]]:
    con = build(offers, orders, feedback)
    rows = con.sql("SELECT feedback_id, caused_by, counted FROM events").fetchall()
    return {fid: (by, counted) for fid, by, counted in rows}


@pytest.mark.parametrize(
    ("fulfilment", "code", "centre", "expected"),
    [
        ("FBA", "DAMAGED_BY_FC", None, "fulfilment_centre"),
        ("MFN", "damaged_by_fc ", None, "fulfilment_centre"),  # normalised like classify
        ("FBA", "CR-DAMAGED_BY_FC", None, "fulfilment_centre"),
        ("FBA", "SWITCHEROO", None, "fulfilment_centre"),
        ("MFN", "SWITCHEROO", "YYZ1", "fulfilment_centre"),  # the event names the FC
        ("MFN", "SWITCHEROO", None, "seller"),  # the seller shipped it
        ("FBA", "10", "YYZ1", "fulfilment_centre"),  # replacement: damaged by the FC
        ("FBA", "4", "YYZ1", "fulfilment_centre"),  # replacement: wrong item shipped
        ("MFN", "4", None, "seller"),
        ("FBA", "010", None, "seller"),  # not a replacement code as the tables key them
        ("FBA", "DEFECTIVE", "YYZ1", "seller"),
        ("FBA", None, None, "seller"),
    ],
)
def test_reason_codes_that_name_the_fulfilment_centre(fulfilment, code, centre, expected):
    o = order(DAY)
    ev = event(DAY, order_id=o["order_id"], reason_code=code, fulfilment_center=centre)
    got = caused([offer(fulfilment=fulfilment)], [o], [ev])
    assert got[ev["feedback_id"]][0] == expected


def test_carrier_codes_are_the_carriers_and_never_count():
    o = order(DAY)
    evs = [
        event(DAY, order_id=o["order_id"], reason_code="DAMAGED_BY_CARRIER"),
        event(DAY, order_id=o["order_id"], source="contact", reason_code="3"),
        event(DAY, order_id=o["order_id"], source="contact", reason_code="6"),
    ]
    got = caused([offer()], [o], evs)
    assert {got[e["feedback_id"]] for e in evs} == {("carrier", False)}


def test_commingled_stock_when_the_unit_was_not_the_sellers():
    mine, pooled = order(DAY), order(DAY, sold_by_seller=False)
    evs = [
        event(DAY, order_id=mine["order_id"]),
        event(DAY, order_id=pooled["order_id"]),
        event(DAY, order_id=pooled["order_id"], reason_code="DAMAGED_BY_FC"),  # FC first
        event(DAY, order_id=None),  # no order: nothing says the stock was pooled
    ]
    got = caused([offer()], [mine, pooled], evs)
    assert [got[e["feedback_id"]][0] for e in evs] == [
        "seller",
        "commingled",
        "fulfilment_centre",
        "seller",
    ]


def test_attribution_does_not_change_what_counts():
    o = order(DAY, sold_by_seller=False)
    evs = [
        event(DAY, order_id=o["order_id"], reason_code="DAMAGED_BY_FC"),
        event(DAY, order_id=o["order_id"], reason_code="SWITCHEROO"),
        event(DAY, order_id=o["order_id"], reason_code="DEFECTIVE"),
        event(DAY, order_id=o["order_id"], source="review", rating=3, reason_code=None),
    ]
    got = caused([offer()], [o], evs)
    assert [got[e["feedback_id"]] for e in evs] == [
        ("fulfilment_centre", True),
        ("fulfilment_centre", True),
        ("commingled", True),
        ("commingled", False),
    ]
