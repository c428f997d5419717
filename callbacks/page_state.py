"""One callback owns the page state: URL <-> controls, tile clicks, row clicks, clear."""

from __future__ import annotations

from dataclasses import replace

from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks import scope
from callbacks import state as st
from engine.access import Refused
from engine.service import GRID_SORTABLE
from layouts.ids import ID, PEER_OFFER, peer_offer, tile


def _tile_any() -> dict:
    return {**tile("x"), "level": ALL}


def register(app, service) -> None:
    control_inputs = [Input(cid, prop) for cid, prop, _ in st.CONTROLS]
    control_outputs = [Output(cid, prop) for cid, prop, _ in st.CONTROLS]

    @app.callback(
        Output(ID.URL, "search"),
        Output(ID.DATA_VERSION, "data", allow_duplicate=True),
        Output(ID.LINK_NOTE, "children"),
        Output(ID.LINK_NOTE, "is_open"),
        *control_outputs,
        Input(ID.URL, "search"),
        Input(_tile_any(), "n_clicks"),
        Input(ID.F_CLEAR, "n_clicks"),
        Input(ID.GRID, "cellClicked"),
        Input(ID.GRID, "cellRendererData"),
        Input(ID.GRID, "eventData"),
        Input(peer_offer("x") | {"key": ALL}, "n_clicks"),
        *control_inputs,
        State(ID.DATA_VERSION, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def update_page_state(search, _tiles, _clear, cell, renderer, event, _peers, *values):
        *values, shown = values
        # Every interaction passes here: data an import brought since the page showed its
        # data version refreshes every view (the views take the version as an input).
        current = service.data_version()
        version = current if current != shown else no_update
        _, last = service.day_range()
        base = st.defaults(scope.default_view(service), last)
        trigger = ctx.triggered_id
        if trigger in (None, ID.URL):  # first load or back/forward: the URL decides
            state, notes = url_state(service, search)
            # What could not be followed is said, and the address shows what is shown.
            query = st.to_query(state, base) if notes else no_update
            return query, version, link_note(notes), bool(notes), *st.to_controls(state)
        peer_click = isinstance(trigger, dict) and trigger.get("type") == PEER_OFFER
        if peer_click and not ctx.triggered[0]["value"]:
            raise PreventUpdate  # the peer table was drawn, nothing was clicked
        current = st.from_controls(list(values))
        prop = ctx.triggered[0]["prop_id"].rsplit(".", 1)[-1] if ctx.triggered else ""
        new = transition(current, trigger, prop, cell, renderer, event)
        if new.offer:
            scope.offer(service, new.offer)  # Refused: an offer key not theirs, or none
        controls = [
            v if v != old else no_update
            for v, old in zip(st.to_controls(new), st.to_controls(current), strict=True)
        ]
        query = st.to_query(new, base)
        return (
            (query if query != (search or "") else no_update),
            version,
            no_update,
            no_update,
            *controls,
        )


def url_state(service, search: str | None) -> tuple[st.PageState, list[str]]:
    """The page state a URL query asks for, within the data, and notes on what of it could
    not be followed."""
    first, last = service.day_range()
    bounds = st.Bounds(
        views=scope.views(service),
        first_day=first,
        last_day=last,
        sortable=GRID_SORTABLE,
    )
    state, notes = st.parse_query(search, st.defaults(scope.default_view(service), last), bounds)
    if state.offer:
        try:
            scope.offer(service, state.offer)
        except Refused:
            notes.append("The link's offer is not one you can see here: none is selected.")
            state = replace(state, offer="", resolve=False)
    return state, notes


def link_note(notes: list[str]):
    if not notes:
        return None
    return [html.Div(n) for n in notes]


def transition(
    state: st.PageState,
    trigger,
    prop: str,
    cell: dict | None,
    renderer: dict | None,
    event: dict | None = None,
) -> st.PageState:
    """The next state after ``trigger.prop`` fired (a control change is already in ``state``)."""
    if isinstance(trigger, dict) and trigger.get("type") == "health-tile":
        return st.toggle_tile(state, trigger["level"])
    if isinstance(trigger, dict) and trigger.get("type") == PEER_OFFER:
        return st.select_offer(state, trigger["key"])
    if trigger == ID.F_CLEAR:
        return st.clear_filters(state)
    if trigger == ID.GRID and prop == "cellRendererData" and renderer:
        return st.select_offer(state, renderer.get("rowId"), resolve=True)
    if trigger == ID.GRID and prop == "cellClicked" and cell and cell.get("rowId"):
        if cell.get("colId") == "action":  # the Resolve button sits in this cell
            return state
        return st.select_offer(state, cell["rowId"])
    if trigger == ID.GRID and prop == "eventData" and event:
        return grid_event(state, event.get("data") or {})
    if trigger == ID.VIEW_AS:  # another viewer: the selection may be hidden
        return st.one_category_picker(st.select_offer(state, None) if state.offer else state)
    return state


def grid_event(state: st.PageState, data: dict) -> st.PageState:
    """What the grid's own listeners report (assets/dashAgGridFunctions.js): a sort the
    user chose on a header, or a row opened with Enter or Space."""
    if data.get("kind") == "sort":
        sort = str(data.get("sort") or "")
        column = sort.partition(":")[0]
        return replace(state, sort=sort if column in GRID_SORTABLE else "")
    if data.get("kind") == "open" and data.get("key"):
        return st.select_offer(state, str(data["key"]))
    return state
