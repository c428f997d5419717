"""The peer-group view for category managers: distribution of rates and the worst offers."""

from __future__ import annotations

import polars as pl
from dash import Input, Output, html

from callbacks import scope
from callbacks import state as st
from callbacks.detail import theme_views
from callbacks.offers import SCOPE, scope_state
from engine.service import worst_first
from layouts import figures
from layouts.ids import ID, peer_offer
from layouts.page import badge_style
from layouts.theme import TILE_LABELS

HIDDEN = {"display": "none"}
LEVEL_WORDS = {
    "price_band": "subcategory and price band",
    "subcategory": "subcategory",
    "category": "category",
    "all": "whole marketplace",
}


def register(app, service) -> None:
    register_themes(app, service)

    @app.callback(
        Output(ID.PEER_CARD, "style"),
        Output(ID.PEER_HIST, "figure"),
        Output(ID.PEER_WORST, "children"),
        Input(ID.SELECTED_OFFER, "data"),
        *SCOPE,
    )
    def update_peer_view(offer, view, cats, as_of, window, _version):
        state = scope_state(view, cats, as_of, window)
        key = scope.offer(service, offer)
        if state is None or state.view != st.CM:
            return HIDDEN, figures.empty_figure(""), None
        if key is None:
            return (
                {},
                figures.empty_figure(
                    "Select an offer to see its peer group", "NCX rates in the peer group"
                ),
                None,
            )
        viewer, day = scope.viewer(service, state), st.as_of_of(state)
        me = service.offer(viewer, day, state.window, *key)
        group = service.peer_group(viewer, day, state.window, *key)
        if me is None or group.is_empty():
            return {}, figures.empty_figure("No peer group to show"), None
        title = f"NCX rates of the {group.height:,} offers in the peer group"
        about = (
            f"{LEVEL_WORDS[me['peer_level']]}: {peer_label(me)} · as of {me['e']} · "
            f"{state.window}-day window"
        )
        return (
            {},
            figures.peer_histogram(group, me, title, about),
            worst_table(group, st.seller_names()),
        )


GROUP_SIDES = (("group", "Whole peer group"), ("offer", "Selected offer"))


def register_themes(app, service) -> None:
    @app.callback(
        Output(ID.PEER_THEME_SHARES, "figure"),
        Output(ID.PEER_THEME_WEEKS, "figure"),
        Output(ID.PEER_THEME_PHRASES, "children"),
        Input(ID.SELECTED_OFFER, "data"),
        *SCOPE,
    )
    def update_peer_themes(offer, view, cats, as_of, window, _version):
        """What the whole peer group's customers complain about (category managers)."""
        state = scope_state(view, cats, as_of, window)
        key = scope.offer(service, offer)
        blank = figures.empty_figure("Select an offer to see its peer group")
        if state is None or state.view != st.CM or key is None:
            return blank, blank, None
        viewer, day = scope.viewer(service, state), st.as_of_of(state)
        me = service.offer(viewer, day, state.window, *key)
        if me is None:
            return blank, blank, None
        about = (
            f"{LEVEL_WORDS[me['peer_level']]}: {peer_label(me)}\n"
            f"as of {me['e']} · {state.window}-day window"
        )
        return theme_views(
            service,
            viewer,
            day,
            state.window,
            key,
            shares_sides=GROUP_SIDES,
            weeks_sides=GROUP_SIDES[:1],
            title="NCX orders by theme in the peer group",
            subtitle=about,
            group=True,
        )


def peer_label(me: dict) -> str:
    parts = {
        "price_band": [me["category"], me["subcategory"], me["price_band"]],
        "subcategory": [me["category"], me["subcategory"]],
        "category": [me["category"]],
        "all": ["all offers"],
    }[me["peer_level"]]
    return " › ".join(parts)


def worst_table(group: pl.DataFrame, names: dict[str, str] | None = None, n: int = 10):
    """The group's worst offers across sellers, ranked as the grid ranks (health, then the
    evidence); each product opens that offer."""
    names = names or {}
    worst = worst_first(group.filter(pl.col("ncx_orders") > 0)).head(n)
    head = html.Thead(
        html.Tr(
            [html.Th(h) for h in ("Product", "Seller", "SKU", "Health", "NCX rate", "NCX / orders")]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(
                        html.Button(
                            r["title"] or r["sku"],
                            id=peer_offer(f"{r['seller_id']}|{r['sku']}"),
                            n_clicks=0,
                            className="btn btn-link btn-sm p-0 text-start peer-open",
                            title="Open this offer",
                        )
                    ),
                    html.Td(names.get(r["seller_id"], r["seller_id"])),
                    html.Td(r["sku"]),
                    html.Td(
                        html.Span(
                            TILE_LABELS[r["health"]],
                            className="health-badge",
                            style=badge_style(r["health"]),
                        )
                    ),
                    html.Td(f"{r['ncx_rate'] * 100:.1f} %", className="text-end"),
                    html.Td(f"{r['ncx_orders']} / {r['orders']}", className="text-end"),
                ]
            )
            for r in worst.iter_rows(named=True)
        ]
    )
    return html.Div(
        [
            html.H3("Worst offers in the group, across sellers", className="h6 mt-2"),
            html.Table([head, body], className="table table-sm small align-middle"),
        ]
    )
