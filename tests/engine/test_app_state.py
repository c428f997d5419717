"""Application state (engine/app_state.py): the SQLite database of seller actions beside
the store: schema version, WAL, several writers, validation, and actions surviving
restarts and imports."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from engine import pipeline
from engine.app_state import (
    ACTION_KINDS,
    FILE_NAME,
    MIGRATIONS,
    NOTE_MAX_CHARS,
    ActionError,
    AppState,
    kind_of,
)
from engine.health import Viewer
from engine.service import VocService
from tests.engine.builders import event, frame, offer, order

DAY = date(2026, 6, 1)
SELLER = Viewer("seller", "S1")


def test_schema_is_versioned_and_the_file_is_in_wal_mode(tmp_path):
    state = AppState.beside(tmp_path)
    assert state.schema_version() == len(MIGRATIONS) == 2
    con = sqlite3.connect(tmp_path / FILE_NAME)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"schema_version", "actions", "meta", "users"} <= tables
    finally:
        con.close()
    AppState.beside(tmp_path)  # opening again migrates nothing twice
    assert AppState.beside(tmp_path).schema_version() == 2


def test_add_list_remove_and_what_may_be_removed(tmp_path):
    state = AppState.beside(tmp_path)
    first = state.add_action("S1", "A", DAY, "removed_stock", "  batch 7  ", source="page")
    state.add_action("S1", "B", DAY - timedelta(days=3), "other", None, source="cli")
    state.sync_data("1", _data_rows(("S1", "A", DAY, "edited listing", "from the demo")))
    rows = state.actions()
    assert rows["sku"].to_list() == ["B", "A", "A"]  # by day, then id
    assert rows.filter(pl.col("id") == first)["note"].item() == "batch 7"  # trimmed
    assert rows.schema["action_date"] == pl.Date
    data_id = rows.filter(pl.col("source") == "data")["id"].item()
    assert rows.filter(pl.col("source") == "data")["action"].item() == "edited_detail_page"
    assert not state.remove_action(data_id)  # it would come back with the data
    assert state.remove_action(first) and not state.remove_action(first)
    assert state.actions(seller_id="S1", sku="A")["source"].to_list() == ["data"]
    assert state.actions(until=DAY - timedelta(days=1))["sku"].to_list() == ["B"]


def test_kinds_notes_and_imported_names():
    state = AppState.memory()
    with pytest.raises(ActionError, match="unknown kind 'fixed'"):
        state.add_action("S1", "A", DAY, "fixed", source="page")
    with pytest.raises(ActionError, match=f"at most {NOTE_MAX_CHARS}"):
        state.add_action("S1", "A", DAY, "other", "x" * (NOTE_MAX_CHARS + 1), source="page")
    assert state.actions().height == 0
    assert [
        kind_of(n) for n in ("edited listing", "Removed stock", "relisted", "changed supplier")
    ] == [
        "edited_detail_page",
        "removed_stock",
        "relisted",
        "changed_supplier",
    ]
    assert kind_of("changed_packaging") == "changed_packaging" and kind_of("repainted") == "other"
    state.sync_data("g", _data_rows(("S1", "A", DAY, "repainted", "blue")))
    assert state.actions()["note"].item() == "repainted: blue"  # the name is not lost
    assert list(ACTION_KINDS)[-1] == "other"


def test_sync_replaces_only_the_data_rows_once_per_generation():
    state = AppState.memory()
    mine = state.add_action("S1", "A", DAY, "relisted", source="page")
    assert state.sync_data("1", _data_rows(("S1", "A", DAY, "relisted", "a")))
    assert not state.sync_data("1", _data_rows())  # same generation: nothing to do
    assert state.sync_data("2", _data_rows(("S1", "B", DAY, "relisted", "b")))
    rows = state.actions()
    assert sorted(rows["sku"].to_list()) == ["A", "B"]
    assert rows.filter(pl.col("sku") == "A")["id"].item() == mine


def _insert_many(path: str, tag: str) -> None:
    state = AppState(Path(path))
    for i in range(25):
        state.add_action("S1", "A", DAY, "other", f"{tag}{i}", source="page")


def test_two_processes_writing_at_once_both_keep_theirs(tmp_path):
    AppState.beside(tmp_path)
    path = str(tmp_path / FILE_NAME)
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_insert_many, args=(path, tag)) for tag in ("a", "b")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    notes = AppState.beside(tmp_path).actions()["note"].to_list()
    assert sorted(notes) == sorted([f"a{i}" for i in range(25)] + [f"b{i}" for i in range(25)])


def _data_rows(*rows) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={
            "seller_id": pl.String,
            "sku": pl.String,
            "action_date": pl.Date,
            "action": pl.String,
            "note": pl.String,
        },
        orient="row",
    )


# --- over a store folder: restarts and imports ------------------------------------------


@pytest.fixture
def small_store(tmp_path) -> Path:
    root = tmp_path / "store"
    orders = [order(DAY - timedelta(days=i)) for i in range(60)]
    events = [event(DAY - timedelta(days=1), order_id=orders[0]["order_id"])]
    actions = pl.DataFrame(
        {
            "seller_id": ["S1"],
            "sku": ["A"],
            "action_date": [DAY - timedelta(days=40)],
            "action": ["edited listing"],
            "note": ["from the data"],
        }
    )
    pipeline.build_store(
        root,
        {
            "offers": frame("offers", [offer(), offer("S2", "Z")]),
            "orders": frame("orders", orders),
            "feedback": frame("feedback", events),
            "actions": actions,
        },
    )
    return root


def test_recorded_actions_survive_a_restart_and_an_import(small_store, tmp_path):
    svc = VocService.open(small_store)
    try:
        new = svc.record_action(
            SELLER, DAY, 90, "S1", "A", day=DAY - timedelta(days=10), kind="changed_packaging",
            note="<b>new box</b>", created_by="test",
        )  # fmt: skip
        listed = svc.actions(SELLER, DAY, 90, "S1", "A")
        assert listed["source"].to_list() == ["data", "page"]
        assert listed["note"].to_list() == ["from the data", "<b>new box</b>"]
        assert "verdict" in listed.columns
    finally:
        svc.close()
    # an import makes a new generation; its actions file replaces the imported actions
    drop = tmp_path / "actions.csv"
    drop.write_text(
        "seller_id,sku,action_date,action,note\nS1,A,2026-05-01,changed supplier,new batch\n",
        encoding="utf-8",
    )
    more = tmp_path / "orders.csv"
    more.write_text(
        "order_id,seller_id,sku,purchase_date,quantity,status,sold_by_seller\n"
        "NEW1,S1,A,2026-06-01,1,shipped,true\n",
        encoding="utf-8",
    )
    summary = pipeline.import_into_store(small_store, {"orders": more, "actions": drop})
    assert summary.changed and summary.generation == 2
    svc = VocService.open(small_store)  # a restart
    try:
        listed = svc.actions(SELLER, DAY, 90, "S1", "A")
        assert new in listed["id"].to_list()  # the page's action is still there
        assert set(listed["note"]) >= {"<b>new box</b>", "new batch"}
        assert svc.offer(SELLER, DAY, 90, "S1", "A")["orders"] == 61  # the new data is live
    finally:
        svc.close()


def test_record_action_refuses_with_a_reason(small_store):
    svc = VocService.open(small_store)
    try:
        record = svc.record_action
        with pytest.raises(ActionError, match="no offer 'Z' of seller 'S2' in this view"):
            record(SELLER, DAY, 90, "S2", "Z", day=DAY, kind="other", note=None)
        with pytest.raises(ActionError, match="after the last day of the data"):
            record(SELLER, DAY, 90, "S1", "A", day=DAY + timedelta(days=1), kind="other", note="")
        with pytest.raises(ActionError, match="before the offer was created"):
            record(SELLER, DAY, 90, "S1", "A", day=date(2024, 12, 31), kind="other", note="")
        with pytest.raises(ActionError, match="unknown kind"):
            record(SELLER, DAY, 90, "S1", "A", day=DAY, kind="<script>", note="")
        with pytest.raises(ActionError, match="day of the action is missing"):
            record(SELLER, DAY, 90, "S1", "A", day=None, kind="other", note="")
        assert svc.state().actions()["source"].to_list() == ["data"]  # nothing was saved
    finally:
        svc.close()
