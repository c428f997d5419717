"""The staging core every importer shares: one file -> a validated TEMP table.

An importer describes what it wants from a file as a list of :class:`Field` (which file
column, what type, how to convert and check it, what to call it in messages), chosen
from the file's header by a callback. :func:`stage_text` and :func:`stage_parquet` read
the file once with DuckDB straight into a temporary table holding exactly those fields,
and raise :class:`InputError` naming file, row (as a spreadsheet shows it) and column
for every value that does not convert or check. Nothing here begins, commits or rolls
back, or touches permanent tables: it runs inside the caller's transaction.

How it stays fast on millions of rows: each value is converted with `try_cast`-style
expressions, and for every check that can fail a companion column `_e<i>` holds the
offending text on bad rows only (NULL elsewhere, which costs almost nothing). A count over
those columns tells whether anything failed; on success they are dropped (a metadata-only
change). Only on the error path are the problems gathered in detail and row numbers
worked out. Rowids of the stage follow the file (the plan is checked to hold nothing but
scans and projections), so :meth:`StagedFile.rows_of` can name the rows of any stage row.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, NoReturn

import duckdb
import numpy as np

from engine.importers.errors import InputError, Problem

HEAD_BYTES = 1 << 16
_REJECTS_LIMIT = 10_000
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NOT_C1 = bytes(b for b in range(256) if not 0x80 <= b < 0xA0)
_counter = itertools.count(1)


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (the only way identifiers are put into SQL here)."""
    return '"' + name.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    """A string literal for module constants (never for data read from files)."""
    return "'" + value.replace("'", "''") + "'"


def case_map(expr: str, mapping: dict[str, str]) -> str:
    """``CASE expr WHEN k THEN v ... END`` for a constant mapping (NULL when unmapped).

    Enumerations are CASE mappings, not IN lists: DuckDB plans `IN` with five or more
    constants as a join, which loses the file order the row numbers rely on.
    """
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} END"


# --------------------------------------------------------------------------------------
# What an importer asks of a file.

TS_EXPECTED = "ISO 8601 such as 2026-03-01T14:05:00Z or 2026-03-01"
DATE_EXPECTED = "an ISO 8601 date such as 2026-03-01"


@dataclass(frozen=True)
class Check:
    """An extra condition on a converted value ``{v}`` (NULL counts as holding), with the
    message shown when it fails; ``{raw}`` in the message is the value as written."""

    sql: str
    message: str


@dataclass(frozen=True)
class Field:
    """One column of a stage table and where it comes from.

    ``column``: index of the file column read (None: not in the file, ``default`` is
    used). ``convert``: SQL over ``{t}``, the value's trimmed text (NULL when blank),
    giving the value, NULL when it cannot be converted; None converts by ``type``.
    ``ok``: a condition on ``{v}`` that belongs to "is not <noun>" (e.g. ``>= 0``).
    ``checks``: further conditions with messages of their own. ``noun``/``expected``:
    what the message says the value should be; by type when None.
    """

    name: str
    type: str
    column: int | None
    label: str
    required: bool = False
    convert: str | None = None
    ok: str | None = None
    checks: tuple[Check, ...] = ()
    noun: str | None = None
    expected: str | None = None
    default: str = "NULL"
    source_type: str = "VARCHAR"  # the file column's type (Parquet); text files: VARCHAR

    @property
    def base_type(self) -> str:
        return self.type.split("(", 1)[0].strip().upper()


# A callback from the file's column names (and types, for Parquet) to the fields to stage;
# it raises InputError for a missing or doubled column.
Layout = Callable[[list[str], list[str]], list[Field]]


@dataclass
class StagedFile:
    """A validated file: ``stage`` is the TEMP table holding its rows, in file order."""

    path: Path
    stage: str
    rows: int
    first_rowid: int
    first_row: int  # the spreadsheet row of the first data row (2 for text, 1 for Parquet)
    text_path: Path | None = None  # UTF-8 text (a transcoded copy is deleted after staging)
    delimiter: str = ","
    columns: list[str] = field(default_factory=list)  # the file's header, as written
    table: str = ""  # what the rows are (a canonical table, or an importer's own name)
    repeats: int = 0  # identical repeated rows dropped (see collapse_duplicates)
    _blanks: list[int] | None = None

    @property
    def file(self) -> str:
        return self.path.name

    def rows_of(self, rowids: Sequence[int]) -> list[int]:
        """The spreadsheet rows of stage rows (``rowid`` values); empty lines, which DuckDB
        skips, are counted in."""
        rowids = list(rowids)
        if not rowids:
            return []
        if self._blanks is None:
            self._blanks = (
                blank_rows(self.text_path, self.delimiter, max(rowids) - self.first_rowid)
                if self.text_path is not None and self.text_path.exists()
                else []
            )
        out = []
        for rowid in rowids:
            row = rowid - self.first_rowid + self.first_row
            for b in self._blanks:  # ascending; each empty line at or before `row` pushes it on
                if b <= row:
                    row += 1
            out.append(row)
        return out


def fail(file: str, message: str, *, row: int | None = None, column: str | None = None) -> NoReturn:
    raise InputError([Problem(file, row, column, message)])


