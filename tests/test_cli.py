"""The command line: import (atomic, idempotent, clear errors) and report (columns, formats)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import app
from engine import pipeline, store
from engine.generations import Store, connect_live
from engine.health import REPORT_COLUMNS, Viewer

ROOT = Path(__file__).resolve().parents[1]

OFFERS = """seller_id,sku,asin,title,brand,category,subcategory,price,fulfilment,created_at,closed_at,closed_reason,reinstated_at,deleted_at
S1,A,B000000001,Pillow insert,,Home,Pillows,12.5,FBA,2026-01-01,2026-06-20,ncx,,
S1,B,B000000002,Duvet,,Home,Duvets,,MFN,2026-01-01,,,,
S2,C,B000000003,Sheet,,Home,Pillows,14,FBA,2026-01-01,,,,2026-06-01
"""
ORDERS = """order_id,seller_id,sku,purchase_date,quantity,status,sold_by_seller
O1,S1,A,2026-06-01T10:00:00Z,1,shipped,true
O2,S1,A,2026-06-02 11:00:00+02:00,2,shipped,1
O3,S1,A,2026-06-03,1,cancelled,true
O4,S2,C,2026-05-20,1,shipped,false
"""
FEEDBACK = """feedback_id,seller_id,sku,order_id,event_date,source,reason_code,rating,comment,fulfilment_center
F1,S1,A,O1,2026-06-10,return,CR-DEFECTIVE,,stopped working after a week,PHX7
F2,S1,A,,2026-06-11,review,,1,"<script>alert(1)</script>",
F3,S1,A,O2,2026-06-12,return,UNWANTED_ITEM,,changed my mind,
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "drop"
    d.mkdir()
    (d / "offers.csv").write_text(OFFERS, encoding="utf-8")
    (d / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (d / "feedback.csv").write_text(FEEDBACK, encoding="utf-8")
    return d


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def table_counts(path: Path) -> dict[str, int]:
    con = connect_live(path)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("offers", "orders", "feedback", "events", "offer_day")
        }
    finally:
        con.close()


def test_import_then_reimport_changes_nothing(tmp_path, data_dir):
    target = tmp_path / "s"
    args = [
        "--store",
        str(target),
        "import",
        *[f"--{t}={data_dir / f'{t}.csv'}" for t in ("offers", "orders", "feedback")],
    ]
    first = run(*args)
    assert first.returncode == 0, first.stderr
    assert "orders" in first.stdout and "4 new" in first.stdout
    counts = table_counts(target)
    assert counts["orders"] == 4 and counts["feedback"] == 3
    second = run(*args)
    assert second.returncode == 0, second.stderr
    assert "0 new, 0 updated, 4 unchanged" in second.stdout
    assert "nothing changed" in second.stdout
    assert table_counts(target) == counts
    assert Store(target).generation() == 1  # not even a new version


def test_bad_file_leaves_the_store_exactly_as_it_was(tmp_path, data_dir):
    target = tmp_path / "s"
    assert (
        run(
            "--store",
            str(target),
            "import",
            f"--orders={data_dir / 'orders.csv'}",
            f"--offers={data_dir / 'offers.csv'}",
        ).returncode
        == 0
    )
    before = table_counts(target)
    bad = tmp_path / "more_orders.csv"
    bad.write_text(
        ORDERS.replace("O4,S2,C,2026-05-20", "O5,S2,C,20/05/2026")
        + "O6,S1,B,2026-06-05,1,shipped,true\n",
        encoding="utf-8",
    )
    good_feedback = data_dir / "feedback.csv"
    result = run("--store", str(target), "import", f"--orders={bad}", f"--feedback={good_feedback}")
    assert result.returncode == 2
    assert "more_orders.csv row 5, column purchase_date" in result.stderr
    assert "store is unchanged" in result.stderr
    assert table_counts(target) == before


