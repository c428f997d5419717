"""Import on the page: open the dialog, start an import from dropped files, follow it."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks import state as st
from engine.jobs import ImportJobs
from engine.pipeline import DEFAULT_SELLER
from layouts import importing
from layouts.ids import ID

SHOWN, HIDDEN = {"visibility": "visible"}, {"visibility": "hidden"}
FINISHED = ("done", "failed", "interrupted")


def decode(contents: list[str], names: list[str]) -> list[tuple[str, bytes]]:
    """dcc.Upload's ``data:...;base64,...`` contents as (file name, bytes)."""
    files = []
    for content, name in zip(contents, names, strict=True):
        _, _, data = (content or "").partition(",")
        try:
            files.append((name, base64.b64decode(data, validate=True)))
        except (binascii.Error, ValueError):
            raise ValueError(f"{name}: the upload arrived damaged; try again") from None
    return files


def register(app, service, jobs: ImportJobs) -> None:
    @app.callback(
        Output(ID.IMPORT_MODAL, "is_open"),
        Output(ID.IMPORT_SELLER, "value"),
        Input(ID.IMPORT_OPEN, "n_clicks"),
        State(ID.VIEW_AS, "value"),
        State(ID.IMPORT_SELLER, "value"),
        prevent_initial_call=True,
    )
    def open_import_dialog(_clicks, view, seller):
        if seller:
            return True, no_update
        return True, view if view and view != st.CM else DEFAULT_SELLER

    @app.callback(
        Output(ID.IMPORT_JOB, "data"),
        Output(ID.IMPORT_POLL, "disabled"),
        Output(ID.IMPORT_STATUS, "children"),
        Output(ID.IMPORT_PROGRESS, "value"),
        Output(ID.IMPORT_PROGRESS, "label"),
        Output(ID.IMPORT_PROGRESS, "style"),
        Input(ID.IMPORT_UPLOAD, "contents"),
        State(ID.IMPORT_UPLOAD, "filename"),
        State(ID.IMPORT_SELLER, "value"),
        prevent_initial_call=True,
    )
    def start_import(contents, names, seller):
        if not contents:
            raise PreventUpdate
        try:
            files = decode(contents, names or [f"file-{i + 1}" for i in range(len(contents))])
            job = jobs.start(files, seller=(seller or "").strip() or DEFAULT_SELLER)
        except ValueError as err:
            return None, True, importing.failure_view({"error": str(err)}), 0, "", HIDDEN
        return job, False, importing.starting([n for n, _ in files]), 0, "", SHOWN

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
        state = jobs.status(job) if job else None
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
            st.viewer_options(service.sellers()) if changed else no_update,
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
        return current, st.viewer_options(service.sellers())
