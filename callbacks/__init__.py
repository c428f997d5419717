"""Callbacks: thin adapters from inputs to engine calls to figures and rows."""

from __future__ import annotations

import logging

from dash import set_props

from callbacks import (
    comments,
    detail,
    downloads,
    importing,
    offers,
    page_state,
    peers,
    traced,
)
from layouts.ids import ID

log = logging.getLogger("voc")


def show_error(err: Exception) -> None:
    """Any callback failure: log the traceback on the server, show one plain line on the page."""
    log.exception("callback failed", exc_info=err)
    set_props(
        ID.ERROR,
        {
            "is_open": True,
            "children": "Something went wrong while updating this view "
            f"({type(err).__name__}). Try again, or change the filters.",
        },
    )


def register_callbacks(app, service, jobs) -> None:
    """Declare every callback of the page once, each module receiving the service (and
    the page-import jobs)."""
    for module in (page_state, offers, detail, traced, comments, peers, downloads):
        module.register(app, service)
    importing.register(app, service, jobs)
