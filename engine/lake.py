"""A lake folder: the store's canonical tables as Parquet, and the derived tables that an
engine (DuckDB here, Spark in engine.spark_derive) computes from them (docs/spark.md).

    DIR/<table>/part-0.parquet          offers, orders, feedback, actions, benchmark,
                                        reason_map, theme_lexicon   (``export``)
    DIR/derived/<table>/*.parquet       events, offer_day, offer_ncx_day, offer_activity
                                        (``derive_duckdb``, engine.spark_derive.derive)

One folder per table, so Spark's many part files and DuckDB's one read the same way
(``DIR/derived/<table>/*.parquet``). A derivation writes into a temporary folder beside
``derived/`` and replaces it only when every table is written, so a failed run leaves the
previous result. Paths reach DuckDB through its Python API (``read_parquet``,
``write_parquet``), never spliced into SQL.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from engine import derive, sql, store, themes

# The canonical tables (engine/sql/schema.sql; benchmark is read by health, not derive)
# and the reference tables the derivation joins (engine.themes.load_reference_tables).
LAKE_TABLES: tuple[str, ...] = (*store.CANONICAL_TABLES, "benchmark")
REFERENCE_TABLES: tuple[str, ...] = ("reason_map", "theme_lexicon")
DERIVED_DIR = "derived"
Progress = Callable[[str], None]


class LakeError(Exception):
    """A lake folder that cannot be written or read; the message says which and why."""


def table_dir(lake: Path, table: str) -> Path:
    return lake / table


def derived_dir(lake: Path, table: str) -> Path:
    return lake / DERIVED_DIR / table


def parquet_glob(folder: Path) -> str:
    return str(folder / "*.parquet")


def export(con: duckdb.DuckDBPyConnection, lake: Path, progress: Progress | None = None) -> dict:
    """Write the store's canonical and reference tables as Parquet under ``lake``
    (created if missing; each table's folder replaced). Returns {table: rows}.

    The reference tables are written from the code's lexicon and reason codes
    (``themes.load_reference_tables`` on a scratch connection), which is what a refresh
    would store. LakeError when ``lake`` is not a folder that can be written.
    """
    say = progress or (lambda _m: None)
    _writable(lake)
    scratch = duckdb.connect()
    themes.load_reference_tables(scratch)
    counts: dict[str, int] = {}
    try:
        for name, source in [
            *((t, con) for t in LAKE_TABLES),
            *((t, scratch) for t in REFERENCE_TABLES),
        ]:
            if not store.has_table(source, name):
                continue
            folder = table_dir(lake, name)
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            relation = source.table(name)
            relation.write_parquet(str(folder / "part-0.parquet"))
            counts[name] = relation.shape[0]
            say(f"{name}: {counts[name]:,} rows")
    finally:
        scratch.close()
    return counts


def _writable(lake: Path) -> None:
    if lake.exists() and not lake.is_dir():
        raise LakeError(f"{lake} is a file, not a folder")
    try:
        lake.mkdir(parents=True, exist_ok=True)
        probe = lake / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise LakeError(f"cannot write to {lake}: {err.strerror or err}") from None


def check_lake(lake: Path) -> None:
    """LakeError unless ``lake`` holds the exported tables the derivation reads."""
    if not lake.is_dir():
        raise LakeError(
            f"{lake} is not a folder: write one with `python app.py export --lake {lake}`"
        )
    missing = [
        t
        for t in (*derive_inputs(), *REFERENCE_TABLES)
        if not list(table_dir(lake, t).glob("*.parquet"))
    ]
    if missing:
        raise LakeError(
            f"{lake} has no Parquet for {', '.join(missing)}: write it with "
            f"`python app.py export --lake {lake}`"
        )


def derive_inputs() -> tuple[str, ...]:
    """The canonical tables the derived SQL reads."""
    return ("offers", "orders", "feedback")


def check_derived(lake: Path) -> None:
    """LakeError unless ``lake/derived`` holds every table of derive.DERIVED_SQL."""
    missing = [t for t in derive.DERIVED_SQL if not list(derived_dir(lake, t).glob("*.parquet"))]
    if missing:
        raise LakeError(
            f"{lake / DERIVED_DIR} has no Parquet for {', '.join(missing)}: compute them with "
            f"`python app.py derive --lake {lake}`"
        )


def staging_dir(lake: Path, engine: str) -> Path:
    """Where a derivation writes before its result replaces ``lake/derived``."""
    folder = lake / f".{DERIVED_DIR}-{engine}-partial"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def publish(lake: Path, staged: Path) -> None:
    """Make ``staged`` the lake's ``derived`` folder (the old one removed)."""
    target = lake / DERIVED_DIR
    if target.exists():
        old = lake / f".{DERIVED_DIR}-old"
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
        staged.rename(target)
        shutil.rmtree(old)
    else:
        staged.rename(target)


def derive_duckdb(lake: Path, progress: Progress | None = None) -> dict[str, float]:
    """Compute the derived tables of derive.DERIVED_SQL from the lake's Parquet on DuckDB
    (the reference engine: the project's SQL exactly as ``refresh`` runs it) and write
    them under ``lake/derived``. Returns {table: seconds}.

    The reference tables come from the lake; classify.sql's guard fails loudly when the
    lake's theme_lexicon is not the code's lexicon.
    """
    say = progress or (lambda _m: None)
    check_lake(lake)
    con = duckdb.connect()
    timings: dict[str, float] = {}
    try:
        con.execute("SET memory_limit = ?", [store.memory_limit()])
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        for t in (*derive_inputs(), *REFERENCE_TABLES):
            con.read_parquet(parquet_glob(table_dir(lake, t))).create_view(t)
        con.execute(
            f"SET VARIABLE {themes.PATTERNS_VARIABLE} = "
            "(SELECT list(pattern ORDER BY priority) FROM theme_lexicon)"
        )
        con.execute(
            f"SET VARIABLE {themes.NEGATION_VARIABLE} = CAST(? AS VARCHAR)",
            [themes.LEXICON.negation_pattern],
        )
        staged = staging_dir(lake, "duckdb")
        for table in derive.DERIVED_SQL:
            started = time.perf_counter()
            con.execute(f"CREATE TABLE {table} AS {derive.select_sql(table, None)}")
            folder = staged / table
            folder.mkdir()
            con.table(table).write_parquet(str(folder / "part-0.parquet"))
            timings[table] = time.perf_counter() - started
            say(f"{table}: {timings[table]:.1f} s")
        publish(lake, staged)
    finally:
        con.close()
    return timings


def _path_literal(path: str) -> str:
    """A file path as a DuckDB string literal (a view's text cannot take a parameter)."""
    return "'" + path.replace("'", "''") + "'"


def overlay(store_file: Path, lake_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection where the store's tables are views over its file
    (attached read-only) except the derived ones: events, offer_day, offer_ncx_day and
    offer_activity are views over ``lake_dir/derived``, and the snapshot and
    deleted_health are computed again from them (engine.health.write_snapshot), so every
    health the report or the page shows comes from the lake's derived tables. The
    canonical tables (and store_meta) still come from the store. LakeError when the lake
    has no derived tables."""
    from engine import health

    check_derived(lake_dir)
    con = duckdb.connect()
    con.execute("SET memory_limit = ?", [store.memory_limit(read_only=True)])
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH {_path_literal(str(store_file))} AS voc_store (READ_ONLY)")
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'voc_store' "
            "AND table_schema = 'main'"
        ).fetchall()
    ]
    for table in tables:
        if table not in store.DERIVED_TABLES:
            con.execute(f"CREATE VIEW {sql.quote_ident(table)} AS "
                        f"SELECT * FROM voc_store.main.{sql.quote_ident(table)}")  # fmt: skip
    for table in derive.DERIVED_SQL:
        glob = _path_literal(parquet_glob(derived_dir(lake_dir, table)))
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet({glob})")
    health.write_snapshot(con)
    return con
