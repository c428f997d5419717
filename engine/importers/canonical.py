"""Validating stage step of canonical imports: one CSV/TSV/Parquet file -> a TEMP table.

`stage_file` reads one file whose columns are canonical column names (DESIGN.md 3,
engine/sql/schema.sql), checks every value with set-based SQL and leaves the rows in a
temporary table with exactly the canonical columns, in schema order, with canonical types.
The caller inserts the new keys from it into the permanent table inside its own
transaction; nothing here begins, commits or rolls back, or touches permanent tables.

Bad input raises `InputError` listing up to `max_problems` problems, each naming the file,
the row (as a spreadsheet shows it) and the column.

How it stays fast on millions of rows: the file is parsed once by DuckDB straight into the
stage table. Each value is converted with `try_cast`-style expressions, and for every
column that can fail a companion column `_e<i>` holds the offending text on bad rows only
(NULL elsewhere, which costs almost nothing). A count over those columns tells whether
anything failed; a 64-bit hash of the key per row, sorted with numpy, tells whether any key
may repeat (candidates are then checked exactly). On success the helper columns are
dropped (a metadata-only change). Only on the error path are the problems gathered in
detail, and row numbers worked out.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gzip
import io
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

import duckdb
import numpy as np

from engine.importers.errors import InputError, Problem

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "sql" / "schema.sql"

KEYS: dict[str, tuple[str, ...]] = {
    "offers": ("seller_id", "sku"),
    "orders": ("order_id", "seller_id", "sku"),
    "feedback": ("feedback_id",),
    "actions": ("seller_id", "sku", "action_date", "action"),
}


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column, as declared in schema.sql."""

    name: str
    type: str  # as written in schema.sql, e.g. "VARCHAR", "DECIMAL(12, 2)"
    required: bool  # NOT NULL
    key: bool  # part of the table's key (KEYS)

    @property
    def base_type(self) -> str:
        return self.type.split("(", 1)[0].strip().upper()


