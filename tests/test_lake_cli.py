"""export -> derive (DuckDB) -> report --derived, and the command line's messages for a
missing lake, pyspark or Java (docs/spark.md). The Spark derivation itself:
tests/engine/test_spark_derive.py."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import app
from engine import commands, lake, store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lake") / "store"
    commands.build_demo(path, scale=0.2, out=io.StringIO())
    return path


def _report(_capfd, *args: str) -> str:
    """``python app.py ARGS``'s standard output (its own process: report prints to the
    stdout it was imported with)."""
    done = subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_export_derive_report_derived_equals_the_stores_report(small_store, tmp_path, capfd):
    lake_dir = tmp_path / "lake"
    assert app.main(["--store", str(small_store), "export", "--lake", str(lake_dir)]) == 0
    assert "exported" in capfd.readouterr().err
    assert app.main(["derive", "--engine", "duckdb", "--lake", str(lake_dir)]) == 0
    said = capfd.readouterr().err
    assert "events:" in said and "derived tables written" in said
    own = _report(capfd, "--store", str(small_store), "report")
    derived = _report(capfd, "--store", str(small_store), "report", "--derived", str(lake_dir))
    assert derived == own and own.count("\n") > 100
    events = ["report", "--events", "--as-of", "2026-10-31"]
    assert _report(capfd, "--store", str(small_store), *events, "--derived", str(lake_dir)) == (
        _report(capfd, "--store", str(small_store), *events)
    )

    # the report really reads the lake: with no NCX orders there, no offer has any
    ncx = lake.derived_dir(lake_dir, "offer_ncx_day") / "part-0.parquet"
    con = duckdb.connect()
    con.read_parquet(str(ncx)).limit(0).write_parquet(str(tmp_path / "empty.parquet"))
    con.close()
    shutil.move(tmp_path / "empty.parquet", ncx)
    emptied = _report(
        capfd,
        "--store",
        str(small_store),
        "report",
        "--derived",
        str(lake_dir),
        "--format",
        "json",
    )
    assert '"ncx_orders": 0' in emptied and '"ncx_orders": 1' not in emptied


def test_overlay_tables_shadow_the_stores_derived_tables(small_store, tmp_path):
    """The overlay's own views answer the unqualified names, and has_table looks at the
    connection's database only, not at the attached store's derived tables."""
    lake_dir = tmp_path / "lake"
    con = store.connect(Path(next(small_store.glob("*.duckdb"))), read_only=True)
    lake.export(con, lake_dir)
    con.close()
    lake.derive_duckdb(lake_dir)
    live = commands.Store(small_store).live()
    over = lake.overlay(live, lake_dir)
    try:
        assert store.has_table(over, "snapshot") and store.has_table(over, "events")
        plan = over.execute("EXPLAIN SELECT * FROM events").fetchall()[0][1]
        assert "READ_PARQUET" in plan.upper() or "PARQUET" in plan.upper()
        over.execute("DROP TABLE deleted_health")
        assert not store.has_table(over, "deleted_health")  # the store's is not seen
    finally:
        over.close()


def test_lake_errors_are_messages_not_tracebacks(small_store, tmp_path, capfd):
    missing = tmp_path / "nowhere"
    assert app.main(["derive", "--lake", str(missing)]) == 2
    assert "is not a folder" in capfd.readouterr().err
    assert app.main(["derive", "--engine", "spark", "--lake", str(missing)]) == 2
    assert "is not a folder" in capfd.readouterr().err
    afile = tmp_path / "file"
    afile.write_text("x")
    assert app.main(["--store", str(small_store), "export", "--lake", str(afile)]) == 2
    assert "is a file, not a folder" in capfd.readouterr().err
    assert app.main(["--store", str(tmp_path / "empty"), "export", "--lake", str(missing)]) == 2
    assert "nothing exported" in capfd.readouterr().err
    assert app.main(["--store", str(small_store), "report", "--derived", str(missing)]) == 2
    assert "no Parquet for events" in capfd.readouterr().err
    assert app.main(["derive", "--master", "local[1]", "--lake", str(missing)]) == 2
    assert "only for --engine spark" in capfd.readouterr().err


def test_spark_missing_is_a_message(small_store, tmp_path, capfd, monkeypatch):
    lake_dir = tmp_path / "lake"
    assert app.main(["--store", str(small_store), "export", "--lake", str(lake_dir)]) == 0
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    assert app.main(["derive", "--engine", "spark", "--lake", str(lake_dir)]) == 2
    said = capfd.readouterr().err
    assert "needs pyspark" in said and "scripts/setup-spark" in said and "Traceback" not in said
    monkeypatch.delitem(sys.modules, "pyspark")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert app.main(["derive", "--engine", "spark", "--lake", str(lake_dir)]) == 2
    assert "needs Java" in capfd.readouterr().err


def test_the_default_path_never_imports_pyspark():
    code = (
        "import sys, app, engine.lake, engine.commands, engine.service; "
        "print(sorted(m for m in ('pyspark', 're2', 'sqlglot', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
