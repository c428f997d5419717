"""The demo marketplace generator keeps its promises (engine/demo.py).

Most tests use a small scale for speed; the size promises and the planted health levels
are checked once at scale 1 (module-scoped fixture, ~2 s).
"""

from __future__ import annotations

import ast
import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from engine import demo

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "engine" / "sql" / "schema.sql"
TABLES = ("offers", "orders", "feedback", "actions")
KEYS = {
    "offers": ["seller_id", "sku"],
    "orders": ["order_id", "seller_id", "sku"],
    "feedback": ["feedback_id"],
}
SQL_TO_POLARS = {
    "VARCHAR": pl.String(),
    "DATE": pl.Date(),
    "TIMESTAMP": pl.Datetime("us"),
    "DECIMAL": pl.Float64(),
    "INTEGER": pl.Int32(),
    "TINYINT": pl.Int8(),
    "BOOLEAN": pl.Boolean(),
    "BIGINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
}
SOURCES = {"return", "refund", "contact", "review", "seller_feedback"}
# Simple keyword sanity per theme (the real classifier lives in engine/themes.py).
THEME_WORDS = {
    "defective": r"stopped working|broke|dead on arrival|won't turn on|faulty|defective",
    "damaged": r"damaged|cracked|smashed|dent|torn|leaked|shattered",
    "quality": r"poor quality|cheap|flimsy|fell apart|low quality|peeling",
    "missing_parts": r"missing|not included|incomplete",
    "wrong_item": r"wrong item|different product|not what i ordered|wrong colou?r|wrong product",
    "not_as_described": r"not as described|not as pictured|description|photos|listing",
    "size_fit": r"too small|too big|runs small|runs large|too tight|sizing",
    "compatibility": r"compatible",
    "expired_or_used": r"expired|expiration|best before|used",
    "delivery": r"arrived late|never arrived|to arrive|wrong address|lost in the post",
    "remorse": r"changed my mind|elsewhere|no longer needed|by mistake|by accident",
}
XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
SMALL = 0.05


@pytest.fixture(scope="module")
def small() -> tuple[demo.DemoData, demo._Truth]:
    return demo._generate(SMALL, 7, demo.DEMO_END)


@pytest.fixture(scope="module")
def full() -> tuple[demo.DemoData, demo._Truth]:
    return demo._generate(1.0, 7, demo.DEMO_END)


def schema_columns() -> dict[str, dict[str, pl.DataType]]:
    """Columns and polars dtypes per table, read from engine/sql/schema.sql."""
    out: dict[str, dict[str, pl.DataType]] = {}
    text = SCHEMA_SQL.read_text()
    for table, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", text, re.S):
        cols = {}
        for line in body.strip().splitlines():
            if line.strip().startswith("--"):
                continue
            name, sql_type = line.split()[:2]
            cols[name] = SQL_TO_POLARS[re.sub(r"\(.*", "", sql_type).rstrip(",")]
        out[table] = cols
    return out


def price_band(price: pl.Expr) -> pl.Expr:
    """Index of the price band (docs/health.md): <10, 10-25, 25-50, 50-100, 100-250, >=250."""
    return pl.sum_horizontal([(price >= edge).cast(pl.Int8) for edge in (10, 25, 50, 100, 250)])