@dataclass(frozen=True)
class StagedFile:
    """A validated file: `stage` is the TEMP table holding its rows."""

    table: str
    path: Path
    stage: str
    rows: int


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (the only way identifiers are put into SQL here)."""
    return '"' + name.replace('"', '""') + '"'


def _parse_schema(text: str) -> dict[str, dict[str, ColumnSpec]]:
    text = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    tables: dict[str, dict[str, ColumnSpec]] = {}
    pattern = r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\((.*?)\)\s*;"
    for m in re.finditer(pattern, text, re.IGNORECASE | re.DOTALL):
        table = m.group(1).lower()
        if table not in KEYS:
            continue
        defs, depth, cur = [], 0, ""
        for ch in m.group(2):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                defs.append(cur)
                cur = ""
            else:
                cur += ch
        defs.append(cur)
        cols: dict[str, ColumnSpec] = {}
        for d in defs:
            d = " ".join(d.split())
            if not d:
                continue
            name, rest = d.split(" ", 1)
            required = bool(re.search(r"\bNOT\s+NULL\b", rest, re.IGNORECASE))
            typ = re.sub(r"\bNOT\s+NULL\b", "", rest, flags=re.IGNORECASE).strip()
            cols[name.lower()] = ColumnSpec(name.lower(), typ, required, name in KEYS[table])
        tables[table] = cols
    missing = set(KEYS) - set(tables)
    if missing:
        raise RuntimeError(f"schema.sql lacks tables {sorted(missing)}")
    return tables


TABLE_COLUMNS: dict[str, dict[str, ColumnSpec]] = _parse_schema(SCHEMA_PATH.read_text("utf-8"))

# --------------------------------------------------------------------------------------
# Value rules. Everything below that is put into SQL text is a constant of this module or
# comes from schema.sql; values from files only ever reach SQL as data read by DuckDB, and
# file paths and options are bound parameters.

FEEDBACK_SOURCES = ("return", "refund", "contact", "review", "seller_feedback")
CLOSED_REASONS = ("ncx", "other")
FULFILMENT_ALIASES = {"FBA": "FBA", "MFN": "MFN", "AFN": "FBA", "AMAZON": "FBA", "MERCHANT": "MFN"}

_TS_EXPECTED = "ISO 8601 such as 2026-03-01T14:05:00Z or 2026-03-01"
_DATE_EXPECTED = "an ISO 8601 date such as 2026-03-01"
_EXAMPLES = {
    "seller_id": "A1B2C3D4E5F6G7",
    "sku": "PILLOW-01",
    "order_id": "123-4567890-1234567",
    "feedback_id": "R1A2B3C4D5",
    "asin": "B00EXAMPLE",
    "status": "shipped",
    "action": "edited listing",
}

# Absent-but-NOT-NULL columns that have a default instead of being an error.
_DEFAULTS = {("orders", "sold_by_seller"): "TRUE"}

_TEXT_EXTS = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
_HEAD_BYTES = 1 << 16
_REJECTS_LIMIT = 10_000
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NOT_C1 = bytes(b for b in range(256) if not 0x80 <= b < 0xA0)
_counter = itertools.count(1)


def _sql_str(value: str) -> str:
    """A string literal for module constants (never for data read from files)."""
    return "'" + value.replace("'", "''") + "'"


def _case_map(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {_sql_str(k)} THEN {_sql_str(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} END"


def _expectation(table: str, spec: ColumnSpec) -> tuple[str, str]:
    """(what the value should be, expected form with an example) for messages."""
    name, base = spec.name, spec.base_type
    if (table, name) == ("feedback", "source"):
        return "a feedback source", "one of " + ", ".join(FEEDBACK_SOURCES)
    if (table, name) == ("offers", "fulfilment"):
        return "a fulfilment channel", "FBA or MFN (AFN, Amazon and Merchant are accepted)"
    if (table, name) == ("offers", "closed_reason"):
        return "a closure reason", "ncx, other or empty"
    if (table, name) == ("feedback", "rating"):
        return "a rating", "a whole number from 1 to 5 such as 4, or empty"
    if base == "TIMESTAMP":
        return "a timestamp", _TS_EXPECTED
    if base == "DATE":
        return "a date", _DATE_EXPECTED
    if base in ("INTEGER", "TINYINT", "SMALLINT", "BIGINT"):
        if name == "quantity":
            return "a valid quantity", "a whole number >= 0 such as 2"
        return "a whole number", "a whole number such as 2"
    if base == "DECIMAL":
        return "a price" if name == "price" else "a number", "a number >= 0 such as 19.99"
    if base == "BOOLEAN":
        return "a boolean", "true, false, 1 or 0"
    return "text", "a value such as " + _EXAMPLES.get(name, "ABC-123")


# --------------------------------------------------------------------------------------
# Expressions. `s` is the normalised source value of one column (trimmed text, NULL when
# empty, for text sources; the typed value itself for typed Parquet columns); `v` is the
# canonical value, NULL when `s` cannot be converted; `ok` an extra check on `v`.

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


def _trimmed(col: str) -> str:
    # Leading/trailing spaces removed, blank -> NULL (DuckDB already reads an empty field
    # as NULL). trim() costs a string copy per value, so it runs only where there is
    # something to trim; the LIKE tests are cheap prefix/suffix checks.
    return (
        f"CASE WHEN {col} LIKE ' %' OR {col} LIKE '% ' THEN nullif(trim({col}), '') ELSE {col} END"
    )


def _text_to_timestamp(s: str) -> str:
    # ISO 8601: 'YYYY-MM-DD', then optionally 'T' or ' ' and a time, then optionally 'Z' or
    # a numeric offset. try_cast does the real parsing (it rejects 2020-02-30); the guard
    # rejects what DuckDB accepts beyond ISO: 'epoch', 'infinity', zone names, BC years.
    # It uses only byte-cheap tests (substr/left/right count characters and cost more
    # than the cast itself). The TIMESTAMPTZ cast applies the offset; strings without one
    # are read in the session TimeZone, which stage_file sets to UTC.
    # make_timestamp(epoch_us()) converts to naive UTC without a time-zone lookup.
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


@dataclass(frozen=True)
class _Plan:
    spec: ColumnSpec
    s_sql: str  # level 1, over the file's columns c0..cN
    v_sql: str  # level 2, over s
    ok_sql: str | None  # level 3, over v
    can_fail: bool


def _plan_column(table: str, spec: ColumnSpec, src: str | None, src_type: str | None) -> _Plan:
    """How to turn source column `src` (None: absent) into canonical column `spec`."""
    kind = _source_kind(src_type)
    base, typ = spec.base_type, spec.type
    if kind == "absent":
        default = _DEFAULTS.get((table, spec.name), "NULL")
        return _Plan(spec, "NULL", f"CAST({default} AS {typ})", None, False)
    if kind == "other":  # nested or exotic Parquet type: judge its text form
        src, kind = f"CAST({src} AS VARCHAR)", "text"
    s_sql = _trimmed(src) if kind == "text" else src
    s = "{s}"  # placeholder, filled per column in _build_sql
    ok = None
    if base == "VARCHAR":
        txt = s if kind == "text" else f"nullif(trim(CAST({s} AS VARCHAR)), '')"
        # Enumerations are CASE mappings, not IN lists: DuckDB plans `IN` with five or more
        # constants as a join, which loses the file order the row numbers rely on.
        if (table, spec.name) == ("feedback", "source"):
            v = _case_map(f"lower({txt})", {k: k for k in FEEDBACK_SOURCES})
        elif (table, spec.name) == ("offers", "closed_reason"):
            v = _case_map(f"lower({txt})", {k: k for k in CLOSED_REASONS})
        elif (table, spec.name) == ("offers", "fulfilment"):
            v = _case_map(f"upper({txt})", FULFILMENT_ALIASES)
        elif (table, spec.name) == ("orders", "status"):
            v = f"lower({txt})"
        elif (table, spec.name) == ("feedback", "reason_code"):
            v = (
                f"CASE WHEN upper({txt}) LIKE 'CR-%' "
                f"THEN nullif(trim(substr(upper({txt}), 4)), '') ELSE upper({txt}) END"
            )
        else:
            v = txt
    elif base == "TIMESTAMP" or base == "DATE":
        if kind == "text":
            v = _text_to_timestamp(s)
        elif kind == "tstz":
            v = f"make_timestamp(epoch_us({s}))"
        elif kind in ("ts", "date"):
            v = f"CAST({s} AS TIMESTAMP)"
        else:
            v = _text_to_timestamp(f"CAST({s} AS VARCHAR)")
        ok = "isfinite(CAST({v} AS TIMESTAMP))"
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
        if spec.name == "quantity":
            ok = "{v} >= 0"
        elif (table, spec.name) == ("feedback", "rating"):
            ok = "{v} BETWEEN 1 AND 5"
    elif base == "DECIMAL":
        if kind in ("text", "int", "float"):
            v = f"try_cast({s} AS {typ})"
        else:
            v = f"try_cast(CAST({s} AS VARCHAR) AS {typ})"
        ok = "{v} >= 0"
    elif base == "BOOLEAN":
        if kind == "bool":
            v = s
        elif kind == "int":
            v = f"CASE {s} WHEN 1 THEN TRUE WHEN 0 THEN FALSE END"
        else:
            txt = s if kind == "text" else f"CAST({s} AS VARCHAR)"
            v = (
                f"CASE lower({txt}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE "
                f"WHEN '1' THEN TRUE WHEN '0' THEN FALSE END"
            )
    else:  # pragma: no cover - schema.sql uses only the types above
        raise RuntimeError(f"unsupported canonical type {typ} for {table}.{spec.name}")
    return _Plan(spec, s_sql, v, ok, True)


def _build_sql(table: str, plans: list[_Plan], source_sql: str) -> str:
    """CREATE TEMP TABLE body: canonical columns, then _e<i> per fallible column, then _h."""
    s_cols = [f"{p.s_sql} AS s{i}" for i, p in enumerate(plans)]
    v_cols = [f"s{i}" for i in range(len(plans))] + [
        f"{p.v_sql.replace('{s}', f's{i}')} AS v{i}" for i, p in enumerate(plans)
    ]
    out = [
        f"CAST(v{i} AS {p.spec.type}) AS {quote_ident(p.spec.name)}" for i, p in enumerate(plans)
    ]
    for i, p in enumerate(plans):
        if not p.can_fail:
            continue
        v = f"v{i}"
        ok = f"coalesce({p.ok_sql.replace('{v}', v)}, TRUE)" if p.ok_sql else "TRUE"
        if p.spec.required:
            bad = f"{v} IS NULL OR NOT {ok}"
        else:
            bad = f"(s{i} IS NOT NULL AND {v} IS NULL) OR NOT {ok}"
        out.append(f"CASE WHEN {bad} THEN coalesce(CAST(s{i} AS VARCHAR), '') END AS _e{i}")
    keys = [i for i, p in enumerate(plans) if p.spec.key]
    not_null = " AND ".join(f"v{i} IS NOT NULL" for i in keys)
    hashed = ", ".join(f"CAST(v{i} AS {plans[i].spec.type})" for i in keys)
    out.append(f"CASE WHEN {not_null} THEN hash({hashed}) END AS _h")
    return (
        f"SELECT {', '.join(out)} FROM ("
        f"SELECT {', '.join(v_cols)} FROM ("
        f"SELECT {', '.join(s_cols)} FROM {source_sql}))"
    )


# --------------------------------------------------------------------------------------
# Reading files.


def _fail(
    file: str, message: str, *, row: int | None = None, column: str | None = None
) -> NoReturn:
    raise InputError([Problem(file, row, column, message)])


def _short(value: str, limit: int = 60) -> str:
    if len(value) > limit:
        value = value[: limit - 3] + "..."
    return repr(value)


def _is_gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if _is_gz(path) else open(path, "rb")  # noqa: SIM115


def _read_head(path: Path, file: str) -> bytes:
    try:
        with _open_binary(path) as f:
            return f.read(_HEAD_BYTES)
    except (OSError, EOFError) as exc:
        _fail(file, f"cannot be read ({exc})")


def _valid_utf8_prefix(data: bytes) -> bool:
    """True when `data` is UTF-8, allowing a character cut off at the end."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _looks_utf8(path: Path, head: bytes) -> bool:
    """Whether the file reads as UTF-8, judged on the first 4 MB chunk that is not plain
    ASCII: text in cp1252 or latin-1 with accented letters is practically never valid
    UTF-8. Plain-ASCII chunks are skipped at memory speed. (A file that goes wrong only
    later is still caught: DuckDB reports the bad bytes.)"""
    if not _valid_utf8_prefix(head):
        return False
    if not head.isascii():
        return True
    with _open_binary(path) as f:
        while chunk := f.read(1 << 22):
            if not chunk.isascii():
                return _valid_utf8_prefix(chunk)  # starts on a character boundary
    return True


