"""Example comments of "What customers complain about" as text (layouts/complaints.py)."""

from __future__ import annotations

from datetime import date

import polars as pl

from layouts import complaints

HOSTILE = "<img src=x onerror=alert(1)> **bold** & more"


def examples() -> pl.DataFrame:
    def ex(comment: str, sku: str = "A", seller: str = "S1") -> dict:
        return {"event_day": date(2026, 6, 1), "seller_id": seller, "sku": sku, "comment": comment}

    return pl.DataFrame(
        {
            "theme": ["defective", "quality"],
            "comments": [5, 1],
            "examples": [[ex(HOSTILE), ex("broke after", "B", "S2")], [ex("cheap plastic")]],
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
        if getattr(node, "className", "") == "theme-examples":
            found.append(node)
        if hasattr(node, "children"):
            walk(node.children)

    walk(tree)
    return found


def test_examples_by_the_bars_theme_order_comments_as_text():
    tree = complaints.examples_list(examples(), ["quality", "defective"])
    shown = groups(tree)
    assert [texts(g)[0] for g in shown] == ["Quality", "Defective"]
    assert " · 1 commented complaint" in texts(shown[0])
    defective = texts(shown[1])
    assert " · 5 commented complaints" in defective
    assert HOSTILE in defective  # the comment itself, a plain string: React shows it as text
    assert " — 2026-06-01 · SKU A" in defective
    assert not any("S2" in t for t in defective)  # no seller named in an offer's examples


def test_group_examples_name_the_seller_and_none_say_so():
    tree = complaints.examples_list(examples(), [], names={"S2": "Other shop"}, show_seller=True)
    assert " — 2026-06-01 · SKU B · Other shop" in texts(tree)
    assert [texts(g)[0] for g in groups(tree)] == ["Defective", "Quality"]  # alphabetical
    empty = complaints.examples_list(examples().head(0), ["defective"])
    assert texts(empty) == [complaints.NO_EXAMPLES]


def test_the_most_said_phrases_are_quoted_as_text_with_their_counts():
    phrase = pl.Struct({"phrase": pl.String, "comments": pl.Int64})
    frame = examples().with_columns(
        phrases=pl.Series(
            [
                [{"phrase": HOSTILE, "comments": 3}, {"phrase": "stopped working", "comments": 2}],
                [],
            ],
            dtype=pl.List(phrase),
        )
    )
    tree = complaints.examples_list(frame, ["defective", "quality"])
    defective, quality = groups(tree)
    assert "Most said: " in texts(defective)
    assert f"\u201c{HOSTILE}\u201d (3) · \u201cstopped working\u201d (2)" in texts(defective)
    assert "Most said: " not in texts(quality)  # reason codes decided them all
