"""Seller Central reports in (issue 7): what every report type's rows become, split order
lines, corrections, warnings, plausibility checks, all-or-nothing failures, seller
isolation, the demo round trip and the import lock.

The fixtures (tests/fixtures/amazon/) are one small Canadian seller, ``A1SELLER``:

- All-Orders-by-order-date.txt: UTF-8 with a BOM, CRLF; order 0002 has a shipped and a
  cancelled unit line, order 0006 is written twice; 0005 is cancelled, 0004 pending.
- All-Orders-by-last-update.txt: the ``order-id`` variant; 0004 pending -> shipped, 0007
  shipped -> cancelled, 0001 in an *older* version (pending), 0009 new.
- FBA-Customer-Returns.txt: cp1252, two per-unit rows of one return (0006).
- FBA-Customer-Returns-DE.txt: cp1252, ``amazon-order-id``, optional columns missing, an
  extra one, two unit rows with different fulfilment centres, an unknown reason code, a
  SKU the store does not know.
- MFN-Returns.txt: ``CR-`` and ``AMZ-PG-`` reasons, US dates with PDT.
- Settlement-V2.txt.gz: the summary row, Order rows, one refund over three amount rows.
- FBA-Replacements.txt, Seller-Feedback.txt (German), -US.txt (BOM, month first),
  -JP.txt (cp932), catalogue.csv, benchmark.csv, Business-Report.csv (another type).
"""

from __future__ import annotations

import gzip
import shutil
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from engine import demo, pipeline, store
from engine.demo_reports import write_amazon_reports
from engine.generations import Store, StoreError, connect_live
from engine.health import offer_health
from engine.importers.detect import FILE_TYPES, InputFile, recognise
from engine.importers.errors import InputError
from engine.report import report_frame

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "amazon"
SELLER = "A1SELLER"
ORDER_DATE = "All-Orders-by-order-date.txt"
LAST_UPDATE = "All-Orders-by-last-update.txt"
FBA = "FBA-Customer-Returns.txt"
FBA_DE = "FBA-Customer-Returns-DE.txt"
MFN = "MFN-Returns.txt"
SETTLEMENT = "Settlement-V2.txt.gz"
REPLACEMENTS = "FBA-Replacements.txt"
FEEDBACK_DE = "Seller-Feedback.txt"
FEEDBACK_US = "Seller-Feedback-US.txt"
FEEDBACK_JP = "Seller-Feedback-JP.txt"
REPORTS = (ORDER_DATE, LAST_UPDATE, FBA, MFN, SETTLEMENT, REPLACEMENTS, FEEDBACK_DE)
# the rater e-mails of the seller feedback fixtures (no other fixture text holds an "@")
EMAILS = ("@", "q9x2k7c4", "f3h8w1p0", "z0z0z0z0", "k2j4h6g8", "m1n3b5v7", "x7y8z9w0", "p4q5r6s7")


def fx(*names: str | Path) -> list[InputFile]:
    return [InputFile(n if isinstance(n, Path) else FIX / n) for n in names]


def load(con, *names: str | Path, **kw) -> pipeline.ImportSummary:
    return pipeline.import_files(con, fx(*names), seller=kw.pop("seller", SELLER), **kw)


def fresh(*names: str | Path, **kw):
    con = store.connect(None)
    if names:
        load(con, *names, **kw)
    return con


def dump(con) -> dict[str, list[tuple]]:
    """Every row of every table (canonical, derived, meta), in a stable order."""
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1"
        ).fetchall()
    ]
    return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def store_state(root: Path) -> tuple:
    """A store folder as a reader sees it: live generation, files, every table's rows."""
    files = sorted(p.name for p in root.iterdir() if p.name != "import.lock")
    con = connect_live(root)
    try:
        return Store(root).generation(), files, (root / "CURRENT").read_text(), dump(con)
    finally:
        con.close()


