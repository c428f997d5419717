"""An import derives only what it changed; the result equals deriving everything anew.

Each test loads data in several imports (new days, late feedback, corrections that move
or cancel orders and move feedback) and compares every derived table and the persisted
health with a store that received the final data in one import.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from engine import demo, derive, pipeline, store
from engine.importers import merge
from tests.engine.builders import event, frame, offer, order

DERIVED = ("events", "offer_day", "offer_ncx_day", "offer_activity", "deleted_health", "snapshot")


def table(con, name: str) -> pl.DataFrame:
    got = con.sql(f"SELECT * FROM {name}").pl()
    if name == "offer_activity":  # an unordered list of days per offer
        got = got.with_columns(pl.col("days").list.sort())
    return got.sort(got.columns, nulls_last=True)


def assert_same_derivation(incremental, full) -> None:
    for name in DERIVED:
        assert store.has_table(incremental, name) == store.has_table(full, name), name
        if not store.has_table(full, name):  # e.g. deleted_health without deleted listings
            continue
        a, b = table(incremental, name), table(full, name)
        assert a.columns == b.columns, name
        assert a.height == b.height, (name, a.height, b.height)
        assert a.equals(b), name


def load(con, **frames: pl.DataFrame) -> pipeline.ImportSummary:
    return pipeline.load_frames(con, frames, origin="import")


@pytest.fixture(scope="module")
def demo_data():
    return demo.generate(scale=0.3, seed=11)


def test_demo_imported_in_pieces_with_corrections_equals_one_import(demo_data):
    d = demo_data
    cut1, cut2 = date(2026, 8, 1), date(2026, 10, 1)
    day = pl.col("purchase_date").dt.date()
    when = pl.col("event_date").dt.date()
    orders, feedback = d.orders, d.feedback
    # Hold back some orders of the second piece to the third, while their feedback comes
    # in the second: feedback that names an order the store does not have yet.
    held = orders.filter((day >= cut1) & (day < cut2)).head(400)["order_id"]
    # Corrections in the last import: cancel orders that have counted feedback, move
    # purchase days, move feedback to another of the seller's offers.
    counted = feedback.filter(pl.col("order_id").is_not_null() & (pl.col("source") == "return"))
    shipped = orders.filter(pl.col("status") == "shipped")["order_id"].implode()
    cancel = counted.filter((when < cut1) & pl.col("order_id").is_in(shipped)).head(150)["order_id"]
    moved_day = orders.filter(day < cut1).tail(200)["order_id"]
    first, second = orders["sku"].unique().sort()[:2]
    corrected_orders = orders.filter(
        pl.col("order_id").is_in(cancel.implode()) | pl.col("order_id").is_in(moved_day.implode())
    ).with_columns(
        status=pl.when(pl.col("order_id").is_in(cancel.implode()))
        .then(pl.lit("cancelled"))
        .otherwise(pl.col("status")),
        purchase_date=pl.when(pl.col("order_id").is_in(moved_day.implode()))
        .then(pl.col("purchase_date") - pl.duration(days=3))
        .otherwise(pl.col("purchase_date")),
    )
    moved_fb = feedback.filter(when >= cut2).head(100).with_columns(sku=pl.lit(first))
    deleted_now = d.offers.filter(pl.col("deleted_at").is_null()).head(5)
    offers_final = d.offers.join(
        deleted_now.select("seller_id", "sku"), on=["seller_id", "sku"], how="anti"
    )
    offers_final = pl.concat(
        [offers_final, deleted_now.with_columns(deleted_at=pl.lit(date(2026, 10, 20)))]
    )
    orders_final = pl.concat(
        [orders.join(corrected_orders.select("order_id", "seller_id", "sku"), on=["order_id", "seller_id", "sku"], how="anti"), corrected_orders]
    )  # fmt: skip
    feedback_final = pl.concat(
        [feedback.join(moved_fb.select("feedback_id"), on="feedback_id", how="anti"), moved_fb]
    )

    inc = store.connect(None)
    load(
        inc,
        offers=d.offers,
        orders=orders.filter(day < cut1),
        feedback=feedback.filter(when < cut1),
    )
    load(
        inc,
        orders=orders.filter(
            (day >= cut1) & (day < cut2) & ~pl.col("order_id").is_in(held.implode())
        ),
        feedback=feedback.filter((when >= cut1) & (when < cut2)),
    )
    summary = load(
        inc,
        orders=pl.concat(
            [orders.filter(day >= cut2), orders.filter(pl.col("order_id").is_in(held.implode()))]
        ),
        feedback=feedback.filter(when >= cut2),
    )
    assert not summary.merged.first_load  # the scoped path was taken
    fixes = load(inc, offers=offers_final, orders=corrected_orders, feedback=moved_fb)
    differ = corrected_orders.join(orders, on=orders.columns, how="anti", nulls_equal=True)
    assert differ.height > 300
    assert fixes.merged.counts["orders"].updated == differ.height
    assert fixes.merged.counts["feedback"].updated == moved_fb.height
    again = load(inc, orders=corrected_orders, feedback=moved_fb)
    assert not again.changed

    full = store.connect(None)
    load(full, offers=offers_final, orders=orders_final, feedback=feedback_final)
    assert_same_derivation(inc, full)


def test_small_corrections_are_derived_like_a_full_rebuild():
    t = date(2026, 6, 30)
    peers = [offer("S2", f"P{i}") for i in range(25)]
    base_orders = [order(t - timedelta(days=i), "S2", f"P{i % 25}") for i in range(200)]
    mine = [order(t - timedelta(days=i), order_id=f"M{i}") for i in range(40)]
    fb = [event(t - timedelta(days=i // 2), order_id=f"M{i}") for i in range(0, 20, 2)]
    offers = [
        offer(),
        offer(sku="B"),
        offer("S2", "GONE", deleted_at=t - timedelta(days=5)),
        *peers,
    ]
    gone = [order(t - timedelta(days=10 + i), "S2", "GONE") for i in range(8)]

    inc = store.connect(None)
    load(
        inc,
        offers=frame("offers", offers),
        orders=frame("orders", [*base_orders, *mine[:30], *gone]),
        feedback=frame("feedback", fb[:3]),
    )
    late = [event(t, order_id="M35", comment="arrived broken"), *fb[3:]]
    load(inc, orders=frame("orders", mine[30:]), feedback=frame("feedback", late))
    cancelled = {**mine[0], "status": "cancelled"}  # had a counted return
    moved = {**mine[1], "purchase_date": mine[1]["purchase_date"] - timedelta(days=20)}
    to_b = {**fb[4], "sku": "B"}
    load(inc, orders=frame("orders", [cancelled, moved]), feedback=frame("feedback", [to_b]))

    final_orders = [*base_orders, cancelled, moved, *mine[2:], *gone]
    final_fb = [fb[0], fb[1], fb[2], fb[3], to_b, *fb[5:], late[0]]
    full = store.connect(None)
    load(
        full,
        offers=frame("offers", offers),
        orders=frame("orders", final_orders),
        feedback=frame("feedback", final_fb),
    )
    assert_same_derivation(inc, full)


@pytest.mark.parametrize(
    "change",
    [
        {"status": "cancelled"},  # an order with a counted return is cancelled
        {"sold_by_seller": False},  # it turns out to be commingled stock
        {"purchase_date_shift": -40},  # its purchase day moves out of the window
    ],
)
def test_one_corrected_order_alone_is_derived_again(change):
    t = date(2026, 6, 30)
    offers = [offer(), *(offer("S2", f"P{i}") for i in range(3))]
    orders = [order(t - timedelta(days=i), order_id=f"M{i}") for i in range(10)]
    orders += [order(t - timedelta(days=i), "S2", f"P{i % 3}") for i in range(30)]
    fb = [event(t - timedelta(days=1), order_id="M3")]
    inc = store.connect(None)
    load(
        inc,
        offers=frame("offers", offers),
        orders=frame("orders", orders),
        feedback=frame("feedback", fb),
    )
    fixed = dict(orders[3])
    shift = change.pop("purchase_date_shift", 0)
    fixed.update(change, purchase_date=fixed["purchase_date"] + timedelta(days=shift))
    summary = load(inc, orders=frame("orders", [fixed]))
    assert summary.merged.counts["orders"].updated == 1
    full = store.connect(None)
    final = [fixed if o["order_id"] == "M3" else o for o in orders]
    load(
        full,
        offers=frame("offers", offers),
        orders=frame("orders", final),
        feedback=frame("feedback", fb),
    )
    assert_same_derivation(inc, full)


def test_an_order_imported_after_its_feedback_links_to_it():
    t = date(2026, 6, 30)
    offers = [offer(), *(offer("S2", f"P{i}") for i in range(5))]  # a scoped rebuild pays
    orders = [order(t - timedelta(days=i), order_id=f"M{i}") for i in range(5)]
    orders += [order(t - timedelta(days=i), "S2", f"P{i % 5}") for i in range(20)]
    late = order(t - timedelta(days=6), order_id="LATE")
    fb = [event(t, order_id="LATE", comment="arrived broken")]  # the order is not in yet
    inc = store.connect(None)
    load(
        inc,
        offers=frame("offers", offers),
        orders=frame("orders", orders),
        feedback=frame("feedback", fb),
    )
    summary = load(inc, orders=frame("orders", [late]))
    assert summary.merged.counts["orders"].added == 1 and not summary.merged.first_load
    assert derive._scope_pays(inc, derive.Scope(merge.CHANGED_DAYS, merge.CHANGED_EVENTS))
    full = store.connect(None)
    load(
        full,
        offers=frame("offers", offers),
        orders=frame("orders", [*orders, late]),
        feedback=frame("feedback", fb),
    )
    assert_same_derivation(inc, full)
    ncx = inc.sql("SELECT sum(ncx_orders) FROM offer_ncx_day WHERE sku = 'A'").fetchall()[0][0]
    assert ncx == 1


def test_an_offer_whose_channel_changes_is_attributed_again():
    """A SWITCHEROO is the fulfilment centre's only on an FBA offer: a catalogue that
    corrects the channel derives the offer's events again (caused_by)."""
    t = date(2026, 6, 30)
    offers = [offer(fulfilment="MFN"), *(offer("S2", f"P{i}") for i in range(5))]
    orders = [order(t - timedelta(days=i), order_id=f"M{i}") for i in range(5)]
    orders += [order(t - timedelta(days=i), "S2", f"P{i % 5}") for i in range(20)]
    fb = [event(t, order_id="M1", reason_code="SWITCHEROO")]
    inc = store.connect(None)
    load(
        inc,
        offers=frame("offers", offers),
        orders=frame("orders", orders),
        feedback=frame("feedback", fb),
    )
    assert inc.sql("SELECT caused_by FROM events").fetchall() == [("seller",)]
    fba = [offer(fulfilment="FBA"), *offers[1:]]
    load(inc, offers=frame("offers", fba[:1]))
    assert inc.sql("SELECT caused_by FROM events").fetchall() == [("fulfilment_centre",)]
    full = store.connect(None)
    load(
        full,
        offers=frame("offers", fba),
        orders=frame("orders", orders),
        feedback=frame("feedback", fb),
    )
    assert_same_derivation(inc, full)
