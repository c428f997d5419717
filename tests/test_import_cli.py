"""``python app.py import`` over Seller Central reports, through real subprocesses (few,
as they are slow; tests/engine/test_amazon_import.py covers the rules in detail)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine import demo, pipeline, store
from engine.generations import Store, connect_live
from engine.importers.detect import InputFile
from engine.report import report_frame

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "amazon"
SELLER = "A1SELLER"
REPORTS = [
    "All-Orders-by-order-date.txt",
    "All-Orders-by-last-update.txt",
    "FBA-Customer-Returns.txt",
    "FBA-Customer-Returns-DE.txt",
    "MFN-Returns.txt",
    "Settlement-V2.txt.gz",
    "FBA-Replacements.txt",
    "Seller-Feedback.txt",
    "Seller-Feedback-US.txt",
]


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "app.py", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def state(root: Path) -> tuple:
    """Live generation, the folder's files and every row of every table."""
    files = sorted(p.name for p in root.iterdir() if p.name != "import.lock")
    con = connect_live(root)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1"
            ).fetchall()
        ]
        rows = {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()
    return Store(root).generation(), files, rows


def test_one_command_takes_any_mix_and_a_second_run_changes_nothing(tmp_path):
    target = tmp_path / "store"
    args = [
        "--store", target, "import", *(FIX / n for n in REPORTS), "--seller", SELLER,
        "--catalogue", FIX / "catalogue.csv", "--benchmark", FIX / "benchmark.csv",
    ]  # fmt: skip
    first = run(*args)
    assert first.returncode == 0, first.stderr
    out = first.stdout.splitlines()
    for line in (
        "All-Orders-by-order-date.txt: All Orders report, 10 rows",
        "All-Orders-by-last-update.txt: All Orders report, 4 rows",
        "FBA-Customer-Returns.txt: FBA customer returns report, 5 rows",
        "MFN-Returns.txt: merchant-fulfilled returns report, 2 rows",
        "Settlement-V2.txt.gz: settlement report (V2), 8 rows",
        "FBA-Replacements.txt: FBA replacements report, 3 rows",
        "Seller-Feedback.txt: seller feedback report, 3 rows",
        "Seller-Feedback-US.txt: seller feedback report, 2 rows "
        "(dates read as month/day/year (US))",
        "catalogue.csv: catalogue, 3 rows",
        "benchmark.csv: benchmark file, 2 rows",
    ):
        assert line in out, (line, first.stdout)
    # both orders reports in one import: the newest version of each order, 9 orders
    assert any(" ".join(x.split()) == "orders 9: 9 new, 0 updated, 0 unchanged" for x in out)
    warnings = sorted(x for x in out if x.startswith("warning: "))
    assert [w.split(" with ")[0] for w in warnings] == [
        "warning: FBA-Customer-Returns-DE.txt: 1 row",
        "warning: FBA-Customer-Returns-DE.txt: 1 row",
        "warning: Seller-Feedback.txt: 1 row",
    ], first.stdout
    assert "a reason code this version does not know" in warnings[0]
    assert "feedback for an offer the store does not know" in warnings[1]
    assert "seller feedback for an order that is not in the store" in warnings[2]
    assert any(x.startswith("note: 1 offer without a category (Uncategorised)") for x in out)
    assert "@" not in first.stdout + first.stderr  # no rater e-mail, not even in messages
    assert Store(target).generation() == 1

    report = run("--store", target, "report", "--format", "json", "--as-of", "2026-09-30")
    assert report.returncode == 0, report.stderr
    rows = {r["sku"]: r for r in json.loads(report.stdout)}
    assert {s: rows[s]["peer_basis"] for s in rows} == {
        "DUVET-KING": "benchmark",
        "LAMP-01": "own_catalogue",
        "MUG-BLUE": "benchmark",
        "PIL-QUEEN": "benchmark",
    }
    assert rows["PIL-QUEEN"]["peer_rate"] == 0.021 and rows["PIL-QUEEN"]["orders"] == 3

    before = state(target)
    second = run(*args)
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stdout
    assert state(target) == before


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli-base") / "store"
    pipeline.import_into_store(root, [InputFile(FIX / REPORTS[0])], seller=SELLER)
    return root


def _future_orders(path: Path) -> None:
    day = datetime.now(UTC).date() + timedelta(days=3)
    lines = (FIX / "All-Orders-by-order-date.txt").read_bytes().split(b"\r\n")
    lines[4] = lines[4].replace(b"2026-09-03T15:00:00-04:00", f"{day}T15:00:00-04:00".encode())
    path.write_bytes(b"\r\n".join(lines))


def _truncated(path: Path) -> None:
    path.write_bytes((FIX / "Settlement-V2.txt.gz").read_bytes()[:200])


def _other_type(path: Path) -> None:
    shutil.copy(FIX / "Business-Report.csv", path)


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("future-orders.txt", _future_orders, "future-orders.txt row 5, column purchase-date: "),
        ("settlement.txt.gz", _truncated, "settlement.txt.gz: is not a complete gzip file ("),
        (
            "Business-Report.csv",
            _other_type,
            "Business-Report.csv row 1: is not a file type this importer knows",
        ),
    ],
    ids=["future", "truncated-gzip", "other-type"],
)
def test_a_bad_file_fails_the_whole_import_with_exit_code_2(base, tmp_path, name, make, expected):
    target = tmp_path / "store"
    shutil.copytree(base, target)
    before = state(target)
    bad = tmp_path / name
    make(bad)
    result = run(
        "--store", target, "import", FIX / "All-Orders-by-last-update.txt", bad, "--seller", SELLER
    )
    assert result.returncode == 2
    assert "import failed, the store is unchanged:\n" in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert state(target) == before


