"""What the command line does (``python app.py import|report|demo``), without any UI."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from engine import pipeline, sql, store
from engine.generations import Store, StoreError
from engine.importers.detect import InputFile
from engine.importers.errors import InputError
from engine.report import events_frame, ncx_order_frame, report_frame, write_report

DATA_EXTENSIONS = (".csv", ".tsv", ".txt", ".gz", ".parquet")


class _Steps:
    """Progress over the named steps of a long job, on stderr: one updating line on a
    terminal, a line per step otherwise (logs, pipes)."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.bar = (
            tqdm(desc=desc, file=sys.stderr, leave=False, bar_format="{desc} [{elapsed}]")
            if sys.stderr.isatty()
            else None
        )

    def __call__(self, message: str) -> None:
        if self.bar is None:
            print(f"{self.desc}: {message}", file=sys.stderr, flush=True)
            return
        if "waiting" in message:  # another import holds the lock: say it on its own line
            tqdm.write(message, file=sys.stderr)
        self.bar.set_description_str(f"{self.desc}: {message}")
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_import(
    store_root: Path,
    files: Sequence[InputFile],
    *,
    seller: str = pipeline.DEFAULT_SELLER,
    encoding: str | None = None,
    wait: bool = True,
    out: TextIO = sys.stdout,
) -> int:
    """Import files into the store; print a summary. Exit code 0, or 2 on bad input."""
    steps = _Steps("import")
    try:
        summary = pipeline.import_into_store(
            store_root, files, seller=seller, encoding=encoding, progress=steps, wait=wait
        )
    except InputError as err:
        steps.close()
        print(f"import failed, the store is unchanged:\n{err}", file=sys.stderr)
        return 2
    except StoreError as err:
        steps.close()
        print(f"import not started: {err}", file=sys.stderr)
        return 2
    steps.close()
    for line in summary.lines():
        print(line, file=out)
    return 0


def build_demo(
    store_root: Path,
    *,
    scale: float = 1.0,
    seed: int = 7,
    force: bool = False,
    out: TextIO = sys.stderr,
) -> int:
    """Replace the store with the deterministic demo marketplace (refused over imported
    data unless ``force``). Exit code 0, or 2 when refused."""
    from engine import demo_store

    started = time.perf_counter()
    try:
        pipeline.refuse_imported(store_root, force)
    except StoreError as err:
        print(f"demo not built: {err}", file=out)
        return 2
    print(
        f"building the demo marketplace (scale {scale:g}, seed {seed}) in {store_root} …", file=out
    )
    steps = _Steps("demo")
    try:
        built = demo_store.build(store_root, scale=scale, seed=seed, force=force, progress=steps)
    finally:
        steps.close()
    for line in built.summary.lines():
        print(line, file=out)
    print(
        f"demo generated in {built.written.seconds:.1f} s, "
        f"ready in {time.perf_counter() - started:.1f} s",
        file=out,
    )
    return 0


def write_demo_reports(directory: Path, *, seed: int = 7, out: TextIO = sys.stderr) -> int:
    """Write the featured demo seller's data as Seller Central report files."""
    from engine import demo
    from engine.demo_reports import write_amazon_reports

    data = demo.generate(scale=1.0, seed=seed)
    paths = write_amazon_reports(data, directory)
    for p in paths:
        print(f"wrote {p}", file=out)
    print(
        "import them with:  python app.py --store data/my-store import "
        f"{directory}/*   (then: python app.py --store data/my-store serve)",
        file=out,
    )
    return 0


def ensure_store(store_root: Path, *, out: TextIO = sys.stderr) -> None:
    """Build the demo when the store holds no data yet (first start); rebuild the derived
    tables, as a new generation, when an older version made them."""
    target = Store(store_root)
    if not target.exists():
        build_demo(store_root, out=out)
        return
    _, con = target.connect()
    try:
        missing = not all(store.has_table(con, t) for t in store.DERIVED_TABLES)
    finally:
        con.close()
    if missing:
        print("refreshing derived tables made by an older version …", file=out)
        with target.write() as writing:
            store.ensure_schema(writing.con)
            with store.transaction(writing.con):
                pipeline.refresh(writing.con)


def data_files(directory: Path) -> list[InputFile]:
    """Every data file in a folder (recognised by type when imported)."""
    return [
        InputFile(p)
        for p in sorted(directory.iterdir())
        if p.is_file() and p.name.lower().endswith(DATA_EXTENSIONS)
    ]


class _Refused(Exception):
    """A report the options cannot give; its message is said on stderr (exit status 2)."""


