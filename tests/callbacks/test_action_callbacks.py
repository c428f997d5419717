"""The action form's callbacks called as plain functions (on a private copy of the demo
store: they write actions)."""

from __future__ import annotations

import json
import shutil

import pytest
from dash import no_update

import app as app_module
from engine.app_state import AppState
from tests.callbacks.test_callbacks import callback

SELLER = "S-DEMO"
KEY = f"{SELLER}|NW-PIL-030"


@pytest.fixture(scope="module")
def store_copy(demo_store, tmp_path_factory):
    target = tmp_path_factory.mktemp("cb-actions") / "store"
    shutil.copytree(demo_store, target, ignore=shutil.ignore_patterns("app_state.sqlite*"))
    return target


@pytest.fixture(scope="module")
def dash_app(store_copy):
    return app_module.create_app(store_copy)


def text_of(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda o: o.to_plotly_json())


def test_save_inserts_one_action_and_bumps_the_detail(dash_app, store_copy, service):
    day = service.latest_day().isoformat()
    save = callback(dash_app, "save_action")
    note = "<script>alert(1)</script>"
    feedback, saved, cleared = save(1, KEY, SELLER, None, day, 90, "removed_stock", day, note, 4)
    assert "Saved (action" in text_of(feedback) and saved == 5 and cleared == ""
    stored = AppState.beside(store_copy).actions(sku="NW-PIL-030")
    assert stored["note"].to_list() == [note] and stored["source"].to_list() == ["page"]
    assert stored["created_by"].item() == f"page:seller:{SELLER}"
    # the detail lists it, the note as a plain string child (rendered as text)
    detail = callback(dash_app, "update_offer_detail")
    _, _, actions, trend, *_ = detail(KEY, SELLER, None, day, 90, 0, saved)
    assert note in text_of(actions[0]) and "Not enough data yet" in text_of(actions[0])
    assert any(t.get("name") == "Seller actions" for t in trend["data"])


@pytest.mark.parametrize(
    ("key", "view", "kind", "when", "message"),
    [
        (KEY, "S-0003", "other", "2026-09-01", "in this view"),  # not the viewer's offer
        (KEY, SELLER, "<b>", "2026-09-01", "unknown kind"),
        (KEY, SELLER, "other", "not-a-day", "is not a day"),
        (KEY, SELLER, "other", None, "day of the action is missing"),
        ("", SELLER, "other", "2026-09-01", "Select an offer first"),
    ],
)
def test_save_refuses_with_a_message_and_writes_nothing(
    dash_app, store_copy, service, key, view, kind, when, message
):
    day = service.latest_day().isoformat()
    before = AppState.beside(store_copy).actions().height
    feedback, saved, note = callback(dash_app, "save_action")(
        1, key, view, None, day, 90, kind, when, "x", 0
    )
    assert message in text_of(feedback) and "text-danger" in text_of(feedback)
    assert AppState.beside(store_copy).actions().height == before
    assert saved is no_update  # the detail is not read again
