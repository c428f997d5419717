"""The figure builders return valid plotly figures (validated by go.Figure) that show the data."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

from layouts import figures
from layouts.theme import TEMPLATE


def trend_frame(weeks: int = 6, maturing_from: int = 4) -> pl.DataFrame:
    start = date(2026, 9, 7)
    return pl.DataFrame(
        {
            "week": [start + timedelta(weeks=i) for i in range(weeks)],
            "orders": [10, 0, 20, 5, 8, 4][:weeks],
            "ncx_orders": [1, 0, 2, 0, 1, 1][:weeks],
            "ncx_rate": [0.1, None, 0.1, 0.0, 0.125, 0.25][:weeks],
            "peer_rate": [0.02, 0.03, None, 0.02, 0.02, 0.02][:weeks],
            "peer_p25": [0.01] * weeks,
            "peer_p75": [0.04] * weeks,
            "maturing": [i >= maturing_from for i in range(weeks)],
        }
    )


def test_trend_draws_rate_peers_band_orders_and_maturing_weeks():
    actions = pl.DataFrame(
        {"action_date": [date(2026, 9, 21)], "action": ["Listing fixed"], "note": ["new photos"]}
    )
    fig = go.Figure(figures.trend_figure(trend_frame(), actions, "Weekly NCX rate"))
    names = [t.name for t in fig.data]
    assert names[0] == "Orders (right axis)" and fig.data[0].yaxis == "y2"
    assert fig.data[0].y == (10, 0, 20, 5, 8, 4)
    mine = fig.data[names.index("This offer")]
    assert mine.y == (10.0, None, 10.0, 0.0, None, None)  # percent, matured weeks only
    maturing = fig.data[names.index("Still maturing (returns not all in)")]
    assert maturing.y == (None, None, None, None, 12.5, 25.0)
    assert maturing.line.dash == "dot" and maturing.marker.symbol == "circle-open"
    assert fig.data[names.index("Peer rate (pooled)")].y[0] == 2.0
    assert mine.x[0] == "2026-09-07"
    assert (
        fig.layout.shapes[0].x0 == "2026-09-21"
        and fig.layout.annotations[0].text == "Listing fixed"
    )
    assert fig.layout.title.text == "Weekly NCX rate"
    assert fig.layout.xaxis.title.text == "Week of purchase"
    assert fig.layout.yaxis2.title.text == "Orders per week"


def test_trend_without_maturing_weeks_or_orders():
    no_actions = pl.DataFrame()
    fig = go.Figure(figures.trend_figure(trend_frame(maturing_from=99), no_actions, "t"))
    assert "Still maturing (returns not all in)" not in [t.name for t in fig.data]
    empty = go.Figure(figures.trend_figure(pl.DataFrame(), no_actions, "t"))
    assert empty.layout.annotations[0].text == "No orders in the last 52 weeks"


def test_breakdown_stacks_counted_and_not_counted_per_label():
    frame = pl.DataFrame(
        {
            "source": ["return", "review", "return", "contact"],
            "theme": ["defective", "damaged", "delivery", "defective"],
            "counted": [True, False, False, True],
            "events": [3, 2, 1, 4],
        }
    )
    by_theme = go.Figure(figures.breakdown_figure(frame, "theme", "By theme"))
    counted, not_counted = by_theme.data
    assert counted.name == "Counted (NCX)" and not_counted.name == "Not counted"
    totals = {y: c + n for y, c, n in zip(counted.y, counted.x, not_counted.x, strict=True)}
    assert len(totals) == 3 and sum(totals.values()) == 10
    assert list(totals.values()) == sorted(totals.values())  # largest at the top
    by_source = go.Figure(figures.breakdown_figure(frame, "source", "By source"))
    assert dict(zip(by_source.data[0].y, by_source.data[0].x, strict=True))["Returns"] == 3


def test_peer_histogram_marks_the_selected_offer():
    group = pl.DataFrame({"ncx_rate": [0.01, 0.02, None, 0.05]})
    fig = go.Figure(
        figures.peer_histogram(group, {"ncx_rate": 0.05, "health": "poor"}, "Peer group")
    )
    assert fig.data[0].type == "histogram" and fig.data[0].x == (1.0, 2.0, 5.0)
    assert fig.layout.shapes[0].x0 == 5.0
    assert fig.layout.annotations[0].text == "this offer: 5.0 %"


def test_every_figure_uses_the_one_template():
    figs = [
        figures.empty_figure("nothing"),
        figures.trend_figure(trend_frame(), pl.DataFrame(), "t"),
        figures.peer_histogram(pl.DataFrame({"ncx_rate": [0.1]}), None, "p"),
    ]
    assert all(f["layout"]["template"] is TEMPLATE for f in figs)
    go.Figure(figures.empty_figure("nothing"))  # valid
