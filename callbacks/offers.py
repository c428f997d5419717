"""Tiles, the offers grid (paged from the server) and the filter options."""

from __future__ import annotations

import dataclasses
import json

from dash import ALL, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks import state as st
from engine.service import GridQuery
from layouts.grid import offer_columns, offer_rows
from layouts.ids import ID, tile
from layouts.page import peer_notes

# Who looks, when, over which window - and the data version an import on this page bumps,
# so every view of the data refreshes after it.
SCOPE = [
    Input(ID.VIEW_AS, "value"),
    Input(ID.CM_CATEGORIES, "value"),
    Input(ID.AS_OF, "date"),
    Input(ID.WINDOW, "value"),
    Input(ID.DATA_VERSION, "data"),
]
FILTERS = [
    Input(ID.F_HEALTH, "value"),
    Input(ID.F_ACTION, "value"),
    Input(ID.F_CATEGORY, "value"),
    Input(ID.F_SUBCATEGORY, "value"),
    Input(ID.F_PRICE_BAND, "value"),
    Input(ID.F_FULFILMENT, "value"),
    Input(ID.F_STATUS, "value"),
    Input(ID.F_WITH_COMMENTS, "value"),
    Input(ID.F_SEARCH, "value"),
]
FILTER_FIELDS = (
    "health",
    "action_required",
    "categories",
    "subcategories",
    "price_bands",
    "fulfilment",
    "statuses",
    "with_comments",
    "search",
)


def scope_state(view, cm_categories, as_of, window, **filters) -> st.PageState | None:
    """The page state from scope (and filter) inputs, or None before the URL filled them."""
    if not view or not as_of:
        return None
    raw = {
        "view": view,
        "cm_categories": cm_categories,
        "as_of": as_of,
        "window": window,
        **filters,
    }
    return st.PageState(**{k: st._coerce(k, v) for k, v in raw.items()})


def query_from_store(data: str | None) -> tuple[st.PageState, GridQuery] | None:
    if not data:
        return None
    payload = json.loads(data)
    state = scope_state(**payload["scope"])
    query = GridQuery(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in payload["query"].items()}
    )
    return (state, query) if state else None


def sort_and_filters(query: GridQuery, request: dict) -> GridQuery:
    """Fold AG Grid's sortModel/filterModel into the query (columns checked by the engine)."""
    sort = (request.get("sortModel") or [])[:1]
    column_filters = tuple(
        (col, spec.get("type", ""), str(spec.get("filter", "")))
        for col, spec in (request.get("filterModel") or {}).items()
        if isinstance(spec, dict) and "filter" in spec
    )
    if sort:
        return dataclasses.replace(
            query,
            sort_by=sort[0]["colId"],
            descending=sort[0]["sort"] == "desc",
            column_filters=column_filters,
        )
    return dataclasses.replace(query, column_filters=column_filters)


def register(app, service) -> None:
    @app.callback(
        Output({**tile("x"), "level": ALL, "part": "count"}, "children"),
        Output({**tile("x"), "level": ALL}, "className"),
        *SCOPE,
        Input(ID.F_HEALTH, "value"),
        Input(ID.F_ACTION, "value"),
        State({**tile("x"), "level": ALL}, "id"),
    )
    def update_tiles(view, cats, as_of, window, _version, health, action, tile_ids):
        state = scope_state(view, cats, as_of, window)
        if state is None:
            raise PreventUpdate
        counts = service.tile_counts(st.viewer_of(state), st.as_of_of(state), state.window)
        levels = [t["level"] for t in tile_ids]
        active = set(health or []) if len(health or []) == 1 else set()
        if action:
            active = {"action_required"}
        return (
            [f"{counts[level]:,}" for level in levels],
            ["health-tile active" if level in active else "health-tile" for level in levels],
        )

    @app.callback(
        Output(ID.PEER_NOTES, "children"),
        *SCOPE,
    )
    def update_peer_notes(view, cats, as_of, window, _version):
        state = scope_state(view, cats, as_of, window)
        if state is None:
            raise PreventUpdate
        return peer_notes(service.peer_notes(st.viewer_of(state), st.as_of_of(state), state.window))

    @app.callback(
        Output(ID.GRID_QUERY, "data"),
        Output(ID.GRID_COUNT, "children"),
        *SCOPE,
        *FILTERS,
    )
    def update_grid_query(view, cats, as_of, window, _version, *filter_values):
        filters = dict(zip(FILTER_FIELDS, filter_values, strict=True))
        state = scope_state(view, cats, as_of, window, **filters)
        if state is None:
            raise PreventUpdate
        query = st.grid_query_of(state)
        _, total = service.grid_page(
            st.viewer_of(state), st.as_of_of(state), state.window, query, 0, 0
        )
        payload = {
            "scope": {"view": view, "cm_categories": cats, "as_of": as_of, "window": window},
            "query": dataclasses.asdict(query),
        }
        count = f"{total:,} offers match" if total else "No offers match these filters"
        return json.dumps(payload), count

    # Purge the grid's block cache when the query changes, so it asks the server again.
    app.clientside_callback(
        """function(query) {
            if (!query) { return window.dash_clientside.no_update; }
            dash_ag_grid.getApiAsync("offers-grid").then(function(api) { api.purgeInfiniteCache(); });
            return Date.now();
        }""",
        Output(ID.GRID_REFRESHED, "data"),
        Input(ID.GRID_QUERY, "data"),
    )

    @app.callback(
        Output(ID.GRID, "getRowsResponse"),
        Input(ID.GRID, "getRowsRequest"),
        State(ID.GRID_QUERY, "data"),
    )
    def update_grid_rows(request, query_data):
        found = query_from_store(query_data)
        if not request or found is None:
            raise PreventUpdate
        state, query = found
        query = sort_and_filters(query, request)
        start, end = int(request.get("startRow", 0)), int(request.get("endRow", 100))
        page, total = service.grid_page(
            st.viewer_of(state), st.as_of_of(state), state.window, query, start, end
        )
        names = st.seller_names() if state.view == st.CM else None
        return {"rowData": offer_rows(page, names), "rowCount": total}

    @app.callback(
        Output(ID.F_SUBCATEGORY, "options"),
        Input(ID.F_CATEGORY, "value"),
    )
    def update_subcategory_options(categories):
        return service.subcategories(tuple(categories or ()))

    @app.callback(
        Output(ID.GRID, "columnDefs"),
        Input(ID.VIEW_AS, "value"),
    )
    def update_grid_columns(view):
        return offer_columns(show_seller=view == st.CM)

    @app.callback(
        Output(ID.CM_CATEGORIES_COL, "style"),
        Input(ID.VIEW_AS, "value"),
    )
    def update_category_picker(view):
        return {"display": "block"} if view == st.CM else {"display": "none"}

    @app.callback(
        Output(ID.HOW_PANEL, "is_open"),
        Input(ID.HOW_TOGGLE, "n_clicks"),
        State(ID.HOW_PANEL, "is_open"),
        prevent_initial_call=True,
    )
    def toggle_how_health(_clicks, is_open):
        return not is_open if _clicks else no_update
