"""The demo marketplace built into a store with bounded memory, at any scale.

``build(root, scale=..., seed=...)`` makes the same store as
``pipeline.build_store(root, demo.generate(scale, seed))`` (every canonical and derived
table equal, row for row) without ever holding the order lines or feedback in Python:

1. ``demo.stream`` generates the data one chunk of whole sellers at a time; each chunk's
   order lines and feedback are written to Parquet files (``orders-NNNNN.parquet``,
   ``feedback-NNNNN.parquet``, NNNNN = the chunk number) in a scratch folder inside the
   store folder, and dropped. Python holds about one chunk (~4,000 offers, ~450,000 order
   lines at scale 100).
2. DuckDB reads the files through TEMP views (``pipeline.Stage``); the feedback ids are
   given there: chunk ``c``'s events are numbered after those of chunks ``0 .. c-1``, in
   file order, exactly as ``demo.generate`` numbers the concatenation.
3. ``pipeline.load_stages`` merges them and refreshes the derived tables inside DuckDB,
   under ``store.memory_limit()`` and spilling to disk beyond it.

Progress ("generated 120,000 of 500,000 offers …") is reported per chunk.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from engine import demo, pipeline, store
from engine.generations import Store
from engine.importers.canonical import TABLE_COLUMNS
from engine.importers.staging import quote_ident

Progress = Callable[[str], None]
_CHUNKS = "demo_chunk_rows"  # TEMP table: (chunk, first_row) of the feedback numbering


@dataclass
class Written:
    """What ``write_chunks`` wrote: the folder, the chunk numbers, rows per chunk."""

    folder: Path
    orders: dict[int, int]  # chunk number -> order lines
    feedback: dict[int, int]  # chunk number -> feedback events
    offers: int = 0
    seconds: float = 0.0

    def files(self, table: str) -> list[Path]:
        """The table's files in chunk-number order (the order of ``demo.generate``)."""
        return [self.folder / f"{table}-{c:05d}.parquet" for c in sorted(self.orders)]


@dataclass(frozen=True)
class Built:
    """A demo store built: the import's summary and what was generated."""

    summary: pipeline.ImportSummary
    written: Written


def write_chunks(
    source: demo.DemoStream, folder: Path, progress: Progress | None = None
) -> Written:
    """Generate every chunk of ``source`` and write its order lines and feedback (without
    ids) as Parquet into ``folder``; report progress after each chunk."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    out = Written(folder, {}, {})
    lines = events = 0
    for chunk in source.chunks():
        chunk.orders.write_parquet(folder / f"orders-{chunk.number:05d}.parquet")
        chunk.feedback.write_parquet(folder / f"feedback-{chunk.number:05d}.parquet")
        out.orders[chunk.number] = chunk.orders.height
        out.feedback[chunk.number] = chunk.feedback.height
        out.offers += chunk.offers
        lines += chunk.orders.height
        events += chunk.feedback.height
        say(
            f"generated {out.offers:,} of {source.n_offers:,} offers "
            f"({lines:,} order lines, {events:,} feedback events, "
            f"{time.perf_counter() - started:.0f} s)"
        )
    out.seconds = time.perf_counter() - started
    return out


def _literal(path: Path) -> str:
    """A file path as an SQL string literal (a view cannot take bound parameters; the
    paths are the scratch folder's own)."""
    return "'" + str(path).replace("'", "''") + "'"


def stage_chunks(con: duckdb.DuckDBPyConnection, written: Written) -> dict[str, pipeline.Stage]:
    """TEMP views over the written files: ``stage_orders_parquet`` and
    ``stage_feedback_parquet`` (with its ids), each with every column of its table plus
    ``_row``, the row's 0-based number in ``demo.generate``'s frame."""
    columns = {t: list(TABLE_COLUMNS[t]) for t in ("orders", "feedback")}
    first = {}
    for table in ("orders", "feedback"):
        counts = getattr(written, table)
        total = 0
        for c in sorted(counts):
            first[table, c] = total
            total += counts[c]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_CHUNKS} "
        "(tbl VARCHAR, chunk INTEGER, first_row BIGINT, file VARCHAR)"
    )
    con.executemany(
        f"INSERT INTO {_CHUNKS} VALUES (?, ?, ?, ?)",
        [
            [table, c, row, str(written.folder / f"{table}-{c:05d}.parquet")]
            for (table, c), row in first.items()
        ],
    )
    stages = {}
    for table in ("orders", "feedback"):
        files = ", ".join(_literal(p) for p in written.files(table))
        row = "c.first_row + f.file_row_number"
        cols = [
            demo.feedback_id_sql(row) + " AS feedback_id"
            if col == "feedback_id"
            else f"f.{quote_ident(col)}"
            for col in columns[table]
        ]
        name = f"stage_{table}_parquet"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(cols)}, {row} AS _row "
            f"FROM read_parquet([{files}], filename = true, file_row_number = true) AS f "
            f"JOIN {_CHUNKS} AS c ON c.tbl = '{table}' AND c.file = f.filename"
        )
        stages[table] = pipeline.Stage(name, sum(getattr(written, table).values()), "_row")
    return stages


_SCRATCH_PREFIX = "demo-chunks-"  # the Parquet parts' folder inside the store folder


def build(
    root: Path,
    *,
    scale: float = 1.0,
    seed: int = 7,
    end: date = demo.DEMO_END,
    force: bool = False,
    progress: Progress | None = None,
    chunk_offers: int = demo._CHUNK_OFFERS,
) -> Built:
    """Replace the store's data with the demo marketplace (a new generation from scratch),
    streamed (module docstring). Refuses (StoreError) to replace imported data unless
    ``force``; ``chunk_offers``: see ``demo.stream`` (tests)."""
    say = progress or (lambda _msg: None)
    pipeline.refuse_imported(root, force)
    source = demo.stream(scale, seed, end, chunk_offers=chunk_offers)
    with Store(root).write(fresh=True) as writing:
        # A build that was killed left its scratch folder behind; under the writer's lock
        # no other build is using one, so they all go.
        for stale in writing.path.parent.glob(f"{_SCRATCH_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX, dir=writing.path.parent))
        try:
            written = write_chunks(source, folder, say)
            con = writing.con
            with store.transaction(con):
                say("storing offers and actions")
                stages = {}
                for table in ("offers", "actions"):
                    frame = getattr(source, table)
                    stage = f"stage_{table}_frame"
                    con.register(f"{stage}_arrow", frame.to_arrow())
                    con.execute(f"CREATE TEMP TABLE {stage} AS SELECT * FROM {stage}_arrow")
                    con.unregister(f"{stage}_arrow")
                    stages[table] = pipeline.Stage(stage, frame.height)
                stages.update(stage_chunks(con, written))
                # Nothing of the generation is needed from here: DuckDB holds the offers
                # and actions, the files the rest.
                del source, frame
                gc.collect()
                ordered = {t: stages[t] for t in store.CANONICAL_TABLES}
                summary = pipeline.load_stages(con, ordered, origin="demo", progress=say)
                con.execute(f"DROP TABLE {_CHUNKS}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        summary.generation = writing.number
    return Built(summary, written)
