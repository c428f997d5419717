"""The early warning of docs/health.md ("At risk") on tiny inline tables."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from engine.health import offer_health, wilson_interval
from engine.policy import Policy
from tests.engine.builders import build, event, offer, order

T = date(2026, 6, 30)
RECENT = T - timedelta(days=29)  # first of the 30 recent days
OLD = T - timedelta(days=80)  # well inside the 90-day window, outside the recent days
Z = Policy().z


def row(frame: pl.DataFrame, sku: str = "A", seller_id: str = "S1") -> dict:
    hit = frame.filter((pl.col("sku") == sku) & (pl.col("seller_id") == seller_id))
    assert hit.height == 1
    return hit.row(0, named=True)


def orders_on(n: int, start: date, sku: str, seller_id: str = "S1", days: int = 30) -> list[dict]:
    return [order(start + timedelta(days=i % days), seller_id, sku) for i in range(n)]


def ncx(orders: list[dict], day: date, **kw) -> list[dict]:
    return [event(day, o["seller_id"], o["sku"], o["order_id"], **kw) for o in orders]


def peer_b(recent_k: int, *, recent_n: int = 1000, old_n: int = 1000, old_k: int = 40):
    """Offer B, the only other offer ('all' level): recent_k of recent_n NCX orders in the
    recent days and old_k of old_n before them (so its 90-day rate keeps A fair or better)."""
    recent = orders_on(recent_n, RECENT, "B")
    old = orders_on(old_n, T - timedelta(days=89), "B", days=55)
    fb = ncx(recent[:recent_k], T) + ncx(old[:old_k], T)
    return [*recent, *old], fb


def offer_a(recent_n: int, recent_k: int, *, old_n: int = 190):
    recent = orders_on(recent_n, RECENT, "A", days=20)
    old = orders_on(old_n, T - timedelta(days=89), "A", days=55)
    return [*recent, *old], ncx(recent[:recent_k], T)


def health(con, **kw) -> pl.DataFrame:
    return offer_health(con, as_of=kw.pop("as_of", T), **kw)


# --- recent surge ----------------------------------------------------------------------


def test_surge_when_the_recent_low_end_is_just_above_the_peers_recent_rate():
    lo = wilson_interval(2, 10, z=Z)[0]  # about 3.7 %
    below = math.floor(lo * 1000)  # peers' recent rate just below A's low end
    for k_b, expected in ((below, True), (below + 1, False)):
        a, fa = offer_a(10, 2)
        b, fb = peer_b(k_b)
        r = row(health(build([offer(), offer(sku="B")], [*a, *b], [*fa, *fb])))
        assert r["health"] in ("excellent", "good", "fair")
        assert r["at_risk"] is expected, (k_b, lo)
        assert r["at_risk_reason"] == ("recent_surge" if expected else None)


def test_one_recent_ncx_order_is_never_a_surge_two_are():
    for k30, expected in ((1, False), (2, True)):
        a, fa = offer_a(4, k30, old_n=500)
        b, fb = peer_b(0)  # b30 is the floor, 0.1 %
        r = row(health(build([offer(), offer(sku="B")], [*a, *b], [*fa, *fb])))
        assert r["health"] in ("excellent", "good")
        assert r["at_risk"] is expected
    assert "2 of 4 orders in the last 30 days" in r["at_risk_explanation"]
    assert "recent surge" in r["at_risk_explanation"]


def test_recent_days_start_29_days_before_the_as_of_day():
    b, fb = peer_b(0)
    old = orders_on(300, T - timedelta(days=89), "A", days=50)
    edge = [order(RECENT, sku="A"), order(RECENT, sku="A")]
    r = row(health(build([offer(), offer(sku="B")], [*old, *edge, *b], [*ncx(edge, T), *fb])))
    assert r["at_risk_reason"] == "recent_surge"
    early = [order(RECENT - timedelta(days=1), sku="A") for _ in range(2)]
    r = row(health(build([offer(), offer(sku="B")], [*old, *early, *b], [*ncx(early, T), *fb])))
    assert not r["at_risk"]  # purchased the day before the recent days


def test_poor_offers_are_never_at_risk():
    a, fa = offer_a(40, 30, old_n=20)  # 30 of 60 NCX, peers near 2 %: poor at 90 days
    b, fb = peer_b(0)
    r = row(health(build([offer(), offer(sku="B")], [*a, *b], [*fa, *fb])))
    assert r["health"] in ("poor", "very_poor")
    assert not r["at_risk"] and r["at_risk_reason"] is None


def test_no_peers_means_no_surge():
    a, fa = offer_a(10, 2)
    r = row(health(build([offer()], a, fa)))
    assert r["peer_rate"] is None and not r["at_risk"]


def test_surge_compares_with_the_peer_group_of_the_health_not_the_marketplace():
    # Single-seller data: A and 19 pillows (10-25) form the price-band group; their recent
    # orders have no NCX (b30 = floor) while 20 duvets have half their recent orders NCX.
    offers, orders, fb = [offer()], [], []
    a, fa = offer_a(20, 2)
    orders += a
    fb += fa
    for i in range(19):
        sku = f"P{i}"
        offers.append(offer(sku=sku))
        rec, old = orders_on(10, RECENT, sku), orders_on(10, T - timedelta(days=89), sku, days=55)
        orders += [*rec, *old]
        fb += ncx(old[:1], T)  # 90-day peer rate 5 %: A stays good
    for i in range(20):
        sku = f"D{i}"
        offers.append(offer(sku=sku, subcategory="Duvets"))
        rec = orders_on(10, RECENT, sku)
        orders += rec
        fb += ncx(rec[:5], T)
    r = row(health(build(offers, orders, fb)))
    assert r["peer_level"] == "price_band" and r["health"] in ("excellent", "good", "fair")
    assert r["at_risk_reason"] == "recent_surge"


# --- theme cluster ---------------------------------------------------------------------


def cluster_store(event_days: list[date], codes: list[str] | None = None):
    """A: 300 orders purchased long ago, NCX only on the given event days (no recent
    orders, so never a surge); B: 1000 orders, 1 % NCX (A stays fair)."""
    a = orders_on(300, T - timedelta(days=89), "A", days=10)
    codes = codes or ["DEFECTIVE"] * len(event_days)
    fa = [
        event(d, "S1", "A", o["order_id"], reason_code=c)
        for d, o, c in zip(event_days, a, codes, strict=False)
    ]
    b = orders_on(1000, T - timedelta(days=89), "B", days=90)
    return build([offer(), offer(sku="B")], [*a, *b], [*fa, *ncx(b[:10], T)])


def days_before(*offsets: int) -> list[date]:
    return [T - timedelta(days=o) for o in offsets]


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [
        ((35, 32, 29), "theme_cluster:defective"),  # [E-35, E-29]: d + 6 = E - 29, in
        ((36, 33, 30), None),  # [E-36, E-30]: d + 6 = E - 30, out
        ((10, 7, 4), "theme_cluster:defective"),  # within 7 days
        ((10, 7, 3), None),  # spread over 8 days
        ((2, 1, 0), "theme_cluster:defective"),  # ending on E itself
        ((10, 7), None),  # two are not a cluster
    ],
)
def test_cluster_window_edges(offsets, expected):
    r = row(health(cluster_store(days_before(*offsets))))
    assert r["health"] in ("excellent", "good", "fair")
    assert r["at_risk_reason"] == expected
    assert r["at_risk"] is (expected is not None)


def test_cluster_needs_one_theme():
    con = cluster_store(days_before(6, 5, 4), ["DEFECTIVE", "DEFECTIVE", "DAMAGED_BY_FC"])
    assert not row(health(con))["at_risk"]


def test_events_after_the_as_of_day_do_not_make_a_cluster_yet():
    con = cluster_store(days_before(3, 2, 1))
    assert row(health(con))["at_risk"]
    assert not row(health(con, as_of=T - timedelta(days=2)))["at_risk"]


def test_several_reasons_surge_first_then_themes_alphabetically():
    recent = orders_on(10, T - timedelta(days=20), "A", days=10)
    old = orders_on(300, T - timedelta(days=89), "A", days=55)
    fa = [
        event(d, "S1", "A", o["order_id"], reason_code=c)
        for d, o, c in zip(
            days_before(9, 8, 7, 5, 4, 3),
            recent,
            ["DEFECTIVE"] * 3 + ["DAMAGED_BY_FC"] * 3,
            strict=False,
        )
    ]
    b_recent = orders_on(1000, RECENT, "B")
    b_old = orders_on(2000, T - timedelta(days=89), "B", days=55)
    fb = ncx(b_old[:60], T)  # B: 0 % recently, 2 % over 90 days
    con = build([offer(), offer(sku="B")], [*recent, *old, *b_recent, *b_old], [*fa, *fb])
    r = row(health(con))
    assert r["health"] == "fair"
    assert r["at_risk_reason"] == "recent_surge;theme_cluster:damaged;theme_cluster:defective"
    text = r["at_risk_explanation"]
    assert text.index("recent surge") < text.index("about damaged") < text.index("about defective")
    assert "within 7 days" in text


def test_policy_thresholds_are_used():
    con = cluster_store(days_before(10, 7, 4))
    assert row(health(con, policy=Policy(risk_cluster_days=5)))["at_risk"] is False
    assert row(health(con, policy=Policy(risk_cluster_orders=4)))["at_risk"] is False
    assert row(health(con, policy=Policy(risk_cluster_days=5))).get("at_risk_reason") is None


def test_deleted_listings_are_not_at_risk():
    a = orders_on(300, T - timedelta(days=89), "A", days=10)
    fa = [
        event(d, "S1", "A", o["order_id"]) for d, o in zip(days_before(12, 11, 10), a, strict=False)
    ]
    b = orders_on(1000, T - timedelta(days=89), "B", days=90)
    deleted = offer(deleted_at=T - timedelta(days=5))
    r = row(health(build([deleted, offer(sku="B")], [*a, *b], [*fa, *ncx(b[:10], T)])))
    assert r["status"] == "deleted" and not r["at_risk"]
