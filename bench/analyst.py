"""The data analyst's way: every offer's CX health for one as-of day, in plain pandas, from
the raw canonical files, on every request (bench/scale.py times it against the project).

    health, seconds = analyst.offer_health(files, as_of)

What it does, step by step, as docs/health.md and /work/shared/DESIGN.md 4.3 define it:

1. read ``offers``, ``orders`` and ``feedback`` (Parquet) with ``pandas.read_parquet``;
2. classify every feedback event with the project's Python reference
   (``engine.themes.classify`` for issue type and theme, ``engine.themes.counted`` for
   whether it counts), once per distinct (reason code, comment) and per distinct (source,
   issue type, rating): the one piece borrowed from the project, so a difference in the
   health is a difference in the rules below, not in the lexicon;
3. orders: non-cancelled lines, the lines of one order and offer merged (its day is its
   earliest non-cancelled line's), counted per offer and day; a cumulative sum over the
   days per offer (a dense offers x days array) gives any window's orders ``n``;
4. NCX orders: per order, the day of its first counted event and of its first counted
   event with a comment; counted events without an order are NCX orders of their own;
5. at each effective day ``e`` (the as-of day for live offers, and every deletion day on or
   before it for deleted listings, each with the peers of that day): ``n``, ``k`` (capped
   at ``n``) and the commented NCX orders of every offer; the peer population (``n > 0``,
   created by ``e``, not deleted before ``e``); per level (price band, subcategory,
   category, all) the pooled orders, NCX orders, offers and sellers (pandas ``groupby``);
   the first level with >= 20 offers and the offer's seller plus 5 others; the peer rate
   without the offer, floored at 0.1 %;
6. the 90 % Wilson interval and the health rules, insufficient feedback, no recent sales.

No benchmark file (bench data has none) and no early warning: ``offer_health`` returns
one row per visible offer with ``seller_id, sku, status, e, orders, ncx_orders,
commented, peer_level, peer_offers, peer_rate, ci_low, ci_high, health``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from engine import themes
from engine.policy import DEFAULT_POLICY, PEER_LEVELS, Policy

LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "price_band": ("category", "subcategory", "price_band"),
    "subcategory": ("category", "subcategory"),
    "category": ("category",),
    "all": (),
}
COLUMNS = (
    "seller_id",
    "sku",
    "status",
    "e",
    "orders",
    "ncx_orders",
    "commented",
    "peer_level",
    "peer_offers",
    "peer_rate",
    "ci_low",
    "ci_high",
    "health",
)
_EPOCH = np.datetime64("1970-01-01", "D")


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Dates or timestamps as days since 1970-01-01 (float, NaN for none)."""
    days = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
    out = (days - _EPOCH).astype("int64").astype(float)
    out[np.isnat(days)] = np.nan
    return out


def _price_band(price: pd.Series, policy: Policy) -> pd.Series:
    labels = policy.price_band_labels()
    band = pd.Series(labels[-1], index=price.index, dtype=object)
    for edge, label in reversed(list(zip(policy.price_band_edges, labels, strict=False))):
        band[price < edge] = label
    band[price.isna()] = "unknown"
    return band


class _Lap:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._at = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._at
        self._at = now


