"""'What customers complain about': the offer detail's and the peer view's callbacks."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import pytest

import app as app_module
from engine.health import Viewer
from engine.service import GridQuery
from engine.themes import THEME_LABELS
from tests.callbacks.test_callbacks import SELLER, callback, scope

ME = Viewer("seller", SELLER)
CM = Viewer("category_manager")


@pytest.fixture(scope="module")
def dash_app(demo_store):
    return app_module.create_app(demo_store)


@pytest.fixture(scope="module")
def poor(service) -> dict:
    """The seller's worst offer."""
    day = service.latest_day()
    return service.grid(ME, day, 90, GridQuery(health=("very_poor", "poor"))).row(0, named=True)


def test_offer_themes_show_the_engines_shares_offer_vs_similar_offers(dash_app, service, poor):
    key = f"{poor['seller_id']}|{poor['sku']}"
    shares_fig, weeks_fig, examples = callback(dash_app, "update_offer_themes")(
        key, *scope(service)
    )
    fig = go.Figure(shares_fig)
    offer, peers = fig.data
    assert (offer.name, peers.name) == ("This offer", "Similar offers")
    # the top bar is the offer's top NCX reason, at its share
    assert offer.y[0] == THEME_LABELS[poor["top_ncx_reason"]]
    assert offer.x[0] == pytest.approx(poor["top_ncx_reason_share"] * 100)
    shares = service.theme_shares(ME, service.latest_day(), 90, poor["seller_id"], poor["sku"])
    expected = dict(
        zip(shares["theme"].replace_strict(THEME_LABELS), shares["peer_share"] * 100, strict=True)
    )
    assert dict(zip(peers.y, peers.x, strict=True)) == pytest.approx(expected)
    weeks = go.Figure(weeks_fig)
    assert {d.yaxis for d in weeks.data} == {"y", "y2"}  # this offer, similar offers
    assert {d.name for d in weeks.data} <= set(THEME_LABELS.values())
    # example comments: the offer's own, the top theme's first
    text = str(examples.to_plotly_json())
    found = service.theme_examples(ME, service.latest_day(), 90, poor["seller_id"], poor["sku"])
    top = found.filter(pl.col("theme") == poor["top_ncx_reason"]).row(0, named=True)
    assert top["examples"] and all(x["sku"] == poor["sku"] for x in top["examples"])
    assert all(x["comment"] in text for x in top["examples"])


def test_a_seller_gets_nothing_of_another_sellers_offer(dash_app, service):
    day = service.latest_day()
    other = (
        service.grid(CM, day, 90, GridQuery())
        .filter(pl.col("seller_id") != SELLER)
        .row(0, named=True)
    )
    key = f"{other['seller_id']}|{other['sku']}"
    shares_fig, weeks_fig, phrases = callback(dash_app, "update_offer_themes")(key, *scope(service))
    assert shares_fig["data"] == [] and weeks_fig["data"] == [] and not phrases
    peer = callback(dash_app, "update_peer_themes")(key, *scope(service))
    assert all(f["data"] == [] for f in peer[:2])


def test_peer_view_shows_the_whole_groups_themes_to_a_category_manager(dash_app, service, poor):
    key = f"{poor['seller_id']}|{poor['sku']}"
    shares_fig, weeks_fig, shown = callback(dash_app, "update_peer_themes")(
        key, *scope(service, "cm")
    )
    group, offer = go.Figure(shares_fig).data
    assert (group.name, offer.name) == ("Whole peer group", "Selected offer")
    shares = service.theme_shares(CM, service.latest_day(), 90, poor["seller_id"], poor["sku"])
    top = shares.sort(["group_ncx", "theme"], descending=[True, False]).row(0, named=True)
    assert group.y[0] == THEME_LABELS[top["theme"]]
    assert group.x[0] == pytest.approx(top["group_share"] * 100)
    assert sum(group.x) == pytest.approx(100)
    assert {d.yaxis for d in go.Figure(weeks_fig).data} == {"y"}  # the group only
    examples = service.theme_examples(
        CM, service.latest_day(), 90, poor["seller_id"], poor["sku"], group=True
    )
    skus = set(examples["examples"].explode().struct.field("sku"))
    assert len(skus) > 1  # the group's comments, for a category manager
    text = str(shown.to_plotly_json())
    assert all(x["comment"] in text for x in examples["examples"].explode())
    # a seller has no peer view
    blank = callback(dash_app, "update_peer_themes")(key, *scope(service))
    assert all(f["data"] == [] for f in blank[:2])
