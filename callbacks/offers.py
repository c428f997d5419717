"""Tiles, the offers grid (paged from the server) and the filter options."""

from __future__ import annotations

import dataclasses
import json

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from callbacks import scope
from callbacks import state as st
from callbacks.page_state import url_state
from engine.access import Refused
from engine.service import GRID_SORTABLE, NUMBER_OPERATORS, TEXT_OPERATORS, GridQuery
from layouts.grid import offer_columns, offer_rows
from layouts.ids import ID, chart_download, how_link, tile
from layouts.page import how_health_rules, peer_notes

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
    Input(ID.F_AT_RISK, "value"),
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
    "at_risk",
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


GRID_OPERATORS = TEXT_OPERATORS | NUMBER_OPERATORS
MAX_BLOCK_ROWS = 1000  # the grid asks for 100 at a time


def sort_and_filters(query: GridQuery, request: dict) -> GridQuery:
    """Fold AG Grid's sortModel/filterModel into the query; a column or operator outside
    the allow-lists is refused (``Refused``), not ignored."""
    sort = request.get("sortModel") or []
    model = request.get("filterModel") or {}
    if not isinstance(sort, list) or not isinstance(model, dict) or len(sort) > 1:
        raise Refused("bad grid request")
    if sort and (
        not isinstance(sort[0], dict)
        or sort[0].get("colId") not in GRID_SORTABLE
        or sort[0].get("sort") not in ("asc", "desc")
    ):
        raise Refused("the grid cannot sort by that column")
    column_filters = []
    for col, spec in model.items():
        if col not in GRID_SORTABLE or not isinstance(spec, dict):
            raise Refused("the grid cannot filter that column")
        if "filter" not in spec:
            continue
        if spec.get("type", "") not in GRID_OPERATORS or len(str(spec["filter"])) > 200:
            raise Refused("the grid cannot filter that way")
        column_filters.append((col, spec.get("type", ""), str(spec["filter"])))
    if sort:
        return dataclasses.replace(
            query,
            sort_by=sort[0]["colId"],
            descending=sort[0]["sort"] == "desc",
            column_filters=tuple(column_filters),
        )
    return dataclasses.replace(query, column_filters=tuple(column_filters))


def row_range(request: dict) -> tuple[int, int]:
    """The block of rows the grid asks for; Refused when it is not a sensible block."""
    start, end = request.get("startRow", 0), request.get("endRow", 100)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise Refused("bad row range")
    if start < 0 or end <= start or end - start > MAX_BLOCK_ROWS:
        raise Refused("bad row range")
    return start, end