def _open_report_store(
    store_root: Path | None, data_dir: Path | None, derived_dir: Path | None = None
):
    """(generation, connection) the report reads: the store's live generation, or a
    temporary in-memory store holding the files of ``data_dir`` (generation None), or
    with ``derived_dir`` the store's canonical tables beside the derived tables of that
    lake (engine.lake.overlay). _Refused when there is nothing to read."""
    if derived_dir is not None and store_root is not None:
        from engine import lake

        target = Store(store_root)
        live = target.live()
        if live is None:
            raise _Refused(f"the store {store_root} holds no data yet: run `python app.py "
                           "demo` or `import` first")  # fmt: skip
        try:
            return target.generation(), lake.overlay(live, derived_dir)
        except lake.LakeError as err:
            raise _Refused(f"--derived: {err}") from None
    if data_dir is not None:
        files = data_files(data_dir) if data_dir.is_dir() else []
        if not files:
            raise _Refused(f"no data files (.csv, .tsv, .txt, .gz, .parquet) in {data_dir}")
        con = store.connect(None)
        try:
            pipeline.import_files(con, files)
        except InputError as err:
            con.close()
            raise _Refused(f"cannot read {data_dir}:\n{err}") from None
        return None, con
    assert store_root is not None
    try:
        return Store(store_root).connect()
    except StoreError as err:
        raise _Refused(f"{err}: run `python app.py demo` or `import` first") from None


def run_report(
    store_root: Path | None,
    *,
    as_of: date | None,
    window_days: int,
    seller_id: str | None,
    category: str | None,
    data_dir: Path | None,
    fmt: str,
    out: TextIO = sys.stdout,
    actions: bool = False,
    at_risk: bool = False,
    events: bool = False,
    ncx_orders: bool = False,
    sku: str | None = None,
    derived_dir: Path | None = None,
) -> int:
    """Print the per-offer report, or in one of the exclusive modes: ``actions`` one row
    per seller action; ``at_risk`` only the offers at risk, with their
    ``at_risk_reason``; ``events`` one row per feedback event in the window;
    ``ncx_orders`` one row per event of each NCX order of the offer (``seller_id``,
    ``sku``). ``data_dir`` imports its files into a temporary store. Exit status 0, or 2
    (said on stderr) when the store or the options cannot answer."""
    try:
        generation, con = _open_report_store(store_root, data_dir, derived_dir)
    except _Refused as err:
        print(err, file=sys.stderr)
        return 2
    options = dict(as_of=as_of, window_days=window_days, seller_id=seller_id, category=category)
    try:
        problem = _report_problem(con, as_of=as_of, seller_id=seller_id, category=category)
        if problem:
            print(problem, file=sys.stderr)
            return 2
        if actions:
            frame = _actions_frame(con, store_root if data_dir is None else None, generation,
                                   **options)  # fmt: skip
        elif events:
            frame = events_frame(con, **options)
        elif ncx_orders:
            assert seller_id is not None and sku is not None
            frame = ncx_order_frame(con, seller_id, sku, as_of=as_of, window_days=window_days)
            if frame is None:
                print(f"--sku {sku!r} is not an offer of seller {seller_id!r} in the data"
                      + (f" on {as_of}" if as_of else ""), file=sys.stderr)  # fmt: skip
                return 2
        else:
            frame = report_frame(con, **options, at_risk=at_risk)
    finally:
        con.close()
    if at_risk and frame.is_empty():
        print("no offers at risk", file=sys.stderr)  # the header (CSV) or [] still printed
    if ncx_orders and frame.is_empty():
        print(f"no NCX orders of {sku!r} in the window", file=sys.stderr)
    try:
        write_report(frame, out, fmt)
        out.flush()
    except BrokenPipeError:  # `report | head`: the reader has what it wanted
        _quiet_stdout()
    return 0


def _report_problem(
    con, *, as_of: date | None, seller_id: str | None, category: str | None
) -> str | None:
    """Why the report cannot answer, or None: an as-of day before any data, a seller or a
    category the store does not hold (an empty report would look like "all is well")."""
    first = store.first_day(con)
    if as_of is not None and first is not None and as_of < first:
        return f"--as-of {as_of} is before the first order day in the data ({first})"
    if seller_id is not None:
        known = sql.scalar(con, "SELECT count(*) FROM offers WHERE seller_id = ?", [seller_id])
        if not known:
            return f"--seller {seller_id!r} has no offers in the data"
    if category is not None:
        cats = [
            r[0] for r in con.execute("SELECT DISTINCT category FROM offers ORDER BY 1").fetchall()
        ]
        if category not in cats:
            return f"--category {category!r} is not in the data (categories: {', '.join(cats)})"
    return None


