"""Peer groups from the population's day-by-day changes equal the population of each day.

``PopulationSteps`` (running sums over the rollups, used for deleted listings at their
deletion days) must give, for every level, group and day, exactly the pooled orders, NCX
orders (capped per offer), offers, sellers and per-seller offers that ``level_stats``
computes from the population of that one day. Random marketplaces with creations,
deletions, cancelled lines, linked and unlinked events, and every day across window edges.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import health, ncx, peers
from engine.policy import DEFAULT_POLICY, PEER_LEVELS
from tests.engine.builders import build, event, offer, order

START = date(2026, 3, 1)
DAYS = 40
WINDOW = 7


@st.composite
def marketplaces(draw):
    offers, orders, feedback = [], [], []
    n_offers = draw(st.integers(1, 9))
    for i in range(n_offers):
        seller = f"S{draw(st.integers(0, 3))}"
        sku = f"K{i}"
        created = START + timedelta(days=draw(st.integers(-5, 25)))
        deleted = draw(st.one_of(st.none(), st.integers(0, DAYS)))
        offers.append(
            offer(
                seller,
                sku,
                category=draw(st.sampled_from(["Home", "Toys"])),
                subcategory=draw(st.sampled_from(["A", "B", None])),
                price=draw(st.sampled_from([5.0, 30.0, None])),
                created_at=created,
                deleted_at=None if deleted is None else START + timedelta(days=deleted),
            )
        )
        for day in draw(st.lists(st.integers(0, DAYS), max_size=12)):
            o = order(
                START + timedelta(days=day),
                seller,
                sku,
                status=draw(st.sampled_from(["shipped", "shipped", "cancelled"])),
            )
            orders.append(o)
            if draw(st.booleans()):
                lag = draw(st.integers(0, 12))
                feedback.append(
                    event(START + timedelta(days=day + lag), seller, sku, o["order_id"])
                )
        for day in draw(st.lists(st.integers(0, DAYS), max_size=4)):  # no order id
            feedback.append(event(START + timedelta(days=day), seller, sku, source="contact"))
    return offers, orders, feedback


def _reference(con, offers: pl.DataFrame, days: list[date]) -> pl.DataFrame:
    orders, by_theme = ncx.window_metrics(con, days, window_days=WINDOW)
    return peers.population(offers, health._metrics(orders, by_theme))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(marketplaces())
def test_steps_equal_the_population_of_every_day(data):
    con = build(*data)
    offers = health.offer_frame(con, None, DEFAULT_POLICY)
    days = [START + timedelta(days=d) for d in range(-3, DAYS + WINDOW + 3)]
    population = _reference(con, offers, days)
    steps = peers.PopulationSteps(con, offers, window_days=WINDOW)
    need = offers.select(*peers.LEVEL_KEYS["price_band"], "seller_id").join(
        pl.DataFrame({"e": days}), how="cross"
    )
    for level in PEER_LEVELS:
        keys = ["e", *peers.LEVEL_KEYS[level]]
        want_groups, want_own = peers.level_stats(population, keys)
        got_groups, got_own = steps.stats(level, need)
        both = got_groups.join(want_groups, on=keys, how="full", coalesce=True, suffix="_want")
        for c in peers.GROUP_STATS:
            differ = both.filter(pl.col(c).fill_null(0) != pl.col(f"{c}_want").fill_null(0))
            assert differ.is_empty(), (level, c, differ.sort("e").head())
        mine = got_own.join(want_own, on=[*keys, "seller_id"], how="full", coalesce=True)
        differ = mine.filter(pl.col("g_own").fill_null(0) != pl.col("g_own_right").fill_null(0))
        assert differ.is_empty(), (level, "g_own", differ.sort("e").head())


def test_steps_since_a_day_equal_the_full_steps_from_that_day():
    offers_, orders, feedback = [], [], []
    for i in range(6):
        offers_.append(offer(f"S{i % 3}", f"K{i}", deleted_at=START + timedelta(days=10 + 3 * i)))
        for d in range(0, 30, 2 + i):
            o = order(START + timedelta(days=d), f"S{i % 3}", f"K{i}")
            orders.append(o)
            if d % 4 == 0:
                feedback.append(
                    event(START + timedelta(days=d + 1), f"S{i % 3}", f"K{i}", o["order_id"])
                )
    con = build(offers_, orders, feedback)
    offers = health.offer_frame(con, None, DEFAULT_POLICY)
    since = START + timedelta(days=18)
    need = offers.select(*peers.LEVEL_KEYS["price_band"], "seller_id").join(
        pl.DataFrame({"e": [since + timedelta(days=d) for d in range(20)]}), how="cross"
    )
    full = peers.PopulationSteps(con, offers, window_days=WINDOW)
    part = peers.PopulationSteps(con, offers, window_days=WINDOW, since=since)
    for level in PEER_LEVELS:
        keys = ["e", *peers.LEVEL_KEYS[level]]
        a, b = full.stats(level, need), part.stats(level, need)
        assert a[0].sort(keys).equals(b[0].sort(keys)), level
        assert a[0]["g_offers"].sum() > 0
