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

import duckdb

from engine import sql, store, themes

# In dependency order: offer_ncx_day reads events, offer_activity reads offer_day and events.
DERIVED_SQL: tuple[str, ...] = ("events", "offer_day", "offer_ncx_day", "offer_activity")
# Above this share of all offers a scoped rebuild is no cheaper than a full one.
FULL_REBUILD_SHARE = 0.3
_SCOPE = re.compile(r"\{in_scope:(\w+)\}")


def select_sql(table: str, scope: str | None) -> str:
    """The SELECT deriving ``table``, for every offer (``scope`` None) or for the offers
    listed in the TEMP table ``scope`` (columns seller_id, sku; a trusted name)."""

    def fill(m: re.Match) -> str:
        if scope is None:
            return "TRUE"
        alias = m.group(1)
        return f"({alias}.seller_id, {alias}.sku) IN (SELECT seller_id, sku FROM {scope})"

    text = sql.load(f"derived/{table}")
    if "{classify}" in text:
        text = text.replace("{classify}", themes.classify_sql("fb"))
    return _SCOPE.sub(fill, text)


def rebuild(con: duckdb.DuckDBPyConnection, scope: str | None = None) -> float:
    """Derive the tables of DERIVED_SQL again; return the seconds it took.

    ``scope``: a TEMP table of (seller_id, sku) whose rows are replaced, the other offers'
    rows kept; None (or a scope holding most offers, or a store without derived tables
    yet) rebuilds everything. Runs inside the caller's transaction when there is one.
    """
    started = time.perf_counter()
    themes.load_reference_tables(con)
    if scope is not None and not _scope_pays(con, scope):
        scope = None
    for table in DERIVED_SQL:
        select = select_sql(table, scope)
        if scope is None:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS {select}")
        else:
            con.execute(
                f"DELETE FROM {table} WHERE (seller_id, sku) IN (SELECT seller_id, sku FROM {scope})"
            )
            con.execute(f"INSERT INTO {table} {select}")
    return time.perf_counter() - started


def _scope_pays(con: duckdb.DuckDBPyConnection, scope: str) -> bool:
    if not all(store.has_table(con, t) for t in DERIVED_SQL):
        return False
    changed = sql.scalar(con, f"SELECT count(*) FROM {scope}")
    offers = sql.scalar(con, "SELECT count(*) FROM offers")
    return changed <= FULL_REBUILD_SHARE * max(offers, 1)