def register(app, service) -> None:
    @app.callback(
        Output({**tile("x"), "level": ALL, "part": "count"}, "children"),
        Output({**tile("x"), "level": ALL}, "className"),
        *SCOPE,
        Input(ID.F_HEALTH, "value"),
        Input(ID.F_ACTION, "value"),
        Input(ID.F_AT_RISK, "value"),
        State({**tile("x"), "level": ALL}, "id"),
    )
    def update_tiles(view, cats, as_of, window, _version, health, action, risk, tile_ids):
        state = scope_state(view, cats, as_of, window)
        if state is None:
            raise PreventUpdate
        counts = service.tile_counts(scope.viewer(service, state), st.as_of_of(state), state.window)
        levels = [t["level"] for t in tile_ids]
        active = set(health or []) if len(health or []) == 1 else set()
        if action:
            active = {"action_required"}
        if risk:
            active = {"at_risk"}
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
        return peer_notes(
            service.peer_notes(scope.viewer(service, state), st.as_of_of(state), state.window)
        )

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
            scope.viewer(service, state), st.as_of_of(state), state.window, query, 0, 0
        )
        payload = {
            "scope": {"view": view, "cm_categories": cats, "as_of": as_of, "window": window},
            "query": dataclasses.asdict(query),
        }
        return json.dumps(payload), grid_count(total, query.at_risk)

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
        Output(ID.GRID_COUNT, "children", allow_duplicate=True),
        Input(ID.GRID, "getRowsRequest"),
        State(ID.GRID_QUERY, "data"),
        State(ID.URL, "search"),
        prevent_initial_call=True,
    )
    def update_grid_rows(request, query_data, search):
        """A block of rows. Every request is answered: the grid waits for an answer before
        it asks again, so a request left unanswered would leave it loading for good. On
        the first load, before the query store is filled, the address decides."""
        if not request:
            raise PreventUpdate
        found = query_from_store(query_data)
        if found is None:
            state, _ = url_state(service, search)
            found = state, st.grid_query_of(state)
        state, query = found
        query = sort_and_filters(query, request)
        start, end = row_range(request)
        viewer, day = scope.viewer(service, state), st.as_of_of(state)
        page, total = service.grid_page(viewer, day, state.window, query, start, end)
        # A grid whose count went stale (an import changed the data between two of its
        # requests) gets an empty block and the true count; a range beyond every offer the
        # viewer has is not a grid's and is refused.
        if (
            start > 0
            and start >= total
            and start >= service.offers(viewer, day, state.window).height
        ):
            raise Refused("those rows are beyond the data")
        names = st.seller_names() if state.view == st.CM else None
        # the count follows the grid's own column filters too
        rows = {"rowData": offer_rows(page, names), "rowCount": total}
        return rows, grid_count(total, query.at_risk)

    @app.callback(
        Output(ID.F_SUBCATEGORY, "options"),
        Input(ID.F_CATEGORY, "value"),
        Input(ID.VIEW_AS, "value"),
        Input(ID.CM_CATEGORIES, "value"),
        State(ID.F_SUBCATEGORY, "value"),
    )
    def update_subcategory_options(categories, view, cm_categories, chosen):
        """Subcategories of the chosen categories (a category manager's from the header),
        keeping the chosen ones: a dropdown drops a value it has no option for."""
        scope = cm_categories if view == st.CM else categories
        options = service.subcategories(tuple(scope or ()))
        return options + sorted(set(chosen or ()) - set(options))

    @app.callback(
        Output(ID.GRID, "columnDefs"),
        Input(ID.VIEW_AS, "value"),
    )
    def update_grid_columns(view):
        return offer_columns(show_seller=view == st.CM)

    @app.callback(
        Output(ID.CM_CATEGORIES_COL, "style"),
        Output(ID.F_CATEGORY_BOX, "style"),
        Input(ID.VIEW_AS, "value"),
    )
    def update_category_picker(view):
        """One category picker: a category manager's in the header, a seller's in the
        filters."""
        if view == st.CM:
            return {"display": "block"}, {"display": "none"}
        return {"display": "none"}, {}

    @app.callback(
        Output(ID.GRID_TITLE, "children"),
        Input(ID.GRID_SORT, "data"),
    )
    def update_grid_title(sort):
        return grid_title(sort or "")

    # The page state's sort onto the grid (from a link, back/forward); a sort the user
    # chose is already there. Applied through the API: no columnDefs churn, no event back.
    app.clientside_callback(
        """function(sort) {
            dash_ag_grid.getApiAsync("offers-grid").then(function(api) {
                var now = api.getColumnState().filter(function(c) { return c.sort; })
                    .map(function(c) { return c.colId + ":" + c.sort; })[0] || "";
                if (now === (sort || "")) { return; }
                var parts = (sort || "").split(":");
                api.applyColumnState({
                    state: sort ? [{colId: parts[0], sort: parts[1]}] : [],
                    defaultState: {sort: null},
                });
            });
            return sort || "";
        }""",
        Output(ID.GRID_SORTED, "data"),
        Input(ID.GRID_SORT, "data"),
    )

    @app.callback(
        Output(ID.GRID_FOCUS, "data"),
        Input(ID.SELECTED_OFFER, "data"),
        Input(ID.GRID_QUERY, "data"),
        Input(ID.GRID_SORT, "data"),
    )
    def update_grid_focus(offer, query_data, sort):
        """Where the selected offer sits in the grid (its row index), so the grid can show
        and highlight it."""
        found = query_from_store(query_data)
        if found is None:
            raise PreventUpdate
        state, query = found
        key = scope.offer(service, offer)
        if key is None:
            return {"key": "", "index": None, "sort": sort or ""}
        index = service.grid_position(
            scope.viewer(service, state),
            st.as_of_of(state),
            state.window,
            with_sort(query, sort or ""),
            *key,
        )
        return {"key": offer, "index": index, "sort": sort or ""}

    # Scroll to an offer the first time it is focused (a link, a peer-table click,
    # back/forward); filtering or sorting with it selected keeps the grid where it is.
    app.clientside_callback(
        ClientsideFunction(namespace="grid", function_name="focus"),
        Output(ID.GRID_FOCUSED, "data"),
        Input(ID.GRID_FOCUS, "data"),
        State(ID.GRID_FOCUSED, "data"),
    )

    @app.callback(
        Output(ID.HOW_PANEL, "is_open"),
        Input(how_link("x") | {"where": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def open_how_health(_clicks):
        if not ctx.triggered or not ctx.triggered[0]["value"]:
            raise PreventUpdate  # a button was drawn, not clicked
        return True

    @app.callback(
        Output(ID.HOW_BODY, "children"),
        Input(ID.WINDOW, "value"),
        Input(ID.AS_OF, "date"),
    )
    def update_how_health(window, as_of):
        rules = how_health_rules(service.policy, st._coerce("window", window), as_of or "")
        return [html.Li(r) for r in rules]

    # The report button opens the report of what the page shows (same URL keys).
    app.clientside_callback(
        """function(search) { return "/report" + (search || ""); }""",
        Output(ID.REPORT_LINK, "href"),
        Input(ID.URL, "search"),
    )

    app.clientside_callback(
        ClientsideFunction(namespace="charts", function_name="download"),
        Output(ID.CHART_SAVED, "data"),
        Input(chart_download("x", "x") | {"graph": ALL, "format": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )


def grid_count(total: int, at_risk: bool = False) -> str:
    if not total:
        return "No offers at risk" if at_risk else "No offers match these filters"
    return f"{total:,} offer{'s' if total != 1 else ''} match{'es' if total == 1 else ''}"


def grid_title(sort: str) -> str:
    """ "Offers, worst first", or the column and direction the user sorted by."""
    if not sort:
        return "Offers, worst first"
    column, _, direction = sort.partition(":")
    header = {c["colId"]: c["headerName"] for c in offer_columns(show_seller=True)}
    name = header.get(column, column)
    if column == "health_rank":
        order = "worst first" if direction == "desc" else "best first"
    else:
        order = "highest first" if direction == "desc" else "lowest first"
    return f"Offers by {name}, {order}"


def with_sort(query: GridQuery, sort: str) -> GridQuery:
    """The query sorted as the page state says (the grid's own sortModel, as a string)."""
    if not sort:
        return query
    column, _, direction = sort.partition(":")
    return dataclasses.replace(query, sort_by=column, descending=direction == "desc")
