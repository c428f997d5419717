"""An offer's NCX orders traced to their events, and who caused them (docs/health.md,
"Who caused it"). Plain functions over a cursor and polars frames; the viewer is applied
by the caller (engine.service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

from engine import sql

# Columns of one row per event of each NCX order (engine/sql/ncx_orders.sql).
EVENT_COLUMNS: tuple[str, ...] = (
    "ncx_key",
    "order_id",
    "purchase_day",
    "commingled",
    "counted_events",
    "order_caused_by",
    "feedback_id",
    "event_date",
    "event_day",
    "source",
    "reason_code",
    "rating",
    "issue_type",
    "theme",
    "comment",
    "counted",
    "not_counted_reason",
    "decided_by",
    "caused_by",
    "first_counted",
)
# Not the seller's to fix: the NCX order has a counted event caused by one of these.
NOT_THE_SELLERS = ("fulfilment_centre", "commingled")


def ncx_order_events(
    cur: duckdb.DuckDBPyConnection, seller_id: str, sku: str, e: date, window_days: int
) -> pl.DataFrame:
    """Every event (on or before ``e``) of each NCX order of one offer in the window
    ``[e - window_days + 1, e]``: EVENT_COLUMNS, newest purchase first, an order's events
    by date. Empty (with those columns) when the offer has no NCX order."""
    params = {
        "seller_id": seller_id,
        "sku": sku,
        "start": e - timedelta(days=window_days - 1),
        "e": e,
    }
    return (
        cur.sql(sql.load("ncx_orders"), params=params)
        .pl()
        .with_columns(pl.col("counted_events").cast(pl.Int64), pl.col("rating").cast(pl.Int64))
    )


def ncx_orders(events: pl.DataFrame) -> pl.DataFrame:
    """One row per NCX order from ``ncx_order_events``, newest purchase first: order_id
    (null for an event without an order), purchase_day, first_event_day, source,
    reason_code, theme and comment of its first counted event, counted_events, events
    (all its events), commingled, caused_by (the order's: ``order_caused_by``)."""
    if events.is_empty():
        return pl.DataFrame(
            schema={
                "order_id": pl.String,
                "purchase_day": pl.Date,
                "first_event_day": pl.Date,
                "source": pl.String,
                "reason_code": pl.String,
                "theme": pl.String,
                "comment": pl.String,
                "counted_events": pl.Int64,
                "events": pl.Int64,
                "commingled": pl.Boolean,
                "caused_by": pl.String,
            }
        )
    sizes = events.group_by("ncx_key").agg(events=pl.len().cast(pl.Int64))
    return (
        events.filter("first_counted")
        .join(sizes, on="ncx_key")
        .sort(["purchase_day", "ncx_key"], descending=[True, False])
        .select(
            "order_id",
            "purchase_day",
            pl.col("event_day").alias("first_event_day"),
            "source",
            "reason_code",
            "theme",
            "comment",
            "counted_events",
            "events",
            "commingled",
            pl.col("order_caused_by").alias("caused_by"),
        )
    )


@dataclass(frozen=True)
class FixShare:
    """Of an offer's traced NCX orders: how many were caused by the fulfilment centre, by
    commingled stock, and how many are the seller's to fix (no counted event caused by
    either). ``seller_share`` is yours ÷ ncx_orders (None without NCX orders)."""

    ncx_orders: int
    fulfilment_centre: int
    commingled: int
    yours: int

    @property
    def not_yours(self) -> int:
        return self.fulfilment_centre + self.commingled

    @property
    def seller_share(self) -> float | None:
        return self.yours / self.ncx_orders if self.ncx_orders else None

    def sentence(self) -> str | None:
        """What the explanation adds when it matters (some NCX order is not the
        seller's), e.g. "3 of 8 NCX orders were caused by the fulfilment centre or
        commingled stock: 5 are yours to fix"; None otherwise."""
        if not self.not_yours:
            return None
        causes = [
            name
            for name, k in (
                ("the fulfilment centre", self.fulfilment_centre),
                ("commingled stock", self.commingled),
            )
            if k
        ]
        verb = "was" if self.not_yours == 1 else "were"
        yours = f"{self.yours} {'is' if self.yours == 1 else 'are'} yours to fix"
        return (
            f"{self.not_yours} of {self.ncx_orders} NCX orders {verb} caused by "
            f"{' or '.join(causes)}: {yours if self.yours else 'none is yours to fix'}"
        )


def fix_share(orders: pl.DataFrame) -> FixShare:
    """``FixShare`` of the NCX orders from ``ncx_orders`` (its ``caused_by``)."""
    by = orders["caused_by"].value_counts() if orders.height else None
    counts = dict(by.iter_rows()) if by is not None else {}
    return FixShare(
        ncx_orders=orders.height,
        fulfilment_centre=counts.get("fulfilment_centre", 0),
        commingled=counts.get("commingled", 0),
        yours=counts.get("seller", 0),
    )
