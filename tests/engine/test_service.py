"""The page's data access: scoping below the callbacks, grid filters and sorting, trends."""

from __future__ import annotations

import polars as pl
import pytest

from engine.health import Viewer
from engine.service import GridQuery, VocService, action_effects

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
            ("ncx_rate", "greaterThan", "0.05"),
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


def test_trend_weeks_peer_band_and_maturing(svc):
    day = svc.latest_day()
    trend = svc.trend(SELLER, day, 90, "S-DEMO", "NW-PIL-030")
    assert trend.height >= 52
    assert trend["orders"].sum() > 0 and trend["peer_rate"].drop_nulls().len() > 40
    band = trend.drop_nulls(["peer_p25", "peer_p75"])
    assert (band["peer_p25"] <= band["peer_p75"]).all()
    assert trend.tail(4)["maturing"].all() and not trend.head(10)["maturing"].any()


def test_fix_shows_a_lower_rate_after_the_action(svc):
    day = svc.latest_day()
    args = (SELLER, day, 90, "S-DEMO", "NW-APP-053")
    effects = action_effects(svc.trend(*args), svc.actions(*args), z=svc.policy.z)
    assert effects and effects[0]["action"] == "changed supplier"
    assert effects[0]["after_rate"] < effects[0]["before_rate"]
    assert effects[0]["after_ci"][1] < effects[0]["before_ci"][0]