def short(value: object, limit: int = 60) -> str:
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def tomorrow_utc() -> datetime:
    """The first instant after tomorrow (UTC): rows dated at or after it are in the future.

    A day of slack for time zones ahead of UTC."""
    today = datetime.now(UTC).date()
    return datetime.combine(today + timedelta(days=2), datetime.min.time())


def future_check(kind: str = "dated") -> Check:
    """Timestamps and dates must not be after tomorrow (UTC)."""
    limit = tomorrow_utc()
    last = (limit - timedelta(days=1)).date().isoformat()
    return Check(
        f"CAST({{v}} AS TIMESTAMP) < TIMESTAMP '{limit:%Y-%m-%d %H:%M:%S}'",
        f"{{raw}} is in the future (after {last}, UTC); a row cannot be {kind} later than "
        "tomorrow - check the date and its format",
    )


# --------------------------------------------------------------------------------------
# Conversions by type. `s` is the normalised source value of one column (trimmed text,
# NULL when empty, for text sources; the typed value itself for typed Parquet columns).

_INT_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_TS_TYPES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME"}
_TSTZ_TYPES = {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}


def trimmed(col: str) -> str:
    # Leading/trailing spaces removed, blank -> NULL (DuckDB already reads an empty field
    # as NULL). trim() costs a string copy per value, so it runs only where there is
    # something to trim; the LIKE tests are cheap prefix/suffix checks.
    return (
        f"CASE WHEN {col} LIKE ' %' OR {col} LIKE '% ' THEN nullif(trim({col}), '') ELSE {col} END"
    )


def iso_timestamp(s: str) -> str:
    """SQL: ISO 8601 text -> naive UTC TIMESTAMP, NULL when it is not ISO 8601.

    'YYYY-MM-DD', then optionally 'T' or ' ' and a time, then optionally 'Z' or a numeric
    offset. try_cast does the real parsing (it rejects 2020-02-30); the guard rejects what
    DuckDB accepts beyond ISO: 'epoch', 'infinity', zone names, BC years. It uses only
    byte-cheap tests (substr/left/right count characters and cost more than the cast
    itself). The TIMESTAMPTZ cast applies the offset; strings without one are read in the
    session TimeZone, which staging sets to UTC. make_timestamp(epoch_us()) converts to
    naive UTC without a time-zone lookup.
    """
    guard = (
        f"strpos({s}, '-') = 5 AND ascii({s}) BETWEEN 48 AND 57 "
        f"AND ({s} LIKE '%Z' OR {s}[-1] BETWEEN '0' AND '9')"
    )
    return f"CASE WHEN {guard} THEN make_timestamp(epoch_us(try_cast({s} AS TIMESTAMPTZ))) END"


def _source_kind(src_type: str | None) -> str:
    if src_type is None:
        return "absent"
    t = src_type.upper()
    if t == "VARCHAR":
        return "text"
    if t in _INT_TYPES:
        return "int"
    if t in _FLOAT_TYPES or t.startswith("DECIMAL"):
        return "float"
    if t in _TS_TYPES:
        return "ts"
    if t in _TSTZ_TYPES:
        return "tstz"
    if t == "DATE":
        return "date"
    if t == "BOOLEAN":
        return "bool"
    return "other"


def expectation(f: Field) -> tuple[str, str]:
    """(what the value should be, expected form with an example) for messages."""
    base = f.base_type
    if f.noun and f.expected:
        return f.noun, f.expected
    if base == "TIMESTAMP":
        noun, form = "a timestamp", TS_EXPECTED
    elif base == "DATE":
        noun, form = "a date", DATE_EXPECTED
    elif base in ("INTEGER", "TINYINT", "SMALLINT", "BIGINT"):
        noun, form = "a whole number", "a whole number such as 2"
    elif base == "DECIMAL":
        noun, form = "a number", "a number >= 0 such as 19.99"
    elif base == "BOOLEAN":
        noun, form = "a boolean", "true, false, 1 or 0"
    else:
        noun, form = "text", "a value such as ABC-123"
    return f.noun or noun, f.expected or form


@dataclass(frozen=True)
class _Plan:
    field: Field
    s_sql: str  # level 1, over the file's columns c0..cN
    v_sql: str  # level 2, over s
    ok_sql: str | None  # level 3, over v
    can_fail: bool


