"""Column definitions and row builders for the offers grid and the comments grid."""

from __future__ import annotations

import polars as pl

from engine.policy import SHOWN_LEVELS
from engine.themes import THEME_LABELS, reason_words
from layouts.figures import SOURCE_LABELS
from layouts.theme import TILE_LABELS

# As the downloads write them (engine.exports): "12.3 %", "4.9 ×", "—" for no value.
PCT = {"function": "params.value == null ? '—' : d3.format('.1f')(params.value * 100) + ' %'"}
TIMES = {"function": "params.value == null ? '—' : d3.format('.1f')(params.value) + ' ×'"}
TEXT_FILTER = {
    "filter": "agTextColumnFilter",
    "filterParams": {"filterOptions": ["contains", "equals", "startsWith"], "maxNumConditions": 1},
}
NUMBER_FILTER = {
    "filter": "agNumberColumnFilter",
    "filterParams": {"filterOptions": ["greaterThan", "lessThan", "equals"], "maxNumConditions": 1},
}


GRID_STATUS = {
    "active": "Active",
    "closed": "Closed",
    "deleted": "Deleted",
}  # short: a narrow column


def _col(header: str, field: str, col_id: str, width: int, **kw) -> dict:
    return {"headerName": header, "field": field, "colId": col_id, "width": width, **kw}


def offer_columns(show_seller: bool) -> list[dict]:
    """Columns of the offers grid; colId is the engine column sorted and filtered on.

    The product is pinned and a seller's decision columns come first, sized so they fit
    a 1280 px screen without scrolling; identifiers and dates follow.
    """
    cols = [
        _col("Product", "title", "title", 165, minWidth=140, pinned="left",
             tooltipField="title", **TEXT_FILTER),
        _col("CX health", "shown_health", "health_rank", 156, cellRenderer="HealthBadge",
             headerTooltip="Filter by the level's name, e.g. poor", **TEXT_FILTER),
        _col("NCX rate", "ncx_rate", "ncx_rate", 88, valueFormatter=PCT, type="rightAligned",
             headerTooltip="Filter in percent, e.g. greater than 5", **NUMBER_FILTER),
        _col("NCX / orders", "ncx_of_orders", "orders", 92, type="rightAligned",
             headerTooltip="Filter applies to orders", **NUMBER_FILTER),
        _col("Peer rate", "peer_rate", "peer_rate", 86, valueFormatter=PCT, type="rightAligned",
             headerTooltip="Filter in percent", **NUMBER_FILTER),
        _col("× peers", "x_peers", "x_peers", 86, valueFormatter=TIMES, type="rightAligned",
             **NUMBER_FILTER),
        _col("Top NCX reason", "top_reason", "top_ncx_reason", 140, tooltipField="top_reason",
             **TEXT_FILTER),
        _col("Action", "action", "action", 116, cellRenderer="ActionCell", sortable=False,
             cellClass="action-cell",
             headerTooltip="Offers closed for a high NCX rate: see what customers reported"),
        _col("Status", "status_label", "status", 84, tooltipField="status_since",
             **TEXT_FILTER),
        _col("Early warning", "early_warning", "at_risk_reason", 150,
             tooltipField="early_warning",
             headerTooltip="At risk while still fair or better: a recent surge above the "
             "peers or a cluster of one theme within days", **TEXT_FILTER),
        _col("ASIN", "asin", "asin", 125, **TEXT_FILTER),
        _col("SKU", "sku", "sku", 135, **TEXT_FILTER),
        _col("Channel", "fulfilment", "fulfilment", 100, wrapHeaderText=False, **TEXT_FILTER),
        _col("Last updated", "last_updated", "last_updated", 115, **TEXT_FILTER),
        _col("Last closed", "closed_at", "closed_at", 110, **TEXT_FILTER),
    ]  # fmt: skip
    if show_seller:
        cols.insert(
            1, _col("Seller", "seller", "seller_id", 150, tooltipField="seller", **TEXT_FILTER)
        )
    return cols


RISK_WORDS = {"recent_surge": "Recent surge above peers"}


