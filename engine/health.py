"""CX health per offer: peer groups, the Wilson interval and the policy rules (docs/health.md).

``offer_health`` is the one entry point: it evaluates every offer at its effective day
(the as-of day, or the deletion day of a deleted listing), compares it with the offers of
its peer group at that same day and returns one row per visible offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import duckdb
import polars as pl

from engine import ncx, peers, risk
from engine.peers import LEVEL_KEYS
from engine.policy import DEFAULT_POLICY, HEALTH_RANK, Policy
from engine.stats import wilson, wilson_interval  # noqa: F401  (re-exported)
from engine.store import has_table, latest_day

REPORT_COLUMNS: tuple[str, ...] = (
    "seller_id",
    "sku",
    "asin",
    "title",
    "status",
    "orders",
    "ncx_orders",
    "ncx_rate",
    "peer_level",
    "peer_offers",
    "peer_rate",
    "peer_basis",
    "ci_low",
    "ci_high",
    "health",
    "top_ncx_reason",
    "top_ncx_reason_share",
    "last_updated",
    "action_required",
    "explanation",
)


@dataclass(frozen=True)
class Viewer:
    """Who is looking. Scoping is applied here, in the engine, below every callback.

    - ``seller``: only ``seller_id``'s offers (peers only as aggregates);
    - ``category_manager``: every offer in ``categories`` (all categories when empty);
    - ``marketplace``: everything (command line and tests).
    """

    kind: Literal["seller", "category_manager", "marketplace"] = "marketplace"
    seller_id: str | None = None
    categories: tuple[str, ...] = ()

    def offer_filter(self) -> pl.Expr:
        """A polars predicate over offer rows selecting what this viewer may see."""
        if self.kind == "seller":
            return pl.col("seller_id") == (self.seller_id or "")
        if self.kind == "category_manager" and self.categories:
            return pl.col("category").is_in(list(self.categories))
        return pl.lit(True)


MARKETPLACE = Viewer()


def price_band(price: pl.Expr, policy: Policy) -> pl.Expr:
    """The price band label of a price (lower bound inclusive); no price -> 'unknown'."""
    labels = policy.price_band_labels()
    edges = policy.price_band_edges
    expr = pl.when(price.is_null()).then(pl.lit("unknown"))
    for edge, label in zip(edges, labels, strict=False):
        expr = expr.when(price < edge).then(pl.lit(label))
    return expr.otherwise(pl.lit(labels[-1]))


def health_rule(lo: pl.Expr, hi: pl.Expr, b: pl.Expr, *, policy: Policy) -> pl.Expr:
    """The first health rule that holds for interval [lo, hi] against peer rate b."""
    return (
        pl.when(lo >= policy.very_poor_factor * b)
        .then(pl.lit("very_poor"))
        .when(lo > b)
        .then(pl.lit("poor"))
        .when(hi <= policy.excellent_factor * b)
        .then(pl.lit("excellent"))
        .when(hi < b)
        .then(pl.lit("good"))
        .otherwise(pl.lit("fair"))
    )


def offer_frame(con: duckdb.DuckDBPyConnection, as_of: date | None, policy: Policy) -> pl.DataFrame:
    """Offers created on or before ``as_of`` with status, effective day ``e`` and price band.

    Status at T: ``deleted`` if deleted on or before T; ``closed`` if closed on or before T
    and not reinstated between that closure and T; otherwise ``active``. With ``as_of``
    None: every offer, status and ``e`` as of the last representable day.
    """
    offers = con.sql(
        "SELECT * FROM offers WHERE ?::DATE IS NULL OR created_at IS NULL OR created_at <= ?",
        params=[as_of, as_of],
    ).pl()
    t = pl.lit(as_of or date(9999, 12, 31), dtype=pl.Date)
    deleted = pl.col("deleted_at").is_not_null() & (pl.col("deleted_at") <= t)
    reinstated = (
        pl.col("reinstated_at").is_not_null()
        & (pl.col("reinstated_at") >= pl.col("closed_at"))
        & (pl.col("reinstated_at") <= t)
    )
    closed = pl.col("closed_at").is_not_null() & (pl.col("closed_at") <= t) & ~reinstated
    return offers.with_columns(
        pl.col("category", "subcategory").fill_null(""),
        price_band=price_band(pl.col("price").cast(pl.Float64), policy),
        status=pl.when(deleted)
        .then(pl.lit("deleted"))
        .when(closed)
        .then(pl.lit("closed"))
        .otherwise(pl.lit("active")),
        e=pl.when(deleted).then(pl.col("deleted_at")).otherwise(t),
    )


def _metrics(orders: pl.DataFrame, ncx_by_theme: pl.DataFrame) -> pl.DataFrame:
    """Per (e, offer): n, uncapped and capped k, commented NCX orders."""
    ncx = ncx_by_theme.group_by("e", "seller_id", "sku").agg(
        k_raw=pl.col("ncx_orders").sum(), commented=pl.col("commented").sum()
    )
    return (
        orders.join(ncx, on=["e", "seller_id", "sku"], how="full", coalesce=True)
        .with_columns(
            pl.col("orders", "commingled_orders", "k_raw", "commented").fill_null(0),
        )
        .rename({"orders": "n"})
        .with_columns(k=pl.min_horizontal("k_raw", "n"))
    )


PEER_BASES: tuple[str, ...] = ("marketplace", "own_catalogue", "benchmark")


def _basis(single_seller: bool) -> str:
    """Peers drawn from the store: several sellers' offers, or one seller's own catalogue."""
    return "own_catalogue" if single_seller else "marketplace"


def _no_peers(frame: pl.DataFrame) -> pl.DataFrame:
    """With no other offer at any level there is no peer rate (not the floor)."""
    return frame.with_columns(
        peer_rate=pl.when(pl.col("peer_offers") > 0).then(pl.col("peer_rate"))
    )


def benchmark_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The stored benchmark rows: category, subcategory, price_band (NULL: any),
    peer_rate, peer_offers (empty frame for a store without a benchmark)."""
    if not has_table(con, "benchmark"):
        return pl.DataFrame()
    return con.sql("SELECT * FROM benchmark").pl()