def _plan(f: Field) -> _Plan:
    """How to turn the file column of ``f`` into its value."""
    src = None if f.column is None else f"c{f.column}"
    kind = _source_kind(None if src is None else f.source_type)
    base, typ = f.base_type, f.type
    if kind == "absent":
        return _Plan(f, "NULL", f"CAST({f.default} AS {typ})", None, False)
    if kind == "other":  # nested or exotic Parquet type: judge its text form
        src, kind = f"CAST({src} AS VARCHAR)", "text"
    s_sql = trimmed(src) if kind == "text" else src
    s = "{s}"  # placeholder, filled per column in _build_sql
    text = s if kind == "text" else f"nullif(trim(CAST({s} AS VARCHAR)), '')"
    if f.convert is not None:
        return _Plan(f, s_sql, f.convert.replace("{t}", text), f.ok, True)
    ok = f.ok
    if base == "VARCHAR":
        # text is text: only an empty required value or a failed check can be wrong
        if not f.required and ok is None and not f.checks:
            return _Plan(f, s_sql, text, None, False)
        v = text
    elif base in ("TIMESTAMP", "DATE"):
        if kind == "text":
            v = iso_timestamp(s)
        elif kind == "tstz":
            v = f"make_timestamp(epoch_us({s}))"
        elif kind in ("ts", "date"):
            v = f"CAST({s} AS TIMESTAMP)"
        else:
            v = iso_timestamp(f"CAST({s} AS VARCHAR)")
        finite = "isfinite(CAST({v} AS TIMESTAMP))"
        ok = finite if ok is None else f"({finite}) AND ({ok})"
    elif base in ("INTEGER", "TINYINT", "SMALLINT", "BIGINT"):
        if kind == "text":
            # try_cast rounds '1.5' to 2: also require the value to equal its DOUBLE reading.
            exact = f"try_cast({s} AS DOUBLE) = try_cast({s} AS {typ})"
            v = f"CASE WHEN {exact} THEN try_cast({s} AS {typ}) END"
        elif kind == "int":
            v = f"try_cast({s} AS {typ})"
        elif kind == "float":
            v = f"CASE WHEN {s} = trunc({s}) THEN try_cast({s} AS {typ}) END"
        else:
            v = f"try_cast(CAST({s} AS VARCHAR) AS {typ})"
    elif base == "DECIMAL" or base == "DOUBLE":
        if kind in ("text", "int", "float"):
            v = f"try_cast({s} AS {typ})"
        else:
            v = f"try_cast(CAST({s} AS VARCHAR) AS {typ})"
    elif base == "BOOLEAN":
        if kind == "bool":
            v = s
        elif kind == "int":
            v = f"CASE {s} WHEN 1 THEN TRUE WHEN 0 THEN FALSE END"
        else:
            v = (
                f"CASE lower({text}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE "
                f"WHEN '1' THEN TRUE WHEN '0' THEN FALSE END"
            )
    else:  # pragma: no cover - fields use only the types above
        raise RuntimeError(f"unsupported stage type {typ} for {f.name}")
    return _Plan(f, s_sql, v, ok, True)


def _build_sql(plans: list[_Plan], source_sql: str) -> str:
    """CREATE TEMP TABLE body: the fields, then ``_e<i>`` (and ``_e<i>_<j>`` per extra
    check) holding the offending text on bad rows only."""
    s_cols = [f"{p.s_sql} AS s{i}" for i, p in enumerate(plans)]
    v_cols = [f"s{i}" for i in range(len(plans))] + [
        f"{p.v_sql.replace('{s}', f's{i}')} AS v{i}" for i, p in enumerate(plans)
    ]
    out = [
        f"CAST(v{i} AS {p.field.type}) AS {quote_ident(p.field.name)}" for i, p in enumerate(plans)
    ]
    for i, p in enumerate(plans):
        if not p.can_fail:
            continue
        v = f"v{i}"
        ok = f"coalesce({p.ok_sql.replace('{v}', v)}, TRUE)" if p.ok_sql else "TRUE"
        if p.field.required:
            bad = f"{v} IS NULL OR NOT {ok}"
        else:
            bad = f"(s{i} IS NOT NULL AND {v} IS NULL) OR NOT {ok}"
        out.append(f"CASE WHEN {bad} THEN coalesce(CAST(s{i} AS VARCHAR), '') END AS _e{i}")
        for j, check in enumerate(p.field.checks):
            cond = f"coalesce({check.sql.replace('{v}', v)}, TRUE)"
            out.append(f"CASE WHEN NOT {cond} THEN CAST(s{i} AS VARCHAR) END AS _e{i}_{j}")
    return (
        f"SELECT {', '.join(out)} FROM ("
        f"SELECT {', '.join(v_cols)} FROM ("
        f"SELECT {', '.join(s_cols)} FROM {source_sql}))"
    )


def _error_columns(plans: list[_Plan]) -> list[tuple[str, _Plan, Check | None]]:
    cols = []
    for i, p in enumerate(plans):
        if not p.can_fail:
            continue
        cols.append((f"_e{i}", p, None))
        cols.extend((f"_e{i}_{j}", p, c) for j, c in enumerate(p.field.checks))
    return cols


# --------------------------------------------------------------------------------------
# Reading files.


def is_gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if is_gz(path) else open(path, "rb")  # noqa: SIM115


def read_head(path: Path, file: str | None = None) -> bytes:
    """The first 64 KB of a file (decompressed for .gz), or InputError naming the file."""
    file = file or path.name
    try:
        with open_binary(path) as f:
            return f.read(HEAD_BYTES)
    except (OSError, EOFError) as exc:
        if is_gz(path):
            fail(file, f"is not a complete gzip file ({exc}); download it again")
        fail(file, f"cannot be read ({exc})")


def check_gzip_whole(path: Path) -> None:
    """A truncated or corrupt .gz file fails with a clear message before DuckDB reads it."""
    if not is_gz(path):
        return
    try:
        with gzip.open(path, "rb") as f:
            while f.read(1 << 22):
                pass
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        fail(path.name, f"is not a complete gzip file ({exc}); download it again")


