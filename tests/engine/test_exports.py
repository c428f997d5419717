"""Downloads (engine/exports.py): CSV and xlsx carry the screen's rows, order and readable
values, raw columns after them, and no text a spreadsheet would evaluate. The xlsx files
are read back with openpyxl, a reader independent of the writer (XlsxWriter)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

import openpyxl
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.escape import unescape

from engine.exports import (
    ABOUT_TITLE,
    Column,
    Sheet,
    is_formula_like,
    neutralise,
    neutralise_frame,
    to_csv,
    to_xlsx,
)

BOM = b"\xef\xbb\xbf"
HEALTH_WORDS = {"very_poor": "Very poor", "poor": "Poor", "good": "Good"}
PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "  =1+1",
    "\t=1",
    "\r=1",
    "\tplain after a tab",
]
HARMLESS = ["plain", "a=b", "e-mail", "x@y.z", "'=already quoted", "", "12 - 3", "Très bien ’"]

OFFER_COLUMNS = [
    Column("title", "Product"),
    Column("health", "CX health", words=HEALTH_WORDS),
    Column("ncx_rate", "NCX rate", "percent"),
    Column("orders", "Orders", "int"),
    Column("x_peers", "× peers", "ratio"),
    Column("last_updated", "Last updated", "date"),
]


def offers_frame() -> pl.DataFrame:
    """Three offers in screen order (deliberately not sorted by any column)."""
    return pl.DataFrame(
        {
            "sku": ["B-2", "A-1", "C-3"],
            "title": ["Pillow", "Café mug ’日本’", None],
            "health": ["very_poor", "good", "unheard_of"],
            "ncx_rate": [0.12345, 0.0, None],
            "orders": [1234, 7, None],
            "x_peers": [2.44, 0.95, None],
            "last_updated": [date(2024, 5, 31), None, date(2023, 1, 2)],
        },
        schema_overrides={"orders": pl.Int64},
    )


def offers_sheet(**kw) -> Sheet:
    kw.setdefault("raw", ["sku", "ncx_rate", "health"])
    kw.setdefault(
        "about",
        [("Seller", "S-001"), ("As of", "2024-06-01"), ("Window", "90 days"), ("Filters", "")],
    )
    return Sheet("Offers", offers_frame(), OFFER_COLUMNS, **kw)


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


def workbook(data: bytes, **kw) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), **kw)


def grid(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


# --- neutralise ------------------------------------------------------------------------


@pytest.mark.parametrize("text", PAYLOADS)
def test_neutralise_prefixes_an_apostrophe_to_formula_like_text(text):
    assert is_formula_like(text)
    assert neutralise(text) == "'" + text
    assert not is_formula_like(neutralise(text))
    assert neutralise(neutralise(text)) == neutralise(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_neutralise_leaves_other_text_alone(text):
    assert neutralise(text) == text


def test_neutralise_sees_through_unicode_white_space():
    assert neutralise("\u00a0=1") == "'\u00a0=1"
    assert neutralise("\u3000+1") == "'\u3000+1"


TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8)


@given(st.lists(st.one_of(st.none(), TEXT), max_size=30))
def test_neutralise_frame_agrees_with_neutralise(values):
    frame = pl.DataFrame(
        {
            "s": pl.Series(values, dtype=pl.String),
            "n": pl.Series(range(len(values)), dtype=pl.Int64),
        }
    )
    out = neutralise_frame(frame)
    assert out["s"].to_list() == [None if v is None else neutralise(v) for v in values]
    assert out["n"].to_list() == list(range(len(values)))


def test_neutralise_frame_touches_only_text_columns():
    frame = pl.DataFrame(
        {
            "title": PAYLOADS + [None],
            "cat": pl.Series(["=x"] * (len(PAYLOADS) + 1), dtype=pl.Categorical),
            "rate": [-0.5] * (len(PAYLOADS) + 1),
        }
    )
    out = neutralise_frame(frame)
    assert out["title"].to_list() == ["'" + p for p in PAYLOADS] + [None]
    assert out["cat"].to_list() == ["'=x"] * (len(PAYLOADS) + 1)
    assert out["rate"].to_list() == frame["rate"].to_list()
    # the CSV the report command writes from it carries no live text formula
    rows = list(csv.reader(io.StringIO(out.write_csv())))
    assert all(not is_formula_like(title) and not is_formula_like(cat) for title, cat, _ in rows)


# --- CSV -------------------------------------------------------------------------------


def test_csv_header_and_values_read_as_on_screen():
    rows = read_csv(to_csv(offers_sheet()))
    assert rows[0] == [
        "Product",
        "CX health",
        "NCX rate",
        "Orders",
        "× peers",
        "Last updated",
        "sku",
        "ncx_rate",
        "health",
    ]
    assert rows[1:] == [
        [
            "Pillow",
            "Very poor",
            "12.3 %",
            "1234",
            "2.4 ×",
            "2024-05-31",
            "B-2",
            "0.12345",
            "very_poor",
        ],
        ["Café mug ’日本’", "Good", "0.0 %", "7", "0.9 ×", "", "A-1", "0.0", "good"],
        # a missing number reads as the screen's dash; raw columns stay empty
        ["", "unheard_of", "—", "—", "—", "2023-01-02", "C-3", "", "unheard_of"],
    ]


def test_csv_is_utf8_with_bom_crlf_and_every_field_quoted():
    data = to_csv(offers_sheet(raw=[]))
    assert data.startswith(BOM + b'"Product","CX health",')
    lines = data[len(BOM) :].decode("utf-8").split("\r\n")
    assert lines[-1] == "" and len(lines) == 5
    assert lines[2].startswith('"Café mug ’日本’","Good","0.0 %"')


def test_csv_keeps_the_frame_row_order():
    frame = pl.DataFrame({"sku": [f"S{i:03}" for i in (5, 1, 9, 3, 7)], "n": [5, 1, 9, 3, 7]})
    sheet = Sheet("Offers", frame, [Column("sku", "SKU"), Column("n", "N", "int")])
    assert [r[0] for r in read_csv(to_csv(sheet))[1:]] == ["S005", "S001", "S009", "S003", "S007"]


def test_csv_formats_other_kinds_and_decimals():
    frame = pl.DataFrame(
        {
            "p": [-0.00001, 0.5, 1.0],
            "n": [1234.5678, -2.0, float("nan")],
            "d": [datetime(2024, 5, 31, 23, 59), datetime(2024, 1, 1), None],
            "s": ["2024-02-29", "not a day", None],
            "f": [3.0, 2.5, None],
            "tags": [["defective", "=bad"], [], None],
        }
    )
    sheet = Sheet(
        "T",
        frame,
        [
            Column("p", "P0", "percent", decimals=0),
            Column("p", "P2", "percent", decimals=2),
            Column("n", "N", "number"),
            Column("n", "N2", "number", decimals=2),
            Column("d", "D", "date"),
            Column("s", "S", "date"),
            Column("f", "F", "int"),
            Column("tags", "Themes", words={"defective": "Defective"}),
        ],
        raw=["d", "n"],
    )
    assert read_csv(to_csv(sheet))[1:] == [
        ["0 %", "0.00 %", "1234.5678", "1234.57", "2024-05-31", "2024-02-29", "3"]
        + ["Defective, =bad", "2024-05-31T23:59:00", "1234.5678"],
        ["50 %", "50.00 %", "-2.0", "-2.00", "2024-01-01", "not a day", "2.5"]
        + ["", "2024-01-01T00:00:00", "-2.0"],
        ["100 %", "100.00 %", "—", "—", "", "", "—", "", "", ""],
    ]


def test_csv_neutralises_every_text_cell():
    n = len(PAYLOADS)
    frame = pl.DataFrame({"title": PAYLOADS, "reason": PAYLOADS, "rate": [-0.25] * n})
    sheet = Sheet(
        "Comments",
        frame,
        [
            Column("title", "=title"),
            Column("reason", "Reason", words={"-2+3": "-2+3 as a word"}),
            Column("rate", "Rate", "percent"),
        ],
        raw=["title"],
    )
    data = to_csv(sheet)
    rows = read_csv(data)
    assert rows[0] == ["'=title", "Reason", "Rate", "title"]
    for payload, row in zip(PAYLOADS, rows[1:], strict=True):
        word = "-2+3 as a word" if payload == "-2+3" else payload
        assert row == ["'" + payload, "'" + word, "-25.0 %", "'" + payload]
    assert not any(is_formula_like(cell) for row in rows for cell in row[:2] + row[3:])


def test_csv_quotes_text_that_a_semicolon_locale_would_split():
    frame = pl.DataFrame({"comment": ["fine;=1+1", "tab\t=1+1"]})
    data = to_csv(Sheet("C", frame, [Column("comment", "Comment")]))
    assert b'"fine;=1+1"' in data and b'"tab\t=1+1"' in data


def test_csv_of_zero_rows_has_its_header():
    sheet = offers_sheet()
    empty = Sheet("Offers", sheet.frame.clear(), sheet.columns, raw=sheet.raw)
    assert read_csv(to_csv(empty)) == [sheet.headers]


# --- xlsx ------------------------------------------------------------------------------


def test_xlsx_has_real_numbers_formats_words_and_raw_columns():
    wb = workbook(to_xlsx([offers_sheet()]))
    assert wb.sheetnames == [ABOUT_TITLE, "Offers"]
    ws = wb["Offers"]
    assert grid(ws) == [
        ["Product", "CX health", "NCX rate", "Orders", "× peers", "Last updated"]
        + ["sku", "ncx_rate", "health"],
        ["Pillow", "Very poor", 0.12345, 1234, 2.44, datetime(2024, 5, 31)]
        + ["B-2", 0.12345, "very_poor"],
        ["Café mug ’日本’", "Good", 0, 7, 0.95, None, "A-1", 0, "good"],
        [None, "unheard_of", None, None, None, datetime(2023, 1, 2), "C-3", None, "unheard_of"],
    ]
    first = ws[2]
    assert [c.data_type for c in first] == ["s", "s", "n", "n", "n", "d", "s", "n", "s"]
    assert first[2].number_format == "0.0%"
    assert first[3].number_format == "#,##0"
    assert first[4].number_format == '0.0"×"'
    assert first[5].number_format == "yyyy-mm-dd"
    assert first[7].number_format == "General"  # raw: the value as stored
    assert all(c.font.b for c in ws[1])


def test_xlsx_header_is_frozen_and_filterable():
    wb = workbook(to_xlsx([offers_sheet()]))
    ws = wb["Offers"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:I4"
    assert ws.column_dimensions["A"].width >= len("Café mug ’日本’")
    assert wb[ABOUT_TITLE].freeze_panes == "A2"


def test_xlsx_about_sheet_lists_each_sheets_about_lines():
    comments = Sheet(
        "Comments",
        pl.DataFrame({"comment": ["ok", "bad"]}),
        [Column("comment", "Comment")],
        about=[("Offer", "S-001 / B-2"), ("Search", "=cmd|' /C calc'!A0"), ("Window", 90)],
    )
    wb = workbook(to_xlsx([offers_sheet(), comments]))
    assert wb.sheetnames == [ABOUT_TITLE, "Offers", "Comments"]
    about = wb[ABOUT_TITLE]
    assert grid(about) == [
        ["Sheet", "About", "Value"],
        ["Offers", "Seller", "S-001"],
        ["Offers", "As of", "2024-06-01"],
        ["Offers", "Window", "90 days"],
        ["Offers", "Filters", ""],
        ["Offers", "Rows", 3],
        ["Comments", "Offer", "S-001 / B-2"],
        ["Comments", "Search", "=cmd|' /C calc'!A0"],
        ["Comments", "Window", "90"],
        ["Comments", "Rows", 2],
    ]
    assert about["C8"].data_type == "s" and about["C8"].quotePrefix


def test_xlsx_formula_like_text_is_a_string_cell_never_a_formula():
    n = len(PAYLOADS)
    frame = pl.DataFrame({"comment": PAYLOADS, "code": PAYLOADS, "ok": HARMLESS[:n]})
    sheet = Sheet(
        "Comments",
        frame,
        [Column("comment", "Comment"), Column("ok", "Fine")],
        raw=["code"],
        about=[("Filters", PAYLOADS[0])],
    )
    data = to_xlsx([sheet])
    ws = workbook(data)["Comments"]
    for payload, (comment, ok, code) in zip(PAYLOADS, ws.iter_rows(min_row=2), strict=True):
        for cell in (comment, code):
            assert cell.data_type == "s"
            # the exact text, no apostrophe added (a CR is stored as Excel's _x000D_)
            assert unescape(cell.value) == payload
            assert cell.quotePrefix  # Excel keeps it text when the cell is edited
        assert not ok.quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 2
        for name in sheets:
            assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_xlsx_of_zero_rows_has_its_header():
    sheet = offers_sheet()
    empty = Sheet("Offers", sheet.frame.clear(), sheet.columns, raw=sheet.raw)
    ws = workbook(to_xlsx([empty]))["Offers"]
    assert grid(ws) == [sheet.headers]
    assert ws.freeze_panes == "A2"


def test_xlsx_keeps_order_and_non_ascii_text():
    texts = ["é à ü", "’curly’ “quotes”", "日本語のコメント", "emoji 🙂", "line\nbreak"]
    frame = pl.DataFrame({"comment": texts, "n": [4, 2, 5, 1, 3]})
    ws = workbook(
        to_xlsx(Sheet("C", frame, [Column("comment", "Comment"), Column("n", "N", "int")]))
    )["C"]
    assert grid(ws)[1:] == [[t, n] for t, n in zip(texts, [4, 2, 5, 1, 3], strict=True)]


def test_xlsx_sheet_names_are_made_valid_and_unique():
    one = pl.DataFrame({"a": [1]})
    sheets = [
        Sheet(title, one, [Column("a", "A", "int")])
        for title in ("NCX orders: B-2 / S-001 [90 days] and more words", "Offers", "offers", "")
    ]
    names = workbook(to_xlsx(sheets)).sheetnames
    assert names[0] == ABOUT_TITLE
    assert names[1] == "NCX orders  B-2   S-001  90 day"
    assert names[2:] == ["Offers", "offers (2)", "Sheet"]
    assert all(len(n) <= 31 for n in names)


def test_xlsx_raw_columns_keep_their_types():
    frame = pl.DataFrame(
        {
            "flag": [True, False],
            "big": [2**60, 3],
            "at": [datetime(2024, 5, 31, 8, 30), None],
            "f": [0.1234567890123456, float("inf")],
        }
    )
    sheet = Sheet("R", frame, [], raw=["flag", "big", "at", "f"])
    ws = workbook(to_xlsx([sheet]))["R"]
    assert grid(ws) == [
        ["flag", "big", "at", "f"],
        [True, str(2**60), datetime(2024, 5, 31, 8, 30), 0.1234567890123456],
        [False, 3, None, None],
    ]
    assert ws["C2"].number_format == "yyyy-mm-dd hh:mm:ss"


# --- both ------------------------------------------------------------------------------


def test_a_large_frame_exports():
    n = 100_000
    frame = pl.DataFrame(
        {
            "sku": [f"SKU-{i:06}" for i in range(n)],
            "title": ["=1+1" if i % 1000 == 0 else f"Offer {i} é" for i in range(n)],
            "health": ["very_poor", "good"] * (n // 2),
            "ncx_rate": [i / n for i in range(n)],
            "orders": list(range(n)),
        }
    )
    sheet = Sheet(
        "Offers",
        frame,
        [
            Column("title", "Product"),
            Column("health", "CX health", words=HEALTH_WORDS),
            Column("ncx_rate", "NCX rate", "percent"),
            Column("orders", "Orders", "int"),
        ],
        raw=["sku"],
    )
    rows = read_csv(to_csv(sheet))
    assert len(rows) == n + 1
    assert rows[1] == ["'=1+1", "Very poor", "0.0 %", "0", "SKU-000000"]
    assert rows[-1] == ["Offer 99999 é", "Good", "100.0 %", "99999", "SKU-099999"]

    ws = workbook(to_xlsx([sheet]), read_only=True)["Offers"]
    last = None
    count = 0
    for count, last in enumerate(ws.iter_rows(min_row=2, values_only=True), start=1):  # noqa: B007
        pass
    assert count == n
    assert last == ("Offer 99999 é", "Good", 0.99999, 99999, "SKU-099999")


def test_columns_and_sheets_are_checked():
    with pytest.raises(ValueError, match="kind"):
        Column("x", "X", "percentage")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no column"):
        Sheet("Offers", offers_frame(), [Column("nope", "Nope")])
    with pytest.raises(ValueError, match="no column"):
        Sheet("Offers", offers_frame(), OFFER_COLUMNS, raw=["missing"])
