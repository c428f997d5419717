"""Pure figure builders: a polars frame in, a plotly figure out. No data access here."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from engine.themes import THEME_LABELS
from layouts.theme import ACCENT, HEALTH_COLOURS, MATURING, PEER, TEMPLATE_NAME

SOURCE_LABELS = {
    "return": "Returns",
    "refund": "Refunds",
    "contact": "Customer contacts",
    "review": "Reviews",
    "seller_feedback": "Seller feedback",
}


def empty_figure(message: str, title: str = "") -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure(layout={"template": TEMPLATE_NAME, "title": title, "height": 320})
    fig.add_annotation(
        text=message,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 13, "color": PEER},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def trend_figure(trend: pl.DataFrame, actions: pl.DataFrame, title: str) -> go.Figure:
    """Weekly NCX rate of an offer vs its peers' pooled rate and 25th-75th band, orders as bars.

    ``trend``: see ``VocService.trend``. Weeks flagged ``maturing`` are drawn hollow and
    dotted (their returns have not all arrived). ``actions``: action_date, action, note.
    """
    if trend.is_empty() or trend["orders"].sum() == 0:
        return empty_figure("No orders in the last 52 weeks", title)
    pct = trend.with_columns(
        (pl.col(c) * 100).alias(c) for c in ("ncx_rate", "peer_rate", "peer_p25", "peer_p75")
    )
    weeks = pct["week"].to_list()
    fig = go.Figure(layout={"template": TEMPLATE_NAME, "title": title, "height": 380})
    fig.add_bar(
        x=weeks,
        y=pct["orders"].to_list(),
        name="Orders (right axis)",
        yaxis="y2",
        marker_color="rgba(173,181,189,0.35)",
        hovertemplate="%{y:,} orders<extra></extra>",
    )
    fig.add_scatter(
        x=weeks,
        y=pct["peer_p75"].to_list(),
        mode="lines",
        line={"width": 0},
        showlegend=False,
        hoverinfo="skip",
        connectgaps=True,
    )
    fig.add_scatter(
        x=weeks,
        y=pct["peer_p25"].to_list(),
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor="rgba(108,117,125,0.18)",
        connectgaps=True,
        name="Peers, 25th–75th percentile (4-week rates)",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=weeks,
        y=pct["peer_rate"].to_list(),
        mode="lines",
        name="Peer rate (pooled)",
        line={"color": PEER, "dash": "dash", "width": 1.5},
        hovertemplate="peers %{y:.1f} %<extra></extra>",
    )
    matured = pct.with_columns(
        pl.when(~pl.col("maturing")).then(pl.col("ncx_rate")).alias("solid"),
        pl.when(pl.col("maturing")).then(pl.col("ncx_rate")).alias("open"),
    )
    fig.add_scatter(
        x=weeks,
        y=matured["solid"].to_list(),
        mode="lines+markers",
        name="This offer",
        line={"color": ACCENT, "width": 2.5},
        marker={"size": 5},
        customdata=pct.select("ncx_orders", "orders").rows(),
        hovertemplate="%{y:.1f} % (%{customdata[0]} of %{customdata[1]})<extra></extra>",
    )
    if matured["open"].drop_nulls().len():
        fig.add_scatter(
            x=weeks,
            y=matured["open"].to_list(),
            mode="markers+lines",
            name="Still maturing (returns not all in)",
            line={"color": MATURING, "dash": "dot"},
            marker={"size": 7, "symbol": "circle-open", "color": MATURING},
            hovertemplate="%{y:.1f} % (maturing)<extra></extra>",
        )
    for action in actions.iter_rows(named=True) if not actions.is_empty() else []:
        fig.add_vline(
            x=action["action_date"], line={"color": "#6f42c1", "dash": "dot", "width": 1.5}
        )
        fig.add_annotation(
            x=action["action_date"],
            y=0.98,
            yref="paper",
            yanchor="top",
            xanchor="left",
            showarrow=False,
            bgcolor="rgba(255,255,255,0.85)",
            text=action["action"],
            font={"size": 11, "color": "#6f42c1"},
            hovertext=action.get("note") or action["action"],
        )
    fig.update_layout(
        yaxis={"title": "NCX rate (%)", "rangemode": "tozero", "ticksuffix": " %"},
        yaxis2={
            "title": {"text": "Orders per week", "standoff": 4},
            "overlaying": "y",
            "side": "right",
            "tickmode": "auto",
            "tickformat": ",d",
            "showgrid": False,
            "rangemode": "tozero",
        },
        xaxis={"title": "Week of purchase"},
        hovermode="x unified",
        barmode="overlay",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": {"size": 11}},
        margin={"t": 64, "r": 64},
        title={"y": 0.97, "yanchor": "top"},
    )
    return fig


def breakdown_figure(breakdown: pl.DataFrame, by: str, title: str) -> go.Figure:
    """Events by ``by`` ('source' or 'theme'), stacked counted / not counted."""
    if breakdown.is_empty():
        return empty_figure("No customer feedback in the window", title)
    labels = SOURCE_LABELS if by == "source" else THEME_LABELS
    grouped = (
        breakdown.group_by(by, "counted")
        .agg(pl.col("events").sum())
        .pivot(on="counted", index=by, values="events")
        .fill_null(0)
    )
    for flag in ("true", "false"):
        if flag not in grouped.columns:
            grouped = grouped.with_columns(pl.lit(0).alias(flag))
    grouped = grouped.with_columns(total=pl.col("true") + pl.col("false")).sort("total")
    names = [labels.get(v, v) for v in grouped[by].to_list()]
    fig = go.Figure(
        layout={"template": TEMPLATE_NAME, "title": title, "height": 130 + 24 * grouped.height}
    )
    fig.add_bar(
        y=names,
        x=grouped["true"].to_list(),
        orientation="h",
        name="Counted (NCX)",
        marker_color=HEALTH_COLOURS["poor"],
        hovertemplate="%{x} counted<extra></extra>",
    )
    fig.add_bar(
        y=names,
        x=grouped["false"].to_list(),
        orientation="h",
        name="Not counted",
        marker_color="#ced4da",
        hovertemplate="%{x} not counted<extra></extra>",
    )
    fig.update_layout(
        barmode="stack",
        xaxis={"title": "Events in the window"},
        margin={"l": 140, "t": 56},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )
    return fig


def peer_histogram(group: pl.DataFrame, selected: dict | None, title: str) -> go.Figure:
    """Distribution of NCX rates (%) of a peer group's offers, the selected offer marked."""
    rated = group.filter(pl.col("ncx_rate").is_not_null())
    if rated.is_empty():
        return empty_figure("No offer in this peer group sold in the window", title)
    fig = go.Figure(layout={"template": TEMPLATE_NAME, "title": title, "height": 300})
    fig.add_histogram(
        x=(rated["ncx_rate"] * 100).to_list(),
        nbinsx=30,
        marker_color="#adb5bd",
        name="Offers",
        hovertemplate="%{x} %: %{y} offers<extra></extra>",
    )
    if selected and selected.get("ncx_rate") is not None:
        x = selected["ncx_rate"] * 100
        fig.add_vline(
            x=x, line={"color": HEALTH_COLOURS.get(selected["health"], ACCENT), "width": 3}
        )
        fig.add_annotation(
            x=x,
            y=1.0,
            yref="paper",
            text=f"this offer: {x:.1f} %",
            showarrow=False,
            xanchor="right" if x > float(rated["ncx_rate"].max()) * 50 else "left",
            font={"size": 11},
        )
    fig.update_layout(
        xaxis={"title": "NCX rate (%)", "ticksuffix": " %"},
        yaxis={"title": "Offers"},
        showlegend=False,
        bargap=0.05,
    )
    return fig