def valid_utf8_prefix(data: bytes) -> bool:
    """True when `data` is UTF-8, allowing a character cut off at the end."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def looks_utf8(path: Path, head: bytes) -> bool:
    """Whether the file reads as UTF-8, judged on the first 4 MB chunk that is not plain
    ASCII: text in cp1252 or latin-1 with accented letters is practically never valid
    UTF-8. Plain-ASCII chunks are skipped at memory speed. (A file that goes wrong only
    later is still caught: DuckDB reports the bad bytes.)"""
    if not valid_utf8_prefix(head):
        return False
    if not head.isascii():
        return True
    with open_binary(path) as f:
        while chunk := f.read(1 << 22):
            if not chunk.isascii():
                return valid_utf8_prefix(chunk)  # starts on a character boundary
    return True


def _has_c1_bytes(path: Path) -> bool:
    """Whether the file has bytes 0x80-0x9f, the only ones where cp1252 and latin-1
    differ (euro sign, curly quotes, dashes, ...)."""
    with open_binary(path) as f:
        while chunk := f.read(1 << 22):
            # deleting every other byte value is the fastest test in pure Python (~1 GB/s)
            if not chunk.isascii() and chunk.translate(None, _NOT_C1):
                return True
    return False


def _transcode(path: Path, encoding: str) -> Path:
    """Copy `path` as UTF-8 into a temporary file. Undecodable bytes are copied unchanged
    (surrogateescape) so DuckDB reports them with their row and column."""
    fd, tmp = tempfile.mkstemp(prefix="voc-import-", suffix=".csv")
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
        with open_binary(path) as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(1 << 22):
                dst.write(decoder.decode(chunk).encode("utf-8", "surrogateescape"))
            dst.write(decoder.decode(b"", final=True).encode("utf-8", "surrogateescape"))
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


_GLOB_CHARS = re.compile(r"[*?\[\]{}]")


@contextmanager
def duckdb_path(path: Path) -> Iterator[str]:
    """The file name to give DuckDB. DuckDB expands glob patterns even in a bound file
    name (`orders[1].csv` reads `orders1.csv`; `x*.csv` reads every match), so a path with
    pattern characters is passed as a symlink with a plain name."""
    full = str(path.absolute())
    if not _GLOB_CHARS.search(full):
        yield full
        return
    folder = tempfile.mkdtemp(prefix="voc-import-")
    gz = ".gz" if is_gz(path) else ""
    link = os.path.join(
        folder, "input" + (".parquet" if full.endswith(".parquet") else ".csv") + gz
    )
    try:
        try:
            os.symlink(full, link)
        except OSError:
            shutil.copyfile(full, link)
        yield link
    finally:
        with suppress(OSError):
            os.unlink(link)
        with suppress(OSError):
            os.rmdir(folder)


def _has_empty_lines(path: Path) -> bool:
    tail = b""
    with open_binary(path) as f:
        while chunk := f.read(1 << 22):
            data = tail + chunk
            if b"\n\n" in data or b"\n\r\n" in data:
                return True
            tail = data[-2:]
    return False


def blank_rows(path: Path, delimiter: str, max_rowid: int) -> list[int]:
    """Rows (as a spreadsheet numbers them) of empty lines before data row `max_rowid`.
    DuckDB skips empty lines, so rowids after one are off by one. Error path only."""
    if not _has_empty_lines(path):
        return []
    found: list[int] = []
    data_rows = 0
    text = io.TextIOWrapper(open_binary(path), "utf-8", errors="replace", newline="")
    with text as f, suppress(csv.Error):
        for row, record in enumerate(csv.reader(f, delimiter=delimiter), start=1):
            if not record:
                found.append(row)
            elif row > 1:
                data_rows += 1
                if data_rows > max_rowid:
                    break
    return found


@dataclass
class Header:
    names: list[str]  # as written (trimmed)
    delimiter: str


def parse_header(text: str, file: str) -> Header:
    """The header row of a CSV/TSV text: tab-separated when the first line has a tab."""
    first = re.split(r"\r\n|\r|\n", text.lstrip("\ufeff"), maxsplit=1)[0]
    if not first.strip():
        fail(file, "the first line is empty (expected a header row of column names)", row=1)
    delimiter = "\t" if "\t" in first else ","
    if delimiter == "," and "," not in first and ";" in first:
        fail(
            file,
            "the header looks semicolon-separated; save the file with commas or tabs "
            "between columns",
            row=1,
        )
    try:
        names = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        fail(file, f"the header row cannot be read ({exc})", row=1)
    return Header([n.strip() for n in names], delimiter)


def sniff_text(path: Path, encoding: str | None = None) -> tuple[bytes, str, Header]:
    """(head bytes, encoding, header) of a text file, with the checks every text import
    makes first: readable, not empty, not binary, not a spreadsheet or Parquet file."""
    file = path.name
    head = read_head(path, file)
    if head.startswith(b"PK\x03\x04"):
        fail(file, "is a zip file or Excel workbook, not a text file; save it as CSV/TSV first")
    if head.startswith(b"PAR1"):
        fail(file, "is a Parquet file; give it the .parquet extension")
    if not head.lstrip(b"\xef\xbb\xbf").strip():
        fail(file, "the file is empty (expected a header row of column names)")
    enc = text_encoding(path, head, encoding)
    if not enc.startswith(("utf-16", "utf-32")):
        # NUL or many other control bytes: a binary file (or one saved as UTF-16 without a
        # byte-order mark), not text.
        controls = _CONTROL_BYTES.findall(head)
        if b"\x00" in head or len(controls) > len(head) // 100:
            pos = _CONTROL_BYTES.search(head).start()  # type: ignore[union-attr]
            fail(
                file,
                f"contains binary data (byte 0x{head[pos]:02x}); this is not a CSV or TSV "
                "text file",
                row=head.count(b"\n", 0, pos) + 1,
            )
    return head, enc, parse_header(head.decode(enc, errors="replace"), file)


def text_encoding(path: Path, head: bytes, explicit: str | None) -> str:
    """The encoding to read a text file with: ``explicit`` (checked), UTF-16 by its
    byte-order mark, UTF-8 when it reads as UTF-8, else cp1252."""
    if explicit is not None:
        try:
            return codecs.lookup(explicit).name
        except LookupError:
            fail(path.name, f"unknown encoding {explicit!r} (expected e.g. utf-8 or cp1252)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return "utf-8" if looks_utf8(path, head) else "cp1252"


@contextmanager
def session(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """UTC for timestamp casts, file order for row numbers; restored afterwards."""
    saved = con.execute(
        "SELECT current_setting('TimeZone'), current_setting('preserve_insertion_order')"
    ).fetchall()[0]
    tz, order = saved
    if tz != "UTC":
        con.execute("SET TimeZone = 'UTC'")
    if not order:
        con.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        # Fails only when a DuckDB error aborted the caller's transaction; the caller
        # rolls back then, and the import fails anyway.
        with suppress(duckdb.Error):
            if tz != "UTC":
                con.execute("SET TimeZone = ?", [tz])
            if not order:
                con.execute("SET preserve_insertion_order = false")


def _temp_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]
    ).fetchall()
    return bool(rows and rows[0][0])


def new_name(con: duckdb.DuckDBPyConnection, prefix: str) -> str:
    """A TEMP table name starting with ``prefix`` that is not in use."""
    while True:
        name = f"{prefix}_{next(_counter)}"
        if not _temp_exists(con, name):
            return name


def drop(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop TEMP views and tables that exist (quietly: also used on error paths). Views
    first: a view may read a table dropped after it. (A DROP of the wrong kind would
    abort the caller's transaction, so each name's kind is looked up.)"""
    if not names:
        return
    with suppress(duckdb.Error):
        views = {
            r[0]
            for r in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE temporary AND list_contains(?, view_name)",
                [list(names)],
            ).fetchall()
        }
        for name in sorted(views):
            con.execute(f"DROP VIEW temp.main.{quote_ident(name)}")
        for name in names:
            if name not in views:
                con.execute(f"DROP TABLE IF EXISTS temp.main.{quote_ident(name)}")


