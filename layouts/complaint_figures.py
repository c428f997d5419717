"""Figures of "What customers complain about": the theme mix of an offer and its peers.

Pure builders (frame -> plotly figure dict) over ``VocService.theme_shares`` and
``VocService.theme_weeks``; every text passes through ``figures.plot_text`` (titles via
``figures._figure``). A *side* is a column prefix of those frames: ``offer``, ``peer``
(the offer's peer group without it) or ``group`` (the whole peer group).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from engine.themes import THEME_LABELS
from layouts.figures import OFFER_LINE, _figure, _iso, empty_figure, plot_text
from layouts.theme import PEER, THEME_COLOURS

NO_NCX = "No NCX orders in the window"
SIDE_COLOURS = {"offer": OFFER_LINE, "peer": PEER, "group": "#495057"}
Sides = Sequence[tuple[str, str]]  # (side, the name shown for it)


def _label(theme: str) -> str:
    return THEME_LABELS.get(theme, theme)


def _missing(frame: pl.DataFrame, sides: Sides) -> list[str]:
    """Names of the sides without any NCX order in ``frame``."""
    return [name for side, name in sides if frame.is_empty() or not frame[f"{side}_ncx"].sum()]


def theme_order(shares: pl.DataFrame, sides: Sides) -> list[str]:
    """The themes by the NCX orders of the first side that has any, the most first (ties
    alphabetical, as the top NCX reason): the bars' order, top to bottom."""
    shown = [side for side, name in sides if name not in _missing(shares, sides)]
    if not shown:
        return []
    ranked = shares.sort([f"{shown[0]}_ncx", "theme"], descending=[True, False])
    return ranked["theme"].to_list()


def theme_shares_figure(shares: pl.DataFrame, sides: Sides, title: str, subtitle: str = "") -> dict:
    """Share (%) of NCX orders by theme, one bar per side and theme, the themes by the
    first side's NCX orders from the top (ties alphabetical, as the top NCX reason). A side without NCX orders draws no bars and is named in
    the subtitle; with none at all the chart says "No NCX orders in the window"."""
    missing = _missing(shares, sides)
    if len(missing) == len(sides):
        return empty_figure(NO_NCX, title)
    shown = [(side, name) for side, name in sides if name not in missing]
    order = theme_order(shares, sides)
    shares = shares.sort(pl.col("theme").replace_strict(order, list(range(len(order)))))
    labels = [plot_text(_label(t)) for t in order]  # tick labels are markup too
    data = []
    for side, name in shown:
        total = int(shares[f"{side}_ncx"].sum())
        pct = (shares[f"{side}_share"].fill_null(0) * 100).to_list()
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": pct,
                "name": plot_text(name),
                "marker": {"color": SIDE_COLOURS.get(side, PEER)},
                "text": [f"{v:.0f} %" for v in pct],
                "textposition": "outside",
                "cliponaxis": False,
                "customdata": [[k, total] for k in shares[f"{side}_ncx"].to_list()],
                "hovertemplate": plot_text(name)
                + ": %{x:.1f} % (%{customdata[0]} of %{customdata[1]} NCX orders)<extra></extra>",
            }
        )
    notes = "\n".join(f"{name}: no NCX orders in the window" for name in missing)
    subtitle = "\n".join(s for s in (subtitle, notes) if s)
    top = max(max(d["x"]) for d in data)
    return _figure(
        title,
        150 + 26 * len(labels) * len(shown),
        data,
        subtitle=subtitle,
        barmode="group",
        xaxis={
            "title": {"text": "Share of NCX orders (%)"},
            "ticksuffix": " %",
            "range": [0, min(100.0, top * 1.15 + 5)],
        },
        yaxis={"autorange": "reversed"},
        margin={"l": 130, "t": 84 + 16 * subtitle.count("\n")},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
    )


def theme_weeks_figure(weeks: pl.DataFrame, sides: Sides, title: str, subtitle: str = "") -> dict:
    """Share (%) of NCX orders by theme in the trailing 4 weeks of purchase, stacked to
    100 % per week, one strip per side (matured weeks only: see ``VocService.theme_weeks``).
    A week without NCX orders in its 4 weeks has no bar; the hover gives the counts."""
    missing = _missing(weeks, sides)
    shown = [(side, name) for side, name in sides if name not in missing]
    if not shown:
        return empty_figure("No NCX orders in the matured weeks", title)
    themes = [t for t in THEME_COLOURS if t in set(weeks["theme"])]
    themes += sorted(set(weeks["theme"]) - set(themes))
    gap = 0.08
    height = (1 - gap * (len(shown) - 1)) / len(shown)
    data, axes, notes = [], {}, []
    for i, (side, name) in enumerate(shown):
        axis = "y" if i == 0 else f"y{i + 1}"
        top = 1 - i * (height + gap)
        axes["yaxis" if i == 0 else f"yaxis{i + 1}"] = {
            "domain": [max(0.0, top - height), top],
            "range": [0, 100],
            "ticksuffix": " %",
            "anchor": "x",
            "title": {"text": "Share", "standoff": 4},
        }
        notes.append(
            {
                "text": plot_text(name),
                "x": 0,
                "xref": "paper",
                "y": top,
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12, "color": SIDE_COLOURS.get(side, PEER)},
            }
        )
        frame = weeks.filter(pl.col(f"{side}_ncx4") > 0).with_columns(
            total=pl.col(f"{side}_ncx4").sum().over("week")
        )
        for theme in themes:
            rows = frame.filter(pl.col("theme") == theme)
            if rows.is_empty():
                continue
            data.append(
                {
                    "type": "bar",
                    "x": _iso(rows["week"].to_list()),
                    "y": (rows[f"{side}_share"] * 100).to_list(),
                    "yaxis": axis,
                    "name": plot_text(_label(theme)),
                    "legendgroup": plot_text(theme),  # not shown; escaped all the same
                    "showlegend": plot_text(theme) not in {d["legendgroup"] for d in data},
                    "marker": {"color": THEME_COLOURS.get(theme, PEER)},
                    "customdata": rows.select(f"{side}_ncx4", "total").rows(),
                    "hovertemplate": plot_text(f"{name}, {_label(theme)}")
                    + ": %{y:.0f} % (%{customdata[0]} of %{customdata[1]} NCX orders "
                    "purchased in the 4 weeks to %{x})<extra></extra>",
                }
            )
    notes_text = "\n".join(f"{name}: no NCX orders in the matured weeks" for name in missing)
    subtitle = "\n".join(s for s in (subtitle, notes_text) if s)
    bottom = "y" if len(shown) == 1 else f"y{len(shown)}"
    height, top_margin, bottom_margin = 160 + 170 * len(shown), 84 + 16 * subtitle.count("\n"), 96
    below_ticks = -34 / (height - top_margin - bottom_margin)  # the legend under the dates
    return _figure(
        title,
        height,
        data,
        subtitle=subtitle,
        barmode="stack",
        xaxis={"anchor": bottom},
        **axes,
        annotations=notes,
        bargap=0.1,
        margin={"t": top_margin, "b": bottom_margin},
        legend={
            "orientation": "h",
            "y": below_ticks,
            "yanchor": "top",
            "x": 0,
            "font": {"size": 11},
        },
    )
