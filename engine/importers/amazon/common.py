"""What every Seller Central report importer shares: headers by name, Amazon's dates, ids.

Facts from ``docs/amazon-reports.md``: flat files are tab-separated with one header row,
columns are read by name (real files add and drop columns over the years), timestamps are
ISO 8601 with an offset in SP-API files and ``DD-MM-YYYY``, ``DD-MON-YYYY`` or US style
with a zone abbreviation (``Dec 1, 2017 12:38:23 AM PST``) in some downloads; all are
normalised to UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engine.importers import staging
from engine.importers.canonical import SELLER_VARIABLE, TABLE_COLUMNS, normalise_header
from engine.importers.errors import InputError, Problem
from engine.importers.merge import Part
from engine.importers.staging import Field, StagedFile, future_check, quote_ident

AMAZON_TS_EXPECTED = (
    "a date and time as Amazon writes it, such as 2026-03-01T14:05:00+00:00, 01-03-2026, "
    "01-Mar-2026 or Mar 1, 2026 2:05:00 PM PST"
)
# Zone abbreviations seen in Seller Central downloads, as UTC offsets.
ZONES: dict[str, str] = {
    "UTC": "+00:00",
    "GMT": "+00:00",
    "Z": "+00:00",
    "PST": "-08:00",
    "PDT": "-07:00",
    "MST": "-07:00",
    "MDT": "-06:00",
    "CST": "-06:00",
    "CDT": "-05:00",
    "EST": "-05:00",
    "EDT": "-04:00",
    "AST": "-04:00",
    "ADT": "-03:00",
    "NST": "-03:30",
    "NDT": "-02:30",
    "AKST": "-09:00",
    "AKDT": "-08:00",
    "HST": "-10:00",
    "BST": "+01:00",
    "IST": "+05:30",
    "WET": "+00:00",
    "WEST": "+01:00",
    "CET": "+01:00",
    "CEST": "+02:00",
    "MEZ": "+01:00",
    "MESZ": "+02:00",
    "EET": "+02:00",
    "EEST": "+03:00",
    "JST": "+09:00",
    "AEST": "+10:00",
    "AEDT": "+11:00",
    "BRT": "-03:00",
    "SGT": "+08:00",
}
_WITH_OFFSET = (
    "%b %d, %Y %I:%M:%S %p %z",
    "%b %d, %Y %H:%M:%S %z",
    "%d-%b-%Y %H:%M:%S %z",
    "%d-%m-%Y %H:%M:%S %z",
    "%d.%m.%Y %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y/%m/%d %H:%M:%S %z",
)
_NAIVE = (  # read as UTC
    "%d-%m-%Y",
    "%d-%b-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%b %d, %Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%b-%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p",
)


def _list(formats: Sequence[str]) -> str:
    return "[" + ", ".join(staging.sql_str(f) for f in formats) + "]"


def amazon_timestamp(t: str) -> str:
    """SQL: a timestamp as Amazon writes it (text ``t``) -> naive UTC, NULL if unreadable."""
    abbr = f"regexp_extract({t}, ' ([A-Za-z]{{1,5}})$', 1)"
    offset = staging.case_map(f"upper({abbr})", ZONES)
    with_offset = f"left({t}, length({t}) - length({abbr})) || {offset}"
    return (
        f"coalesce({staging.iso_timestamp(t)}, "
        f"make_timestamp(epoch_us(try_strptime({with_offset}, {_list(_WITH_OFFSET)}))), "
        f"try_strptime({t}, {_list(_NAIVE)}))"
    )


def timestamp_field(name: str, column: int | None, label: str, *, required: bool) -> Field:
    """A TIMESTAMP field read as Amazon writes dates, and never after tomorrow."""
    return Field(
        name=name,
        type="TIMESTAMP",
        column=column,
        label=label,
        required=required,
        convert=amazon_timestamp("{t}"),
        noun="a date",
        expected=AMAZON_TS_EXPECTED,
        checks=(future_check(),),
    )


def text_field(name: str, column: int | None, label: str, *, required: bool = False) -> Field:
    return Field(name, "VARCHAR", column, label, required=required)


@dataclass(frozen=True)
class Columns:
    """The file columns a report importer reads: field -> index, and their header names."""

    index: dict[str, int]
    labels: dict[str, str]

    def col(self, name: str) -> int | None:
        return self.index.get(name)

    def label(self, name: str, default: str) -> str:
        return self.labels.get(name, default)


def pick(
    names: list[str],
    wanted: Mapping[str, Sequence[str]],
    required: Sequence[str],
    file: str,
    report: str,
) -> Columns:
    """Find each wanted field's column by any of its header names (compared with
    ``normalise_header``). Missing required ones are an InputError naming file and column."""
    normal = [normalise_header(n) for n in names]
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    for name, aliases in wanted.items():
        for alias in aliases:
            key = normalise_header(alias)
            if key in normal:
                index[name] = normal.index(key)
                labels[name] = names[index[name]]
                break
    missing = [wanted[r][0] for r in required if r not in index]
    if missing:
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise InputError(
            [
                Problem(
                    file,
                    None,
                    m,
                    f"required column of the {report} is missing (columns found: {shown})",
                )
                for m in missing
            ]
        )
    return Columns(index, labels)


def stage_report(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fields_of,
    *,
    prefix: str,
    seller: str,
    encoding: str | None,
    max_problems: int,
) -> StagedFile:
    """Stage a report's text file with ``fields_of(names) -> list[Field]``; the seller id
    is available to the SQL as ``getvariable('voc_import_seller')``."""
    con.execute(f"SET VARIABLE {SELLER_VARIABLE} = ?", [seller])
    return staging.stage_text(
        con,
        path,
        lambda names, _types: fields_of(names),
        prefix=prefix,
        encoding=encoding,
        max_problems=max_problems,
    )


SELLER = f"getvariable('{SELLER_VARIABLE}')"


def event_id(prefix: str, *parts: str) -> str:
    """SQL: a stable feedback id from the row's values (a re-import gives the same id)."""
    joined = " || '|' || ".join(f"coalesce(CAST({p} AS VARCHAR), '')" for p in parts)
    return f"'{prefix}-' || left(md5({joined}), 20)"


