"""Settlement report V2 -> refunds: feedback events of source ``refund``.

Rows with ``transaction-type`` = ``Refund`` are refunds: one event per order and SKU,
however many amount rows (principal, tax, commission) it has, dated by its first posting.
The first data row is the settlement's summary (empty transaction type); order, fee and
other rows are not feedback and are skipped. A refund carries no reason and no comment,
so it counts as an unexplained problem (docs/health.md), as the marketplace counts it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from engine.importers.amazon.common import (
    AMAZON_TS_EXPECTED,
    SELLER,
    amazon_timestamp,
    event_id,
    fail_rows,
    has_headers,
    pick,
    stage_report,
    text_field,
)
from engine.importers.merge import Part
from engine.importers.staging import drop, future_check, new_name, quote_ident

KIND, LABEL = "settlement", "settlement report (V2)"
NEEDS = "settlement-id, transaction-type, order-id, sku, posted-date or posted-date-time"
WANTED = {
    "settlement_id": ("settlement-id",),
    "type": ("transaction-type",),
    "order_id": ("order-id",),
    "sku": ("sku",),
    "posted_at": ("posted-date-time",),
    "posted_day": ("posted-date",),
}


REQUIRED = (("settlement-id",), ("transaction-type",), ("order-id",), ("sku",))


def matches(normal: set[str]) -> bool:
    return has_headers(normal, REQUIRED)


def _fields(names: list[str], file: str):
    cols = pick(names, WANTED, ("settlement_id", "type", "order_id", "sku"), file, LABEL)
    if cols.col("posted_at") is None and cols.col("posted_day") is None:
        pick(names, WANTED, ("posted_day",), file, LABEL)
    return [
        text_field("type", cols.col("type"), cols.label("type", "")),
        text_field("order_id", cols.col("order_id"), cols.label("order_id", "")),
        text_field("sku", cols.col("sku"), cols.label("sku", "")),
        text_field("posted_at", cols.col("posted_at"), cols.label("posted_at", "posted-date-time")),
        text_field("posted_day", cols.col("posted_day"), cols.label("posted_day", "posted-date")),
    ], cols


def stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    seller: str,
    encoding: str | None = None,
    max_problems: int = 20,
) -> tuple[list[Part], list[str]]:
    """Stage a settlement report: one feedback part with a refund per order and SKU."""
    labels = {}

    def fields(names):
        out, cols = _fields(names, path.name)
        labels.update(cols.labels)
        return out

    staged = stage_report(
        con, path, fields, prefix="stage_settlement", seller=seller, encoding=encoding,
        max_problems=max_problems,
    )  # fmt: skip
    staged.table = KIND
    q = quote_ident(staged.stage)
    refund = "lower(type) = 'refund'"
    when = f"coalesce({amazon_timestamp('posted_at')}, {amazon_timestamp('posted_day')})"
    dated = new_name(con, "settlement_refunds")
    con.execute(
        f"CREATE TEMP TABLE {dated} AS SELECT rowid AS _rowid, order_id, sku, posted_at, "
        f"posted_day, {when} AS event_date FROM {q} WHERE {refund}"
    )
    for column, label, message in (
        ("order_id", labels.get("order_id", "order-id"), "a refund row needs an order id"),
        ("sku", labels.get("sku", "sku"), "a refund row needs a SKU"),
    ):
        fail_rows(con, staged, f"{refund} AND {column} IS NULL", "''", label, message,
                  max_problems=max_problems)  # fmt: skip
    date_label = labels.get("posted_at") or labels.get("posted_day") or "posted-date"
    fail_rows(
        con, staged,
        f"{refund} AND {when} IS NULL",
        "coalesce(posted_at, posted_day)",
        date_label,
        "{raw} is not a date (expected " + AMAZON_TS_EXPECTED + ")",
        max_problems=max_problems,
    )  # fmt: skip
    future = future_check("posted")
    fail_rows(
        con, staged,
        f"{refund} AND NOT ({future.sql.replace('{v}', when)})",
        "coalesce(posted_at, posted_day)",
        date_label,
        future.message,
        max_problems=max_problems,
    )  # fmt: skip
    part = new_name(con, "part_feedback")
    con.execute(
        f"CREATE TEMP TABLE {part} AS SELECT "
        f"{event_id('ref', 'order_id', 'sku')} AS feedback_id, {SELLER}::VARCHAR AS seller_id, "
        f"sku, order_id, min(event_date) AS event_date, 'refund' AS source, "
        f"NULL::VARCHAR AS reason_code, NULL::TINYINT AS rating, NULL::VARCHAR AS comment, "
        f"NULL::VARCHAR AS fulfilment_center, min(_rowid) AS _rowid "
        f"FROM {dated} GROUP BY order_id, sku"
    )
    drop(con, dated)
    return [Part("feedback", part, staged, "_rowid")], []
