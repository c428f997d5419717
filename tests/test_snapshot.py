"""``python app.py snapshot``: a real PDF and PNG from the system Chromium (scripts/test
installs it), and a clear failure without a browser."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import unicodedata
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader

from engine.health import Viewer
from engine.service import VocService
from reporting import snapshot as snap
from reporting.document import FIRST_PAGE_ACTIONS, report_html

ROOT = Path(__file__).resolve().parents[1]
SELLER = "S-DEMO"
pytestmark = pytest.mark.browser


def run_app(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def need_chromium() -> None:
    try:
        snap.find_chromium()
    except snap.SnapshotError as err:
        pytest.fail(f"{err}: scripts/test installs it")


@pytest.fixture(scope="module")
def structure(demo_store) -> dict:
    """What the demo seller's report holds: its offer pages (SKUs) and earlier actions."""
    service = VocService.open(demo_store)
    try:
        text = report_html(
            service, Viewer("seller", SELLER), as_of=service.latest_day(), window_days=90
        )
    finally:
        service.close()
    first_actions = text.split('id="actions"')[1].split("</table>")[0]
    return {
        "offers": re.findall(r'<section class="offer" id="offer-\d+" data-sku="([^"]+)">', text),
        "appendix": text.count('<section class="appendix"'),
        "actions": first_actions.count('<tr data-sku="'),
    }


@pytest.fixture(scope="module")
def pdf(demo_store, tmp_path_factory) -> Path:
    need_chromium()
    out = tmp_path_factory.mktemp("snapshot") / "report.pdf"
    done = run_app("--store", str(demo_store), "snapshot", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stderr
    return out


def test_pdf_has_the_first_page_and_one_page_per_worst_offer(pdf, structure):
    # the demo seller: six worst offers, five actions (all on the first page)
    assert len(structure["offers"]) == 6
    assert structure["actions"] == 5 <= FIRST_PAGE_ACTIONS and structure["appendix"] == 0
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1 + len(structure["offers"]) + structure["appendix"]
    assert len(reader.pages) == 7
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_pdf_pages_are_not_blank_and_no_chart_is_cut(pdf, structure):
    # NFKC: the PDF's text has ligatures ("ﬀ") where the font draws them
    pages = [unicodedata.normalize("NFKC", page.extract_text()) for page in PdfReader(pdf).pages]
    first = pages[0]
    assert "Seller: Northwind Home (S-DEMO)" in first
    assert "Health of the offers" in first and "Actions taken and their verdicts" in first
    for sku in structure["offers"]:
        assert sku in first
    for number, (sku, text) in enumerate(zip(structure["offers"], pages[1:], strict=True), 1):
        # the offer's heading, its chart (title drawn by plotly) and what follows the chart
        # are on one page: the chart is not split
        assert f"{number}. " in text and f"SKU {sku}" in text
        assert "Weekly NCX rate" in text
        assert "Top themes of the counted feedback" in text and "Actions on this offer" in text
    for text in pages:
        assert "file://" not in text and "report.html" not in text  # no browser header/footer


def png_rows(path: Path, count: int) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, the first ``count`` rows of pixels) of an 8-bit,
    non-interlaced RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(chunks))
    prev, rows = bytearray(stride), []
    for y in range(min(count, height)):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def test_png_is_the_first_page_at_150_dpi(demo_store, tmp_path):
    need_chromium()
    out = tmp_path / "report.png"
    done = run_app("--store", str(demo_store), "snapshot", "--out", str(out))
    assert done.returncode == 0, done.stderr
    width, height, bpp, rows = png_rows(out, 700)  # the header and the tiles
    assert (width, height) == (1240, 1754)  # A4 at 150 dpi
    colours = {row[x : x + 3] for row in rows for x in range(0, len(row), bpp * 3)}
    assert len(colours) > 50  # text and tiles, not one flat colour

    def seen(hex_colour: str, tolerance: int = 24) -> bool:
        target = bytes.fromhex(hex_colour)
        return any(
            all(abs(p - t) <= tolerance for p, t in zip(c, target, strict=True)) for c in colours
        )

    assert seen("ffffff") and seen("212529")  # paper and ink
    assert seen("1a9641") and seen("d7191c")  # the tiles' excellent and very poor bars print


