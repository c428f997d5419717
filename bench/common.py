"""What the benchmark scripts share: source fingerprints and running one measurement in a
fresh Python process (the script itself with ``--worker``)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
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


def run_worker(script: str | Path, task: dict) -> dict:
    """Run ``script --worker TASK`` in a new process; its last stdout line is the JSON
    result, to which the 1-minute load average at the start is added as ``load``."""
    load = os.getloadavg()[0]
    proc = subprocess.run(
        [sys.executable, str(Path(script).resolve()), "--worker", json.dumps(task)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({task}):\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["load"] = load
    return result
