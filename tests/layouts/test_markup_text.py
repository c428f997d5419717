"""Every text that reaches a chart is escaped for plotly's markup.

Plotly reads a subset of HTML (<b>, <a href>, <br>, <i>, <span style>) in titles,
annotations, axis titles and categorical tick labels, trace (legend) names, hover texts,
text labels and the customdata a hovertemplate shows. Each builder is given hostile data
(product title, SKU, seller name, category, theme, source, action kind and note, peer-group
label) and the whole ``to_plotly_json()`` is walked: no raw markup from the data anywhere,
and its escaped form present where the data is shown (so dropping the text fails too).
"""

from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl
import pytest

from layouts import complaint_figures as cf
from layouts import figures
from tests.layouts.test_complaint_figures import shares_frame, weeks_frame
from tests.layouts.test_figures import WINDOW, trend_frame

HOSTILE = '<b>bold</b><a href="https://evil.example">x</a>'
ESCAPED = '&lt;b&gt;bold&lt;/b&gt;&lt;a href="https://evil.example"&gt;x&lt;/a&gt;'
RAW = ("<b>", "<a ", "</a>", 'evil.example">')


def strings(node, path: str = "") -> list[tuple[str, str]]:
    """Every string in a plotly JSON structure, with where it is."""
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in strings(v, f"{path}.{k}")]
    if isinstance(node, list | tuple):
        return [s for i, v in enumerate(node) for s in strings(v, f"{path}[{i}]")]
    if hasattr(node, "tolist"):  # numpy arrays (customdata, categories)
        return strings(node.tolist(), path)
    return []


def shown(fig: dict) -> list[tuple[str, str]]:
    """The figure validated by plotly, then every string of its JSON; none carries raw
    markup, none is escaped twice."""
    found = strings(go.Figure(fig).to_plotly_json())
    for path, text in found:
        assert not any(raw in text for raw in RAW), f"raw markup at {path}: {text!r}"
        assert "&amp;lt;" not in text, f"escaped twice at {path}: {text!r}"
    return found


def escaped_at(found: list[tuple[str, str]], *parts: str) -> list[str]:
    """The paths whose text holds the escaped hostile input and contain all ``parts``."""
    return [p for p, t in found if ESCAPED in t and all(part in p for part in parts)]


def hostile_offer() -> dict:
    return {"seller_id": HOSTILE, "sku": HOSTILE, "e": date(2026, 10, 18)}


def test_trend_title_subtitle_actions_and_hovers_are_escaped():
    actions = pl.DataFrame(
        {
            "action_date": [date(2026, 9, 21)],
            "action": [HOSTILE],  # an unknown kind is shown as it is stored
            "note": [HOSTILE],
            "verdict": [HOSTILE],
            "missing": [HOSTILE],
        }
    )
    subtitle = figures.offer_subtitle(hostile_offer(), 35, HOSTILE)  # SKU, seller id, name
    found = shown(figures.trend_figure(trend_frame(), actions, HOSTILE, WINDOW, subtitle))
    title = next(t for p, t in found if p == ".layout.title.text")
    assert title.count(ESCAPED) == 4  # product title, SKU, seller name, seller id
    assert escaped_at(found, ".layout.annotations", ".text")  # the action's kind
    hover = next(t for p, t in found if p.endswith(".hovertext"))
    assert hover.count(ESCAPED) == 4  # kind, verdict, missing, note
    assert escaped_at(found, ".data[", ".customdata[")  # the marker's %{customdata}


def test_empty_figure_message_and_title_are_escaped():
    found = shown(figures.empty_figure(HOSTILE, HOSTILE))
    assert escaped_at(found, ".layout.title.text")
    assert escaped_at(found, ".layout.annotations[0].text")


@pytest.mark.parametrize("by", ["source", "theme"])
def test_breakdown_category_tick_labels_are_escaped(by):
    frame = pl.DataFrame(
        {
            "source": [HOSTILE, "return"],
            "theme": [HOSTILE, "defective"],
            "counted": [True, False],
            "events": [3, 2],
        }
    )
    found = shown(figures.breakdown_figure(frame, by, HOSTILE, HOSTILE))
    assert escaped_at(found, ".layout.title.text")
    assert len(escaped_at(found, ".data[", ".y[")) == 2  # both stacks' categories


def test_peer_histogram_title_and_peer_group_label_are_escaped():
    group = pl.DataFrame({"ncx_rate": [0.01, 0.05]})
    label = f"Subcategory: {HOSTILE} in {HOSTILE}"  # a peer label: category names
    fig = figures.peer_histogram(group, {"ncx_rate": 0.05, "health": "poor"}, HOSTILE, label)
    title = next(t for p, t in shown(fig) if p == ".layout.title.text")
    assert title.count(ESCAPED) == 3


def test_theme_shares_categories_names_and_hovers_are_escaped():
    shares = shares_frame().with_columns(pl.col("theme").replace("defective", HOSTILE))
    sides = (("offer", HOSTILE), ("peer", "Similar offers"))
    found = shown(cf.theme_shares_figure(shares, sides, HOSTILE, HOSTILE))
    assert len(escaped_at(found, ".data[", ".y[")) == 2  # the theme, in both sides' bars
    assert escaped_at(found, ".data[0].name")
    assert escaped_at(found, ".data[0].hovertemplate")
    nobody = shares.with_columns(offer_ncx=pl.lit(0), offer_share=pl.lit(None))
    missing = shown(cf.theme_shares_figure(nobody, sides, "Themes"))  # "<side>: no NCX ..."
    assert escaped_at(missing, ".layout.title.text")


def test_theme_weeks_names_legend_groups_strips_and_hovers_are_escaped():
    weeks = weeks_frame().with_columns(pl.col("theme").replace("quality", HOSTILE))
    sides = (("offer", HOSTILE), ("group", "Whole peer group"))
    found = shown(cf.theme_weeks_figure(weeks, sides, HOSTILE, HOSTILE))
    assert len(escaped_at(found, ".data[", ".name")) == 2  # the theme, in both strips
    assert escaped_at(found, ".data[", ".hovertemplate")
    assert escaped_at(found, ".layout.annotations[0].text")  # the strip's side name
    assert escaped_at(found, ".layout.title.text")


def test_the_escaped_text_reads_as_the_input():
    assert figures.plot_text(HOSTILE) == ESCAPED
    assert figures.plot_text("a & b") == "a &amp; b"
