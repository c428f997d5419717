"""The orchestration, above every stage: import -> merge -> derive -> snapshot.

    files --detect/stage--> parts --merge--> canonical tables --derive--> events, rollups
          --health--> deleted_health, snapshot

``import_files`` runs one import on one DuckDB connection, in one transaction: either
every file is staged, merged and derived and the version bumped, or nothing changes (an
``InputError`` names file, row and column). ``import_into_store`` does that on a private
copy of a store folder's live generation and makes it live (engine.generations), so an
import never disturbs the readers of a served store. Re-importing identical data changes
nothing, not even the version.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from engine import derive, health, sql, store
from engine.generations import Store, StoreError
from engine.importers import merge as merging
from engine.importers.canonical import TABLE_COLUMNS
from engine.importers.detect import InputFile, StagedInput, stage_input
from engine.importers.staging import StagedFile, drop

Progress = Callable[[str], None]
DEFAULT_SELLER = "me"
_TABLE_WORDS = {
    "offers": "offers",
    "catalogue": "offers (catalogue)",
    "report_offers": "offers (from orders)",
    "orders": "orders",
    "feedback": "feedback",
    "actions": "actions",
    "benchmark": "benchmark",
}


@dataclass
class ImportSummary:
    """The outcome of one import: per file, per table, warnings and timings."""

    files: list[StagedInput] = field(default_factory=list)
    merged: merging.MergeResult = field(default_factory=merging.MergeResult)
    uncategorised: int = 0
    generation: int | None = None
    seconds_import: float = 0.0
    seconds_refresh: float = 0.0

    @property
    def changed(self) -> bool:
        return self.merged.changed

    def lines(self) -> list[str]:
        out = []
        for f in self.files:
            notes = f" ({'; '.join(f.notes)})" if f.notes else ""
            out.append(f"{f.file}: {f.label}, {f.rows:,} rows{notes}")
        for key, c in self.merged.counts.items():
            older = f", {c.older:,} older than the stored version (kept)" if c.older else ""
            out.append(
                f"  {_TABLE_WORDS.get(key, key):<20} {c.records:>10,}: {c.added:,} new, "
                f"{c.updated:,} updated, {c.unchanged:,} unchanged{older}"
            )
        for w in self.merged.warnings:
            out.append(f"warning: {w}")
        if self.uncategorised:
            n = self.uncategorised
            them = "them" if n != 1 else "it"
            out.append(
                f"note: {n:,} offer{'s' if n != 1 else ''} without a category (Uncategorised): "
                f"import a catalogue (--catalogue FILE) to compare {them} with similar offers"
            )
        if not self.changed:
            out.append("nothing changed: the store already holds this data")
        else:
            where = f"; the store is now at version {self.generation}" if self.generation else ""
            out.append(
                f"imported in {self.seconds_import:.1f} s, derived tables refreshed in "
                f"{self.seconds_refresh:.1f} s{where}"
            )
        return out

    def as_dict(self) -> dict:
        """Plain data for the page (and JSON)."""
        return {
            "files": [
                {"file": f.file, "type": f.label, "rows": f.rows, "notes": f.notes}
                for f in self.files
            ],
            "tables": [
                {
                    "table": _TABLE_WORDS.get(k, k),
                    "records": c.records,
                    "added": c.added,
                    "updated": c.updated,
                    "unchanged": c.unchanged,
                    "older": c.older,
                }
                for k, c in self.merged.counts.items()
            ],
            "warnings": [str(w) for w in self.merged.warnings],
            "uncategorised": self.uncategorised,
            "changed": self.changed,
            "lines": self.lines(),
        }


def import_files(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[InputFile] | Mapping[str, Path],
    *,
    seller: str = DEFAULT_SELLER,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Stage, merge and derive ``files`` in one transaction (see the module docstring).

    ``files``: InputFile items, or a mapping {kind: path} (the ``--offers``-style flags).
    ``seller``: the seller id of Amazon reports and of files without a seller_id column.
    Raises InputError (the store unchanged) for bad input.
    """
    say = progress or (lambda _msg: None)
    items = (
        [InputFile(Path(p), k) for k, p in files.items()]
        if isinstance(files, Mapping)
        else list(files)
    )
    summary = ImportSummary()
    started = time.perf_counter()
    with store.transaction(con):
        for item in items:
            say(f"reading {Path(item.path).name}")
            summary.files.append(stage_input(con, item, seller=seller, encoding=encoding))
        say("merging into the store")
        parts = [p for f in summary.files for p in f.parts]
        summary.merged = merging.merge(con, parts)
        for p in parts:
            drop(con, p.stage)
        summary.seconds_import = time.perf_counter() - started
        if summary.changed:
            say("refreshing derived tables")
            summary.seconds_refresh = refresh(con, summary.merged, origin="import")
        summary.uncategorised = int(  # of the seller the reports were imported for
            sql.scalar(
                con,
                "SELECT count(*) FROM offers WHERE category = ? AND seller_id = ?",
                [store.UNCATEGORISED, seller],
            )
        )
    return summary


