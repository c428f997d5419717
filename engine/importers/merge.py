"""The merge step: staged rows of one import -> the canonical tables, and what it changed.

Every importer hands over :class:`Part` s: a TEMP table of canonical rows (offers, orders,
feedback, actions) or of facts that fill offers (``report_offers`` from an orders report,
``catalogue``), ``benchmark`` rows, or ``seller_feedback`` (an order id but no SKU). The
rules, in one place for canonical and Amazon files alike:

- **Split order lines.** Lines of one order and one offer are one order: identical lines
  count once; otherwise its purchase time is that of its earliest non-cancelled line, its
  quantity the sum, and it is cancelled only when every line is (docs/importing.md). Of
  lines with different ``updated_at`` (an order in two reports), only the newest are used.
- **Corrections.** A known key with other values replaces the stored row; an order only
  when it is not older (``updated_at``) than the stored one. Identical rows change nothing.
- **Offers from reports** fill only what the offers file or catalogue left empty (and the
  created day moves back to the first order); new ones go to ``Uncategorised``. A
  catalogue row sets the columns of CATALOGUE_COLUMNS it gives (categories, price,
  brand, title, ASIN, the listing's lifecycle).

``merge`` returns the counts per table, the offers whose rows changed (for the derived
tables), the earliest day a change touched, and warnings about plausible-but-odd rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import numpy as np

from engine import store, themes
from engine.importers.canonical import KEYS, TABLE_COLUMNS
from engine.importers.staging import StagedFile, drop, new_name, quote_ident, short

KNOWN_STATUSES = frozenset(
    {
        "shipped",
        "pending",
        "unshipped",
        "cancelled",
        "shipping",
        "delivered",
        "partially shipped",
        "partiallyshipped",
        "pending availability",
        "pendingavailability",
        "invoice unconfirmed",
        "invoiceunconfirmed",
        "unfulfillable",
    }
)
# The offer columns a catalogue row sets (an empty cell keeps the stored value).
CATALOGUE_COLUMNS = (
    "category", "subcategory", "price", "brand", "title", "asin", "fulfilment",
    "created_at", "closed_at", "closed_reason", "reinstated_at", "deleted_at",
)  # fmt: skip
# What an import changed, for the derived tables (TEMP tables, see engine.derive):
CHANGED_DAYS = "changed_order_days"  # (seller_id, sku, day): purchase days of changed orders
CHANGED_EVENTS = "changed_event_offers"  # (seller_id, sku): offers whose events may differ
_NEW_ORDERS = "new_order_keys"  # (order_id, seller_id, sku) of orders the store did not have
_EXAMPLES = 3


@dataclass
class Part:
    """Rows one file contributes: TEMP table ``stage`` of ``kind`` rows (see module doc),
    each key at most once (orders aside: their lines are merged here).

    ``rowid``: the column (or ``rowid``) giving each row's rowid in ``source.stage``, so
    warnings can name the file's rows."""

    kind: str
    stage: str
    source: StagedFile
    rowid: str = "rowid"
    # whether its offers may be unknown to the store (not when the same file brings them)
    check_offers: bool = True


@dataclass
class Counts:
    """What one import did to one table."""

    table: str
    rows: int = 0  # rows read from files (lines, per-unit rows, amount rows ...)
    records: int = 0  # distinct records after merging the rows of one key
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0  # orders a newer stored version kept

    @property
    def changed(self) -> int:
        return self.added + self.updated


@dataclass
class Warning_:
    """Rows that were imported (or skipped) but look wrong: counted, with a few examples."""

    file: str
    count: int
    message: str
    examples: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        rows = "row" if self.count == 1 else "rows"
        eg = f"; e.g. {', '.join(self.examples)}" if self.examples else ""
        return f"{self.file}: {self.count:,} {rows} with {self.message}{eg}"


