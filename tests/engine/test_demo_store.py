"""The streamed demo build (engine/demo_store.py) makes the in-memory path's store, and the
stream holds one chunk at a time (engine/demo.py ``stream``).

Small scale with small chunks (``chunk_offers``), so several chunks of other sellers
and the demo seller's chunk 0 (generated last, numbered first) are exercised in seconds.
"""

from __future__ import annotations

import gc
import io
import weakref
from collections.abc import Iterator

import numpy as np
import pytest

from engine import commands, demo, demo_store, pipeline
from engine.generations import Store

SCALE = 0.1
CHUNK_OFFERS = 100  # ~6 chunks at SCALE


def _rows(con, table: str) -> list[tuple]:
    """Every row of ``table``, in a stable order: lists sorted where the derivation
    leaves their order open (offer_activity.sql), the refresh time left out."""
    query = {
        "offer_activity": "SELECT seller_id, sku, list_sort(days) FROM offer_activity",
        "store_meta": "SELECT * EXCLUDE (refreshed_at) FROM store_meta",
    }.get(table, f"SELECT * FROM {table}")
    return con.execute(f"{query} ORDER BY ALL").fetchall()


def _tables(con) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def test_the_streamed_store_equals_the_in_memory_one_table_by_table(tmp_path) -> None:
    data, _ = demo._generate(SCALE, 7, demo.DEMO_END, chunk_offers=CHUNK_OFFERS)
    frames = {t: getattr(data, t) for t in ("offers", "orders", "feedback", "actions")}
    pipeline.build_store(tmp_path / "memory", frames)
    built = demo_store.build(tmp_path / "stream", scale=SCALE, seed=7, chunk_offers=CHUNK_OFFERS)

    assert len(built.written.orders) >= 5  # several chunks, or the test proves little
    assert built.summary.merged.counts["feedback"].added == data.feedback.height
    _, a = Store(tmp_path / "memory").connect()
    _, b = Store(tmp_path / "stream").connect()
    try:
        tables = _tables(a)
        assert tables == _tables(b)
        for table in ("offers", "orders", "feedback", "actions", "events", "snapshot"):
            assert table in tables
        for table in tables:
            assert _rows(a, table) == _rows(b, table), table
        # the ids themselves, not only the set of rows: F + 9 digits, in chunk order 0..n
        ids = [r[0] for r in b.execute("SELECT feedback_id FROM feedback").fetchall()]
        assert sorted(ids) == data.feedback["feedback_id"].sort().to_list()
        first = b.execute(
            "SELECT seller_id FROM feedback WHERE feedback_id = 'F000000001'"
        ).fetchall()
        assert first == [(demo.DEMO_SELLER_ID,)]
    finally:
        a.close()
        b.close()
    assert not list((tmp_path / "stream").glob("demo-chunks-*"))  # the Parquet parts are gone


def test_the_stream_generates_one_chunk_at_a_time_and_sums_to_generate() -> None:
    data, truth = demo._generate(SCALE, 7, demo.DEMO_END, chunk_offers=CHUNK_OFFERS)
    source = demo.stream(SCALE, 7, chunk_offers=CHUNK_OFFERS)
    chunks = source.chunks()
    assert isinstance(chunks, Iterator)  # lazy: nothing is generated before it is asked for

    held: list[weakref.ref] = []
    numbers, lines, events, offers, counted = [], 0, 0, 0, 0
    for chunk in chunks:  # a counting sink: keeps totals, drops the frames
        gc.collect()
        assert all(ref() is None for ref in held), "an earlier chunk is still held"
        held = [weakref.ref(chunk.orders), weakref.ref(chunk.feedback)]
        numbers.append(chunk.number)
        lines += chunk.orders.height
        events += chunk.feedback.height
        offers += chunk.offers
        counted += int(np.sum(chunk.counted))
        assert "feedback_id" not in chunk.feedback.columns
        del chunk

    assert numbers == [*range(1, source.n_chunks), 0]  # the demo seller last
    assert source.n_chunks >= 5
    assert (offers, lines, events) == (data.offers.height, data.orders.height, data.feedback.height)
    assert counted == int(truth.counted.sum())
    assert source.offers.equals(data.offers) and source.actions.equals(data.actions)
    with pytest.raises(RuntimeError):
        next(source.chunks())


def test_the_default_chunks_are_those_of_generate() -> None:
    # generate() is the stream concatenated: same chunking, so the same data as always
    data = demo.generate(0.05, 7)
    source = demo.stream(0.05, 7)
    parts = sorted(source.chunks(), key=lambda c: c.number)
    assert sum(p.orders.height for p in parts) == data.orders.height
    assert parts[0].orders.equals(data.orders.head(parts[0].orders.height))


def test_the_demo_command_streams_instead_of_generating_in_memory(tmp_path, monkeypatch) -> None:
    def refuse(*_args, **_kwargs):
        raise AssertionError("build_demo must not hold the whole demo in memory")

    monkeypatch.setattr(demo, "generate", refuse)
    monkeypatch.setattr(demo, "_generate", refuse)
    out = io.StringIO()
    assert commands.build_demo(tmp_path / "store", scale=0.05, out=out) == 0
    assert "demo generated in" in out.getvalue()
    assert not list((tmp_path / "store").glob("demo-chunks-*"))
    _, con = Store(tmp_path / "store").connect()
    try:
        assert con.execute("SELECT count(*) FROM snapshot").fetchall()[0][0] > 0
    finally:
        con.close()


def test_a_killed_builds_scratch_folder_is_removed_by_the_next_build(tmp_path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    stale = root / "demo-chunks-killed"
    stale.mkdir()
    (stale / "orders-00001.parquet").write_bytes(b"half written")
    demo_store.build(root, scale=0.05, seed=7)
    assert not stale.exists()
    assert not list(root.glob("demo-chunks-*"))
