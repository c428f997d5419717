"""The offer detail: explanation, weekly trend against peers, breakdowns, seller actions."""

from __future__ import annotations

from datetime import date

from dash import Input, Output, State, html, no_update

from callbacks import scope
from callbacks import state as st
from callbacks.offers import SCOPE, scope_state
from engine.app_state import ActionError
from engine.traced import FixShare
from layouts import complaint_figures, complaints, figures
from layouts.actions import actions_table
from layouts.ids import ID, how_link
from layouts.page import badge_style, how_button
from layouts.theme import STATUS_LABELS, TILE_LABELS

PLACEHOLDER = "Select an offer in the grid to see its trend and comments"


def register(app, service) -> None:
    @app.callback(
        Output(ID.DETAIL_TITLE, "children"),
        Output(ID.EXPLANATION, "children"),
        Output(ID.ACTIONS, "children"),
        Output(ID.TREND, "figure"),
        Output(ID.BY_SOURCE, "figure"),
        Output(ID.BY_THEME, "figure"),
        Output(ID.DETAIL_BODY, "style"),
        Input(ID.SELECTED_OFFER, "data"),
        *SCOPE,
        Input(ID.ACTION_SAVED, "data"),
    )
    def update_offer_detail(offer, view, cats, as_of, window, _version, _saved=0):
        state = scope_state(view, cats, as_of, window)
        key = scope.offer(service, offer)
        if state is None or key is None:
            return _empty(PLACEHOLDER)
        detail = service.offer_detail(
            scope.viewer(service, state), st.as_of_of(state), state.window, *key
        )
        if detail is None:
            return _empty("This offer is not visible in the current view")
        me, trend, actions = detail.offer, detail.trend, detail.actions
        name = st.seller_names().get(me["seller_id"])
        about = figures.offer_subtitle(me, state.window, name)
        narrow = figures.offer_subtitle(me, state.window, name, narrow=True)
        return (
            offer_title(me),
            explanation(me, detail.fix),
            actions_table(actions, service.policy.interval_percent),
            figures.trend_figure(
                trend,
                actions,
                f"{me['title'] or me['sku']}: NCX rate vs similar offers",
                figures.health_window(me, state.window),
                about,
            ),
            figures.breakdown_figure(detail.breakdown, "source", "Feedback by source", narrow),
            figures.breakdown_figure(detail.breakdown, "theme", "Feedback by theme", narrow),
            SHOWN,
        )

    @app.callback(
        Output(ID.THEME_SHARES, "figure"),
        Output(ID.THEME_WEEKS, "figure"),
        Output(ID.THEME_PHRASES, "children"),
        Input(ID.SELECTED_OFFER, "data"),
        *SCOPE,
    )
    def update_offer_themes(offer, view, cats, as_of, window, _version):
        """What the offer's customers complain about, beside its similar offers."""
        state = scope_state(view, cats, as_of, window)
        key = scope.offer(service, offer)
        if state is None or key is None:
            return _blank_themes()
        viewer, day = scope.viewer(service, state), st.as_of_of(state)
        me = service.offer(viewer, day, state.window, *key)
        if me is None:
            return _blank_themes()
        name = st.seller_names().get(me["seller_id"])
        return theme_views(
            service,
            viewer,
            day,
            state.window,
            key,
            shares_sides=OFFER_SIDES,
            weeks_sides=OFFER_SIDES,
            title="Share of NCX orders by theme",
            subtitle=figures.offer_subtitle(me, state.window, name, narrow=True),
        )

    @app.callback(
        Output(ID.ACTION_DATE, "value"),
        Output(ID.ACTION_DATE, "max"),
        Output(ID.ACTION_FEEDBACK, "children", allow_duplicate=True),
        Input(ID.SELECTED_OFFER, "data"),
        Input(ID.AS_OF, "date"),
        prevent_initial_call="initial_duplicate",
    )
    def update_action_date(_offer, as_of):
        """The form's day: the as-of day, and no later (a new offer clears the feedback)."""
        return as_of, as_of, ""

    @app.callback(
        Output(ID.ACTION_FEEDBACK, "children"),
        Output(ID.ACTION_SAVED, "data"),
        Output(ID.ACTION_NOTE, "value"),
        Input(ID.ACTION_SAVE, "n_clicks"),
        State(ID.SELECTED_OFFER, "data"),
        State(ID.VIEW_AS, "value"),
        State(ID.CM_CATEGORIES, "value"),
        State(ID.AS_OF, "date"),
        State(ID.WINDOW, "value"),
        State(ID.ACTION_KIND, "value"),
        State(ID.ACTION_DATE, "value"),
        State(ID.ACTION_NOTE, "value"),
        State(ID.ACTION_SAVED, "data"),
        prevent_initial_call=True,
    )
    def save_action(clicks, offer, view, cats, as_of, window, kind, day, note, saved):
        """One INSERT per save; the offer is the selected row's, checked against the viewer."""
        state = scope_state(view, cats, as_of, window)
        key = scope.offer(service, offer)
        if not clicks or state is None or key is None:
            return _problem("Select an offer first."), no_update, no_update
        try:
            action_id = record_from_page(service, state, key, kind, day, note)
        except ActionError as err:
            return _problem(f"Not saved: {err}."), no_update, no_update
        return (
            html.Span(f"Saved (action {action_id}).", className="text-success"),
            (saved or 0) + 1,
            "",
        )


