"""The page's data access: scoping below the callbacks, grid filters and sorting, trends."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from engine.health import Viewer
from engine.service import TREND_WEEKS, GridQuery, VocService, WeeklyIndex

SELLER = Viewer("seller", "S-DEMO")
CM = Viewer("category_manager")


@pytest.fixture(scope="module")
def svc(demo_store):
    return VocService.open(demo_store)


def test_seller_never_gets_another_sellers_offer_or_comment(svc):
    day = svc.latest_day()
    others = svc.grid(CM, day, 90, GridQuery()).filter(pl.col("seller_id") != "S-DEMO").head(50)
    assert svc.offer(SELLER, day, 90, others["seller_id"][0], others["sku"][0]) is None
    assert svc.comments(SELLER, day, 90, others.select("seller_id", "sku")).is_empty()
    assert svc.trend(SELLER, day, 90, others["seller_id"][0], others["sku"][0]).is_empty()
    mine = svc.grid(SELLER, day, 90, GridQuery()).head(20)
    both = pl.concat([mine.select("seller_id", "sku"), others.select("seller_id", "sku")])
    assert set(svc.comments(SELLER, day, 90, both)["seller_id"]) == {"S-DEMO"}


def test_category_manager_sees_only_their_categories(svc):
    day = svc.latest_day()
    cats = tuple(svc.categories()[:2])
    frame = svc.offers(Viewer("category_manager", categories=cats), day, 90)
    assert frame.height > 0 and set(frame["category"]) == set(cats)


def test_grid_column_filters_and_sort(svc):
    day = svc.latest_day()
    q = GridQuery(
        column_filters=(
            ("health_rank", "contains", "very poor"),
            ("ncx_rate", "greaterThan", "5"),  # percent, as the cell shows it
        ),
        sort_by="peer_rate",
        descending=True,
    )
    frame = svc.grid(CM, day, 90, q)
    assert frame.height > 0
    assert set(frame["health"]) == {"very_poor"} and frame["ncx_rate"].min() > 0.05
    assert frame["peer_rate"].to_list() == sorted(frame["peer_rate"].to_list(), reverse=True)
    unknown = GridQuery(sort_by="1; DROP TABLE offers", column_filters=(("nope", "equals", "x"),))
    assert svc.grid(CM, day, 90, unknown).height == svc.offers(CM, day, 90).height


def test_worst_first_ranks_by_evidence_within_a_level(svc):
    day = svc.latest_day()
    grid = svc.grid(CM, day, 90, GridQuery())
    assert grid["health_rank"].to_list() == sorted(grid["health_rank"].to_list())
    poor = grid.filter(pl.col("shown_health") == "poor")
    excess = poor["lo_excess"].to_list()
    assert len(excess) > 10 and excess == sorted(excess, reverse=True)
    # not by the bare rate any more: somewhere a lower rate ranks above a higher one
    rates = poor["ncx_rate"].to_list()
    assert rates != sorted(rates, reverse=True)


def test_deleted_listings_are_shown_and_counted_as_listing_deleted(svc):
    day = svc.latest_day()
    offers = svc.offers(SELLER, day, 90)
    deleted = offers.filter(pl.col("status") == "deleted")
    assert deleted.height > 0 and set(deleted["shown_health"]) == {"listing_deleted"}
    counts = svc.tile_counts(SELLER, day, 90)
    assert counts["listing_deleted"] == deleted.height
    live = offers.filter(pl.col("status") != "deleted")
    assert counts["poor"] == (live["health"] == "poor").sum()
    grid = svc.grid(SELLER, day, 90, GridQuery())
    assert set(grid.tail(deleted.height)["shown_health"]) == {"listing_deleted"}  # last


def test_trend_weeks_peer_band_and_maturing(svc):
    day = svc.latest_day()
    trend = svc.trend(SELLER, day, 90, "S-DEMO", "NW-PIL-030")
    assert trend.height >= 52
    assert trend["orders"].sum() > 0 and trend["peer_rate"].drop_nulls().len() > 40
    # a week's NCX orders are among its purchases: no weekly rate above 100 %
    assert (trend["ncx_orders"] <= trend["orders"]).all()
    assert trend["rate4"].drop_nulls().max() <= 1 and (trend["lo4"] <= trend["rate4"]).all()
    band = trend.drop_nulls(["peer_p25", "peer_p75"])
    assert (band["peer_p25"] <= band["peer_p75"]).all()
    assert trend.tail(4)["maturing"].all() and not trend.head(10)["maturing"].any()


def test_fix_shows_a_lower_rate_after_the_action(svc):
    day = svc.latest_day()
    acts = svc.actions(SELLER, day, 90, "S-DEMO", "NW-APP-053")
    fix = acts.row(0, named=True)
    assert fix["action"] == "changed_supplier" and fix["source"] == "data"
    assert fix["after_rate"] < fix["before_rate"]
    assert fix["verdict"] == "improved" and fix["difference_low"] > 0


def test_weekly_index_gives_the_same_weeks_as_the_query(svc):
    """Live offers' trends read a per-day in-memory index; it must match offer_weeks.sql."""
    day = svc.latest_day()
    me = svc.offer(SELLER, day, 90, "S-DEMO", "NW-PIL-030")
    keys = pl.concat(
        [
            pl.DataFrame({"seller_id": ["S-DEMO"], "sku": ["NW-PIL-030"]}),
            svc._peer_keys(day, 90, me),
        ]
    )
    order = ["seller_id", "sku", "week"]
    from_index = svc._weekly_index(day).take(keys).drop("oid").sort(order)
    queried = svc._weeks(keys, day - timedelta(weeks=TREND_WEEKS), day).drop("oid").sort(order)
    assert from_index.height > 52 and from_index.equals(queried)
    assert svc.trend(SELLER, day, 90, "S-DEMO", "NW-PIL-030")["peer_p25"].drop_nulls().len() > 40
    unknown = pl.DataFrame({"seller_id": ["nobody"], "sku": ["nothing"]})
    assert svc._weekly_index(day).take(unknown).is_empty()


