"""Queries the page needs, scoped to a viewer, over one read-only connection.

Every public method takes the ``Viewer`` first: scoping happens here, below the callbacks,
so no callback can forget it. Results are polars frames; the health of all offers for an
(as-of day, window) is computed once and cached (keyed by the store's data version).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import duckdb
import numpy as np
import polars as pl

from engine import event_index, peer_themes, sql, store, traced
from engine.access import User, check_offer, resolve_viewer
from engine.actions import check_action
from engine.app_state import ActionError, AppState
from engine.event_index import EventIndex
from engine.generations import Reader, Store, StoreError
from engine.health import LEVEL_KEYS, MARKETPLACE, Viewer, offer_health, wilson
from engine.policy import DEFAULT_POLICY, DELETED, SHOWN_LEVELS, SHOWN_RANK, Policy
from engine.traced import FixShare

log = logging.getLogger(__name__)
T = TypeVar("T")
# The two ways comments.sql selects offers (trusted text, substituted for {offers}).
ONE_OFFER = "ev.seller_id = $seller_id AND ev.sku = $sku"
MANY_OFFERS = "(ev.seller_id, ev.sku) IN (SELECT seller_id, sku FROM eval_offers)"
TREND_WEEKS = 52
COMMENT_LIMIT = 500
MIN_ORDERS_FOR_BAND = 10  # peers with fewer orders in their trailing 4 weeks stay out of the band
MIN_OFFERS_FOR_BAND = 5  # a week's band (quartiles) needs at least this many such peers
ROLLING_WEEKS = 4  # the trend reads trailing 4-week rates: single weeks of small offers are 0 or 1


@dataclass(frozen=True)
class GridQuery:
    """What the offers grid asks for: filters, one sort, a row range."""

    health: tuple[str, ...] = ()
    action_required: bool = False
    at_risk: bool = False  # early warning: only offers at risk (engine.risk)
    categories: tuple[str, ...] = ()
    subcategories: tuple[str, ...] = ()
    price_bands: tuple[str, ...] = ()
    fulfilment: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    with_comments: bool = False
    search: str = ""
    peer_group: tuple[str, str, str] | None = None  # (category, subcategory, price_band)
    sort_by: str = "health_rank"
    descending: bool = False
    column_filters: tuple[tuple[str, str, str], ...] = ()  # (column, operator, value)


@dataclass(frozen=True)
class WeeklyIndex:
    """Weekly rows of many offers, grouped by offer, and each offer's span of rows.

    The rows hold the offer's integer id only; its keys are kept once, with its span (at
    500,000 offers a year of weeks is tens of millions of rows)."""

    weeks: pl.DataFrame  # oid, week, orders, ncx_orders
    spans: pl.DataFrame  # seller_id, sku, lo, hi: the offer's rows are weeks[lo:hi]
    # the spans' key hashes, sorted, and the span row of each: a lookup is a binary
    # search, not a join with every offer's span (checked against the keys themselves)
    hashes: np.ndarray
    hash_rows: np.ndarray

    @classmethod
    def of(cls, weeks: pl.DataFrame, keys: pl.DataFrame | None = None) -> WeeklyIndex:
        """``weeks``: rows with an integer offer id ``oid`` (``offer_weeks.sql``), and
        either their keys (seller_id, sku) or, in ``keys``, each oid's keys once (oid,
        seller_id, sku): millions of rows need not carry two strings each."""
        weeks = weeks.sort("oid", "week")  # integers: cheap, and already sorted by the query
        spans = (
            weeks.with_row_index("row")
            .group_by("oid", maintain_order=True)
            .agg(
                *([pl.col("seller_id", "sku").first()] if keys is None else []),
                lo=pl.col("row").first(),
                hi=pl.col("row").last() + 1,
            )
        )
        if keys is not None:
            named = keys.select(pl.col("oid").cast(spans.schema["oid"]), "seller_id", "sku")
            spans = spans.join(named, on="oid", maintain_order="left").select(
                "oid", "seller_id", "sku", "lo", "hi"
            )
        spans = spans.drop("oid")
        hashes = _key_hashes(spans)
        order = np.argsort(hashes, kind="stable")
        weeks = weeks.drop("seller_id", "sku", strict=False)
        return cls(weeks, spans, hashes[order], order)

    def take(self, keys: pl.DataFrame) -> pl.DataFrame:
        """The rows of the offers in ``keys`` (seller_id, sku), with their keys: oid,
        seller_id, sku, week, orders, ncx_orders; offers without weeks have none."""
        found = self._find(keys.select("seller_id", "sku"))
        lo = found["lo"].to_numpy().astype(np.int64)
        lengths = found["hi"].to_numpy().astype(np.int64) - lo
        # lo..hi-1 of every span, concatenated: each span's start repeated, plus a running count
        starts = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
        rows = self.weeks[starts + np.arange(lengths.sum())]
        owners = found.select("seller_id", "sku")[np.repeat(np.arange(found.height), lengths)]
        return pl.concat([rows.select("oid"), owners, rows.drop("oid")], how="horizontal")

    def _find(self, keys: pl.DataFrame) -> pl.DataFrame:
        """The spans of ``keys`` (in their order; keys without weeks drop out)."""
        if self.hashes.size == 0:
            return self.spans.clear()
        wanted = _key_hashes(keys)
        at = np.minimum(np.searchsorted(self.hashes, wanted), self.hashes.size - 1)
        rows = self.hash_rows[at]
        found = self.spans[rows]
        same = (
            (self.hashes[at] == wanted)
            & (found["seller_id"] == keys["seller_id"]).to_numpy()
            & (found["sku"] == keys["sku"]).to_numpy()
        )
        if not same.all() and (self.hashes[at][~same] == wanted[~same]).any():
            # a hash shared by two keys (never seen at 64 bits): the join decides
            return keys.join(self.spans, on=["seller_id", "sku"], maintain_order="left")
        return found.filter(pl.Series(same))


def _numbered(keys: pl.DataFrame) -> pl.DataFrame:
    """Offer keys with ``oid``, their position from 1 (offer_weeks.sql's offer id)."""
    return keys.select("seller_id", "sku").with_row_index("oid", offset=1)


def _key_hashes(keys: pl.DataFrame) -> np.ndarray:
    return keys.select(pl.struct("seller_id", "sku").hash(seed=7)).to_series().to_numpy()


def _four_week_rates(weeks: pl.DataFrame) -> pl.DataFrame:
    """Per offer (oid) and week, the rate over its trailing 4 weeks, for offers with at
    least MIN_ORDERS_FOR_BAND orders in them: single weeks of small offers are mostly 0 %
    or 100 % and would make the peers' band noise. Returns oid, week, rate."""
    return (
        weeks.sort("oid", "week")
        .rolling(index_column="week", period="28d", group_by="oid")
        .agg(o4=pl.col("orders").sum(), k4=pl.col("ncx_orders").sum())
        .filter(pl.col("o4") >= MIN_ORDERS_FOR_BAND)
        .select("oid", "week", rate=pl.col("k4") / pl.col("o4"))
    )


@dataclass(frozen=True)
class OfferDetail:
    """What a row click shows: the offer's health row, weekly trend, breakdown and actions."""

    offer: dict
    trend: pl.DataFrame
    breakdown: pl.DataFrame
    actions: pl.DataFrame
    # every event of each NCX order (engine.traced.EVENT_COLUMNS) and who caused them
    ncx_events: pl.DataFrame
    fix: FixShare


GRID_SORTABLE = frozenset(
    {
        "title",
        "asin",
        "sku",
        "fulfilment",
        "health_rank",
        "ncx_rate",
        "ncx_orders",
        "orders",
        "peer_rate",
        "x_peers",
        "top_ncx_reason",
        "last_updated",
        "closed_at",
        "status",
        "seller_id",
        "category",
        "subcategory",
        "price_band",
        "at_risk_reason",
    }
)
# Grid columns sorted on one engine column but filtered on another (health sorts by rank).
FILTER_ON = {"health_rank": "shown_health"}
# Columns shown as percentages: a number typed into their filter is a percentage.
PERCENT_COLUMNS = frozenset({"ncx_rate", "peer_rate"})
TEXT_OPERATORS = frozenset({"contains", "equals", "startsWith"})
NUMBER_OPERATORS = frozenset(
    {"equals", "greaterThan", "lessThan", "greaterThanOrEqual", "lessThanOrEqual"}
)


@dataclass
class VocService:
    """The page's data access. Open with ``VocService.open(store_folder)``.

    ``source`` gives the current (version, connection): for a store folder, the live
    generation, renewed when an import makes a new one live (engine.generations.Reader),
    so every request sees complete data and the next request after an import sees it.
    """

    source: Callable[[], tuple[int, duckdb.DuckDBPyConnection]]
    policy: Policy = DEFAULT_POLICY
    cache_size: int = 8
    _cache: OrderedDict = field(default_factory=OrderedDict)
    # Row order of recent grid queries (small integer arrays), so paging is a slice.
    _orders: OrderedDict = field(default_factory=OrderedDict)
    orders_size: int = 64
    # Every offer's order per sortable column and direction (row positions), per day.
    _sorts: OrderedDict = field(default_factory=OrderedDict)
    sorts_size: int = 2 * 2 * len(GRID_SORTABLE)
    # What every view of a data version (and day, window) shares: the day range, sellers,
    # categories, the health index, theme counts and examples of every offer. Apart from
    # the grid orders, so many people's sorts and filters cannot push them out.
    _shared: OrderedDict = field(default_factory=OrderedDict)
    shared_size: int = 48
    # Traced NCX orders of recently opened offers (small frames).
    _traced_cache: OrderedDict = field(default_factory=OrderedDict)
    traced_size: int = 16
    _group_weeks_cache: OrderedDict = field(default_factory=OrderedDict)
    group_weeks_size: int = 256
    # Example comments per theme of recently shown offers and peer groups (small frames).
    _examples: OrderedDict = field(default_factory=OrderedDict)
    examples_size: int = 64
    # Offer keys checked recently (engine.access.check_offer): their seller and category.
    _owners: OrderedDict = field(default_factory=OrderedDict)
    owners_size: int = 1024
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _key_locks: dict = field(default_factory=dict)
    _deleted: dict = field(default_factory=dict)  # data version -> deleted_health cache
    # Build the trend index of an as-of day in the background once its health is computed.
    prefetch_trends: bool = True
    _prefetch: threading.Thread | None = None
    _reader: Reader | None = None
    # Seller actions (engine/app_state.py); an in-memory one over a plain connection.
    app_state: AppState | None = None
    _actions_synced: int | None = None

    @classmethod
    def open(cls, root: str | os.PathLike[str], policy: Policy = DEFAULT_POLICY) -> VocService:
        """Over a store folder's live generation (read-only)."""
        reader = Reader(Store(Path(root)))
        reader.current()  # fail now, not on the first request, when there is no data
        return cls(reader.current, policy, _reader=reader, app_state=AppState.beside(root))

    @classmethod
    def open_derived(
        cls, root: str | os.PathLike[str], lake_dir: Path, policy: Policy = DEFAULT_POLICY
    ) -> VocService:
        """Over the store's canonical tables and the derived tables of a lake folder
        (``serve --derived``, engine.lake.overlay). The data is fixed while it is served:
        an import into the store shows after a restart. LakeError or StoreError when
        either is missing."""
        from engine import lake

        live = Store(Path(root)).live()
        if live is None:
            raise StoreError(f"the store {root} holds no data yet")
        con = lake.overlay(live, Path(lake_dir))
        version = store.data_version(con)
        return cls(lambda: (version, con), policy, app_state=AppState.beside(root))

    @classmethod
    def over(cls, con: duckdb.DuckDBPyConnection, policy: Policy = DEFAULT_POLICY) -> VocService:
        """Over one connection whose data does not change while the service is used."""
        version = store.data_version(con)
        return cls(lambda: (version, con), policy)

    def close(self) -> None:
        """Close the store; a trend index still being prefetched is waited for first (a
        query cut off by its connection closing aborts the interpreter at exit)."""
        prefetch = self._prefetch
        if prefetch is not None and prefetch is not threading.current_thread():
            prefetch.join()
        if self._reader is not None:
            self._reader.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one request (DuckDB connections are not shared across threads)."""
        return self.source()[1].cursor()

    # --- basics ------------------------------------------------------------------------

    def latest_day(self) -> date:
        return self.day_range()[1]

    def day_range(self) -> tuple[date, date]:
        """(first purchase day, default as-of day) of the data: the as-of days with data."""

        def build() -> tuple[date, date]:
            cur = self.cursor()
            try:
                last = store.latest_day(cur) or date.today()
                return min(store.first_day(cur) or last, last), last
            finally:
                cur.close()

        return self._memo(("days", self.data_version()), build, self._shared, self.shared_size)

    def sellers(self) -> list[str]:
        """Every seller id of the data, sorted (kept per data version)."""
        return self._values("sellers", "SELECT DISTINCT seller_id FROM offers ORDER BY 1")

    def _values(self, name: str, query: str) -> list:
        """The first column of a parameterless query, kept per data version."""

        def build() -> list:
            cur = self.cursor()
            try:
                return [r[0] for r in cur.execute(query).fetchall()]
            finally:
                cur.close()

        return list(self._memo((name, self.data_version()), build, self._shared, self.shared_size))

    # --- who may see what (engine.access): the viewer of a request, built here ---------

    def viewer_for(
        self, user: User | None, view: str | None, categories: tuple[str, ...] | list[str] | None
    ) -> Viewer:
        """The viewer of a request by ``user`` (None: demo mode) asking to look as
        ``view`` over ``categories``; ``Refused`` for what they may not see or the data
        does not have (``engine.access.resolve_viewer``)."""
        return resolve_viewer(
            user,
            view,
            categories,
            sellers=frozenset(self.sellers()),
            known_categories=frozenset(self.categories()),
        )

    def check_offer(self, user: User | None, seller_id: str, sku: str) -> None:
        """Refuse an offer key the user may never see, or one that does not exist."""
        check_offer(user, self.offer_owner(seller_id, sku))

    def offer_owner(self, seller_id: str, sku: str) -> tuple[str, str | None] | None:
        """(seller_id, category) of an offer of the data, None when there is none (kept
        for the offers asked about recently: one row click checks its key many times)."""

        def build() -> tuple:
            cur = self.cursor()
            try:
                row = cur.execute(
                    "SELECT seller_id, category FROM offers WHERE seller_id = ? AND sku = ? "
                    "LIMIT 1",
                    [str(seller_id), str(sku)],
                ).fetchone()
            finally:
                cur.close()
            return (row[0], row[1]) if row else ()

        key = ("owner", self.data_version(), str(seller_id), str(sku))
        found = self._memo(key, build, self._owners, self.owners_size)
        return found or None

    def default_view(self) -> str:
        """The seller the page opens as: the demo's featured seller when present."""
        from engine.demo import DEMO_SELLER_ID

        sellers = self.sellers()
        if DEMO_SELLER_ID in sellers:
            return DEMO_SELLER_ID
        return sellers[0] if sellers else ""

    def categories(self) -> list[str]:
        """Every category of the data, sorted (kept per data version)."""
        return self._values(
            "categories",
            "SELECT DISTINCT category FROM offers WHERE category IS NOT NULL ORDER BY 1",
        )

    def subcategories(self, categories: tuple[str, ...] = ()) -> list[str]:
        """Subcategories, of ``categories`` when given."""
        cur = self.cursor()
        try:
            rows = cur.execute(
                "SELECT DISTINCT subcategory FROM offers WHERE subcategory IS NOT NULL "
                "AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], category)) ORDER BY 1",
                [list(categories), list(categories)],
            ).fetchall()
            return [r[0] for r in rows]
        finally:
            cur.close()

    # --- health ------------------------------------------------------------------------

    def _memo(
        self, key: tuple, build: Callable[[], T], cache: OrderedDict | None = None, size: int = 0
    ) -> T:
        """``build()`` once per key, kept in an LRU (the health cache unless ``cache`` and
        ``size`` are given); concurrent callers of a key wait for one build."""
        if cache is None:
            cache, size = self._cache, self.cache_size
        with self._lock:
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
                return hit
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                hit = cache.get(key)
            if hit is not None:
                return hit
            value = build()
            with self._lock:
                cache[key] = value
                while len(cache) > size:
                    cache.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def data_version(self) -> int:
        """The data version requests see now (caches key on it; bumped by every import)."""
        return self.source()[0]

    def all_health(self, as_of: date, window_days: int) -> pl.DataFrame:
        """Every offer's health (marketplace view), computed once per (version, day, window).

        Concurrent requests for the same key wait for one computation. Internal: callers
        outside the engine use ``offers``, which applies the viewer.
        """
        version = self.data_version()

        def build() -> pl.DataFrame:
            frame = self._compute_health(version, as_of, window_days)
            if self.prefetch_trends:  # a row click at this day needs the trend index next
                self._prefetch = threading.Thread(
                    target=self._prefetch_weeks, args=(as_of,), name="trend-index", daemon=True
                )
                self._prefetch.start()
            return frame

        return self._memo(("health", version, as_of, window_days), build)

    def _prefetch_weeks(self, e: date) -> None:
        try:
            self._weekly_index(e)
        except duckdb.Error:  # e.g. the connection closed at shutdown: the click builds it
            log.debug("trend index prefetch for %s failed", e, exc_info=True)

    def warm(self, window_days: int = 90) -> None:
        """Compute what the first page views of the default day and window read (every
        offer's health, the trend index, the theme counts), so that the first requests
        a fresh server process answers are as fast as the later ones."""
        day = self.latest_day()
        self._health_index(day, window_days)
        self._weekly_index(day)
        keys = self._all_keys()
        self._theme_counts(keys, day, window_days, live=True)
        self._theme_week_counts(keys, day - timedelta(weeks=TREND_WEEKS), day, live=True)
        self._offer_examples(day, window_days)
        self.warm_sorts(day, window_days)
        held = self._event_index()
        if held is not None:  # the comments of many offers
            self._event_offers(held[1], self.all_health(day, window_days))
        # One offer's detail and comments: their first queries read the orders' and events'
        # columns from the file (a quarter of a second), not the first row click.
        health = self._health_index(day, window_days)[0]
        busy = health.filter(pl.col("ncx_orders") > 0, pl.col("e") == day).head(1)
        if busy.height:
            me = busy.row(0, named=True)
            self._traced(window_days, me)
            self._breakdown(window_days, me)
            self._trend(day, window_days, me)
            self.comments(MARKETPLACE, day, window_days, busy.select("seller_id", "sku"))

    def _compute_health(self, version: int, as_of: date, window_days: int) -> pl.DataFrame:
        with self._lock:
            if version not in self._deleted:
                self._deleted.clear()  # an older version's results are stale
            deleted_cache = self._deleted.setdefault(version, {})
        cur = self.cursor()
        try:
            frame = offer_health(
                cur,
                as_of=as_of,
                window_days=window_days,
                policy=self.policy,
                viewer=MARKETPLACE,
                cache=deleted_cache,
            )
        finally:
            cur.close()
        shown = (
            pl.when(pl.col("status") == "deleted").then(pl.lit(DELETED)).otherwise(pl.col("health"))
        )
        return frame.with_columns(
            shown_health=shown,
            health_rank=shown.replace_strict(SHOWN_RANK, return_dtype=pl.Int8),
            # the evidence within a level, for "worst first": how far the interval's low
            # end is above the peer rate, then the NCX orders beyond the peers' share
            lo_excess=pl.col("ci_low") - pl.col("peer_rate"),
            k_excess=pl.col("ncx_orders") - pl.col("peer_rate") * pl.col("orders"),
            x_peers=pl.col("ncx_rate") / pl.col("peer_rate"),
            has_comments=pl.col("commented") > 0,
            search_text=pl.concat_str(
                [pl.col("title").fill_null(""), pl.col("asin").fill_null(""), pl.col("sku")],
                separator=" ",
            ).str.to_lowercase(),
        )

    def offers(self, viewer: Viewer, as_of: date, window_days: int) -> pl.DataFrame:
        """The viewer's offers with health (see ``offer_health`` for the columns).

        A seller sees peer aggregates only of groups holding offers of at least
        ``policy.min_other_sellers`` other sellers (DESIGN.md 6): a marketplace group
        smaller than that (the whole marketplace of a store with a few sellers, where no
        level qualifies) keeps the offer's own figures and health, and its peer figures
        are withheld (null) with an explanation that says so."""
        frame = self.all_health(as_of, window_days).filter(viewer.offer_filter())
        if viewer.kind != "seller" or frame.is_empty():
            return frame
        return withhold_small_peer_groups(frame, self.policy)

    def tile_counts(self, viewer: Viewer, as_of: date, window_days: int) -> dict[str, int]:
        """Offers per shown level (every health level and 'listing_deleted', zero included)
        'action_required' and 'at_risk'."""
        frame = self.offers(viewer, as_of, window_days)
        counts = dict(frame.group_by("shown_health").len().iter_rows())
        out = {level: int(counts.get(level, 0)) for level in SHOWN_LEVELS}
        out["action_required"] = int(frame["action_required"].sum())
        out["at_risk"] = int(frame["at_risk"].sum())
        return out

    def peer_notes(self, viewer: Viewer, as_of: date, window_days: int) -> dict:
        """What the page says about the viewer's peers: offers per peer basis
        (marketplace, own_catalogue, benchmark) and offers still Uncategorised."""
        frame = self.offers(viewer, as_of, window_days)
        bases = dict(frame.group_by("peer_basis").len().iter_rows()) if frame.height else {}
        return {
            "bases": {k: int(v) for k, v in bases.items() if k},
            "uncategorised": int((frame["category"] == store.UNCATEGORISED).sum()),
        }

    def matching(
        self, viewer: Viewer, as_of: date, window_days: int, query: GridQuery
    ) -> pl.DataFrame:
        """The viewer's offers that match the grid query's filters, unsorted."""
        return self.offers(viewer, as_of, window_days).filter(*_grid_predicates(query))

    def grid(self, viewer: Viewer, as_of: date, window_days: int, query: GridQuery) -> pl.DataFrame:
        """The viewer's offers filtered and sorted for the grid (all matching rows)."""
        return _grid_sort(self.matching(viewer, as_of, window_days, query), query)

    def grid_page(
        self, viewer: Viewer, as_of: date, window_days: int, query: GridQuery, start: int, end: int
    ) -> tuple[pl.DataFrame, int]:
        """Rows [start, end) of the filtered, sorted grid and the number of matching rows.

        The grid's row order (positions in the health frame) is kept per query, so paging
        through a large grid is a slice, not a new filter and sort of every offer.
        """
        frame, rows = self._grid_order(viewer, as_of, window_days, query)
        return frame[rows[max(0, start) : max(0, end)]], len(rows)

    def grid_position(
        self,
        viewer: Viewer,
        as_of: date,
        window_days: int,
        query: GridQuery,
        seller_id: str,
        sku: str,
    ) -> int | None:
        """The row index of an offer in the filtered, sorted grid (None when not in it)."""
        frame, rows = self._grid_order(viewer, as_of, window_days, query)
        shown = frame.select("seller_id", "sku")[rows].with_row_index("i")
        hit = shown.filter((pl.col("seller_id") == seller_id) & (pl.col("sku") == sku))
        return int(hit["i"][0]) if hit.height else None

    def _grid_order(
        self, viewer: Viewer, as_of: date, window_days: int, query: GridQuery
    ) -> tuple[pl.DataFrame, np.ndarray]:
        frame = self.all_health(as_of, window_days)

        def order() -> tuple[pl.DataFrame, np.ndarray]:
            # every offer's order under this sort (kept per column), restricted to the
            # matching ones: a pass over the rows, not a sort of them
            ranked = self._sorted_rows(frame, query.sort_by, query.descending)
            return frame, ranked[self._matching_mask(frame, viewer, query)[ranked]]

        # Row positions belong to one frame object (a health frame computed again after
        # leaving its cache may order its rows differently): keyed by it and holding it.
        key = ("grid", self.data_version(), as_of, window_days, id(frame), viewer, query)
        return self._memo(key, order, self._orders, self.orders_size)

    @staticmethod
    def _matching_mask(frame: pl.DataFrame, viewer: Viewer, query: GridQuery) -> np.ndarray:
        """Per row of a health frame: whether the viewer sees it and it matches the query."""
        every = pl.col("sku").is_not_null()  # a column, so a literal filter broadcasts
        wanted = pl.all_horizontal(every, viewer.offer_filter(), *_grid_predicates(query))
        return frame.select(wanted.fill_null(False)).to_series().to_numpy()

    def _sorted_rows(self, frame: pl.DataFrame, column: str, descending: bool) -> np.ndarray:
        """Every row of a health frame in the grid's order for a sort (``_grid_sort``,
        made total by keeping the frame's order among full ties), as row positions. The
        filtered grid's order is this order restricted to its rows. Kept per frame object
        (the entry holds it, so its id stays its own)."""
        column = column if column in GRID_SORTABLE else "health_rank"

        def build() -> tuple[pl.DataFrame, np.ndarray]:
            numbered = frame.with_row_index("_row")
            query = GridQuery(sort_by=column, descending=descending)
            return frame, _grid_sort(numbered, query, stable=True)["_row"].to_numpy()

        key = ("sorted", id(frame), column, descending)
        return self._memo(key, build, self._sorts, self.sorts_size)[1]

    def warm_sorts(self, as_of: date, window_days: int) -> None:
        """Every sortable column's order (both ways) for this day and window, so the first
        new sort of the grid is as fast as the later ones."""
        frame = self.all_health(as_of, window_days)
        for column in sorted(GRID_SORTABLE):
            for descending in (False, True):
                self._sorted_rows(frame, column, descending)

    def offer(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> dict | None:
        """One offer's health row, or None when it does not exist or the viewer may not see it."""
        health, index = self._health_index(as_of, window_days)
        at = index.get((seller_id, sku))
        if at is None:
            return None
        # the row, then the viewer's scope: as ``offers`` has it, without the whole frame
        frame = health.slice(at, 1).filter(viewer.offer_filter())
        if viewer.kind == "seller" and frame.height:
            frame = withhold_small_peer_groups(frame, self.policy)
        return frame.row(0, named=True) if frame.height else None

    def _health_index(self, as_of: date, window_days: int) -> tuple[pl.DataFrame, dict]:
        """Every offer's health and the row of each (seller_id, sku) in it, kept together
        per (data version, day, window): a row click looks its offer up a dozen times."""

        def build() -> tuple[pl.DataFrame, dict]:
            frame = self.all_health(as_of, window_days)
            keys = zip(frame["seller_id"].to_list(), frame["sku"].to_list(), strict=True)
            return frame, {k: i for i, k in enumerate(keys)}

        key = ("health_index", self.data_version(), as_of, window_days)
        return self._memo(key, build, self._shared, self.shared_size)

    # --- one offer ---------------------------------------------------------------------

    def trend(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> pl.DataFrame:
        """Weekly trend of one offer against its peer group (docs/health.md, trends).

        Columns, per week (Monday) of purchase: orders, ncx_orders (NCX orders among the
        week's purchases, so ncx_rate <= 1), ncx_rate; orders4, ncx4, rate4, lo4, hi4: the
        offer's trailing 4-week pooled rate and its Wilson interval (what the chart draws:
        single weeks of small offers are mostly 0 or 1); peer_orders, peer_ncx, peer_rate,
        peer_rate4: the peer group's pooled weekly and 4-week rates without the offer;
        peer_p25, peer_p75: quartiles of the peers' own 4-week rates (peers with >=
        MIN_ORDERS_FOR_BAND orders); peer_offers; maturing (the week ends less than
        policy.return_lag_days before the effective day). Empty when the viewer may not
        see the offer.
        """
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        if me is None:
            return pl.DataFrame()
        weeks = self._trend(as_of, window_days, me)
        if viewer.kind == "seller" and _withheld(me):
            peer = [c for c in weeks.columns if c.startswith("peer_")]
            weeks = weeks.with_columns(pl.lit(None, dtype=weeks.schema[c]).alias(c) for c in peer)
        return weeks

    def _trend(self, as_of: date, window_days: int, me: dict) -> pl.DataFrame:
        seller_id, sku, e = me["seller_id"], me["sku"], me["e"]
        start = e - timedelta(weeks=TREND_WEEKS)
        if e == as_of:
            # Live offers share one index per as-of day, and the offers of one peer group
            # share its weeks and 4-week rates: the offer itself is left out by its oid.
            mine = self._weekly_index(e).take(
                pl.DataFrame({"seller_id": [seller_id], "sku": [sku]})
            )
            group, group_rates = self._group_weeks(as_of, window_days, me)
            own = mine["oid"].unique().to_list()
            others = group.filter(~pl.col("oid").is_in(own))
            rates = group_rates.filter(~pl.col("oid").is_in(own))
        else:
            # a deleted listing (evaluated at its deletion day) queries its own group's weeks
            peers = self._peer_keys(as_of, window_days, me)
            keys = pl.concat([pl.DataFrame({"seller_id": [seller_id], "sku": [sku]}), peers])
            weeks = self._weeks(keys, start, e)
            mine = weeks.filter((pl.col("seller_id") == seller_id) & (pl.col("sku") == sku))
            others = weeks.filter(~((pl.col("seller_id") == seller_id) & (pl.col("sku") == sku)))
            rates = _four_week_rates(others)
        rolled = (
            rates.group_by("week")
            .agg(
                peer_p25=pl.col("rate").quantile(0.25, interpolation="linear"),
                peer_p75=pl.col("rate").quantile(0.75, interpolation="linear"),
                band_offers=pl.len(),
            )
            # a band (quartiles) only of at least MIN_OFFERS_FOR_BAND offers (DESIGN.md 6)
            .with_columns(
                pl.when(pl.col("band_offers") >= MIN_OFFERS_FOR_BAND)
                .then(pl.col(c))
                .otherwise(None)
                .alias(c)
                for c in ("peer_p25", "peer_p75")
            )
            .drop("band_offers")
        )
        band = (
            others.group_by("week")
            .agg(
                peer_orders=pl.col("orders").sum(),
                peer_ncx=pl.col("ncx_orders").sum(),
                peer_offers=pl.len(),
            )
            .join(rolled, on="week", how="left")
        )
        calendar = pl.DataFrame(
            {"week": pl.date_range(start - timedelta(days=start.weekday()), e, "1w", eager=True)}
        )
        lag = timedelta(days=self.policy.return_lag_days)
        four = {"window_size": ROLLING_WEEKS, "min_samples": 1}
        lo4, hi4 = wilson(pl.col("ncx4"), pl.col("orders4"), z=self.policy.z)
        return (
            calendar.join(mine.select("week", "orders", "ncx_orders"), on="week", how="left")
            .join(band, on="week", how="left")
            .with_columns(pl.col("orders", "ncx_orders", "peer_orders", "peer_ncx").fill_null(0))
            .sort("week")
            .with_columns(
                orders4=pl.col("orders").rolling_sum(**four),
                ncx4=pl.col("ncx_orders").rolling_sum(**four),
                peer_orders4=pl.col("peer_orders").rolling_sum(**four),
                peer_ncx4=pl.col("peer_ncx").rolling_sum(**four),
            )
            .with_columns(
                ncx_rate=_rate("ncx_orders", "orders"),
                peer_rate=_rate("peer_ncx", "peer_orders"),
                rate4=_rate("ncx4", "orders4"),
                peer_rate4=_rate("peer_ncx4", "peer_orders4"),
                lo4=lo4,
                hi4=hi4,
                maturing=(pl.col("week") + timedelta(days=6)) > pl.lit(e - lag),
            )
        )

    def _group_weeks(
        self, as_of: date, window_days: int, me: dict
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The weekly rows and 4-week rates (``_four_week_rates``) of every offer of
        ``me``'s live peer group (``me`` included when it has orders), once per group: the
        offers of one group ask for the same rows, each leaving itself out."""
        level = me["peer_level"]
        values = tuple(me[c] for c in LEVEL_KEYS[level])
        key = ("group_weeks", self.data_version(), as_of, window_days, level, values)

        def build() -> tuple[pl.DataFrame, pl.DataFrame]:
            members = self._peer_keys(as_of, window_days, me, include_self=True)
            weeks = self._weekly_index(as_of).take(members)
            return weeks, _four_week_rates(weeks)

        return self._memo(key, build, self._group_weeks_cache, self.group_weeks_size)

    def breakdown(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> pl.DataFrame:
        """One offer's events in its window by source, theme and counted (empty if not visible)."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        return pl.DataFrame() if me is None else self._breakdown(window_days, me)

    def _breakdown(self, window_days: int, me: dict) -> pl.DataFrame:
        e = me["e"]
        params = {
            "seller_id": me["seller_id"],
            "sku": me["sku"],
            "start": e - timedelta(days=window_days - 1),
            "e": e,
        }
        cur = self.cursor()
        try:
            return (
                cur.sql(sql.load("offer_breakdown"), params=params)
                .pl()
                .with_columns(pl.col("events").cast(pl.Int64))
            )
        finally:
            cur.close()

    def ncx_orders(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> pl.DataFrame:
        """One offer's NCX orders in its window, one row each, newest purchase first (see
        ``engine.traced.ncx_orders`` for the columns); empty when the viewer may not see
        the offer."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        return pl.DataFrame() if me is None else traced.ncx_orders(self._traced(window_days, me))

    def ncx_order_events(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> pl.DataFrame:
        """Every event of each NCX order of one offer in its window, one row per event
        (``engine.traced.EVENT_COLUMNS``); empty when the viewer may not see the offer."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        return pl.DataFrame() if me is None else self._traced(window_days, me)

    def _traced(self, window_days: int, me: dict) -> pl.DataFrame:
        """The offer's traced NCX orders, kept for the last few offers: a row click asks
        for them twice (the detail's explanation and the traced grid)."""

        def build() -> pl.DataFrame:
            cur = self.cursor()
            try:
                return traced.ncx_order_events(
                    cur, me["seller_id"], me["sku"], me["e"], window_days
                )
            finally:
                cur.close()

        key = ("traced", self.data_version(), me["seller_id"], me["sku"], me["e"], window_days)
        return self._memo(key, build, self._traced_cache, self.traced_size)

    def actions(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> pl.DataFrame:
        """Recorded seller actions of one offer up to its effective day (empty if not visible)."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        return pl.DataFrame() if me is None else self._actions(me)

    def _actions(self, me: dict) -> pl.DataFrame:
        """The offer's actions up to its effective day (engine/app_state.py), each with its
        verdict (engine/verdicts.py) at that day."""
        from engine.verdicts import action_verdicts

        acts = self.state().actions(seller_id=me["seller_id"], sku=me["sku"], until=me["e"])
        cur = self.cursor()
        try:
            return action_verdicts(cur, acts, as_of=me["e"], policy=self.policy)
        finally:
            cur.close()

    def state(self) -> AppState:
        """The application state, its imported actions (``source = 'data'``) brought in
        line with the live generation's ``actions`` table the first time it is seen."""
        with self._lock:
            if self.app_state is None:
                self.app_state = AppState.memory()
        version, con = self.source()
        if self._actions_synced != version:
            cur = con.cursor()
            try:
                rows = cur.sql("SELECT seller_id, sku, action_date, action, note FROM actions").pl()
            finally:
                cur.close()
            self.app_state.sync_data(str(version), rows)
            self._actions_synced = version
        return self.app_state

    def record_action(
        self,
        viewer: Viewer,
        as_of: date,
        window_days: int,
        seller_id: str,
        sku: str,
        *,
        day: date | None,
        kind: str,
        note: str | None,
        source: str = "page",
        created_by: str | None = None,
    ) -> int:
        """Record one action on an offer the viewer may see; its id. ActionError (a
        sentence for a person) for an offer not visible, an unknown kind, a day after the
        data's last day or before the offer existed, or a note too long."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        if me is None:
            raise ActionError(f"no offer {sku!r} of seller {seller_id!r} in this view")
        cur = self.cursor()
        try:
            kind, note = check_action(cur, seller_id, sku, day, kind, note)
        finally:
            cur.close()
        return self.state().add_action(
            seller_id, sku, day, kind, note, source=source, created_by=created_by
        )

    def offer_detail(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> OfferDetail | None:
        """``offer``, ``trend``, ``breakdown``, ``actions``, the traced NCX orders'
        events (``ncx_events``) and the share that is the seller's to fix (``fix``) of one
        offer in one lookup; None when the viewer may not see it."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        if me is None:
            return None
        events = self._traced(window_days, me)
        orders = traced.ncx_orders(events)
        return OfferDetail(
            offer=me,
            trend=self._trend(as_of, window_days, me),
            breakdown=self._breakdown(window_days, me),
            actions=self._actions(me),
            ncx_events=events,
            fix=traced.fix_share(orders),
        )

    def peer_group(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> pl.DataFrame:
        """The offers of one offer's peer group at its level (with n > 0), the offer included.

        Sellers get aggregates only, so this is for category managers (and the
        marketplace): a seller viewer gets an empty frame.
        """
        if viewer.kind == "seller":
            return pl.DataFrame()
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        if me is None:
            return pl.DataFrame()
        keys = self._peer_keys(as_of, window_days, me, include_self=True)
        return (
            self.all_health(as_of, window_days)
            .join(keys, on=["seller_id", "sku"])
            .filter(viewer.offer_filter())
        )

    def _peer_keys(
        self, as_of: date, window_days: int, me: dict, include_self: bool = False
    ) -> pl.DataFrame:
        """Keys of the offers in ``me``'s peer group at its level: those with orders at the
        same day; for a listing deleted before the as-of day (evaluated at its deletion
        day), the group's offers that were not deleted before that day."""
        level = me["peer_level"]
        values = tuple(me[c] for c in LEVEL_KEYS[level])
        key = ("peer_keys", self.data_version(), as_of, window_days, me["e"], level, values)

        def build() -> pl.DataFrame:  # the group, the offer included if it belongs
            frame = self.all_health(as_of, window_days).lazy()  # only the tested columns
            same_level = [pl.col(c) == me[c] for c in LEVEL_KEYS[level]]
            if me["e"] == as_of:
                found = frame.filter(pl.col("orders") > 0, pl.col("e") == me["e"], *same_level)
            else:
                alive = pl.col("deleted_at").is_null() | (pl.col("deleted_at") >= me["e"])
                found = frame.filter(alive, *same_level)
            return found.select("seller_id", "sku").collect()

        peers = self._memo(key, build, self._group_weeks_cache, self.group_weeks_size)
        if not include_self:
            peers = peers.filter(
                ~((pl.col("seller_id") == me["seller_id"]) & (pl.col("sku") == me["sku"]))
            )
        return peers.select("seller_id", "sku")

    def _visible_peers(self, viewer: Viewer, as_of: date, window_days: int, me: dict):
        """The peers whose aggregates the viewer may see: none for a seller whose group
        holds too few other sellers (``withhold_small_peer_groups``)."""
        if viewer.kind == "seller" and _withheld(me):
            return pl.DataFrame(schema={"seller_id": pl.String, "sku": pl.String})
        return self._peer_keys(as_of, window_days, me)

    def _weeks(
        self, keys: pl.DataFrame, start: date, e: date, *, named: bool = True
    ) -> pl.DataFrame:
        """Weekly orders and NCX orders (as known on ``e``) of ``keys`` from ``start`` to
        ``e``; ``oid`` is the offer's position in ``keys``, from 1. ``named`` False: the
        rows without seller_id and sku (``keys`` names each oid)."""
        cur = self.cursor()
        cur.register("eval_offers", _numbered(keys).to_arrow())
        query = sql.load("offer_weeks")
        if not named:
            query = f"SELECT oid, week, orders, ncx_orders FROM ({query}) ORDER BY oid, week"
        try:
            return cur.sql(query, params={"start": start, "e": e}).pl()
        finally:
            cur.unregister("eval_offers")
            cur.close()

    def _weekly_index(self, e: date) -> WeeklyIndex:
        """Every offer's trend weeks ending on ``e``, computed once per (data version, e).

        A row click then gathers its peers' weeks from memory instead of probing
        ``offer_day`` with a join on every click.
        """
        version = self.data_version()

        def build() -> WeeklyIndex:
            cur = self.cursor()
            try:
                keys = cur.sql("SELECT seller_id, sku FROM offers").pl()
            finally:
                cur.close()
            start = e - timedelta(weeks=TREND_WEEKS)
            weeks = self._weeks(keys, start, e, named=False)
            return WeeklyIndex.of(weeks, _numbered(keys))

        return self._memo(("weeks", version, e), build)

    # --- themes of an offer and its peer group (engine/peer_themes.py) ------------------

    def theme_shares(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> pl.DataFrame:
        """The offer's NCX orders by theme in its window beside its peer group's (the
        offers its peer rate pools, the offer left out) and the whole group's: see
        ``peer_themes.theme_shares`` for the columns. Peer shares are aggregates, shown to
        a seller as the peer rate is. Empty when the viewer may not see the offer."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        if me is None:
            return pl.DataFrame()

        def build() -> pl.DataFrame:
            keys = peer_themes._keys(
                (seller_id, sku), self._visible_peers(viewer, as_of, window_days, me)
            )
            counts = self._theme_counts(keys, me["e"], window_days, live=me["e"] == as_of)
            return peer_themes.shares_from(counts, keys)

        return self._memo(self._theme_key("shares", viewer, as_of, window_days, me), build,
                          self._examples, self.examples_size)  # fmt: skip

    def theme_weeks(
        self, viewer: Viewer, as_of: date, window_days: int, seller_id: str, sku: str
    ) -> pl.DataFrame:
        """Weekly theme mix of the offer and its peer group over the trend's weeks,
        matured weeks only (see ``peer_themes.theme_weeks``). Empty when the viewer may
        not see the offer."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        if me is None:
            return pl.DataFrame()

        def build() -> pl.DataFrame:
            keys = peer_themes._keys(
                (seller_id, sku), self._visible_peers(viewer, as_of, window_days, me)
            )
            e = me["e"]
            start = e - timedelta(weeks=TREND_WEEKS)
            return peer_themes.weeks_from(
                self._theme_week_counts(keys, start, e, live=e == as_of),
                keys,
                start=start,
                e=e,
                return_lag_days=self.policy.return_lag_days,
            )

        return self._memo(self._theme_key("weeks", viewer, as_of, window_days, me), build,
                          self._examples, self.examples_size)  # fmt: skip

    def _theme_key(self, what: str, viewer: Viewer, as_of: date, window_days: int, me: dict):
        """A cache key of an offer's theme views: the offer and day, and whether its peers
        are withheld from this viewer (the only way the viewer changes them)."""
        hidden = viewer.kind == "seller" and _withheld(me)
        return (what, self.data_version(), as_of, window_days, me["seller_id"], me["sku"], hidden)

    def _theme_counts(
        self, keys: pl.DataFrame, e: date, window_days: int, *, live: bool
    ) -> pl.DataFrame:
        """Window theme counts of ``keys`` at ``e``. For a ``live`` offer (``e`` the as-of
        day) those of every offer, computed once per (data version, day, window), so the
        offer detail and the peer-group view of one row click, and the next clicks, share
        them; a deleted listing's (``e`` its deletion day) only its group's."""
        if not live:
            return self._theme_query(peer_themes.window_counts, keys, e=e, window_days=window_days)

        def build() -> pl.DataFrame:
            return self._theme_query(
                peer_themes.window_counts, self._all_keys(), e=e, window_days=window_days
            )

        key = ("theme_counts", self.data_version(), e, window_days)
        return self._memo(key, build, self._shared, self.shared_size)

    def _theme_week_counts(
        self, keys: pl.DataFrame, start: date, e: date, *, live: bool
    ) -> pl.DataFrame:
        """Weekly theme counts of ``keys`` (as ``_theme_counts``, once per version and day)."""
        if not live:
            return self._theme_query(peer_themes.week_counts, keys, start=start, e=e)

        def build() -> pl.DataFrame:
            return self._theme_query(peer_themes.week_counts, self._all_keys(), start=start, e=e)

        key = ("theme_week_counts", self.data_version(), start, e)
        return self._memo(key, build, self._shared, self.shared_size)

    def _theme_query(self, query, keys: pl.DataFrame, **params) -> pl.DataFrame:
        cur = self.cursor()
        try:
            return query(cur, keys, **params)
        finally:
            cur.close()

    def _all_keys(self) -> pl.DataFrame:
        def build() -> pl.DataFrame:
            cur = self.cursor()
            try:
                return cur.sql("SELECT seller_id, sku FROM offers").pl()
            finally:
                cur.close()

        return self._memo(("keys", self.data_version()), build, self._shared, self.shared_size)

    def theme_examples(
        self,
        viewer: Viewer,
        as_of: date,
        window_days: int,
        seller_id: str,
        sku: str,
        *,
        group: bool = False,
    ) -> pl.DataFrame:
        """Example comments per theme of the offer or (``group``) of its whole peer group:
        see ``peer_themes.theme_examples``. Comment text is never an aggregate, so the
        group means the offers of it whose comments the viewer may read: a seller's own
        offers only (DESIGN.md 6), a category manager's those in their categories. Empty
        when the viewer may not see the offer."""
        me = self.offer(viewer, as_of, window_days, seller_id, sku)
        if me is None:
            return pl.DataFrame()
        keys = pl.DataFrame({"seller_id": [seller_id], "sku": [sku]})
        if group:
            visible = self.offers(viewer, as_of, window_days).select("seller_id", "sku")
            keys = self._peer_keys(as_of, window_days, me, include_self=True).join(
                visible, on=["seller_id", "sku"]
            )
        if me["e"] == as_of:  # a live offer: from every offer's, kept per day and window
            return peer_themes.examples_from(self._offer_examples(as_of, window_days), keys)
        cur = self.cursor()  # a deleted listing, at its deletion day
        try:
            return peer_themes.theme_examples(cur, keys, e=me["e"], window_days=window_days)
        finally:
            cur.close()

    def _offer_examples(self, e: date, window_days: int) -> pl.DataFrame:
        """Every offer's example comments per theme (``peer_themes.offer_examples``), once
        per (data version, day, window)."""

        def build() -> pl.DataFrame:
            cur = self.cursor()
            try:
                return peer_themes.offer_examples(cur, e=e, window_days=window_days)
            finally:
                cur.close()

        key = ("offer_examples", self.data_version(), e, window_days)
        return self._memo(key, build, self._shared, self.shared_size)

    # --- comments ----------------------------------------------------------------------

    def comments(
        self,
        viewer: Viewer,
        as_of: date,
        window_days: int,
        offers: pl.DataFrame | GridQuery,
        *,
        since: date | None = None,
        sources: tuple[str, ...] = (),
        themes: tuple[str, ...] = (),
        counted: bool | None = None,
        text: str = "",
        with_comment: bool = False,
        limit: int = COMMENT_LIMIT,
    ) -> pl.DataFrame:
        """Feedback of ``offers`` that the viewer may see, newest first.

        ``offers``: a frame of ``seller_id, sku`` (those the viewer may not see are dropped),
        or a ``GridQuery`` for the viewer's offers matching its filters. Only events on or
        before each offer's as-of day are returned. ``text`` matches the comment
        case-insensitively as plain text (no pattern syntax).
        """
        filters = dict(
            since=since, sources=sources, themes=themes, counted=counted,
            with_comment=with_comment, limit=limit,
        )  # fmt: skip
        if isinstance(offers, GridQuery) and viewer.kind != "seller" and not text.strip():
            # many offers, as a rule: the event index, not a scan of every event
            found = self._indexed_comments(viewer, as_of, window_days, offers, filters)
            if found is not None:
                return found
        if isinstance(offers, GridQuery):
            keys = self.matching(viewer, as_of, window_days, offers).select("seller_id", "sku")
        else:  # the keys the viewer may see (only the key columns of every offer's row)
            visible = (
                self.all_health(as_of, window_days)
                .lazy()
                .filter(viewer.offer_filter())
                .select("seller_id", "sku")
                .collect()
            )
            keys = offers.select("seller_id", "sku").join(visible, on=["seller_id", "sku"])
        if keys.height == 0:
            return pl.DataFrame()
        if keys.height > 1 and not text.strip():
            found = self._indexed_comments(viewer, as_of, window_days, keys, filters)
            if found is not None:
                return found
        escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        one = keys.height == 1
        query = sql.load("comments").replace("{offers}", ONE_OFFER if one else MANY_OFFERS)
        params = {
            "until": as_of,
            "since": since,
            "sources": list(sources) or None,
            "themes": list(themes) or None,
            "counted": counted,
            "text": escaped or None,
            "with_comment": with_comment,
            "limit": limit,
        }
        cur = self.cursor()
        if one:
            params.update(seller_id=keys["seller_id"][0], sku=keys["sku"][0])
        else:
            cur.register("eval_offers", keys.to_arrow())
        try:
            return cur.sql(query, params=params).pl()
        finally:
            if not one:
                cur.unregister("eval_offers")
            cur.close()

    def _event_index(self) -> tuple[duckdb.DuckDBPyConnection, EventIndex] | None:
        """The live generation's event index (engine.event_index) and that generation's
        connection (its rowids are only valid there); None over a store whose events are
        not a table (``serve --derived``)."""
        version, con = self.source()

        def build() -> tuple:
            cur = con.cursor()
            try:
                return (con, EventIndex.build(cur)) if event_index.usable(cur) else ()
            finally:
                cur.close()

        found = self._memo(("event_index", version), build, self._shared, self.shared_size)
        return found or None

    def _event_offers(self, index: EventIndex, frame: pl.DataFrame) -> np.ndarray:
        """Per row of a health frame: its offer number in ``index`` (one past the last when
        the offer has no events). Kept per (index, frame) object; the entry holds both."""

        def build() -> tuple[EventIndex, pl.DataFrame, np.ndarray]:
            numbered = frame.select("seller_id", "sku").join(
                index.offers, on=["seller_id", "sku"], how="left", maintain_order="left"
            )
            return index, frame, numbered["offer_no"].fill_null(index.offers.height).to_numpy()

        key = ("event_offers", id(index), id(frame))
        return self._memo(key, build, self._shared, self.shared_size)[2]

    def _indexed_comments(
        self,
        viewer: Viewer,
        as_of: date,
        window_days: int,
        offers: pl.DataFrame | GridQuery,
        filters: dict,
    ) -> pl.DataFrame | None:
        """``comments`` through the event index (same rows, order and ``matching``), or None
        when there is none. ``offers``: a query (viewer not a seller: the rows matching it
        in the health frame) or the keys, already limited to what the viewer may see."""
        held = self._event_index()
        if held is None:
            return None
        con, index = held
        if isinstance(offers, GridQuery):
            frame = self.all_health(as_of, window_days)
            numbers = self._event_offers(index, frame)[self._matching_mask(frame, viewer, offers)]
        else:
            numbers = index.offer_numbers(offers)
        row_ids, matching = index.query(numbers, until=as_of, **filters)
        cur = con.cursor()
        try:
            return event_index.fetch(cur, row_ids, matching)
        finally:
            cur.close()


def _rate(k: str, n: str) -> pl.Expr:
    return pl.when(pl.col(n) > 0).then(pl.col(k) / pl.col(n))


PEER_AGGREGATES = ("peer_rate", "peer_offers", "peer_orders", "peer_sellers", "x_peers")


def withhold_small_peer_groups(frame: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """A seller's rows with the peer aggregates of too small marketplace groups withheld."""
    small = (pl.col("peer_basis") == "marketplace") & (
        pl.col("peer_sellers").fill_null(0) < policy.min_other_sellers
    )
    if frame.filter(small).is_empty():
        return frame
    note = (
        "Peer figures are withheld: fewer than "
        f"{policy.min_other_sellers} other sellers have similar offers in this data. "
    )
    return frame.with_columns(
        *(pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in PEER_AGGREGATES),
        explanation=pl.when(small)
        .then(pl.lit(note) + _own_figures())
        .otherwise(pl.col("explanation")),
    )


def _withheld(me: dict) -> bool:
    """Whether a seller's offer row had its peer aggregates withheld."""
    return me.get("peer_basis") == "marketplace" and me.get("peer_sellers") is None


def _own_figures() -> pl.Expr:
    """ "27 of 660 orders (4.1 %)": the offer's own figures, no peers."""
    return pl.format(
        "{} of {} orders ({} %).",
        pl.col("ncx_orders").fill_null(0),
        pl.col("orders").fill_null(0),
        (pl.col("ncx_rate").fill_null(0) * 100).round(1),
    )


def worst_first(frame: pl.DataFrame) -> pl.DataFrame:
    """Offers (health frame rows) in the grid's default order, worst first by evidence."""
    return _grid_sort(frame, GridQuery())


def _grid_sort(frame: pl.DataFrame, q: GridQuery, *, stable: bool = False) -> pl.DataFrame:
    """The grid's order: the chosen column, then the evidence. Worst first (the default,
    by health) ranks within a level by how far the interval's low end is above the peer
    rate, then by NCX orders beyond the peers' share: an offer with hundreds of orders
    ahead of 7 of 8, whose rate says little."""
    column = q.sort_by if q.sort_by in GRID_SORTABLE else "health_rank"
    keys = [column, *(c for c in ("lo_excess", "k_excess", "ncx_rate") if c != column), "sku"]
    descending = [q.descending, *([True] * (len(keys) - 2)), False]
    return frame.sort(keys, descending=descending, nulls_last=True, maintain_order=stable)


def _grid_predicates(q: GridQuery) -> list[pl.Expr]:
    preds: list[pl.Expr] = []
    for column, values in (
        ("shown_health", q.health),
        ("category", q.categories),
        ("subcategory", q.subcategories),
        ("price_band", q.price_bands),
        ("fulfilment", q.fulfilment),
        ("status", q.statuses),
    ):
        if values:
            preds.append(pl.col(column).is_in(list(values)))
    if q.action_required:
        preds.append(pl.col("action_required"))
    if q.at_risk:
        preds.append(pl.col("at_risk"))
    if q.with_comments:
        preds.append(pl.col("has_comments"))
    if q.search.strip():
        preds.append(pl.col("search_text").str.contains(q.search.strip().lower(), literal=True))
    if q.peer_group:
        cat, sub, band = q.peer_group
        preds.append(
            (pl.col("category") == cat)
            & (pl.col("subcategory") == sub)
            & (pl.col("price_band") == band)
        )
    for column, op, value in q.column_filters:
        if column not in GRID_SORTABLE:
            continue
        scale = 0.01 if column in PERCENT_COLUMNS else 1.0
        preds.append(_column_filter(FILTER_ON.get(column, column), op, value, scale))
    return preds


def _column_filter(column: str, op: str, value: str, scale: float = 1.0) -> pl.Expr:
    col = pl.col(column)
    if op in TEXT_OPERATORS:
        text = col.cast(pl.String).str.to_lowercase().str.replace_all("_", " ", literal=True)
        v = str(value).lower().replace("_", " ")
        if op == "contains":
            return text.str.contains(v, literal=True)
        if op == "startsWith":
            return text.str.starts_with(v)
        return text == v
    if op in NUMBER_OPERATORS:
        try:
            number = float(str(value).replace("%", "").replace("×", "").strip()) * scale
        except (TypeError, ValueError):
            return pl.lit(True)
        return {
            "equals": col == number,
            "greaterThan": col > number,
            "lessThan": col < number,
            "greaterThanOrEqual": col >= number,
            "lessThanOrEqual": col <= number,
        }[op]
    return pl.lit(True)
