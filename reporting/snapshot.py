"""``python app.py snapshot``: the report view rendered by the system Chromium, headless.

- ``.pdf``: the whole report printed on A4 or Letter (``@page`` size and margins of the
  document, no browser header or footer): the first page (header, health tiles, worst
  offers, actions taken) and one page per worst offer.
- ``.png``: the first page as it prints, at 150 dpi: 1240 x 1754 px on A4, 1275 x 1650 px
  on Letter (``Paper.pixels``), for pasting into a document.

The browser: ``$VOC_CHROMIUM`` when set (and only it), else ``/usr/bin/chromium``, else
``chromium``, ``chromium-browser``, ``google-chrome`` or ``google-chrome-stable`` on PATH.
It runs with a fresh profile in a temporary folder, without network (every host name
fails to resolve; the document loads nothing anyway) and with a virtual time budget, so
the charts are drawn before it prints.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine.health import Viewer
from engine.service import VocService
from reporting.document import PAPERS, report_html, viewer_label

NO_BROWSER = "no Chromium found: install it (apt-get install chromium) or set VOC_CHROMIUM"
FIXED_PATHS: tuple[str, ...] = ("/usr/bin/chromium",)
NAMES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FORMATS = (".pdf", ".png")
PNG_DPI = 150
TIMEOUT_S = 180
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=10000",
)
# Chromium's own noise on stderr in a container (no D-Bus, no GPU): not worth showing.
NOISE = ("dbus", "Fontconfig", "gpu_", "viz_main", "sandbox", "unexpected operator")


class SnapshotError(Exception):
    """A snapshot that cannot be made; ``code`` is the command's exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Snapshot:
    path: Path
    label: str
    as_of: date
    window_days: int
    paper: str


def find_chromium() -> str:
    """The browser to run (see the module docstring); SnapshotError when there is none."""
    explicit = os.environ.get("VOC_CHROMIUM", "").strip()
    if explicit:
        found = shutil.which(explicit)
        if found:
            return found
        raise SnapshotError(f"{NO_BROWSER} (VOC_CHROMIUM={explicit} is not an executable)")
    for path in FIXED_PATHS:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise SnapshotError(NO_BROWSER)


def output_format(out: Path) -> str:
    """'.pdf' or '.png' from the file name; SnapshotError for anything else."""
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise SnapshotError(
            f"--out {out}: the file name must end in .pdf or .png (got {suffix or 'none'})"
        )
    if not out.parent.is_dir():
        raise SnapshotError(f"--out {out}: the folder {out.parent} does not exist")
    return suffix


def snapshot_viewer(service: VocService, seller: str | None, category: str | None) -> Viewer:
    """The viewer of a snapshot: the seller, a category manager of the category, or the
    page's default view (the demo seller when present)."""
    if seller is not None and category is not None:
        raise SnapshotError("--seller and --category exclude each other: name one")
    if category is not None:
        known = service.categories()
        if category not in known:
            raise SnapshotError(
                f"category {category!r} is not in the store (categories: {', '.join(known)})"
            )
        return Viewer("category_manager", categories=(category,))
    seller = seller if seller is not None else service.default_view()
    if seller not in service.sellers():
        raise SnapshotError(f"seller {seller!r} has no offers in the store")
    return Viewer("seller", seller)


def chromium_command(browser: str, page: Path, out: Path, profile: Path, paper: str) -> list[str]:
    """The command line that renders ``page`` (an HTML file) to ``out`` (.pdf or .png)."""
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    if out.suffix.lower() == ".pdf":
        # --no-pdf-header-footer is the current name; older builds knew the second one.
        cmd += ["--no-pdf-header-footer", "--print-to-pdf-no-header", f"--print-to-pdf={out}"]
    else:
        width, height = PAPERS[paper].pixels(PNG_DPI)
        cmd += [f"--screenshot={out}", f"--window-size={width},{height}"]
    return [*cmd, page.as_uri()]


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,  # its renderer processes go with it on a timeout
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise SnapshotError(f"Chromium did not finish within {TIMEOUT_S} s", code=1) from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _problem(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not any(n in ln for n in NOISE)]
    return "\n".join(lines[-8:])


def snapshot(
    root: Path,
    *,
    seller: str | None = None,
    category: str | None = None,
    as_of: date | None = None,
    window_days: int = 90,
    out: Path,
    paper: str = "a4",
) -> Path:
    """Render the report of a seller (or a category) from the store folder ``root`` to
    ``out`` (.pdf: the whole report; .png: its first page at 150 dpi); returns ``out``.
    Raises SnapshotError (with the exit status) when it cannot."""
    return make(
        root,
        seller=seller,
        category=category,
        as_of=as_of,
        window_days=window_days,
        out=out,
        paper=paper,
    ).path


def make(
    root: Path,
    *,
    seller: str | None,
    category: str | None,
    as_of: date | None,
    window_days: int,
    out: Path,
    paper: str,
) -> Snapshot:
    """``snapshot``, also telling whose report it is, as of which day."""
    out = Path(out)
    suffix = output_format(out)
    if paper not in PAPERS:
        raise SnapshotError(f"--paper {paper}: use one of {', '.join(PAPERS)}")
    if window_days < 1:
        raise SnapshotError("--window-days must be at least 1")
    browser = find_chromium()
    from engine.generations import StoreError

    try:
        service = VocService.open(root)
    except StoreError as err:
        raise SnapshotError(f"{err}: run `python app.py demo` or `import` first") from None
    service.prefetch_trends = False  # one report, no later row clicks to prepare for
    try:
        viewer = snapshot_viewer(service, seller, category)
        first, latest = service.day_range()
        day = as_of or latest
        if not first <= day <= latest:
            raise SnapshotError(
                f"--as-of {day} is outside the data: the days with data are {first} to {latest}"
            )
        document = report_html(
            service, viewer, as_of=day, window_days=window_days, paper=paper, sheet=suffix == ".png"
        )
        label = viewer_label(viewer)
    finally:
        service.close()
    with tempfile.TemporaryDirectory(prefix="voc-snapshot-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(document, encoding="utf-8")
        result = Path(tmp) / f"report{suffix}"
        done = _run(chromium_command(browser, page, result, Path(tmp) / "profile", paper))
        if done.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            detail = _problem(done.stderr)
            raise SnapshotError(
                f"Chromium ({browser}) did not write the {suffix[1:].upper()} "
                f"(exit status {done.returncode})" + (f":\n{detail}" if detail else ""),
                code=1,
            )
        shutil.move(str(result), out)
    return Snapshot(out, label, day, window_days, paper)


def run(
    root: Path,
    *,
    seller: str | None,
    category: str | None,
    as_of: date | None,
    window_days: int,
    out: Path,
    paper: str,
) -> int:
    """The ``snapshot`` command: 0 when written, 2 for a usage problem, 1 if Chromium failed."""
    try:
        made = make(
            root,
            seller=seller,
            category=category,
            as_of=as_of,
            window_days=window_days,
            out=out,
            paper=paper,
        )
    except SnapshotError as err:
        print(err, file=sys.stderr)
        return err.code
    what = "the report" if made.path.suffix.lower() == ".pdf" else "the first page at 150 dpi"
    size = ""
    if made.path.suffix.lower() == ".png":
        w, h = PAPERS[paper].pixels(PNG_DPI)
        size = f", {w} x {h} px"
    print(
        f"wrote {made.path}: {what} ({PAPERS[paper].label}{size}) for {made.label}, "
        f"as of {made.as_of}, {made.window_days} days",
        file=sys.stderr,
    )
    return 0
