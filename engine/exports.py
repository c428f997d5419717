"""Downloads: a grid as the screen shows it, as CSV or as an Excel workbook.

Polars in, bytes out; no UI imports. The caller (a callback, or any other front end)
describes what is on screen with a :class:`Sheet`: the rows already filtered and sorted,
the screen's columns in screen order (:class:`Column`: field, header, how values read),
optional raw columns for analysts, and ``about`` lines naming the seller, as-of day,
window, filters and sort. Then:

- :func:`to_csv` -- one sheet, UTF-8 with a BOM so Excel opens it right; values read as on
  screen (``12.3 %``, ``2.4 ×``, words instead of codes, ISO days, empty for no value),
  raw columns after them at full precision;
- :func:`to_xlsx` -- a workbook (XlsxWriter): an "About this export" worksheet, then one
  worksheet per sheet with real numbers and number formats (``0.0%``, ``0.0"×"``,
  ``#,##0``, ``yyyy-mm-dd``), a frozen header row with an autofilter, sensible widths.

Formula injection (a comment such as ``=HYPERLINK("http://x","y")`` or
``+cmd|' /C calc'!A0``): every text cell is inert.

- CSV: :func:`neutralise` prefixes an apostrophe to text that a spreadsheet would
  evaluate (it starts with ``=``, ``+``, ``-`` or ``@``, perhaps after leading white
  space, or starts with a tab or carriage return). Every field is quoted, so a
  spreadsheet that splits on ``;`` or tabs cannot carve a formula out of a longer text.
- xlsx: text is always written with XlsxWriter's ``write_string``, which stores a string
  cell (never a formula) holding the exact text; formula-like text also gets Excel's
  "quote prefix" cell style, the file form of typing a leading apostrophe, so editing the
  cell in Excel keeps it text.
- :func:`neutralise_frame` does the CSV rule to every string column of a frame (for the
  ``report`` command's CSV).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import polars as pl
import xlsxwriter

Kind = Literal["text", "int", "percent", "ratio", "date", "number"]
KINDS: tuple[str, ...] = ("text", "int", "percent", "ratio", "date", "number")

ABOUT_TITLE = "About this export"
NO_VALUE = "—"  # what the grids show for a rate or number that does not exist
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, header included
XLSX_MAX_TEXT = 32_767  # characters in one cell

# White space a spreadsheet (or its CSV import with "trim spaces") may skip before it
# looks for a formula sign. Spelled out (not \s) so Python's re and polars' regex agree.
_LEADING = " \t\r\n\f\v\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_FORMULA_PATTERN = f"^(?:[\t\r]|[{_LEADING}]*[=+\\-@])"
_FORMULA = re.compile(_FORMULA_PATTERN)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (or DDE call)."""
    return _FORMULA.match(text) is not None


def neutralise(text: str) -> str:
    """``text`` made inert for a spreadsheet: a leading apostrophe when it starts with
    ``=``, ``+``, ``-`` or ``@`` (also after leading white space) or with a tab or
    carriage return; any other text unchanged. Idempotent."""
    return "'" + text if _FORMULA.match(text) else text


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with :func:`neutralise` applied to every string column (categorical and
    enum columns become strings); other columns and nulls untouched. For a CSV written
    straight from a frame, e.g. the ``report`` command's."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum):
            col = pl.col(name).cast(pl.String)
            exprs.append(
                pl.when(col.str.contains(_FORMULA_PATTERN))
                .then(pl.lit("'") + col)
                .otherwise(col)
                .alias(name)
            )
    return frame.with_columns(exprs) if exprs else frame


@dataclass(frozen=True)
class Column:
    """One column as the screen shows it.

    ``kind`` says how a value reads:

    - ``text``: as is (``words`` map codes to readable words; a list reads ``a, b``);
    - ``int``: a whole number (CSV ``1234``, xlsx ``#,##0``);
    - ``percent``: a fraction 0..1 shown as ``12.3 %`` (xlsx: the fraction, ``0.0%``);
    - ``ratio``: ``2.4 ×`` (xlsx ``0.0"×"``);
    - ``date``: a day, ISO ``2024-05-31`` (xlsx: an Excel date, ``yyyy-mm-dd``); a
      datetime is cut to its day, an ISO string is read as a day;
    - ``number``: any number (``decimals`` fixes the places, else full precision).

    ``decimals`` overrides the places of percent (1), ratio (1) and number (none: as is).
    ``width`` is the xlsx column width in characters (default: fitted to the content).
    """

    field: str
    header: str
    kind: Kind = "text"
    words: Mapping[str, str] | None = None
    width: int | None = None
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.field!r}: kind {self.kind!r} is not one of {KINDS}")
        if self.decimals is not None and not 0 <= self.decimals <= 10:
            raise ValueError(f"column {self.field!r}: decimals must be 0..10")


