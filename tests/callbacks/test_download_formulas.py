"""The page's downloads neutralise formula-like text, through the download callbacks
themselves (callbacks/downloads.py): the offers grid, the comments and an offer's NCX
orders, each as CSV and as xlsx, over a store whose data carries formula-like seller id,
SKU, title, category, subcategory, comment and fulfilment centre
(tests/test_report_formulas.py).

CSV: no cell (about lines and headers included) is one a spreadsheet evaluates, and the
payload is there with its apostrophe. xlsx: no formula anywhere, every cell holding a
payload is a string cell with the exact text and Excel's quote prefix.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
import zipfile
from contextvars import copy_context

import openpyxl
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict

import app as app_module
from engine import commands
from engine.exports import is_formula_like
from engine.importers.detect import InputFile
from engine.service import GridQuery
from layouts.downloads import OFFER_COLUMNS
from layouts.ids import ID
from tests.callbacks.test_callbacks import callback
from tests.test_report_formulas import (
    CATEGORY,
    COMMENT,
    SELLER,
    SKU,
    SUBCATEGORY,
    TITLE,
    drop,  # noqa: F401  (the fixture)
)

AS_OF = "2026-06-20"
SCOPE = ("cm", None, AS_OF, 90, 0)  # view, categories, as of, window, version
QUERY = json.dumps(
    {
        "scope": {"view": "cm", "cm_categories": None, "as_of": AS_OF, "window": 90},
        "query": dataclasses.asdict(GridQuery()),
    }
)


@pytest.fixture
def hostile_app(drop, tmp_path):  # noqa: F811
    store = tmp_path / "store"
    files = [InputFile(p) for p in sorted(drop.iterdir())]
    assert commands.run_import(store, files, out=io.StringIO()) == 0
    return app_module.create_app(store)


def download(dash_app, name: str, button: str, *args) -> tuple[str, bytes]:
    """Call a download callback as if ``button`` was clicked: (file name, bytes)."""
    func = callback(dash_app, name)

    def clicked():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": f"{button}.n_clicks"}]))
        return func(1, 1, *args)  # which button: the triggered input says

    sent = copy_context().run(clicked)
    return sent["filename"], base64.b64decode(sent["content"])


def inert_csv(data: bytes) -> list[list[str]]:
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    live = [cell for row in table for cell in row if is_formula_like(cell)]
    assert table and not live, live[:5]
    return table


def inert_xlsx(data: bytes) -> list[str]:
    """Every text cell of every worksheet; fails on a formula, or on a formula-like
    string cell without the quote prefix."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    texts = []
    for ws in openpyxl.load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    if is_formula_like(cell.value):
                        assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
                    texts.append(cell.value)
    return texts


def check(dash_app, name: str, buttons: tuple[str, str], args: tuple, payloads: list[str]):
    csv_button, xlsx_button = buttons
    filename, data = download(dash_app, name, csv_button, *args)
    assert filename.endswith(".csv")
    cells = {cell for row in inert_csv(data) for cell in row}
    for payload in payloads:
        assert "'" + payload in cells, payload
    filename, data = download(dash_app, name, xlsx_button, *args)
    assert filename.endswith(".xlsx")
    texts = set(inert_xlsx(data))
    for payload in payloads:
        assert payload in texts, payload


def test_offers_grid_downloads_are_inert(hostile_app):
    columns = [{"colId": c} for c in OFFER_COLUMNS]
    args = (QUERY, {}, columns)
    payloads = [SELLER, SKU, TITLE, CATEGORY, SUBCATEGORY]
    check(hostile_app, "download_offers", (ID.GRID_DOWNLOAD_BUTTON, ID.GRID_DOWNLOAD_XLSX),
          args, payloads)  # fmt: skip


def test_comment_downloads_are_inert(hostile_app):
    comments = callback(hostile_app, "update_comments")
    offer = f"{SELLER}|{SKU}"
    rows, title, *_ = comments(offer, False, QUERY, None, None, None, None, None, *SCOPE)
    assert rows
    args = (rows, title, QUERY)
    check(hostile_app, "download_comments", (ID.COMMENTS_CSV, ID.COMMENTS_XLSX), args,
          [COMMENT, SKU])  # fmt: skip


def test_ncx_order_downloads_are_inert(hostile_app):
    args = (f"{SELLER}|{SKU}", QUERY)
    check(hostile_app, "download_ncx_orders", (ID.NCX_CSV, ID.NCX_XLSX), args, [COMMENT])


def test_the_grid_download_of_every_offer_of_the_demo_as_a_category_manager(demo_store):
    """The whole marketplace (5,000 offers): columns empty in the first rows and filled
    further down (closed days, at-risk reasons) must not fail the download (it did:
    polars inferred the types from the first 100 rows)."""
    from layouts.grid import offer_columns

    dash_app = app_module.create_app(demo_store)
    day = dash_app_day(demo_store)
    query = json.dumps(
        {
            "scope": {"view": "cm", "cm_categories": None, "as_of": day, "window": 90},
            "query": dataclasses.asdict(GridQuery()),
        }
    )
    columns = offer_columns(show_seller=True)
    name, data = download(dash_app, "download_offers", ID.GRID_DOWNLOAD_BUTTON, query, {}, columns)
    rows = inert_csv(data)
    assert name.endswith(".csv") and len(rows) > 5000
    name, data = download(dash_app, "download_offers", ID.GRID_DOWNLOAD_XLSX, query, {}, columns)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[1]
    assert sheet.max_row > 5000


def dash_app_day(store) -> str:
    from engine.service import VocService

    svc = VocService.open(store)
    try:
        return svc.latest_day().isoformat()
    finally:
        svc.close()
