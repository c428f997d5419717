"""On the demo's history, the early warning fires before offers turn poor (issue 9, item 8)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from engine import demo, store
from engine.health import offer_health

BAD = ("poor", "very_poor")


def test_demo_offers_are_at_risk_weeks_before_they_turn_poor(demo_con):
    last = store.latest_day(demo_con)
    mine = pl.col("seller_id") == demo.DEMO_SELLER_ID
    at_end = offer_health(demo_con, as_of=last).filter(mine)
    poor = at_end.filter(pl.col("health").is_in(BAD)).select("sku")
    warned: dict[str, int] = {}  # sku -> most days before the end it was warned while fair+
    for days in range(7, 50, 7):
        earlier = offer_health(demo_con, as_of=last - timedelta(days=days)).filter(mine)
        hit = earlier.join(poor, on="sku").filter(
            pl.col("at_risk") & pl.col("health").is_in(["excellent", "good", "fair"])
        )
        assert hit["at_risk_reason"].is_not_null().all()
        for sku in hit["sku"]:
            warned[sku] = max(warned.get(sku, 0), days)
    # the demo's three planted surging offers, and some of the ordinary poor ones
    assert len(warned) >= 3, warned
    assert sum(d >= 14 for d in warned.values()) >= 3, warned
    # at the end the warning is over for them: they are poor, not "at risk"
    assert not at_end.filter(pl.col("health").is_in(BAD))["at_risk"].any()
    # the planted surging offers (engine/demo.py) that end poor are among them
    _, truth = demo._generate(1.0, 7, demo.DEMO_END)
    planted = set(truth.offer_kind.filter(pl.col("kind") == "surging")["sku"])
    planted_poor = planted & set(poor["sku"])
    assert len(planted_poor) >= 2 and planted_poor <= set(warned), (planted, warned)


def test_the_recent_days_from_the_windows_scan_equal_their_own_scan(demo_con):
    """risk.recent_from_window (the health window's scan, its last 30 days) gives exactly
    what risk.recent_metrics (a scan of the 30 days alone) gives, at several days."""
    from engine import ncx, risk
    from engine.policy import DEFAULT_POLICY

    last = store.latest_day(demo_con)
    days = [last - timedelta(days=d) for d in (0, 29, 30, 61, 200)]
    keys = ["e", "seller_id", "sku"]
    own = risk.recent_metrics(demo_con, days, policy=DEFAULT_POLICY).sort(keys)
    for window in (30, 90, 365):
        scanned = ncx.window_metrics(demo_con, days, window_days=window, recent_days=30)
        shared = risk.recent_from_window(*scanned).sort(keys)
        assert shared.height > 1000 and shared["k30"].sum() > 0
        assert shared.equals(own), window