def _has_c1_bytes(path: Path) -> bool:
    """Whether the file has bytes 0x80-0x9f, the only ones where cp1252 and latin-1
    differ (euro sign, curly quotes, dashes, ...)."""
    with _open_binary(path) as f:
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
        with _open_binary(path) as src, os.fdopen(fd, "wb") as dst:
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
def _duckdb_path(path: Path) -> Iterator[str]:
    """The file name to give DuckDB. DuckDB expands glob patterns even in a bound file
    name (`orders[1].csv` reads `orders1.csv`; `x*.csv` reads every match), so a path with
    pattern characters is passed as a symlink with a plain name."""
    full = str(path.absolute())
    if not _GLOB_CHARS.search(full):
        yield full
        return
    folder = tempfile.mkdtemp(prefix="voc-import-")
    gz = ".gz" if _is_gz(path) else ""
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
    with _open_binary(path) as f:
        while chunk := f.read(1 << 22):
            data = tail + chunk
            if b"\n\n" in data or b"\n\r\n" in data:
                return True
            tail = data[-2:]
    return False


def _blank_rows(path: Path, delimiter: str, max_rowid: int) -> list[int]:
    """Rows (as a spreadsheet numbers them) of empty lines before data row `max_rowid`.
    DuckDB skips empty lines, so rowids after one are off by one. Error path only."""
    if not _has_empty_lines(path):
        return []
    found: list[int] = []
    data_rows = 0
    text = io.TextIOWrapper(_open_binary(path), "utf-8", errors="replace", newline="")
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
class _Header:
    names: list[str]  # as written (trimmed)
    delimiter: str


