"""Did the fix work? The verdict of a seller action (DESIGN.md 4.5, docs/health.md).

For an action dated ``A`` at as-of day ``T``: *before* = the offer's orders purchased in
``[A - 56, A - 1]``, *after* = those purchased in ``[A, T - lag]`` (lag = the policy's
return lag: only matured purchases). Each side has ``k`` NCX orders of ``n`` orders as in
4.3 (distinct orders, cancelled ones left out, counted events dated on or before ``T``),
its rate ``p`` and Wilson interval ``[l, u]`` at the policy's z. The difference
``d = p_before - p_after`` gets Newcombe's hybrid score interval ``[L, U]``:

    L = d - sqrt((p_b - l_b)^2 + (u_a - p_a)^2),  U = d + sqrt((u_b - p_b)^2 + (p_a - l_a)^2)

``improved`` if L > 0, ``worse`` if U < 0, else ``no_clear_change``; ``not_enough_data``
while the after side has fewer than 4 matured weeks or fewer than 30 orders, or the before
side has no orders (``missing`` says what is lacking, e.g. "needs 3 more weeks").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from engine import sql
from engine.policy import DEFAULT_POLICY, Policy

IMPROVED, NO_CLEAR_CHANGE, WORSE, NOT_ENOUGH_DATA = (
    "improved",
    "no_clear_change",
    "worse",
    "not_enough_data",
)
VERDICT_LABELS = {
    IMPROVED: "Improved",
    NO_CLEAR_CHANGE: "No clear change",
    WORSE: "Worse",
    NOT_ENOUGH_DATA: "Not enough data yet",
}
BEFORE_DAYS = 56  # 8 weeks of purchases before the action
MIN_AFTER_WEEKS = 4
MIN_AFTER_ORDERS = 30

VERDICT_COLUMNS = (
    "before_orders",
    "before_ncx_orders",
    "before_rate",
    "before_low",
    "before_high",
    "after_orders",
    "after_ncx_orders",
    "after_rate",
    "after_low",
    "after_high",
    "difference",
    "difference_low",
    "difference_high",
    "after_weeks",
    "verdict",
    "missing",
)


def wilson(k: int, n: int, z: float) -> tuple[float, float] | None:
    """Wilson score interval of k in n (None when n = 0); same arithmetic as 4.3."""
    if n <= 0:
        return None
    r = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (r + z2 / (2 * n)) / denom
    half = z * math.sqrt(r * (1 - r) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Verdict:
    """One action's two sides and verdict (rates are fractions; None where n = 0)."""

    before_orders: int
    before_ncx_orders: int
    before_rate: float | None
    before_low: float | None
    before_high: float | None
    after_orders: int
    after_ncx_orders: int
    after_rate: float | None
    after_low: float | None
    after_high: float | None
    difference: float | None
    difference_low: float | None
    difference_high: float | None
    after_weeks: int
    verdict: str
    missing: str

    def as_dict(self) -> dict:
        return {c: getattr(self, c) for c in VERDICT_COLUMNS}