def _benchmarked(frame: pl.DataFrame, bench: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Where a benchmark row matches an offer's group (its price band, else its
    subcategory, else its category: the most specific wins), its rate replaces the peer
    rate: peer_basis 'benchmark', peer_level the matched level, peer_offers the row's."""
    if bench.is_empty() or frame.is_empty():
        return frame
    levels = (
        ("price_band", bench.filter(pl.col("subcategory").is_not_null() & pl.col("price_band").is_not_null()), ["category", "subcategory", "price_band"]),
        ("subcategory", bench.filter(pl.col("subcategory").is_not_null() & pl.col("price_band").is_null()), ["category", "subcategory"]),
        ("category", bench.filter(pl.col("subcategory").is_null() & pl.col("price_band").is_null()), ["category"]),
    )  # fmt: skip
    out = frame.with_columns(
        _b_rate=pl.lit(None, pl.Float64),
        _b_offers=pl.lit(None, pl.Int64),
        _b_level=pl.lit(None, pl.String),
    )
    for level, rows, keys in levels:
        if rows.is_empty():
            continue
        found = rows.select(
            *keys, _r=pl.col("peer_rate").cast(pl.Float64), _o=pl.col("peer_offers").cast(pl.Int64)
        ).unique(keys, keep="last")
        out = (
            out.join(found, on=keys, how="left")
            .with_columns(
                _b_level=pl.coalesce(
                    "_b_level", pl.when(pl.col("_r").is_not_null()).then(pl.lit(level))
                ),
                _b_offers=pl.when(pl.col("_b_rate").is_null())
                .then(pl.col("_o"))
                .otherwise(pl.col("_b_offers")),
                _b_rate=pl.coalesce("_b_rate", "_r"),
            )
            .drop("_r", "_o")
        )
    hit = pl.col("_b_rate").is_not_null()
    return out.with_columns(
        peer_rate=pl.when(hit).then(pl.max_horizontal("_b_rate", pl.lit(policy.peer_rate_floor))).otherwise(pl.col("peer_rate")),
        peer_offers=pl.when(hit).then(pl.col("_b_offers")).otherwise(pl.col("peer_offers")),
        peer_level=pl.when(hit).then(pl.col("_b_level")).otherwise(pl.col("peer_level")),
        peer_basis=pl.when(hit).then(pl.lit("benchmark")).otherwise(pl.col("peer_basis")),
    ).drop("_b_rate", "_b_offers", "_b_level")  # fmt: skip