def _parse_header(text: str, file: str) -> _Header:
    first = re.split(r"\r\n|\r|\n", text.lstrip("\ufeff"), maxsplit=1)[0]
    if not first.strip():
        _fail(file, "the first line is empty (expected a header row of column names)", row=1)
    delimiter = "\t" if "\t" in first else ","
    if delimiter == "," and "," not in first and ";" in first:
        _fail(
            file,
            "the header looks semicolon-separated; save the file with commas or tabs "
            "between columns",
            row=1,
        )
    try:
        names = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        _fail(file, f"the header row cannot be read ({exc})", row=1)
    return _Header([n.strip() for n in names], delimiter)


def _match_columns(table: str, names: list[str], file: str) -> tuple[dict[str, int], list[Problem]]:
    """Map canonical column -> index in the file, by name, case-insensitively."""
    specs = TABLE_COLUMNS[table]
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for i, name in enumerate(names):
        key = name.strip().lower()
        if key not in specs:
            continue
        if key in index:
            problems.append(
                Problem(
                    file,
                    None,
                    key,
                    f"the column appears twice (columns {index[key] + 1} and {i + 1})",
                )
            )
            continue
        index[key] = i
    unknown = [n for n in names if n.strip().lower() not in specs]
    for spec in specs.values():
        if spec.name in index or not spec.required or (table, spec.name) in _DEFAULTS:
            continue
        hint = difflib.get_close_matches(spec.name, [u.lower() for u in unknown], n=1)
        similar = f"; the file has {hint[0]!r} - rename it to {spec.name}" if hint else ""
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        problems.append(
            Problem(
                file,
                None,
                spec.name,
                f"required column is missing{similar} (columns found: {shown or 'none'})",
            )
        )
    return index, problems


