"""Import on the page: open the dialog, start an import from dropped files, follow it."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import ClientsideFunction, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks import scope
from callbacks import state as st
from engine.access import Refused
from engine.jobs import ImportJobs
from engine.pipeline import DEFAULT_SELLER
from layouts import importing
from layouts.ids import ID
from serving.auth import current_user

SHOWN, HIDDEN = {"visibility": "visible"}, {"visibility": "hidden"}
FINISHED = ("done", "failed", "interrupted")


def register(app, service, jobs: ImportJobs) -> None:
    @app.callback(
        Output(ID.IMPORT_MODAL, "is_open"),
        Output(ID.IMPORT_SELLER, "value"),
        Output(ID.IMPORT_SELLER, "disabled"),
        Input(ID.IMPORT_OPEN, "n_clicks"),
        State(ID.VIEW_AS, "value"),
        State(ID.IMPORT_SELLER, "value"),
        prevent_initial_call=True,
    )
    def open_import_dialog(_clicks, view, seller):
        """A signed-in seller imports as themselves (the field is fixed); in demo mode the
        field starts with the seller looked at."""
        user = current_user()
        if user is not None and not user.is_admin:
            if user.role != "seller":
                raise Refused("a category manager does not import sellers' reports")
            return True, user.seller_id, True
        if seller:
            return True, no_update, False
        return True, view if view and view != st.CM else DEFAULT_SELLER, False

    # The files go to POST /upload (assets/upload.js), not through a callback.
    app.clientside_callback(
        ClientsideFunction(namespace="imports", function_name="upload"),
        Output(ID.IMPORT_SENT, "data"),
        Input(ID.IMPORT_UPLOAD, "contents"),
        State(ID.IMPORT_UPLOAD, "filename"),
        State(ID.IMPORT_SELLER, "value"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ID.IMPORT_JOB, "data"),
        Output(ID.IMPORT_POLL, "disabled"),
        Output(ID.IMPORT_STATUS, "children"),
        Output(ID.IMPORT_PROGRESS, "value"),
        Output(ID.IMPORT_PROGRESS, "label"),
        Output(ID.IMPORT_PROGRESS, "style"),
        Input(ID.IMPORT_SENT, "data"),
        prevent_initial_call=True,
    )
    def start_import(sent):
        """The upload's answer: follow its job, or say why it was not started."""
        if not isinstance(sent, dict):
            raise PreventUpdate
        job = sent.get("job")
        if not isinstance(job, str) or jobs.status(job, scope.user_name()) is None:
            error = str(sent.get("error") or "The upload was not accepted; try again.")[:500]
            return None, True, importing.failure_view({"error": error}), 0, "", HIDDEN
        names = [str(n) for n in sent.get("files") or []][:50]
        return job, False, importing.starting(names), 0, "", SHOWN

    @app.callback(
        Output(ID.IMPORT_STATUS, "children", allow_duplicate=True),
        Output(ID.IMPORT_PROGRESS, "value", allow_duplicate=True),
        Output(ID.IMPORT_PROGRESS, "label", allow_duplicate=True),
        Output(ID.IMPORT_POLL, "disabled", allow_duplicate=True),
        Output(ID.DATA_VERSION, "data"),
        Output(ID.VIEW_AS, "options"),
        Input(ID.IMPORT_POLL, "n_intervals"),
        State(ID.IMPORT_JOB, "data"),
        State(ID.DATA_VERSION, "data"),
        prevent_initial_call=True,
    )
    def update_import_status(_n, job, _shown):
        state = jobs.status(job, scope.user_name()) if job else None
        if state is None:
            return no_update, no_update, no_update, True, no_update, no_update
        if state["state"] not in FINISHED:
            percent, label, view = importing.progress_view(state)
            return view, percent, label, False, no_update, no_update
        if state["state"] == "interrupted":
            return importing.interrupted_view(), 100, "", True, no_update, no_update
        if state["state"] == "failed":
            return importing.failure_view(state), 100, "failed", True, no_update, no_update
        changed = state.get("summary", {}).get("changed", False)
        seller = state.get("seller")
        link = "?" + urlencode({"view": seller}) if changed and seller else None
        return (
            importing.summary_view(state, link),
            100,
            "done",
            True,
            service.data_version() if changed else no_update,
            scope.view_options(service) if changed else no_update,
        )

    @app.callback(
        Output(ID.DATA_VERSION, "data", allow_duplicate=True),
        Output(ID.VIEW_AS, "options", allow_duplicate=True),
        Input(ID.DATA_CHECK, "n_intervals"),
        State(ID.DATA_VERSION, "data"),
        prevent_initial_call=True,
    )
    def check_data_version(_n, shown):
        """An idle page picks up data another import brought (one stat of the store)."""
        current = service.data_version()
        if current == shown:
            raise PreventUpdate
        return current, scope.view_options(service)