@dataclass(frozen=True)
class Sheet:
    """What one grid shows: ``frame`` holds the rows in screen order (already filtered,
    sorted and limited); ``columns`` the screen's columns in screen order; ``raw`` extra
    frame columns appended after them, headed by their field names, with raw values;
    ``about`` (label, value) lines saying what was exported ("Seller", "As of", "Window",
    "Filters", "Sort", "Exported at", ...)."""

    title: str
    frame: pl.DataFrame
    columns: Sequence[Column]
    raw: Sequence[str] = ()
    about: Sequence[tuple[str, Any]] = ()

    def __post_init__(self) -> None:
        wanted = [c.field for c in self.columns] + list(self.raw)
        missing = [f for f in wanted if f not in self.frame.columns]
        if missing:
            raise ValueError(f"sheet {self.title!r}: no column(s) {missing} in the frame")

    @property
    def headers(self) -> list[str]:
        """Screen headers, then raw field names."""
        return [c.header for c in self.columns] + list(self.raw)


# ---------------------------------------------------------------------------------------
# Values as the screen reads them


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _fixed(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:  # no "-0.0 %"
        text = text[1:]
    return text


def _as_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _plain(value: object) -> str:
    """Raw text of a value: full precision, ISO days and times, true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back exactly
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join("" if v is None else _plain(v) for v in value)
    return str(value)


def _word(column: Column, value: object) -> str:
    code = _plain(value)
    return column.words.get(code, code) if column.words else code


def _text(column: Column, value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_word(column, v) for v in value if v is not None)
    return _word(column, value)


def _screen_text(column: Column, value: object) -> str:
    """One value as the screen shows it (CSV cell, before neutralising): a missing number
    reads as the screen's dash, missing text as nothing."""
    if _is_missing(value):
        return "" if column.kind in ("text", "date") else NO_VALUE
    kind = column.kind
    if kind == "text":
        return _text(column, value)
    if kind == "date":
        day = _as_day(value)
        return day.isoformat() if day else _plain(value)
    if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
        return _plain(value)
    if kind == "percent":
        return _fixed(float(value) * 100, _decimals(column)) + " %"
    if kind == "ratio":
        return _fixed(float(value), _decimals(column)) + " ×"
    if kind == "int":
        if isinstance(value, int):
            return str(value)
        return str(int(value)) if float(value).is_integer() else _plain(float(value))
    # number
    if column.decimals is not None:
        return _fixed(float(value), column.decimals)
    return _plain(float(value) if isinstance(value, Decimal) else value)


def _decimals(column: Column) -> int:
    return 1 if column.decimals is None else column.decimals


def _from_text(value: object) -> bool:
    """Whether a cell's text came from a string (so it may carry a formula)."""
    return isinstance(value, str) or (
        isinstance(value, list | tuple) and any(isinstance(v, str) for v in value)
    )


def _screen_cells(column: Column, values: list) -> list[str]:
    out = []
    for v in values:
        text = _screen_text(column, v)
        out.append(neutralise(text) if _from_text(v) or column.words else text)
    return out


def _raw_cells(values: list) -> list[str]:
    return [
        "" if _is_missing(v) else neutralise(_plain(v)) if _from_text(v) else _plain(v)
        for v in values
    ]


# ---------------------------------------------------------------------------------------
# CSV


def to_csv(sheet: Sheet) -> bytes:
    """The sheet as CSV bytes: UTF-8 with BOM, CRLF line ends, every field quoted.

    Header: the screen headers, then the raw field names. Rows in frame order, values as
    the screen reads them (see :class:`Column`), empty for no value; raw columns at full
    precision. Every text cell is neutralised (:func:`neutralise`)."""
    frame = sheet.frame
    columns = [_screen_cells(c, frame[c.field].to_list()) for c in sheet.columns]
    columns += [_raw_cells(frame[f].to_list()) for f in sheet.raw]
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in sheet.headers])
    writer.writerows(zip(*columns, strict=True))
    return out.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------------------
