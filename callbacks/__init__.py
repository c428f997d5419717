"""Callbacks: thin adapters from inputs to engine calls to figures and rows."""

from __future__ import annotations

import logging
import traceback

from dash import ctx, set_props

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
from engine.access import Refused
from layouts.ids import ID

log = logging.getLogger("voc")
LOGGED_CHARS = 200


def show_error(err: Exception) -> None:
    """Any callback failure: one plain line on the page, one entry in the server log.

    A refusal (``engine.access.Refused``: a request for what its viewer may not see) is
    logged as one warning line; another error with its traceback's frames. Neither log
    quotes the request's payload: an exception's message may hold a value the browser
    sent, so at most its first ``LOGGED_CHARS`` characters are kept."""
    callback = _callback_name()
    if isinstance(err, Refused):
        log.warning("refused %s: %s", callback, str(err)[:LOGGED_CHARS])
        text = f"Not shown: {str(err)[:LOGGED_CHARS]}."
    else:
        frames = "".join(traceback.format_list(traceback.extract_tb(err.__traceback__)))
        log.error(
            "callback %s failed: %s: %s\n%s",
            callback, type(err).__name__, str(err)[:LOGGED_CHARS], frames,
        )  # fmt: skip
        text = (
            "Something went wrong while updating this view "
            f"({type(err).__name__}). Try again, or change the filters."
        )
    set_props(ID.ERROR, {"is_open": True, "children": text})


def _callback_name() -> str:
    try:
        outputs = ctx.outputs_list
    except Exception:  # noqa: BLE001 - outside a callback
        return "?"
    first = outputs[0] if isinstance(outputs, list) and outputs else outputs
    if isinstance(first, list):
        first = first[0] if first else {}
    if isinstance(first, dict):
        return f"{first.get('id', '?')}.{first.get('property', '?')}"[:120]
    return "?"


def register_callbacks(app, service, jobs) -> None:
    """Declare every callback of the page once, each module receiving the service (and
    the page-import jobs)."""
    for module in (page_state, offers, detail, traced, comments, peers, downloads):
        module.register(app, service)
    importing.register(app, service, jobs)
