"""The comments panel: the selected offer's feedback, or the filtered offers', newest first."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from dash import Input, Output, html

from callbacks import scope
from callbacks import state as st
from callbacks.offers import SCOPE, query_from_store, scope_state
from engine.remedies import remedies
from engine.themes import THEME_LABELS
from layouts.grid import comment_rows
from layouts.ids import ID


def register(app, service) -> None:
    @app.callback(
        Output(ID.COMMENTS_GRID, "rowData"),
        Output(ID.COMMENTS_TITLE, "children"),
        Output(ID.COMMENTS_COUNT, "children"),
        Output(ID.REMEDY, "children"),
        Input(ID.SELECTED_OFFER, "data"),
        Input(ID.RESOLVE_MODE, "data"),
        Input(ID.GRID_QUERY, "data"),
        Input(ID.C_SOURCE, "value"),
        Input(ID.C_THEME, "value"),
        Input(ID.C_COUNTED, "value"),
        Input(ID.C_SINCE, "date"),
        Input(ID.C_TEXT, "value"),
        *SCOPE,
    )
    def update_comments(
        offer,
        resolve,
        grid_query,
        sources,
        themes,
        counted,
        since,
        text,
        view,
        cats,
        as_of,
        window,
        _version,
    ):
        state = scope_state(view, cats, as_of, window)
        if state is None:
            return [], "Customer comments", "", None
        viewer, day = scope.viewer(service, state), st.as_of_of(state)
        key = scope.offer(service, offer)
        me = service.offer(viewer, day, state.window, *key) if key else None
        if me is not None:
            offers = pl.DataFrame({"seller_id": [key[0]], "sku": [key[1]]})
            title = f"Customer comments — {me['title'] or me['sku']}"
        else:
            found = query_from_store(grid_query)
            offers = found[1] if found else st.grid_query_of(state)
            title = "Customer comments — all offers matching the filters"
        remedy = None
        kwargs = dict(
            sources=tuple(sources or ()),
            themes=tuple(themes or ()),
            counted=None if not counted else counted == "yes",
            since=date.fromisoformat(since) if since else None,
            text=text or "",
        )
        if resolve and me is not None:  # recent counted feedback of the offer
            kwargs.update(counted=True, since=me["e"] - timedelta(days=state.window - 1))
            title = f"Resolve issue — {me['title'] or me['sku']}"
        frame = service.comments(viewer, day, state.window, offers, **kwargs)
        if resolve and me is not None:
            remedy = remedy_panel(frame, me)
        return comment_rows(frame), title, comments_count(frame), remedy


def comments_count(frame: pl.DataFrame) -> str:
    """How many comments are shown, and plainly when it is only the newest of more."""
    if frame.is_empty():
        return "No comments match these filters"
    matching = int(frame["matching"][0]) if "matching" in frame.columns else frame.height
    if matching > frame.height:
        return (
            f"The newest {frame.height:,} of {matching:,} comments: narrow them with the "
            "filters below to see older ones"
        )
    return f"{frame.height:,} comment{'s' if frame.height != 1 else ''}, newest first"


def remedy_panel(frame: pl.DataFrame, me: dict) -> html.Div:
    """Guidance for the offer's top themes among its recent counted feedback."""
    top = (
        frame.group_by("theme")
        .len()
        .sort(["len", "theme"], descending=[True, False])["theme"]
        .to_list()
        if frame.height
        else []
    )
    words = ", ".join(THEME_LABELS.get(t, t) for t in top[:3]) or "none in the window"
    return html.Div(
        [
            html.Div(f"Recent counted feedback, top themes: {words}.", className="fw-semibold"),
            html.Ul(
                [html.Li(line) for line in remedies(top[:3], me["fulfilment"])], className="mb-0"
            ),
        ],
        className="alert alert-warning py-2 small",
    )