def test_weekly_index_take_gathers_each_offers_span():
    weeks = pl.DataFrame(
        {
            "oid": [2, 1, 1, 3, 2],
            "seller_id": ["b", "a", "a", "c", "b"],
            "sku": ["1", "1", "1", "1", "1"],
            "week": [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 5)]
            + [date(2026, 1, 5)] * 2,
            "orders": [1, 2, 3, 4, 5],
        }
    )
    index = WeeklyIndex.of(weeks)
    keys = pl.DataFrame({"seller_id": ["c", "x", "a"], "sku": ["1", "1", "1"]})
    got = index.take(keys)
    assert got.select("seller_id", "orders").rows() == [("c", 4), ("a", 3), ("a", 2)]


def test_comments_of_one_offer_match_the_many_offers_query(svc):
    """One offer takes a direct-filter path; it must return what the multi-offer path does."""
    day = svc.latest_day()
    one = pl.DataFrame({"seller_id": ["S-DEMO"], "sku": ["NW-DGT-087"]})
    other = svc.grid(SELLER, day, 90, GridQuery()).filter(pl.col("sku") != "NW-DGT-087").head(1)
    alone = svc.comments(SELLER, day, 90, one, counted=True, limit=100_000)
    many = svc.comments(
        SELLER,
        day,
        90,
        pl.concat([one, other.select("seller_id", "sku")]),
        counted=True,
        limit=100_000,
    ).filter(pl.col("sku") == "NW-DGT-087")
    assert alone["matching"].unique().to_list() == [alone.height]
    assert many["matching"][0] > alone.height  # counts the other offer's comments too
    assert alone.height > 0 and alone.drop("matching").equals(many.drop("matching"))


def test_computing_health_prefetches_the_days_trend_index(demo_store):
    fresh = VocService.open(demo_store)
    day = fresh.latest_day()
    fresh.all_health(day, 90)
    assert fresh._prefetch is not None
    fresh._prefetch.join(timeout=60)
    assert ("weeks", fresh.data_version(), day) in fresh._cache


def test_comments_of_a_grid_query_are_those_of_its_matching_offers(svc):
    day = svc.latest_day()
    query = GridQuery(health=("poor", "very_poor"))
    keys = svc.grid(SELLER, day, 90, query).select("seller_id", "sku")
    by_query = svc.comments(SELLER, day, 90, query, limit=100_000)
    by_keys = svc.comments(SELLER, day, 90, keys, limit=100_000)
    assert by_query.height > 0 and by_query.equals(by_keys)
    assert set(by_query["seller_id"]) == {"S-DEMO"}
    assert set(by_query["sku"]) <= set(keys["sku"])
    everyone = svc.comments(CM, day, 90, GridQuery(), limit=100_000)
    assert everyone["seller_id"].n_unique() > 10  # the query path scopes by viewer, not less


