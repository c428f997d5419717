"""The verdict of a seller action (DESIGN.md 4.5) on tiny inline stores."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.verdicts import (
    IMPROVED,
    NO_CLEAR_CHANGE,
    NOT_ENOUGH_DATA,
    WORSE,
    action_verdicts,
    judge,
)
from tests.engine.builders import build, event, offer, order

A = date(2026, 3, 2)  # the action's day
LAG = 30
Z = 1.645
RANK = {WORSE: 0, NO_CLEAR_CHANGE: 1, IMPROVED: 2}


def t_for(after_days: int) -> date:
    """The as-of day whose matured after-side spans ``after_days`` days from A."""
    return A + timedelta(days=after_days - 1 + LAG)


def case(nb: int, kb: int, na: int, ka: int, after_days: int = 28, **extra) -> dict:
    """Verdict of one action on a store with nb before orders (kb NCX) and na after
    orders (ka NCX), as computed by action_verdicts over the derived tables."""
    t = t_for(after_days)
    orders, events = [], []
    for i in range(nb):
        o = order(A - timedelta(days=1 + i % 56))
        orders.append(o)
        if i < kb:
            events.append(event(A + timedelta(days=2), order_id=o["order_id"]))
    for i in range(na):
        o = order(A + timedelta(days=i % max(after_days, 1)))
        orders.append(o)
        if i < ka:
            events.append(event(t, order_id=o["order_id"]))  # dated on T: counted
    orders += extra.get("orders", [])
    events += extra.get("events", [])
    con = build([offer()], orders, events)
    try:
        acts = pl.DataFrame({"seller_id": ["S1"], "sku": ["A"], "action_date": [A]})
        return action_verdicts(con, acts, as_of=t).row(0, named=True)
    finally:
        con.close()


def _wilson(k: int, n: int) -> tuple[float, float]:
    p, z2 = k / n, Z * Z
    c = (p + z2 / (2 * n)) / (1 + z2 / n)
    h = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, c - h), min(1.0, c + h)


def newcombe(kb: int, nb: int, ka: int, na: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p_b - p_a, written out independently."""
    pb, pa = kb / nb, ka / na
    (lb, ub), (la, ua) = _wilson(kb, nb), _wilson(ka, na)
    d = pb - pa
    return d - math.hypot(pb - lb, ua - pa), d + math.hypot(ub - pb, pa - la)


def crossing(nb: int, na: int, ka: int) -> int:
    """The largest kb whose L is still <= 0 (kb + 1 has L > 0)."""
    kb = 0
    while newcombe(kb + 1, nb, ka, na)[0] <= 0:
        kb += 1
    return kb


def test_low_end_just_above_zero_is_improved_just_below_is_not():
    kb = crossing(60, 40, 2)
    below, above = newcombe(kb, 60, 2, 40)[0], newcombe(kb + 1, 60, 2, 40)[0]
    assert below <= 0 < above and above - below < 0.05  # the boundary is between them
    hit = case(60, kb + 1, 40, 2)
    assert hit["verdict"] == IMPROVED
    assert math.isclose(hit["difference_low"], above, abs_tol=1e-12)
    miss = case(60, kb, 40, 2)
    assert miss["verdict"] == NO_CLEAR_CHANGE
    assert math.isclose(miss["difference_low"], below, abs_tol=1e-12)


def test_high_end_below_zero_is_worse():
    row = case(50, 1, 40, 14)
    low, high = newcombe(1, 50, 14, 40)
    assert high < 0 and row["verdict"] == WORSE
    assert math.isclose(row["difference_high"], high, abs_tol=1e-12)
    assert (row["before_ncx_orders"], row["before_orders"]) == (1, 50)
    assert (row["after_ncx_orders"], row["after_orders"]) == (14, 40)
    assert math.isclose(row["before_low"], _wilson(1, 50)[0], abs_tol=1e-12)


def test_exactly_four_matured_weeks_and_thirty_orders_decide():
    ok = case(60, 20, 30, 0, after_days=28)
    assert ok["after_weeks"] == 4 and ok["verdict"] == IMPROVED and ok["missing"] == ""
    short = case(60, 20, 30, 0, after_days=27)
    assert short["verdict"] == NOT_ENOUGH_DATA and short["after_weeks"] == 3
    assert short["missing"] == "needs 1 more matured week"
    few = case(60, 20, 29, 0, after_days=28)
    assert few["verdict"] == NOT_ENOUGH_DATA
    assert few["missing"] == "needs 1 more order after the action"


