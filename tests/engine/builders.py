"""Tiny inline stores for engine tests: canonical rows with sensible defaults."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any

import polars as pl

from engine import pipeline, store

SCHEMAS: dict[str, dict[str, Any]] = {
    "offers": {
        "seller_id": pl.String,
        "sku": pl.String,
        "asin": pl.String,
        "title": pl.String,
        "brand": pl.String,
        "category": pl.String,
        "subcategory": pl.String,
        "price": pl.Float64,
        "fulfilment": pl.String,
        "created_at": pl.Date,
        "closed_at": pl.Date,
        "closed_reason": pl.String,
        "reinstated_at": pl.Date,
        "deleted_at": pl.Date,
    },
    "orders": {
        "order_id": pl.String,
        "seller_id": pl.String,
        "sku": pl.String,
        "purchase_date": pl.Datetime("us"),
        "quantity": pl.Int32,
        "status": pl.String,
        "sold_by_seller": pl.Boolean,
    },
    "feedback": {
        "feedback_id": pl.String,
        "seller_id": pl.String,
        "sku": pl.String,
        "order_id": pl.String,
        "event_date": pl.Datetime("us"),
        "source": pl.String,
        "reason_code": pl.String,
        "rating": pl.Int8,
        "comment": pl.String,
        "fulfilment_center": pl.String,
    },
}

_ids = count(1)


def offer(seller_id: str = "S1", sku: str = "A", **kw: Any) -> dict[str, Any]:
    row = {
        "seller_id": seller_id,
        "sku": sku,
        "asin": f"B0{sku:0>8}"[:10],
        "title": f"Item {sku}",
        "brand": None,
        "category": "Home",
        "subcategory": "Pillows",
        "price": 15.0,
        "fulfilment": "FBA",
        "created_at": date(2025, 1, 1),
        "closed_at": None,
        "closed_reason": None,
        "reinstated_at": None,
        "deleted_at": None,
    }
    row.update(kw)
    return row


def order(
    day: date, seller_id: str = "S1", sku: str = "A", order_id: str | None = None, **kw: Any
) -> dict[str, Any]:
    row = {
        "order_id": order_id or f"O{next(_ids)}",
        "seller_id": seller_id,
        "sku": sku,
        "purchase_date": datetime.combine(day, time(12)),
        "quantity": 1,
        "status": "shipped",
        "sold_by_seller": True,
    }
    row.update(kw)
    return row


def event(
    day: date, seller_id: str = "S1", sku: str = "A", order_id: str | None = None, **kw: Any
) -> dict[str, Any]:
    row = {
        "feedback_id": f"F{next(_ids)}",
        "seller_id": seller_id,
        "sku": sku,
        "order_id": order_id,
        "event_date": datetime.combine(day, time(15)),
        "source": "return",
        "reason_code": "DEFECTIVE",
        "rating": None,
        "comment": "stopped working after two days",
        "fulfilment_center": None,
    }
    row.update(kw)
    return row


def orders_for(n: int, start: date, seller_id: str = "S1", sku: str = "A") -> list[dict[str, Any]]:
    """n shipped orders, one per day from ``start``."""
    return [order(start + timedelta(days=i % 60), seller_id, sku) for i in range(n)]


def frame(table: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return (
        pl.DataFrame(rows, schema=SCHEMAS[table], orient="row")
        if rows
        else pl.DataFrame(schema=SCHEMAS[table])
    )


def build(offers: list[dict], orders: list[dict], feedback: list[dict] | None = None):
    """An in-memory store holding these rows, derived tables refreshed."""
    con = store.connect(None)
    pipeline.load_frames(
        con,
        {
            "offers": frame("offers", offers),
            "orders": frame("orders", orders),
            "feedback": frame("feedback", feedback or []),
        },
    )
    return con
