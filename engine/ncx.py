"""Window metrics: orders and NCX orders per offer for a window ending at effective days.

Reads only the derived rollups (offer_day, offer_ncx_day, events), never raw order rows.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from engine import sql


def _query(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> pl.DataFrame:
    return con.sql(sql.load(name), params=params).pl()


def _orders_and_ncx(
    con: duckdb.DuckDBPyConnection,
    inputs: tuple[str, pl.DataFrame],
    queries: tuple[str, str],
    window_days: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run an (orders, ncx) pair of window queries over one registered input frame.

    Same connection, not a cursor: inside an import's transaction only it sees the
    freshly rebuilt rollups. Callers that serve requests pass a cursor of their own.
    """
    name, frame = inputs
    con.register(name, frame.to_arrow())
    try:
        params = {"window": window_days}
        orders = _query(con, queries[0], params).with_columns(
            pl.col("orders", "commingled_orders").cast(pl.Int64)
        )
        ncx = _query(con, queries[1], params).with_columns(
            pl.col("ncx_orders", "commented").cast(pl.Int64)
        )
    finally:
        con.unregister(name)
    return orders, ncx


def window_metrics(
    con: duckdb.DuckDBPyConnection, days: list[date], *, window_days: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Orders and NCX orders of every offer for windows of ``window_days`` ending at ``days``.

    Returns two frames:
    - orders: ``e, seller_id, sku, orders, commingled_orders`` (offers with >= 1 order only);
    - ncx: ``e, seller_id, sku, theme, ncx_orders, commented`` per theme of the NCX orders'
      first counted event; uncapped (the caller caps k at n).
    ``e`` is the effective (last) day of the window; the window is [e - W + 1, e].
    """
    eval_days = pl.DataFrame({"e": sorted(set(days))}, schema={"e": pl.Date})
    return _orders_and_ncx(
        con, ("eval_days", eval_days), ("window_orders", "window_ncx"), window_days
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
        window_days,
    )
