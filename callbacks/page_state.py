"""One callback owns the page state: URL <-> controls, tile clicks, row clicks, clear."""

from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, no_update

from callbacks import state as st
from layouts.ids import ID, tile


def _tile_any() -> dict:
    return {**tile("x"), "level": ALL}


def register(app, service) -> None:
    control_inputs = [Input(cid, prop) for cid, prop, _ in st.CONTROLS]
    control_outputs = [Output(cid, prop) for cid, prop, _ in st.CONTROLS]

    @app.callback(
        Output(ID.URL, "search"),
        Output(ID.DATA_VERSION, "data", allow_duplicate=True),
        *control_outputs,
        Input(ID.URL, "search"),
        Input(_tile_any(), "n_clicks"),
        Input(ID.F_CLEAR, "n_clicks"),
        Input(ID.GRID, "cellClicked"),
        Input(ID.GRID, "cellRendererData"),
        *control_inputs,
        State(ID.DATA_VERSION, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def update_page_state(search, _tiles, _clear, cell, renderer, *values):
        *values, shown = values
        # Every interaction passes here: data an import brought since the page showed its
        # data version refreshes every view (the views take the version as an input).
        current = service.data_version()
        version = current if current != shown else no_update
        base = st.defaults(service.default_view(), service.latest_day())
        trigger = ctx.triggered_id
        if trigger in (None, ID.URL):  # first load or back/forward: the URL decides
            state = st.parse_query(search, base)
            return no_update, version, *st.to_controls(state)
        current = st.from_controls(list(values))
        prop = ctx.triggered[0]["prop_id"].rsplit(".", 1)[-1] if ctx.triggered else ""
        new = transition(current, trigger, prop, cell, renderer)
        controls = [
            v if v != old else no_update
            for v, old in zip(st.to_controls(new), st.to_controls(current), strict=True)
        ]
        query = st.to_query(new, base)
        return (query if query != (search or "") else no_update), version, *controls


def transition(
    state: st.PageState, trigger, prop: str, cell: dict | None, renderer: dict | None
) -> st.PageState:
    """The next state after ``trigger.prop`` fired (a control change is already in ``state``)."""
    if isinstance(trigger, dict) and trigger.get("type") == "health-tile":
        return st.toggle_tile(state, trigger["level"])
    if trigger == ID.F_CLEAR:
        return st.clear_filters(state)
    if trigger == ID.GRID and prop == "cellRendererData" and renderer:
        return st.select_offer(state, renderer.get("rowId"), resolve=True)
    if trigger == ID.GRID and prop == "cellClicked" and cell and cell.get("rowId"):
        if cell.get("colId") == "action":  # the Resolve button sits in this cell
            return state
        return st.select_offer(state, cell["rowId"])
    if trigger == ID.VIEW_AS and state.offer:  # another viewer: the selection may be hidden
        return st.select_offer(state, None)
    return state
