"""The comments panel's index of feedback events: which events match, newest first, without
scanning the events table.

The panel shows the newest ``limit`` events of the offers matching the grid's filters
(possibly hundreds of thousands of offers) and how many match in all. Asked in SQL, that
joins every event with the offer keys and sorts the matches, reading each event's text
columns: a quarter of a second to several seconds at 50 million order lines. This index
holds, per event and newest first (``event_date`` descending, then ``feedback_id``, the
order of ``engine/sql/comments.sql``), only what the filters test: the offer (a number),
the day, the source, the theme, whether it counts and whether it has a comment, plus the
event's ``rowid``. A query is a few vectorised numpy passes; the ``limit`` rows shown are
then read by ``rowid``, from the same read-only generation the index was built from.

Contract: ``EventIndex.query`` returns exactly the rows, order and ``matching`` count that
comments.sql returns for the same filters (tests/engine/test_event_index.py checks it);
a text filter is not answered here (the caller runs the SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import polars as pl

# The columns comments.sql returns, in its order (without ``matching``).
COLUMNS = (
    "feedback_id", "seller_id", "sku", "order_id", "event_day", "source", "reason_code",
    "issue_type", "theme", "decided_by", "rating", "comment", "counted",
    "not_counted_reason", "sold_by_seller", "fulfilment_center",
)  # fmt: skip
_EPOCH = date(1970, 1, 1)

# Every offer with events, numbered in key order.
_OFFERS = """
SELECT seller_id, sku, (row_number() OVER (ORDER BY seller_id, sku) - 1)::INTEGER AS offer_no
FROM (SELECT DISTINCT seller_id, sku FROM events)
"""
# Every event, newest first, with the number of its offer (event_index_offers: _OFFERS).
_BUILD = """
SELECT
    ev.rowid AS row_id,
    k.offer_no,
    (ev.event_day - DATE '1970-01-01')::INTEGER AS day,
    ev.source,
    ev.theme,
    ev.counted,
    ev.has_comment
FROM events AS ev
JOIN event_index_offers AS k USING (seller_id, sku)
ORDER BY ev.event_date DESC, ev.feedback_id
"""


def _codes(values: pl.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    names = tuple(sorted(v for v in values.unique().to_list() if v is not None))
    lookup = {v: i for i, v in enumerate(names)}
    codes = values.replace_strict(lookup, default=len(names), return_dtype=pl.UInt16)
    return codes.to_numpy(), names


def usable(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``events`` is a stored table (rowids are stable in a read-only generation); a
    view, as ``serve --derived`` has over Parquet, has none."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'events' "
        "AND database_name = current_database() AND schema_name = 'main'"
    ).fetchall()[0][0]
    return bool(found)


@dataclass(frozen=True)
class EventIndex:
    """See the module docstring. ``offers``: (seller_id, sku, offer_no) of every offer with
    events; the other fields are aligned arrays, one element per event, newest first."""

    offers: pl.DataFrame
    row_id: np.ndarray
    offer_no: np.ndarray
    day: np.ndarray
    source: np.ndarray
    sources: tuple[str, ...]
    theme: np.ndarray
    themes: tuple[str, ...]
    counted: np.ndarray
    has_comment: np.ndarray

    @classmethod
    def build(cls, con: duckdb.DuckDBPyConnection) -> EventIndex:
        offers = con.sql(_OFFERS).pl().sort("offer_no")  # numbered 0..n-1, in order
        con.register("event_index_offers", offers.to_arrow())
        try:
            frame = con.sql(_BUILD).pl()
        finally:
            con.unregister("event_index_offers")
        source, sources = _codes(frame["source"])
        theme, themes = _codes(frame["theme"])
        row_id = frame["row_id"].to_numpy()
        if row_id.size and int(row_id.max()) < 2**32:
            row_id = row_id.astype(np.uint32)
        return cls(
            offers=offers,
            row_id=row_id,
            offer_no=frame["offer_no"].to_numpy(),
            day=frame["day"].to_numpy(),
            source=source,
            sources=sources,
            theme=theme,
            themes=themes,
            # 1 counted, 0 not, -1 unknown (NULL: matches neither, as in SQL)
            counted=frame["counted"].cast(pl.Int8).fill_null(-1).to_numpy(),
            has_comment=frame["has_comment"].fill_null(False).to_numpy(),
        )

    def offer_numbers(self, keys: pl.DataFrame) -> np.ndarray:
        """The offer numbers of ``keys`` (seller_id, sku); offers without events drop out."""
        return (
            keys.select("seller_id", "sku")
            .join(self.offers, on=["seller_id", "sku"], how="inner")["offer_no"]
            .to_numpy()
        )

    def query(
        self,
        offers: np.ndarray,
        *,
        until: date,
        since: date | None = None,
        sources: tuple[str, ...] = (),
        themes: tuple[str, ...] = (),
        counted: bool | None = None,
        with_comment: bool = False,
        limit: int,
    ) -> tuple[np.ndarray, int]:
        """(rowids of the newest ``limit`` matching events, newest first; how many match).

        ``offers``: offer numbers (``offer_numbers``)."""
        chosen = np.zeros(self.offers.height + 1, dtype=bool)
        chosen[offers] = True
        keep = chosen[self.offer_no]
        keep &= self.day <= (until - _EPOCH).days
        if since is not None:
            keep &= self.day >= (since - _EPOCH).days
        for wanted, names, codes in (
            (sources, self.sources, self.source),
            (themes, self.themes, self.theme),
        ):
            if wanted:
                allowed = np.zeros(len(names) + 1, dtype=bool)
                allowed[[i for i, n in enumerate(names) if n in wanted]] = True
                keep &= allowed[codes]
        if counted is not None:
            keep &= self.counted == int(counted)
        if with_comment:
            keep &= self.has_comment
        hits = np.flatnonzero(keep)
        return self.row_id[hits[: max(limit, 0)]], int(hits.size)


def fetch(con: duckdb.DuckDBPyConnection, row_ids: np.ndarray, matching: int) -> pl.DataFrame:
    """The comments.sql columns of the events ``row_ids`` (in that order) with ``matching``,
    read from the generation the index was built from."""
    cols = ", ".join(COLUMNS)
    ordered = [int(r) for r in row_ids]
    frame = con.sql(
        f"SELECT rowid AS _row_id, {cols} FROM events "
        "WHERE rowid IN (SELECT unnest($ids::BIGINT[]))",
        params={"ids": ordered},
    ).pl()
    position = pl.DataFrame(
        {"_row_id": ordered, "_at": range(len(ordered))},
        schema={"_row_id": frame.schema["_row_id"], "_at": pl.Int64},
    )
    return (
        frame.join(position, on="_row_id")
        .sort("_at")
        .select(*COLUMNS, pl.lit(matching, dtype=pl.Int64).alias("matching"))
    )