def test_report_columns_formats_and_data_dir_leave_the_store_untouched(tmp_path, data_dir):
    target = tmp_path / "untouched"
    result = run("--store", str(target), "report", "--as-of", "2026-06-20", "--data", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert not target.exists()
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0].keys()) == list(REPORT_COLUMNS)
    by_sku = {r["sku"]: r for r in rows}
    a = by_sku["A"]
    # O1, O2 (O3 cancelled); NCX: O1 (defective return) + the unlinked 1-star review, capped at 2
    assert (a["orders"], a["ncx_orders"], a["ncx_rate"]) == ("2", "2", "1.0")
    assert (a["status"], a["action_required"], a["top_ncx_reason"]) == (
        "closed",
        "true",
        "defective",
    )
    assert by_sku["B"]["health"] == "no_recent_sales" and by_sku["B"]["ncx_rate"] == ""
    assert by_sku["C"]["status"] == "deleted" and by_sku["C"]["orders"] == "1"
    js = run(
        "report",
        "--as-of",
        "2026-06-20",
        "--data",
        str(data_dir),
        "--format",
        "json",
        "--seller",
        "S2",
    )
    records = json.loads(js.stdout)
    assert [r["sku"] for r in records] == ["C"] and records[0]["ncx_rate"] == 0.0


def test_report_without_as_of_uses_the_latest_order_day(data_dir):
    result = run("report", "--data", str(data_dir), "--format", "json")
    assert result.returncode == 0, result.stderr
    # the latest order (O2, 2026-06-02; O3 is cancelled), not the later feedback (06-12)
    assert max(r["last_updated"] or "" for r in json.loads(result.stdout)) == "2026-06-02"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-01-01"], "--as-of 2026-01-01 is before the first order day"),
        (["--seller", "NOBODY"], "--seller 'NOBODY' has no offers in the data"),
        (["--category", "Garden"], "--category 'Garden' is not in the data (categories: Home)"),
    ],
)
def test_report_that_could_only_be_empty_says_why(data_dir, args, message):
    """An empty report would read as "nothing wrong": a question the data cannot answer
    is refused with the reason."""
    result = run("report", "--data", str(data_dir), *args)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr


def test_report_into_a_closed_pipe_ends_quietly(demo_store):
    """`report | head -1`: the reader stops early (the report is megabytes, far more than a
    pipe holds); no BrokenPipeError traceback."""
    done = subprocess.run(
        f"{sys.executable} app.py --store {demo_store} report --format json | head -1"
        "; exit ${PIPESTATUS[0]}",
        executable="/bin/bash",
        shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.stdout == "[\n" and done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_parser_accepts_store_before_and_after_the_command():
    assert app._parser().parse_args(["--store", "x", "report"]).store == "x"
    assert app._parser().parse_args(["report", "--store", "y"]).store == "y"


def test_first_start_rebuilds_derived_tables_missing_from_an_older_store(tmp_path, data_dir):
    from engine import commands

    target = tmp_path / "old"
    files = {"offers": data_dir / "offers.csv", "orders": data_dir / "orders.csv"}
    pipeline.import_into_store(target, files)
    live = Store(target).live()
    con = store.connect(live)
    con.execute("DROP TABLE offer_activity")
    con.close()
    commands.ensure_store(target, out=io.StringIO())
    assert table_counts(target)["orders"] == 4  # the data was kept, not replaced by the demo
    con = connect_live(target)
    try:
        assert con.execute("SELECT count(*) FROM offer_activity").fetchall()[0][0] == 2
    finally:
        con.close()


def test_demo_refuses_a_scale_that_is_not_above_zero(tmp_path):
    target = tmp_path / "never"
    done = run("--store", str(target), "demo", "--scale", "0")
    assert done.returncode == 2 and "--scale must be above 0" in done.stderr
    assert "Traceback" not in done.stderr and not target.exists()


def test_report_at_risk_lists_only_the_offers_at_risk_with_their_reason(demo_store, service):
    day = "2026-10-10"
    result = run("--store", str(demo_store), "report", "--at-risk", "--seller", "S-DEMO",
                 "--as-of", day)  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [*REPORT_COLUMNS, "at_risk_reason"]
    shown = service.offers(Viewer("seller", "S-DEMO"), date.fromisoformat(day), 90)
    expected = shown.filter("at_risk")
    assert sorted(r["sku"] for r in rows) == sorted(expected["sku"]) and rows
    assert all(r["at_risk_reason"] and r["health"] in ("excellent", "good", "fair") for r in rows)


def test_report_at_risk_with_none_says_so(data_dir):
    result = run("report", "--data", str(data_dir), "--at-risk", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [] and "no offers at risk" in result.stderr
