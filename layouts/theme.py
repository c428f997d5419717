"""The health palette, labels and the one plotly template every figure uses."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from engine.policy import DELETED, HEALTH_LABELS, SHOWN_LEVELS

HEALTH_COLOURS: dict[str, str] = {
    "excellent": "#1a9641",
    "good": "#a6d96a",
    "fair": "#ffd92f",
    "poor": "#fd8d3c",
    "very_poor": "#d7191c",
    "insufficient_feedback": "#9e9e9e",
    "no_recent_sales": "#bdbdbd",
    DELETED: "#757575",
}
# Badge backgrounds: the palette's hues, darkened where white text on them would read
# below 4.5:1 (WCAG AA); the tiles and charts keep the palette itself.
BADGE_COLOURS: dict[str, str] = {
    **HEALTH_COLOURS,
    "excellent": "#15803d",
    "insufficient_feedback": "#6c757d",
    DELETED: "#5c636a",
}
# Text colour that stays readable on each badge colour.
HEALTH_TEXT: dict[str, str] = {
    "excellent": "#ffffff",
    "good": "#1b1b1b",
    "fair": "#1b1b1b",
    "poor": "#1b1b1b",
    "very_poor": "#ffffff",
    "insufficient_feedback": "#ffffff",
    "no_recent_sales": "#1b1b1b",
    DELETED: "#ffffff",
}
TILE_LEVELS: tuple[str, ...] = SHOWN_LEVELS
TILE_LABELS: dict[str, str] = {
    **HEALTH_LABELS,
    "insufficient_feedback": "Insufficient feedback",
    "no_recent_sales": "No recent sales",
    DELETED: "Listing deleted",
    "action_required": "Action required",
    "at_risk": "At risk",
}
RISK_COLOUR = "#e8590c"  # the early-warning tile's edge (never the only carrier: it has words)
STATUS_LABELS: dict[str, str] = {
    "active": "Active",
    "closed": "Closed",
    "deleted": "Listing deleted",
}

# One colour per theme of an NCX order (delivery and remorse never count, so none), the
# same in every theme chart; "other" in grey. Colour-blind-safe hues (Okabe-Ito, Tol).
THEME_COLOURS: dict[str, str] = {
    "defective": "#d55e00",
    "damaged": "#e69f00",
    "quality": "#cc79a7",
    "missing_parts": "#0072b2",
    "wrong_item": "#009e73",
    "not_as_described": "#56b4e9",
    "size_fit": "#882255",
    "compatibility": "#44aa99",
    "expired_or_used": "#999933",
    "other": "#9e9e9e",
}
ACCENT = "#2c3e50"
PEER = "#6c757d"
MATURING = "#adb5bd"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

TEMPLATE_NAME = "voc"
# The one template every chart uses, as a plain dict: figures embed it directly (building
# plotly objects validates every property and costs more than the data queries).
TEMPLATE: dict = {
    "layout": {
        "font": {"family": FONT, "size": 12, "color": "#212529"},
        # a small pad: a downloaded image's title does not touch its edge
        "title": {
            "font": {"size": 14},
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
            "yref": "container",
            "pad": {"l": 10, "t": 10},
        },
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 56, "r": 16, "t": 40, "b": 40},
        "colorway": [ACCENT, "#fd8d3c", "#1a9641", "#6f42c1", "#17a2b8", PEER],
        "xaxis": {"gridcolor": "#eceff1", "zeroline": False, "linecolor": "#ced4da"},
        "yaxis": {"gridcolor": "#eceff1", "zeroline": False, "linecolor": "#ced4da"},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "hoverlabel": {"font": {"family": FONT}},
    }
}
# Also registered with plotly (validated once here), for code that builds go.Figure objects.
pio.templates[TEMPLATE_NAME] = go.layout.Template(TEMPLATE)