def _top_reason(targets: pl.DataFrame, ncx_by_theme: pl.DataFrame) -> pl.DataFrame:
    """The most frequent theme among each target's NCX orders (ties: alphabetical)."""
    own = ncx_by_theme.join(targets.select("seller_id", "sku", "e"), on=["seller_id", "sku", "e"])
    return (
        own.with_columns(total=pl.col("ncx_orders").sum().over("seller_id", "sku"))
        .sort(["seller_id", "sku", "ncx_orders", "theme"], descending=[False, False, True, False])
        .group_by("seller_id", "sku", maintain_order=True)
        .first()
        .select(
            "seller_id",
            "sku",
            top_ncx_reason=pl.col("theme"),
            top_ncx_reason_share=pl.col("ncx_orders") / pl.col("total"),
        )
    )


def _pct(expr: pl.Expr) -> pl.Expr:
    return (expr * 100).round(1).cast(pl.String) + pl.lit(" %")


_LEVEL_WORDS = {
    "price_band": "same subcategory and price band",
    "subcategory": "same subcategory",
    "category": "same category",
    "all": "whole marketplace",
}
_RULE_WORDS = {
    "very_poor": "whose low end is at least {vp} times the peer rate → very poor",
    "poor": "whose low end is above the peer rate but below {vp} times it → poor",
    "excellent": "whose high end is at most {ex} times the peer rate → excellent",
    "good": "whose high end is below the peer rate but above {ex} times it → good",
    "fair": "which includes the peer rate → fair",
}