def judge(
    before_k: int, before_n: int, after_k: int, after_n: int, after_days: int, *, z: float
) -> Verdict:
    """The verdict of one action from its sides' counts.

    ``after_days``: days in the after side's purchase span ``[A, T - lag]`` (may be <= 0);
    its matured weeks are the whole weeks in it. k is capped at n on each side.
    """
    kb, ka = min(before_k, before_n), min(after_k, after_n)
    weeks = max(after_days, 0) // 7
    side_b, side_a = wilson(kb, before_n, z), wilson(ka, after_n, z)
    pb = kb / before_n if before_n else None
    pa = ka / after_n if after_n else None
    d = lo = hi = None
    if side_b and side_a and pb is not None and pa is not None:
        (lb, ub), (la, ua) = side_b, side_a
        d = pb - pa
        lo = d - math.sqrt((pb - lb) ** 2 + (ua - pa) ** 2)
        hi = d + math.sqrt((ub - pb) ** 2 + (pa - la) ** 2)
    needs = []
    if weeks < MIN_AFTER_WEEKS:
        more = MIN_AFTER_WEEKS - weeks
        needs.append(f"needs {more} more matured week{'s' if more != 1 else ''}")
    if after_n < MIN_AFTER_ORDERS:
        more = MIN_AFTER_ORDERS - after_n
        needs.append(f"needs {more} more order{'s' if more != 1 else ''} after the action")
    if before_n == 0:
        needs.append("no orders in the 8 weeks before the action")
    if needs or lo is None or hi is None:
        verdict = NOT_ENOUGH_DATA
    elif lo > 0:
        verdict = IMPROVED
    elif hi < 0:
        verdict = WORSE
    else:
        verdict = NO_CLEAR_CHANGE
    return Verdict(
        before_orders=before_n,
        before_ncx_orders=kb,
        before_rate=pb,
        before_low=side_b[0] if side_b else None,
        before_high=side_b[1] if side_b else None,
        after_orders=after_n,
        after_ncx_orders=ka,
        after_rate=pa,
        after_low=side_a[0] if side_a else None,
        after_high=side_a[1] if side_a else None,
        difference=d,
        difference_low=lo,
        difference_high=hi,
        after_weeks=weeks,
        verdict=verdict,
        missing="; ".join(needs),
    )


_SCHEMA = {
    "before_orders": pl.Int64,
    "before_ncx_orders": pl.Int64,
    "before_rate": pl.Float64,
    "before_low": pl.Float64,
    "before_high": pl.Float64,
    "after_orders": pl.Int64,
    "after_ncx_orders": pl.Int64,
    "after_rate": pl.Float64,
    "after_low": pl.Float64,
    "after_high": pl.Float64,
    "difference": pl.Float64,
    "difference_low": pl.Float64,
    "difference_high": pl.Float64,
    "after_weeks": pl.Int64,
    "verdict": pl.String,
    "missing": pl.String,
}


def action_verdicts(
    con: duckdb.DuckDBPyConnection,
    actions: pl.DataFrame,
    *,
    as_of: date | pl.Expr,
    policy: Policy = DEFAULT_POLICY,
) -> pl.DataFrame:
    """``actions`` (seller_id, sku, action_date, any other columns) with ``VERDICT_COLUMNS``
    appended, in the same order, at as-of day ``as_of`` (a day, or an expression giving
    each row's day, e.g. the offer's effective day). Reads ``offer_day`` and
    ``offer_ncx_day`` of ``con`` with bound parameters."""
    if actions.is_empty():
        return actions.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in _SCHEMA.items())
    t_expr = as_of if isinstance(as_of, pl.Expr) else pl.lit(as_of, dtype=pl.Date)
    keyed = actions.with_row_index("aid").with_columns(t=t_expr.cast(pl.Date))
    cur = con.cursor()
    cur.register("eval_actions", keyed.select("aid", "seller_id", "sku", "action_date", "t"))
    try:
        sides = cur.sql(sql.load("action_sides"), params={"lag": policy.return_lag_days}).pl()
    finally:
        cur.unregister("eval_actions")
        cur.close()
    joined = keyed.join(sides, on="aid", how="left", maintain_order="left")
    rows = []
    for r in joined.iter_rows(named=True):
        after_days = (r["t"] - r["action_date"]).days - policy.return_lag_days + 1
        rows.append(
            judge(
                r["before_ncx_orders"] or 0,
                r["before_orders"] or 0,
                r["after_ncx_orders"] or 0,
                r["after_orders"] or 0,
                after_days,
                z=policy.z,
            ).as_dict()
        )
    verdicts = pl.DataFrame(rows, schema=_SCHEMA, orient="row")
    return pl.concat([actions, verdicts], how="horizontal")