def test_what_is_missing_is_said_in_weeks_and_orders():
    row = case(60, 20, 18, 0, after_days=8)
    assert row["verdict"] == NOT_ENOUGH_DATA
    assert row["missing"] == "needs 3 more matured weeks; needs 12 more orders after the action"


def test_no_orders_before_the_action_is_not_enough_data():
    row = case(0, 0, 40, 2)
    assert row["verdict"] == NOT_ENOUGH_DATA and row["before_rate"] is None
    assert row["difference_low"] is None
    assert "no orders in the 8 weeks before the action" in row["missing"]


def test_sides_count_matured_orders_only_and_events_up_to_t():
    t = t_for(28)
    late = order(t - timedelta(days=LAG - 1))  # purchased after T - lag: still maturing
    early = order(A - timedelta(days=57))  # before the 8 weeks
    cancelled = order(A + timedelta(days=3), status="cancelled")
    after_t = order(A + timedelta(days=4))
    extra = {
        "orders": [late, early, cancelled, after_t],
        "events": [
            event(t, order_id=late["order_id"]),
            event(t, order_id=early["order_id"]),
            event(t, order_id=cancelled["order_id"]),
            event(t + timedelta(days=1), order_id=after_t["order_id"]),  # after T
        ],
    }
    row = case(40, 4, 40, 1, **extra)
    assert (row["before_ncx_orders"], row["before_orders"]) == (4, 40)
    # after_t is an order of the after side, but its event is after T: not NCX
    assert (row["after_ncx_orders"], row["after_orders"]) == (1, 41)


def test_action_verdicts_keeps_the_rows_and_their_order():
    con = build([offer(sku="A"), offer(sku="B")], [order(A - timedelta(days=3), sku="B")])
    try:
        acts = pl.DataFrame(
            {
                "seller_id": ["S1", "S1", "S1"],
                "sku": ["B", "A", "B"],
                "action_date": [A, A, A + timedelta(days=1)],
                "note": ["x", "y", "z"],
            }
        )
        out = action_verdicts(con, acts, as_of=t_for(28))
        assert out["note"].to_list() == ["x", "y", "z"]
        assert out["before_orders"].to_list() == [1, 0, 1]
        assert set(out["verdict"]) == {NOT_ENOUGH_DATA}
        assert action_verdicts(con, acts.clear(), as_of=A).height == 0
    finally:
        con.close()


SETTINGS = settings(max_examples=200, deadline=None)


@SETTINGS
@given(
    nb=st.integers(1, 400),
    na=st.integers(30, 400),
    data=st.data(),
)
def test_one_more_ncx_order_after_never_improves_the_verdict(nb, na, data):
    """Pure arithmetic: k_a + 1 never raises the verdict, d, L or U."""
    kb = data.draw(st.integers(0, nb))
    ka = data.draw(st.integers(0, na - 1))
    was, now = judge(kb, nb, ka, na, 28, z=Z), judge(kb, nb, ka + 1, na, 28, z=Z)
    assert RANK[now.verdict] <= RANK[was.verdict]
    assert now.difference < was.difference
    assert now.difference_low <= was.difference_low + 1e-12
    assert now.difference_high <= was.difference_high + 1e-12


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nb=st.integers(5, 60),
    na=st.integers(30, 60),
    data=st.data(),
)
def test_a_counted_event_on_an_after_order_never_improves_the_verdict_in_the_store(nb, na, data):
    """Over the derived tables: one more counted event on an after-side order (one that
    had none) never makes the verdict better, and d never increases."""
    kb = data.draw(st.integers(0, nb))
    ka = data.draw(st.integers(0, na - 1))
    was, now = case(nb, kb, na, ka), case(nb, kb, na, ka + 1)
    assert now["after_ncx_orders"] == was["after_ncx_orders"] + 1
    assert RANK[now["verdict"]] <= RANK[was["verdict"]]
    assert now["difference"] < was["difference"]
