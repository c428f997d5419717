"""The offer detail's traced NCX orders: each NCX order in the window with all its events,
who caused it and whether its unit came from commingled stock (engine.traced). Column
definitions, the row builder and the section; no data access here."""

from __future__ import annotations

import dash_ag_grid as dag
import polars as pl
from dash import dcc, html

from engine.themes import THEME_LABELS, reason_words
from layouts.figures import SOURCE_LABELS
from layouts.grid import COUNTED_WORDS, decided_words
from layouts.ids import ID

CAUSED_WORDS = {
    "fulfilment_centre": "Fulfilment centre",
    "carrier": "Carrier",
    "commingled": "Commingled stock",
    "seller": "You",
}
NO_ORDER = "(no order)"

# One row per event; the order's columns first, so the rows of one order read as a group,
# then what a seller reads (the comment, counted?), the details after (at 1280 px the
# comment is on screen).
TRACED_COLUMNS = [
    {"headerName": "Purchased", "field": "purchased", "width": 104},
    {"headerName": "Order", "field": "order", "width": 130, "tooltipField": "order"},
    {
        "headerName": "Caused by",
        "field": "order_caused_by",
        "width": 124,
        "headerTooltip": "Who caused the NCX order: the fulfilment centre or commingled stock "
        "when one of its counted events was theirs, else you (yours to fix)",
    },
    {"headerName": "Event", "field": "date", "width": 108},
    {
        "headerName": "Comment",
        "field": "comment",
        "flex": 3,
        "minWidth": 220,
        "wrapText": True,
        "autoHeight": True,
        "cellClass": "comment-text",
    },
    {
        "headerName": "Counted?",
        "field": "counted",
        "width": 130,
        "wrapText": True,
        "autoHeight": True,
    },  # fmt: skip
    {"headerName": "Source", "field": "source", "width": 120},
    {"headerName": "Reason", "field": "reason", "width": 150, "tooltipField": "reason"},
    {"headerName": "Theme", "field": "theme", "width": 130},
    {"headerName": "Decided by", "field": "decided_by", "width": 150, "tooltipField": "decided_by"},
    {"headerName": "Event caused by", "field": "caused_by", "width": 130},
    {"headerName": "Commingled", "field": "commingled", "width": 110},
]


def traced_rows(events: pl.DataFrame) -> list[dict]:
    """Rows of the traced NCX orders grid from ``engine.traced.ncx_order_events``, in its
    order. Comment text passes through untouched: the grid shows it as text."""
    rows = []
    for r in events.iter_rows(named=True):
        counted = (
            "Counted" if r["counted"] else COUNTED_WORDS.get(r["not_counted_reason"], "Not counted")
        )
        rows.append(
            {
                "id": r["feedback_id"],
                "ncx_key": r["ncx_key"],
                "purchased": r["purchase_day"].isoformat(),
                "order": r["order_id"] or NO_ORDER,
                "order_caused_by": CAUSED_WORDS.get(r["order_caused_by"], r["order_caused_by"]),
                "date": r["event_day"].isoformat(),
                "source": SOURCE_LABELS.get(r["source"], r["source"]),
                "reason": reason_words(r["reason_code"]),
                "theme": THEME_LABELS.get(r["theme"], r["theme"]),
                "decided_by": decided_words(r["decided_by"]),
                "comment": r["comment"] if r["comment"] is not None else "",
                "counted": counted,
                "caused_by": CAUSED_WORDS.get(r["caused_by"], r["caused_by"]),
                "commingled": "yes" if r["commingled"] else "",
            }
        )
    return rows


def traced_title(events: pl.DataFrame) -> str:
    """The section's heading: how many NCX orders, with how many events."""
    if events.is_empty():
        return "No NCX orders in this window"
    orders = events["ncx_key"].n_unique()
    return (
        f"{orders} NCX order{'s' if orders != 1 else ''} traced to their "
        f"{events.height} event{'s' if events.height != 1 else ''}"
    )


def traced_section(download_links) -> html.Div:
    """Heading, downloads and the grid of an offer's traced NCX orders (filled by
    callbacks/traced.py). ``download_links``: layouts.page.download_links."""
    return html.Div(
        [
            html.Div(
                [
                    html.Span(id=ID.NCX_TITLE, className="fw-semibold me-2"),
                    html.Span(
                        "each NCX order behind the rate with all its events, and who caused it",
                        className="text-muted",
                    ),
                    download_links(ID.NCX_CSV, ID.NCX_XLSX, "NCX orders"),
                    dcc.Download(id=ID.NCX_DOWNLOAD),
                ],
                className="small mb-1 clearfix",
            ),
            dag.AgGrid(
                id=ID.NCX_GRID,
                columnDefs=TRACED_COLUMNS,
                rowData=[],
                defaultColDef={"sortable": True, "resizable": True},
                dashGridOptions={
                    "localeText": {"noRowsToShow": "No NCX orders in this window"},
                    "getRowId": {"function": "params.data.id"},
                    "suppressAnimationFrame": True,
                    "animateRows": False,
                    "tooltipShowDelay": 400,
                },
                getRowId="params.data.id",
                style={"height": "300px"},
                className="ag-theme-quartz",
            ),
        ],
        className="mb-2",
    )
