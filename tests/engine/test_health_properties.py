"""Property tests: more complaints never help an offer; more clean orders never hurt it."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.health import offer_health
from tests.engine.builders import build, event, offer, order
from tests.engine.test_health import FIRST, T, row

# Worse is larger. Insufficient feedback is a poor verdict that waits for comments.
SEVERITY = {
    "excellent": 0,
    "good": 1,
    "fair": 2,
    "insufficient_feedback": 3,
    "poor": 3,
    "very_poor": 4,
}

COMMENTS = st.sampled_from([None, "", "stopped working", "not as pictured", "cracked lid"])


@st.composite
def marketplaces(draw):
    """The offer under test (A) with n orders, some NCX, among three peers of other sellers."""
    n = draw(st.integers(1, 40))
    days = draw(st.lists(st.integers(0, 89), min_size=n, max_size=n))
    orders = [order(FIRST + timedelta(days=d)) for d in days]
    ncx = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    feedback = [
        event(T, order_id=o["order_id"], comment=draw(COMMENTS))
        for o, bad in zip(orders, ncx, strict=True)
        if bad
    ]
    offers = [offer()]
    for p in range(3):
        sid, sku = f"P{p}", f"P{p}"
        offers.append(offer(sid, sku))
        peer_orders = [
            order(FIRST + timedelta(days=i), sid, sku) for i in range(draw(st.integers(5, 60)))
        ]
        orders += peer_orders
        feedback += [
            event(T, sid, sku, o["order_id"])
            for o in peer_orders[: draw(st.integers(0, len(peer_orders)))]
        ]
    return offers, orders, feedback


def severity(offers, orders, feedback) -> int:
    r = row(offer_health(build(offers, orders, feedback), as_of=T))
    return SEVERITY[r["health"]]


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(marketplaces(), st.sampled_from(["linked", "review"]), COMMENTS)
def test_adding_a_counted_event_never_improves_health(market, kind, comment):
    offers, orders, feedback = market
    before = severity(offers, orders, feedback)
    mine = [o for o in orders if o["seller_id"] == "S1"]
    if kind == "linked":
        extra = event(T, order_id=mine[0]["order_id"], comment=comment)
    else:
        extra = event(T, source="review", reason_code=None, rating=1, comment=comment)
    after = severity(offers, orders, [*feedback, extra])
    assert after >= before


@SETTINGS
@given(marketplaces(), st.integers(1, 50))
def test_adding_clean_orders_never_worsens_health(market, extra_orders):
    offers, orders, feedback = market
    before = severity(offers, orders, feedback)
    clean = [order(FIRST + timedelta(days=i % 90)) for i in range(extra_orders)]
    after = severity(offers, [*orders, *clean], feedback)
    assert after <= before
