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
