"""Early warning: offers at risk while their health is still fair or better (docs/health.md).

An offer evaluated at effective day ``e`` with health excellent, good or fair (and not a
deleted listing) is at risk when either

- ``recent_surge``: over the recent days ``[e - 29, e]`` (policy.risk_recent_days) it has
  ``k30 >= 2`` NCX orders (policy.risk_min_recent_ncx; orders and NCX orders as in the
  window, k capped at n) and the low end of the Wilson interval of ``k30`` in ``n30``
  exceeds ``b30``: the pooled recent rate of the other offers of the peer group its health
  was compared with (same level, same day), floored at policy.peer_rate_floor; or
- ``theme_cluster:<theme>``: at least 3 (policy.risk_cluster_orders) of its NCX orders in
  the window have their first counted event of one theme within 7 consecutive days
  (policy.risk_cluster_days) ``[d, d + 6]`` with ``e - 29 <= d + 6 <= e``.

``at_risk_reason`` joins the reasons with ';': the surge first, then clusters by theme.
This module sits below ``engine.health``, which calls ``annotate`` on every evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import polars as pl

from engine import ncx, sql
from engine.policy import Policy
from engine.stats import wilson

ELIGIBLE = ("excellent", "good", "fair")
SURGE = "recent_surge"
CLUSTER = "theme_cluster:"
RISK_COLUMNS: tuple[str, ...] = ("at_risk", "at_risk_reason", "at_risk_explanation")


def clusters(
    con: duckdb.DuckDBPyConnection, days: list, *, window_days: int, policy: Policy
) -> pl.DataFrame:
    """Theme clusters of every offer at ``days`` (engine/sql/risk_clusters.sql).

    Returns ``e, seller_id, sku, theme, first_day, orders`` (one row per clustered theme).
    """
    eval_days = pl.DataFrame({"e": sorted(set(days))}, schema={"e": pl.Date})
    con.register("eval_days", eval_days.to_arrow())
    try:
        return con.sql(
            sql.load("risk_clusters"),
            params={
                "window": window_days,
                "recent": policy.risk_recent_days,
                "span": policy.risk_cluster_days,
                "min_orders": policy.risk_cluster_orders,
            },
        ).pl()
    finally:
        con.unregister("eval_days")


def recent_metrics(con: duckdb.DuckDBPyConnection, days: list, *, policy: Policy) -> pl.DataFrame:
    """``e, seller_id, sku, n30, k30`` of every offer with orders in the recent days
    ``[e - risk_recent_days + 1, e]`` (k capped at n), by a scan of their own."""
    recent = policy.risk_recent_days
    return recent_from_window(*ncx.window_metrics(con, days, window_days=recent))


def recent_from_window(orders: pl.DataFrame, by_theme: pl.DataFrame) -> pl.DataFrame:
    """``recent_metrics`` from the two frames of ``ncx.window_metrics`` (their
    ``recent_orders`` and ``recent_ncx_orders``: the health window's scan gives the recent
    days too when they lie inside it)."""
    keys = ["e", "seller_id", "sku"]
    k = by_theme.group_by(keys).agg(k_raw=pl.col("recent_ncx_orders").sum())
    return (
        orders.filter(pl.col("recent_orders") > 0)
        .select(*keys, n30=pl.col("recent_orders"))
        .join(k, on=keys, how="left")
        .select(*keys, "n30", k30=pl.min_horizontal(pl.col("k_raw").fill_null(0), "n30"))
    )


def recent_peer_rates(
    targets: pl.DataFrame,
    population: pl.DataFrame,
    recent: pl.DataFrame,
    level_keys: Mapping[str, tuple[str, ...]],
    *,
    policy: Policy,
) -> pl.DataFrame:
    """``b30`` per target: Σk30 ÷ Σn30 over the other offers of the group at its
    ``peer_level`` (the population its health was compared with), floored; null when the
    target has no peers (``peer_offers`` 0 or null).

    ``targets``: ``e, seller_id, sku, peer_level, peer_offers, category, subcategory,
    price_band``; ``population``: ``e, seller_id, sku`` and the level keys (offers with
    orders in the window). Returns the targets' keys with ``b30``.
    """
    keys = ["e", "seller_id", "sku"]
    pop = population.join(recent, on=keys, how="left").with_columns(
        pl.col("n30", "k30").fill_null(0)
    )
    own = targets.select(
        *keys, "peer_level", "peer_offers", "category", "subcategory", "price_band"
    )
    own = own.join(pop.select(*keys, "n30", "k30", member=pl.lit(True)), on=keys, how="left")
    parts = []
    for level, cols in level_keys.items():
        group = ["e", *cols]
        sums = pop.group_by(group).agg(s_n=pl.col("n30").sum(), s_k=pl.col("k30").sum())
        mine = own.filter(pl.col("peer_level") == level)
        if mine.is_empty():
            continue
        parts.append(mine.join(sums, on=group, how="left"))
    if not parts:
        return own.select(*keys, b30=pl.lit(None, pl.Float64))
    joined = pl.concat(parts, how="vertical_relaxed").with_columns(
        pl.col("s_n", "s_k", "n30", "k30").fill_null(0)
    )
    member = pl.col("member").fill_null(False)
    other_n = pl.col("s_n") - pl.when(member).then(pl.col("n30")).otherwise(0)
    other_k = pl.col("s_k") - pl.when(member).then(pl.col("k30")).otherwise(0)
    rate = pl.when(other_n > 0).then(other_k / other_n).otherwise(0.0)
    b30 = pl.max_horizontal(rate, pl.lit(policy.peer_rate_floor))
    return joined.select(*keys, b30=pl.when(pl.col("peer_offers").fill_null(0) > 0).then(b30))


def annotate(
    con: duckdb.DuckDBPyConnection,
    targets: pl.DataFrame,
    population: pl.DataFrame | None,
    level_keys: Mapping[str, tuple[str, ...]],
    *,
    window_days: int,
    policy: Policy,
    recent: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Add ``at_risk`` (bool), ``at_risk_reason`` (null when not at risk) and
    ``at_risk_explanation`` (the sentence quoting the numbers used) to evaluated targets.

    ``targets``: health rows with ``e, seller_id, sku, health, status, peer_level,
    peer_offers, category, subcategory, price_band``. ``population``: the peer population
    the health was computed from (see ``recent_peer_rates``); None (deleted listings,
    evaluated at scattered days) marks nothing at risk. ``recent``: ``recent_metrics`` of
    the targets' days when the caller has them already (``recent_from_window``).
    """
    keys = ["e", "seller_id", "sku"]
    if population is None or targets.is_empty():
        return targets.with_columns(
            at_risk=pl.lit(False),
            at_risk_reason=pl.lit(None, pl.String),
            at_risk_explanation=pl.lit(None, pl.String),
        )
    days = targets["e"].unique().to_list()
    if recent is None:
        recent = recent_metrics(con, days, policy=policy)
    peer = recent_peer_rates(targets, population, recent, level_keys, policy=policy)
    found = clusters(con, days, window_days=window_days, policy=policy)
    themes = (
        found.sort("theme")
        .group_by(keys, maintain_order=True)
        .agg(
            _themes=(pl.lit(CLUSTER) + pl.col("theme")).str.join(";"),
            _cluster_words=pl.format(
                "{} NCX orders about {} within {} days from {}",
                pl.col("orders"),
                pl.col("theme").str.replace_all("_", " "),
                pl.lit(policy.risk_cluster_days),
                pl.col("first_day").cast(pl.String),
            ).str.join("; "),
        )
    )
    lo, _ = wilson(pl.col("_k30"), pl.col("_n30"), z=policy.z)
    out = (
        targets.join(recent.rename({"n30": "_n30", "k30": "_k30"}), on=keys, how="left")
        .join(peer.rename({"b30": "_b30"}), on=keys, how="left")
        .join(themes, on=keys, how="left")
        .with_columns(pl.col("_n30", "_k30").fill_null(0))
        .with_columns(_lo30=lo)
    )
    eligible = pl.col("health").is_in(list(ELIGIBLE)) & (pl.col("status") != "deleted")
    surge = (
        (pl.col("_k30") >= policy.risk_min_recent_ncx)
        & pl.col("_b30").is_not_null()
        & (pl.col("_lo30") > pl.col("_b30"))
    ).fill_null(False)
    reason = pl.concat_str(
        [pl.when(surge).then(pl.lit(SURGE)), pl.col("_themes")], separator=";", ignore_nulls=True
    )
    reason = pl.when(eligible & (surge | pl.col("_themes").is_not_null())).then(reason)
    pct = lambda e: (e * 100).round(1).cast(pl.String) + pl.lit(" %")  # noqa: E731
    surge_words = pl.format(
        "{} of {} orders in the last {} days ({}), whose {} % interval's low end {} is above "
        "{} for the same similar offers → recent surge",
        pl.col("_k30"),
        pl.col("_n30"),
        pl.lit(policy.risk_recent_days),
        pct(pl.col("_k30") / pl.col("_n30")),
        pl.lit(policy.interval_percent),
        pct(pl.col("_lo30")),
        pct(pl.col("_b30")),
    )
    cluster_words = pl.format(
        "{} (at least {} within {} days ending in the last {} days) → theme cluster",
        pl.col("_cluster_words"),
        pl.lit(policy.risk_cluster_orders),
        pl.lit(policy.risk_cluster_days),
        pl.lit(policy.risk_recent_days),
    )
    words = pl.concat_str(
        [pl.when(surge).then(surge_words), cluster_words], separator="; ", ignore_nulls=True
    )
    return out.with_columns(
        at_risk=reason.is_not_null(),
        at_risk_reason=reason,
        at_risk_explanation=pl.when(reason.is_not_null()).then(
            pl.lit("At risk while still ") + pl.col("health") + pl.lit(": ") + words
        ),
    ).drop("_n30", "_k30", "_b30", "_lo30", "_themes", "_cluster_words")