def orders_of(con) -> dict[str, tuple]:
    rows = con.execute(
        "SELECT order_id, sku, purchase_date, quantity, status, updated_at FROM orders"
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def feedback_of(con, source: str) -> list[tuple]:
    return con.execute(
        "SELECT order_id, sku, event_date, reason_code, rating, comment, fulfilment_center "
        "FROM feedback WHERE source = ? ORDER BY event_date, sku",
        [source],
    ).fetchall()


def counts(summary: pipeline.ImportSummary, table: str) -> tuple[int, ...]:
    c = summary.merged.counts[table]
    return c.rows, c.records, c.added, c.updated, c.unchanged, c.older


def report_by_sku(con, **kw) -> dict[str, dict]:
    return {r["sku"]: r for r in report_frame(con, **kw).iter_rows(named=True)}


def rewrite_line(src: Path, dst: Path, row: int, old: bytes, new: bytes) -> Path:
    """A copy of a CRLF report with ``old`` replaced by ``new`` in spreadsheet row ``row``
    (bytes: the file's own encoding is kept; .gz files are decompressed and compressed)."""
    raw = gzip.decompress(src.read_bytes()) if src.name.endswith(".gz") else src.read_bytes()
    eol = b"\r\n" if b"\r\n" in raw else b"\n"
    lines = raw.split(eol)
    assert old in lines[row - 1], (src.name, row, old)
    lines[row - 1] = lines[row - 1].replace(old, new)
    out = eol.join(lines)
    dst.write_bytes(gzip.compress(out) if dst.name.endswith(".gz") else out)
    return dst


def utc(*args: int) -> datetime:
    return datetime(*args)  # naive UTC, as stored


# --------------------------------------------------------------------------------------
# Recognition


@pytest.mark.parametrize(
    ("name", "kind", "encoding"),
    [
        (ORDER_DATE, "amazon_orders", None),  # amazon-order-id, behind a BOM
        (LAST_UPDATE, "amazon_orders", None),  # order-id
        (FBA, "fba_returns", None),
        (FBA_DE, "fba_returns", None),  # amazon-order-id
        (MFN, "mfn_returns", None),
        (SETTLEMENT, "settlement", None),
        (REPLACEMENTS, "fba_replacements", None),
        (FEEDBACK_DE, "seller_feedback", None),
        (FEEDBACK_US, "seller_feedback", None),
        (FEEDBACK_JP, "seller_feedback", "cp932"),
        ("catalogue.csv", "catalogue", None),
        ("benchmark.csv", "benchmark", None),
    ],
)
def test_each_file_type_is_recognised_by_its_header(name, kind, encoding):
    assert recognise(FIX / name, encoding).kind == kind


def test_canonical_files_are_recognised_the_same_way(tmp_path):
    files = {
        "o.csv": ("seller_id,sku,category\nS,A,Home\n", "offers"),
        "r.csv": ("order_id,sku,purchase_date,quantity,status\nO,A,2026-09-01,1,shipped\n", "orders"),
        "f.tsv": ("feedback_id\tsku\tevent_date\tsource\nF\tA\t2026-09-01\treturn\n", "feedback"),
        "a.csv": ("seller_id,sku,action_date,action\nS,A,2026-09-01,edited listing\n", "actions"),
    }  # fmt: skip
    for name, (text, kind) in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert recognise(tmp_path / name).kind == kind, name


# --------------------------------------------------------------------------------------
# What each report's rows become


@pytest.fixture(scope="module")
def by_order_date():
    """A store that received the order-date All Orders report only, and its summary."""
    con = store.connect(None)
    summary = load(con, ORDER_DATE)
    yield con, summary
    con.close()


def test_all_orders_lines_become_one_order_per_order_and_sku(by_order_date):
    con, summary = by_order_date
    assert orders_of(con) == {
        ("701-1000001-0000001", "PIL-QUEEN"): (utc(2026, 9, 1, 17), 1, "shipped", utc(2026, 9, 3, 15)),
        # a shipped and a cancelled unit line: one order, not cancelled, quantities summed
        ("701-1000002-0000002", "PIL-QUEEN"): (utc(2026, 9, 2, 18, 30), 2, "shipped", utc(2026, 9, 4, 16)),
        ("701-1000003-0000003", "MUG-BLUE"): (utc(2026, 9, 3, 19), 2, "shipped", utc(2026, 9, 5, 14)),
        ("701-1000004-0000004", "DUVET-KING"): (utc(2026, 9, 4, 16, 15), 1, "pending", utc(2026, 9, 4, 16, 20)),
        ("701-1000005-0000005", "LAMP-01"): (utc(2026, 9, 6, 1, 45), 1, "cancelled", utc(2026, 9, 6, 14)),
        # the same line written twice: counted once (quantity 2, not 4)
        ("701-1000006-0000006", "PIL-QUEEN"): (utc(2026, 9, 6, 12), 2, "shipped", utc(2026, 9, 8, 12)),
        ("701-1000007-0000007", "LAMP-01"): (utc(2026, 9, 7, 15), 1, "shipped", utc(2026, 9, 9, 15)),
        ("701-1000008-0000008", "DUVET-KING"): (utc(2026, 9, 9, 3, 10), 1, "shipped", utc(2026, 9, 10, 15)),
    }  # fmt: skip
    assert con.execute("SELECT DISTINCT seller_id, sold_by_seller FROM orders").fetchall() == [
        (SELLER, True)
    ]
    # rows, records, added, updated, unchanged, older
    assert counts(summary, "orders") == (10, 8, 8, 0, 0, 0)
    assert [(f.file, f.kind, f.rows) for f in summary.files] == [(ORDER_DATE, "amazon_orders", 10)]


def test_offers_come_from_the_orders_report_without_a_catalogue(by_order_date):
    con, summary = by_order_date
    rows = con.execute(
        "SELECT sku, asin, title, fulfilment, price, created_at, category, subcategory, brand "
        "FROM offers WHERE seller_id = ? ORDER BY sku",
        [SELLER],
    ).fetchall()
    u = store.UNCATEGORISED
    assert rows == [
        ("DUVET-KING", "B0DUV00003", "Duvet king, all-season", "FBA", Decimal("129.00"), date(2026, 9, 4), u, u, None),
        # price from the shipped line (the cancelled one has none); created = first order day
        ("LAMP-01", "B0LMP00004", "Desk lamp LED, dimmable", "FBA", Decimal("45.50"), date(2026, 9, 6), u, u, None),
        # item-price is the line total: 25.00 for 2 units
        ("MUG-BLUE", "B0MUG00002", "Stoneware mug, blue, 350 ml", "MFN", Decimal("12.50"), date(2026, 9, 3), u, u, None),
        ("PIL-QUEEN", "B0PIL00001", "Oreiller en duvet – Queen / Down pillow", "FBA", Decimal("39.99"), date(2026, 9, 1), u, u, None),
    ]  # fmt: skip
    assert counts(summary, "report_offers")[2] == 4
    assert summary.uncategorised == 4
    assert any(
        line.startswith("note: 4 offers without a category (Uncategorised)")
        and "--catalogue" in line
        for line in summary.lines()
    )


def test_the_update_report_updates_orders_and_keeps_newer_stored_versions():
    con = fresh(ORDER_DATE)
    version = store.data_version(con)
    summary = load(con, LAST_UPDATE)
    assert counts(summary, "orders") == (4, 4, 1, 2, 0, 1)
    got = orders_of(con)
    assert got[("701-1000004-0000004", "DUVET-KING")] == (
        utc(2026, 9, 4, 16, 15), 1, "shipped", utc(2026, 9, 6, 17)
    )  # fmt: skip  # pending -> shipped
    assert got[("701-1000007-0000007", "LAMP-01")][2] == "cancelled"  # shipped -> cancelled
    # the report's pending version of 0001 is older than the stored shipped one: kept
    assert got[("701-1000001-0000001", "PIL-QUEEN")] == (
        utc(2026, 9, 1, 17), 1, "shipped", utc(2026, 9, 3, 15)
    )  # fmt: skip
    assert got[("701-1000009-0000009", "MUG-BLUE")] == (
        utc(2026, 9, 12, 16), 1, "shipped", utc(2026, 9, 13, 16)
    )  # fmt: skip
    assert len(got) == 9
    assert any("1 older than the stored version (kept)" in line for line in summary.lines())
    assert store.data_version(con) == version + 1
    # both lamp orders are cancelled now: no orders left for NCX
    assert report_by_sku(con, as_of=date(2026, 9, 30))["LAMP-01"]["orders"] == 0


def test_the_newer_version_wins_whichever_report_comes_first():
    a = fresh(ORDER_DATE)
    load(a, LAST_UPDATE)
    b = fresh(LAST_UPDATE)
    summary = load(b, ORDER_DATE)
    # 0001 updated (order-date's is newer), 0004 and 0007 older (kept), 5 new
    assert counts(summary, "orders") == (10, 8, 5, 1, 0, 2)
    assert orders_of(a) == orders_of(b)


def test_fba_returns_are_one_event_per_return_in_cp1252():
    con = fresh(ORDER_DATE)
    summary = load(con, FBA)
    assert feedback_of(con, "return") == [
        ("701-1000001-0000001", "PIL-QUEEN", utc(2026, 9, 10, 12), "DEFECTIVE", None,
         "Les coutures ont lâché après une semaine", "YYZ4"),
        # two per-unit rows (license plates differ): one event
        ("701-1000006-0000006", "PIL-QUEEN", utc(2026, 9, 12, 9, 30), "QUALITY_UNACCEPTABLE", None,
         "Flat after two nights, the filling clumps", "YUL2"),
        ("701-1000008-0000008", "DUVET-KING", utc(2026, 9, 14, 16), "UNWANTED_ITEM", None,
         "Changed my mind – didn’t need it", "YYZ4"),
        ("701-1000002-0000002", "PIL-QUEEN", utc(2026, 9, 15, 16), "DAMAGED_BY_FC", None, None,
         "YYZ4"),
    ]  # fmt: skip
    assert counts(summary, "feedback") == (5, 4, 4, 0, 0, 0)
    assert summary.merged.warnings == []


def test_fba_returns_with_the_amazon_order_id_variant_and_other_columns():
    con = fresh(ORDER_DATE)
    summary = load(con, FBA_DE)
    assert feedback_of(con, "return") == [
        # unit rows sent to two centres: one event, with the first row's centre
        ("701-1000006-0000006", "PIL-QUEEN", utc(2026, 9, 20, 9), "MISSING_PARTS", None,
         "Bezug fehlt, „Premium“ ist übertrieben", "LEJ1"),
        ("701-1000004-0000004", "DUVET-KING", utc(2026, 9, 21, 11), "NOT_AS_ADVERTISED", None,
         "Viel dünner als auf dem Foto", "LEJ1"),
        ("701-1000010-0000010", "POT-GREY", utc(2026, 9, 22, 8, 15), "DEFECTIVE", None,
         "Riss im Boden", "MUC3"),
    ]  # fmt: skip
    ids = con.execute("SELECT feedback_id, count(*) FROM feedback GROUP BY 1").fetchall()
    assert all(n == 1 for _, n in ids) and len(ids) == 3
    assert [(w.file, w.count, w.examples) for w in summary.merged.warnings] == [
        (FBA_DE, 1, ["row 5: 'POT-GREY'"]),
        (FBA_DE, 1, ["row 4: 'NOT_AS_ADVERTISED'"]),
    ]
    first, second = (str(w) for w in summary.merged.warnings)
    assert "feedback for an offer the store does not know" in first
    assert "a reason code this version does not know" in second
    # the unknown code leaves the theme to the comment; the event still counts
    assert con.execute(
        "SELECT counted FROM events WHERE reason_code = 'NOT_AS_ADVERTISED'"
    ).fetchall() == [(True,)]


def test_merchant_returns_strip_cr_and_read_us_pacific_dates():
    con = fresh(ORDER_DATE, LAST_UPDATE)
    summary = load(con, MFN)
    assert feedback_of(con, "return") == [
        # "Sep 12, 2026 7:53:55 PM PDT"
        ("701-1000003-0000003", "MUG-BLUE", utc(2026, 9, 13, 2, 53, 55), "DEFECTIVE", None, None, None),
        # "Sep 20, 2026 8:05:00 AM PDT"
        ("701-1000009-0000009", "MUG-BLUE", utc(2026, 9, 20, 15, 5), "AMZ-PG-BAD-DESC", None, None, None),
    ]  # fmt: skip
    assert summary.merged.warnings == []


def test_settlement_refunds_are_one_event_per_order_and_sku():
    con = fresh(ORDER_DATE)
    summary = load(con, SETTLEMENT)
    # the summary row, two Order rows and a storage fee are not feedback; 0003's refund
    # has three amount rows (the last one posted a day later): one event, first posting
    assert feedback_of(con, "refund") == [
        ("701-1000003-0000003", "MUG-BLUE", utc(2026, 9, 13, 14), None, None, None, None),
        ("701-1000008-0000008", "DUVET-KING", utc(2026, 9, 16, 10), None, None, None, None),
    ]
    assert [(f.kind, f.rows) for f in summary.files] == [("settlement", 8)]
    assert counts(summary, "feedback") == (8, 2, 2, 0, 0, 0)
    assert con.execute("SELECT count(*) FROM feedback").fetchall() == [(2,)]


def test_a_refund_over_two_settlements_keeps_its_first_posting(tmp_path):
    header = "settlement-id\ttransaction-type\torder-id\tsku\tposted-date-time\tamount\r\n"
    early, late = tmp_path / "settlement-1.txt", tmp_path / "settlement-2.txt"
    early.write_text(
        header + "1\tRefund\t701-1000003-0000003\tMUG-BLUE\t2026-09-13T14:00:00+00:00\t-25.00\r\n",
        encoding="utf-8",
    )
    late.write_text(
        header + "2\tRefund\t701-1000003-0000003\tMUG-BLUE\t2026-09-28T09:00:00+00:00\t1.20\r\n",
        encoding="utf-8",
    )
    both = fresh(ORDER_DATE, early, late)  # one import: the later file would win
    separate = fresh(ORDER_DATE, early)
    for name, unchanged in ((late, 1), (early, 1), (late, 1)):  # in any order, again
        assert counts(load(separate, name), "feedback")[2:5] == (0, 0, unchanged)
    for con in (both, separate):
        assert feedback_of(con, "refund") == [
            ("701-1000003-0000003", "MUG-BLUE", utc(2026, 9, 13, 14), None, None, None, None)
        ]


def test_replacements_are_contacts_on_the_original_order():
    con = fresh(ORDER_DATE)
    load(con, REPLACEMENTS)
    assert feedback_of(con, "contact") == [
        ("701-1000007-0000007", "LAMP-01", utc(2026, 9, 9, 10), "2", None, None, "YYZ4"),
        # shipped from YUL2, but the original order came from YYZ4
        ("701-1000008-0000008", "DUVET-KING", utc(2026, 9, 11, 10), "10", None, None, "YYZ4"),
        ("701-1000001-0000001", "PIL-QUEEN", utc(2026, 9, 12, 10), "6", None, None, "YYZ4"),
    ]
    themes = con.execute(
        "SELECT reason_code, issue_type, theme, counted FROM events ORDER BY event_date"
    ).fetchall()
    assert themes == [
        ("2", "product", "defective", True),
        ("10", "product", "damaged", True),
        ("6", "delivery", "delivery", False),
    ]


def test_german_seller_feedback_goes_to_every_offer_of_its_order(tmp_path):
    con = fresh(ORDER_DATE)
    # a second SKU on order 0001, and another seller's item in that same Amazon order
    extra = tmp_path / "extra-lines.csv"
    extra.write_text(
        "order_id,seller_id,sku,purchase_date,quantity,status\n"
        f"701-1000001-0000001,{SELLER},MUG-BLUE,2026-09-01T17:00:00Z,1,shipped\n"
        "701-1000001-0000001,S-OTHER,TEAPOT,2026-09-01T17:00:00Z,1,shipped\n",
        encoding="utf-8",
    )
    load(con, extra)
    ncx_before = {k: v["ncx_orders"] for k, v in report_by_sku(con).items()}
    summary = load(con, FEEDBACK_DE)
    assert feedback_of(con, "seller_feedback") == [
        ("701-1000001-0000001", "MUG-BLUE", utc(2026, 9, 15), None, 1,
         "Kam beschädigt an, Verkäufer antwortet nicht", None),
        ("701-1000001-0000001", "PIL-QUEEN", utc(2026, 9, 15), None, 1,
         "Kam beschädigt an, Verkäufer antwortet nicht", None),
        ("701-1000003-0000003", "MUG-BLUE", utc(2026, 9, 16), None, 5,
         "Schnelle Lieferung, alles bestens", None),
    ]  # fmt: skip
    assert con.execute(
        "SELECT DISTINCT seller_id FROM feedback WHERE source = 'seller_feedback'"
    ).fetchall() == [(SELLER,)]
    (w,) = summary.merged.warnings
    assert (w.file, w.count, w.examples) == (FEEDBACK_DE, 1, ["row 4: order '701-9999999-9999999'"])
    assert "seller feedback for an order that is not in the store, skipped" in str(w)
    # context only: seller feedback never makes an NCX order
    assert {k: v["ncx_orders"] for k, v in report_by_sku(con).items()} == ncx_before
    assert con.execute(
        "SELECT DISTINCT counted FROM events WHERE source = 'seller_feedback'"
    ).fetchall() == [(False,)]


def test_us_and_japanese_seller_feedback_read_their_dates():
    con = fresh(ORDER_DATE)
    us = load(con, FEEDBACK_US)
    assert us.files[0].notes == ["dates read as month/day/year (US)"]
    load(con, FEEDBACK_JP, encoding="cp932")
    assert feedback_of(con, "seller_feedback") == [
        ("701-1000002-0000002", "PIL-QUEEN", utc(2026, 9, 14), None, 4,
         "Good pillow, a bit firmer than I expected", None),
        ("701-1000001-0000001", "PIL-QUEEN", utc(2026, 9, 15), None, 2, "商品が壊れていました。", None),
        ("701-1000006-0000006", "PIL-QUEEN", utc(2026, 9, 17), None, 5,
         "迅速な対応ありがとうございました", None),
        ("701-1000008-0000008", "DUVET-KING", utc(2026, 9, 20), None, 1,
         "Arrived with a torn seam — seller never answered", None),
    ]  # fmt: skip


def test_the_rater_email_is_stored_nowhere():
    con = fresh(*REPORTS, FEEDBACK_US)
    summary = load(con, FEEDBACK_JP, encoding="cp932")
    rows = con.execute("SELECT count(*) FROM feedback WHERE source = 'seller_feedback'")
    assert rows.fetchall() == [(6,)]  # 2 German (one skipped), 2 US, 2 Japanese
    text_columns = con.execute(
        "SELECT c.table_name, c.column_name FROM duckdb_columns() AS c "
        "JOIN duckdb_tables() AS t USING (table_oid) "
        "WHERE NOT t.temporary AND c.data_type = 'VARCHAR'"
    ).fetchall()
    assert {t for t, _ in text_columns} >= {"feedback", "events", "offers", "orders", "snapshot"}
    for table, column in text_columns:
        for needle in EMAILS:
            hits = con.execute(
                f'SELECT count(*) FROM "{table}" WHERE contains("{column}", ?)', [needle]
            ).fetchall()[0][0]
            assert hits == 0, (table, column, needle)
    assert not any(n in str(summary.as_dict()) for n in EMAILS)


# --------------------------------------------------------------------------------------
# Split lines, corrections, re-imports


def test_split_order_lines_in_a_canonical_file(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,seller_id,sku,purchase_date,quantity,status,sold_by_seller\n"
        "O1,S1,A,2026-09-02T10:00:00Z,1,shipped,true\n"
        "O1,S1,A,2026-09-01T08:00:00Z,1,cancelled,true\n"  # earlier, but cancelled
        "O1,S1,A,2026-09-03T09:00:00Z,2,pending,true\n"
        "O2,S1,A,2026-09-02T12:00:00Z,1,shipped,true\n"
        "O2,S1,A,2026-09-02T12:00:00Z,1,shipped,true\n"  # identical: counted once
        "O3,S1,A,2026-09-04T12:00:00Z,1,cancelled,true\n"
        "O3,S1,A,2026-09-03T12:00:00Z,2,cancelled,true\n"  # every line cancelled
        "O4,S1,A,2026-09-05T12:00:00Z,1,shipped,true\n"
        "O4,S1,B,2026-09-05T12:00:00Z,1,shipped,true\n",  # another offer: another order
        encoding="utf-8",
    )
    offers = tmp_path / "offers.csv"
    offers.write_text(
        "seller_id,sku,category,created_at\nS1,A,Home,2026-01-01\nS1,B,Home,2026-01-01\n",
        encoding="utf-8",
    )
    con = store.connect(None)
    summary = pipeline.import_files(con, fx(offers, path))
    assert orders_of(con) == {
        ("O1", "A"): (utc(2026, 9, 2, 10), 4, "shipped", None),
        ("O2", "A"): (utc(2026, 9, 2, 12), 1, "shipped", None),
        ("O3", "A"): (utc(2026, 9, 3, 12), 3, "cancelled", None),
        ("O4", "A"): (utc(2026, 9, 5, 12), 1, "shipped", None),
        ("O4", "B"): (utc(2026, 9, 5, 12), 1, "shipped", None),
    }
    assert counts(summary, "orders") == (9, 5, 5, 0, 0, 0)
    # the order is on the day of its earliest non-cancelled line (09-02), not 09-01
    assert report_by_sku(con, as_of=date(2026, 9, 1), window_days=1)["A"]["orders"] == 0
    assert report_by_sku(con, as_of=date(2026, 9, 2), window_days=1)["A"]["orders"] == 2
    assert report_by_sku(con, as_of=date(2026, 9, 30))["A"]["orders"] == 3  # O1, O2, O4


def test_rows_that_contradict_each_other_are_still_refused(tmp_path):
    con = fresh(ORDER_DATE)
    before = dump(con)
    path = tmp_path / "feedback.csv"
    path.write_text(
        "feedback_id,sku,order_id,event_date,source,comment\n"
        "F1,PIL-QUEEN,701-1000001-0000001,2026-09-10,review,ok\n"
        "F1,MUG-BLUE,701-1000001-0000001,2026-09-10,review,ok\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load(con, path)
    assert str(info.value) == (
        "feedback.csv rows 2 and 3: duplicate key (feedback_id='F1') with different values "
        "in the two rows"
    )
    assert dump(con) == before
    # identical rows of one key are counted once, and the summary says so
    path.write_text(
        "feedback_id,sku,order_id,event_date,source,comment\n"
        "F1,PIL-QUEEN,701-1000001-0000001,2026-09-10,review,ok\n"
        "F1,PIL-QUEEN,701-1000001-0000001,2026-09-10,review,ok\n",
        encoding="utf-8",
    )
    summary = load(con, path)
    assert summary.files[0].notes == ["1 repeated identical rows counted once"]
    assert counts(summary, "feedback")[1:3] == (1, 1)


def test_in_canonical_files_the_later_import_wins(tmp_path):
    first = tmp_path / "orders.csv"
    first.write_text(
        "order_id,sku,purchase_date,quantity,status\n"
        "O1,PIL-QUEEN,2026-09-20T10:00:00Z,1,shipped\n"
        "O2,PIL-QUEEN,2026-09-21T10:00:00Z,1,shipped\n",
        encoding="utf-8",
    )
    second = tmp_path / "orders-corrected.csv"
    second.write_text(
        "order_id,sku,purchase_date,quantity,status\n"
        "O1,PIL-QUEEN,2026-09-20T10:00:00Z,1,cancelled\n"
        "O2,PIL-QUEEN,2026-09-21T10:00:00Z,1,shipped\n",
        encoding="utf-8",
    )
    con = fresh(ORDER_DATE)
    load(con, first)
    summary = load(con, second)
    assert counts(summary, "orders") == (2, 2, 0, 1, 1, 0)
    assert orders_of(con)[("O1", "PIL-QUEEN")][2] == "cancelled"
    again = load(con, first)  # an older file imported later: it wins (no updated_at)
    assert counts(again, "orders") == (2, 2, 0, 1, 1, 0)
    assert orders_of(con)[("O1", "PIL-QUEEN")][2] == "shipped"


ALL_FILES = (*REPORTS, FBA_DE, FEEDBACK_US, "catalogue.csv", "benchmark.csv")


def test_reimporting_identical_data_changes_nothing_not_even_the_version(tmp_path):
    root = tmp_path / "store"
    first = pipeline.import_into_store(root, fx(*ALL_FILES), seller=SELLER)
    assert first.changed and first.generation == 1
    before = store_state(root)
    con = connect_live(root)
    version = store.data_version(con)
    con.close()
    # the same files again, in another order
    again = pipeline.import_into_store(root, fx(*reversed(ALL_FILES)), seller=SELLER)
    assert not again.changed and again.generation is None
    for c in again.merged.counts.values():
        assert (c.added, c.updated) == (0, 0), c
    assert again.merged.counts["orders"].older == 0
    assert again.lines()[-1].startswith("nothing changed")
    assert store_state(root) == before
    con = connect_live(root)
    assert store.data_version(con) == version
    con.close()


# --------------------------------------------------------------------------------------
# Catalogue, benchmark, peer basis


def test_a_catalogue_fills_categories_prices_and_brands():
    con = fresh(ORDER_DATE, LAST_UPDATE)
    summary = load(con, "catalogue.csv")
    assert counts(summary, "catalogue") == (3, 3, 0, 3, 0, 0)
    rows = con.execute(
        "SELECT sku, category, subcategory, price, brand, title FROM offers ORDER BY sku"
    ).fetchall()
    u = store.UNCATEGORISED
    assert rows == [
        ("DUVET-KING", "Home & Kitchen", "Duvets", Decimal("129.00"), "Northwind", "Duvet king, all-season"),
        ("LAMP-01", u, u, Decimal("45.50"), None, "Desk lamp LED, dimmable"),
        ("MUG-BLUE", "Home & Kitchen", "Mugs", Decimal("12.50"), "Northwind", "Stoneware mug, blue, 350 ml"),
        ("PIL-QUEEN", "Home & Kitchen", "Pillows", Decimal("39.99"), "Northwind",
         "Oreiller en duvet – Queen / Down pillow"),
    ]  # fmt: skip
    assert summary.uncategorised == 1
    assert "note: 1 offer without a category (Uncategorised)" in "\n".join(summary.lines())


def test_a_catalogue_price_wins_over_the_report_price(tmp_path):
    cat = tmp_path / "my-catalogue.csv"
    cat.write_text("sku,category,subcategory,price\nDUVET-KING,Home,Duvets,99.00\n", "utf-8")
    con = fresh(ORDER_DATE, cat)
    load(con, LAST_UPDATE)  # another orders report later: fills only what is empty
    assert con.execute(
        "SELECT category, subcategory, price, created_at FROM offers WHERE sku = 'DUVET-KING'"
    ).fetchall() == [("Home", "Duvets", Decimal("99.00"), date(2026, 9, 4))]


def test_a_benchmark_supplies_the_peer_rate_where_it_has_a_row():
    con = fresh(*REPORTS, "catalogue.csv")
    assert {r["peer_basis"] for r in report_by_sku(con).values()} == {"own_catalogue"}
    summary = load(con, "benchmark.csv")
    assert counts(summary, "benchmark") == (2, 2, 2, 0, 0, 0)
    got = {
        sku: (r["peer_basis"], r["peer_rate"], r["peer_offers"], r["peer_level"])
        for sku, r in report_by_sku(con, as_of=date(2026, 9, 30)).items()
    }
    assert got == {
        "PIL-QUEEN": ("benchmark", 0.021, 340, "price_band"),  # Pillows, 25-50
        "DUVET-KING": ("benchmark", 0.015, 2100, "category"),  # the category row (1.5 %)
        "MUG-BLUE": ("benchmark", 0.015, 2100, "category"),
        "LAMP-01": ("own_catalogue", got["LAMP-01"][1], got["LAMP-01"][2], "all"),
    }
    # the stored snapshot (default as-of) says the same
    stored = report_by_sku(con)
    assert stored["PIL-QUEEN"]["peer_basis"] == "benchmark"
    assert "vs 2.1 %" in stored["PIL-QUEEN"]["explanation"]


def test_one_sellers_data_is_compared_with_its_own_catalogue(tmp_path):
    con = fresh(*REPORTS)
    frame = report_frame(con, as_of=date(2026, 9, 30))
    assert set(frame["peer_basis"]) == {"own_catalogue"}
    assert not frame["explanation"].str.contains("0 similar offers").any()
    # a single offer has no peers at all: no peer rate, and no "vs 0.1 %"
    one = tmp_path / "orders.csv"
    one.write_text(
        "order_id,sku,purchase_date,quantity,status\nO1,A,2026-09-01,1,shipped\n", "utf-8"
    )
    offer = tmp_path / "offers.csv"
    offer.write_text("seller_id,sku,category,created_at\nS1,A,Home,2026-01-01\n", "utf-8")
    single = fresh(offer, one, seller="S1")
    (row,) = report_frame(single).iter_rows(named=True)
    assert (row["peer_rate"], row["peer_offers"], row["peer_basis"]) == (None, 0, "own_catalogue")
    assert "no similar offers" in row["explanation"]
    assert "0.1 %" not in row["explanation"] and "for 0 similar" not in row["explanation"]


def test_several_sellers_are_compared_across_the_marketplace(demo_con):
    frame = report_frame(demo_con)
    assert frame["seller_id"].n_unique() == 60
    assert set(frame["peer_basis"]) == {"marketplace"}


# --------------------------------------------------------------------------------------
# Warnings


def test_unknown_statuses_offers_and_reason_codes_are_counted_warnings(tmp_path):
    orders = rewrite_line(FIX / ORDER_DATE, tmp_path / "orders-odd.txt", 3,
                          b"\tShipped\t1\tCAD\t39.99", b"\tQuarantined\t1\tCAD\t39.99")  # fmt: skip
    canonical_orders = tmp_path / "orders.csv"
    canonical_orders.write_text(
        "order_id,sku,purchase_date,quantity,status\n"
        "C1,PIL-QUEEN,2026-09-20,1,shipped\n"
        "C2,NO-SUCH-SKU,2026-09-21,1,shipped\n"
        "C3,NO-SUCH-SKU,2026-09-22,1,on the moon\n",
        encoding="utf-8",
    )
    canonical_feedback = tmp_path / "feedback.csv"
    canonical_feedback.write_text(
        "feedback_id,sku,order_id,event_date,source,reason_code,comment\n"
        "F1,PIL-QUEEN,C1,2026-09-25,return,CR-SELLER_ERROR,stopped working\n"
        "F2,GONE-SKU,C9,2026-09-25,return,DEFECTIVE,stopped working\n",
        encoding="utf-8",
    )
    con = store.connect(None)
    summary = load(con, orders, canonical_orders, canonical_feedback)
    got = [(w.file, w.count, w.examples) for w in summary.merged.warnings]
    assert got == [
        ("orders-odd.txt", 1, ["row 3: 'quarantined'"]),
        ("orders.csv", 1, ["row 4: 'on the moon'"]),
        ("orders.csv", 2, ["row 3: 'NO-SUCH-SKU'", "row 4: 'NO-SUCH-SKU'"]),
        ("feedback.csv", 1, ["row 3: 'GONE-SKU'"]),
        ("feedback.csv", 1, ["row 2: 'SELLER_ERROR'"]),  # CR- stripped
    ]
    text = [str(w) for w in summary.merged.warnings]
    assert text[0].startswith("orders-odd.txt: 1 row with an unknown order status")
    assert text[2].startswith("orders.csv: 2 rows with orders of an offer the store does not know")
    assert text[3].startswith("feedback.csv: 1 row with feedback for an offer the store does not")
    assert text[4].startswith("feedback.csv: 1 row with a reason code this version does not know")
    assert summary.as_dict()["warnings"] == text
    assert [line for line in summary.lines() if line.startswith("warning: ")] == [
        f"warning: {t}" for t in text
    ]
    # warned about, but imported: the odd status counts as an order
    assert orders_of(con)[("701-1000002-0000002", "PIL-QUEEN")][2] == "quarantined"
    assert len(orders_of(con)) == 11


# --------------------------------------------------------------------------------------
# Plausible data only: no future dates


def _future() -> date:
    return datetime.now(UTC).date() + timedelta(days=3)


def _cases():
    f = _future()
    iso = f"{f.isoformat()}T10:00:00+00:00".encode()
    return [
        (ORDER_DATE, 5, b"2026-09-03T15:00:00-04:00", iso, "purchase-date"),
        (FBA, 3, b"2026-09-12T09:30:00+00:00", iso, "return-date"),
        (MFN, 3, b"Sep 20, 2026 8:05:00 AM PDT", f"{f:%b} {f.day}, {f.year} 8:05:00 AM PST".encode(),
         "Return request date"),
        (SETTLEMENT, 8, b"2026-09-16T10:00:00+00:00", iso, "posted-date-time"),
        (REPLACEMENTS, 3, b"2026-09-11T10:00:00+00:00", iso, "shipment-date"),
        (FEEDBACK_DE, 3, b"16.09.26", f"{f:%d.%m.%y}".encode(), "Datum"),
    ]  # fmt: skip


@pytest.mark.parametrize("case", range(6), ids=lambda i: _cases()[i][0])
def test_a_row_dated_after_tomorrow_names_file_row_and_column(case, tmp_path):
    name, row, old, new, column = _cases()[case]
    bad = rewrite_line(FIX / name, tmp_path / f"future-{name}", row, old, new)
    con = fresh(ORDER_DATE)
    before = dump(con)
    with pytest.raises(InputError) as info:
        load(con, FBA_DE, bad)  # a good file first: it is rolled back too
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column) == (bad.name, row, column)
    assert str(problem).startswith(f"{bad.name} row {row}, column {column}: ")
    assert f"is in the future (after {tomorrow.isoformat()}, UTC)" in problem.message
    assert dump(con) == before


def test_future_dates_in_canonical_files_and_tomorrow_is_allowed(tmp_path):
    f, tomorrow = _future(), datetime.now(UTC).date() + timedelta(days=1)
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,sku,purchase_date,quantity,status\n"
        f"O1,A,2026-09-01,1,shipped\nO2,A,{f.isoformat()}T08:00:00Z,1,shipped\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"^orders\.csv row 3, column purchase_date: .* future"):
        fresh(path)
    fb = tmp_path / "feedback.csv"
    fb.write_text(
        f"feedback_id,sku,event_date,source\nF1,A,{f.isoformat()},review\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"^feedback\.csv row 2, column event_date: .* future"):
        fresh(fb)
    # tomorrow (a time zone ahead of UTC) is fine; the as-of day is never after today
    path.write_text(
        "order_id,sku,purchase_date,quantity,status\n"
        f"O1,A,2026-09-01,1,shipped\nO2,A,{tomorrow.isoformat()}T20:00:00Z,1,shipped\n",
        encoding="utf-8",
    )
    offer = tmp_path / "offers.csv"
    offer.write_text("seller_id,sku,category,created_at\nS1,A,Home,2026-01-01\n", "utf-8")
    con = fresh(offer, path, seller="S1")
    today = datetime.now(UTC).date()
    assert store.latest_day(con) == today
    assert offer_health(con)["as_of"].to_list() == [today]


def test_the_default_as_of_day_is_the_latest_order_day(by_order_date):
    con, _ = by_order_date
    # 0008 (2026-09-09 03:10 UTC) is the latest non-cancelled order
    assert store.latest_day(con) == date(2026, 9, 9)


# --------------------------------------------------------------------------------------
# Files that are not what they should be: a clear error, the store exactly as before


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("base") / "store"
    pipeline.import_into_store(root, fx(ORDER_DATE, FBA, "catalogue.csv"), seller=SELLER)
    return root


def _settlement_without_dates(path: Path) -> None:
    text = gzip.decompress((FIX / SETTLEMENT).read_bytes()).decode()
    rows = [line.split("\t") for line in text.splitlines()]
    drop = {rows[0].index("posted-date"), rows[0].index("posted-date-time")}
    path.write_text(
        "\r\n".join("\t".join(c for i, c in enumerate(r) if i not in drop) for r in rows),
        encoding="utf-8",
    )


def _orders_without_quantity(path: Path) -> None:
    lines = (FIX / ORDER_DATE).read_text("utf-8-sig").split("\r\n")
    q = lines[0].split("\t").index("quantity")
    path.write_text(
        "\r\n".join("\t".join(c for i, c in enumerate(x.split("\t")) if i != q) for x in lines),
        encoding="utf-8",
    )


BAD_FILES = {
    "empty.txt": (lambda p: p.write_bytes(b""), "empty.txt: the file is empty"),
    "bom-only.txt": (
        lambda p: p.write_bytes(b"\xef\xbb\xbf\r\n"),
        "bom-only.txt: the file is empty",
    ),
    "truncated.txt.gz": (
        lambda p: p.write_bytes((FIX / SETTLEMENT).read_bytes()[:200]),
        "truncated.txt.gz: is not a complete gzip file (",
    ),
    "not-gzip.txt.gz": (
        lambda p: p.write_bytes((FIX / REPLACEMENTS).read_bytes()),
        "not-gzip.txt.gz: is not a complete gzip file (",
    ),
    "binary.txt": (
        lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4),
        "binary.txt row 2: contains binary data (byte 0x1a); this is not a CSV or TSV",
    ),
    "orders.xlsx.txt": (
        lambda p: p.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200),
        "orders.xlsx.txt: is a zip file or Excel workbook, not a text file",
    ),
    "Business-Report.csv": (
        lambda p: shutil.copy(FIX / "Business-Report.csv", p),
        "Business-Report.csv row 1: is not a file type this importer knows (its header: "
        "(Parent) ASIN, (Child) ASIN, Title, Sessions - Total,",
    ),
    "orders-no-quantity.txt": (
        _orders_without_quantity,
        "orders-no-quantity.txt, column quantity: required column of the All Orders report "
        "is missing: the file looks like one",
    ),
    "settlement-no-dates.txt": (
        _settlement_without_dates,
        "settlement-no-dates.txt, column posted-date: required column of the settlement "
        "report (V2) is missing (columns found: settlement-id,",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_a_clear_error_and_leaves_the_store_as_it_was(name, base_store, tmp_path):
    make, expected = BAD_FILES[name]
    root = tmp_path / "store"
    shutil.copytree(base_store, root)
    before = store_state(root)
    bad = tmp_path / name
    make(bad)
    with pytest.raises(InputError) as info:
        # good files first (new orders, feedback): they must not be kept either
        pipeline.import_into_store(root, fx(LAST_UPDATE, MFN, bad), seller=SELLER)
    assert str(info.value).startswith(expected), str(info.value)
    assert store_state(root) == before
    assert not list(root.glob("*.part*"))


def test_the_unknown_type_message_lists_every_type_and_its_headers():
    with pytest.raises(InputError) as info:
        recognise(FIX / "Business-Report.csv")
    message = info.value.problems[0].message
    for t in FILE_TYPES:
        assert f"{t.label} ({t.needs})" in message
    for needs in ("amazon-order-id (or order-id), purchase-date, sku, quantity",
                  "Order ID, Return request date, Merchant SKU, Return Reason",
                  "order_id,seller_id,sku,purchase_date,quantity,status"):  # fmt: skip
        assert needs in message


def test_a_catalogue_without_its_sku_column_names_the_column(tmp_path):
    cat = tmp_path / "catalogue.csv"
    cat.write_text("seller-sku-typo,category\nPIL-QUEEN,Home\n", encoding="utf-8")
    con = fresh(ORDER_DATE)
    with pytest.raises(InputError) as info:
        pipeline.import_files(con, [InputFile(cat, "catalogue")], seller=SELLER)
    assert str(info.value).startswith(
        "catalogue.csv, column sku: required column of the catalogue is missing"
    )


def test_a_header_only_file_imports_nothing_and_changes_nothing(base_store, tmp_path):
    root = tmp_path / "store"
    shutil.copytree(base_store, root)
    before = store_state(root)
    empty = tmp_path / "All-Orders-empty.txt"
    empty.write_bytes((FIX / ORDER_DATE).read_bytes().split(b"\r\n")[0] + b"\r\n")
    returns = tmp_path / "returns-empty.txt"
    returns.write_bytes((FIX / FBA).read_bytes().split(b"\r\n")[0] + b"\r\n")
    summary = pipeline.import_into_store(root, fx(empty, returns), seller=SELLER)
    assert [(f.kind, f.rows) for f in summary.files] == [("amazon_orders", 0), ("fba_returns", 0)]
    assert not summary.changed and summary.generation is None
    assert summary.lines()[-1].startswith("nothing changed")
    assert store_state(root) == before


# --------------------------------------------------------------------------------------
# One seller's import and the others


def _others(root: Path) -> dict:
    con = connect_live(root)
    try:
        mine = pl.col("seller_id") != SELLER
        out = {
            "stored": report_frame(con).filter(mine),  # the snapshot the refresh wrote
            "september": report_frame(con, as_of=date(2026, 9, 30), window_days=30).filter(mine),
        }
        for table in ("offers", "orders", "feedback", "actions", "events", "offer_day"):
            out[table] = con.execute(
                f"SELECT count(*), sum(hash(t)) FROM {table} AS t WHERE seller_id <> ?", [SELLER]
            ).fetchall()
        return out
    finally:
        con.close()


def test_an_import_for_one_seller_never_changes_another_sellers_numbers(demo_store, tmp_path):
    root = tmp_path / "market"
    shutil.copytree(demo_store, root)
    con = connect_live(root)
    sku = con.execute("SELECT min(sku) FROM offers WHERE seller_id = 'S-DEMO'").fetchall()[0][0]
    con.close()
    # One Amazon order can hold several sellers' items: the demo seller has a line on A's
    # order 0001, which A's seller feedback (and returns, replacements) also name.
    shared = tmp_path / "shared-order.csv"
    shared.write_text(
        "order_id,seller_id,sku,purchase_date,quantity,status\n"
        f"701-1000001-0000001,S-DEMO,{sku},2026-09-01T17:00:00Z,1,shipped\n",
        encoding="utf-8",
    )
    pipeline.import_into_store(root, fx(ORDER_DATE, FBA, shared), seller=SELLER)
    before = _others(root)
    assert before["stored"].height > 5000
    # A's corrections, new orders, returns, refunds, contacts and seller feedback. (No
    # catalogue: placing A's offers in the demo's categories would rightly move peer rates.)
    summary = pipeline.import_into_store(
        root, fx(LAST_UPDATE, FBA_DE, MFN, SETTLEMENT, REPLACEMENTS, FEEDBACK_DE), seller=SELLER
    )
    assert summary.changed and summary.merged.counts["orders"].updated == 2
    after = _others(root)
    for key in ("stored", "september"):
        assert after[key].equals(before[key]), key
    for table in ("offers", "orders", "feedback", "actions", "events", "offer_day"):
        assert after[table] == before[table], table
    con = connect_live(root)
    try:  # and A's own numbers did move
        assert (
            report_by_sku(con, as_of=date(2026, 9, 30), seller_id=SELLER)["LAMP-01"]["orders"] == 0
        )
    finally:
        con.close()


# --------------------------------------------------------------------------------------
# The round trip: the demo seller's reports give the demo seller's numbers


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("round-trip")
    paths = write_amazon_reports(demo.generate(), folder / "reports")
    summary = pipeline.import_into_store(folder / "store", fx(*paths), seller=demo.DEMO_SELLER_ID)
    return folder / "store", summary


@pytest.mark.parametrize(
    ("as_of", "window"), [(None, 90), (date(2026, 10, 31), 365), (date(2026, 7, 15), 30)]
)
def test_demo_reports_imported_give_the_demo_sellers_orders_and_ncx_orders(
    round_trip, demo_store, as_of, window
):
    root, summary = round_trip
    assert [f.kind for f in summary.files] == [
        "amazon_orders", "fba_returns", "mfn_returns", "settlement", "fba_replacements",
        "seller_feedback", "feedback", "catalogue",
    ]  # fmt: skip
    assert summary.merged.warnings == [] and summary.uncategorised == 0

    def per_sku(path: Path, **kw) -> dict[str, tuple[int, int]]:
        con = connect_live(path)
        try:
            assert store.latest_day(con) == date(2026, 10, 31)
            frame = report_frame(
                con, as_of=as_of, window_days=window, seller_id=demo.DEMO_SELLER_ID, **kw
            )
        finally:
            con.close()
        return {r["sku"]: (r["orders"], r["ncx_orders"]) for r in frame.iter_rows(named=True)}

    imported, expected = per_sku(root), per_sku(demo_store)
    assert len(expected) >= 100
    assert sum(n for _, n in expected.values()) > 0
    assert imported == expected


# --------------------------------------------------------------------------------------
# One import at a time


def test_with_wait_false_a_running_import_is_an_error(tmp_path):
    root = tmp_path / "store"
    with Store(root).lock(), pytest.raises(StoreError, match="another import is running"):
        pipeline.import_into_store(root, fx(ORDER_DATE), seller=SELLER, wait=False)
    assert Store(root).generation() == 0
    assert pipeline.import_into_store(root, fx(ORDER_DATE), seller=SELLER, wait=False).changed


def test_a_waiting_import_runs_once_the_lock_is_released(tmp_path):
    root = tmp_path / "store"
    messages: list[str] = []
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["summary"] = pipeline.import_into_store(
                root, fx(ORDER_DATE), seller=SELLER, progress=messages.append
            )
        except BaseException as exc:  # reported to the test below
            outcome["error"] = exc

    with Store(root).lock():
        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + 20
        while not any("waiting" in m for m in messages) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any("another import is running" in m and "waiting" in m for m in messages)
        time.sleep(0.2)
        assert worker.is_alive() and Store(root).generation() == 0
    worker.join(60)
    assert not worker.is_alive() and "error" not in outcome, outcome
    assert outcome["summary"].generation == 1 and Store(root).generation() == 1