@contextmanager
def _session(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """UTC for timestamp casts, file order for row numbers; restored afterwards."""
    saved = con.execute(
        "SELECT current_setting('TimeZone'), current_setting('preserve_insertion_order')"
    ).fetchone()
    assert saved is not None
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
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def _new_name(con: duckdb.DuckDBPyConnection, prefix: str) -> str:
    while True:
        name = f"{prefix}_{next(_counter)}"
        if not _temp_exists(con, name):
            return name


def _drop(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        with suppress(duckdb.Error):
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


def _duckdb_message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


# --------------------------------------------------------------------------------------
# The stage step.


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    *,
    encoding: str | None = None,
    max_problems: int = 20,
) -> StagedFile:
    """Read `path` into a new TEMP table of canonical `table` rows and validate it.

    Returns the StagedFile naming the temp table (stage_<table>_<n>); raises InputError
    naming file, row and column of up to `max_problems` problems. Runs inside the caller's
    transaction: it only reads the file and creates/drops temp tables.
    """
    if table not in TABLE_COLUMNS:
        raise ValueError(f"unknown canonical table {table!r}")
    path = Path(path)
    file = path.name
    if max_problems < 1:
        max_problems = 1
    lower = file.lower()
    if not path.is_file():
        _fail(file, "file not found" if not path.exists() else "is not a file")
    with _session(con):
        if lower.endswith(".parquet"):
            return _stage_parquet(con, path, table, max_problems)
        if lower.endswith(_TEXT_EXTS):
            return _stage_text(con, path, table, encoding, max_problems)
    _fail(file, "unsupported file type (expected .csv, .tsv, .txt, .csv.gz or .parquet)")


def _stage_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, max_problems: int
) -> StagedFile:
    file = path.name
    with open(path, "rb") as f:
        magic = f.read(4)
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size >= 8:
            f.seek(-4, os.SEEK_END)
        tail = f.read(4)
    if size == 0:
        _fail(file, "the file is empty (expected a Parquet file)")
    if magic != b"PAR1" or tail != b"PAR1":
        _fail(file, "is not a Parquet file (no PAR1 marker); export it again as Parquet")
    with _duckdb_path(path) as src:
        return _stage_parquet_source(con, path, src, table, max_problems)