# xlsx

_NUMBER_FORMATS: dict[str, Callable[[int], str]] = {
    "percent": lambda d: "0%" if d == 0 else "0." + "0" * d + "%",
    "ratio": lambda d: '0"×"' if d == 0 else "0." + "0" * d + '"×"',
    "number": lambda d: "#,##0" if d == 0 else "#,##0." + "0" * d,
}
_MIN_WIDTH, _MAX_WIDTH, _WIDTH_SAMPLE = 6, 60, 2000
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique worksheet name (31 characters, none of []:*?/\\)."""
    base = _INVALID_SHEET_CHARS.sub(" ", title).strip().strip("'") or "Sheet"
    if base.casefold() == "history":
        base = "History data"
    name, n = base[:31], 1
    while name.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.casefold())
    return name


class _Formats:
    """The workbook's cell formats, made once each."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self._book = book
        self._cache: dict[tuple, Any] = {}
        self.header = book.add_format({"bold": True, "bottom": 1})
        self.quoted = book.add_format({"quote_prefix": True})

    def number(self, num_format: str) -> Any:
        key = ("num", num_format)
        if key not in self._cache:
            self._cache[key] = self._book.add_format({"num_format": num_format})
        return self._cache[key]


# A cell writer: (worksheet, row, col, value) -> None. Values are never None here.
_Writer = Callable[[Any, int, int, Any], None]


def _string_writer(formats: _Formats) -> _Writer:
    quoted = formats.quoted

    def write(ws: Any, row: int, col: int, text: str) -> None:
        text = text[:XLSX_MAX_TEXT]
        if _FORMULA.match(text):
            ws.write_string(row, col, text, quoted)
        else:
            ws.write_string(row, col, text)

    return write


def _number_writer(fmt: Any, text: _Writer) -> _Writer:
    def write(ws: Any, row: int, col: int, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            text(ws, row, col, _plain(value))
        elif isinstance(value, int) and abs(value) > 2**53:  # beyond a double: keep digits
            text(ws, row, col, str(value))
        elif math.isfinite(value):
            ws.write_number(row, col, float(value), fmt)

    return write


def _date_writer(fmt: Any, text: _Writer, keep_time: bool) -> _Writer:
    def write(ws: Any, row: int, col: int, value: Any) -> None:
        if keep_time and isinstance(value, datetime):
            day: date | datetime | None = value
        else:
            day = _as_day(value)
        if day is None or day.year < 1900:  # Excel has no days before 1900
            text(ws, row, col, _plain(value))
        else:
            ws.write_datetime(row, col, day, fmt)

    return write


def _screen_writer(column: Column, formats: _Formats) -> tuple[_Writer, Any]:
    """How one screen column's values go into cells, and the column's format."""
    text = _string_writer(formats)
    kind = column.kind
    if kind == "text":
        return (lambda ws, r, c, v: text(ws, r, c, _text(column, v))), None
    if kind == "date":
        fmt = formats.number("yyyy-mm-dd")
        return _date_writer(fmt, text, keep_time=False), fmt
    if kind == "int":
        fmt = formats.number("#,##0")
    elif kind == "number" and column.decimals is None:
        fmt = None
    else:
        fmt = formats.number(_NUMBER_FORMATS[kind](_decimals(column)))
    return _number_writer(fmt, text), fmt


def _raw_writer(dtype: pl.DataType, formats: _Formats) -> _Writer:
    """How a raw column's values go into cells: numbers, booleans, days, times, text."""
    text = _string_writer(formats)
    if dtype == pl.Boolean:
        return lambda ws, r, c, v: ws.write_boolean(r, c, v)
    if dtype.is_numeric():
        return _number_writer(None, text)
    if dtype == pl.Date:
        return _date_writer(formats.number("yyyy-mm-dd"), text, keep_time=False)
    if isinstance(dtype, pl.Datetime):
        return _date_writer(formats.number("yyyy-mm-dd hh:mm:ss"), text, keep_time=True)
    return lambda ws, r, c, v: text(ws, r, c, _plain(v))


def _width(header: str, sample: list[str], width: int | None) -> float:
    if width is not None:
        return width
    longest = max([len(header), *map(len, sample)], default=len(header))
    return max(_MIN_WIDTH, min(_MAX_WIDTH, longest + 2))


def _write_grid(ws: Any, sheet: Sheet, formats: _Formats) -> None:
    frame = sheet.frame
    if frame.height + 1 > XLSX_MAX_ROWS:
        raise ValueError(
            f"sheet {sheet.title!r}: {frame.height:,} rows do not fit in one worksheet "
            f"(at most {XLSX_MAX_ROWS - 1:,}); export CSV instead"
        )
    plan: list[tuple[list, _Writer]] = []
    for i, column in enumerate(sheet.columns):
        values = frame[column.field].to_list()
        write, fmt = _screen_writer(column, formats)
        sample = [_screen_text(column, v) for v in values[:_WIDTH_SAMPLE]]
        ws.set_column(i, i, _width(column.header, sample, column.width), fmt)
        plan.append((values, write))
    for j, field in enumerate(sheet.raw, start=len(sheet.columns)):
        values = frame[field].to_list()
        sample = [_plain(v) for v in values[:_WIDTH_SAMPLE] if v is not None]
        ws.set_column(j, j, _width(field, sample, None))
        plan.append((values, _raw_writer(frame.schema[field], formats)))

    header_fmt = formats.header
    for col, header in enumerate(sheet.headers):
        ws.write_string(0, col, header, header_fmt)
    if sheet.headers:
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, frame.height, len(sheet.headers) - 1)

    # Row by row (constant_memory mode flushes each finished row to disk).
    for r in range(frame.height):
        row = r + 1
        for col, (values, write) in enumerate(plan):
            value = values[r]
            if value is not None:
                write(ws, row, col, value)


