"""The derivation on Spark equals the derivation on DuckDB, table by table, row by row
(docs/spark.md): the demo store (scale 0.2) exported to a lake, plus crafted feedback
whose comments Java's regexes would read differently from RE2 (accents, emoji, word
boundaries next to non-ASCII letters, dotless i, combining marks, blanks, NUL)."""

from __future__ import annotations

import io
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from engine import commands, derive, lake, spark_sql
from engine.generations import connect_live

COMMENTS = [
    "Produit défectueux, ne marche plus",
    "produit defectueux",
    "DÉFECTUEUX dès le premier jour",
    "l'article est arrivé cassé",
    "l’article ne fonctionne pas",
    "pièce-cassée à l'ouverture",
    "pièce cassée",
    "écran brisé 😡😡 stopped working after a day",
    "🔥broken🔥",
    "stopped working",
    "stoppéd working",
    "itémbroken",
    "broken\u00e9",
    "\u00e9broken",
    "DIYARBAKIR kırık geldi, broke after one use",
    "İt stopped wörking",
    "ı broke it? no: it broke after a week",
    "de\u0301fectueux",  # combining acute accent
    "e\u0301cran bris\u0065\u0301",
    "not broken at all, but arrived late",
    "pas cassé, arrivé en retard",
    "never\u00a0arrived",
    "dead-on-arrival",
    "doesn't fit",
    "doesn`t fit my phone",
    "ſtopped working",
    "Œuvre d'art abîmée",
    "too small",
    "   ",
    "",
    "line one\nstopped working\n",
    "nul\x00byte broken",
    "ǅamaged and broken",
    "wrong item sent, ordered a blue one",
]
REASONS = [None, "OTHER", " cr-defective\u00a0", "DEFECTIVE\n", "UNDELIVERABLE_REFUSED", "7", "x"]
SOURCES = ["return", "refund", "contact", "review", "seller_feedback"]