@dataclass
class MergeResult:
    counts: dict[str, Counts] = field(default_factory=dict)
    warnings: list[Warning_] = field(default_factory=list)
    min_day: date | None = None  # the earliest purchase/event day a change touched
    offers_changed: bool = False  # offer rows were updated (peer groups may have moved)
    # True when orders or feedback went into empty tables: derive everything (no scopes)
    first_load: bool = False

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())

    def _count(self, table: str) -> Counts:
        return self.counts.setdefault(table, Counts(table))


def merge(con: duckdb.DuckDBPyConnection, parts: list[Part]) -> MergeResult:
    """Merge every part into the store's tables (inside the caller's transaction)."""
    result = MergeResult()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHANGED_DAYS} (seller_id VARCHAR, sku VARCHAR, day DATE)"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHANGED_EVENTS} (seller_id VARCHAR, sku VARCHAR)")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_NEW_ORDERS} (order_id VARCHAR, seller_id VARCHAR, sku VARCHAR)"
    )
    by_kind: dict[str, list[Part]] = {}
    for p in parts:
        by_kind.setdefault(p.kind, []).append(p)
    if by_kind.get("offers"):
        _replace(con, "offers", by_kind["offers"], result)
    # Offers from orders reports first: a catalogue then places them (and wins on price).
    if by_kind.get("report_offers"):
        _report_offers(con, by_kind["report_offers"], result)
    if by_kind.get("catalogue"):
        _catalogue(con, by_kind["catalogue"], result)
    if by_kind.get("benchmark"):
        _benchmark(con, by_kind["benchmark"], result)
    for p in by_kind.get("orders", []):
        _warn_orders(con, p, result)
    if by_kind.get("orders"):
        _orders(con, by_kind["orders"], result)
    feedback = list(by_kind.get("feedback", []))
    for p in by_kind.get("seller_feedback", []):
        feedback.append(_seller_feedback(con, p, result))
    for p in feedback:
        _warn_feedback(con, p, result)
    if feedback:
        _replace(con, "feedback", feedback, result)
    if by_kind.get("actions"):
        _replace(con, "actions", by_kind["actions"], result)
    if not result.first_load:
        # A new order's events (feedback imported before it) now link to it.
        con.execute(
            f"INSERT INTO {CHANGED_EVENTS} SELECT DISTINCT f.seller_id, f.sku "
            f"FROM {_NEW_ORDERS} AS n JOIN feedback AS f "
            f"ON f.order_id = n.order_id AND f.seller_id = n.seller_id AND f.sku = n.sku"
        )
    drop(con, _NEW_ORDERS)
    return result


# --------------------------------------------------------------------------------------
# Helpers


def _cols(table: str) -> list[str]:
    return list(TABLE_COLUMNS[table])


def _union(parts: Iterable[Part], columns: list[str]) -> str:
    """SQL: the parts' rows (only ``columns``) with ``_part`` (their order in the import)."""
    cols = ", ".join(quote_ident(c) for c in columns)
    return " UNION ALL ".join(
        f"SELECT {cols}, {i} AS _part FROM {quote_ident(p.stage)}" for i, p in enumerate(parts)
    )


def _same(columns: Iterable[str], a: str = "i", b: str = "t") -> str:
    return " AND ".join(
        f"{a}.{quote_ident(c)} IS NOT DISTINCT FROM {b}.{quote_ident(c)}" for c in columns
    )


def _count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchall()[0][0])


def _note_day(result: MergeResult, day: date | datetime | None) -> None:
    if day is None:
        return
    day = day.date() if isinstance(day, datetime) else day
    result.min_day = day if result.min_day is None else min(result.min_day, day)


