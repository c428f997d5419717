"""Browser fixtures: the app served against the demo store, a headless Chromium, a page.

The server runs as a subprocess (``python app.py --store PATH serve --port N``) for the
whole session, as do Chromium and one browser context (its HTTP cache keeps the Dash and
plotly bundles); every test gets a fresh 1280x800 page that records console errors and
uncaught page errors, and fails the test if any appeared.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("VOC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "tests" / "screenshots"
SERVER_START_TIMEOUT = 60.0
TIMEOUT_MS = 45_000  # actions and expect(): generous, the CI box may be loaded

expect.set_options(timeout=TIMEOUT_MS)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "_dash-layout", timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as err:
            if err.code == 401:  # sign-in mode: up, and asking who is there
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"the server did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()}"
    )


@contextlib.contextmanager
def serving(store: Path, log: Path, *, env: dict | None = None, args: tuple[str, ...] = ()):
    """``python app.py --store STORE serve [ARGS]`` on a free port, with ``env`` added to
    the environment; yields its base URL."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: scripts/test installs it (apt-get install chromium)"
        )
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "app.py",
                "--store",
                str(store),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *args,
            ],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def demo_day(service):
    return service.latest_day()


@pytest.fixture(scope="session")
def demo_counts(service, demo_day) -> dict[str, int]:
    """The demo seller's tile counts."""
    from engine.health import Viewer

    return service.tile_counts(Viewer("seller", "S-DEMO"), demo_day, 90)


@pytest.fixture(scope="session")
def server_url(demo_store, tmp_path_factory) -> str:
    """Base URL (ending in '/') of the app served against the demo store."""
    with serving(demo_store, tmp_path_factory.mktemp("server") / "server.log") as url:
        yield url


def watch_errors(pg, errors: PageErrors) -> None:
    """Record the page's console errors and uncaught exceptions in ``errors``."""

    def on_console(msg) -> None:
        if msg.type == "error":
            location = msg.location or {}
            errors.console.append(f"{msg.text} @ {location.get('url', '')}")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: errors.page.append(str(exc)))


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class PageErrors:
    """Console errors and uncaught exceptions seen by one page."""

    def __init__(self) -> None:
        self.console: list[str] = []
        self.page: list[str] = []

    def all(self) -> list[str]:
        return [f"console: {m}" for m in self.console] + [f"pageerror: {m}" for m in self.page]


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture(scope="session")
def browser_context(browser, server_url):
    """One context for the session, so the Dash/plotly bundles come from its HTTP cache."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server_url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context, page_errors):
    """A fresh 1280x800 page; the test fails if the page logged a console error or threw."""
    pg = browser_context.new_page()
    watch_errors(pg, page_errors)
    yield pg
    with contextlib.suppress(PlaywrightError):
        # Let in-flight callbacks finish so their errors are attributed to this test.
        pg.wait_for_load_state("networkidle", timeout=5_000)
    pg.close()
    errors = page_errors.all()
    if errors:
        pytest.fail("errors in the browser:\n" + "\n".join(errors), pytrace=False)


# AG Grid's own CSS gives .ag-root-wrapper `content-visibility: auto`, so Chromium skips
# painting a grid outside the viewport and a full-page capture shows it blank. Screenshots
# override that, so a grid below the fold is captured as a seller sees it on scrolling.
CAPTURE_CSS = ".ag-root-wrapper { content-visibility: visible !important; }"
CHARTS_FIT = """() => document.documentElement.scrollWidth <= window.innerWidth &&
    [...document.querySelectorAll('.js-plotly-plot')].every(plot => {
        const svg = plot.querySelector('.svg-container');
        return !svg || plot.offsetWidth === 0 || svg.offsetWidth <= plot.offsetWidth + 1;
    })"""


@pytest.fixture
def shot(page):
    """``shot("name")`` saves a full-page screenshot to tests/screenshots/.

    Waits (best effort, a few seconds) until plotly charts fit their containers: a chart
    drawn while its card was hidden gets resized a moment after the card is shown.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        path = SCREENSHOTS / f"{safe}.png"
        with contextlib.suppress(PlaywrightError):
            page.wait_for_function(CHARTS_FIT, timeout=5_000)
        page.screenshot(path=str(path), full_page=True, style=CAPTURE_CSS)
        return path

    return take