@pytest.fixture(scope="session")
def lakes(tmp_path_factory) -> tuple[Path, Path]:
    """Two copies of one lake (demo at scale 0.2 plus the crafted feedback), one derived
    by DuckDB, the other by Spark."""
    base = tmp_path_factory.mktemp("spark")
    store = base / "store"
    commands.build_demo(store, scale=0.2, out=io.StringIO())
    con = connect_live(store)
    try:
        lake.export(con, base / "duck")
        offers = con.execute("SELECT seller_id, sku FROM offers ORDER BY 1, 2 LIMIT 3").fetchall()
        order = con.execute(
            "SELECT order_id, seller_id, sku FROM orders WHERE status <> 'cancelled' "
            "ORDER BY 1 LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    rows = []
    for i, comment in enumerate(COMMENTS * 2):
        seller, sku = (order[1], order[2]) if i % 3 == 0 else offers[i % len(offers)]
        rows.append(
            {
                "feedback_id": f"crafted-{i:03d}",
                "seller_id": seller,
                "sku": sku,
                "order_id": order[0] if i % 3 == 0 else (None if i % 2 else f"crafted-o{i}"),
                "event_date": datetime(2026, 1, 1 + i % 28, i % 24, 0, i % 60, (i % 3) * 250_000),
                "source": SOURCES[i % len(SOURCES)],
                "reason_code": REASONS[i % len(REASONS)] if i >= len(COMMENTS) else None,
                "rating": [1, 1, 2, None, 5][i % 5],
                "comment": comment if i % 11 else None if i >= len(COMMENTS) else comment,
                "fulfilment_center": "FC1" if i % 4 == 0 else None,
            }
        )
    scratch = duckdb.connect()
    frame = pl.DataFrame(rows).with_columns(pl.col("rating").cast(pl.Int8))
    scratch.register("crafted", frame.to_arrow())
    scratch.sql(
        "SELECT * REPLACE (CAST(event_date AS TIMESTAMP) AS event_date) FROM crafted"
    ).write_parquet(str(base / "duck" / "feedback" / "part-1.parquet"))
    scratch.close()
    shutil.copytree(base / "duck", base / "spark")
    lake.derive_duckdb(base / "duck")
    return base / "duck", base / "spark"


@pytest.fixture(scope="session")
def spark():
    from engine import spark_derive

    session = spark_derive.session("local[2]", app_name="voc-tests")
    yield session
    session.stop()


def _table(lake_dir: Path, table: str) -> pl.DataFrame:
    con = duckdb.connect()
    try:
        frame = con.read_parquet(lake.parquet_glob(lake.derived_dir(lake_dir, table))).pl()
    finally:
        con.close()
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    # offer_activity's days are an unordered list (offer_activity.sql): compared sorted
    frame = frame.with_columns(pl.col(c).list.sort() for c in lists)
    keys = [c for c in frame.columns if c not in lists]
    return frame.sort(keys, nulls_last=True)


def test_spark_derivation_equals_duckdb_row_for_row(lakes, spark):
    from engine import spark_derive

    duck, spark_lake = lakes
    spark_derive.derive_on(spark, spark_lake)
    for table in derive.DERIVED_SQL:
        expected, got = _table(duck, table), _table(spark_lake, table)
        assert got.columns == expected.columns, table
        assert got.height == expected.height > 0, table
        assert_frame_equal(got, expected, check_dtypes=True), table
    events = _table(spark_lake, "events").filter(pl.col("feedback_id").str.starts_with("crafted"))
    # the crafted comments reach the lexicon (not all decided by a code or left out)
    assert events.height == 2 * len(COMMENTS)
    assert events["decided_by"].str.starts_with("phrase:").sum() >= 10


def test_re2_udf_reads_word_boundaries_as_duckdb_does():
    """Next to a non-ASCII letter, RE2's (and DuckDB's) \\b is a boundary, Java's is not."""
    from engine import spark_derive

    con = duckdb.connect()
    for text in ("itémbroken", "brokené", "ébroken", "ıbroken", "broken😡"):
        duck = con.execute(r"SELECT regexp_matches(?, '\bbroken\b')", [text]).fetchone()[0]
        assert (spark_derive._compiled(r"\bbroken\b").search(text) is not None) == duck, text
    con.close()


def test_no_duckdb_only_function_survives_the_transpilation():
    for table in derive.DERIVED_SQL:
        text = spark_sql.spark_select(table)
        assert spark_sql.leftovers(text) == [], table
        assert "getvariable" not in text.lower()
    # and the check itself finds them
    assert spark_sql.leftovers("SELECT getvariable('x'), LEN(a), list(b) FROM t") == [
        "getvariable",
        "len",
        "list",
    ]
    assert spark_sql.leftovers("SELECT 'error(' AS s /* strip_accents( */") == []


def test_the_deny_list_covers_every_duckdb_function_the_derived_sql_calls():
    """Every function of the DuckDB SQL is either one Spark has under the same name, or on
    the deny list (and so rewritten): a new DuckDB function in the SQL forces a choice."""
    import sqlglot
    from sqlglot import exp

    spark_has = {
        "coalesce", "length", "trim", "translate", "regexp_replace", "regexp_extract",
        "replace", "chr", "nullif", "substr", "count", "min", "any_value", "cast",
    }  # fmt: skip
    called = set()
    for table in derive.DERIVED_SQL:
        tree = sqlglot.parse_one(derive.select_sql(table, None), read=spark_sql._Dialect)
        for node in tree.find_all(exp.Func):
            called.add(
                node.name.lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()
            )
    anonymous_duckdb = {"getvariable", "error", "strip_accents"}
    assert anonymous_duckdb <= called
    unknown = {
        f
        for f in called
        if f not in spark_has and f not in spark_sql.DUCKDB_ONLY and not f.isupper()
    }
    # sqlglot's own names for what it translates (checked by the row-for-row test)
    translated = {
        "array_size", "array_agg", "regexp_like", "regexp_full_match", "starts_with",
        "ends_with", "array_filter", "arg_min", "struct", "array", "bracket", "if", "case",
        "coalesce", "concat", "dpipe", "ts_or_ds_to_date", "anonymous", "filter", "lambda",
        "date", "to_date", "str_position", "unnest", "startswith", "endswith", "substring",
        "and", "or",
    }  # fmt: skip
    assert unknown - translated == set()


def test_regexp_full_match_is_anchored_at_the_very_end():
    text = spark_sql.transpile(
        "SELECT regexp_full_match(x, '[A-Z]+') AS ok FROM t", {"t": {"x": "VARCHAR"}}, {}
    )
    assert "\\\\z" in text and "$" not in text


def test_nested_cte_names_are_kept_apart():
    text = spark_sql.transpile(
        "WITH c AS (WITH c AS (SELECT 1 AS v) SELECT v + 1 AS v FROM c) SELECT v FROM c",
        {},
        {},
    )
    assert "c__c" in text
    assert text.count(" AS (") == 2
