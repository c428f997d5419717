"""What customers complain about, per offer and per peer group: the mix of themes.

The unit is the NCX order (docs/health.md): an order's theme is that of its first counted
event (``offer_ncx_day``), so delivery problems and buyer's remorse, which never count,
never appear, and an order with several complaints counts once. A theme's share is its NCX
orders divided by all NCX orders of the same side (the offer, its peers, or the whole group)
so the shares of a side sum to 1. No viewer here: ``engine.service`` decides which offers
are passed in.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from engine import sql

SIDES = ("offer", "peer", "group")


def _with_offers(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame, query: str, params: dict):
    con.register("eval_offers", keys.to_arrow())
    try:
        return con.sql(query, params=params).pl()
    finally:
        con.unregister("eval_offers")


def _keys(offer: tuple[str, str], peers: pl.DataFrame) -> pl.DataFrame:
    """The offer then its peers (``seller_id, sku``), with ``mine`` marking the offer."""
    me = pl.DataFrame({"seller_id": [offer[0]], "sku": [offer[1]], "mine": [True]})
    others = peers.select("seller_id", "sku").with_columns(mine=pl.lit(False))
    return pl.concat([me, others]).unique(["seller_id", "sku"], keep="first")


def _sides(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """NCX orders per ``by`` of the offer (``mine``), its peers and both together."""
    return frame.group_by(by).agg(
        offer_ncx=pl.col("ncx_orders").filter(pl.col("mine")).sum(),
        peer_ncx=pl.col("ncx_orders").filter(~pl.col("mine")).sum(),
        group_ncx=pl.col("ncx_orders").sum(),
    )


def _shares(frame: pl.DataFrame, over: list[str]) -> pl.DataFrame:
    """``<side>_share`` = the side's NCX orders / all the side's NCX orders in ``over``
    (null where the side has none)."""
    out = frame
    for side in SIDES:
        total = pl.col(f"{side}_ncx").sum().over(over) if over else pl.col(f"{side}_ncx").sum()
        out = out.with_columns(
            pl.when(total > 0).then(pl.col(f"{side}_ncx") / total).alias(f"{side}_share")
        )
    return out


def theme_shares(
    con: duckdb.DuckDBPyConnection,
    offer: tuple[str, str],
    peers: pl.DataFrame,
    *,
    e: date,
    window_days: int,
) -> pl.DataFrame:
    """NCX orders by theme of ``offer`` (seller_id, sku) and of ``peers`` (seller_id, sku;
    the offer itself is left out of them if present) in the window ``[e - window_days + 1,
    e]``, counted as for the NCX rate (orders purchased in the window with a first counted
    event on or before ``e``, plus unlinked counted events dated in the window; uncapped).

    Returns one row per theme that any side has: ``theme, offer_ncx, offer_share,
    peer_ncx, peer_share, group_ncx, group_share`` (``group`` = offer and peers together;
    shares are fractions, null when the side has no NCX order), the offer's most frequent
    theme first (ties alphabetical, as the top NCX reason).
    """
    keys = _keys(offer, peers)
    return shares_from(window_counts(con, keys, e=e, window_days=window_days), keys)


def window_counts(
    con: duckdb.DuckDBPyConnection, keys: pl.DataFrame, *, e: date, window_days: int
) -> pl.DataFrame:
    """NCX orders by theme of each of ``keys`` (seller_id, sku) in the window ending on
    ``e``: ``seller_id, sku, theme, ncx_orders`` (offer_window_ncx.sql; per offer, so the
    counts of a set of offers are the rows of each)."""
    return _with_offers(
        con,
        keys.select("seller_id", "sku", e=pl.lit(e, dtype=pl.Date)),
        sql.load("offer_window_ncx"),
        {"window": window_days},
    ).select("seller_id", "sku", "theme", pl.col("ncx_orders").cast(pl.Int64))


def shares_from(counts: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """``theme_shares`` from the ``window_counts`` of (at least) ``keys`` (``_keys``)."""
    frame = counts.join(keys, on=["seller_id", "sku"])
    if frame.is_empty():
        return _empty_shares()
    return (
        _shares(_sides(frame, ["theme"]), [])
        .sort(["offer_ncx", "theme"], descending=[True, False])
        .select("theme", *(f"{s}_{c}" for s in SIDES for c in ("ncx", "share")))
    )


def _empty_shares() -> pl.DataFrame:
    schema = {"theme": pl.String}
    for side in SIDES:
        schema |= {f"{side}_ncx": pl.Int64, f"{side}_share": pl.Float64}
    return pl.DataFrame(schema=schema)


def theme_weeks(
    con: duckdb.DuckDBPyConnection,
    offer: tuple[str, str],
    peers: pl.DataFrame,
    *,
    start: date,
    e: date,
    return_lag_days: int,
    rolling_weeks: int = 4,
) -> pl.DataFrame:
    """Weekly theme mix of ``offer`` and ``peers`` by week of purchase (Monday) from the
    week of ``start``, matured weeks only: weeks that ended at least ``return_lag_days``
    before ``e`` (the trend's "still maturing" weeks are left out: their returns have not
    all arrived, and the complaints that arrive first are not a fair sample of the themes).

    A week's NCX orders are those among its purchases that had a counted event by ``e``
    (linked orders only, as the trend). As the trend reads trailing 4-week rates, the mix
    of a week is that of the ``rolling_weeks`` weeks ending with it (single weeks hold one
    or two NCX orders). Returns ``week, theme`` and per side (offer, peer, group)
    ``<side>_ncx`` (the week's NCX orders of the theme), ``<side>_ncx4`` (those of the
    trailing weeks) and ``<side>_share`` (``<side>_ncx4`` over all themes' that week: they
    sum to 1 per week and side; null when the side has none in those weeks), for the
    (week, theme) pairs where any side has some. Ordered by week, then theme.
    """
    keys = _keys(offer, peers)
    counts = week_counts(con, keys, start=start, e=e)
    return weeks_from(counts, keys, start=start, e=e, return_lag_days=return_lag_days,
                      rolling_weeks=rolling_weeks)  # fmt: skip


def week_counts(con: duckdb.DuckDBPyConnection, keys: pl.DataFrame, *, start: date, e: date):
    """NCX orders by week of purchase and theme of each of ``keys`` from ``start`` to
    ``e`` (theme_weeks.sql; per offer): ``seller_id, sku, week, theme, ncx_orders``."""
    return _with_offers(
        con, keys.select("seller_id", "sku"), sql.load("theme_weeks"), {"start": start, "e": e}
    ).with_columns(pl.col("ncx_orders").cast(pl.Int64))


def weeks_from(
    counts: pl.DataFrame,
    keys: pl.DataFrame,
    *,
    start: date,
    e: date,
    return_lag_days: int,
    rolling_weeks: int = 4,
) -> pl.DataFrame:
    """``theme_weeks`` from the ``week_counts`` (from ``start`` to ``e``) of (at least)
    ``keys`` (``_keys``)."""
    last_week = _last_matured_week(e, return_lag_days)
    first_week = start - timedelta(days=start.weekday())
    if last_week < first_week:
        return _empty_weeks()
    frame = counts.join(keys, on=["seller_id", "sku"]).filter(pl.col("week") <= last_week)
    if frame.is_empty():
        return _empty_weeks()
    weekly = _sides(frame, ["week", "theme"])
    calendar = pl.DataFrame({"week": pl.date_range(first_week, last_week, "1w", eager=True)}).join(
        weekly.select("theme").unique(), how="cross"
    )
    trailing = {"window_size": rolling_weeks, "min_samples": 1}
    dense = (
        calendar.join(weekly, on=["week", "theme"], how="left")
        .with_columns(pl.col(f"{s}_ncx" for s in SIDES).fill_null(0))
        .sort("theme", "week")
        .with_columns(
            pl.col(f"{s}_ncx").rolling_sum(**trailing).over("theme").alias(f"{s}_ncx4")
            for s in SIDES
        )
    )
    out = dense
    for side in SIDES:
        total = pl.col(f"{side}_ncx4").sum().over("week")
        out = out.with_columns(
            pl.when(total > 0).then(pl.col(f"{side}_ncx4") / total).alias(f"{side}_share")
        )
    return (
        out.filter(pl.sum_horizontal(f"{s}_ncx4" for s in SIDES) > 0)
        .sort("week", "theme")
        .select("week", "theme", *WEEK_COLUMNS)
    )


WEEK_COLUMNS = tuple(f"{s}_{c}" for s in SIDES for c in ("ncx", "ncx4", "share"))


def _last_matured_week(e: date, return_lag_days: int) -> date:
    """The Monday of the last week whose Sunday is on or before ``e - return_lag_days``
    (the trend draws the later weeks as still maturing)."""
    cutoff = e - timedelta(days=return_lag_days)
    monday = cutoff - timedelta(days=cutoff.weekday())
    return monday if monday + timedelta(days=6) <= cutoff else monday - timedelta(weeks=1)


def _empty_weeks() -> pl.DataFrame:
    schema = {"week": pl.Date, "theme": pl.String}
    for column in WEEK_COLUMNS:
        schema[column] = pl.Float64 if column.endswith("share") else pl.Int64
    return pl.DataFrame(schema=schema)


def theme_examples(
    con: duckdb.DuckDBPyConnection,
    offers: pl.DataFrame,
    *,
    e: date,
    window_days: int,
    examples: int = 2,
    phrases: int = 3,
) -> pl.DataFrame:
    """Example comments per theme of ``offers`` (seller_id, sku: the caller passes only
    offers whose comments the viewer may read): counted events dated in ``[e -
    window_days + 1, e]`` with a non-empty comment. Returns ``theme, comments`` (how many)
    and ``examples`` (up to ``examples`` structs of ``event_day, seller_id, sku,
    comment``, newest first) and ``phrases`` (up to ``phrases`` structs of ``phrase,
    comments``: the lexicon's matched text that decided most of them), one row per theme
    that has any."""
    if offers.is_empty():
        return _empty_examples()
    found = _with_offers(
        con,
        offers.select("seller_id", "sku"),
        sql.load("theme_examples"),
        {
            "start": e - timedelta(days=window_days - 1),
            "e": e,
            "examples": examples,
            "phrases": phrases,
        },
    )
    return found if found.height else _empty_examples()


def offer_examples(
    con: duckdb.DuckDBPyConnection, *, e: date, window_days: int, examples: int = 2
) -> pl.DataFrame:
    """Every offer's example comments per theme in ``[e - window_days + 1, e]``
    (theme_examples_offers.sql), for ``examples_from`` to combine for any set of offers."""
    return con.sql(
        sql.load("theme_examples_offers"),
        params={"start": e - timedelta(days=window_days - 1), "e": e, "examples": examples},
    ).pl()


def examples_from(
    per_offer: pl.DataFrame, offers: pl.DataFrame, *, examples: int = 2, phrases: int = 3
) -> pl.DataFrame:
    """``theme_examples`` of ``offers`` (seller_id, sku) from ``offer_examples``: per
    theme the comments summed, the newest ``examples`` of all the offers' newest, and the
    ``phrases`` phrases that decided most comments in all (ties alphabetical)."""
    frame = per_offer.join(offers.select("seller_id", "sku").unique(), on=["seller_id", "sku"])
    if frame.is_empty():
        return _empty_examples()
    counts = frame.group_by("theme").agg(pl.col("comments").sum())
    newest = (
        frame.select("theme", "examples")
        .explode("examples")
        .unnest("examples")
        .sort(["theme", "event_date", "feedback_id"], descending=[False, True, False])
        .group_by("theme", maintain_order=True)
        .head(examples)
        .group_by("theme", maintain_order=True)
        .agg(examples=pl.struct("event_day", "seller_id", "sku", "comment"))
    )
    said = (
        frame.select("theme", "phrases")
        .explode("phrases")
        .drop_nulls("phrases")
        .unnest("phrases")
        .group_by("theme", "phrase")
        .agg(pl.col("comments").sum())
        .sort(["theme", "comments", "phrase"], descending=[False, True, False])
        .group_by("theme", maintain_order=True)
        .head(phrases)
        .group_by("theme", maintain_order=True)
        .agg(phrases=pl.struct("phrase", "comments"))
    )
    empty = pl.lit([], dtype=_empty_examples().schema["phrases"])
    return (
        counts.join(newest, on="theme", how="left")
        .join(said, on="theme", how="left")
        .with_columns(pl.col("phrases").fill_null(empty))
        .sort("theme")
        .select("theme", "comments", "examples", "phrases")
    )


def _empty_examples() -> pl.DataFrame:
    example = pl.Struct(
        {"event_day": pl.Date, "seller_id": pl.String, "sku": pl.String, "comment": pl.String}
    )
    phrase = pl.Struct({"phrase": pl.String, "comments": pl.Int64})
    return pl.DataFrame(
        schema={
            "theme": pl.String,
            "comments": pl.Int64,
            "examples": pl.List(example),
            "phrases": pl.List(phrase),
        }
    )
