"""Pure figure builders: a polars frame in, a plotly figure (as a plain dict) out.

Figures are dicts in plotly's JSON schema rather than ``go.Figure`` objects: building the
objects validates every property, which cost more than the offer's data queries on a row
click. The tests validate each builder's output with ``go.Figure(fig)``. No data access here.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from engine.themes import THEME_LABELS
from layouts.theme import ACCENT, HEALTH_COLOURS, MATURING, PEER, TEMPLATE

SOURCE_LABELS = {
    "return": "Returns",
    "refund": "Refunds",
    "contact": "Customer contacts",
    "review": "Reviews",
    "seller_feedback": "Seller feedback",
}
ACTION_COLOUR = "#6f42c1"


def _figure(title: str, height: int, data: list[dict] | None = None, **layout) -> dict:
    """A figure dict on the shared template."""
    return {
        "data": data or [],
        "layout": {"template": TEMPLATE, "title": {"text": title}, "height": height, **layout},
    }


def _vline(x, colour: str, width: float, dash: str | None = None) -> dict:
    """A vertical line across the plot at data ``x`` (what ``Figure.add_vline`` draws)."""
    line = {"color": colour, "width": width, **({"dash": dash} if dash else {})}
    return {
        "type": "line",
        "x0": x,
        "x1": x,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "line": line,
    }


def _iso(values: list) -> list:
    return [v.isoformat() if isinstance(v, date) else v for v in values]


def empty_figure(message: str, title: str = "") -> dict:
    """A blank chart that says why it is blank."""
    return _figure(
        title,
        320,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "font": {"size": 13, "color": PEER},
            }
        ],
    )


def trend_figure(trend: pl.DataFrame, actions: pl.DataFrame, title: str) -> dict:
    """Weekly NCX rate of an offer vs its peers' pooled rate and 25th-75th band, orders as bars.

    ``trend``: see ``VocService.trend``. Weeks flagged ``maturing`` are drawn hollow and
    dotted (their returns have not all arrived). ``actions``: action_date, action, note.
    """
    if trend.is_empty() or trend["orders"].sum() == 0:
        return empty_figure("No orders in the last 52 weeks", title)
    pct = trend.with_columns(
        (pl.col(c) * 100).alias(c) for c in ("ncx_rate", "peer_rate", "peer_p25", "peer_p75")
    ).with_columns(
        solid=pl.when(~pl.col("maturing")).then(pl.col("ncx_rate")),
        open=pl.when(pl.col("maturing")).then(pl.col("ncx_rate")),
    )
    weeks = _iso(pct["week"].to_list())
    data = [
        {
            "type": "bar",
            "x": weeks,
            "y": pct["orders"].to_list(),
            "name": "Orders (right axis)",
            "yaxis": "y2",
            "marker": {"color": "rgba(173,181,189,0.35)"},
            "hovertemplate": "%{y:,} orders<extra></extra>",
        },
        {
            "type": "scatter",
            "x": weeks,
            "y": pct["peer_p75"].to_list(),
            "mode": "lines",
            "line": {"width": 0},
            "showlegend": False,
            "hoverinfo": "skip",
            "connectgaps": True,
        },
        {
            "type": "scatter",
            "x": weeks,
            "y": pct["peer_p25"].to_list(),
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": "rgba(108,117,125,0.18)",
            "connectgaps": True,
            "name": "Peers, 25th–75th percentile (4-week rates)",
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": weeks,
            "y": pct["peer_rate"].to_list(),
            "mode": "lines",
            "name": "Peer rate (pooled)",
            "line": {"color": PEER, "dash": "dash", "width": 1.5},
            "hovertemplate": "peers %{y:.1f} %<extra></extra>",
        },
        {
            "type": "scatter",
            "x": weeks,
            "y": pct["solid"].to_list(),
            "mode": "lines+markers",
            "name": "This offer",
            "line": {"color": ACCENT, "width": 2.5},
            "marker": {"size": 5},
            "customdata": [list(r) for r in pct.select("ncx_orders", "orders").rows()],
            "hovertemplate": "%{y:.1f} % (%{customdata[0]} of %{customdata[1]})<extra></extra>",
        },
    ]
    if pct["open"].null_count() < pct.height:
        data.append(
            {
                "type": "scatter",
                "x": weeks,
                "y": pct["open"].to_list(),
                "mode": "markers+lines",
                "name": "Still maturing (returns not all in)",
                "line": {"color": MATURING, "dash": "dot"},
                "marker": {"size": 7, "symbol": "circle-open", "color": MATURING},
                "hovertemplate": "%{y:.1f} % (maturing)<extra></extra>",
            }
        )
    marks = [] if actions.is_empty() else actions.iter_rows(named=True)
    shapes, notes = [], []
    for action in marks:
        day = action["action_date"].isoformat()
        shapes.append(_vline(day, ACTION_COLOUR, 1.5, "dot"))
        notes.append(
            {
                "x": day,
                "y": 0.98,
                "yref": "paper",
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "bgcolor": "rgba(255,255,255,0.85)",
                "text": action["action"],
                "font": {"size": 11, "color": ACTION_COLOUR},
                "hovertext": action.get("note") or action["action"],
            }
        )
    fig = _figure(
        title,
        380,
        data,
        yaxis={"title": {"text": "NCX rate (%)"}, "rangemode": "tozero", "ticksuffix": " %"},
        yaxis2={
            "title": {"text": "Orders per week", "standoff": 4},
            "overlaying": "y",
            "side": "right",
            "tickmode": "auto",
            "tickformat": ",d",
            "showgrid": False,
            "rangemode": "tozero",
        },
        xaxis={"title": {"text": "Week of purchase"}},
        hovermode="x unified",
        barmode="overlay",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": {"size": 11}},
        margin={"t": 64, "r": 64},
        shapes=shapes,
        annotations=notes,
    )
    fig["layout"]["title"].update(y=0.97, yanchor="top")
    return fig


def breakdown_figure(breakdown: pl.DataFrame, by: str, title: str) -> dict:
    """Events by ``by`` ('source' or 'theme'), stacked counted / not counted."""
    if breakdown.is_empty():
        return empty_figure("No customer feedback in the window", title)
    labels = SOURCE_LABELS if by == "source" else THEME_LABELS
    grouped = (
        breakdown.group_by(by)
        .agg(
            counted=pl.col("events").filter(pl.col("counted")).sum(),
            not_counted=pl.col("events").filter(~pl.col("counted")).sum(),
        )
        .with_columns(total=pl.col("counted") + pl.col("not_counted"))
        .sort("total", by)
    )
    names = [labels.get(v, v) for v in grouped[by].to_list()]
    bars = [
        ("counted", "Counted (NCX)", HEALTH_COLOURS["poor"], "%{x} counted<extra></extra>"),
        ("not_counted", "Not counted", "#ced4da", "%{x} not counted<extra></extra>"),
    ]
    return _figure(
        title,
        130 + 24 * grouped.height,
        [
            {
                "type": "bar",
                "y": names,
                "x": grouped[column].to_list(),
                "orientation": "h",
                "name": name,
                "marker": {"color": colour},
                "hovertemplate": hover,
            }
            for column, name, colour, hover in bars
        ],
        barmode="stack",
        xaxis={"title": {"text": "Events in the window"}},
        margin={"l": 140, "t": 56},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )


def peer_histogram(group: pl.DataFrame, selected: dict | None, title: str) -> dict:
    """Distribution of NCX rates (%) of a peer group's offers, the selected offer marked."""
    rated = group.filter(pl.col("ncx_rate").is_not_null())
    if rated.is_empty():
        return empty_figure("No offer in this peer group sold in the window", title)
    shapes, notes = [], []
    if selected and selected.get("ncx_rate") is not None:
        x = selected["ncx_rate"] * 100
        shapes.append(_vline(x, HEALTH_COLOURS.get(selected["health"], ACCENT), 3))
        notes.append(
            {
                "x": x,
                "y": 1.0,
                "yref": "paper",
                "text": f"this offer: {x:.1f} %",
                "showarrow": False,
                "xanchor": "right" if x > float(rated["ncx_rate"].max()) * 50 else "left",
                "font": {"size": 11},
            }
        )
    return _figure(
        title,
        300,
        [
            {
                "type": "histogram",
                "x": (rated["ncx_rate"] * 100).to_list(),
                "nbinsx": 30,
                "marker": {"color": "#adb5bd"},
                "name": "Offers",
                "hovertemplate": "%{x} %: %{y} offers<extra></extra>",
            }
        ],
        xaxis={"title": {"text": "NCX rate (%)"}, "ticksuffix": " %"},
        yaxis={"title": {"text": "Offers"}},
        showlegend=False,
        bargap=0.05,
        shapes=shapes,
        annotations=notes,
    )