def test_no_wait_fails_at_once_while_another_import_runs(tmp_path):
    target = tmp_path / "store"
    with Store(target).lock():
        result = run("--store", target, "import", FIX / REPORTS[0], "--seller", SELLER, "--no-wait")
    assert result.returncode == 2
    assert "import not started: another import is running (pid " in result.stderr
    assert "try again when it has finished" in result.stderr
    assert Store(target).generation() == 0


def test_demo_refuses_to_replace_imported_data_unless_forced(base, tmp_path):
    target = tmp_path / "store"
    shutil.copytree(base, target)
    before = state(target)
    refused = run("--store", target, "demo", "--scale", "0.05")
    assert refused.returncode == 2
    assert "demo not built: " in refused.stderr and "holds imported data" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert state(target) == before

    forced = run("--store", target, "demo", "--scale", "0.05", "--force")
    assert forced.returncode == 0, forced.stderr
    con = connect_live(target)
    try:
        assert store.origin(con) == "demo"
        for table in ("offers", "orders"):  # replaced by the demo
            assert con.execute(
                f"SELECT count(*) FROM {table} WHERE seller_id = ?", [SELLER]
            ).fetchall() == [(0,)]
    finally:
        con.close()


def test_demo_reports_imported_as_printed_give_the_demo_sellers_numbers(tmp_path, demo_con):
    folder = tmp_path / "reports"
    written = run("demo", "--amazon-reports", folder)
    assert written.returncode == 0, written.stderr
    assert "import them with:" in written.stderr
    files = sorted(folder.iterdir())
    assert len(files) == 8
    target = tmp_path / "store"
    imported = run("--store", target, "import", *files)  # as printed: the default seller
    assert imported.returncode == 0, imported.stderr
    assert "warning:" not in imported.stdout
    con = connect_live(target)
    try:
        got = report_frame(con, as_of=date(2026, 10, 31), seller_id=pipeline.DEFAULT_SELLER)
    finally:
        con.close()
    want = report_frame(demo_con, as_of=date(2026, 10, 31), seller_id=demo.DEMO_SELLER_ID)
    assert want.height >= 100
    pairs = ["sku", "orders", "ncx_orders"]
    assert got.select(pairs).sort("sku").equals(want.select(pairs).sort("sku"))
