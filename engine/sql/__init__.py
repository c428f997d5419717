"""SQL lives here: one file per query, loaded by name. Values are always bound parameters."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_DIR = Path(__file__).parent


@cache
def load(name: str) -> str:
    """The text of ``engine/sql/<name>.sql`` (trusted, shipped with the code)."""
    return (_DIR / f"{name}.sql").read_text(encoding="utf-8")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB. Callers pass names from an allow-list only."""
    return '"' + name.replace('"', '""') + '"'


def scalar(con, query: str, params: list | dict | None = None):
    """The first value of a query's first row.

    Fetches everything: with DuckDB 2 a half-read result (``fetchone``) blocks later
    register/unregister calls on the same connection.
    """
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None