def _apply(
    con: duckdb.DuckDBPyConnection,
    table: str,
    incoming: str,
    result: MergeResult,
    *,
    older: str | None = None,
    counts_as: str | None = None,
) -> None:
    """Decide each incoming row's fate against the stored rows (new, same, update, older),
    apply it, count it (under ``counts_as``, default the table) and record what changed
    for the derived tables (CHANGED_DAYS, CHANGED_EVENTS) and the earliest day touched."""
    keys = KEYS[table]
    columns = _cols(table)
    key_list = ", ".join(quote_ident(k) for k in keys)
    col_list = ", ".join(quote_ident(c) for c in columns)
    c = result._count(counts_as or table)
    day = {"orders": "purchase_date", "feedback": "event_date"}.get(table)
    if _count_rows(con, table) == 0:  # a first load: no join, and everything is derived anew
        con.execute(
            f"INSERT INTO {quote_ident(table)} ({col_list}) SELECT {col_list} FROM {incoming}"
        )
        n = _count_rows(con, table)  # not the incoming view: that would compute it again
        c.records, c.added = c.records + n, c.added + n
        if day and n:
            result.first_load = True
            first = con.execute(f"SELECT min({day}) FROM {quote_ident(table)}").fetchall()[0][0]
            _note_day(result, first)
        return
    fate = new_name(con, f"fate_{table}")
    on = " AND ".join(f"i.{quote_ident(k)} = t.{quote_ident(k)}" for k in keys)
    olds = ", ".join(
        f"t.{quote_ident(x)} AS {quote_ident('old_' + x)}"
        for x in ("seller_id", "sku", *([day] if day else []))
    )
    older_case = f"WHEN {older} THEN 'older' " if older else ""
    con.execute(
        f"CREATE TEMP TABLE {fate} AS SELECT i.*, CASE "
        f"WHEN t.{quote_ident(keys[0])} IS NULL THEN 'new' "
        f"WHEN {_same(columns)} THEN 'same' {older_case}"
        f"ELSE 'update' END AS fate, {olds} "
        f"FROM {incoming} AS i LEFT JOIN {quote_ident(table)} AS t ON {on}"
    )
    con.execute(
        f"DELETE FROM {quote_ident(table)} WHERE ({key_list}) IN "
        f"(SELECT {key_list} FROM {fate} WHERE fate = 'update')"
    )
    con.execute(
        f"INSERT INTO {quote_ident(table)} ({col_list}) "
        f"SELECT {col_list} FROM {fate} WHERE fate IN ('new', 'update')"
    )
    counts = dict(con.execute(f"SELECT fate, count(*) FROM {fate} GROUP BY fate").fetchall())
    c.records += sum(counts.values())
    c.added += counts.get("new", 0)
    c.updated += counts.get("update", 0)
    c.unchanged += counts.get("same", 0)
    c.older += counts.get("older", 0)
    changed = "fate IN ('new', 'update')"
    if table == "orders":
        con.execute(
            f"INSERT INTO {CHANGED_DAYS} SELECT seller_id, sku, purchase_date::DATE FROM {fate} "
            f"WHERE {changed} UNION ALL SELECT old_seller_id, old_sku, old_purchase_date::DATE "
            f"FROM {fate} WHERE fate = 'update'"
        )
        # status or commingling may have changed: the order's events are derived again
        con.execute(
            f"INSERT INTO {CHANGED_EVENTS} SELECT seller_id, sku FROM {fate} WHERE fate = 'update'"
        )
        con.execute(f"INSERT INTO {_NEW_ORDERS} SELECT {key_list} FROM {fate} WHERE fate = 'new'")
    elif table == "feedback":
        con.execute(
            f"INSERT INTO {CHANGED_EVENTS} SELECT seller_id, sku FROM {fate} WHERE {changed} "
            f"UNION ALL SELECT old_seller_id, old_sku FROM {fate} WHERE fate = 'update'"
        )
    elif table == "offers":
        # the channel decides whether a SWITCHEROO is the fulfilment centre's (caused_by)
        con.execute(
            f"INSERT INTO {CHANGED_EVENTS} SELECT seller_id, sku FROM {fate} WHERE {changed}"
        )
        if counts.get("update", 0):
            result.offers_changed = True  # categories or prices may have moved peer groups
    if day:
        first = con.execute(
            f"SELECT least(min({day}), min(old_{day})) FROM {fate} WHERE {changed}"
        ).fetchall()[0][0]
        _note_day(result, first)
    drop(con, fate)


# --------------------------------------------------------------------------------------
# Tables


