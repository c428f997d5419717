"""Window metrics: orders and NCX orders per offer for a window ending at effective days.

Reads only the derived rollups (offer_day, offer_ncx_day, events), never raw order rows.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from engine import sql

_COUNTS = ("orders", "commingled_orders", "recent_orders", "ncx_orders", "commented",
           "recent_ncx_orders")  # fmt: skip


def _counts(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(c).cast(pl.Int64) for c in _COUNTS if c in frame.columns)


def _query(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> pl.DataFrame:
    return con.sql(sql.load(name), params=params).pl()


def _orders_and_ncx(
    con: duckdb.DuckDBPyConnection,
    inputs: tuple[str, pl.DataFrame],
    queries: tuple[str, str],
    params: dict,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run an (orders, ncx) pair of window queries over one registered input frame.

    Same connection, not a cursor: inside an import's transaction only it sees the
    freshly rebuilt rollups. Callers that serve requests pass a cursor of their own.
    """
    name, frame = inputs
    con.register(name, frame.to_arrow())
    try:
        orders = _counts(_query(con, queries[0], params))
        ncx = _counts(_query(con, queries[1], params))
    finally:
        con.unregister(name)
    return orders, ncx


def window_metrics(
    con: duckdb.DuckDBPyConnection,
    days: list[date],
    *,
    window_days: int,
    recent_days: int | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Orders and NCX orders of every offer for windows of ``window_days`` ending at ``days``.

    Returns two frames:
    - orders: ``e, seller_id, sku, orders, commingled_orders, recent_orders`` (offers with
      >= 1 order only);
    - ncx: ``e, seller_id, sku, theme, ncx_orders, commented, recent_ncx_orders`` per theme
      of the NCX orders' first counted event; uncapped (the caller caps k at n).
    ``e`` is the effective (last) day of the window; the window is [e - W + 1, e]. The
    ``recent_*`` columns count the same of the last ``recent_days`` of it (default: the
    whole window; at most ``window_days``), from the same scan (engine.risk's recent days).
    """
    recent = window_days if recent_days is None else recent_days
    if not 0 < recent <= window_days:
        raise ValueError(f"recent_days {recent} is not within the window of {window_days}")
    eval_days = pl.DataFrame({"e": sorted(set(days))}, schema={"e": pl.Date})
    return _orders_and_ncx(
        con,
        ("eval_days", eval_days),
        ("window_orders", "window_ncx"),
        {"window": window_days, "recent": recent},
    )


def last_updated(con: duckdb.DuckDBPyConnection, targets: pl.DataFrame) -> pl.DataFrame:
    """Latest day on or before each target's ``e`` of a non-cancelled order or counted event.

    ``targets``: ``seller_id, sku, e``. Returns ``seller_id, sku, last_updated`` for the
    targets that have any such day.
    """
    con.register("eval_offers", targets.select("seller_id", "sku", "e").to_arrow())
    try:
        return _query(con, "last_updated", {})
    finally:
        con.unregister("eval_offers")


def offer_window_metrics(
    con: duckdb.DuckDBPyConnection, targets: pl.DataFrame, *, window_days: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``window_metrics`` for given offers only, each at its own day.

    ``targets``: ``seller_id, sku, e``. Same two frames as ``window_metrics``.
    """
    return _orders_and_ncx(
        con,
        ("eval_offers", targets.select("seller_id", "sku", "e")),
        ("offer_window_orders", "offer_window_ncx"),
        {"window": window_days},
    )