@pytest.mark.parametrize(
    "query",
    [
        GridQuery(),
        GridQuery(sort_by="title", descending=True),
        GridQuery(health=("fair",), sort_by="orders"),
        GridQuery(search="no such product anywhere"),
    ],
)
def test_grid_pages_are_slices_of_the_sorted_grid(svc, query):
    day = svc.latest_day()
    whole = svc.grid(CM, day, 90, query)
    for start in (0, 100, max(0, whole.height - 50)):
        page, count = svc.grid_page(CM, day, 90, query, start, start + 100)
        assert count == whole.height
        assert page.equals(whole.slice(start, 100))
    mine, count = svc.grid_page(SELLER, day, 90, query, 0, 10_000)
    assert set(mine["seller_id"]) <= {"S-DEMO"} and count == mine.height


def test_offers_of_one_group_share_its_weeks_and_each_leaves_itself_out(demo_store):
    """Live trends read the peer group's weeks and 4-week rates once per group; every
    offer of the group must still get exactly its own peers' band (itself left out)."""
    from engine.service import _four_week_rates

    shared = VocService.open(demo_store)
    day = shared.latest_day()
    me = shared.offer(SELLER, day, 90, "S-DEMO", "NW-PIL-030")
    group = shared._peer_keys(day, 90, me, include_self=True)
    assert group.height > 10
    first, second = group.row(0), group.row(1)
    shared.trend(CM, day, 90, *first)  # fills the group's entry
    got = shared.trend(CM, day, 90, *second)
    assert [k[0] for k in shared._group_weeks_cache].count("group_weeks") == 1
    fresh = VocService.open(demo_store).trend(CM, day, 90, *second)
    assert got.equals(fresh)
    other = shared.offer(CM, day, 90, *second)
    others = shared._weeks(
        shared._peer_keys(day, 90, other), day - timedelta(weeks=TREND_WEEKS), day
    )
    sums = others.group_by("week").agg(pl.col("orders").sum().alias("want"))
    joined = got.join(sums, on="week", how="inner")
    assert joined.height > 40 and (joined["peer_orders"] == joined["want"]).all()
    band = (
        _four_week_rates(others)
        .group_by("week")
        .agg(want=pl.col("rate").quantile(0.25, interpolation="linear"), offers=pl.len())
        .filter(pl.col("offers") >= 5)
    )
    joined = got.join(band, on="week", how="inner")
    assert joined.height > 20 and (joined["peer_p25"] == joined["want"]).all()


@pytest.mark.parametrize(
    "query",
    [
        GridQuery(),
        GridQuery(sort_by="title", descending=True, health=("poor", "very_poor", "fair")),
        GridQuery(sort_by="ncx_rate", descending=True),
        GridQuery(sort_by="last_updated", fulfilment=("FBA",)),
        GridQuery(sort_by="peer_rate", statuses=("active",)),
        GridQuery(sort_by="x_peers", descending=True, with_comments=True),
    ],
)
def test_the_grid_order_from_kept_column_orders_is_the_sort_of_the_matching_rows(svc, query):
    """The grid pages through each column's kept order restricted to the matching rows;
    that must be the order a sort of the matching rows gives (rows fully tied on every sort
    key may come in either order, so the keys are compared, and the offers as a set)."""
    from engine.service import _grid_sort

    day = svc.latest_day()
    for viewer in (CM, SELLER):
        page, total = svc.grid_page(viewer, day, 90, query, 0, 10**6)
        direct = _grid_sort(svc.matching(viewer, day, 90, query), query)
        assert total == direct.height == page.height and total > 0
        column = query.sort_by
        keys = [column, *(c for c in ("lo_excess", "k_excess", "ncx_rate") if c != column), "sku"]
        assert page.select(keys).equals(direct.select(keys))
        assert sorted(page.select("seller_id", "sku").rows()) == sorted(
            direct.select("seller_id", "sku").rows()
        )


def test_the_weekly_index_finds_offers_by_hash_as_a_join_would(svc):
    """WeeklyIndex.take looks spans up by a binary search over key hashes; it must give
    the rows a join with every span gives, in the keys' order, dropping unknown keys."""
    index = svc._weekly_index(svc.latest_day())
    assert index.hashes is not None and index.hashes.size == index.spans.height
    keys = pl.concat(
        [
            index.spans.select("seller_id", "sku").sample(300, seed=1, shuffle=True),
            pl.DataFrame({"seller_id": ["nobody", "S-DEMO"], "sku": ["x", "no-such-sku"]}),
        ]
    ).sample(fraction=1.0, seed=2, shuffle=True)
    joined = keys.join(index.spans, on=["seller_id", "sku"], maintain_order="left")
    assert index._find(keys).equals(joined) and joined.height == 300
