"""Which importer reads a file: recognised by its header, or named by the caller.

``FILE_TYPES`` lists every type the command line and the page accept, most specific first:
the Seller Central reports of docs/amazon-reports.md, a catalogue and a benchmark, and the
canonical tables. ``stage_input`` stages one file with its importer and returns the parts
for the merge step. A file of no known type is an error naming the file and listing the
types it could be, with the headers each needs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from engine.importers import canonical, catalogue, staging
from engine.importers.amazon import orders, replacements, returns, seller_feedback, settlement
from engine.importers.canonical import TABLE_COLUMNS, normalise_header
from engine.importers.errors import InputError, Problem
from engine.importers.merge import Part

Stager = Callable[..., tuple[list[Part], list[str]]]


@dataclass(frozen=True)
class FileType:
    kind: str
    label: str
    needs: str  # the headers it needs, for the unknown-type message
    matches: Callable[[set[str], list[str], list[list[str]]], bool]
    stage: Stager


@dataclass(frozen=True)
class InputFile:
    """A file to import; ``kind`` names its type (None: recognise it by its header)."""

    path: Path
    kind: str | None = None


@dataclass
class StagedInput:
    """One file, staged: its type, rows read, notes for the summary, and its parts."""

    file: str
    kind: str
    label: str
    rows: int
    parts: list[Part]
    notes: list[str]


def _canonical(table: str) -> Stager:
    def stage(con, path, *, seller, encoding=None, max_problems=20):
        staged = canonical.stage_file(
            con, path, table, encoding=encoding, max_problems=max_problems, seller=seller
        )
        notes = []
        if staged.repeats:
            notes.append(f"{staged.repeats:,} repeated identical rows counted once")
        return [Part(table, staged.stage, staged)], notes

    return stage


def _canonical_matches(table: str) -> Callable[[set[str], list[str], list[list[str]]], bool]:
    needed = {
        normalise_header(c)
        for c, spec in TABLE_COLUMNS[table].items()
        if spec.required and c != "seller_id" and (table, c) != ("orders", "sold_by_seller")
    }

    def matches(normal: set[str], _names: list[str], _rows: list[list[str]]) -> bool:
        if not needed <= normal:
            return False
        if table == "offers":  # any file has seller_id and sku: offers only without others' keys
            return "seller-id" in normal and not normal & {"order-id", "feedback-id", "action"}
        return True

    return matches


def _by_header(test: Callable[[set[str]], bool]):
    return lambda normal, _names, _rows: test(normal)


FILE_TYPES: tuple[FileType, ...] = (
    FileType(orders.KIND, orders.LABEL, orders.NEEDS, _by_header(orders.matches), orders.stage),
    FileType(
        returns.FBA_KIND, returns.FBA_LABEL, returns.FBA_NEEDS,
        _by_header(returns.fba_matches), returns.stage_fba,
    ),
    FileType(
        returns.MFN_KIND, returns.MFN_LABEL, returns.MFN_NEEDS,
        _by_header(returns.mfn_matches), returns.stage_mfn,
    ),
    FileType(
        settlement.KIND, settlement.LABEL, settlement.NEEDS,
        _by_header(settlement.matches), settlement.stage,
    ),
    FileType(
        replacements.KIND, replacements.LABEL, replacements.NEEDS,
        _by_header(replacements.matches), replacements.stage,
    ),
    FileType(
        seller_feedback.KIND, seller_feedback.LABEL, seller_feedback.NEEDS,
        lambda _normal, names, rows: seller_feedback.matches(names, rows), seller_feedback.stage,
    ),
    FileType(
        catalogue.BENCHMARK_KIND, catalogue.BENCHMARK_LABEL, catalogue.BENCHMARK_NEEDS,
        _by_header(catalogue.benchmark_matches), catalogue.stage_benchmark,
    ),
    *(
        FileType(
            table,
            f"canonical {table} file",
            canonical.header_example(table),
            _canonical_matches(table),
            _canonical(table),
        )
        for table in ("orders", "feedback", "actions", "offers")
    ),
    FileType(
        catalogue.CATALOGUE_KIND, catalogue.CATALOGUE_LABEL, catalogue.CATALOGUE_NEEDS,
        _by_header(catalogue.catalogue_matches), catalogue.stage_catalogue,
    ),
)  # fmt: skip
BY_KIND = {t.kind: t for t in FILE_TYPES}


def _first_rows(head: bytes, encoding: str, delimiter: str, n: int = 5) -> list[list[str]]:
    text = head.decode(encoding, errors="replace")
    text = text[: text.rfind("\n") + 1] if "\n" in text else ""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    rows = []
    try:
        next(reader, None)
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= n:
                break
    except csv.Error:
        pass
    return rows


def recognise(path: Path, encoding: str | None = None) -> FileType:
    """The type of a file, from its header; InputError when no type fits."""
    path = Path(path)
    file = path.name
    if not path.is_file():
        staging.fail(file, "file not found" if not path.exists() else "is not a file")
    if file.lower().endswith(".parquet"):
        import duckdb as _duckdb

        try:
            names = [
                r[0]
                for r in _duckdb.execute(
                    "DESCRIBE SELECT * FROM read_parquet(?)", [str(path.absolute())]
                ).fetchall()
            ]
        except _duckdb.Error as exc:
            staging.fail(file, f"cannot be read as Parquet: {staging.duckdb_message(exc)}")
        rows: list[list[str]] = []
    else:
        head, enc, header = staging.sniff_text(path, encoding)
        names = header.names
        rows = _first_rows(head, enc, header.delimiter)
    normal = {normalise_header(n) for n in names}
    for t in FILE_TYPES:
        if t.matches(normal, names, rows):
            return t
    near = near_misses(normal)
    if near:  # e.g. an All Orders report without its quantity column: name the column
        label, missing = near[0]
        raise InputError(
            [
                Problem(
                    file,
                    None,
                    ", ".join(missing),
                    f"required column of the {label} is missing: the file looks like one "
                    f"(its header: {_header(names)}). If it is another type, it could be: "
                    f"{_types()}",
                )
            ]
        )
    raise InputError([Problem(file, 1, None, unknown_type_message(names))])


# The header names each report type cannot do without, to tell a file that lacks one or
# two of them which ones.
_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    orders.KIND: orders.REQUIRED,
    returns.FBA_KIND: returns.FBA_REQUIRED,
    returns.MFN_KIND: returns.MFN_REQUIRED,
    settlement.KIND: settlement.REQUIRED,
    replacements.KIND: replacements.REQUIRED,
}
_SHOWN = {
    "amazon-order-id": "amazon-order-id (or order-id)",
    "item-status": "item-status (or order-status)",
}


def near_misses(normal: set[str]) -> list[tuple[str, list[str]]]:
    """(label, missing header names) of the report types whose required headers the file
    has all but one or two of (at least half of them), fewest missing first."""
    found = []
    for kind, groups in _REQUIRED.items():
        missing = [g for g in groups if not normal & set(g)]
        if missing and len(missing) <= min(2, len(groups) // 2):
            names = [_SHOWN.get(g[0], g[0]) for g in missing]
            found.append((len(missing), BY_KIND[kind].label, names))
    return [(label, names) for _, label, names in sorted(found, key=lambda f: f[0])]


def _header(names: list[str]) -> str:
    return ", ".join(names[:12]) + (", ..." if len(names) > 12 else "") or "empty"


def _types() -> str:
    return "; ".join(f"{t.label} ({t.needs})" for t in FILE_TYPES)


def unknown_type_message(names: list[str]) -> str:
    text = "".join(names)
    letters = [c for c in text if c.isalpha()]
    odd = sum(1 for c in letters if not c.isascii())
    hint = (
        " Its header looks garbled: if the file is in another encoding (e.g. cp932 for "
        "Amazon Japan), pass it with --encoding."
        if letters and odd > len(letters) / 3
        else ""
    )
    return (
        f"is not a file type this importer knows (its header: {_header(names)}).{hint} "
        f"It could be: {_types()}"
    )


def stage_input(
    con: duckdb.DuckDBPyConnection,
    item: InputFile,
    *,
    seller: str,
    encoding: str | None = None,
    max_problems: int = 20,
) -> StagedInput:
    """Stage one file with its importer (inside the caller's transaction)."""
    ftype = BY_KIND[item.kind] if item.kind else recognise(item.path, encoding)
    parts, notes = ftype.stage(
        con, Path(item.path), seller=seller, encoding=encoding, max_problems=max_problems
    )
    rows = parts[0].source.rows if parts else 0
    return StagedInput(Path(item.path).name, ftype.kind, ftype.label, rows, parts, notes)