def test_letter_pdf(demo_store, tmp_path):
    need_chromium()
    out = tmp_path / "letter.pdf"
    done = run_app("--store", str(demo_store), "snapshot", "--paper", "letter", "--out", str(out))
    assert done.returncode == 0, done.stderr
    reader = PdfReader(out)
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (612, 792)  # Letter in points
    assert len(reader.pages) == 7


def test_without_a_browser_the_command_says_how_to_get_one(demo_store, tmp_path):
    env = {**os.environ, "VOC_CHROMIUM": "/nonexistent", "PATH": str(Path(sys.executable).parent)}
    done = run_app(
        "--store", str(demo_store), "snapshot", "--out", str(tmp_path / "x.pdf"), env=env
    )
    assert done.returncode == 2
    assert "no Chromium found: install it (apt-get install chromium) or set VOC_CHROMIUM" in (
        done.stderr
    )
    assert not (tmp_path / "x.pdf").exists()


def test_find_chromium_looks_at_fixed_paths_then_path(monkeypatch, tmp_path):
    monkeypatch.delenv("VOC_CHROMIUM", raising=False)
    monkeypatch.setattr(snap, "FIXED_PATHS", (str(tmp_path / "missing"),))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(snap.SnapshotError, match="no Chromium found") as err:
        snap.find_chromium()
    assert err.value.code == 2
    fake = tmp_path / "chromium-browser"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert snap.find_chromium() == str(fake)
    monkeypatch.setenv("VOC_CHROMIUM", "chromium-browser")  # a name on PATH will do
    assert snap.find_chromium() == str(fake)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.txt"], "must end in .pdf or .png"),
        (["--out", "x.pdf", "--seller", "NOBODY"], "seller 'NOBODY' has no offers"),
        (["--out", "x.pdf", "--category", "Nope"], "category 'Nope' is not in the store"),
        (["--out", "x.pdf", "--window-days", "0"], "--window-days must be at least 1"),
        (["--out", "x.pdf", "--as-of", "2001-01-01"], "--as-of 2001-01-01 is outside the data"),
        (["--out", "x.pdf", "--as-of", "2099-01-01"], "--as-of 2099-01-01 is outside the data"),
        (["--out", "no-such-folder/x.pdf"], "does not exist"),
    ],
)
def test_bad_arguments_are_refused_clearly(demo_store, tmp_path, args, message):
    args = [str(tmp_path / a) if a.startswith(("x.", "no-such")) else a for a in args]
    done = run_app("--store", str(demo_store), "snapshot", *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_seller_and_category_exclude_each_other(demo_store, tmp_path):
    done = run_app(
        "--store", str(demo_store), "snapshot", "--seller", SELLER, "--category", "Baby",
        "--out", str(tmp_path / "x.pdf"),
    )  # fmt: skip
    assert done.returncode == 2
    assert "not allowed with argument" in done.stderr


def test_category_manager_pdf_ends_with_the_earlier_actions(demo_store, tmp_path):
    need_chromium()
    category = "Home & Kitchen"
    service = VocService.open(demo_store)
    try:
        text = report_html(
            service,
            Viewer("category_manager", categories=(category,)),
            as_of=service.latest_day(),
            window_days=90,
        )
    finally:
        service.close()
    offers = text.count('<section class="offer"')
    assert text.count('<section class="appendix"') == 1
    out = tmp_path / "cm.pdf"
    done = run_app(
        "--store", str(demo_store), "snapshot", "--category", category, "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in PdfReader(out).pages]
    assert len(pages) == 1 + offers + 1
    assert "Category manager: Home & Kitchen" in pages[0]
    assert "Earlier actions and their verdicts" in pages[-1]
