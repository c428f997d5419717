"""One DuckDB database of the store: connections, the schema, and what every stage asks of it.

A served store is a folder of numbered DuckDB files (``engine.generations``); this module
knows one such file (or an in-memory database): how to open it, the canonical schema and
its migrations, the version row and a few facts (latest day, emptiness) the stages above
need. Nothing here imports another stage of the pipeline.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from engine import sql

CANONICAL_TABLES: tuple[str, ...] = ("offers", "orders", "feedback", "actions")
DERIVED_TABLES: tuple[str, ...] = (
    "events",
    "offer_day",
    "offer_ncx_day",
    "offer_activity",
    "deleted_health",
    "snapshot",
)
PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_STORE = PROJECT_DIR / "data" / "store"
UNCATEGORISED = "Uncategorised"  # category (and subcategory) of offers no catalogue placed yet


def store_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The store folder: ``explicit`` (``--store``), else ``$VOC_STORE``, else data/store."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("VOC_STORE")
    return Path(env) if env else DEFAULT_STORE


def connect(path: str | os.PathLike[str] | None = None, *, read_only: bool = False):
    """A DuckDB connection with UTC session time; a writable one also ensures the schema.

    ``path=None`` opens an in-memory database (used by ``report --data`` and tests).
    """
    target = ":memory:" if path is None else str(path)
    if not read_only and path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target, read_only=read_only)
    # Bounded memory: beyond the limit DuckDB spills joins, sorts and aggregates to disk
    # (next to the database file) instead of growing with the data.
    con.execute("SET memory_limit = ?", [memory_limit(read_only=read_only)])
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # the import command turns it on
    if not read_only:
        ensure_schema(con)
    return con


DEFAULT_MEMORY_LIMIT = "3GB"  # an import or a refresh
DEFAULT_READ_MEMORY_LIMIT = "1GB"  # a reader: each serving worker, a report


_SIZE = re.compile(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)


def memory_limit(*, read_only: bool = False) -> str:
    """DuckDB's memory limit per connection: ``$VOC_DUCKDB_MEMORY`` (e.g. ``2GB``, ``500MB``)
    for every connection, else DEFAULT_MEMORY_LIMIT for writers and
    DEFAULT_READ_MEMORY_LIMIT for read-only ones. A value that is not a size is reported
    on standard error once and the default is used."""
    default = DEFAULT_READ_MEMORY_LIMIT if read_only else DEFAULT_MEMORY_LIMIT
    given = os.environ.get("VOC_DUCKDB_MEMORY")
    if not given:
        return default
    if not _SIZE.fullmatch(given):
        _warn_once(
            f"VOC_DUCKDB_MEMORY={given!r} is not a size such as 2GB or 500MB; using {default}"
        )
        return default
    return given.strip()


@functools.cache
def _warn_once(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables and the version row if they are missing, and add the
    columns later versions introduced to a store made by an earlier one."""
    for statement in statements(sql.load("schema")):
        con.execute(statement)
    if sql.scalar(con, "SELECT count(*) FROM store_meta") == 0:
        con.execute("INSERT INTO store_meta VALUES (0, NULL, NULL)")


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds no offers and no orders."""
    return (
        sql.scalar(con, "SELECT (SELECT count(*) FROM offers) + (SELECT count(*) FROM orders)") == 0
    )


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the store has a table (or view) called ``name``: in the connection's own
    database or its temp catalog, not in another attached one (engine.lake.overlay)."""
    return bool(
        sql.scalar(
            con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_catalog IN (current_database(), 'temp')",
            [name],
        )
    )


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number bumped by every import that changed something; caches key on it."""
    return int(sql.scalar(con, "SELECT max(data_version) FROM store_meta"))


def origin(con: duckdb.DuckDBPyConnection) -> str | None:
    """'demo' for a store built by ``demo``, 'import' once files were imported into it."""
    return sql.scalar(con, "SELECT max(origin) FROM store_meta")


def today_utc() -> date:
    return datetime.now(UTC).date()


def latest_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The default as-of day: the latest day with an order (not cancelled, unless all are),
    never after today (UTC)."""
    day = sql.scalar(
        con,
        "SELECT coalesce(max(purchase_date) FILTER (status <> 'cancelled'), max(purchase_date))"
        "::DATE FROM orders",
    )
    return None if day is None else min(day, today_utc())


def first_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The earliest purchase day: no as-of day before it has data to show."""
    return sql.scalar(con, "SELECT min(purchase_date)::DATE FROM orders")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN … COMMIT, or ROLLBACK on any error (the error propagates)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of a table, in order."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def statements(script: str) -> list[str]:
    """Split a trusted SQL script on ';' at line ends, dropping comment-only chunks."""
    chunks = [c.strip() for c in script.split(";\n")]
    out = []
    for chunk in chunks:
        body = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--"))
        if body.strip().rstrip(";"):
            out.append(chunk.rstrip(";"))
    return out
