"""Themes at the peer-group level (engine/peer_themes.py via VocService) on tiny inline tables."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from engine import peer_themes
from engine.health import Viewer
from engine.service import VocService
from tests.engine.builders import build, event, offer, order

T = date(2026, 6, 30)  # a Tuesday
IN_WINDOW = T - timedelta(days=40)


def service(offers, orders, feedback) -> VocService:
    svc = VocService.over(build(offers, orders, feedback))
    svc.prefetch_trends = False
    return svc


def orders_of(sku: str, seller: str, n: int, day: date = IN_WINDOW) -> list[dict]:
    return [order(day + timedelta(days=i % 5), seller, sku) for i in range(n)]


def on(o: dict, day: date = T - timedelta(days=5), **kw) -> dict:
    return event(day, o["seller_id"], o["sku"], o["order_id"], **kw)


@pytest.fixture(scope="module")
def three_offers() -> VocService:
    """A (seller S1), B (S2) and C (S3): too few for any level, so each is the others'
    peers at the marketplace level."""
    a = orders_of("A", "S1", 20)
    b = orders_of("B", "S2", 20)
    c = orders_of("C", "S3", 20)
    early = order(T - timedelta(days=120), "S1", "A")  # purchased before the window
    feedback = [
        on(a[0], reason_code="DEFECTIVE"),
        on(a[1], reason_code="DEFECTIVE"),
        # two complaints on one order: one NCX order, of its first counted event's theme
        on(a[2], T - timedelta(days=9), reason_code="DEFECTIVE"),
        on(a[2], T - timedelta(days=2), reason_code="NOT_AS_DESCRIBED"),
        on(a[3], reason_code="NOT_AS_DESCRIBED"),
        # never counted: delivery, remorse, a three-star review
        on(a[4], reason_code="DAMAGED_BY_CARRIER", comment="box crushed"),
        on(a[5], reason_code="UNWANTED_ITEM", comment="changed my mind"),
        on(a[6], source="review", rating=3, reason_code=None, comment="stopped working"),
        # counted but dated after the as-of day
        on(a[7], T + timedelta(days=3), reason_code="MISSING_PARTS"),
        on(early, reason_code="QUALITY_UNACCEPTABLE"),
        on(b[0], reason_code="MISSING_PARTS"),
        on(b[1], reason_code="MISSING_PARTS"),
        on(c[0], reason_code="DEFECTIVE"),
        on(c[1], reason_code="UNWANTED_ITEM"),
    ]
    offers = [offer("S1", "A"), offer("S2", "B"), offer("S3", "C")]
    return service(offers, [*a, *b, *c, early], feedback)


def by_theme(frame: pl.DataFrame, column: str) -> dict[str, float]:
    return {t: v for t, v in frame.select("theme", column).iter_rows() if v}


def test_shares_count_ncx_orders_by_first_counted_theme_and_sum_to_one(three_offers):
    shares = three_offers.theme_shares(Viewer(), T, 90, "S1", "A")
    assert by_theme(shares, "offer_ncx") == {"defective": 3, "not_as_described": 1}
    assert by_theme(shares, "offer_share") == {"defective": 0.75, "not_as_described": 0.25}
    assert by_theme(shares, "peer_ncx") == {"missing_parts": 2, "defective": 1}
    assert by_theme(shares, "peer_share") == pytest.approx(
        {"missing_parts": 2 / 3, "defective": 1 / 3}
    )
    assert by_theme(shares, "group_ncx") == {
        "defective": 4,
        "not_as_described": 1,
        "missing_parts": 2,
    }
    for side in ("offer", "peer", "group"):
        assert shares[f"{side}_share"].fill_null(0).sum() == pytest.approx(1.0)
    # delivery and remorse never count, so they are no theme of NCX orders
    assert not {"delivery", "remorse", "quality"} & set(shares["theme"])
    # the offer's top theme comes first, and is its top NCX reason
    me = three_offers.offer(Viewer(), T, 90, "S1", "A")
    assert shares["theme"][0] == me["top_ncx_reason"] == "defective"
    assert me["ncx_orders"] == shares["offer_ncx"].sum()


def test_a_seller_gets_shares_of_their_own_offer_only(three_offers):
    seller = Viewer("seller", "S1")
    mine = three_offers.theme_shares(seller, T, 90, "S1", "A")
    # three sellers: the group lacks 5 other sellers, so a seller gets no peers' mix
    # (DESIGN.md 6); the marketplace view has it
    assert mine.height > 0 and mine["peer_ncx"].sum() == 0
    assert three_offers.theme_shares(Viewer(), T, 90, "S1", "A")["peer_ncx"].sum() == 3
    assert three_offers.theme_shares(seller, T, 90, "S2", "B").is_empty()
    assert three_offers.theme_weeks(seller, T, 90, "S2", "B").is_empty()
    other_category = Viewer("category_manager", categories=("Garden",))
    assert three_offers.theme_shares(other_category, T, 90, "S1", "A").is_empty()


def test_an_offer_without_ncx_orders_beside_peers_that_have_some():
    a = orders_of("A", "S1", 10)
    b = orders_of("B", "S2", 10)
    svc = service(
        [offer("S1", "A"), offer("S2", "B")],
        [*a, *b],
        [on(b[0], reason_code="DEFECTIVE"), on(a[0], reason_code="NEVER_ARRIVED")],
    )
    shares = svc.theme_shares(Viewer(), T, 90, "S1", "A")
    assert shares.to_dicts() == [
        {
            "theme": "defective",
            "offer_ncx": 0,
            "offer_share": None,
            "peer_ncx": 1,
            "peer_share": 1.0,
            "group_ncx": 1,
            "group_share": 1.0,
        }
    ]
    lonely = service([offer("S1", "A")], a, [on(a[0], reason_code="NEVER_ARRIVED")])
    assert lonely.theme_shares(Viewer(), T, 90, "S1", "A").is_empty()


def monday(weeks_back: int) -> date:
    """The Monday ``weeks_back`` weeks before the week of T."""
    return T - timedelta(days=T.weekday()) - timedelta(weeks=weeks_back)


def test_weekly_mix_by_week_of_purchase_matured_weeks_only():
    w1, w2 = monday(10), monday(9)
    a1 = [order(w1, "S1", "A"), order(w1 + timedelta(days=6), "S1", "A")]
    a2 = [order(w2 + timedelta(days=2), "S1", "A") for _ in range(4)]
    b2 = [order(w2, "S2", "B") for _ in range(2)]
    # purchased in the last 30 days: the week is still maturing
    recent = [order(T - timedelta(days=8), "S1", "A"), order(T - timedelta(days=8), "S2", "B")]
    # the last matured week: its Sunday is exactly 30 days before T
    cutoff = T - timedelta(days=30)
    edge = order(cutoff - timedelta(days=cutoff.weekday()), "S1", "A")
    late = T - timedelta(days=1)  # events long after the purchase: the week is the purchase's
    feedback = [
        on(a1[0], late, reason_code="DEFECTIVE"),
        on(a1[1], late, reason_code="NOT_AS_DESCRIBED"),
        on(a2[0], late, reason_code="DEFECTIVE"),
        on(a2[1], late, reason_code="DAMAGED_BY_CARRIER"),  # not counted
        on(b2[0], late, reason_code="MISSING_PARTS"),
        on(recent[0], late, reason_code="DEFECTIVE"),
        on(recent[1], late, reason_code="DEFECTIVE"),
        on(edge, late, reason_code="SWITCHEROO"),
    ]
    svc = service([offer("S1", "A"), offer("S2", "B")], [*a1, *a2, *b2, *recent, edge], feedback)
    weeks = svc.theme_weeks(Viewer(), T, 90, "S1", "A")
    rows = {(r["week"], r["theme"]): r for r in weeks.iter_rows(named=True)}
    # from the first NCX week to the last matured one (the edge week); the recent one left out
    assert sorted(set(weeks["week"])) == [monday(n) for n in range(10, 4, -1)]
    assert edge["purchase_date"].date() == monday(5)
    assert "delivery" not in set(weeks["theme"])
    first = rows[(w1, "defective")]
    assert (first["offer_ncx"], first["offer_share"], first["peer_share"]) == (1, 0.5, None)
    second = rows[(w2, "defective")]  # the 4 weeks to w2 hold w1 too
    assert (second["offer_ncx"], second["offer_ncx4"]) == (1, 2)
    assert second["offer_share"] == pytest.approx(2 / 3)
    parts = rows[(w2, "missing_parts")]
    assert (parts["offer_share"], parts["peer_share"], parts["group_share"]) == (0.0, 1.0, 0.25)
    # w1 and w2 have left the 4 weeks to the edge week
    assert rows[(monday(5), "wrong_item")]["offer_share"] == 1.0
    assert (monday(5), "defective") not in rows
    for side in ("offer", "peer", "group"):
        sums = weeks.group_by("week").agg(
            pl.col(f"{side}_share").sum(), pl.col(f"{side}_ncx4").sum()
        )
        had = sums.filter(pl.col(f"{side}_ncx4") > 0)[f"{side}_share"].to_list()
        assert had == pytest.approx([1.0] * len(had)) and had


def test_weekly_mix_is_empty_when_no_week_has_matured():
    a = [order(T - timedelta(days=3), "S1", "A")]
    svc = service([offer("S1", "A", created_at=T - timedelta(days=5))], a, [on(a[0], T)])
    assert svc.theme_weeks(Viewer(), T, 90, "S1", "A").is_empty()


# --- example comments ------------------------------------------------------------------


@pytest.fixture(scope="module")
def commented() -> VocService:
    """A (S1) and B (S2), peers of each other, with commented complaints."""
    a = orders_of("A", "S1", 20)
    b = orders_of("B", "S2", 20)
    feedback = [
        on(a[0], T - timedelta(days=9), comment="stopped after a day"),
        on(a[1], T - timedelta(days=5), comment="dead on arrival"),
        on(a[2], T - timedelta(days=3), comment="Stopped on day two"),
        on(a[3], comment="   ", reason_code="NOT_AS_DESCRIBED"),  # blank: no example
        on(a[4], comment="box crushed", reason_code="DAMAGED_BY_CARRIER"),  # not counted
        on(a[5], T - timedelta(days=120), comment="too old"),  # before the window
        on(b[0], T - timedelta(days=1), comment="<b>Broke</b> & smoked"),
    ]
    return service([offer("S1", "A"), offer("S2", "B")], [*a, *b], feedback)


def test_examples_are_the_newest_commented_counted_complaints_per_theme(commented):
    examples = commented.theme_examples(Viewer(), T, 90, "S1", "A")
    assert examples["theme"].to_list() == ["defective"]
    row = examples.row(0, named=True)
    assert row["comments"] == 3
    assert [x["comment"] for x in row["examples"]] == ["Stopped on day two", "dead on arrival"]
    assert {x["sku"] for x in row["examples"]} == {"A"}


def test_a_seller_reads_only_their_own_comments_in_the_group_a_manager_the_groups(commented):
    seller = commented.theme_examples(Viewer("seller", "S1"), T, 90, "S1", "A", group=True)
    assert set(seller["examples"].explode().struct.field("sku")) == {"A"}
    assert seller["comments"].to_list() == [3]
    manager = commented.theme_examples(Viewer("category_manager"), T, 90, "S1", "A", group=True)
    row = manager.row(0, named=True)
    assert row["comments"] == 4
    assert row["examples"][0]["comment"] == "<b>Broke</b> & smoked"  # as written, newest
    assert commented.theme_examples(Viewer("seller", "S1"), T, 90, "S2", "B").is_empty()
    # the peers' shares: withheld from the seller of a group without 5 other sellers
    shares = commented.theme_shares(Viewer("seller", "S1"), T, 90, "S1", "A")
    assert shares["peer_ncx"].sum() == 0
    assert commented.theme_shares(Viewer(), T, 90, "S1", "A")["peer_ncx"].sum() == 1


def test_the_most_said_phrases_are_those_that_decided_the_themes():
    from collections import Counter

    from engine.themes import classify_explained

    def said(comments: list[str]) -> list[dict]:
        decided = Counter(classify_explained(None, c) for c in comments)
        ranked = sorted(
            ((d.removeprefix("phrase:"), n) for (_, _, d), n in decided.items() if d),
            key=lambda x: (-x[1], x[0]),
        )
        return [{"phrase": p, "comments": n} for p, n in ranked[:3]]

    own = ["stopped working after a day", "Stopped working!", "dead on arrival", "DOA", "meh"]
    theirs = ["stopped working", "quit working", "died after a week"]
    a = orders_of("A", "S1", 20)
    b = orders_of("B", "S2", 20)
    feedback = [
        *(on(o, reason_code=None, comment=c) for o, c in zip(a, own, strict=False)),
        *(on(o, reason_code=None, comment=c) for o, c in zip(b, theirs, strict=False)),
        on(a[10], comment="stopped working, coded"),  # its reason code decided: no phrase
    ]
    svc = service([offer("S1", "A"), offer("S2", "B")], [*a, *b], feedback)
    theme = classify_explained(None, own[0])[1]
    mine = svc.theme_examples(Viewer(), T, 90, "S1", "A").filter(pl.col("theme") == theme)
    expected = said([c for c in own if classify_explained(None, c)[1] == theme])
    assert mine.row(0, named=True)["phrases"] == expected and expected
    # a seller's group view says only what their own customers said; a manager's, the group's
    seller = svc.theme_examples(Viewer("seller", "S1"), T, 90, "S1", "A", group=True)
    assert seller.filter(pl.col("theme") == theme).row(0, named=True)["phrases"] == expected
    manager = svc.theme_examples(Viewer("category_manager"), T, 90, "S1", "A", group=True)
    both = [c for c in [*own, *theirs] if classify_explained(None, c)[1] == theme]
    assert manager.filter(pl.col("theme") == theme).row(0, named=True)["phrases"] == said(both)


def test_the_service_shares_and_weeks_equal_the_direct_queries(service, demo_con):
    """The service answers from counts of every offer kept per as-of day; they must equal
    the queries over just the offer and its peers (live offers and deleted listings)."""
    from engine.health import MARKETPLACE
    from engine.service import TREND_WEEKS

    day = service.latest_day()
    frame = service.offers(MARKETPLACE, day, 90)
    picks = pl.concat(
        [
            frame.filter(pl.col("ncx_orders") > 3).head(4),
            frame.filter(pl.col("deleted_at").is_not_null()).head(2),
        ]
    )
    assert picks.height >= 5
    for me in picks.iter_rows(named=True):
        key = (me["seller_id"], me["sku"])
        peers = service._peer_keys(day, 90, me)
        direct = peer_themes.theme_shares(demo_con, key, peers, e=me["e"], window_days=90)
        assert service.theme_shares(MARKETPLACE, day, 90, *key).equals(direct)
        weeks = peer_themes.theme_weeks(
            demo_con, key, peers, start=me["e"] - timedelta(weeks=TREND_WEEKS), e=me["e"],
            return_lag_days=service.policy.return_lag_days,
        )  # fmt: skip
        assert service.theme_weeks(MARKETPLACE, day, 90, *key).equals(weeks)


def test_the_service_examples_equal_the_direct_query(service, demo_con):
    """Examples combined from every offer's (kept per day) equal the query over the set."""
    from engine.health import MARKETPLACE

    day = service.latest_day()
    frame = service.offers(MARKETPLACE, day, 90)
    picks = frame.filter(pl.col("ncx_orders") > 2).head(6)
    for me in picks.iter_rows(named=True):
        key = (me["seller_id"], me["sku"])
        group = service._peer_keys(day, 90, me, include_self=True)
        for keys, as_group in ((pl.DataFrame({"seller_id": [key[0]], "sku": [key[1]]}), False),
                               (group, True)):  # fmt: skip
            direct = peer_themes.theme_examples(demo_con, keys, e=day, window_days=90)
            got = service.theme_examples(MARKETPLACE, day, 90, *key, group=as_group)
            assert got.equals(direct), (key, as_group)
            assert got.height > 0