def feedback_part(
    con: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    select: Mapping[str, str],
    where: str = "TRUE",
) -> Part:
    """A canonical feedback part from a staged report: ``select`` gives each feedback
    column's SQL over the stage's fields (missing ones NULL). Rows that describe the same
    event (per-unit return rows, several amount rows of one refund) share their feedback
    id; they become one event, named by its first row and with that row's values (units
    of one return may differ in what the id leaves out, e.g. the fulfilment centre)."""
    cols = []
    for c, spec in TABLE_COLUMNS["feedback"].items():
        cols.append(f"CAST({select.get(c, 'NULL')} AS {spec.type}) AS {quote_ident(c)}")
    names = ", ".join(quote_ident(c) for c in TABLE_COLUMNS["feedback"])
    part = staging.new_name(con, "part_feedback")
    con.execute(
        f"CREATE TEMP TABLE {part} AS SELECT {names}, _rowid FROM ("
        f"SELECT {', '.join(cols)}, rowid AS _rowid FROM {quote_ident(staged.stage)} "
        f"WHERE {where}) QUALIFY row_number() OVER (PARTITION BY feedback_id ORDER BY _rowid) = 1"
    )
    return Part("feedback", part, staged, "_rowid")


def has_headers(normal: set[str], required: Sequence[Sequence[str]]) -> bool:
    """Whether a header (normalised names) has one name of every group of ``required``."""
    return all(normal & set(group) for group in required)


def fail_rows(
    con: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    where: str,
    value: str,
    column: str,
    message: str,
    *,
    max_problems: int = 20,
) -> None:
    """Raise an InputError for the stage's rows matching ``where`` (if any): for checks
    that hold only for some rows of a report (e.g. the refund rows of a settlement)."""
    rows = con.execute(
        f"SELECT count(*) OVER (), rowid, {value} FROM {quote_ident(staged.stage)} "
        f"WHERE {where} ORDER BY rowid LIMIT ?",
        [max_problems],
    ).fetchall()
    if not rows:
        return
    lines = staged.rows_of([r[1] for r in rows])
    problems = [
        Problem(staged.file, n, column, message.replace("{raw}", staging.short(r[2] or "")))
        for n, r in zip(lines, rows, strict=True)
    ]
    staging.drop(con, staged.stage)
    raise InputError(problems, rows[0][0] - len(problems))