def span_start(end: date) -> date:
    """First day of the 15 calendar months ending on ``end`` (end is a month end here)."""
    month = end.year * 12 + end.month - 15  # zero-based month index of the first month
    return date(month // 12, month % 12 + 1, 1)


# --- contract --------------------------------------------------------------------------
def test_public_constants() -> None:
    assert demo.DEMO_END.isoformat() == "2026-10-31"  # fixed, not today
    assert demo.DEMO_SELLER_ID in demo.SELLER_NAMES
    assert len(set(demo.SELLER_NAMES.values())) == len(demo.SELLER_NAMES)


def test_frames_have_exactly_the_schema_sql_columns_and_dtypes(small) -> None:
    data, _ = small
    expected = schema_columns()
    for table in TABLES:
        frame = getattr(data, table)
        assert frame.schema == pl.Schema(expected[table]), table


def test_same_arguments_give_identical_frames(small) -> None:
    data, _ = small
    again = demo.generate(SMALL, 7)
    for table in TABLES:
        assert_frame_equal(getattr(data, table), getattr(again, table))


def test_another_seed_gives_other_data(small) -> None:
    data, _ = small
    other = demo.generate(SMALL, 8)
    assert not data.orders.head(1000).equals(other.orders.head(1000))


def test_keys_are_unique(small) -> None:
    data, _ = small
    for table, key in KEYS.items():
        frame = getattr(data, table)
        assert frame.select(key).is_duplicated().sum() == 0, table
        assert sum(frame[c].null_count() for c in key) == 0, table


def test_ids_look_like_amazon_ids(small) -> None:
    data, _ = small
    assert data.orders["order_id"].str.contains(r"^11[1-4]-\d{7}-\d{7}$").all()
    assert data.offers["asin"].str.contains(r"^B0[0-9A-Z]{8}$").all()
    assert data.feedback["feedback_id"].str.contains(r"^F\d{9}$").all()


def test_not_a_positive_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        demo.generate(0)


def test_engine_demo_imports_no_ui_packages() -> None:
    tree = ast.parse(Path(demo.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not imported & {"dash", "plotly", "dash_bootstrap_components", "dash_ag_grid"}


# --- dates -----------------------------------------------------------------------------
def test_nothing_is_dated_after_end_and_events_follow_their_purchase(small) -> None:
    data, _ = small
    end = demo.DEMO_END
    purchases = data.orders["purchase_date"]
    assert purchases.min().date() == span_start(end)
    assert purchases.max().date() <= end
    assert data.feedback["event_date"].max().date() <= end
    assert data.actions["action_date"].max() <= end
    linked = data.feedback.filter(pl.col("order_id").is_not_null()).join(
        data.orders, on=["order_id", "seller_id", "sku"], how="left"
    )
    assert linked["purchase_date"].null_count() == 0  # every order id points at a line
    assert (linked["event_date"].dt.date() > linked["purchase_date"].dt.date()).all()
    lag = (linked["event_date"].dt.date() - linked["purchase_date"].dt.date()).dt.total_days()
    returns = lag.filter(linked["source"] == "return")
    assert returns.min() >= 2 and returns.max() <= 30
    reviews = lag.filter(linked["source"] == "review")
    assert reviews.min() >= 3 and reviews.max() <= 40


def test_another_end_day_moves_the_whole_span() -> None:
    end = date(2025, 3, 31)
    data = demo.generate(SMALL, 3, end)
    assert data.orders["purchase_date"].min().date() == date(2024, 1, 1)
    assert data.orders["purchase_date"].max().date() <= end
    assert data.feedback["event_date"].max().date() <= end
    assert (data.offers["created_at"] <= end).all()


# --- orders ----------------------------------------------------------------------------
def test_order_lines_look_like_a_marketplace(small) -> None:
    data, _ = small
    orders = data.orders
    cancelled = (orders["status"] == "cancelled").mean()
    assert 0.015 <= cancelled <= 0.04
    assert set(orders["status"].unique()) == {"shipped", "cancelled", "pending"}
    pending = orders.filter(pl.col("status") == "pending")["purchase_date"].dt.date()
    assert pending.min() >= demo.DEMO_END - timedelta(days=2)
    assert orders["quantity"].min() >= 1 and orders["quantity"].max() <= 4
    assert (orders["quantity"] == 1).mean() > 0.8
    per_order = orders.group_by("order_id").agg(
        lines=pl.len(),
        sellers=pl.col("seller_id").n_unique(),
        skus=pl.col("sku").n_unique(),
        times=pl.col("purchase_date").n_unique(),
    )
    assert per_order["lines"].max() == 3
    assert 0.03 < (per_order["lines"] > 1).mean() < 0.2
    assert (per_order["sellers"] == 1).all() and (per_order["times"] == 1).all()
    assert (per_order["skus"] == per_order["lines"]).all()


def test_commingled_units_only_on_fba(small) -> None:
    data, _ = small
    lines = data.orders.join(
        data.offers.select("seller_id", "sku", "fulfilment"), on=["seller_id", "sku"]
    )
    assert lines.filter(pl.col("fulfilment") == "MFN")["sold_by_seller"].all()
    share = 1 - lines.filter(pl.col("fulfilment") == "FBA")["sold_by_seller"].mean()
    assert 0.02 < share < 0.04


# --- lifecycle -------------------------------------------------------------------------
def test_lifecycle_dates_bound_the_orders(small) -> None:
    data, _ = small
    lines = data.orders.with_columns(day=pl.col("purchase_date").dt.date()).join(
        data.offers, on=["seller_id", "sku"]
    )
    assert (lines["day"] >= lines["created_at"]).all()
    deleted = lines.filter(pl.col("deleted_at").is_not_null())
    assert deleted.height > 0 and (deleted["day"] < deleted["deleted_at"]).all()
    closed = lines.filter(pl.col("closed_at").is_not_null() & pl.col("reinstated_at").is_null())
    assert closed.height > 0 and (closed["day"] < closed["closed_at"]).all()
    back = lines.filter(pl.col("reinstated_at").is_not_null())
    paused = back.filter(
        pl.col("day").is_between(pl.col("closed_at"), pl.col("reinstated_at"), closed="left")
    )
    assert back.height > 0 and paused.height == 0
    assert back.filter(pl.col("day") >= pl.col("reinstated_at")).height > 0  # sales resume


def test_demo_seller_lifecycle(small) -> None:
    data, _ = small
    mine = data.offers.filter(pl.col("seller_id") == demo.DEMO_SELLER_ID)
    assert mine.height == 150
    action_required = mine.filter(
        (pl.col("closed_reason") == "ncx") & pl.col("reinstated_at").is_null()
    )
    assert action_required.height >= 2
    assert mine.filter(pl.col("reinstated_at").is_not_null()).height >= 1
    assert mine.filter(pl.col("deleted_at").is_not_null()).height >= 1
    assert mine.filter(pl.col("created_at") > demo.DEMO_END - timedelta(days=30)).height >= 1
    sold_recently = (
        data.orders.filter(pl.col("purchase_date").dt.date() > demo.DEMO_END - timedelta(days=120))
        .select("seller_id", "sku")
        .unique()
    )
    idle = mine.join(sold_recently, on=["seller_id", "sku"], how="anti").filter(
        pl.col("deleted_at").is_null() & pl.col("closed_at").is_null()
    )
    assert idle.height >= 10
    fixes = data.actions.filter(
        (pl.col("seller_id") == demo.DEMO_SELLER_ID) & (pl.col("action") != "relisted")
    )
    assert fixes.height >= 3


def test_fixes_lower_the_problem_rate(full) -> None:
    """Offers with a recorded fix: counted events per order fall after the action date."""
    data, truth = full
    fixes = data.actions.filter(
        pl.col("action").is_in(["edited listing", "removed stock", "changed supplier"])
    )
    events = data.feedback.with_columns(counted=truth.counted).filter(
        pl.col("counted") & pl.col("order_id").is_not_null()
    )
    lines = data.orders.filter(pl.col("status") == "shipped").join(
        events.select("order_id", "seller_id", "sku").unique().with_columns(ncx=pl.lit(True)),
        on=["order_id", "seller_id", "sku"],
        how="left",
    )
    per_phase = (
        lines.join(fixes, on=["seller_id", "sku"])
        .filter(pl.col("purchase_date").dt.date() <= demo.DEMO_END - timedelta(days=30))
        .group_by(
            "seller_id", "sku", after=pl.col("purchase_date").dt.date() >= pl.col("action_date")
        )
        .agg(rate=pl.col("ncx").fill_null(False).mean(), n=pl.len())
        .pivot("after", index=["seller_id", "sku"], values="rate")
        .drop_nulls()
    )
    assert per_phase.height >= 0.5 * fixes.height
    # Planted fixes cut the rate several-fold; a few recorded actions are no-ops by design.
    assert (per_phase["false"] > 2 * per_phase["true"]).mean() > 0.7


# --- feedback --------------------------------------------------------------------------
def test_feedback_sources_reasons_and_ratings(small) -> None:
    data, _ = small
    fb = data.feedback
    assert set(fb["source"].unique()) == SOURCES
    by_source = {s: fb.filter(pl.col("source") == s) for s in SOURCES}
    for s in ("refund", "review", "seller_feedback"):
        assert by_source[s]["reason_code"].null_count() == by_source[s].height, s
    returns = set(by_source["return"]["reason_code"].drop_nulls().unique())
    assert {
        "DEFECTIVE",
        "NOT_AS_DESCRIBED",
        "DAMAGED_BY_CARRIER",
        "UNWANTED_ITEM",
        "OTHER",
    } <= returns
    assert not any(code.startswith("CR-") for code in returns)
    for s in ("return", "refund", "contact"):
        assert by_source[s]["rating"].null_count() == by_source[s].height, s
    for s in ("review", "seller_feedback"):
        assert set(by_source[s]["rating"].unique()) == {1, 2, 3, 4, 5}, s
    assert by_source["seller_feedback"]["order_id"].null_count() == 0
    assert by_source["review"]["order_id"].is_null().mean() > 0.5
    # Fulfilment centres only on FBA returns and replacements.
    fc = fb.filter(pl.col("fulfilment_center").is_not_null()).join(
        data.offers.select("seller_id", "sku", "fulfilment"), on=["seller_id", "sku"]
    )
    assert set(fc["source"].unique()) <= {"return", "contact"}
    assert (fc["fulfilment"] == "FBA").all()
    assert fb.filter(pl.col("source") == "return")["fulfilment_center"].is_not_null().any()


def test_comments_are_varied_sometimes_empty_and_a_few_are_hostile(small) -> None:
    data, _ = small
    comments = data.feedback["comment"]
    empty = (comments.str.strip_chars().str.len_chars().fill_null(0) == 0).mean()
    assert 0.08 < empty < 0.3
    assert (comments == "").any() and comments.is_null().any()
    text = comments.drop_nulls()
    assert text.n_unique() > 500
    assert text.str.contains(r"^[^a-z]*[A-Z]{4,}[^a-z]*$").any()  # some ALL CAPS
    assert text.str.contains("recieved|realy|becuase|Returing|teh box").any()  # typos
    hostile = data.feedback.filter(
        pl.col("comment").str.contains("<script>|onerror=", literal=False)
    )
    assert 1 <= hostile.height <= 5
    assert (hostile["seller_id"] != demo.DEMO_SELLER_ID).all()
    assert all(any(x in c for x in XSS) for c in hostile["comment"])


def test_comments_cover_every_theme(small) -> None:
    data, _ = small
    text = data.feedback["comment"].drop_nulls().str.to_lowercase()
    for theme, words in THEME_WORDS.items():
        assert text.str.contains(words).sum() >= 10, theme


def test_counted_problems_versus_context_events(small) -> None:
    """Delivery, remorse, 2-5 star reviews and seller feedback exist and are not counted."""
    data, truth = small
    fb = data.feedback.with_columns(counted=truth.counted)
    counted = fb.filter("counted")
    assert set(counted["source"].unique()) == {"return", "refund", "contact", "review"}
    assert (counted.filter(pl.col("source") == "review")["rating"] == 1).all()
    context = fb.filter(~pl.col("counted"))
    assert context.filter(pl.col("source") == "review")["rating"].is_in([2, 3, 4, 5]).any()
    assert context.filter(pl.col("source") == "seller_feedback").height > 0
    assert (
        context.filter(pl.col("reason_code").is_in(["UNWANTED_ITEM", "FOUND_BETTER_PRICE"])).height
        > 0
    )
    assert (
        context.filter(
            pl.col("reason_code").is_in(["DAMAGED_BY_CARRIER", "MISSED_ESTIMATED_DELIVERY"])
        ).height
        > 0
    )
    # Context events that carry no deciding reason code say what they are about.
    undecided = context.filter(
        pl.col("source").is_in(["refund", "contact", "review"])
        & ~pl.col("rating").is_in([2, 3, 4, 5]).fill_null(False)
        & ~pl.col("reason_code").is_in(["12", "1", "3", "5", "6", "9", "11"]).fill_null(False)
    )
    assert undecided["comment"].str.strip_chars().str.len_chars().fill_null(0).min() > 0


# --- scale 1: size promises and planted health -----------------------------------------
def test_size_promises_at_scale_one(full) -> None:
    data, _ = full
    offers, orders, fb = data.offers, data.orders, data.feedback
    assert offers.height >= 5_000
    assert orders.height >= 500_000
    assert offers["seller_id"].n_unique() >= 60
    assert offers.filter(pl.col("seller_id") == demo.DEMO_SELLER_ID).height == 150
    assert orders["purchase_date"].min().date() == date(2025, 8, 1)
    assert orders["purchase_date"].max().date() == demo.DEMO_END
    assert set(fb["source"].unique()) == SOURCES
    subs = offers.group_by("category").agg(pl.col("subcategory").n_unique())
    assert subs.height == 12 and subs["subcategory"].is_between(3, 6).all()
    bands = offers.select(price_band(pl.col("price")).alias("band"))["band"].value_counts()
    assert bands.height == 6 and bands["count"].min() >= 50
    assert 0.5 < (offers["fulfilment"] == "FBA").mean() < 0.85
    assert 0.005 < offers["deleted_at"].is_not_null().mean() < 0.02
    reason = offers["closed_reason"].fill_null("")
    assert 0.005 < (reason == "ncx").mean() < 0.02
    assert (reason == "other").sum() >= 3
    assert data.actions.height >= 0.02 * offers.height


def test_seasonality_at_scale_one(full) -> None:
    data, _ = full
    per_day = data.orders.group_by(day=pl.col("purchase_date").dt.date()).len()
    month = per_day.group_by(m=pl.col("day").dt.strftime("%Y-%m")).agg(pl.col("len").mean())
    avg = dict(month.iter_rows())
    assert avg["2025-12"] > 1.3 * avg["2025-10"]  # holiday peak
    assert avg["2026-10"] > 1.2 * avg["2025-09"]  # growth
    weekday = per_day.group_by(wd=pl.col("day").dt.weekday()).agg(pl.col("len").mean())
    wd = dict(weekday.iter_rows())
    assert min(wd[6], wd[7]) > max(wd[1], wd[2], wd[3])  # weekend peak


def health_at_end(data: demo.DemoData, counted: pl.Series, window: int = 90) -> pl.DataFrame:
    """docs/health.md at as-of = end for offers not deleted, using the planted counted flags."""
    end = demo.DEMO_END
    lo = end - timedelta(days=window - 1)
    offers = data.offers.filter(pl.col("deleted_at").is_null())
    orders = data.orders.filter(
        (pl.col("status") != "cancelled") & pl.col("purchase_date").dt.date().is_between(lo, end)
    )
    n = orders.group_by("seller_id", "sku").agg(n=pl.col("order_id").n_unique())
    fb = data.feedback.with_columns(counted=counted).filter("counted")
    fb = fb.with_columns(
        commented=pl.col("comment").str.strip_chars().str.len_chars().fill_null(0) > 0
    )
    per_order = (
        fb.join(orders, on=["order_id", "seller_id", "sku"])
        .group_by("seller_id", "sku", "order_id")
        .agg(pl.col("commented").any())
    )
    no_order = fb.filter(
        pl.col("order_id").is_null() & pl.col("event_date").dt.date().is_between(lo, end)
    )
    k = (
        pl.concat([per_order.drop("order_id"), no_order.select("seller_id", "sku", "commented")])
        .group_by("seller_id", "sku")
        .agg(k=pl.len(), c=pl.col("commented").sum())
    )
    z = 1.645
    m = (
        offers.join(n, on=["seller_id", "sku"], how="left")
        .join(k, on=["seller_id", "sku"], how="left")
        .with_columns(pl.col("n", "k", "c").fill_null(0).cast(pl.Int64))
        .with_columns(
            k=pl.min_horizontal("k", "n"),
            band=price_band(pl.col("price")),
        )
    )
    active = m.filter(pl.col("n") > 0)
    peer = None
    for keys in (["category", "subcategory", "band"], ["category", "subcategory"], ["category"]):
        g = active.group_by(keys).agg(
            g_o=pl.len(),
            g_s=pl.col("seller_id").n_unique(),
            g_k=pl.col("k").sum(),
            g_n=pl.col("n").sum(),
        )
        level = active.join(g, on=keys).filter((pl.col("g_o") >= 20) & (pl.col("g_s") >= 6))
        level = level.select("seller_id", "sku", "g_k", "g_n")
        peer = (
            level
            if peer is None
            else pl.concat([peer, level.join(peer, on=["seller_id", "sku"], how="anti")])
        )
    everyone = active.select("seller_id", "sku").with_columns(
        g_k=pl.lit(active["k"].sum(), dtype=pl.Int64), g_n=pl.lit(active["n"].sum(), dtype=pl.Int64)
    )
    peer = pl.concat([peer, everyone.join(peer, on=["seller_id", "sku"], how="anti")])
    r, nn = pl.col("r"), pl.col("n")
    c = (r + z * z / (2 * nn)) / (1 + z * z / nn)
    h = z * (r * (1 - r) / nn + z * z / (4 * nn * nn)).sqrt() / (1 + z * z / nn)
    scored = (
        active.join(peer, on=["seller_id", "sku"])
        .with_columns(
            r=pl.col("k") / pl.col("n"),
            b=pl.max_horizontal(
                0.001, (pl.col("g_k") - pl.col("k")) / (pl.col("g_n") - pl.col("n"))
            ),
        )
        .with_columns(lo=c - h, hi=c + h)
        .with_columns(
            health=pl.when(pl.col("lo") >= 2 * pl.col("b"))
            .then(pl.lit("very_poor"))
            .when(pl.col("lo") > pl.col("b"))
            .then(pl.lit("poor"))
            .when(pl.col("hi") <= 0.5 * pl.col("b"))
            .then(pl.lit("excellent"))
            .when(pl.col("hi") < pl.col("b"))
            .then(pl.lit("good"))
            .otherwise(pl.lit("fair"))
        )
        .with_columns(
            health=pl.when(pl.col("health").is_in(["poor", "very_poor"]) & (pl.col("c") < 3))
            .then(pl.lit("insufficient_feedback"))
            .otherwise(pl.col("health"))
        )
    )
    return m.join(
        scored.select("seller_id", "sku", "health"), on=["seller_id", "sku"], how="left"
    ).with_columns(pl.col("health").fill_null("no_recent_sales"))


def test_demo_seller_shows_every_health_level(full) -> None:
    data, truth = full
    health = health_at_end(data, truth.counted).join(truth.offer_kind, on=["seller_id", "sku"])
    mine = health.filter(pl.col("seller_id") == demo.DEMO_SELLER_ID)
    levels = dict(mine["health"].value_counts().iter_rows())
    for level in (
        "excellent",
        "good",
        "fair",
        "poor",
        "very_poor",
        "insufficient_feedback",
        "no_recent_sales",
    ):
        assert levels.get(level, 0) >= 3, (level, levels)
    assert levels["fair"] > 60

    def hits(kind: str, *healths: str) -> float:
        planted = mine.filter(pl.col("kind") == kind)
        return planted["health"].is_in(healths).mean()

    assert hits("excellent", "excellent") >= 0.8
    assert hits("good", "good", "excellent") >= 0.7
    assert hits("poor", "poor") >= 0.6
    assert hits("very_poor", "very_poor") == 1.0
    assert hits("insufficient", "insufficient_feedback") >= 0.8
    assert hits("no_recent", "no_recent_sales") == 1.0
    assert hits("closed_ncx", "poor", "very_poor", "insufficient_feedback") == 1.0
    assert hits("fair", "fair") >= 0.8