def _stage_parquet_source(
    con: duckdb.DuckDBPyConnection, path: Path, src: str, table: str, max_problems: int
) -> StagedFile:
    file = path.name
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [src]).fetchall()
    except duckdb.Error as exc:
        _fail(file, f"cannot be read as Parquet: {_duckdb_message(exc)}")
    names = [row[0] for row in described]
    types = [row[1] for row in described]
    index, problems = _match_columns(table, names, file)
    if problems:
        raise InputError(problems[:max_problems], max(0, len(problems) - max_problems))
    aliases = ", ".join(f"c{i}" for i in range(len(names)))
    source = f"read_parquet(?) AS src({aliases})"
    plans = [
        _plan_column(
            table,
            spec,
            f"c{index[spec.name]}" if spec.name in index else None,
            types[index[spec.name]] if spec.name in index else None,
        )
        for spec in TABLE_COLUMNS[table].values()
    ]
    stage = _new_name(con, f"stage_{table}")
    try:
        _create_stage(con, stage, _build_sql(table, plans, source), [src])
    except duckdb.Error as exc:
        _drop(con, stage)
        _fail(file, f"cannot be read as Parquet: {_duckdb_message(exc)}")
    return _finish(con, stage, table, path, plans, max_problems, first_row=1, text_path=None)


def _stage_text(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    encoding: str | None,
    max_problems: int,
) -> StagedFile:
    file = path.name
    head = _read_head(path, file)
    if not head.lstrip(b"\xef\xbb\xbf").strip():
        _fail(
            file, "the file is empty (expected a header row such as " + _header_example(table) + ")"
        )
    if head.startswith(b"PK\x03\x04"):
        _fail(file, "is a zip file or Excel workbook, not CSV; save it as CSV (UTF-8) first")
    if head.startswith(b"PAR1"):
        _fail(file, "is a Parquet file; give it the .parquet extension")
    explicit = None
    if encoding is not None:
        try:
            explicit = codecs.lookup(encoding).name
        except LookupError:
            _fail(file, f"unknown encoding {encoding!r} (expected e.g. utf-8 or cp1252)")
    bom16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not (explicit or ("utf-16" if bom16 else "")).startswith(("utf-16", "utf-32")):
        # NUL or many other control bytes: a binary file (or one saved as UTF-16 without a
        # byte-order mark), not text.
        controls = _CONTROL_BYTES.findall(head)
        if b"\x00" in head or len(controls) > len(head) // 100:
            pos = _CONTROL_BYTES.search(head).start()  # type: ignore[union-attr]
            _fail(
                file,
                f"contains binary data (byte 0x{head[pos]:02x}); this is not a CSV or TSV "
                "text file",
                row=head.count(b"\n", 0, pos) + 1,
            )
    # DuckDB reads UTF-8 and latin-1 itself; anything else is transcoded to a temporary
    # UTF-8 file first. cp1252 is latin-1 except for bytes 0x80-0x9f (euro sign, curly
    # quotes, ...), so a cp1252 file without those needs no transcoding either.
    if explicit is not None:
        enc = explicit
    elif bom16:
        enc = "utf-16"
    else:
        enc = "utf-8" if _looks_utf8(path, head) else "cp1252"
    while True:
        if enc in ("utf-8", "utf-8-sig"):
            duck_encoding: str | None = "utf-8"
        elif enc == "iso8859-1" or (enc == "cp1252" and not _has_c1_bytes(path)):
            duck_encoding = "latin-1"
        else:
            duck_encoding = None
        head_text = head.decode(enc, errors="replace")
        header = _parse_header(head_text, file)
        index, problems = _match_columns(table, header.names, file)
        if problems:
            raise InputError(problems[:max_problems], max(0, len(problems) - max_problems))
        _check_head_structure(file, head_text, len(head) < _HEAD_BYTES, header, max_problems)
        if explicit in ("utf-8", "utf-8-sig") and not _looks_utf8(path, head):
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
                table,
                header,
                index,
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


def _header_example(table: str) -> str:
    return ",".join(c for c, s in TABLE_COLUMNS[table].items() if s.required)


