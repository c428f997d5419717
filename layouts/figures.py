"""Pure figure builders: a polars frame in, a plotly figure (as a plain dict) out.

Figures are dicts in plotly's JSON schema rather than ``go.Figure`` objects: building the
objects validates every property, which cost more than the offer's data queries on a row
click. The tests validate each builder's output with ``go.Figure(fig)``. No data access here.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from engine.app_state import ACTION_KINDS
from engine.themes import THEME_LABELS
from engine.verdicts import VERDICT_LABELS
from layouts.theme import ACCENT, HEALTH_COLOURS, MATURING, PEER, TEMPLATE

SOURCE_LABELS = {
    "return": "Returns",
    "refund": "Refunds",
    "contact": "Customer contacts",
    "review": "Reviews",
    "seller_feedback": "Seller feedback",
}
ACTION_COLOUR = "#6f42c1"
OFFER_LINE = "#1d4e89"


def _figure(
    title: str, height: int, data: list[dict] | None = None, *, subtitle: str = "", **layout
) -> dict:
    """A figure dict on the shared template. ``title`` and ``subtitle`` are plain text
    (escaped for plotly's markup here, so no caller can forget); a newline in the
    subtitle starts a new line."""
    text = plot_text(title) + "".join(
        f"<br><span style='font-size:12px;color:#495057'>{plot_text(line)}</span>"
        for line in subtitle.splitlines()
    )
    return {
        "data": data or [],
        "layout": {"template": TEMPLATE, "title": {"text": text}, "height": height, **layout},
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


def plot_text(text: object) -> str:
    """Untrusted text as plotly shows it literally: plotly reads a small HTML-like markup
    in titles, annotations and hover texts (<b>, <a href>, <br>, &amp; ...), so every
    < > & is written as an entity."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def action_hover(action: dict) -> str:
    """An action's hover text, escaped for plotly: day, kind, verdict (with what is
    missing) and the note, one per line."""
    kind = ACTION_KINDS.get(action["action"], action["action"])
    lines = [f"{action['action_date']}: {kind}"]
    if action.get("verdict"):
        verdict = VERDICT_LABELS.get(action["verdict"], action["verdict"])
        missing = action.get("missing")
        lines.append(f"Verdict: {verdict}" + (f" ({missing})" if missing else ""))
    if action.get("note"):
        lines.append(str(action["note"]))
    return "<br>".join(plot_text(line) for line in lines)


def _band(x: list, upper: pl.Series, lower: pl.Series, colour: str, name: str) -> list[dict]:
    """A filled band between two lines (the upper one invisible, the lower filled to it)."""
    return [
        {
            "type": "scatter",
            "x": x,
            "y": upper.to_list(),
            "mode": "lines",
            "line": {"width": 0},
            "showlegend": False,
            "hoverinfo": "skip",
            "connectgaps": True,
        },
        {
            "type": "scatter",
            "x": x,
            "y": lower.to_list(),
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": colour,
            "connectgaps": True,
            "name": name,
            "hoverinfo": "skip",
        },
    ]


def _iso(values: list) -> list:
    return [v.isoformat() if isinstance(v, date) else v for v in values]


def offer_subtitle(
    me: dict, window_days: int, seller_name: str | None = None, *, narrow: bool = False
) -> str:
    """What an offer's chart is about, so a downloaded image explains itself (on two
    lines for a ``narrow`` chart)."""
    seller = me["seller_id"]
    who = f"{seller_name} ({seller})" if seller_name else seller
    offer = f"SKU {me['sku']} · seller {who}"
    when = f"as of {me['e']} · {window_days}-day window"
    return f"{offer}\n{when}" if narrow else f"{offer} · {when}"


def health_window(me: dict, window_days: int) -> dict:
    """The window an offer's health was computed over (its health row ``me``), for the
    trend to mark."""
    return {
        "start": me["e"] - timedelta(days=window_days - 1),
        "end": me["e"],
        "days": window_days,
        "k": me["ncx_orders"],
        "n": me["orders"],
        "rate": me["ncx_rate"],
        "peer_rate": me["peer_rate"],
    }


def window_note(window: dict) -> str:
    """The health window's label on the trend: what the health was computed from."""
    head = f"Health window, {window['days']} days"
    if not window.get("n") or window.get("rate") is None:
        return f"{head}: no orders"
    peers = window.get("peer_rate")
    return f"{head}: {window['k']} of {window['n']} orders ({window['rate'] * 100:.1f} %)" + (
        f" vs {peers * 100:.1f} % for similar offers" if peers is not None else ""
    )


def empty_figure(message: str, title: str = "") -> dict:
    """A blank chart that says why it is blank."""
    return _figure(
        title,
        320,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": plot_text(message),
                "showarrow": False,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "font": {"size": 13, "color": PEER},
            }
        ],
    )