def _replace(
    con: duckdb.DuckDBPyConnection, table: str, parts: list[Part], result: MergeResult
) -> None:
    """Offers, feedback, actions: one row per key (the last file's), replacing stored ones."""
    columns = _cols(table)
    keys = ", ".join(quote_ident(k) for k in KEYS[table])
    cols = ", ".join(quote_ident(c) for c in columns)
    incoming = new_name(con, f"incoming_{table}")
    # One row per key: the last file's (each part holds a key at most once).
    con.execute(
        f"CREATE TEMP TABLE {incoming} AS SELECT {cols} FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY _part DESC) AS _n "
        f"FROM ({_union(parts, columns)})) WHERE _n = 1"
        if len(parts) > 1
        else f"CREATE TEMP TABLE {incoming} AS SELECT {cols} FROM {quote_ident(parts[0].stage)}"
    )
    if table == "feedback":
        _first_refund_posting(con, incoming, parts)
    result._count(table).rows += sum(p.source.rows for p in parts if p.kind == table)
    _apply(con, table, incoming, result)
    drop(con, incoming)


def _first_refund_posting(con: duckdb.DuckDBPyConnection, incoming: str, parts: list[Part]) -> None:
    """A settlement refund (one event per order and SKU) is dated by its first posting,
    whichever settlement file and whichever import brought it: the amount rows of one refund
    can fall into consecutive settlements, imported in any order. (Other feedback follows
    "the later import wins".)"""
    settled = [p for p in parts if p.source.table == "settlement"]  # amazon.settlement.KIND
    if not settled:
        return
    union = _union(settled, ["feedback_id", "event_date"])
    con.execute(
        f"UPDATE {incoming} AS i SET event_date = e.first FROM (SELECT feedback_id, "
        f"min(event_date) AS first FROM (SELECT feedback_id, event_date FROM ({union}) "
        f"UNION ALL SELECT feedback_id, event_date FROM feedback WHERE source = 'refund' "
        f"AND feedback_id IN (SELECT feedback_id FROM ({union}))) GROUP BY feedback_id) AS e "
        f"WHERE i.feedback_id = e.feedback_id AND e.first < i.event_date"
    )


def _orders(con: duckdb.DuckDBPyConnection, parts: list[Part], result: MergeResult) -> None:
    columns = _cols("orders")
    cols = ", ".join(quote_ident(c) for c in columns)
    lines = new_name(con, "order_lines")
    con.execute(
        f"CREATE TEMP VIEW {lines} AS "
        + (
            f"SELECT {cols} FROM ({_union(parts, columns)})"
            if len(parts) > 1
            else f"SELECT {cols} FROM {quote_ident(parts[0].stage)}"
        )
    )
    result._count("orders").rows += sum(p.source.rows for p in parts)
    incoming, scratch = _merge_lines(con, lines)
    _apply(con, "orders", incoming, result, older="i.updated_at < t.updated_at")
    drop(con, *scratch, lines)


