"""Shared fixtures: the demo store is built once per test session."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from engine import commands
from engine.generations import connect_live


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """A store holding the default demo marketplace (scale 1, seed 7)."""
    path = tmp_path_factory.mktemp("demo") / "store"
    commands.build_demo(path, out=io.StringIO())
    return path


@pytest.fixture
def demo_con(demo_store):
    con = connect_live(demo_store)
    yield con
    con.close()


@pytest.fixture(scope="session")
def service(demo_store):
    """The engine over the demo store: where the tests' expected values come from."""
    from engine.service import VocService

    svc = VocService.open(demo_store)
    yield svc
    svc.close()


def store_with_users(demo_store: Path, path: Path, password: str, users: list[tuple]) -> Path:
    """A copy of the demo store at ``path`` whose only users are ``users``: (name, role,
    seller id or None, categories), all with ``password``; its actions as the demo's."""
    import shutil

    from engine.access import Users
    from engine.app_state import AppState

    shutil.copytree(demo_store, path)
    for f in path.glob("app_state.sqlite*"):
        f.unlink()
    registry = Users(AppState.beside(path))
    for name, role, seller_id, categories in users:
        registry.add(name, role, password, seller_id=seller_id, categories=categories)
    return path
