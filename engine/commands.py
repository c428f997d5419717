"""What the command line does (``python app.py import|report|demo``), without any UI."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from engine import store
from engine.importers.errors import InputError
from engine.report import report_frame, write_report

DATA_FILES = {"offers": "offers.csv", "orders": "orders.csv", "feedback": "feedback.csv"}


class _Steps:
    """A progress bar over the named steps of a long job, printed to stderr."""

    def __init__(self, total: int, desc: str) -> None:
        self.bar = tqdm(
            total=total,
            desc=desc,
            unit="step",
            file=sys.stderr,
            leave=False,
            bar_format="{desc}: {n_fmt}/{total_fmt} {postfix}",
        )

    def __call__(self, message: str) -> None:
        self.bar.set_postfix_str(message)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def run_import(
    store_file: Path,
    files: dict[str, Path],
    *,
    encoding: str | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Import canonical files into the store; print a summary. Exit code 0, or 2 on bad input."""
    steps = _Steps(total=2 * len(files) + 1, desc="import")
    con = store.connect(store_file)
    con.execute("SET enable_progress_bar = true")  # DuckDB's own bar for long scans
    try:
        summary = store.import_files(con, files, encoding=encoding, progress=steps)
    except InputError as err:
        steps.close()
        print(f"import failed, the store is unchanged:\n{err}", file=sys.stderr)
        return 2
    finally:
        con.close()
    steps.close()
    for line in summary.lines():
        print(line, file=out)
    return 0


def build_demo(
    store_file: Path, *, scale: float = 1.0, seed: int = 7, out: TextIO = sys.stderr
) -> None:
    """Replace the store with the deterministic demo marketplace."""
    from engine import demo

    started = time.perf_counter()
    print(
        f"building the demo marketplace (scale {scale:g}, seed {seed}) in {store_file} …", file=out
    )
    data = demo.generate(scale=scale, seed=seed)
    generated = time.perf_counter() - started
    tmp = store_file.with_name(store_file.name + ".building")
    tmp.unlink(missing_ok=True)
    con = store.connect(tmp)
    try:
        summary = store.load_frames(
            con,
            {
                "offers": data.offers,
                "orders": data.orders,
                "feedback": data.feedback,
                "actions": data.actions,
            },
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(store_file)  # atomic: a reader never sees a half-built demo
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    for line in summary.lines():
        print(line, file=out)
    print(
        f"demo generated in {generated:.1f} s, ready in {time.perf_counter() - started:.1f} s",
        file=out,
    )


def ensure_store(store_file: Path, *, out: TextIO = sys.stderr) -> None:
    """Build the demo when the store is missing or empty (first start); rebuild the derived
    tables when the store was made by an older version that lacks some of them."""
    if store_file.exists():
        con = store.connect(store_file)
        try:
            tables = {
                r[0]
                for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            }
            if not store.is_empty(con):
                if not set(store.DERIVED_TABLES) <= tables:
                    print("refreshing derived tables made by an older version …", file=out)
                    con.execute("BEGIN TRANSACTION")
                    store.refresh(con)
                    con.execute("COMMIT")
                return
        finally:
            con.close()
    build_demo(store_file)


def run_report(
    store_file: Path | None,
    *,
    as_of: date | None,
    window_days: int,
    seller_id: str | None,
    category: str | None,
    data_dir: Path | None,
    fmt: str,
    out: TextIO = sys.stdout,
) -> int:
    """Print the per-offer report. ``data_dir`` reads canonical CSVs into a temporary store."""
    if data_dir is not None:
        files = {t: data_dir / name for t, name in DATA_FILES.items() if (data_dir / name).exists()}
        if not files:
            print(f"no {', '.join(DATA_FILES.values())} in {data_dir}", file=sys.stderr)
            return 2
        con = store.connect(None)
        try:
            store.import_files(con, files)
        except InputError as err:
            print(f"cannot read {data_dir}:\n{err}", file=sys.stderr)
            return 2
    else:
        assert store_file is not None
        if not store_file.exists():
            print(
                f"no store at {store_file}: run `python app.py demo` or `import` first",
                file=sys.stderr,
            )
            return 2
        con = store.connect(store_file, read_only=True)
    try:
        frame = report_frame(
            con, as_of=as_of, window_days=window_days, seller_id=seller_id, category=category
        )
    finally:
        con.close()
    write_report(frame, out, fmt)
    return 0