def offer_health(
    files: Mapping[str, Path],
    as_of: date,
    *,
    window: int | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Every visible offer's health at ``as_of`` from the canonical Parquet ``files``
    ({offers, orders, feedback}); returns the frame (module docstring) and the seconds of
    each step (read, classify, orders, ncx, live, deleted, health)."""
    lap = _Lap()
    w = window or policy.window_days
    offers = pd.read_parquet(
        files["offers"],
        columns=["seller_id", "sku", "category", "subcategory", "price", "created_at",
                 "closed_at", "closed_reason", "reinstated_at", "deleted_at"],
    )  # fmt: skip
    orders = pd.read_parquet(
        files["orders"], columns=["order_id", "seller_id", "sku", "purchase_date", "status"]
    )
    feedback = pd.read_parquet(
        files["feedback"],
        columns=["seller_id", "sku", "order_id", "event_date", "source", "reason_code",
                 "rating", "comment"],
    )  # fmt: skip
    lap("read")

    # -- classify events (the project's Python reference, once per distinct input) --------
    pairs = feedback[["reason_code", "comment"]].drop_duplicates()
    classes = [
        themes.classify(None if pd.isna(r) else r, None if pd.isna(c) else c)
        for r, c in zip(pairs["reason_code"], pairs["comment"], strict=True)
    ]
    pairs["issue_type"] = [c[0] for c in classes]
    feedback = feedback.merge(pairs, on=["reason_code", "comment"], how="left")
    combos = feedback[["source", "issue_type", "rating"]].drop_duplicates()
    combos["counted"] = [
        themes.counted(s, i, None if pd.isna(r) else int(r))[0]
        for s, i, r in zip(combos["source"], combos["issue_type"], combos["rating"], strict=True)
    ]
    feedback = feedback.merge(combos, on=["source", "issue_type", "rating"], how="left")
    events = feedback[feedback["counted"]].copy()
    events["has_comment"] = events["comment"].fillna("").str.strip().str.len() > 0
    lap("classify")

    # -- offers: ids, status at T, price band ----------------------------------------------
    offers["oid"] = np.arange(len(offers))
    offers["category"] = offers["category"].fillna("")
    offers["subcategory"] = offers["subcategory"].fillna("")
    offers["price_band"] = _price_band(offers["price"].astype(float), policy)
    created = _day_numbers(offers["created_at"])
    deleted = _day_numbers(offers["deleted_at"])
    closed = _day_numbers(offers["closed_at"])
    reinstated = _day_numbers(offers["reinstated_at"])
    t = float((np.datetime64(as_of, "D") - _EPOCH).astype("int64"))
    is_deleted = deleted <= t
    back = (reinstated >= closed) & (reinstated <= t)
    status = np.where(is_deleted, "deleted", np.where((closed <= t) & ~back, "closed", "active"))
    visible = np.isnan(created) | (created <= t)
    keys = offers[["seller_id", "sku", "oid"]]

    # -- orders per offer and day, cumulated --------------------------------------------------
    live = orders[orders["status"] != "cancelled"].merge(keys, on=["seller_id", "sku"])
    live["day"] = _day_numbers(live["purchase_date"])
    one = live.groupby(["oid", "order_id"], sort=False)["day"].min().reset_index()
    first, last = int(one["day"].min()), int(one["day"].max())
    span = last - first + 1
    per_day = np.bincount(
        one["oid"].to_numpy() * span + (one["day"].to_numpy().astype(int) - first),
        minlength=len(offers) * span,
    ).reshape(len(offers), span)
    cum = np.zeros((len(offers), span + 1), dtype=np.int64)
    np.cumsum(per_day, axis=1, out=cum[:, 1:])
    del per_day
    lap("orders")

    # -- NCX orders: first counted event per order, unlinked events on their own ------------
    events = events.merge(keys, on=["seller_id", "sku"])
    events["day"] = _day_numbers(events["event_date"])
    events["comment_day"] = events["day"].where(events["has_comment"])
    linked = (
        events[events["order_id"].notna()]
        .groupby(["oid", "order_id"], sort=False)
        .agg(ncx_day=("day", "min"), comment_day=("comment_day", "min"))
        .reset_index()
        .merge(one, on=["oid", "order_id"])  # orders that exist and are not cancelled
    )
    unlinked = events[events["order_id"].isna()]
    ncx = pd.concat(
        [
            linked[["oid", "day", "ncx_day", "comment_day"]],
            unlinked.assign(ncx_day=unlinked["day"])[["oid", "day", "ncx_day", "comment_day"]],
        ]
    )
    x_oid, x_day = ncx["oid"].to_numpy(), ncx["day"].to_numpy()
    x_ncx, x_comment = ncx["ncx_day"].to_numpy(), ncx["comment_day"].to_numpy()
    lap("ncx")

    sellers = pd.factorize(offers["seller_id"])[0]
    n_sellers = int(sellers.max(initial=0)) + 1
    single_seller = n_sellers == 1
    level_codes = {
        level: (
            offers.groupby(list(cols), sort=False).ngroup().to_numpy()
            if cols
            else np.zeros(len(offers), dtype=np.int64)
        )
        for level, cols in LEVEL_KEYS.items()
    }

    def at(e: float, targets: np.ndarray) -> pd.DataFrame:
        """The targets' metrics and peers at effective day ``e``."""
        hi = int(np.clip(e - first + 1, 0, span))
        lo = int(np.clip(e - w + 1 - first, 0, span))
        n = cum[:, hi] - cum[:, lo]
        in_window = (x_day >= e - w + 1) & (x_day <= e) & (x_ncx <= e)
        k_raw = np.bincount(x_oid[in_window], minlength=len(offers))
        commented = np.bincount(x_oid[in_window & (x_comment <= e)], minlength=len(offers))
        k = np.minimum(k_raw, n)
        member = (
            (n > 0) & (np.isnan(created) | (created <= e)) & (np.isnan(deleted) | (deleted >= e))
        )
        pop = pd.DataFrame({"seller": sellers[member], "n": n[member], "k": k[member]})
        out = pd.DataFrame(
            {"oid": targets, "e": e, "n": n[targets], "k": k[targets],
             "commented": commented[targets], "seller": sellers[targets]}
        )  # fmt: skip
        in_group = (out["n"] > 0).astype(int)
        chosen = pd.Series(False, index=out.index)
        out["peer_level"] = "all"
        for level in PEER_LEVELS:
            code = level_codes[level]
            pop["g"] = code[member]
            pop["g_seller"] = pop["g"] * n_sellers + pop["seller"]  # one key per (group, seller)
            by_group = pop.groupby("g")
            groups = pd.concat(
                [by_group[["n", "k"]].sum(), by_group.size(), by_group["seller"].nunique()],
                axis=1,
            )
            own = pop.groupby("g_seller").size()
            g = groups.reindex(code[targets]).fillna(0).to_numpy()
            g_own = own.reindex(code[targets] * n_sellers + out["seller"]).fillna(0).to_numpy()
            peer_offers = g[:, 2] - in_group
            other_sellers = g[:, 3] - (g_own > 0)
            peer_n = g[:, 0] - out["n"] * in_group
            peer_k = g[:, 1] - out["k"] * in_group
            rate = np.where(peer_n > 0, peer_k / peer_n.where(peer_n > 0, 1), 0.0)
            qualifies = (peer_offers + 1 >= policy.min_peer_offers) & (
                single_seller | (other_sellers >= policy.min_other_sellers)
            )
            take = (~chosen & qualifies) if level != "all" else ~chosen
            out.loc[take, "peer_level"] = level
            out.loc[take, "peer_offers"] = peer_offers[take]
            out.loc[take, "peer_rate"] = np.maximum(rate, policy.peer_rate_floor)[take]
            chosen |= take
        return out

    live_targets = np.flatnonzero(visible & ~is_deleted)
    parts = [at(t, live_targets)]
    lap("live")
    gone = np.flatnonzero(is_deleted)
    for e in np.unique(deleted[gone]):
        parts.append(at(e, gone[deleted[gone] == e]))
    lap("deleted")

    out = pd.concat(parts, ignore_index=True)
    out["peer_offers"] = out["peer_offers"].astype(int)
    out["peer_rate"] = out["peer_rate"].where(out["peer_offers"] > 0)
    nf = out["n"].astype(float)
    r = out["k"] / nf
    z = policy.z
    z2 = z * z
    denom = 1 + z2 / nf
    centre = (r + z2 / (2 * nf)) / denom
    half = z * np.sqrt(r * (1 - r) / nf + z2 / (4 * nf * nf)) / denom
    valid = out["n"] > 0
    out["ci_low"] = np.maximum(0.0, centre - half).where(valid)
    out["ci_high"] = np.minimum(1.0, centre + half).where(valid)
    b, lo_, hi_ = out["peer_rate"], out["ci_low"], out["ci_high"]
    rule = np.select(
        [lo_ >= policy.very_poor_factor * b, lo_ > b, hi_ <= policy.excellent_factor * b, hi_ < b],
        ["very_poor", "poor", "excellent", "good"],
        default="fair",
    )
    weak = np.isin(rule, ["poor", "very_poor"]) & (
        out["commented"] < policy.min_commented_ncx_orders
    )
    out["health"] = np.where(
        ~valid, "no_recent_sales", np.where(weak, "insufficient_feedback", rule)
    )
    out["seller_id"] = offers["seller_id"].to_numpy()[out["oid"]]
    out["sku"] = offers["sku"].to_numpy()[out["oid"]]
    out["status"] = status[out["oid"]]
    out["e"] = _EPOCH + out["e"].astype("int64").to_numpy().astype("timedelta64[D]")
    out = out.rename(columns={"n": "orders", "k": "ncx_orders"})[list(COLUMNS)]
    lap("health")
    return out, lap.seconds
