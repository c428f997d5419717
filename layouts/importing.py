"""The "Import reports" dialog: drop files, watch the import, read its summary."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts.ids import ID

MAX_UPLOAD_BYTES = 200 * 1024 * 1024  # per file; Seller Central downloads are far smaller
POLL_MS = 500
ACCEPTED = ".txt,.tsv,.csv,.gz,.parquet"
TYPES = (
    "All Orders",
    "FBA customer returns",
    "merchant-fulfilled returns",
    "settlement V2",
    "FBA replacements",
    "seller feedback",
)


def open_button(shown: bool = True) -> dbc.Button:
    """The header's button; hidden for who may not import (a category manager)."""
    return dbc.Button(
        "Import reports",
        id=ID.IMPORT_OPEN,
        color="light",
        size="sm",
        outline=True,
        n_clicks=0,
        style=None if shown else {"display": "none"},
    )


DATA_CHECK_MS = 30_000  # how often an idle page looks for data another import brought


def dialog(data_version: int) -> html.Div:
    """The modal, the job's stores, its poll timer, and the data version the page shows."""
    return html.Div(
        [
            dcc.Store(id=ID.IMPORT_JOB),
            dcc.Store(id=ID.IMPORT_SENT),
            dcc.Store(id=ID.DATA_VERSION, data=data_version),
            dcc.Interval(id=ID.DATA_CHECK, interval=DATA_CHECK_MS),
            dcc.Interval(id=ID.IMPORT_POLL, interval=POLL_MS, disabled=True),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle("Import reports")),
                    dbc.ModalBody(
                        [
                            html.P(
                                [
                                    "Drop your Seller Central reports here (",
                                    ", ".join(TYPES),
                                    "), a catalogue CSV, or canonical offers, orders, feedback "
                                    "and actions files. Each file's type is recognised from its "
                                    "header; tab- or comma-separated, gzip or Parquet.",
                                ],
                                className="small",
                            ),
                            html.Label(
                                "Seller id for Amazon reports",
                                htmlFor=ID.IMPORT_SELLER,
                                className="form-label small fw-semibold mb-1",
                            ),
                            dbc.Input(
                                id=ID.IMPORT_SELLER, size="sm", className="mb-2", maxLength=64
                            ),
                            dcc.Upload(
                                html.Div(
                                    [
                                        html.Span("Drag and drop files here, or "),
                                        html.A("choose files", href="#", className="fw-semibold"),
                                    ]
                                ),
                                id=ID.IMPORT_UPLOAD,
                                multiple=True,
                                accept=ACCEPTED,
                                max_size=MAX_UPLOAD_BYTES,
                                className="import-drop",
                                className_active="import-drop active",
                                className_reject="import-drop rejected",
                            ),
                            dbc.Progress(
                                id=ID.IMPORT_PROGRESS,
                                value=0,
                                className="mt-3",
                                style={"visibility": "hidden"},
                                label="",
                            ),
                            html.Div(id=ID.IMPORT_STATUS, className="mt-2 small", role="status"),
                        ]
                    ),
                    dbc.ModalFooter(
                        html.Span(
                            "One import at a time; the page keeps working meanwhile. "
                            "A failed import changes nothing.",
                            className="small text-muted",
                        )
                    ),
                ],
                id=ID.IMPORT_MODAL,
                is_open=False,
                size="lg",
            ),
        ]
    )


def starting(files: list[str]) -> html.Div:
    return html.Div(
        f"Importing {len(files)} file{'s' if len(files) != 1 else ''}: " + ", ".join(files)
    )


def progress_view(state: dict) -> tuple[int, str, html.Div]:
    """(percent, bar label, status) of a running or waiting job."""
    done, total = state.get("done", 0), max(state.get("total", 1), 1)
    percent = round(100 * done / total)
    step = state.get("step", "")
    text = "Waiting for another import to finish …" if state["state"] == "waiting" else step
    return percent, f"{percent} %", html.Div([html.Span(text)], className="text-muted")


def summary_view(state: dict, view_link: str | None) -> html.Div:
    """What a finished import did: per file, per table, warnings (text, never markup)."""
    summary = state.get("summary", {})
    changed = summary.get("changed", False)
    files = [
        html.Li(
            f"{f['file']}: {f['type']}, {f['rows']:,} rows"
            + (f" ({'; '.join(f['notes'])})" if f["notes"] else "")
        )
        for f in summary.get("files", [])
    ]
    head = ("", "records", "new", "updated", "unchanged", "older (kept)")
    rows = [
        html.Tr(
            [html.Td(t["table"])]
            + [
                html.Td(f"{t[k]:,}", className="text-end")
                for k in ("records", "added", "updated", "unchanged", "older")
            ]
        )
        for t in summary.get("tables", [])
    ]
    parts: list = [
        dbc.Alert(
            "Import finished: the page now shows the new data."
            if changed
            else "Import finished: nothing changed, the store already holds this data.",
            color="success" if changed else "secondary",
            className="py-2 mb-2",
        ),
        html.Ul(files, className="import-lines mb-2"),
    ]
    if rows:
        parts.append(
            dbc.Table(
                [
                    html.Thead(
                        html.Tr([html.Th(h, className="text-end" if h else "") for h in head])
                    ),
                    html.Tbody(rows),
                ],
                size="sm",
                className="mb-2 import-table",
            )
        )
    n = summary.get("uncategorised", 0)
    if n:
        them = "them" if n != 1 else "it"
        parts.append(
            html.P(
                f"{n:,} offer{'s have' if n != 1 else ' has'} no category yet (Uncategorised) "
                "and can be compared only with other uncategorised offers: import a catalogue "
                f"CSV (sku, category, subcategory, price) to compare {them} with similar offers.",
                className="small mb-2",
            )
        )
    warnings = summary.get("warnings", [])
    if warnings:
        parts.append(html.Div("Warnings", className="fw-semibold"))
        parts.append(
            html.Ul([html.Li(w) for w in warnings], className="import-lines text-warning-emphasis")
        )
    if view_link:
        parts.append(
            dcc.Link(
                f"Show seller {state.get('seller', '')}", href=view_link, className="fw-semibold"
            )
        )
    return html.Div(parts)


def failure_view(state: dict) -> html.Div:
    problems = state.get("problems", [])
    more = state.get("more", 0)
    items = [html.Li(p) for p in problems]
    if more:
        items.append(html.Li(f"… and {more:,} more problems not shown"))
    return html.Div(
        [
            dbc.Alert(
                state.get("error", "The import failed."), color="danger", className="py-2 mb-2"
            ),
            html.Ul(items, className="import-lines") if items else None,
        ]
    )


def interrupted_view() -> html.Div:
    return dbc.Alert(
        "The import stopped before it finished (the server restarted?); the store keeps its "
        "previous data. Drop the files again to import them.",
        color="warning",
        className="py-2",
    )