_REJECT_TEXT = {
    "TOO MANY COLUMNS": "too many fields",
    "MISSING COLUMNS": "too few fields",
}


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    text_path: Path,
    duck_encoding: str,
    table: str,
    header: _Header,
    index: dict[str, int],
    max_problems: int,
    bad_bytes: str,
    *,
    retry_cp1252: bool,
) -> StagedFile | None:
    """Stage `text_path`, the text of `path` in `duck_encoding` (utf-8 or latin-1), whose
    canonical columns are at `index`. None means: the bytes are not UTF-8, try again as
    cp1252."""
    file = path.name
    ncols = len(header.names)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(ncols)) + "}"
    rejects = _new_name(con, "stage_rejects")
    source = (
        "read_csv(?, header = true, auto_detect = false, columns = "
        + columns
        + ", delim = ?, quote = '\"', escape = '\"', encoding = ?, strict_mode = true, "
        "parallel = true, "
        "store_rejects = true, rejects_table = ?, rejects_scan = ?, rejects_limit = ?)"
    )
    params = [header.delimiter, duck_encoding, rejects, rejects + "_scan", _REJECTS_LIMIT]
    plans = [
        _plan_column(
            table,
            spec,
            f"c{index[spec.name]}" if spec.name in index else None,
            "VARCHAR" if spec.name in index else None,
        )
        for spec in TABLE_COLUMNS[table].values()
    ]
    stage = _new_name(con, f"stage_{table}")
    try:
        with _duckdb_path(text_path) as src:
            _create_stage(con, stage, _build_sql(table, plans, source), [src, *params])
        rejected = con.execute(
            f"SELECT count(*), count(*) FILTER (error_type = 'INVALID ENCODING') "
            f"FROM {quote_ident(rejects)}"
        ).fetchone()
        assert rejected is not None
        n_rejected, n_encoding = rejected
        if n_rejected:
            if n_encoding and retry_cp1252:
                _drop(con, stage)
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
            _drop(con, stage)
            found = [_reject_problem(file, header, bad_bytes, ncols, *r[1:]) for r in rows]
            more = rows[0][0] - len(found)
            raise InputError(found, more, more_is_lower_bound=n_rejected >= _REJECTS_LIMIT)
    except duckdb.Error as exc:
        _drop(con, stage)
        _fail(file, f"cannot be read as CSV/TSV: {_duckdb_message(exc)}")
    finally:
        _drop(con, rejects, rejects + "_scan")
    return _finish(
        con,
        stage,
        table,
        path,
        plans,
        max_problems,
        first_row=2,
        text_path=text_path,
        delimiter=header.delimiter,
    )


def _field_count_problem(file: str, row: int, count: str, header: _Header) -> Problem:
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
    file: str, head_text: str, whole_file: bool, header: _Header, max_problems: int
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
    path: Path, file: str, header: _Header, message: str, max_problems: int
) -> list[Problem]:
    """Row and column of bytes that are not UTF-8, up to `max_problems` (+1 to tell that
    there are more). Python's csv module instead of DuckDB: DuckDB logs every bad row,
    which takes minutes when a whole big file is in another encoding."""
    found: list[Problem] = []
    text = io.TextIOWrapper(_open_binary(path), "utf-8", errors="surrogateescape", newline="")
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
    header: _Header,
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


