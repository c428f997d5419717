"""The figure builders return valid plotly figures (validated by go.Figure) that show the data."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

from layouts import figures
from layouts.theme import TEMPLATE


def trend_frame(weeks: int = 6, maturing_from: int = 4) -> pl.DataFrame:
    start = date(2026, 9, 7)
    orders = [10, 0, 20, 5, 8, 4][:weeks]
    ncx = [1, 0, 2, 0, 1, 1][:weeks]
    frame = pl.DataFrame(
        {
            "week": [start + timedelta(weeks=i) for i in range(weeks)],
            "orders": orders,
            "ncx_orders": ncx,
            "peer_orders": [100] * weeks,
            "peer_ncx": [2, 3, 0, 2, 2, 2][:weeks],
            "peer_p25": [0.01] * weeks,
            "peer_p75": [0.04] * weeks,
            "maturing": [i >= maturing_from for i in range(weeks)],
        }
    )
    four = {"window_size": 4, "min_samples": 1}
    return frame.with_columns(
        orders4=pl.col("orders").rolling_sum(**four),
        ncx4=pl.col("ncx_orders").rolling_sum(**four),
        peer4=pl.col("peer_orders").rolling_sum(**four),
        peer_ncx4=pl.col("peer_ncx").rolling_sum(**four),
    ).with_columns(
        ncx_rate=pl.col("ncx_orders") / pl.col("orders"),
        rate4=pl.col("ncx4") / pl.col("orders4"),
        lo4=pl.col("ncx4") / pl.col("orders4") / 2,
        hi4=pl.col("ncx4") / pl.col("orders4") * 2,
        peer_rate4=pl.col("peer_ncx4") / pl.col("peer4"),
    )


WINDOW = {
    "start": date(2026, 9, 14),
    "end": date(2026, 10, 18),
    "days": 35,
    "k": 4,
    "n": 37,
    "rate": 4 / 37,
    "peer_rate": 0.02,
}


def test_trend_draws_the_4_week_rate_its_interval_peers_orders_and_maturing_weeks():
    actions = pl.DataFrame(
        {"action_date": [date(2026, 9, 21)], "action": ["Listing fixed"], "note": ["new photos"]}
    )
    fig = go.Figure(
        figures.trend_figure(trend_frame(), actions, "Weekly NCX rate", WINDOW, "SKU A")
    )
    names = [t.name for t in fig.data]
    assert names[0] == "Orders per week" and fig.data[0].yaxis == "y2"
    assert fig.data[0].y == (10, 0, 20, 5, 8, 4)
    mine = fig.data[names.index("This offer (4-week rate)")]
    # 4-week pooled: (1)/10, 1/10, 3/30, 3/35 on settled weeks, in percent
    assert mine.y[:4] == (10.0, 10.0, 10.0, 3 / 35 * 100) and mine.y[4:] == (None, None)
    maturing = fig.data[names.index("Still maturing (returns not all in)")]
    assert maturing.y[:3] == (None, None, None) and maturing.y[3] == mine.y[3]  # joined
    assert maturing.y[5] == 4 / 37 * 100 and maturing.line.dash == "dot"
    assert "This offer, 90 % interval" in names and "Similar offers (pooled)" in names
    assert max(y for y in mine.y if y is not None) <= 100
    assert mine.x[0] == "2026-09-07"
    window = [sh for sh in fig.layout.shapes if sh.type == "rect"]
    assert window and window[0].x0 == "2026-09-14" and window[0].x1 == "2026-10-18"
    texts = [a.text for a in fig.layout.annotations]
    assert "Health window, 35 days: 4 of 37 orders (10.8 %) vs 2.0 % for similar offers" in texts
    assert "Listing fixed" in texts
    assert fig.layout.title.text.startswith("Weekly NCX rate<br><span")
    assert fig.layout.title.text.endswith(">SKU A</span>")
    assert fig.layout.xaxis.title.text == "Week of purchase"
    assert fig.layout.yaxis2.title.text == "Orders"
    assert fig.layout.yaxis2.domain[1] < fig.layout.yaxis.domain[0]  # a strip of its own


def test_a_window_without_orders_is_still_marked_and_says_so():
    quiet = {**WINDOW, "k": 0, "n": 0, "rate": None}
    fig = go.Figure(
        figures.trend_figure(trend_frame(), pl.DataFrame(), "Weekly NCX rate", quiet, "SKU A")
    )
    assert [sh.x0 for sh in fig.layout.shapes if sh.type == "rect"] == ["2026-09-14"]
    lines = [sh for sh in fig.layout.shapes if sh.type == "line"]
    assert [sh.y0 for sh in lines] == [2.0]  # the peers' rate only: the offer has none
    assert "Health window, 35 days: no orders" in [a.text for a in fig.layout.annotations]


def test_chart_text_is_shown_as_text_not_plotly_markup():
    hostile = '<b>bold</b> <a href="https://evil.example">click</a> & co'
    actions = pl.DataFrame(
        {"action_date": [date(2026, 9, 21)], "action": [hostile], "note": [hostile]}
    )
    fig = go.Figure(figures.trend_figure(trend_frame(), actions, hostile, WINDOW, hostile))
    escaped = (
        '&lt;b&gt;bold&lt;/b&gt; &lt;a href="https://evil.example"&gt;click&lt;/a&gt; &amp; co'
    )
    assert fig.layout.title.text.startswith(f"{escaped}<br><span")
    assert fig.layout.title.text.endswith(f">{escaped}</span>")
    note = next(a for a in fig.layout.annotations if "bold" in a.text)
    assert note.text == escaped
    assert note.hovertext == f"2026-09-21: {escaped}<br>{escaped}"
    marker = next(t for t in fig.data if t.name == "Seller actions")
    assert marker.customdata[0] == note.hovertext
    assert go.Figure(figures.empty_figure(hostile)).layout.annotations[0].text == escaped


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


def test_action_markers_carry_kind_and_verdict_in_their_hover():
    actions = pl.DataFrame(
        {
            "action_date": [date(2026, 9, 21), date(2026, 10, 5)],
            "action": ["changed_supplier", "other"],
            "note": ["New <factory> & batch", None],
            "verdict": ["improved", "not_enough_data"],
            "missing": ["", "needs 3 more matured weeks"],
        }
    )
    fig = go.Figure(figures.trend_figure(trend_frame(), actions, "t", WINDOW, "s"))
    marker = next(t for t in fig.data if t.name == "Seller actions")
    assert list(marker.x) == ["2026-09-21", "2026-10-05"]
    assert marker.customdata[0] == (
        "2026-09-21: Changed supplier<br>Verdict: Improved<br>New &lt;factory&gt; &amp; batch"
    )
    assert marker.customdata[1] == (
        "2026-10-05: Other<br>Verdict: Not enough data yet (needs 3 more matured weeks)"
    )
    assert max(marker.y) <= fig.layout.yaxis.range[1]
