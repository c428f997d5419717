"""The theme charts of "What customers complain about" (layouts/complaint_figures.py)."""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

from layouts import complaint_figures as cf

SIDES = (("offer", "This offer"), ("peer", "Similar offers"))


def shares_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "theme": ["defective", "not_as_described", "missing_parts"],
            "offer_ncx": [3, 1, 0],
            "offer_share": [0.75, 0.25, 0.0],
            "peer_ncx": [1, 0, 2],
            "peer_share": [1 / 3, 0.0, 2 / 3],
            "group_ncx": [4, 1, 2],
            "group_share": [4 / 7, 1 / 7, 2 / 7],
        }
    )


def test_shares_draw_one_bar_per_side_and_theme_in_percent():
    fig = go.Figure(cf.theme_shares_figure(shares_frame(), SIDES, "Themes"))
    offer, peers = fig.data
    assert offer.name == "This offer" and peers.name == "Similar offers"
    assert list(offer.y) == ["Defective", "Not as described", "Missing parts"]
    assert list(offer.x) == [75.0, 25.0, 0.0]
    assert [round(v, 1) for v in peers.x] == [33.3, 0.0, 66.7]
    assert [list(c) for c in offer.customdata] == [[3, 4], [1, 4], [0, 4]]


def test_themes_are_ordered_by_the_first_side_shown():
    group_first = (("group", "Whole peer group"), ("offer", "Selected offer"))
    fig = go.Figure(cf.theme_shares_figure(shares_frame(), group_first, "Themes"))
    assert list(fig.data[0].y) == ["Defective", "Missing parts", "Not as described"]


def test_a_side_without_ncx_orders_is_said_and_no_ncx_at_all_is_the_empty_state():
    frame = shares_frame().with_columns(offer_ncx=pl.lit(0), offer_share=pl.lit(None))
    fig = go.Figure(cf.theme_shares_figure(frame, SIDES, "Themes"))
    assert [d.name for d in fig.data] == ["Similar offers"]
    assert "This offer: no NCX orders in the window" in fig.layout.title.text
    empty = frame.with_columns(peer_ncx=pl.lit(0), peer_share=pl.lit(None))
    blank = go.Figure(cf.theme_shares_figure(empty, SIDES, "Themes"))
    assert blank.data == () and blank.layout.annotations[0].text == cf.NO_NCX
    assert go.Figure(cf.theme_shares_figure(pl.DataFrame(), SIDES, "T")).layout.annotations[
        0
    ].text == (cf.NO_NCX)


def test_subtitle_text_is_shown_as_text():
    hostile = "SKU <b>x</b> & <a href='javascript:alert(1)'>y</a>"
    fig = go.Figure(cf.theme_shares_figure(shares_frame(), SIDES, hostile, hostile))
    assert "<b>" not in fig.layout.title.text and "<a " not in fig.layout.title.text
    assert "&lt;b&gt;x&lt;/b&gt; &amp;" in fig.layout.title.text


def weeks_frame() -> pl.DataFrame:
    w1, w2 = date(2026, 5, 4), date(2026, 5, 11)
    return pl.DataFrame(
        {
            "week": [w1, w1, w2, w2],
            "theme": ["defective", "quality", "defective", "quality"],
            "offer_ncx": [1, 1, 1, 0],
            "offer_ncx4": [1, 1, 2, 1],
            "offer_share": [0.5, 0.5, 2 / 3, 1 / 3],
            "peer_ncx": [0, 0, 0, 0],
            "peer_ncx4": [0, 0, 0, 0],
            "peer_share": [None, None, None, None],
            "group_ncx": [1, 1, 1, 0],
            "group_ncx4": [1, 1, 2, 1],
            "group_share": [0.5, 0.5, 2 / 3, 1 / 3],
        }
    ).with_columns(pl.col("peer_share").cast(pl.Float64))


def test_weeks_stack_each_themes_share_per_side_one_legend_entry_per_theme():
    sides = (("offer", "This offer"), ("group", "Whole peer group"))
    fig = go.Figure(cf.theme_weeks_figure(weeks_frame(), sides, "By week"))
    assert fig.layout.barmode == "stack"
    offer = [d for d in fig.data if d.yaxis == "y"]
    group = [d for d in fig.data if d.yaxis == "y2"]
    assert [d.name for d in offer] == ["Defective", "Quality"] == [d.name for d in group]
    assert [d.showlegend for d in fig.data] == [True, True, False, False]
    defective = offer[0]
    assert list(defective.x) == ["2026-05-04", "2026-05-11"]
    assert [round(v, 1) for v in defective.y] == [50.0, 66.7]
    assert [list(c) for c in defective.customdata] == [[1, 2], [2, 3]]
    # per week the stack reaches 100 %
    totals: dict = {}
    for d in offer:
        for x, y in zip(d.x, d.y, strict=True):
            totals[x] = totals.get(x, 0) + y
    assert all(abs(v - 100) < 1e-9 for v in totals.values())


def test_weeks_without_a_sides_ncx_orders_name_it_or_say_nothing_matured():
    fig = go.Figure(cf.theme_weeks_figure(weeks_frame(), SIDES, "By week"))
    assert {d.yaxis for d in fig.data} == {"y"}
    assert "Similar offers: no NCX orders in the matured weeks" in fig.layout.title.text
    blank = go.Figure(cf.theme_weeks_figure(weeks_frame().head(0), SIDES, "By week"))
    assert blank.data == ()
    assert blank.layout.annotations[0].text == "No NCX orders in the matured weeks"


def test_weeks_are_valid_for_a_year_of_weeks():
    start = date(2025, 11, 3)
    weeks = pl.DataFrame(
        {
            "week": [start + timedelta(weeks=i) for i in range(52)],
            "theme": ["other"] * 52,
            **{f"{s}_ncx": [1] * 52 for s in ("offer", "peer", "group")},
            **{f"{s}_ncx4": [1] * 52 for s in ("offer", "peer", "group")},
            **{f"{s}_share": [1.0] * 52 for s in ("offer", "peer", "group")},
        }
    )
    fig = go.Figure(cf.theme_weeks_figure(weeks, SIDES, "By week"))
    assert len(fig.data) == 2 and len(fig.data[0].x) == 52