def _explanation(policy: Policy, window_days: int) -> pl.Expr:
    """The sentence that justifies the health with the numbers that were used."""
    vp = f"{policy.very_poor_factor:g}"
    ex = f"{policy.excellent_factor:g}"
    rule = pl.col("rule_health").replace_strict(
        {k: v.format(vp=vp, ex=ex) for k, v in _RULE_WORDS.items()}, default=""
    )
    level = pl.col("peer_level").replace_strict(_LEVEL_WORDS, default="")
    own = pl.col("ncx_orders").cast(pl.String) + pl.lit(" of ") + pl.col("orders").cast(pl.String)
    own = own + pl.lit(" orders (") + _pct(pl.col("ncx_rate")) + pl.lit(")")
    offers_of = pl.col("peer_offers").cast(pl.String)
    peers = (
        pl.when(pl.col("peer_basis") == "benchmark")
        .then(
            pl.format(
                "vs {} from the benchmark file for similar offers (", _pct(pl.col("peer_rate"))
            )
            + level
            + pl.when(pl.col("peer_offers").is_not_null())
            .then(pl.lit(", ") + offers_of + pl.lit(" offers"))
            .otherwise(pl.lit(""))
            + pl.lit(")")
        )
        .when(pl.col("peer_basis") == "own_catalogue")
        .then(
            pl.format(
                "vs {} for {} similar offers of your own catalogue (",
                _pct(pl.col("peer_rate")),
                offers_of,
            )
            + level
            + pl.lit(")")
        )
        .otherwise(
            pl.format("vs {} for {} similar offers (", _pct(pl.col("peer_rate")), offers_of)
            + level
            + pl.lit(")")
        )
    )
    interval = pl.format(
        "{} % interval {}–{}",
        pl.lit(policy.interval_percent),
        _pct(pl.col("ci_low")).str.replace(" %", ""),
        _pct(pl.col("ci_high")),
    )
    compared = own + pl.lit(" ") + peers + pl.lit("; ") + interval + pl.lit(", ") + rule
    alone = (
        own
        + pl.lit("; there are no similar offers to compare it with, so there is no peer rate; ")
        + interval
        + pl.lit(" → fair")
    )
    main = pl.when(pl.col("peer_rate").is_null()).then(alone).otherwise(compared)
    insufficient = pl.format(
        "; but only {} of the NCX orders carry a customer comment ({} needed) → insufficient feedback",
        pl.col("commented"),
        pl.lit(policy.min_commented_ncx_orders),
    )
    no_sales = pl.format(
        "No orders in the {} days to {}, so there is no NCX rate → no recent sales",
        pl.lit(window_days),
        pl.col("e").cast(pl.String),
    )
    body = (
        pl.when(pl.col("orders") == 0)
        .then(no_sales)
        .when(pl.col("health") == "insufficient_feedback")
        .then(main + insufficient)
        .otherwise(main)
    )
    return (
        pl.when(pl.col("status") == "deleted")
        .then(
            pl.format("Listing deleted on {}; as of that day: ", pl.col("e").cast(pl.String)) + body
        )
        .otherwise(body)
    )


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    offers: pl.DataFrame,
    targets: pl.DataFrame,
    window: int,
    policy: Policy,
    *,
    scattered: bool = False,
    since: date | None = None,
) -> pl.DataFrame:
    """Metrics, peers, interval and health of ``targets``, each at its own day ``e``.

    ``offers``: every offer (attributes, created_at, deleted_at, price_band), from which
    the peer population at each day is drawn. ``targets``: offers with ``e`` and ``status``.
    ``scattered``: few targets at many days (deleted listings): evaluate only them, their
    peer groups from the population's day-by-day changes (engine.peers.PopulationSteps)
    instead of the whole marketplace at every day; ``since``: no target is before it.
    """
    days = targets["e"].unique().to_list()
    if not days:
        return pl.DataFrame()
    single_seller = offers["seller_id"].n_unique() <= 1
    if scattered:
        orders, ncx_by_theme = ncx.offer_window_metrics(
            con, targets.select("seller_id", "sku", "e"), window_days=window
        )
    else:
        orders, ncx_by_theme = ncx.window_metrics(
            con, days, window_days=window, recent_days=min(policy.risk_recent_days, window)
        )
    metrics = _metrics(orders, ncx_by_theme)
    out = targets.join(metrics, on=["seller_id", "sku", "e"], how="left").with_columns(
        pl.col("n", "k", "k_raw", "commented", "commingled_orders").fill_null(0)
    )
    population = None  # deleted listings (scattered) are never at risk
    if scattered:
        steps = peers.PopulationSteps(con, offers, window_days=window, since=since)
        out = peers.attach(out, lambda level: steps.stats(level, out), policy, single_seller)
    else:
        population = peers.population(offers, metrics)
        out = peers.attach(
            out,
            lambda level: peers.level_stats(population, ["e", *LEVEL_KEYS[level]]),
            policy,
            single_seller,
        )
    out = _no_peers(out.with_columns(peer_basis=pl.lit(_basis(single_seller))))
    out = _benchmarked(out, benchmark_frame(con), policy)
    lo, hi = wilson(pl.col("k"), pl.col("n"), z=policy.z)
    out = out.with_columns(
        ncx_rate=pl.when(pl.col("n") > 0).then(pl.col("k") / pl.col("n")),
        ci_low=lo,
        ci_high=hi,
    ).with_columns(
        rule_health=health_rule(
            pl.col("ci_low"), pl.col("ci_high"), pl.col("peer_rate"), policy=policy
        )
    )
    health = (
        pl.when(pl.col("n") == 0)
        .then(pl.lit("no_recent_sales"))
        .when(
            pl.col("rule_health").is_in(["poor", "very_poor"])
            & (pl.col("commented") < policy.min_commented_ncx_orders)
        )
        .then(pl.lit("insufficient_feedback"))
        .otherwise(pl.col("rule_health"))
    )
    out = out.with_columns(health=health).rename({"n": "orders", "k": "ncx_orders"})
    out = out.join(_top_reason(out, ncx_by_theme), on=["seller_id", "sku"], how="left")
    out = out.join(
        ncx.last_updated(con, out.select("seller_id", "sku", "e")),
        on=["seller_id", "sku"],
        how="left",
    )
    recent = None  # the recent days from the window's own scan when they lie inside it
    if not scattered and policy.risk_recent_days <= window:
        recent = risk.recent_from_window(orders, ncx_by_theme)
    out = risk.annotate(
        con, out, population, LEVEL_KEYS, window_days=window, policy=policy, recent=recent
    )
    return out.select(*_EVALUATED)


