"""Seller feedback -> feedback events of source ``seller_feedback`` (context, never counted).

Six columns whose headers are translated per marketplace but whose order is fixed: Date,
Rating, Comments, Your Response, Order ID, Rater Email. The columns are read by position;
the response and the rater's e-mail are never read, let alone stored. Dates are written
the marketplace's way (US ``%m/%d/%y``, DE ``%d.%m.%y``, JP ``%y/%m/%d``, SE
``%Y-%m-%d``, most others ``%d/%m/%y``): the header's language says which, and for
``/``-separated dates the values themselves (a first part above 12 is a day) decide
between day-first and month-first. Feedback names an order, not a SKU: the merge step
gives it to every offer of that order.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import duckdb

from engine.importers import staging
from engine.importers.amazon.common import SELLER, event_id, stage_report, text_field
from engine.importers.canonical import TABLE_COLUMNS, normalise_header
from engine.importers.merge import Part
from engine.importers.staging import Field, future_check, new_name, quote_ident, sql_str

KIND, LABEL = "seller_feedback", "seller feedback report"
NEEDS = "six columns in the order Date, Rating, Comments, Your Response, Order ID, Rater Email (in any marketplace's language)"

# language -> (header names in column order, date formats tried in order)
HEADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email"), ()),
    "de": (
        (
            "Datum",
            "Bewertung",
            "Kommentare",
            "Ihre Antwort",
            "Bestellnummer",
            "E-Mail-Adresse des Bewerters",
        ),
        ("%d.%m.%y", "%d.%m.%Y"),
    ),
    "fr": (
        (
            "Date",
            "Évaluation",
            "Commentaires",
            "Votre réponse",
            "Numéro de commande",
            "Adresse e-mail de l'évaluateur",
        ),
        ("%d/%m/%y", "%d/%m/%Y"),
    ),
    "es": (
        (
            "Fecha",
            "Calificación",
            "Comentarios",
            "Tu respuesta",
            "Número de pedido",
            "Correo electrónico del evaluador",
        ),
        ("%d/%m/%y", "%d/%m/%Y"),
    ),
    "it": (
        (
            "Data",
            "Valutazione",
            "Commenti",
            "La tua risposta",
            "Numero ordine",
            "Email del valutatore",
        ),
        ("%d/%m/%y", "%d/%m/%Y"),
    ),
    "nl": (
        (
            "Datum",
            "Beoordeling",
            "Opmerkingen",
            "Uw reactie",
            "Bestelnummer",
            "E-mailadres van beoordelaar",
        ),
        ("%d/%m/%y", "%d-%m-%Y"),
    ),
    "sv": (
        (
            "Datum",
            "Betyg",
            "Kommentarer",
            "Ditt svar",
            "Beställnings-ID",
            "Bedömarens e-postadress",
        ),
        ("%Y-%m-%d",),
    ),
    "ja": (
        ("日付", "評価", "コメント", "回答", "注文番号", "評価者のEメール"),
        ("%y/%m/%d", "%Y/%m/%d"),
    ),
}
US = ("%m/%d/%y", "%m/%d/%Y")
DAY_FIRST = ("%d/%m/%y", "%d/%m/%Y")
_ORDER_ID = re.compile(r"^\d{3}-\d{7}-\d{7}$")


def _language(names: list[str]) -> str | None:
    normal = [normalise_header(n) for n in names]
    best, score = None, 0
    for lang, (headers, _) in HEADERS.items():
        hits = sum(1 for a, b in zip(normal, headers, strict=False) if a == normalise_header(b))
        if hits > score:
            best, score = lang, hits
    return best if score >= 2 else None


def matches(names: list[str], first_rows: list[list[str]]) -> bool:
    """Six (or five) columns and either a known translated header or rows that look like
    seller feedback (a 1-5 rating second, an order id fifth)."""
    if len(names) not in (5, 6):
        return False
    if _language(names):
        return True
    return bool(first_rows) and all(
        len(r) >= 5 and r[1].strip() in {"1", "2", "3", "4", "5"} and _ORDER_ID.match(r[4].strip())
        for r in first_rows
    )


def date_formats(path: Path, names: list[str], encoding: str | None) -> tuple[tuple[str, ...], str]:
    """The date formats of the file and a note saying which reading was chosen."""
    lang = _language(names) or "en"
    formats = HEADERS[lang][1]
    if formats:
        return formats, ""
    _, enc, header = staging.sniff_text(path, encoding)
    with staging.open_binary(path) as f:
        text = io.TextIOWrapper(f, enc, errors="replace", newline="")
        rows = csv.reader(text, delimiter=header.delimiter)
        next(rows, None)
        day_first = month_first = False
        for row in rows:
            parts = row[0].strip().split("/") if row else []
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                day_first |= int(parts[0]) > 12
                month_first |= int(parts[1]) > 12
    if day_first and not month_first:
        return DAY_FIRST, "dates read as day/month/year"
    if month_first and not day_first:
        return US, "dates read as month/day/year (US)"
    return US, "dates read as month/day/year (US), as the file's dates allow both readings"


def stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    seller: str,
    encoding: str | None = None,
    max_problems: int = 20,
) -> tuple[list[Part], list[str]]:
    """Stage a seller feedback report: a seller_feedback part (events without a SKU)."""
    _, _, header = staging.sniff_text(path, encoding)
    formats, note = date_formats(path, header.names, encoding)
    fmt_list = "[" + ", ".join(sql_str(f) for f in formats) + "]"
    shown = " or ".join(
        f.replace("%y", "YY").replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
        for f in formats
    )

    def fields(names: list[str]) -> list[Field]:
        label = [n or f"column {i + 1}" for i, n in enumerate(names)]
        return [
            Field(
                "event_date", "TIMESTAMP", 0, label[0], required=True,
                convert=f"coalesce({staging.iso_timestamp('{t}')}, try_strptime({{t}}, {fmt_list}))",
                noun="a date", expected=f"a date such as {shown}", checks=(future_check(),),
            ),
            Field(
                "rating", "TINYINT", 1, label[1], required=True, ok="{v} BETWEEN 1 AND 5",
                noun="a rating", expected="a whole number from 1 to 5",
            ),
            text_field("comment", 2, label[2]),
            text_field("order_id", 4, label[4], required=True),
        ]  # fmt: skip

    staged = stage_report(
        con, path, fields, prefix="stage_seller_feedback", seller=seller, encoding=encoding,
        max_problems=max_problems,
    )  # fmt: skip
    staged.table = KIND
    cols = TABLE_COLUMNS["feedback"]
    values = {
        "feedback_id": event_id("sfb", "order_id", "event_date", "rating", "comment"),
        "seller_id": SELLER,
        "order_id": "order_id",
        "event_date": "event_date",
        "source": "'seller_feedback'",
        "rating": "rating",
        "comment": "comment",
    }
    select = ", ".join(
        f"CAST({values.get(c, 'NULL')} AS {spec.type}) AS {quote_ident(c)}"
        for c, spec in cols.items()
    )
    part = new_name(con, "part_seller_feedback")
    con.execute(
        f"CREATE TEMP TABLE {part} AS SELECT * EXCLUDE (_n) FROM (SELECT {select}, rowid AS _rowid, "
        f"row_number() OVER (PARTITION BY {event_id('sfb', 'order_id', 'event_date', 'rating', 'comment')} "
        f"ORDER BY rowid) AS _n FROM {quote_ident(staged.stage)}) WHERE _n = 1"
    )
    return [Part("seller_feedback", part, staged, "_rowid")], [note] if note else []
