"""The store folder: numbered DuckDB generations, the pointer to the live one, the import lock.

DuckDB lets one process write a database file or several read it, never both. So a served
store is never written: an import copies the live generation, works on the copy,
checkpoints and closes it, and then switches the pointer atomically::

    store/
      CURRENT                 "gen-000012.duckdb": the live generation
      gen-000012.duckdb       read-only from the moment it is live
      gen-000011.duckdb       the one before, kept for readers still on it
      gen-000013.duckdb.part  an import in progress (or the remains of a crashed one)
      import.lock             held (flock) by the one running import

Readers (:class:`Reader`) look at ``CURRENT`` at the start of a request (one ``stat``) and
open the new generation read-only when it changed; their caches key on the generation.
A crash at any moment of an import leaves ``CURRENT`` naming the previous generation,
complete; the next import clears the remains. Generations older than the previous one
are deleted after a switch (a reader that still has one open keeps reading it: an open
file stays readable after it is unlinked).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from engine import store

POINTER = "CURRENT"
LOCK = "import.lock"
_GEN = re.compile(r"^gen-(\d{6,})\.duckdb$")


class StoreError(Exception):
    """A store that cannot be used as asked (not a store folder, another import running)."""


def _gen_name(number: int) -> str:
    return f"gen-{number:06d}.duckdb"


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class Writing:
    """An import's private copy of the store: ``con`` writes generation ``number``.

    Leave ``publish`` True to make it live when the ``with`` block ends without an error;
    set it False when nothing changed (the copy is then thrown away).
    """

    con: duckdb.DuckDBPyConnection
    number: int
    path: Path
    publish: bool = True


class Store:
    """A store folder (see the module docstring). Cheap to create; nothing is opened."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if self.root.is_file():
            raise StoreError(
                f"{self.root} is a single DuckDB file, the store of an earlier version; a store "
                "is now a folder. Rebuild it (python app.py --store FOLDER demo) or import your "
                "files into a new folder."
            )

    # --- the live generation -----------------------------------------------------------

    def live(self) -> Path | None:
        """The live generation's file, or None for a store with no data yet."""
        try:
            name = (self.root / POINTER).read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        if not _GEN.match(name):
            raise StoreError(f"{self.root / POINTER} does not name a generation ({name!r})")
        return self.root / name

    def generation(self) -> int:
        """The live generation's number (0 for a store with no data yet)."""
        live = self.live()
        return 0 if live is None else int(_GEN.match(live.name).group(1))  # type: ignore[union-attr]

    def exists(self) -> bool:
        return self.live() is not None

    def connect(self) -> tuple[int, duckdb.DuckDBPyConnection]:
        """A read-only connection to the live generation and its number.

        An import may switch and clean up between reading the pointer and opening the
        file; then the pointer is simply read again.
        """
        for _ in range(20):
            live = self.live()
            if live is None:
                raise StoreError(f"the store {self.root} holds no data yet")
            try:
                con = store.connect(live, read_only=True)
            except duckdb.IOException:
                if live.exists():
                    raise
                time.sleep(0.05)
                continue
            return int(_GEN.match(live.name).group(1)), con  # type: ignore[union-attr]
        raise StoreError(f"the store {self.root} kept changing while it was opened")

    # --- writing -----------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(
        self, *, wait: bool = True, waiting: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the import lock. Another holder: wait (saying so through ``waiting``) or,
        with ``wait=False``, raise StoreError naming it."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                message = "another import is running" + (f" ({holder})" if holder else "")
                if not wait:
                    raise StoreError(message + "; try again when it has finished") from None
                if waiting is not None:
                    waiting(message + "; waiting for it to finish …")
                fcntl.flock(fd, fcntl.LOCK_EX)
            since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, since {since}".encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def write(
        self,
        *,
        fresh: bool = False,
        wait: bool = True,
        waiting: Callable[[str], None] | None = None,
    ) -> Iterator[Writing]:
        """A private copy of the live generation (an empty store when ``fresh``), made live
        when the block ends without an error and ``publish`` is still True.

        Holds the import lock throughout, so imports run one at a time.
        """
        with self.lock(wait=wait, waiting=waiting):
            self._clear_remains()
            live = self.live()
            number = (0 if live is None else self.generation()) + 1
            while (self.root / _gen_name(number)).exists():  # left by a crash after renaming
                number += 1
            part = self.root / (_gen_name(number) + ".part")
            if live is not None and not fresh:
                shutil.copyfile(live, part)
            con = store.connect(part)
            writing = Writing(con, number, part)
            try:
                yield writing
                if writing.publish:
                    con.execute("CHECKPOINT")
            except BaseException:
                con.close()
                self._remove(part)
                raise
            con.close()
            if not writing.publish:
                self._remove(part)
                return
            final = self.root / _gen_name(number)
            with open(part, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(part, final)
            self._point_to(final.name)
            self._clear_old(number)

    def _point_to(self, name: str) -> None:
        tmp = self.root / (POINTER + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.root / POINTER)
        _fsync_dir(self.root)

    def _remove(self, path: Path) -> None:
        for p in (path, Path(str(path) + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    def _clear_remains(self) -> None:
        """Files of imports that crashed (held lock: nobody else writes now)."""
        for p in self.root.glob("gen-*.part*"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        with contextlib.suppress(FileNotFoundError):
            (self.root / (POINTER + ".tmp")).unlink()

    def _clear_old(self, live: int) -> None:
        """Generations older than the one before ``live``."""
        for p in self.root.iterdir():
            m = _GEN.match(p.name)
            if m and int(m.group(1)) < live - 1:
                self._remove(p)


def connect_live(root: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a store folder's live generation (close it when done)."""
    return Store(root).connect()[1]


class Reader:
    """Read-only connections to a store's live generation, renewed when it changes.

    ``current()`` costs one ``stat`` of the pointer when nothing changed. Thread-safe; the
    connection it returns is shared, so callers take a ``cursor()`` per request.
    """

    def __init__(self, store_: Store) -> None:
        self.store = store_
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._number = 0
        self._con: duckdb.DuckDBPyConnection | None = None
        self._retired: list[duckdb.DuckDBPyConnection] = []

    def _pointer_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.store.root / POINTER)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns

    def current(self) -> tuple[int, duckdb.DuckDBPyConnection]:
        """(generation number, connection) of the live generation."""
        stamp = self._pointer_stamp()
        with self._lock:
            if self._con is None or stamp != self._stamp:
                number, con = self.store.connect()
                if self._con is not None:
                    # Requests may still run on the old connection; close the one before it.
                    for old in self._retired:
                        with contextlib.suppress(duckdb.Error):
                            old.close()
                    self._retired = [self._con]
                self._con, self._number, self._stamp = con, number, stamp
            return self._number, self._con

    def close(self) -> None:
        with self._lock:
            for con in [*self._retired, *([self._con] if self._con else [])]:
                with contextlib.suppress(duckdb.Error):
                    con.close()
            self._con, self._retired, self._stamp = None, [], None
