"""Example comments of "What customers complain about", per theme, as text (comments are
untrusted: Dash renders strings as text, never as HTML or markdown)."""

from __future__ import annotations

import polars as pl
from dash import html

from engine.themes import THEME_LABELS

NO_EXAMPLES = "No counted complaint in the window has a comment."


def examples_list(
    examples: pl.DataFrame,
    themes: list[str],
    *,
    names: dict[str, str] | None = None,
    show_seller: bool = False,
) -> html.Div:
    """``examples`` (``VocService.theme_examples``) by theme in the order of ``themes``
    (the bars' order; themes not in it follow alphabetically): the theme, how many
    commented complaints, and the example comments with their day and SKU (and seller)."""
    if examples.is_empty():
        return html.Div(html.P(NO_EXAMPLES, className="text-muted mb-0"))
    found = examples["theme"].to_list()
    ordered = [t for t in themes if t in found] + sorted(t for t in found if t not in themes)
    names = names or {}
    groups = []
    for theme in ordered:
        row = examples.filter(pl.col("theme") == theme).row(0, named=True)
        n = row["comments"]
        groups.append(
            html.Div(
                [
                    html.H4(
                        [
                            html.Span(THEME_LABELS.get(theme, theme)),
                            html.Span(
                                f" · {n:,} commented complaint{'s' if n != 1 else ''}",
                                className="text-muted fw-normal",
                            ),
                        ],
                        className="h6 small fw-semibold mb-1",
                    ),
                    *_phrases(row.get("phrases") or []),
                    html.Ul(
                        [_example(ex, names, show_seller) for ex in row["examples"] or []],
                        className="examples mb-2",
                    ),
                ],
                className="theme-examples",
                **{"data-theme": theme},
            )
        )
    return html.Div([html.H4("Example comments by theme", className="h6 mt-2"), *groups])


def _phrases(phrases: list[dict]) -> list[html.P]:
    """The theme's most frequent phrases, quoted, each with how many comments it decided
    (none when reason codes decided them all)."""
    if not phrases:
        return []
    said = " · ".join(f"\u201c{p['phrase']}\u201d ({p['comments']:,})" for p in phrases)
    return [
        html.P(
            [html.Span("Most said: ", className="text-muted"), html.Span(said)],
            className="theme-phrases small mb-1",
        )
    ]


def _example(example: dict, names: dict[str, str], show_seller: bool) -> html.Li:
    where = f" — {example['event_day']} · SKU {example['sku']}"
    if show_seller:
        seller = example["seller_id"]
        where += f" · {names.get(seller, seller)}"
    return html.Li(
        [
            html.Q(example["comment"], className="example-comment"),
            html.Span(where, className="text-muted"),
        ]
    )
