"""What the downloads hold: the screen's grids as export sheets (engine.exports).

Each builder takes the rows exactly as a grid shows them (same filters, same order, same
readable values) and says which columns the screen has, then appends raw columns for
analysts. No data access here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import polars as pl

from engine.exports import Column, Sheet
from layouts.grid import offer_rows
from layouts.theme import TILE_LABELS
from layouts.traced import traced_rows

OFFER_COLUMNS: dict[str, Column] = {  # by the grid's colId
    "title": Column("title", "Product", width=40),
    "seller_id": Column("seller", "Seller", width=24),
    "health_rank": Column("shown_health", "CX health", words=TILE_LABELS, width=20),
    "ncx_rate": Column("ncx_rate", "NCX rate", "percent"),
    "orders": Column("ncx_of_orders", "NCX / orders"),
    "peer_rate": Column("peer_rate", "Peer rate", "percent"),
    "x_peers": Column("x_peers", "× peers", "ratio"),
    "top_ncx_reason": Column("top_reason", "Top NCX reason", width=24),
    "at_risk_reason": Column("early_warning", "Early warning", width=28),
    "action": Column("action", "Action"),
    "status": Column("status_label", "Status"),
    "asin": Column("asin", "ASIN"),
    "sku": Column("sku", "SKU"),
    "fulfilment": Column("fulfilment", "Channel"),
    "last_updated": Column("last_updated", "Last updated", "date"),
    "closed_at": Column("closed_at", "Last closed", "date"),
}
OFFER_RAW = (  # engine columns, at full precision, after the screen's
    "seller_id",
    "sku",
    "health",
    "status",
    "orders",
    "ncx_orders",
    "ncx_rate",
    "ci_low",
    "ci_high",
    "peer_rate",
    "peer_level",
    "peer_offers",
    "peer_basis",
    "top_ncx_reason",
    "top_ncx_reason_share",
    "at_risk_reason",
    "category",
    "subcategory",
    "price_band",
    "explanation",
)


def about(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The export's description, with when it was made."""
    return [*lines, ("Exported at", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))]


def offers_sheet(
    frame: pl.DataFrame,
    column_ids: list[str],
    about_lines: list[tuple[str, str]],
    seller_names: dict[str, str] | None = None,
) -> Sheet:
    """The offers grid: ``frame`` the engine's rows in grid order, ``column_ids`` the
    grid's columns (colId) in screen order. Screen values come from the grid's own row
    builder, so the file reads as the screen does; the engine's columns follow."""
    shown = [OFFER_COLUMNS[c] for c in column_ids if c in OFFER_COLUMNS]
    fields = {c.field for c in OFFER_COLUMNS.values()}
    if frame.height:
        rows = pl.DataFrame(offer_rows(frame, seller_names), infer_schema_length=None).with_columns(
            action=pl.when(pl.col("action_required")).then(pl.lit("Action required"))
        )
        screen = rows.select(pl.col(f).alias(SCREEN + f) for f in sorted(fields))
        data = pl.concat([screen, frame.select(OFFER_RAW)], how="horizontal")
    else:
        data = pl.DataFrame(
            schema={SCREEN + f: pl.String for f in fields} | {c: pl.String for c in OFFER_RAW}
        )
    columns = [replace(c, field=SCREEN + c.field) for c in shown]
    return Sheet("Offers", data, columns, raw=list(OFFER_RAW), about=about(about_lines))


SCREEN = "screen:"  # the screen's values, apart from the engine's columns of the same name


COMMENT_COLUMNS = [  # as the comments grid (layouts/grid.py) orders them
    Column("date", "Date", "date"),
    Column("counted", "Counted?", width=30),
    Column("comment", "Comment", width=60),
    Column("source", "Source"),
    Column("reason", "Reason"),
    Column("theme", "Theme"),
    Column("decided_by", "Decided by"),
    Column("rating", "Rating"),
    Column("sku", "SKU"),
]


def comments_sheet(rows: list[dict], about_lines: list[tuple[str, str]]) -> Sheet:
    """The comments grid as shown (``rows``: its rows after the grid's own sort and
    filter), with the feedback id for analysts."""
    names = [c.field for c in COMMENT_COLUMNS]
    raw = ["feedback_id", "reason_code"]
    frame = (
        pl.DataFrame(rows, infer_schema_length=None).select(
            *names, feedback_id="id", reason_code="reason_code"
        )
        if rows
        else pl.DataFrame(schema={n: pl.String for n in [*names, *raw]})
    )
    return Sheet("Comments", frame, COMMENT_COLUMNS, raw=raw, about=about(about_lines))


NCX_COLUMNS = [  # as the offer detail's traced NCX orders grid (layouts/traced.py)
    Column("purchased", "Purchased", "date"),
    Column("order", "Order"),
    Column("order_caused_by", "Caused by"),
    Column("date", "Event", "date"),
    Column("comment", "Comment", width=60),
    Column("counted", "Counted?", width=30),
    Column("source", "Source"),
    Column("reason", "Reason"),
    Column("theme", "Theme"),
    Column("decided_by", "Decided by"),
    Column("caused_by", "Event caused by"),
    Column("commingled", "Commingled"),
]
NCX_RAW = ["order_id", "feedback_id", "reason_code", "caused_by_code", "order_caused_by_code"]


def ncx_orders_sheet(events: pl.DataFrame, about_lines: list[tuple[str, str]]) -> Sheet:
    """One offer's traced NCX orders as the offer detail shows them, one row per event
    (VocService.ncx_order_events), the engine's codes after."""
    names = [c.field for c in NCX_COLUMNS]
    if events.height:
        screen = pl.DataFrame(traced_rows(events), infer_schema_length=None).select(names)
        raw = events.select(
            "order_id",
            "feedback_id",
            "reason_code",
            caused_by_code="caused_by",
            order_caused_by_code="order_caused_by",
        )
        data = pl.concat([screen, raw], how="horizontal")
    else:
        data = pl.DataFrame(schema={n: pl.String for n in [*names, *NCX_RAW]})
    return Sheet("NCX orders", data, NCX_COLUMNS, raw=NCX_RAW, about=about(about_lines))
