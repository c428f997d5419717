"""All Orders report (by order date or by last update) -> orders, and offers where no
catalogue gives them.

One row per order item; ``item-status`` (else ``order-status``) is the line's status, so a
unit cancelled inside a shipped order is a cancelled line (the merge step makes the lines
of one order and one offer one order). ``last-updated-date`` decides which of two reports
of an order is newer. The report has no commingled-stock flag: units count as the
seller's own. Offer facts: SKU, ASIN, title, FBA (``Amazon``/``AFN``) or MFN
(``Merchant``/``MFN``), unit price = item-price ÷ quantity, created = first order day.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engine.importers import staging
from engine.importers.amazon.common import (
    SELLER,
    has_headers,
    pick,
    stage_report,
    text_field,
    timestamp_field,
)
from engine.importers.merge import Part
from engine.importers.staging import Field, case_map, quote_ident

KIND = "amazon_orders"
LABEL = "All Orders report"
NEEDS = "amazon-order-id (or order-id), purchase-date, sku, quantity, item-status or order-status"
WANTED = {
    "order_id": ("amazon-order-id", "order-id"),
    "purchase_date": ("purchase-date",),
    "updated_at": ("last-updated-date",),
    "item_status": ("item-status",),
    "order_status": ("order-status",),
    "sku": ("sku",),
    "asin": ("asin",),
    "title": ("product-name",),
    "channel": ("fulfillment-channel", "fulfilment-channel"),
    "quantity": ("quantity", "quantity-purchased"),
    "item_price": ("item-price",),
}
STATUSES = {
    "shipped": "shipped",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "pending": "pending",
    "unshipped": "unshipped",
    "shipping": "shipping",
}
CHANNELS = {"AMAZON": "FBA", "AFN": "FBA", "MERCHANT": "MFN", "MFN": "MFN"}


# The header names a file needs to be one (normalised; a group holds alternatives).
REQUIRED = (
    ("amazon-order-id", "order-id"), ("purchase-date",), ("sku",),
    ("quantity", "quantity-purchased"), ("item-status", "order-status"),
)  # fmt: skip


def matches(normal: set[str]) -> bool:
    """Whether a header (normalised names) is an All Orders report."""
    return has_headers(normal, REQUIRED)


def _fields(names: list[str], file: str) -> list[Field]:
    cols = pick(
        names,
        WANTED,
        ("order_id", "purchase_date", "sku", "quantity"),
        file,
        LABEL,
    )
    status = "item_status" if cols.col("item_status") is not None else "order_status"
    if cols.col(status) is None:
        cols = pick(names, WANTED, ("item_status",), file, LABEL)
    status_sql = f"coalesce({case_map('lower({t})', STATUSES)}, lower({{t}}))"
    return [
        text_field("order_id", cols.col("order_id"), cols.label("order_id", ""), required=True),
        timestamp_field(
            "purchase_date",
            cols.col("purchase_date"),
            cols.label("purchase_date", ""),
            required=True,
        ),
        timestamp_field(
            "updated_at",
            cols.col("updated_at"),
            cols.label("updated_at", "last-updated-date"),
            required=False,
        ),
        Field(
            "status", "VARCHAR", cols.col(status), cols.label(status, ""), True, convert=status_sql
        ),
        text_field("sku", cols.col("sku"), cols.label("sku", "sku"), required=True),
        text_field("asin", cols.col("asin"), cols.label("asin", "asin")),
        text_field("title", cols.col("title"), cols.label("title", "product-name")),
        Field(
            "fulfilment",
            "VARCHAR",
            cols.col("channel"),
            cols.label("channel", "fulfillment-channel"),
            convert=case_map("upper({t})", CHANNELS),
            noun="a fulfilment channel",
            expected="Amazon, Merchant, AFN or MFN",
        ),
        Field(
            "quantity",
            "INTEGER",
            cols.col("quantity"),
            cols.label("quantity", "quantity"),
            True,
            ok="{v} >= 0",
            noun="a valid quantity",
            expected="a whole number >= 0 such as 2",
        ),
        Field(
            "item_price",
            "DECIMAL(14, 2)",
            cols.col("item_price"),
            cols.label("item_price", "item-price"),
            noun="a price",
            expected="a number such as 19.99",
        ),
    ]


def stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    seller: str,
    encoding: str | None = None,
    max_problems: int = 20,
) -> tuple[list[Part], list[str]]:
    """Stage an All Orders report: an orders part and a report_offers part."""
    staged = stage_report(
        con,
        path,
        lambda names: _fields(names, path.name),
        prefix="stage_all_orders",
        seller=seller,
        encoding=encoding,
        max_problems=max_problems,
    )
    staged.table = KIND
    q = quote_ident(staged.stage)
    orders = staging.new_name(con, "part_orders")
    con.execute(  # a view: the stage holds millions of lines, no need to copy them
        f"CREATE TEMP VIEW {orders} AS SELECT order_id, {SELLER} AS seller_id, sku, "
        f"purchase_date, quantity, status, TRUE AS sold_by_seller, updated_at, "
        f"rowid AS _rowid FROM {q}"
    )
    offers = staging.new_name(con, "part_report_offers")
    con.execute(
        f"CREATE TEMP TABLE {offers} AS SELECT {SELLER} AS seller_id, sku, "
        f"any_value(asin) AS asin, any_value(title) AS title, any_value(fulfilment) AS fulfilment, "
        f"median(item_price / quantity) FILTER (status <> 'cancelled' AND quantity > 0 "
        f"AND item_price > 0) AS price, min(purchase_date)::DATE AS created_at FROM {q} GROUP BY sku"
    )
    return [
        Part("orders", orders, staged, "_rowid", check_offers=False),
        Part("report_offers", offers, staged),
    ], []
