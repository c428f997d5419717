"""Every CSV `python app.py report` writes neutralises formula-like cells, in every mode:
the per-offer report, --at-risk, --events, --ncx-orders and --actions (and `action list`).

The data carries formula-like text in its text fields (seller id, SKU, title, brand,
category, subcategory, comment, fulfilment centre, action note); each report's CSV is
parsed and no cell (header included) may be one a spreadsheet evaluates, while the
neutralised payload must be there (so a report that dropped the text fails too).
--at-risk runs on a copy of the demo store (which has offers at risk) with formula-like
titles and brands.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
import pytest

from engine.exports import is_formula_like
from engine.generations import Store
from tests.test_cli import run

SELLER, SKU = "=S1", "@A"  # a seller id and a SKU are text from the data too
TITLE = '=HYPERLINK("http://x","click")'
BRAND = "+cmd|' /C calc'!A0"
CATEGORY, SUBCATEGORY = "@SUM(1+1)", "-2+3"
COMMENT = '=HYPERLINK("http://evil","comment")'
NOTE = "=1+1 note"
CENTRE = "=FC1"

OFFERS = f"""seller_id,sku,asin,title,brand,category,subcategory,price,fulfilment,created_at
"{SELLER}","{SKU}",B000000001,"{TITLE.replace('"', '""')}","{BRAND}","{CATEGORY}","{SUBCATEGORY}",12.5,FBA,2026-01-01
S2,C,B000000003,Sheet,,"{CATEGORY}","{SUBCATEGORY}",14,FBA,2026-01-01
"""
ORDERS = f"""order_id,seller_id,sku,purchase_date,quantity,status,sold_by_seller
O1,"{SELLER}","{SKU}",2026-06-01,1,shipped,true
O2,"{SELLER}","{SKU}",2026-06-02,1,shipped,true
O3,"{SELLER}","{SKU}",2026-06-03,1,shipped,true
O4,S2,C,2026-05-20,1,shipped,true
"""
FEEDBACK = f"""feedback_id,seller_id,sku,order_id,event_date,source,reason_code,rating,comment,fulfilment_center
F1,"{SELLER}","{SKU}",O1,2026-06-10,return,CR-DEFECTIVE,,"{COMMENT.replace('"', '""')}","{CENTRE}"
F2,"{SELLER}","{SKU}",O2,2026-06-11,return,DEFECTIVE,,"{COMMENT.replace('"', '""')}",
"""
ACTIONS = f"""seller_id,sku,action_date,action,note
"{SELLER}","{SKU}",2026-06-05,changed_supplier,"{NOTE}"
"""
AS_OF = ["--as-of", "2026-06-20"]


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    d = tmp_path / "drop"
    d.mkdir()
    for name, text in (
        ("offers", OFFERS),
        ("orders", ORDERS),
        ("feedback", FEEDBACK),
        ("actions", ACTIONS),
    ):
        (d / f"{name}.csv").write_text(text, encoding="utf-8")
    return d


@pytest.fixture
def cli():
    """The command line in a subprocess (``run_report`` writes to the ``sys.stdout`` of
    import time, which pytest's capture fixtures do not see): (status, stdout, stderr)."""

    def call(*args: str) -> tuple[int, str, str]:
        done = run(*args)
        return done.returncode, done.stdout, done.stderr

    return call


def inert_rows(out: str) -> list[dict[str, str]]:
    """The CSV's rows; fails on any cell (header included) a spreadsheet would evaluate."""
    table = list(csv.reader(io.StringIO(out)))
    assert table, "no CSV at all"
    live = [(i, cell) for i, row in enumerate(table) for cell in row if is_formula_like(cell)]
    assert not live, f"formula-like cells: {live[:5]}"
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def shows(rows: list[dict[str, str]], field: str, payload: str) -> None:
    assert rows, "no rows"
    assert ("'" + payload) in {r[field] for r in rows}, (field, {r[field] for r in rows})


def test_the_offer_report_neutralises_every_text_cell(drop, cli):
    code, out, err = cli("report", "--data", str(drop), *AS_OF)
    assert code == 0, err
    rows = inert_rows(out)
    for field, payload in (
        ("seller_id", SELLER),
        ("sku", SKU),
        ("title", TITLE),
    ):
        shows(rows, field, payload)


def test_the_events_report_neutralises_every_text_cell(drop, cli):
    code, out, err = cli("report", "--events", "--data", str(drop), *AS_OF)
    assert code == 0, err
    rows = inert_rows(out)
    shows(rows, "seller_id", SELLER)
    shows(rows, "sku", SKU)


def test_the_ncx_orders_report_neutralises_every_text_cell(drop, cli):
    args = ["--ncx-orders", "--seller", SELLER, "--sku", SKU]
    code, out, err = cli("report", *args, "--data", str(drop), *AS_OF)
    assert code == 0, err
    rows = inert_rows(out)
    shows(rows, "comment", COMMENT)


def test_the_actions_report_neutralises_every_text_cell(drop, cli):
    code, out, err = cli("report", "--actions", "--data", str(drop), *AS_OF)
    assert code == 0, err
    rows = inert_rows(out)
    shows(rows, "sku", SKU)
    shows(rows, "note", NOTE)


@pytest.fixture
def hostile_demo(demo_store, tmp_path) -> Path:
    """The demo store (which has offers at risk) with formula-like titles and brands."""
    target = tmp_path / "store"
    shutil.copytree(demo_store, target, ignore=shutil.ignore_patterns("app_state.sqlite*"))
    con = duckdb.connect(str(Store(target).live()))
    try:
        con.execute("UPDATE offers SET title = ?, brand = ?", [TITLE, BRAND])
    finally:
        con.close()
    return target


def test_the_at_risk_report_neutralises_every_text_cell(hostile_demo, cli):
    code, out, err = cli("--store", str(hostile_demo), "report", "--at-risk",
                         "--seller", "S-DEMO", "--as-of", "2026-10-10")  # fmt: skip
    assert code == 0, err
    rows = inert_rows(out)
    assert all(r["at_risk_reason"] for r in rows)
    shows(rows, "title", TITLE)
