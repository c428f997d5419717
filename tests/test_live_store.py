"""A crash at any moment of an import leaves exactly the previous data (kill -9).

The import runs as ``python app.py import`` in its own process. The test watches the store
folder for the stages an import goes through (its private copy of the live generation
appears, then DuckDB's write-ahead log next to it while it imports into the copy),
freezes the process the moment it sees one (SIGSTOP, so the stage cannot slip by) and
kills it (SIGKILL). The live generation, its tables and the import lock must be exactly as
before, and the next import must succeed and clear the remains.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import demo
from engine.demo_reports import write_amazon_reports
from engine.generations import Store, connect_live

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("offers", "orders", "feedback", "events", "offer_day", "offer_ncx_day", "snapshot")


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    write_amazon_reports(demo.generate(), folder)
    return folder


def fingerprint(root: Path) -> dict[str, str]:
    """Row count and an order-independent checksum of every row (the sum of the rows'
    hashes) of the main tables of the live generation."""
    con = connect_live(root)
    try:
        return {
            t: con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {t} AS t").fetchall()[0]
            for t in TABLES
        }
    finally:
        con.close()


def start_import(root: Path, files: list[Path]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "app.py",
            "--store",
            str(root),
            "import",
            "--seller",
            "S-CRASH",
            *map(str, files),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def freeze_when(proc: subprocess.Popen, seen, timeout: float = 120.0) -> None:
    """SIGSTOP ``proc`` as soon as ``seen()`` holds (polling every millisecond)."""
    deadline = time.monotonic() + timeout
    while not seen():
        assert proc.poll() is None, "the import finished before the stage was seen"
        assert time.monotonic() < deadline, "the stage never came"
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGSTOP)


@pytest.mark.parametrize("stage", ["copying", "importing"])
def test_kill_9_in_the_middle_of_an_import_leaves_the_previous_data(
    stage, demo_store, reports, tmp_path
):
    root = tmp_path / "store"
    shutil.copytree(demo_store, root, ignore=shutil.ignore_patterns("*.lock", "jobs", "uploads"))
    target = Store(root)
    before, generation = fingerprint(root), target.generation()
    part = root / f"gen-{generation + 1:06d}.duckdb.part"
    wal = Path(str(part) + ".wal")

    proc = start_import(root, sorted(reports.iterdir()))
    freeze_when(proc, part.exists if stage == "copying" else wal.exists)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL

    assert part.exists()  # the crash's remains are there ...
    assert target.generation() == generation  # ... but the pointer never moved
    assert fingerprint(root) == before
    with target.lock(wait=False):  # the dead process holds no lock
        pass

    done = subprocess.run(
        [sys.executable, "app.py", "--store", str(root), "import", "--seller", "S-CRASH",
         *map(str, sorted(reports.iterdir()))],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert target.generation() == generation + 1
    assert not part.exists() and not wal.exists()
    after = fingerprint(root)
    assert after["orders"] != before["orders"]  # the new seller's orders are in
    con = connect_live(root)
    try:
        assert con.execute(
            "SELECT count(*) FROM offers WHERE seller_id = 'S-CRASH'"
        ).fetchall() == [(150,)]
    finally:
        con.close()
