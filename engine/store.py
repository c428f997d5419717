"""The DuckDB store: schema, atomic imports, derived tables and connections.

One import is one transaction: files are staged and validated, new keys inserted, derived
tables rebuilt and the version bumped, or nothing changes at all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from engine import sql
from engine.importers.canonical import KEYS, stage_file

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
DEFAULT_STORE = PROJECT_DIR / "data" / "voc.duckdb"

Progress = Callable[[str], None]


def store_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The store file: ``explicit`` (``--store``), else ``$VOC_STORE``, else data/voc.duckdb."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("VOC_STORE")
    return Path(env) if env else DEFAULT_STORE


def connect(path: str | os.PathLike[str] | None = None, *, read_only: bool = False):
    """A DuckDB connection with UTC session time; a writable one also ensures the schema.

    ``path=None`` opens an in-memory store (used by ``report --data`` and tests).
    """
    target = ":memory:" if path is None else str(path)
    if not read_only and path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target, read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # the import command turns it on
    if not read_only:
        ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables and the version row if they are missing."""
    for statement in _statements(sql.load("schema")):
        con.execute(statement)
    if sql.scalar(con, "SELECT count(*) FROM store_meta") == 0:
        con.execute("INSERT INTO store_meta VALUES (0, NULL)")


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds no offers and no orders."""
    return (
        sql.scalar(con, "SELECT (SELECT count(*) FROM offers) + (SELECT count(*) FROM orders)") == 0
    )


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the store has a table called ``name``."""
    return bool(
        sql.scalar(
            con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        )
    )


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number bumped by every import; caches of derived results key on it."""
    return int(sql.scalar(con, "SELECT max(data_version) FROM store_meta"))


def latest_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest day of any order or feedback event (the default as-of day)."""
    return sql.scalar(
        con,
        "SELECT greatest((SELECT max(purchase_date) FROM orders), "
        "(SELECT max(event_date) FROM feedback))::DATE",
    )


@dataclass
class TableSummary:
    """What one import did to one table."""

    table: str
    source: str
    rows: int = 0
    added: int = 0

    @property
    def skipped(self) -> int:
        return self.rows - self.added


@dataclass
class ImportSummary:
    """The outcome of one import: per-table counts and timings."""

    tables: list[TableSummary] = field(default_factory=list)
    seconds_import: float = 0.0
    seconds_refresh: float = 0.0

    def lines(self) -> list[str]:
        out = []
        for t in self.tables:
            out.append(
                f"{t.table:<9} {t.rows:>11,} rows read from {t.source}: {t.added:,} new, "
                f"{t.skipped:,} already stored (skipped)"
            )
        out.append(
            f"imported in {self.seconds_import:.1f} s, derived tables refreshed in "
            f"{self.seconds_refresh:.1f} s"
        )
        return out


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def import_files(
    con: duckdb.DuckDBPyConnection,
    files: Mapping[str, Path],
    *,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate and add canonical files ({table: path}) in one transaction.

    Rows whose key is already stored are skipped (a re-import changes nothing). On any
    error (``InputError`` for bad input) the store is left exactly as it was.
    """
    say = progress or (lambda _msg: None)
    summary = ImportSummary()
    started = time.perf_counter()
    with _transaction(con):
        staged = []
        for table in CANONICAL_TABLES:
            if table in files:
                path = Path(files[table])
                say(f"validating {path.name} as {table}")
                staged.append(stage_file(con, path, table, encoding=encoding))
        for item in staged:
            say(f"storing {item.path.name}")
            added = _insert_new(con, item.table, item.stage)
            summary.tables.append(TableSummary(item.table, item.path.name, item.rows, added))
            con.execute(f"DROP TABLE {sql.quote_ident(item.stage)}")
        summary.seconds_import = time.perf_counter() - started
        say("refreshing derived tables")
        summary.seconds_refresh = refresh(con)
    return summary


def load_frames(
    con: duckdb.DuckDBPyConnection,
    frames: Mapping[str, pl.DataFrame],
    *,
    progress: Progress | None = None,
) -> ImportSummary:
    """Add canonical polars frames (already valid, e.g. the demo) in one transaction."""
    say = progress or (lambda _msg: None)
    summary = ImportSummary()
    started = time.perf_counter()
    with _transaction(con):
        for table in CANONICAL_TABLES:
            frame = frames.get(table)
            if frame is None:
                continue
            say(f"storing {table}")
            stage = f"stage_{table}_frame"
            con.register(stage, frame.to_arrow())
            added = _insert_new(con, table, stage)
            con.unregister(stage)
            summary.tables.append(TableSummary(table, "demo", frame.height, added))
        summary.seconds_import = time.perf_counter() - started
        say("refreshing derived tables")
        summary.seconds_refresh = refresh(con)
    return summary


def _insert_new(con: duckdb.DuckDBPyConnection, table: str, stage: str) -> int:
    """Insert the stage's rows whose key the table does not hold yet; return how many."""
    keys = ", ".join(sql.quote_ident(k) for k in KEYS[table])
    columns = ", ".join(sql.quote_ident(c) for c in _columns(con, table))
    before = sql.scalar(con, f"SELECT count(*) FROM {sql.quote_ident(table)}")
    con.execute(
        f"INSERT INTO {sql.quote_ident(table)} SELECT {columns} FROM {sql.quote_ident(stage)} AS s "
        f"ANTI JOIN {sql.quote_ident(table)} AS t USING ({keys})"
    )
    after = sql.scalar(con, f"SELECT count(*) FROM {sql.quote_ident(table)}")
    return int(after - before)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def refresh(con: duckdb.DuckDBPyConnection) -> float:
    """Rebuild the derived tables and the latest snapshot; return the seconds it took.

    Runs inside the caller's transaction when there is one.
    """
    from engine import health, themes  # late: health reads the tables built here

    started = time.perf_counter()
    themes.load_reference_tables(con)
    derived = sql.load("derived").replace("{classify}", sql.load("classify"))
    for statement in _statements(derived):
        con.execute(statement)
    con.execute("UPDATE store_meta SET data_version = data_version + 1, refreshed_at = now()")
    health.write_snapshot(con)
    return time.perf_counter() - started


def _statements(script: str) -> list[str]:
    """Split a trusted SQL script on ';' at line ends, dropping comment-only chunks."""
    chunks = [c.strip() for c in script.split(";\n")]
    out = []
    for chunk in chunks:
        body = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--"))
        if body.strip().rstrip(";"):
            out.append(chunk.rstrip(";"))
    return out
