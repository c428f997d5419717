"""The phrases of "What customers complain about" as text (layouts/complaints.py)."""

from __future__ import annotations

from datetime import date

import polars as pl

from layouts import complaints

HOSTILE = "<img src=x onerror=alert(1)> **bold** & more"


def phrases() -> pl.DataFrame:
    def ex(comment: str, sku: str = "A", seller: str = "S1") -> dict:
        return {"event_day": date(2026, 6, 1), "seller_id": seller, "sku": sku, "comment": comment}

    return pl.DataFrame(
        {
            "theme": ["defective", "defective", "quality"],
            "phrase": ["stopped working", "broke after", "cheap plastic"],
            "comments": [1, 5, 2],
            "examples": [
                [ex(HOSTILE)],
                [ex("broke after a week"), ex("broke after", "B", "S2")],
                [],
            ],
        }
    )


def texts(node) -> list[str]:
    """Every string child in a component tree, in order."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list | tuple):
        return [t for child in node for t in texts(child)]
    children = getattr(node, "children", None)
    return [] if children is None else texts(children)


def groups(tree) -> list:
    found = []

    def walk(node) -> None:
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
            return
        if getattr(node, "className", "") == "theme-phrase-group":
            found.append(node)
        if hasattr(node, "children"):
            walk(node.children)

    walk(tree)
    return found


def test_phrases_by_the_bars_theme_order_most_frequent_first_comments_as_text():
    tree = complaints.phrases_list(phrases(), ["quality", "defective"])
    shown = groups(tree)
    assert [texts(g)[0] for g in shown] == ["Quality", "Defective"]
    defective = texts(shown[1])
    assert defective.index("“broke after”") < defective.index("“stopped working”")
    assert " · 5 comments" in defective and " · 1 comment" in defective
    assert HOSTILE in defective  # the comment itself, a plain string: React shows it as text
    assert " — 2026-06-01 · SKU A" in defective


def test_group_examples_name_the_seller_and_no_phrases_say_why():
    tree = complaints.phrases_list(phrases(), [], names={"S2": "Other shop"}, show_seller=True)
    assert " — 2026-06-01 · SKU B · Other shop" in texts(tree)
    assert [texts(g)[0] for g in groups(tree)] == ["Defective", "Quality"]  # alphabetical
    empty = complaints.phrases_list(phrases().head(0), ["defective"])
    assert texts(empty) == [complaints.NO_PHRASES]
