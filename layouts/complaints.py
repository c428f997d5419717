"""The phrases of "What customers complain about": per theme the most frequent phrases
and example comments, as text (comments are untrusted: Dash renders strings as text)."""

from __future__ import annotations

import polars as pl
from dash import html

from engine.themes import THEME_LABELS

NO_PHRASES = (
    "No comment in the window had its theme decided by a phrase: the reason codes decided them."
)


def phrases_list(
    phrases: pl.DataFrame,
    themes: list[str],
    *,
    names: dict[str, str] | None = None,
    show_seller: bool = False,
) -> html.Div:
    """``phrases`` (``VocService.theme_phrases``) by theme in the order of ``themes``
    (the bars' order; themes not in it follow alphabetically), each phrase with how many
    comments it decided and its example comments with their day and SKU (and seller)."""
    if phrases.is_empty():
        return html.Div(html.P(NO_PHRASES, className="text-muted mb-0"))
    found = list(dict.fromkeys(phrases["theme"].to_list()))
    ordered = [t for t in themes if t in found] + sorted(t for t in found if t not in themes)
    names = names or {}
    groups = []
    for theme in ordered:
        rows = phrases.filter(pl.col("theme") == theme).sort(
            ["comments", "phrase"], descending=[True, False]
        )
        items = [_phrase_item(r, names, show_seller) for r in rows.iter_rows(named=True)]
        groups.append(
            html.Div(
                [
                    html.H4(THEME_LABELS.get(theme, theme), className="h6 small fw-semibold mb-1"),
                    html.Ul(items, className="list-unstyled mb-2"),
                ],
                className="theme-phrase-group",
                **{"data-theme": theme},
            )
        )
    return html.Div(
        [html.H4("Most frequent phrases, with example comments", className="h6 mt-2"), *groups]
    )


def _phrase_item(row: dict, names: dict[str, str], show_seller: bool) -> html.Li:
    n = row["comments"]
    examples = [
        html.Li(
            [
                html.Q(ex["comment"], className="example-comment"),
                html.Span(_where(ex, names, show_seller), className="text-muted"),
            ]
        )
        for ex in row["examples"] or []
    ]
    return html.Li(
        [
            html.Span(f"“{row['phrase']}”", className="phrase fw-semibold"),
            html.Span(f" · {n} comment{'s' if n != 1 else ''}", className="text-muted"),
            html.Ul(examples, className="examples mb-1"),
        ],
        className="theme-phrase",
    )


def _where(example: dict, names: dict[str, str], show_seller: bool) -> str:
    where = f" — {example['event_day']} · SKU {example['sku']}"
    if show_seller:
        seller = example["seller_id"]
        where += f" · {names.get(seller, seller)}"
    return where
