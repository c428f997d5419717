"""The ``report`` command's table: one row per offer, REPORT_COLUMNS, CSV or JSON."""

from __future__ import annotations

import json
from datetime import date
from typing import TextIO

import duckdb
import polars as pl

from engine.exports import neutralise_frame
from engine.health import REPORT_COLUMNS, Viewer, offer_health
from engine.policy import DEFAULT_POLICY, Policy


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
