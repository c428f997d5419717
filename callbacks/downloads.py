"""Downloads: the offers grid, the comments and an offer's NCX orders as CSV or Excel,
exactly as the screen shows them (rows, order, readable values), raw columns after."""

from __future__ import annotations

from dash import Input, Output, State, ctx, dcc
from dash.exceptions import PreventUpdate

from callbacks import scope
from callbacks import state as st
from callbacks.offers import query_from_store, sort_and_filters
from engine import exports
from engine.service import GridQuery
from layouts import downloads
from layouts.ids import ID
from layouts.theme import STATUS_LABELS, TILE_LABELS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def who(state: st.PageState) -> tuple[str, str]:
    if state.view == st.CM:
        return "Category manager", ", ".join(state.cm_categories) or "all categories"
    return "Seller", st.seller_names().get(state.view, state.view)


def filters_text(query: GridQuery) -> str:
    """The grid's filters in words (empty: none)."""
    parts = []
    if query.health:
        parts.append("health " + ", ".join(TILE_LABELS.get(h, h) for h in query.health))
    if query.at_risk:
        parts.append("at risk")
    if query.action_required:
        parts.append("action required")
    for label, values in (
        ("category", query.categories),
        ("subcategory", query.subcategories),
        ("price band", query.price_bands),
        ("channel", query.fulfilment),
        ("status", tuple(STATUS_LABELS.get(v, v) for v in query.statuses)),
    ):
        if values:
            parts.append(f"{label} {', '.join(values)}")
    if query.with_comments:
        parts.append("only offers with comments")
    if query.search.strip():
        parts.append(f"search “{query.search.strip()}”")
    parts += [f"{c} {op} {v}" for c, op, v in query.column_filters]
    return "; ".join(parts) or "none"


def about_lines(state: st.PageState, query: GridQuery | None = None) -> list[tuple[str, str]]:
    lines = [who(state), ("As of", state.as_of), ("Window", f"{state.window} days")]
    if query is not None:
        lines.append(("Filters", filters_text(query)))
        order = (
            "worst first"
            if query.sort_by == "health_rank" and not query.descending
            else (f"{query.sort_by} {'descending' if query.descending else 'ascending'}")
        )
        lines.append(("Sort", order))
    return lines


def send(sheet: exports.Sheet, name: str, kind: str) -> dict:
    if kind == "xlsx":
        return dcc.send_bytes(exports.to_xlsx([sheet]), f"{name}.xlsx", type=XLSX)
    return dcc.send_bytes(exports.to_csv(sheet), f"{name}.csv", type="text/csv")


def _kind(csv_id: str) -> str:
    return "csv" if ctx.triggered_id == csv_id else "xlsx"


def register(app, service) -> None:
    @app.callback(
        Output(ID.GRID_DOWNLOAD, "data"),
        Input(ID.GRID_DOWNLOAD_BUTTON, "n_clicks"),
        Input(ID.GRID_DOWNLOAD_XLSX, "n_clicks"),
        State(ID.GRID_QUERY, "data"),
        State(ID.GRID, "getRowsRequest"),
        State(ID.GRID, "columnDefs"),
        prevent_initial_call=True,
    )
    def download_offers(_csv, _xlsx, query_data, request, column_defs):
        found = query_from_store(query_data)
        if found is None:
            raise PreventUpdate
        state, query = found
        query = sort_and_filters(query, request or {})  # the grid's own sort and filters
        frame = service.grid(scope.viewer(service, state), st.as_of_of(state), state.window, query)
        names = st.seller_names() if state.view == st.CM else None
        sheet = downloads.offers_sheet(
            frame, [c["colId"] for c in column_defs or []], about_lines(state, query), names
        )
        return send(sheet, f"offers-{state.as_of}", _kind(ID.GRID_DOWNLOAD_BUTTON))

    @app.callback(
        Output(ID.COMMENTS_DOWNLOAD, "data"),
        Input(ID.COMMENTS_CSV, "n_clicks"),
        Input(ID.COMMENTS_XLSX, "n_clicks"),
        State(ID.COMMENTS_GRID, "virtualRowData"),
        State(ID.COMMENTS_TITLE, "children"),
        State(ID.GRID_QUERY, "data"),
        prevent_initial_call=True,
    )
    def download_comments(_csv, _xlsx, rows, title, query_data):
        found = query_from_store(query_data)
        if found is None:
            raise PreventUpdate
        state, _query = found
        lines = [("Shown", str(title or "")), *about_lines(state)]
        sheet = downloads.comments_sheet(rows or [], lines)
        return send(sheet, f"comments-{state.as_of}", _kind(ID.COMMENTS_CSV))

    @app.callback(
        Output(ID.NCX_DOWNLOAD, "data"),
        Input(ID.NCX_CSV, "n_clicks"),
        Input(ID.NCX_XLSX, "n_clicks"),
        State(ID.SELECTED_OFFER, "data"),
        State(ID.GRID_QUERY, "data"),
        prevent_initial_call=True,
    )
    def download_ncx_orders(_csv, _xlsx, offer, query_data):
        found = query_from_store(query_data)
        key = scope.offer(service, offer)
        if found is None or key is None:
            raise PreventUpdate
        state, _query = found
        frame = service.ncx_order_events(
            scope.viewer(service, state), st.as_of_of(state), state.window, *key
        )
        lines = [("Offer", f"SKU {key[1]}"), *about_lines(state)]
        sheet = downloads.ncx_orders_sheet(frame, lines)
        return send(sheet, f"ncx-orders-{key[1]}-{state.as_of}", _kind(ID.NCX_CSV))
