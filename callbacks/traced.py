"""The offer detail's traced NCX orders: each NCX order with all its events and who caused it."""

from __future__ import annotations

from dash import Input, Output

from callbacks import scope
from callbacks import state as st
from callbacks.offers import SCOPE, scope_state
from layouts.ids import ID
from layouts.traced import traced_rows, traced_title


def register(app, service) -> None:
    @app.callback(
        Output(ID.NCX_TITLE, "children"),
        Output(ID.NCX_GRID, "rowData"),
        Input(ID.SELECTED_OFFER, "data"),
        *SCOPE,
    )
    def update_ncx_orders(offer, view, cats, as_of, window, _version):
        """The selected offer's NCX orders in the window, one row per event, as the
        page's viewer may see them (none for an offer outside the view)."""
        state = scope_state(view, cats, as_of, window)
        key = scope.offer(service, offer)
        if state is None or key is None:
            return "", []
        events = service.ncx_order_events(
            scope.viewer(service, state), st.as_of_of(state), state.window, *key
        )
        if not events.columns:  # not visible in this view
            return "", []
        return traced_title(events), traced_rows(events)