def _merge_lines(con: duckdb.DuckDBPyConnection, lines: str) -> tuple[str, list[str]]:
    """(a view with one row per (order_id, seller_id, sku), the TEMP views and tables to
    drop after it is read). Only keys with several lines are grouped: their 64-bit
    hashes are found with numpy first (a sort), far cheaper than grouping millions of text
    keys when, as usual, few repeat; the other lines pass through the view uncopied."""
    key = "hash(order_id, seller_id, sku)"
    h = np.sort(
        np.asarray(con.execute(f"SELECT {key} AS h FROM {lines}").fetchnumpy()["h"], np.uint64)
    )
    repeated = np.unique(h[1:][h[1:] == h[:-1]]) if len(h) > 1 else h[:0]
    if not len(repeated):
        return lines, []
    rep, several, out = (new_name(con, n) for n in ("repeated_keys", "orders_merged", "orders_in"))
    con.execute(
        f"CREATE TEMP TABLE {rep} AS SELECT unnest(?::UBIGINT[]) AS h", [[int(x) for x in repeated]]
    )
    not_cancelled = "status <> 'cancelled'"
    con.execute(
        f"""CREATE TEMP TABLE {several} AS
        WITH lines AS (
            SELECT DISTINCT * FROM {lines} WHERE {key} IN (SELECT h FROM {rep})
        ),
        newest AS (
            SELECT * FROM lines
            QUALIFY updated_at IS NOT DISTINCT FROM
                max(updated_at) OVER (PARTITION BY order_id, seller_id, sku)
        )
        SELECT
            order_id, seller_id, sku,
            coalesce(min(purchase_date) FILTER ({not_cancelled}), min(purchase_date))
                AS purchase_date,
            sum(quantity)::INTEGER AS quantity,
            CASE WHEN bool_and(status = 'cancelled') THEN 'cancelled'
                ELSE arg_min(status, purchase_date::VARCHAR || status) FILTER ({not_cancelled})
            END AS status,
            coalesce(bool_and(sold_by_seller) FILTER ({not_cancelled}), bool_and(sold_by_seller))
                AS sold_by_seller,
            max(updated_at) AS updated_at
        FROM newest GROUP BY order_id, seller_id, sku"""
    )
    con.execute(
        f"CREATE TEMP VIEW {out} AS SELECT * FROM {several} UNION ALL "
        f"SELECT * FROM {lines} WHERE {key} NOT IN (SELECT h FROM {rep})"
    )
    return out, [out, several, rep]


def _catalogue(con: duckdb.DuckDBPyConnection, parts: list[Part], result: MergeResult) -> None:
    """Catalogue rows (seller_id, sku, then the offer columns of CATALOGUE_COLUMNS; NULL =
    not given) set those columns of the offer, or add it."""
    given = CATALOGUE_COLUMNS
    cols = ("seller_id", "sku", *given)
    union = " UNION ALL ".join(
        f"SELECT {', '.join(cols)}, {i} AS _part FROM {quote_ident(p.stage)}"
        for i, p in enumerate(parts)
    )
    incoming = new_name(con, "incoming_catalogue")
    con.execute(
        f"CREATE TEMP TABLE {incoming} AS SELECT * EXCLUDE (_part, _n) FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY seller_id, sku ORDER BY _part DESC) AS _n "
        f"FROM ({union})) WHERE _n = 1"
    )
    select = ", ".join(
        f"c.{c}"
        if c in ("seller_id", "sku")
        else f"coalesce(c.{c}, o.{c}) AS {c}"
        if c in given
        else f"o.{c}"
        for c in _cols("offers")
    )
    merged = new_name(con, "catalogue_offers")
    con.execute(
        f"CREATE TEMP TABLE {merged} AS SELECT {select} FROM {incoming} AS c "
        f"LEFT JOIN offers AS o USING (seller_id, sku)"
    )
    result._count("catalogue").rows += sum(p.source.rows for p in parts)
    _apply(con, "offers", merged, result, counts_as="catalogue")
    drop(con, incoming, merged)