def _create_stage(con: duckdb.DuckDBPyConnection, stage: str, select: str, params: list) -> None:
    """CREATE TEMP TABLE stage AS select. Row numbers are rowids, which follow the file
    only while every operator keeps insertion order: the plan may hold nothing but scans
    and projections (DuckDB turns e.g. `x IN (5+ constants)` into a join, which does not).
    """
    explained = con.execute(f"EXPLAIN (FORMAT json) {select}", params).fetchall()
    todo, names = json.loads(explained[0][1]), []
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            names.append(str(node.get("name", "")))
            todo.extend(node.get("children", []))
    odd = [n for n in names if n != "PROJECTION" and "SCAN" not in n and "READ" not in n]
    if odd:
        raise RuntimeError(f"staging plan would not keep the file's row order: {odd}")
    con.execute(f"CREATE TEMP TABLE {quote_ident(stage)} AS {select}", params)


def duckdb_message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


# --------------------------------------------------------------------------------------
# The stage step.


def stage_text(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    layout: Layout,
    *,
    prefix: str,
    encoding: str | None = None,
    max_problems: int = 20,
) -> StagedFile:
    """Stage a CSV/TSV text file (gzip too): ``layout`` picks the fields from its header.

    The encoding is ``encoding`` or detected (UTF-8, else cp1252); a UTF-8 guess that
    DuckDB finds wrong later in the file is retried as cp1252.
    """
    path = Path(path)
    file = path.name
    max_problems = max(1, max_problems)
    if not path.is_file():
        fail(file, "file not found" if not path.exists() else "is not a file")
    check_gzip_whole(path)
    head, enc, _ = sniff_text(path, encoding)
    explicit = None if encoding is None else enc
    with session(con):
        # DuckDB reads UTF-8 and latin-1 itself; anything else is transcoded to a temporary
        # UTF-8 file first. cp1252 is latin-1 except for bytes 0x80-0x9f (euro sign, curly
        # quotes, ...), so a cp1252 file without those needs no transcoding either.
        while True:
            if enc in ("utf-8", "utf-8-sig"):
                duck_encoding: str | None = "utf-8"
            elif enc == "iso8859-1" or (enc == "cp1252" and not _has_c1_bytes(path)):
                duck_encoding = "latin-1"
            else:
                duck_encoding = None
            head_text = head.decode(enc, errors="replace")
            header = parse_header(head_text, file)
            fields = layout(header.names, ["VARCHAR"] * len(header.names))
            _check_head_structure(file, head_text, len(head) < HEAD_BYTES, header, max_problems)
            if explicit in ("utf-8", "utf-8-sig") and not looks_utf8(path, head):
                # Not UTF-8 through and through: find the bad bytes here, as DuckDB would
                # take minutes over a big file with millions of bad rows.
                message = _bad_bytes_message(enc, auto=False)
                found = _locate_bad_utf8(path, file, header, message, max_problems)
                more = len(found) > max_problems
                raise InputError(found[:max_problems], int(more), more_is_lower_bound=more)
            text_path = path if duck_encoding else _transcode(path, enc)
            try:
                result = _stage_csv(
                    con,
                    path,
                    text_path,
                    duck_encoding or "utf-8",
                    header,
                    fields,
                    prefix,
                    max_problems,
                    _bad_bytes_message(enc, auto=encoding is None),
                    retry_cp1252=duck_encoding == "utf-8" and encoding is None,
                )
            finally:
                if text_path != path:
                    with suppress(OSError):
                        os.unlink(text_path)
            if result is not None:
                return result
            enc = "cp1252"  # not UTF-8 after all (DuckDB found bad bytes)