OFFER_SIDES = (("offer", "This offer"), ("peer", "Similar offers"))


def theme_views(
    service,
    viewer,
    day: date,
    window: int,
    key: tuple[str, str],
    *,
    shares_sides,
    weeks_sides,
    title: str,
    subtitle: str,
    group: bool = False,
) -> tuple:
    """(theme shares figure, weekly theme mix figure, example comments) of the offer
    ``key`` and its peer group, as ``viewer`` may see them; the examples of the offer, or
    of the ``group`` (its offers whose comments the viewer may read)."""
    shares = service.theme_shares(viewer, day, window, *key)
    weeks = service.theme_weeks(viewer, day, window, *key)
    examples = service.theme_examples(viewer, day, window, *key, group=group)
    return (
        complaint_figures.theme_shares_figure(shares, shares_sides, title, subtitle),
        complaint_figures.theme_weeks_figure(
            weeks, weeks_sides, "Themes by week of purchase (trailing 4 weeks)", subtitle
        ),
        complaints.examples_list(
            examples,
            complaint_figures.theme_order(shares, shares_sides),
            names=st.seller_names(),
            show_seller=group,
        ),
    )


def _blank_themes() -> tuple:
    blank = figures.empty_figure("Select an offer")
    return blank, blank, None


def record_from_page(service, state: st.PageState, key: tuple[str, str], kind, day, note) -> int:
    """Record the page's action on the offer ``key`` as the page's viewer; its id."""
    try:
        when = date.fromisoformat(str(day)[:10]) if day else None
    except ValueError:
        raise ActionError(f"{day!r} is not a day (YYYY-MM-DD)") from None
    viewer = scope.viewer(service, state)
    return service.record_action(
        viewer,
        st.as_of_of(state),
        state.window,
        *key,
        day=when,
        kind=str(kind or ""),
        note=note if isinstance(note, str) else None,
        source="page",
        created_by=f"user:{scope.user_name()}"
        if scope.user_name()
        else f"page:{viewer.kind}:{viewer.seller_id or ','.join(viewer.categories)}",
    )


def _problem(text: str) -> html.Span:
    return html.Span(text, className="text-danger")


# Hidden without display:none, so plotly measures the real card width when it draws.
SHOWN, HIDDEN = {}, {"visibility": "hidden", "height": 0, "overflow": "hidden"}


def _empty(message: str):
    blank = figures.empty_figure("Select an offer")
    return message, "", "", blank, blank, blank, HIDDEN


def offer_title(me: dict) -> list:
    return [
        html.Span(
            TILE_LABELS[me["health"]],
            className="health-badge me-2",
            style=badge_style(me["health"]),
        ),
        html.Span(me["title"] or me["sku"]),
        html.Span(
            f" · {me['asin']} · SKU {me['sku']} · {me['fulfilment']} · "
            f"{STATUS_LABELS.get(me['status'], me['status'])}",
            className="text-muted small",
        ),
    ]


def explanation(me: dict, fix: FixShare | None = None) -> list:
    """The health sentence, then what qualifies it: commingled stock, who caused the NCX
    orders (``fix``: engine.traced.FixShare) when some are not the seller's, the early
    warning, a closure for the NCX rate."""
    parts = [
        html.Span(me["explanation"]),
        how_button(
            how_link("detail"), "How is this decided?", "btn-link btn-sm p-0 ms-2 align-baseline"
        ),
    ]
    if me["commingled_orders"]:
        parts.append(
            html.Div(
                f"{me['commingled_orders']} of these orders were filled from commingled stock: "
                "those units may not have been sold by you.",
                className="small text-muted mt-1",
            )
        )
    caused = fix.sentence() if fix is not None else None
    if caused:
        parts.append(
            html.Div(f"{caused}.", className="small mt-1 caused-by-note", id=ID.CAUSED_BY_NOTE)
        )
    if me.get("at_risk"):
        parts.append(
            html.Div(
                f"Early warning: {me['at_risk_explanation']}.",
                className="small fw-semibold mt-1 risk-note",
                id=ID.RISK_NOTE,
            )
        )
    if me["action_required"]:
        parts.append(
            html.Div(
                f"Action required: the offer was closed on {me['closed_at']} for a high "
                "NCX rate. Use “Resolve issue” in the grid to see what customers reported.",
                className="small fw-semibold mt-1 text-danger",
            )
        )
    return parts