def load_frames(
    con: duckdb.DuckDBPyConnection,
    frames: Mapping[str, pl.DataFrame],
    *,
    origin: str = "demo",
    progress: Progress | None = None,
) -> ImportSummary:
    """Add canonical polars frames (already valid, e.g. the demo) in one transaction."""
    say = progress or (lambda _msg: None)
    with store.transaction(con):
        stages: dict[str, Stage] = {}
        for table in store.CANONICAL_TABLES:
            frame = frames.get(table)
            if frame is None:
                continue
            say(f"storing {table}")
            stage = f"stage_{table}_frame"
            con.register(f"{stage}_arrow", frame.to_arrow())
            con.execute(f"CREATE TEMP TABLE {stage} AS SELECT * FROM {stage}_arrow")
            con.unregister(f"{stage}_arrow")
            for c, spec in TABLE_COLUMNS[table].items():  # optional columns
                if c not in frame.columns:
                    con.execute(f'ALTER TABLE {stage} ADD COLUMN "{c}" {spec.type}')
            stages[table] = Stage(stage, frame.height)
        return load_stages(con, stages, origin=origin, progress=progress)


@dataclass(frozen=True)
class Stage:
    """Canonical rows of one table, already valid, staged in DuckDB: the TEMP table or
    view ``name`` (every column of the table, in any order, and maybe more), ``rows``
    rows, numbered by the column ``rowid`` (a table's own ``rowid`` by default; a view
    needs a column of its own)."""

    name: str
    rows: int
    rowid: str = "rowid"


def load_stages(
    con: duckdb.DuckDBPyConnection,
    stages: Mapping[str, Stage],
    *,
    origin: str = "demo",
    progress: Progress | None = None,
) -> ImportSummary:
    """Merge staged canonical rows ({table: Stage}) into the store and refresh the derived
    tables, in the caller's transaction; the stages are dropped. DuckDB reads them
    where they are (e.g. a view over Parquet files), so nothing passes through Python."""
    say = progress or (lambda _msg: None)
    summary = ImportSummary()
    started = time.perf_counter()
    parts = [
        merging.Part(table, s.name, StagedFile(Path(table), s.name, s.rows, 0, 1), s.rowid)
        for table, s in stages.items()
    ]
    say("merging into the store")
    summary.merged = merging.merge(con, parts)
    for p in parts:
        drop(con, p.stage)
    summary.seconds_import = time.perf_counter() - started
    say(f"merged in {summary.seconds_import:.0f} s; refreshing derived tables")
    summary.seconds_refresh = refresh(con, summary.merged, origin=origin, progress=say)
    return summary


def refresh(
    con: duckdb.DuckDBPyConnection,
    changes: merging.MergeResult | None = None,
    *,
    origin: str | None = None,
    progress: Progress | None = None,
) -> float:
    """Derive the tables again after ``changes`` (everything when None), bump the version
    and store the snapshot; return the seconds it took. Runs inside the caller's
    transaction when there is one."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    say("deriving events and rollups")
    scoped = changes is not None and not changes.first_load
    derive.rebuild(
        con, derive.Scope(merging.CHANGED_DAYS, merging.CHANGED_EVENTS) if scoped else None
    )
    con.execute(
        "UPDATE store_meta SET data_version = data_version + 1, refreshed_at = now(), "
        "origin = coalesce(?, origin)",
        [origin],
    )
    since = None
    if scoped and not changes.offers_changed:
        # nothing changed before min_day: deleted listings evaluated earlier keep their rows
        since = changes.min_day or date.max
    say(f"derived in {time.perf_counter() - started:.0f} s; health of every offer, the snapshot")
    health.write_snapshot(con, deleted_since=since)
    return time.perf_counter() - started


def import_into_store(
    root: Path,
    files: Sequence[InputFile] | Mapping[str, Path],
    *,
    seller: str = DEFAULT_SELLER,
    encoding: str | None = None,
    progress: Progress | None = None,
    wait: bool = True,
) -> ImportSummary:
    """``import_files`` on a private copy of the store's live generation, made live when
    something changed (engine.generations). Another running import: wait for it (saying so
    through ``progress``), or raise StoreError when ``wait`` is False."""
    target = Store(root)
    with target.write(wait=wait, waiting=progress) as writing:
        summary = import_files(
            writing.con, files, seller=seller, encoding=encoding, progress=progress
        )
        writing.publish = summary.changed
        if summary.changed:
            summary.generation = writing.number
            if progress:
                progress("making the new data live")
    return summary


def refuse_imported(root: Path, force: bool = False) -> None:
    """StoreError when the store holds imported data (and not ``force``): the demo must
    not replace a seller's own data by accident."""
    target = Store(root)
    if force or not target.exists():
        return
    _, con = target.connect()
    try:
        held = store.origin(con)
    finally:
        con.close()
    if held == "import":
        raise StoreError(
            f"the store {root} holds imported data, which the demo would replace. "
            "Use --force to replace it anyway, or --store to build the demo elsewhere."
        )


def build_store(
    root: Path, frames: Mapping[str, pl.DataFrame], *, origin: str = "demo", force: bool = False
) -> ImportSummary:
    """Replace the store's data with ``frames`` (a new generation from scratch).

    Refuses (StoreError) to replace imported data unless ``force``."""
    refuse_imported(root, force)
    with Store(root).write(fresh=True) as writing:
        summary = load_frames(writing.con, frames, origin=origin)
        summary.generation = writing.number
    return summary