def _bad_bytes_message(enc: str, *, auto: bool) -> str:
    if auto and enc == "cp1252":
        return (
            "contains bytes that are neither UTF-8 nor cp1252 text (save the file as UTF-8, "
            "or pass its encoding)"
        )
    if enc.startswith("utf-8"):
        return (
            "contains bytes that are not valid UTF-8 text (pass the file's encoding, e.g. "
            "cp1252, or save it as UTF-8)"
        )
    return (
        f"contains bytes that are not valid {enc} text (pass the file's encoding, or save it "
        "as UTF-8)"
    )


_REJECT_TEXT = {
    "TOO MANY COLUMNS": "too many fields",
    "MISSING COLUMNS": "too few fields",
}


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    text_path: Path,
    duck_encoding: str,
    header: Header,
    fields: list[Field],
    prefix: str,
    max_problems: int,
    bad_bytes: str,
    *,
    retry_cp1252: bool,
) -> StagedFile | None:
    """Stage `text_path`, the text of `path` in `duck_encoding` (utf-8 or latin-1). None
    means: the bytes are not UTF-8, try again as cp1252."""
    file = path.name
    ncols = len(header.names)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncols)) + "}"
    rejects = new_name(con, "stage_rejects")
    source = (
        "read_csv(?, header = true, auto_detect = false, columns = "
        + columns
        + ", delim = ?, quote = '\"', escape = '\"', encoding = ?, strict_mode = true, "
        "parallel = true, "
        "store_rejects = true, rejects_table = ?, rejects_scan = ?, rejects_limit = ?)"
    )
    params = [header.delimiter, duck_encoding, rejects, rejects + "_scan", _REJECTS_LIMIT]
    plans = [_plan(f) for f in fields]
    stage = new_name(con, prefix)
    try:
        with duckdb_path(text_path) as src:
            _create_stage(con, stage, _build_sql(plans, source), [src, *params])
        n_rejected, n_encoding = con.execute(
            f"SELECT count(*), count(*) FILTER (error_type = 'INVALID ENCODING') "
            f"FROM {quote_ident(rejects)}"
        ).fetchall()[0]
        if n_rejected:
            if n_encoding and retry_cp1252:
                drop(con, stage)
                return None
            # A short row is reported once per missing column, a long one once per extra
            # field: one problem per line and kind.
            per_line = (
                f"SELECT line, error_type, min(column_idx) AS column_idx, "
                f"CASE WHEN error_type = 'MISSING COLUMNS' THEN min(found) ELSE max(found) END, "
                f"any_value(error_message) FROM (SELECT *, try_cast(regexp_extract("
                f"error_message, 'Found: (\\d+)', 1) AS INTEGER) AS found "
                f"FROM {quote_ident(rejects)}) GROUP BY line, error_type"
            )
            rows = con.execute(
                f"SELECT count(*) OVER (), * FROM ({per_line}) ORDER BY line, column_idx LIMIT ?",
                [max_problems],
            ).fetchall()
            drop(con, stage)
            found = [_reject_problem(file, header, bad_bytes, ncols, *r[1:]) for r in rows]
            more = rows[0][0] - len(found)
            raise InputError(found, more, more_is_lower_bound=n_rejected >= _REJECTS_LIMIT)
    except duckdb.Error as exc:
        drop(con, stage)
        fail(file, f"cannot be read as CSV/TSV: {duckdb_message(exc)}")
    finally:
        drop(con, rejects, rejects + "_scan")
    staged = StagedFile(
        path=path,
        stage=stage,
        rows=0,
        first_rowid=0,
        first_row=2,
        text_path=path,  # blank lines are found in the original bytes (ASCII-compatible)
        delimiter=header.delimiter,
        columns=header.names,
    )
    return _finish(con, staged, plans, max_problems)


