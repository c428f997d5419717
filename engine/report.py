"""The ``report`` command's tables, CSV or JSON: one row per offer (REPORT_COLUMNS), per
feedback event (``--events``: EVENT_COLUMNS) or per event of one offer's NCX orders
(``--ncx-orders``: NCX_ORDER_COLUMNS)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TextIO

import duckdb
import polars as pl

from engine import sql, store, traced
from engine.exports import neutralise_frame
from engine.health import REPORT_COLUMNS, Viewer, offer_health
from engine.policy import DEFAULT_POLICY, Policy

EVENT_COLUMNS: tuple[str, ...] = (
    "feedback_id",
    "seller_id",
    "sku",
    "order_id",
    "event_date",
    "source",
    "reason_code",
    "rating",
    "issue_type",
    "theme",
    "counted",
    "not_counted_reason",
    "decided_by",
    "caused_by",
)
NCX_ORDER_COLUMNS: tuple[str, ...] = (
    "order_id",
    "purchase_day",
    "feedback_id",
    "event_date",
    "source",
    "reason_code",
    "rating",
    "issue_type",
    "theme",
    "comment",
    "counted",
    "not_counted_reason",
    "decided_by",
    "caused_by",
    "commingled",
    "order_caused_by",
)


def report_frame(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    seller_id: str | None = None,
    category: str | None = None,
    policy: Policy = DEFAULT_POLICY,
    stored: bool = True,
    at_risk: bool = False,
) -> pl.DataFrame:
    """REPORT_COLUMNS for every offer (optionally one seller's and/or one category's).

    ``at_risk``: only the offers at risk (engine.risk), with ``at_risk_reason`` added.

    Offers created after ``as_of`` are left out; ``as_of`` defaults to the latest day in
    the data. Sorted by seller and SKU so runs diff cleanly. ``stored``: see
    ``offer_health`` (False always computes).
    """
    viewer = Viewer("seller", seller_id) if seller_id else Viewer()
    frame = offer_health(
        con, as_of=as_of, window_days=window_days, policy=policy, viewer=viewer, stored=stored
    )
    if category:
        frame = frame.filter(pl.col("category") == category)
    if at_risk:
        return (
            frame.filter("at_risk")
            .select(*REPORT_COLUMNS, "at_risk_reason")
            .sort("seller_id", "sku")
        )
    return frame.select(REPORT_COLUMNS).sort("seller_id", "sku")


def events_frame(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    seller_id: str | None = None,
    category: str | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> pl.DataFrame:
    """EVENT_COLUMNS for every feedback event dated in the window ``[as_of - window_days
    + 1, as_of]`` (optionally one seller's and/or one category's offers), counted or not.
    ``as_of`` defaults to the latest day with an order, ``window_days`` to the policy's.
    event_date is an ISO text (UTC, no zone); sorted by seller, SKU, time, id."""
    e = as_of or store.latest_day(con)
    window = window_days or policy.window_days
    if e is None:
        return pl.DataFrame(schema={c: pl.String for c in EVENT_COLUMNS})
    params = {
        "start": e - timedelta(days=window - 1),
        "e": e,
        "seller_id": seller_id,
        "category": category,
    }
    frame = con.sql(sql.load("report_events"), params=params).pl()
    return frame.with_columns(pl.col("rating").cast(pl.Int64)).select(EVENT_COLUMNS)


def ncx_order_frame(
    con: duckdb.DuckDBPyConnection,
    seller_id: str,
    sku: str,
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> pl.DataFrame | None:
    """NCX_ORDER_COLUMNS: one row per event of each NCX order of one offer in its window
    (engine.traced, as the page's offer detail lists them), newest purchase first; None
    when the offer is not evaluated at ``as_of`` (unknown, or created after it). A deleted
    listing's window ends at its deletion day, as for its health."""
    from engine.service import VocService

    service = VocService.over(con, policy)
    service.prefetch_trends = False
    window = window_days or policy.window_days
    me = service.offer(Viewer("seller", seller_id), as_of or store.latest_day(con), window,
                       seller_id, sku)  # fmt: skip
    if me is None:
        return None
    events = traced.ncx_order_events(con, seller_id, sku, me["e"], window)
    return events.with_columns(pl.col("event_date").dt.strftime("%Y-%m-%dT%H:%M:%S")).select(
        NCX_ORDER_COLUMNS
    )


def _cell(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_report(frame: pl.DataFrame, out: TextIO, fmt: str = "csv") -> None:
    """CSV (empty cells for no value, rates at full precision, ISO days, true/false) or
    JSON (a list of objects, null for no value)."""
    if fmt == "json":
        rows = [{k: _cell(v) for k, v in r.items()} for r in frame.iter_rows(named=True)]
        json.dump(rows, out, ensure_ascii=False, indent=1)
        out.write("\n")
        return
    # repr() of a Python float is the shortest string that reads back exactly; text that a
    # spreadsheet would evaluate (=HYPERLINK(...), +cmd|...) is made inert.
    text = (
        neutralise_frame(frame)
        .with_columns(
            [
                pl.col(c).map_elements(repr, return_dtype=pl.String)
                for c, t in frame.schema.items()
                if t == pl.Float64
            ]
        )
        .write_csv(null_value="", date_format="%Y-%m-%d")
    )
    out.write(text)