def trend_figure(
    trend: pl.DataFrame,
    actions: pl.DataFrame,
    title: str,
    window: dict | None = None,
    subtitle: str = "",
) -> dict:
    """An offer's trailing 4-week NCX rate and its interval vs its peers, orders as bars.

    ``trend``: see ``VocService.trend``. The line is the 4-week pooled rate (single weeks
    of small offers are 0 % or 100 %), the band around it its 90 % interval; weeks flagged
    ``maturing`` are drawn dotted (their returns have not all arrived). ``window``: the
    health window (start, end, days, k, n, rate, peer_rate) is shaded, with the window's
    rate and the peer rate drawn across it, so the chart and the verdict tell one story.
    ``actions``: action_date, action, note.
    """
    if trend.is_empty() or trend["orders"].sum() == 0:
        return empty_figure("No orders in the last 52 weeks", title)
    pct = trend.with_columns(
        (pl.col(c) * 100).alias(c)
        for c in ("rate4", "lo4", "hi4", "peer_rate4", "peer_p25", "peer_p75", "ncx_rate")
    ).with_columns(
        solid=pl.when(~pl.col("maturing")).then(pl.col("rate4")),
        # the last settled week too, so the dotted line joins the solid one
        open=pl.when(pl.col("maturing") | pl.col("maturing").shift(-1).fill_null(False)).then(
            pl.col("rate4")
        ),
    )
    weeks = _iso(pct["week"].to_list())
    hover = [list(r) for r in pct.select("ncx4", "orders4", "ncx_orders", "orders").rows()]
    data = [
        {
            "type": "bar",
            "x": weeks,
            "y": pct["orders"].to_list(),
            "name": "Orders per week",
            "yaxis": "y2",
            "marker": {"color": "rgba(108,117,125,0.45)"},
            "hovertemplate": "%{y:,} orders<extra></extra>",
        },
        *_band(weeks, pct["peer_p75"], pct["peer_p25"], "rgba(108,117,125,0.18)",
               "Similar offers, 25th–75th percentile"),
        *_band(weeks, pct["hi4"], pct["lo4"], "rgba(29,78,137,0.16)",
               "This offer, 90 % interval"),
        {
            "type": "scatter",
            "x": weeks,
            "y": pct["peer_rate4"].to_list(),
            "mode": "lines",
            "name": "Similar offers (pooled)",
            "line": {"color": PEER, "dash": "dash", "width": 1.5},
            "hovertemplate": "similar offers %{y:.1f} %<extra></extra>",
        },
        {
            "type": "scatter",
            "x": weeks,
            "y": pct["solid"].to_list(),
            "mode": "lines+markers",
            "name": "This offer (4-week rate)",
            "line": {"color": OFFER_LINE, "width": 2.5},
            "marker": {"size": 4},
            "customdata": hover,
            "hovertemplate": "this offer %{y:.1f} % (%{customdata[0]} of %{customdata[1]} "
            "in 4 weeks; this week %{customdata[2]} of %{customdata[3]})<extra></extra>",
        },
    ]  # fmt: skip
    if pct["maturing"].any():
        data.append(
            {
                "type": "scatter",
                "x": weeks,
                "y": pct["open"].to_list(),
                "mode": "lines",
                "name": "Still maturing (returns not all in)",
                "line": {"color": MATURING, "dash": "dot", "width": 2},
                "hoverinfo": "skip",
            }
        )
    shapes, notes = [], []
    if window:
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "y domain",
                "x0": window["start"].isoformat(),
                "x1": window["end"].isoformat(),
                "y0": 0,
                "y1": 1,
                "fillcolor": "rgba(255,193,7,0.12)",
                "line": {"width": 0},
                "layer": "below",
            }
        )
        notes.append(
            {
                "x": window["end"].isoformat(),
                "y": 1.0,
                "xref": "x",
                "yref": "y domain",
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "text": plot_text(window_note(window)),
                "font": {"size": 11, "color": "#6b5300"},
            }
        )
        for value, colour, dash in (
            (window["rate"], OFFER_LINE, "solid"),
            (window.get("peer_rate"), PEER, "dash"),
        ):
            if value is None:
                continue
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "y",
                    "x0": window["start"].isoformat(),
                    "x1": window["end"].isoformat(),
                    "y0": value * 100,
                    "y1": value * 100,
                    "line": {"color": colour, "width": 1, "dash": dash},
                    "opacity": 0.7,
                }
            )
    marks = [] if actions.is_empty() else list(actions.iter_rows(named=True))
    for action in marks:
        day = action["action_date"].isoformat()
        shapes.append(_vline(day, ACTION_COLOUR, 1.5, "dot"))
        notes.append(
            {
                "x": day,
                "y": 0.93,
                "yref": "paper",
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "bgcolor": "rgba(255,255,255,0.85)",
                "text": plot_text(ACTION_KINDS.get(action["action"], action["action"])),
                "font": {"size": 11, "color": ACTION_COLOUR},
                "hovertext": action_hover(action),
            }
        )
    top = max(
        [
            v
            for v in (pct["hi4"].max(), pct["peer_p75"].max(), pct["peer_rate4"].max())
            if v is not None
        ]
        or [10.0]
    )
    y_top = min(100.0, top * 1.08 + 0.5)
    if marks:  # a marker per action, its kind and verdict in the hover
        data.append(
            {
                "type": "scatter",
                "x": [a["action_date"].isoformat() for a in marks],
                "y": [y_top * 0.97] * len(marks),
                "mode": "markers",
                "name": "Seller actions",
                "marker": {"symbol": "diamond", "size": 11, "color": ACTION_COLOUR},
                "customdata": [action_hover(a) for a in marks],
                "hovertemplate": "%{customdata}<extra></extra>",
                "meta": "actions",
            }
        )
    fig = _figure(
        title,
        460,
        data,
        subtitle=subtitle,
        yaxis={
            "title": {"text": "NCX rate (%)"},
            "range": [0, y_top],
            "ticksuffix": " %",
            "domain": [0.3, 1.0],
        },
        # orders in their own strip below the rates: bars must not hide the evidence
        yaxis2={
            "title": {"text": "Orders", "standoff": 4},
            "domain": [0.0, 0.2],
            "anchor": "x",
            "tickmode": "auto",
            "nticks": 3,
            "tickformat": ",d",
            "rangemode": "tozero",
        },
        xaxis={
            "title": {"text": "Week of purchase"},
            "anchor": "y2",
            "range": [
                (pct["week"].min() - timedelta(days=4)).isoformat(),
                (pct["week"].max() + timedelta(days=10)).isoformat(),
            ],
        },
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.1, "yanchor": "bottom", "x": 0, "font": {"size": 11}},
        margin={"t": 118, "r": 24},
        shapes=shapes,
        annotations=notes,
    )
    return fig


def breakdown_figure(breakdown: pl.DataFrame, by: str, title: str, subtitle: str = "") -> dict:
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
    # categorical tick labels are read as markup too: a source or theme is data
    names = [plot_text(labels.get(v, v)) for v in grouped[by].to_list()]
    bars = [
        ("counted", "Counted (NCX)", HEALTH_COLOURS["poor"], "%{x} counted<extra></extra>"),
        ("not_counted", "Not counted", "#ced4da", "%{x} not counted<extra></extra>"),
    ]
    return _figure(
        title,
        150 + 24 * grouped.height,
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
        subtitle=subtitle,
        barmode="stack",
        xaxis={"title": {"text": "Events in the window"}},
        margin={"l": 140, "t": 84 + 16 * subtitle.count("\n")},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )


def peer_histogram(
    group: pl.DataFrame, selected: dict | None, title: str, subtitle: str = ""
) -> dict:
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
        320,
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
        subtitle=subtitle,
        margin={"t": 72},
    )
