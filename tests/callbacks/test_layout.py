"""The built layout: every id unique and every id from layouts/ids.py."""

from __future__ import annotations

import json

from engine.policy import DEFAULT_POLICY
from layouts.ids import ID, all_ids
from layouts.page import layout


def test_layout_has_no_duplicate_ids_and_uses_the_id_enum():
    page = layout(
        sellers=[{"label": "Seller: A", "value": "A"}], categories=["Toys"], policy=DEFAULT_POLICY
    )
    ids = [json.dumps(i, sort_keys=True) if isinstance(i, dict) else str(i) for i in all_ids(page)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    known = {m.value for m in ID}
    plain = {i for i in ids if not i.startswith("{")}
    assert plain <= known, plain - known


def test_how_health_panel_quotes_the_policy_numbers():
    page = json.dumps(
        layout(sellers=[], categories=[], policy=DEFAULT_POLICY).to_plotly_json(),
        ensure_ascii=False,
        default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
    )
    for text in (
        "90 days",
        "at least 20 offers",
        "at least 5 other sellers",
        "90 % interval",
        "at least 2 × the peer rate",
        "at most 0.5 × the peer rate",
        "fewer than 3",
        "0.1 %",
    ):
        assert text in page, text
