"""What the benchmark scripts share: source fingerprints, running one measurement in a
fresh Python process (the script itself with ``--worker``), the machine's description,
process CPU/RSS, and timers around the engine's import stages."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def source_fingerprint(*places: str) -> str:
    """A short hash of the .py and .sql files under ``places`` (folders or files in the
    repository): a changed hash means results or stores came from other code."""
    digest = hashlib.sha256()
    paths = []
    for place in places:
        path = ROOT / place
        paths += sorted(path.rglob("*")) if path.is_dir() else [path]
    for path in paths:
        if path.suffix in (".py", ".sql") and path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def run_worker(script: str | Path, task: dict, timeout: float | None = None) -> dict:
    """Run ``script --worker TASK`` in a new process; its last stdout line is the JSON
    result, to which the 1-minute load average at the start is added as ``load``. A
    worker still running after ``timeout`` seconds is killed (RuntimeError)."""
    load = os.getloadavg()[0]
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(script).resolve()), "--worker", json.dumps(task)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(f"worker killed after {timeout:.0f} s ({task}): TimeoutError") from err
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({task}):\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["load"] = load
    return result


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mb() -> float:
    """Peak resident set size of this process, MB: ``VmHWM`` of its own memory, since
    Linux carries ``ru_maxrss`` over from the parent across fork + exec (a worker started
    by a parent that generated data would report the parent's peak)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_info() -> dict:
    import duckdb
    import polars as pl

    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    cpu = platform.processor()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": cpu, "memory": mem,
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "polars": pl.__version__, "platform": platform.platform()}  # fmt: skip


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


class Timers:
    """Wrap functions (module attributes) to time them. The engine calls its stages by
    module attribute (``derive.rebuild``, ``health.write_snapshot``, ``shutil.copyfile`` in
    engine.generations ...), so the wrappers see every call. Per label: total ``seconds``,
    the ``start`` of the first call and the ``end`` of the last, and its last ``result``."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.seconds: dict[str, float] = {}
        self.start: dict[str, float] = {}
        self.end: dict[str, float] = {}
        self.result: dict[str, object] = {}

    def wrap(self, label: str, module: object, name: str) -> None:
        fn = getattr(module, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            self.start.setdefault(label, started)
            try:
                out = fn(*args, **kwargs)
                self.result[label] = out
                return out
            finally:
                ended = time.perf_counter()
                self.end[label] = ended
                self.seconds[label] = self.seconds.get(label, 0.0) + ended - started

        setattr(module, name, timed)


def pipeline_timers() -> Timers:
    """Timers on the stages of ``pipeline.import_into_store`` / ``build_store`` / refresh:
    ``copy`` (the copy of the live generation), ``import_files`` / ``load_frames`` (the
    transaction), ``derived_sql`` (derive.rebuild), ``snapshot`` (health.write_snapshot)
    and ``deleted_health`` (inside the snapshot)."""
    import shutil

    from engine import derive, health, pipeline

    t = Timers()
    t.wrap("copy", shutil, "copyfile")  # engine.generations copies the live generation
    t.wrap("import_files", pipeline, "import_files")
    t.wrap("load_frames", pipeline, "load_frames")
    t.wrap("derived_sql", derive, "rebuild")
    t.wrap("snapshot", health, "write_snapshot")
    t.wrap("deleted_health", health, "deleted_health")
    return t


def import_parts(
    t: Timers, summary, started: float, ended: float, inner: str = "import_files"
) -> dict:
    """The parts of one ``import_into_store`` (or ``build_store``, ``inner="load_frames"``)
    that ran from ``started`` to ``ended`` (perf_counter), timed by ``pipeline_timers``:

    - copy: copying the live generation (none for an empty store);
    - open: the rest before the transaction (lock, clearing remains, connect + schema);
    - import: staging + merge (``ImportSummary.seconds_import``);
    - refresh: derived tables + snapshot (``ImportSummary.seconds_refresh``), of which
      derived_sql, snapshot, deleted_health;
    - commit: the rest of the transaction (COMMIT, the uncategorised count);
    - publish: checkpoint, close, fsync, rename and the pointer switch (or, when nothing
      changed, throwing the copy away).
    """
    copy = t.seconds.get("copy", 0.0)
    t_in, t_out = t.start.get(inner, started), t.end.get(inner, ended)
    imp, ref = summary.seconds_import, summary.seconds_refresh
    return {
        "copy": copy,
        "open": max(0.0, t_in - started - copy),
        "import": imp,
        "refresh": ref,
        "derived_sql": t.seconds.get("derived_sql"),
        "snapshot": t.seconds.get("snapshot"),
        "deleted_health": t.seconds.get("deleted_health"),
        "commit": max(0.0, t_out - t_in - imp - ref),
        "publish": ended - t_out,
    }
