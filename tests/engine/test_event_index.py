"""The comments panel's event index (engine/event_index.py) answers exactly what
engine/sql/comments.sql answers: the same events, in the same order, the same count."""

from __future__ import annotations

import random
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from engine import event_index
from engine.health import Viewer
from engine.service import GridQuery, VocService

CM = Viewer("category_manager")


@pytest.fixture(scope="module")
def indexed(demo_store):
    svc = VocService.open(demo_store)
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def scanned(demo_store):
    """The same store answered by comments.sql only (no event index)."""
    svc = VocService.open(demo_store)
    svc._event_index = lambda: None
    yield svc
    svc.close()


def _cases(svc: VocService):
    day = svc.latest_day()
    rng = random.Random(5)
    health = svc.all_health(day, 90)
    categories = sorted(set(health["category"].to_list()))
    themes = sorted(set(svc.comments(CM, day, 90, GridQuery(), limit=100_000)["theme"]))
    sources = ["return", "refund", "contact", "review", "seller_feedback"]
    cases = [dict(query=GridQuery(), day=day, limit=500)]
    for _ in range(24):
        cases.append(
            dict(
                query=GridQuery(
                    categories=tuple(rng.sample(categories, rng.choice([0, 1, 2]))),
                    health=tuple(
                        rng.sample(["poor", "very_poor", "fair", "good"], rng.choice([0, 1]))
                    ),
                ),
                day=day - timedelta(days=rng.choice([0, 0, 13, 200])),
                limit=rng.choice([1, 50, 500, 100_000]),
                since=rng.choice([None, day - timedelta(days=30)]),
                sources=tuple(rng.sample(sources, rng.choice([0, 0, 1, 2]))),
                themes=tuple(rng.sample(themes, rng.choice([0, 0, 1]))),
                counted=rng.choice([None, True, False]),
                with_comment=rng.choice([False, True]),
            )
        )
    return cases


def test_the_index_answers_what_comments_sql_answers(indexed, scanned):
    assert indexed._event_index() is not None  # the path under test is the index's
    seen_limited = 0
    for case in _cases(indexed):
        query, day = case.pop("query"), case.pop("day")
        got = indexed.comments(CM, day, 90, query, **case)
        want = scanned.comments(CM, day, 90, query, **case)
        assert got.columns == want.columns or (got.is_empty() and want.is_empty())
        assert got.equals(want), case
        if want.height:
            seen_limited += int(want["matching"][0] > want.height)
    assert seen_limited >= 3  # the cases include counts beyond the limit


def test_a_frame_of_offers_takes_the_index_too(indexed, scanned):
    day = indexed.latest_day()
    keys = indexed.all_health(day, 90).select("seller_id", "sku").sample(40, seed=3)
    got = indexed.comments(CM, day, 90, keys, limit=200)
    want = scanned.comments(CM, day, 90, keys, limit=200)
    assert got.height > 0 and got.equals(want)


def test_a_text_filter_is_left_to_sql(indexed, scanned):
    day = indexed.latest_day()
    got = indexed.comments(CM, day, 90, GridQuery(), text="broken")
    assert got.height > 0 and got.equals(scanned.comments(CM, day, 90, GridQuery(), text="broken"))
    assert all("broken" in c.lower() for c in got["comment"])


def test_the_index_is_newest_first_and_one_entry_per_event(demo_con):
    index = event_index.EventIndex.build(demo_con)
    assert index.row_id.size == demo_con.sql("SELECT count(*) FROM events").fetchall()[0][0]
    assert np.all(np.diff(index.day) <= 0)  # newest first
    assert np.unique(index.row_id).size == index.row_id.size
    everything = np.arange(index.offers.height)
    far = index.day.max() + 1
    rows, matching = index.query(everything, until=_day(far), limit=3)
    assert matching == index.row_id.size and rows.tolist() == index.row_id[:3].tolist()


def test_only_a_stored_events_table_has_an_index(demo_con):
    """``serve --derived`` (engine.lake.overlay) has events as a view over Parquet: no
    stable rowids, so the comments come from SQL there."""
    assert event_index.usable(demo_con)
    con = duckdb.connect()
    try:
        con.execute("CREATE VIEW events AS SELECT 1 AS feedback_id")
        assert not event_index.usable(con)
    finally:
        con.close()


def _day(days: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(days))


def test_the_fetch_keeps_the_index_order(demo_con):
    index = event_index.EventIndex.build(demo_con)
    rows = index.row_id[::-97][:25]  # not in table order
    frame = event_index.fetch(demo_con, rows, 25)
    order = demo_con.sql(
        "SELECT rowid AS r, feedback_id FROM events WHERE rowid IN (SELECT unnest(?::BIGINT[]))",
        params=[[int(r) for r in rows]],
    ).pl()
    by_row = dict(zip(order["r"].to_list(), order["feedback_id"].to_list(), strict=True))
    assert frame["feedback_id"].to_list() == [by_row[int(r)] for r in rows]
    assert frame["matching"].unique().to_list() == [25]
    assert pl.Series(frame.columns[:-1]).to_list() == list(event_index.COLUMNS)
