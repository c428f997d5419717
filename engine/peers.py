"""Peer groups (docs/health.md): which offers an offer is compared with, and their pooled rate.

Reads window metrics (engine.ncx) and offer attributes; knows nothing of health rules.

An offer's peer group at effective day ``e`` is the offers with orders in the window
ending at ``e`` (created by ``e``, not deleted before it) that share its category,
subcategory and price band, widened level by level (``LEVEL_KEYS``) until a level holds
enough offers and sellers. What a level needs of a group is four numbers at ``e`` (pooled
orders and NCX orders, offers, sellers) and, per seller, how many of the offers are
theirs. Two ways give them, equal by construction and by test
(tests/engine/test_peers.py):

- ``level_stats``: from the population at the days asked for (the live evaluation, every
  offer at one as-of day);
- ``PopulationSteps``: from the population's changes day by day, as running sums (deleted
  listings, each at its own deletion day: one pass over the rollups instead of one peer
  group per listing and day).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import duckdb
import polars as pl

from engine import sql
from engine.policy import PEER_LEVELS, Policy

LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "price_band": ("category", "subcategory", "price_band"),
    "subcategory": ("category", "subcategory"),
    "category": ("category",),
    "all": (),
}
ATTRS = ("seller_id", "sku", "category", "subcategory", "price_band", "created_at", "deleted_at")
GROUP_STATS = ("g_n", "g_k", "g_offers", "g_sellers")

# (groups, own) of one level: see level_stats
Stats = tuple[pl.DataFrame, pl.DataFrame]


def population(offers: pl.DataFrame, metrics: pl.DataFrame) -> pl.DataFrame:
    """The offers with n > 0 at each effective day e that may be peers there.

    At day e an offer takes part if it was created by e and not deleted before e (an offer
    deleted on e is evaluated at e, so it belongs). ``metrics``: ``e, seller_id, sku, n, k``.
    """
    return (
        metrics.filter(pl.col("n") > 0)
        .join(offers.select(ATTRS), on=["seller_id", "sku"], how="inner")
        .filter(
            (pl.col("created_at").is_null() | (pl.col("created_at") <= pl.col("e")))
            & (pl.col("deleted_at").is_null() | (pl.col("deleted_at") >= pl.col("e")))
        )
        .select("e", "seller_id", "sku", "category", "subcategory", "price_band", "n", "k")
    )


def level_stats(pop: pl.DataFrame, keys: list[str]) -> Stats:
    """Per group (``keys``, 'e' included): pooled n and k, offers, sellers; and offers per
    (group, seller)."""
    groups = pop.group_by(keys).agg(
        g_n=pl.col("n").sum(),
        g_k=pl.col("k").sum(),
        g_offers=pl.len(),
        g_sellers=pl.col("seller_id").n_unique(),
    )
    own = pop.group_by([*keys, "seller_id"]).agg(g_own=pl.len())
    return groups, own


def _level_fields(
    targets: pl.DataFrame,
    stats: Stats,
    keys: list[str],
    level: str,
    policy: Policy,
    single_seller: bool,
) -> pl.DataFrame:
    """Add ``{level}__q|offers|sellers|n|rate`` to the targets from their group's stats.

    A level qualifies with >= min_peer_offers offers (the offer included) and, where the
    data holds more than one seller, >= min_other_sellers sellers besides the offer's own.
    The peer rate is pooled over the group without the offer itself, floored at
    policy.peer_rate_floor.
    """
    groups, own = stats
    joined = (
        targets.join(groups, on=keys, how="left")
        .join(own, on=[*keys, "seller_id"], how="left")
        .with_columns(pl.col(*GROUP_STATS, "g_own").fill_null(0))
    )
    in_group = (pl.col("n") > 0).cast(pl.Int64)
    peer_offers = pl.col("g_offers") - in_group
    other_sellers = pl.col("g_sellers") - (pl.col("g_own") > 0).cast(pl.Int64)
    qualifies = (peer_offers + 1 >= policy.min_peer_offers) & (
        pl.lit(single_seller) | (other_sellers >= policy.min_other_sellers)
    )
    peer_n = pl.col("g_n") - pl.col("n") * in_group
    peer_k = pl.col("g_k") - pl.col("k") * in_group
    rate = pl.when(peer_n > 0).then(peer_k / peer_n).otherwise(0.0)
    return joined.with_columns(
        **{
            f"{level}__q": qualifies,
            f"{level}__offers": peer_offers,
            f"{level}__sellers": other_sellers,
            f"{level}__n": peer_n,
            f"{level}__rate": pl.max_horizontal(rate, pl.lit(policy.peer_rate_floor)),
        }
    ).drop(*GROUP_STATS, "g_own")


_PEER_FIELDS = {
    "offers": "peer_offers",
    "sellers": "peer_sellers",
    "n": "peer_orders",
    "rate": "peer_rate",
}


def attach(
    targets: pl.DataFrame,
    stats_of: Callable[[str], Stats],
    policy: Policy,
    single_seller: bool,
) -> pl.DataFrame:
    """Attach peer_level, peer_offers, peer_sellers, peer_orders and peer_rate: the first
    level that qualifies, else the whole marketplace ('all', used even if it does not).

    ``targets``: ``e, seller_id, sku, n, k`` and the level keys; ``stats_of(level)``: that
    level's (groups, own) covering the targets' groups (``level_stats`` or
    ``PopulationSteps.stats``)."""
    out = targets
    for level in PEER_LEVELS:
        keys = ["e", *LEVEL_KEYS[level]]
        out = _level_fields(out, stats_of(level), keys, level, policy, single_seller)
    chosen = pl.lit("all")
    for level in reversed(PEER_LEVELS[:-1]):
        chosen = pl.when(pl.col(f"{level}__q")).then(pl.lit(level)).otherwise(chosen)

    def pick(field: str) -> pl.Expr:
        expr = pl.col(f"all__{field}")
        for level in PEER_LEVELS[:-1]:
            expr = (
                pl.when(pl.col("peer_level") == level)
                .then(pl.col(f"{level}__{field}"))
                .otherwise(expr)
            )
        return expr

    out = out.with_columns(peer_level=chosen)
    out = out.with_columns(**{name: pick(field) for field, name in _PEER_FIELDS.items()})
    return out.drop([c for c in out.columns if "__" in c])


def _at(series: pl.DataFrame, need: pl.DataFrame, keys: list[str], value: str) -> pl.DataFrame:
    """``value`` of a step series (``keys``, ``day``, sorted by day) at each row of
    ``need`` (``e`` and ``keys``): its last change on or before ``e``, else 0."""
    found = need.sort("e").join_asof(
        series.select(*keys, "day", value),
        left_on="e",
        right_on="day",
        by=keys or None,
        strategy="backward",
        check_sortedness=False,
    )
    return found.drop("day").with_columns(pl.col(value).fill_null(0))


class PopulationSteps:
    """The peer population of every group on every day, from the rollups in one pass.

    For windows of ``window_days`` (engine/sql/peer_intervals.sql): each offer_day and
    offer_ncx_day row counts towards its offer on an interval of effective days, so a
    group's pooled orders and NCX orders at ``e`` are running sums of +count on each
    interval's first day and -count the day after its last. An offer is in the
    population on the union of its order rows' intervals (its spans), so the group's
    offers, and per seller their offers, are running sums of +1 / -1 at span edges, and a
    seller counts while theirs is above 0. The cap k <= n can bind only for offers with
    NCX orders of events that name no order; those offers' excess max(0, k_raw - n) is
    followed day by day and taken off.

    ``attrs``: ``ATTRS`` of every offer (keys filled, as engine.health.offer_frame gives
    them). ``since``: answer only for effective days on or after it.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        attrs: pl.DataFrame,
        *,
        window_days: int,
        since: date | None = None,
    ) -> None:
        finest = list(LEVEL_KEYS["price_band"])
        offers = attrs.select(ATTRS).with_row_index("oid")
        groups = offers.select(finest).unique().with_row_index("gid")
        offers = offers.join(groups, on=finest)
        con.register(
            "attrs",
            offers.select("oid", "gid", "seller_id", "sku", "created_at", "deleted_at").to_arrow(),
        )
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE peer_intervals AS {sql.load('peer_intervals')}",
                {"window": window_days, "since": since},
            )
        finally:
            con.unregister("attrs")
        try:
            totals = con.sql(sql.load("peer_totals")).pl()
            cap = con.sql(sql.load("peer_cap_days")).pl()
            spans = con.sql(sql.load("peer_spans")).pl()
        finally:
            con.execute("DROP TABLE peer_intervals")
        totals = pl.concat([totals, self._cap(cap)], how="vertical_relaxed")
        self._totals = totals.join(groups, on="gid").drop("gid")
        self._spans = spans.join(offers.select("oid", "seller_id", *finest), on="oid")
        self._series: dict[str, tuple[pl.DataFrame, ...]] = {}

    @staticmethod
    def _cap(days: pl.DataFrame) -> pl.DataFrame:
        """The changes of -excess per (gid, day) from peer_cap_days (sorted by offer and
        day). Every interval adds and later removes its count, so each offer's running
        sums end at 0: over all the rows in order, a plain running sum restarts at 0 at
        each offer, and so does the excess max(0, k_raw - n). An offer's changes on one
        day come in any order: the excess steps they give add up to the day's change."""
        excess = pl.max_horizontal(pl.col("dk").cum_sum() - pl.col("dn").cum_sum(), 0)
        return (
            days.with_columns(x=excess)
            .select(
                pl.col("gid").cast(pl.UInt32),
                "day",
                dn=pl.lit(0, pl.Int64),
                dk=-(pl.col("x") - pl.col("x").shift(1).fill_null(0)),
            )
            .filter(pl.col("dk") != 0)
        )

    def _level_series(self, level: str) -> tuple[pl.DataFrame, ...]:
        """The level's step series, each sorted by day: totals (g_n, g_k), offers
        (g_offers), sellers (g_sellers) per group, and own (g_own) per group and seller.

        Every series of changes sums to 0 over its group (each interval, span and excess
        is added and taken off again), so in (group, day) order one plain running sum
        restarts at 0 at each group: no per-group windows over many small groups."""
        if level in self._series:
            return self._series[level]
        keys = list(LEVEL_KEYS[level])

        def running(frame: pl.DataFrame, by: list[str], **sums: str) -> pl.DataFrame:
            summed = frame.group_by(*by, "day").agg(pl.col(*set(sums.values())).sum())
            return (
                summed.sort(*by, "day")
                .with_columns(**{name: pl.col(c).cum_sum() for name, c in sums.items()})
                .sort("day")
            )

        totals = running(self._totals, keys, g_n="dn", g_k="dk")
        one = pl.lit(1, pl.Int64)
        span_edges = pl.concat(
            [
                self._spans.select(*keys, "seller_id", day=pl.col("s"), d=one),
                self._spans.select(
                    *keys, "seller_id", day=pl.col("t") + pl.duration(days=1), d=-one
                ),
            ]
        )
        offers = running(span_edges, keys, g_offers="d")
        own = (
            span_edges.group_by(*keys, "seller_id", "day")
            .agg(pl.col("d").sum())
            .sort(*keys, "seller_id", "day")
            .with_columns(g_own=pl.col("d").cum_sum())
        )
        # a seller counts while they have an offer in the group; at a group's first row
        # the row before belongs to a group that ended at 0
        active = (pl.col("g_own") > 0).cast(pl.Int64)
        changes = own.with_columns(d=active - active.shift(1).fill_null(0))
        sellers = running(changes, keys, g_sellers="d")
        self._series[level] = (totals, offers, sellers, own.sort("day"))
        return self._series[level]

    def stats(self, level: str, need: pl.DataFrame) -> Stats:
        """(groups, own) of ``level`` as ``level_stats`` gives them for the population,
        for the groups and days of ``need`` (``e``, the level's keys, ``seller_id``)."""
        keys = list(LEVEL_KEYS[level])
        totals, offers, sellers, own = self._level_series(level)
        at = need.select("e", *keys).unique()
        groups = _at(totals, at, keys, "g_n")
        groups = groups.join(_at(totals, at, keys, "g_k"), on=["e", *keys])
        groups = groups.join(_at(offers, at, keys, "g_offers"), on=["e", *keys])
        groups = groups.join(_at(sellers, at, keys, "g_sellers"), on=["e", *keys])
        mine = _at(
            own, need.select("e", *keys, "seller_id").unique(), [*keys, "seller_id"], "g_own"
        )
        return groups, mine
