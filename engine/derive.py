"""The raw-row derivation: canonical tables -> classified events -> per-offer rollups.

Plain SQL (``engine/sql/derived/*.sql``, the single definition of the derivation), run
either for every offer (``rebuild``) or only for the offers an import changed
(``rebuild(con, scope=...)``): every derived table is a union of per-offer parts, so
deleting an offer's rows and deriving them again from its canonical rows gives exactly
what a full rebuild gives. Reads the canonical tables and writes the derived ones;
knows nothing of health or of how files are imported.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import duckdb

from engine import sql, store, themes

# In dependency order: offer_ncx_day reads events, offer_activity reads offer_day and events.
DERIVED_SQL: tuple[str, ...] = ("events", "offer_day", "offer_ncx_day", "offer_activity")
# Above this share of all offers a scoped rebuild is no cheaper than a full one.
FULL_REBUILD_SHARE = 0.4
_MARKER = re.compile(r"\{(events_of|days_of|activity_of):(\w+)\}")
_ACTIVITY = "changed_activity_offers"


@dataclass(frozen=True)
class Scope:
    """What changed, as TEMP tables of the connection (trusted names):

    - ``days``: (seller_id, sku, day) purchase days of new or changed orders;
    - ``events``: (seller_id, sku) offers whose events or NCX orders may differ (changed
      feedback, changed orders, new orders that feedback already named).
    """

    days: str
    events: str


def _predicate(kind: str, alias: str, scope: Scope | None) -> str:
    if scope is None:
        return "TRUE"
    if kind == "days":
        return (
            f"({alias}.seller_id, {alias}.sku, CAST({alias}.purchase_date AS DATE)) IN "
            f"(SELECT seller_id, sku, day FROM {scope.days})"
        )
    table = scope.events if kind == "events" else _ACTIVITY
    return f"({alias}.seller_id, {alias}.sku) IN (SELECT seller_id, sku FROM {table})"


def select_sql(table: str, scope: Scope | None) -> str:
    """The SELECT deriving ``table``: for every offer (``scope`` None), or only the rows
    ``scope`` says changed (see ``Scope``)."""
    text = sql.load(f"derived/{table}")
    if "{classify}" in text:
        text = text.replace("{classify}", themes.classify_sql("fb"))
    return _MARKER.sub(
        lambda m: _predicate(m.group(1).removesuffix("_of"), m.group(2), scope), text
    )


_DELETE = {
    "events": "(seller_id, sku) IN (SELECT seller_id, sku FROM {events})",
    "offer_ncx_day": "(seller_id, sku) IN (SELECT seller_id, sku FROM {events})",
    "offer_day": "(seller_id, sku, day) IN (SELECT seller_id, sku, day FROM {days})",
    "offer_activity": "(seller_id, sku) IN (SELECT seller_id, sku FROM " + _ACTIVITY + ")",
}


def rebuild(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> float:
    """Derive the tables of DERIVED_SQL again; return the seconds it took.

    ``scope``: replace only the rows of what changed, keeping the rest; None (or a scope
    touching most offers, or a store without derived tables yet) rebuilds everything.
    Every derived row belongs to one offer (offer_day: to one offer and day), so deleting
    the changed ones and deriving them again from the canonical rows equals a full
    rebuild. Runs inside the caller's transaction when there is one.
    """
    started = time.perf_counter()
    themes.load_reference_tables(con)
    if scope is not None and not _scope_pays(con, scope):
        scope = None
    if scope is not None:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_ACTIVITY} AS SELECT DISTINCT seller_id, sku FROM "
            f"(SELECT seller_id, sku FROM {scope.days} UNION ALL "
            f"SELECT seller_id, sku FROM {scope.events})"
        )
    for table in DERIVED_SQL:
        select = select_sql(table, scope)
        if scope is None:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS {select}")
        else:
            where = _DELETE[table].format(days=scope.days, events=scope.events)
            con.execute(f"DELETE FROM {table} WHERE {where}")
            con.execute(f"INSERT INTO {table} {select}")
    if scope is not None:
        con.execute(f"DROP TABLE {_ACTIVITY}")
    return time.perf_counter() - started


def _scope_pays(con: duckdb.DuckDBPyConnection, scope: Scope) -> bool:
    if not all(store.has_table(con, t) for t in DERIVED_SQL):
        return False
    changed = sql.scalar(
        con,
        f"SELECT count(*) FROM (SELECT seller_id, sku FROM {scope.days} UNION "
        f"SELECT seller_id, sku FROM {scope.events})",
    )
    offers = sql.scalar(con, "SELECT count(*) FROM offers")
    return changed <= FULL_REBUILD_SHARE * max(offers, 1)
