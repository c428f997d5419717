"""The report agrees with an independent brute-force SQL computation on the demo."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from engine import store
from engine.generations import Store
from engine.health import Viewer, offer_health
from engine.report import report_frame

INDEPENDENT = (Path(__file__).parent / "independent_health.sql").read_text(encoding="utf-8")
EXACT = [
    "status",
    "orders",
    "ncx_orders",
    "peer_level",
    "peer_offers",
    "health",
    "top_ncx_reason",
    "last_updated",
    "action_required",
]
FLOATS = ["ncx_rate", "peer_rate", "ci_low", "ci_high", "top_ncx_reason_share"]


@pytest.mark.parametrize(
    "as_of, stored",
    [
        (date(2026, 10, 31), True),  # the latest day: read from the snapshot refresh stored
        (date(2026, 10, 31), False),  # the same, computed
        (date(2026, 6, 15), True),  # another day: always computed
    ],
)
def test_report_agrees_with_independent_sql(demo_con, as_of, stored):
    expected = demo_con.sql(INDEPENDENT, params={"t": as_of, "w": 90}).pl()
    report = report_frame(demo_con, as_of=as_of, stored=stored)
    assert report.height == expected.height > 4000
    joined = report.join(expected, on=["seller_id", "sku"], how="full", suffix="_sql")
    for column in EXACT:
        differ = joined.filter(pl.col(column).ne_missing(pl.col(f"{column}_sql")))
        assert differ.is_empty(), (
            column,
            differ.select("seller_id", "sku", column, f"{column}_sql").head(),
        )
    for column in FLOATS:
        a, b = pl.col(column), pl.col(f"{column}_sql")
        differ = joined.filter(((a - b).abs() > 1e-12) | (a.is_null() != b.is_null()))
        assert differ.is_empty(), (
            column,
            differ.select("seller_id", "sku", column, f"{column}_sql").head(),
        )
    # the demo exercises what the comparison is about
    assert set(report["health"]) >= {
        "excellent",
        "good",
        "fair",
        "poor",
        "very_poor",
        "insufficient_feedback",
        "no_recent_sales",
    }
    assert {"deleted", "closed", "active"} <= set(report["status"])


def test_demo_seller_has_every_health_level(demo_con):
    seller = report_frame(demo_con, seller_id="S-DEMO")
    assert set(seller["health"]) == {
        "excellent",
        "good",
        "fair",
        "poor",
        "very_poor",
        "insufficient_feedback",
        "no_recent_sales",
    }
    assert seller["action_required"].sum() >= 2
    assert 140 <= seller.height <= 160


def test_the_stored_snapshot_answers_only_the_latest_day_default_window(demo_store, tmp_path):
    copy = tmp_path / "voc.duckdb"
    shutil.copy(Store(demo_store).live(), copy)
    con = store.connect(copy)
    try:
        latest = store.latest_day(con)
        computed = offer_health(con, stored=False)
        assert offer_health(con).equals(computed)  # same rows, order and types
        seller = Viewer("seller", "S-DEMO")
        assert offer_health(con, viewer=seller).equals(
            computed.filter(pl.col("seller_id") == "S-DEMO")
        )
        con.execute("UPDATE snapshot SET health = 'excellent'")  # tamper: is it read?
        assert set(offer_health(con, as_of=latest)["health"]) == {"excellent"}
        assert offer_health(con, as_of=latest, window_days=60)["health"].n_unique() > 3
        assert offer_health(con, as_of=latest - timedelta(days=1))["health"].n_unique() > 3
        assert offer_health(con, stored=False).equals(computed)
    finally:
        con.close()