def _report_offers(con: duckdb.DuckDBPyConnection, parts: list[Part], result: MergeResult) -> None:
    """Offer facts from orders reports (seller_id, sku, asin, title, fulfilment, price,
    created_at) fill what the store leaves empty; unknown SKUs become Uncategorised offers."""
    facts = "seller_id, sku, asin, title, fulfilment, price, created_at"
    union = " UNION ALL ".join(f"SELECT {facts} FROM {quote_ident(p.stage)}" for p in parts)
    incoming = new_name(con, "incoming_report_offers")
    con.execute(
        f"CREATE TEMP TABLE {incoming} AS SELECT seller_id, sku, any_value(asin) AS asin, "
        f"any_value(title) AS title, any_value(fulfilment) AS fulfilment, "
        f"median(price) AS price, min(created_at) AS created_at FROM ({union}) GROUP BY ALL"
    )
    merged = new_name(con, "report_offers")
    uncategorised = f"'{store.UNCATEGORISED}'"
    select = []
    for c in _cols("offers"):
        if c in ("seller_id", "sku"):
            select.append(f"r.{c}")
        elif c in ("asin", "title", "fulfilment"):
            select.append(f"coalesce(o.{c}, r.{c}) AS {c}")
        elif c == "price":
            select.append("coalesce(o.price, CAST(r.price AS DECIMAL(12, 2))) AS price")
        elif c == "created_at":
            select.append(
                "CASE WHEN o.seller_id IS NULL THEN r.created_at "
                "ELSE least(o.created_at, r.created_at) END AS created_at"
            )
        elif c in ("category", "subcategory"):
            select.append(
                f"CASE WHEN o.seller_id IS NULL THEN {uncategorised} ELSE o.{c} END AS {c}"
            )
        else:
            select.append(f"o.{c}")
    con.execute(
        f"CREATE TEMP TABLE {merged} AS SELECT {', '.join(select)} FROM {incoming} AS r "
        f"LEFT JOIN offers AS o USING (seller_id, sku)"
    )
    _apply(con, "offers", merged, result, counts_as="report_offers")
    drop(con, incoming, merged)


def _benchmark(con: duckdb.DuckDBPyConnection, parts: list[Part], result: MergeResult) -> None:
    """Benchmark rows replace stored ones of the same (category, subcategory, price band)."""
    cols = "category, subcategory, price_band, peer_rate, peer_offers"
    union = " UNION ALL ".join(
        f"SELECT {cols}, {i} AS _part FROM {quote_ident(p.stage)}" for i, p in enumerate(parts)
    )
    incoming = new_name(con, "incoming_benchmark")
    con.execute(
        f"CREATE TEMP TABLE {incoming} AS SELECT {cols} FROM (SELECT *, row_number() OVER "
        f"(PARTITION BY category, subcategory, price_band ORDER BY _part DESC) AS _n "
        f"FROM ({union})) WHERE _n = 1"
    )
    same_key = (
        "b.category = i.category AND b.subcategory IS NOT DISTINCT FROM i.subcategory "
        "AND b.price_band IS NOT DISTINCT FROM i.price_band"
    )
    counts = con.execute(
        f"SELECT count(*) FILTER (b.category IS NULL), "
        f"count(*) FILTER (b.category IS NOT NULL AND NOT ({_same(('peer_rate', 'peer_offers'), 'i', 'b')})), "
        f"count(*) FILTER (b.category IS NOT NULL AND {_same(('peer_rate', 'peer_offers'), 'i', 'b')}) "
        f"FROM {incoming} AS i LEFT JOIN benchmark AS b ON {same_key}"
    ).fetchall()[0]
    con.execute(
        f"DELETE FROM benchmark AS b WHERE EXISTS (SELECT 1 FROM {incoming} AS i WHERE {same_key})"
    )
    con.execute(f"INSERT INTO benchmark ({cols}) SELECT {cols} FROM {incoming}")
    c = result._count("benchmark")
    c.rows += sum(p.source.rows for p in parts)
    c.records += sum(counts)
    c.added, c.updated, c.unchanged = (
        c.added + counts[0],
        c.updated + counts[1],
        c.unchanged + counts[2],
    )
    if counts[0] or counts[1]:
        result.offers_changed = True  # peer rates moved: evaluate everything again
    drop(con, incoming)


