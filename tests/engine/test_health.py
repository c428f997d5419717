"""Every rule of docs/health.md on tiny inline tables with hand-worked expectations."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from engine.health import Viewer, offer_health
from engine.policy import Policy
from tests.engine.builders import build, event, offer, order, orders_for

T = date(2026, 6, 30)
FIRST = T - timedelta(days=89)  # 2026-04-02, first day of the 90-day window
BEFORE = FIRST - timedelta(days=1)


def row(frame: pl.DataFrame, sku: str = "A", seller_id: str = "S1") -> dict:
    hit = frame.filter((pl.col("sku") == sku) & (pl.col("seller_id") == seller_id))
    assert hit.height == 1, f"expected one row for {seller_id}/{sku}, got {hit.height}"
    return hit.row(0, named=True)


def health_of(con, **kw) -> pl.DataFrame:
    return offer_health(con, as_of=kw.pop("as_of", T), **kw)


# --- orders and NCX orders -------------------------------------------------------------


def test_window_edges_include_first_day_and_exclude_the_day_before():
    con = build(
        [offer()],
        [order(BEFORE), order(FIRST), order(T), order(T + timedelta(days=1))],
    )
    r = row(health_of(con))
    assert r["orders"] == 2


def test_cancelled_lines_are_not_orders_and_their_events_do_not_count():
    o = order(FIRST + timedelta(days=5), status="cancelled")
    con = build([offer()], [order(FIRST), o], [event(T, order_id=o["order_id"])])
    r = row(health_of(con))
    assert (r["orders"], r["ncx_orders"]) == (1, 0)


def test_multi_line_order_counts_once_for_each_offer():
    con = build(
        [offer(sku="A"), offer(sku="B")],
        [order(T, sku="A", order_id="X1"), order(T, sku="B", order_id="X1")],
        [event(T, sku="A", order_id="X1")],
    )
    h = health_of(con)
    assert (row(h, "A")["orders"], row(h, "A")["ncx_orders"]) == (1, 1)
    assert (row(h, "B")["orders"], row(h, "B")["ncx_orders"]) == (1, 0)


def test_several_events_on_one_order_make_one_ncx_order():
    o = order(FIRST)
    con = build(
        [offer()],
        [o, order(T)],
        [event(T, order_id=o["order_id"]), event(T, order_id=o["order_id"], source="refund")],
    )
    assert row(health_of(con))["ncx_orders"] == 1


def test_events_after_the_as_of_day_do_not_count_yet():
    o = order(T - timedelta(days=3))
    con = build([offer()], [o], [event(T + timedelta(days=1), order_id=o["order_id"])])
    assert row(health_of(con))["ncx_orders"] == 0
    assert row(health_of(con, as_of=T + timedelta(days=1)))["ncx_orders"] == 1


def test_event_of_an_order_outside_the_window_does_not_count():
    o = order(BEFORE)
    con = build([offer()], [o, order(T)], [event(T, order_id=o["order_id"])])
    assert row(health_of(con))["ncx_orders"] == 0


def test_unlinked_one_star_review_in_window_is_one_ncx_order():
    con = build(
        [offer()],
        orders_for(10, FIRST),
        [
            event(FIRST, source="review", reason_code=None, rating=1, comment="broke in a week"),
            event(BEFORE, source="review", reason_code=None, rating=1, comment="broke"),
            event(T, source="review", reason_code=None, rating=2, comment="stopped working"),
        ],
    )
    assert row(health_of(con))["ncx_orders"] == 1


def test_ncx_orders_are_capped_at_orders():
    reviews = [event(T, source="review", reason_code=None, rating=1) for _ in range(3)]
    con = build([offer()], [order(T)], reviews)
    r = row(health_of(con))
    assert (r["orders"], r["ncx_orders"], r["ncx_rate"]) == (1, 1, 1.0)


@pytest.mark.parametrize(
    ("fields", "counts"),
    [
        ({"source": "review", "reason_code": None, "rating": 2}, False),
        ({"source": "review", "reason_code": None, "rating": 1}, True),
        ({"source": "seller_feedback", "reason_code": None, "rating": 1}, False),
        ({"reason_code": "DAMAGED_BY_CARRIER", "comment": "box crushed"}, False),
        ({"reason_code": "UNWANTED_ITEM", "comment": "changed my mind"}, False),
        ({"reason_code": "OTHER", "comment": "hmm"}, True),  # unknown issue type counts
        ({"source": "refund", "reason_code": None, "comment": None}, True),
        ({"source": "contact", "reason_code": "NOT_AS_DESCRIBED"}, True),
    ],
)
def test_which_events_count(fields, counts):
    o = order(T - timedelta(days=10))
    con = build([offer()], [o, order(T)], [event(T, order_id=o["order_id"], **fields)])
    assert row(health_of(con))["ncx_orders"] == (1 if counts else 0)


# --- peers -----------------------------------------------------------------------------


def marketplace(
    *,
    sellers: int,
    per_seller: int,
    subcategory: str = "Pillows",
    price: float = 15.0,
    ncx_every: int = 0,
    orders_each: int = 10,
    prefix: str = "P",
) -> tuple[list, list, list]:
    """Peer offers: sellers x per_seller offers, each with orders_each orders; every
    ncx_every-th order has a counted return (0 = none)."""
    offers, orders, feedback = [], [], []
    for s in range(sellers):
        for i in range(per_seller):
            sid, sku = f"{prefix}S{s}", f"{prefix}{s}-{i}"
            offers.append(offer(sid, sku, subcategory=subcategory, price=price))
            for j in range(orders_each):
                o = order(FIRST + timedelta(days=j % 90), sid, sku)
                orders.append(o)
                if ncx_every and j % ncx_every == 0:
                    feedback.append(event(T, sid, sku, o["order_id"]))
    return offers, orders, feedback


def test_price_band_level_when_it_has_20_offers_of_6_sellers():
    offers, orders, fb = marketplace(sellers=5, per_seller=4)  # 20 peers of 5 other sellers
    con = build([offer(), *offers], [*orders_for(10, FIRST), *orders], fb)
    r = row(health_of(con))
    assert (r["peer_level"], r["peer_offers"]) == ("price_band", 20)


def test_distinct_seller_rule_widens_to_subcategory():
    # 24 peers in the band but only 4 other sellers; 5 more sellers in another band.
    band, band_orders, _ = marketplace(sellers=4, per_seller=6)
    other, other_orders, _ = marketplace(sellers=5, per_seller=1, price=40.0, prefix="Q")
    con = build([offer(), *band, *other], [*orders_for(10, FIRST), *band_orders, *other_orders])
    r = row(health_of(con))
    assert (r["peer_level"], r["peer_offers"]) == ("subcategory", 29)


def test_too_few_offers_widen_to_category_then_all():
    a, a_orders, _ = marketplace(sellers=6, per_seller=2, subcategory="Duvets")
    con = build([offer(), *a], [*orders_for(10, FIRST), *a_orders])
    assert row(health_of(con))["peer_level"] == "all"  # 13 offers in Home: not enough
    b, b_orders, _ = marketplace(sellers=6, per_seller=2, subcategory="Sheets", prefix="R")
    con = build([offer(), *a, *b], [*orders_for(10, FIRST), *a_orders, *b_orders])
    r = row(health_of(con))
    assert (r["peer_level"], r["peer_offers"]) == ("category", 24)


def test_all_level_used_even_when_it_does_not_qualify():
    con = build([offer(), offer(sku="B", category="Toys")], [order(T), order(T, sku="B")])
    r = row(health_of(con))
    assert (r["peer_level"], r["peer_offers"]) == ("all", 1)


def test_single_seller_data_ignores_the_distinct_seller_rule():
    offers = [offer(sku=f"K{i}") for i in range(20)]
    orders = [o for i in range(20) for o in orders_for(5, FIRST, sku=f"K{i}")]
    r = row(health_of(build(offers, orders)), "K0")
    assert (r["peer_level"], r["peer_offers"]) == ("price_band", 19)


def test_peer_rate_leaves_the_offer_out_and_is_pooled():
    # 20 peers x 10 orders, every 5th order NCX -> 40 of 200 = 0.2; the offer is 10 of 10.
    offers, orders, fb = marketplace(sellers=5, per_seller=4, ncx_every=5)
    mine = orders_for(10, FIRST)
    fb += [event(T, order_id=o["order_id"]) for o in mine]
    r = row(health_of(build([offer(), *offers], [*mine, *orders], fb)))
    assert r["peer_rate"] == pytest.approx(0.2)
    assert r["ncx_rate"] == 1.0


def test_peer_rate_floor_when_peers_have_no_ncx_and_when_there_are_no_peers():
    offers, orders, _ = marketplace(sellers=5, per_seller=4)
    r = row(health_of(build([offer(), *offers], [*orders_for(10, FIRST), *orders])))
    assert r["peer_rate"] == 0.001
    alone = row(health_of(build([offer()], orders_for(10, FIRST))))
    # no other offer at any level: no peer rate at all, never "0.1 % for 0 similar offers"
    assert (alone["peer_rate"], alone["peer_offers"], alone["health"]) == (None, 0, "fair")
    assert "no similar offers to compare it with" in alone["explanation"]
    assert "0 similar offers" not in alone["explanation"]


# --- interval and health ---------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.645) -> tuple[float, float]:
    r = k / n
    c = (r + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(r * (1 - r) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)


def peer_case(k: int, n: int, comments: bool = True):
    """The offer (k of n) among 20 peers of 5 sellers pooling 100 of 2,000 = 5 %."""
    offers, orders, fb = marketplace(sellers=5, per_seller=4, ncx_every=20, orders_each=100)
    mine = orders_for(n, FIRST)
    fb += [
        event(T, order_id=o["order_id"], comment="broke after a week" if comments else None)
        for o in mine[:k]
    ]
    return health_of(build([offer(), *offers], [*mine, *orders], fb))


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        # lo(60/500) = 0.0981 < 0.10 -> poor; lo(62/500) = 0.1018 >= 2 x 0.05 -> very poor
        (60, 500, "poor"),
        (62, 500, "very_poor"),
        # lo(33/500) = 0.04997 <= 0.05 -> fair; lo(34/500) = 0.0517 > 0.05 -> poor
        (33, 500, "fair"),
        (34, 500, "poor"),
        # hi(17/500) = 0.05004 >= 0.05 -> fair; hi(16/500) = 0.0477 < 0.05 -> good
        (17, 500, "fair"),
        (16, 500, "good"),
        # hi(13/1000) = 0.0203 <= 0.025 -> excellent; hi(10/500) = 0.0332 > 0.025 -> good
        (13, 1000, "excellent"),
        (10, 500, "good"),
    ],
)
def test_health_boundaries(k, n, expected):
    lo, hi = wilson(k, n)
    r = row(peer_case(k, n))
    assert r["peer_rate"] == pytest.approx(0.05)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert r["health"] == expected


def test_policy_changes_the_verdict():
    offers, orders, fb = marketplace(sellers=5, per_seller=4, ncx_every=20, orders_each=100)
    mine = orders_for(500, FIRST)
    fb += [event(T, order_id=o["order_id"]) for o in mine[:35]]
    con = build([offer(), *offers], [*mine, *orders], fb)
    assert row(offer_health(con, as_of=T))["health"] == "poor"
    strict = Policy(very_poor_factor=1.05, min_peer_offers=50)
    r = row(offer_health(con, as_of=T, policy=strict))
    assert (r["peer_level"], r["health"]) == ("all", "very_poor")
    assert "at least 1.05 times the peer rate" in r["explanation"]


def test_insufficient_feedback_needs_three_commented_ncx_orders():
    offers, orders, fb = marketplace(sellers=5, per_seller=4, ncx_every=20, orders_each=100)
    mine = orders_for(500, FIRST)
    texts = ["broke", "  ", None, "cracked", None] + [None] * 60
    fb_two = fb + [
        event(T, order_id=o["order_id"], comment=t) for o, t in zip(mine, texts, strict=False)
    ]
    r = row(health_of(build([offer(), *offers], [*mine, *orders], fb_two)))
    assert (r["ncx_orders"], r["health"]) == (65, "insufficient_feedback")
    assert "only 2 of the NCX orders carry a customer comment" in r["explanation"]
    texts[2] = "third comment"
    fb_three = fb + [
        event(T, order_id=o["order_id"], comment=t) for o, t in zip(mine, texts, strict=False)
    ]
    r = row(health_of(build([offer(), *offers], [*mine, *orders], fb_three)))
    assert r["health"] == "very_poor"


def test_no_recent_sales_has_no_rate_and_no_interval():
    con = build([offer()], [order(BEFORE)])
    r = row(health_of(con))
    assert r["health"] == "no_recent_sales"
    assert (r["orders"], r["ncx_rate"], r["ci_low"], r["ci_high"]) == (0, None, None, None)
    assert r["last_updated"] == BEFORE


def test_offers_created_after_the_as_of_day_are_left_out():
    con = build([offer(), offer(sku="NEW", created_at=T + timedelta(days=1))], [order(T)])
    assert health_of(con)["sku"].to_list() == ["A"]


# --- status, deletion, closure ---------------------------------------------------------


def test_deleted_listing_is_evaluated_at_its_deletion_day():
    d = T - timedelta(days=40)
    o1, o2 = order(d - timedelta(days=89)), order(d - timedelta(days=5))
    con = build(
        [offer(deleted_at=d)],
        [order(d - timedelta(days=90)), o1, o2, order(d + timedelta(days=1))],
        [event(d, order_id=o2["order_id"]), event(d + timedelta(days=2), order_id=o1["order_id"])],
    )
    r = row(health_of(con))
    assert r["status"] == "deleted"
    assert (r["orders"], r["ncx_orders"], r["e"]) == (2, 1, d)
    assert r["explanation"].startswith(f"Listing deleted on {d}")


def test_deleted_listing_peers_are_taken_at_the_deletion_day():
    d = T - timedelta(days=100)
    peers = [offer(f"P{i}", f"P{i}") for i in range(20)]
    # peers sold before d (NCX 1 in 2) and after d (clean): at d the peer rate is 0.5
    peer_orders, fb = [], []
    for i in range(20):
        early = order(d - timedelta(days=3), f"P{i}", f"P{i}")
        peer_orders += [
            early,
            order(d - timedelta(days=2), f"P{i}", f"P{i}"),
            order(T, f"P{i}", f"P{i}"),
        ]
        fb.append(event(d, f"P{i}", f"P{i}", early["order_id"]))
    con = build([offer(deleted_at=d), *peers], [order(d), *peer_orders], fb)
    h = health_of(con)
    assert row(h)["peer_rate"] == pytest.approx(0.5)
    assert row(h)["peer_level"] == "price_band"
    assert row(h, "P0", "P0")["peer_rate"] == 0.001  # today the peers are all clean


def test_action_required_set_by_ncx_closure_and_cleared_by_reinstatement():
    closed = T - timedelta(days=10)
    con = build(
        [
            offer(sku="C", closed_at=closed, closed_reason="ncx"),
            offer(
                sku="R", closed_at=closed, closed_reason="ncx", reinstated_at=T - timedelta(days=2)
            ),
            offer(
                sku="L", closed_at=closed, closed_reason="ncx", reinstated_at=T + timedelta(days=2)
            ),
            offer(sku="O", closed_at=closed, closed_reason="other"),
        ],
        [order(T - timedelta(days=20), sku=s) for s in "CRLO"],
    )
    h = health_of(con)
    assert (row(h, "C")["status"], row(h, "C")["action_required"]) == ("closed", True)
    assert (row(h, "R")["status"], row(h, "R")["action_required"]) == ("active", False)
    assert (row(h, "L")["status"], row(h, "L")["action_required"]) == ("closed", True)
    assert (row(h, "O")["status"], row(h, "O")["action_required"]) == ("closed", False)
    before = health_of(con, as_of=closed - timedelta(days=1))
    assert row(before, "C")["status"] == "active"


# --- last updated, top reason, explanation, scoping ------------------------------------


def test_last_updated_and_top_reason_with_share():
    orders = orders_for(10, FIRST)
    fb = [
        event(
            FIRST + timedelta(days=30),
            order_id=orders[0]["order_id"],
            reason_code="NOT_AS_DESCRIBED",
        ),
        event(FIRST + timedelta(days=31), order_id=orders[0]["order_id"], reason_code="DEFECTIVE"),
        event(FIRST + timedelta(days=32), order_id=orders[1]["order_id"], reason_code="DEFECTIVE"),
        event(
            FIRST + timedelta(days=33), order_id=orders[2]["order_id"], reason_code="MISSING_PARTS"
        ),
        event(
            FIRST + timedelta(days=34),
            order_id=orders[3]["order_id"],
            reason_code="NOT_AS_DESCRIBED",
        ),
        event(T, order_id=orders[4]["order_id"], reason_code="UNWANTED_ITEM"),  # not counted
    ]
    r = row(health_of(build([offer()], orders, fb)))
    # orders[0] counts once, for its earliest event (not_as_described): 2 of 4
    assert (r["top_ncx_reason"], r["top_ncx_reason_share"]) == ("not_as_described", 0.5)
    # the last counted event; the later remorse event does not count
    assert r["last_updated"] == FIRST + timedelta(days=34)


def test_explanation_quotes_the_numbers():
    r = row(peer_case(35, 500))
    assert r["explanation"] == (
        "35 of 500 orders (7.0 %) vs 5.0 % for 20 similar offers (same subcategory and "
        f"price band); 90 % interval {r['ci_low'] * 100:.1f}–{r['ci_high'] * 100:.1f} %, whose low "
        "end is above the peer rate but below 2 times it → poor"
    )


def test_seller_viewer_sees_only_own_offers():
    offers, orders, _ = marketplace(sellers=5, per_seller=4)
    con = build([offer(), *offers], [*orders_for(10, FIRST), *orders])
    mine = offer_health(con, as_of=T, viewer=Viewer("seller", "S1"))
    assert mine["seller_id"].unique().to_list() == ["S1"]
    cm = offer_health(con, as_of=T, viewer=Viewer("category_manager", categories=("Toys",)))
    assert cm.height == 0
