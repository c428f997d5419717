"""Memory is bounded by configuration: every DuckDB connection gets the limit."""

from __future__ import annotations

from engine import store


def test_every_connection_has_the_configured_memory_limit(monkeypatch, tmp_path):
    monkeypatch.setenv("VOC_DUCKDB_MEMORY", "700MB")
    con = store.connect(tmp_path / "x.duckdb")
    limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit.replace(" ", "") in ("667.5MiB", "700.0MB", "700MB"), limit
    monkeypatch.delenv("VOC_DUCKDB_MEMORY")
    con = store.connect(None)
    assert "GiB" in con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]


def test_readers_get_the_smaller_default(tmp_path, monkeypatch):
    monkeypatch.delenv("VOC_DUCKDB_MEMORY", raising=False)
    path = tmp_path / "x.duckdb"
    store.connect(path).close()
    reader = store.connect(path, read_only=True)
    limit = reader.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit.startswith("953") and "MiB" in limit, limit  # 1 GB


def test_a_limit_that_is_not_a_size_is_reported_and_the_default_used(monkeypatch, capsys):
    monkeypatch.setenv("VOC_DUCKDB_MEMORY", "lots")
    con = store.connect(None)
    assert "GiB" in con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert "VOC_DUCKDB_MEMORY='lots' is not a size" in capsys.readouterr().err