def _finish(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    table: str,
    path: Path,
    plans: list[_Plan],
    max_problems: int,
    *,
    first_row: int,
    text_path: Path | None,
    delimiter: str = ",",
) -> StagedFile:
    """Check the helper columns; on success drop them, leaving the canonical columns."""
    file = path.name
    q_stage = quote_ident(stage)
    err_cols = [f"_e{i}" for i, p in enumerate(plans) if p.can_fail]
    counts_sql = ", ".join(["count(*)", "min(rowid)", *(f"count({c})" for c in err_cols)])
    counts = con.execute(f"SELECT {counts_sql} FROM {q_stage}").fetchone()
    assert counts is not None
    # rowids follow file order (insertion order is preserved) but do not start at 0 when
    # the table was created inside a transaction (transaction-local storage).
    n_rows, first_rowid, per_col = counts[0], counts[1], counts[2:]
    n_bad = sum(per_col)
    n_dups, dup_rows = _duplicates(con, q_stage, plans, max_problems)

    if not n_bad and not n_dups:
        for c in [*err_cols, "_h"]:
            con.execute(f"ALTER TABLE {q_stage} DROP COLUMN {quote_ident(c)}")
        return StagedFile(table=table, path=path, stage=stage, rows=n_rows)

    try:
        problems: list[Problem] = []
        bad_rows = []
        if n_bad:
            where = " OR ".join(f"{c} IS NOT NULL" for c in err_cols)
            bad_rows = con.execute(
                f"SELECT rowid, {', '.join(err_cols)} FROM {q_stage} WHERE {where} "
                f"ORDER BY rowid LIMIT ?",
                [max_problems],
            ).fetchall()
        blanks: list[int] = []
        rowids = [r[0] for r in bad_rows] + [r for d in dup_rows for r in d[1:]]
        if text_path is not None and rowids:
            blanks = _blank_rows(text_path, delimiter, max(rowids) - first_rowid)

        def row_of(rowid: int) -> int:
            row = rowid - first_rowid + first_row
            for b in blanks:  # ascending; each empty line at or before `row` pushes it on
                if b <= row:
                    row += 1
            return row

        fallible = [p for p in plans if p.can_fail]
        for rowid, *values in bad_rows:
            for plan, raw in zip(fallible, values, strict=True):
                if raw is not None and len(problems) < max_problems:
                    problems.append(_value_problem(file, row_of(rowid), table, plan, raw))
        keys = [p.spec.name for p in plans if p.spec.key]
        for values, first, second in dup_rows:
            if len(problems) >= max_problems:
                break
            shown = ", ".join(
                f"{k}={_short(v, 40) if isinstance(v, str) else v}"
                for k, v in zip(keys, values, strict=True)
            )
            problems.append(
                Problem(
                    file, row_of(first), None, f"duplicate key ({shown})", also_row=row_of(second)
                )
            )
        raise InputError(problems, n_bad + n_dups - len(problems))
    finally:
        _drop(con, stage)


def _value_problem(file: str, row: int, table: str, plan: _Plan, raw: str) -> Problem:
    noun, expected = _expectation(table, plan.spec)
    if raw == "":
        message = f"empty, but a value is required (expected {expected})"
    else:
        message = f"{_short(raw)} is not {noun} (expected {expected})"
    return Problem(file, row, plan.spec.name, message)


def _duplicates(
    con: duckdb.DuckDBPyConnection, q_stage: str, plans: list[_Plan], limit: int
) -> tuple[int, list[tuple[list, int, int]]]:
    """(number of keys occurring more than once, [(key values, first rowid, second rowid)]
    for the first `limit` of them in file order).

    Grouping millions of distinct text keys is slow, so first the 64-bit key hashes are
    sorted with numpy (well under a second for 10M rows); only hashes seen twice - almost
    always none - are then grouped exactly, which also rules out hash collisions.
    """
    got = con.execute(f"SELECT _h FROM {q_stage} WHERE _h IS NOT NULL").fetchnumpy()["_h"]
    h = np.sort(np.asarray(got, dtype=np.uint64))
    twice = np.unique(h[1:][h[1:] == h[:-1]])
    if not len(twice):
        return 0, []
    key_cols = ", ".join(quote_ident(p.spec.name) for p in plans if p.spec.key)
    if len(twice) <= 100_000:
        candidates = "_h IN (SELECT unnest(CAST(? AS UBIGINT[])))"
        params: list = [[int(x) for x in twice]]
    else:
        candidates, params = "_h IS NOT NULL", []
    groups = con.execute(
        f"SELECT count(*) OVER (), {key_cols}, rowids[1], rowids[2] FROM ("
        f"SELECT {key_cols}, min(rowid, 2) AS rowids FROM {q_stage} WHERE {candidates} "
        f"GROUP BY ALL HAVING count(*) > 1) ORDER BY rowids[1] LIMIT ?",
        [*params, limit],
    ).fetchall()
    if not groups:  # hash collisions only
        return 0, []
    return groups[0][0], [(list(g[1:-2]), g[-2], g[-1]) for g in groups]
