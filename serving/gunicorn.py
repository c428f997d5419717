"""``python app.py serve``: the page on gunicorn, N worker processes, each with its own
read-only connection to the store's live generation (DESIGN.md 5.1).

The master prepares the store once (the demo on first start, derived tables of an older
version rebuilt) and checks the sign-in set-up, then forks the workers; a worker opens
the store only after the fork, so no DuckDB connection crosses a fork. A worker that
dies (even by ``kill -9``) is replaced by the master; an import (command line or page)
makes a new generation, which every worker picks up at its next request. Workers are
``gthread`` workers: ``threads`` requests at a time each, so a slow download does not
hold up a row click.
"""

from __future__ import annotations

import os
from pathlib import Path

from gunicorn.app.base import BaseApplication

DEFAULT_THREADS = 4
TIMEOUT_S = 120  # a first health computation of a big store may take a while


class VocServer(BaseApplication):
    def __init__(self, store_root: Path, options: dict) -> None:
        self.store_root = store_root
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app import create_app

        return create_app(self.store_root, warm=True).server


def options(host: str, port: int, workers: int, threads: int = DEFAULT_THREADS) -> dict:
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": TIMEOUT_S,
        "graceful_timeout": 10,
        "preload_app": False,  # each worker opens the store itself, after the fork
        "accesslog": os.environ.get("VOC_ACCESS_LOG") or None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "voc",
        "control_socket_disable": True,  # no socket in the home folder; signals suffice
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
    }


def run(store_root: Path, *, host: str, port: int, workers: int, threads: int) -> int:
    VocServer(store_root, options(host, port, workers, threads)).run()
    return 0
