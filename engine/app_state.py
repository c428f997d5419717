"""Application state: what the page writes while it is served (DESIGN.md 5.1).

A small SQLite database beside the store folder's DuckDB generations
(``<store>/app_state.sqlite``), in WAL mode with a busy timeout, so the page's server
processes and the command line can write it at once while imports switch generations.
It is not analytics data: imports never copy or replace it, so what it holds survives
restarts and imports. A ``schema_version`` table and the ``MIGRATIONS`` list let a later
version add tables without losing what is there.

**Users** (sign-in names, roles, password hashes) live here too; ``engine.access`` holds
the rules (roles, hashing, who may see what), this module only stores the rows.

**Seller actions** live here, and only here: the page, ``python app.py action add`` and
every reader (offer detail, trend, report view, ``report --actions``) use this one list.
Actions that come *with the data* (the demo generator's, a canonical actions file) arrive
in the store's ``actions`` table, which is only their import source: whenever a reader
sees a new data generation, ``sync_data`` replaces this database's ``source = 'data'``
rows with that table's rows (their free-text names mapped onto ``ACTION_KINDS``), leaving
the actions recorded on the page (``source = 'page'``) or the command line (``'cli'``)
untouched. Every save is one INSERT: two tabs recording at once both keep theirs.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

FILE_NAME = "app_state.sqlite"
BUSY_TIMEOUT_MS = 10_000
NOTE_MAX_CHARS = 500

# The kinds of seller action, in the order the page offers them, with their labels.
ACTION_KINDS: dict[str, str] = {
    "edited_detail_page": "Edited the detail page",
    "removed_stock": "Removed or disposed of stock",
    "relisted": "Relisted",
    "changed_supplier": "Changed supplier",
    "changed_packaging": "Changed packaging",
    "other": "Other",
}
# Free-text action names of imported data (the demo's among them) and their kind.
KIND_ALIASES: dict[str, str] = {
    "edited listing": "edited_detail_page",
    "edited detail page": "edited_detail_page",
    "edited the detail page": "edited_detail_page",
    "removed stock": "removed_stock",
    "disposed of stock": "removed_stock",
    "removed or disposed of stock": "removed_stock",
    "relisted": "relisted",
    "changed supplier": "changed_supplier",
    "changed packaging": "changed_packaging",
    "other": "other",
}
SOURCES = ("data", "page", "cli")
RECORDED = ("page", "cli")  # what `action remove` may remove: imported rows come back

ACTION_COLUMNS = {
    "id": pl.Int64,
    "seller_id": pl.String,
    "sku": pl.String,
    "action_date": pl.Date,
    "action": pl.String,
    "note": pl.String,
    "source": pl.String,
    "created_at": pl.String,
    "created_by": pl.String,
}

# Each entry moves the schema one version up; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE actions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        seller_id   TEXT NOT NULL,
        sku         TEXT NOT NULL,
        action_date TEXT NOT NULL,           -- YYYY-MM-DD
        kind        TEXT NOT NULL,           -- a key of ACTION_KINDS
        note        TEXT,
        source      TEXT NOT NULL,           -- data | page | cli
        created_at  TEXT NOT NULL,           -- UTC, ISO 8601
        created_by  TEXT                     -- who recorded it (the viewer), when known
    );
    CREATE INDEX actions_offer ON actions (seller_id, sku);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    """
    CREATE TABLE users (
        name          TEXT PRIMARY KEY,      -- the sign-in name
        role          TEXT NOT NULL,         -- seller | category_manager | admin
        seller_id     TEXT,                  -- a seller's one seller id
        categories    TEXT NOT NULL,         -- a category manager's, one per line
        password_hash TEXT NOT NULL,         -- argon2id (engine/access.py)
        session_epoch INTEGER NOT NULL,      -- bumped by a new password: older sessions end
        created_at    TEXT NOT NULL
    );
    """,
)


class ActionError(ValueError):
    """An action that cannot be recorded as given; the message says why, for a person."""


def kind_of(name: str | None) -> str:
    """The kind of a (possibly free-text) action name; unknown names are ``other``."""
    text = " ".join(str(name or "").replace("_", " ").split()).lower()
    if text.replace(" ", "_") in ACTION_KINDS:
        return text.replace(" ", "_")
    return KIND_ALIASES.get(text, "other")


def check_kind_note(kind: str, note: str | None) -> tuple[str, str | None]:
    """(kind, note trimmed or None); ActionError for an unknown kind or a note too long."""
    if kind not in ACTION_KINDS:
        raise ActionError(f"unknown kind {kind!r}: one of {', '.join(ACTION_KINDS)}")
    text = (note or "").strip()
    if len(text) > NOTE_MAX_CHARS:
        raise ActionError(f"the note has {len(text):,} characters; at most {NOTE_MAX_CHARS}")
    return kind, text or None


class AppState:
    """The application-state database. ``AppState.beside(store_root)`` for a store folder,
    ``AppState.memory()`` for a temporary store (tests, ``report --data``)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._shared: sqlite3.Connection | None = None
        self._watch: sqlite3.Connection | None = None  # for ``stamp`` only
        if path is None:
            self._shared = sqlite3.connect(":memory:", check_same_thread=False)
            self._shared.isolation_level = None
        with self._connect() as con:
            self._migrate(con)

    @classmethod
    def beside(cls, store_root: str | os.PathLike[str]) -> AppState:
        root = Path(store_root)
        root.mkdir(parents=True, exist_ok=True)
        return cls(root / FILE_NAME)

    @classmethod
    def memory(cls) -> AppState:
        return cls(None)

    @contextmanager
    def _connect(self):
        """A connection for one operation (a fresh one per call for a file: sqlite3
        connections are not shared between threads)."""
        if self._shared is not None:
            with self._lock:
                yield self._shared
            return
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        con.isolation_level = None  # explicit BEGIN … COMMIT below
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = NORMAL")
            yield con
        finally:
            con.close()

    @staticmethod
    @contextmanager
    def _write(con: sqlite3.Connection):
        con.execute("BEGIN IMMEDIATE")  # take the write lock first: no upgrade deadlock
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _migrate(self, con: sqlite3.Connection) -> None:
        with self._write(con):
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = con.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for number, script in enumerate(MIGRATIONS, start=1):
                if number <= current:
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.execute("INSERT INTO schema_version VALUES (?)", [number])

    def schema_version(self) -> int:
        with self._connect() as con:
            return con.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0

    # --- actions -----------------------------------------------------------------------

    def add_action(
        self,
        seller_id: str,
        sku: str,
        action_date: date,
        kind: str,
        note: str | None = None,
        *,
        source: str,
        created_by: str | None = None,
    ) -> int:
        """Insert one action (kind and note checked; the offer and the day are the
        caller's to check against the store) and return its id."""
        kind, note = check_kind_note(kind, note)
        if source not in SOURCES:
            raise ActionError(f"unknown source {source!r}")
        with self._connect() as con, self._write(con):
            cur = con.execute(
                "INSERT INTO actions (seller_id, sku, action_date, kind, note, source, "
                "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [seller_id, sku, action_date.isoformat(), kind, note, source, _now(), created_by],
            )
            return int(cur.lastrowid)

    def remove_action(self, action_id: int) -> bool:
        """Remove a recorded (page or command-line) action; False when there is none."""
        with self._connect() as con, self._write(con):
            cur = con.execute(
                "DELETE FROM actions WHERE id = ? AND source IN (?, ?)", [action_id, *RECORDED]
            )
            return cur.rowcount > 0

    def actions(
        self,
        *,
        seller_id: str | None = None,
        sku: str | None = None,
        until: date | None = None,
    ) -> pl.DataFrame:
        """Actions (``ACTION_COLUMNS``; ``action`` is the kind) of one seller / offer when
        given, dated on or before ``until`` when given, by date then id."""
        query = (
            "SELECT id, seller_id, sku, action_date, kind, note, source, created_at, created_by "
            "FROM actions WHERE (? IS NULL OR seller_id = ?) AND (? IS NULL OR sku = ?) "
            "AND (? IS NULL OR action_date <= ?) ORDER BY action_date, id"
        )
        day = until.isoformat() if until else None
        with self._connect() as con:
            rows = con.execute(query, [seller_id, seller_id, sku, sku, day, day]).fetchall()
        frame = pl.DataFrame(
            rows,
            schema={**ACTION_COLUMNS, "action_date": pl.String},
            orient="row",
        )
        return frame.with_columns(pl.col("action_date").str.to_date("%Y-%m-%d"))

    def sync_data(self, key: str, rows: pl.DataFrame) -> bool:
        """Make the ``source = 'data'`` actions those of ``rows`` (the store's ``actions``
        table: seller_id, sku, action_date, action, note) unless already done for ``key``
        (the data generation). Safe when several processes race: one does it. Returns
        whether it replaced them."""
        with self._connect() as con:
            if _meta(con, "data_actions_of") == key:
                return False
            with self._write(con):
                if _meta(con, "data_actions_of") == key:
                    return False
                con.execute("DELETE FROM actions WHERE source = 'data'")
                now = _now()
                con.executemany(
                    "INSERT INTO actions (seller_id, sku, action_date, kind, note, source, "
                    "created_at, created_by) VALUES (?, ?, ?, ?, ?, 'data', ?, NULL)",
                    [
                        (r["seller_id"], r["sku"], r["action_date"].isoformat(),
                         kind_of(r["action"]), _data_note(r["action"], r["note"]), now)
                        for r in rows.iter_rows(named=True)
                    ],
                )  # fmt: skip
                con.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('data_actions_of', ?)",
                    [key],
                )
            return True

    # --- users (the rules are engine.access's) ---------------------------------------

    def user_rows(self) -> list[dict]:
        """Every user row (``users`` table columns), by name."""
        with self._connect() as con:
            cur = con.execute(
                "SELECT name, role, seller_id, categories, password_hash, session_epoch, "
                "created_at FROM users ORDER BY name"
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def user_row(self, name: str) -> dict | None:
        with self._connect() as con:
            cur = con.execute(
                "SELECT name, role, seller_id, categories, password_hash, session_epoch, "
                "created_at FROM users WHERE name = ?",
                [name],
            )
            row = cur.fetchone()
            return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def stamp(self) -> int | None:
        """SQLite's ``data_version`` on a connection kept for it: it changes whenever
        another connection, of any process, commits. None for an in-memory state."""
        if self.path is None:
            return None
        with self._lock:
            if self._watch is None:
                self._watch = sqlite3.connect(self.path, check_same_thread=False)
            return self._watch.execute("PRAGMA data_version").fetchone()[0]

    def has_users(self) -> bool:
        with self._connect() as con:
            return con.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone()[0] == 1

    def insert_user(
        self, name: str, role: str, seller_id: str | None, categories: tuple[str, ...], hashed: str
    ) -> bool:
        """Add a user; False when the name is taken."""
        with self._connect() as con, self._write(con):
            cur = con.execute(
                "INSERT OR IGNORE INTO users (name, role, seller_id, categories, password_hash, "
                "session_epoch, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                [name, role, seller_id, "\n".join(categories), hashed, _now()],
            )
            return cur.rowcount > 0

    def delete_user(self, name: str) -> bool:
        with self._connect() as con, self._write(con):
            return con.execute("DELETE FROM users WHERE name = ?", [name]).rowcount > 0

    def update_password(self, name: str, hashed: str, *, end_sessions: bool = True) -> bool:
        """A new password hash; with ``end_sessions`` the user's signed-in sessions end."""
        with self._connect() as con, self._write(con):
            cur = con.execute(
                "UPDATE users SET password_hash = ?, session_epoch = session_epoch + ? "
                "WHERE name = ?",
                [hashed, 1 if end_sessions else 0, name],
            )
            return cur.rowcount > 0

    def secret(self, key: str, make) -> str:
        """A value kept in ``meta`` under ``key``, made by ``make()`` the first time (every
        process of a store agrees on it)."""
        with self._connect() as con:
            found = _meta(con, key)
            if found is not None:
                return found
            with self._write(con):
                found = _meta(con, key)
                if found is None:
                    found = make()
                    con.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [key, found])
            return found


def _data_note(action: str | None, note: str | None) -> str | None:
    """An imported action's note; an action name that maps to no kind is kept in it."""
    note = (note or "").strip()[:NOTE_MAX_CHARS] or None
    if kind_of(action) == "other" and action and str(action).strip().lower() != "other":
        return f"{str(action).strip()}: {note}" if note else str(action).strip()
    return note


def _meta(con: sqlite3.Connection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