def risk_label(reason: str | None) -> str | None:
    """Readable words for an ``at_risk_reason`` (engine.risk): 'recent_surge;
    theme_cluster:defective' -> 'Recent surge above peers; Cluster: defective'."""
    if not reason:
        return None
    words = []
    for part in reason.split(";"):
        kind, _, theme = part.partition(":")
        if kind == "theme_cluster":
            words.append("Cluster: " + THEME_LABELS.get(theme, theme).lower())
        else:
            words.append(RISK_WORDS.get(kind, kind))
    return "; ".join(words)


def offer_rows(frame: pl.DataFrame, seller_names: dict[str, str] | None = None) -> list[dict]:
    """Grid rows (JSON-safe dicts) for a page of the engine's health frame. ``seller_names``:
    names to show for seller ids (category managers only; sellers never see another's)."""
    if frame.is_empty():
        return []
    labels = {k: THEME_LABELS.get(k, k) for k in frame["top_ncx_reason"].drop_nulls().unique()}
    names = seller_names or {}
    status = pl.col("status").replace_strict(GRID_STATUS, default=pl.col("status"))
    since = (
        pl.when(pl.col("status") == "closed")
        .then(pl.col("closed_at"))
        .when(pl.col("status") == "deleted")
        .then(pl.col("deleted_at"))
    )
    out = frame.select(
        key=pl.col("seller_id") + pl.lit("|") + pl.col("sku"),
        seller_id="seller_id",
        seller=pl.col("seller_id").replace_strict(names, default=pl.col("seller_id")),
        sku="sku",
        title="title",
        asin="asin",
        fulfilment="fulfilment",
        health="health",
        shown_health="shown_health",
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
        at_risk="at_risk",
        early_warning=pl.col("at_risk_reason").map_elements(
            risk_label, return_dtype=pl.String, skip_nulls=True
        ),
        status="status",
        status_label=status,
        status_since=pl.when(since.is_not_null())
        .then(pl.format("{} on {}", status, since.cast(pl.String)))
        .otherwise(status),
    )
    return out.to_dicts()


COUNTED_WORDS = {
    "delivery": "Not counted: delivery",
    "remorse": "Not counted: buyer's remorse",
    "not one-star": "Not counted: not one-star",
    "seller feedback": "Not counted: seller feedback",
}


def decided_words(decided_by: str | None) -> str:
    """What decided an event's theme, in words: ``reason_code:DEFECTIVE`` -> "Reason code
    DEFECTIVE", ``phrase:arrived broken`` -> '"arrived broken"', nothing -> "Nothing matched"."""
    if decided_by is None:
        return "Nothing matched"
    kind, _, value = decided_by.partition(":")
    if kind == "reason_code":
        return f"Reason code {value}"
    if kind == "phrase":
        return f"\u201c{value}\u201d"
    return decided_by


# Counted? and the comment first: what a seller reads; the details follow (at 1024 px
# the first three fit the card).
COMMENT_COLUMNS = [
    {"headerName": "Date", "field": "date", "width": 108},
    {
        "headerName": "Counted?",
        "field": "counted",
        "width": 160,
        "wrapText": True,
        "autoHeight": True,
        "cellClass": "counted-cell",
    },
    {
        "headerName": "Comment",
        "field": "comment",
        "flex": 3,
        "minWidth": 280,
        "wrapText": True,
        "autoHeight": True,
        "cellClass": "comment-text",
    },
    {"headerName": "Source", "field": "source", "width": 130},
    {"headerName": "Reason", "field": "reason", "width": 170, "tooltipField": "reason"},
    {"headerName": "Theme", "field": "theme", "width": 140},
    {
        "headerName": "Decided by",
        "field": "decided_by",
        "width": 170,
        "tooltipField": "decided_by",
        "headerTooltip": "What decided the theme: the reason code, or the phrase of the "
        "comment that matched (docs/themes.md)",
    },
    {"headerName": "Rating", "field": "rating", "width": 90},
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
                "reason": reason_words(r["reason_code"]),
                "reason_code": r["reason_code"] or "",
                "theme": THEME_LABELS.get(r["theme"], r["theme"]),
                "decided_by": decided_words(r["decided_by"]),
                "rating": f"{r['rating']} ★" if r["rating"] else "",
                "comment": r["comment"] if r["comment"] is not None else "",
                "counted": counted,
                "sku": r["sku"],
            }
        )
    return rows


HEALTH_OPTIONS = [{"label": TILE_LABELS[level], "value": level} for level in SHOWN_LEVELS]
