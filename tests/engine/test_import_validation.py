"""Validating stage step of canonical imports (engine/importers/canonical.py)."""

from __future__ import annotations

import gzip
import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from engine.importers.canonical import KEYS, SCHEMA_PATH, TABLE_COLUMNS, StagedFile, stage_file
from engine.importers.errors import InputError, Problem

ORDERS_HEADER = "order_id,seller_id,sku,purchase_date,quantity,status,sold_by_seller"


@pytest.fixture(params=["autocommit", "transaction"])
def con(request):
    """A store connection, either idle or - as the importer uses it - inside a transaction
    (rowids of tables created inside a transaction do not start at 0)."""
    c = duckdb.connect()
    c.execute(SCHEMA_PATH.read_text("utf-8"))
    if request.param == "transaction":
        c.execute("BEGIN")
    yield c
    c.close()


def write(tmp_path: Path, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def rows(con, staged: StagedFile) -> list[dict]:
    cur = con.execute(f'SELECT * FROM "{staged.stage}"')
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def problems_of(con, path: Path, table: str, **kw) -> tuple[InputError, list[str]]:
    with pytest.raises(InputError) as info:
        stage_file(con, path, table, **kw)
    return info.value, [str(p) for p in info.value.problems]


def temp_tables(con) -> set[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    return {r[0] for r in rows}


# --- schema --------------------------------------------------------------------------


def test_table_columns_follow_schema_sql():
    assert list(TABLE_COLUMNS) == ["offers", "orders", "feedback", "actions"]
    orders = TABLE_COLUMNS["orders"]
    assert list(orders) == [
        "order_id",
        "seller_id",
        "sku",
        "purchase_date",
        "quantity",
        "status",
        "sold_by_seller",
        "updated_at",
    ]
    assert not orders["updated_at"].required
    assert orders["purchase_date"].type == "TIMESTAMP" and orders["purchase_date"].required
    assert TABLE_COLUMNS["offers"]["price"].type == "DECIMAL(12, 2)"
    assert not TABLE_COLUMNS["offers"]["price"].required
    for table, keys in KEYS.items():
        assert [c for c, s in TABLE_COLUMNS[table].items() if s.key] == list(keys)


# --- good files ------------------------------------------------------------------------


def test_good_orders_csv_normalises_timestamps_to_utc(con, tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER + "\n"
        "O1,S1,A,2026-03-01T14:05:00Z,2,Shipped,true\n"
        "O2,S1,A,2026-03-01T14:05:00+02:00,1, PENDING ,FALSE\n"
        "O3,S1,A,2026-03-01 14:05:00,0,cancelled,1\n"
        "O4, S1 ,A,2026-03-01,3,shipped,0\n"
        "O5,S1,A,2026-03-01T23:30:00-05:00,3,shipped,True\n"
        'O6,S1,A, 2026-03-01T00:00:00.5Z ," 4 ",shipped, false \n',
    )
    staged = stage_file(con, path, "orders")
    assert staged.table == "orders" and staged.path == path and staged.rows == 6
    assert staged.stage.startswith("stage_orders_")
    got = rows(con, staged)
    assert [r["purchase_date"] for r in got] == [
        datetime(2026, 3, 1, 14, 5),
        datetime(2026, 3, 1, 12, 5),
        datetime(2026, 3, 1, 14, 5),
        datetime(2026, 3, 1, 0, 0),
        datetime(2026, 3, 2, 4, 30),
        datetime(2026, 3, 1, 0, 0, 0, 500000),
    ]
    assert [r["status"] for r in got] == ["shipped", "pending", "cancelled"] + ["shipped"] * 3
    assert [r["sold_by_seller"] for r in got] == [True, False, True, False, True, False]
    assert [r["quantity"] for r in got] == [2, 1, 0, 3, 3, 4]
    assert got[3]["seller_id"] == "S1"  # trimmed


def test_stage_has_exactly_the_canonical_columns_and_types(con, tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS_HEADER + "\nO1,S1,A,2026-03-01,2,shipped,true\n")
    staged = stage_file(con, path, "orders")
    stage_cols = con.execute(f'DESCRIBE "{staged.stage}"').fetchall()
    table_cols = con.execute("DESCRIBE orders").fetchall()
    assert [(c[0], c[1]) for c in stage_cols] == [(c[0], c[1]) for c in table_cols]
    con.execute(f'INSERT INTO orders SELECT * FROM "{staged.stage}"')
    assert con.execute("SELECT count(*) FROM orders").fetchone() == (1,)


def test_good_offers_csv(con, tmp_path):
    path = write(
        tmp_path,
        "offers.csv",
        "seller_id,sku,asin,title,brand,category,subcategory,price,fulfilment,created_at,"
        "closed_at,closed_reason,reinstated_at,deleted_at\n"
        "S1,A,B001,Pillow,,Home & Kitchen,Pillow inserts,19.99,AFN,2025-01-02,,,,\n"
        'S1,B,B002,"Duvet, king",Acme,Home,Duvets,0,Merchant,2025-01-02,'
        "2025-06-01T10:00:00Z,NCX,2025-07-01,\n"
        "S1,C,B003,Towel,Acme,Home,Towels,,fba,2025-01-02 23:00:00-02:00,,,,2025-08-01\n",
    )
    staged = stage_file(con, path, "offers")
    got = rows(con, staged)
    assert [r["fulfilment"] for r in got] == ["FBA", "MFN", "FBA"]
    assert [r["price"] for r in got] == [Decimal("19.99"), Decimal("0.00"), None]
    assert got[0]["brand"] is None and got[0]["closed_at"] is None
    assert got[1]["title"] == "Duvet, king"
    assert got[1]["closed_at"] == date(2025, 6, 1) and got[1]["closed_reason"] == "ncx"
    assert got[2]["created_at"] == date(2025, 1, 3)  # UTC date of the timestamp
    assert got[2]["deleted_at"] == date(2025, 8, 1)
    con.execute(f'INSERT INTO offers SELECT * FROM "{staged.stage}"')


def test_good_feedback_csv(con, tmp_path):
    path = write(
        tmp_path,
        "feedback.csv",
        "feedback_id,seller_id,sku,order_id,event_date,source,reason_code,rating,comment,"
        "fulfilment_center\n"
        "F1,S1,A,O1,2026-03-01T10:00:00Z,Return,cr-defective,,Broke after a day,LTN4\n"
        "F2,S1,A,,2026-03-02,review,,4,<b>nice</b>,\n"
        'F3,S1,A,O2,2026-03-03 08:00:00,SELLER_FEEDBACK, damaged ,1,"late, and ""rude""",\n',
    )
    got = rows(con, stage_file(con, path, "feedback"))
    assert [r["source"] for r in got] == ["return", "review", "seller_feedback"]
    assert [r["reason_code"] for r in got] == ["DEFECTIVE", None, "DAMAGED"]
    assert [r["rating"] for r in got] == [None, 4, 1]
    assert got[1]["order_id"] is None
    assert got[1]["comment"] == "<b>nice</b>"
    assert got[2]["comment"] == 'late, and "rude"'
    assert got[1]["event_date"] == datetime(2026, 3, 2)


def test_good_actions_tsv(con, tmp_path):
    path = write(
        tmp_path,
        "actions.tsv",
        "seller_id\tsku\taction_date\taction\tnote\n"
        "S1\tA\t2026-03-01\tedited listing\tnew photos, better title\n"
        "S1\tA\t2026-03-05\tremoved stock\t\n",
    )
    got = rows(con, stage_file(con, path, "actions"))
    assert got == [
        {
            "seller_id": "S1",
            "sku": "A",
            "action_date": date(2026, 3, 1),
            "action": "edited listing",
            "note": "new photos, better title",
        },
        {
            "seller_id": "S1",
            "sku": "A",
            "action_date": date(2026, 3, 5),
            "action": "removed stock",
            "note": None,
        },
    ]


def test_columns_in_any_order_with_extra_columns_and_odd_header_case(con, tmp_path):
    path = write(
        tmp_path,
        "orders.txt",
        "Status, url ,SKU, Order_ID ,purchase_date,Seller_Id,Quantity,is-iba\r\n"
        "shipped,http://x,A,O1,2026-03-01,S1,2,0\r\n",
    )
    got = rows(con, stage_file(con, path, "orders"))
    assert got == [
        {
            "order_id": "O1",
            "seller_id": "S1",
            "sku": "A",
            "purchase_date": datetime(2026, 3, 1),
            "quantity": 2,
            "status": "shipped",
            "sold_by_seller": True,  # column absent -> true
            "updated_at": None,
        }
    ]


def test_gzip_csv_with_bom(con, tmp_path):
    path = tmp_path / "orders.csv.gz"
    text = "\ufeff" + ORDERS_HEADER + "\nO1,S1,A,2026-03-01,2,shipped,true\n"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    assert rows(con, stage_file(con, path, "orders"))[0]["order_id"] == "O1"


def test_header_only_file_stages_zero_rows(con, tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS_HEADER + "\n")
    staged = stage_file(con, path, "orders")
    assert staged.rows == 0 and rows(con, staged) == []


def test_unique_stage_names_and_session_settings_restored(con, tmp_path):
    con.execute("SET TimeZone = 'America/New_York'")
    path = write(tmp_path, "orders.csv", ORDERS_HEADER + "\nO1,S1,A,2026-03-01,2,shipped,1\n")
    a = stage_file(con, path, "orders")
    b = stage_file(con, path, "orders")
    assert a.stage != b.stage
    assert {a.stage, b.stage} == temp_tables(con)  # no helper tables left behind
    # bare dates are UTC whatever the session time zone
    assert rows(con, a)[0]["purchase_date"] == datetime(2026, 3, 1)
    assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("America/New_York",)


def test_runs_inside_the_callers_transaction(tmp_path):
    good = write(tmp_path, "orders.csv", ORDERS_HEADER + "\nO1,S1,A,2026-03-01,2,shipped,1\n")
    bad = write(tmp_path, "bad.csv", ORDERS_HEADER + "\nO1,S1,A,nope,2,shipped,1\nO1\n")
    dup = write(
        tmp_path,
        "dup.csv",
        "feedback_id,seller_id,sku,event_date,source\nF1,S1,A,2026-03-01,return\n"
        "F1,S1,B,2026-03-01,return\n",
    )
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    con.execute(SCHEMA_PATH.read_text("utf-8"))
    con.execute("BEGIN")
    staged = stage_file(con, good, "orders")
    for path, table in ((bad, "orders"), (dup, "feedback")):
        with pytest.raises(InputError):
            stage_file(con, path, table)
    # the transaction is still usable after validation errors
    con.execute(f'INSERT INTO orders SELECT * FROM "{staged.stage}"')
    con.execute("COMMIT")
    assert con.execute("SELECT count(*) FROM orders").fetchone() == (1,)
    con.close()


# --- missing columns and bad values ------------------------------------------------------


def test_missing_required_column_names_file_and_column(con, tmp_path):
    path = write(tmp_path, "orders.csv", "order_id,seller_id,purchase_day,quantity\nO1,S1,x,1\n")
    err, msgs = problems_of(con, path, "orders")
    missing = {p.column for p in err.problems}
    assert missing == {"sku", "purchase_date", "status"}
    assert all(p.row is None and p.file == "orders.csv" for p in err.problems)
    assert any("orders.csv, column purchase_date: required column is missing" in m for m in msgs)
    assert "'purchase_day'" in str(err)  # suggests the near miss


def test_header_names_ignore_case_spaces_dashes_and_underscores(con, tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        "Order ID,seller-id,SKU,Purchase Date,quantity,STATUS\nO1,S1,A,2026-03-01,1,shipped\n",
    )
    staged = stage_file(con, path, "orders")
    assert rows(con, staged)[0]["order_id"] == "O1"


def test_seller_option_fills_a_missing_seller_id_column(con, tmp_path):
    path = write(
        tmp_path, "reviews.csv", "feedback_id,sku,event_date,source\nR1,A,2026-03-01,review\n"
    )
    err, _ = problems_of(con, path, "feedback")
    assert "--seller" in str(err) and err.problems[0].column == "seller_id"
    staged = stage_file(con, path, "feedback", seller="me")
    assert rows(con, staged)[0]["seller_id"] == "me"


BAD_VALUES = [
    ("purchase_date", "yesterday", "'yesterday' is not a timestamp (expected ISO 8601"),
    ("purchase_date", "18/02/2020", "'18/02/2020' is not a timestamp"),
    ("purchase_date", "2020-02-30", "'2020-02-30' is not a timestamp"),
    ("purchase_date", "epoch", "'epoch' is not a timestamp"),
    ("purchase_date", "2020-02-18 05:05 Europe/Paris", "is not a timestamp"),
    ("quantity", "two", "'two' is not a valid quantity (expected a whole number >= 0"),
    ("quantity", "1.5", "'1.5' is not a valid quantity"),
    ("quantity", "-3", "'-3' is not a valid quantity"),
    ("sold_by_seller", "yes", "'yes' is not a boolean (expected true, false, 1 or 0)"),
    ("order_id", "", "empty, but a value is required (expected a value such as"),
    ("status", "  ", "empty, but a value is required"),
    ("purchase_date", "", "empty, but a value is required (expected ISO 8601"),
]


@pytest.mark.parametrize(("column", "value", "expected"), BAD_VALUES)
def test_bad_order_value_names_file_row_and_column(con, tmp_path, column, value, expected):
    good = {
        "order_id": "O1",
        "seller_id": "S1",
        "sku": "A",
        "purchase_date": "2026-03-01",
        "quantity": "1",
        "status": "shipped",
        "sold_by_seller": "true",
    }
    lines = [ORDERS_HEADER]
    for i in range(3):
        values = {**good, "order_id": f"O{i}"}
        if i == 1:
            values[column] = value
        lines.append(",".join(f'"{v}"' if "," in v else v for v in values.values()))
    path = write(tmp_path, "orders.csv", "\n".join(lines) + "\n")
    err, msgs = problems_of(con, path, "orders")
    assert err.problems == [
        Problem("orders.csv", 3, column, err.problems[0].message),
    ], msgs
    assert msgs[0].startswith(f"orders.csv row 3, column {column}: ")
    assert expected in msgs[0]


def test_bad_feedback_source_rating_and_offer_enumerations(con, tmp_path):
    path = write(
        tmp_path,
        "feedback.csv",
        "feedback_id,seller_id,sku,event_date,source,rating\n"
        "F1,S1,A,2026-03-01,complaint,\n"
        "F2,S1,A,2026-03-01,review,6\n",
    )
    _, msgs = problems_of(con, path, "feedback")
    assert msgs == [
        "feedback.csv row 2, column source: 'complaint' is not a feedback source "
        "(expected one of return, refund, contact, review, seller_feedback)",
        "feedback.csv row 3, column rating: '6' is not a rating "
        "(expected a whole number from 1 to 5 such as 4, or empty)",
    ]
    path = write(
        tmp_path,
        "offers.csv",
        "seller_id,sku,fulfilment,closed_reason,price,created_at\n"
        "S1,A,AFN,ncx,-1,2026-03-01\n"
        "S1,B,drone,spam,1.2.3,01/03/2026\n",
    )
    _, msgs = problems_of(con, path, "offers")
    assert [m.split(":")[0] for m in msgs] == [
        "offers.csv row 2, column price",
        "offers.csv row 3, column price",
        "offers.csv row 3, column fulfilment",
        "offers.csv row 3, column created_at",
        "offers.csv row 3, column closed_reason",
    ]
    assert "expected a number >= 0 such as 19.99" in msgs[0]
    assert "expected an ISO 8601 date such as 2026-03-01" in msgs[3]


def test_lines_of_one_order_are_kept_for_the_merge_step(con, tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER + "\n"
        "O1,S1,A,2026-03-01,1,shipped,1\n"
        "O1,S1,A,2026-03-01,1,cancelled,1\n"
        "O1,S1,A,2026-03-01,1,shipped,1\n",
    )
    staged = stage_file(con, path, "orders")
    assert staged.rows == 3 and len(rows(con, staged)) == 3  # merged by engine.importers.merge


def test_contradicting_rows_of_one_key_name_both_rows(con, tmp_path):
    path = write(
        tmp_path,
        "feedback.csv",
        "feedback_id,seller_id,sku,event_date,source\n"
        "F1,S1,A,2026-03-01,return\n"
        "F2,S1,A,2026-03-01,return\n"
        "F1,S1,B,2026-03-01,return\n"
        "F2,S1,A,2026-03-01,return\n"
        "F3,S1,A,2026-03-01,return\n"
        "F2,S1,A,2026-03-02,return\n",
    )
    err, msgs = problems_of(con, path, "feedback")
    assert msgs == [
        "feedback.csv rows 2 and 4: duplicate key (feedback_id='F1') with different values "
        "in the two rows",
        "feedback.csv rows 3 and 5: duplicate key (feedback_id='F2') with different values "
        "in the two rows",
    ]
    assert err.problems[0].row == 2 and err.problems[0].also_row == 4


def test_identical_rows_are_kept_once(con, tmp_path):
    path = write(
        tmp_path,
        "actions.csv",
        "seller_id,sku,action_date,action\n"
        "S1,A,2026-03-01,relisted\n"
        "S1, A ,2026-03-01T00:00:00Z,relisted\n"
        "S1,B,2026-03-01,relisted\n",
    )
    staged = stage_file(con, path, "actions")
    assert staged.rows == 3 and staged.repeats == 1
    assert [r["sku"] for r in rows(con, staged)] == ["A", "B"]


def test_duplicate_keys_compare_canonical_values(con, tmp_path):
    path = write(
        tmp_path,
        "offers.csv",
        "seller_id,sku,title\nS1,A,Pillow\nS1, A ,Duvet\n",
    )
    _, msgs = problems_of(con, path, "offers")
    assert msgs == [
        "offers.csv rows 2 and 3: duplicate key (seller_id='S1', sku='A') with different "
        "values in the two rows"
    ]


def test_row_numbers_count_blank_lines_and_quoted_line_breaks(con, tmp_path):
    path = write(
        tmp_path,
        "feedback.csv",
        "feedback_id,seller_id,sku,event_date,source,comment\n"
        'F1,S1,A,2026-03-01,review,"two\nlines"\n'
        "\n"
        "F2,S1,A,2026-03-01,bogus,\n",
    )
    _, msgs = problems_of(con, path, "feedback")
    assert msgs[0].startswith("feedback.csv row 4, column source:")


def test_max_problems_caps_the_list_and_counts_the_rest(con, tmp_path):
    lines = [ORDERS_HEADER] + [f"O{i},S1,A,bad,1,shipped,1" for i in range(30)]
    path = write(tmp_path, "orders.csv", "\n".join(lines) + "\n")
    err, msgs = problems_of(con, path, "orders", max_problems=5)
    assert len(err.problems) == 5 and err.more == 25
    assert [p.row for p in err.problems] == [2, 3, 4, 5, 6]
    text = str(err)
    assert text.splitlines()[0] == "orders.csv: 30 problems found"
    assert text.splitlines()[-1].strip() == "... and 25 more problems not shown"
    err, _ = problems_of(con, path, "orders")
    assert len(err.problems) == 20 and err.more == 10


def test_input_error_text_and_pickling():
    one = InputError([Problem("a.csv", 3, "sku", "empty")])
    assert str(one) == "a.csv row 3, column sku: empty"
    err = InputError(
        [Problem("a.csv", None, None, "bad"), Problem("a.csv", 2, None, "dup", also_row=4)], 7
    )
    assert str(err).splitlines() == [
        "a.csv: 9 problems found",
        "  a.csv: bad",
        "  a.csv rows 2 and 4: dup",
        "  ... and 7 more problems not shown",
    ]
    copy = pickle.loads(pickle.dumps(err))
    assert copy.problems == err.problems and copy.more == 7 and str(copy) == str(err)


def test_failed_stage_leaves_no_temp_tables(con, tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS_HEADER + "\nO1,S1,A,bad,1,shipped,1\n")
    problems_of(con, path, "orders")
    assert temp_tables(con) == set()


# --- encodings ---------------------------------------------------------------------------


def test_cp1252_is_detected_automatically(con, tmp_path):
    text = (
        "feedback_id,seller_id,sku,event_date,source,comment\n"
        "F1,S1,A,2026-03-01,review,Café – “great” €5\n"
    )
    path = write(tmp_path, "feedback.csv", text, encoding="cp1252")
    assert rows(con, stage_file(con, path, "feedback"))[0]["comment"] == "Café – “great” €5"


def test_cp1252_detected_late_in_the_file(con, tmp_path):
    lines = ["feedback_id,seller_id,sku,event_date,source,comment"]
    lines += [f"F{i},S1,A,2026-03-01,review,plain" for i in range(5000)]
    lines.append("X,S1,A,2026-03-01,review,Crème brûlée")
    path = write(tmp_path, "feedback.csv", "\n".join(lines) + "\n", encoding="cp1252")
    got = rows(con, stage_file(con, path, "feedback"))
    assert got[-1]["comment"] == "Crème brûlée"


def test_cp1252_after_megabytes_of_ascii_is_still_detected(con, tmp_path):
    head = "feedback_id,seller_id,sku,event_date,source,comment\n"
    plain = "".join(f"F{i},S1,A,2026-03-01,review,{'x' * 40}\n" for i in range(120_000))
    last = "X,S1,A,2026-03-01,review,Crème brûlée\n"
    path = write(tmp_path, "feedback.csv", (head + plain + last).encode("cp1252"))
    assert path.stat().st_size > 8 << 20
    got = rows(con, stage_file(con, path, "feedback"))
    assert got[-1]["comment"] == "Crème brûlée"
    # UTF-8 at first, cp1252 later: DuckDB finds the bad bytes, the import falls back
    mixed = write(
        tmp_path,
        "mixed.csv",
        (head + plain).encode() + "Y,S1,A,2026-03-01,review,Zoë\n".encode() + last.encode("cp1252"),
    )
    got = rows(con, stage_file(con, mixed, "feedback"))
    assert got[-1]["comment"] == "Crème brûlée"


def test_explicit_encoding_is_honoured(con, tmp_path):
    text = "feedback_id,seller_id,sku,event_date,source,comment\nF1,S1,A,2026-03-01,review,Café\n"
    path = write(tmp_path, "feedback.csv", text, encoding="cp1252")
    assert rows(con, stage_file(con, path, "feedback", encoding="cp1252"))[0]["comment"] == "Café"
    assert rows(con, stage_file(con, path, "feedback", encoding="latin-1"))[0]["comment"] == "Café"
    euro = write(tmp_path, "euro.csv", text.replace("Café", "5 €"), encoding="cp1252")
    assert rows(con, stage_file(con, euro, "feedback", encoding="cp1252"))[0]["comment"] == "5 €"
    path16 = write(tmp_path, "feedback16.csv", text, encoding="utf-16")
    got = rows(con, stage_file(con, path16, "feedback", encoding="utf-16"))
    assert got[0]["comment"] == "Café"


def test_invalid_utf8_with_explicit_utf8_names_row_and_column(con, tmp_path):
    text = (
        b"feedback_id,seller_id,sku,event_date,source,comment\n"
        b"F1,S1,A,2026-03-01,review,fine\n"
        b"F2,S1,A,2026-03-01,review,caf\xe9\n"
    )
    path = write(tmp_path, "feedback.csv", text)
    err, msgs = problems_of(con, path, "feedback", encoding="utf-8")
    assert err.problems[0].row == 3 and err.problems[0].column == "comment"
    assert msgs[0] == (
        "feedback.csv row 3, column comment: contains bytes that are not valid UTF-8 text "
        "(pass the file's encoding, e.g. cp1252, or save it as UTF-8)"
    )


def test_a_whole_file_in_another_encoding_stops_at_max_problems(con, tmp_path):
    lines = ["feedback_id,seller_id,sku,event_date,source,comment"]
    lines += [f"F{i},S1,A,2026-03-01,review,Café {i}" for i in range(20000)]
    path = write(tmp_path, "feedback.csv", "\n".join(lines) + "\n", encoding="cp1252")
    err, msgs = problems_of(con, path, "feedback", encoding="utf-8", max_problems=4)
    assert [(p.row, p.column) for p in err.problems] == [(r, "comment") for r in (2, 3, 4, 5)]
    assert str(err).splitlines()[-1].strip() == "... and at least 1 more problem not shown"


def test_bytes_undefined_in_cp1252_name_row_and_column(con, tmp_path):
    text = (
        b"feedback_id,seller_id,sku,event_date,source,comment\nF1,S1,A,2026-03-01,review,x\x81y\n"
    )
    path = write(tmp_path, "feedback.csv", text)
    err, msgs = problems_of(con, path, "feedback", encoding="cp1252")
    assert (err.problems[0].row, err.problems[0].column) == (2, "comment")
    assert "not valid cp1252" in msgs[0]
    # auto-detection: neither UTF-8 nor cp1252
    err, msgs = problems_of(con, path, "feedback")
    assert (err.problems[0].row, err.problems[0].column) == (2, "comment")
    assert "neither UTF-8 nor cp1252" in msgs[0]


def test_unknown_encoding(con, tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS_HEADER + "\n")
    _, msgs = problems_of(con, path, "orders", encoding="klingon")
    assert msgs == ["orders.csv: unknown encoding 'klingon' (expected e.g. utf-8 or cp1252)"]


# --- broken files --------------------------------------------------------------------------


def test_empty_file(con, tmp_path):
    for content in (b"", b"\xef\xbb\xbf", b"\n\n"):
        path = write(tmp_path, "orders.csv", content)
        _, msgs = problems_of(con, path, "orders")
        assert msgs[0].startswith("orders.csv: the file is empty (expected a header row")


def test_garbage_binary_file(con, tmp_path):
    path = write(tmp_path, "orders.csv", bytes(range(256)) * 64)
    _, msgs = problems_of(con, path, "orders")
    assert msgs[0].startswith("orders.csv row 1: contains binary data (byte 0x00)")
    # random bytes without NULs: still a clear InputError, never a DuckDB traceback
    noise = bytes((i * 7919 + 13) % 255 + 1 for i in range(20000))
    path = write(tmp_path, "orders.csv", noise)
    err, _ = problems_of(con, path, "orders")
    assert err.problems[0].file == "orders.csv"
    workbook = write(tmp_path, "orders.tsv", b"PK\x03\x04" + bytes(100))
    _, msgs = problems_of(con, workbook, "orders")
    assert "Excel" in msgs[0]


def test_ragged_rows_name_file_and_rows(con, tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER + "\n"
        "O1,S1,A,2026-03-01,1,shipped,1\n"
        "O2,S1,A,2026-03-01,1,shipped,1,extra\n"
        "O3,S1,A,2026-03-01,1,shipped,1\n"
        "O4,S1,A\n",
    )
    err, msgs = problems_of(con, path, "orders")
    assert [p.row for p in err.problems] == [3, 5]
    assert msgs[0] == (
        "orders.csv row 3: 8 fields where the header has 7 columns (comma-separated; a value "
        'containing a comma or a line break must be enclosed in double quotes, with any " '
        'inside written as "")'
    )
    assert msgs[1].startswith("orders.csv row 5: 3 fields where the header has 7 columns")


def test_every_row_ragged_is_reported_from_the_head_quickly(con, tmp_path):
    lines = [ORDERS_HEADER] + [f"O{i},S1,A,2026-03-01,1,shipped,1," for i in range(20000)]
    path = write(tmp_path, "orders.csv", "\n".join(lines) + "\n")
    err, msgs = problems_of(con, path, "orders", max_problems=3)
    assert [p.row for p in err.problems] == [2, 3, 4]
    assert msgs[0].startswith("orders.csv row 2: 8 fields where the header has 7 columns")
    # the first 64 KB have more; the rest of the file was not read
    assert err.more_is_lower_bound
    assert str(err).splitlines()[-1].strip().startswith("... and at least")


def test_quoted_line_breaks_across_the_sniffed_head_are_fine(con, tmp_path):
    header = "feedback_id,seller_id,sku,event_date,source,comment"
    long = "line\n" * 20000  # ~100 KB inside one quoted value
    lines = [header, 'F0,S1,A,2026-03-01,review,"' + long + '"', "F1,S1,A,2026-03-01,review,ok"]
    path = write(tmp_path, "feedback.csv", "\n".join(lines) + "\n")
    got = rows(con, stage_file(con, path, "feedback"))
    assert got[0]["comment"] == long and got[1]["feedback_id"] == "F1"


def test_unterminated_quote(con, tmp_path):
    path = write(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER + '\nO1,S1,A,2026-03-01,1,shipped,1\nO2,S1,"A,2026-03-01,1,shipped,1\n',
    )
    err, msgs = problems_of(con, path, "orders")
    assert err.problems[0].row == 3 and err.problems[0].column == "sku"
    assert "unterminated double quote" in msgs[0]


def test_unsupported_extension_and_missing_file(con, tmp_path):
    path = write(tmp_path, "orders.xlsx", b"PK\x03\x04")
    _, msgs = problems_of(con, path, "orders")
    assert msgs == [
        "orders.xlsx: unsupported file type (expected .csv, .tsv, .txt, .csv.gz or .parquet)"
    ]
    _, msgs = problems_of(con, tmp_path / "nope.csv", "orders")
    assert msgs == ["nope.csv: file not found"]


@pytest.mark.parametrize("name", ["o'rders [1].csv", "orders*.csv", "orders?.parquet"])
def test_file_names_are_not_glob_patterns(con, tmp_path, name):
    # DuckDB expands patterns even in bound file names: these must read only themselves.
    folder = tmp_path / "we{ir}d"
    folder.mkdir()
    if name.endswith(".parquet"):
        for n, order_id in ((name, "O1"), ("orders1.parquet", "X")):
            pl.DataFrame(
                {
                    "order_id": [order_id],
                    "seller_id": ["S1"],
                    "sku": ["A"],
                    "purchase_date": ["2026-03-01"],
                    "quantity": [1],
                    "status": ["shipped"],
                }
            ).write_parquet(folder / n)
    else:
        for n, order_id in ((name, "O1"), ("o'rders 1.csv", "X"), ("orders1.csv", "Y")):
            write(folder, n, ORDERS_HEADER + f"\n{order_id},S1,A,2026-03-01,1,shipped,1\n")
    got = rows(con, stage_file(con, folder / name, "orders"))
    assert [r["order_id"] for r in got] == ["O1"]
    assert list(folder.iterdir())  # the originals are untouched


def test_semicolon_separated_file(con, tmp_path):
    path = write(tmp_path, "orders.csv", ORDERS_HEADER.replace(",", ";") + "\n")
    _, msgs = problems_of(con, path, "orders")
    assert "semicolon" in msgs[0]


# --- Parquet -------------------------------------------------------------------------------


def test_parquet_good_with_typed_and_text_columns(con, tmp_path):
    path = tmp_path / "orders.parquet"
    pl.DataFrame(
        {
            "Order_ID": ["O1", "O2"],
            "seller_id": ["S1", "S1"],
            "sku": ["A", "B"],
            "purchase_date": [
                datetime(2026, 3, 1, 14, 5, tzinfo=timezone(timedelta(hours=2))),
                datetime(2026, 3, 1, 23, 0, tzinfo=UTC),
            ],
            "quantity": pl.Series([2, 0], dtype=pl.Int64),
            "status": ["Shipped", "pending"],
            "sold_by_seller": ["true", "0"],
            "ignored": [1.5, 2.5],
        }
    ).write_parquet(path)
    staged = stage_file(con, path, "orders")
    got = rows(con, staged)
    assert [r["purchase_date"] for r in got] == [
        datetime(2026, 3, 1, 12, 5),
        datetime(2026, 3, 1, 23, 0),
    ]
    assert [r["quantity"] for r in got] == [2, 0]
    assert [r["sold_by_seller"] for r in got] == [True, False]
    assert [r["status"] for r in got] == ["shipped", "pending"]
    con.execute(f'INSERT INTO orders SELECT * FROM "{staged.stage}"')


def test_parquet_bad_values_use_one_based_data_rows(con, tmp_path):
    path = tmp_path / "feedback.parquet"
    pl.DataFrame(
        {
            "feedback_id": ["F1", "F2", "F3", "F1"],
            "seller_id": ["S1", "S1", None, "S1"],
            "sku": ["A", "A", "A", "A"],
            "event_date": ["2026-03-01", "2026-13-01", "2026-03-01", "2026-03-02"],
            "source": ["review", "review", "review", "refund"],
            "rating": pl.Series([5, 9, None, None], dtype=pl.Int16),
        }
    ).write_parquet(path)
    _, msgs = problems_of(con, path, "feedback")
    assert msgs == [
        "feedback.parquet row 2, column event_date: '2026-13-01' is not a timestamp "
        "(expected ISO 8601 such as 2026-03-01T14:05:00Z or 2026-03-01)",
        "feedback.parquet row 2, column rating: '9' is not a rating "
        "(expected a whole number from 1 to 5 such as 4, or empty)",
        "feedback.parquet row 3, column seller_id: empty, but a value is required "
        "(expected a value such as A1B2C3D4E5F6G7)",
    ]
    pl.read_parquet(path).with_columns(
        event_date=pl.lit("2026-03-01"), seller_id=pl.lit("S1"), rating=None
    ).write_parquet(path)
    _, msgs = problems_of(con, path, "feedback")
    assert msgs == [
        "feedback.parquet rows 1 and 4: duplicate key (feedback_id='F1') with different "
        "values in the two rows"
    ]


def test_parquet_missing_column_and_not_parquet(con, tmp_path):
    path = tmp_path / "orders.parquet"
    pl.DataFrame({"order_id": ["O1"]}).write_parquet(path)
    err, _ = problems_of(con, path, "orders")
    assert {p.column for p in err.problems} == {
        "seller_id",
        "sku",
        "purchase_date",
        "quantity",
        "status",
    }
    fake = write(tmp_path, "fake.parquet", ORDERS_HEADER + "\n")
    _, msgs = problems_of(con, fake, "orders")
    assert msgs[0].startswith("fake.parquet: is not a Parquet file")