# What one evaluation returns: the report's columns that do not depend on the as-of day,
# and what the page and the persisted tables need besides.
_EVALUATED = (
    *(c for c in REPORT_COLUMNS if c not in ("action_required", "explanation")),
    "rule_health",
    "category",
    "subcategory",
    "price_band",
    "brand",
    "fulfilment",
    "price",
    "created_at",
    "closed_at",
    "closed_reason",
    "deleted_at",
    "e",
    "commented",
    "commingled_orders",
    "peer_sellers",
    "peer_orders",
    *risk.RISK_COLUMNS,
)
DELETED_TABLE = "deleted_health"
SNAPSHOT_TABLE = "snapshot"


def deleted_health(
    con: duckdb.DuckDBPyConnection,
    *,
    window_days: int,
    policy: Policy = DEFAULT_POLICY,
    cache: dict | None = None,
    since: date | None = None,
) -> pl.DataFrame:
    """Every deleted listing evaluated at its deletion day (peers as of that day).

    The result does not depend on the as-of day (callers keep the rows deleted on or
    before it), so it is computed once per data version: persisted by ``write_snapshot``
    for the default window and policy, and memoised in ``cache`` (a dict the caller owns)
    otherwise. ``since``: evaluate only listings deleted on or after that day and keep the
    persisted rows of the others (an import that changed nothing before ``since`` cannot
    change a window ending before it).
    """
    key = (window_days, policy)
    if cache is not None and key in cache:
        return cache[key]
    frame = None
    default = window_days == DEFAULT_POLICY.window_days and policy == DEFAULT_POLICY
    stored = default and has_table(con, DELETED_TABLE)
    if stored and since is None:
        frame = con.sql(f"SELECT * FROM {DELETED_TABLE}").pl()
    if frame is None:
        offers = offer_frame(con, None, policy)
        targets = offers.filter(pl.col("deleted_at").is_not_null()).with_columns(
            e=pl.col("deleted_at"), status=pl.lit("deleted")
        )
        kept, evaluated_since = None, None
        if stored and since is not None:
            evaluated_since = since
            kept = con.sql(
                f"SELECT * FROM {DELETED_TABLE} WHERE deleted_at < ?", params=[since]
            ).pl()
            targets = targets.filter(pl.col("deleted_at") >= since)
        frame = _evaluate(
            con, offers, targets, window_days, policy, scattered=True, since=evaluated_since
        )
        if kept is not None and not kept.is_empty() and kept.columns == list(_EVALUATED):
            frame = kept if frame.is_empty() else pl.concat([kept, frame], how="vertical_relaxed")
        if frame.is_empty():
            frame = pl.DataFrame()
    if cache is not None:
        cache[key] = frame
    return frame


