"""FBA replacements -> feedback events of source ``contact`` on the original order.

A replacement is what a customer contact about the order led to; its reason code (0-12,
docs/amazon-reports.md) decides the theme: 2 defective, 4 wrong item, 10 damaged by the
fulfilment centre, 7 catalogue error, delivery codes, 12 customer error, 0 other.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engine.importers.amazon.common import (
    SELLER,
    event_id,
    feedback_part,
    has_headers,
    pick,
    stage_report,
    text_field,
    timestamp_field,
)
from engine.importers.merge import Part
from engine.importers.staging import Field

KIND, LABEL = "fba_replacements", "FBA replacements report"
NEEDS = "shipment-date, sku, replacement-reason-code, original-amazon-order-id"
WANTED = {
    "event_date": ("shipment-date",),
    "sku": ("sku",),
    "reason": ("replacement-reason-code",),
    "order_id": ("original-amazon-order-id",),
    "replacement_order": ("replacement-amazon-order-id",),
    # the centre that shipped the original order (the replacement may ship from another)
    "fc": ("original-fulfillment-center-id", "fulfillment-center-id", "fulfilment-center-id"),
}


REQUIRED = (
    ("shipment-date",), ("sku",), ("replacement-reason-code",), ("original-amazon-order-id",),
)  # fmt: skip


def matches(normal: set[str]) -> bool:
    return has_headers(normal, REQUIRED)


def _fields(names: list[str], file: str) -> list[Field]:
    cols = pick(names, WANTED, ("event_date", "sku", "reason", "order_id"), file, LABEL)
    return [
        timestamp_field(
            "event_date", cols.col("event_date"), cols.label("event_date", ""), required=True
        ),
        text_field("sku", cols.col("sku"), cols.label("sku", ""), required=True),
        Field(
            "reason_code",
            "VARCHAR",
            cols.col("reason"),
            cols.label("reason", ""),
            required=True,
            convert="CAST(try_cast({t} AS INTEGER) AS VARCHAR)",
            ok="try_cast({v} AS INTEGER) BETWEEN 0 AND 12",
            noun="a replacement reason code",
            expected="a whole number from 0 to 12",
        ),
        text_field("order_id", cols.col("order_id"), cols.label("order_id", ""), required=True),
        text_field(
            "replacement_order",
            cols.col("replacement_order"),
            cols.label("replacement_order", "replacement-amazon-order-id"),
        ),
        text_field("fulfilment_center", cols.col("fc"), cols.label("fc", "fulfillment-center-id")),
    ]


def stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    seller: str,
    encoding: str | None = None,
    max_problems: int = 20,
) -> tuple[list[Part], list[str]]:
    """Stage an FBA replacements report: one feedback part."""
    staged = stage_report(
        con, path, lambda names: _fields(names, path.name), prefix="stage_replacements",
        seller=seller, encoding=encoding, max_problems=max_problems,
    )  # fmt: skip
    staged.table = KIND
    part = feedback_part(
        con,
        staged,
        {
            "feedback_id": event_id(
                "rpl", "order_id", "sku", "event_date", "replacement_order", "reason_code"
            ),
            "seller_id": SELLER,
            "sku": "sku",
            "order_id": "order_id",
            "event_date": "event_date",
            "source": "'contact'",
            "reason_code": "reason_code",
            "fulfilment_center": "fulfilment_center",
        },
    )
    return [part], []
