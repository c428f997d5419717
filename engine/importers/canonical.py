"""Canonical files (docs/importing.md): offers, orders, feedback and actions by column name.

`stage_file` reads one CSV/TSV/Parquet file whose columns carry canonical names
(engine/sql/schema.sql; case, spaces and ``-``/``_`` do not matter, unknown columns are
ignored) into a TEMP table with exactly the canonical columns, in schema order, with
canonical types, through the shared staging core (`engine.importers.staging`).

Rows of one key: several lines of one order and one offer are left for the merge step
(they are one order, docs/health.md); for the other tables identical rows are kept once and
rows that contradict each other (same key, other values) are an error naming both rows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engine.importers import staging
from engine.importers.errors import InputError, Problem
from engine.importers.staging import Field, StagedFile, case_map, fail, future_check

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "sql" / "schema.sql"

KEYS: dict[str, tuple[str, ...]] = {
    "offers": ("seller_id", "sku"),
    "orders": ("order_id", "seller_id", "sku"),
    "feedback": ("feedback_id",),
    "actions": ("seller_id", "sku", "action_date", "action"),
}
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")


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
# Value rules. Everything put into SQL text here is a constant of this module or comes
# from schema.sql; values from files only ever reach SQL as data read by DuckDB.

FEEDBACK_SOURCES = ("return", "refund", "contact", "review", "seller_feedback")
CLOSED_REASONS = ("ncx", "other")
FULFILMENT_ALIASES = {"FBA": "FBA", "MFN": "MFN", "AFN": "FBA", "AMAZON": "FBA", "MERCHANT": "MFN"}
SELLER_VARIABLE = "voc_import_seller"  # the --seller id for files without a seller_id column

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


def normalise_header(name: str) -> str:
    """A column name as the importers compare it: lower case, runs of spaces, ``_`` and
    ``-`` as one ``-``, surrounding blanks and a BOM removed (``Order ID`` -> ``order-id``)."""
    return re.sub(r"[\s_\-]+", "-", name.strip().lstrip("\ufeff").lower()).strip("-")


def reason_sql(t: str) -> str:
    """SQL: a reason code upper-cased with one leading ``CR-`` stripped (NULL when empty)."""
    return (
        f"CASE WHEN upper({t}) LIKE 'CR-%' "
        f"THEN nullif(trim(substr(upper({t}), 4)), '') ELSE upper({t}) END"
    )


def _field(table: str, spec: ColumnSpec, column: int | None, source_type: str) -> Field:
    name, base = spec.name, spec.base_type
    noun = expected = convert = ok = None
    checks: tuple[staging.Check, ...] = ()
    if (table, name) == ("feedback", "source"):
        noun, expected = "a feedback source", "one of " + ", ".join(FEEDBACK_SOURCES)
        convert = case_map("lower({t})", {k: k for k in FEEDBACK_SOURCES})
    elif (table, name) == ("offers", "fulfilment"):
        noun, expected = (
            "a fulfilment channel",
            "FBA or MFN (AFN, Amazon and Merchant are accepted)",
        )
        convert = case_map("upper({t})", FULFILMENT_ALIASES)
    elif (table, name) == ("offers", "closed_reason"):
        noun, expected = "a closure reason", "ncx, other or empty"
        convert = case_map("lower({t})", {k: k for k in CLOSED_REASONS})
    elif (table, name) == ("orders", "status"):
        convert = "lower({t})"
    elif (table, name) == ("feedback", "reason_code"):
        convert = reason_sql("{t}")
    elif (table, name) == ("feedback", "rating"):
        noun, expected = "a rating", "a whole number from 1 to 5 such as 4, or empty"
        ok = "{v} BETWEEN 1 AND 5"
    elif name == "quantity":
        noun, expected = "a valid quantity", "a whole number >= 0 such as 2"
        ok = "{v} >= 0"
    elif base == "DECIMAL":
        noun = "a price" if name == "price" else "a number"
        ok = "{v} >= 0"
    elif base == "VARCHAR":
        noun, expected = "text", "a value such as " + _EXAMPLES.get(name, "ABC-123")
    if base in ("TIMESTAMP", "DATE"):
        checks = (future_check(),)
    default = _DEFAULTS.get((table, name), "NULL")
    if name == "seller_id" and column is None:
        default = f"getvariable('{SELLER_VARIABLE}')"
    return Field(
        name=name,
        type=spec.type,
        column=column,
        label=name,
        required=spec.required,
        convert=convert,
        ok=ok,
        checks=checks,
        noun=noun,
        expected=expected,
        default=default,
        source_type=source_type,
    )


def header_example(table: str) -> str:
    """The required columns of a canonical table, as a header line."""
    return ",".join(c for c, s in TABLE_COLUMNS[table].items() if s.required)


def match_columns(
    table: str, names: list[str], file: str, *, seller_given: bool = False
) -> tuple[dict[str, int], list[Problem]]:
    """Map canonical column -> index in the file, by name (see ``normalise_header``)."""
    specs = TABLE_COLUMNS[table]
    wanted = {normalise_header(c): c for c in specs}
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for i, name in enumerate(names):
        key = wanted.get(normalise_header(name))
        if key is None:
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
    unknown = [n for n in names if normalise_header(n) not in wanted]
    for spec in specs.values():
        if spec.name in index or not spec.required or (table, spec.name) in _DEFAULTS:
            continue
        if spec.name == "seller_id" and seller_given:
            continue
        hint = difflib.get_close_matches(spec.name, [u.lower() for u in unknown], n=1)
        similar = f"; the file has {hint[0]!r} - rename it to {spec.name}" if hint else ""
        if spec.name == "seller_id":
            similar += "; or name the seller with --seller"
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


def layout(table: str, file: str, *, seller_given: bool = False, max_problems: int = 20):
    """The staging layout of a canonical table: every canonical column, by name."""

    def fields(names: list[str], types: list[str]) -> list[Field]:
        index, problems = match_columns(table, names, file, seller_given=seller_given)
        if problems:
            raise InputError(problems[:max_problems], max(0, len(problems) - max_problems))
        return [
            _field(
                table,
                spec,
                index.get(spec.name),
                types[index[spec.name]] if spec.name in index else "VARCHAR",
            )
            for spec in TABLE_COLUMNS[table].values()
        ]

    return fields


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    *,
    encoding: str | None = None,
    max_problems: int = 20,
    seller: str | None = None,
) -> StagedFile:
    """Read `path` into a new TEMP table of canonical `table` rows and validate it.

    Returns the StagedFile naming the temp table (stage_<table>_<n>); raises InputError
    naming file, row and column of up to `max_problems` problems. ``seller``: the seller
    id of a file without a seller_id column. Runs inside the caller's transaction: it only
    reads the file and creates/drops temp tables.
    """
    if table not in TABLE_COLUMNS:
        raise ValueError(f"unknown canonical table {table!r}")
    path = Path(path)
    file = path.name
    lower = file.lower()
    if seller is not None:
        con.execute(f"SET VARIABLE {SELLER_VARIABLE} = ?", [seller])
    fields = layout(table, file, seller_given=seller is not None, max_problems=max_problems)
    if lower.endswith(".parquet"):
        staged = staging.stage_parquet(
            con, path, fields, prefix=f"stage_{table}", max_problems=max_problems
        )
    elif lower.endswith(TEXT_EXTENSIONS):
        staged = staging.stage_text(
            con,
            path,
            fields,
            prefix=f"stage_{table}",
            encoding=encoding,
            max_problems=max_problems,
        )
    else:
        fail(file, "unsupported file type (expected .csv, .tsv, .txt, .csv.gz or .parquet)")
    staged.table = table
    if table != "orders":  # lines of one order are merged later (docs/health.md)
        try:
            staged.repeats = staging.collapse_duplicates(
                con, staged, KEYS[table], max_problems=max_problems
            )
        except InputError:
            staging.drop(con, staged.stage)
            raise
    return staged