def _seller_feedback(con: duckdb.DuckDBPyConnection, part: Part, result: MergeResult) -> Part:
    """Seller feedback names an order, not an offer: one event per offer of the order.
    Rows whose order is not in the store are skipped, with a warning."""
    q = quote_ident(part.stage)
    unknown = con.execute(
        f"SELECT count(*) OVER (), {part.rowid}, order_id FROM {q} AS s WHERE NOT EXISTS "
        f"(SELECT 1 FROM orders AS o WHERE o.order_id = s.order_id AND o.seller_id = s.seller_id) "
        f"ORDER BY {part.rowid} LIMIT ?",
        [_EXAMPLES],
    ).fetchall()
    if unknown:
        rows = part.source.rows_of([r[1] for r in unknown])
        result.warnings.append(
            Warning_(
                part.source.file,
                unknown[0][0],
                "seller feedback for an order that is not in the store, skipped (import its "
                "orders report too)",
                [f"row {row}: order {short(r[2])}" for row, r in zip(rows, unknown, strict=True)],
            )
        )
    out = new_name(con, "seller_feedback_events")
    fb = _cols("feedback")
    select = ", ".join(
        "s.feedback_id || '-' || o.sku AS feedback_id"
        if c == "feedback_id"
        else "o.sku"
        if c == "sku"
        else f"s.{c}"
        for c in fb
    )
    con.execute(
        f"CREATE TEMP TABLE {out} AS SELECT {select}, s.{part.rowid} AS _rowid FROM {q} AS s "
        f"JOIN (SELECT DISTINCT order_id, seller_id, sku FROM orders) AS o "
        f"ON o.order_id = s.order_id AND o.seller_id = s.seller_id"
    )
    return Part("feedback", out, part.source, "_rowid")


# --------------------------------------------------------------------------------------
# Warnings


def _examples(
    con: duckdb.DuckDBPyConnection, part: Part, where: str, shown: str, params: list | None = None
) -> tuple[int, list[str]]:
    """(rows of ``part`` matching ``where``, a few of them as 'row N: value'); the stage is
    aliased ``s`` for correlated conditions."""
    rows = con.execute(
        f"SELECT count(*) OVER (), s.{part.rowid}, {shown} FROM {quote_ident(part.stage)} AS s "
        f"WHERE {where} ORDER BY s.{part.rowid} LIMIT {_EXAMPLES}",
        params or [],
    ).fetchall()
    if not rows:
        return 0, []
    lines = part.source.rows_of([r[1] for r in rows])
    return rows[0][0], [f"row {n}: {short(r[2], 40)}" for n, r in zip(lines, rows, strict=True)]


_UNKNOWN_OFFER = (
    "NOT EXISTS (SELECT 1 FROM offers AS o WHERE o.seller_id = s.seller_id AND o.sku = s.sku)"
)


def _warn_orders(con: duckdb.DuckDBPyConnection, part: Part, result: MergeResult) -> None:
    statuses = {
        r[0]
        for r in con.execute(f"SELECT DISTINCT status FROM {quote_ident(part.stage)}").fetchall()
    }
    unknown = sorted(statuses - KNOWN_STATUSES)
    n, eg = (
        _examples(con, part, "list_contains(?::VARCHAR[], status)", "status", [unknown])
        if unknown
        else (0, [])
    )
    if n:
        result.warnings.append(
            Warning_(
                part.source.file,
                n,
                "an unknown order status, counted as orders",
                eg,
            )
        )
    if not part.check_offers:  # an orders report brings its own offers
        return
    n, eg = _examples(con, part, _UNKNOWN_OFFER, "s.sku")
    if n:
        result.warnings.append(
            Warning_(
                part.source.file,
                n,
                "orders of an offer the store does not know, stored: they count once the "
                "offer is imported",
                eg,
            )
        )


def _warn_feedback(con: duckdb.DuckDBPyConnection, part: Part, result: MergeResult) -> None:
    n, eg = _examples(con, part, _UNKNOWN_OFFER, "s.sku")
    if n:
        result.warnings.append(
            Warning_(
                part.source.file,
                n,
                "feedback for an offer the store does not know, stored: it counts once the "
                "offer's orders are imported",
                eg,
            )
        )
    codes = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT reason_code FROM {quote_ident(part.stage)} WHERE reason_code IS NOT NULL"
        ).fetchall()
    ]
    unknown = [c for c in codes if not themes.is_known_reason(c)]
    if unknown:
        n, eg = _examples(
            con, part, "list_contains(?::VARCHAR[], reason_code)", "reason_code", [unknown]
        )
        result.warnings.append(
            Warning_(
                part.source.file,
                n,
                "a reason code this version does not know: the comment decides the theme, "
                "as for OTHER",
                eg,
            )
        )
