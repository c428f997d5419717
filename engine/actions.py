"""Seller actions over a store: checking a new one, the ``action`` command and
``report --actions`` (one row per action with its verdict, DESIGN.md 4.5).

The actions themselves live in the application state (engine/app_state.py); the store is
read for what an action is checked against (the offer, the data's days) and for the
orders and NCX orders its verdict counts (engine/verdicts.py).
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from engine import store
from engine.app_state import ActionError, AppState, check_kind_note
from engine.health import Viewer, offer_health
from engine.policy import DEFAULT_POLICY, Policy
from engine.verdicts import action_verdicts

ACTION_REPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "seller_id",
    "sku",
    "action_date",
    "action",
    "note",
    "source",
    "before_orders",
    "before_ncx_orders",
    "before_rate",
    "before_low",
    "before_high",
    "after_orders",
    "after_ncx_orders",
    "after_rate",
    "after_low",
    "after_high",
    "difference_low",
    "difference_high",
    "verdict",
    "missing",
)


def synced(state: AppState, con: duckdb.DuckDBPyConnection, key: object) -> AppState:
    """``state`` with its imported actions those of ``con``'s ``actions`` table (see
    ``AppState.sync_data``); ``key`` names the data generation."""
    rows = con.sql("SELECT seller_id, sku, action_date, action, note FROM actions").pl()
    state.sync_data(str(key), rows)
    return state


def check_action(
    con: duckdb.DuckDBPyConnection,
    seller_id: str,
    sku: str,
    day: date | None,
    kind: str,
    note: str | None,
) -> tuple[str, str | None]:
    """(kind, note) of a valid new action; ActionError, in words for a person, when the
    offer is not in the store, the kind is unknown, the note too long, or the day missing,
    after the data's last day or before the offer was created."""
    created = con.execute(
        "SELECT created_at FROM offers WHERE seller_id = ? AND sku = ?", [seller_id, sku]
    ).fetchall()
    if not created:
        raise ActionError(f"seller {seller_id!r} has no offer {sku!r} in the data")
    kind, note = check_kind_note(kind, note)
    if day is None:
        raise ActionError("the day of the action is missing (YYYY-MM-DD)")
    last = store.latest_day(con)
    if last is not None and day > last:
        raise ActionError(f"{day} is after the last day of the data ({last})")
    born = created[0][0]
    if born is not None and day < born:
        raise ActionError(f"{day} is before the offer was created ({born})")
    return kind, note


def actions_report(
    con: duckdb.DuckDBPyConnection,
    state: AppState,
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    seller_id: str | None = None,
    category: str | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> pl.DataFrame:
    """``ACTION_REPORT_COLUMNS``: every action of the report's offers (one seller's and/or
    one category's when given) dated on or before the offer's effective day at ``as_of``
    (default: the data's last day), with its verdict at that day; by seller, SKU, day."""
    viewer = Viewer("seller", seller_id) if seller_id else Viewer()
    offers = offer_health(con, as_of=as_of, window_days=window_days, policy=policy, viewer=viewer)
    if category:
        offers = offers.filter(pl.col("category") == category)
    acts = (
        state.actions(seller_id=seller_id)
        .join(offers.select("seller_id", "sku", "e"), on=["seller_id", "sku"])
        .filter(pl.col("action_date") <= pl.col("e"))
        .sort("seller_id", "sku", "action_date", "id")
    )
    judged = action_verdicts(con, acts, as_of=pl.col("e"), policy=policy)
    nothing_missing = pl.when(pl.col("missing") != "").then(pl.col("missing"))
    return judged.with_columns(missing=nothing_missing).select(ACTION_REPORT_COLUMNS)
