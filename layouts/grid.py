"""Column definitions and row builders for the offers grid and the comments grid."""

from __future__ import annotations

import polars as pl

from engine.policy import HEALTH_LEVELS
from engine.themes import THEME_LABELS
from layouts.figures import SOURCE_LABELS
from layouts.theme import STATUS_LABELS, TILE_LABELS

PCT = {"function": "params.value == null ? '—' : d3.format('.1%')(params.value)"}
TIMES = {"function": "params.value == null ? '—' : d3.format('.1f')(params.value) + '×'"}
TEXT_FILTER = {
    "filter": "agTextColumnFilter",
    "filterParams": {"filterOptions": ["contains", "equals", "startsWith"], "maxNumConditions": 1},
}
NUMBER_FILTER = {
    "filter": "agNumberColumnFilter",
    "filterParams": {"filterOptions": ["greaterThan", "lessThan", "equals"], "maxNumConditions": 1},
}


def offer_columns(show_seller: bool) -> list[dict]:
    """Columns of the offers grid; colId is the engine column sorted and filtered on."""
    cols = [
        {
            "headerName": "Product",
            "field": "title",
            "colId": "title",
            "minWidth": 260,
            "flex": 3,
            "tooltipField": "title",
            **TEXT_FILTER,
        },
        {"headerName": "ASIN", "field": "asin", "colId": "asin", "width": 135, **TEXT_FILTER},
        {"headerName": "SKU", "field": "sku", "colId": "sku", "width": 140, **TEXT_FILTER},
        {
            "headerName": "Channel",
            "field": "fulfilment",
            "colId": "fulfilment",
            "width": 88,
            **TEXT_FILTER,
        },
        {
            "headerName": "CX health",
            "field": "health",
            "colId": "health_rank",
            "width": 150,
            "cellRenderer": "HealthBadge",
            **TEXT_FILTER,
        },
        {
            "headerName": "NCX rate",
            "field": "ncx_rate",
            "colId": "ncx_rate",
            "width": 105,
            "valueFormatter": PCT,
            "type": "rightAligned",
            **NUMBER_FILTER,
        },
        {
            "headerName": "NCX / orders",
            "field": "ncx_of_orders",
            "colId": "orders",
            "width": 125,
            "type": "rightAligned",
            "headerTooltip": "Filter applies to orders",
            **NUMBER_FILTER,
        },
        {
            "headerName": "Peer rate",
            "field": "peer_rate",
            "colId": "peer_rate",
            "width": 105,
            "valueFormatter": PCT,
            "type": "rightAligned",
            **NUMBER_FILTER,
        },
        {
            "headerName": "× peers",
            "field": "x_peers",
            "colId": "x_peers",
            "width": 95,
            "valueFormatter": TIMES,
            "type": "rightAligned",
            **NUMBER_FILTER,
        },
        {
            "headerName": "Top NCX reason",
            "field": "top_reason",
            "colId": "top_ncx_reason",
            "width": 190,
            **TEXT_FILTER,
        },
        {
            "headerName": "Last updated",
            "field": "last_updated",
            "colId": "last_updated",
            "width": 125,
            **TEXT_FILTER,
        },
        {
            "headerName": "Last closed",
            "field": "closed_at",
            "colId": "closed_at",
            "width": 320,
            "cellRenderer": "ClosedCell",
            **TEXT_FILTER,
        },
        {
            "headerName": "Listing status",
            "field": "status_label",
            "colId": "status",
            "width": 135,
            **TEXT_FILTER,
        },
    ]
    if show_seller:
        cols.insert(
            1,
            {
                "headerName": "Seller",
                "field": "seller_id",
                "colId": "seller_id",
                "width": 110,
                **TEXT_FILTER,
            },
        )
    return cols


def offer_rows(frame: pl.DataFrame) -> list[dict]:
    """Grid rows (JSON-safe dicts) for a page of the engine's health frame."""
    if frame.is_empty():
        return []
    labels = {k: THEME_LABELS.get(k, k) for k in frame["top_ncx_reason"].drop_nulls().unique()}
    out = frame.select(
        key=pl.col("seller_id") + pl.lit("|") + pl.col("sku"),
        seller_id="seller_id",
        sku="sku",
        title="title",
        asin="asin",
        fulfilment="fulfilment",
        health="health",
        ncx_rate="ncx_rate",
        ncx_of_orders=pl.format("{} / {}", "ncx_orders", "orders"),
        peer_rate="peer_rate",
        x_peers="x_peers",
        top_reason=pl.when(pl.col("top_ncx_reason").is_not_null()).then(
            pl.format(
                "{} ({} %)",
                pl.col("top_ncx_reason").replace_strict(labels, default=pl.col("top_ncx_reason")),
                (pl.col("top_ncx_reason_share") * 100).round(0).cast(pl.Int64),
            )
        ),
        last_updated=pl.col("last_updated").cast(pl.String),
        closed_at=pl.col("closed_at").cast(pl.String),
        action_required="action_required",
        status="status",
        status_label=pl.col("status").replace_strict(STATUS_LABELS, default=pl.col("status")),
    )
    return out.to_dicts()


COUNTED_WORDS = {
    "delivery": "Not counted: delivery",
    "remorse": "Not counted: buyer's remorse",
    "not one-star": "Not counted: not one-star",
    "seller feedback": "Not counted: seller feedback",
}

COMMENT_COLUMNS = [
    {"headerName": "Date", "field": "date", "width": 110},
    {"headerName": "Source", "field": "source", "width": 130},
    {"headerName": "Reason", "field": "reason", "width": 170},
    {"headerName": "Theme", "field": "theme", "width": 140},
    {"headerName": "Rating", "field": "rating", "width": 90},
    {
        "headerName": "Comment",
        "field": "comment",
        "flex": 3,
        "minWidth": 280,
        "wrapText": True,
        "autoHeight": True,
        "cellClass": "comment-text",
    },
    {
        "headerName": "Counted?",
        "field": "counted",
        "width": 230,
        "wrapText": True,
        "autoHeight": True,
    },
    {"headerName": "SKU", "field": "sku", "width": 120},
]


def comment_rows(frame: pl.DataFrame) -> list[dict]:
    """Comments grid rows. Comment text passes through untouched: the grid shows it as text."""
    if frame.is_empty():
        return []
    rows = []
    for r in frame.iter_rows(named=True):
        counted = (
            "Counted" if r["counted"] else COUNTED_WORDS.get(r["not_counted_reason"], "Not counted")
        )
        if r["sold_by_seller"] is False:
            counted += " · commingled unit: may not have been sold by you"
        rows.append(
            {
                "id": r["feedback_id"],
                "date": r["event_day"].isoformat(),
                "source": SOURCE_LABELS.get(r["source"], r["source"]),
                "reason": r["reason_code"] or "—",
                "theme": THEME_LABELS.get(r["theme"], r["theme"]),
                "rating": f"{r['rating']} ★" if r["rating"] else "",
                "comment": r["comment"] if r["comment"] is not None else "",
                "counted": counted,
                "sku": r["sku"],
            }
        )
    return rows


HEALTH_OPTIONS = [{"label": TILE_LABELS[level], "value": level} for level in HEALTH_LEVELS]