def _field_count_problem(file: str, row: int, count: str, header: Header) -> Problem:
    sep = "tab" if header.delimiter == "\t" else "comma"
    return Problem(
        file,
        row,
        None,
        f"{count} where the header has {len(header.names)} columns "
        f"({sep}-separated; a value containing a {sep} or a line break must be "
        'enclosed in double quotes, with any " inside written as "")',
    )


def _check_head_structure(
    file: str, head_text: str, whole_file: bool, header: Header, max_problems: int
) -> None:
    """Rows of the first 64 KB with the wrong number of fields. A file that is wrong on
    every line (a trailing delimiter, the wrong separator) would otherwise make DuckDB
    log millions of rejected rows, which takes minutes."""
    if not whole_file:
        head_text = head_text[: head_text.rfind("\n") + 1]
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=header.delimiter, strict=True)
    records: list[list[str]] = []
    with suppress(csv.Error):  # bad quoting, or a quoted value cut off: DuckDB reports it
        records.extend(reader)
    ncols = len(header.names)
    bad = [
        _field_count_problem(file, row, f"{len(rec)} fields", header)
        for row, rec in enumerate(records, start=1)
        if row > 1 and rec and len(rec) != ncols
    ]
    if bad:
        more = len(bad) - max_problems
        raise InputError(bad[:max_problems], max(more, 1 if not whole_file else 0), not whole_file)


_SURROGATE = re.compile("[\udc80-\udcff]")


def _locate_bad_utf8(
    path: Path, file: str, header: Header, message: str, max_problems: int
) -> list[Problem]:
    """Row and column of bytes that are not UTF-8, up to `max_problems` (+1 to tell that
    there are more). Python's csv module instead of DuckDB: DuckDB logs every bad row,
    which takes minutes when a whole big file is in another encoding."""
    found: list[Problem] = []
    text = io.TextIOWrapper(open_binary(path), "utf-8", errors="surrogateescape", newline="")
    with text as f, suppress(csv.Error):
        for row, record in enumerate(csv.reader(f, delimiter=header.delimiter), start=1):
            for j, value in enumerate(record):
                if not value.isascii() and _SURROGATE.search(value):
                    name = header.names[j] if j < len(header.names) else f"#{j + 1}"
                    found.append(Problem(file, row, name or f"#{j + 1}", message))
                    if len(found) > max_problems:
                        return found
    return found


def _reject_problem(
    file: str,
    header: Header,
    bad_bytes: str,
    ncols: int,
    line: int,
    error_type: str,
    column_idx: int | None,
    found: int | None,
    error_message: str,
) -> Problem:
    column = None
    if column_idx is not None and 1 <= column_idx <= ncols:
        column = header.names[column_idx - 1] or f"#{column_idx}"
    if error_type in _REJECT_TEXT:
        count = f"{found} fields" if found is not None else _REJECT_TEXT[error_type]
        return _field_count_problem(file, line, count, header)
    if error_type == "INVALID ENCODING":
        return Problem(file, line, column, bad_bytes)
    if error_type == "UNQUOTED VALUE":
        return Problem(
            file,
            line,
            column,
            'has a stray or unterminated double quote (") - a quoted value must end with '
            'a quote, and a quote inside a value must be written as ""',
        )
    if error_type == "LINE SIZE OVER MAXIMUM":
        return Problem(file, line, None, "the line is too long; is this really a CSV/TSV file?")
    return Problem(file, line, column, f"cannot be read: {error_message}")


def stage_parquet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    layout: Layout,
    *,
    prefix: str,
    max_problems: int = 20,
) -> StagedFile:
    """Stage a Parquet file: ``layout`` picks the fields from its column names and types."""
    path = Path(path)
    file = path.name
    max_problems = max(1, max_problems)
    if not path.is_file():
        fail(file, "file not found" if not path.exists() else "is not a file")
    with open(path, "rb") as f:
        magic = f.read(4)
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size >= 8:
            f.seek(-4, os.SEEK_END)
        tail = f.read(4)
    if size == 0:
        fail(file, "the file is empty (expected a Parquet file)")
    if magic != b"PAR1" or tail != b"PAR1":
        fail(file, "is not a Parquet file (no PAR1 marker); export it again as Parquet")
    with session(con), duckdb_path(path) as src:
        try:
            described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [src]).fetchall()
        except duckdb.Error as exc:
            fail(file, f"cannot be read as Parquet: {duckdb_message(exc)}")
        names = [row[0] for row in described]
        types = [row[1] for row in described]
        fields = layout(names, types)
        aliases = ", ".join(f"c{i}" for i in range(len(names)))
        plans = [_plan(f) for f in fields]
        stage = new_name(con, prefix)
        try:
            _create_stage(
                con, stage, _build_sql(plans, f"read_parquet(?) AS src({aliases})"), [src]
            )
        except duckdb.Error as exc:
            drop(con, stage)
            fail(file, f"cannot be read as Parquet: {duckdb_message(exc)}")
        staged = StagedFile(path, stage, 0, 0, 1, columns=names)
        return _finish(con, staged, plans, max_problems)


