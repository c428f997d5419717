"""Imports started from the page: run in the background, watched through a status file.

The page uploads files; ``ImportJobs.start`` saves them under the store folder, runs
``pipeline.import_into_store`` on a thread and keeps the job's state in
``<store>/jobs/<id>.json`` (written atomically), so whichever server process answers the
next poll can read it. States: ``waiting`` (another import holds the lock), ``running``,
``done`` (with the import summary), ``failed`` (with the problems, as the command line
prints them), ``interrupted`` (the process running it ended before it finished; the
store keeps the previous data, engine.generations).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from engine import pipeline
from engine.generations import StoreError
from engine.importers.detect import InputFile
from engine.importers.errors import InputError

log = logging.getLogger(__name__)
_JOB_ID = re.compile(r"^[0-9a-f]{16}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()\-]+")
MAX_FILES = 20


def safe_name(name: str) -> str:
    """A file name from a browser as a plain name in one folder (no path, no oddities)."""
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    cleaned = _UNSAFE.sub("_", base).lstrip(".")
    return cleaned[:120] or "file"


@dataclass
class ImportJobs:
    """Page imports into the store folder ``root``."""

    root: Path

    @property
    def folder(self) -> Path:
        return self.root / "jobs"

    def start(
        self, files: list[tuple[str, bytes]], *, seller: str, owner: str | None = None
    ) -> str:
        """Save the uploaded ``(name, content)`` files and import them in the background;
        returns the job id for ``status``. ``owner``: the signed-in user who started it
        (None in demo mode); only they can follow it."""
        if not files:
            raise ValueError("no files to import")
        if len(files) > MAX_FILES:
            raise ValueError(f"at most {MAX_FILES} files at a time")
        self._clear_old()
        job = secrets.token_hex(8)
        uploads = self.root / "uploads" / job
        uploads.mkdir(parents=True, exist_ok=True)
        paths, seen = [], set()
        for name, content in files:
            name = safe_name(name)
            while name in seen:  # two files of one name: keep both
                name = "_" + name
            seen.add(name)
            (uploads / name).write_bytes(content)
            paths.append(uploads / name)
        total = len(paths) + 3  # reading each file, merging, refreshing, making it live
        self._write(job, {"state": "running", "step": "starting", "done": 0, "total": total,
                          "files": [p.name for p in paths], "pid": os.getpid(),
                          "started": time.time(), "owner": owner})  # fmt: skip
        thread = threading.Thread(
            target=self._run, args=(job, paths, seller, total), name=f"import-{job}", daemon=True
        )
        thread.start()
        return job

    def status(self, job: str, owner: str | None = None) -> dict | None:
        """The job's state (see the module docstring), or None for an unknown id or a job
        another user started."""
        if not isinstance(job, str) or not _JOB_ID.match(job):
            return None
        try:
            state = json.loads((self.folder / f"{job}.json").read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if state.get("owner") != owner:
            return None
        if state["state"] in ("running", "waiting") and not _alive(state.get("pid")):
            state = {**state, "state": "interrupted"}
        return state

    # --- the background thread --------------------------------------------------------

    def _run(self, job: str, paths: list[Path], seller: str, total: int) -> None:
        done = 0
        base = self._read(job) or {}

        def progress(message: str) -> None:
            nonlocal done
            waiting = "waiting" in message
            if not waiting:
                done += 1
            self._write(job, {**base, "state": "waiting" if waiting else "running",
                              "step": message, "done": min(done, total), "total": total})  # fmt: skip

        try:
            summary = pipeline.import_into_store(
                self.root, [InputFile(p) for p in paths], seller=seller, progress=progress
            )
        except InputError as err:
            self._write(job, {**base, "state": "failed", "done": total, "total": total,
                              "error": "The import failed; the store is unchanged.",
                              "problems": [str(p) for p in err.problems],
                              "more": err.more})  # fmt: skip
        except StoreError as err:
            self._write(job, {**base, "state": "failed", "done": total, "total": total,
                              "error": str(err), "problems": []})  # fmt: skip
        except Exception:  # noqa: BLE001 - a bug must not leave the page waiting forever
            log.exception("page import %s failed", job)
            self._write(job, {**base, "state": "failed", "done": total, "total": total,
                              "error": "The import failed because of an internal error (it is "
                              "in the server log); the store is unchanged.",
                              "problems": []})  # fmt: skip
        else:
            self._write(job, {**base, "state": "done", "done": total, "total": total,
                              "summary": summary.as_dict(), "seller": seller,
                              "generation": summary.generation})  # fmt: skip
        finally:
            shutil.rmtree(paths[0].parent, ignore_errors=True)

    def _clear_old(self, age_s: float = 24 * 3600) -> None:
        """Status files of jobs finished more than ``age_s`` ago."""
        if not self.folder.exists():
            return
        cutoff = time.time() - age_s
        for p in self.folder.glob("*.json"):
            with contextlib.suppress(OSError):
                if p.stat().st_mtime < cutoff:
                    p.unlink()

    def _read(self, job: str) -> dict | None:
        try:
            return json.loads((self.folder / f"{job}.json").read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def _write(self, job: str, state: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{job}.json.tmp"
        tmp.write_text(json.dumps(state), "utf-8")
        os.replace(tmp, self.folder / f"{job}.json")


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
