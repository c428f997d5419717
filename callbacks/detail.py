"""The offer detail: explanation, weekly trend against peers, breakdowns, seller actions."""

from __future__ import annotations

from dash import Input, Output, html

from callbacks import state as st
from callbacks.offers import SCOPE, scope_state
from engine.service import action_effects
from layouts import figures
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
    )
    def update_offer_detail(offer, view, cats, as_of, window, _version):
        state = scope_state(view, cats, as_of, window)
        key = st.offer_key(st.PageState(offer=offer or ""))
        if state is None or key is None:
            return _empty(PLACEHOLDER)
        detail = service.offer_detail(st.viewer_of(state), st.as_of_of(state), state.window, *key)
        if detail is None:
            return _empty("This offer is not visible in the current view")
        me, trend, actions = detail.offer, detail.trend, detail.actions
        name = st.seller_names().get(me["seller_id"])
        about = figures.offer_subtitle(me, state.window, name)
        narrow = figures.offer_subtitle(me, state.window, name, narrow=True)
        return (
            offer_title(me),
            explanation(me),
            action_notes(action_effects(trend, actions, z=service.policy.z)),
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


def explanation(me: dict) -> list:
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


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def action_notes(effects: list[dict]) -> list:
    """One line per recorded seller action: NCX rate before vs after, with intervals."""
    lines = []
    for e in effects:

        def side(name: str, e=e) -> str:
            ci = e[f"{name}_ci"]
            if ci is None:
                return "no orders"
            return (
                f"{_pct(e[f'{name}_rate'])} ({e[f'{name}_k']} of {e[f'{name}_n']}; "
                f"interval {_pct(ci[0])}–{_pct(ci[1])})"
            )

        lines.append(
            html.Div(
                f"{e['action_date']} {e['action']}"
                f"{': ' + e['note'] if e.get('note') else ''} — 12 weeks before: "
                f"{side('before')}; after: {side('after')}"
            )
        )
    return lines