def _about_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_about_value(v) for v in value)
    return _plain(value)


def _write_about(ws: Any, sheets: Sequence[Sheet], names: list[str], formats: _Formats) -> None:
    """One line per (sheet, label, value); each sheet also says how many rows it has."""
    text = _string_writer(formats)
    for col, header in enumerate(("Sheet", "About", "Value")):
        ws.write_string(0, col, header, formats.header)
    ws.freeze_panes(1, 0)
    row = 1
    for sheet, name in zip(sheets, names, strict=True):
        lines = list(sheet.about)
        labels = {str(label).casefold() for label, _ in lines}
        for label, value in lines:
            text(ws, row, 0, name)
            text(ws, row, 1, str(label))
            text(ws, row, 2, _about_value(value))
            row += 1
        if "rows" not in labels:
            text(ws, row, 0, name)
            ws.write_string(row, 1, "Rows")
            ws.write_number(row, 2, sheet.frame.height, formats.number("#,##0"))
            row += 1
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 80)


def to_xlsx(sheets: Sequence[Sheet] | Sheet) -> bytes:
    """The sheets as one Excel workbook (bytes).

    First worksheet "About this export": (sheet, label, value) lines from each sheet's
    ``about``, plus its row count. Then one worksheet per sheet, named after its title:
    the header row (bold, frozen, with an autofilter), the rows in frame order with real
    numbers and number formats (see :class:`Column`), words instead of codes, no cell for
    no value, raw columns at the end with their raw values (numbers to 16 significant
    digits, as XlsxWriter writes them; the CSV's raw columns are exact). Text is written
    as strings, never formulas; formula-like text carries Excel's quote prefix. At most
    1,048,575 rows per sheet (Excel's limit; more raise ValueError)."""
    if isinstance(sheets, Sheet):
        sheets = [sheets]
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,  # rows go to a temporary file as they are finished
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "remove_timezone": True,
        },
    )
    try:
        formats = _Formats(book)
        taken = {ABOUT_TITLE.casefold()}
        about = book.add_worksheet(ABOUT_TITLE)
        names = [_sheet_name(s.title, taken) for s in sheets]
        for sheet, name in zip(sheets, names, strict=True):
            _write_grid(book.add_worksheet(name), sheet, formats)
        _write_about(about, sheets, names, formats)
    finally:
        book.close()
    return out.getvalue()