def _finish(
    con: duckdb.DuckDBPyConnection, staged: StagedFile, plans: list[_Plan], max_problems: int
) -> StagedFile:
    """Check the helper columns; on success drop them, leaving the fields."""
    q_stage = quote_ident(staged.stage)
    errors = _error_columns(plans)
    counts_sql = ", ".join(["count(*)", "min(rowid)", *(f"count({c})" for c, _, _ in errors)])
    counts = con.execute(f"SELECT {counts_sql} FROM {q_stage}").fetchall()[0]
    # rowids follow file order (insertion order is preserved) but do not start at 0 when
    # the table was created inside a transaction (transaction-local storage).
    staged.rows, staged.first_rowid = counts[0], counts[1] or 0
    n_bad = sum(counts[2:])
    if not n_bad:
        for c, _, _ in errors:
            con.execute(f"ALTER TABLE {q_stage} DROP COLUMN {quote_ident(c)}")
        return staged
    try:
        where = " OR ".join(f"{c} IS NOT NULL" for c, _, _ in errors)
        bad_rows = con.execute(
            f"SELECT rowid, {', '.join(c for c, _, _ in errors)} FROM {q_stage} WHERE {where} "
            f"ORDER BY rowid LIMIT ?",
            [max_problems],
        ).fetchall()
        spreadsheet_rows = staged.rows_of([r[0] for r in bad_rows])
        problems: list[Problem] = []
        for row, (_rowid, *values) in zip(spreadsheet_rows, bad_rows, strict=True):
            for (_c, plan, check), raw in zip(errors, values, strict=True):
                if raw is not None and len(problems) < max_problems:
                    problems.append(_value_problem(staged.file, row, plan.field, check, raw))
        raise InputError(problems, n_bad - len(problems))
    finally:
        drop(con, staged.stage)


def _value_problem(file: str, row: int, f: Field, check: Check | None, raw: str) -> Problem:
    if check is not None:
        return Problem(file, row, f.label, check.message.replace("{raw}", short(raw)))
    noun, expected = expectation(f)
    if raw == "":
        message = f"empty, but a value is required (expected {expected})"
    else:
        message = f"{short(raw)} is not {noun} (expected {expected})"
    return Problem(file, row, f.label, message)


# --------------------------------------------------------------------------------------
# Rows that share a key.


def repeated_keys(con: duckdb.DuckDBPyConnection, stage: str, keys: Sequence[str]) -> bool:
    """Whether any key occurs more than once in the stage (rows with a NULL key aside).

    Grouping millions of distinct text keys is slow, so the 64-bit key hashes are sorted
    with numpy (well under a second for 10M rows); a repeated hash - almost always none -
    is then checked exactly, which also rules out hash collisions.
    """
    key_cols = ", ".join(quote_ident(k) for k in keys)
    not_null = " AND ".join(f"{quote_ident(k)} IS NOT NULL" for k in keys)
    got = con.execute(
        f"SELECT hash({key_cols}) AS h FROM {quote_ident(stage)} WHERE {not_null}"
    ).fetchnumpy()["h"]
    h = np.sort(np.asarray(got, dtype=np.uint64))
    if not len(h) or not (h[1:] == h[:-1]).any():
        return False
    twice = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {quote_ident(stage)} WHERE {not_null} "
        f"GROUP BY {key_cols} HAVING count(*) > 1)"
    ).fetchall()[0][0]
    return bool(twice)


def collapse_duplicates(
    con: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    keys: Sequence[str],
    *,
    max_problems: int = 20,
    label: Callable[[str], str] = lambda name: name,
) -> int:
    """Rows of one key: identical ones are kept once (the first), rows that contradict
    each other (same key, other values) are an InputError naming both rows.

    Returns the number of rows removed as identical repeats.
    """
    if not repeated_keys(con, staged.stage, keys):
        return 0
    q = quote_ident(staged.stage)
    key_cols = ", ".join(quote_ident(k) for k in keys)
    columns = [
        r[0]
        for r in con.execute(f"SELECT * FROM {q} LIMIT 0").description  # type: ignore[union-attr]
    ]
    everything = ", ".join(quote_ident(c) for c in columns)
    groups = con.execute(
        f"SELECT count(*) OVER (), {key_cols}, rowids[1], rowids[2] FROM ("
        f"SELECT {key_cols}, list(rowid ORDER BY rowid) AS rowids, "
        f"count(DISTINCT hash({everything})) AS versions FROM {q} "
        f"GROUP BY {key_cols} HAVING count(*) > 1 AND versions > 1) ORDER BY rowids[1] LIMIT ?",
        [max_problems],
    ).fetchall()
    if groups:
        problems = []
        for g in groups:
            values, first, second = list(g[1:-2]), g[-2], g[-1]
            rows = staged.rows_of([first, second])
            shown = ", ".join(
                f"{label(k)}={short(v, 40) if isinstance(v, str) else v}"
                for k, v in zip(keys, values, strict=True)
            )
            problems.append(
                Problem(
                    staged.file,
                    rows[0],
                    None,
                    f"duplicate key ({shown}) with different values in the two rows",
                    also_row=rows[1],
                )
            )
        raise InputError(problems, groups[0][0] - len(problems))
    before = staged.rows
    con.execute(
        f"DELETE FROM {q} WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() OVER "
        f"(PARTITION BY {key_cols} ORDER BY rowid) AS n FROM {q}) WHERE n > 1)"
    )
    after = con.execute(f"SELECT count(*) FROM {q}").fetchall()[0][0]
    return before - after