def offer_health(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    policy: Policy = DEFAULT_POLICY,
    viewer: Viewer = MARKETPLACE,
    cache: dict | None = None,
    stored: bool = True,
) -> pl.DataFrame:
    """Health of every offer the viewer may see, evaluated as of ``as_of``.

    ``as_of`` defaults to the latest day in the data, ``window_days`` to the policy's.
    Offers created after ``as_of`` are left out; listings deleted on or before it are
    evaluated at their deletion day. ``cache``: see ``deleted_health``. ``stored``: read
    the snapshot that ``refresh`` persisted when it answers the question (the latest day,
    the default window and policy) instead of computing it again.
    Returns REPORT_COLUMNS plus: category, subcategory, price_band, brand, fulfilment,
    price, closed_at, closed_reason, deleted_at, e (effective day), commented,
    commingled_orders, peer_sellers, peer_orders, at_risk, at_risk_reason,
    at_risk_explanation (engine.risk), health_rank (0 = worst), as_of,
    window_days. Rates are fractions; rate, interval and top reason are null where there
    are no orders / no NCX orders.
    """
    as_of = as_of or latest_day(con)
    window = window_days or policy.window_days
    if as_of is None:
        return pl.DataFrame(schema={c: pl.String for c in (*REPORT_COLUMNS, *_EXTRA)})
    snapshot = _stored_snapshot(con, as_of, window, policy) if stored else None
    if snapshot is not None:
        return snapshot.filter(viewer.offer_filter())
    offers = offer_frame(con, None, policy)
    current = offer_frame(con, as_of, policy)
    live = current.filter(pl.col("status") != "deleted").filter(viewer.offer_filter())
    parts = [_evaluate(con, offers, live, window, policy)]
    if (current["status"] == "deleted").any():
        deleted = deleted_health(con, window_days=window, policy=policy, cache=cache)
        if not deleted.is_empty():
            parts.append(
                deleted.filter(pl.col("deleted_at") <= as_of)
                .filter(viewer.offer_filter())
                .select(parts[0].columns if not parts[0].is_empty() else deleted.columns)
            )
    frame = (
        pl.concat([p for p in parts if not p.is_empty()], how="vertical_relaxed")
        if any(not p.is_empty() for p in parts)
        else None
    )
    if frame is None:
        return pl.DataFrame(schema={c: pl.String for c in (*REPORT_COLUMNS, *_EXTRA)})
    frame = frame.with_columns(
        action_required=(pl.col("status") == "closed")
        & (pl.col("closed_reason") == "ncx").fill_null(False),
        health_rank=pl.col("health").replace_strict(HEALTH_RANK, return_dtype=pl.Int8),
        as_of=pl.lit(as_of, dtype=pl.Date),
        window_days=pl.lit(window, dtype=pl.Int32),
    ).with_columns(explanation=_explanation(policy, window))
    return frame.select(*REPORT_COLUMNS, *_EXTRA).sort(
        ["health_rank", "ncx_rate", "orders", "seller_id", "sku"],
        descending=[False, True, True, False, False],
        nulls_last=True,
    )


_EXTRA = (
    "category",
    "subcategory",
    "price_band",
    "brand",
    "fulfilment",
    "price",
    "closed_at",
    "closed_reason",
    "deleted_at",
    "e",
    "commented",
    "commingled_orders",
    "peer_sellers",
    "peer_orders",
    *risk.RISK_COLUMNS,
    "health_rank",
    "as_of",
    "window_days",
)


def _stored_snapshot(
    con: duckdb.DuckDBPyConnection, as_of: date, window: int, policy: Policy
) -> pl.DataFrame | None:
    """The persisted snapshot if it holds exactly this evaluation, else None."""
    if policy != DEFAULT_POLICY or window != DEFAULT_POLICY.window_days:
        return None
    if not has_table(con, SNAPSHOT_TABLE):
        return None
    frame = con.sql(f"SELECT * FROM {SNAPSHOT_TABLE}").pl()
    if frame.columns != [*REPORT_COLUMNS, *_EXTRA]:  # written by another code version
        return None
    if frame.is_empty() or frame["as_of"][0] != as_of or frame["window_days"][0] != window:
        return None
    return frame


def write_snapshot(con: duckdb.DuckDBPyConnection, *, deleted_since: date | None = None) -> None:
    """(Re)build the persisted results of the default policy and window.

    ``deleted_health``: deleted listings at their deletion day (independent of the as-of
    day; with ``deleted_since`` only those deleted since then are evaluated again, see
    ``deleted_health``); ``snapshot``: every offer's health at the latest day.
    """
    if deleted_since is None:
        con.execute(f"DROP TABLE IF EXISTS {DELETED_TABLE}")
    deleted = deleted_health(con, window_days=DEFAULT_POLICY.window_days, since=deleted_since)
    con.execute(f"DROP TABLE IF EXISTS {DELETED_TABLE}")
    for name, frame in ((DELETED_TABLE, deleted), (SNAPSHOT_TABLE, None)):
        if frame is None:
            frame = offer_health(con, stored=False)
        if frame.is_empty() and not frame.columns:
            continue
        con.register("frame_to_store", frame.to_arrow())
        try:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM frame_to_store")
        finally:
            con.unregister("frame_to_store")