def _quiet_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the exit flush does not fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# --- seller actions (engine/actions.py, engine/app_state.py) ----------------------------


def _actions_frame(con, store_root: Path | None, generation: int | None, **options):
    """``report --actions``: the store's application state, or for a temporary store
    (``--data``) one in memory holding the actions of its files."""
    from engine.actions import actions_report, synced
    from engine.app_state import AppState

    state = AppState.memory() if store_root is None else AppState.beside(store_root)
    return actions_report(con, synced(state, con, generation or "data"), **options)


def run_action(
    store_root: Path,
    command: str,
    *,
    seller_id: str | None = None,
    sku: str | None = None,
    day: date | None = None,
    kind: str | None = None,
    note: str | None = None,
    action_id: int | None = None,
    fmt: str = "csv",
    out: TextIO | None = None,
) -> int:
    """``action add|list|remove``. Exit code 0, 2 for bad input (said on stderr), 1 when
    ``remove`` finds no such recorded action."""
    from engine.actions import check_action, synced
    from engine.app_state import ActionError, AppState

    out = out or sys.stdout
    try:
        generation, con = Store(store_root).connect()
    except StoreError as err:
        print(f"{err}: run `python app.py demo` or `import` first", file=sys.stderr)
        return 2
    try:
        state = synced(AppState.beside(store_root), con, generation)
        if command == "add":
            assert seller_id is not None and sku is not None
            try:
                kind, note = check_action(con, seller_id, sku, day, kind or "", note)
                new = state.add_action(
                    seller_id, sku, day, kind, note, source="cli",  # type: ignore[arg-type]
                    created_by=f"cli:{os.environ.get('USER', '')}",
                )  # fmt: skip
            except ActionError as err:
                print(f"action not recorded: {err}", file=sys.stderr)
                return 2
            print(f"recorded action {new}: {seller_id} {sku} {day} {kind}", file=out)
            return 0
        if command == "remove":
            if not state.remove_action(int(action_id or 0)):
                print(
                    f"no recorded action {action_id} (actions that came with the data are "
                    "removed by importing the data without them)",
                    file=sys.stderr,
                )
                return 1
            print(f"removed action {action_id}", file=out)
            return 0
        frame = state.actions(seller_id=seller_id, sku=sku)
    finally:
        con.close()
    try:
        write_report(frame, out, fmt)
        out.flush()
    except BrokenPipeError:
        _quiet_stdout()
    return 0


# --- the lake: canonical tables as Parquet, derived on DuckDB or Spark (docs/spark.md) ---


def run_export(store_root: Path, lake_dir: Path, *, out: TextIO | None = None) -> int:
    """``export --lake DIR``: the store's canonical and reference tables as Parquet.
    Exit status 0, or 2 (said why) when the store is empty or DIR cannot be written."""
    from engine import lake

    out = out or sys.stderr

    try:
        _, con = Store(store_root).connect()
    except StoreError as err:
        print(f"nothing exported: {err}: run `python app.py demo` or `import` first", file=out)
        return 2
    started = time.perf_counter()
    try:
        counts = lake.export(con, lake_dir, progress=lambda m: print(f"export: {m}", file=out))
    except lake.LakeError as err:
        print(f"nothing exported: {err}", file=out)
        return 2
    finally:
        con.close()
    print(
        f"exported {len(counts)} tables from {store_root} to {lake_dir} in "
        f"{time.perf_counter() - started:.1f} s; derive them with "
        f"`python app.py derive --lake {lake_dir}`",
        file=out,
    )
    return 0


def run_derive(
    lake_dir: Path, *, engine: str = "duckdb", master: str | None = None, out: TextIO | None = None
) -> int:
    """``derive --engine duckdb|spark --lake DIR``: the derived tables from the lake's
    Parquet into DIR/derived. Exit status 0, 2 (said why) when the lake is incomplete or
    Spark cannot start (pyspark or Java missing), 1 when the derivation fails."""
    from engine import lake

    out = out or sys.stderr
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"derive ({engine}): {message}", file=out, flush=True)

    try:
        if engine == "spark":
            from engine import spark_derive

            spark_derive.derive(lake_dir, master=master, progress=say)
        else:
            lake.derive_duckdb(lake_dir, progress=say)
    except lake.LakeError as err:
        print(f"not derived: {err}", file=out)
        return 2
    except ImportError as err:  # spark_derive raises SparkUnavailable (an ImportError)
        print(f"not derived: {err}", file=out)
        return 2
    print(
        f"derived tables written to {lake_dir / lake.DERIVED_DIR} by {engine} in "
        f"{time.perf_counter() - started:.1f} s",
        file=out,
    )
    return 0
