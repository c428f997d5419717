"""report --events (every feedback event with its classification and who caused it) and
report --ncx-orders (one offer's NCX orders traced to their events), on the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from engine.health import Viewer
from engine.report import EVENT_COLUMNS, NCX_ORDER_COLUMNS
from engine.themes import classify_explained
from tests.test_cli import OFFERS, ORDERS, run

FEEDBACK = """feedback_id,seller_id,sku,order_id,event_date,source,reason_code,rating,comment,fulfilment_center
F1,S1,A,O1,2026-06-10T08:30:00Z,return,CR-DEFECTIVE,,stopped working after a week,PHX7
F2,S1,A,,2026-06-11,review,,1,"=HYPERLINK(""http://x"",""click"")",
F3,S1,A,O2,2026-06-12,return,UNWANTED_ITEM,,changed my mind,
F4,S1,A,O2,2026-06-13,return,DAMAGED_BY_FC,,arrived crushed,PHX7
F5,S2,C,O4,2026-05-25,return,DEFECTIVE,,broke,
F6,S1,A,,2026-01-05,return,DEFECTIVE,,before the window,
"""
AS_OF = ["--as-of", "2026-06-20"]


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    d = tmp_path / "drop"
    d.mkdir()
    (d / "offers.csv").write_text(OFFERS, encoding="utf-8")
    (d / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (d / "feedback.csv").write_text(FEEDBACK, encoding="utf-8")
    return d


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_events_every_event_in_the_window_with_who_caused_it(drop):
    done = run("report", "--events", "--data", str(drop), *AS_OF)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == ",".join(EVENT_COLUMNS)
    rows = {r["feedback_id"]: r for r in rows_of(done.stdout)}
    assert list(rows) == ["F1", "F2", "F3", "F4", "F5"]  # F6 is before the 90 days
    assert rows["F1"]["event_date"] == "2026-06-10T08:30:00"
    assert (rows["F1"]["reason_code"], rows["F1"]["theme"], rows["F1"]["counted"]) == (
        "DEFECTIVE",
        "defective",
        "true",
    )
    assert (rows["F3"]["counted"], rows["F3"]["not_counted_reason"]) == ("false", "remorse")
    assert rows["F2"]["order_id"] == "" and rows["F2"]["rating"] == "1"
    assert {k: r["caused_by"] for k, r in rows.items()} == {
        "F1": "seller",
        "F2": "seller",
        "F3": "seller",
        "F4": "fulfilment_centre",
        "F5": "commingled",  # O4 was filled from commingled stock
    }
    # what decided each theme: the code as the tables key it, or the phrase that matched
    assert {k: r["decided_by"] for k, r in rows.items() if k != "F2"} == {
        "F1": "reason_code:DEFECTIVE",
        "F3": "reason_code:UNWANTED_ITEM",
        "F4": "reason_code:DAMAGED_BY_FC",
        "F5": "reason_code:DEFECTIVE",
    }
    review = classify_explained(None, '=HYPERLINK("http://x","click")')
    assert (rows["F2"]["theme"], rows["F2"]["decided_by"]) == (review[1], review[2] or "")


def test_events_by_seller_category_window_and_as_json(drop):
    done = run("report", "--events", "--data", str(drop), *AS_OF, "--seller", "S2",
               "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [r["feedback_id"] for r in records] == ["F5"]
    assert list(records[0]) == list(EVENT_COLUMNS)
    assert records[0]["counted"] is True and records[0]["decided_by"] == "reason_code:DEFECTIVE"
    short = run("report", "--events", "--data", str(drop), *AS_OF, "--window-days", "10")
    assert [r["feedback_id"] for r in rows_of(short.stdout)] == ["F2", "F3", "F4"]
    wrong = run("report", "--events", "--data", str(drop), "--category", "Garden")
    assert wrong.returncode == 2 and "--category 'Garden' is not in the data" in wrong.stderr


def test_events_is_exclusive_with_the_other_modes(drop):
    done = run("report", "--events", "--at-risk", "--data", str(drop))
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


def test_ncx_orders_one_row_per_event_of_each_ncx_order(drop):
    done = run("report", "--ncx-orders", "--seller", "S1", "--sku", "A", "--data", str(drop),
               *AS_OF)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == ",".join(NCX_ORDER_COLUMNS)
    rows = rows_of(done.stdout)
    got = [(r["order_id"], r["feedback_id"], r["counted"], r["caused_by"]) for r in rows]
    assert got == [  # newest purchase first, an order's events by date; F6 is too old
        ("", "F2", "true", "seller"),  # the one-star review without an order, 06-11
        ("O2", "F3", "false", "seller"),  # O2 (06-02): its remorse return, not counted
        ("O2", "F4", "true", "fulfilment_centre"),
        ("O1", "F1", "true", "seller"),  # O1 (06-01)
    ]
    by_order = {r["order_id"]: r for r in rows}
    assert by_order["O2"]["order_caused_by"] == "fulfilment_centre"
    assert by_order["O1"]["order_caused_by"] == "seller" and by_order["O1"]["commingled"] == "false"
    assert by_order["O2"]["purchase_day"] == "2026-06-02"
    # a comment a spreadsheet would run is made inert
    assert rows[0]["comment"] == '\'=HYPERLINK("http://x","click")'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seller", "S1", "--sku", "NOPE"], "--sku 'NOPE' is not an offer of seller 'S1'"),
        (["--seller", "NOBODY", "--sku", "A"], "--seller 'NOBODY' has no offers in the data"),
        (["--seller", "S1"], "--ncx-orders needs the offer: --seller ID --sku SKU"),
    ],
)
def test_ncx_orders_of_an_unknown_offer_says_so(drop, args, message):
    done = run("report", "--ncx-orders", *args, "--data", str(drop))
    assert done.returncode == 2 and done.stdout == "" and message in done.stderr


def test_sku_without_ncx_orders_is_refused(drop):
    done = run("report", "--sku", "A", "--data", str(drop))
    assert done.returncode == 2 and "--sku is only for --ncx-orders" in done.stderr


def test_ncx_orders_of_a_poor_demo_offer_are_its_ncx_orders(demo_store, service):
    day = service.latest_day()
    mine = service.offers(Viewer("seller", "S-DEMO"), day, 90)
    poor = mine.filter(pl.col("health").is_in(["poor", "very_poor"]), pl.col("ncx_orders") > 3)
    me = poor.sort("ncx_orders", descending=True).row(0, named=True)
    done = run("--store", str(demo_store), "report", "--ncx-orders", "--seller", "S-DEMO",
               "--sku", me["sku"], "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    orders = {r["order_id"] or r["feedback_id"] for r in records if r["counted"]}
    assert len(orders) == me["ncx_orders"]
    assert all(date.fromisoformat(r["purchase_day"]) <= day for r in records)
    assert {r["order_caused_by"] for r in records} <= {"seller", "fulfilment_centre", "commingled"}
